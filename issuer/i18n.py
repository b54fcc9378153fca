"""User-facing text of the issuer service, in English and Chinese.

Same mechanism as :mod:`verifier.i18n` (an English template + parameters, rendered per
language), with the issuer's own catalogue: each area of the service keeps its Chinese
templates in an ``issuer/i18n_zh_<area>.py`` module, merged here. A test checks that every
``t("...")`` template in ``issuer/`` has a translation with the same placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifier.i18n import Text
from verifier.i18n_zh import ZH as VERIFIER_ZH

from . import (
    i18n_zh_console,
    i18n_zh_downloads,
    i18n_zh_keys,
    i18n_zh_pdf,
    i18n_zh_policy,
    i18n_zh_records,
    i18n_zh_service,
)

ISSUER_ZH: Mapping[str, str] = {
    **i18n_zh_records.ZH,
    **i18n_zh_policy.ZH,
    **i18n_zh_keys.ZH,
    **i18n_zh_service.ZH,
    **i18n_zh_console.ZH,
    **i18n_zh_pdf.ZH,
    **i18n_zh_downloads.ZH,
}


@dataclass(frozen=True, slots=True)
class IssuerText(Text):
    """A :class:`~verifier.i18n.Text` rendered from the issuer's catalogue first."""

    def render(self, language: str = "en") -> str:
        template = self.template
        if language == "zh":
            template = ISSUER_ZH.get(self.template) or VERIFIER_ZH.get(self.template, self.template)
        values = {k: v.render(language) if isinstance(v, Text) else v for k, v in self.params}
        return template.format(**values)

    def __str__(self) -> str:
        return self.render("en")


def t(template: str, **params: Any) -> IssuerText:
    """Mark ``template`` as user-facing issuer text (``{name}`` placeholders)."""
    return IssuerText(template, tuple(params.items()))
