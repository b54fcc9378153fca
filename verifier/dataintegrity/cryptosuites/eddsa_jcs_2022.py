"""eddsa-jcs-2022 (Data Integrity EdDSA Cryptosuites v1.0 §3.4): Ed25519 over JCS."""

from .base import DATA_INTEGRITY_PROOF, Cryptosuite, jcs_canonicalize

EDDSA_JCS_2022 = Cryptosuite(
    name="eddsa-jcs-2022",
    proof_type=DATA_INTEGRITY_PROOF,
    key_algorithms=frozenset({"Ed25519"}),
    canonicalize=jcs_canonicalize,
    proof_carries_context=True,
)
