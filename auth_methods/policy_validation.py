"""Validating a change to an organisation's policy: types, ranges, origins, RP ID, and the
combinations that only make sense together. All or nothing: the first bad field raises
``invalid_request`` with ``field`` set and a ``detail`` that starts with the field's name.

Normal forms stored: origins ``scheme://host[:port]`` in lower case without a trailing ``/``
(an explicit default port is refused rather than dropped, so what is stored is what the
browser sends in ``clientDataJSON``); ``rp_id`` in lower case; AAGUIDs as lower-case UUID
strings; each attestation root re-encoded as one PEM certificate."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from publicsuffixlist import PublicSuffixList

from auth_methods import errors
from auth_methods.errors import AuthError
from auth_methods.policy import POLICY_FIELDS, OrgPolicy, host_is_under

COSE_ALGORITHMS = frozenset({-7, -8, -35, -36, -37, -38, -39, -257, -258, -259, -65535})
REQUIREMENTS = ("required", "preferred", "discouraged")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]*$")
_PEM_BEGIN = re.compile(r"-----BEGIN ([^-]+)-----")


def _bad(field: str, message: str) -> AuthError:
    return errors.INVALID_REQUEST.with_detail(f"{field}: {message}", field=field)


def _bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _bad(field, "must be true or false.")
    return value


def _int_range(low: int, high: int) -> Callable[[str, object], int]:
    def check(field: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _bad(field, f"must be an integer from {low} to {high}.")
        return value

    return check


def _choice(*choices: str) -> Callable[[str, object], str]:
    def check(field: str, value: object) -> str:
        if value not in choices:
            raise _bad(field, f"must be one of {', '.join(choices)}.")
        return str(value)

    return check


def _str_list(field: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(field, "must be a list of strings.")
    if len(value) > 100:
        raise _bad(field, "may hold at most 100 entries.")
    return value


def _algorithms(field: str, value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise _bad(field, "must be a non-empty list of COSE algorithm ids.")
    for alg in value:
        if isinstance(alg, bool) or not isinstance(alg, int) or alg not in COSE_ALGORITHMS:
            raise _bad(field, f"{alg!r} is not a supported COSE algorithm id.")
    if len(set(value)) != len(value):
        raise _bad(field, "must not repeat an algorithm.")
    return tuple(value)


_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


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


def normalise_origin(field: str, origin: str) -> str:
    """``scheme://host[:port]``: https anywhere, http only on localhost and *.localhost."""
    raw = origin.strip()
    # urlsplit silently deletes tabs and newlines ("ac\tme.com" would become "acme.com"):
    # refuse them, and any other space, control or non-ASCII character, before parsing.
    if not _VISIBLE_ASCII.match(raw):
        raise _bad(field, f"{origin!r} must be visible ASCII without spaces (punycode hosts).")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise _bad(field, f"{origin!r} is not a valid origin.") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host or not is_hostname(host):
        raise _bad(field, f"{origin!r} must be https://host[:port] with a DNS host name.")
    # "?" and "#" are checked in the raw text: an empty query or fragment parses as none.
    if parts.path not in ("", "/") or "?" in raw or "#" in raw or "@" in parts.netloc:
        raise _bad(field, f"{origin!r} must not hold a path, query, fragment or user info.")
    if parts.scheme == "http" and not host_is_under(host, "localhost"):
        raise _bad(field, f"{origin!r}: http:// is only allowed for localhost and *.localhost.")
    if port == 0:
        raise _bad(field, f"{origin!r}: port 0 is not a port browsers use.")
    if port is not None and port == (443 if parts.scheme == "https" else 80):
        raise _bad(field, f"{origin!r}: leave out the default port (browsers do).")
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def _origins(field: str, value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise_origin(field, o) for o in _str_list(field, value)))


def _aaguids(field: str, value: object) -> tuple[str, ...]:
    result = []
    for item in _str_list(field, value):
        try:
            result.append(str(uuid.UUID(item)))
        except ValueError:
            raise _bad(field, f"{item!r} is not a UUID.") from None
    return tuple(dict.fromkeys(result))


