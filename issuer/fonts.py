"""The Chinese fonts printed certificates use: the system Noto CJK faces, pre-cut for speed.

Certificates are set in Noto Serif CJK SC (SIL Open Font License 1.1), which Debian ships as
``fonts-noto-cjk``. Every face holds about 65,000 glyphs; WeasyPrint copies and subsets the
whole face for every PDF, keeping glyph ids, so an embedded subset still has an entry in its
tables for every glyph up to the last one the page uses. A face cut to the 8,815 glyphs a
certificate usually needs makes each certificate about 1.4 times faster and its PDF half the
size (``bench/render_pdf.py``). ``python -m issuer.fonts`` cuts each face to
:func:`cut_codepoints` (GB 2312, Latin with pinyin, punctuation) into a git-ignored folder
(``var/fonts/`` by default). The cut is only a fast path: the renderer lists the full system
face right after it, so a character outside the cut (a rare character in a name, such as 䶮 or
𠮷) still prints, from the full face.

The cut also orders its glyphs for that subsetting (:func:`glyph_rank`): first what nearly every
certificate prints (:data:`CERTIFICATE_WORDING`, Latin, digits and punctuation), then the 3,755
hanzi in everyday use (GB 2312 level 1), then the rest. In Noto's own order (by code point) 院
and 验, on every certificate, are among the last glyphs, so every subset spanned the whole cut;
now a certificate whose names and courses use everyday hanzi embeds subsets half as long, and
each PDF is written about 10 ms faster. Vertical metrics (``vhea``, ``vmtx``, ``VORG``) are left
out: certificates are set horizontally.

The cut files are renamed (family ``Microcred Serif SC``), as the OFL asks of modified
versions, and keep the original copyright and licence records. They are never committed or
distributed; they are rebuilt on each machine from the system font.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]
from fontTools.ttLib.reorderGlyphs import reorderGlyphs  # type: ignore[import-untyped]

from verifier.i18n import Text

from .atomic_files import write_atomically
from .i18n import t

#: Where ``python -m issuer.fonts`` writes the cut faces unless told otherwise (git-ignored).
DEFAULT_FONT_DIR = Path(__file__).resolve().parent.parent / "var" / "fonts"
#: Folders searched for the system faces (fontconfig's usual places on Debian and others).
SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local" / "share" / "fonts",
    Path.home() / ".fonts",
)
#: Bump when the way faces are cut changes in a way :func:`cut_recipe` does not see.
CUT_VERSION = 2
MANIFEST = "manifest.json"
#: OpenType features kept in the cut: what horizontal Chinese and Latin text shaping uses.
#: Vertical forms and the Japanese, Korean and traditional variants (`locl`) are dropped.
_LAYOUT_FEATURES = ["ccmp", "kern", "liga", "calt", "mark", "mkmk"]
#: Tables left out of the cut: vertical metrics and origins (certificates are set horizontally).
_DROPPED_TABLES = ["vhea", "vmtx", "VORG"]
#: name-table records that carry the family name (replaced in the cut, as the OFL asks).
_FAMILY_NAME_IDS = (1, 3, 4, 6, 16, 17, 18, 21, 22)
#: The hanzi and full-width signs of the certificate's own wording (``templates/certificate.html.j2``,
#: the dates in Chinese numerals, and the grade and learning-mode words of
#: :mod:`issuer.certificate`): printed on nearly every certificate, so first in the cut.
CERTIFICATE_WORDING = (
    "微专业证书兹证明于至修读开设的考核合格完全共获得学分时特发此序号课程名称成绩计方式院期间"
    "产领域学习制每备案编码代扫描验日本为可电子凭签已嵌入亦维真伪与状态校标识部门页第"
    "〇一二三四五六七八九十年月优秀良好中等及过通线上下混"
    "，。、：；（）“”‘’《》【】—…·"
)


class FontSetupError(RuntimeError):
    """The Chinese fonts are missing; :attr:`message` says which package provides them."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True, slots=True)
class Face:
    """One system face the certificate uses, and the name of its cut."""

    key: str
    system_family: str
    weight: int
    files: tuple[str, ...]
    cut_family: str

    @property
    def cut_filename(self) -> str:
        return f"{self.key}.otf"


