"""Bitstring Status List v1.0: the REC's examples, the codec, and the status check."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest
from factories import (
    GOLDEN_STATUS_INDEX,
    NOW,
    SIGNED_AT,
    STATUS_URL,
    golden_signed,
    golden_unsigned,
    other_key,
    sign,
    status_list,
    vector,
)

from verifier import verify_credential
from verifier.fetch import FetchError, FetchResponse
from verifier.i18n import t
from verifier.problems import ProblemError
from verifier.status import (
    MIN_ENTRIES,
    REVOCATION,
    SUSPENSION,
    Bitstring,
    StatusListSource,
    decode_status_list,
    encode_status_list,
    parse_status_entry,
    read_status,
)

BSL = "https://www.w3.org/ns/credentials/status-list#"


@pytest.mark.parametrize(
    "name",
    [
        "status-list-credential.json",
        "status-list-credential-minimal.json",
        "status-list-credential.eddsa-rdfc-2022.json",
        "status-list-credential.ecdsa-rdfc-2019.json",
    ],
)
def test_rec_example_lists_decode_to_131072_zero_bits(name: str) -> None:
    encoded = vector(f"bitstring-status-list/{name}")["credentialSubject"]["encodedList"]
    bitstring = decode_status_list(encoded)
    assert len(bitstring) * 8 == MIN_ENTRIES
    assert not any(bitstring)


@pytest.mark.parametrize(
    "name",
    [
        "revocable-credential.json",
        "credential-with-two-status-entries.json",
        "credential-multiple-status-lists.json",
        "credential-multiple-entries-one-list.json",
    ],
)
def test_rec_example_entries_parse(name: str) -> None:
    status = vector(f"bitstring-status-list/{name}")["credentialStatus"]
    for entry in status if isinstance(status, list) else [status]:
        parsed = parse_status_entry(entry)
        assert parsed.index >= 0
        assert parsed.list_url.startswith("https://")


def test_encode_decode_round_trip_and_bit_order() -> None:
    bits = Bitstring(MIN_ENTRIES)
    bits.set(0, 1)
    bits.set(MIN_ENTRIES - 1, 1)
    raw = decode_status_list(bits.encode())
    assert raw[0] == 0x80  # index 0 is the left-most (most significant) bit
    assert raw[-1] == 0x01
    assert read_status(raw, 1) == 0
    assert encode_status_list(raw) == bits.encode()  # deterministic (GZIP mtime 0)


def test_multi_bit_statuses() -> None:
    bits = Bitstring(MIN_ENTRIES, status_size=2)
    bits.set(5, 2)
    bits.set(6, 3)
    raw = decode_status_list(bits.encode())
    assert [read_status(raw, i, 2) for i in (4, 5, 6)] == [0, 2, 3]
    with pytest.raises(ValueError, match="does not fit"):
        bits.set(1, 4)


def test_index_is_range_checked_in_bits() -> None:
    raw = bytes(16)
    assert read_status(raw, 127) == 0
    with pytest.raises(ProblemError) as raised:
        read_status(raw, 128)
    assert raised.value.problem.type.endswith("#RANGE_ERROR")
    with pytest.raises(ProblemError):
        read_status(raw, 64, 2)


def test_decompression_bomb_is_refused() -> None:
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64 * 1024 * 1024))).decode().rstrip("=")
    with pytest.raises(ProblemError, match="more than"):
        decode_status_list(bomb)


@pytest.mark.parametrize(
    "encoded",
    ["H4sIAAAA", "u@@@", "uAAAA=", "u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("=")],
    ids=["no-multibase-prefix", "bad-characters", "padded", "not-gzip"],
)
def test_malformed_encoded_lists(encoded: str) -> None:
    with pytest.raises(ProblemError):
        decode_status_list(encoded)


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"statusListIndex": "1", "statusListCredential": STATUS_URL}, "statusPurpose"),
        (
            {"statusPurpose": REVOCATION, "statusListIndex": 7, "statusListCredential": STATUS_URL},
            "statusListIndex",
        ),
        (
            {"statusPurpose": REVOCATION, "statusListIndex": "007", "statusListCredential": STATUS_URL},
            "statusListIndex",
        ),
        (
            {"statusPurpose": REVOCATION, "statusListIndex": "-1", "statusListCredential": STATUS_URL},
            "statusListIndex",
        ),
        (
            {"statusPurpose": REVOCATION, "statusListIndex": "1e3", "statusListCredential": STATUS_URL},
            "statusListIndex",
        ),
        (
            {
                "statusPurpose": REVOCATION,
                "statusListIndex": "1",
                "statusListCredential": "file:///etc/passwd",
            },
            "URL",
        ),
        (
            {
                "statusPurpose": REVOCATION,
                "statusListIndex": "1",
                "statusListCredential": STATUS_URL,
                "statusSize": 2,
            },
            "statusMessage",
        ),
        (
            {
                "statusPurpose": REVOCATION,
                "statusListIndex": "1",
                "statusListCredential": STATUS_URL,
                "statusSize": 0,
            },
            "statusSize",
        ),
    ],
)
def test_malformed_status_entries(entry: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ProblemError, match=fragment):
        parse_status_entry(entry)


# --- The status check, end to end -----------------------------------------------------------


def _status(result: Any) -> Any:
    check = result.check("status")
    assert check is not None
    return check


def test_not_revoked() -> None:
    result = verify_credential(golden_signed(), now=NOW, status_lists={STATUS_URL: status_list()})
    assert result.verified
    assert _status(result).status.value == "passed"


def test_revoked() -> None:
    result = verify_credential(
        golden_signed(), now=NOW, status_lists={STATUS_URL: status_list(revoked=(GOLDEN_STATUS_INDEX,))}
    )
    assert not result.verified
    assert result.outcome == "revoked"
    assert _status(result).problem.type == BSL + "STATUS_VERIFICATION_ERROR"


def test_a_neighbouring_revoked_entry_does_not_revoke_this_one() -> None:
    result = verify_credential(
        golden_signed(), now=NOW, status_lists={STATUS_URL: status_list(revoked=(GOLDEN_STATUS_INDEX + 1,))}
    )
    assert result.verified


def test_suspended() -> None:
    url = "https://www.example.edu.cn/microcred/status/suspension/1"
    document = golden_unsigned(status=False)
    document["credentialStatus"] = {
        "id": f"{url}#12",
        "type": "BitstringStatusListEntry",
        "statusPurpose": SUSPENSION,
        "statusListIndex": "12",
        "statusListCredential": url,
    }
    lists = {url: status_list(revoked=(12,), url=url, purpose=SUSPENSION)}
    result = verify_credential(sign(document), now=NOW, status_lists=lists)
    assert result.outcome == "suspended"
    lists = {url: status_list(url=url, purpose=SUSPENSION)}
    assert verify_credential(sign(document), now=NOW, status_lists=lists).verified


def test_status_list_that_cannot_be_fetched_is_unknown_never_passed() -> None:
    result = verify_credential(golden_signed(), now=NOW)
    assert _status(result).status.value == "unknown"
    assert _status(result).problem.type == BSL + "STATUS_RETRIEVAL_ERROR"
    assert not result.verified
    assert result.outcome == "unknown"

    def fetch(url: str, *, accept: str) -> FetchResponse:
        raise FetchError(t("{url} could not be reached", url=url))

    assert _status(verify_credential(golden_signed(), now=NOW, fetch=fetch)).status.value == "unknown"


def test_status_list_is_fetched_with_the_fetcher() -> None:
    import json

    served = status_list(revoked=(GOLDEN_STATUS_INDEX,))

    def fetch(url: str, *, accept: str) -> FetchResponse:
        assert url == STATUS_URL
        return FetchResponse(url, json.dumps(served).encode())

    assert verify_credential(golden_signed(), now=NOW, fetch=fetch).outcome == "revoked"


def test_status_list_signed_by_another_issuer_is_refused() -> None:
    forged = status_list(key=other_key())
    result = verify_credential(golden_signed(), now=NOW, status_lists={STATUS_URL: forged})
    assert _status(result).status.value == "failed"
    assert str(_status(result).problem.title) == "Status list from another issuer"


def test_tampered_status_list_is_refused() -> None:
    forged = status_list(revoked=(GOLDEN_STATUS_INDEX,))
    forged["credentialSubject"]["encodedList"] = status_list()["credentialSubject"]["encodedList"]
    result = verify_credential(golden_signed(), now=NOW, status_lists={STATUS_URL: forged})
    assert _status(result).status.value == "failed"
    assert not result.verified


def test_status_purpose_must_match() -> None:
    wrong = status_list(purpose=SUSPENSION)
    result = verify_credential(golden_signed(), now=NOW, status_lists={STATUS_URL: wrong})
    assert _status(result).status.value == "failed"
    assert "not revocation" in _status(result).message_in()


def test_short_lists_are_refused_for_herd_privacy() -> None:
    result = verify_credential(golden_signed(), now=NOW, status_lists={STATUS_URL: status_list(entries=1024)})
    assert _status(result).problem.type == BSL + "STATUS_LIST_LENGTH_ERROR"


def test_an_older_list_never_un_revokes() -> None:
    """Once a source has seen an entry revoked, a stale copy served later cannot undo it."""
    credential = golden_signed()
    source = StatusListSource(documents={STATUS_URL: status_list(revoked=(GOLDEN_STATUS_INDEX,))})
    assert verify_credential(credential, now=NOW, status_lists=source).outcome == "revoked"
    replay = StatusListSource(documents={STATUS_URL: status_list(valid_from=SIGNED_AT)})
    replay.remember_revoked(STATUS_URL, GOLDEN_STATUS_INDEX)
    assert verify_credential(credential, now=NOW, status_lists=replay).outcome == "revoked"


def test_status_is_skipped_when_the_proof_fails() -> None:
    credential = golden_signed()
    credential["credentialSubject"]["name"] = "张三"
    result = verify_credential(credential, now=NOW, status_lists={STATUS_URL: status_list()})
    assert _status(result).status.value == "skipped"
