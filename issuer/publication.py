"""What the issuer publishes for verifiers, as bytes: the DID document, the status lists, our context.

The HTTP routes serve exactly these bytes, and ``microcred status export`` writes exactly these
bytes into a folder for any static web server or CDN, so both give the same ETag and a verifier
cannot tell them apart. Nothing here is secret: private keys never reach a published document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import Session, select

from verifier.contexts import default_store

from .atomic_files import write_atomically
from .identity import did_document
from .models import StatusList
from .service import Service
from .status_lists import find_list

DID_JSON = "application/did+json"
VC_JSON = "application/vc+ld+json"
LD_JSON = "application/ld+json"
CONTEXT_URL = "https://w3id.org/microcred/v1"
CONTEXT_PATH = "/contexts/microcred/v1"


@dataclass(frozen=True)
class Published:
    """One public document: where it is served (path below the base URL), its type and bytes."""

    path: str
    media_type: str
    body: bytes


def did_document_body(service: Service, session: Session) -> bytes:
    return json.dumps(did_document(service, session), ensure_ascii=False, indent=2).encode()


def status_list_body(status_list: StatusList) -> bytes:
    return status_list.document.encode()


def context_body() -> bytes:
    return json.dumps(default_store().get(CONTEXT_URL), indent=2).encode()


def everything(service: Service, session: Session) -> list[Published]:
    """Every public document, in a stable order."""
    documents = [Published(service.did_document_path, DID_JSON, did_document_body(service, session))]
    lists = session.exec(select(StatusList).order_by(StatusList.purpose, StatusList.number))  # type: ignore[arg-type]
    for status_list in lists:
        path = urlsplit(service.status_list_url(status_list.purpose, status_list.number)).path
        base = urlsplit(service.settings.base_url).path
        documents.append(Published(path[len(base) :], VC_JSON, status_list_body(status_list)))
    documents.append(Published(CONTEXT_PATH, LD_JSON, context_body()))
    return documents


def published_document(service: Service, session: Session, path: str) -> Published | None:
    """The public document served at ``path`` (below the base URL), or ``None``."""
    if path == service.did_document_path:
        return Published(path, DID_JSON, did_document_body(service, session))
    if path == CONTEXT_PATH:
        return Published(path, LD_JSON, context_body())
    parts = path.split("/")
    if len(parts) == 4 and parts[:2] == ["", "status"] and parts[3].isdigit():
        status_list = find_list(session, parts[2], int(parts[3]))
        if status_list is not None:
            return Published(path, VC_JSON, status_list_body(status_list))
    return None


def export(documents: list[Published], out: Path) -> list[Path]:
    """Write ``documents`` under ``out`` at their URL paths; each file is replaced atomically.

    A web server already serving ``out`` never hands out a half-written list: every file is
    written to a temporary name beside it and renamed over the old one.
    """
    written = []
    root = out.resolve()
    for document in documents:
        target = (root / document.path.lstrip("/")).resolve()
        if root not in target.parents:
            raise ValueError(f"refusing to write outside {root}: {document.path}")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, document.body, mode=0o644)
        written.append(target)
    return written
