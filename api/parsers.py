"""How the REST doors read bodies: JSON only, and nothing that a later layer could choke on.

DRF's own JSONParser turns only ``ValueError`` into a 400, so JSON nested thousands deep reached
a ``RecursionError`` (a 500), and NUL bytes or lone surrogates reached PostgreSQL, which refuses
them (another 500). Every body string is checked here, once, before any serializer or service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from rest_framework.exceptions import NotAcceptable, ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

# The contract's deepest body (a registration response) nests 4 levels; 32 leaves room to spare.
MAX_DEPTH = 32
# One linear pass: escape pairs, quotes and brackets (a regex that skips whole strings would
# backtrack quadratically on a body of escaped quotes).
_TOKEN = re.compile(r'\\.|["\[\]{}]', re.DOTALL)
_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")


def _too_deep(text: str) -> bool:
    depth = 0
    in_string = False
    for token in _TOKEN.finditer(text):
        char = token.group()
        if char == '"':
            in_string = not in_string
        elif in_string or len(char) == 2:
            continue
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string of a parsed body (keys too), with the field path it sits at."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield path, key
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _printable(path: str) -> str:
    # The path may hold the very characters refused: name them without echoing them.
    return _NUL_OR_SURROGATE.sub("\N{REPLACEMENT CHARACTER}", path)


def _refuse_constant(name: str) -> None:
    raise ParseError(f"JSON parse error - {name} is not a JSON number.")


class GuardedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")  # RFC 8259: JSON exchanged between systems is UTF-8
        except UnicodeDecodeError:
            raise ParseError("JSON parse error - the body is not UTF-8.") from None
        if _too_deep(text):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:  # also ints too long to convert
            raise ParseError(f"JSON parse error - {exc}") from None
        for path, string in _strings(data):
            found = _NUL_OR_SURROGATE.search(string)
            if found is not None:
                what = "a NUL character" if found.group() == "\x00" else "an unpaired surrogate"
                where = f"{_printable(path)}: " if path else ""
                raise ParseError(f"{where}JSON strings may not contain {what}.")
        return data


_PLAIN_ACCEPTS = frozenset({"", "*/*", "application/json"})


class NeverNotAcceptable(DefaultContentNegotiation):
    """An ``Accept`` that no renderer matches gets the first renderer (JSON on every contract
    operation) rather than a 406, a status the contract has no code for."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        choices = list(renderers)
        if (
            len(choices) == 1
            and format_suffix is None
            and not request.META.get("QUERY_STRING")
            and request.META.get("HTTP_ACCEPT", "*/*") in _PLAIN_ACCEPTS
        ):
            # What DRF's negotiation would answer, without parsing the header: the usual
            # integrator call on the hot path (a query's ``format`` or an Accept with
            # parameters goes the long way).
            return choices[0], str(choices[0].media_type)
        try:
            chosen: tuple[BaseRenderer, str] = super().select_renderer(
                request, choices, format_suffix
            )
        except NotAcceptable:
            return choices[0], str(choices[0].media_type)
        return chosen
