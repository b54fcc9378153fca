"""Trust lists: which issuer DIDs belong to which institutions, according to someone you trust.

A valid signature proves *who controls the key*, not *who that is*: a credential may claim to
be from 北京科技大学 and be signed by anyone's key. The trust check compares the issuer DID with
the lists the verifier is configured to trust, and the page shows the institution as the list
names it. An issuer no list names is reported plainly as unknown: a warning, not a failure of
the signature and not a pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """One institution on a trust list."""

    did: str
    name_zh: str
    name_en: str | None = None
    institution_code: str | None = None
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class TrustList:
    """Issuers vouched for by one registry operator."""

    operator: str
    issuers: Mapping[str, TrustedIssuer] = field(default_factory=dict)

    @classmethod
    def of(cls, operator: str, issuers: Iterable[TrustedIssuer]) -> TrustList:
        return cls(operator, {issuer.did: issuer for issuer in issuers})

    def lookup(self, did: str | None) -> TrustedIssuer | None:
        return self.issuers.get(did) if did else None


def find_issuer(trust_lists: Iterable[TrustList], did: str | None) -> tuple[TrustList, TrustedIssuer] | None:
    """The first configured list that names ``did``, with its entry."""
    for trust_list in trust_lists:
        entry = trust_list.lookup(did)
        if entry is not None:
            return trust_list, entry
    return None
