"""Structure the project promises: a verifier without issuer code, a complete public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import verifier

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_verifier_never_imports_issuer_code() -> None:
    offenders = [str(p) for p in (ROOT / "verifier").rglob("*.py") if "issuer" in _imports(p)]
    assert offenders == []


def test_verifier_outside_web_module_needs_no_web_or_database_framework() -> None:
    forbidden = {"fastapi", "sqlmodel", "sqlalchemy", "starlette"}
    offenders = [
        str(p) for p in (ROOT / "verifier").rglob("*.py") if p.name != "web.py" and _imports(p) & forbidden
    ]
    assert offenders == []


def test_verifier_runs_with_the_issuer_package_unavailable() -> None:
    code = (
        "import sys; sys.modules['issuer'] = None\n"
        "import json, verifier\n"
        "from verifier.cli import verify_command\n"
        "doc = json.load(open('tests/vectors/vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json'))\n"
        "r = verifier.verify_credential(doc)\n"
        "assert r.check('proof').ok, r.to_json()\n"
        "print('ok')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ok"


def test_public_api_is_explicit_and_importable() -> None:
    exported = verifier.__all__
    for name in exported:
        assert hasattr(verifier, name), name
    assert len(set(exported)) == len(exported)
    for required in (
        "verify_credential",
        "verify_presentation",
        "add_proof",
        "create_proof",
        "VerificationResult",
        "CHECK_IDS",
    ):
        assert required in exported


def test_check_ids_are_the_documented_contract() -> None:
    assert verifier.CHECK_IDS == (
        "format",
        "context",
        "schema",
        "proof",
        "issuer",
        "validity",
        "status",
        "trust",
    )


def test_public_api_is_complete() -> None:
    """Every public class and function of the modules a caller uses is exported."""
    import inspect

    from verifier import presentation, problems, result, trust, verify

    for module in (verify, result, problems, presentation, trust):
        for name, value in vars(module).items():
            if name.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            if getattr(value, "__module__", None) != module.__name__:
                continue
            assert name in verifier.__all__ or name in {"fail", "is_presentation", "find_issuer"}, name
