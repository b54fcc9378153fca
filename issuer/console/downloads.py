"""A cohort's certificates to hand out: their links as CSV, their PDFs as one ZIP.

Both need the ``issue`` permission (the academic-affairs office prints and hands out the
certificates) and cover the micro-major's current certificates (a replaced one is left out).
The CSV opens in Chinese Excel and WPS as it is (UTF-8 with a byte-order mark).
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterator

from fastapi import APIRouter
from sqlmodel import col, select
from starlette.responses import Response, StreamingResponse

from ..api.deps import ServiceDep
from ..batch_render import qr_text_for
from ..certificate import CertificateDataError
from ..db import transaction
from ..models import Credential, Learner
from ..pdf import CertificateRenderError, render_certificate_pdf
from ..programmes import get_programme
from .programmes import visible_programme
from .routing import ConsoleRoute, UserDep

router = APIRouter(prefix="/console/programmes", route_class=ConsoleRoute, include_in_schema=False)
ZIP_CHUNK = 64 * 1024
#: A ZIP up to this size is built in memory, a larger one in a temporary file.
SPOOL_IN_MEMORY = 32 * 1024 * 1024


def _current(service: ServiceDep, code: str) -> list[tuple[Credential, Learner]]:
    with transaction(service.engine, write=False) as session:
        programme = get_programme(session, code)
        return list(
            session.exec(
                select(Credential, Learner)
                .where(
                    Credential.learner_id == Learner.id,
                    Credential.programme_id == programme.id,
                    col(Credential.superseded).is_(False),
                )
                .order_by(col(Credential.certificate_number))
            ).all()
        )


def _state(credential: Credential) -> str:
    return "revoked" if credential.revoked_at else "suspended" if credential.suspended_at else "valid"


@router.get("/{code}/links.csv")
def links_csv(code: str, service: ServiceDep, user: UserDep) -> Response:
    """One row per certificate with the link its QR code opens (the public verifier, offline-checkable)."""
    user.principal.require("issue")
    visible_programme(service, user, code)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "证书编号 certificate_number",
            "学号 student_number",
            "姓名 name",
            "状态 state",
            "验证链接 verify_url",
        ]
    )
    for credential, learner in _current(service, code):
        writer.writerow(
            [
                credential.certificate_number,
                learner.student_number,
                learner.name,
                _state(credential),
                qr_text_for(credential, service.settings),
            ]
        )
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{code}-links.csv"'},
    )


@router.get("/{code}/certificates.zip")
def certificates_zip(code: str, service: ServiceDep, user: UserDep) -> Response:
    """Every current certificate as its PDF (:func:`issuer.pdf.render_certificate_pdf`) and its JSON.

    Rendered here, one after the other (about a tenth of a second each); a certificate that
    cannot be rendered is listed in ``problems.txt`` and the others are still delivered. For
    very large cohorts, ``microcred render --programme`` renders on every core.
    """
    user.principal.require("issue")
    visible_programme(service, user, code)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by the stream
    problems: list[str] = []
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for credential, _learner in _current(service, code):
            number = credential.certificate_number
            try:
                pdf = render_certificate_pdf(credential.document, qr_text_for(credential, service.settings))
            except (CertificateRenderError, CertificateDataError) as exc:
                problems.append(f"{number}: {exc.message.render('zh')} / {exc.message.render('en')}")
            else:
                archive.writestr(f"{number}.pdf", pdf)
            archive.writestr(f"{number}.json", credential.document)
        if problems:
            archive.writestr("problems.txt", "\r\n".join(problems) + "\r\n")
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(ZIP_CHUNK):
                yield block

    return StreamingResponse(
        chunks(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{code}-certificates.zip"'},
    )