#: The faces a certificate uses: serif (宋体 style, as Chinese certificates are set) in two weights.
FACES: tuple[Face, ...] = (
    Face(
        "serif-sc-regular",
        "Noto Serif CJK SC",
        400,
        ("NotoSerifCJK-Regular.ttc", "NotoSerifCJKsc-Regular.otf", "NotoSerifSC-Regular.otf"),
        "Microcred Serif SC",
    ),
    Face(
        "serif-sc-bold",
        "Noto Serif CJK SC",
        700,
        ("NotoSerifCJK-Bold.ttc", "NotoSerifCJKsc-Bold.otf", "NotoSerifSC-Bold.otf"),
        "Microcred Serif SC",
    ),
)
#: The Debian package that provides :data:`FACES`.
SYSTEM_PACKAGE = "fonts-noto-cjk"


@dataclass(frozen=True, slots=True)
class SystemFace:
    """Where a system face is: its file and, for a collection (``.ttc``), the face's index."""

    path: Path
    index: int


def _gb2312() -> set[int]:
    """Every character of GB 2312 (6,763 hanzi and 682 symbols), by decoding each code."""
    found: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.update(map(ord, bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


_RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1, Latin Extended-A and -B (pinyin tone marks: ā ǎ ü ǘ ...)
    (0x02B0, 0x02FF),  # spacing modifier letters (ˇ ˉ ˊ ˋ)
    (0x0370, 0x03FF),  # Greek (for course names such as "α-Fe")
    (0x0400, 0x045F),  # Cyrillic
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese names)
    (0x2000, 0x206F),  # general punctuation (— ‘ ’ “ ” … ·)
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x20A0, 0x20CF),  # currency
    (0x2100, 0x218F),  # letterlike symbols and number forms (№ ℃ Ⅰ Ⅱ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (± × ÷ ≤)
    (0x2460, 0x24FF),  # enclosed alphanumerics (① ②)
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes (○ ● □ ■ △)
    (0x2600, 0x26FF),  # miscellaneous symbols (☆ ★)
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。《》【】〇)
    (0x3200, 0x32FF),  # enclosed CJK letters (㈠)
    (0x3300, 0x33FF),  # CJK compatibility (㎡ ㎏)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms (，：（）１Ａ)
)


@cache
def cut_codepoints() -> frozenset[int]:
    """What the cut keeps: GB 2312 (all hanzi in everyday use, 6,763) plus the Latin,
    pinyin, Greek, punctuation, full-width and symbol blocks a name, a course title or a
    grade can contain. Anything else falls back to the full system face."""
    points = _gb2312()
    for first, last in _RANGES:
        points.update(range(first, last + 1))
    return frozenset(points)


