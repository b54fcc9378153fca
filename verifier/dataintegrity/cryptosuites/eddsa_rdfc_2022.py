"""eddsa-rdfc-2022 (Data Integrity EdDSA Cryptosuites v1.0 §3.3): Ed25519 over RDFC-1.0."""

from .base import DATA_INTEGRITY_PROOF, Cryptosuite, rdfc_canonicalize

EDDSA_RDFC_2022 = Cryptosuite(
    name="eddsa-rdfc-2022",
    proof_type=DATA_INTEGRITY_PROOF,
    key_algorithms=frozenset({"Ed25519"}),
    canonicalize=rdfc_canonicalize,
)
