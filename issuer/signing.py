"""Build → sign → self-check, for many credentials, on every core.

Each certificate is two signed credentials: the full Open Badges credential, and the small
summary credential its printed QR code carries (``issuer.summary_credential``), signed with the
same key at the same moment. This is the CPU-bound part of issuing (JSON-LD expansion and
RDFC-1.0 for each signature, and again for the verifier's independent check of both; the
summary adds about a third). Everything a worker needs travels in plain, picklable values;
the database never leaves the parent process. For a batch large enough to pay for it, a pool
of worker processes (``spawn``, so nothing else of the parent is inherited) each decrypts
nothing: the parent hands them the signing seed once, through the pool's initializer, over the
local pipe. The seed is never logged and lives only in process memory.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from cryptography.hazmat.primitives.asymmetric import ed25519

from verifier import VerificationResult, verify_credential
from verifier.dataintegrity import add_proof
from verifier.dids import DIDResolver
from verifier.multikey import Ed25519Signer
from verifier.qr import QRPayloadError, encode_qr_text
from verifier.status import StatusListSource

from .credential import CertificateDetails, CourseResult, Institution, Learner, MicroMajor, build_credential
from .errors import ServiceError
from .fields import DEFAULT_INDUSTRY_FIELDS
from .i18n import t
from .summary_credential import build_summary_credential

#: Below this many credentials a batch signs in the calling process (a pool costs ~1 s to start).
POOL_THRESHOLD = 200


@dataclass(frozen=True, slots=True)
class SigningJob:
    learner: Learner
    results: tuple[CourseResult, ...]
    details: CertificateDetails


@dataclass(frozen=True, slots=True)
class ChunkContext:
    """What every credential of one chunk shares."""

    institution: Institution
    micro_major: MicroMajor
    now: datetime
    did: str
    did_document: dict[str, Any]
    status_lists: dict[str, dict[str, Any]]
    #: The verify page QR codes open (the self-check encodes every summary with it).
    verifier_url: str


@dataclass(frozen=True, slots=True)
class SignedCertificate:
    """One certificate as issued: the full credential and its QR code's summary credential."""

    document: dict[str, Any]
    summary: dict[str, Any]


def _build_sign_check(
    signer: Ed25519Signer, context: ChunkContext, jobs: Sequence[SigningJob]
) -> list[SignedCertificate]:
    resolver = DIDResolver(documents={context.did: context.did_document})
    lists = StatusListSource(documents=context.status_lists)
    signed_certificates = []
    for job in jobs:
        document = build_credential(
            context.institution,
            context.micro_major,
            job.learner,
            job.results,
            job.details,
            industry_fields=DEFAULT_INDUSTRY_FIELDS,
        )
        signed = add_proof(document, signer, created=context.now)
        _self_check(verify_credential(signed, now=context.now, resolver=resolver, status_lists=lists))
        summary = add_proof(build_summary_credential(signed), signer, created=context.now)
        _self_check(verify_credential(summary, now=context.now, resolver=resolver, status_lists=lists))
        try:
            # The QR code must carry it and give it back unchanged (encode_qr_text decodes its
            # result). Its digest of ``signed`` was computed by the verifier library itself.
            encode_qr_text(summary, context.verifier_url)
        except QRPayloadError as exc:
            _fail_self_check(f"qr: {exc.message.render('en')}")
        signed_certificates.append(SignedCertificate(signed, summary))
    return signed_certificates


def _self_check(result: VerificationResult) -> None:
    """A credential our own verifier rejects must never leave the building."""
    if not result.verified:
        _fail_self_check(
            "; ".join(f"{c.id}: {c.message_in('en')}" for c in result.checks if c.required and not c.ok)
        )


def _fail_self_check(failures: str) -> NoReturn:
    raise ServiceError(
        500,
        "self-check-failed",
        t("Issued credential failed verification"),
        t(
            "microcred's own verifier rejected a credential it just signed; nothing was stored. {failures}",
            failures=failures,
        ),
    )


# --- Worker processes --------------------------------------------------------------------------

_worker_signer: Ed25519Signer | None = None


def _init_worker(seed: bytes, verification_method: str) -> None:
    global _worker_signer  # noqa: PLW0603 - one signer per worker process, set once at start
    _worker_signer = Ed25519Signer(ed25519.Ed25519PrivateKey.from_private_bytes(seed), verification_method)


def _work(context: ChunkContext, jobs: Sequence[SigningJob]) -> list[SignedCertificate]:
    if _worker_signer is None:
        raise RuntimeError("worker started without a signer")
    return _build_sign_check(_worker_signer, context, jobs)


class Signing:
    """Signs chunks in this process or, for big batches, across a pool of worker processes."""

    def __init__(self, signer: Ed25519Signer, seed: bytes | None, *, workers: int) -> None:
        self._signer = signer
        self._pool: ProcessPoolExecutor | None = None
        self._workers = workers
        if workers > 1 and seed is not None:
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(seed, signer.verification_method),
            )

    def __enter__(self) -> Signing:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def sign(self, context: ChunkContext, jobs: Sequence[SigningJob]) -> list[SignedCertificate]:
        if self._pool is None or len(jobs) < 2:
            return _build_sign_check(self._signer, context, jobs)
        size = -(-len(jobs) // self._workers)
        parts = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        futures = [self._pool.submit(_work, context, part) for part in parts]
        return [certificate for future in futures for certificate in future.result()]


def default_workers() -> int:
    """One worker per available core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
