"""What a file carries: the credential inside a JSON file, a PDF certificate, a badge or a photo.

A holder may hand a verifier any of the forms a microcred certificate takes:

* the credential itself, as JSON (a verifiable credential or presentation);
* the PDF certificate: a PDF/A-3 file whose signed credential is an *associated file*
  (ISO 19005-3 §6.8, ``/AF`` in the document catalog, ``/AFRelationship /Source``), and whose
  page carries the certificate's QR code;
* a baked Open Badges 3.0 badge, PNG or SVG (:mod:`verifier.baking`);
* an image — a PNG screenshot or a JPEG photo — of the certificate's QR code.

:func:`extract` recognises the form from the bytes (never from the file name alone) and returns
everything it finds, the embedded credential first and the QR code's credential after it
(:func:`verifier.qr.decode_qr_text` turns QR text into a credential). Nothing is verified here.

Every input is untrusted and bounded: sizes are capped before parsing, pypdf runs under tight
decompression limits and never calls an external decoder, PDF name trees are walked to a fixed
depth, images are limited in pixels (decompression bombs) and only PNG and JPEG decoders are
enabled. Anything unusable raises :class:`ExtractionError` with a message for the reader.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pypdf
import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from PIL import Image, UnidentifiedImageError
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject, StreamObject

from .baking import PNG_SIGNATURE, BakingError, NotBakedError, OpenBadges2Error, unbake_png, unbake_svg
from .i18n import Text, t
from .jsonsafe import MAX_BYTES as MAX_CREDENTIAL_BYTES
from .jsonsafe import parse_json
from .problems import ProblemError
from .qr import QRPayloadError, decode_qr_text

#: Largest file accepted (a certificate PDF with fonts is well under 1 MB; a phone photo ~5 MB).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Largest image decoded, in pixels (a 48-megapixel phone photo fits; a decompression bomb does not).
MAX_IMAGE_PIXELS = 50_000_000
#: Longest side an image is scaled down to before the QR decoder looks at it.
QR_SCAN_SIDE = 4000
#: Longest side a PDF page is rendered at to look for the QR code (about 200 dpi on A4).
PDF_RENDER_SIDE = 2400
#: Most attached files, and the deepest name tree, looked at in a PDF.
MAX_PDF_ATTACHMENTS = 64
MAX_NAME_TREE_DEPTH = 8
#: Pages searched for the QR code: the first and, if different, the last.
_QR_PAGES = 2
_PDFIUM = threading.Lock()

Container = Literal["json", "pdf", "png", "svg", "jpeg", "text"]
Source = Literal["json", "pdf", "png", "svg", "qr"]

_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json", "application/vc")
_JSON_SUFFIXES = (".json", ".jsonld")


class ExtractionError(ValueError):
    """Nothing verifiable could be read from the input; ``message`` says why."""

    def __init__(self, message: Text) -> None:
        super().__init__(message.render("en"))
        self.message = message


@dataclass(frozen=True, slots=True)
class Found:
    """One credential (or presentation) an input carries, not yet verified, and where it was."""

    credential: Any
    #: How it was carried: ``json`` (the file itself), ``pdf`` (attached to the PDF),
    #: ``png`` / ``svg`` (baked into a badge) or ``qr`` (in a QR code).
    source: Source
    #: The kind of input it came from.
    container: Container
    #: The text of the QR code, for ``source == "qr"``.
    qr_text: str | None = None

    @property
    def description(self) -> Text:
        """Where it was found, for people ("the credential embedded in the PDF")."""
        if self.source == "qr":
            return {
                "pdf": t("the QR code on the PDF certificate"),
                "text": t("the QR code's text"),
            }.get(self.container, t("the QR code in the image"))
        return {
            "pdf": t("the credential embedded in the PDF certificate"),
            "png": t("the credential baked into the PNG badge"),
            "svg": t("the credential baked into the SVG badge"),
        }.get(self.source, t("the credential file"))


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything an input carries: its kind, what was found (embedded first) and any notes."""

    container: Container
    found: tuple[Found, ...]
    #: Things worth telling that did not stop the extraction (an unreadable QR code next to
    #: an embedded credential, say).
    notes: tuple[Text, ...] = ()

    @property
    def primary(self) -> Found:
        return self.found[0]


