"""Cryptosuites: one small value per suite, plugged into the generic Data Integrity proof.

Each suite says which proof ``type`` (and ``cryptosuite`` name) it handles, which key types it
accepts, how it canonicalizes (the spec's *transformation* and *proof configuration* steps) and
which hash it uses. Signing and verifying themselves live in :mod:`..proofs`, once for all.
"""

from __future__ import annotations

from .base import Cryptosuite
from .ecdsa_jcs_2019 import ECDSA_JCS_2019
from .ecdsa_rdfc_2019 import ECDSA_RDFC_2019
from .ed25519_signature_2020 import ED25519_SIGNATURE_2020
from .eddsa_jcs_2022 import EDDSA_JCS_2022
from .eddsa_rdfc_2022 import EDDSA_RDFC_2022

#: Every suite this library can verify, keyed by the name a proof carries
#: (``cryptosuite`` for DataIntegrityProof, ``type`` for the legacy suite).
ALL_CRYPTOSUITES: dict[str, Cryptosuite] = {
    suite.name: suite
    for suite in (
        EDDSA_RDFC_2022,
        ECDSA_RDFC_2019,
        EDDSA_JCS_2022,
        ECDSA_JCS_2019,
        ED25519_SIGNATURE_2020,
    )
}

__all__ = [
    "ALL_CRYPTOSUITES",
    "ECDSA_JCS_2019",
    "ECDSA_RDFC_2019",
    "ED25519_SIGNATURE_2020",
    "EDDSA_JCS_2022",
    "EDDSA_RDFC_2022",
    "Cryptosuite",
]
