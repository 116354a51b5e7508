"""django-tenants' backend, remembering each pooled connection's committed search_path.

django-tenants sends `SET search_path` on the first cursor after every schema switch, and the
routing middleware switches on every request, because a pooled connection may last have
served another organisation: two of a passkey sign-in's five statements. This backend
remembers, per physical connection, the search_path that connection's session holds for
certain, and skips the SET when the request wants that one.

"For certain" is what keeps organisations apart. A path is remembered only after a SET that
django-tenants reports as applied and that ran outside a transaction (autocommit, so already
committed: no rollback can undo it); it is forgotten before any SET is attempted, so a SET
inside a transaction, one that fails, or one a rollback may revert leaves nothing
remembered and the next request sends its SET again. Every SET Passgate issues goes through
here (tests/tenants/test_search_path_memo.py checks that no other code sends one). A new
physical connection starts with nothing remembered.
"""

from __future__ import annotations

import weakref
from typing import Any

from django_tenants.postgresql_backend import base as tenant_base
from psycopg.pq import TransactionStatus

# Physical (psycopg) connection -> the search_path its session holds, as django-tenants
# lists it. Weak keys: a connection the pool discards takes its entry with it.
_COMMITTED: weakref.WeakKeyDictionary[Any, list[str]] = weakref.WeakKeyDictionary()


class DatabaseWrapper(tenant_base.DatabaseWrapper):  # type: ignore[misc]  # untyped base
    search_path_set_schemas: list[str] | None

    def _handle_search_path(self, cursor: Any = None) -> None:
        if self._setting_search_path or self.search_path_set_schemas:
            super()._handle_search_path(cursor)  # re-entry, or already set in this switch
            return
        raw = self.connection
        wanted = self._get_cursor_search_paths()  # also validates every schema name
        if raw is not None and _COMMITTED.get(raw) == wanted:
            self.search_path_set_schemas = wanted
            return
        if raw is not None:
            _COMMITTED.pop(raw, None)
        super()._handle_search_path(cursor)
        if (
            raw is not None
            and self.search_path_set_schemas == wanted
            and raw.info.transaction_status == TransactionStatus.IDLE
        ):
            _COMMITTED[raw] = wanted
