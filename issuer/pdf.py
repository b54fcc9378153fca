"""The printed certificate: an A4 PDF/A-3b that carries the signed credential it shows.

Rendered with WeasyPrint from ``templates/certificate.html.j2`` and ``templates/certificate.css``
(Jinja2, autoescaped). Three properties make the paper a verifiable document, not a picture:

* **What is printed is what is signed.** Every fact comes from
  :func:`issuer.certificate.certificate_view` of the signed credential itself.
* **The credential travels with the PDF.** The PDF is PDF/A-3b (ISO 19005-3) and embeds the
  signed credential JSON, byte for byte, as an *associated file* of the document (ISO 19005-3
  §6.8 and ISO 32000-2 §14.13: the catalog's ``/AF`` array, ``/AFRelationship /Source``), named
  :data:`ATTACHMENT_NAME`. ``microcred verify CERT.pdf`` extracts and verifies it.
* **The QR code** carries the text it is given (:func:`issuer.batch_render.qr_text_for`),
  drawn by :func:`issuer.qr.make_qr` (level Q or better), captioned 扫码验证 / Scan to verify.

Speed: a :class:`CertificateRenderer` is built once per process and reused. It keeps one
WeasyPrint ``FontConfiguration``, the parsed stylesheet and the compiled template, so fonts
are loaded and CSS is parsed once, and memory stays flat over thousands of certificates
(``bench/render_pdf.py`` measures both). Chinese is set in the pre-cut
Noto Serif CJK SC (:mod:`issuer.fonts`), with the full system face behind it for any other
character. What a cohort's certificates share is laid out once and each learner's parts are
printed over it (:mod:`issuer.pdf_layers`): the same page, about three times faster. A renderer
is safe to share between threads (renders are serialized).

Bad input never yields a broken PDF: a credential that lacks a printed fact raises
:class:`~issuer.certificate.CertificateDataError`; text no installed font can print raises
:class:`UnprintableTextError` naming the field and the character; long names shrink and wrap;
a long course list continues on further pages with the header repeated.
"""

from __future__ import annotations

import atexit
import gc
import io
import itertools
import json
import os
import re
import threading
import unicodedata
import warnings
import zlib
from base64 import b64encode
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.request import url2pathname

import jinja2
import pydyf  # type: ignore[import-untyped]
import segno
from weasyprint import CSS, HTML, Attachment  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from verifier.jsonsafe import parse_json
from verifier.problems import ProblemError

from . import fonts
from .certificate import (
    CertificateDataError,
    CertificateRenderError,  # raised here; tests catch it from here too
    CertificateView,
    certificate_view,
    format_date_en,
    format_date_zh,
    format_date_zh_numerals,
    format_month_en,
    format_month_zh,
    format_number,
)
from .i18n import t
from .pdf_art import frame_data_uri
from .pdf_layers import (
    BLANK_IMAGE,
    LAYERS_KEPT,
    OWN_LAYER_CSS,
    LayerCache,
    SlotRecorder,
    fits,
    layer_key,
    overlay,
    own_layer_html,
    shared_layer,
)
from .qr import BORDER, make_qr

#: The folder with ``certificate.html.j2`` and ``certificate.css``: the repository's
#: ``templates/``, or ``issuer/_data/templates`` where a wheel packs them.
TEMPLATE_DIR = next(
    (
        folder
        for folder in (
            Path(__file__).resolve().parent.parent / "templates",
            Path(__file__).resolve().parent / "_data" / "templates",
        )
        if (folder / "certificate.html.j2").is_file()
    ),
    Path(__file__).resolve().parent.parent / "templates",
)
#: File name of the embedded signed credential (an associated file with relationship Source).
ATTACHMENT_NAME = "credential.json"
ATTACHMENT_DESCRIPTION = "Signed verifiable credential (Open Badges 3.0) · 已签名的可验证凭证"
#: The PDF flavour: PDF/A-3b allows embedded files of any type as associated files.
PDF_VARIANT = "pdf/a-3b"
#: Printed QR module size bounds (mm): big enough for a phone camera, small enough for the page.
QR_MODULE_MM = 0.4
QR_MIN_MM, QR_MAX_MM = 26.0, 34.0
#: Largest logo, seal or signature image accepted.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
#: Accent colours whose parsed stylesheet a renderer keeps.
_STYLESHEETS_KEPT = 8
#: Course counts up to which the table keeps its normal, then its compact spacing on one page.
NORMAL_COURSES, COMPACT_COURSES = 8, 12
DEFAULT_ACCENT = "#9b1c1c"

