"""The badge image of a micro-major: the picture an Open Badges 3.0 credential is baked into.

A round medallion: the university's Chinese name arched along the top of a dark band, its
English name along the bottom, and on the light disc inside "微专业证书 / Micro-major
Certificate", the micro-major's name in Chinese and English, and its code. It is deliberately not
a seal (no red ink, no star): an image anyone can copy proves nothing; the credential baked into
it is the proof (:mod:`verifier.baking`).

One layout (:func:`_layout`, measured with the real fonts) feeds two renderers: Pillow for PNG
(drawn at twice the size and scaled down, for smooth edges) and a template string for SVG (text
on circular ``textPath``s, with a font-family list so a viewer without Noto CJK still shows
Chinese). Chinese needs a CJK font: Noto Serif/Sans CJK SC from Debian's ``fonts-noto-cjk``
(SIL Open Font License), found with fontconfig's ``fc-match``.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from verifier.baking import bake_png, bake_svg

from .credential import Bilingual, Institution, MicroMajor

#: Width and height of the badge, in pixels (PNG) and user units (SVG).
SIZE = 600
_CENTRE = SIZE / 2
_NAVY = "#1d3557"
_GOLD = "#c8a24a"
_CREAM = "#fbf8ef"
_INK = "#3d4b63"

# Radii of the medallion's rings, outermost first.
_R_EDGE = 296
_R_BAND = 288
_R_BAND_INNER = 204
_R_DISC = 196
_R_DISC_LINE = 186
_R_BAND_TEXT = (_R_BAND + _R_BAND_INNER) / 2
_TOP_ARC = math.radians(140)  # most of the band the top name may take
_BOTTOM_ARC = math.radians(130)

_SERIF_BOLD = "Noto Serif CJK SC:style=Bold"
_SANS = "Noto Sans CJK SC:style=Regular"
_SANS_BOLD = "Noto Sans CJK SC:style=Bold"
#: What the SVG asks for: Noto CJK first, then the CJK fonts of Windows and macOS.
SVG_SERIF = "'Noto Serif CJK SC', 'Source Han Serif SC', 'Songti SC', SimSun, serif"
SVG_SANS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"

TITLE_ZH = "微专业证书"
TITLE_EN = "MICRO-MAJOR CERTIFICATE"
#: Along the bottom when the university has no English name: "verifiable digital certificate".
BOTTOM_ZH = "可验证数字证书"


class BadgeImageError(RuntimeError):
    """The badge cannot be drawn on this machine (a CJK font is missing)."""


@dataclass(frozen=True, slots=True)
class BadgeFace:
    """What a badge shows: the university, the micro-major and its code."""

    institution: Bilingual
    micro_major: Bilingual
    code: str | None = None

    @classmethod
    def of(cls, institution: Institution, micro_major: MicroMajor) -> BadgeFace:
        return cls(institution.name, micro_major.name, micro_major.code)


# --- fonts ------------------------------------------------------------------------------------


@cache
def _font_file(pattern: str) -> tuple[str, int]:
    """The file and face index fontconfig picks for ``pattern``, which must be a CJK font."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise BadgeImageError("fontconfig (fc-match) is not installed; it finds the CJK font for badges")
    found = subprocess.run(  # noqa: S603 - a fixed program and pattern, no shell
        [fc_match, "-f", "%{file}|%{index}|%{family}", pattern],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    ).stdout
    path, _, rest = found.partition("|")
    index, _, family = rest.partition("|")
    if "CJK" not in family or not path:
        raise BadgeImageError(
            f"no CJK font for {pattern!r} (fontconfig offers {family or 'nothing'}); "
            "install Debian's fonts-noto-cjk (scripts/setup-system does)"
        )
    return path, int(index or 0)


@cache
def _font(pattern: str, size: int) -> ImageFont.FreeTypeFont:
    path, index = _font_file(pattern)
    return ImageFont.truetype(path, size, index=index)


