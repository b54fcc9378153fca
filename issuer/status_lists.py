"""Build the issuer's Bitstring Status List credentials (Bitstring Status List v1.0 §2.2).

A list credential is an ordinary credential, signed by the same issuer as the credentials it
covers, whose subject carries the GZIP+base64url ``encodedList``. Verifiers check the
signature and the issuer before they trust a single bit of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from verifier.contexts import VC_V2
from verifier.datetimes import format_date_time_stamp
from verifier.status import MIN_ENTRIES, Bitstring


def new_bitstring(entries: int = MIN_ENTRIES) -> Bitstring:
    """An all-zero list with at least the minimum number of entries (herd privacy)."""
    return Bitstring(max(entries, MIN_ENTRIES))


def build_status_list_credential(
    *,
    url: str,
    issuer: str,
    purpose: str,
    bitstring: Bitstring,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` published at ``url``."""
    subject: dict[str, Any] = {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": bitstring.encode(),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_date_time_stamp(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_date_time_stamp(valid_until)
    credential["credentialSubject"] = subject
    return credential
