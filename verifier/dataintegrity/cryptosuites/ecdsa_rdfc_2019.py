"""ecdsa-rdfc-2019 (Data Integrity ECDSA Cryptosuites v1.0 §3.2): P-256/SHA-256, P-384/SHA-384.

For P-384 the hash is SHA-384 both for the proof hashes and inside RDFC-1.0 itself.
"""

from .base import DATA_INTEGRITY_PROOF, Cryptosuite, rdfc_canonicalize

ECDSA_RDFC_2019 = Cryptosuite(
    name="ecdsa-rdfc-2019",
    proof_type=DATA_INTEGRITY_PROOF,
    key_algorithms=frozenset({"P-256", "P-384"}),
    canonicalize=rdfc_canonicalize,
)
