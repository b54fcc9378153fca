"""Fixtures for the verifier web app: a loopback did:web issuer and test clients of the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from loopback_issuer import LoopbackIssuer

from verifier.configured import ConfiguredVerifier, VerifierSettings
from verifier.fetch import HttpFetcher
from verifier.web import create_verifier_app
from verifier.web_config import VerifierConfig


@pytest.fixture(scope="module")
def issuer_site() -> Iterator[LoopbackIssuer]:
    site = LoopbackIssuer()
    yield site
    site.stop()


@pytest.fixture
def make_client(issuer_site: LoopbackIssuer) -> Iterator[Callable[..., TestClient]]:
    """A client of a fresh app that may fetch from the loopback issuer and trusts its registry.

    Keyword arguments: ``trusted=False`` (no trust list), ``network=False`` (no fetcher), and
    any :class:`VerifierConfig` field.
    """
    fetchers: list[HttpFetcher] = []

    def build(*, trusted: bool = True, network: bool = True, **overrides: Any) -> TestClient:
        fetcher = HttpFetcher(allow_loopback_http=True)
        fetchers.append(fetcher)
        settings = VerifierSettings(
            offline=not network,
            allow_local_http=True,
            trust_lists=(issuer_site.trust_list_url,) if trusted else (),
            registries=(issuer_site.registry.did_key,) if trusted else (),
        )
        options: dict[str, Any] = {
            "verifier": ConfiguredVerifier(settings, fetch=fetcher),
            "language": "en",
            **overrides,
        }
        return TestClient(create_verifier_app(VerifierConfig(**options)))

    yield build
    for fetcher in fetchers:
        fetcher.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
