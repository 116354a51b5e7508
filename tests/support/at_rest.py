"""A database dump grepped for a secret: which tables hold it, row by row as text.

Reading the rows through SQL (``row::text``) rather than ``pg_dump`` lets a test see what its
own, uncommitted transaction wrote. A ``bytea`` column prints as hex, so the secret is looked
for in that form as well: a plain secret in a binary column is still found.
"""

from __future__ import annotations

from django.db import connection


def tables_holding(schema: str, needle: str) -> list[str]:
    """Every table of ``schema`` with a row that contains ``needle`` (or its bytes, in hex)."""
    assert len(needle) >= 8, "too short to tell a secret from chance"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [schema],
        )
        tables = sorted(name for (name,) in cursor.fetchall())
        assert len(tables) > 5, (schema, tables)
        found = []
        for table in tables:
            quoted = connection.ops.quote_name(schema) + "." + connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*) FROM {quoted} AS t"  # noqa: S608 (names from the catalogue)
                " WHERE strpos(t::text, %s) > 0 OR strpos(t::text, %s) > 0",
                [needle, needle.encode().hex()],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def holders(needle: str, *schemas: str) -> dict[str, list[str]]:
    """The tables holding ``needle``, per schema; empty when the secret is nowhere at rest."""
    found = {schema: tables_holding(schema, needle) for schema in schemas}
    return {schema: tables for schema, tables in found.items() if tables}
