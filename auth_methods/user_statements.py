"""Finding or creating the user an integrator names (``users.user_for_integrator``, on every
first registration): two statements built once. The insert yields to a concurrent one
through ``ON CONFLICT DO NOTHING`` rather than a savepoint around a failing INSERT."""

from __future__ import annotations

from django.db import connection

from auth_methods.models import User
from auth_methods.sql_rows import Columns

_USER = Columns(User, "u")
_FIND = (
    f"SELECT {_USER.sql} FROM {User._meta.db_table} u "  # noqa: S608 (our table and columns)
    "WHERE u.external_id = %s OR u.email = %s LIMIT 2"
)
_INSERTED = [field for field in User._meta.concrete_fields if not field.primary_key]
_INSERT = (
    f"INSERT INTO {User._meta.db_table} "  # noqa: S608 (our table and columns)
    f"({', '.join(str(field.column) for field in _INSERTED)}) "
    f"VALUES ({', '.join(['%s'] * len(_INSERTED))}) ON CONFLICT DO NOTHING RETURNING id"
)


def users_by_external_id_or_email(external_id: str, email: str) -> list[User]:
    """The (at most two) users holding ``external_id`` or ``email``, read in one snapshot."""
    with connection.cursor() as cursor:
        cursor.execute(_FIND, [external_id, email])
        rows = cursor.fetchall()
    return [user for user in map(_USER.build, rows) if user is not None]


def user_insert_unless_taken(user: User) -> bool:
    """Store the new ``user`` (from ``User.objects.new_user``) as the ORM's save would, or
    nothing and False if a unique column's value is taken (e.g. by a concurrent insert)."""
    params = [field.get_db_prep_save(field.pre_save(user, True), connection) for field in _INSERTED]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, params)
        row = cursor.fetchone()
    if row is None:
        return False
    user.pk = row[0]
    user._state.adding = False
    user._state.db = connection.alias
    return True
