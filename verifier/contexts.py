"""The offline JSON-LD document loader: pinned contexts from ``contexts/`` and nothing else.

VC Data Model 2.0 §4.3 lets verifiers treat well-known contexts as already retrieved; VC Data
Integrity §4 warns that a context fetched at verification time can change what a signed
document means. So the loader serves exactly the files listed in ``contexts/manifest.json``,
checks their SHA-256 once when it is created, and refuses every other URL: no network access
while processing a credential, ever (this is also the SSRF and context-swap defence).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ._data import data_dir
from .i18n import t
from .problems import MALFORMED_VALUE_ERROR, fail

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3P0_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MICROCRED_V1 = "https://w3id.org/microcred/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
CID_V1 = "https://www.w3.org/ns/cid/v1"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"

DocumentLoader = Callable[[str, Mapping[str, Any] | None], dict[str, Any]]


class ContextStore:
    """The pinned contexts of one ``contexts/`` folder, verified against its manifest."""

    def __init__(self, directory: Path | None = None) -> None:
        folder = directory or data_dir("contexts")
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        self._documents: dict[str, Any] = {}
        for url, entry in manifest["contexts"].items():
            raw = (folder / entry["file"]).read_bytes()
            digest = hashlib.sha256(raw).hexdigest()
            if digest != entry["sha256"]:
                raise ValueError(
                    f"context file {entry['file']} does not match its pinned SHA-256 "
                    f"(expected {entry['sha256']}, found {digest}); restore it from the release"
                )
            self._documents[url] = json.loads(raw)
        for alias, target in manifest.get("aliases", {}).items():
            self._documents[alias] = self._documents[target]

    @property
    def urls(self) -> frozenset[str]:
        """Every URL this store serves."""
        return frozenset(self._documents)

    def __contains__(self, url: object) -> bool:
        return url in self._documents

    def get(self, url: str) -> Any:
        """Return a copy of the context document at ``url``, or raise a problem if unknown."""
        try:
            return copy.deepcopy(self._documents[url])
        except KeyError:
            raise _refuse(url) from None

    def loader(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A pyld document loader over this store.

        Documents are marked ``static`` so pyld keeps their processed form between calls:
        that cache is where most of the speed of repeated verification comes from.
        """
        try:
            document = self._documents[url]
        except KeyError:
            raise _refuse(url) from None
        return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}


def _refuse(url: str) -> Exception:
    shown = url if len(url) <= 200 else url[:200] + "…"
    return fail(
        MALFORMED_VALUE_ERROR,
        t("Unknown JSON-LD context"),
        t(
            "The context {url} is not one of the pinned contexts this verifier knows; "
            "it is never fetched from the network.",
            url=shown,
        ),
    )


@lru_cache(maxsize=1)
def default_store() -> ContextStore:
    """The store over the ``contexts/`` folder shipped with microcred (built once)."""
    return ContextStore()


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The default offline document loader (pinned contexts only)."""
    return default_store().loader(url, options)
