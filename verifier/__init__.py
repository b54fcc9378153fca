"""microcred's verifier: W3C Verifiable Credentials 2.0 / Open Badges 3.0 with Data Integrity.

A standards library a third party can run alone: no database, no secrets, and no network
access unless the caller passes a fetcher. The issuer service imports it; it never imports the
issuer.
"""

from .bundle import Bundle, BundleError, build_bundle
from .cache import HttpCache
from .canonical import CanonicalizationLimitError, canonize_jcs, canonize_quads
from .configured import ConfiguredVerifier, VerifierSettings
from .contexts import ContextStore, document_loader
from .dataintegrity import (
    ALL_CRYPTOSUITES,
    ECDSA_JCS_2019,
    ECDSA_RDFC_2019,
    ED25519_SIGNATURE_2020,
    EDDSA_JCS_2022,
    EDDSA_RDFC_2022,
    Cryptosuite,
    VerifiedProof,
    add_proof,
    create_proof,
    verify_proofs,
)
from .dids import DIDDocument, DIDResolver, VerificationMethod, did_web_url, resolve_did_key
from .fetch import Fetcher, FetchError, FetchResponse, HttpFetcher
from .i18n import LANGUAGES, Text
from .linkeddata import strict_expand
from .model import CredentialFacts, read_facts
from .multikey import Ed25519Signer, PublicKey, Signer, decode_public_key_multibase
from .presentation import PresentationResult, verify_presentation
from .problems import Problem, ProblemError, RetrievalError
from .qr import QRPayloadError, check_related_resource, decode_qr_text, encode_qr_text
from .rdf import expanded_to_quads
from .result import CHECK_IDS, CheckResult, CheckStatus, VerificationResult
from .status import (
    Bitstring,
    StatusListSource,
    decode_status_list,
    encode_status_list,
    read_status,
)
from .trust import TrustedIssuer, TrustList, UnusableTrustList
from .trust_lists import TrustListError, TrustListProvider, read_trust_list
from .verify import verify_credential

__version__ = "0.1.0"

__all__ = [
    "ALL_CRYPTOSUITES",
    "CHECK_IDS",
    "ECDSA_JCS_2019",
    "ECDSA_RDFC_2019",
    "ED25519_SIGNATURE_2020",
    "EDDSA_JCS_2022",
    "EDDSA_RDFC_2022",
    "LANGUAGES",
    "Bitstring",
    "Bundle",
    "BundleError",
    "CanonicalizationLimitError",
    "CheckResult",
    "CheckStatus",
    "ConfiguredVerifier",
    "ContextStore",
    "CredentialFacts",
    "Cryptosuite",
    "DIDDocument",
    "DIDResolver",
    "Ed25519Signer",
    "FetchError",
    "FetchResponse",
    "Fetcher",
    "HttpCache",
    "HttpFetcher",
    "PresentationResult",
    "Problem",
    "ProblemError",
    "PublicKey",
    "QRPayloadError",
    "RetrievalError",
    "Signer",
    "StatusListSource",
    "Text",
    "TrustList",
    "TrustListError",
    "TrustListProvider",
    "TrustedIssuer",
    "UnusableTrustList",
    "VerificationMethod",
    "VerificationResult",
    "VerifiedProof",
    "VerifierSettings",
    "__version__",
    "add_proof",
    "build_bundle",
    "canonize_jcs",
    "canonize_quads",
    "check_related_resource",
    "create_proof",
    "decode_public_key_multibase",
    "decode_qr_text",
    "decode_status_list",
    "did_web_url",
    "document_loader",
    "encode_qr_text",
    "encode_status_list",
    "expanded_to_quads",
    "read_facts",
    "read_status",
    "read_trust_list",
    "resolve_did_key",
    "strict_expand",
    "verify_credential",
    "verify_presentation",
    "verify_proofs",
]
