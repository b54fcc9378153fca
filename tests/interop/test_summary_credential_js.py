"""The QR code's summary credential verifies with Digital Bazaar's reference implementation too.

A signature only our own verifier accepts would be worthless: the summary must be an ordinary
VC 2.0 credential with an ordinary eddsa-rdfc-2022 proof, as decoded from the QR text. Both
implementations must also sign it to the same bytes. (Harness: bench/js/harness.mjs.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from factories import FIXTURES, ROOT, golden_signed, sign, w3c_test_key

from issuer.summary_credential import build_summary_credential
from verifier.qr import decode_qr_text, encode_qr_text

HARNESS = ROOT.parent / "bench" / "js" / "harness.mjs"
KEY = FIXTURES / "keys" / "TEST-w3c-ed25519.keypair.json"
NODE = shutil.which("node")


def _node(*args: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None, "node is required (scripts/setup installs the JS reference)"
    assert (HARNESS.parent / "node_modules").is_dir(), "run scripts/setup first (npm ci in bench/js)"
    return subprocess.run(
        [NODE, str(HARNESS), *args], capture_output=True, text=True, check=False, timeout=120
    )


def _write(tmp_path: Path, name: str, document: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return str(path)


def _decoded_summary() -> dict[str, Any]:
    summary = sign(build_summary_credential(golden_signed()))
    return decode_qr_text(encode_qr_text(summary, "https://cert.example.edu.cn/verify"))


@pytest.mark.parametrize("mode", ["proof", "vc"])
def test_reference_verifier_accepts_the_summary_a_qr_code_carries(tmp_path: Path, mode: str) -> None:
    completed = _node(
        "verify", "--credential", _write(tmp_path, "summary.json", _decoded_summary()), "--mode", mode
    )
    assert json.loads(completed.stdout)["verified"] is True, completed.stdout + completed.stderr


def test_reference_verifier_rejects_a_summary_with_another_name(tmp_path: Path) -> None:
    tampered = _decoded_summary()
    tampered["credentialSubject"]["name"] = "王小红"
    completed = _node("verify", "--credential", _write(tmp_path, "summary.json", tampered))
    assert json.loads(completed.stdout)["verified"] is False


def test_both_implementations_sign_the_summary_alike(tmp_path: Path) -> None:
    unsigned = build_summary_credential(golden_signed())
    completed = _node(
        "sign",
        "--credential",
        _write(tmp_path, "unsigned.json", unsigned),
        "--key",
        str(KEY),
        "--vm",
        w3c_test_key().did_key_method,
        "--created",
        "2025-07-01T00:00:00Z",
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["proof"]["proofValue"] == sign(unsigned)["proof"]["proofValue"]
