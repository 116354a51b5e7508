"""Log records carry the request id, so one request's lines can be found together."""

from __future__ import annotations

import logging

from config.request_id import get_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id() or "-"
        return True
