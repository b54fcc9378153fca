"""Pinned contexts, schemas and vectors are byte-exact, and the loader serves nothing else."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from factories import VECTORS

from verifier.contexts import ContextStore, default_store, document_loader
from verifier.problems import ProblemError
from verifier.schema import SchemaStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("folder", ["contexts", "schemas"])
def test_manifest_digests_match_the_bytes(folder: str) -> None:
    manifest = json.loads((ROOT / folder / "manifest.json").read_text("utf-8"))
    entries = manifest["contexts" if folder == "contexts" else "schemas"]
    assert entries
    for url, entry in entries.items():
        digest = hashlib.sha256((ROOT / folder / entry["file"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], url


def test_vector_files_are_unchanged() -> None:
    manifest = json.loads((VECTORS / "manifest.json").read_text("utf-8"))
    for name, digest in manifest.items():
        assert hashlib.sha256((VECTORS / name).read_bytes()).hexdigest() == digest, name


def test_w3c_published_context_digests() -> None:
    """The digests the W3C Recommendations print for their contexts."""
    store = default_store()
    published = {
        "https://www.w3.org/ns/credentials/v2": "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
        "https://w3id.org/security/data-integrity/v2": "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
        "https://w3id.org/security/multikey/v1": "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
        "https://www.w3.org/ns/credentials/status/v1": "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7",
    }
    manifest = json.loads((ROOT / "contexts" / "manifest.json").read_text("utf-8"))["contexts"]
    for url, digest in published.items():
        assert url in store
        assert manifest[url]["sha256"] == digest


def test_loader_refuses_any_other_url() -> None:
    for url in (
        "https://example.com/context.jsonld",
        "http://www.w3.org/ns/credentials/v2",
        "file:///etc/passwd",
    ):
        with pytest.raises(ProblemError, match="never fetched"):
            document_loader(url)


def test_loader_marks_contexts_static_for_caching() -> None:
    assert document_loader("https://www.w3.org/ns/credentials/v2")["tag"] == "static"


def test_tampered_context_file_is_detected(tmp_path: Path) -> None:
    for name in ("manifest.json", "credentials-v2.jsonld"):
        (tmp_path / name).write_bytes((ROOT / "contexts" / name).read_bytes())
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    manifest["contexts"] = {
        "https://www.w3.org/ns/credentials/v2": manifest["contexts"]["https://www.w3.org/ns/credentials/v2"]
    }
    manifest["aliases"] = {}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert "https://www.w3.org/ns/credentials/v2" in ContextStore(tmp_path)
    (tmp_path / "credentials-v2.jsonld").write_bytes(b"{}")
    with pytest.raises(ValueError, match="SHA-256"):
        ContextStore(tmp_path)


def test_tampered_schema_file_is_detected(tmp_path: Path) -> None:
    manifest = json.loads((ROOT / "schemas" / "manifest.json").read_text("utf-8"))
    url, entry = next(iter(manifest["schemas"].items()))
    manifest["schemas"] = {url: entry}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (tmp_path / entry["file"]).write_text('{"type": "object"}', "utf-8")
    with pytest.raises(ValueError, match="SHA-256"):
        SchemaStore(tmp_path)


def test_microcred_extension_context_redefines_ob_terms_identically() -> None:
    """Our context reuses OB's creditsAvailable; JSON-LD only allows that if the definitions match."""
    ours = default_store().get("https://w3id.org/microcred/v1")["@context"]["creditsAvailable"]
    ob = default_store().get("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")["@context"][
        "Achievement"
    ]["@context"]
    assert ours == ob["creditsAvailable"]