ImageType = Literal["image/png", "image/jpeg", "image/svg+xml"]
_SIGNATURES: Mapping[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _describe(char: str) -> str:
    """``𠮷 (U+20BB7)``; a control or unassigned character by its code point alone."""
    code = f"U+{ord(char):04X}"
    return code if unicodedata.category(char).startswith("C") else f"{char} ({code})"


class UnprintableTextError(CertificateRenderError):
    """Text in the credential has characters no installed font can print.

    A certificate never prints a placeholder box in a person's name: the registrar installs a
    font that has the character (or corrects the record and reissues).
    """

    def __init__(self, problems: tuple[tuple[str, str], ...]) -> None:
        self.problems = problems
        listed = "; ".join(f"{path}: {' '.join(map(_describe, chars))}" for path, chars in problems)
        super().__init__(
            t(
                "No installed font can print these characters, so the certificate is not rendered: {list}.",
                list=listed,
            )
        )


@dataclass(frozen=True, slots=True)
class Image:
    """A logo, seal or signature image from the institution's configuration."""

    data: bytes
    media_type: ImageType

    def __post_init__(self) -> None:
        if self.media_type not in ("image/png", "image/jpeg", "image/svg+xml"):
            raise CertificateRenderError(
                t("Images must be PNG, JPEG or SVG, not {type}.", type=str(self.media_type))
            )
        if not self.data or len(self.data) > MAX_IMAGE_BYTES:
            raise CertificateRenderError(
                t("An image must hold 1 byte to {limit} MiB.", limit=MAX_IMAGE_BYTES // (1024 * 1024))
            )
        signatures = _SIGNATURES.get(self.media_type)
        looks_right = (
            any(self.data.startswith(s) for s in signatures)
            if signatures
            else b"<svg" in self.data[:4096].lower()
        )
        if not looks_right:
            raise CertificateRenderError(t("The image is not a {type} file.", type=self.media_type))

    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True, slots=True)
class CertificateOptions:
    """How an institution prints its certificates.

    ``language``: ``"bilingual"`` (Chinese first, English beside it) or ``"zh"`` (Chinese only:
    no English at all). ``seal`` is stamped over the issuer's name and date; a transparent PNG
    or an SVG looks best. ``accent`` colours the frame, title and rules (``#rrggbb``).
    """

    language: Literal["bilingual", "zh"] = "bilingual"
    logo: Image | None = None
    seal: Image | None = None
    signature: Image | None = None
    accent: str = DEFAULT_ACCENT

    def __post_init__(self) -> None:
        if self.language not in ("bilingual", "zh"):
            raise CertificateRenderError(
                t("The certificate language must be bilingual or zh, not {value}.", value=str(self.language))
            )
        if not isinstance(self.accent, str) or not _COLOUR.fullmatch(self.accent):
            raise CertificateRenderError(
                t("The accent colour must look like #9b1c1c, not {value}.", value=str(self.accent))
            )


@dataclass(frozen=True, slots=True)
class QRCode:
    """The QR code as printed: a 1-bit PNG (``data:`` URI), its printed size, its version."""

    image: str
    size_mm: float
    version: int


@lru_cache(maxsize=8)
def qr_code(text: str) -> QRCode:
    """Encode ``text`` as :mod:`issuer.qr` does (level Q or better, mixed modes), sized for paper.

    Remembered for the last few texts: a certificate laid out in full after its layered print
    was refused (:mod:`issuer.pdf_layers`) does not encode its QR code twice.
    """
    if not isinstance(text, str) or not text:
        raise CertificateRenderError(t("The QR code text is empty."))
    try:
        symbol = make_qr(text)
    except segno.DataOverflowError:
        raise CertificateRenderError(
            t("The QR code text ({length} characters) is too long for a QR code.", length=len(text))
        ) from None
    modules = symbol.symbol_size(border=BORDER)[0]
    size = min(QR_MAX_MM, max(QR_MIN_MM, modules * QR_MODULE_MM))
    # One pixel per module, printed without interpolation (image-rendering: pixelated): every
    # module is an exact black square at any print resolution, and drawing it costs one image
    # rather than thousands of vector path segments.
    image = symbol.png_data_uri(scale=1, border=BORDER, dark="#000", light="#fff")
    return QRCode(image, round(size, 1), int(symbol.version))


# ---------------------------------------------------------------------------------------------
# Text checks and layout choices


def _visual_width(text: str) -> int:
    """Printed width in half-em units: a hanzi counts 2, a Latin letter 1."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _size_class(text: str, large: int, medium: int, small: int) -> str:
    width = _visual_width(text)
    if width <= large:
        return "xl"
    if width <= medium:
        return "l"
    if width <= small:
        return "m"
    return "s"


def _needs_no_glyph(char: str) -> bool:
    """Whitespace, joiners and variation selectors shape with their neighbours, without a glyph."""
    point = ord(char)
    return (
        char in " \u00a0\u3000\u200b\u200c\u200d\u2060"
        or 0xFE00 <= point <= 0xFE0F
        or 0xE0100 <= point <= 0xE01EF
    )


def _tint(colour: str, strength: float = 0.09) -> str:
    """``colour`` mixed with white (for the table header band)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))

    def mix(channel: int) -> int:
        return round(255 - (255 - channel) * strength)

    return f"#{mix(red):02x}{mix(green):02x}{mix(blue):02x}"


