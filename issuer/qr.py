"""Draw a certificate's QR code with segno: error correction level Q, payload in numeric mode.

The text comes from :func:`verifier.qr.encode_qr_text` (``{verifier_url}#MC1:{digits}``). A
QR code may mix encoding modes (ISO/IEC 18004 §7.4); segno takes a list of segments. The URL
and the ``MC1:`` prefix go in one byte-mode segment (lowercase letters and ``#`` are not in the
alphanumeric set), and the digits in one numeric-mode segment at 3⅓ bits per digit. In byte
mode the same digits would take 8 bits each: the difference is about ten QR versions.

Level Q (25 % of the symbol may be damaged) is what the EU Digital COVID Certificate chose for
paper. When the chosen version has room for more, segno raises the level (never lowering it),
which costs nothing in size.

The data mask is the one ISO/IEC 18004 §7.8.3 selects (the lowest penalty score), the same one
segno selects, found here about five times faster: segno scores each of the eight masked
symbols module by module in Python (about 15 ms for a version 15 symbol, the largest single
cost of a printed certificate after the page layout); :func:`_best_mask` scores whole rows and
columns at once. The symbol segno drew with mask 0 is then re-masked (the modules where the two
masks differ flipped, the format information rewritten by segno), so it is bit for bit the one
segno would have made on its own, without encoding the text twice.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import segno
from segno import consts, encoder

from verifier.qr import PREFIX

ERROR_LEVEL = "q"
#: Quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4).
BORDER = 4


def qr_segments(text: str) -> list[tuple[str, int]]:
    """The segments of a QR text: everything up to ``MC1:`` in byte mode, the digits numeric.

    Any other text is a single byte-mode segment.
    """
    head, prefix, digits = text.rpartition(PREFIX)
    if prefix and digits.isascii() and digits.isdigit():
        return [(head + prefix, consts.MODE_BYTE), (digits, consts.MODE_NUMERIC)]
    return [(text, consts.MODE_BYTE)]


def make_qr(text: str) -> segno.QRCode:
    """The QR code symbol of ``text`` (level Q or better, the smallest version that fits).

    Raises :class:`segno.DataOverflowError` when ``text`` does not fit in any version.
    """
    segments = qr_segments(text)
    # segno's type hints name one str, but its encoder takes a list of (content, mode) segments
    # (segno.encoder.prepare_data); that is how one symbol mixes modes.
    probe = segno.make_qr(segments, error=ERROR_LEVEL, boost_error=True, mask=0)  # type: ignore[arg-type]
    version = int(probe.version)
    mask = _best_mask(probe.matrix, version)
    if mask == 0:
        return probe
    # Re-mask the probe rather than encode again: flip the data modules where the two masks
    # differ and write the format information for the new mask (§7.9); the rest (codewords,
    # function patterns, version information) does not depend on the mask.
    matrix = tuple(bytearray(row) for row in probe.matrix)
    for row, column in _mask_difference(version, mask):
        matrix[row][column] ^= 1
    encoder.add_format_info(matrix, version, consts.ERROR_MAPPING[probe.error.upper()], mask)  # type: ignore[no-untyped-call]
    symbol = copy.copy(probe)
    symbol.matrix = matrix
    symbol.mask = mask
    return symbol


def qr_version(text: str) -> int:
    """The QR version (1-40) ``text`` needs at level Q; version 15 is 77 x 77 modules."""
    return int(make_qr(text).version)


def qr_svg(text: str, *, scale: float = 4, dark: str = "#000") -> str:
    """The QR code as a standalone SVG document (UTF-8 text, no XML declaration)."""
    buffer = io.BytesIO()
    make_qr(text).save(buffer, kind="svg", scale=scale, border=BORDER, dark=dark, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def qr_png(text: str, *, scale: int = 8) -> bytes:
    """The QR code as a 1-bit PNG, ``scale`` pixels per module."""
    buffer = io.BytesIO()
    make_qr(text).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Data mask selection (ISO/IEC 18004:2015 §7.8)
#
# The whole symbol is one Python int: its rows, then its columns, each line its modules (dark 1,
# the line's first module most significant) followed by four light bits that keep lines apart.
# One XOR applies a mask to every module and each penalty is a handful of shifts and bit counts.
# The scores are those of §7.8.3.1 as segno computes them (segno.encoder.mask_scores), so the
# mask selected is always segno's: the function patterns are scored as drawn, the format and
# version information areas as light (they are written after the mask is chosen), and ties go
# to the lower mask number.

#: ISO/IEC 18004:2015 Table 10: module (i, j), row i and column j, is inverted where true.
_MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)
#: Light bits after each line: a run never spans two lines and, where the 1:1:3:1:1 pattern is
#: sought, four of them read like the light modules beyond the symbol's edge.
_GAP = 4
_TEXT = bytes.maketrans(b"\x00\x01", b"01")


@dataclass(frozen=True, slots=True)
class _Layout:
    """What scoring needs to know about a symbol size, as masks over the packed lines."""

    size: int
    kept: int  # every module except the format and version information areas
    rows: int  # the modules of the rows (dark modules are counted there)
    pairs: int  # bit k where bits k and k + 1 are two modules of one line
    blocks: int  # bit k of row t where row t + 1 exists and bits k + 1 are in the line
    starts: int  # where a 7-module pattern fits in its line
    changes: tuple[int, ...]  # per mask: the modules that differ from mask 0


def _pack(lines: Sequence[bytes]) -> int:
    """Lines of 0 and 1 bytes as one int: line t at bits _GAP + t * (size + _GAP) upwards."""
    gap = b"0" * _GAP
    return int(gap.join(line.translate(_TEXT) for line in reversed(lines)) + gap, 2)


def _rows_and_columns(grid: Sequence[Sequence[int]]) -> list[bytes]:
    return [bytes(row) for row in grid] + [bytes(column) for column in zip(*grid, strict=True)]


@cache
def _kinds(version: int) -> tuple[tuple[int, ...], ...]:
    """Per module: 0 encoding region, 1 function pattern (§6.3), 2 format or version information."""
    size = 4 * version + 17
    kind = [[0] * size for _ in range(size)]
    for top, left in ((0, 0), (0, size - 8), (size - 8, 0)):  # finder patterns and separators
        for i in range(top, top + 8):
            kind[i][left : left + 8] = [1] * 8
    for i in range(9):  # format information around the upper left finder pattern
        kind[i][8] = kind[8][i] = 2
    for i in range(1, 9):  # ... and beside the other two, with the dark module
        kind[size - i][8] = kind[8][size - i] = 2
    if version >= 7:
        for i in range(6):
            for j in range(size - 11, size - 8):
                kind[i][j] = kind[j][i] = 2
    for i in range(8, size - 8):  # timing patterns
        kind[i][6] = kind[6][i] = 1
    if version >= 2:
        centres = consts.ALIGNMENT_POS[version - 2]
        corners = {(centres[0], centres[0]), (centres[0], centres[-1]), (centres[-1], centres[0])}
        for row in centres:
            for column in centres:
                if (row, column) not in corners:
                    for i in range(row - 2, row + 3):
                        kind[i][column - 2 : column + 3] = [1] * 5
    return tuple(tuple(row) for row in kind)


@cache
def _mask_difference(version: int, mask: int) -> tuple[tuple[int, int], ...]:
    """The encoding-region modules (row, column) that mask ``mask`` inverts and mask 0 does not,
    or the other way round."""
    kind = _kinds(version)
    return tuple(
        (i, j)
        for i, row in enumerate(kind)
        for j, k in enumerate(row)
        if k == 0 and _MASKS[mask](i, j) != _MASKS[0](i, j)
    )


@cache
def _layout(version: int) -> _Layout:
    size = 4 * version + 17
    kind = _kinds(version)
    every = [[1] * size for _ in range(size)]
    line = (1 << size) - 1
    stride = size + _GAP
    pairs = blocks = starts = 0
    for t in range(2 * size):
        pairs |= (line >> 1) << (_GAP + t * stride)
        starts |= (line >> 6) << (_GAP + t * stride)
        if t < size - 1:
            blocks |= (line >> 1) << (_GAP + t * stride)
    changes = tuple(
        _pack(
            _rows_and_columns(
                [
                    [int(kind[i][j] == 0 and mask(i, j) != _MASKS[0](i, j)) for j in range(size)]
                    for i in range(size)
                ]
            )
        )
        for mask in _MASKS
    )
    return _Layout(
        size=size,
        kept=_pack(_rows_and_columns([[int(k < 2) for k in row] for row in kind])),
        rows=_pack([bytes(row) for row in every] + [bytes(size)] * size),
        pairs=pairs,
        blocks=blocks,
        starts=starts,
        changes=changes,
    )


def _penalty(symbol: int, layout: _Layout) -> int:
    """The §7.8.3.1 penalty score of a ``symbol`` packed as :func:`_pack` does."""
    size, stride = layout.size, layout.size + _GAP
    same = ~(symbol ^ (symbol >> 1)) & layout.pairs  # bit k: modules k and k + 1 alike
    # N1: a run of 5 + i modules of one colour in a row or column scores 3 + i: one point per
    # five alike (each run's windows), two more per run.
    windows = same & (same >> 1) & (same >> 2) & (same >> 3)
    score = windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
    # N2: 3 per 2 x 2 block of one colour (overlapping blocks count each).
    score += 3 * (same & (same >> stride) & ~(symbol ^ (symbol >> stride)) & layout.blocks).bit_count()
    # N3: 40 per 1:1:3:1:1 (dark:light:dark:light:dark) pattern with four light modules before
    # or after it in its line; found left to right, the search resuming after a counted pattern
    # or at the middle of one that is not counted.
    light = ~symbol
    found = (
        (symbol >> 6) & (light >> 5) & (symbol >> 4) & (symbol >> 3) & (symbol >> 2) & (light >> 1) & symbol
    ) & layout.starts
    line = resume = -1
    while found:
        bit = found.bit_length() - 1  # the leftmost pattern still to read
        found ^= 1 << bit
        if bit // stride != line:
            line, resume = bit // stride, bit
        if bit > resume:
            continue
        if not (symbol >> (bit + 7)) & 0xF or not (symbol >> (bit - 4)) & 0xF:
            score += 40
            resume = bit - 7
        else:
            resume = bit - 4
    # N4: 10 points for each full 5 % the share of dark modules is off 50 %.
    percent = float((symbol & layout.rows).bit_count()) / (size**2)
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def _best_mask(matrix: Sequence[Sequence[int]], version: int) -> int:
    """The data mask §7.8.3 selects for a symbol drawn with mask 0 (``matrix``, no quiet zone)."""
    layout = _layout(version)
    base = _pack(_rows_and_columns(matrix)) & layout.kept
    scores = [_penalty(base ^ change, layout) for change in layout.changes]
    return scores.index(min(scores))
