"""Negative fixtures, named by their defect: each must fail a named check with a named problem.

The fixtures are written by ``tests/fixtures/negative/generate.py``; the first test makes sure
the committed files are exactly what the generator produces now.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from factories import FIXTURES, NOW, STATUS_URL

from verifier import verify_credential

HERE = FIXTURES / "negative"
VC = "https://www.w3.org/TR/vc-data-model#"
SEC = "https://w3id.org/security#"
BSL = "https://www.w3.org/ns/credentials/status-list#"

#: fixture -> (the check that fails, its problem type, the outcome shown)
EXPECTED: dict[str, tuple[str, str, str]] = {
    "tampered_name": ("proof", VC + "CRYPTOGRAPHIC_SECURITY_ERROR", "invalid"),
    "tampered_credits": ("proof", VC + "CRYPTOGRAPHIC_SECURITY_ERROR", "invalid"),
    "tampered_grade": ("proof", VC + "CRYPTOGRAPHIC_SECURITY_ERROR", "invalid"),
    "tampered_course_hours": ("proof", VC + "CRYPTOGRAPHIC_SECURITY_ERROR", "invalid"),
    "tampered_issuer_name": ("proof", VC + "CRYPTOGRAPHIC_SECURITY_ERROR", "invalid"),
    "wrong_key": ("proof", VC + "CRYPTOGRAPHIC_SECURITY_ERROR", "invalid"),
    "issuer_not_controller": ("issuer", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "wrong_cryptosuite": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "unknown_cryptosuite": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "missing_proof_value": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "missing_verification_method": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "missing_proof_purpose": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "wrong_proof_purpose": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "proof_of_other_document": ("proof", VC + "CRYPTOGRAPHIC_SECURITY_ERROR", "invalid"),
    "proof_value_base64": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "proof_created_in_future": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "proof_expired": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "unknown_context": ("context", VC + "MALFORMED_VALUE_ERROR", "invalid"),
    "swapped_context": ("proof", VC + "CRYPTOGRAPHIC_SECURITY_ERROR", "invalid"),
    "undefined_term": ("context", SEC + "DATA_LOSS_DETECTION_ERROR", "invalid"),
    "expired": ("validity", VC + "RANGE_ERROR", "invalid"),
    "not_yet_valid": ("validity", VC + "RANGE_ERROR", "invalid"),
    "no_proof": ("proof", SEC + "PROOF_VERIFICATION_ERROR", "invalid"),
    "revoked": ("status", BSL + "STATUS_VERIFICATION_ERROR", "revoked"),
}


def _load(name: str) -> Any:
    return json.loads((HERE / f"{name}.json").read_text("utf-8"))


def test_committed_fixtures_match_the_generator() -> None:
    sys.path.insert(0, str(HERE))
    import generate  # type: ignore[import-not-found]

    assert set(generate.FIXTURES) == set(EXPECTED)
    for name, make in {**generate.FIXTURES, **generate.STATUS_LISTS}.items():
        assert (HERE / f"{name}.json").read_text("utf-8") == generate.render(make()), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_negative_fixture_fails_the_named_check(name: str) -> None:
    lists = {STATUS_URL: _load("status-list-revoked" if name == "revoked" else "status-list-clear")}
    result = verify_credential(_load(name), now=NOW, status_lists=lists)
    check_id, problem_type, outcome = EXPECTED[name]
    check = result.check(check_id)
    assert not result.verified
    assert check is not None
    assert check.status.value == "failed", result.to_json()
    assert check.problem is not None
    assert check.problem.type == problem_type
    assert result.outcome == outcome
    assert check.message_in("zh") != check.message_in("en")  # both languages are there


def test_the_unaltered_golden_credential_passes_every_required_check() -> None:
    golden = json.loads((FIXTURES / "golden" / "signed.json").read_text("utf-8"))
    result = verify_credential(golden, now=NOW, status_lists={STATUS_URL: _load("status-list-clear")})
    assert result.verified
    assert [c.status.value for c in result.checks] == ["passed"] * 7 + ["skipped"]
