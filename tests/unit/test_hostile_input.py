"""Hostile input: never a wrong "verified", never a crash or a hang.

Each case asserts *which* check failed and with which problem type.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from factories import NOW, STATUS_URL, golden_signed, sign, status_list

from verifier import verify_credential
from verifier.jsonsafe import parse_json
from verifier.problems import ProblemError
from verifier.result import VerificationResult

VC = "https://www.w3.org/TR/vc-data-model#"
SEC = "https://w3id.org/security#"


def _verify(document: Any) -> VerificationResult:
    return verify_credential(document, now=NOW, status_lists={STATUS_URL: status_list()})


def _failed(result: VerificationResult) -> tuple[str, str]:
    failed = next(c for c in result.checks if c.status.value == "failed")
    assert failed.problem is not None
    assert not result.verified
    return failed.id, failed.problem.type


# --- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"a": 1e999}', "out of range"),
        (b'{"a": "\\ud800"}', "surrogate"),
        (b'{"a": "\xff"}', "UTF-8"),
        (b"[" * 100 + b"]" * 100, "nested"),
        (b"not json", "not valid JSON"),
    ],
)
def test_bad_json_is_refused_with_a_reason(raw: bytes, fragment: str) -> None:
    with pytest.raises(ProblemError) as raised:
        parse_json(raw)
    assert fragment.lower() in str(raised.value.problem.detail).lower()
    assert raised.value.problem.type == VC + "PARSING_ERROR"


def test_huge_documents_are_refused_before_parsing() -> None:
    started = time.perf_counter()
    with pytest.raises(ProblemError, match="bytes"):
        parse_json(b"[" + b"1," * 400_000 + b"1]")
    assert time.perf_counter() - started < 0.5


def test_very_deep_nesting_does_not_crash() -> None:
    raw = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    result = verify_credential(raw[:500_000])
    assert result.checks[0].id == "format"
    assert result.checks[0].status.value == "failed"


def test_many_values_are_refused() -> None:
    with pytest.raises(ProblemError, match="values"):
        parse_json(json.dumps([0] * 30_000))


def test_byte_order_mark_is_accepted() -> None:
    assert parse_json("\ufeff{}".encode()) == {}


# --- JSON-LD: nothing outside the signature ---------------------------------------------------


def _with_subject(**extra: Any) -> dict[str, Any]:
    document = golden_signed()
    document["credentialSubject"].update(extra)
    return document


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (
            lambda d: d["credentialSubject"].update({"undefinedTerm": "shown but not signed"}),
            SEC + "DATA_LOSS_DETECTION_ERROR",
        ),
        (
            lambda d: d["credentialSubject"].update({"@nest": {"name": "Mallory"}}),
            VC + "MALFORMED_VALUE_ERROR",
        ),
        (
            lambda d: d["credentialSubject"].update({"https://schema.org/name": "Mallory"}),
            VC + "MALFORMED_VALUE_ERROR",
        ),
        (lambda d: d["credentialSubject"].update({"schema:name": "Mallory"}), VC + "MALFORMED_VALUE_ERROR"),
        (lambda d: d["credentialSubject"].update({"id": "relative/path"}), SEC + "DATA_LOSS_DETECTION_ERROR"),
        (
            lambda d: d["credentialSubject"].update({"type": ["AchievementSubject", "Unknown"]}),
            SEC + "DATA_LOSS_DETECTION_ERROR",
        ),
        (lambda d: d["credentialSubject"].update({"name": None}), SEC + "DATA_LOSS_DETECTION_ERROR"),
        (
            lambda d: d["@context"].append({"name": "https://example.com/evil#name"}),
            VC + "MALFORMED_VALUE_ERROR",
        ),
        (
            lambda d: d["@context"].append("https://example.com/contexts/evil.jsonld"),
            VC + "MALFORMED_VALUE_ERROR",
        ),
        (lambda d: d.update({"@context": d["@context"][::-1]}), VC + "MALFORMED_VALUE_ERROR"),
        (
            lambda d: d["credentialSubject"].update({"@context": {"name": "https://example.com/n"}}),
            VC + "MALFORMED_VALUE_ERROR",
        ),
        (
            lambda d: d["credentialSubject"].update({"nameMap": {"not a tag!": "x"}}),
            SEC + "DATA_LOSS_DETECTION_ERROR",
        ),
        (
            lambda d: d["credentialSubject"].update({"result": [[{"type": ["Result"]}]]}),
            SEC + "DATA_LOSS_DETECTION_ERROR",
        ),
    ],
    ids=[
        "undefined_term",
        "nest_keyword",
        "full_iri_key",
        "compact_iri_key",
        "relative_iri",
        "undefined_type",
        "null_value",
        "inline_context",
        "unknown_context",
        "swapped_context_order",
        "embedded_inline_context",
        "bad_language_tag",
        "nested_array",
    ],
)
def test_content_outside_the_signature_is_an_error(mutate: Any, problem: str) -> None:
    document = golden_signed()
    mutate(document)
    check, problem_type = _failed(_verify(document))
    assert check == "context"
    assert problem_type == problem


def test_validity_is_read_from_what_was_signed_not_from_a_look_alike_key() -> None:
    """A `validUntil` smuggled into the subject is not the credential's validUntil."""
    document = golden_signed()
    document["credentialSubject"]["validUntil"] = "2000-01-01T00:00:00Z"
    result = _verify(document)
    assert not result.verified
    assert _failed(result)[0] == "context"  # undefined there: refused, not misread


def test_signed_expiry_is_honoured() -> None:
    document = sign(
        {**{k: v for k, v in golden_signed().items() if k != "proof"}, "validUntil": "2025-08-01T00:00:00Z"}
    )
    check, problem = _failed(_verify(document))
    assert (check, problem) == ("validity", VC + "RANGE_ERROR")


def test_remote_context_is_never_fetched() -> None:
    def explode(url: str, *, accept: str) -> Any:
        raise AssertionError(f"network access attempted: {url}")

    document = golden_signed()
    document["@context"].append("https://attacker.example/context.jsonld")
    result = verify_credential(document, now=NOW, fetch=explode, status_lists={STATUS_URL: status_list()})
    assert _failed(result)[0] == "context"


def test_not_a_credential() -> None:
    for document in ([], "text", {"type": ["VerifiablePresentation"]}, {"type": "Other"}):
        check, problem = _failed(verify_credential(json.dumps(document)))
        assert check == "format"
        assert problem in (VC + "PARSING_ERROR", VC + "MALFORMED_VALUE_ERROR")


def test_unexpected_values_never_crash() -> None:
    weird: list[Any] = [
        {**golden_signed(), "proof": "string"},
        {**golden_signed(), "proof": [1, 2]},
        {**golden_signed(), "issuer": {"id": 5}},
        {**golden_signed(), "credentialSubject": []},
        {**golden_signed(), "credentialStatus": {"type": "BitstringStatusListEntry"}},
        {**golden_signed(), "credentialStatus": {"type": "SomethingElse"}},
        {**golden_signed(), "validFrom": "yesterday"},
    ]
    for document in weird:
        result = _verify(document)
        assert not result.verified
        assert all(c.message for c in result.checks)