class _LocalFetcher(URLFetcher):  # type: ignore[misc]
    """Loads ``data:`` URIs and the font and template files, nothing else: no network, ever."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self._roots = tuple(root.resolve() for root in roots)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("file:"):
            path = Path(url2pathname(url.removeprefix("file://").split("?")[0])).resolve()
            if not any(path.is_relative_to(root) for root in self._roots):
                raise ValueError(f"refusing to read {url}")
        elif not url.startswith("data:"):
            raise ValueError(f"refusing to fetch {url}")
        return super().fetch(url, headers)


class _ImageCache(OrderedDict[str, Any]):
    """WeasyPrint's image cache (its ``cache`` option), bounded to the most recently used entries.

    The page frame (one per accent colour) and an institution's logo, seal and signature are
    decoded once per renderer instead of once per certificate; each certificate's own QR code
    passes through and is soon dropped, so memory stays flat.
    """

    def __init__(self, size: int = 32) -> None:
        super().__init__()
        self._size = size

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self._size:
            self.popitem(last=False)


#: A full garbage collection after every this many certificates (see :func:`_collector_paused`).
_FULL_COLLECTION_EVERY = 10
_certificates_written = itertools.count(1)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while one certificate is laid out and written.

    WeasyPrint makes about 20,000 objects per certificate, linked in reference cycles (boxes,
    styles, layouts). With the collector running they are traversed again at every collection
    they survive, and the full collections they trigger walk every long-lived object of the
    process too: a sixth of a certificate's CPU time. Paused, they are traversed once, by the
    collection of the young generation right after the certificate is written.

    That young collection alone is not enough: a few objects of each certificate are still
    referenced at that moment, survive into the older generations and keep their cycles alive
    there, and the older generations are then rarely collected (with the collector paused, the
    allocations that would trigger it are not counted). Memory grew by 0.7 MiB per certificate
    (``bench/render_pdf.py``, RSS after 200 renders). A full collection after every
    :data:`_FULL_COLLECTION_EVERY`-th certificate keeps it flat and costs little of the gain.

    A full collection walks every object of the process, and most of them live as long as it
    does (modules, the renderer's fonts and stylesheets, a service's own state): 120 ms each,
    here. After the process's first certificate they are collected once and frozen
    (``gc.freeze``: left out of every later collection), which makes the full collections six
    times cheaper and each certificate about 13 % faster (``bench/render_pdf.py``). A frozen
    object is still freed when nothing refers to it; only a reference cycle among them that
    becomes garbage later is never reclaimed, a bounded cost paid once per process.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        written = next(_certificates_written)
        if written == 1:
            gc.collect()
            gc.freeze()
            atexit.register(gc.unfreeze)  # the collection at exit sees everything again
        else:
            gc.collect(2 if written % _FULL_COLLECTION_EVERY == 0 else 0)


#: zlib level of the embedded font programs, the credential and the other byte streams. pydyf
#: uses 9, which takes twice as long as 6 and saves under 0.5 % on font programs.
_DEFLATE_LEVEL = 6


class _SerializedStream(pydyf.Stream):  # type: ignore[misc]
    """A PDF stream object whose bytes are computed once, when the document is finished.

    pydyf builds a stream's bytes (compressing it) each time they are asked for: once to write
    the object and once more to hash the whole file for the trailer's ``/ID``, which PDF/A
    requires (ISO 19005-3 §6.1.3). Embedded font programs make that second pass expensive.
    """

    def __init__(self, original: Any, data: bytes) -> None:
        super().__init__()
        self.number = original.number
        self.generation = original.generation
        self.offset = original.offset
        self.free = original.free
        self._data = data

    @property
    def data(self) -> bytes:
        return self._data


def _stream_bytes(stream: Any) -> bytes:
    """The object bytes of a pydyf stream (ISO 32000-2 §7.3.8), Flate-compressed at our level."""
    items = stream.stream
    if stream.compress and all(isinstance(item, bytes) for item in items):
        body = zlib.compress(b"\n".join(items), _DEFLATE_LEVEL)
        extra = pydyf.Dictionary({**stream.extra, "Filter": "/FlateDecode", "Length": len(body)})
        return b"\n".join((extra.data, b"stream", body, b"endstream"))
    data: bytes = stream.data
    return data


def _finish_pdf(document: Any, pdf: Any) -> None:
    """WeasyPrint's ``finisher``: last fixes to the PDF objects before the file is written."""
    _list_associated_files_once(document, pdf)
    for index, item in enumerate(pdf.objects):
        if isinstance(item, pydyf.Stream) and item.extra.get("Type") == "/Metadata":
            # The XMP packet stays plain text: PDF/A-1 requires it, and a layered certificate's
            # (issuer.pdf_layers, written by qpdf) is plain too, so both kinds say the same.
            item.compress = False
        if isinstance(item, pydyf.Stream) and not isinstance(item, _SerializedStream):
            pdf.objects[index] = _SerializedStream(item, _stream_bytes(item))


