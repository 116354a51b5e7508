"""The lockout preview and the sign-in ceremony share their checks: for every policy and every
kind of credential, the preview says a passkey is blocked exactly when a real sign-in with it
is refused, and names the refusal's reason."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from auth_methods.lockout import passkey_blockers
from auth_methods.models import Passkey
from auth_methods.settings_service import policy_for
from tenants.context import with_org
from tests.api.conftest import Api
from tests.support.authenticator import SoftAuthenticator, b64url_decode

pytestmark = pytest.mark.django_db

MODEL = bytes.fromhex("ea9b8d664d011d213ce4b6b48cb575d4")
MODEL_ID = str(uuid.UUID(bytes=MODEL))

# name -> (the authenticator, what it forges at every ceremony, the stored row's spelling
# of its AAGUID when the test rewrites it, flagged)
CREDENTIALS: dict[str, tuple[dict[str, Any], dict[str, Any], str | None, bool]] = {
    "es256": ({}, {}, None, False),
    "no-uv": ({}, {"user_verified": False}, None, False),
    "rs256": ({"alg": -257}, {}, None, False),
    "synced": ({"backup_eligible": True, "backed_up": True, "sign_count_step": 0}, {}, None, False),
    "attested": ({"aaguid": MODEL, "attestation": "packed"}, {}, None, False),
    # Spelled without hyphens and in capitals: the preview once compared it differently.
    "attested-hex": ({"aaguid": MODEL, "attestation": "packed"}, {}, MODEL.hex().upper(), False),
    "claimed-model": ({"aaguid": MODEL}, {}, None, False),
    "flagged": ({}, {}, None, True),
}

POLICIES: dict[str, dict[str, Any]] = {
    "default": {},
    "passkey sign-in off": {"passkey_login_enabled": False},
    "UV required": {"user_verification": "required"},
    "ES256 only": {"algorithms": [-7]},
    "RS256 only": {"algorithms": [-257]},
    "synced refused": {"allow_synced_passkeys": False},
    "an AAGUID allow-list": {"allowed_aaguids": [MODEL_ID]},
    "another AAGUID allowed": {"allowed_aaguids": [str(uuid.uuid4())]},
    "UV required and ES256 only": {"user_verification": "required", "algorithms": [-7]},
}


@pytest.fixture
def enrolled(api: Api) -> dict[str, tuple[SoftAuthenticator, dict[str, Any], bytes]]:
    root = SoftAuthenticator(aaguid=MODEL).ca
    api.set_policy(attestation="direct", trusted_attestation_roots=[root.root_pem])
    made = {}
    for name, (knobs, forge, aaguid, flagged) in CREDENTIALS.items():
        authenticator = SoftAuthenticator(**knobs)
        authenticator._ca = root  # one root vouches for every attested credential
        response = api.register(name, f"{name}@acme.test", authenticator=authenticator, **forge)
        assert response.status_code == 201, (name, response.json())
        credential_id = b64url_decode(response.json()["passkey"]["id"])
        with with_org(api.org):
            changes: dict[str, Any] = {"flagged": flagged}
            if aaguid is not None:
                changes["aaguid"] = aaguid
            Passkey.objects.filter(credential_id=credential_id).update(**changes)
        made[name] = (authenticator, forge, credential_id)
    return made


def sign_in(api: Api, name: str, authenticator: SoftAuthenticator, forge: dict[str, Any]) -> Any:
    """A named sign-in, refused at the options call or at the finish."""
    options = api.post("/webauthn/authenticate/options", {"user": {"id": name}})
    if options.status_code != 200:
        return options
    credential = authenticator.get(options.json(), origin=api.origin, **forge)
    return api.post("/webauthn/authenticate", {"credential": credential})


def test_the_preview_blocks_exactly_the_passkeys_a_sign_in_refuses(
    api: Api, enrolled: dict[str, tuple[SoftAuthenticator, dict[str, Any], bytes]]
) -> None:
    defaults = {
        "passkey_login_enabled": True,
        "user_verification": "preferred",
        "algorithms": [-8, -7, -257],
        "allow_synced_passkeys": True,
        "allowed_aaguids": [],
    }
    checked = 0
    for title, changes in POLICIES.items():
        api.set_policy(**(defaults | changes))
        with with_org(api.org):
            policy = policy_for(api.org)
        for name, (authenticator, forge, credential_id) in enrolled.items():
            with with_org(api.org):
                passkey = Passkey.objects.get(credential_id=credential_id)
            blockers = passkey_blockers(policy, passkey, rp_id_changed=False)
            response = sign_in(api, name, authenticator, forge)
            if response.status_code == 200:
                assert blockers == [], (title, name, blockers)
            else:
                assert response.json()["detail"] in blockers, (title, name, response.json())
            checked += 1
    assert checked == len(POLICIES) * len(CREDENTIALS)


def test_a_hyphenless_capital_aaguid_counts_as_listed_in_both(
    api: Api, enrolled: dict[str, tuple[SoftAuthenticator, dict[str, Any], bytes]]
) -> None:
    api.set_policy(allowed_aaguids=[MODEL_ID])
    authenticator, forge, credential_id = enrolled["attested-hex"]
    with with_org(api.org):
        passkey = Passkey.objects.get(credential_id=credential_id)
        assert passkey.aaguid == MODEL.hex().upper()
        assert passkey_blockers(policy_for(api.org), passkey, rp_id_changed=False) == []
    assert api.sign_in("attested-hex", authenticator=authenticator, **forge).status_code == 200
