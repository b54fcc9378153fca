"""``microcred demo``: a demo university, from programme file to signed, revocable certificates.

It goes through the service exactly as a registrar would: set up the institution, import the
programme file from ``examples/``, import a cohort's completion records from a GB18030 CSV as a
Chinese academic system exports it, preview eligibility, issue, and revoke one certificate
"issued in error". Running it again changes nothing that was already done (the same records,
the same certificates). It refuses to touch a database that belongs to a real institution.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from verifier import verify_credential
from verifier.qr import encode_qr_text
from verifier.trust import TrustedIssuer
from verifier.trust_registry import add_issuer, new_trust_list, sign_trust_list

from . import identity
from .accounts import create_user
from .cohorts import import_records, preview
from .db import transaction
from .demo_data import demo_institution
from .download_links import cohort_links, links_csv
from .errors import ServiceError
from .i18n import t
from .issuance import issue_programme
from .keyfile import KeyPair, load_key_pair, write_key_pair
from .models import Credential, Institution, StatusList, User
from .printing import certificate_pdf
from .programme_file import parse_programme_file
from .programmes import import_programmes
from .qr import qr_png
from .revocation import REVOKE, change_status
from .service import Service

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PROGRAMME_FILE = EXAMPLES / "programme-powder-materials.yaml"
DEMO_ACTOR = "demo"
#: The demo trust registry's key (development only; never a production key), in the keys folder.
DEMO_REGISTRY_KEY = "DEMO-trust-registry.keypair.json"
#: The demo's console account (a registrar), created in development only; ``microcred demo`` prints it.
DEMO_CONSOLE_USER = "registrar"
DEMO_CONSOLE_PASSWORD = "microcred-demo-registrar"  # noqa: S105 - documented development-only password

# (student number, name, pinyin, enrolled, completed, grades for PM101..PM108 — None = no record)
_COHORT: tuple[tuple[str, str, str, str, str, tuple[str | None, ...]], ...] = (
    (
        "20211234",
        "王小明",
        "Wang Xiaoming",
        "2024-09-01",
        "2025-06-30",
        ("92", "88", "合格", "85", "90", "95", "78", "优秀"),
    ),
    (
        "20211235",
        "李华",
        "Li Hua",
        "2024-09-01",
        "2025-06-30",
        ("85", "79", "合格", "88", "82", "91", "80", "良好"),
    ),
    (
        "20211236",
        "张伟",
        "Zhang Wei",
        "2024-09-01",
        "2025-06-28",
        ("76", "81", "合格", "70", "88", "84", "73", "中等"),
    ),
    (
        "20211237",
        "刘洋",
        "Liu Yang",
        "2024-09-01",
        "2025-06-30",
        ("90", "93", "合格", "91", "87", "96", "89", "优秀"),
    ),
    (
        "20211238",
        "陈静",
        "Chen Jing",
        "2024-09-01",
        "2025-06-29",
        ("68", "72", "合格", "65", "70", "75", "61", "及格"),
    ),
    (
        "20211239",
        "杨帆",
        "Yang Fan",
        "2024-09-01",
        "2025-06-30",
        ("83", "80", "合格", "86", "84", "88", "82", "良好"),
    ),
    (
        "20211240",
        "赵雪",
        "Zhao Xue",
        "2024-09-01",
        "2025-06-30",
        ("95", "97", "合格", "94", "92", "98", "93", "优秀"),
    ),
    (
        "20211241",
        "黄磊",
        "Huang Lei",
        "2024-09-01",
        "2025-06-30",
        ("71", "74", "合格", "78", "69", "80", "72", "中等"),
    ),
    (
        "20211242",
        "周婷",
        "Zhou Ting",
        "2024-09-01",
        "2025-06-30",
        ("88", "85", "合格", "82", "86", "90", "84", "良好"),
    ),
    # Not eligible: a failed course, a missing course, and a study period longer than allowed.
    (
        "20211243",
        "吴昊",
        "Wu Hao",
        "2024-09-01",
        "2025-06-30",
        ("80", "55", "合格", "77", "81", "79", "75", "中等"),
    ),
    (
        "20211244",
        "孙悦",
        "Sun Yue",
        "2024-09-01",
        "2025-06-30",
        ("86", "82", "合格", "84", "88", "85", "83", None),
    ),
    (
        "20201001",
        "郑凯",
        "Zheng Kai",
        "2022-03-01",
        "2024-06-30",
        ("78", "80", "合格", "75", "82", "79", "77", "良好"),
    ),
)
_COURSES = ("PM101", "PM102", "PM103", "PM104", "PM105", "PM106", "PM107", "PM108")


def cohort_csv() -> bytes:
    """The demo cohort as an academic system exports it: Chinese headers, a title row, GB18030."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["2024-2025学年第二学期 粉体材料智能制造微专业成绩单"])
    writer.writerow(["学号", "姓名", "英文名", "课程代码", "课程名称", "成绩", "入学日期", "完成日期"])
    names = {
        "PM101": "粉体材料科学基础",
        "PM102": "粉末冶金原理",
        "PM103": "智能制造导论",
        "PM104": "粉体制备与表征技术",
        "PM105": "增材制造技术",
        "PM106": "工业数据分析与机器学习",
        "PM107": "智能装备与控制",
        "PM108": "粉体智能制造综合实践",
    }
    for number, name, pinyin, enrolled, completed, grades in _COHORT:
        for course, grade in zip(_COURSES, grades, strict=True):
            if grade is not None:
                writer.writerow([number, name, pinyin, course, names[course], grade, enrolled, completed])
    return buffer.getvalue().encode("gb18030")


