"""The micro-major credential: its shape, its schemas, and clear errors for bad input."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import jsonschema_rs
import pytest
from factories import FIXTURES, NOW, golden_unsigned, w3c_test_key

from issuer.credential import (
    Bilingual,
    CertificateDetails,
    CourseResult,
    CredentialInputError,
    IndustryField,
    Learner,
    build_credential,
    hash_student_number,
)
from issuer.demo_data import DEMO_LEARNERS, demo_institution, demo_micro_major, demo_results
from issuer.fields import DEFAULT_INDUSTRY_FIELDS
from verifier import read_facts, strict_expand
from verifier.schema import default_schemas

ROOT = FIXTURES.parent.parent
OB_FORMAL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential-jsonschema1.json"
)
OB_ADAPTED = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
MICROCRED = "https://w3id.org/microcred/schema/v1.json"
VC_SCHEMA = "https://www.w3.org/2022/credentials/v2/verifiable-credential-schema.json"


def test_golden_credential_is_reproduced_exactly() -> None:
    """The builder is deterministic given its inputs; the committed golden file is its output."""
    expected = json.loads((FIXTURES / "golden" / "unsigned.json").read_text("utf-8"))
    assert golden_unsigned() == expected


@pytest.mark.parametrize("schema", [OB_FORMAL, OB_ADAPTED, MICROCRED, VC_SCHEMA])
def test_credential_validates_against_every_schema(schema: str) -> None:
    document = golden_unsigned()
    # The formal OB schema wants `proof` as a list; an unsigned credential has none.
    assert default_schemas().first_error(schema, document) is None


def test_schemas_validate_with_the_1edtech_files_loaded_directly() -> None:
    """Independently of verifier.schema: load the pinned 1EdTech files as published and validate."""
    for name in (
        "ob_v3p0_achievementcredential_schema.json",
        "ob_v3p0_achievementcredential_schema.jsonld-adapted.json",
    ):
        schema = json.loads((ROOT / "schemas" / name).read_text("utf-8"))
        assert jsonschema_rs.validator_for(schema).is_valid(golden_unsigned())


def test_what_a_registrar_or_employer_reads() -> None:
    facts = read_facts(strict_expand(golden_unsigned()))
    assert facts.issuer is not None
    assert facts.issuer.name.get("zh") == "示范科技大学"
    assert facts.issuer.name.get("en") == "Demonstration University of Science and Technology"
    assert facts.issuer.other_identifiers == {"ext:MOEInstitutionCode": "4199999999"}
    assert facts.college is not None
    assert facts.college.name.get("zh") == "材料科学与工程学院"
    assert facts.college.parent is not None
    assert facts.college.parent.id == w3c_test_key().did_key
    assert facts.learner_name.get("zh") == "王小明"
    assert facts.learner_name.get("en") == "Wang Xiaoming"
    assert facts.achievement_name.get("en") == "Powder Materials Intelligent Manufacturing"
    assert facts.achievement_code == "WZY-PM-2024"
    assert facts.achievement_type == "MicroCredential"
    assert facts.certificate_number == "SF-WZY-2025-000001"
    assert (facts.credits_available, facts.credits_earned, facts.total_class_hours) == (12.0, 12.0, 192.0)
    assert len(facts.courses) == 8
    first = facts.courses[0]
    assert (
        first.code,
        first.name.get("zh"),
        first.credits,
        first.class_hours,
        first.result,
        first.status,
    ) == (
        "PM101",
        "粉体材料科学基础",
        1.5,
        24.0,
        "92",
        "Completed",
    )
    assert sum(c.credits or 0 for c in facts.courses) == facts.credits_available
    assert facts.study_start == "2024-09-01T00:00:00+08:00"


def test_student_number_is_only_a_salted_hash() -> None:
    document = golden_unsigned()
    text = json.dumps(document, ensure_ascii=False)
    assert "20211234" not in text
    identity = document["credentialSubject"]["identifier"][0]
    expected = "sha256$" + hashlib.sha256(("20211234" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == expected == hash_student_number("20211234", identity["salt"])
    assert identity["hashed"] is True


def test_each_credential_gets_a_fresh_salt() -> None:
    kwargs = _inputs()
    first = build_credential(**kwargs)
    second = build_credential(**kwargs)
    salts = {d["credentialSubject"]["identifier"][0]["salt"] for d in (first, second)}
    assert len(salts) == 2


def _inputs(**overrides: Any) -> dict[str, Any]:
    learner, grades = DEMO_LEARNERS[0]
    inputs: dict[str, Any] = {
        "institution": demo_institution(w3c_test_key().did_key),
        "micro_major": demo_micro_major(),
        "learner": learner,
        "results": demo_results(grades),
        "details": CertificateDetails("SF-1", NOW, date(2024, 9, 1), date(2025, 6, 30)),
        "industry_fields": DEFAULT_INDUSTRY_FIELDS,
    }
    inputs.update(overrides)
    return inputs


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"results": demo_results(DEMO_LEARNERS[0][1])[:-1]},
            "course PM108 (粉体智能制造综合实践) has no result",
        ),
        (
            {
                "results": [
                    *demo_results(DEMO_LEARNERS[0][1])[:-1],
                    CourseResult("PM108", "不合格", passed=False),
                ]
            },
            "course PM108 (粉体智能制造综合实践) was not passed (不合格)",
        ),
        (
            {"results": [*demo_results(DEMO_LEARNERS[0][1]), CourseResult("XX999", "90")]},
            "course XX999 is not part of micro-major WZY-PM-2024",
        ),
        (
            {"results": [*demo_results(DEMO_LEARNERS[0][1]), CourseResult("PM101", "90")]},
            "course PM101 has two results",
        ),
        (
            {"micro_major": dataclasses.replace(demo_micro_major(), total_credits=Decimal(16))},
            "the course credits of micro-major WZY-PM-2024 add up to 12.0, but its total credits are 16",
        ),
        (
            {
                "micro_major": dataclasses.replace(
                    demo_micro_major(), industry_field=IndustryField("space-mining", Bilingual("太空采矿"))
                )
            },
            "unknown industry field 'space-mining'",
        ),
        (
            {
                "micro_major": dataclasses.replace(
                    demo_micro_major(), courses=demo_micro_major().courses[:1] * 2, total_credits=Decimal(3)
                )
            },
            "lists course PM101 twice",
        ),
        ({"micro_major": dataclasses.replace(demo_micro_major(), courses=())}, "has no courses"),
        ({"learner": Learner("  ")}, "learner's name"),
        ({"learner": Learner("王小明", did="mailto:x@example.com")}, "is not a DID"),
        (
            {"details": CertificateDetails("SF-1", NOW, date(2025, 6, 30), date(2024, 9, 1))},
            "ends (2024-09-01) before it starts",
        ),
        (
            {"details": CertificateDetails(" ", NOW, date(2024, 9, 1), date(2025, 6, 30))},
            "certificate number",
        ),
        (
            {
                "details": CertificateDetails(
                    "SF-1",
                    NOW,
                    date(2024, 9, 1),
                    date(2025, 6, 30),
                    valid_until=datetime(2020, 1, 1, tzinfo=UTC),
                )
            },
            "validUntil must be later",
        ),
    ],
    ids=[
        "missing-course",
        "failed-course",
        "unknown-course",
        "duplicate-result",
        "credits-do-not-add-up",
        "unknown-industry-field",
        "duplicate-course",
        "no-courses",
        "empty-learner-name",
        "learner-did-not-a-did",
        "inverted-study-period",
        "empty-certificate-number",
        "valid-until-before-valid-from",
    ],
)
def test_bad_input_says_exactly_what_is_wrong(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(CredentialInputError) as raised:
        build_credential(**_inputs(**overrides))
    assert message in str(raised.value)


def test_bilingual_text_needs_chinese() -> None:
    with pytest.raises(CredentialInputError, match="Chinese"):
        Bilingual("")


def test_learner_did_binds_the_subject() -> None:
    document = build_credential(
        **_inputs(learner=Learner("王小明", did="did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"))
    )
    assert document["credentialSubject"]["id"].startswith("did:key:")
    assert "identifier" not in document["credentialSubject"]
