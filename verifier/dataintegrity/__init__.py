"""Data Integrity proofs (VC Data Integrity 1.0) and the cryptosuites that plug into them."""

from .cryptosuites import (
    ALL_CRYPTOSUITES,
    ECDSA_JCS_2019,
    ECDSA_RDFC_2019,
    ED25519_SIGNATURE_2020,
    EDDSA_JCS_2022,
    EDDSA_RDFC_2022,
    Cryptosuite,
)
from .proofs import (
    DEFAULT_CLOCK_SKEW,
    VerifiedProof,
    add_proof,
    create_proof,
    proofs_of,
    unsecured,
    verify_proofs,
)

__all__ = [
    "ALL_CRYPTOSUITES",
    "DEFAULT_CLOCK_SKEW",
    "ECDSA_JCS_2019",
    "ECDSA_RDFC_2019",
    "ED25519_SIGNATURE_2020",
    "EDDSA_JCS_2022",
    "EDDSA_RDFC_2022",
    "Cryptosuite",
    "VerifiedProof",
    "add_proof",
    "create_proof",
    "proofs_of",
    "unsecured",
    "verify_proofs",
]
