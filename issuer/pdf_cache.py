"""Rendered PDF certificates kept on disk, so that a certificate is rendered once, not per download.

A learner's download page, the console and ``microcred render`` all ask
:func:`issuer.printing.render_pdf` for a certificate; a render costs about a tenth of a second
of CPU, reading the cached file a fraction of a millisecond.

**Key.** :func:`cache_key` hashes (SHA-256, every field length-prefixed) everything the PDF's
bytes depend on: the stored credential text (embedded byte for byte and printed), the QR code's
text, a fingerprint of the institution's print options (language, accent, the logo, seal and
signature images) and a fingerprint of the renderer (its code, templates and fonts). So no
entry ever needs invalidating: a revocation does not change the PDF (the status is checked
online, from the status list), and a change of options, template or font gives new keys while
the old entries age out.

**Files.** ``DIR/ab/abcdef….pdf`` (the key's first two hex digits name a sub-folder). A PDF is
written to a temporary file in the same folder and renamed into place, so a reader, in this or
any other process, sees a whole file or none; two processes rendering the same certificate at
once both write the same bytes, and the last rename wins harmlessly. The folder is created
``0700`` and the files are ``0600``: certificates carry personal data.

**Size.** At most ``max_bytes``: a hit refreshes the file's modification time, and when a
process's running estimate of the total passes the bound it scans the folder and deletes the
least recently used files until the total is under nine tenths of it. The estimate is
refreshed from disk every :data:`RESCAN_EVERY` writes, so several processes writing at once
overshoot the bound by at most a few writes each.

The cache never breaks a download: a file that cannot be read or written is a miss, logged once.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .atomic_files import write_atomically

log = logging.getLogger("microcred.pdf_cache")

#: Version of the key derivation; changing it starts a fresh cache.
KEY_LABEL = b"microcred-pdf-cache/1\x00"
SUFFIX = ".pdf"
#: Each process re-reads the folder's real size after this many writes.
RESCAN_EVERY = 64
#: After an eviction the cache holds at most this share of ``max_bytes``.
LOW_WATER = 0.9
#: A temporary file older than this (seconds) was left by a crashed writer and is removed.
STALE_TEMPORARY = 3600


def cache_key(document: str, qr_text: str, options_fingerprint: str, renderer_fingerprint: str) -> str:
    """The hex SHA-256 naming the PDF of ``document`` printed with this QR text, options and renderer."""
    digest = hashlib.sha256(KEY_LABEL)
    for part in (renderer_fingerprint, options_fingerprint, qr_text, document):
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def _looks_whole(data: bytes) -> bool:
    """A PDF header at the start and an end-of-file marker near the end."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


class _Usage:
    """This process's running estimate of the folder's size, with the writes since the last scan."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total: int | None = None
        self.writes = 0


_usage: dict[Path, _Usage] = {}
_usage_lock = threading.Lock()


def _usage_of(directory: Path) -> _Usage:
    with _usage_lock:
        return _usage.setdefault(directory, _Usage())


@dataclass(frozen=True, slots=True)
class PDFCache:
    """A folder of cached PDFs of at most ``max_bytes`` (a small, picklable value)."""

    directory: Path
    max_bytes: int

    def __post_init__(self) -> None:
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive; use no cache at all to turn caching off")

    def _path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("a cache key is a lowercase hex SHA-256")
        return self.directory / key[:2] / (key + SUFFIX)

    def get(self, key: str) -> bytes | None:
        """The cached PDF for ``key``, or ``None`` (a damaged file is removed and counts as a miss)."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("PDF cache: cannot read %s: %s", path, exc.strerror or exc)
            return None
        if not _looks_whole(data):
            log.warning("PDF cache: %s is damaged; removed", path)
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            return None
        # Recently used: evicted last. Failing (evicted meanwhile, a read-only cache) is still a hit.
        with contextlib.suppress(OSError):
            os.utime(path)
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically, then keep the folder within its bound."""
        if not _looks_whole(data):
            raise ValueError("only a whole PDF can be cached")
        if len(data) > self.max_bytes:
            return  # larger than the whole cache: not worth keeping
        path = self._path(key)
        try:
            # The folder and each shard 0700 (certificates carry personal data); mkdir's mode only
            # applies to the last folder, so the root is made first.
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            write_atomically(path, data)
        except OSError as exc:
            log.warning("PDF cache: cannot write %s: %s", path, exc.strerror or exc)
            return
        self._account(len(data))

    def _account(self, added: int) -> None:
        usage = _usage_of(self.directory)
        with usage.lock:
            usage.writes += 1
            if usage.total is None or usage.writes >= RESCAN_EVERY:
                usage.total = self.size()
                usage.writes = 0
            else:
                usage.total += added
            if usage.total > self.max_bytes:
                usage.total = self.evict(int(self.max_bytes * LOW_WATER))

    def _entries(self) -> list[tuple[float, int, Path]]:
        """(modification time, size, path) of every cached PDF; stale temporary files are removed."""
        entries: list[tuple[float, int, Path]] = []
        now = time.time()
        try:
            shards = [entry for entry in os.scandir(self.directory) if entry.is_dir(follow_symlinks=False)]
        except OSError:
            return entries
        for shard in shards:
            try:
                files = list(os.scandir(shard.path))
            except OSError:
                continue
            for entry in files:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # removed meanwhile
                if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
                    entries.append((info.st_mtime, info.st_size, Path(entry.path)))
                elif entry.name.startswith(".") and now - info.st_mtime > STALE_TEMPORARY:
                    with contextlib.suppress(OSError):
                        Path(entry.path).unlink(missing_ok=True)
        return entries

    def size(self) -> int:
        """Bytes of cached PDFs in the folder now."""
        return sum(size for _mtime, size, _path in self._entries())

    def evict(self, target: int) -> int:
        """Remove the least recently used PDFs until at most ``target`` bytes remain; the new total."""
        entries = sorted(self._entries())
        total = sum(size for _mtime, size, _path in entries)
        for _mtime, size, path in entries:
            if total <= target:
                break
            try:
                path.unlink(missing_ok=True)
            except OSError:
                continue  # not ours to remove (permissions): it still counts
            total -= size
        return total
