"""Test factories: every call returns a fresh copy, so a test can mutate what it gets."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from issuer.credential import CertificateDetails, StatusEntry, build_credential
from issuer.demo_data import DEMO_LEARNERS, demo_institution, demo_micro_major, demo_results
from issuer.fields import DEFAULT_INDUSTRY_FIELDS
from issuer.keyfile import KeyPair, load_key_pair
from issuer.status_lists import build_status_list_credential, new_bitstring
from verifier.dataintegrity import add_proof
from verifier.status import REVOCATION, SUSPENSION

ROOT = Path(__file__).resolve().parent
#: The repository root.
REPO = ROOT.parent
VECTORS = ROOT / "vectors"
FIXTURES = ROOT / "fixtures"

#: When the golden credential was signed, and a moment at which it is valid.
SIGNED_AT = datetime(2025, 7, 1, tzinfo=UTC)
NOW = datetime(2025, 9, 1, tzinfo=UTC)
STATUS_URL = "https://www.example.edu.cn/microcred/status/revocation/1"
SUSPENSION_URL = "https://www.example.edu.cn/microcred/status/suspension/1"
GOLDEN_STATUS_INDEX = 94567


def vector(path: str) -> Any:
    """A parsed JSON file from tests/vectors/ (fresh each call)."""
    return json.loads((VECTORS / path).read_text("utf-8"))


def vector_text(path: str) -> str:
    return (VECTORS / path).read_text("utf-8")


@cache
def _test_key(name: str) -> KeyPair:
    return load_key_pair(FIXTURES / "keys" / name)


def w3c_test_key() -> KeyPair:
    """The W3C vc-di-eddsa test key (public knowledge: a test key only)."""
    return _test_key("TEST-w3c-ed25519.keypair.json")


def other_key() -> KeyPair:
    """A second test key, for "signed by someone else" cases."""
    return _test_key("TEST-other-ed25519.keypair.json")


def golden_unsigned(*, status: bool = True, key: KeyPair | None = None) -> dict[str, Any]:
    """The golden 8-course micro-major credential (fixed ids, dates and salt)."""
    issuer_key = key or w3c_test_key()
    learner, grades = DEMO_LEARNERS[0]
    details = CertificateDetails(
        certificate_number="SF-WZY-2025-000001",
        valid_from=SIGNED_AT,
        study_start=date(2024, 9, 1),
        study_end=date(2025, 6, 30),
        credential_id="urn:uuid:0b5c7a36-0d2b-4f3e-9b0e-3f1c2d4e5f60",
        status=(StatusEntry(REVOCATION, GOLDEN_STATUS_INDEX, STATUS_URL),) if status else (),
    )
    return build_credential(
        demo_institution(issuer_key.did_key),
        demo_micro_major(),
        learner,
        demo_results(grades),
        details,
        industry_fields=DEFAULT_INDUSTRY_FIELDS,
        salt="0123456789abcdef0123456789abcdef",
    )


def sign(document: dict[str, Any], key: KeyPair | None = None, **kwargs: Any) -> dict[str, Any]:
    """Sign ``document`` with the test key (created = SIGNED_AT unless given)."""
    kwargs.setdefault("created", SIGNED_AT)
    return add_proof(document, (key or w3c_test_key()).signer(), **kwargs)


def golden_signed(**kwargs: Any) -> dict[str, Any]:
    return sign(golden_unsigned(**kwargs))


def status_list(
    *,
    revoked: tuple[int, ...] = (),
    url: str = STATUS_URL,
    purpose: str = REVOCATION,
    key: KeyPair | None = None,
    entries: int | None = None,
    valid_from: datetime = SIGNED_AT,
) -> dict[str, Any]:
    """A signed status list credential with ``revoked`` indexes set."""
    issuer_key = key or w3c_test_key()
    bitstring = new_bitstring() if entries is None else _short_bitstring(entries)
    for index in revoked:
        bitstring.set(index, 1)
    unsigned = build_status_list_credential(
        url=url, issuer=issuer_key.did_key, purpose=purpose, bitstring=bitstring, valid_from=valid_from
    )
    return sign(unsigned, issuer_key)


def _short_bitstring(entries: int) -> Any:
    from verifier.status import Bitstring

    return Bitstring(entries)


def fresh(value: Any) -> Any:
    return copy.deepcopy(value)


__all__ = [
    "FIXTURES",
    "NOW",
    "SIGNED_AT",
    "STATUS_URL",
    "SUSPENSION",
    "SUSPENSION_URL",
    "VECTORS",
    "golden_signed",
    "golden_unsigned",
    "other_key",
    "sign",
    "status_list",
    "vector",
    "vector_text",
    "w3c_test_key",
]
