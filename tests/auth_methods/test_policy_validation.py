"""Validating a policy change: types, ranges, origins, RP ID and combinations (pure)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from auth_methods.errors import AuthError
from auth_methods.policy import POLICY_FIELDS, OrgPolicy
from auth_methods.policy_validation import normalise_origin, validate_changes

CURRENT = OrgPolicy(
    org_name="Acme Corp",
    primary_host="acme.localhost",
    org_origins=("http://acme.localhost:8000",),
)
ACME_HOSTS = ("acme.localhost",)
YUBIKEY = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
ALL_ALGORITHMS = (-8, -7, -257, -35, -36, -37, -38, -39, -258, -259)
HUNDRED_ORIGINS = tuple(f"https://a{i}.example.com" for i in range(100))


def _root_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test attestation root")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


ROOT_PEM = _root_pem()
OTHER_ROOT_PEM = _root_pem()
PRIVATE_KEY_PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    .decode()
)
NOT_BOOLS: tuple[object, ...] = (1, 0, "true", None, [])


def validate(
    changes: Mapping[str, object],
    current: OrgPolicy = CURRENT,
    *,
    org_hosts: Sequence[str] = ACME_HOSTS,
    base_domain: str = "localhost",
) -> OrgPolicy:
    return validate_changes(current, changes, org_hosts=org_hosts, base_domain=base_domain)


def assert_invalid(err: pytest.ExceptionInfo[AuthError], field: str) -> None:
    assert err.value.code == "invalid_request"
    assert err.value.status == 400
    assert err.value.field == field
    assert field in err.value.detail


# --- types, ranges and enums ---------------------------------------------------------------

BOOL_FIELDS = (
    "passkey_registration_enabled",
    "passkey_login_enabled",
    "require_trusted_attestation",
    "allow_synced_passkeys",
    "mfa_required",
    "passwordless_only",
)
BAD_VALUES: list[tuple[str, object]] = [
    *((field, bad) for field in BOOL_FIELDS for bad in NOT_BOOLS),
    *(("user_verification", v) for v in ("REQUIRED", "always", "", None, 1, True, ["required"])),
    *(("attestation", v) for v in ("self", "packed", "None", "", None, 0)),
    *(("authenticator_attachment", v) for v in ("roaming", "Platform", "", None, 1)),
    *(("resident_key", v) for v in ("yes", "Required", None, True)),
    *(
        ("algorithms", v)
        for v in (
            [],
            None,
            "-7",
            -7,
            (-7,),
            [-7, -7],
            [True],
            [-9],
            [0],
            [-7.0],
            ["-7"],
            [-7, None],
        )
    ),
    *(("timeout_seconds", v) for v in (9, 601, 0, -60, True, False, "60", 60.0, None)),
    *(("max_passkeys_per_user", v) for v in (0, 101, True, "20", 20.5, None)),
    *(("token_ttl_seconds", v) for v in (59, 3601, False, True, "300", None)),
    *(
        ("rp_id", v)
        for v in (
            5,
            True,
            "",
            "https://acme.localhost",
            "acme.localhost:8000",
            "acme.localhost/",
            "acme_corp.localhost",
            "-acme.localhost",
            "acme..localhost",
            "acme.localhost.",
            "*.acme.localhost",
            "127.0.0.1",
            "::1",
            "127.1",
            "bücher.localhost",
            "acme\t.localhost",
        )
    ),
    *(("rp_name", v) for v in (5, True, ["Acme"], "x" * 201)),
    *(
        ("allowed_origins", v)
        for v in (
            "https://a.example.com",
            None,
            [1],
            ["https://a.example.com", None],
            ["https://a.example.com/path"],
            [f"https://a{i}.example.com" for i in range(101)],
        )
    ),
    *(
        ("allowed_aaguids", v)
        for v in (
            YUBIKEY,
            None,
            [1],
            ["not-a-uuid"],
            [YUBIKEY[:-1]],
            ["00000000-0000-0000-0000-000000000000"] * 101,
        )
    ),
    *(
        ("trusted_attestation_roots", v)
        for v in (
            ROOT_PEM,
            None,
            [1],
            ["not a certificate"],
            ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
            [ROOT_PEM.replace("BEGIN CERTIFICATE", "BEGIN PUBLIC KEY")],
            [ROOT_PEM + OTHER_ROOT_PEM],  # a chain would keep only its first certificate
            [ROOT_PEM + PRIVATE_KEY_PEM],  # a key pasted by mistake must not be stored
            [PRIVATE_KEY_PEM],
        )
    ),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_it_refuses_a_value_of_the_wrong_type_range_or_choice(field: str, value: object) -> None:
    with pytest.raises(AuthError) as err:
        validate({field: value})
    assert_invalid(err, field)


@pytest.mark.parametrize(
    "field",
    [
        "org_name",
        "primary_host",
        "org_origins",
        "userVerification",
        "timeout",
        "nonsense",
        "",
    ],
)
def test_it_refuses_an_unknown_field(field: str) -> None:
    with pytest.raises(AuthError) as err:
        validate({field: "x"})
    assert_invalid(err, field)


@pytest.mark.parametrize("body", [["timeout_seconds", 60], "timeout_seconds=60", None, 60])
def test_it_refuses_a_body_that_is_not_an_object(body: Any) -> None:
    with pytest.raises(AuthError) as err:
        validate(body)
    assert err.value.code == "invalid_request"


GOOD_VALUES: list[tuple[str, object, object]] = [
    *((field, value, value) for field in BOOL_FIELDS[:2] for value in (True, False)),
    ("allow_synced_passkeys", False, False),
    ("mfa_required", True, True),
    ("passwordless_only", True, True),
    ("require_trusted_attestation", False, False),
    *(("user_verification", v, v) for v in ("required", "preferred", "discouraged")),
    *(("attestation", v, v) for v in ("none", "indirect", "direct", "enterprise")),
    *(("authenticator_attachment", v, v) for v in ("platform", "cross-platform", "any")),
    *(("resident_key", v, v) for v in ("required", "preferred", "discouraged")),
    ("algorithms", [-7], (-7,)),
    ("algorithms", [-257, -7, -8], (-257, -7, -8)),
    ("algorithms", list(ALL_ALGORITHMS), ALL_ALGORITHMS),
    *(("timeout_seconds", v, v) for v in (10, 60, 600)),
    *(("max_passkeys_per_user", v, v) for v in (1, 20, 100)),
    *(("token_ttl_seconds", v, v) for v in (60, 300, 3600)),
    ("rp_id", None, None),
    ("rp_name", "Acme sign-in", "Acme sign-in"),
    ("rp_name", "  Acme  ", "Acme"),
    ("rp_name", "", None),
    ("rp_name", "   ", None),
    ("rp_name", None, None),
    ("rp_name", "x" * 200, "x" * 200),
    ("allowed_origins", [], ()),
    (
        "allowed_origins",
        ["https://login.acme.com/", "HTTPS://Login.Acme.com", "https://acme.co.uk"],
        ("https://login.acme.com", "https://acme.co.uk"),
    ),
    ("allowed_origins", list(HUNDRED_ORIGINS), HUNDRED_ORIGINS),
    ("allowed_aaguids", [], ()),
    ("trusted_attestation_roots", [], ()),
    ("trusted_attestation_roots", [ROOT_PEM], (ROOT_PEM.strip() + "\n",)),
    ("trusted_attestation_roots", ["\n" + ROOT_PEM + "\n\n"], (ROOT_PEM.strip() + "\n",)),
    # `openssl x509 -text` output: the text around the block is dropped.
    ("trusted_attestation_roots", ["subject=CN = Test\n" + ROOT_PEM + "trailer"], (ROOT_PEM,)),
    ("trusted_attestation_roots", [ROOT_PEM, OTHER_ROOT_PEM], (ROOT_PEM, OTHER_ROOT_PEM)),
    ("trusted_attestation_roots", [ROOT_PEM, ROOT_PEM.strip()], (ROOT_PEM,)),
]


@pytest.mark.parametrize(("field", "value", "stored"), GOOD_VALUES)
def test_it_accepts_a_valid_value_and_normalises_it(
    field: str, value: object, stored: object
) -> None:
    assert getattr(validate({field: value}), field) == stored


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ([YUBIKEY], (YUBIKEY,)),
        ([YUBIKEY.upper()], (YUBIKEY,)),
        ([YUBIKEY.replace("-", "")], (YUBIKEY,)),
        ([YUBIKEY, YUBIKEY.upper()], (YUBIKEY,)),
    ],
)
def test_it_stores_aaguids_in_canonical_form_once_each(
    value: list[str], stored: tuple[str, ...]
) -> None:
    updated = validate({"attestation": "direct", "allowed_aaguids": value})
    assert updated.allowed_aaguids == stored


# --- origins ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "normalised"),
    [
        ("https://a.example.com", "https://a.example.com"),
        ("https://a.example.com:8443", "https://a.example.com:8443"),
        ("https://a.example.com:80", "https://a.example.com:80"),
        ("http://x.localhost:8000", "http://x.localhost:8000"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://localhost", "http://localhost"),
        ("http://a.b.localhost", "http://a.b.localhost"),
        ("https://localhost", "https://localhost"),
        ("https://a.example.com/", "https://a.example.com"),
        ("https://a.example.com:8443/", "https://a.example.com:8443"),
        ("https://A.Example.COM", "https://a.example.com"),
        ("HTTPS://A.EXAMPLE.COM:8443/", "https://a.example.com:8443"),
        ("  https://a.example.com  ", "https://a.example.com"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_it_accepts_and_normalises_a_good_origin(origin: str, normalised: str) -> None:
    assert normalise_origin("allowed_origins", origin) == normalised
    assert validate({"allowed_origins": [origin]}).allowed_origins == (normalised,)


BAD_ORIGINS = [
    pytest.param("https://a.example.com/login", id="path"),
    pytest.param("https://a.example.com/a/", id="path-with-slash"),
    pytest.param("https://a.example.com//", id="double-slash"),
    pytest.param("https://a.example.com?x=1", id="query"),
    pytest.param("https://a.example.com/?x=1", id="slash-query"),
    pytest.param("https://a.example.com#top", id="fragment"),
    pytest.param("https://user@a.example.com", id="userinfo"),
    pytest.param("https://user:pw@a.example.com", id="userinfo-password"),
    pytest.param("http://example.com", id="http-outside-localhost"),
    pytest.param("http://a.example.com:8000", id="http-outside-localhost-port"),
    pytest.param("http://localhost.example.com", id="http-localhost-prefix"),
    pytest.param("http://notlocalhost", id="http-localhost-suffix-no-dot"),
    pytest.param("ftp://a.example.com", id="ftp"),
    pytest.param("wss://a.example.com", id="wss"),
    pytest.param("a.example.com", id="no-scheme"),
    pytest.param("//a.example.com", id="scheme-relative"),
    pytest.param("https://", id="no-host"),
    pytest.param("", id="empty"),
    pytest.param("https://127.0.0.1", id="ipv4"),
    pytest.param("http://127.0.0.1:8000", id="ipv4-http"),
    pytest.param("https://[::1]", id="ipv6"),
    pytest.param("https://a.example.com:443", id="default-port-https"),
    pytest.param("http://localhost:80", id="default-port-http"),
    pytest.param("https://a.example.com:99999", id="port-out-of-range"),
    pytest.param("https://a.example.com:abc", id="port-not-a-number"),
    pytest.param("https://*.example.com", id="wildcard"),
    pytest.param("https://a_b.example.com", id="underscore"),
    pytest.param("https://a.example.com.", id="trailing-dot"),
    pytest.param("https://-a.example.com", id="leading-hyphen"),
    pytest.param("https://a.example.com?", id="empty-query"),
    pytest.param("https://a.example.com#", id="empty-fragment"),
    pytest.param("https://a.exa\tmple.com", id="tab-inside"),  # urlsplit would delete it
    pytest.param("https://a.exa\nmple.com", id="newline-inside"),
    pytest.param("https://a .example.com", id="space-inside"),
    pytest.param("https://bücher.example", id="unicode-host"),
    pytest.param("https://a.example.com\\", id="backslash"),
    pytest.param("https://a.example.com:+8443", id="signed-port"),
]


@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_it_refuses_a_bad_origin(origin: str) -> None:
    with pytest.raises(AuthError) as err:
        normalise_origin("allowed_origins", origin)
    assert_invalid(err, "allowed_origins")
    with pytest.raises(AuthError) as err:
        validate({"allowed_origins": ["https://fine.example.com", origin]})
    assert_invalid(err, "allowed_origins")


def test_it_refuses_http_origin_outside_localhost() -> None:
    with pytest.raises(AuthError) as err:
        validate({"allowed_origins": ["http://login.acme.com"]})
    assert_invalid(err, "allowed_origins")
    assert "localhost" in err.value.detail


@pytest.mark.parametrize("origin", ["https://127.1", "https://2130706433", "https://0x7f.0.0.1"])
def test_it_refuses_a_shorthand_ipv4_origin(origin: str) -> None:
    with pytest.raises(AuthError) as err:
        normalise_origin("allowed_origins", origin)
    assert_invalid(err, "allowed_origins")


# --- RP ID --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rp_id", "org_hosts", "base_domain", "stored"),
    [
        ("acme.localhost", ["acme.localhost"], "localhost", "acme.localhost"),
        ("ACME.Localhost", ["acme.localhost"], "localhost", "acme.localhost"),
        ("  acme.localhost ", ["acme.localhost"], "localhost", "acme.localhost"),
        ("login.acme.com", ["login.acme.com"], "passgate.io", "login.acme.com"),
        ("acme.com", ["login.acme.com"], "passgate.io", "acme.com"),
        ("Acme.COM", ["login.acme.com"], "passgate.io", "acme.com"),
        ("acme.co.uk", ["id.login.acme.co.uk"], "passgate.io", "acme.co.uk"),
        ("acme.github.io", ["login.acme.github.io"], "passgate.io", "acme.github.io"),
        ("acme.passgate.io", ["acme.passgate.io"], "passgate.io", "acme.passgate.io"),
        # The contract asks the primary host (the first) to be covered; the org's other
        # hosts are then related origins (WebAuthn L3).
        ("acme.com", ["login.acme.com", "acme.localhost"], "localhost", "acme.com"),
        (None, ["acme.localhost"], "localhost", None),
    ],
)
def test_it_accepts_an_rp_id_that_covers_the_primary_host(
    rp_id: str | None, org_hosts: list[str], base_domain: str, stored: str | None
) -> None:
    updated = validate({"rp_id": rp_id}, org_hosts=org_hosts, base_domain=base_domain)
    assert updated.rp_id == stored


def test_it_falls_back_to_the_policys_primary_host_without_org_hosts() -> None:
    current = replace(CURRENT, primary_host="login.acme.com")
    assert validate({"rp_id": "acme.com"}, current, org_hosts=[]).rp_id == "acme.com"
    with pytest.raises(AuthError) as err:
        validate({"rp_id": "globex.com"}, current, org_hosts=[])
    assert_invalid(err, "rp_id")


@pytest.mark.parametrize(
    ("rp_id", "org_hosts", "base_domain"),
    [
        pytest.param("com", ["login.acme.com"], "passgate.io", id="public-suffix-com"),
        pytest.param("co.uk", ["login.acme.co.uk"], "passgate.io", id="public-suffix-co-uk"),
        pytest.param("github.io", ["acme.github.io"], "passgate.io", id="public-suffix-github-io"),
        pytest.param("localhost", ["acme.localhost"], "localhost", id="base-domain-localhost"),
        pytest.param("passgate.io", ["acme.passgate.io"], "passgate.io", id="base-domain"),
        pytest.param("globex.localhost", ["acme.localhost"], "localhost", id="other-org"),
        pytest.param("cme.com", ["login.acme.com"], "passgate.io", id="not-a-label-suffix"),
        pytest.param("login.acme.com", ["acme.com"], "passgate.io", id="below-the-host"),
        pytest.param("acme.org", ["login.acme.com"], "passgate.io", id="unrelated"),
        pytest.param(
            "acme.com",
            ["acme.localhost", "login.acme.com"],
            "localhost",
            id="covers-only-a-secondary-host",
        ),
    ],
)
def test_it_refuses_an_rp_id_that_does_not_cover_the_primary_host_or_is_public(
    rp_id: str, org_hosts: list[str], base_domain: str
) -> None:
    with pytest.raises(AuthError) as err:
        validate({"rp_id": rp_id}, org_hosts=org_hosts, base_domain=base_domain)
    assert_invalid(err, "rp_id")


# --- combinations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "changes", "field"),
    [
        (CURRENT, {"require_trusted_attestation": True}, "require_trusted_attestation"),
        (
            CURRENT,
            {"attestation": "indirect", "require_trusted_attestation": True},
            "require_trusted_attestation",
        ),
        (CURRENT, {"allowed_aaguids": [YUBIKEY]}, "allowed_aaguids"),
        (
            CURRENT,
            {"attestation": "indirect", "allowed_aaguids": [YUBIKEY]},
            "allowed_aaguids",
        ),
        (
            replace(CURRENT, attestation="direct", require_trusted_attestation=True),
            {"attestation": "none"},
            "require_trusted_attestation",
        ),
        (
            replace(CURRENT, attestation="enterprise", allowed_aaguids=(YUBIKEY,)),
            {"attestation": "indirect"},
            "allowed_aaguids",
        ),
    ],
)
def test_it_refuses_trusted_attestation_or_an_allow_list_without_proven_attestation(
    current: OrgPolicy, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(AuthError) as err:
        validate(changes, current)
    assert_invalid(err, field)


@pytest.mark.parametrize(
    "changes",
    [
        {"attestation": "direct", "require_trusted_attestation": True},
        {"attestation": "enterprise", "require_trusted_attestation": True},
        {"attestation": "direct", "allowed_aaguids": [YUBIKEY]},
        {"attestation": "enterprise", "allowed_aaguids": [YUBIKEY]},
        {
            "attestation": "direct",
            "require_trusted_attestation": True,
            "allowed_aaguids": [YUBIKEY],
            "trusted_attestation_roots": [ROOT_PEM],
        },
        {"attestation": "none", "require_trusted_attestation": False, "allowed_aaguids": []},
    ],
)
def test_it_accepts_trusted_attestation_and_an_allow_list_with_proven_attestation(
    changes: dict[str, object],
) -> None:
    validate(changes)


# --- all or nothing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timeout_seconds": 120, "max_passkeys_per_user": 0}, "max_passkeys_per_user"),
        ({"max_passkeys_per_user": 0, "timeout_seconds": 120}, "max_passkeys_per_user"),
        (
            {"mfa_required": True, "allowed_origins": ["https://a.example.com/x"]},
            "allowed_origins",
        ),
        ({"rp_name": "Acme", "user_verification": "always"}, "user_verification"),
        ({"attestation": "direct", "rp_id": "com"}, "rp_id"),
        (
            {"user_verification": "required", "require_trusted_attestation": True},
            "require_trusted_attestation",
        ),
        ({"passwordless_only": True, "no_such_field": 1}, "no_such_field"),
    ],
)
def test_it_changes_nothing_when_one_field_is_invalid(
    changes: dict[str, object], field: str
) -> None:
    current = replace(CURRENT, timeout_seconds=90, allowed_origins=("https://login.acme.com",))
    snapshot = replace(current)
    with pytest.raises(AuthError) as err:
        validate(changes, current)
    assert_invalid(err, field)
    assert current == snapshot
    assert current.timeout_seconds == 90
    assert current.mfa_required is False
    assert current.passwordless_only is False


def test_it_returns_a_new_policy_and_leaves_the_current_one_alone() -> None:
    snapshot = replace(CURRENT)
    updated = validate({"timeout_seconds": 120, "mfa_required": True, "rp_name": "Acme"})
    assert updated is not CURRENT
    assert CURRENT == snapshot
    assert (updated.timeout_seconds, updated.mfa_required, updated.rp_name) == (120, True, "Acme")
    untouched = set(POLICY_FIELDS) - {"timeout_seconds", "mfa_required", "rp_name"}
    for name in untouched:
        assert getattr(updated, name) == getattr(CURRENT, name), name
    assert (updated.org_name, updated.primary_host, updated.org_origins) == (
        CURRENT.org_name,
        CURRENT.primary_host,
        CURRENT.org_origins,
    )


def test_it_returns_an_equal_policy_for_no_changes() -> None:
    assert validate({}) == CURRENT


def test_it_refuses_an_rp_id_above_the_platform_domain() -> None:
    with pytest.raises(AuthError) as caught:
        validate_changes(
            OrgPolicy(primary_host="acme.passgate.example.com"),
            {"rp_id": "example.com"},
            org_hosts=["acme.passgate.example.com"],
            base_domain="passgate.example.com",
        )
    assert caught.value.field == "rp_id"


def test_it_refuses_port_zero() -> None:
    with pytest.raises(AuthError):
        normalise_origin("allowed_origins", "https://a.example.com:0")


HOST_LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)


@given(
    scheme=st.sampled_from(["https", "HTTPS", "http"]),
    labels=st.lists(HOST_LABEL, min_size=1, max_size=3),
    port=st.one_of(st.none(), st.integers(min_value=1, max_value=65535)),
    slash=st.booleans(),
    upper=st.booleans(),
)
def test_a_normalised_origin_is_a_fixed_point(
    scheme: str, labels: list[str], port: int | None, slash: bool, upper: bool
) -> None:
    host = ".".join([*labels, "localhost" if scheme == "http" else "example"])
    origin = f"{scheme}://{host.upper() if upper else host}"
    origin += (f":{port}" if port is not None else "") + ("/" if slash else "")
    try:
        normalised = normalise_origin("allowed_origins", origin)
    except AuthError as err:
        assert port in (80, 443), err.detail  # only an explicit default port is refused
        return
    assert normalise_origin("allowed_origins", normalised) == normalised
    assert normalised == normalised.lower().rstrip("/")
