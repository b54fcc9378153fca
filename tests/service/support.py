"""Helpers the service tests share, importable by worker processes (multiprocessing spawn)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

from issuer.issuance import issue_programme
from issuer.revocation import REVOKE, change_status

from .conftest import make_service

COURSES = ("PM101", "PM102", "PM103", "PM104", "PM105", "PM106", "PM107", "PM108")


def cohort(size: int, *, start: int = 30000000) -> bytes:
    """A passing cohort of ``size`` learners as a UTF-8 CSV export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student_id", "name", "course_code", "grade"])
    for n in range(size):
        for course in COURSES:
            writer.writerow([str(start + n), f"学员{n:05d}", course, "85"])
    return buffer.getvalue().encode()


def _wait_until(start_at: float) -> None:
    """Both workers start at the same moment, after their (slow) imports and set-up."""
    time.sleep(max(0.0, start_at - time.time()))


def issue_worker(database_url: str, keys_dir: str, code: str, start_at: float) -> list[str]:
    service = make_service(database_url, Path(keys_dir))
    _wait_until(start_at)
    try:
        return [
            c.certificate_number for c in issue_programme(service, code, actor="worker", chunk_size=10).issued
        ]
    finally:
        service.close()


def revoke_worker(database_url: str, keys_dir: str, numbers: list[str], start_at: float) -> list[str]:
    service = make_service(database_url, Path(keys_dir))
    _wait_until(start_at)
    try:
        changed = []
        for number in numbers:  # one transaction each, to interleave with the other worker
            changed += [
                c.certificate_number
                for c in change_status(service, [number], REVOKE, reason="concurrency test", actor="worker")
            ]
        return changed
    finally:
        service.close()
