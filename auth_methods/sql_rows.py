"""Rows read by hand-written SQL (statements built once, for the hot paths), turned into
what the ORM would have made of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, Generic, TypeVar, cast

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


class Columns(Generic[M]):
    """Columns of a model (all of them by default) under a table alias, and the values read
    back as the ORM reads them (the fields' own converters: JSON decoded, and so on)."""

    def __init__(self, model: type[M], alias: str, names: Sequence[str] = ()) -> None:
        self.model = model
        self.fields: list[Field[Any, Any]] = [
            cast("Field[Any, Any]", model._meta.get_field(name)) for name in names
        ] or list(model._meta.concrete_fields)
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in self.fields)
        self.names = [field.attname for field in self.fields]

    @cached_property
    def _converters(self) -> list[tuple[int, Callable[..., Any], Any]]:
        found = []
        for index, field in enumerate(self.fields):
            column = field.get_col(self.model._meta.db_table)
            for convert in (
                *connection.ops.get_db_converters(column),
                *field.get_db_converters(connection),
            ):
                found.append((index, convert, column))
        return found

    def convert(self, values: Sequence[Any]) -> list[Any]:
        row = list(values)
        for index, convert, column in self._converters:
            row[index] = convert(row[index], column, connection)
        return row

    def build(self, values: Sequence[Any]) -> M | None:
        if values[0] is None:  # the LEFT JOIN found nothing
            return None
        return self.model.from_db(connection.alias, self.names, self.convert(values))
