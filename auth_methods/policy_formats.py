"""Host names and origins as the policy stores them.

Normal forms: origins ``scheme://host[:port]`` in lower case without a trailing ``/`` (an
explicit default port is refused rather than dropped, so what is stored is what the browser
sends in ``clientDataJSON``); host names in lower case, ASCII (punycode)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit


class BadValue(ValueError):
    """A value a policy field cannot take. The text completes a sentence about the field (or,
    for one entry of a list, about that entry): "must be true or false."."""


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]*$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def host_is_under(host: str, domain: str) -> bool:
    """``host`` is ``domain`` or a subdomain of it, label-wise (``notacme.com`` is not under
    ``acme.com``)."""
    return host == domain or host.endswith("." + domain)


def is_hostname(host: str) -> bool:
    """A lower-case ASCII (punycode) DNS name: no IP literal, wildcard, port or trailing dot."""
    labels = host.split(".")
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    # The WHATWG URL parser reads a host whose last label is numeric as IPv4 (127.1,
    # 2130706433, 0x7f.0.0.1): no real domain ends that way.
    if _NUMERIC_LABEL.match(labels[-1]):
        return False
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels)


def hostname(text: str) -> str:
    host = text.strip().lower()
    if not is_hostname(host):
        raise BadValue("must be a host name (no scheme, no port) or null.")
    return host


def origin(text: str) -> str:
    """``scheme://host[:port]``: https anywhere, http only on localhost and *.localhost.
    Refusals are relative clauses about the origin ("is not a valid origin")."""
    raw = text.strip()
    # urlsplit silently deletes tabs and newlines ("ac\tme.com" would become "acme.com"):
    # refuse them, and any other space, control or non-ASCII character, before parsing.
    if not _VISIBLE_ASCII.match(raw):
        raise BadValue("contains a space, a control or a non-ASCII character (use punycode)")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise BadValue("is not a valid origin") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host or not is_hostname(host):
        raise BadValue("is not https://host[:port] with a DNS host name")
    # "?" and "#" are checked in the raw text: an empty query or fragment parses as none.
    if parts.path not in ("", "/") or "?" in raw or "#" in raw or "@" in parts.netloc:
        raise BadValue("has a path, a query, a fragment or user info")
    if parts.scheme == "http" and not host_is_under(host, "localhost"):
        raise BadValue("uses http://, but that is only allowed for localhost and *.localhost")
    if port == 0:
        raise BadValue("names port 0, which browsers never use")
    if port is not None and port == (443 if parts.scheme == "https" else 80):
        raise BadValue("names the default port (leave it out, as browsers do)")
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
