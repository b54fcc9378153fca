"""Multikey decoding, weak keys, did:key, did:web and HTTPS controller documents."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from factories import NOW, STATUS_URL, golden_unsigned, sign, status_list, vector, w3c_test_key

from verifier import verify_credential
from verifier.dids import DIDResolver, did_web_url, parse_did_document, resolve_did_key
from verifier.fetch import FetchError, FetchResponse
from verifier.multikey import (
    InvalidKeyError,
    PublicKey,
    decode_multibase,
    decode_public_key_multibase,
    encode_base58btc,
    public_key_from_raw_ed25519,
)
from verifier.problems import ProblemError, RetrievalError

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
ED25519_HEADER = b"\xed\x01"

# The eight points of small order on edwards25519, canonically encoded (y little-endian with
# the sign of x in the top bit), plus non-canonical encodings of some of them.
SMALL_ORDER_POINTS = [
    (1).to_bytes(32, "little"),  # identity
    (P - 1).to_bytes(32, "little"),  # order 2
    (0).to_bytes(32, "little"),  # order 4
    ((0).to_bytes(32, "little")[:31] + b"\x80"),  # order 4, x negative
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),  # order 8
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),  # order 8
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),  # order 8
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),  # order 8
    (P + 1).to_bytes(32, "little"),  # identity, non-canonical (y >= p)
]


@pytest.mark.parametrize("raw", SMALL_ORDER_POINTS, ids=range(len(SMALL_ORDER_POINTS)))
def test_small_order_ed25519_keys_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidKeyError):
        decode_public_key_multibase(encode_base58btc(ED25519_HEADER + raw))
    with pytest.raises(InvalidKeyError):
        public_key_from_raw_ed25519(raw)


def test_small_order_did_key_with_trivial_signature_does_not_verify_anything() -> None:
    """With the identity point as key, (R = identity, S = 0) verifies any message in OpenSSL."""
    weak = encode_base58btc(ED25519_HEADER + SMALL_ORDER_POINTS[0])
    trivial = encode_base58btc((1).to_bytes(32, "little") + bytes(32))
    document = golden_unsigned(status=False)
    document["issuer"]["id"] = f"did:key:{weak}"
    document["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-07-01T00:00:00Z",
        "verificationMethod": f"did:key:{weak}#{weak}",
        "proofPurpose": "assertionMethod",
        "proofValue": trivial,
    }
    result = verify_credential(document, now=NOW)
    proof = result.check("proof")
    assert proof is not None
    assert proof.status.value == "failed"
    assert not result.verified


def test_non_canonical_signature_is_refused() -> None:
    key = w3c_test_key()
    message = b"hello"
    signature = key.private_key.sign(message)
    s = int.from_bytes(signature[32:], "little") + L
    with pytest.raises(InvalidSignature):
        key.public_key.verify(signature[:32] + s.to_bytes(32, "little"), message)
    key.public_key.verify(signature, message)  # the canonical one is fine


@pytest.mark.parametrize(
    "value",
    ["", "z", "m" + "A" * 40, "z0OIl", "u===", 5],
    ids=["empty", "prefix-only", "unknown-base", "bad-alphabet", "padded-base64", "not-a-string"],
)
def test_bad_multibase_is_refused(value: Any) -> None:
    with pytest.raises(InvalidKeyError):
        decode_multibase(value)


def test_unknown_key_type_and_wrong_length_are_refused() -> None:
    with pytest.raises(InvalidKeyError, match="unsupported key type"):
        decode_public_key_multibase(encode_base58btc(b"\xe7\x01" + bytes(33)))  # secp256k1
    with pytest.raises(InvalidKeyError, match="32 bytes"):
        decode_public_key_multibase(encode_base58btc(ED25519_HEADER + bytes(31)))
    with pytest.raises(InvalidKeyError, match="not a point"):
        decode_public_key_multibase(encode_base58btc(b"\x80\x24" + b"\x02" + b"\xff" * 32))


@pytest.mark.parametrize("name", ["p256KeyPair.json", "p384KeyPair.json"])
def test_ecdsa_multikeys_round_trip(name: str) -> None:
    value = vector(f"vc-di-ecdsa/{name}")["publicKeyMultibase"]
    key = decode_public_key_multibase(value)
    assert key.multibase == value
    assert isinstance(key, PublicKey)


def test_did_key_resolves_offline() -> None:
    key = w3c_test_key()
    document = resolve_did_key(key.did_key)
    method = document.method_for(key.did_key_method, "assertionMethod")
    assert method.controller == key.did_key
    assert method.public_key.raw == key.public_key.raw


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
    ],
)
def test_did_web_urls(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize("did", ["did:web:", "did:web:a/b", "did:web:host#frag", "did:web:a::b", "did:key:x"])
def test_bad_did_web_identifiers(did: str) -> None:
    with pytest.raises(ProblemError):
        did_web_url(did)


def _did_web_document(
    did: str, key_fragment: str = "key-0", relationship: str = "assertionMethod"
) -> dict[str, Any]:
    key = w3c_test_key()
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#{key_fragment}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key.multibase,
            }
        ],
        relationship: [f"#{key_fragment}"],
    }


def _web_signed(did: str) -> dict[str, Any]:
    document = golden_unsigned(status=False)
    document["issuer"]["id"] = did
    document["credentialSubject"]["achievement"]["creator"]["parentOrg"]["id"] = did
    return sign(document, w3c_test_key(), **{})  # signed below with the did:web method


def test_did_web_issuer_verifies_through_a_fetcher() -> None:
    did = "did:web:www.example.edu.cn"
    requested: list[str] = []

    def fetch(url: str, *, accept: str) -> FetchResponse:
        requested.append(url)
        import json

        return FetchResponse(url, json.dumps(_did_web_document(did)).encode())

    document = golden_unsigned(status=False)
    document["issuer"]["id"] = did
    from verifier.dataintegrity import add_proof

    signed = add_proof(document, w3c_test_key().signer(f"{did}#key-0"), created=NOW)
    result = verify_credential(signed, now=NOW, fetch=fetch)
    assert result.verified, result.to_json()
    assert requested == ["https://www.example.edu.cn/.well-known/did.json"]


def test_did_web_without_network_is_unknown_not_failed() -> None:
    from verifier.dataintegrity import add_proof

    did = "did:web:www.example.edu.cn"
    document = golden_unsigned(status=False)
    document["issuer"]["id"] = did
    signed = add_proof(document, w3c_test_key().signer(f"{did}#key-0"), created=NOW)
    result = verify_credential(signed, now=NOW)
    proof = result.check("proof")
    assert proof is not None
    assert proof.status.value == "unknown"
    assert result.outcome == "unknown"


def test_did_web_fetch_failure_is_unknown() -> None:
    def fetch(url: str, *, accept: str) -> FetchResponse:
        from verifier.i18n import t

        raise FetchError(t("{url} could not be reached", url=url))

    with pytest.raises(RetrievalError, match="could not be fetched"):
        DIDResolver(fetch=fetch).resolve("did:web:www.example.edu.cn")


def test_key_must_be_listed_for_assertion() -> None:
    did = "did:web:www.example.edu.cn"
    document = parse_did_document(_did_web_document(did, relationship="authentication"), did)
    with pytest.raises(ProblemError, match="not authorized"):
        document.method_for(f"{did}#key-0", "assertionMethod")


def test_did_document_must_be_about_the_did() -> None:
    with pytest.raises(ProblemError, match="instead"):
        parse_did_document(_did_web_document("did:web:evil.example"), "did:web:www.example.edu.cn")


def test_did_document_with_private_jwk_is_refused() -> None:
    did = "did:web:www.example.edu.cn"
    document = {
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#k",
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"},
            }
        ],
    }
    with pytest.raises(ProblemError, match="private"):
        parse_did_document(document, did)


def test_key_controlled_by_someone_else_is_refused() -> None:
    did = "did:web:www.example.edu.cn"
    raw = _did_web_document(did)
    raw["verificationMethod"][0]["controller"] = "did:web:other.example"
    with pytest.raises(ProblemError, match="controlled by"):
        parse_did_document(raw, did).method_for(f"{did}#key-0", "assertionMethod")


def test_unsupported_did_method() -> None:
    with pytest.raises(ProblemError, match="not supported"):
        DIDResolver().resolve("did:ion:abc")


def test_status_list_signed_by_the_issuer_verifies() -> None:
    # Sanity check for the fixtures the status tests build on.
    assert verify_credential(status_list(), now=NOW).verified
    assert STATUS_URL.startswith("https://")
