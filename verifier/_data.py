"""Locate the pinned data folders (contexts/, schemas/) shipped with the verifier.

In a source checkout (or an editable install) they sit at the repository root; a wheel
carries them inside the package under ``_data/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder ``name`` (``"contexts"`` or ``"schemas"``), packaged or in the checkout."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if (candidate / "manifest.json").is_file():
            return candidate
    raise FileNotFoundError(
        f"microcred data folder {name!r} not found next to the verifier package; "
        "reinstall the package or run from a checkout"
    )
