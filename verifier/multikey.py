"""Multibase and Multikey encodings of Ed25519 and NIST P-256/P-384 keys.

Controlled Identifiers 1.0 §2.2.2 (Multikey): ``publicKeyMultibase`` is base58btc multibase
(``z``) of a multicodec header plus the raw key; ``secretKeyMultibase`` likewise for secret keys.

Ed25519 public keys are also checked for small order: pyca/cryptography accepts such keys, and
with one of them a trivial signature verifies against *any* message (RFC 8032 does not forbid
them; "Taming the many EdDSAs", Chalkias et al. 2020, shows why verifiers must).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

Algorithm = Literal["Ed25519", "P-256", "P-384"]

# Multicodec codes, as the unsigned-varint bytes that prefix the key.
_ED25519_PUB = b"\xed\x01"
_ED25519_PRIV = b"\x80\x26"
P256_PUB_HEADER = b"\x80\x24"
P384_PUB_HEADER = b"\x81\x24"
_P256_PRIV = b"\x86\x26"
_P384_PRIV = b"\x87\x26"

_PUBLIC_HEADERS: dict[bytes, tuple[Algorithm, int]] = {
    _ED25519_PUB: ("Ed25519", 32),
    P256_PUB_HEADER: ("P-256", 33),
    P384_PUB_HEADER: ("P-384", 49),
}
_CURVES: dict[Algorithm, ec.EllipticCurve] = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}
_HASHES: dict[Algorithm, hashes.HashAlgorithm] = {
    "P-256": hashes.SHA256(),
    "P-384": hashes.SHA384(),
}


class InvalidKeyError(ValueError):
    """A key or multibase value that cannot be used (wrong header, length, or a weak key)."""


# --- Multibase -------------------------------------------------------------------------------


def decode_multibase(value: str) -> bytes:
    """Decode base58btc (``z``) or base64url-no-pad (``u``) multibase; raise ``InvalidKeyError``."""
    if not isinstance(value, str) or len(value) < 2:
        raise InvalidKeyError("a multibase value must be a non-empty string")
    prefix, body = value[0], value[1:]
    if prefix == "z":
        try:
            decoded: bytes = base58.b58decode(body.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise InvalidKeyError("invalid base58btc characters") from None
        if encode_base58btc(decoded) != value:  # refuse non-canonical leading-zero forms
            raise InvalidKeyError("non-canonical base58btc encoding")
        return decoded
    if prefix == "u":
        if "=" in body:
            raise InvalidKeyError("base64url multibase must not be padded")
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise InvalidKeyError("invalid base64url characters") from None
    raise InvalidKeyError(f"unsupported multibase prefix {prefix!r}")


def encode_base58btc(data: bytes) -> str:
    """Encode ``data`` as base58btc multibase (``z`` prefix)."""
    return "z" + base58.b58encode(data).decode("ascii")


def encode_base64url(data: bytes) -> str:
    """Encode ``data`` as base64url-no-pad multibase (``u`` prefix)."""
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


# --- Ed25519 small-order check (RFC 8032 §5.1.3 point decoding, then [8]P == O) ---------------

_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _decode_point(raw: bytes) -> tuple[int, int] | None:
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    sign = raw[31] >> 7
    if y >= _P:
        return None  # non-canonical encoding
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = (u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P)) % _P
    if (v * x * x - u) % _P != 0:
        x = (x * _SQRT_M1) % _P
        if (v * x * x - u) % _P != 0:
            return None  # not on the curve
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return x, y


def _double(point: tuple[int, int]) -> tuple[int, int]:
    x, y = point
    xx, yy = x * x % _P, y * y % _P
    dxy = _D * xx * yy % _P
    x3 = 2 * x * y * pow(1 + dxy, _P - 2, _P) % _P
    y3 = (yy + xx) * pow(1 - dxy, _P - 2, _P) % _P
    return x3, y3


@lru_cache(maxsize=1024)
def _is_weak_ed25519(raw: bytes) -> bool:
    point = _decode_point(raw)
    if point is None:
        return True
    for _ in range(3):
        point = _double(point)
    return point == (0, 1)


# --- Keys ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A verification key: algorithm plus raw (compressed, for EC) bytes."""

    algorithm: Algorithm
    raw: bytes

    @property
    def multibase(self) -> str:
        """The key as ``publicKeyMultibase``."""
        header = {"Ed25519": _ED25519_PUB, "P-256": P256_PUB_HEADER, "P-384": P384_PUB_HEADER}[self.algorithm]
        return encode_base58btc(header + self.raw)

    def verify(self, signature: bytes, data: bytes) -> None:
        """Raise ``cryptography.exceptions.InvalidSignature`` unless ``signature`` is valid.

        Ed25519 signatures must be 64 bytes with a canonical S (< L; OpenSSL enforces it);
        ECDSA signatures are IEEE P1363 ``r || s`` as the ecdsa-*-2019 suites specify.
        """
        if self.algorithm == "Ed25519":
            if len(signature) != 64:
                raise InvalidSignature("an Ed25519 signature is 64 bytes")
            ed25519.Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
            return
        size = 32 if self.algorithm == "P-256" else 48
        if len(signature) != 2 * size:
            raise InvalidSignature(f"a {self.algorithm} signature is {2 * size} bytes (r || s)")
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        key = ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[self.algorithm], self.raw)
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(_HASHES[self.algorithm]))


