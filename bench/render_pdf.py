"""PDF certificates per second per core, against a baseline rendered in the same run.

Run: ``.venv/bin/python bench/render_pdf.py [--iterations N]`` (after ``scripts/setup``, which
cuts the fonts with ``python -m issuer.fonts``).

Every row renders the real certificate (the golden 8-course micro-major, signed, with its real
QR text: ``{verifier_url}#MC1:…``) as the product does: PDF/A-3b, credential embedded, fonts
subset. The certificates are a cohort of 40 learners (each a different name, certificate number
and results, each signed), rendered in turn, so no two consecutive PDFs are alike. Rows, all in
one process run so machine noise hits each alike:

* baseline: a trivial one-page HTML (one line of Chinese) through the same WeasyPrint set-up
  (same fonts, stylesheet and font configuration, PDF/A-3b) - the floor of a WeasyPrint PDF;
* the cohort with one reused renderer and the pre-cut fonts (the product): each certificate
  printed over the cohort's shared layer (``issuer/pdf_layers.py``);
* the same with every certificate laid out in full (``layered=False``): the effect of the layers;
* the same keeping no shared layer (``layers_kept=0``): what the first certificate of a cohort
  costs, its shared layer built;
* the same with the full system fonts (no pre-cut): the effect of the cut;
* a fresh renderer for every PDF (new font configuration, stylesheet, template, no shared
  layer): the effect of reuse;
* the QR code alone (segno), for context;
* a 2-process pool (one renderer per process), PDFs per second in all and per core.

Memory: resident set size after 0, 50, 100, 150 and 200 renders with one reused renderer, and
after 0 and 50 renders with a fresh renderer per PDF (each in its own child process).
Results go to bench/results/render_pdf-<time>.json (not committed).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import weasyprint  # noqa: E402
from carriers import qr_text_for  # noqa: E402
from certificates import credential_with  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from issuer import fonts  # noqa: E402
from issuer.pdf import PDF_VARIANT, CertificateOptions, CertificateRenderer, qr_code  # noqa: E402

TRIVIAL = "<html lang='zh-Hans'><body><p>示范科技大学 微专业证书</p></body></html>"
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴")
GIVEN = ("小明", "华", "婷婷", "建国", "雨轩", "思远", "一", "梓涵")
PINYIN = {
    "王": "Wang",
    "李": "Li",
    "张": "Zhang",
    "刘": "Liu",
    "陈": "Chen",
    "杨": "Yang",
    "赵": "Zhao",
    "黄": "Huang",
    "周": "Zhou",
    "吴": "Wu",
    "小明": "Xiaoming",
    "华": "Hua",
    "婷婷": "Tingting",
    "建国": "Jianguo",
    "雨轩": "Yuxuan",
    "思远": "Siyuan",
    "一": "Yi",
    "梓涵": "Zihan",
}


def cohort(size: int = 40) -> list[tuple[dict[str, Any], str]]:
    """``size`` signed certificates of one micro-major, each learner different, with QR texts."""
    made = []
    for i in range(size):
        surname, given = SURNAMES[i % len(SURNAMES)], GIVEN[(i * 3) % len(GIVEN)]
        credential = credential_with(
            learner=surname + given,
            learner_en=f"{PINYIN[surname]} {PINYIN[given]}",
            number=f"SF-WZY-2025-{i + 1:06d}",
            results=[str(60 + (i * 7 + k * 13) % 40) for k in range(8)],
        )
        made.append((credential, qr_text_for(credential)))
    return made


def _next_of(certificates: list[tuple[dict[str, Any], str]]) -> Callable[[], tuple[dict[str, Any], str]]:
    return itertools.cycle(certificates).__next__


def _per_op_ms(function: Callable[[], object], iterations: int, repeats: int = 5) -> tuple[float, float]:
    """Median over ``repeats`` runs of the mean time per call, in ms: (wall, CPU of this process).

    CPU time is what "per core" means, and it is far less disturbed than wall time by other
    work on a shared machine; both are reported.
    """
    for _ in range(max(2, iterations // 10)):
        function()
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(iterations):
            function()
        wall.append((time.perf_counter() - started) / iterations * 1000)
        cpu.append((time.process_time() - started_cpu) / iterations * 1000)
    return statistics.median(wall), statistics.median(cpu)


def _rss_mib() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _memory_profile(fresh: bool, renders: int, step: int) -> list[float]:
    """RSS (MiB) after every ``step`` renders; run in a child process so it starts clean."""
    following = _next_of(cohort())
    shared = CertificateRenderer()
    shared.render(*following())
    readings = [_rss_mib()]
    for done in range(1, renders + 1):
        renderer = CertificateRenderer() if fresh else shared
        renderer.render(*following())
        if done % step == 0:
            readings.append(_rss_mib())
    return readings


_POOL: list[Any] = []  # this worker process's renderer and cohort


def _pool_start() -> None:
    """Each worker's initializer: its renderer, the cohort and two warm-up certificates."""
    _POOL.extend((CertificateRenderer(), _next_of(cohort())))
    _pool_render(2)


def _pool_render(count: int) -> int:
    renderer, following = _POOL
    for _ in range(count):
        renderer.render(*following())
    return count