def detect(data: bytes, *, filename: str | None = None, content_type: str | None = None) -> Container | None:
    """The kind of input ``data`` is, from its first bytes; ``None`` if it is none we read.

    The file name and media type only break a tie for text that is neither JSON nor SVG
    (so that broken JSON is reported as broken JSON).
    """
    head = data[:1024]
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"%PDF-"):
        return "pdf"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"{", b"[")):
        return "json"
    if text.startswith(b"<") and b"<svg" in data[:65536]:
        return "svg"
    if b"%PDF-" in head:  # ISO 32000 readers accept the header anywhere in the first 1024 bytes
        return "pdf"
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _JSON_TYPES or (filename or "").lower().endswith(_JSON_SUFFIXES):
        return "json"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "json" if text else None


def extract(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    read_qr: bool = True,
) -> Extraction:
    """Everything ``data`` carries; see the module docstring for the forms read.

    ``read_qr=False`` skips looking for a QR code next to an embedded credential (a PDF's page
    is then not rendered). A PNG with a baked credential is not searched for a QR code.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ExtractionError(
            t(
                "The file is {size:,} bytes; at most {limit:,} are accepted.",
                size=len(data),
                limit=MAX_FILE_BYTES,
            )
        )
    container = detect(data, filename=filename, content_type=content_type)
    if container == "json":
        return Extraction("json", (Found(_parse(data), "json", "json"),))
    if container == "pdf":
        return _extract_pdf(data, read_qr=read_qr)
    if container == "svg":
        try:
            baked = unbake_svg(data)
        except BakingError as exc:
            raise ExtractionError(exc.message) from None
        return Extraction("svg", (Found(_parse_baked(baked.text, baked.format), "svg", "svg"),))
    if container == "png":
        try:
            baked = unbake_png(data)
        except OpenBadges2Error as exc:
            raise ExtractionError(exc.message) from None
        except NotBakedError:
            return _extract_qr_image(data, "png", baked_badge_expected=True)
        except BakingError as exc:
            raise ExtractionError(exc.message) from None
        return Extraction("png", (Found(_parse_baked(baked.text, baked.format), "png", "png"),))
    if container == "jpeg":
        return _extract_qr_image(data, "jpeg", baked_badge_expected=False)
    raise ExtractionError(
        t("This is not a credential (JSON), a PDF certificate, a PNG or SVG badge, or a JPEG photo.")
    )


def extract_credential(data: bytes, *, filename: str | None = None, content_type: str | None = None) -> Found:
    """The one credential ``data`` carries (the embedded one when there is also a QR code)."""
    return extract(data, filename=filename, content_type=content_type, read_qr=False).primary


def from_qr_text(text: str, container: Container = "text") -> Found:
    """The credential a QR code's text carries (:func:`verifier.qr.decode_qr_text`)."""
    try:
        credential = decode_qr_text(text.strip())
    except QRPayloadError as exc:
        raise ExtractionError(exc.message) from None
    return Found(credential, "qr", container, qr_text=text.strip())


def _parse(raw: bytes | str) -> Any:
    try:
        return parse_json(raw)
    except ProblemError as exc:
        detail = exc.problem.detail
        raise ExtractionError(
            detail if isinstance(detail, Text) else t("The document is not valid JSON.")
        ) from None


def _parse_baked(text: str, baked_format: str) -> Any:
    if baked_format != "json":
        raise ExtractionError(
            t(
                "The badge carries a VC-JWT credential; this verifier reads credentials with an embedded proof."
            )
        )
    return _parse(text)


# --- images -----------------------------------------------------------------------------------


