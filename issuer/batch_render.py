"""Render the PDF certificates of a whole cohort, in parallel (``microcred render``).

Each worker process builds one :class:`~issuer.pdf.CertificateRenderer` (fonts, stylesheet and
template parsed once) and prints the credentials it is handed with
:func:`issuer.printing.render_pdf`, with the institution's print options and through the PDF
cache (a certificate rendered here is not rendered again when it is downloaded); the parent
reads the signed credentials from the database, hands them out in order and writes each PDF as
``NUMBER.pdf`` (written to a temporary name first, so a file that exists is complete). A
credential that cannot be rendered is reported by certificate number with the reason, and the
others still render.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from verifier.i18n import Text
from verifier.qr import QRPayloadError

from . import fonts
from .atomic_files import write_atomically
from .certificate import CertificateDataError, CertificateRenderError
from .db import transaction
from .i18n import t
from .models import Credential
from .pdf import CertificateRenderer
from .printing import PrintSetup, print_setup, qr_text_for, render_pdf
from .programmes import get_programme
from .service import Service

#: Credentials handed to a worker at a time (enough to keep it busy, small enough for a smooth bar).
CHUNK = 4


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One certificate to render: its number, the signed credential text, its QR text."""

    certificate_number: str
    document: str
    qr_text: str


@dataclass
class RenderReport:
    """What a cohort render did."""

    written: list[Path] = field(default_factory=list)
    failed: list[tuple[str, Text]] = field(default_factory=list)


def _jobs(service: Service, programme_code: str, report: RenderReport) -> list[RenderJob]:
    """The current credentials of the programme, in certificate-number order."""
    jobs = []
    with transaction(service.engine, write=False) as session:
        programme = get_programme(session, programme_code)
        rows = session.exec(
            select(Credential)
            .where(Credential.programme_id == programme.id)
            .where(col(Credential.superseded).is_(False))
            .order_by(col(Credential.certificate_number))
        )
        for row in rows:
            try:
                text = qr_text_for(row, service.settings)
            except QRPayloadError as exc:  # a stored summary the QR format cannot carry
                report.failed.append((row.certificate_number, exc.message))
                continue
            except ValueError as exc:  # a stored summary that is not JSON
                report.failed.append(
                    (
                        row.certificate_number,
                        t("The stored summary credential is damaged: {reason}", reason=str(exc)),
                    )
                )
                continue
            jobs.append(RenderJob(row.certificate_number, row.document, text))
    return jobs


# -- worker side ---------------------------------------------------------------------------------

_worker_renderer: CertificateRenderer | None = None
_worker_setup: PrintSetup | None = None


def _start_worker(font_dir: Path | None, setup: PrintSetup) -> None:
    global _worker_renderer, _worker_setup  # noqa: PLW0603 - one renderer per worker process, by design
    _worker_renderer = CertificateRenderer(font_dir=font_dir)
    _worker_setup = setup


def _render_chunk(jobs: list[RenderJob], out: Path) -> list[tuple[str, str | None, Text | None]]:
    """Render ``jobs`` into ``out``: (number, file name or None, reason or None) for each."""
    assert _worker_renderer is not None  # noqa: S101 - set by the pool initializer
    assert _worker_setup is not None  # noqa: S101 - set by the pool initializer
    results: list[tuple[str, str | None, Text | None]] = []
    for job in jobs:
        try:
            pdf = render_pdf(job.document, job.qr_text, _worker_setup, renderer=_worker_renderer)
        except (CertificateRenderError, CertificateDataError) as exc:
            results.append((job.certificate_number, None, exc.message))
            continue
        name = f"{_safe_name(job.certificate_number)}.pdf"
        write_atomically(out / name, pdf, mode=0o644)  # certificates are files to share
        results.append((job.certificate_number, name, None))
    return results


def _safe_name(certificate_number: str) -> str:
    """A file name from a certificate number (which is the registrar's text: no paths)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in certificate_number).lstrip(".") or "_"


def _chunks(jobs: list[RenderJob], size: int) -> Iterator[list[RenderJob]]:
    for start in range(0, len(jobs), size):
        yield jobs[start : start + size]


def render_programme(
    service: Service,
    programme_code: str,
    out: Path,
    *,
    workers: int | None = None,
    font_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RenderReport:
    """Render every current certificate of ``programme_code`` into ``out`` as ``NUMBER.pdf``.

    ``workers`` processes (default: one per CPU core) each hold one renderer. ``progress`` is
    called with (done, total) as certificates finish. Raises
    :class:`~issuer.errors.ServiceError` for an unknown programme and
    :class:`~issuer.fonts.FontSetupError` when the Chinese fonts are not installed (checked
    before any worker starts).
    """
    report = RenderReport()
    jobs = _jobs(service, programme_code, report)
    total = len(jobs)
    if progress:
        progress(0, total)
    if not jobs:
        return report
    for face in fonts.FACES:
        fonts.find_system_face(face)  # fail fast, in the parent, when the Chinese fonts are missing
    out.mkdir(parents=True, exist_ok=True)
    count = max(1, min(workers or os.cpu_count() or 1, (total + CHUNK - 1) // CHUNK))
    done = 0
    # Spawned, not forked: a worker starts clean, without the parent's database connections.
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(font_dir or fonts.DEFAULT_FONT_DIR, print_setup(service.settings)),
    ) as pool:
        futures = [pool.submit(_render_chunk, chunk, out) for chunk in _chunks(jobs, CHUNK)]
        for future in futures:
            for number, name, reason in future.result():
                if name is not None:
                    report.written.append(out / name)
                elif reason is not None:
                    report.failed.append((number, reason))
                done += 1
                if progress:
                    progress(done, total)
    return report
