"""Trust lists: signed by a configured registry, verified in full, and an honest trust check.

The golden credential is issued by the W3C test key's did:key; the registry signs with a second
test key. Each negative case asserts *why* a list is refused, and that an unknown or unchecked
issuer never changes ``verified``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import (
    FIXTURES,
    NOW,
    SIGNED_AT,
    STATUS_URL,
    golden_signed,
    other_key,
    status_list,
    w3c_test_key,
)
from http_site import Site

from verifier.cache import HttpCache
from verifier.fetch import HttpFetcher
from verifier.i18n import t
from verifier.result import CheckStatus, VerificationResult
from verifier.trust import TrustedIssuer, TrustList, UnusableTrustList, find_issuer
from verifier.trust_lists import TrustListError, TrustListProvider, read_trust_list
from verifier.trust_registry import (
    TrustListEditError,
    add_issuer,
    new_trust_list,
    remove_issuer,
    sign_trust_list,
    unsigned_copy,
)
from verifier.verify import verify_credential

MICROCRED = str(Path(sys.executable).parent / "microcred")
LISTED_AT = datetime(2025, 8, 1, tzinfo=UTC)
NAME_ZH = "示范科技大学"
NAME_EN = "Demonstration University of Science and Technology"


def _university(**kwargs: Any) -> TrustedIssuer:
    return TrustedIssuer(w3c_test_key().did_key, NAME_ZH, NAME_EN, "4111099999", "demo.edu.cn", **kwargs)


def _signed_list(
    *issuers: TrustedIssuer, now: datetime = LISTED_AT, days: int = 90, registry_name: str = "示范认证中心"
) -> dict[str, Any]:
    registry = other_key()
    document = new_trust_list(registry=registry.did_key, registry_name=registry_name, name="测试名单")
    for issuer in issuers or (_university(),):
        document = add_issuer(document, issuer)
    return sign_trust_list(document, registry.signer(), now=now, valid_for=timedelta(days=days))


def _verify(trust_lists: Any) -> VerificationResult:
    return verify_credential(
        golden_signed(), now=NOW, status_lists={STATUS_URL: status_list()}, trust_lists=trust_lists
    )


def _registries() -> set[str]:
    return {other_key().did_key}


# --- The trust check ---------------------------------------------------------------------------


def test_trusted_issuer_is_named_as_the_trust_list_names_it() -> None:
    trust_list = read_trust_list(_signed_list(), registries=_registries(), now=NOW)
    result = _verify([trust_list])
    assert result.verified
    assert result.trusted
    trust = result.check("trust")
    assert trust is not None
    assert trust.details["institution"] == {
        "nameZh": NAME_ZH,
        "nameEn": NAME_EN,
        "code": "4111099999",
        "domain": "demo.edu.cn",
    }
    assert trust.details["trustList"]["operatorName"] == "示范认证中心"
    assert trust.details["trustList"]["sequence"] == 1
    assert trust.message_in("zh") == f"示范认证中心 登记 {w3c_test_key().did_key} 为 {NAME_ZH} ({NAME_EN})。"
    assert result.to_json()["trusted"] is True


def test_unknown_issuer_with_a_valid_signature_is_a_clear_warning() -> None:
    stranger = TrustedIssuer("did:web:other.example.edu.cn", "另一所大学")
    result = _verify([read_trust_list(_signed_list(stranger), registries=_registries(), now=NOW)])
    assert result.verified
    assert result.outcome == "valid"
    assert not result.trusted
    trust = result.check("trust")
    assert trust is not None
    assert trust.status is CheckStatus.FAILED
    assert not trust.required
    assert (
        "the signature is genuine, but nothing confirms which institution holds this key"
        in trust.message_in()
    )
    assert "签名是真实的" in trust.message_in("zh")
    assert result.to_json()["verified"] is True
    assert result.to_json()["trusted"] is False


def test_lists_are_consulted_most_authoritative_first() -> None:
    first = TrustList.of("did:web:a", [TrustedIssuer("did:x", "甲")])
    second = TrustList.of("did:web:b", [TrustedIssuer("did:x", "乙")])
    unusable = UnusableTrustList("x", t("it expired on {date}", date="2025-01-01"))
    found = find_issuer([unusable, first, second], "did:x")
    assert found is not None
    assert found[0] is first


def test_entry_validity_is_judged_at_the_time_of_signing() -> None:
    before = _university(valid_until=SIGNED_AT - timedelta(days=30))
    result = _verify([read_trust_list(_signed_list(before), registries=_registries(), now=NOW)])
    trust = result.check("trust")
    assert trust is not None
    assert trust.status is CheckStatus.FAILED
    assert "only from — until 2025-06-01; this credential was signed on 2025-07-01" in trust.message_in()
    assert result.verified
    # Signed while listed: still trusted after the listing ended (the credential's history holds).
    during = _university(valid_from=SIGNED_AT - timedelta(days=1), valid_until=SIGNED_AT + timedelta(days=1))
    assert _verify([read_trust_list(_signed_list(during), registries=_registries(), now=NOW)]).trusted


def test_an_unusable_list_makes_the_trust_check_could_not_check_not_unknown_issuer() -> None:
    reason = TrustListProvider(["/nonexistent/trust-list.json"], registries=_registries()).current()
    [unusable] = reason
    assert isinstance(unusable, UnusableTrustList)
    result = _verify(reason)
    trust = result.check("trust")
    assert trust is not None
    assert trust.status is CheckStatus.UNKNOWN
    assert (
        "could not be checked: the trust list /nonexistent/trust-list.json could not be used"
        in trust.message_in()
    )
    assert result.verified
    assert result.outcome == "valid"
    assert not result.trusted


# --- Refused lists -----------------------------------------------------------------------------


def test_a_list_signed_by_an_unconfigured_registry_is_refused(tmp_path: Path) -> None:
    signed = _signed_list()
    with pytest.raises(TrustListError, match="not a registry this verifier is configured to trust"):
        read_trust_list(signed, registries={"did:web:registry.example.org"}, now=NOW)
    path = tmp_path / "list.json"
    path.write_text(json.dumps(signed), "utf-8")
    provider = TrustListProvider([str(path)], registries={"did:web:registry.example.org"}, clock=lambda: NOW)
    result = _verify(provider.current())
    trust = result.check("trust")
    assert trust is not None
    assert trust.status is CheckStatus.UNKNOWN
    assert "not a registry this verifier is configured to trust" in trust.message_in()
    assert not result.trusted


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["credentialSubject"][0]["nameMap"].update(zh="冒名大学"),
        lambda d: d["credentialSubject"].append({**d["credentialSubject"][0], "id": "did:web:evil.example"}),
        lambda d: d.update(validUntil="2099-01-01T00:00:00Z"),
    ],
    ids=["renamed", "issuer-added", "extended"],
)
def test_a_tampered_list_is_refused(tamper: Any) -> None:
    signed = _signed_list()
    tamper(signed)
    with pytest.raises(TrustListError, match="it is not valid: The signature does not match the credential"):
        read_trust_list(signed, registries=_registries(), now=NOW)


def test_an_expired_list_is_refused_and_a_held_list_expires(tmp_path: Path) -> None:
    old = _signed_list(now=datetime(2025, 1, 1, tzinfo=UTC), days=30)
    with pytest.raises(TrustListError, match="it expired on 2025-01-31T00:00:00Z"):
        read_trust_list(old, registries=_registries(), now=NOW)
    clock = [NOW]
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps(_signed_list(days=60)), "utf-8")
    provider = TrustListProvider([str(path)], registries=_registries(), clock=lambda: clock[0])
    assert isinstance(provider.current()[0], TrustList)
    clock[0] = LISTED_AT + timedelta(days=61)
    [expired] = provider.current()
    assert isinstance(expired, UnusableTrustList)
    assert "expired" in expired.reason.render("en")


def test_a_credential_that_is_not_a_trust_list_is_refused() -> None:
    with pytest.raises(TrustListError, match="not a trust list"):
        read_trust_list(golden_signed(), registries=None, now=NOW)
    with pytest.raises(TrustListError, match="not valid JSON"):
        read_trust_list(b"{", registries=None, now=NOW)


def test_the_trust_list_schema_is_enforced() -> None:
    registry = other_key()
    document = add_issuer(new_trust_list(registry=registry.did_key), _university())
    del document["credentialSubject"][0]["nameMap"]
    signed = sign_trust_list(document, registry.signer(), now=LISTED_AT)
    with pytest.raises(TrustListError, match="does not match the microcred trust list schema"):
        read_trust_list(signed, registries=_registries(), now=NOW)


def test_a_duplicate_entry_is_refused() -> None:
    registry = other_key()
    document = add_issuer(new_trust_list(registry=registry.did_key), _university())
    document["credentialSubject"].append(dict(document["credentialSubject"][0]))
    signed = sign_trust_list(document, registry.signer(), now=LISTED_AT)
    with pytest.raises(TrustListError, match="twice"):
        read_trust_list(signed, registries=_registries(), now=NOW)


# --- Where lists come from ---------------------------------------------------------------------


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps(_signed_list()), "utf-8")
    provider = TrustListProvider([str(path)], registries=_registries(), clock=lambda: NOW)
    first = provider.current()[0]
    assert isinstance(first, TrustList)
    assert provider.current()[0] is first  # unchanged bytes: not verified again
    stranger = TrustedIssuer("did:web:other.example.edu.cn", "另一所大学")
    path.write_text(json.dumps(_signed_list(stranger)), "utf-8")
    second = provider.current()[0]
    assert isinstance(second, TrustList)
    assert list(second.issuers) == ["did:web:other.example.edu.cn"]


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site()
    yield running
    running.stop()


def test_a_list_at_a_url_is_cached_and_used_stale_when_the_registry_is_down() -> None:
    site = Site()
    site.put("/trust-list.json", _signed_list(), Cache_Control="max-age=60")
    clock = [NOW]
    network = HttpFetcher(allow_loopback_http=True)
    try:
        cache = HttpCache(network, clock=lambda: clock[0])
        provider = TrustListProvider(
            [site.url("/trust-list.json")], registries=_registries(), fetch=cache, clock=lambda: clock[0]
        )
        first = provider.current()[0]
        assert isinstance(first, TrustList)
        assert first.retrieved_at == NOW
        assert not first.stale
        site.stop()
        clock[0] = NOW + timedelta(hours=2)
        held = provider.current()[0]
        assert isinstance(held, TrustList)
        assert held.stale
        result = _verify([held])
        assert result.trusted
        trust = result.check("trust")
        assert trust is not None
        assert trust.details["trustList"]["stale"] is True
    finally:
        network.close()


def test_a_did_web_registry_is_resolved_through_the_cache(site: Site) -> None:
    registry_key = other_key()
    did = f"did:web:127.0.0.1%3A{site.port}"
    method = f"{did}#registry-key-1"
    site.put(
        "/.well-known/did.json",
        {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [
                {
                    "id": method,
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": registry_key.public_key.multibase,
                }
            ],
            "assertionMethod": [method],
        },
        Cache_Control="max-age=300",
    )
    document = add_issuer(new_trust_list(registry=did, registry_name="Registry"), _university())
    signed = sign_trust_list(document, registry_key.signer(method), now=LISTED_AT)
    site.put("/trust-list.json", signed)
    network = HttpFetcher(allow_loopback_http=True)
    try:
        cache = HttpCache(network, clock=lambda: NOW)
        provider = TrustListProvider(
            [site.url("/trust-list.json")],
            registries={did},
            fetch=cache,
            allow_loopback_http=True,
            clock=lambda: NOW,
        )
        [trust_list] = provider.current()
        assert isinstance(trust_list, TrustList), trust_list
        assert trust_list.operator == did
        assert _verify([trust_list]).trusted
    finally:
        network.close()


# --- Writing lists -----------------------------------------------------------------------------


def test_entries_are_added_replaced_and_removed_without_touching_the_argument() -> None:
    empty = new_trust_list(registry=other_key().did_key, list_id="https://registry.example.org/list.json")
    one = add_issuer(empty, _university())
    assert empty["credentialSubject"] == []
    renamed = add_issuer(one, TrustedIssuer(w3c_test_key().did_key, "新名字"))
    assert [e["name"] for e in renamed["credentialSubject"]] == ["新名字"]
    assert remove_issuer(renamed, w3c_test_key().did_key)["credentialSubject"] == []
    with pytest.raises(TrustListEditError, match="not on the list"):
        remove_issuer(empty, "did:web:x")
    with pytest.raises(TrustListEditError, match="DID without a fragment"):
        add_issuer(empty, TrustedIssuer("https://example.org", "名"))
    with pytest.raises(TrustListEditError, match="must be a DID"):
        new_trust_list(registry="https://example.org")


def test_signing_numbers_dates_and_checks_the_key() -> None:
    registry = other_key()
    document = new_trust_list(registry=registry.did_key)
    with pytest.raises(TrustListEditError, match="names no issuer yet"):
        sign_trust_list(document, registry.signer(), now=LISTED_AT)
    document = add_issuer(document, _university())
    with pytest.raises(TrustListEditError, match="does not belong to the list's registry"):
        sign_trust_list(document, w3c_test_key().signer(), now=LISTED_AT)
    first = sign_trust_list(document, registry.signer(), now=LISTED_AT, valid_for=timedelta(days=10))
    assert (first["validFrom"], first["validUntil"], first["sequenceNumber"]) == (
        "2025-08-01T00:00:00Z",
        "2025-08-11T00:00:00Z",
        1,
    )
    second = sign_trust_list(unsigned_copy(first), registry.signer(), now=LISTED_AT)
    assert second["sequenceNumber"] == 2
    assert "proof" not in unsigned_copy(second)


# --- The command line --------------------------------------------------------------------------


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "LANG": "C.UTF-8",
        "MICROCRED_LANG": "en",
        "MICROCRED_CACHE_DIR": str(cwd / "cache"),
        "MICROCRED_TRUST_LISTS": "",
        "MICROCRED_TRUST_REGISTRIES": "",
        **(env or {}),
    }
    return subprocess.run(
        [MICROCRED, *args], capture_output=True, text=True, cwd=cwd, env=full_env, check=False, timeout=120
    )


def test_a_registry_operator_builds_signs_and_publishes_a_list(tmp_path: Path) -> None:
    created = _run(
        "trust", "init-registry", "--name", "示范认证中心", "--list-name", "高校名单", cwd=tmp_path
    )
    assert created.returncode == 0, created.stderr
    registry = created.stdout.strip().splitlines()[0]
    assert registry.startswith("did:key:z6Mk")
    assert oct((tmp_path / "registry-key.json").stat().st_mode & 0o777) == "0o600"
    assert "secretKeyMultibase" not in created.stdout + created.stderr
    issuer = w3c_test_key().did_key
    added = _run(
        "trust", "add", issuer, "--name-zh", NAME_ZH, "--name-en", NAME_EN, "--code", "4111099999",
        "--domain", "demo.edu.cn", cwd=tmp_path,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert _run("trust", "add", "did:web:gone.example", "--name-zh", "将删除", cwd=tmp_path).returncode == 0
    assert _run("trust", "remove", "did:web:gone.example", cwd=tmp_path).returncode == 0
    assert _run("trust", "remove", "did:web:gone.example", cwd=tmp_path).returncode == 2
    unsigned = _run("trust", "show", "trust-list.json", cwd=tmp_path)
    assert "unsigned" in unsigned.stdout
    assert NAME_ZH in unsigned.stdout
    signed = _run("trust", "sign", "-o", "signed.json", "--valid-days", "30", cwd=tmp_path)
    assert signed.returncode == 0, signed.stderr
    assert "number 1 (1 issuers" in signed.stdout
    assert json.loads((tmp_path / "trust-list.json").read_text("utf-8"))["sequenceNumber"] == 1
    shown = _run("trust", "show", "signed.json", "--registry", registry, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Verified: signed by 示范认证中心" in shown.stdout
    assert f"{issuer}  {NAME_ZH} / {NAME_EN}  (4111099999, demo.edu.cn)" in shown.stdout
    foreign = _run("trust", "show", "signed.json", "--registry", "did:web:registry.example.org", cwd=tmp_path)
    assert foreign.returncode == 1
    assert "not a registry this verifier is configured to trust" in foreign.stderr

    # An employer's verifier configured with the list and its registry.
    (tmp_path / "status.json").write_text(json.dumps(status_list()), "utf-8")
    verify = [
        "verify", "--json", "--offline", "--at", "2025-09-01T00:00:00Z",
        "--status-list", "status.json", str(FIXTURES / "golden" / "signed.json"),
    ]  # fmt: skip
    trusted = _run(*verify, "--trust-list", "signed.json", "--registry", registry, cwd=tmp_path)
    output = json.loads(trusted.stdout)
    assert trusted.returncode == 0, trusted.stderr
    assert (output["verified"], output["trusted"]) == (True, True)
    by_env = _run(
        *verify,
        cwd=tmp_path,
        env={"MICROCRED_TRUST_LISTS": "signed.json", "MICROCRED_TRUST_REGISTRIES": registry},
    )
    assert json.loads(by_env.stdout)["trusted"] is True
    human = _run(
        *verify[:1], *verify[2:], "--trust-list", "signed.json", "--registry", registry, cwd=tmp_path
    )
    assert f"Listed as: {NAME_ZH} / {NAME_EN} [示范认证中心]" in human.stdout
    unconfigured = _run(*verify, "--trust-list", "signed.json", cwd=tmp_path)
    output = json.loads(unconfigured.stdout)
    assert unconfigured.returncode == 0
    assert (output["verified"], output["trusted"]) == (True, False)
    assert [c["status"] for c in output["checks"] if c["id"] == "trust"] == ["unknown"]


def test_trust_commands_refuse_bad_input(tmp_path: Path) -> None:
    assert _run("trust", "add", "did:web:x", "--name-zh", "甲", cwd=tmp_path).returncode == 2  # no list yet
    assert _run("trust", "init-registry", cwd=tmp_path).returncode == 0
    again = _run("trust", "init-registry", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    empty = _run("trust", "sign", "-o", "signed.json", cwd=tmp_path)
    assert empty.returncode == 2
    assert "names no issuer yet" in empty.stderr
    bad_date = _run(
        "trust", "add", "did:web:x", "--name-zh", "甲", "--valid-until", "2025-01-01", cwd=tmp_path
    )
    assert bad_date.returncode == 2
    (tmp_path / "broken.json").write_text("{", "utf-8")
    assert _run("trust", "show", "broken.json", cwd=tmp_path).returncode == 2
    for entry_point in ("microcred", "microcred-verify"):
        helped = subprocess.run(
            [str(Path(sys.executable).parent / entry_point), "trust", "--help"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert helped.returncode == 0
        assert "init-registry" in helped.stdout


def test_a_list_at_a_url_with_no_network_is_unusable_and_says_why() -> None:
    provider = TrustListProvider(["https://registry.example.org/list.json"], registries=_registries())
    [unusable] = provider.current()
    assert isinstance(unusable, UnusableTrustList)
    assert "no network access" in unusable.reason.render("en")
    assert "无法联网" in unusable.reason.render("zh")


def test_entries_and_lists_describe_themselves_for_the_result() -> None:
    entry = _university(valid_from=SIGNED_AT, valid_until=SIGNED_AT + timedelta(days=1))
    assert entry.to_json()["validUntil"] == "2025-07-02T00:00:00+00:00"
    assert entry.listed_at(SIGNED_AT)
    assert not entry.listed_at(SIGNED_AT - timedelta(seconds=1))
    trust_list = read_trust_list(_signed_list(entry), registries=_registries(), now=NOW, source="list.json")
    assert trust_list.to_json()["source"] == "list.json"
    assert trust_list.label == "示范认证中心"
    assert TrustList.of("did:web:r", []).label == "did:web:r"
