"""Browser sessions at rest: Django's database sessions, keyed by a digest of the cookie.

Django's own backend keeps the cookie's value as the row's primary key, so a copy of the
database (a dump, a backup, a replica) holds every signed-in session ready to replay. Here
the row holds only the SHA-256 of the key, cut to the column's 40 characters (160 bits): the
cookie is unchanged, and the key (32 random characters of 36) cannot be found from its digest.
Every read, write, existence check and delete goes through ``stored_key``; expiry
(``clear_expired``, ``clearsessions``) works on ``expire_date`` and is untouched. Rows written
before this store (keyed by the plain key) are simply never found: their users sign in again.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone


def stored_key(session_key: str) -> str:
    """The primary key of the row of the session whose cookie holds ``session_key``."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:40]


def _log_suspicious(error: Exception) -> None:
    # As Django's backend does: a forged or corrupt session is a security event.
    if isinstance(error, SuspiciousOperation):
        logging.getLogger(f"django.security.{type(error).__name__}").warning(str(error))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> AbstractBaseSession | None:
        if self.session_key is None:
            return None
        try:
            found: AbstractBaseSession = self.model.objects.get(
                session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
            )
            return found
        except (self.model.DoesNotExist, SuspiciousOperation) as error:
            _log_suspicious(error)
            self._session_key = None
            return None

    async def _aget_session_from_db(self) -> AbstractBaseSession | None:
        if self.session_key is None:
            return None
        try:
            found: AbstractBaseSession = await self.model.objects.aget(
                session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
            )
            return found
        except (self.model.DoesNotExist, SuspiciousOperation) as error:
            _log_suspicious(error)
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=stored_key(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        return bool(await self.model.objects.filter(session_key=stored_key(session_key)).aexists())

    def create_model_instance(self, data: dict[str, Any]) -> AbstractBaseSession:
        row: AbstractBaseSession = super().create_model_instance(data)
        row.session_key = stored_key(row.session_key)
        return row

    async def acreate_model_instance(self, data: dict[str, Any]) -> AbstractBaseSession:
        row: AbstractBaseSession = await super().acreate_model_instance(data)
        row.session_key = stored_key(row.session_key)
        return row

    def delete(self, session_key: str | None = None) -> None:
        key = self.session_key if session_key is None else session_key
        if key is not None:
            self.model.objects.filter(session_key=stored_key(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        key = self.session_key if session_key is None else session_key
        if key is not None:
            await self.model.objects.filter(session_key=stored_key(key)).adelete()
