"""The secret behind learners' download links, kept encrypted at rest beside the signing keys.

One random 32-byte secret per deployment, in ``<keys_dir>/download-links.secret.json``. It is
encrypted exactly as the signing keys are (:mod:`issuer.keystore`: scrypt from the key
passphrase, AES-256-GCM), so a copy of the database, or of the keys folder without the
passphrase, cannot produce a single download link.

File format, version 1
----------------------

.. code-block:: json

    {
      "version": 1,
      "type": "microcred-encrypted-link-secret",
      "comment": "free text, not authenticated",
      "created": "2026-01-01T00:00:00Z",
      "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<base64url, 16 bytes>"},
      "cipher": {"name": "AES-256-GCM", "nonce": "<base64url, 12 bytes>"},
      "ciphertext": "<base64url, 32 + 16 bytes>"
    }

``kdf``, ``cipher`` and ``ciphertext`` are those of a key file (:class:`issuer.keystore.Sealed`,
:meth:`~issuer.keystore.KeyStore.seal`); the associated data is ``b"microcred-encrypted-link-secret\\x001"``. The file must not be
accessible to group or others (mode ``0600``).

The secret is created on first use by whichever process needs it first. It is written to a
temporary file and then hard-linked to its final name, which fails if the name exists, so when
several processes (or machines sharing the keys folder) start at once exactly one secret wins
and every process reads that one. A process decrypts it once and keeps it in memory, and reads
it again when the file has changed (``microcred new-link-secret`` replaced it in another
process): one ``stat`` per use, so a running service never hands out links made with a secret
that is no longer the deployment's.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

from verifier.jsonsafe import parse_json
from verifier.problems import ProblemError

from .atomic_files import write_atomically
from .i18n import t
from .keystore import KeyStore, KeyStoreError, Sealed

FILE_NAME = "download-links.secret.json"
FILE_TYPE = "microcred-encrypted-link-secret"
FORMAT_VERSION = 1
SECRET_BYTES = 32
_MAX_FILE_BYTES = 16 * 1024
_AAD = FILE_TYPE.encode("ascii") + b"\x00" + str(FORMAT_VERSION).encode("ascii")
_COMMENT = "The secret behind learners' download links, encrypted with the issuer's key passphrase."

#: Which file a secret was read from: device, inode, size and modification time.
_FileIdentity = tuple[int, int, int, int]
_secrets: weakref.WeakKeyDictionary[KeyStore, tuple[_FileIdentity | None, bytes]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def _identity_of(info: os.stat_result) -> _FileIdentity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _current_identity(path: Path) -> _FileIdentity | None:
    try:
        return _identity_of(path.stat())
    except OSError:
        return None


def link_secret(keys: KeyStore, *, create: bool = True) -> bytes:
    """The deployment's link secret, decrypted once per key store; made now if there is none
    and ``create`` (callers allow that only while no link has been handed out:
    :mod:`issuer.download_links`).

    Raises :class:`~issuer.keystore.KeyStoreError` when no passphrase is configured, the
    passphrase does not open the file, the file is damaged or readable by others, or (reason
    ``missing-file``) there is no file and ``create`` is false.
    """
    path = keys.directory / FILE_NAME
    cached = _secrets.get(keys)
    # The secret read before, unless the file was replaced since; a file that went missing
    # while the process runs leaves it the secret it knows.
    if cached is not None and _current_identity(path) in (cached[0], None):
        return cached[1]
    with _lock:
        cached = _secrets.get(keys)
        identity = _current_identity(path)
        if cached is not None and identity in (cached[0], None):
            return cached[1]
        if identity is not None:
            secret, identity = _read(keys, path)
        elif create:
            secret = _create(keys, path)
            identity = _current_identity(path)
        else:
            raise KeyStoreError(
                "missing-file",
                t(
                    "The download-link secret {path} is missing. Learners' links were made with it: restore it from the backup of the keys folder (MICROCRED_KEYS_DIR). A new secret would break every link already handed out.",
                    path=str(path),
                ),
            )
        _secrets[keys] = (identity, secret)
    return secret


def _damaged(path: Path) -> KeyStoreError:
    return KeyStoreError(
        "malformed-file",
        t("The download-link secret {path} is damaged; restore it from a backup.", path=str(path)),
    )


def _read(keys: KeyStore, path: Path) -> tuple[bytes, _FileIdentity]:
    """The secret in ``path`` and the identity of the file it was read from."""
    shown = str(path)
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            mode = info.st_mode
            raw = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise KeyStoreError(
            "io-error",
            t(
                "Cannot read the download-link secret {path}: {reason}.",
                path=shown,
                reason=exc.strerror or type(exc).__name__,
            ),
        ) from None
    if mode & 0o077:
        raise KeyStoreError(
            "unsafe-permissions",
            t(
                "The download-link secret {path} can be read by other users (mode {mode}); it is not used. Run: chmod 600 {path}",
                path=shown,
                mode=f"{stat.S_IMODE(mode):04o}",
            ),
        )
    try:
        document: Any = parse_json(raw, max_bytes=_MAX_FILE_BYTES)
    except ProblemError:
        raise _damaged(path) from None
    if not isinstance(document, dict) or document.get("type") != FILE_TYPE:
        raise _damaged(path)
    if document.get("version") != FORMAT_VERSION or isinstance(document.get("version"), bool):
        raise KeyStoreError(
            "unsupported-version",
            t("The download-link secret {path} was written by another version of microcred.", path=shown),
        )
    sealed = Sealed.parse(document, SECRET_BYTES, lambda _field: _damaged(path))
    try:
        return keys.unseal(sealed, _AAD), _identity_of(info)
    except InvalidTag:
        raise KeyStoreError(
            "decryption-failed",
            t(
                "Cannot decrypt the download-link secret {path}: the key passphrase is wrong or the file is damaged.",
                path=shown,
            ),
        ) from None


def replace_link_secret(keys: KeyStore) -> bytes:
    """Write a new link secret over the old one (or in place of a lost one) and use it from now on.

    Every link made with the old secret stops working: only
    :func:`issuer.download_links.reset_links` calls this, inside the transaction that gives
    every certificate its new link. Other processes read the new file at their next use.
    """
    path = keys.directory / FILE_NAME
    secret = os.urandom(SECRET_BYTES)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(path, _document(keys, secret), durable=True)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    with _lock:
        _secrets[keys] = (_current_identity(path), secret)
    return secret


def _document(keys: KeyStore, secret: bytes) -> bytes:
    document = {
        "version": FORMAT_VERSION,
        "type": FILE_TYPE,
        "comment": _COMMENT,
        "created": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        **keys.seal(secret, _AAD).members(),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _cannot_write(path: Path, exc: OSError) -> KeyStoreError:
    return KeyStoreError(
        "io-error",
        t(
            "Cannot write the download-link secret {path}: {reason}.",
            path=str(path),
            reason=exc.strerror or type(exc).__name__,
        ),
    )


def _create(keys: KeyStore, path: Path) -> bytes:
    secret = os.urandom(SECRET_BYTES)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Exclusive: fails if another process published its secret first; then that one is used.
        write_atomically(path, _document(keys, secret), durable=True, exclusive=True)
    except FileExistsError:
        return _read(keys, path)[0]
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    return secret
