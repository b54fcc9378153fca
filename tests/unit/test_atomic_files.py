"""issuer.atomic_files: a reader sees the whole file or none of it, and failures leave nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from issuer.atomic_files import write_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_bytes_with_the_given_mode_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.pdf"
    write_atomically(target, b"first")
    assert target.read_bytes() == b"first"
    assert _mode(target) == 0o600
    write_atomically(target, b"second", mode=0o644, durable=True)
    assert target.read_bytes() == b"second"
    assert _mode(target) == 0o644
    assert os.listdir(tmp_path) == ["a.pdf"]


def test_a_writer_function_is_given_the_temporary_name(tmp_path: Path) -> None:
    target = tmp_path / "face.otf"
    seen: list[str] = []

    def save(name: str) -> None:
        seen.append(name)
        Path(name).write_bytes(b"font")

    write_atomically(target, save, mode=0o644, durable=True)
    assert target.read_bytes() == b"font"
    assert _mode(target) == 0o644
    assert len(seen) == 1
    assert Path(seen[0]).parent == tmp_path
    assert seen[0] != str(target)
    assert os.listdir(tmp_path) == ["face.otf"]


def test_exclusive_keeps_the_first_file(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    write_atomically(target, b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomically(target, b"second", exclusive=True)
    assert target.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["secret.json"]


def test_a_failing_writer_leaves_neither_target_nor_temporary(tmp_path: Path) -> None:
    def broken(name: str) -> None:
        Path(name).write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "x.bin", broken)
    assert os.listdir(tmp_path) == []


def test_a_missing_folder_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "nowhere" / "x.bin", b"data")
