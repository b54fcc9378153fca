"""Printing a cohort fast: what every certificate of a cohort shares is laid out once.

A cohort's certificates differ in a few places: the learner's name, the certificate number,
the result of each course and the QR code. Everything else (the frame, the university, the
statement, the course table, the seal) is the same on each of them, and laying it out is most of
the cost of a certificate (WeasyPrint shapes and places about 140 pieces of text). So a
certificate is printed in two layers:

* the **shared layer**: the whole certificate with each varying part (a *slot*, marked by
  ``slot()`` in ``templates/certificate.html.j2``) replaced by a hidden placeholder of the same
  shape ("0" for each line of text, a blank image for the QR code). It is laid out once, written
  as a one-page PDF and kept (:class:`LayerCache`), keyed by its HTML: certificates whose shared
  parts print alike share it, and anything that changes the shared page (a long name's size
  class, the QR code's size, a course without an English result) makes a layer of its own;
* the **certificate's own layer**: only the slots, each placed where its placeholder was laid out
  and styled by the same stylesheet (the slot keeps the placeholder's ancestors, flattened so
  they take no room), with the page's metadata and the embedded credential.

The own layer's PDF (PDF/A-3b, from WeasyPrint) gets the shared page as a Form XObject drawn
under its content (pikepdf: qpdf copies the objects between the files).

**The same certificate as a full layout, or none.** A slot is the only content of its block, so
its text moves nothing but itself as long as it takes the same lines as its placeholder. Each
slot's lines are counted and measured after the own layer is laid out; if any differs from its
placeholder (a name that wraps, a result in a font with other metrics), :func:`layered_pdf`
returns ``None`` and the certificate is laid out in full. So is a certificate whose shared
layer has another shape than the slots expect, or runs onto a second page. Tests compare the
layered and the full page pixel by pixel (``tests/unit/test_pdf_layers.py``).

The slots' places are read off WeasyPrint's laid-out box tree, which is not its public API
(tested with WeasyPrint 69 and 70). A WeasyPrint without those internals prints every
certificate in full (slower, never wrong), and the tests that expect a layered print fail.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pikepdf
from markupsafe import Markup, escape
from weasyprint.formatting_structure import boxes  # type: ignore[import-untyped]

try:  # WeasyPrint's own classes, not its API: another version may have moved them
    from weasyprint.layout.absolute import AbsolutePlaceholder  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - then every certificate is laid out in full
    AbsolutePlaceholder = None

#: Shared layers a renderer keeps (one per cohort and print shape, about 100 KB each).
LAYERS_KEPT = 16
#: The attribute that marks a slot in the template, and the one that finds it in the own layer.
SLOT_ATTRIBUTE = "data-slot"
_PLACED_ATTRIBUTE = "data-placed"
#: The shared page's name in the certificate page's resources.
_FORM_NAME = pikepdf.Name("/SharedLayer")
#: A slot's lines match when they differ by less than this (CSS px).
_TOLERANCE = 0.01
#: The QR slot's placeholder in the shared layer: a transparent 1x1 PNG (hidden anyway).
BLANK_IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
#: The own layer's stylesheet, after the certificate's: no page frame or margins; a slot's
#: ancestors are flattened (they keep only what the slot inherits from them: fonts, colour,
#: line height, alignment) and the slot is placed where its placeholder was.
OWN_LAYER_CSS = """
@page { margin: 0; background: none; }
.layer-ancestor {
  display: block !important; position: static !important; float: none !important;
  margin: 0 !important; padding: 0 !important; border: 0 none !important;
  width: auto !important; height: auto !important; min-width: 0 !important; min-height: 0 !important;
  max-width: none !important; max-height: none !important; background: none !important;
}
.layer-slot {
  display: block !important; position: absolute !important; float: none !important;
  margin: 0 !important; padding: 0 !important; border: 0 none !important;
  box-sizing: content-box !important; height: auto !important; min-height: 0 !important;
  max-height: none !important; min-width: 0 !important; max-width: none !important;
  background: none !important;
}
img.layer-qr { position: absolute; image-rendering: pixelated; margin: 0; padding: 0; border: 0; }
"""


class SlotRecorder:
    """The template's ``slot()`` (a Jinja call block): marks a part that differs per learner.

    For a full layout it only wraps the part in ``<span data-slot="NAME">``. For the shared
    layer (``shared=True``) it keeps the part in :attr:`contents` and prints a placeholder of
    its shape instead (see :func:`placeholder`), hidden by the stylesheet.
    """

    def __init__(self, *, shared: bool) -> None:
        self.shared = shared
        self.contents: dict[str, Markup] = {}

    def __call__(self, name: str, caller: Callable[[], str]) -> Markup:
        content = Markup(caller())  # noqa: S704 - the template's own autoescaped output
        if self.shared:
            self.contents[name] = content
            content = placeholder(content)
        return Markup('<span data-slot="{}">{}</span>').format(name, content)  # SLOT_ATTRIBUTE


_TAG = re.compile(r"(<[^>]*>)")
_SPACED = re.compile(r"^(\s*)\S.*?(\s*)$", re.DOTALL)


def placeholder(content: str) -> Markup:
    """``content`` with each line of each text run replaced by ``0``: tags, spaces and newlines stay.

    ``优秀\\n<span class="en">Excellent</span>`` becomes ``0\\n<span class="en">0</span>``: two
    lines, the second in the English style, whatever the learner's result was.
    """
    parts = []
    for part in _TAG.split(content):
        if part.startswith("<"):
            parts.append(part)
        else:
            parts.append("\n".join(_SPACED.sub(r"\g<1>0\g<2>", line) for line in part.split("\n")))
    return Markup("".join(parts))  # noqa: S704 - tags from the template, text replaced by "0"


@dataclass(frozen=True, slots=True)
class TextSlot:
    """Where a slot's placeholder was laid out: its block's content box and its lines (CSS px)."""

    opening: str  # the slot's ancestors and its own block, as flattened start tags
    closing: str
    x: float
    y: float
    width: float
    height: float
    lines: int


@dataclass(frozen=True, slots=True)
class ImageSlot:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Bookmark:
    """An entry of the shared page's outline (the title's bookmark): where it points on the page."""

    title: str
    view: tuple[Any, ...]  # the destination after its page: /XYZ left top zoom
    children: tuple[Bookmark, ...]


@dataclass(frozen=True, slots=True)
class SharedLayer:
    """A laid-out shared page: its PDF page as a Form XObject, where its slots are, its outline."""

    pdf: pikepdf.Pdf
    form: pikepdf.Object
    texts: Mapping[str, TextSlot]
    qr: ImageSlot
    bookmarks: tuple[Bookmark, ...] = ()


class LayerCache:
    """The most recently used shared layers (``None`` remembers a page that cannot be layered)."""

    def __init__(self, size: int = LAYERS_KEPT) -> None:
        self._size = size
        self._layers: OrderedDict[str, SharedLayer | None] = OrderedDict()

    def get(self, key: str, build: Callable[[], SharedLayer | None]) -> SharedLayer | None:
        if key in self._layers:
            self._layers.move_to_end(key)
            return self._layers[key]
        layer = self._layers[key] = build()
        while len(self._layers) > self._size:
            self._layers.popitem(last=False)
        return layer

    def __len__(self) -> int:
        return len(self._layers)


def layer_key(shared_html: str, accent: str) -> str:
    return hashlib.sha256(f"{accent}\x00{shared_html}".encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# The shared layer


def _walk(box: Any, ancestors: tuple[Any, ...] = ()) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """Every box under ``box`` with its ancestors; an absolutely positioned box, not its placeholder."""
    if AbsolutePlaceholder is not None and isinstance(box, AbsolutePlaceholder):
        box = box._box  # the laid-out box it stands for
    yield box, ancestors
    if isinstance(box, boxes.ParentBox):
        inner = (*ancestors, box)
        for child in box.children:
            yield from _walk(child, inner)


def _page_box(document: Any) -> Any:
    """The laid-out box tree of a one-page document (WeasyPrint's, not its API), or None."""
    if len(document.pages) != 1 or AbsolutePlaceholder is None:
        return None
    return getattr(document.pages[0], "_page_box", None)


def _slot_name(box: Any) -> str | None:
    element = getattr(box, "element", None)
    return element.get(SLOT_ATTRIBUTE) if element is not None else None


def _start_tag(element: Any, extra_class: str, extra: str = "") -> str:
    classes = " ".join(filter(None, (element.get("class"), extra_class)))
    lang = element.get("lang")
    attributes = f' class="{escape(classes)}"' + (f' lang="{escape(lang)}"' if lang else "")
    return f"<{element.tag}{attributes}{extra}>"


def _text_slot(name: str, block: Any, ancestors: tuple[Any, ...]) -> TextSlot | None:
    """The slot whose placeholder is all of ``block``'s content, or None if it is not."""
    lines = block.children
    if not lines or not all(
        isinstance(line, boxes.LineBox) and len(line.children) == 1 and _slot_name(line.children[0]) == name
        for line in lines
    ):
        return None
    elements: list[Any] = []
    for box in ancestors:
        element = box.element
        if element is None or element.tag in ("html", "body") or (elements and elements[-1] is element):
            continue
        elements.append(element)
    if block.element is None or (elements and elements[-1] is block.element):
        return None  # an anonymous block: its content is not the whole of an element
    x, y = block.content_box_x(), lines[0].position_y
    height = lines[-1].position_y + lines[-1].height - y
    placed = (
        f' {_PLACED_ATTRIBUTE}="{escape(name)}" '
        f'style="left: {x!r}px !important; top: {y!r}px !important; width: {block.width!r}px !important"'
    )
    opening = "".join(_start_tag(element, "layer-ancestor") for element in elements)
    opening += _start_tag(block.element, "layer-slot", placed)
    closing = "".join(f"</{element.tag}>" for element in reversed([*elements, block.element]))
    return TextSlot(opening, closing, x, y, block.width, height, len(lines))


def shared_layer(document: Any, slot_names: frozenset[str]) -> SharedLayer | None:
    """Read the slots' places off the laid-out shared page and write the page; None if unfit."""
    page_box = _page_box(document)
    if page_box is None:
        return None
    texts: dict[str, TextSlot] = {}
    qr: ImageSlot | None = None
    for box, ancestors in _walk(page_box):
        name = _slot_name(box)
        if name == "qr" and isinstance(box, boxes.InlineReplacedBox):
            qr = ImageSlot(box.content_box_x(), box.content_box_y(), box.width, box.height)
        elif name and isinstance(box, boxes.InlineBox) and ancestors:
            line = ancestors[-1]
            block = ancestors[-2] if len(ancestors) > 1 else None
            if not isinstance(line, boxes.LineBox) or not isinstance(block, boxes.BlockContainerBox):
                return None
            if name not in texts:
                slot = _text_slot(name, block, ancestors[:-2])
                if slot is None:
                    return None
                texts[name] = slot
    if qr is None or set(texts) != slot_names:
        return None
    try:
        pdf = pikepdf.open(io.BytesIO(document.write_pdf()))
        with pdf.open_outline() as outline:
            bookmarks = _bookmarks(outline.root)
        return SharedLayer(pdf, pdf.pages[0].as_form_xobject(), texts, qr, bookmarks)
    except pikepdf.PdfError:  # never seen; the cohort's certificates are then laid out in full
        return None


def _bookmarks(items: Any) -> tuple[Bookmark, ...]:
    """The outline WeasyPrint made from the page's headings, without its page references."""
    found = []
    for item in items:
        destination = item.destination
        if not isinstance(destination, pikepdf.Array) or len(destination) < 2:
            continue
        view = tuple(destination[1:])
        found.append(Bookmark(str(item.title), view, _bookmarks(item.children)))
    return tuple(found)


def _outline_items(bookmarks: tuple[Bookmark, ...], page: pikepdf.Object) -> list[pikepdf.OutlineItem]:
    items = []
    for bookmark in bookmarks:
        item = pikepdf.OutlineItem(bookmark.title, pikepdf.Array([page, *bookmark.view]))
        item.children.extend(_outline_items(bookmark.children, page))
        items.append(item)
    return items


# ---------------------------------------------------------------------------------------------
# The certificate's own layer


def own_layer_html(
    layer: SharedLayer, contents: Mapping[str, Markup], qr_image: str, *, head: str, html_class: str
) -> str:
    """The HTML of a certificate's own layer: each slot's content where its placeholder was."""
    parts = [
        f'<!DOCTYPE html>\n<html lang="zh-Hans" class="{escape(html_class)}">\n<head>\n{head}\n</head>\n<body>'
    ]
    for name, slot in layer.texts.items():
        parts.append(
            f'{slot.opening}<span {SLOT_ATTRIBUTE}="{escape(name)}">{contents[name]}</span>{slot.closing}'
        )
    qr = layer.qr
    parts.append(
        f'<img class="layer-qr" src="{escape(qr_image)}" alt="QR" style="left: {qr.x!r}px; '
        f'top: {qr.y!r}px; width: {qr.width!r}px; height: {qr.height!r}px">'
    )
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def fits(layer: SharedLayer, document: Any) -> bool:
    """Whether every slot of the laid-out own layer takes exactly its placeholder's lines."""
    page_box = _page_box(document)
    if page_box is None:
        return False
    seen = set()
    for box, _ancestors in _walk(page_box):
        element = getattr(box, "element", None)
        name = element.get(_PLACED_ATTRIBUTE) if element is not None else None
        if name is None or not isinstance(box, boxes.BlockContainerBox) or name in seen:
            continue
        seen.add(name)
        slot, lines = layer.texts.get(name), box.children
        if slot is None or len(lines) != slot.lines or not all(isinstance(c, boxes.LineBox) for c in lines):
            return False
        height = lines[-1].position_y + lines[-1].height - lines[0].position_y
        if abs(lines[0].position_y - slot.y) > _TOLERANCE or abs(height - slot.height) > _TOLERANCE:
            return False
    return seen == set(layer.texts)


def overlay(layer: SharedLayer, own_pdf: bytes) -> bytes | None:
    """``own_pdf`` (one page) with the shared page drawn under its content and the shared page's
    outline (the title's bookmark); None if qpdf fails.

    The Form XObject gets a fixed resource name (pikepdf's ``add_underlay`` picks a random one),
    so the same certificate is always the same bytes.
    """
    try:
        with pikepdf.open(io.BytesIO(own_pdf)) as pdf:
            page = pdf.pages[0]
            page.add_resource(pdf.copy_foreign(layer.form), pikepdf.Name.XObject, _FORM_NAME)
            page.contents_add(pdf.make_stream(b"q " + bytes(_FORM_NAME) + b" Do Q"), prepend=True)
            if layer.bookmarks:  # the full layout's outline: the title's bookmark
                with pdf.open_outline() as outline:
                    outline.root.extend(_outline_items(layer.bookmarks, page.obj))
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True)
            return out.getvalue()
    except pikepdf.PdfError:  # never seen; the certificate is then laid out in full
        return None