@cache
def cut_recipe() -> str:
    """A fingerprint of how faces are cut (characters, features, version): a change re-cuts."""
    recipe = {
        "version": CUT_VERSION,
        "features": _LAYOUT_FEATURES,
        "dropped": _DROPPED_TABLES,
        "first": CERTIFICATE_WORDING,
        "codepoints": hashlib.sha256(",".join(map(str, sorted(cut_codepoints()))).encode()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _gb2312_level_1() -> frozenset[int]:
    """The 3,755 hanzi of GB 2312 level 1 (rows 16 to 55): the characters in everyday use."""
    found: set[int] = set()
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                found.update(map(ord, bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(found)


_FIRST_RANGES = (
    (0x0020, 0x00FF),  # Basic Latin and Latin-1: English, digits, × · é
    (0x2010, 0x2027),  # dashes, quotes, bullets and ellipsis
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF01, 0xFF5E),  # full-width ASCII
)


def glyph_rank(codepoint: int | None) -> int:
    """Where a glyph goes in the cut: 0 first (what nearly every certificate prints: the
    certificate's wording, Latin, punctuation, and glyphs no character maps to, which layout
    features such as ligatures reach), 1 everyday hanzi (GB 2312 level 1), 2 the rest."""
    if (
        codepoint is None
        or chr(codepoint) in CERTIFICATE_WORDING
        or any(first <= codepoint <= last for first, last in _FIRST_RANGES)
    ):
        return 0
    return 1 if codepoint in _level_1() else 2


@cache
def _level_1() -> frozenset[int]:
    return _gb2312_level_1()


def _reorder_glyphs(font: TTFont) -> None:
    """Order the glyphs of a cut CFF face by :func:`glyph_rank` (otherwise keeping Noto's order).

    fontTools reorders the glyphs and the OpenType layout tables
    (:func:`fontTools.ttLib.reorderGlyphs.reorderGlyphs`); a CID-keyed CFF font also keeps, by
    glyph index, its charstrings and the font dictionary each glyph uses (``FDSelect``, which
    picks the glyph's local subroutines), and those follow the new order here.
    """
    old_order = font.getGlyphOrder()
    first_codepoint: dict[str, int] = {}
    for codepoint, name in sorted(font.getBestCmap().items()):
        first_codepoint.setdefault(name, codepoint)
    new_order = sorted(
        old_order,
        key=lambda name: (name != old_order[0], glyph_rank(first_codepoint.get(name))),
    )
    old_index = {name: index for index, name in enumerate(old_order)}
    top = font["CFF "].cff.topDictIndex[0]
    charstrings = top.CharStrings
    index = charstrings.charStringsIndex
    items = [index[i] for i in range(len(index))]  # read every charstring in the old order
    fd_select = list(top.FDSelect.gidArray) if hasattr(top, "FDSelect") else None
    reorderGlyphs(font, new_order)
    index.items = [items[old_index[name]] for name in new_order]
    for attribute in ("file", "offsets"):  # read from the new items, not the old file
        if hasattr(index, attribute):
            delattr(index, attribute)
    charstrings.charStrings = {name: position for position, name in enumerate(new_order)}
    if fd_select is not None:
        top.FDSelect.format = None
        top.FDSelect.gidArray = [fd_select[old_index[name]] for name in new_order]


def _font_files(directories: Iterable[Path]) -> Iterator[Path]:
    for directory in directories:
        if directory.is_dir():
            yield from (
                path for path in sorted(directory.rglob("*")) if path.suffix.lower() in (".ttc", ".otf")
            )


def find_system_face(face: Face, directories: Sequence[Path] = SYSTEM_FONT_DIRS) -> SystemFace:
    """Find ``face`` among the installed fonts, or raise :class:`FontSetupError`."""
    wanted = set(face.files)
    for path in _font_files(directories):
        if path.name not in wanted:
            continue
        if path.suffix.lower() != ".ttc":
            return SystemFace(path, 0)
        collection = TTCollection(str(path), lazy=True)
        try:
            for index, font in enumerate(collection.fonts):
                if font["name"].getDebugName(1) == face.system_family:
                    return SystemFace(path, index)
        finally:
            collection.close()
    raise FontSetupError(
        t(
            "The font {family} (weight {weight}) is not installed, so Chinese cannot be printed. "
            "Install the {package} package (apt-get install {package}) or run scripts/setup.",
            family=face.system_family,
            weight=face.weight,
            package=SYSTEM_PACKAGE,
        )
    )


def _rename(font: TTFont, face: Face) -> None:
    """Give the cut its own family name, keeping copyright (0) and licence (13, 14) records."""
    postscript = face.cut_family.replace(" ", "") + ("-Bold" if face.weight >= 600 else "-Regular")
    table = font["name"]
    for record in list(table.names):
        if record.nameID in _FAMILY_NAME_IDS:
            table.removeNames(nameID=record.nameID)
    style = "Bold" if face.weight >= 600 else "Regular"
    table.setName(face.cut_family, 1, 3, 1, 0x409)
    table.setName(style, 2, 3, 1, 0x409)
    table.setName(f"{postscript};microcred-cut-{CUT_VERSION}", 3, 3, 1, 0x409)
    table.setName(f"{face.cut_family} {style}".replace(" Regular", ""), 4, 3, 1, 0x409)
    table.setName(postscript, 6, 3, 1, 0x409)
    version = table.getDebugName(5) or ""
    table.setName(
        f"{version}; subset of {face.system_family} cut by microcred (SIL Open Font License 1.1)",
        5,
        3,
        1,
        0x409,
    )
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        for attribute in ("FullName", "FamilyName"):
            if hasattr(top, attribute):
                setattr(top, attribute, face.cut_family)


def cut_face(source: SystemFace, face: Face, target: Path, codepoints: Iterable[int]) -> int:
    """Write the cut of ``source`` keeping ``codepoints``; return the number of glyphs kept."""
    font = TTFont(str(source.path), fontNumber=source.index, lazy=False)
    try:
        options = subset.Options()
        options.layout_features = list(_LAYOUT_FEATURES)
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.glyph_names = False
        options.hinting = True
        options.desubroutinize = False
        options.drop_tables += _DROPPED_TABLES
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(codepoints))
        subsetter.subset(font)
        if "CFF " in font:
            _reorder_glyphs(font)
        _rename(font, face)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write next to the target and rename, so a reader never sees half a font.
        write_atomically(target, font.save, mode=0o644)
        return len(font.getGlyphOrder())
    finally:
        font.close()


def _source_stamp(source: SystemFace) -> dict[str, object]:
    stat = source.path.stat()
    return {
        "path": str(source.path),
        "index": source.index,
        "size": stat.st_size,
        "mtime": int(stat.st_mtime),
    }


def _read_manifest(font_dir: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((font_dir / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cut_fonts(
    font_dir: Path = DEFAULT_FONT_DIR,
    *,
    force: bool = False,
    faces: Sequence[Face] = FACES,
    report: bool = False,
) -> list[Path]:
    """Cut every face in ``faces`` into ``font_dir``; a cut that is up to date is kept.

    Idempotent: a face is cut again only when its source font changed, the cut is missing,
    :func:`cut_recipe` changed, or ``force``. Raises :class:`FontSetupError` when a system
    face is not installed.
    """
    manifest = _read_manifest(font_dir)
    written: list[Path] = []
    for face in faces:
        source = find_system_face(face)
        target = font_dir / face.cut_filename
        stamp = {**_source_stamp(source), "recipe": cut_recipe()}
        entry = manifest.get(face.key, {})
        if not force and target.is_file() and {k: entry.get(k) for k in stamp} == stamp:
            if report:
                print(f"{target}: up to date", file=sys.stderr)
            written.append(target)
            continue
        glyphs = cut_face(source, face, target, cut_codepoints())
        manifest[face.key] = {**stamp, "glyphs": glyphs, "bytes": target.stat().st_size}
        if report:
            print(
                f"{target}: {glyphs} glyphs, {target.stat().st_size / 1e6:.1f} MB (from {source.path.name})",
                file=sys.stderr,
            )
        written.append(target)
    font_dir.mkdir(parents=True, exist_ok=True)
    (font_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
    return written


def cut_faces_present(font_dir: Path, faces: Sequence[Face] = FACES) -> tuple[Face, ...]:
    """The faces whose cut exists in ``font_dir`` and is current (the renderer's fast path)."""
    manifest = _read_manifest(font_dir)
    return tuple(
        face
        for face in faces
        if (font_dir / face.cut_filename).is_file()
        and manifest.get(face.key, {}).get("recipe") == cut_recipe()
    )


def font_codepoints(path: Path, index: int = 0) -> frozenset[int]:
    """The characters the font at ``path`` (face ``index`` of a collection) has glyphs for."""
    return _codepoints_of(path.resolve(), index)


@cache
def _codepoints_of(path: Path, index: int) -> frozenset[int]:
    if path.suffix.lower() == ".ttc":
        collection = TTCollection(str(path), lazy=True)
        try:
            return frozenset(collection.fonts[index].getBestCmap())
        finally:
            collection.close()
    font = TTFont(str(path), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def printable_codepoints(faces: Sequence[Face] = FACES) -> frozenset[int]:
    """Every character the system faces can print (read once per process, about 0.3 s)."""
    points: set[int] = set()
    for face in faces:
        source = find_system_face(face)
        points |= _codepoints_of(source.path, source.index)
    return frozenset(points)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m issuer.fonts [--out DIR] [--force]``: cut the certificate fonts."""
    parser = argparse.ArgumentParser(
        prog="python -m issuer.fonts",
        description="Cut the system Noto CJK faces to the characters certificates use (fast PDFs).",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_FONT_DIR, help=f"folder (default {DEFAULT_FONT_DIR})"
    )
    parser.add_argument("--force", action="store_true", help="cut again even when up to date")
    arguments = parser.parse_args(argv)
    try:
        cut_fonts(arguments.out, force=arguments.force, report=True)
    except FontSetupError as exc:
        print(f"error: {exc.message.render('en')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