def _pem_root(field: str, pem: str) -> str:
    # Exactly one block, a certificate: the parser would silently keep only the first of a
    # pasted chain, and a pasted private key must never be stored or audited.
    if _PEM_BEGIN.findall(pem) != ["CERTIFICATE"]:
        raise _bad(field, "each entry must be exactly one PEM certificate (BEGIN CERTIFICATE).")
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise _bad(field, "each entry must be one PEM certificate; one does not parse.") from None
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _pem_roots(field: str, value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_pem_root(field, pem) for pem in _str_list(field, value)))


def _rp_id(field: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not is_hostname(value.strip().lower()):
        raise _bad(field, "must be a host name (no scheme, no port) or null.")
    return value.strip().lower()


def _name(field: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > 200:
        raise _bad(field, "must be a string of at most 200 characters, or null.")
    return value.strip() or None


FIELD_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "passkey_registration_enabled": _bool,
    "passkey_login_enabled": _bool,
    "user_verification": _choice(*REQUIREMENTS),
    "attestation": _choice("none", "indirect", "direct", "enterprise"),
    "require_trusted_attestation": _bool,
    "authenticator_attachment": _choice("platform", "cross-platform", "any"),
    "resident_key": _choice(*REQUIREMENTS),
    "algorithms": _algorithms,
    "timeout_seconds": _int_range(10, 600),
    "rp_id": _rp_id,
    "rp_name": _name,
    "allowed_origins": _origins,
    "allowed_aaguids": _aaguids,
    "max_passkeys_per_user": _int_range(1, 100),
    "allow_synced_passkeys": _bool,
    "trusted_attestation_roots": _pem_roots,
    "token_ttl_seconds": _int_range(60, 3600),
    "mfa_required": _bool,
    "passwordless_only": _bool,
}
assert set(FIELD_CHECKS) == set(POLICY_FIELDS)  # noqa: S101 (a new field needs a check)


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def _check_rp_id(policy: OrgPolicy, org_hosts: Sequence[str], base_domain: str) -> None:
    """The contract: the primary host itself, or a registrable domain suffix of it. The org's
    other hosts need not be covered: their origins are then related origins (WebAuthn L3)."""
    rp_id = policy.rp_id
    if rp_id is None:
        return
    # The platform's domain, or a parent of it, would cover every other organisation's host.
    if host_is_under(base_domain, rp_id) or _psl().is_public(rp_id):
        raise _bad("rp_id", f"{rp_id!r} is a public suffix or the platform's own domain.")
    primary = org_hosts[0] if org_hosts else policy.primary_host
    if not host_is_under(primary, rp_id):
        raise _bad("rp_id", f"{rp_id!r} is not the primary host {primary!r} or a suffix of it.")


def _check_combinations(policy: OrgPolicy) -> None:
    proven = policy.attestation in ("direct", "enterprise")
    if policy.require_trusted_attestation and not proven:
        raise _bad("require_trusted_attestation", "needs attestation set to direct or enterprise.")
    if policy.allowed_aaguids and not proven:
        raise _bad(
            "allowed_aaguids",
            "an allow-list needs attestation direct or enterprise (an AAGUID must be proven).",
        )


def validate_changes(
    current: OrgPolicy,
    changes: Mapping[str, object],
    *,
    org_hosts: Sequence[str],
    base_domain: str,
) -> OrgPolicy:
    """The policy after ``changes``, or ``AuthError(invalid_request, field=...)``."""
    if not isinstance(changes, Mapping):
        raise errors.INVALID_REQUEST.with_detail("The body must be a JSON object of policy fields.")
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        check = FIELD_CHECKS.get(name)
        if check is None:
            raise _bad(str(name), "is not a policy field.")
        cleaned[name] = check(name, value)
    updated = replace(current, **cleaned)
    _check_rp_id(updated, org_hosts, base_domain)
    _check_combinations(updated)
    return updated
