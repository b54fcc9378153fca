"""The command line, run as a user runs it (a real subprocess of the installed entry point)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from factories import FIXTURES, VECTORS, golden_unsigned, w3c_test_key

from issuer.cli_service import port_mismatch
from issuer.settings import Settings
from verifier.configured import ENVIRONMENT
from verifier.web_config import WEB_ENVIRONMENT

# The entry point installed next to the interpreter running the tests (the venv's bin/).
MICROCRED = str(Path(sys.executable).parent / "microcred")
NEGATIVE = FIXTURES / "negative"
GOLDEN_PROOF_VALUE = (
    "z5aKLEvqcP4TKKm2yEpar64EWHHhsA4yoVpmYPEnuXmiFKeSRp9nRrJ2djgo4WfH66NSW5MYVHdS71m9KhTZjbWBy"
)


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "LANG": "C.UTF-8", "MICROCRED_LANG": "en", **(env or {})}
    return subprocess.run(
        [MICROCRED, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        check=False,
        timeout=60,
    )


def _verify_json(*args: str) -> tuple[int, Any]:
    completed = run("verify", "--json", "--offline", "--at", "2025-09-01T00:00:00Z", *args)
    return completed.returncode, json.loads(completed.stdout)


def test_verify_exit_0_when_verified_with_the_documented_json_shape() -> None:
    code, output = _verify_json(
        "--status-list", str(NEGATIVE / "status-list-clear.json"), str(FIXTURES / "golden" / "signed.json")
    )
    assert code == 0
    assert output["verified"] is True
    assert [c["id"] for c in output["checks"]] == [
        "format",
        "context",
        "schema",
        "proof",
        "issuer",
        "validity",
        "status",
        "trust",
    ]
    for check in output["checks"]:
        assert set(check) >= {"id", "status", "message"}
    summary = output["summary"]
    assert summary["issuer"]["name"] == "示范科技大学"
    assert summary["learner"]["name"] == "王小明"
    assert summary["microMajor"]["name"] == "粉体材料智能制造"
    assert summary["credits"]["earned"] == 12


def test_verify_exit_1_when_not_verified_naming_the_check() -> None:
    code, output = _verify_json(
        "--status-list", str(NEGATIVE / "status-list-clear.json"), str(NEGATIVE / "tampered_name.json")
    )
    assert code == 1
    proof = next(c for c in output["checks"] if c["id"] == "proof")
    assert proof["status"] == "failed"
    assert proof["problem"]["type"] == "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR"


def test_verify_reports_revoked() -> None:
    code, output = _verify_json(
        "--status-list", str(NEGATIVE / "status-list-revoked.json"), str(NEGATIVE / "revoked.json")
    )
    assert code == 1
    assert output["outcome"] == "revoked"


def test_offline_without_a_status_list_is_unknown_not_valid() -> None:
    code, output = _verify_json(str(FIXTURES / "golden" / "signed.json"))
    assert code == 1
    assert output["outcome"] == "unknown"


def test_verify_reads_stdin() -> None:
    data = (VECTORS / "vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json").read_bytes()
    completed = run("verify", "--json", "--offline", "-", stdin=data)
    output = json.loads(completed.stdout)
    assert next(c for c in output["checks"] if c["id"] == "proof")["status"] == "passed"


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["verify", "/nonexistent/credential.json"], None),
        (["verify", "-"], b"this is not json"),
        (["verify", "--at", "yesterday", "-"], b"{}"),
        (["verify"], None),
        (["verify", "--status-list", "/nonexistent.json", "-"], b"{}"),
    ],
    ids=["missing-file", "not-json", "bad-date", "no-argument", "missing-status-list"],
)
def test_verify_exit_2_on_usage_errors_and_unreadable_input(args: list[str], stdin: bytes | None) -> None:
    completed = run(*args, stdin=stdin)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip()


def test_human_output_in_chinese() -> None:
    completed = run(
        "verify",
        "--offline",
        "--lang",
        "zh",
        "--at",
        "2025-09-01T00:00:00Z",
        "--status-list",
        str(NEGATIVE / "status-list-revoked.json"),
        str(NEGATIVE / "revoked.json"),
    )
    assert completed.returncode == 1
    assert "已撤销" in completed.stdout
    assert "颁发者已撤销该凭证" in completed.stdout


def test_verify_presentation() -> None:
    credential = json.loads((FIXTURES / "golden" / "signed.json").read_text("utf-8"))
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential],
    }
    completed = run(
        "verify",
        "--json",
        "--offline",
        "--at",
        "2025-09-01T00:00:00Z",
        "--status-list",
        str(NEGATIVE / "status-list-clear.json"),
        "-",
        stdin=json.dumps(presentation).encode(),
    )
    assert completed.returncode == 0
    assert json.loads(completed.stdout)["credentials"][0]["verified"] is True


def test_sign_reproduces_the_golden_proof_value(tmp_path: Path) -> None:
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(golden_unsigned(), ensure_ascii=False), "utf-8")
    out = tmp_path / "signed.json"
    completed = run(
        "sign",
        str(unsigned),
        "--key",
        str(FIXTURES / "keys" / "TEST-w3c-ed25519.keypair.json"),
        "--verification-method",
        w3c_test_key().did_key_method,
        "--created",
        "2025-07-01T00:00:00Z",
        "-o",
        str(out),
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(out.read_text("utf-8"))["proof"]["proofValue"] == GOLDEN_PROOF_VALUE


def test_sign_refuses_what_cannot_be_signed_losslessly(tmp_path: Path) -> None:
    document = golden_unsigned()
    document["credentialSubject"]["undefinedTerm"] = "x"
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(document), "utf-8")
    completed = run(
        "sign",
        str(unsigned),
        "--key",
        str(FIXTURES / "keys" / "TEST-w3c-ed25519.keypair.json"),
        "--verification-method",
        w3c_test_key().did_key_method,
    )
    assert completed.returncode == 1
    assert "undefinedTerm" in completed.stderr


@pytest.mark.parametrize(
    ("key_content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"publicKeyMultibase": "z6Mk"}', "secretKeyMultibase"),
        (None, "cannot read"),
    ],
)
def test_sign_with_a_bad_key_file(tmp_path: Path, key_content: str | None, message: str) -> None:
    key = tmp_path / "key.json"
    if key_content is not None:
        key.write_text(key_content, "utf-8")
    completed = run("sign", "-", "--key", str(key), "--verification-method", "did:key:x#x", stdin=b"{}")
    assert completed.returncode == 2
    assert message in completed.stderr


def test_sign_with_mismatched_key_halves(tmp_path: Path) -> None:
    good = json.loads((FIXTURES / "keys" / "TEST-w3c-ed25519.keypair.json").read_text("utf-8"))
    other = json.loads((FIXTURES / "keys" / "TEST-other-ed25519.keypair.json").read_text("utf-8"))
    good["publicKeyMultibase"] = other["publicKeyMultibase"]
    key = tmp_path / "key.json"
    key.write_text(json.dumps(good), "utf-8")
    completed = run("sign", "-", "--key", str(key), "--verification-method", "did:key:x#x", stdin=b"{}")
    assert completed.returncode == 2
    assert "does not belong" in completed.stderr


def test_keys_generate_writes_a_private_file_and_prints_its_did(tmp_path: Path) -> None:
    completed = run("keys", "generate", "-o", str(tmp_path / "k.json"))
    assert completed.returncode == 0
    did = completed.stdout.strip()
    assert did.startswith("did:key:z6Mk")
    written = json.loads((tmp_path / "k.json").read_text("utf-8"))
    assert written["controller"] == did
    assert stat.S_IMODE((tmp_path / "k.json").stat().st_mode) == 0o600
    assert written["secretKeyMultibase"] not in completed.stdout + completed.stderr  # never echoed
    again = run("keys", "generate", "-o", str(tmp_path / "k.json"))
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_demo_seeds_issues_revokes_and_writes_files(tmp_path: Path) -> None:
    env = {
        "MICROCRED_DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3",
        "MICROCRED_KEYS_DIR": str(tmp_path / "keys"),
    }
    completed = run("demo", "--out", str(tmp_path / "demo"), cwd=tmp_path, env=env)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("VALID ") == 8
    assert completed.stdout.count("REVOKED") == 1
    assert completed.stdout.count("NOT ELIGIBLE") == 3
    files = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert {
        "did.json",
        "status-revocation-1.json",
        "status-suspension-1.json",
        "cohort-records.gb18030.csv",
    } <= set(files)
    for suffix in (".json", ".qr.txt", ".qr.png"):  # each certificate, its QR text and QR image
        assert sum(1 for name in files if name.startswith("WZY-PM-2024-") and name.endswith(suffix)) == 9
    # Running it again changes nothing already done.
    again = run("demo", "--out", str(tmp_path / "demo"), cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("VALID ") == 8
    # The command the demo prints for offline verification works as printed.
    hint = next(line for line in again.stdout.splitlines() if line.startswith("Verify offline:"))
    printed = hint.split("microcred ", 1)[1].split()
    assert run(*printed).returncode == 0, printed
    credential = sorted((tmp_path / "demo").glob("WZY-PM-2024-*-000001.json"))[0]
    lists = [
        arg
        for name in ("status-revocation-1.json", "status-suspension-1.json")
        for arg in ("--status-list", str(tmp_path / "demo" / name))
    ]
    verify = run(
        "verify", "--offline", "--did-document", str(tmp_path / "demo" / "did.json"), *lists, str(credential)
    )
    assert verify.returncode == 0, verify.stdout

    # The same database exports the static files a web server or CDN would serve.
    site = tmp_path / "site"
    exported = run("status", "export", "--out", str(site), cwd=tmp_path, env=env)
    assert exported.returncode == 0, exported.stderr
    assert json.loads((site / ".well-known" / "did.json").read_bytes()) == json.loads(
        (tmp_path / "demo" / "did.json").read_bytes()
    )
    assert json.loads((site / "status" / "revocation" / "1").read_bytes()) == json.loads(
        (tmp_path / "demo" / "status-revocation-1.json").read_bytes()
    )
    assert "http://127.0.0.1:8000/status/revocation/1" in exported.stdout


# Verbs and flags the issues name: other people's scripts depend on them.
CONTRACT = {
    (): (
        "verify",
        "sign",
        "keys",
        "demo",
        "serve",
        "programme",
        "records",
        "issue",
        "revoke",
        "suspend",
        "unsuspend",
        "audit",
        "status",
    ),
    ("serve",): ("--host", "--port"),
    ("programme",): ("import",),
    ("records", "import"): ("--programme",),
    ("issue",): ("--programme", "--dry-run", "--out"),
    ("revoke",): ("--reason", "CERT_NO"),
    ("suspend",): ("CERT_NO",),
    ("unsuspend",): ("CERT_NO",),
    ("keys",): ("generate", "rotate", "list"),
    ("audit",): ("verify",),
    ("demo",): ("--out",),
    ("status", "export"): ("--out",),
}


@pytest.mark.parametrize("command", list(CONTRACT), ids=lambda c: " ".join(c) or "microcred")
def test_help_lists_the_contract_verbs_and_flags(command: tuple[str, ...]) -> None:
    completed = run(*command, "--help", env={"COLUMNS": "200"})
    assert completed.returncode == 0, completed.stderr
    for word in CONTRACT[command]:
        assert word in completed.stdout, f"microcred {' '.join(command)} --help does not mention {word}"


def test_serve_warns_when_the_base_url_points_at_another_local_port() -> None:
    assert port_mismatch("http://127.0.0.1:8000", 8000) is None
    assert port_mismatch("https://cert.example.edu.cn", 8000) is None  # behind a proxy: fine
    warning = port_mismatch("http://127.0.0.1:8000", 9000)
    assert warning is not None
    assert "MICROCRED_BASE_URL=http://127.0.0.1:9000" in warning
    assert port_mismatch("http://localhost", 80) is None


def test_serve_refuses_a_bad_verifier_setting_before_starting(tmp_path: Path) -> None:
    completed = run(
        "serve",
        "--port",
        "1",
        cwd=tmp_path,
        env={
            "MICROCRED_VERIFY_CONCURRENCY": "0",
            "MICROCRED_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        },
    )
    assert completed.returncode == 2
    assert "MICROCRED_VERIFY_CONCURRENCY must be a positive whole number" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # refused before anything was opened


def test_readme_shows_the_current_help_text() -> None:
    """The README embeds `microcred --help` and `microcred verify --help`; keep them in sync."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    for args in (["--help"], ["verify", "--help"], ["sign", "--help"]):
        text = run(*args, env={"COLUMNS": "100"}).stdout.strip()
        assert text in readme, f"README is missing the output of microcred {' '.join(args)}"


def test_readme_documents_every_setting() -> None:
    """Every MICROCRED_* setting of the issuer is in the README's configuration table."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    for name in Settings.model_fields:
        assert f"| `MICROCRED_{name.upper()}` |" in readme, (
            f"README does not document MICROCRED_{name.upper()}"
        )


def test_readme_documents_every_verifier_setting() -> None:
    """Every MICROCRED_* variable the verifier (CLI, library, web page) reads is in the README."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    for name in {**ENVIRONMENT, **WEB_ENVIRONMENT}:
        assert f"| `{name}` |" in readme, f"README does not document {name}"
