"""Draw a certificate's QR code with segno: error correction level Q, payload in numeric mode.

The text comes from :func:`verifier.qr.encode_qr_text` (``{verifier_url}#MC1:{digits}``). A
QR code may mix encoding modes (ISO/IEC 18004 §7.4); segno takes a list of segments. The URL
and the ``MC1:`` prefix go in one byte-mode segment (lowercase letters and ``#`` are not in the
alphanumeric set), and the digits in one numeric-mode segment at 3⅓ bits per digit. In byte
mode the same digits would take 8 bits each: the difference is about ten QR versions.

Level Q (25 % of the symbol may be damaged) is what the EU Digital COVID Certificate chose for
paper. When the chosen version has room for more, segno raises the level (never lowering it),
which costs nothing in size.
"""

from __future__ import annotations

import io

import segno
from segno import consts

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
    """The QR code symbol of ``text`` (level Q or better, the smallest version that fits)."""
    segments = qr_segments(text)
    # segno's type hints name one str, but its encoder takes a list of (content, mode) segments
    # (segno.encoder.prepare_data); that is how one symbol mixes modes.
    return segno.make_qr(segments, error=ERROR_LEVEL, boost_error=True)  # type: ignore[arg-type]


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