def decode_public_key_multibase(value: str) -> PublicKey:
    """Decode a Multikey ``publicKeyMultibase``; refuse unknown headers and weak keys."""
    decoded = decode_multibase(value)
    if not value.startswith("z"):
        raise InvalidKeyError("publicKeyMultibase must be base58btc (start with 'z')")
    found = _PUBLIC_HEADERS.get(decoded[:2])
    if found is None:
        raise InvalidKeyError("unsupported key type (multicodec header is not Ed25519, P-256 or P-384)")
    algorithm, length = found
    raw = decoded[2:]
    if len(raw) != length:
        raise InvalidKeyError(f"a {algorithm} public key is {length} bytes, this one is {len(raw)}")
    if algorithm == "Ed25519" and _is_weak_ed25519(raw):
        raise InvalidKeyError("the Ed25519 public key is a small-order or invalid point; it is refused")
    if algorithm != "Ed25519":
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[algorithm], raw)
        except ValueError:
            raise InvalidKeyError(f"the {algorithm} public key is not a point on the curve") from None
    return PublicKey(algorithm, raw)


def public_key_from_raw_ed25519(raw: bytes) -> PublicKey:
    """Wrap 32 raw Ed25519 public-key bytes, with the same checks as the multibase path."""
    if len(raw) != 32 or _is_weak_ed25519(raw):
        raise InvalidKeyError("not a usable Ed25519 public key")
    return PublicKey("Ed25519", raw)


class Signer(Protocol):
    """What Data Integrity proof creation needs from a key holder.

    The issuer passes a ``Signer`` in, so proof creation (which needs no secret) and
    verification hash exactly the same bytes.
    """

    @property
    def algorithm(self) -> Algorithm: ...

    @property
    def verification_method(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


class Ed25519Signer:
    """A :class:`Signer` over an in-memory Ed25519 private key."""

    algorithm: Algorithm = "Ed25519"

    def __init__(self, private_key: ed25519.Ed25519PrivateKey, verification_method: str) -> None:
        if not verification_method:
            raise ValueError("verification_method must be the DID URL of the signing key")
        self._key = private_key
        self.verification_method = verification_method

    @property
    def public_key(self) -> PublicKey:
        return PublicKey("Ed25519", self._key.public_key().public_bytes_raw())

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def __repr__(self) -> str:  # never show key material
        return f"Ed25519Signer(verification_method={self.verification_method!r})"


def decode_ed25519_secret_multibase(value: str) -> ed25519.Ed25519PrivateKey:
    """Decode an Ed25519 ``secretKeyMultibase`` (header 0x1300 + 32-byte seed).

    The 64-byte ``seed || public key`` form some older tools (and the 1EdTech OB 3.0 vector)
    write is accepted when its public half matches the seed.
    """
    decoded = decode_multibase(value)
    if decoded[:2] != _ED25519_PRIV:
        raise InvalidKeyError("not an Ed25519 secret key (multicodec header 0x1300 expected)")
    body = decoded[2:]
    if len(body) not in (32, 64):
        raise InvalidKeyError(f"an Ed25519 secret key is 32 bytes, this one is {len(body)}")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(body[:32])
    if len(body) == 64 and key.public_key().public_bytes_raw() != body[32:]:
        raise InvalidKeyError("the 64-byte secret key's public half does not match its seed")
    return key


def encode_ed25519_secret_multibase(key: ed25519.Ed25519PrivateKey) -> str:
    """Encode an Ed25519 private key as ``secretKeyMultibase`` (32-byte seed form)."""
    return encode_base58btc(_ED25519_PRIV + key.private_bytes_raw())
