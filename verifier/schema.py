"""JSON Schema checks against pinned schemas (never fetched).

Which schemas apply to a credential:

* every ``credentialSchema`` entry of type ``JsonSchema`` (VC Data Model 2.0 §4.11) whose URL
  is pinned in ``schemas/manifest.json`` — an unpinned one is reported, not fetched;
* the 1EdTech Open Badges 3.0 AchievementCredential schema for any Open Badge, listed or not
  (1EdTech's verification rules require it);
* the microcred extension schema when the credential uses the microcred context — except a
  trust list (``TrustListCredential``), which always gets the trust-list schema instead, and a
  QR code's summary credential (``CertificateSummaryCredential``), which always gets the
  summary schema instead (it pins the exact shape, types included).

Validation uses jsonschema-rs (a Rust validator; the pure-Python one took longer than the
whole signature check). Messages name the JSON path so a registrar can find the field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from ._data import data_dir
from .contexts import MICROCRED_V1
from .i18n import Text, t
from .problems import MALFORMED_VALUE_ERROR, Problem
from .summary_credential import SUMMARY_CREDENTIAL, SUMMARY_SCHEMA
from .trust import TRUST_LIST_CREDENTIAL, TRUST_LIST_SCHEMA

OB_ACHIEVEMENT_CREDENTIAL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
MICROCRED_SCHEMA = "https://w3id.org/microcred/schema/v1.json"
_OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
_SCHEMA_TYPES = frozenset({"JsonSchema", "1EdTechJsonSchemaValidator2019"})


@dataclass(frozen=True, slots=True)
class SchemaReport:
    """Which schemas were applied, which were listed but not pinned, and the first problem."""

    applied: tuple[str, ...]
    not_pinned: tuple[str, ...]
    problem: Problem | None
    #: Deliberate deviations from a schema's letter, said out loud (see check_schemas).
    notes: tuple[Text, ...] = ()


class SchemaStore:
    """The pinned schemas of one ``schemas/`` folder, checked against their SHA-256."""

    def __init__(self, directory: Path | None = None) -> None:
        folder = directory or data_dir("schemas")
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        self._validators: dict[str, Any] = {}
        for url, entry in manifest["schemas"].items():
            raw = (folder / entry["file"]).read_bytes()
            if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
                raise ValueError(f"schema file {entry['file']} does not match its pinned SHA-256")
            self._validators[url] = jsonschema_rs.validator_for(json.loads(raw))

    def __contains__(self, url: object) -> bool:
        return url in self._validators

    def first_error(self, url: str, document: Any) -> str | None:
        """The first validation error of ``document`` against schema ``url``, or ``None``."""
        for error in self._validators[url].iter_errors(document):
            path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
            return f"at {path}: {error.message}"
        return None


@lru_cache(maxsize=1)
def default_schemas() -> SchemaStore:
    """The schema store shipped with microcred (built once)."""
    return SchemaStore()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_schemas(document: Mapping[str, Any], store: SchemaStore | None = None) -> SchemaReport:
    """Validate ``document`` against every schema that applies (see module docstring)."""
    schemas = store or default_schemas()
    wanted: list[str] = []
    not_pinned: list[str] = []
    for entry in _as_list(document.get("credentialSchema", [])):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            return SchemaReport(
                (),
                (),
                Problem(
                    MALFORMED_VALUE_ERROR,
                    t("Malformed credentialSchema"),
                    t("Each credentialSchema needs an id and a type."),
                    "$.credentialSchema",
                ),
            )
        if entry.get("type") not in _SCHEMA_TYPES:
            not_pinned.append(entry["id"])
        elif entry["id"] in schemas:
            wanted.append(entry["id"])
        else:
            not_pinned.append(entry["id"])
    if _OB_TYPES & set(_as_list(document.get("type", []))) and OB_ACHIEVEMENT_CREDENTIAL not in wanted:
        wanted.insert(0, OB_ACHIEVEMENT_CREDENTIAL)
    kinds = set(_as_list(document.get("type", [])))
    if TRUST_LIST_CREDENTIAL in kinds:
        if TRUST_LIST_SCHEMA not in wanted:
            wanted.append(TRUST_LIST_SCHEMA)
    elif SUMMARY_CREDENTIAL in kinds:
        if SUMMARY_SCHEMA not in wanted:
            wanted.append(SUMMARY_SCHEMA)
    elif MICROCRED_V1 in _as_list(document.get("@context", [])) and MICROCRED_SCHEMA not in wanted:
        wanted.append(MICROCRED_SCHEMA)
    document_without_proof = {k: v for k, v in document.items() if k != "proof"}
    notes: list[Text] = []
    for url in wanted:
        # Schemas describe the credential; the proof is checked by the proof check. (The formal
        # OB schema demands an array where VC Data Integrity allows a single proof object.)
        variants = [document_without_proof if url != OB_ACHIEVEMENT_CREDENTIAL else dict(document)]
        status = document.get("credentialStatus")
        if url == OB_ACHIEVEMENT_CREDENTIAL and isinstance(status, list) and len(status) > 1:
            # VC 2.0 allows several status entries (revocation and suspension); the OB 3.0
            # schema allows one object. Each entry is checked on its own, and the deviation is
            # reported in the check's message rather than hidden.
            variants = [{**variants[0], "credentialStatus": entry} for entry in status]
            notes.append(
                t(
                    "credentialStatus lists {count} entries, which VC 2.0 allows; the Open Badges 3.0 "
                    "schema allows one, so each entry was checked on its own.",
                    count=len(status),
                )
            )
        error = next((e for e in (schemas.first_error(url, v) for v in variants) if e is not None), None)
        if error is not None:
            name = _schema_name(url)
            return SchemaReport(
                tuple(wanted),
                tuple(not_pinned),
                Problem(
                    MALFORMED_VALUE_ERROR,
                    t("Does not match its schema"),
                    t(
                        "The credential does not match the {schema} schema {error}.",
                        schema=name,
                        error=error,
                    ),
                ),
            )
    return SchemaReport(tuple(wanted), tuple(not_pinned), None, tuple(notes))


def _schema_name(url: str) -> str:
    if url == OB_ACHIEVEMENT_CREDENTIAL:
        return "Open Badges 3.0"
    if url == MICROCRED_SCHEMA:
        return "microcred micro-major certificate"
    if url == TRUST_LIST_SCHEMA:
        return "microcred trust list"
    if url == SUMMARY_SCHEMA:
        return "microcred certificate summary"
    return url
