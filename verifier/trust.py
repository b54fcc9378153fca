"""Trust lists: which issuer DIDs belong to which institutions, according to someone you trust.

A valid signature proves *who controls the key*, not *who that is*: a credential may claim to
be from 北京科技大学 and be signed by anyone's key. The trust check compares the issuer DID with
the lists the verifier is configured to trust, and the page shows the institution as the list
names it. An issuer no list names is reported plainly as unknown: a warning, not a failure of
the signature and not a pass.

A trust list is itself a verifiable credential (a ``TrustListCredential``, see
``docs/trust-lists.md``) signed by a registry operator; :mod:`verifier.trust_lists` verifies
one and turns it into the :class:`TrustList` defined here. This module is only the data model
and the lookup, so that the checks can use it without depending on verification.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .i18n import Text

#: The credential type of a trust list, and of one entry (terms of https://w3id.org/microcred/v1).
TRUST_LIST_CREDENTIAL = "TrustListCredential"
TRUSTED_ISSUER = "TrustedIssuer"
#: Their expanded IRIs.
TRUST_LIST_CREDENTIAL_IRI = "https://w3id.org/microcred/vocab#TrustListCredential"
TRUSTED_ISSUER_IRI = "https://w3id.org/microcred/vocab#TrustedIssuer"
#: The JSON Schema every trust list must match (pinned in schemas/manifest.json).
TRUST_LIST_SCHEMA = "https://w3id.org/microcred/schema/trust-list-v1.json"


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """One institution on a trust list, optionally listed for a period only."""

    did: str
    name_zh: str
    name_en: str | None = None
    institution_code: str | None = None
    domain: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def listed_at(self, moment: datetime) -> bool:
        """Whether the entry covers ``moment`` (its own validity period, if it has one)."""
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return self.valid_until is None or moment <= self.valid_until

    def to_json(self) -> dict[str, str | None]:
        return {
            "did": self.did,
            "nameZh": self.name_zh,
            "nameEn": self.name_en,
            "code": self.institution_code,
            "domain": self.domain,
            "validFrom": self.valid_from.isoformat() if self.valid_from else None,
            "validUntil": self.valid_until.isoformat() if self.valid_until else None,
        }


@dataclass(frozen=True, slots=True)
class TrustList:
    """Issuers vouched for by one registry operator, as read from a verified trust list."""

    operator: str
    issuers: Mapping[str, TrustedIssuer] = field(default_factory=dict)
    #: The operator's name as the list gives it (shown instead of its DID when present).
    operator_name: str | None = None
    id: str | None = None
    name: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    #: Increases with every list the operator signs (as ETSI TS 119 612's TSLSequenceNumber).
    sequence: int | None = None
    #: Where the list was read from (a file or a URL), when it was fetched, and whether that
    #: copy was served past its freshness because the origin could not be reached.
    source: str | None = None
    retrieved_at: datetime | None = None
    stale: bool = False

    @classmethod
    def of(cls, operator: str, issuers: Iterable[TrustedIssuer]) -> TrustList:
        return cls(operator, {issuer.did: issuer for issuer in issuers})

    @property
    def label(self) -> str:
        """How to name the operator to a reader: its name, else its DID."""
        return self.operator_name or self.operator

    def lookup(self, did: str | None) -> TrustedIssuer | None:
        return self.issuers.get(did) if did else None

    def to_json(self) -> dict[str, object]:
        """Where the answer came from, for the result's trust check details."""
        return {
            "id": self.id,
            "name": self.name,
            "operator": self.operator,
            "operatorName": self.operator_name,
            "validUntil": self.valid_until.isoformat() if self.valid_until else None,
            "sequence": self.sequence,
            "source": self.source,
            "retrievedAt": self.retrieved_at.isoformat() if self.retrieved_at else None,
            "stale": self.stale,
        }


@dataclass(frozen=True, slots=True)
class UnusableTrustList:
    """A configured trust list that could not be used, and why (shown in the trust check)."""

    source: str
    reason: Text


def find_issuer(
    trust_lists: Iterable[TrustList | UnusableTrustList], did: str | None, at: datetime | None = None
) -> tuple[TrustList, TrustedIssuer] | None:
    """The first configured list that names ``did`` (at moment ``at``, if given), with its entry.

    Lists are consulted in the order configured, most authoritative first (the rule the Digital
    Credentials Consortium's registry client documents for DIDs on several registries).
    """
    for trust_list in trust_lists:
        if not isinstance(trust_list, TrustList):
            continue
        entry = trust_list.lookup(did)
        if entry is not None and (at is None or entry.listed_at(at)):
            return trust_list, entry
    return None
