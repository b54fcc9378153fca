"""The public verifier, mounted in the issuer's app at ``/verify`` (and ``/api/verify``).

It is the same third-party verifier anyone can run (:mod:`verifier.web`): it imports nothing
from the issuer and trusts only what it checks. The one thing the issuer adds is where its own
documents come from: the DID document and the status lists this service publishes are read
in-process (the same bytes :mod:`issuer.publication` serves), so the issuer's own page shows a
revocation the moment it is made, with no loopback HTTP and no cache delay. Every other issuer's
documents are fetched as any verifier would (HTTPS, bounded, cached).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import select

from verifier import VerificationResult, verify_credential
from verifier.configured import ConfiguredVerifier, LocalDocuments
from verifier.fetch import FetchResponse
from verifier.web_config import VerifierConfig

from .db import transaction
from .identity import did_document
from .models import StatusList
from .publication import published_document
from .service import Service

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def own_documents(service: Service) -> LocalDocuments:
    """A function serving this service's public documents by URL (``None`` for any other URL)."""
    base = service.settings.base_url
    base_path = urlsplit(base).path

    def serve(url: str) -> FetchResponse | None:
        if not url.startswith(base + "/"):
            return None
        path = urlsplit(url).path[len(base_path) :]
        with transaction(service.engine, write=False) as session:
            published = published_document(service, session, path)
        if published is None:
            return None
        headers = {"content-type": published.media_type}
        return FetchResponse(url, published.body, headers, fetched_at=datetime.now(UTC))

    return serve


def verifier_config(service: Service) -> VerifierConfig:
    """The mounted verifier's configuration: the verifier's own ``MICROCRED_*`` settings (cache,
    trust lists, upload cap, offline), plus this service's documents in-process. In development
    with a loopback base URL (``http://127.0.0.1:8000``), plain HTTP to loopback is allowed so
    that its ``did:web`` resolves."""
    base = urlsplit(service.settings.base_url)
    local_demo = service.settings.environment == "development" and base.hostname in LOOPBACK_HOSTS
    from_env = VerifierConfig.from_env()
    from_env.verifier.close()  # only its settings are kept; the verifier is rebuilt below
    settings = from_env.verifier.settings
    if local_demo:
        settings = replace(settings, allow_local_http=True)
    verifier = ConfiguredVerifier(settings, local=own_documents(service))
    return replace(from_env, verifier=verifier, language=service.settings.lang)


def verify_own_credential(service: Service, document: Mapping[str, Any] | str) -> VerificationResult:
    """What any verifier says about one of our credentials, given our DID document and status lists.

    The documents are read in-process (as :func:`own_documents` serves them), so a revocation
    or suspension shows at once; the console and the learner's download page show this.
    """
    with transaction(service.engine, write=False) as session:
        did = did_document(service, session)
        lists = {
            service.status_list_url(sl.purpose, sl.number): json.loads(sl.document)
            for sl in session.exec(select(StatusList))
        }
    return verify_credential(
        document, now=service.now(), did_documents={service.did: did}, status_lists=lists
    )
