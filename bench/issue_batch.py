"""Batch issuing: import a cohort's records and issue 10,000 certificates (no PDFs).

Run: ``.venv/bin/python bench/issue_batch.py [--learners 10000] [--database-url URL]``
(after ``scripts/setup``). The default database is a fresh SQLite file; pass a PostgreSQL URL to
measure that instead (the database must exist and be empty or new).

Reported next to a baseline measured in the same run: the time to build, sign and verify one
credential in a single process (cold: every document distinct), i.e. the CPU floor of one core.
The target is under 60 s for 10,000 credentials on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from factories import NOW, STATUS_URL, golden_unsigned, sign, status_list  # noqa: E402
from service.conftest import make_service  # noqa: E402
from service.support import cohort  # noqa: E402

from issuer.cohorts import import_records  # noqa: E402
from issuer.db import make_engine, migrate  # noqa: E402
from issuer.demo import PROGRAMME_FILE  # noqa: E402
from issuer.identity import InstitutionInfo, ensure_signing_key, set_institution  # noqa: E402
from issuer.issuance import issue_programme  # noqa: E402
from issuer.programme_file import parse_programme_file  # noqa: E402
from issuer.programmes import import_programmes  # noqa: E402
from issuer.signing import default_workers  # noqa: E402
from verifier import verify_credential  # noqa: E402
from verifier.dids import DIDResolver  # noqa: E402
from verifier.status import StatusListSource  # noqa: E402

CODE = "WZY-PM-2024"


def baseline_ms(samples: int = 50) -> float:
    """Build + sign + verify one credential in this process, each document distinct (no memo hits)."""
    lists = StatusListSource(documents={STATUS_URL: status_list()})
    resolver = DIDResolver()
    started = time.perf_counter()
    for n in range(samples):
        document = golden_unsigned()
        document["id"] = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
        signed = sign(document)
        assert verify_credential(signed, now=NOW, resolver=resolver, status_lists=lists).verified
    return (time.perf_counter() - started) / samples * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=None, help="signing processes (default: one per core)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        service = make_service(url, Path(tmp) / "keys")
        set_institution(
            service, InstitutionInfo("示范科技大学", None, "4199999999", "example.edu.cn"), actor="bench"
        )
        ensure_signing_key(service, actor="bench")
        import_programmes(
            service, parse_programme_file(PROGRAMME_FILE.read_bytes(), PROGRAMME_FILE.name), actor="bench"
        )
        records = cohort(args.learners)

        started = time.perf_counter()
        import_records(service, CODE, records, "cohort.csv", actor="bench")
        import_seconds = time.perf_counter() - started

        started = time.perf_counter()
        result = issue_programme(service, CODE, actor="bench", workers=args.workers)
        issue_seconds = time.perf_counter() - started
        service.close()

    floor = baseline_ms()
    issued = len(result.issued)
    per_credential = issue_seconds / issued * 1000
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": url.split(":", 1)[0],
        "learners": args.learners,
        "record_rows": args.learners * 8,
        "cores": os.cpu_count(),
        "workers": args.workers or default_workers(),
        "import_seconds": round(import_seconds, 1),
        "issued": issued,
        "issue_seconds": round(issue_seconds, 1),
        "ms_per_credential": round(per_credential, 2),
        "baseline_single_process_build_sign_verify_ms": round(floor, 2),
        "speed_vs_single_process_baseline": round(floor / per_credential, 2),
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"issue_batch-{report['when'].replace(':', '')}.json").write_text(
        json.dumps(report, indent=2) + "\n"
    )
    for key, value in report.items():
        print(f"{key:<48} {value}")


if __name__ == "__main__":
    main()
