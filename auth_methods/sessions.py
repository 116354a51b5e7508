"""Browser sessions: the one place that signs a person in, for every sign-in door."""

from __future__ import annotations

import time

from django.contrib.auth import login
from django.http import HttpRequest

from auth_methods.models import User

PENDING = "passgate_pending_user"  # password accepted, second factor still due
AUTH_AT = "passgate_auth_at"  # when the person last proved who they are (for step-up)
BACKEND = "django.contrib.auth.backends.ModelBackend"


def start_session(request: HttpRequest, user: User) -> None:
    request.session.pop(PENDING, None)
    login(request, user, backend=BACKEND)  # rotates the session key (no fixation)
    request.session[AUTH_AT] = int(time.time())


def mark_reauthenticated(request: HttpRequest) -> None:
    request.session[AUTH_AT] = int(time.time())


def set_pending(request: HttpRequest, user: User) -> None:
    request.session.cycle_key()
    request.session[PENDING] = user.pk


def pending_user(request: HttpRequest) -> User | None:
    pk = request.session.get(PENDING)
    user: User | None = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    return user
