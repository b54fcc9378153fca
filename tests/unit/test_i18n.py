"""Every user-facing message exists in Chinese, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from verifier.i18n import Text, placeholders, t
from verifier.i18n_zh import ZH

ROOT = Path(__file__).resolve().parents[2]


def _templates() -> list[str]:
    found: list[str] = []
    for path in sorted((ROOT / "verifier").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(node.args[0].value)
    return found


TEMPLATES = _templates()


def test_templates_are_found() -> None:
    assert len(TEMPLATES) > 150


@pytest.mark.parametrize("template", sorted(set(TEMPLATES)))
def test_every_template_has_a_chinese_translation(template: str) -> None:
    assert template in ZH, template
    assert placeholders(ZH[template]) == placeholders(template)


def test_no_stale_translations() -> None:
    assert sorted(set(ZH) - set(TEMPLATES)) == []


def test_rendering_fills_parameters_and_nests() -> None:
    inner = t("{url} could not be reached", url="https://x.example")
    outer = t(
        "The status list {url} could not be retrieved: {reason}.", url="https://y.example", reason=inner
    )
    assert (
        outer.render("en")
        == "The status list https://y.example could not be retrieved: https://x.example could not be reached."
    )
    assert outer.render("zh") == "无法获取状态列表 https://y.example：无法连接 https://x.example。"
    assert str(outer) == outer.render("en")
    assert Text("untranslated").render("zh") == "untranslated"


def _issuer_templates() -> list[str]:
    found: list[str] = []
    for path in sorted((ROOT / "issuer").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("t", "Text")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(node.args[0].value)
    return found


@pytest.mark.parametrize("template", sorted(set(_issuer_templates())))
def test_every_issuer_template_has_a_chinese_translation(template: str) -> None:
    from issuer.i18n import ISSUER_ZH

    translation = ISSUER_ZH.get(template) or ZH.get(template)
    assert translation is not None, template
    assert placeholders(translation) == placeholders(template)


def test_no_stale_issuer_service_translations() -> None:
    from issuer.i18n_zh_service import ZH as SERVICE_ZH

    assert sorted(set(SERVICE_ZH) - set(_issuer_templates())) == []


#: ``_("English text", …)`` and ``_raw("…")`` in the Jinja pages (single or double quotes).
_PAGE_TEXT = re.compile(r"""\b_(?:raw)?\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def _page_texts(folder: str) -> list[str]:
    """Every ``_("…")`` text of the pages in ``templates/<folder>/``."""
    found: list[str] = []
    for path in sorted((ROOT / "templates" / folder).rglob("*.html")):
        for match in _PAGE_TEXT.finditer(path.read_text("utf-8")):
            found.append(match.group(1) if match.group(1) is not None else match.group(2))
    return found


def _console_page_texts() -> list[str]:
    return _page_texts("console")


def _download_page_texts() -> list[str]:
    return _page_texts("download")


def test_page_texts_are_found() -> None:
    assert len(set(_console_page_texts())) > 200
    assert len(set(_download_page_texts())) > 30


@pytest.mark.parametrize("template", sorted(set(_console_page_texts()) | set(_download_page_texts())))
def test_every_page_text_has_a_chinese_translation(template: str) -> None:
    from issuer.i18n import ISSUER_ZH

    translation = ISSUER_ZH.get(template) or ZH.get(template)
    assert translation is not None, template
    assert placeholders(translation) == placeholders(template)


def test_no_stale_console_translations() -> None:
    from issuer.i18n_zh_console import ZH as CONSOLE_ZH

    assert sorted(set(CONSOLE_ZH) - set(_issuer_templates()) - set(_console_page_texts())) == []


def test_no_stale_download_translations() -> None:
    from issuer.i18n_zh_downloads import ZH as DOWNLOADS_ZH

    assert sorted(set(DOWNLOADS_ZH) - set(_issuer_templates()) - set(_download_page_texts())) == []
