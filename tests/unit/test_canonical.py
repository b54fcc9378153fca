"""RDFC-1.0 and JCS: escaping, the work limit, and agreement with pyld on every vector."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from factories import VECTORS, golden_signed, golden_unsigned, vector
from pyld import jsonld

from verifier.canonical import (
    CanonicalizationLimitError,
    Quad,
    canonize_dataset,
    canonize_jcs,
    canonize_quads,
    iri_term,
    literal_term,
)
from verifier.contexts import document_loader
from verifier.linkeddata import expand
from verifier.rdf import canonical_double, expanded_to_quads

XSD = "http://www.w3.org/2001/XMLSchema#"


def _documents() -> list[Path]:
    found = []
    for path in sorted(VECTORS.rglob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        if isinstance(document, dict) and "@context" in document:
            found.append(path)
    return found


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(VECTORS)))
def test_direct_rdf_conversion_matches_pyld(path: Path) -> None:
    """verifier.rdf must produce exactly the dataset pyld's to_rdf produces (after RDFC-1.0)."""
    document = json.loads(path.read_text("utf-8"))
    ours = canonize_quads(expanded_to_quads(expand(document)))
    reference = jsonld.to_rdf(document, {"documentLoader": document_loader, "rdfDirection": "i18n-datatype"})
    assert ours == canonize_dataset(reference)


def test_direct_rdf_conversion_matches_pyld_on_the_golden_credential() -> None:
    for document in (golden_unsigned(), golden_signed()):
        reference = jsonld.to_rdf(
            document, {"documentLoader": document_loader, "rdfDirection": "i18n-datatype"}
        )
        assert canonize_quads(expanded_to_quads(expand(document))) == canonize_dataset(reference)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", '"plain"'),
        ('quote " and \\ backslash', '"quote \\" and \\\\ backslash"'),
        ("tab\tnewline\ncr\rbs\bff\f", '"tab\\tnewline\\ncr\\rbs\\bff\\f"'),
        ("nul\x00 bell\x07 vt\x0b us\x1f del\x7f", '"nul\\u0000 bell\\u0007 vt\\u000B us\\u001F del\\u007F"'),
        ("中文 é 🎓", '"中文 é 🎓"'),
    ],
)
def test_literals_are_escaped_as_canonical_n_quads(text: str, expected: str) -> None:
    """RDFC-1.0 §A: ECHAR for \\b \\t \\n \\f \\r \\" \\\\, upper-case \\uXXXX for other controls."""
    assert literal_term(text) == expected


def test_control_characters_round_trip_through_a_signed_document() -> None:
    """pyld 3.3's own serializer leaves \\b, \\f and NUL raw; ours must not."""
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:s", "name": "a\bb\fc\x00d"},
    }
    canonical = canonize_quads(expanded_to_quads(expand(document)))
    assert '"a\\bb\\fc\\u0000d"' in canonical
    assert "\x00" not in canonical


def test_literal_datatypes_and_languages() -> None:
    assert literal_term("12", XSD + "integer") == f'"12"^^<{XSD}integer>'
    assert literal_term("x", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "zh") == '"x"@zh'
    assert iri_term("https://example.com/a b") == "<https://example.com/a\\u0020b>"


@pytest.mark.parametrize(
    ("value", "expected"), [(1.5, "1.5E0"), (1e21, "1.0E21"), (0.1, "1.0E-1"), (-2.25, "-2.25E0")]
)
def test_canonical_double(value: float, expected: str) -> None:
    assert canonical_double(value) == expected


def _clique(size: int) -> list[Quad]:
    predicate = "http://example.com/p"
    return [
        Quad(f"_:n{i}", iri_term(predicate), f"_:n{j}", "", predicate)
        for i in range(size)
        for j in range(size)
        if i != j
    ]


def test_blank_node_clique_is_refused_quickly() -> None:
    """RDFC-1.0 §4.4.3 / §6: a poisoned dataset is aborted, well under a second."""
    started = time.perf_counter()
    with pytest.raises(CanonicalizationLimitError):
        canonize_quads(_clique(7))
    assert time.perf_counter() - started < 1.0


def test_small_cliques_still_canonicalize() -> None:
    assert canonize_quads(_clique(3)).count("\n") == 6


def test_poisoned_credential_is_refused_by_the_verifier() -> None:
    """A few-KB JSON-LD document whose blank nodes form a clique is refused in well under 1 s."""
    from verifier import verify_credential

    nodes: list[dict[str, Any]] = [{"id": f"_:n{i}"} for i in range(8)]
    for node in nodes:
        node["knows"] = [{"id": other["id"]} for other in nodes if other is not node]
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "credentialSubject": {"id": "did:example:s", "graph": nodes},
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            "proofPurpose": "assertionMethod",
            "proofValue": "z" + "1" * 80,
        },
    }
    assert len(json.dumps(document)) < 8192
    started = time.perf_counter()
    result = verify_credential(document)
    assert time.perf_counter() - started < 1.0
    proof = result.check("proof")
    assert proof is not None
    assert proof.status.value == "failed"
    assert proof.problem is not None
    assert proof.problem.type.endswith("#PARSING_ERROR")


def test_jcs_vectors() -> None:
    """eddsa-jcs-2022 publishes the JCS of its input; RFC 8785 number forms are ECMAScript's."""
    assert (
        canonize_jcs(vector("vc-di-eddsa/unsigned.json")).decode()
        == (VECTORS / "vc-di-eddsa/eddsa-jcs-2022/canonDocJCS.txt").read_text("utf-8").strip()
    )
    assert canonize_jcs({"b": [1e21, 1e-7, 0.5, 123456789012.0], "a": "é", "\u20ac": 1}).decode() == (
        '{"a":"é","b":[1e+21,1e-7,0.5,123456789012],"€":1}'
    )


def test_jcs_refuses_values_it_cannot_represent() -> None:
    with pytest.raises(ValueError, match="NaN"):
        canonize_jcs(float("nan"))
    with pytest.raises(ValueError, match="2\\*\\*53"):
        canonize_jcs(2**60)


def test_sha384_changes_blank_node_labels_as_the_p384_vector_requires() -> None:
    document = vector("vc-di-ecdsa/employmentAuth.json")
    quads = expanded_to_quads(expand(document))
    assert canonize_quads(quads, hash_algorithm="sha384") == (
        VECTORS / "vc-di-ecdsa/ecdsa-rdfc-2019-p384/employ/canonDocECDSAP384.txt"
    ).read_text("utf-8")
    with pytest.raises(ValueError, match="sha256"):
        canonize_quads(quads, hash_algorithm="md5")
