"""An email backend for fault tests: a slow SMTP server that files each mail it accepts."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(float(os.environ.get("PASSGATE_TEST_MAIL_DELAY", "1")))
        sent: int = super().send_messages(email_messages)
        return sent