def _pool_rate(workers: int, per_worker: int) -> float:
    """PDFs per second with ``workers`` processes each rendering ``per_worker`` certificates."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_pool_start) as pool:
        list(pool.map(_pool_render, [1] * workers))  # every worker started and warmed up
        started = time.perf_counter()
        done = sum(pool.map(_pool_render, [per_worker] * workers))
        return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20, help="renders per timed run (5 runs per row)")
    args = parser.parse_args()
    n = args.iterations

    certificates = cohort()
    credential, text = certificates[0]
    following = _next_of(certificates)
    renderer = CertificateRenderer()
    if not renderer.cut_faces:
        sys.exit("the cut fonts are missing: run `python -m issuer.fonts` first")
    uncut = CertificateRenderer(font_dir=None)
    in_full = CertificateRenderer(layered=False)
    no_layers_kept = CertificateRenderer(layers_kept=0)

    font_config = FontConfiguration()
    css = weasyprint.CSS(
        string=renderer.font_css() + (renderer.template_dir / "certificate.css").read_text("utf-8"),
        font_config=font_config,
    )

    def trivial() -> bytes:
        pdf: bytes = weasyprint.HTML(string=TRIVIAL).write_pdf(
            stylesheets=[css], font_config=font_config, pdf_variant=PDF_VARIANT
        )
        return pdf

    rows: dict[str, tuple[float, float]] = {}
    baseline = "baseline: trivial one-page HTML, same WeasyPrint set-up"
    product = "cohort, reused renderer, pre-cut fonts, layered (product)"
    full_layout = "cohort, every certificate laid out in full"
    cold = "cohort, no shared layer kept (a cohort's first certificate)"
    full_fonts = "cohort, reused renderer, full system fonts"
    fresh = "cohort, fresh renderer per PDF"
    zh_only = CertificateOptions(language="zh")
    load_before = os.getloadavg()[0]
    rows[baseline] = _per_op_ms(trivial, n)
    rows[product] = _per_op_ms(lambda: renderer.render(*following()), n)
    rows["cohort, Chinese only, layered"] = _per_op_ms(lambda: renderer.render(*following(), zh_only), n)
    rows[full_layout] = _per_op_ms(lambda: in_full.render(*following()), n)
    rows[cold] = _per_op_ms(lambda: no_layers_kept.render(*following()), n)
    rows[full_fonts] = _per_op_ms(lambda: uncut.render(*following()), n)
    rows[fresh] = _per_op_ms(lambda: CertificateRenderer().render(*following()), max(3, n // 4))
    rows["QR code alone (segno, level Q)"] = _per_op_ms(
        lambda: qr_code.__wrapped__(text), n
    )  # not remembered
    load_after = os.getloadavg()[0]

    # Ratios of CPU time per PDF (the same in wall time when the machine is quiet).
    ratios = {
        "certificate vs trivial baseline": rows[product][1] / rows[baseline][1],
        "laid out in full vs layered (layers speed-up)": rows[full_layout][1] / rows[product][1],
        "cohort's first certificate vs layered": rows[cold][1] / rows[product][1],
        "full system fonts vs pre-cut (cut speed-up)": rows[full_fonts][1] / rows[product][1],
        "fresh renderer vs reused (reuse speed-up)": rows[fresh][1] / rows[product][1],
    }
    pool_workers = os.cpu_count() or 1
    pool_rate = _pool_rate(pool_workers, max(10, n))

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as child:
        reused_memory = child.submit(_memory_profile, False, 200, 50).result()
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as child:
        fresh_memory = child.submit(_memory_profile, True, 50, 25).result()

    sizes = {
        "pdf_bytes": len(renderer.render(credential, text)),
        "pdf_bytes_laid_out_in_full": len(in_full.render(credential, text)),
        "pdf_bytes_full_fonts": len(uncut.render(credential, text)),
        "qr_version": qr_code(text).version,
        "qr_text_chars": len(text),
        "cut_font_bytes": {
            face.key: (fonts.DEFAULT_FONT_DIR / face.cut_filename).stat().st_size
            for face in renderer.cut_faces
        },
    }

    print(f"{'measurement':62} {'wall ms':>8} {'CPU ms':>8} {'PDFs/s/core':>12}")
    for name, (wall, cpu) in rows.items():
        print(f"{name:62} {wall:8.1f} {cpu:8.1f} {1000 / cpu:12.1f}")
    print(f"load average (1 min) before and after: {load_before:.2f}, {load_after:.2f}")
    print()
    for name, ratio in ratios.items():
        print(f"{name:62} {ratio:8.2f}x")
    print(
        f"{pool_workers}-process pool: {pool_rate:.1f} PDFs/s in all, {pool_rate / pool_workers:.1f} per core"
    )
    print("RSS MiB, reused renderer, after 0/50/100/150/200 renders:", [round(m) for m in reused_memory])
    print("RSS MiB, fresh renderer per PDF, after 0/25/50 renders:", [round(m) for m in fresh_memory])
    print("sizes:", json.dumps(sizes))

    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "weasyprint": weasyprint.__version__,
        },
        "iterations": n,
        "ms_per_pdf": {name: {"wall": wall, "cpu": cpu} for name, (wall, cpu) in rows.items()},
        "pdfs_per_second_per_core": {name: 1000 / cpu for name, (_wall, cpu) in rows.items()},
        "load_average": [load_before, load_after],
        "ratios": ratios,
        "pool": {"workers": pool_workers, "pdfs_per_second": pool_rate},
        "rss_mib": {"reused_every_50": reused_memory, "fresh_every_25": fresh_memory},
        "sizes": sizes,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"render_pdf-{datetime.now(UTC):%Y-%m-%dT%H%M%S%z}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
