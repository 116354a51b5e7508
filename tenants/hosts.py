"""Hostnames and origins: pure helpers shared by org services and routing."""

from __future__ import annotations

import re

from django.conf import settings

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_valid_hostname(host: str) -> bool:
    """A lower-case DNS name (punycode for IDNs), no port, no trailing dot, not an IP."""
    if not host or len(host) > 253 or host != host.lower():
        return False
    labels = host.split(".")
    if all(label.isdigit() for label in labels):
        return False
    return all(_LABEL.match(label) for label in labels)


def default_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def origin_for_host(host: str) -> str:
    """The browser origin of a host as this deployment serves it (scheme and public port)."""
    scheme = "https" if settings.HTTPS else "http"
    port = settings.PUBLIC_PORT
    default_port = 443 if scheme == "https" else 80
    suffix = f":{port}" if port and port != default_port else ""
    return f"{scheme}://{host}{suffix}"
