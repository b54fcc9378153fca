"""Industry fields a micro-major serves (the "双千" plan's urgent-need areas).

The Ministry of Education's 2025 plan names 12 industry areas. DOMAIN.md lists the examples we
could confirm; the codes below are microcred's own stable identifiers (published at
``https://w3id.org/microcred/industry-fields#<code>``). An institution replaces or extends this
vocabulary through its configuration when its province publishes the official list; the
builder refuses any field that is not in the vocabulary it is given.
"""

from __future__ import annotations

from .credential import Bilingual, IndustryField

DEFAULT_INDUSTRY_FIELDS: dict[str, IndustryField] = {
    field.code: field
    for field in (
        IndustryField(
            "new-generation-it",
            Bilingual("新一代信息技术", "New-generation information technology"),
        ),
        IndustryField("ai-applications", Bilingual("人工智能应用", "Artificial intelligence applications")),
        IndustryField("new-materials", Bilingual("新材料", "New materials")),
        IndustryField("smart-manufacturing", Bilingual("智能制造", "Smart manufacturing")),
        IndustryField("low-altitude-economy", Bilingual("低空经济", "Low-altitude economy")),
        IndustryField("life-health", Bilingual("生命健康", "Life and health")),
        IndustryField("digital-marketing", Bilingual("数字营销", "Digital marketing")),
        IndustryField("business-trade", Bilingual("商贸流通", "Business and trade")),
        IndustryField("digital-trade", Bilingual("数字贸易", "Digital trade")),
    )
}
