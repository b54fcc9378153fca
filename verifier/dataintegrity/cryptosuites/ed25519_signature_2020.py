"""Ed25519Signature2020 (the legacy suite, Data Integrity EdDSA Cryptosuites v1.0 §3.5? / CCG).

Verification only matters here: credentials issued before 2023 by other institutions use it.
The proof ``type`` names the suite; the proof configuration is canonicalized with the
document's contexts plus the suite context.
"""

from ...contexts import ED25519_2020_V1
from .base import Cryptosuite, rdfc_canonicalize

ED25519_SIGNATURE_2020 = Cryptosuite(
    name="Ed25519Signature2020",
    proof_type="Ed25519Signature2020",
    key_algorithms=frozenset({"Ed25519"}),
    canonicalize=rdfc_canonicalize,
    proof_context=ED25519_2020_V1,
)
