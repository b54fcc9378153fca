"""What the verify page shows, as plain data: the answer, who issued it, what it covers, why.

The page (server-rendered Jinja) and the API (``POST /api/verify``) share this one view, so a
machine and a person are told the same thing. Everything here is framework-free and in both
languages: every label is a :class:`~verifier.i18n.Text` with a Chinese translation in
:mod:`verifier.i18n_zh_web`.

The order follows what an employer holding a certificate needs (issue #5, "The page"): the
answer first, then the issuing institution *as a trust list names it* (a credential's claim
about itself proves nothing), the learner and the micro-major with every course, the dates,
and last the checklist with when the status list was fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .i18n import Text, render, t
from .result import CheckStatus, VerificationResult

#: The headline, in large type, per outcome (``VerificationResult.outcome``).
HEADLINES: Mapping[str, Text] = {
    "valid": t("Valid"),
    "revoked": t("Revoked"),
    "suspended": t("Suspended"),
    "invalid": t("Invalid"),
    "unknown": t("Could not check"),
}

#: One plain sentence under the headline.
EXPLANATIONS: Mapping[str, Text] = {
    "valid": t(
        "The signature is genuine, nothing has been changed since it was issued, and the issuer "
        "has not revoked or suspended it."
    ),
    "revoked": t("The issuer has revoked this certificate. It is no longer valid."),
    "suspended": t("The issuer has suspended this certificate for now. Ask the holder or the issuer why."),
    "invalid": t("This certificate did not pass a check. Do not rely on it: see below which check failed."),
    "unknown": t(
        "Some checks could not be completed, for example because the issuer's status list could "
        "not be fetched. This is not a pass: try again later."
    ),
}

#: Under a "valid" headline when trust lists are configured and none names the issuer.
UNTRUSTED_CAUTION = t("Issuer not confirmed")
UNTRUSTED_EXPLANATION = t(
    "The signature is genuine and the certificate is unchanged, but its issuer is not on any trust list "
    "this verifier uses: nothing confirms which institution issued it."
)

#: Check names as a person reads them (check ids are the API contract, ``CHECK_IDS``).
CHECK_LABELS: Mapping[str, Text] = {
    "format": t("Well-formed credential"),
    "context": t("Every statement covered by the signature"),
    "schema": t("Matches the Open Badges 3.0 data model"),
    "proof": t("Digital signature"),
    "issuer": t("Signed by the issuer's own key"),
    "validity": t("Validity period"),
    "status": t("Not revoked or suspended"),
    "trust": t("Issuer on a trust list"),
}

STATUS_LABELS: Mapping[str, Text] = {
    CheckStatus.PASSED: t("passed"),
    CheckStatus.FAILED: t("failed"),
    CheckStatus.SKIPPED: t("not checked"),
    CheckStatus.UNKNOWN: t("could not check"),
}

#: Every other piece of text on the page, by key.
UI: Mapping[str, Text] = {
    "title": t("Verify a micro-major certificate"),
    "brand": t("Certificate check"),
    "skip": t("Skip to the main content"),
    "code": t("Code"),
    "tagline": t("Check a certificate's QR code, PDF or file in seconds. Nothing you check is stored."),
    "scan": t("Scan the QR code"),
    "scan_hint": t("Point the camera at the QR code on the certificate."),
    "scan_start": t("Start camera"),
    "scan_stop": t("Stop camera"),
    "scan_unavailable": t("The camera is not available here. Upload a photo of the QR code instead."),
    "upload": t("Upload a file"),
    "upload_hint": t(
        "A PDF certificate, a badge image (PNG or SVG), a credential file (JSON) or a photo of the QR code."
    ),
    "choose_file": t("Certificate file"),
    "paste": t("Paste the credential or QR text"),
    "paste_hint": t("The credential JSON, or the text of the QR code (a link to this page)."),
    "paste_label": t("Credential JSON or QR text"),
    "check": t("Check"),
    "checking": t("Checking…"),
    "again": t("Check another certificate"),
    "issued_by": t("Issued by"),
    "institution_code": t("Institution code"),
    "college": t("College"),
    "listed_by": t("Named by the trust list of {operator}."),
    "untrusted": t(
        "Warning: this issuer is not on any trust list this verifier uses. The name shown is what the "
        "certificate says about itself; nothing confirms that this institution holds the signing key."
    ),
    "no_trust_list": t(
        "This verifier has no trust list configured, so the issuer's name is what the certificate "
        "says about itself."
    ),
    "claims": t("The certificate calls its issuer: {name}"),
    "issuer_id": t("Issuer identifier"),
    "learner": t("Learner"),
    "micro_major": t("Micro-major"),
    "field": t("Field"),
    "courses": t("Courses"),
    "course": t("Course"),
    "credits": t("Credits"),
    "hours": t("Class hours"),
    "grade": t("Result"),
    "total": t("Total"),
    "credits_of": t("{earned} of {available} credits"),
    "qr_summary": t(
        "The QR code carries a signed summary of the certificate. For every course and result, upload "
        "the PDF certificate or the credential file."
    ),
    "dates": t("Dates"),
    "study_period": t("Study period"),
    "issued_on": t("Issued"),
    "valid_until": t("Valid until"),
    "no_expiry": t("No expiry date"),
    "certificate_no": t("Certificate No."),
    "checks": t("Every check"),
    "status_fetched": t("Status list fetched {when}."),
    "status_stale": t("The status list could not be refreshed; this answer uses a copy fetched {when}."),
    "status_not_fetched": t("No status list was fetched."),
    "status_checked_now": t("The status list was fetched from the issuer for this answer."),
    "privacy": t(
        "Privacy: this page uses no cookies, no tracking and no third-party services, and keeps nothing "
        "you check. The QR code's content stays after the # in the link, which browsers do not send "
        "to servers in the address."
    ),
    "noscript": t("Without JavaScript, paste the QR text or upload the file below."),
    "language": t("Language"),
    "error": t("This could not be checked"),
    "api": t("For developers: POST the credential to /api/verify."),
}


def label(key: str, language: str, **params: Any) -> str:
    """One page label in ``language``, with its placeholders filled from ``params``."""
    return Text(UI[key].template, tuple(params.items())).render(language)


@dataclass(frozen=True, slots=True)
class PageView:
    """The result as the page shows it; ``to_json`` is what the API returns as ``view``."""

    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return dict(self.data)


def _name(names: Mapping[str, Any] | None, language: str, fallback: str | None = None) -> str | None:
    """The name in ``language``, else the default name, else ``fallback``."""
    if not names:
        return fallback
    by_language = names.get("byLanguage") or {}
    for tag, text in by_language.items():
        if tag == language or str(tag).startswith(language + "-"):
            return str(text)
    return names.get("default") or next(iter(by_language.values()), None) or fallback


def _other_name(names: Mapping[str, Any] | None, language: str) -> str | None:
    """The name in the other language, when there is one that differs (shown smaller)."""
    other = "en" if language == "zh" else "zh"
    primary = _name(names, language)
    secondary = _name(names, other)
    return secondary if secondary and secondary != primary else None


def _number(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return None


def _day(value: Any) -> str | None:
    """``2025-07-01T00:00:00Z`` → ``2025-07-01`` (a certificate's dates are days to a reader)."""
    if not isinstance(value, str) or not value:
        return None
    return value[:10] if len(value) >= 10 and value[4] == "-" and value[7] == "-" else value


def _moment(value: Any) -> str | None:
    """An ISO date-time as ``YYYY-MM-DD HH:MM UTC``."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    offset = moment.utcoffset()
    if offset is not None:
        moment = (moment - offset).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _issuer(
    result: VerificationResult, summary: Mapping[str, Any], language: str, trust_configured: bool
) -> dict[str, Any]:
    claimed = summary.get("issuer") or {}
    trust = result.check("trust")
    institution = (trust.details.get("institution") if trust is not None else None) or None
    out: dict[str, Any] = {
        "id": claimed.get("id"),
        "claimedName": _name(claimed.get("names"), language, claimed.get("name")),
        "trusted": result.trusted,
        "trustListConfigured": trust_configured,
    }
    if result.trusted and institution:
        zh, en = institution.get("nameZh"), institution.get("nameEn")
        out["name"] = (en or zh) if language == "en" else (zh or en)
        other = zh if language == "en" else en
        out["otherName"] = other if other and other != out["name"] else None
        out["code"] = institution.get("code")
        out["domain"] = institution.get("domain")
        details = trust.details if trust is not None else {}
        out["operator"] = (details.get("trustList") or {}).get("operatorName") or details.get("operator")
    else:
        out["name"] = out["claimedName"]
        out["otherName"] = _other_name(claimed.get("names"), language)
        out["code"] = next(iter((claimed.get("identifiers") or {}).values()), None)
    college = (summary.get("microMajor") or {}).get("college") or {}
    out["college"] = _name(college.get("names"), language, college.get("name"))
    return out


def _status_fetch(result: VerificationResult) -> dict[str, Any]:
    status = result.check("status")
    entries = list(status.details.get("entries", [])) if status is not None else []
    fetched = [e.get("retrievedAt") for e in entries if e.get("retrievedAt")]
    return {
        "fetchedAt": _moment(min(fetched)) if fetched else None,
        "stale": any(e.get("stale") for e in entries),
        "lists": [e.get("list") for e in entries],
    }


def build_view(
    result: VerificationResult,
    language: str,
    *,
    source: str | None = None,
    trust_configured: bool = False,
) -> PageView:
    """The page's view of ``result`` in ``language`` (``en`` or ``zh``).

    ``trust_configured`` says whether the verifier has any trust list, so the page can tell
    "not on the list" (a warning) from "no list to ask" (a note).
    """
    summary: Mapping[str, Any] = result.summary or {}
    caution = result.outcome == "valid" and trust_configured and not result.trusted
    learner = summary.get("learner") or {}
    major = summary.get("microMajor") or {}
    credits = summary.get("credits") or {}
    study = summary.get("studyPeriod") or {}
    courses = [
        {
            "code": course.get("code"),
            "name": _name(course.get("names"), language, course.get("name")),
            "otherName": _other_name(course.get("names"), language),
            "credits": _number(course.get("credits")),
            "classHours": _number(course.get("classHours")),
            "result": course.get("result"),
        }
        for course in summary.get("courses") or []
    ]
    checks = [
        {
            "id": check.id,
            "label": render(CHECK_LABELS.get(check.id, check.id), language),
            "status": check.status.value,
            "statusLabel": render(STATUS_LABELS[check.status], language),
            "required": check.required,
            "message": check.message_in(language),
        }
        for check in result.checks
    ]
    data: dict[str, Any] = {
        "outcome": result.outcome,
        "verified": result.verified,
        "trusted": result.trusted,
        "headline": render(HEADLINES[result.outcome], language),
        "headlineOther": render(HEADLINES[result.outcome], "en" if language == "zh" else "zh"),
        "explanation": render(UNTRUSTED_EXPLANATION if caution else EXPLANATIONS[result.outcome], language),
        "caution": render(UNTRUSTED_CAUTION, language) if caution else None,
        "readable": result.summary is not None,
        "issuer": _issuer(result, summary, language, trust_configured),
        "learner": {
            "name": _name(learner.get("names"), language, learner.get("name")),
            "otherName": _other_name(learner.get("names"), language),
        },
        "microMajor": {
            "name": _name(major.get("names"), language, major.get("name")),
            "otherName": _other_name(major.get("names"), language),
            "code": major.get("code"),
            "field": major.get("fieldOfStudy"),
        },
        "courses": courses,
        "totals": {
            "credits": _number(credits.get("earned")),
            "creditsAvailable": _number(credits.get("available")),
            "classHours": _number(credits.get("classHours")),
        },
        "dates": {
            "issued": _day(summary.get("validFrom")),
            "validUntil": _day(summary.get("validUntil")),
            "studyStart": _day(study.get("start")),
            "studyEnd": _day(study.get("end")),
        },
        "certificateNumber": summary.get("certificateNumber"),
        "checks": checks,
        "statusList": _status_fetch(result),
        "source": source,
        "language": language,
    }
    return PageView(data)