# --- layout -----------------------------------------------------------------------------------

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+\s*|\s+")
# Chinese punctuation that must not begin a line (kinsoku).
_NO_LINE_START = set("，。、；：！？）》」』”’・")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy line breaking: Chinese between any two characters, other text between words."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text.strip()):
        candidate = line + token
        if line and font.getlength(candidate.rstrip()) > width and token[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines


@dataclass(frozen=True, slots=True)
class _Block:
    """Lines of one text, the font pattern and size that fit them, and their line height."""

    lines: tuple[str, ...]
    pattern: str
    size: int

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        return _font(self.pattern, self.size)

    @property
    def line_height(self) -> float:
        return self.size * 1.25


def _balanced(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Wrapped into as few lines as at ``width``, but as even as possible (粉体材料 / 智能制造)."""
    lines = _wrap(text, font, width)
    best, narrower = lines, width
    while len(lines) > 1 and narrower > font.size:
        narrower -= font.size / 2
        lines = _wrap(text, font, narrower)
        if len(lines) > len(best):
            break
        best = lines
    return best


def _fit(text: str, pattern: str, sizes: range, width: float, max_lines: int) -> _Block:
    """The largest size in ``sizes`` at which ``text`` wraps into ``max_lines`` lines of ``width``."""
    for size in sizes:
        lines = _balanced(text, _font(pattern, size), width)
        if len(lines) <= max_lines:
            return _Block(tuple(lines), pattern, size)
    size = sizes[-1]
    font = _font(pattern, size)
    lines = _wrap(text, font, width)[:max_lines]
    last = lines[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1]
    return _Block((*lines[:-1], last.rstrip() + "…"), pattern, size)


@dataclass(frozen=True, slots=True)
class _Arc:
    """A text set along a circle of the band: its font, letter spacing and arc length."""

    text: str
    pattern: str
    size: int
    spacing: float

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        return _font(self.pattern, self.size)

    def advances(self) -> list[float]:
        return [self.font.getlength(character) for character in self.text]

    @property
    def length(self) -> float:
        return sum(self.advances()) + self.spacing * (len(self.text) - 1)


def _fit_arc(text: str, pattern: str, sizes: range, spacing: float, max_angle: float) -> _Arc:
    limit = _R_BAND_TEXT * max_angle
    arc = _Arc(text, pattern, sizes[0], spacing)
    for size in sizes:
        arc = _Arc(text, pattern, size, spacing * size / sizes[0])
        if arc.length <= limit:
            return arc
    return arc


@dataclass(frozen=True, slots=True)
class _Layout:
    top: _Arc
    bottom: _Arc
    title_zh: _Block
    title_en: _Block
    name_zh: _Block
    name_en: _Block | None
    code: _Block | None
    # Vertical positions (baselines of the first line) on the 600-unit square.
    y_title_zh: float
    y_title_en: float
    y_rule: float
    y_name_zh: float
    y_name_en: float
    y_code: float


def _layout(face: BadgeFace) -> _Layout:
    top = _fit_arc(face.institution.zh, _SERIF_BOLD, range(40, 17, -2), 12, _TOP_ARC)
    bottom_text = face.institution.en.upper() if face.institution.en else BOTTOM_ZH
    bottom = _fit_arc(bottom_text, _SANS_BOLD, range(18, 9, -1), 2.5, _BOTTOM_ARC)
    title_zh = _Block((TITLE_ZH,), _SERIF_BOLD, 26)
    title_en = _Block((TITLE_EN,), _SANS_BOLD, 12)
    name_zh = _fit(face.micro_major.zh, _SERIF_BOLD, range(46, 29, -2), 300, 2)
    if name_zh.lines[-1].endswith("…"):  # a very long name: three smaller lines
        name_zh = _fit(face.micro_major.zh, _SERIF_BOLD, range(30, 19, -2), 300, 3)
    name_en = _fit(face.micro_major.en, _SANS, range(17, 11, -1), 290, 3) if face.micro_major.en else None
    code = _Block((face.code,), _SANS, 14) if face.code else None

    y_title_zh = 168.0
    y_title_en = y_title_zh + 24
    y_rule = y_title_en + 18
    # The names sit in the middle of what is left between the rule and the code.
    y_code = 452.0
    heights = name_zh.line_height * len(name_zh.lines)
    if name_en is not None:
        heights += 10 + name_en.line_height * len(name_en.lines)
    y_block = (y_rule + y_code - 24) / 2 - heights / 2
    y_name_zh = y_block + name_zh.size
    y_name_en = y_block + name_zh.line_height * len(name_zh.lines) + 10 + (name_en.size if name_en else 0)
    return _Layout(
        top, bottom, title_zh, title_en, name_zh, name_en, code,
        y_title_zh, y_title_en, y_rule, y_name_zh, y_name_en, y_code,
    )  # fmt: skip


def _arc_angles(arc: _Arc, *, top: bool) -> list[float]:
    """The angle (radians, screen coordinates) of the centre of each character of ``arc``."""
    span = arc.length / _R_BAND_TEXT
    angles = []
    offset = 0.0
    for advance in arc.advances():
        middle = (offset + advance / 2) / _R_BAND_TEXT
        angles.append(-math.pi / 2 - span / 2 + middle if top else math.pi / 2 + span / 2 - middle)
        offset += advance + arc.spacing
    return angles


# --- PNG --------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def render_badge_png(face: BadgeFace, *, size: int = SIZE) -> bytes:
    """The badge as a PNG of ``size`` × ``size`` pixels (transparent outside the medallion).

    Every learner of a micro-major gets the same picture (only the baked credential differs),
    so recent renders are kept: drawing one takes about a third of a second, baking a millisecond.
    """
    scale = 2 * size / SIZE  # drawn at twice the size, then scaled down for smooth edges
    layout = _layout(face)
    canvas = Image.new("RGBA", (round(SIZE * scale), round(SIZE * scale)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)

    def circle(radius: float, fill: str | None = None, outline: str | None = None, width: float = 0) -> None:
        c, r = _CENTRE * scale, radius * scale
        draw.ellipse((c - r, c - r, c + r, c + r), fill=fill, outline=outline, width=round(width * scale))

    circle(_R_EDGE, fill=_GOLD)
    circle(_R_BAND, fill=_NAVY)
    circle(_R_BAND - 7, outline=_GOLD, width=1.5)
    circle(_R_BAND_INNER, fill=_GOLD)
    circle(_R_DISC, fill=_CREAM)
    circle(_R_DISC_LINE, outline=_GOLD, width=1.2)
    for angle in (0.0, math.pi):
        _diamond(draw, angle, scale)
    _draw_arc(canvas, layout.top, top=True, scale=scale, colour=_CREAM)
    _draw_arc(canvas, layout.bottom, top=False, scale=scale, colour=_GOLD)

    def lines(block: _Block, y: float, colour: str) -> None:
        font = _font(block.pattern, round(block.size * scale))
        for number, line in enumerate(block.lines):
            baseline = (y + number * block.line_height) * scale
            draw.text((_CENTRE * scale, baseline), line, font=font, fill=colour, anchor="ms")

    lines(layout.title_zh, layout.y_title_zh, _NAVY)
    _spaced(draw, layout.title_en, layout.y_title_en, scale, _GOLD, spacing=2.2)
    rule = 64 * scale
    draw.line(
        (_CENTRE * scale - rule, layout.y_rule * scale, _CENTRE * scale + rule, layout.y_rule * scale),
        fill=_GOLD,
        width=round(1.5 * scale),
    )
    lines(layout.name_zh, layout.y_name_zh, _NAVY)
    if layout.name_en is not None:
        lines(layout.name_en, layout.y_name_en, _INK)
    if layout.code is not None:
        lines(layout.code, layout.y_code, _GOLD)

    image = canvas.resize((size, size), Image.Resampling.LANCZOS)
    # A 256-colour palette (with alpha) looks the same and is about a sixth of the size.
    palette = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True)
    return out.getvalue()


def _diamond(draw: ImageDraw.ImageDraw, angle: float, scale: float) -> None:
    x = (_CENTRE + _R_BAND_TEXT * math.cos(angle)) * scale
    y = (_CENTRE + _R_BAND_TEXT * math.sin(angle)) * scale
    r = 7 * scale
    draw.polygon(((x, y - r), (x + r * 0.7, y), (x, y + r), (x - r * 0.7, y)), fill=_GOLD)


def _spaced(
    draw: ImageDraw.ImageDraw, block: _Block, y: float, scale: float, colour: str, *, spacing: float
) -> None:
    """One line with letter spacing (Pillow has none), centred."""
    font = _font(block.pattern, round(block.size * scale))
    text = block.lines[0]
    widths = [font.getlength(character) for character in text]
    x = _CENTRE * scale - (sum(widths) + spacing * scale * (len(text) - 1)) / 2
    for character, width in zip(text, widths, strict=True):
        draw.text((x, y * scale), character, font=font, fill=colour, anchor="ls")
        x += width + spacing * scale


def _draw_arc(canvas: Image.Image, arc: _Arc, *, top: bool, scale: float, colour: str) -> None:
    """Each character upright along the band: outward at the top, inward at the bottom."""
    font = _font(arc.pattern, round(arc.size * scale))
    ascent, descent = font.getmetrics()
    radius = _R_BAND_TEXT * scale
    for character, angle in zip(arc.text, _arc_angles(arc, top=top), strict=True):
        if character.isspace():
            continue
        advance = font.getlength(character)
        pad = 4 * scale
        glyph = Image.new("RGBA", (round(advance + 2 * pad), round(ascent + descent + 2 * pad)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, pad + (ascent + descent) / 2), character, font=font, fill=colour, anchor="mm"
        )
        rotation = -(math.degrees(angle) + 90) if top else 90 - math.degrees(angle)
        glyph = glyph.rotate(rotation, resample=Image.Resampling.BICUBIC, expand=True)
        x = _CENTRE * scale + radius * math.cos(angle) - glyph.width / 2
        y = _CENTRE * scale + radius * math.sin(angle) - glyph.height / 2
        canvas.alpha_composite(glyph, (round(x), round(y)))


# --- SVG --------------------------------------------------------------------------------------

_SVG_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" aria-label="{label}">
  <title>{label}</title>
  <defs>
    <path id="top-arc" d="{top_path}"/>
    <path id="bottom-arc" d="{bottom_path}"/>
  </defs>
  <circle cx="{c}" cy="{c}" r="{r_edge}" fill="{gold}"/>
  <circle cx="{c}" cy="{c}" r="{r_band}" fill="{navy}"/>
  <circle cx="{c}" cy="{c}" r="{r_band_line}" fill="none" stroke="{gold}" stroke-width="1.5"/>
  <circle cx="{c}" cy="{c}" r="{r_band_inner}" fill="{gold}"/>
  <circle cx="{c}" cy="{c}" r="{r_disc}" fill="{cream}"/>
  <circle cx="{c}" cy="{c}" r="{r_disc_line}" fill="none" stroke="{gold}" stroke-width="1.2"/>
  {diamonds}
  <text font-family="{serif}" font-weight="700" font-size="{top_size}" letter-spacing="{top_spacing}" fill="{cream}"><textPath href="#top-arc" xlink:href="#top-arc" startOffset="50%" text-anchor="middle">{top_text}</textPath></text>
  <text font-family="{sans}" font-weight="700" font-size="{bottom_size}" letter-spacing="{bottom_spacing}" fill="{gold}"><textPath href="#bottom-arc" xlink:href="#bottom-arc" startOffset="50%" text-anchor="middle">{bottom_text}</textPath></text>
  <g text-anchor="middle">
    <text x="{c}" y="{y_title_zh}" font-family="{serif}" font-weight="700" font-size="{title_zh_size}" fill="{navy}">{title_zh}</text>
    <text x="{c}" y="{y_title_en}" font-family="{sans}" font-weight="700" font-size="{title_en_size}" letter-spacing="2.2" fill="{gold}">{title_en}</text>
    <line x1="{rule_x1}" y1="{y_rule}" x2="{rule_x2}" y2="{y_rule}" stroke="{gold}" stroke-width="1.5"/>
{names}
  </g>
</svg>
"""


def _svg_lines(block: _Block, y: float, family: str, weight: int, colour: str) -> str:
    return "\n".join(
        f'    <text x="{_CENTRE:g}" y="{y + number * block.line_height:.1f}" font-family="{family}" '
        f'font-weight="{weight}" font-size="{block.size}" fill="{colour}">{escape(line)}</text>'
        for number, line in enumerate(block.lines)
    )


def _circle_path(radius: float, *, top: bool) -> str:
    """A half circle from left to right, over the top (clockwise) or under the bottom."""
    left, right = _CENTRE - radius, _CENTRE + radius
    return (
        f"M {left:.1f},{_CENTRE:g} A {radius:.1f},{radius:.1f} 0 0 {1 if top else 0} {right:.1f},{_CENTRE:g}"
    )


@lru_cache(maxsize=32)
def render_badge_svg(face: BadgeFace) -> bytes:
    """The badge as a UTF-8 SVG document (same layout as the PNG)."""
    layout = _layout(face)
    # Glyphs stand on the path: put it so that their middle runs along the band's centre line.
    top_path = _circle_path(_R_BAND_TEXT - layout.top.size * 0.36, top=True)
    bottom_path = _circle_path(_R_BAND_TEXT + layout.bottom.size * 0.36, top=False)
    diamonds = "\n  ".join(
        f'<path d="M {x:.1f},{_CENTRE - 7:g} L {x + 4.9:.1f},{_CENTRE:g} L {x:.1f},{_CENTRE + 7:g} '
        f'L {x - 4.9:.1f},{_CENTRE:g} Z" fill="{_GOLD}"/>'
        for x in (_CENTRE - _R_BAND_TEXT, _CENTRE + _R_BAND_TEXT)
    )
    names = [_svg_lines(layout.name_zh, layout.y_name_zh, SVG_SERIF, 700, _NAVY)]
    if layout.name_en is not None:
        names.append(_svg_lines(layout.name_en, layout.y_name_en, SVG_SANS, 400, _INK))
    if layout.code is not None:
        names.append(_svg_lines(layout.code, layout.y_code, SVG_SANS, 400, _GOLD))
    label = f"{face.institution.zh} {TITLE_ZH}：{face.micro_major.zh}"
    values: Mapping[str, Any] = {
        "size": SIZE,
        "c": f"{_CENTRE:g}",
        "label": escape(label, {'"': "&quot;"}),
        "top_path": top_path,
        "bottom_path": bottom_path,
        "gold": _GOLD,
        "navy": _NAVY,
        "cream": _CREAM,
        "r_edge": _R_EDGE,
        "r_band": _R_BAND,
        "r_band_line": _R_BAND - 7,
        "r_band_inner": _R_BAND_INNER,
        "r_disc": _R_DISC,
        "r_disc_line": _R_DISC_LINE,
        "diamonds": diamonds,
        "serif": SVG_SERIF,
        "sans": SVG_SANS,
        "top_size": layout.top.size,
        "top_spacing": f"{layout.top.spacing:.1f}",
        "top_text": escape(layout.top.text),
        "bottom_size": layout.bottom.size,
        "bottom_spacing": f"{layout.bottom.spacing:.1f}",
        "bottom_text": escape(layout.bottom.text),
        "y_title_zh": f"{layout.y_title_zh:.1f}",
        "title_zh_size": layout.title_zh.size,
        "title_zh": TITLE_ZH,
        "y_title_en": f"{layout.y_title_en:.1f}",
        "title_en_size": layout.title_en.size,
        "title_en": TITLE_EN,
        "rule_x1": f"{_CENTRE - 64:g}",
        "rule_x2": f"{_CENTRE + 64:g}",
        "y_rule": f"{layout.y_rule:.1f}",
        "names": "\n".join(names),
    }
    return _SVG_TEMPLATE.format(**values).encode("utf-8")


# --- baked ------------------------------------------------------------------------------------


def baked_badge_png(face: BadgeFace, credential: Mapping[str, Any] | str) -> bytes:
    """The PNG badge with the signed ``credential`` baked in (Open Badges 3.0 §5.3.1)."""
    return bake_png(render_badge_png(face), credential)


def baked_badge_svg(face: BadgeFace, credential: Mapping[str, Any] | str) -> bytes:
    """The SVG badge with the signed ``credential`` baked in (Open Badges 3.0 §5.3.2)."""
    return bake_svg(render_badge_svg(face), credential)
