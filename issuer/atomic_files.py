"""Writing a file so that a reader, in this or any other process, sees all of it or none of it.

The bytes go to a temporary file in the target's folder (same file system), which is then
renamed over the target (:func:`os.replace`, atomic on POSIX) or, with ``exclusive``, hard-linked
to it (:func:`os.link`, which fails if the target exists: the first writer wins). A failed write
leaves no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(
    path: Path,
    data: bytes | Callable[[str], None],
    *,
    mode: int = 0o600,
    durable: bool = False,
    exclusive: bool = False,
) -> None:
    """Write ``data`` (bytes, or a function writing the file whose name it is given) to ``path``.

    ``mode`` is the file's permissions (0600 unless the file is meant to be shared);
    ``durable`` flushes the data to disk before the rename and the folder after it; ``exclusive`` refuses to replace an
    existing ``path`` and raises :class:`FileExistsError` (the other writer's file stays).
    Raises :class:`OSError` when the folder cannot be written.
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), mode)
            if isinstance(data, bytes):
                file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        if not isinstance(data, bytes):
            data(temporary)
            os.chmod(temporary, mode)
            if durable:
                with open(temporary, "rb+") as file:
                    os.fsync(file.fileno())
        if exclusive:
            os.link(temporary, path)
        else:
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    if durable:
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entries, so the new name survives a crash (where the file system can)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
