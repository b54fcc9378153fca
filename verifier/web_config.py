"""Configuration of the public verifier page and API: one dataclass, built once per app.

Network, cache, status lists and trust come from :class:`~verifier.configured.ConfiguredVerifier`
(the same object the CLI runs, shared by every request); this adds what only the web needs.
Only :meth:`VerifierConfig.from_env` reads the environment, so a test builds the config it
wants directly (a fetcher pointed at a loopback server, a fixed clock, its own trust list).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .configured import ConfiguredVerifier, VerifierSettings

#: Largest upload accepted by the page and the API (a PDF certificate is ~200 KB, a photo ~5 MB).
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Verifications that wait on the network run at once per server process (:mod:`verifier.web_slots`).
DEFAULT_CONCURRENCY = 2

LANG_ENV = "MICROCRED_LANG"
MAX_UPLOAD_ENV = "MICROCRED_VERIFY_MAX_UPLOAD"
OFFLINE_ENV = "MICROCRED_VERIFY_OFFLINE"
CONCURRENCY_ENV = "MICROCRED_VERIFY_CONCURRENCY"

#: The variables the web app reads besides those of :data:`verifier.configured.ENVIRONMENT`.
WEB_ENVIRONMENT: Mapping[str, tuple[str, str]] = {
    LANG_ENV: ("Language of the page when the browser asks for neither zh nor en (zh or en).", "zh"),
    MAX_UPLOAD_ENV: ("Largest upload or request body accepted, in bytes.", str(DEFAULT_MAX_UPLOAD_BYTES)),
    OFFLINE_ENV: ("1: never touch the network; use only the cache.", "off"),
    CONCURRENCY_ENV: (
        "Verifications that wait on the network run at once, in worker threads, in each server "
        "process (cached ones run one at a time, on the event loop); more wait their turn.",
        str(DEFAULT_CONCURRENCY),
    ),
}


def _offline_verifier() -> ConfiguredVerifier:
    return ConfiguredVerifier(VerifierSettings(offline=True))


@dataclass(frozen=True, slots=True)
class VerifierConfig:
    """Everything the verifier web app needs, with safe defaults (no network, no trust list).

    ``verifier`` does the verifying (thread-safe, one per app); ``language`` is the page
    language when the browser states none we have; ``max_upload_bytes`` caps any request
    body; ``concurrency`` is how many verifications run at once per process
    (:mod:`verifier.web_slots`); ``now`` fixes the clock (tests).
    """

    verifier: ConfiguredVerifier = field(default_factory=_offline_verifier)
    language: str = "zh"
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    concurrency: int = DEFAULT_CONCURRENCY
    now: Callable[[], datetime] | None = None

    @property
    def has_trust_lists(self) -> bool:
        """Whether any trust list is configured (used or not), so "not listed" means something."""
        return bool(self.verifier.trust.locations)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> VerifierConfig:
        """Build the config from ``MICROCRED_*`` variables (:data:`WEB_ENVIRONMENT` and
        :data:`verifier.configured.ENVIRONMENT`)."""
        env = os.environ if environ is None else environ
        offline = env.get(OFFLINE_ENV, "").strip() == "1"
        settings = VerifierSettings.from_environ(env, offline=offline or None)
        raw_cap = env.get(MAX_UPLOAD_ENV, "").strip()
        cap = int(raw_cap) if raw_cap.isdigit() and int(raw_cap) > 0 else DEFAULT_MAX_UPLOAD_BYTES
        language = "en" if env.get(LANG_ENV, "zh").strip().lower().startswith("en") else "zh"
        return cls(
            verifier=ConfiguredVerifier(settings),
            language=language,
            max_upload_bytes=cap,
            concurrency=_positive(env, CONCURRENCY_ENV, DEFAULT_CONCURRENCY),
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number from ``env[name]``; refuses anything else with the name in the message."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive whole number, not {raw[:20]!r}")
    return int(raw)
