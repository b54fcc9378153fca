"""Sign and verify speed of the real 8-course credential, against baselines from the same run.

Run: ``.venv/bin/python bench/sign_verify.py [--iterations N]`` (after ``scripts/setup``).

Measured in one process run, so machine noise hits every row alike:

* the raw Ed25519 floor (sign/verify of 64 bytes with pyca/cryptography);
* microcred: ``add_proof`` (eddsa-rdfc-2022), ``verify_proofs`` (the proof alone) and
  ``verify_credential`` (all checks, status list preloaded), each call on a credential it has not
  seen before (they differ in ``id``), so the content memos never hit; and, for contrast,
  ``verify_credential`` of the same credential again (what a verifier re-checking a cached
  credential pays);
* Digital Bazaar's JavaScript reference (@digitalbazaar/vc + eddsa-rdfc-2022-cryptosuite, via
  ``bench/js/harness.mjs bench``), on the same credential and key;
* the hostile case: how long a blank-node clique takes to be refused.

Figures are reported as ratios to the JS reference (and to the Ed25519 floor); absolute times
are printed for context only. Results are written to bench/results/sign_verify-<time>.json.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from factories import NOW, STATUS_URL, golden_unsigned, sign, status_list, w3c_test_key  # noqa: E402

from verifier import CanonicalizationLimitError, canonize_quads, verify_credential  # noqa: E402
from verifier.canonical import Quad, iri_term  # noqa: E402
from verifier.dataintegrity import add_proof, verify_proofs  # noqa: E402
from verifier.dids import DIDResolver  # noqa: E402
from verifier.memo import clear_memos  # noqa: E402

T = TypeVar("T")


def _per_op_ms(function: Callable[[], object], iterations: int, repeats: int = 5) -> float:
    """Median over ``repeats`` runs of the mean time per call, in milliseconds."""
    for _ in range(max(3, iterations // 20)):
        function()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(iterations):
            function()
        samples.append((time.perf_counter() - started) / iterations * 1000)
    return statistics.median(samples)


def _per_document_ms(
    function: Callable[[T], object], documents: Iterator[T], iterations: int, repeats: int = 5
) -> float:
    """Like ``_per_op_ms``, but every call gets the next, never-seen document.

    The verifier memoizes expansion and canonicalization by content, so timing the same document
    over and over would measure dictionary lookups, not the work a new credential costs.
    """
    return _per_op_ms(lambda: function(next(documents)), iterations, repeats)


def _distinct(unsigned: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """An endless supply of copies of ``unsigned``, each with its own ``id``."""
    for n in itertools.count():
        document = copy.deepcopy(unsigned)
        document["id"] = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
        yield document


def _signed(documents: Iterator[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    """``count`` signed copies, made ahead of the timed loop so only verification is measured.

    Signing canonicalizes each document, and the memos keep the result: without clearing them,
    verifying the copies would look the canonical form up instead of computing it.
    """
    signed = [sign(next(documents)) for _ in range(count)]
    clear_memos()
    return iter(signed)


def _js_reference(unsigned: dict[str, Any], iterations: int) -> dict[str, Any]:
    key = ROOT / "tests" / "fixtures" / "keys" / "TEST-w3c-ed25519.keypair.json"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(unsigned, handle, ensure_ascii=False)
    completed = subprocess.run(
        [
            "node",
            str(ROOT / "bench" / "js" / "harness.mjs"),
            "bench",
            "--credential",
            handle.name,
            "--key",
            str(key),
            "--vm",
            w3c_test_key().did_key_method,
            "--iterations",
            str(iterations),
            "--warmup",
            "20",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def _clique_refusal_ms(size: int = 8) -> float:
    predicate = "http://example.com/p"
    quads = [
        Quad(f"_:n{i}", iri_term(predicate), f"_:n{j}", "", predicate)
        for i in range(size)
        for j in range(size)
        if i != j
    ]
    started = time.perf_counter()
    try:
        canonize_quads(quads)
    except CanonicalizationLimitError:
        return (time.perf_counter() - started) * 1000
    raise AssertionError("the clique was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    n = args.iterations
    per_row = max(3, n // 20) + 5 * n  # warm-up calls + 5 timed runs

    key = w3c_test_key()
    unsigned = golden_unsigned()
    signed = sign(unsigned)
    lists = {STATUS_URL: status_list()}
    resolver = DIDResolver()
    signer = key.signer()
    message = bytes(64)
    signature = key.private_key.sign(message)
    assert verify_credential(signed, now=NOW, status_lists=lists).verified

    rows = {
        "ed25519_sign_64_bytes": _per_op_ms(lambda: key.private_key.sign(message), n * 10),
        "ed25519_verify_64_bytes": _per_op_ms(lambda: key.public_key.verify(signature, message), n * 10),
        "microcred_sign": _per_document_ms(lambda d: add_proof(d, signer), _distinct(unsigned), n),
        "microcred_verify_proof": _per_document_ms(
            lambda d: verify_proofs(d, resolver=resolver, now=NOW), _signed(_distinct(unsigned), per_row), n
        ),
        "microcred_verify_credential_all_checks": _per_document_ms(
            lambda d: verify_credential(d, now=NOW, status_lists=lists),
            _signed(_distinct(unsigned), per_row),
            n,
        ),
        "microcred_verify_credential_same_document_again": _per_op_ms(
            lambda: verify_credential(signed, now=NOW, status_lists=lists), n
        ),
    }
    js = _js_reference(unsigned, n)
    rows["js_reference_sign"] = js["sign_ms_per_op"]
    rows["js_reference_verify_proof"] = js["verify_ms_per_op"]
    rows["hostile_clique_8_refused_after"] = _clique_refusal_ms()

    ratios = {
        "js_sign / microcred_sign": rows["js_reference_sign"] / rows["microcred_sign"],
        "js_verify / microcred_verify_proof": rows["js_reference_verify_proof"]
        / rows["microcred_verify_proof"],
        "js_verify / microcred_verify_credential_all_checks": rows["js_reference_verify_proof"]
        / rows["microcred_verify_credential_all_checks"],
        "microcred_verify_proof / ed25519_verify": rows["microcred_verify_proof"]
        / rows["ed25519_verify_64_bytes"],
    }
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu": platform.processor(),
        },
        "credential_bytes": len(json.dumps(signed, ensure_ascii=False).encode()),
        "iterations": n,
        "ms_per_op": {k: round(v, 4) for k, v in rows.items()},
        "ratios": {k: round(v, 2) for k, v in ratios.items()},
        "js_versions": js.get("versions", {}),
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"sign_verify-{report['when'].replace(':', '')}.json").write_text(
        json.dumps(report, indent=2) + "\n"
    )
    print(f"credential: {report['credential_bytes']} bytes, {n} iterations per row (median of 5)")
    for name, value in rows.items():
        print(f"  {name:<42} {value:9.3f} ms")
    for name, value in ratios.items():
        print(f"  {name:<52} {value:6.2f}x")


if __name__ == "__main__":
    main()