@dataclass
class DemoReport:
    did: str
    programme: str
    issued: list[tuple[str, str, str]] = field(default_factory=list)  # (certificate number, name, outcome)
    not_eligible: list[tuple[str, str]] = field(default_factory=list)
    revoked: str | None = None
    files: list[Path] = field(default_factory=list)
    #: (user name, password) of the demo console account, when this run may have one (development).
    console_account: tuple[str, str] | None = None
    #: The signed trust list naming the demo university, and the registry DID that signed it.
    trust_list: Path | None = None
    registry: str | None = None
    #: One learner's download page (every learner's is in ``links.csv``).
    download_link: str | None = None


def run_demo(service: Service, out: Path, *, language: str = "zh") -> DemoReport:
    """Seed, issue, revoke one, verify each, and write everything into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    institution = demo_institution(service.did)
    with transaction(service.engine, write=False) as session:
        existing = session.exec(select(Institution)).first()
    if existing is not None and existing.code != institution.institution_code:
        raise ServiceError(
            409,
            "not-a-demo-database",
            t("Not a demo database"),
            t(
                "This database belongs to {name}; run the demo with its own MICROCRED_DATABASE_URL.",
                name=existing.name_zh,
            ),
        )
    identity.ensure_signing_key(service, actor=DEMO_ACTOR)
    if existing is None:
        identity.set_institution(
            service,
            identity.InstitutionInfo(
                institution.name.zh,
                institution.name.en,
                institution.institution_code,
                "example.edu.cn",
                institution.url,
            ),
            actor=DEMO_ACTOR,
        )
    console_account = _demo_console_account(service)
    specs = parse_programme_file(PROGRAMME_FILE.read_bytes(), PROGRAMME_FILE.name)
    programme_code = specs[0].code
    import_programmes(service, specs, actor=DEMO_ACTOR)
    records = cohort_csv()
    records_path = out / "cohort-records.gb18030.csv"
    records_path.write_bytes(records)
    import_records(service, programme_code, records, records_path.name, actor=DEMO_ACTOR)
    report = DemoReport(service.did, programme_code, files=[records_path], console_account=console_account)
    for learner in preview(service, programme_code).learners:
        if not learner.eligible and not learner.certificate_number:
            report.not_eligible.append((learner.name, "; ".join(r.render(language) for r in learner.reasons)))
    issue_programme(service, programme_code, actor=DEMO_ACTOR)

    with transaction(service.engine, write=False) as session:
        credentials = list(session.exec(select(Credential).where(col(Credential.superseded).is_(False))))
    in_error = next((c for c in credentials if c.certificate_number.endswith("000002")), None)
    if in_error is not None and in_error.revoked_at is None:
        change_status(
            service,
            [in_error.certificate_number],
            REVOKE,
            reason="演示：证书误发（学员信息有误）",
            actor=DEMO_ACTOR,
        )
        report.revoked = in_error.certificate_number
    elif in_error is not None:
        report.revoked = in_error.certificate_number

    with transaction(service.engine, write=False) as session:
        did_document = identity.did_document(service, session)
        lists = {
            service.status_list_url(sl.purpose, sl.number): json.loads(sl.document)
            for sl in session.exec(select(StatusList))
        }
        credentials = sorted(
            session.exec(select(Credential).where(col(Credential.superseded).is_(False))),
            key=lambda c: c.certificate_number,
        )
        for credential in credentials:
            document: dict[str, Any] = json.loads(credential.document)
            result = verify_credential(
                document, did_documents={service.did: did_document}, status_lists=lists
            )
            path = out / f"{credential.certificate_number}.json"
            path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            report.files.append(path)
            if credential.summary_document is not None:
                report.files.extend(
                    _write_qr(service, out, credential.certificate_number, credential.summary_document)
                )
            report.issued.append(
                (credential.certificate_number, document["credentialSubject"]["name"], result.outcome)
            )
        for url, status_list in lists.items():
            path = out / ("status-" + url.rstrip("/").split("/status/")[-1].replace("/", "-") + ".json")
            path.write_text(json.dumps(status_list, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            report.files.append(path)
        did_path = out / "did.json"
        did_path.write_text(json.dumps(did_document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        report.files.append(did_path)
        report.files.extend(_write_pdfs(service, out, credentials))
    report.trust_list, report.registry = _write_trust_list(service, out)
    report.files.append(report.trust_list)
    links = cohort_links(service, programme_code)
    links_path = out / "links.csv"
    links_path.write_bytes(links_csv(links))
    report.files.append(links_path)
    report.download_link = next((link.download_url for link in links if link.state == "valid"), None)
    return report


def _write_pdfs(service: Service, out: Path, credentials: list[Credential]) -> list[Path]:
    """Each learner's printable certificate (``NUMBER.pdf``): PDF/A-3b with the credential inside."""
    paths = []
    for credential in credentials:
        path = out / f"{credential.certificate_number}.pdf"
        path.write_bytes(certificate_pdf(service, credential))
        paths.append(path)
    return paths


