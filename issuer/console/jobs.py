"""Issuing a cohort from the console, in the background, with progress anyone can poll.

Issuing a large cohort takes a while (signing and self-checking every credential), longer than
a browser should wait for one request. The console therefore starts
:func:`issuer.issuance.issue_programme` — the same function the API and the CLI call — in a
background thread and answers at once with a progress page. The thread records progress in a
``console_jobs`` row after every chunk (each chunk is one transaction of the issuing code), so
the page's script, or the page itself reloading without script, reads it from whichever worker
process answers.

If the process dies mid-batch, the row stops moving; after :data:`STALE_AFTER` without progress
the page says the run was interrupted. Nothing is lost: the chunks already committed are whole
certificates, and issuing again (idempotent) completes the rest.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from ..db import transaction
from ..errors import ServiceError
from ..i18n import t
from ..issuance import issue_programme
from ..models import User
from ..service import Service
from .models import ConsoleJob

log = logging.getLogger("microcred.console")
ISSUE = "issue"
QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
#: A running job whose progress has not moved for this long is reported as interrupted.
STALE_AFTER = timedelta(minutes=5)

_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_stale(service: Service, job: ConsoleJob) -> bool:
    return job.state in (QUEUED, RUNNING) and _aware(job.updated_at) + STALE_AFTER < service.now()


def running_job(service: Service, programme_code: str) -> ConsoleJob | None:
    """The issuing job of this micro-major still in progress (not stale), if any."""
    with transaction(service.engine, write=False) as session:
        jobs = session.exec(
            select(ConsoleJob)
            .where(ConsoleJob.programme_code == programme_code, col(ConsoleJob.state).in_([QUEUED, RUNNING]))
            .order_by(col(ConsoleJob.started_at).desc())
        ).all()
    return next((job for job in jobs if not is_stale(service, job)), None)


def get_job(service: Service, job_id: str) -> ConsoleJob:
    with transaction(service.engine, write=False) as session:
        job = session.get(ConsoleJob, job_id)
    if job is None:
        raise ServiceError(404, "not-found", t("Unknown job"), t("There is no job {job}.", job=job_id))
    return job


def start_issuing(service: Service, programme_code: str, *, username: str, total: int) -> ConsoleJob:
    """Record a job and start issuing in a background thread; returns at once."""
    now = service.now()
    with transaction(service.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        job = ConsoleJob(
            id=secrets.token_hex(8),
            kind=ISSUE,
            programme_code=programme_code,
            user_id=user.id or 0,
            total=total,
            started_at=now,
            updated_at=now,
        )
        session.add(job)
    thread = threading.Thread(
        target=_run_issue,
        args=(service, job.id, programme_code, username),
        name=f"issue-{job.id}",
        daemon=True,
    )
    with _lock:
        _threads[job.id] = thread
    thread.start()
    return job


def _update(service: Service, job_id: str, **changes: Any) -> None:
    with transaction(service.engine) as session:
        job = session.get(ConsoleJob, job_id)
        if job is None:  # pragma: no cover - the row is written before the thread starts
            return
        for name, value in changes.items():
            setattr(job, name, value)
        job.updated_at = service.now()
        session.add(job)


def _run_issue(service: Service, job_id: str, programme_code: str, username: str) -> None:
    try:
        _update(service, job_id, state=RUNNING)

        def progress(done: int, total: int) -> None:
            _update(service, job_id, done=done, total=total)

        result = issue_programme(service, programme_code, actor=username, progress=progress)
        _update(
            service,
            job_id,
            state=FINISHED,
            done=len(result.issued),
            total=len(result.issued),
            finished_at=service.now(),
            result={
                "issued": len(result.issued),
                "batch": result.batch_id,
                "notEligible": len(result.not_eligible),
                "alreadyIssued": result.already_issued,
                "first": result.issued[0].certificate_number if result.issued else None,
                "last": result.issued[-1].certificate_number if result.issued else None,
            },
        )
    except ServiceError as exc:
        _update(
            service,
            job_id,
            state=FAILED,
            finished_at=service.now(),
            result={"error": {lang: exc.render(lang) for lang in ("en", "zh")}},
        )
    except Exception:
        log.exception("issuing %s failed", programme_code)
        message = t(
            "Issuing stopped because of an error on the server (it has been logged). Certificates already "
            "issued are kept; issue again to complete the rest."
        )
        _update(
            service,
            job_id,
            state=FAILED,
            finished_at=service.now(),
            result={"error": {lang: message.render(lang) for lang in ("en", "zh")}},
        )
    finally:
        with _lock:
            _threads.pop(job_id, None)


def wait_for_jobs(timeout: float = 60.0) -> None:
    """Wait for the background jobs of this process (tests, and an orderly shutdown)."""
    with _lock:
        threads = list(_threads.values())
    for thread in threads:
        thread.join(timeout)
