"""A cohort's certificates to hand out: their links as CSV, their PDFs as one ZIP.

The CSV (:func:`issuer.download_links.links_csv`, the same as ``microcred links`` and the API
give) has each certificate's verification link and the learner's download link.

Both need the ``issue`` permission (the academic-affairs office prints and hands out the
certificates) and cover the micro-major's current certificates (a replaced one is left out).
The CSV opens in Chinese Excel and WPS as it is (UTF-8 with a byte-order mark).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator

from fastapi import APIRouter
from starlette.responses import Response, StreamingResponse

from .. import download_links
from ..api.deps import ServiceDep
from ..certificate import CertificateDataError, CertificateRenderError
from ..printing import certificate_pdf
from .programmes import visible_programme
from .routing import ConsoleRoute, UserDep

router = APIRouter(prefix="/console/programmes", route_class=ConsoleRoute, include_in_schema=False)
ZIP_CHUNK = 64 * 1024
#: A ZIP up to this size is built in memory, a larger one in a temporary file.
SPOOL_IN_MEMORY = 32 * 1024 * 1024


@router.get("/{code}/links.csv")
def links_csv(code: str, service: ServiceDep, user: UserDep) -> Response:
    """One row per certificate with the link its QR code opens and the learner's download link."""
    user.principal.require("issue")
    visible_programme(service, user, code)
    return Response(
        download_links.links_csv(download_links.cohort_links(service, code)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{code}-links.csv"'},
    )


@router.get("/{code}/certificates.zip")
def certificates_zip(code: str, service: ServiceDep, user: UserDep) -> Response:
    """Every current certificate as its PDF (:func:`issuer.printing.certificate_pdf`) and its JSON.

    Printed here, one after the other (about a tenth of a second each, unless the PDF cache
    already holds it); a certificate that
    cannot be rendered is listed in ``problems.txt`` and the others are still delivered. For
    very large cohorts, ``microcred render --programme`` renders on every core.
    """
    user.principal.require("issue")
    visible_programme(service, user, code)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by the stream
    problems: list[str] = []
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for credential, _learner in download_links.current_credentials(service, code):
            number = credential.certificate_number
            try:
                pdf = certificate_pdf(service, credential)
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
