"""The W3C and 1EdTech Data Integrity test vectors, reproduced stage by stage.

Each stage the specs publish is asserted on its own: canonical document, document hash,
canonical proof configuration, proof-configuration hash, combined hash, signature bytes and
``proofValue``. A mismatch therefore names the stage that went wrong.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from factories import vector, vector_text

from verifier.dataintegrity import (
    ECDSA_RDFC_2019,
    ED25519_SIGNATURE_2020,
    EDDSA_JCS_2022,
    EDDSA_RDFC_2022,
    Cryptosuite,
    create_proof,
    proofs_of,
    unsecured,
    verify_proofs,
)
from verifier.dataintegrity.proofs import _proof_configuration  # the spec's named step
from verifier.dids import DIDResolver
from verifier.multikey import Ed25519Signer, decode_ed25519_secret_multibase, decode_multibase
from verifier.problems import ProblemError

NOW = datetime(2025, 6, 1, tzinfo=UTC)
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)

# (folder, file suffix, input document, suite, hash)
EDDSA_CASES = [
    ("vc-di-eddsa/eddsa-rdfc-2022", "DataInt", "vc-di-eddsa/unsigned.json", EDDSA_RDFC_2022),
    ("vc-di-eddsa/eddsa-rdfc-2022/employ", "DataInt", "vc-di-eddsa/employmentAuth.json", EDDSA_RDFC_2022),
    ("vc-di-eddsa/Ed25519Signature2020", "EdSig", None, ED25519_SIGNATURE_2020),
    ("vc-di-eddsa/eddsa-jcs-2022", "JCS", "vc-di-eddsa/unsigned.json", EDDSA_JCS_2022),
]
ECDSA_CASES = [
    ("vc-di-ecdsa/ecdsa-rdfc-2019-p256", "ECDSAP256", "vc-di-ecdsa/unsigned.json"),
    ("vc-di-ecdsa/ecdsa-rdfc-2019-p256/employ", "ECDSAP256", "vc-di-ecdsa/employmentAuth.json"),
    ("vc-di-ecdsa/ecdsa-rdfc-2019-p384", "ECDSAP384", "vc-di-ecdsa/unsigned.json"),
    ("vc-di-ecdsa/ecdsa-rdfc-2019-p384/employ", "ECDSAP384", "vc-di-ecdsa/employmentAuth.json"),
]


def _stages(
    suite: Cryptosuite, document: dict[str, Any], proof_options: dict[str, Any], algorithm: str
) -> dict[str, Any]:
    hash_name = suite.hash_name(algorithm)  # type: ignore[arg-type]
    canonical_document = suite.canonicalize(document, hash_name, None, None)
    config = _proof_configuration(proof_options, document, suite)
    canonical_config = suite.canonicalize(config, hash_name, None, None)
    return {
        "canonical_document": canonical_document.decode(),
        "canonical_config": canonical_config.decode(),
        "document_hash": hashlib.new(hash_name, canonical_document).hexdigest(),
        "config_hash": hashlib.new(hash_name, canonical_config).hexdigest(),
    }


@pytest.mark.parametrize(
    ("folder", "suffix", "unsigned_path", "suite"), EDDSA_CASES, ids=[c[0] for c in EDDSA_CASES]
)
def test_eddsa_vector_stage_by_stage(
    folder: str, suffix: str, unsigned_path: str | None, suite: Cryptosuite
) -> None:
    signed = vector(f"{folder}/signed{suffix}.json")
    document = unsecured(signed) if unsigned_path is None else vector(unsigned_path)
    options = {k: v for k, v in signed["proof"].items() if k not in ("proofValue", "@context")}
    stages = _stages(suite, document, options, "Ed25519")
    if suite is not EDDSA_JCS_2022:  # the JCS vectors publish the JSON, not N-Quads
        assert stages["canonical_document"] == vector_text(f"{folder}/canonDoc{suffix}.txt")
        assert stages["canonical_config"] == vector_text(f"{folder}/proofCanon{suffix}.txt")
    else:
        assert stages["canonical_document"] == vector_text(f"{folder}/canonDoc{suffix}.txt").strip()
    assert stages["document_hash"] == vector_text(f"{folder}/docHash{suffix}.txt").strip()
    assert stages["config_hash"] == vector_text(f"{folder}/proofHash{suffix}.txt").strip()
    combined = stages["config_hash"] + stages["document_hash"]
    assert combined == vector_text(f"{folder}/combinedHash{suffix}.txt").strip()

    key = vector("vc-di-eddsa/keyPair.json")
    signer = Ed25519Signer(
        decode_ed25519_secret_multibase(key["privateKeyMultibase"]), options["verificationMethod"]
    )
    proof = create_proof(document, signer, cryptosuite=suite, created=CREATED)
    signature = decode_multibase(proof["proofValue"])
    assert signature.hex() == vector_text(f"{folder}/sigHex{suffix}.txt").strip()
    assert proof["proofValue"] == vector_text(f"{folder}/sigBTC58{suffix}.txt").strip()
    assert proof["proofValue"] == signed["proof"]["proofValue"]
    verified = verify_proofs(signed, resolver=DIDResolver(), now=NOW)
    assert [p.cryptosuite for p in verified] == [suite.name]


@pytest.mark.parametrize(("folder", "suffix", "unsigned_path"), ECDSA_CASES, ids=[c[0] for c in ECDSA_CASES])
def test_ecdsa_rdfc_2019_vector_stage_by_stage(folder: str, suffix: str, unsigned_path: str) -> None:
    signed = vector(f"{folder}/signed{suffix}.json")
    algorithm = "P-384" if "384" in suffix else "P-256"
    options = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    stages = _stages(ECDSA_RDFC_2019, vector(unsigned_path), options, algorithm)
    assert stages["canonical_document"] == vector_text(f"{folder}/canonDoc{suffix}.txt")
    assert stages["canonical_config"] == vector_text(f"{folder}/proofCanon{suffix}.txt")
    assert stages["document_hash"] == vector_text(f"{folder}/docHash{suffix}.txt").strip()
    assert stages["config_hash"] == vector_text(f"{folder}/proofHash{suffix}.txt").strip()
    assert (
        decode_multibase(signed["proof"]["proofValue"]).hex()
        == vector_text(f"{folder}/sigHex{suffix}.txt").strip()
    )
    verified = verify_proofs(signed, resolver=DIDResolver(), now=NOW)
    assert verified[0].verification_method.public_key.algorithm == algorithm


@pytest.mark.parametrize("curve", ["p256", "p384"])
def test_ecdsa_jcs_2019_vectors_verify(curve: str) -> None:
    signed = vector(f"vc-di-ecdsa/ecdsa-jcs-2019-{curve}/signedJCSECDSA{curve.upper()}.json")
    assert [p.cryptosuite for p in verify_proofs(signed, resolver=DIDResolver(), now=NOW)] == [
        "ecdsa-jcs-2019"
    ]


@pytest.mark.parametrize("name", ["ldp-test-vector"])
@pytest.mark.parametrize("spec", ["openbadges-3.0", "clr-2.0"])
def test_1edtech_vector_stage_by_stage(spec: str, name: str) -> None:
    folder = f"{spec}/{name}"
    signed = vector(f"{folder}/signed.json")
    proof = signed["proof"][0] if isinstance(signed["proof"], list) else signed["proof"]
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    stages = _stages(EDDSA_RDFC_2022, vector(f"{folder}/unsigned.json"), options, "Ed25519")
    hashes = vector(f"{folder}/hashes.json")
    assert stages["canonical_document"] == vector_text(f"{folder}/document-canon.txt")
    assert stages["canonical_config"] == vector_text(f"{folder}/proof-canon.txt")
    assert stages["document_hash"] == hashes["documentHashHex"]
    assert stages["config_hash"] == hashes["proofHashHex"]
    assert stages["config_hash"] + stages["document_hash"] == hashes["dataToSignHex"]
    assert decode_multibase(proof["proofValue"]).hex() == hashes["signatureHex"]
    # Re-sign with the vector's own key (its 64-byte legacy secret form): same proofValue.
    key = vector(f"{folder}/keyPair.json")
    signer = Ed25519Signer(
        decode_ed25519_secret_multibase(key["secretKeyMultibase"]), proof["verificationMethod"]
    )
    created = datetime.fromisoformat(proof["created"].replace("Z", "+00:00"))
    assert (
        create_proof(vector(f"{folder}/unsigned.json"), signer, created=created)["proofValue"]
        == proof["proofValue"]
    )


def test_1edtech_vectors_verify_with_their_https_controller_document() -> None:
    controller = vector("../fixtures/dids/example-edu-issuer-565049.json")
    resolver = DIDResolver(documents={controller["id"]: controller})
    for path in ("openbadges-3.0/ldp-test-vector/signed.json", "clr-2.0/ldp-test-vector/signed.json"):
        assert len(verify_proofs(vector(path), resolver=resolver, now=NOW)) == 1


@pytest.mark.parametrize(
    "name",
    ["signedProofSet1.json", "signedProofSet2.json", "signedProofChain1.json", "signedProofChain2.json"],
)
def test_proof_sets_and_chains_verify(name: str) -> None:
    signed = vector(f"vc-di-eddsa/proof-set-chain/{name}")
    assert len(verify_proofs(signed, resolver=DIDResolver(), now=NOW)) == len(proofs_of(signed))


def test_proof_set_fails_when_one_proof_fails() -> None:
    signed = vector("vc-di-eddsa/proof-set-chain/signedProofSet2.json")
    value = signed["proof"][1]["proofValue"]
    signed["proof"][1]["proofValue"] = value[:-2] + ("11" if not value.endswith("11") else "22")
    with pytest.raises(ProblemError) as raised:
        verify_proofs(signed, resolver=DIDResolver(), now=NOW)
    assert raised.value.problem.path == "$.proof[1]"


def test_proof_chain_fails_when_the_previous_proof_is_removed() -> None:
    signed = vector("vc-di-eddsa/proof-set-chain/signedProofChain1.json")
    chained = next(p for p in signed["proof"] if "previousProof" in p)
    signed["proof"] = [chained]
    with pytest.raises(ProblemError, match="previousProof"):
        verify_proofs(signed, resolver=DIDResolver(), now=NOW)
