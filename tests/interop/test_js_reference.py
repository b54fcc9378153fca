"""Interoperability with an implementation nobody here wrote: Digital Bazaar's JavaScript stack.

bench/js/harness.mjs wraps @digitalbazaar/vc + eddsa-rdfc-2022-cryptosuite + jsonld (pinned in
bench/js/package-lock.json, installed by scripts/setup). Their verifier must accept what we
sign, we must accept what they sign, and both must produce the same signature bytes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from factories import (
    FIXTURES,
    NOW,
    ROOT,
    STATUS_URL,
    VECTORS,
    golden_signed,
    golden_unsigned,
    sign,
    status_list,
    w3c_test_key,
)

from verifier import verify_credential
from verifier.dataintegrity import verify_proofs
from verifier.dids import DIDResolver

HARNESS = ROOT.parent / "bench" / "js" / "harness.mjs"
KEY = FIXTURES / "keys" / "TEST-w3c-ed25519.keypair.json"
NODE = shutil.which("node")


def _node(*args: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None, (
        "node is required (scripts/setup installs the JS reference; Node comes with the machine)"
    )
    assert (HARNESS.parent / "node_modules").is_dir(), "run scripts/setup first (npm ci in bench/js)"
    return subprocess.run(
        [NODE, str(HARNESS), *args], capture_output=True, text=True, check=False, timeout=120
    )


def _js_verify(document: dict[str, Any], tmp_path: Path, mode: str = "proof") -> dict[str, Any]:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    completed = _node("verify", "--credential", str(path), "--mode", mode)
    return json.loads(completed.stdout)


def _js_sign(
    document: dict[str, Any], tmp_path: Path, created: str = "2025-07-01T00:00:00Z"
) -> dict[str, Any]:
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    completed = _node(
        "sign",
        "--credential",
        str(path),
        "--key",
        str(KEY),
        "--vm",
        w3c_test_key().did_key_method,
        "--created",
        created,
    )
    assert completed.returncode == 0, completed.stderr
    signed: dict[str, Any] = json.loads(completed.stdout)
    return signed


@pytest.mark.parametrize("mode", ["proof", "vc"])
def test_reference_verifier_accepts_our_golden_credential(tmp_path: Path, mode: str) -> None:
    assert _js_verify(golden_signed(), tmp_path, mode)["verified"] is True


def test_reference_verifier_accepts_our_status_list(tmp_path: Path) -> None:
    assert _js_verify(status_list(revoked=(1, 2, 3)), tmp_path, "vc")["verified"] is True


def test_reference_verifier_rejects_our_tampered_credential(tmp_path: Path) -> None:
    tampered = json.loads((FIXTURES / "negative" / "tampered_grade.json").read_text("utf-8"))
    assert _js_verify(tampered, tmp_path)["verified"] is False


def test_both_implementations_produce_the_same_signature(tmp_path: Path) -> None:
    theirs = _js_sign(golden_unsigned(), tmp_path)
    assert theirs["proof"]["proofValue"] == golden_signed()["proof"]["proofValue"]


def test_we_accept_what_the_reference_signs(tmp_path: Path) -> None:
    theirs = _js_sign(golden_unsigned(), tmp_path)
    result = verify_credential(theirs, now=NOW, status_lists={STATUS_URL: status_list()})
    assert result.verified, result.to_json()


@pytest.mark.parametrize(
    "example",
    sorted(p.name for p in (VECTORS / "openbadges-3.0" / "examples").glob("*.json")),
)
def test_we_verify_reference_signatures_over_the_ob_spec_examples(tmp_path: Path, example: str) -> None:
    document = json.loads((VECTORS / "openbadges-3.0" / "examples" / example).read_text("utf-8"))
    document.pop("proof", None)
    theirs = _js_sign(document, tmp_path)
    ours = sign(document, created=None)
    assert [p.cryptosuite for p in verify_proofs(theirs, resolver=DIDResolver(), now=NOW)] == [
        "eddsa-rdfc-2022"
    ]
    assert _js_verify(ours, tmp_path)["verified"] is True


def test_language_tags_and_control_characters_agree(tmp_path: Path) -> None:
    """Mixed-case language tags and control characters are where implementations drift."""
    document = golden_unsigned(status=False)
    document["credentialSubject"]["nameMap"] = {"zh-Hans-CN": "王小明", "en-US": "Wang\tXiao\bming\u0001"}
    document["description"] = 'line one\nline two "quoted" \\ backslash \f'
    theirs = _js_sign(document, tmp_path)
    assert theirs["proof"]["proofValue"] == sign(document)["proof"]["proofValue"]
