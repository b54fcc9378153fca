"""What ``microcred verify`` reads and how it reports where it found each credential.

FILE may be credential or presentation JSON (read exactly as before), a PDF certificate, a
baked PNG/SVG badge, or a PNG/JPEG image of a certificate's QR code (:mod:`verifier.extract`);
``--qr TEXT`` is the text a phone scanned from the QR code. A PDF certificate carries its full
credential and a QR code with a signed summary of it: both are verified, and the summary's
``relatedResource`` digest must match the full credential (VC Data Model 2.0 §5.3,
:func:`verifier.qr.check_related_resource`), so a QR code pasted onto another certificate is
caught.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from .extract import Extraction, ExtractionError, Found, detect, extract, from_qr_text
from .i18n import Text, render, t
from .jsonsafe import parse_json
from .presentation import PresentationResult
from .problems import ProblemError
from .qr import QRPayloadError, check_related_resource
from .result import VerificationResult
from .verify import verify_credential

EXIT_USAGE = 2

# pypdf reports the damage it repairs through logging; a command line has no log to put it in.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

Outcome = VerificationResult | PresentationResult


@dataclass(frozen=True, slots=True)
class Inputs:
    """The credentials to verify, where each was found, and notes about the input."""

    found: tuple[Found, ...]
    notes: tuple[Text, ...] = ()

    @property
    def plain_json(self) -> bool:
        """Whether the input was JSON itself (reported exactly as before, without a source)."""
        return len(self.found) == 1 and self.found[0].source == "json"


def read_inputs(raw: bytes | None, *, name: str, qr_text: str | None, as_json: bool, language: str) -> Inputs:
    """Everything to verify in FILE's bytes ``raw`` or in ``qr_text``; exits 2 if there is nothing.

    JSON (and text that is nothing else) that does not parse keeps its old report: the failed
    ``format`` check with ``--json``, else the parser's reason. Bytes of no kind we read are
    refused as such.
    """
    if qr_text is not None:
        try:
            return Inputs((from_qr_text(qr_text),))
        except ExtractionError as exc:
            _fail(t("--qr: {reason}", reason=exc.message), language)
    if raw is None:
        raise click.UsageError("give a FILE to verify, or --qr TEXT")
    if detect(raw, filename=name) == "json":
        try:
            return Inputs((Found(parse_json(raw), "json", "json"),))
        except ProblemError as exc:
            if as_json:
                click.echo(json.dumps(verify_credential(raw).to_json(language), ensure_ascii=False, indent=2))
            else:
                click.echo(f"{name}: {render(exc.problem.detail, language)}", err=True)
            sys.exit(EXIT_USAGE)
    try:
        extraction: Extraction = extract(raw, filename=name)
    except ExtractionError as exc:
        _fail(t("{file}: {reason}", file=name, reason=exc.message), language)
    return Inputs(extraction.found, extraction.notes)


def _fail(message: Text, language: str) -> NoReturn:
    click.echo(message.render(language), err=True)
    sys.exit(EXIT_USAGE)


@dataclass(frozen=True, slots=True)
class Binding:
    """Whether a QR code's summary credential belongs to the full credential found with it."""

    ok: bool
    message: Text

    def to_json(self, language: str) -> dict[str, Any]:
        return {"status": "passed" if self.ok else "failed", "message": self.message.render(language)}


def check_binding(inputs: Inputs) -> Binding | None:
    """Check a QR code against the credential embedded next to it (``None`` if there is no pair)."""
    embedded = [item for item in inputs.found if item.source != "qr"]
    codes = [item for item in inputs.found if item.source == "qr"]
    if len(embedded) != 1 or len(codes) != 1:
        return None
    credential, summary = embedded[0].credential, codes[0].credential
    if not isinstance(credential, Mapping) or not isinstance(summary, Mapping):
        return None
    try:
        check_related_resource(summary, credential)
    except QRPayloadError as exc:
        return Binding(False, exc.message)
    return Binding(True, t("The QR code was issued for this very credential (its digest matches)."))


def verified(outcomes: Sequence[Outcome], binding: Binding | None) -> bool:
    """Every credential verified, and the QR code belongs to the credential it came with."""
    return (
        bool(outcomes) and all(outcome.verified for outcome in outcomes) and (binding is None or binding.ok)
    )


def _source_json(item: Found, language: str) -> dict[str, Any]:
    source: dict[str, Any] = {
        "kind": item.source,
        "container": item.container,
        "description": item.description.render(language),
    }
    if item.qr_text is not None:
        source["qrText"] = item.qr_text
    return source


def report_json(
    inputs: Inputs, outcomes: Sequence[Outcome], binding: Binding | None, language: str
) -> dict[str, Any]:
    """One credential: its result with a ``source``; several: ``credentials`` and ``binding``."""
    results = [
        outcome.to_json(language) | {"source": _source_json(item, language)}
        for item, outcome in zip(inputs.found, outcomes, strict=True)
    ]
    notes = [note.render(language) for note in inputs.notes]
    if len(results) == 1:
        return results[0] | ({"notes": notes} if notes else {})
    report: dict[str, Any] = {"verified": verified(outcomes, binding), "credentials": results}
    if binding is not None:
        report["binding"] = binding.to_json(language)
    if notes:
        report["notes"] = notes
    return report


def echo_source(item: Found, language: str) -> None:
    """The line naming where the credential printed next was found."""
    click.echo(t("From {source}:", source=item.description).render(language))


def echo_notes_and_binding(inputs: Inputs, binding: Binding | None, language: str) -> None:
    for note in inputs.notes:
        click.echo(t("Note: {note}", note=note).render(language))
    if binding is not None:
        click.echo(f"{'✔' if binding.ok else '✘'} {binding.message.render(language)}")
