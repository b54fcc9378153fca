"""issuer.qr chooses the data mask itself (faster than segno); the symbol must be segno's own.

ISO/IEC 18004 §7.8.3 selects the mask with the lowest penalty score. segno scores the eight
masked symbols itself; :func:`issuer.qr.make_qr` scores them with packed integers and then asks
segno for that mask. Whatever the text and the version, the two must give the same symbol,
module for module.
"""

from __future__ import annotations

import random

import pytest
import segno

from issuer.qr import ERROR_LEVEL, make_qr, qr_segments
from verifier.qr import PREFIX


def _segno_own_choice(text: str) -> segno.QRCode:
    return segno.make_qr(qr_segments(text), error=ERROR_LEVEL, boost_error=True)  # type: ignore[arg-type]


def _texts() -> list[str]:
    rng = random.Random(20261122)  # noqa: S311 - reproducible test texts, nothing secret
    texts = ["", "a", "https://example.edu/verify", "https://certs.example.edu/verify#" + PREFIX + "0"]
    for length in (5, 20, 60, 120, 250, 400, 560, 700):
        for _ in range(4):
            digits = "".join(rng.choice("0123456789") for _ in range(length))
            texts.append("https://certs.example.edu/verify#" + PREFIX + digits)
            texts.append(
                "".join(rng.choice("abcdefghijklmnopqrstuvwxyz/:.#-") for _ in range(length // 2 + 1))
            )
    return texts


@pytest.mark.parametrize("text", _texts())
def test_the_mask_chosen_is_the_one_segno_chooses(text: str) -> None:
    ours, theirs = make_qr(text), _segno_own_choice(text)
    assert (ours.version, ours.error, ours.mask) == (theirs.version, theirs.error, theirs.mask)
    assert ours.matrix == theirs.matrix


def test_the_sample_covers_every_mask_and_many_versions() -> None:
    symbols = [_segno_own_choice(text) for text in _texts()]
    assert {symbol.mask for symbol in symbols} == set(range(8))
    assert len({symbol.version for symbol in symbols}) >= 10
