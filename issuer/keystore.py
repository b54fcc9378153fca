"""The issuer's Ed25519 signing keys, encrypted at rest with a passphrase.

The key store is a directory holding one JSON file per key, named
``<directory>/<fingerprint>.key.json`` where the fingerprint is the key's
``publicKeyMultibase`` (``z6Mk…``). Public information (fingerprint, creation time) can be
read without the passphrase; signing needs it.

File format, version 1
----------------------

.. code-block:: json

    {
      "version": 1,
      "type": "microcred-encrypted-ed25519",
      "comment": "optional, free text, not authenticated",
      "publicKeyMultibase": "z6Mk…",
      "created": "2025-01-01T00:00:00Z",
      "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<base64url, 16 bytes>"},
      "cipher": {"name": "AES-256-GCM", "nonce": "<base64url, 12 bytes>"},
      "ciphertext": "<base64url, 32 + 16 bytes>"
    }

* base64url is RFC 4648 §5 without padding.
* The 32-byte AES key is ``scrypt(passphrase, salt, n, r, p)``; the passphrase is its UTF-8
  bytes after Unicode NFC normalisation. ``n`` is recorded per file (``2**15`` by default),
  so files written with another cost still decrypt; readers accept powers of two from
  ``2**10`` to ``2**18``, ``r = 8`` and ``p = 1``.
* The plaintext is the 32-byte Ed25519 seed (RFC 8032 private key); the ciphertext is the
  AES-256-GCM output (ciphertext followed by the 16-byte tag).
* The associated data is ``b"microcred-encrypted-ed25519\\x00" + b"1" + b"\\x00" +
  publicKeyMultibase`` (ASCII): a ciphertext only decrypts under the public key and version
  it was written for, so swapping ciphertexts between files fails.
* After decryption the public key derived from the seed must equal ``publicKeyMultibase``.
* The file's name stem must equal its ``publicKeyMultibase``, and the file must not be
  accessible to group or others (mode ``0600``); anything else is refused.

Files are written atomically (a temporary file in the same directory, ``fsync``, then a hard
link to the final name, :func:`issuer.atomic_files.write_atomically`) and never overwrite an
existing key. A decrypted key is kept in memory by its
:class:`KeyStore`, so the scrypt cost (~50-100 ms) is paid once per key and process.

Nothing here logs, prints or puts in an exception the passphrase or a private key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from verifier.jsonsafe import parse_json
from verifier.multikey import (
    Ed25519Signer,
    InvalidKeyError,
    PublicKey,
    decode_public_key_multibase,
)
from verifier.problems import ProblemError

from .atomic_files import write_atomically
from .i18n import IssuerText, t

__all__ = [
    "DEFAULT_SCRYPT_N",
    "FILE_SUFFIX",
    "FILE_TYPE",
    "FORMAT_VERSION",
    "MIN_PASSPHRASE_LENGTH",
    "KeyStore",
    "KeyStoreError",
    "Passphrase",
    "Sealed",
    "StoredKey",
    "read_passphrase",
]

#: The version of the file format this module writes (and the only one it reads).
FORMAT_VERSION = 1
#: The ``type`` of a key file.
FILE_TYPE = "microcred-encrypted-ed25519"
#: Key files are ``<fingerprint>`` + this suffix.
FILE_SUFFIX = ".key.json"
#: scrypt cost used for new keys (~50-100 ms, 32 MiB of memory).
DEFAULT_SCRYPT_N = 2**15
#: Bounds on the scrypt cost a reader accepts (the upper one caps memory at 256 MiB).
MIN_SCRYPT_N = 2**10
MAX_SCRYPT_N = 2**18
#: Passphrases shorter than this (in characters) are refused.
MIN_PASSPHRASE_LENGTH = 12
#: Longer passphrases (or passphrase files) are refused as a configuration mistake.
MAX_PASSPHRASE_LENGTH = 1024

_SCRYPT_R = 8
_SCRYPT_P = 1
_SALT_BYTES = 16
_NONCE_BYTES = 12
_SEED_BYTES = 32
_TAG_BYTES = 16
_MAX_FILE_BYTES = 64 * 1024
_COMMENT = "Ed25519 signing key of a microcred issuer, encrypted with the issuer's passphrase."
_KNOWN_FIELDS = frozenset(
    {"version", "type", "comment", "publicKeyMultibase", "created", "kdf", "cipher", "ciphertext"}
)

KeyStoreErrorReason = Literal[
    "no-passphrase",
    "passphrase-conflict",
    "passphrase-invalid",
    "passphrase-file",
    "decryption-failed",
    "unknown-key",
    "missing-file",
    "invalid-fingerprint",
    "unsafe-permissions",
    "unsupported-version",
    "malformed-file",
    "name-mismatch",
    "key-exists",
    "io-error",
]


class KeyStoreError(Exception):
    """A key store problem, said safely: ``message`` never holds a secret.

    ``reason`` is a stable machine-readable code (see :data:`KeyStoreErrorReason`).
    """

    def __init__(self, reason: KeyStoreErrorReason, message: IssuerText) -> None:
        super().__init__(str(message))
        self.reason: KeyStoreErrorReason = reason
        self.message: IssuerText = message

    def __repr__(self) -> str:
        return f"KeyStoreError({self.reason!r}, {str(self.message)!r})"


def _no_passphrase_error() -> KeyStoreError:
    return KeyStoreError(
        "no-passphrase",
        t("No key passphrase is configured: set MICROCRED_KEY_PASSPHRASE or MICROCRED_KEY_PASSPHRASE_FILE."),
    )


class Passphrase:
    """The key store passphrase. ``repr()`` and ``str()`` never show it; :meth:`bytes` does.

    The text is normalised to Unicode NFC, so the same passphrase typed on different systems
    gives the same key. It must have at least :data:`MIN_PASSPHRASE_LENGTH` characters.
    """

    __slots__ = ("_secret",)

    def __init__(self, value: str) -> None:
        normalised = unicodedata.normalize("NFC", value)
        if len(normalised) < MIN_PASSPHRASE_LENGTH:
            raise KeyStoreError(
                "passphrase-invalid",
                t(
                    "The key passphrase is too short: use at least {minimum} characters.",
                    minimum=MIN_PASSPHRASE_LENGTH,
                ),
            )
        if len(normalised) > MAX_PASSPHRASE_LENGTH:
            raise KeyStoreError(
                "passphrase-invalid",
                t(
                    "The key passphrase is too long: use at most {maximum} characters.",
                    maximum=MAX_PASSPHRASE_LENGTH,
                ),
            )
        self._secret = normalised.encode("utf-8")

    def bytes(self) -> bytes:
        """The passphrase as UTF-8 bytes (NFC)."""
        return self._secret

    def __repr__(self) -> str:
        return "Passphrase(<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # no pickling: a pickle would hold the secret in the clear
        raise TypeError("a Passphrase cannot be pickled")


def read_passphrase(*, value: str | None, file: Path | None) -> Passphrase:
    """The passphrase from ``MICROCRED_KEY_PASSPHRASE`` (``value``) or ``…_FILE`` (``file``).

    Exactly one must be given; an empty ``value`` counts as not given (as an unset variable
    in a compose file comes through). A file is read as UTF-8 and its trailing line breaks
    are removed. Raises :class:`KeyStoreError`.
    """
    if value == "":
        value = None
    if value is not None and file is not None:
        raise KeyStoreError(
            "passphrase-conflict",
            t(
                "Both MICROCRED_KEY_PASSPHRASE and MICROCRED_KEY_PASSPHRASE_FILE are set; set only one of them."
            ),
        )
    if value is not None:
        return Passphrase(value)
    if file is None:
        raise _no_passphrase_error()
    try:
        with file.open("rb") as handle:
            raw = handle.read(4 * MAX_PASSPHRASE_LENGTH + 3)
    except OSError as exc:
        raise KeyStoreError(
            "passphrase-file",
            t(
                "Cannot read the key passphrase file {path}: {reason}.",
                path=str(file),
                reason=exc.strerror or type(exc).__name__,
            ),
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyStoreError(
            "passphrase-file",
            t("The key passphrase file {path} is not UTF-8 text.", path=str(file)),
        ) from None
    return Passphrase(text.rstrip("\r\n"))


@dataclass(frozen=True, slots=True)
class StoredKey:
    """Public information about one key in the store (no secret in here)."""

    fingerprint: str
    public_key: PublicKey
    created: datetime
    path: Path

    @property
    def did_key(self) -> str:
        return f"did:key:{self.fingerprint}"

    def __repr__(self) -> str:
        return f"StoredKey({self.fingerprint}, created={self.created.isoformat()}, path={str(self.path)!r})"


@dataclass(frozen=True, slots=True)
class _KeyFile:
    stored: StoredKey
    sealed: Sealed

    def __repr__(self) -> str:
        return f"_KeyFile({self.stored!r})"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(value: str) -> bytes:
    if "=" in value or not value.isascii():
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass(frozen=True, slots=True)
class Sealed:
    """A secret encrypted with the key passphrase: the ``kdf``, ``cipher`` and ``ciphertext``
    members of a key file (module docstring), also used for other secrets kept beside the keys
    (:mod:`issuer.link_secret`). Made by :meth:`KeyStore.seal`, opened by :meth:`KeyStore.unseal`."""

    n: int
    salt: bytes
    nonce: bytes
    ciphertext: bytes

    def members(self) -> dict[str, Any]:
        """The JSON members ``kdf``, ``cipher`` and ``ciphertext``."""
        return {
            "kdf": {
                "name": "scrypt",
                "n": self.n,
                "r": _SCRYPT_R,
                "p": _SCRYPT_P,
                "salt": _b64encode(self.salt),
            },
            "cipher": {"name": "AES-256-GCM", "nonce": _b64encode(self.nonce)},
            "ciphertext": _b64encode(self.ciphertext),
        }

    @classmethod
    def parse(
        cls, document: Mapping[str, Any], plaintext_bytes: int, malformed: Callable[[str], Exception]
    ) -> Sealed:
        """Read and check the members of :meth:`members`; ``malformed(field)`` names a bad one."""
        kdf = document.get("kdf")
        if (
            not isinstance(kdf, dict)
            or kdf.get("name") != "scrypt"
            or set(kdf) != {"name", "n", "r", "p", "salt"}
        ):
            raise malformed("kdf")
        n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
        if (
            type(n) is not int
            or not _is_power_of_two(n)
            or not MIN_SCRYPT_N <= n <= MAX_SCRYPT_N
            or r != _SCRYPT_R
            or p != _SCRYPT_P
            or type(r) is not int
            or type(p) is not int
        ):
            raise malformed("kdf")
        cipher = document.get("cipher")
        if (
            not isinstance(cipher, dict)
            or cipher.get("name") != "AES-256-GCM"
            or set(cipher) != {"name", "nonce"}
        ):
            raise malformed("cipher")

        def decode(value: Any, field: str, length: int) -> bytes:
            if not isinstance(value, str):
                raise malformed(field)
            try:
                data = _b64decode(value)
            except (binascii.Error, ValueError):
                raise malformed(field) from None
            if len(data) != length:
                raise malformed(field)
            return data

        return cls(
            n=n,
            salt=decode(kdf.get("salt"), "kdf.salt", _SALT_BYTES),
            nonce=decode(cipher.get("nonce"), "cipher.nonce", _NONCE_BYTES),
            ciphertext=decode(document.get("ciphertext"), "ciphertext", plaintext_bytes + _TAG_BYTES),
        )


def _aad(public_key_multibase: str) -> bytes:
    return (
        FILE_TYPE.encode("ascii")
        + b"\x00"
        + str(FORMAT_VERSION).encode("ascii")
        + b"\x00"
        + public_key_multibase.encode("ascii")
    )


def _derive_key(passphrase: Passphrase, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=_SCRYPT_R, p=_SCRYPT_P).derive(passphrase.bytes())


def _is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def _raw_public(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes_raw()


class KeyStore:
    """A directory of passphrase-encrypted Ed25519 keys.

    ``passphrase`` may be ``None``: then :meth:`list` and :meth:`get` work, and everything
    that needs a private key raises a :class:`KeyStoreError` saying how to configure one.
    ``scrypt_n`` is the cost for keys this store *writes* (tests lower it to ``2**10``);
    every file records its own cost, so keys written with any accepted cost can be read.
    Safe to share between threads.
    """

    def __init__(
        self, directory: Path, passphrase: Passphrase | None, *, scrypt_n: int = DEFAULT_SCRYPT_N
    ) -> None:
        if not _is_power_of_two(scrypt_n) or not MIN_SCRYPT_N <= scrypt_n <= MAX_SCRYPT_N:
            raise ValueError(f"scrypt_n must be a power of two from {MIN_SCRYPT_N} to {MAX_SCRYPT_N}")
        self.directory = Path(directory)
        self._passphrase = passphrase
        self._scrypt_n = scrypt_n
        self._private_keys: dict[str, Ed25519PrivateKey] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "set" if self._passphrase is not None else "not set"
        return f"KeyStore({str(self.directory)!r}, passphrase {state})"

    # --- Public information ------------------------------------------------------------------

    def list(self) -> list[StoredKey]:
        """Every key in the store, oldest first; needs no passphrase.

        A missing directory is an empty store. Any unusable key file raises.
        """
        if not self.directory.is_dir():
            return []
        keys = [self._read(path).stored for path in self.directory.glob("*" + FILE_SUFFIX)]
        return sorted(keys, key=lambda key: (key.created, key.fingerprint))

    def get(self, fingerprint: str) -> StoredKey:
        """The key whose ``publicKeyMultibase`` is ``fingerprint``; needs no passphrase."""
        return self._read(self._path_for(fingerprint)).stored

    # --- Private keys ------------------------------------------------------------------------

    def signer(self, fingerprint: str, verification_method: str) -> Ed25519Signer:
        """A signer for ``fingerprint``, decrypting the key on first use (then cached)."""
        private_key = self._private_keys.get(fingerprint)
        if private_key is None:
            with self._lock:
                private_key = self._private_keys.get(fingerprint)
                if private_key is None:
                    private_key = self._decrypt(self._read(self._path_for(fingerprint)))
                    self._private_keys[fingerprint] = private_key
        return Ed25519Signer(private_key, verification_method)

    def seal(self, plaintext: bytes, aad: bytes) -> Sealed:
        """Encrypt ``plaintext`` with the passphrase, as key files are (fresh salt and nonce)."""
        salt, nonce = os.urandom(_SALT_BYTES), os.urandom(_NONCE_BYTES)
        aes_key = _derive_key(self._require_passphrase(), salt, self._scrypt_n)
        return Sealed(self._scrypt_n, salt, nonce, AESGCM(aes_key).encrypt(nonce, plaintext, aad))

    def unseal(self, sealed: Sealed, aad: bytes) -> bytes:
        """The plaintext of ``sealed``; raises :class:`cryptography.exceptions.InvalidTag` when the
        passphrase or the associated data is wrong or the ciphertext was changed."""
        aes_key = _derive_key(self._require_passphrase(), sealed.salt, sealed.n)
        return AESGCM(aes_key).decrypt(sealed.nonce, sealed.ciphertext, aad)

    def private_seed(self, fingerprint: str) -> bytes:
        """The raw 32-byte seed of ``fingerprint``, for the issuer's own signing worker processes.

        It crosses only the local pipe to a worker the issuer itself starts
        (:mod:`issuer.signing`); never log it, never send it anywhere else.
        """
        self.signer(fingerprint, "unused#seed")  # decrypt (and cache) on first use
        return self._private_keys[fingerprint].private_bytes_raw()

    def generate(self) -> StoredKey:
        """Create a new Ed25519 key and store it encrypted."""
        return self._store(Ed25519PrivateKey.generate())

    def import_key(self, private_key: Ed25519PrivateKey) -> StoredKey:
        """Store an existing private key (e.g. from a Multikey file); refuse one already stored."""
        return self._store(private_key)

    # --- Internals ---------------------------------------------------------------------------

    def _require_passphrase(self) -> Passphrase:
        if self._passphrase is None:
            raise _no_passphrase_error()
        return self._passphrase

    def _path_for(self, fingerprint: str) -> Path:
        # The fingerprint becomes a file name: accept only a valid Ed25519 multibase (so no
        # path separators), and never echo an invalid one (it might be a pasted secret key).
        try:
            public_key = decode_public_key_multibase(fingerprint)
        except InvalidKeyError:
            public_key = None
        if public_key is None or public_key.algorithm != "Ed25519":
            raise KeyStoreError(
                "invalid-fingerprint",
                t("The key fingerprint is not an Ed25519 public key multibase (z6Mk…)."),
            )
        path = self.directory / (fingerprint + FILE_SUFFIX)
        if not path.exists():
            raise KeyStoreError(
                "unknown-key",
                t(
                    "There is no key {fingerprint} in the key store {directory}.",
                    fingerprint=fingerprint,
                    directory=str(self.directory),
                ),
            )
        return path

    def _read(self, path: Path) -> _KeyFile:
        """Read and check a key file (permissions, format, name); decrypt nothing."""
        shown = str(path)
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
        except FileNotFoundError:
            raise KeyStoreError("unknown-key", t("The key file {path} does not exist.", path=shown)) from None
        except OSError as exc:
            raise KeyStoreError(
                "io-error",
                t(
                    "Cannot read the key file {path}: {reason}.",
                    path=shown,
                    reason=exc.strerror or type(exc).__name__,
                ),
            ) from None
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise KeyStoreError(
                    "malformed-file", t("The key file {path} is not a regular file.", path=shown)
                )
            if info.st_mode & 0o077:
                raise KeyStoreError(
                    "unsafe-permissions",
                    t(
                        "The key file {path} can be accessed by other users (mode {mode}); it is not loaded. Run: chmod 600 {path}",
                        path=shown,
                        mode=f"{stat.S_IMODE(info.st_mode):04o}",
                    ),
                )
            raw = handle.read(_MAX_FILE_BYTES + 1)
        try:
            document: Any = parse_json(raw, max_bytes=_MAX_FILE_BYTES)
        except ProblemError as exc:
            raise KeyStoreError(
                "malformed-file",
                t("The key file {path} is not valid JSON: {reason}", path=shown, reason=exc.problem.detail),
            ) from None
        if not isinstance(document, dict):
            raise KeyStoreError("malformed-file", t("The key file {path} is not a JSON object.", path=shown))
        if document.get("type") != FILE_TYPE:
            raise KeyStoreError(
                "malformed-file",
                t("The file {path} is not a microcred encrypted key file.", path=shown),
            )
        version = document.get("version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            shown_version = (
                str(version) if isinstance(version, int) and not isinstance(version, bool) else "?"
            )
            raise KeyStoreError(
                "unsupported-version",
                t(
                    "The key file {path} has format version {version}; this version of microcred reads version {supported}.",
                    path=shown,
                    version=shown_version[:20],
                    supported=FORMAT_VERSION,
                ),
            )
        return self._parse(path, document)

    def _parse(self, path: Path, document: dict[str, Any]) -> _KeyFile:
        shown = str(path)

        def malformed(field: str) -> KeyStoreError:
            return KeyStoreError(
                "malformed-file",
                t("The key file {path} is damaged: {field} is missing or invalid.", path=shown, field=field),
            )

        unknown = sorted(set(document) - _KNOWN_FIELDS)
        if unknown:
            raise malformed(unknown[0][:40])
        if not isinstance(document.get("comment", ""), str):
            raise malformed("comment")
        multibase = document.get("publicKeyMultibase")
        if not isinstance(multibase, str):
            raise malformed("publicKeyMultibase")
        try:
            public_key = decode_public_key_multibase(multibase)
        except InvalidKeyError:
            raise malformed("publicKeyMultibase") from None
        if public_key.algorithm != "Ed25519":
            raise malformed("publicKeyMultibase")
        if path.name != multibase + FILE_SUFFIX:
            raise KeyStoreError(
                "name-mismatch",
                t(
                    "The key file {path} holds the key {fingerprint}; its name must be {expected}.",
                    path=shown,
                    fingerprint=multibase,
                    expected=multibase + FILE_SUFFIX,
                ),
            )
        created_text = document.get("created")
        try:
            if not isinstance(created_text, str):
                raise ValueError
            created = datetime.fromisoformat(created_text)
        except ValueError:
            raise malformed("created") from None
        if created.tzinfo is None:
            raise malformed("created")

        sealed = Sealed.parse(document, _SEED_BYTES, malformed)
        stored = StoredKey(fingerprint=multibase, public_key=public_key, created=created, path=path)
        return _KeyFile(stored=stored, sealed=sealed)

    def _decrypt(self, key_file: _KeyFile) -> Ed25519PrivateKey:
        fingerprint = key_file.stored.fingerprint
        failed = KeyStoreError(
            "decryption-failed",
            t(
                "Cannot decrypt the key {fingerprint}: the passphrase is wrong or the key file {path} is damaged.",
                fingerprint=fingerprint,
                path=str(key_file.stored.path),
            ),
        )
        try:
            seed = self.unseal(key_file.sealed, _aad(fingerprint))
        except InvalidTag:
            raise failed from None
        if len(seed) != _SEED_BYTES:
            raise failed
        private_key = Ed25519PrivateKey.from_private_bytes(seed)
        if _raw_public(private_key) != key_file.stored.public_key.raw:
            raise failed
        return private_key

    def _store(self, private_key: Ed25519PrivateKey) -> StoredKey:
        public_key = PublicKey("Ed25519", _raw_public(private_key))
        fingerprint = public_key.multibase
        path = self.directory / (fingerprint + FILE_SUFFIX)
        created = datetime.now(UTC).replace(microsecond=0)
        sealed = self.seal(private_key.private_bytes_raw(), _aad(fingerprint))
        document = {
            "version": FORMAT_VERSION,
            "type": FILE_TYPE,
            "comment": _COMMENT,
            "publicKeyMultibase": fingerprint,
            "created": created.isoformat().replace("+00:00", "Z"),
            **sealed.members(),
        }
        self._write_new(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"), fingerprint)
        with self._lock:
            self._private_keys[fingerprint] = private_key
        return StoredKey(fingerprint=fingerprint, public_key=public_key, created=created, path=path)

    def _write_new(self, path: Path, data: bytes, fingerprint: str) -> None:
        """Write ``data`` to ``path`` atomically, mode 0600; refuse to replace a file."""
        try:
            self._ensure_directory()
            if path.exists():
                raise KeyStoreError(
                    "key-exists",
                    t(
                        "The key {fingerprint} is already in the key store ({path}); it was not overwritten.",
                        fingerprint=fingerprint,
                        path=str(path),
                    ),
                )
            try:
                write_atomically(path, data, durable=True, exclusive=True)
            except FileExistsError:  # another writer won the race; keep its file
                raise KeyStoreError(
                    "key-exists",
                    t(
                        "The key {fingerprint} is already in the key store ({path}); it was not overwritten.",
                        fingerprint=fingerprint,
                        path=str(path),
                    ),
                ) from None
        except OSError as exc:
            raise KeyStoreError(
                "io-error",
                t(
                    "Cannot write the key file {path}: {reason}.",
                    path=str(path),
                    reason=exc.strerror or type(exc).__name__,
                ),
            ) from None

    def _ensure_directory(self) -> None:
        if self.directory.is_dir():
            return
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)  # mkdir's mode is reduced by the umask
