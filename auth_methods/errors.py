"""The services' error: ``AuthError``, a failure carrying one of the contract's codes, translated
in one place (``api/problems.py`` for JSON, portal views for form errors).

The codes' table lives in ``config/error_catalogue.py`` (every layer answers from it) and its
rows are re-exported here: each row of the contract's error table is a module constant
(``CHALLENGE_EXPIRED``, ...). Raise with a detail for people::

    raise errors.CHALLENGE_EXPIRED.with_detail("The challenge was issued 75 s ago; ...")
    raise AuthError.of("challenge_expired", "...")  # the same error, for a code held as a string

Both build the same ``AuthError``. The constant is the one to prefer in new code (a misspelt
name fails at import and under mypy); ``AuthError.of`` suits codes that arrive as data.
"""

from __future__ import annotations

from config.error_catalogue import *  # noqa: F403 (the rows are this module's API)
from config.error_catalogue import ERROR_CODES


class AuthError(Exception):
    """A failure with a contract code. ``field`` ties a validation error to an input field."""

    def __init__(self, code: str, detail: str, *, field: str | None = None) -> None:
        spec = ERROR_CODES[code]  # an unknown code is a programming error: fail loudly
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.status = spec.status
        self.title = spec.title
        self.detail = detail
        self.field = field

    @classmethod
    def of(cls, code: str, detail: str, *, field: str | None = None) -> AuthError:
        return cls(code, detail, field=field)
