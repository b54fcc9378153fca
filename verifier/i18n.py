"""User-facing text in English and Chinese.

Every message a verifier shows is a :class:`Text`: an English template with named parameters,
rendered on demand in the reader's language. The Chinese templates live in
:mod:`verifier.i18n_zh`, keyed by the English template; a test checks that every template used
in the code has a translation with the same placeholders. Values (names, URLs, dates) are
never translated.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .i18n_zh import ZH

#: Languages every message is available in. ``zh`` is Simplified Chinese.
LANGUAGES = ("en", "zh")
_CATALOGS: Mapping[str, Mapping[str, str]] = {"zh": ZH}


@dataclass(frozen=True, slots=True)
class Text:
    """A message: English template + parameters, rendered per language."""

    template: str
    params: tuple[tuple[str, Any], ...] = ()

    def render(self, language: str = "en") -> str:
        """The message in ``language`` (English if there is no translation)."""
        template = _CATALOGS.get(language, {}).get(self.template, self.template)
        values = {
            key: value.render(language) if isinstance(value, Text) else value for key, value in self.params
        }
        return template.format(**values)

    def __str__(self) -> str:
        return self.render("en")


def t(template: str, **params: Any) -> Text:
    """Mark ``template`` as user-facing text (``{name}`` placeholders filled from ``params``)."""
    return Text(template, tuple(params.items()))


def render(value: Text | str, language: str = "en") -> str:
    """Render a :class:`Text`, or pass a plain string through."""
    return value.render(language) if isinstance(value, Text) else value


def placeholders(template: str) -> set[str]:
    """The named placeholders of a template (used by the catalog test)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
