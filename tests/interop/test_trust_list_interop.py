"""Our trust lists, as Digital Bazaar's JavaScript stack reads them (bench/js/harness.mjs).

A trust list uses terms of microcred's own context (type-scoped ``TrustListCredential`` and
``TrustedIssuer``); an independent JSON-LD processor must expand them the same way, or the
signature would not verify there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

from factories import ROOT, other_key, w3c_test_key

from verifier.datetimes import utc_now
from verifier.trust import TrustedIssuer
from verifier.trust_registry import add_issuer, new_trust_list, sign_trust_list

HARNESS = ROOT.parent / "bench" / "js" / "harness.mjs"


def _js_verify(document: dict[str, Any], tmp_path: Path, mode: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "node is required (scripts/setup installs the JS reference)"
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    completed = subprocess.run(
        [node, str(HARNESS), "verify", "--credential", str(path), "--mode", mode],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def _signed() -> dict[str, Any]:
    registry = other_key()
    document = add_issuer(
        new_trust_list(registry=registry.did_key, registry_name="示范认证中心", name="名单"),
        TrustedIssuer(
            w3c_test_key().did_key,
            "示范科技大学",
            "Demonstration University",
            "4111099999",
            "demo.edu.cn",
            valid_from=utc_now() - timedelta(days=365),
        ),
    )
    return sign_trust_list(document, registry.signer(), now=utc_now())


def test_reference_verifier_accepts_our_trust_list(tmp_path: Path) -> None:
    assert _js_verify(_signed(), tmp_path, "vc")["verified"] is True


def test_reference_verifier_rejects_a_renamed_institution(tmp_path: Path) -> None:
    tampered = _signed()
    tampered["credentialSubject"][0]["nameMap"]["zh"] = "冒名大学"
    assert _js_verify(tampered, tmp_path, "proof")["verified"] is False