def _write_trust_list(service: Service, out: Path) -> tuple[Path, str]:
    """A trust list naming the demo university, signed by a demo registry (``trust-list.json``).

    A verifier configured with it (``MICROCRED_TRUST_LISTS=trust-list.json``,
    ``MICROCRED_TRUST_REGISTRIES=<the registry's did:key>``) shows the issuer as the registry
    names it. The registry key is a development-only key kept beside the issuer keys.
    """
    key_path = service.settings.keys_dir / DEMO_REGISTRY_KEY
    if key_path.exists():
        registry = load_key_pair(key_path)
    else:
        registry = KeyPair.generate()
        key_path.parent.mkdir(parents=True, exist_ok=True)
        write_key_pair(key_path, registry)
    with transaction(service.engine, write=False) as session:
        institution = session.exec(select(Institution)).one()
    document = new_trust_list(
        registry=registry.did_key,
        registry_name="微专业证书示范登记处 (microcred demo registry)",
        name="示范信任列表 (demo trust list)",
    )
    document = add_issuer(
        document,
        TrustedIssuer(
            service.did, institution.name_zh, institution.name_en, institution.code, institution.domain
        ),
    )
    signed = sign_trust_list(document, registry.signer())
    path = out / "trust-list.json"
    path.write_text(json.dumps(signed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "trust-registry.did").write_text(registry.did_key + "\n", encoding="ascii")
    return path, registry.did_key


def _write_qr(service: Service, out: Path, number: str, summary_document: str) -> list[Path]:
    """The certificate's QR code: its text (``NUMBER.qr.txt``) and a PNG (``NUMBER.qr.png``)."""
    text = encode_qr_text(json.loads(summary_document), service.settings.verifier_url)
    text_path = out / f"{number}.qr.txt"
    text_path.write_text(text + "\n", encoding="ascii")
    png_path = out / f"{number}.qr.png"
    png_path.write_bytes(qr_png(text))
    return [text_path, png_path]


def _demo_console_account(service: Service) -> tuple[str, str] | None:
    """The demo registrar's console account (created once), in development only."""
    if service.settings.environment != "development":
        return None
    with transaction(service.engine, write=False) as session:
        exists = session.exec(select(User).where(User.username == DEMO_CONSOLE_USER)).first() is not None
    if not exists:
        create_user(
            service,
            DEMO_CONSOLE_USER,
            password=DEMO_CONSOLE_PASSWORD,
            role="registrar",
            display_name="演示教务员",
            actor=DEMO_ACTOR,
        )
    return DEMO_CONSOLE_USER, DEMO_CONSOLE_PASSWORD
