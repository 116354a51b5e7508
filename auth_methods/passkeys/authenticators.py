"""AAGUID -> authenticator name, from a data table shipped with the code.

The name is for people (passkey lists); it proves nothing unless attestation was verified.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_TABLE = Path(__file__).with_name("aaguids.json")
ZERO_AAGUID = "00000000-0000-0000-0000-000000000000"


@cache
def _names() -> dict[str, str]:
    data = json.loads(_TABLE.read_text(encoding="utf-8"))
    return {str(k).lower(): str(v) for k, v in data.items()}


def authenticator_name(aaguid: str) -> str | None:
    if not aaguid or aaguid == ZERO_AAGUID:
        return None
    return _names().get(aaguid.lower())
