"""`SET search_path` is skipped only when the connection's session holds that path for
certain (tenants/postgresql_backend/base.py); every other case sends it again.

Each case runs on a connection of its own in autocommit (``committed``), as requests do: the
test's own connection sits inside pytest-django's transaction, where nothing is remembered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from tenants.context import use_schema
from tenants.models import Organisation
from tests.support.committed import committed

pytestmark = pytest.mark.django_db


class Sets:
    """Counts the `SET search_path` statements sent while it is installed."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if sql.startswith("SET search_path"):
            self.count += 1
        return execute(sql, *args)


def _schema_seen(schema: str) -> str:
    use_schema(schema)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        row = cursor.fetchone()
    return str(row[0])


def test_a_switch_back_to_the_committed_path_sends_nothing(
    orgs: dict[str, Organisation],
) -> None:
    acme, globex = orgs["acme"].schema_name, orgs["globex"].schema_name

    def work() -> tuple[list[str], int]:
        sets = Sets()
        with connection.execute_wrapper(sets):
            seen = [_schema_seen(s) for s in (acme, globex, acme, acme, acme)]
        return seen, sets.count

    seen, count = committed(work)
    assert seen == [acme, globex, acme, acme, acme]
    assert count == 3  # acme, globex, acme; the last two switches found it in place


def test_a_path_set_in_a_rolled_back_transaction_is_not_trusted(
    orgs: dict[str, Organisation],
) -> None:
    acme, globex = orgs["acme"].schema_name, orgs["globex"].schema_name

    def work() -> list[str]:
        seen = [_schema_seen(acme)]
        with pytest.raises(RuntimeError), transaction.atomic():
            seen.append(_schema_seen(globex))  # set inside the transaction...
            raise RuntimeError  # ...and reverted with it: the session is on acme again
        # Trusting the rolled-back SET would skip this one and read acme's tables.
        seen.append(_schema_seen(globex))
        seen.append(_schema_seen(acme))
        return seen

    assert committed(work) == [acme, globex, globex, acme]


def test_a_path_set_in_a_committed_transaction_is_sent_again(
    orgs: dict[str, Organisation],
) -> None:
    acme, globex = orgs["acme"].schema_name, orgs["globex"].schema_name

    def work() -> tuple[list[str], int]:
        seen = [_schema_seen(acme)]
        sets = Sets()
        with connection.execute_wrapper(sets):
            with transaction.atomic():
                seen.append(_schema_seen(globex))
            seen.append(_schema_seen(globex))
            seen.append(_schema_seen(acme))
        return seen, sets.count

    seen, count = committed(work)
    assert seen == [acme, globex, globex, acme]
    assert count == 3  # nothing set inside a transaction is remembered


def test_a_new_physical_connection_starts_with_nothing_remembered(
    orgs: dict[str, Organisation],
) -> None:
    acme = orgs["acme"].schema_name

    def work() -> tuple[list[str], int]:
        seen = [_schema_seen(acme)]
        connection.close()
        sets = Sets()
        with connection.execute_wrapper(sets):
            seen.append(_schema_seen(acme))
        return seen, sets.count

    assert committed(work) == ([acme, acme], 1)


def test_no_other_code_sets_the_search_path() -> None:
    # The memo is right only if every SET goes through the backend: raw SQL that changes
    # the path (SET, RESET, set_config, DISCARD) would leave it stale.
    changes = re.compile(r"(SET|RESET)\s+(SESSION\s+)?search_path|set_config|DISCARD", re.I)
    root = Path(settings.BASE_DIR)
    backend = root / "tenants" / "postgresql_backend" / "base.py"
    found = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not path.relative_to(root).parts[0].startswith((".", "tests"))
        and path != backend
        and changes.search(path.read_text())
    ]
    assert found == []
