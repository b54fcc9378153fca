"""ecdsa-jcs-2019 (Data Integrity ECDSA Cryptosuites v1.0 §3.3): P-256/P-384 over JCS."""

from .base import DATA_INTEGRITY_PROOF, Cryptosuite, jcs_canonicalize

ECDSA_JCS_2019 = Cryptosuite(
    name="ecdsa-jcs-2019",
    proof_type=DATA_INTEGRITY_PROOF,
    key_algorithms=frozenset({"P-256", "P-384"}),
    canonicalize=jcs_canonicalize,
    proof_carries_context=True,
)
