"""Log records carry the request id, so one request's lines can be found together."""

from __future__ import annotations

import logging

from config.request_id import get_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a response after the id's context has ended; the request
        # itself still knows it (set by config.ops_middleware).
        request = getattr(record, "request", None)
        record.request_id = get_request_id() or getattr(request, "request_id", None) or "-"
        return True
