"""``microcred verify`` on what people actually hold: PDF certificates, badges, QR photos, QR text.

The command runs as a user runs it: a real subprocess of the installed entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from carriers import certificate_pdf, plain_png, qr_photo, qr_png, qr_text_for
from factories import FIXTURES, golden_signed, sign

from issuer.badge_image import BadgeFace, baked_badge_png, baked_badge_svg
from issuer.demo_data import demo_institution, demo_micro_major

MICROCRED = str(Path(sys.executable).parent / "microcred")
MICROCRED_VERIFY = str(Path(sys.executable).parent / "microcred-verify")
STATUS_CLEAR = FIXTURES / "negative" / "status-list-clear.json"
OFFLINE = ("--offline", "--at", "2025-09-01T00:00:00Z", "--status-list", str(STATUS_CLEAR))


def run(
    *args: str, stdin: bytes | None = None, language: str = "en", command: str = MICROCRED, cache: Path
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "LANG": "C.UTF-8", "MICROCRED_LANG": language, "MICROCRED_CACHE_DIR": str(cache)}
    return subprocess.run(
        [command, *args] if command == MICROCRED_VERIFY else [command, "verify", *args],
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return golden_signed()


@pytest.fixture(scope="module")
def files(full: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every form of the golden certificate, written once for the module."""
    folder = tmp_path_factory.mktemp("held")
    qr_text = qr_text_for(full)
    face = BadgeFace.of(demo_institution(full["issuer"]["id"]), demo_micro_major())
    someone_else = golden_signed()
    someone_else.pop("proof")
    someone_else["certificateNumber"] = "SF-WZY-2025-000099"
    forms = {
        "credential.json": json.dumps(full, ensure_ascii=False).encode(),
        "certificate.pdf": certificate_pdf(full, qr_text),
        # The QR code of one certificate printed on a PDF that carries another credential.
        "swapped.pdf": certificate_pdf(sign(someone_else), qr_text),
        "badge.png": baked_badge_png(face, full),
        "badge.svg": baked_badge_svg(face, full),
        "screenshot.png": qr_png(qr_text),
        "photo.jpg": qr_photo(qr_text),
        "plain.png": plain_png(),
        "qr.txt": qr_text.encode(),
    }
    paths = {}
    for name, data in forms.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _json(completed: subprocess.CompletedProcess[bytes]) -> Any:
    return json.loads(completed.stdout.decode("utf-8"))


@pytest.mark.parametrize(
    ("name", "kind", "container"),
    [
        ("badge.png", "png", "png"),
        ("badge.svg", "svg", "svg"),
        ("screenshot.png", "qr", "png"),
        ("photo.jpg", "qr", "jpeg"),
    ],
)
def test_badges_and_qr_images_verify_and_say_where_the_credential_was(
    files: dict[str, Path], cache: Path, name: str, kind: str, container: str
) -> None:
    completed = run("--json", *OFFLINE, str(files[name]), cache=cache)
    assert completed.returncode == 0, completed.stderr.decode()
    output = _json(completed)
    assert output["verified"] is True
    assert output["source"]["kind"] == kind
    assert output["source"]["container"] == container
    assert output["summary"]["learner"]["name"] == "王小明"


def test_a_pdf_certificate_verifies_its_credential_and_its_qr_code_together(
    files: dict[str, Path], cache: Path
) -> None:
    completed = run("--json", *OFFLINE, str(files["certificate.pdf"]), cache=cache)
    assert completed.returncode == 0, completed.stderr.decode()
    output = _json(completed)
    assert output["verified"] is True
    assert [c["source"]["kind"] for c in output["credentials"]] == ["pdf", "qr"]
    assert all(c["verified"] for c in output["credentials"])
    assert output["binding"]["status"] == "passed"
    assert output["credentials"][1]["source"]["qrText"] == files["qr.txt"].read_text()


def test_the_human_report_names_each_source_in_english_and_chinese(
    files: dict[str, Path], cache: Path
) -> None:
    english = run(*OFFLINE, str(files["certificate.pdf"]), cache=cache).stdout.decode()
    assert "From the credential embedded in the PDF certificate:" in english
    assert "From the QR code on the PDF certificate:" in english
    assert "✔ The QR code was issued for this very credential (its digest matches)." in english
    chinese = run(*OFFLINE, str(files["certificate.pdf"]), language="zh", cache=cache).stdout.decode()
    assert "来自PDF 证书中嵌入的凭证：" in chinese
    assert "来自PDF 证书上的二维码：" in chinese
    assert "二维码正是为这份凭证签发的" in chinese