def _qr_texts(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds in ``image``, in reading order."""
    barcodes = zxingcpp.read_barcodes(image, formats=_QR_ONLY)
    return [barcode.text for barcode in barcodes if barcode.valid and barcode.text]


def _open_image(data: bytes) -> Image.Image:
    """``data`` decoded as PNG or JPEG, at most :data:`QR_SCAN_SIDE` on its longest side."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError
            longest = max(width, height)
            if image.format == "JPEG" and longest > QR_SCAN_SIDE:
                image.draft("L", (width * QR_SCAN_SIDE // longest, height * QR_SCAN_SIDE // longest))
            image = image.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ExtractionError(
            t(
                "The image is larger than {limit:,} pixels, the most this verifier decodes.",
                limit=MAX_IMAGE_PIXELS,
            )
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ExtractionError(t("The image is damaged and could not be decoded.")) from None
    if max(image.size) > QR_SCAN_SIDE:
        image.thumbnail((QR_SCAN_SIDE, QR_SCAN_SIDE), Image.Resampling.BOX)
    return image


def _extract_qr_image(data: bytes, container: Container, *, baked_badge_expected: bool) -> Extraction:
    texts = _qr_texts(_open_image(data))
    if not texts:
        raise ExtractionError(
            t("The image has neither a baked credential nor a QR code that could be read.")
            if baked_badge_expected
            else t("No QR code could be read in the image.")
        )
    return Extraction(container, (_first_certificate_qr(texts, container),))


def _first_certificate_qr(texts: list[str], container: Container) -> Found:
    """The first QR code that carries a certificate (a photo may show other QR codes too)."""
    reasons: list[Text] = []
    for text in texts:
        try:
            return from_qr_text(text, container)
        except ExtractionError as exc:
            reasons.append(exc.message)
    raise ExtractionError(t("The QR code is not a certificate's QR code: {reason}", reason=reasons[0]))


# --- PDF --------------------------------------------------------------------------------------


def _pdf_limits() -> Any:
    """pypdf limits for untrusted PDFs: small decompression budgets, no external decoders."""
    return pypdf.apply_configuration(
        zlib_maximum_output_length=8 * MAX_CREDENTIAL_BYTES,
        zlib_maximum_recovery_input_length=MAX_CREDENTIAL_BYTES,
        maximum_declared_stream_length=MAX_FILE_BYTES,
        lzw_maximum_output_length=8 * MAX_CREDENTIAL_BYTES,
        run_length_maximum_output_length=8 * MAX_CREDENTIAL_BYTES,
        brotli_maximum_output_length=8 * MAX_CREDENTIAL_BYTES,
        array_maximum_element_count=10_000,
        dictionary_maximum_element_count=10_000,
        stream_decoding_work_maximum_length=32 * MAX_CREDENTIAL_BYTES,
        page_tree_maximum_entries=10_000,
        jbig2dec_binary=None,
    )


def _resolve(value: PdfObject | None) -> PdfObject | None:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _file_specs(catalog: DictionaryObject) -> Iterator[DictionaryObject]:
    """The file specifications of a PDF: its associated files (``/AF``), then its embedded files.

    ISO 32000-2 §14.13 (associated files) and §7.11.4 (the ``/EmbeddedFiles`` name tree, walked
    to :data:`MAX_NAME_TREE_DEPTH`). Each specification is given once.
    """
    seen: set[object] = set()
    count = 0

    def once(reference: PdfObject | None) -> DictionaryObject | None:
        nonlocal count
        spec = _resolve(reference)
        key = (reference.idnum, reference.generation) if isinstance(reference, IndirectObject) else id(spec)
        if not isinstance(spec, DictionaryObject) or key in seen:
            return None
        seen.add(key)
        count += 1
        if count > MAX_PDF_ATTACHMENTS:
            raise ExtractionError(
                t("The PDF has more than {limit} attached files.", limit=MAX_PDF_ATTACHMENTS)
            )
        return spec

    associated = _resolve(catalog.get("/AF"))
    if isinstance(associated, ArrayObject):
        for reference in associated:
            spec = once(reference)
            if spec is not None:
                yield spec

    def walk(node: PdfObject | None, depth: int) -> Iterator[DictionaryObject]:
        node = _resolve(node)
        if not isinstance(node, DictionaryObject) or depth > MAX_NAME_TREE_DEPTH:
            return
        names = _resolve(node.get("/Names"))
        if isinstance(names, ArrayObject):
            for reference in names[1::2]:
                spec = once(reference)
                if spec is not None:
                    yield spec
        kids = _resolve(node.get("/Kids"))
        if isinstance(kids, ArrayObject):
            for kid in kids:
                yield from walk(kid, depth + 1)

    name_dictionary = _resolve(catalog.get("/Names"))
    if isinstance(name_dictionary, DictionaryObject):
        yield from walk(name_dictionary.get("/EmbeddedFiles"), 0)


@dataclass(frozen=True, slots=True)
class _Attachment:
    name: str
    media_type: str
    relationship: str
    stream: StreamObject


def _attachment(spec: DictionaryObject) -> _Attachment | None:
    files = _resolve(spec.get("/EF"))
    if not isinstance(files, DictionaryObject):
        return None
    stream = _resolve(files.get("/UF") or files.get("/F"))
    if not isinstance(stream, StreamObject):
        return None
    name = str(_resolve(spec.get("/UF")) or _resolve(spec.get("/F")) or "")
    subtype = str(stream.get("/Subtype") or "")
    media_type = subtype.lstrip("/").replace("#2F", "/").replace("#2f", "/").lower()
    relationship = str(_resolve(spec.get("/AFRelationship")) or "").lstrip("/")
    return _Attachment(name, media_type, relationship, stream)


def _is_json(attachment: _Attachment) -> bool:
    return (
        attachment.relationship == "Source"
        or attachment.media_type in _JSON_TYPES
        or attachment.name.lower().endswith(_JSON_SUFFIXES)
    )


def _attached_credentials(data: bytes) -> list[tuple[_Attachment, Any]]:
    """The credentials attached to a PDF, as (attachment, parsed JSON)."""
    found: list[tuple[_Attachment, Any]] = []
    with warnings.catch_warnings(), _pdf_limits():
        warnings.simplefilter("ignore")  # pypdf warns about the damage it repairs
        try:
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise ExtractionError(t("The PDF is encrypted; a certificate PDF is not."))
            catalog = _resolve(reader.trailer.get("/Root"))
            if not isinstance(catalog, DictionaryObject):
                raise ExtractionError(t("The PDF is damaged: it has no document catalog."))
            for spec in _file_specs(catalog):
                attachment = _attachment(spec)
                if attachment is None or not _is_json(attachment):
                    continue
                content = attachment.stream.get_data()
                if len(content) > MAX_CREDENTIAL_BYTES:
                    raise ExtractionError(
                        t(
                            "The file {name} attached to the PDF is {size:,} bytes; at most {limit:,} are accepted.",
                            name=attachment.name,
                            size=len(content),
                            limit=MAX_CREDENTIAL_BYTES,
                        )
                    )
                found.append((attachment, _parse(content)))
        except ExtractionError:
            raise
        except LimitReachedError:
            raise ExtractionError(
                t(
                    "The PDF holds more data than this verifier unpacks: a part of it expands beyond its limits."
                )
            ) from None
        except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise ExtractionError(t("The PDF is damaged and could not be read.")) from None
    return found


def _pdf_qr_texts(data: bytes) -> list[str]:
    """QR codes on the first and last page, rendered with PDFium (as a phone would see them).

    PDFium is not thread-safe, so renders (from a web server's worker threads, say) take turns.
    """
    with _PDFIUM:
        return _render_and_scan(data)


def _render_and_scan(data: bytes) -> list[str]:
    texts: list[str] = []
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return texts
    try:
        count = len(document)
        for index in sorted({0, count - 1})[:_QR_PAGES] if count else []:
            page = document[index]
            try:
                width, height = page.get_size()
                scale = min(PDF_RENDER_SIDE / max(width, height, 1.0), 8.0)
                bitmap = page.render(scale=scale, grayscale=True)
                try:
                    texts.extend(_qr_texts(bitmap.to_pil()))
                finally:
                    bitmap.close()
            finally:
                page.close()
            if texts:
                break
    except pypdfium2.PdfiumError:
        pass
    finally:
        document.close()
    return texts


def _extract_pdf(data: bytes, *, read_qr: bool) -> Extraction:
    attached = _attached_credentials(data)
    if len(attached) > 1:
        sources = [item for item in attached if item[0].relationship == "Source"]
        if len(sources) != 1:
            raise ExtractionError(
                t(
                    "The PDF has {count} attached credentials; a certificate carries exactly one.",
                    count=len(attached),
                )
            )
        attached = sources
    found: list[Found] = [Found(document, "pdf", "pdf") for _, document in attached]
    notes: list[Text] = []
    if read_qr or not found:
        texts = _pdf_qr_texts(data)
        if texts:
            try:
                found.append(_first_certificate_qr(texts, "pdf"))
            except ExtractionError as exc:
                if not found:
                    raise
                notes.append(exc.message)
        elif found:
            notes.append(t("No QR code could be read on the PDF certificate."))
    if not found:
        raise ExtractionError(
            t("The PDF carries no credential: no attached credential and no readable QR code.")
        )
    return Extraction("pdf", tuple(found), tuple(notes))
