"""Vector ornaments of the printed certificate: the page frame with its 回纹 (fret) band.

A Chinese certificate is framed: an outer rule, a band of 回纹 (the squared spiral of
ceremonial bronzes and diplomas) and a thin inner rule. It is drawn here as one SVG the size of
the page, in the institution's accent colour, so the PDF carries it as vectors (sharp at any
print resolution, a few kilobytes). The drawing depends only on the colour and the page size,
so it is built once per colour and reused.
"""

from __future__ import annotations

import re
from base64 import b64encode
from functools import lru_cache

#: A4 portrait, in millimetres.
A4 = (210.0, 297.0)
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

# Where the frame sits, in millimetres from the paper's edge.
_OUTER = 7.0
_BAND_OUTER = 8.6
_BAND_INNER = 13.0
_INNER = 13.8


def _spiral(x: float, y: float, size: float) -> str:
    """One 回 cell: a squared spiral drawn inward from its lower-left corner."""
    unit = size / 10

    def point(u: float, v: float) -> str:
        return f"{x + u * unit:.2f} {y + v * unit:.2f}"

    return (
        f"M{point(1.5, 8.5)}L{point(1.5, 1.5)}L{point(8.5, 1.5)}L{point(8.5, 8.5)}"
        f"L{point(3.8, 8.5)}L{point(3.8, 3.8)}L{point(6.2, 3.8)}L{point(6.2, 6.2)}"
    )


def _band(width: float, height: float, accent: str) -> str:
    """The 回纹 band: a cell at each corner, and each side filled evenly by a tiling pattern.

    The sides are pattern fills (one PDF tiling pattern per direction, drawn once), not
    hundreds of paths: drawing the page stays fast.
    """
    size = _BAND_INNER - _BAND_OUTER
    stroke = f'fill="none" stroke="{accent}" stroke-width="0.42" stroke-linecap="square"'
    across = width - 2 * _BAND_INNER
    down = height - 2 * _BAND_INNER
    columns = max(1, int(across // size))
    rows = max(1, int(down // size))
    step_x, step_y = across / columns, down / rows
    corners = "".join(
        _spiral(x, y, size)
        for x, y in (
            (_BAND_OUTER, _BAND_OUTER),
            (width - _BAND_INNER, _BAND_OUTER),
            (_BAND_OUTER, height - _BAND_INNER),
            (width - _BAND_INNER, height - _BAND_INNER),
        )
    )
    horizontal = f'<path d="{_spiral((step_x - size) / 2, 0, size)}" {stroke}/>'
    vertical = f'<path d="{_spiral(0, (step_y - size) / 2, size)}" {stroke}/>'
    sides = (
        # (id, x, y, width, height, tile width, tile height, tile content)
        ("top", _BAND_INNER, _BAND_OUTER, across, size, 1 / columns, 1, horizontal),
        ("bottom", _BAND_INNER, height - _BAND_INNER, across, size, 1 / columns, 1, horizontal),
        ("left", _BAND_OUTER, _BAND_INNER, size, down, 1, 1 / rows, vertical),
        ("right", width - _BAND_INNER, _BAND_INNER, size, down, 1, 1 / rows, vertical),
    )
    # One pattern per side, sized in user space. WeasyPrint starts a pattern's tiling at the
    # corner of the shape it fills (and consumes the size of an objectBoundingBox pattern on
    # first use, which would break the frame on a second page), so user-space tiles line up.
    patterns = "".join(
        f'<pattern id="fret-{name}" patternUnits="userSpaceOnUse" '
        f'width="{w * tile_w:.4f}" height="{h * tile_h:.4f}">{content}</pattern>'
        for name, _x, _y, w, h, tile_w, tile_h, content in sides
    )
    rects = "".join(
        f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" fill="url(#fret-{name})"/>'
        for name, x, y, w, h, _tw, _th, _content in sides
    )
    return f'<defs>{patterns}</defs>{rects}<path d="{corners}" {stroke}/>'


def _rect(inset: float, width: float, height: float) -> str:
    return f'x="{inset}" y="{inset}" width="{width - 2 * inset:.2f}" height="{height - 2 * inset:.2f}"'


@lru_cache(maxsize=16)
def frame_svg(accent: str, page: tuple[float, float] = A4) -> str:
    """The page frame as an SVG document (millimetre user units), in ``accent`` (#rrggbb)."""
    if not _COLOUR.fullmatch(accent):
        raise ValueError(f"accent must be a #rrggbb colour, not {accent!r}")
    width, height = page
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}">'
        f'<rect {_rect(_OUTER, width, height)} fill="none" stroke="{accent}" stroke-width="0.9"/>'
        f'<rect {_rect(_BAND_OUTER - 0.35, width, height)} fill="none" stroke="{accent}" stroke-width="0.2"/>'
        f"{_band(width, height, accent)}"
        f'<rect {_rect(_INNER, width, height)} fill="none" stroke="{accent}" stroke-width="0.3"/>'
        "</svg>"
    )


@lru_cache(maxsize=16)
def frame_data_uri(accent: str, page: tuple[float, float] = A4) -> str:
    """:func:`frame_svg` as a ``data:`` URI for a CSS background."""
    return "data:image/svg+xml;base64," + b64encode(frame_svg(accent, page).encode()).decode("ascii")
