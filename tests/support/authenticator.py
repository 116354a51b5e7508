"""A software WebAuthn authenticator for the test suite, with knobs to forge bad input.

It answers the server's options with WebAuthn Level 3 JSON, exactly what a browser's
``PublicKeyCredential.toJSON()`` yields (binary fields base64url without padding).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
DROP = object()  # pass as user_handle=DROP to leave userHandle out
AAGUID_OID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key(alg: int) -> PrivateKey:
    if alg == -7:
        return ec.generate_private_key(ec.SECP256R1())
    if alg == -8:
        return ed25519.Ed25519PrivateKey.generate()
    if alg == -257:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unsupported alg {alg}")


def cose_key(key: PrivateKey, alg: int) -> bytes:
    public = key.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        nums = public.public_numbers()
        return cbor2.dumps(
            {1: 2, 3: alg, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")}
        )
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cbor2.dumps({1: 1, 3: alg, -1: 6, -2: raw})
    assert isinstance(public, rsa.RSAPublicKey)
    rsa_nums = public.public_numbers()
    return cbor2.dumps(
        {1: 3, 3: alg, -1: rsa_nums.n.to_bytes(256, "big"), -2: rsa_nums.e.to_bytes(3, "big")}
    )


def sign(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


@dataclass
class Attestation:
    """A root CA and a FIDO packed attestation certificate for one AAGUID."""

    aaguid: bytes
    root_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    leaf_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def __post_init__(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Attestation Root")])
        self.root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(self.root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.root_key, hashes.SHA256())
        )
        leaf_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Passgate Test"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Soft Authenticator"),
            ]
        )
        self.leaf = (
            x509.CertificateBuilder()
            .subject_name(leaf_name)
            .issuer_name(root_name)
            .public_key(self.leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.UnrecognizedExtension(AAGUID_OID, b"\x04\x10" + self.aaguid), critical=False
            )
            .sign(self.root_key, hashes.SHA256())
        )

    @property
    def root_pem(self) -> str:
        return self.root.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class Held:
    key: PrivateKey
    alg: int
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


def _public_key(options: dict[str, Any]) -> dict[str, Any]:
    inner: dict[str, Any] = options.get("publicKey", options)
    return inner


@dataclass
class SoftAuthenticator:
    alg: int = -7
    aaguid: bytes = bytes(16)
    attachment: str | None = "platform"
    transports: tuple[str, ...] = ("internal", "hybrid")
    backup_eligible: bool = False
    backed_up: bool = False
    attestation: str = "none"  # "none" | "self" | "packed" (x5c chain to self.ca)
    sign_count_step: int = 1  # 0 models a synced passkey that always reports 0
    credentials: dict[bytes, Held] = field(default_factory=dict)
    _ca: Attestation | None = None

    @property
    def ca(self) -> Attestation:
        if self._ca is None or self._ca.aaguid != self.aaguid:
            self._ca = Attestation(self.aaguid)
        return self._ca

    def _client_data(self, kind: str, challenge: str, origin: str, forge: dict[str, Any]) -> bytes:
        if "raw_client_data" in forge:
            return bytes(forge["raw_client_data"])
        if "challenge" in forge:
            challenge = b64url(forge["challenge"])
        data = {
            "type": forge.get("type", kind),
            "challenge": challenge,
            "origin": origin,
            "crossOrigin": False,
        }
        return json.dumps(data, separators=(",", ":")).encode()

    def _flags(self, forge: dict[str, Any], *, attested: bool) -> int:
        flags = UP if forge.get("user_present", True) else 0
        flags |= UV if forge.get("user_verified", True) else 0
        flags |= BE if forge.get("backup_eligible", self.backup_eligible) else 0
        flags |= BS if forge.get("backed_up", self.backed_up) else 0
        return flags | (AT if attested else 0)

    def create(self, options: dict[str, Any], *, origin: str, **forge: Any) -> dict[str, Any]:
        """navigator.credentials.create(): a RegistrationResponseJSON."""
        pk = _public_key(options)
        alg = forge.get("alg", self.alg)
        offered = [p["alg"] for p in pk["pubKeyCredParams"]]
        if alg not in offered and "alg" not in forge:
            raise ValueError(f"server did not offer alg {alg}: {offered}")
        rp_id = forge.get("rp_id", pk["rp"]["id"])
        key = new_key(alg)
        cred_id = forge.get("credential_id", os.urandom(32))
        aaguid = forge.get("aaguid", self.aaguid)
        client_data = self._client_data("webauthn.create", pk["challenge"], origin, forge)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(forge, attested=True)])
            + struct.pack(">I", 0)
            + aaguid
            + struct.pack(">H", len(cred_id))
            + cred_id
            + cose_key(key, alg)
        )
        fmt, stmt = self._statement(
            forge.get("attestation_fmt", self.attestation), key, alg, auth_data, client_data
        )
        self.credentials[cred_id] = Held(key, alg, pk["rp"]["id"], b64url_decode(pk["user"]["id"]))
        response: dict[str, Any] = {
            "clientDataJSON": b64url(client_data),
            "attestationObject": b64url(
                cbor2.dumps({"fmt": fmt, "attStmt": stmt, "authData": auth_data})
            ),
            "transports": list(self.transports),
            "publicKeyAlgorithm": alg,
            "authenticatorData": b64url(auth_data),
        }
        result: dict[str, Any] = {
            "id": b64url(cred_id),
            "rawId": b64url(cred_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
        }
        attachment = forge.get("attachment", self.attachment)
        if attachment is not None:
            result["authenticatorAttachment"] = attachment
        return result

    def _statement(
        self, fmt: str, key: PrivateKey, alg: int, auth_data: bytes, client_data: bytes
    ) -> tuple[str, dict[str, Any]]:
        signed = auth_data + hashlib.sha256(client_data).digest()
        if fmt == "none":
            return "none", {}
        if fmt == "self":
            return "packed", {"alg": alg, "sig": sign(key, signed)}
        ca = self.ca
        der = ca.leaf.public_bytes(serialization.Encoding.DER)
        return "packed", {"alg": -7, "sig": sign(ca.leaf_key, signed), "x5c": [der]}

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str,
        credential_id: bytes | None = None,
        **forge: Any,
    ) -> dict[str, Any]:
        """navigator.credentials.get(): an AuthenticationResponseJSON."""
        pk = _public_key(options)
        cred_id = credential_id or self._pick(pk)
        held = self.credentials[cred_id]
        held.sign_count += self.sign_count_step
        count = forge.get("sign_count", held.sign_count)
        rp_id = forge.get("rp_id", pk.get("rpId", held.rp_id))
        client_data = self._client_data("webauthn.get", pk["challenge"], origin, forge)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(forge, attested=False)])
            + struct.pack(">I", count)
        )
        signature = sign(held.key, auth_data + hashlib.sha256(client_data).digest())
        if forge.get("bad_signature"):
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        response: dict[str, Any] = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        handle = forge.get("user_handle", held.user_handle)
        if handle is not DROP:
            response["userHandle"] = b64url(handle)
        result: dict[str, Any] = {
            "id": b64url(cred_id),
            "rawId": b64url(cred_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
        }
        if self.attachment is not None:
            result["authenticatorAttachment"] = self.attachment
        return result

    def _pick(self, pk: dict[str, Any]) -> bytes:
        allowed = [b64url_decode(c["id"]) for c in pk.get("allowCredentials") or []]
        for cred_id, held in self.credentials.items():
            if (not allowed or cred_id in allowed) and held.rp_id == pk.get("rpId", held.rp_id):
                return cred_id
        raise LookupError("no credential for these options")