def test_a_qr_code_from_another_certificate_fails_the_pdf(files: dict[str, Path], cache: Path) -> None:
    completed = run("--json", *OFFLINE, str(files["swapped.pdf"]), cache=cache)
    assert completed.returncode == 1
    output = _json(completed)
    assert output["verified"] is False
    assert all(c["verified"] for c in output["credentials"])  # each is genuine on its own...
    assert output["binding"]["status"] == "failed"  # ...but they do not belong together
    assert "digests do not match" in output["binding"]["message"]
    human = run(*OFFLINE, str(files["swapped.pdf"]), cache=cache)
    assert "✘ This credential differs from the one its QR code was issued for" in human.stdout.decode()


def test_qr_text_as_a_phone_scanned_it(files: dict[str, Path], cache: Path) -> None:
    completed = run("--json", *OFFLINE, "--qr", files["qr.txt"].read_text(), cache=cache)
    assert completed.returncode == 0, completed.stderr.decode()
    output = _json(completed)
    assert output["source"] == {
        "kind": "qr",
        "container": "text",
        "description": "the QR code's text",
        "qrText": files["qr.txt"].read_text(),
    }
    human = run(*OFFLINE, "--qr", files["qr.txt"].read_text(), language="zh", cache=cache).stdout.decode()
    assert human.startswith("来自二维码文本：\n✔ 有效")


def test_the_standalone_command_reads_a_pdf_from_standard_input(files: dict[str, Path], cache: Path) -> None:
    completed = run(
        *OFFLINE, "-", stdin=files["certificate.pdf"].read_bytes(), command=MICROCRED_VERIFY, cache=cache
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert "From the QR code on the PDF certificate:" in completed.stdout.decode()


def test_json_input_is_reported_exactly_as_before(files: dict[str, Path], cache: Path) -> None:
    completed = run("--json", *OFFLINE, str(files["credential.json"]), cache=cache)
    assert completed.returncode == 0
    assert "source" not in _json(completed)
    human = run(*OFFLINE, str(files["credential.json"]), cache=cache).stdout.decode()
    assert human.startswith("✔ VALID")
    assert "From " not in human


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["--qr", "https://example.com/"], None, "--qr: This is not a microcred certificate QR code."),
        (["--qr", "https://v.example/#MC1:12x"], None, "--qr: The QR code is damaged"),
        (["plain.png"], None, "plain.png: The image has neither a baked credential nor a QR code"),
        (["-"], b"GIF89a\x01\x00\x01\x00\x80\xff\xff", "-: This is not a credential (JSON), a PDF"),
        (["-"], b"%PDF-1.7\n" + b"\xff" * 512, "-: The PDF is damaged"),
        (["-"], b"\x89PNG\r\n\x1a\n\x00\x00", "-: The PNG image is truncated"),
        (["credential.json", "--qr", "MC1:1"], None, "not both"),
        ([], None, "give a FILE to verify, or --qr TEXT"),
    ],
    ids=[
        "foreign-qr",
        "damaged-qr",
        "no-credential",
        "unknown",
        "broken-pdf",
        "truncated-png",
        "both",
        "neither",
    ],
)
def test_unusable_inputs_exit_2_with_a_clear_message(
    files: dict[str, Path], cache: Path, args: list[str], stdin: bytes | None, expected: str
) -> None:
    resolved = [str(files[a]) if a in files else a for a in args]
    completed = run(*OFFLINE, *resolved, stdin=stdin, cache=cache)
    assert completed.returncode == 2
    stderr = completed.stderr.decode()
    assert expected in stderr
    assert "Traceback" not in stderr


def test_errors_about_files_are_in_chinese_too(files: dict[str, Path], cache: Path) -> None:
    completed = run(*OFFLINE, str(files["plain.png"]), language="zh", cache=cache)
    assert completed.returncode == 2
    assert "图片中既没有嵌入凭证，也没有可识别的二维码。" in completed.stderr.decode()
