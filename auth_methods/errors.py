# TEMPORARY stub by the lead; helper-2 replaces this file.
from __future__ import annotations


class AuthError(Exception):
    def __init__(
        self, code: str, status: int, title: str, detail: str, field: str | None = None
    ) -> None:
        super().__init__(detail)
        self.code, self.status, self.title, self.detail, self.field = (
            code,
            status,
            title,
            detail,
            field,
        )

    @classmethod
    def of(cls, code: str, detail: str, *, field: str | None = None) -> AuthError:
        return cls(code, 400, code, detail, field)
