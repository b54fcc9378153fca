"""Writing trust lists: what a registry operator does with ``microcred trust``.

The operator keeps an *unsigned* trust list (a ``TrustListCredential`` without dates or proof)
and edits it entry by entry; :func:`sign_trust_list` turns it into the signed credential that
verifiers load: ``validFrom`` now, ``validUntil`` after the list's validity period, the next
``sequenceNumber``, and an ``eddsa-rdfc-2022`` Data Integrity proof by the registry's key. The
format is described in ``docs/trust-lists.md``; :func:`verifier.trust_lists.read_trust_list`
is its reader.

Every function returns a new document and leaves its argument unchanged.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from .contexts import MICROCRED_V1, VC_V2
from .dataintegrity import EDDSA_RDFC_2022, add_proof
from .datetimes import format_date_time_stamp, utc_now
from .multikey import Signer
from .trust import TRUST_LIST_CREDENTIAL, TRUST_LIST_SCHEMA, TRUSTED_ISSUER, TrustedIssuer

#: How long a signed list is valid unless the operator says otherwise. Verifiers refuse an
#: expired list, so the operator re-signs at least this often. ETSI TS 119 612 trusted lists
#: announce their next update at most six months ahead; a shorter period limits how long a
#: removed issuer stays trusted by a verifier holding an old copy.
DEFAULT_VALIDITY = timedelta(days=90)


class TrustListEditError(ValueError):
    """An edit or signature the list does not allow; the message says why."""


def new_trust_list(
    *,
    registry: str,
    registry_name: str | None = None,
    list_id: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """An empty, unsigned trust list of the registry ``registry`` (a DID)."""
    if not registry.startswith("did:"):
        raise TrustListEditError(f"the registry must be a DID, not {registry!r}")
    issuer: dict[str, Any] = {"id": registry}
    if registry_name:
        issuer["name"] = registry_name
    document: dict[str, Any] = {
        "@context": [VC_V2, MICROCRED_V1],
        "id": list_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", TRUST_LIST_CREDENTIAL],
    }
    if name:
        document["name"] = name
    document["issuer"] = issuer
    document["credentialSchema"] = {"id": TRUST_LIST_SCHEMA, "type": "JsonSchema"}
    document["credentialSubject"] = []
    return document


def entry_json(issuer: TrustedIssuer) -> dict[str, Any]:
    """One ``TrustedIssuer`` entry as it appears in the list."""
    names = {"zh": issuer.name_zh}
    if issuer.name_en:
        names["en"] = issuer.name_en
    entry: dict[str, Any] = {
        "id": issuer.did,
        "type": TRUSTED_ISSUER,
        "name": issuer.name_zh,
        "nameMap": names,
    }
    if issuer.institution_code:
        entry["institutionCode"] = issuer.institution_code
    if issuer.domain:
        entry["domain"] = issuer.domain.lower()
    if issuer.valid_from is not None:
        entry["validFrom"] = format_date_time_stamp(issuer.valid_from)
    if issuer.valid_until is not None:
        entry["validUntil"] = format_date_time_stamp(issuer.valid_until)
    return entry


def _entries(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("credentialSubject", [])
    entries = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
        raise TrustListEditError("the list's credentialSubject entries must be objects with an id")
    return entries


def add_issuer(document: Mapping[str, Any], issuer: TrustedIssuer) -> dict[str, Any]:
    """The list with ``issuer`` added, or its entry replaced if the DID is already listed."""
    if not issuer.did.startswith("did:") or "#" in issuer.did:
        raise TrustListEditError(f"an issuer must be a DID without a fragment, not {issuer.did!r}")
    if not issuer.name_zh.strip():
        raise TrustListEditError("an issuer needs its Chinese name")
    if issuer.valid_from and issuer.valid_until and issuer.valid_until < issuer.valid_from:
        raise TrustListEditError("the entry's validUntil is earlier than its validFrom")
    result = copy.deepcopy(dict(document))
    entries = _entries(result)
    new = entry_json(issuer)
    for position, entry in enumerate(entries):
        if entry["id"] == issuer.did:
            entries[position] = new
            break
    else:
        entries.append(new)
    result["credentialSubject"] = entries
    return result


def remove_issuer(document: Mapping[str, Any], did: str) -> dict[str, Any]:
    """The list without ``did``; an error if it is not listed."""
    result = copy.deepcopy(dict(document))
    entries = _entries(result)
    remaining = [e for e in entries if e["id"] != did]
    if len(remaining) == len(entries):
        raise TrustListEditError(f"{did} is not on the list")
    result["credentialSubject"] = remaining
    return result


def sign_trust_list(
    document: Mapping[str, Any],
    signer: Signer,
    *,
    now: datetime | None = None,
    valid_for: timedelta = DEFAULT_VALIDITY,
) -> dict[str, Any]:
    """The signed trust list: dated, numbered and signed by the registry (see module docstring).

    The signer's verification method must belong to the list's issuer (the registry DID). The
    returned list's ``sequenceNumber`` is one more than the document's; store it back into the
    unsigned list so that the next signature counts on from it.
    """
    moment = now or utc_now()
    if valid_for <= timedelta(0):
        raise TrustListEditError("the validity period must be positive")
    unsigned = {k: copy.deepcopy(v) for k, v in document.items() if k != "proof"}
    if not _entries(unsigned):
        raise TrustListEditError("the list names no issuer yet; add one before signing")
    issuer = unsigned.get("issuer")
    registry = issuer.get("id") if isinstance(issuer, dict) else issuer
    if signer.verification_method.split("#", 1)[0] != registry:
        raise TrustListEditError(
            f"the key {signer.verification_method} does not belong to the list's registry {registry}"
        )
    previous = unsigned.get("sequenceNumber", 0)
    if isinstance(previous, bool) or not isinstance(previous, int) or previous < 0:
        raise TrustListEditError("the list's sequenceNumber must be a non-negative integer")
    unsigned["validFrom"] = format_date_time_stamp(moment)
    unsigned["validUntil"] = format_date_time_stamp(moment + valid_for)
    unsigned["sequenceNumber"] = previous + 1
    signed: dict[str, Any] = add_proof(unsigned, signer, cryptosuite=EDDSA_RDFC_2022, created=moment)
    return signed


def unsigned_copy(signed: Mapping[str, Any]) -> dict[str, Any]:
    """The editable list behind a signed one: no proof, no dates, the sequence number kept."""
    return {k: copy.deepcopy(v) for k, v in signed.items() if k not in ("proof", "validFrom", "validUntil")}


__all__ = [
    "DEFAULT_VALIDITY",
    "TrustListEditError",
    "add_issuer",
    "entry_json",
    "new_trust_list",
    "remove_issuer",
    "sign_trust_list",
    "unsigned_copy",
]
