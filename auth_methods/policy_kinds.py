"""The kinds of value a policy field holds. A kind both checks a JSON value (returning it in
the form the policy keeps) and describes the very same values as an OpenAPI schema, so what
the API documents and what the server accepts cannot drift apart. Doors (the API, the portal
form) map each kind, not each field, to an input of their own.

A refusal is a ``BadValue`` whose text is a predicate about the field ("must be true or
false."): the validator puts the field's name in front of it, the portal shows it on the
field's input."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from auth_methods.policy_formats import BadValue, hostname, origin

Schema = dict[str, Any]

# WebAuthn's registered COSE algorithms that py_webauthn verifies.
COSE_ALGORITHMS = (-7, -8, -35, -36, -37, -38, -39, -257, -258, -259, -65535)
REQUIREMENTS = ("required", "preferred", "discouraged")


class Kind(Protocol):
    def check(self, value: object) -> Any: ...

    def schema(self) -> Schema: ...

    def bad_value(self) -> object:
        """A JSON value the check refuses and the schema does not allow (for the tests that
        walk the policy table)."""
        ...


class WrongShape(BadValue):
    """Not even the JSON type the field takes (or text no database can hold): a list reports
    it about the whole field, never as one entry's fault."""


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise WrongShape(f"must be {what}.")
    # PostgreSQL's jsonb cannot hold NUL, and a lone surrogate cannot be encoded: refused
    # here as bad input rather than failing as a server error at save time.
    if "\x00" in value or _has_surrogate(value):
        raise WrongShape("must not hold NUL bytes or unpaired surrogates.")
    return value


def _has_surrogate(value: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in value)


@dataclass(frozen=True)
class Flag:
    def check(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise BadValue("must be true or false.")
        return value

    def schema(self) -> Schema:
        return {"type": "boolean"}

    def bad_value(self) -> object:
        return "yes"


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]

    def check(self, value: object) -> str:
        if not isinstance(value, str) or value not in self.options:
            raise BadValue(f"must be one of {', '.join(self.options)}.")
        return value

    def schema(self) -> Schema:
        return {"type": "string", "enum": list(self.options)}

    def bad_value(self) -> object:
        return "none of these"


@dataclass(frozen=True)
class Whole:
    """A whole number from ``low`` to ``high``; JSON ``true`` and ``60.0`` are not numbers here."""

    low: int
    high: int

    def check(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadValue(f"must be a whole number from {self.low} to {self.high}.")
        if not self.low <= value <= self.high:
            raise BadValue(f"must be a whole number from {self.low} to {self.high}.")
        return value

    def schema(self) -> Schema:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}

    def bad_value(self) -> object:
        return self.high + 1


@dataclass(frozen=True)
class Text:
    """A string or null. Surrounding spaces are dropped; blank means null unless ``parse`` is
    given, which then decides (``rp_id`` refuses a blank host name)."""

    max_length: int
    parse: Callable[[str], str] | None = None
    describe: str = "text"

    def check(self, value: object) -> str | None:
        if value is None:
            return None
        text = _text(value, f"{self.describe} or null").strip()
        if self.parse is not None:
            return self.parse(text)
        if len(text) > self.max_length:
            raise BadValue(f"must be at most {self.max_length} characters long, or null.")
        return text or None

    def schema(self) -> Schema:
        schema: Schema = {"type": "string", "nullable": True}
        if self.parse is None:
            schema["maxLength"] = self.max_length
        return schema

    def bad_value(self) -> object:
        return 5


class Item(Protocol):
    @property
    def plural(self) -> str:
        """What a list of them is called ("origins")."""
        ...

    @property
    def echo(self) -> bool:
        """Whether a refused entry may be quoted back (never a pasted secret)."""
        ...

    def parse(self, value: object) -> object: ...

    def schema(self) -> Schema: ...


@dataclass(frozen=True)
class CoseAlgorithm:
    plural: str = "COSE algorithm ids"
    echo: bool = True

    def parse(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in COSE_ALGORITHMS:
            raise BadValue("is not a supported COSE algorithm id")
        return value

    def schema(self) -> Schema:
        return {"type": "integer", "enum": list(COSE_ALGORITHMS)}


@dataclass(frozen=True)
class Origin:
    plural: str = "origins"
    echo: bool = True

    def parse(self, value: object) -> str:
        return origin(_text(value, "a list of strings"))

    def schema(self) -> Schema:
        # Surrounding spaces are dropped before the origin is read.
        return {"type": "string", "pattern": r"^\s*[Hh][Tt][Tt][Pp][Ss]?://"}


@dataclass(frozen=True)
class Uuid:
    plural: str = "UUIDs"
    echo: bool = True

    def parse(self, value: object) -> str:
        try:
            return str(uuid.UUID(_text(value, "a list of strings")))
        except ValueError:
            raise BadValue("is not a UUID") from None

    def schema(self) -> Schema:
        return {"type": "string", "format": "uuid"}


_PEM_BEGIN = re.compile(r"-----BEGIN ([^-]+)-----")


@dataclass(frozen=True)
class PemCertificate:
    plural: str = "PEM certificates"
    # A pasted private key must never be stored, audited or echoed back.
    echo: bool = False

    def parse(self, value: object) -> str:
        pem = _text(value, "a list of strings")
        if _PEM_BEGIN.findall(pem) != ["CERTIFICATE"]:
            # Exactly one block: the parser would silently keep the first of a pasted chain.
            raise BadValue("is not exactly one PEM certificate (BEGIN CERTIFICATE)")
        try:
            cert = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            raise BadValue("does not parse as one PEM certificate") from None
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    def schema(self) -> Schema:
        return {"type": "string", "pattern": "-----BEGIN CERTIFICATE-----"}


@dataclass(frozen=True)
class ListOf:
    """A JSON list of ``item``; repeated entries are dropped unless ``unique`` refuses them
    (an algorithm list is an order of preference: a repeat is a mistake worth saying)."""

    item: Item
    min_items: int = 0
    max_items: int = 100
    unique: bool = False

    def check(self, value: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise BadValue(f"must be a list of {self.item.plural}.")
        if not self.min_items <= len(value) <= self.max_items:
            raise BadValue(
                f"must hold {self.min_items} to {self.max_items} {self.item.plural}."
                if self.min_items
                else f"may hold at most {self.max_items} {self.item.plural}."
            )
        parsed = [self._parse(entry) for entry in value]
        kept = tuple(dict.fromkeys(parsed))
        if self.unique and len(kept) != len(parsed):
            raise BadValue("must not repeat an entry.")
        return kept

    def _parse(self, entry: object) -> object:
        try:
            return self.item.parse(entry)
        except WrongShape:
            raise
        except BadValue as exc:
            entry_is = f"{entry!r}, which" if self.item.echo else "an entry that"
            raise BadValue(f"holds {entry_is} {exc}.") from None

    def schema(self) -> Schema:
        schema: Schema = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            schema["minItems"] = self.min_items
        schema["maxItems"] = self.max_items
        if self.unique:
            schema["uniqueItems"] = True
        return schema

    def bad_value(self) -> object:
        return "not a list"


def rp_id_kind() -> Text:
    return Text(max_length=253, parse=hostname, describe="a host name")
