"""Multikey key pair files, as the W3C test vectors write them.

A key pair file is JSON with ``publicKeyMultibase`` and ``secretKeyMultibase`` (or the older
name ``privateKeyMultibase``), optionally ``id``/``controller``. It holds a private key in the
clear: it is for ``microcred sign`` and for tests. The issuer service keeps its keys encrypted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from verifier.jsonsafe import parse_json
from verifier.multikey import (
    Ed25519Signer,
    InvalidKeyError,
    PublicKey,
    decode_ed25519_secret_multibase,
    decode_public_key_multibase,
    encode_ed25519_secret_multibase,
)
from verifier.problems import ProblemError


class KeyFileError(ValueError):
    """A key pair file that cannot be used; the message says why (never the key itself)."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    """An Ed25519 key pair and its did:key."""

    private_key: ed25519.Ed25519PrivateKey
    public_key: PublicKey

    @property
    def did_key(self) -> str:
        return f"did:key:{self.public_key.multibase}"

    @property
    def did_key_method(self) -> str:
        """The verification method id of the did:key (``did:key:z6Mk…#z6Mk…``)."""
        return f"{self.did_key}#{self.public_key.multibase}"

    def signer(self, verification_method: str | None = None) -> Ed25519Signer:
        return Ed25519Signer(self.private_key, verification_method or self.did_key_method)

    def __repr__(self) -> str:  # never show key material
        return f"KeyPair({self.did_key})"

    @classmethod
    def generate(cls) -> KeyPair:
        private_key = ed25519.Ed25519PrivateKey.generate()
        return cls(private_key, PublicKey("Ed25519", private_key.public_key().public_bytes_raw()))


def load_key_pair(path: Path) -> KeyPair:
    """Read a Multikey key pair file and check its halves belong together."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror or exc}") from None
    try:
        document: Any = parse_json(raw, max_bytes=64 * 1024)
    except ProblemError:
        raise KeyFileError(f"key file {path} is not valid JSON") from None
    if not isinstance(document, dict):
        raise KeyFileError(f"key file {path} is not a JSON object")
    secret = document.get("secretKeyMultibase", document.get("privateKeyMultibase"))
    public = document.get("publicKeyMultibase")
    if not isinstance(secret, str) or not isinstance(public, str):
        raise KeyFileError(
            f"key file {path} needs publicKeyMultibase and secretKeyMultibase (or privateKeyMultibase)"
        )
    try:
        private_key = decode_ed25519_secret_multibase(secret)
        public_key = decode_public_key_multibase(public)
    except InvalidKeyError as exc:
        raise KeyFileError(f"key file {path}: {exc}") from None
    if public_key.algorithm != "Ed25519" or private_key.public_key().public_bytes_raw() != public_key.raw:
        raise KeyFileError(f"key file {path}: the public key does not belong to the secret key")
    return KeyPair(private_key, public_key)


def write_key_pair(path: Path, key_pair: KeyPair, *, overwrite: bool = False) -> None:
    """Write ``key_pair`` as a Multikey file readable only by its owner (mode 0600)."""
    document = {
        "comment": "Ed25519 Multikey pair. The secret key is NOT encrypted: keep this file private.",
        "type": "Multikey",
        "id": key_pair.did_key_method,
        "controller": key_pair.did_key,
        "publicKeyMultibase": key_pair.public_key.multibase,
        "secretKeyMultibase": encode_ed25519_secret_multibase(key_pair.private_key),
    }
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; choose another file or pass --force") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, indent=2) + "\n")