# ---------------------------------------------------------------------------------------------
# The renderer


@dataclass
class CertificateRenderer:
    """Renders certificates; build one per process and reuse it (fonts and CSS are parsed once).

    ``font_dir`` is where ``python -m issuer.fonts`` put the cut faces; without them the full
    system faces are used (the same certificate, slower and twice the size). Raises
    :class:`~issuer.fonts.FontSetupError` when the Chinese system fonts are not installed.
    """

    font_dir: Path | None = fonts.DEFAULT_FONT_DIR
    template_dir: Path = TEMPLATE_DIR
    #: Print a cohort's shared parts once (:mod:`issuer.pdf_layers`); False lays out every page.
    layered: bool = True
    #: How many cohorts' shared layers to keep (0: build one for every certificate).
    layers_kept: int = LAYERS_KEPT
    cut_faces: tuple[fonts.Face, ...] = field(init=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for face in fonts.FACES:
            fonts.find_system_face(face)  # the fallback must exist: fail now, clearly
        self.cut_faces = fonts.cut_faces_present(self.font_dir) if self.font_dir else ()
        roots = (self.template_dir, *((self.font_dir,) if self.font_dir else ()))
        self._fetcher = _LocalFetcher(roots)
        self._images = _ImageCache()
        self._font_config = FontConfiguration()
        self._css = self.font_css() + (self.template_dir / "certificate.css").read_text("utf-8")
        self._stylesheets: dict[str, CSS] = {}
        self.stylesheet(DEFAULT_ACCENT)  # parsed now: a broken stylesheet fails at start-up
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.template_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.filters.update(
            number=format_number,
            date_zh=format_date_zh,
            date_en=format_date_en,
            month_zh=format_month_zh,
            month_en=format_month_en,
            date_zh_numerals=format_date_zh_numerals,
        )
        self._template = environment.get_template("certificate.html.j2")
        self._head_template = environment.get_template("certificate_head.html.j2")
        self._layers = LayerCache(self.layers_kept)
        self._own_layer_css = CSS(string=OWN_LAYER_CSS, font_config=self._font_config)
        self._cut_points = (
            fonts.font_codepoints(self.font_dir / self.cut_faces[0].cut_filename)
            if self.cut_faces and self.font_dir
            else frozenset()
        )
        self._system_points: frozenset[int] | None = None

    @property
    def shared_layers(self) -> int:
        """How many cohorts' shared layers this renderer keeps (:mod:`issuer.pdf_layers`)."""
        return len(self._layers)

    def font_css(self) -> str:
        """The ``@font-face`` rules and font stack prepended to the certificate stylesheet."""
        faces = []
        families = ['"Noto Serif CJK SC"', '"Noto Sans CJK SC"', "serif"]
        if self.cut_faces and self.font_dir:
            family = self.cut_faces[0].cut_family
            families.insert(0, f'"{family}"')
            for face in self.cut_faces:
                url = (self.font_dir / face.cut_filename).resolve().as_uri()
                faces.append(
                    f'@font-face {{ font-family: "{face.cut_family}"; src: url("{url}"); '
                    f"font-weight: {face.weight}; font-style: normal; }}"
                )
        return "\n".join([*faces, f"html {{ font-family: {', '.join(families)}; }}", ""])

    def stylesheet(self, accent: str) -> CSS:
        """The certificate stylesheet with the frame and rules in ``accent``, parsed once per colour.

        The accent is set here rather than in the page's HTML, so neither the frame (a ``data:``
        URI) nor the colours are parsed again for every certificate.
        """
        sheet = self._stylesheets.get(accent)
        if sheet is None:
            if len(self._stylesheets) >= _STYLESHEETS_KEPT:
                self._stylesheets.pop(next(iter(self._stylesheets)))
            page = (
                f":root {{ --accent: {accent}; --accent-tint: {_tint(accent)}; }}\n"
                f'@page {{ background-image: url("{frame_data_uri(accent)}"); }}\n'
            )
            sheet = self._stylesheets[accent] = CSS(
                string=self._css + page,
                base_url=str(self.template_dir) + "/",
                url_fetcher=self._fetcher,
                font_config=self._font_config,
            )
        return sheet

    # -- checks ---------------------------------------------------------------------------

    def _printable(self, char: str) -> bool:
        point = ord(char)
        if point in self._cut_points or _needs_no_glyph(char):
            return True
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            return False
        if self._system_points is None:
            self._system_points = fonts.printable_codepoints()
        return point in self._system_points

    def check_printable(self, view: CertificateView) -> None:
        """Raise :class:`UnprintableTextError` if any printed text has a character no font has."""
        problems = []
        for path, text in view.texts().items():
            missing = "".join(dict.fromkeys(c for c in text if not self._printable(c)))
            if missing:
                problems.append((path, missing))
        if problems:
            raise UnprintableTextError(tuple(problems))

    # -- rendering ------------------------------------------------------------------------

    def render_html(
        self,
        view: CertificateView,
        qr_text: str,
        options: CertificateOptions | None = None,
        *,
        paged: bool = False,
        slots: SlotRecorder | None = None,
    ) -> str:
        """The certificate as HTML (what WeasyPrint lays out); ``paged`` numbers the pages.

        With a shared-layer ``slots`` recorder (:mod:`issuer.pdf_layers`), the HTML of the page
        every certificate of the cohort shares: the learner's parts are recorded, not printed.
        """
        return self._template.render(self._variables(view, qr_text, options, paged=paged, slots=slots))

    def _variables(
        self,
        view: CertificateView,
        qr_text: str,
        options: CertificateOptions | None,
        *,
        paged: bool = False,
        slots: SlotRecorder | None = None,
    ) -> dict[str, Any]:
        options = options or CertificateOptions()
        count = len(view.courses)
        density = "normal" if count <= NORMAL_COURSES else "compact" if count <= COMPACT_COURSES else "long"
        created = datetime.combine(view.issued_on, time(0), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        qr = qr_code(qr_text)
        shared = slots is not None and slots.shared
        return {
            "v": view,
            "bilingual": options.language == "bilingual",
            "density": density,
            "html_class": f"density-{density} {'bilingual' if options.language == 'bilingual' else 'zh-only'}",
            "paged": paged,
            "layer": "shared" if shared else "full",
            "slot": slots or SlotRecorder(shared=False),
            "sizes": {
                "university": _size_class(view.university.zh, 24, 36, 48),
                "learner": _size_class(view.learner.zh, 10, 20, 36),
                "micro_major": _size_class(view.micro_major.zh, 40, 40, 64),
            },
            "qr": qr,
            "qr_image": BLANK_IMAGE if shared else qr.image,
            "logo": options.logo.data_uri() if options.logo else None,
            "seal": options.seal.data_uri() if options.seal else None,
            "signature": options.signature.data_uri() if options.signature else None,
            "created": created,
        }

    def render(
        self,
        credential: Mapping[str, Any] | str | bytes,
        qr_text: str,
        options: CertificateOptions | None = None,
    ) -> bytes:
        """The PDF/A-3b certificate for the signed ``credential``.

        ``credential`` is the signed credential as a JSON object, or as the exact JSON text
        (``str`` or UTF-8 ``bytes``) it was stored as: text is embedded byte for byte; an object
        is embedded as UTF-8 JSON with two-space indentation.
        """
        options = options or CertificateOptions()
        document, embedded = _credential_and_bytes(credential)
        view = certificate_view(document)
        self.check_printable(view)
        moment = datetime.combine(view.issued_on, time(0))

        def attachment() -> Attachment:  # a fresh one for each PDF written: WeasyPrint reads it
            return Attachment(
                file_obj=io.BytesIO(embedded),
                name=ATTACHMENT_NAME,
                description=ATTACHMENT_DESCRIPTION,
                created=moment,
                modified=moment,
                relationship="Source",
            )

        with self._lock, warnings.catch_warnings(), _collector_paused():
            # WeasyPrint 70 opens its sRGB profile (the PDF/A output intent) and leaves the file
            # for the garbage collector: a ResourceWarning, not a problem of this document.
            warnings.simplefilter("ignore", ResourceWarning)
            stylesheet = self.stylesheet(options.accent)
            layered = self._layered(view, qr_text, options, stylesheet, attachment) if self.layered else None
            if layered is not None:
                return layered
            laid_out = self._lay_out(self.render_html(view, qr_text, options), stylesheet)
            if len(laid_out.pages) > 1:
                # It runs onto more pages (many courses, long names): number them. Rare, so
                # laying it out twice costs less than numbering every certificate.
                laid_out = self._lay_out(self.render_html(view, qr_text, options, paged=True), stylesheet)
            pdf: bytes = laid_out.write_pdf(
                pdf_variant=PDF_VARIANT,
                attachments=[attachment()],
                finisher=_finish_pdf,
            )
        return pdf

    def _layered(
        self,
        view: CertificateView,
        qr_text: str,
        options: CertificateOptions,
        stylesheet: CSS,
        attachment: Callable[[], Attachment],
    ) -> bytes | None:
        """The certificate printed over its cohort's shared layer (:mod:`issuer.pdf_layers`), or
        None when it must be laid out in full (its parts do not take their placeholders' lines)."""
        slots = SlotRecorder(shared=True)
        variables = self._variables(view, qr_text, options, slots=slots)
        shared_html = self._template.render(variables)
        names = frozenset(slots.contents)
        layer = self._layers.get(
            layer_key(shared_html, options.accent),
            lambda: shared_layer(self._lay_out(shared_html, stylesheet), names),
        )
        if layer is None or set(layer.texts) != names:
            return None
        own_html = own_layer_html(
            layer,
            slots.contents,
            variables["qr"].image,
            head=self._head_template.render(variables),
            html_class=variables["html_class"] + " layer-own",
        )
        own = HTML(string=own_html, base_url=str(self.template_dir) + "/", url_fetcher=self._fetcher).render(
            stylesheets=[stylesheet, self._own_layer_css],
            font_config=self._font_config,
            cache=self._images,
        )
        if not fits(layer, own):
            return None
        return overlay(
            layer, own.write_pdf(pdf_variant=PDF_VARIANT, attachments=[attachment()], finisher=_finish_pdf)
        )

    def _lay_out(self, html: str, stylesheet: CSS) -> Any:
        return HTML(string=html, base_url=str(self.template_dir) + "/", url_fetcher=self._fetcher).render(
            stylesheets=[stylesheet], font_config=self._font_config, cache=self._images
        )


def _list_associated_files_once(_document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists an embedded file twice in the catalog's ``/AF`` array; keep one entry."""
    associated = pdf.catalog.get("AF")
    if associated:
        associated[:] = list(dict.fromkeys(associated))


def _credential_and_bytes(credential: Mapping[str, Any] | str | bytes) -> tuple[Mapping[str, Any], bytes]:
    if isinstance(credential, str | bytes):
        raw = credential.encode("utf-8") if isinstance(credential, str) else credential
        try:
            parsed = parse_json(raw)
        except ProblemError as exc:
            raise CertificateDataError(
                t("The credential is not valid JSON: {reason}", reason=exc.problem.detail)
            ) from None
        if not isinstance(parsed, Mapping):
            raise CertificateDataError(t("The credential is not a JSON object."))
        return parsed, raw
    if not isinstance(credential, Mapping):
        raise TypeError("credential must be a JSON object (dict) or its JSON text")
    return credential, (json.dumps(credential, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_shared: dict[int, CertificateRenderer] = {}
_shared_lock = threading.Lock()


def shared_renderer() -> CertificateRenderer:
    """This process's renderer (built on first use; after ``fork`` a child builds its own)."""
    pid = os.getpid()
    with _shared_lock:
        renderer = _shared.get(pid)
        if renderer is None:
            _shared.clear()
            renderer = _shared[pid] = CertificateRenderer()
        return renderer


def render_certificate_pdf(
    credential: Mapping[str, Any] | str | bytes,
    qr_text: str,
    options: CertificateOptions | None = None,
) -> bytes:
    """The PDF/A-3b certificate for the signed ``credential`` (see :meth:`CertificateRenderer.render`)."""
    return shared_renderer().render(credential, qr_text, options)
