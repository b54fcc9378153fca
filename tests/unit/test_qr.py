"""QR format MC1: the certificate's QR code carries a signed summary credential.

Round trip, sizes (level Q, version 15 or below for the real 8-course certificate), a real
decoder (zxing-cpp) reading the rendered PNG, every malformed input, and the binding between
the summary and its full credential. Payloads for malformed cases are built here from the
format description (docs/qr-format.md), not with the module's private helpers.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import random
import re
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from factories import (
    GOLDEN_STATUS_INDEX,
    NOW,
    SIGNED_AT,
    STATUS_URL,
    SUSPENSION_URL,
    golden_signed,
    sign,
    status_list,
    w3c_test_key,
)
from PIL import Image

from issuer.credential import CertificateDetails, StatusEntry, build_credential
from issuer.demo_data import DEMO_LEARNERS, demo_institution, demo_micro_major, demo_results
from issuer.fields import DEFAULT_INDUSTRY_FIELDS
from issuer.qr import make_qr, qr_png, qr_segments, qr_svg, qr_version
from issuer.summary_credential import build_summary_credential
from verifier import verify_credential
from verifier.contexts import default_store
from verifier.dataintegrity import add_proof
from verifier.qr import (
    MAX_DIGITS,
    MAX_PAYLOAD_BYTES,
    MAX_RECORD_BYTES,
    MAX_TEXT_CHARS,
    QRPayloadError,
    check_related_resource,
    decode_qr_text,
    encode_qr_text,
    related_resource_digest,
)
from verifier.qr_dictionary import DICTIONARY, DICTIONARY_SHA256, ENTRIES
from verifier.status import REVOCATION, SUSPENSION

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "qr-format.md"
#: A verify page URL of the length a university would configure.
VERIFIER_URL = "https://cert.example.edu.cn/verify"
WEB_DID = "did:web:cert.example.edu.cn"


# --- Helpers: the format, written from its description -------------------------------------------


def digits_of(payload: bytes) -> str:
    """The payload as one big-endian base-10 number, padded to the width of 256**n - 1."""
    return str(int.from_bytes(payload, "big")).zfill(len(str(256 ** len(payload) - 1)))


def payload_of(text: str) -> bytes:
    digits = text.partition("#MC1:")[2] or text.removeprefix("MC1:")
    for size in range(1, 2000):
        if len(str(256**size - 1)) == len(digits):
            return int(digits).to_bytes(size, "big")
    raise AssertionError("not a payload length")


def deflate(record: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=DICTIONARY)
    return compressor.compress(record) + compressor.flush()


def inflate(stream: bytes) -> bytes:
    return zlib.decompressobj(-15, zdict=DICTIONARY).decompress(stream)


def golden_summary() -> dict[str, Any]:
    return sign(build_summary_credential(golden_signed()))


def golden_parts() -> tuple[bytes, bytes]:
    """The golden payload split into its fixed head (flags, signature, digest, uuid, key) and record."""
    payload = payload_of(encode_qr_text(golden_summary(), VERIFIER_URL))
    assert payload[0] == 0x03  # did:key issuer, urn:uuid related id
    return payload[: 1 + 64 + 32 + 16 + 32], inflate(payload[1 + 64 + 32 + 16 + 32 :])


def with_record(record: bytes, head: bytes | None = None) -> str:
    return "MC1:" + digits_of((head or golden_parts()[0]) + deflate(record))


def web_did_document(did: str = WEB_DID) -> dict[str, Any]:
    method = f"{did}#key-1"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": w3c_test_key().public_key.multibase,
            }
        ],
        "assertionMethod": [method],
    }


def demo_like_full() -> dict[str, Any]:
    """A certificate as the issuer service signs it: did:web, revocation and suspension entries."""
    learner, grades = DEMO_LEARNERS[0]
    details = CertificateDetails(
        certificate_number="WZY-PM-2024-2026-000001",
        valid_from=SIGNED_AT,
        study_start=date(2024, 9, 1),
        study_end=date(2025, 6, 30),
        credential_id="urn:uuid:b037d3b3-879d-4a25-bf47-754b39faeb3e",
        status=(
            StatusEntry(REVOCATION, 75150, "https://cert.example.edu.cn/status/revocation/1"),
            StatusEntry(SUSPENSION, 16250, "https://cert.example.edu.cn/status/suspension/1"),
        ),
    )
    unsigned = build_credential(
        demo_institution(WEB_DID),
        demo_micro_major(),
        learner,
        demo_results(grades),
        details,
        industry_fields=DEFAULT_INDUSTRY_FIELDS,
    )
    return add_proof(unsigned, w3c_test_key().signer(f"{WEB_DID}#key-1"), created=SIGNED_AT)


def demo_like_summary() -> dict[str, Any]:
    full = demo_like_full()
    return add_proof(
        build_summary_credential(full), w3c_test_key().signer(f"{WEB_DID}#key-1"), created=SIGNED_AT
    )


# --- Round trip and what the summary says --------------------------------------------------------


def test_golden_summary_round_trips_and_verifies() -> None:
    summary = golden_summary()
    text = encode_qr_text(summary, VERIFIER_URL)
    assert text.startswith(VERIFIER_URL + "#MC1:")
    assert re.fullmatch(r"[0-9]+", text.partition("#MC1:")[2])
    assert decode_qr_text(text) == summary
    result = verify_credential(decode_qr_text(text), now=NOW, status_lists={STATUS_URL: status_list()})
    assert result.verified, result.to_json()
    assert [c.id for c in result.checks if c.required and not c.ok] == []
    assert "summary-v1.json" in result.check("schema").message_in("en")


def test_summary_states_what_the_certificate_says() -> None:
    full = golden_signed()
    summary = build_summary_credential(full)
    achievement = full["credentialSubject"]["achievement"]
    assert summary["issuer"] == full["issuer"]["id"]
    assert summary["validFrom"] == full["validFrom"]
    assert summary["certificateNumber"] == full["certificateNumber"] == "SF-WZY-2025-000001"
    assert summary["credentialSubject"]["name"] == full["credentialSubject"]["name"] == "王小明"
    assert summary["credentialSubject"]["creditsEarned"] == full["credentialSubject"]["creditsEarned"]
    stated = summary["credentialSubject"]["achievement"]
    assert stated["name"] == achievement["name"] == "粉体材料智能制造"
    assert stated["humanCode"] == achievement["humanCode"]
    assert stated["creator"]["name"] == achievement["creator"]["name"] == "材料科学与工程学院"
    assert stated["courseCount"] == len(achievement["resultDescription"]) == 8
    assert stated["creditSystem"]["name"] == achievement["creditSystem"]["name"]
    assert stated["creditSystem"]["hoursPerCredit"] == achievement["creditSystem"]["hoursPerCredit"]
    assert summary["credentialStatus"] == full["credentialStatus"]
    assert summary["relatedResource"] == [
        {"id": full["id"], "digestMultibase": related_resource_digest(full)}
    ]
    assert "validUntil" not in summary


def test_summary_of_an_unsigned_or_incomplete_credential_is_refused() -> None:
    full = golden_signed()
    with pytest.raises(ValueError, match="sign the full credential first"):
        build_summary_credential({k: v for k, v in full.items() if k != "proof"})
    del full["credentialSubject"]["achievement"]["creator"]
    with pytest.raises(ValueError, match="lacks a fact"):
        build_summary_credential(full)


def test_verification_result_summarizes_the_qr_credential() -> None:
    result = verify_credential(golden_summary(), now=NOW, status_lists={STATUS_URL: status_list()})
    facts = result.summary
    assert facts is not None
    assert facts["learner"]["name"] == "王小明"
    assert facts["microMajor"]["name"] == "粉体材料智能制造"
    assert facts["microMajor"]["code"] == "WZY-PM-2024"
    assert facts["microMajor"]["college"]["name"] == "材料科学与工程学院"
    assert facts["credits"]["earned"] == 12
    assert facts["courseCount"] == 8
    assert facts["certificateNumber"] == "SF-WZY-2025-000001"
    assert facts["relatedResources"] == [
        {"id": golden_signed()["id"], "digestMultibase": related_resource_digest(golden_signed())}
    ]
    full_facts = verify_credential(golden_signed(), now=NOW, status_lists={STATUS_URL: status_list()}).summary
    assert full_facts is not None
    assert full_facts["courseCount"] == 8
    assert "relatedResources" not in full_facts


def test_did_web_summary_with_two_status_entries_round_trips_and_verifies() -> None:
    summary = demo_like_summary()
    text = encode_qr_text(summary, VERIFIER_URL)
    assert decode_qr_text(text) == summary
    lists = {
        "https://cert.example.edu.cn/status/revocation/1": status_list(
            url="https://cert.example.edu.cn/status/revocation/1", key=None
        ),
        "https://cert.example.edu.cn/status/suspension/1": status_list(
            url="https://cert.example.edu.cn/status/suspension/1", purpose=SUSPENSION
        ),
    }
    # The lists must come from the same issuer as the credential: re-sign them as the did:web.
    for url, document in list(lists.items()):
        unsigned = {k: v for k, v in document.items() if k != "proof"}
        unsigned["issuer"] = WEB_DID
        lists[url] = add_proof(unsigned, w3c_test_key().signer(f"{WEB_DID}#key-1"), created=SIGNED_AT)
    result = verify_credential(
        decode_qr_text(text), now=NOW, did_documents={WEB_DID: web_did_document()}, status_lists=lists
    )
    assert result.verified, result.to_json()
    assert result.check("status").details["entries"][1]["purpose"] == SUSPENSION


# --- Size: level Q, version 15 or below ----------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "max_payload_bytes"),
    [(golden_summary, 250), (demo_like_summary, 230)],
    ids=["golden-did-key", "did-web-two-status-entries"],
)
def test_real_certificate_fits_version_15_at_level_q(summary: Any, max_payload_bytes: int) -> None:
    for url in (VERIFIER_URL, "http://127.0.0.1:8000/verify"):
        text = encode_qr_text(summary(), url)
        assert len(payload_of(text)) <= max_payload_bytes
        symbol = make_qr(text)
        assert int(qr_version(text)) <= 15, (url, symbol.version)
        assert symbol.error in ("Q", "H")
        assert qr_version(text) == int(symbol.version)


def test_numeric_segment_saves_versions_over_one_byte_segment() -> None:
    text = encode_qr_text(golden_summary(), VERIFIER_URL)
    head, digits = qr_segments(text)
    assert head[0] == VERIFIER_URL + "#MC1:"
    assert digits[0] == text.partition("#MC1:")[2]
    import segno

    byte_mode = segno.make_qr(text, error="q", boost_error=False)
    assert int(byte_mode.version) >= qr_version(text) + 5
    assert qr_segments("https://example.com/") == [("https://example.com/", 4)]


def test_the_whole_credential_would_not_fit() -> None:
    """Why a summary: the full signed credential, even compressed, needs a huge symbol."""
    import segno

    full = json.dumps(golden_signed(), ensure_ascii=False, separators=(",", ":")).encode()
    compressed = zlib.compress(full, 9)
    assert int(segno.make_qr(compressed, error="l", boost_error=False).version) > 25
    with pytest.raises(segno.DataOverflowError):
        segno.make_qr(compressed, error="q")


# --- A real decoder reads what we print ----------------------------------------------------------


@pytest.mark.parametrize(("revoked", "outcome"), [((), "valid"), ((GOLDEN_STATUS_INDEX,), "revoked")])
def test_real_decoder_reads_the_png_and_the_credential_verifies(
    revoked: tuple[int, ...], outcome: str
) -> None:
    text = encode_qr_text(golden_summary(), VERIFIER_URL)
    found = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(qr_png(text))), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert len(found) == 1
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].text == text
    result = verify_credential(
        decode_qr_text(found[0].text), now=NOW, status_lists={STATUS_URL: status_list(revoked=revoked)}
    )
    assert result.outcome == outcome
    check_related_resource(decode_qr_text(found[0].text), golden_signed())


def test_svg_is_a_standalone_document_of_the_same_symbol() -> None:
    text = encode_qr_text(golden_summary(), VERIFIER_URL)
    svg = qr_svg(text, scale=2)
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    side = (qr_version(text) * 4 + 17 + 2 * 4) * 2
    assert f'width="{side}"' in svg
    assert f'height="{side}"' in svg


# --- Decoding what a scanner or a person hands over ----------------------------------------------


def test_decode_accepts_a_url_a_fragment_or_a_bare_payload() -> None:
    summary = golden_summary()
    text = encode_qr_text(summary, VERIFIER_URL)
    payload = "MC1:" + text.partition("#MC1:")[2]
    assert decode_qr_text(payload) == summary
    assert decode_qr_text("https://other-verifier.example/check?lang=zh#" + payload) == summary
    assert decode_qr_text("  " + text + "\n") == summary
    assert decode_qr_text(text.replace("#MC1:", "#MC1%3A")) == summary
    assert decode_qr_text(text.encode("ascii")) == summary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "not a microcred certificate QR code"),
        ("https://example.com/", "not a microcred certificate QR code"),
        ("https://example.com/#section-2", "not a microcred certificate QR code"),
        ("HC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX", "not a microcred"),
        ("mc1:123", "not a microcred certificate QR code"),
        ("MC2:00123", "format MC2, which this verifier does not support"),
        ("MC1:", "ends too early"),
        ("MC1:12a45", "digits only"),
        ("MC1:-1234", "digits only"),
        ("MC1:１２３", "digits only"),
        ("MC1:1234", "impossible length"),
        ("MC1:999", "impossible length"),
        ("MC1:" + "9" * 5000, "too long"),
        ("x" * (MAX_TEXT_CHARS + 1), "too long"),
        (b"\xff\xfe", "not a microcred"),
    ],
)
def test_malformed_text_gives_a_clear_message(text: str | bytes, expected: str) -> None:
    with pytest.raises(QRPayloadError) as raised:
        decode_qr_text(text)
    assert expected in raised.value.message.render("en")
    assert raised.value.message.render("zh") != raised.value.message.render("en")


def test_length_limits_agree_with_each_other() -> None:
    assert len(str(256**MAX_PAYLOAD_BYTES - 1)) <= MAX_DIGITS < len(str(256 ** (MAX_PAYLOAD_BYTES + 1) - 1))
    assert MAX_DIGITS + 100 < MAX_TEXT_CHARS


def test_non_string_input_is_refused_cleanly() -> None:
    with pytest.raises(QRPayloadError, match="not a microcred"):
        decode_qr_text(12345)  # type: ignore[arg-type]


def _flags(value: int) -> str:
    head, record = golden_parts()
    return with_record(record, bytes([value]) + head[1:])


def _mutated_record(old: bytes, new: bytes) -> str:
    head, record = golden_parts()
    assert record.count(old) == 1, old
    return with_record(record.replace(old, new), head)


def _status_record(count: int) -> str:
    head, record = golden_parts()
    index = record.index(b"revocation\x00") - 1
    entry = record[index + 1 :]
    return with_record(record[:index] + bytes([count]) + entry * count, head)


@pytest.mark.parametrize(
    ("make_text", "expected"),
    [
        (lambda: "MC1:" + digits_of(bytes([0x03]) + b"\x01" * 40), "ends too early"),
        (lambda: _flags(0x13), "unknown flags"),
        (lambda: _flags(0x80), "unknown flags"),
        (lambda: "MC1:" + digits_of(golden_parts()[0] + b"\xff\xff\xff\xff"), "corrupt"),
        (lambda: "MC1:" + digits_of(golden_parts()[0] + deflate(golden_parts()[1])[:-3]), "ends too early"),
        (
            lambda: "MC1:" + digits_of(golden_parts()[0] + deflate(golden_parts()[1]) + b"\x00"),
            "after the last",
        ),
        (lambda: with_record(golden_parts()[1] + b"x\x00"), "after the last field"),
        (lambda: with_record(golden_parts()[1][:40]), "ends too early"),
        (lambda: with_record(b"\x80" * 12), "canonical form"),
        (lambda: with_record(b"\x80\x00"), "canonical form"),
        (lambda: with_record(b"\xff\xff\xff\xff\xff\x7f\x00"), "date is out of range"),
        (lambda: _mutated_record("王小明".encode(), b"\xe7\x8e"), "not valid UTF-8"),
        (lambda: _mutated_record(b"12\x00", b"012\x00"), "canonical form"),
        (lambda: _mutated_record(b"12\x00", b"1e1\x00"), "canonical form"),
        (lambda: _mutated_record(b"12\x00", b"12.0\x00"), "canonical form"),
        (lambda: _mutated_record(b"SF-WZY", b"S" * 2000), "too long"),
        (lambda: _status_record(9), "too many status entries"),
        (lambda: _mutated_record(b"\x01revocation", b"\x00revocation"), "data after the last field"),
    ],
    ids=[
        "truncated-head",
        "unknown-flag",
        "high-flag",
        "corrupt-deflate",
        "truncated-deflate",
        "bytes-after-deflate",
        "bytes-after-record",
        "truncated-record",
        "overlong-integer",
        "padded-integer",
        "date-past-9999",
        "broken-utf8",
        "number-leading-zero",
        "number-exponent",
        "number-trailing-zero",
        "text-too-long",
        "too-many-status-entries",
        "count-mismatch",
    ],
)
def test_malformed_payload_gives_a_clear_message(make_text: Any, expected: str) -> None:
    with pytest.raises(QRPayloadError) as raised:
        decode_qr_text(make_text())
    assert expected in raised.value.message.render("en")
    assert raised.value.message.render("zh") != raised.value.message.render("en")


def test_empty_fragment_is_only_the_did_key_convention() -> None:
    head, record = golden_parts()
    web_head = bytes([0x02]) + head[1 : 1 + 64 + 32 + 16]
    record = WEB_DID.encode() + b"\x00" + record  # issuer text first, fragment stays empty
    with pytest.raises(QRPayloadError, match="does not define"):
        decode_qr_text(with_record(record, web_head))


def test_decompression_bomb_stops_at_the_limit() -> None:
    head, _ = golden_parts()
    bomb = deflate(b"\x00" * 500_000)
    assert len(bomb) < 600
    with pytest.raises(QRPayloadError) as raised:
        decode_qr_text("MC1:" + digits_of(head + bomb))
    assert f"expands beyond {MAX_RECORD_BYTES} bytes" in raised.value.message.render("en")


def test_any_tampered_digit_is_refused_or_fails_verification() -> None:
    text = encode_qr_text(golden_summary(), VERIFIER_URL)
    start = text.index("#MC1:") + 5
    lists = {STATUS_URL: status_list()}
    rng = random.Random(4)  # noqa: S311 - reproducible test inputs, not secrets
    for position in rng.sample(range(start, len(text)), 60):
        digit = str((int(text[position]) + rng.randint(1, 9)) % 10)
        tampered = text[:position] + digit + text[position + 1 :]
        try:
            summary = decode_qr_text(tampered)
        except QRPayloadError:
            continue
        assert not verify_credential(summary, now=NOW, status_lists=lists).verified


def test_random_input_only_ever_raises_qr_payload_error() -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible test inputs, not secrets
    alphabet = "0123456789MC1:#%/abc\x00é"
    for _ in range(400):
        text = "MC1:" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        with contextlib.suppress(QRPayloadError):
            decode_qr_text(text)
    head, record = golden_parts()
    for _ in range(300):
        cut = rng.randint(0, len(record))
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(0, 6)))
        with contextlib.suppress(QRPayloadError):
            decode_qr_text(with_record(record[:cut] + junk + record[cut:], head))


# --- Encoding refuses what it could not give back ------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "cert.example.edu.cn/verify",
        "ftp://cert.example.edu.cn/verify",
        "https://cert.example.edu.cn/verify#already",
        "https://证书.example.cn/verify",
        "https://cert.example.edu.cn/ver ify",
        "https://",
        "http://[::1",
        12,
    ],
)
def test_encode_refuses_a_bad_verifier_url(url: Any) -> None:
    with pytest.raises(QRPayloadError) as raised:
        encode_qr_text(golden_summary(), url)
    assert "must be an absolute http(s) URL" in raised.value.message.render("en")


def _incompressible_names(summary: dict[str, Any]) -> None:
    rng = random.Random(1)  # noqa: S311 - reproducible test inputs, not secrets
    for node in (summary["credentialSubject"], summary["credentialSubject"]["achievement"]):
        node["name"] = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(340))


def _changed(change: Any) -> dict[str, Any]:
    summary = golden_summary()
    change(summary)
    return summary


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (golden_signed, "not a summary credential"),
        (lambda: build_summary_credential(golden_signed()), "exactly one eddsa-rdfc-2022 proof"),
        (lambda: _changed(lambda s: s.update(extra="x")), "does not decode back"),
        (lambda: _changed(lambda s: s["proof"].update(domain="x")), "exactly one eddsa-rdfc-2022 proof"),
        (lambda: _changed(lambda s: s["proof"].update(cryptosuite="eddsa-jcs-2022")), "eddsa-rdfc-2022"),
        (lambda: _changed(lambda s: s["proof"].update(proofValue="uAAAA")), "is not multibase 'z'"),
        (lambda: _changed(lambda s: s["proof"].update(proofValue="z3")), "64-byte Ed25519 signature"),
        (lambda: _changed(lambda s: s["proof"].update(verificationMethod="did:key:other#k")), "{issuer}#"),
        (lambda: _changed(lambda s: s.update(validFrom="2025-07-01T08:00:00+08:00")), "whole UTC seconds"),
        (lambda: _changed(lambda s: s.update(validFrom="1969-12-31T23:59:59Z")), "whole UTC seconds"),
        (lambda: _changed(lambda s: s["credentialSubject"].update(creditsEarned=1e-7)), "outside what"),
        (lambda: _changed(lambda s: s["credentialSubject"].update(creditsEarned="12")), "must be a number"),
        (lambda: _changed(lambda s: s["credentialSubject"].update(name="王\x00明")), "contains NUL"),
        (
            lambda: _changed(lambda s: s["relatedResource"][0].update(digestMultibase="uEwA")),
            "SHA-256 multihash",
        ),
        (lambda: _changed(lambda s: s["credentialStatus"].update(statusSize=2)), "unsupported keys"),
        (lambda: _changed(lambda s: s["credentialStatus"].update(id="x")), "credentialStatus id must be"),
        (
            lambda: _changed(lambda s: s["credentialStatus"].update(statusListIndex="007")),
            "canonical base-10",
        ),
        (
            lambda: _changed(lambda s: s.update(credentialStatus=[s["credentialStatus"]])),
            "does not decode back",
        ),
        (lambda: ["not", "an", "object"], "must be a JSON object"),
        (lambda: _changed(lambda s: s["proof"].update(created=5)), "a proof field is not a string"),
        (lambda: _changed(lambda s: s.update(certificateNumber=5)), "certificateNumber must be a string"),
        (
            lambda: _changed(lambda s: s["credentialSubject"]["achievement"].update(courseCount=-1)),
            "non-negative",
        ),
        (
            lambda: _changed(lambda s: s["credentialSubject"]["achievement"].update(courseCount=2**63)),
            "out of range",
        ),
        (
            lambda: _changed(lambda s: s["relatedResource"].append(s["relatedResource"][0])),
            "exactly one resource",
        ),
        (lambda: _changed(lambda s: s.update(credentialStatus=["x"])), "entry is not an object"),
        (
            lambda: _changed(lambda s: s["credentialStatus"].update(type="StatusList2021Entry")),
            "not a Bitstring",
        ),
        (lambda: _changed(lambda s: s["credentialStatus"].pop("statusPurpose")), "needs statusPurpose"),
        (
            lambda: _changed(lambda s: s.update(credentialStatus=[s["credentialStatus"]] * 9)),
            "more than 8 status",
        ),
        (lambda: _changed(_incompressible_names), "the payload is too long"),
    ],
)
def test_encode_refuses_what_it_could_not_give_back(summary: Any, expected: str) -> None:
    with pytest.raises(QRPayloadError) as raised:
        encode_qr_text(summary(), VERIFIER_URL)
    assert expected in raised.value.message.render("en"), raised.value.message.render("en")


def test_optional_fields_round_trip() -> None:
    """validUntil, a proof created after validFrom, no status, a non-UUID related id, a URL issuer."""
    full = golden_signed()
    unsigned = build_summary_credential(full)
    unsigned["validUntil"] = "2030-07-01T00:00:00Z"
    del unsigned["credentialStatus"]
    unsigned["relatedResource"][0]["id"] = "https://www.example.edu.cn/credentials/SF-WZY-2025-000001"
    unsigned["credentialSubject"]["creditsEarned"] = 12.5
    summary = sign(unsigned, created=NOW)
    assert decode_qr_text(encode_qr_text(summary, VERIFIER_URL)) == summary
    odd_ids = copy.deepcopy(summary)
    odd_ids["relatedResource"][0]["id"] = "urn:uuid:not-a-uuid"
    odd_ids["issuer"] = "did:key:z6MkNotBase58lI0"
    odd_ids["proof"]["verificationMethod"] = "did:key:z6MkNotBase58lI0#key-1"
    assert decode_qr_text(encode_qr_text(odd_ids, VERIFIER_URL)) == odd_ids
    with_status = sign(build_summary_credential(full), created=NOW)
    with_status["credentialStatus"] = {k: v for k, v in with_status["credentialStatus"].items() if k != "id"}
    assert decode_qr_text(encode_qr_text(with_status, VERIFIER_URL)) == with_status


# --- The summary belongs to its certificate ------------------------------------------------------


def test_binding_accepts_the_certificate_and_refuses_another() -> None:
    summary, full = golden_summary(), golden_signed()
    check_related_resource(summary, full)
    other = copy.deepcopy(full)
    other["id"] = "urn:uuid:11111111-2222-4333-8444-555555555555"
    with pytest.raises(QRPayloadError) as raised:
        check_related_resource(summary, other)
    assert "belongs to credential urn:uuid:0b5c7a36" in raised.value.message.render("en")
    tampered = copy.deepcopy(full)
    tampered["credentialSubject"]["name"] = "王小红"
    with pytest.raises(QRPayloadError, match="digests do not match"):
        check_related_resource(summary, tampered)
    reproved = copy.deepcopy(full)
    reproved["proof"]["created"] = "2025-07-02T00:00:00Z"
    with pytest.raises(QRPayloadError, match="digests do not match"):
        check_related_resource(summary, reproved)


def test_binding_digest_is_sha256_of_the_jcs_bytes() -> None:
    from verifier.canonical import canonize_jcs

    full = golden_signed()
    raw = hashlib.sha256(canonize_jcs(full)).digest()
    digest = related_resource_digest(full)
    assert digest.startswith("uEi")
    import base64

    assert base64.urlsafe_b64decode(digest[1:] + "==") == b"\x12\x20" + raw


def test_binding_accepts_sha384_and_refuses_unknown_digests() -> None:
    import base64

    from verifier.canonical import canonize_jcs

    full = golden_signed()
    sha384 = b"\x20\x30" + hashlib.sha384(canonize_jcs(full)).digest()
    summary = {
        "relatedResource": [
            {"id": full["id"], "digestMultibase": "u" + base64.urlsafe_b64encode(sha384).decode().rstrip("=")}
        ]
    }
    check_related_resource(summary, full)
    for digest in (
        "uEwA",
        "not-multibase",
        7,
        "u" + base64.urlsafe_b64encode(b"\x12\x20" + b"\x00" * 5).decode(),
    ):
        with pytest.raises(QRPayloadError, match="does not know"):
            check_related_resource({"relatedResource": [{"id": full["id"], "digestMultibase": digest}]}, full)
    for related in (None, [], "urn:x", [1]):
        with pytest.raises(QRPayloadError, match="does not name the credential"):
            check_related_resource({"relatedResource": related}, full)
    with pytest.raises(QRPayloadError, match="cannot be serialized"):
        check_related_resource(golden_summary(), {**full, "bad": float("nan")})


# --- The schema pins the shape -------------------------------------------------------------------


def test_summary_schema_refuses_an_extra_property() -> None:
    summary = golden_summary()
    summary["credentialSubject"]["achievement"]["courseHours"] = 192
    result = verify_credential(summary, now=NOW, status_lists={STATUS_URL: status_list()})
    assert result.check("schema").status.value == "failed"
    assert "microcred certificate summary" in result.check("schema").message_in("en")


def test_a_summary_cannot_pose_as_an_open_badge_to_dodge_its_schema() -> None:
    summary = golden_summary()
    summary["type"] = ["VerifiableCredential", "OpenBadgeCredential", "CertificateSummaryCredential"]
    result = verify_credential(summary, now=NOW, status_lists={STATUS_URL: status_list()})
    assert result.check("schema").status.value == "failed"


def test_status_entries_are_copied_so_revoking_the_certificate_revokes_the_qr() -> None:
    lists = {STATUS_URL: status_list(revoked=(GOLDEN_STATUS_INDEX,))}
    assert verify_credential(golden_signed(), now=NOW, status_lists=lists).outcome == "revoked"
    assert verify_credential(golden_summary(), now=NOW, status_lists=lists).outcome == "revoked"
    suspended = {SUSPENSION_URL: status_list(url=SUSPENSION_URL, purpose=SUSPENSION, revoked=(5,))}
    unsigned = build_summary_credential(golden_signed())
    unsigned["credentialStatus"] = [
        unsigned["credentialStatus"],
        {
            "id": f"{SUSPENSION_URL}#5",
            "type": "BitstringStatusListEntry",
            "statusPurpose": SUSPENSION,
            "statusListIndex": "5",
            "statusListCredential": SUSPENSION_URL,
        },
    ]
    summary = sign(unsigned)
    decoded = decode_qr_text(encode_qr_text(summary, VERIFIER_URL))
    assert verify_credential(
        decoded, now=NOW, status_lists={STATUS_URL: status_list(), **suspended}
    ).outcome == ("suspended")


# --- Pinned data: context terms, the dictionary and the documented test vector -------------------


def test_summary_terms_reuse_open_badges_definitions_exactly() -> None:
    """JSON-LD refuses a protected term redefined differently; these must equal OB 3.0's."""
    ours = default_store().get("https://w3id.org/microcred/v1")["@context"]
    ob = default_store().get("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")["@context"]
    assert ours["achievement"] == ob["AchievementSubject"]["@context"]["achievement"]
    assert ours["creditsEarned"] == ob["AchievementSubject"]["@context"]["creditsEarned"]
    assert ours["humanCode"] == ob["Achievement"]["@context"]["humanCode"]
    assert ours["creator"] == ob["Achievement"]["@context"]["creator"]


def test_dictionary_is_documented_byte_for_byte() -> None:
    doc = DOC.read_text("utf-8")
    assert DICTIONARY_SHA256 in doc
    assert hashlib.sha256(DICTIONARY).hexdigest() == DICTIONARY_SHA256
    block = re.search(r"<!-- dictionary-entries -->\n```text\n(.*?)\n```", doc, re.S)
    assert block is not None
    assert tuple(block.group(1).split("\n")) == ENTRIES
    assert "".join(ENTRIES).encode("utf-8") == DICTIONARY


def test_documented_test_vector_decodes_to_the_documented_summary() -> None:
    doc = DOC.read_text("utf-8")
    text = re.search(r"<!-- test-vector-text -->\n```text\n(.*?)\n```", doc, re.S)
    summary = re.search(r"<!-- test-vector-summary -->\n```json\n(.*?)\n```", doc, re.S)
    assert text is not None
    assert summary is not None
    documented = json.loads(summary.group(1))
    assert decode_qr_text(text.group(1)) == documented == golden_summary()
    assert verify_credential(documented, now=NOW, status_lists={STATUS_URL: status_list()}).verified
