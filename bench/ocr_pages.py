"""Benchmark: scanned pages through extraction vs the bare OCR engine, plus agreement.

Generates dossiers (fixtures.generator), scans them (fixtures.scan, every page an image),
then measures

* seconds per scanned page end to end through ``extractors.extract_case``;
* seconds per page of the bare RapidOCR engine (``engine(image)``, the same engine object
  configuration, models, dpi and thread settings as the pipeline's workers) on the same
  pages, rasterised in the same number of worker processes, started the same way;
* their ratio, peak resident memory (``resource.getrusage``), and where the pipeline's
  time goes (per-stage seconds measured inside the OCR workers);
* slot decisions on the scans against the ground truth (filled / not filled);
* findings of the SG, DL, CON and DOC rules on the scans against the text-layer
  rendering of the same dossiers (agreement = |common| / |union|, with counts).

Both sides are timed warm: before the clock starts, the extraction pipeline (worker pool,
models, lexicons) and the bare engine pool are started once on two pages; that one-off
start-up is printed separately. ``--bare-dossiers K`` times the bare engine on the first
K dossiers only (the ratio then compares those dossiers), so more dossiers can be added
for agreement at the cost of extraction alone.

    python bench/ocr_pages.py --dossiers 2 --out /tmp/ocr_bench          # ≈ 60 pages
    python bench/ocr_pages.py --dossiers 4 --bare-dossiers 2 --per-dossier 3 \
        --defects SG-001,SG-002,SG-004,SG-007,SG-009,DL-010,CON-001,DOC-017,CON-002,DL-003,CON-003,DOC-011
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.config import Settings  # noqa: E402
from extractors import extract_case, ocr  # noqa: E402
from fixtures.generator import generate_dossier  # noqa: E402
from fixtures.scan import save_image_pdf, scan_dossier, truth_path_of  # noqa: E402

FAMILIES = ("SG-", "DL-", "CON-", "DOC-")


def _bare_one(args):
    """Rasterise one page in this worker and run the bare engine on it (as the pipeline's workers do)."""
    path, index, dpi = args
    image = ocr.rasterize_pdf_page(path, index, dpi) if path.suffix.lower() == ".pdf" else ocr.load_image_pages(path)[0]
    engine = ocr.get_engine("rapidocr", 1)
    t = time.perf_counter()
    engine(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))  # the same RGB→BGR hand-over as the pipeline's
    return time.perf_counter() - t


def _bare_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes like the pipeline's: spawned, one onnxruntime/OpenCV thread, engine loaded at start."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=ocr._init_worker, initargs=("rapidocr",))


def _page_list(folder: Path):
    out = []
    for f in sorted(folder.iterdir()):
        if f.suffix.lower() == ".pdf":
            import pypdfium2 as pdfium

            n = len(pdfium.PdfDocument(str(f)))
            out += [(f, i) for i in range(n)]
        elif f.suffix.lower() in (".jpg", ".png", ".tif", ".tiff"):
            out.append((f, 0))
    return out


def _findings(case):
    from checks.catalog import load_catalog
    from checks.engine import run_rules

    run = run_rules(case, load_catalog())
    return {(f.rule_id, f.key) for f in run.findings if f.rule_id.startswith(FAMILIES)}


def _slot_agreement(case, truth):
    """(right, truth slots with a box, undecided, not found): a truth slot that no extracted slot
    matches (its label was not read) counts as not right."""
    by = {}
    for d in case.documents:
        for s in d.slots:
            by.setdefault((getattr(s, "file", None) or d.file, s.page, s.role, s.kind), []).append(s.filled)
    hit = total = undecided = missing = 0
    for s in truth.get("slots", []):
        if s.get("bbox") is None:
            continue
        total += 1
        got = by.get((s["file"], s["page"], s["role"], s["kind"]))
        if not got:
            missing += 1
        elif None in got:
            undecided += 1
        elif (s["filled"] and any(got)) or (not s["filled"] and not all(got)):
            hit += 1
    return hit, total, undecided, missing


def _cpu(executor: ProcessPoolExecutor | None) -> float:
    """CPU seconds (user + system) of this process and the live workers of ``executor``.

    Less sensitive than wall time to other jobs on the machine, so the CPU-time ratio is
    printed beside the wall-time ratio.
    """
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for pid in list(getattr(executor, "_processes", None) or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def _pipeline_pool() -> ProcessPoolExecutor | None:
    return ocr._POOL[1] if getattr(ocr, "_POOL", None) else None


def _stage_times() -> dict[str, float]:
    return dict(getattr(ocr, "STAGE_SECONDS", {}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dossiers", type=int, default=2)
    ap.add_argument("--bare-dossiers", type=int, default=None, help="time the bare engine on the first K dossiers (default: all)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=Path("/tmp/ocr_bench"))
    ap.add_argument("--profile", default="pdf")
    ap.add_argument("--layout", default="single-pdf",
                    help="generator layout of the text dossiers (single-pdf, per-document, …): per-document gives one file per document")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time each dossier this many times on each side, alternating, and keep the fastest (steadier under load)")
    ap.add_argument("--per-dossier", type=int, default=2, help="defects injected per dossier, taken from --defects in turn")
    ap.add_argument("--defects", default="SG-001,SG-004,SG-007,SG-009,DL-010,CON-001,DOC-017,CON-002",
                    help="comma-separated defects; dossier k gets --per-dossier of them in turn, so findings can agree")
    args = ap.parse_args()
    pool = [d for d in args.defects.split(",") if d]
    settings = Settings()
    workers = min(settings.ocr_workers or os.cpu_count() or 1, os.cpu_count() or 1)
    bare_k = args.dossiers if args.bare_dossiers is None else args.bare_dossiers
    args.out.mkdir(parents=True, exist_ok=True)
    made = []
    for k in range(args.dossiers):
        n = args.per_dossier
        defects = [pool[(n * k + j) % len(pool)] for j in range(n)] if pool else []
        text_dir = generate_dossier(seed=args.seed + k, out_dir=args.out / "text", layout=args.layout, defects=defects)
        scan_dir = args.out / "scan" / text_dir.name
        scan_dossier(text_dir, scan_dir, seed=args.seed + k, profile=args.profile)
        made.append((defects, text_dir, scan_dir))

    # warm both sides (worker pools, models, lexicons) on two pages of the first dossier, as one
    # image-only PDF so that they go through the worker pool; timed apart
    first = _page_list(made[0][2])[:2]
    warm_dir = args.out / "warmup"
    warm_dir.mkdir(exist_ok=True)
    save_image_pdf([(ocr.rasterize_pdf_page(f, i, 100), 100) for f, i in first], warm_dir / "warmup.pdf")
    t = time.perf_counter()
    extract_case(warm_dir, settings=settings)
    cold_e2e = time.perf_counter() - t
    if _pipeline_pool() is None:
        print("warning: the warm-up did not start the OCR worker pool; the first dossier includes its start", flush=True)
    bare_ex = _bare_pool(workers)
    t = time.perf_counter()
    list(bare_ex.map(_bare_one, [(f, i, settings.ocr_dpi) for f, i in first]))
    cold_bare = time.perf_counter() - t

    stages0 = _stage_times()
    e2e = e2e_b = bare = cpu_e2e = cpu_bare = 0.0
    pages = pages_b = 0
    slot_hit = slot_total = slot_undecided = slot_missing = 0
    agree = union = 0
    per_rule: dict[str, list[int]] = {}
    for k, (defects, text_dir, scan_dir) in enumerate(made):
        truth = json.loads(truth_path_of(scan_dir).read_text(encoding="utf-8"))
        plist = _page_list(scan_dir)
        took = took_b = cpu_e = cpu_b = float("inf")
        for _ in range(max(1, args.repeat)):
            c0, t = _cpu(_pipeline_pool()), time.perf_counter()
            case = extract_case(scan_dir, settings=settings)
            took = min(took, time.perf_counter() - t)
            cpu_e = min(cpu_e, _cpu(_pipeline_pool()) - c0)
            if k < bare_k:
                c0, t = _cpu(bare_ex), time.perf_counter()
                list(bare_ex.map(_bare_one, [(f, i, settings.ocr_dpi) for f, i in plist]))
                took_b = min(took_b, time.perf_counter() - t)
                cpu_b = min(cpu_b, _cpu(bare_ex) - c0)
        e2e += took
        pages += len(plist)
        if k < bare_k:
            bare += took_b
            e2e_b += took
            pages_b += len(plist)
            cpu_e2e += cpu_e
            cpu_bare += cpu_b
        text_case = extract_case(text_dir, settings=settings)
        h, n, u, miss = _slot_agreement(case, truth)
        slot_hit, slot_total, slot_undecided, slot_missing = slot_hit + h, slot_total + n, slot_undecided + u, slot_missing + miss
        a, b = _findings(case), _findings(text_case)
        agree += len(a & b)
        union += len(a | b)
        for rid, _ in a | b:
            c = per_rule.setdefault(rid, [0, 0])
            c[0] += (rid, _) in a and (rid, _) in b
            c[1] += 1
        print(f"{text_dir.name} ({','.join(defects) or '无缺陷'}): {len(plist)} pages, {took / len(plist):.2f} s/page, "
              f"slots {h}/{n} (undecided {u}, not found {miss}), findings scan={len(a)} text={len(b)} common={len(a & b)}; "
              f"only scan={sorted(a - b)[:4]} only text={sorted(b - a)[:4]}", flush=True)
    bare_ex.shutdown()
    stages = {k: v - stages0.get(k, 0.0) for k, v in _stage_times().items()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"pages: {pages} (bare timed on {pages_b})  workers: {workers}  cpus: {os.cpu_count()}  "
          f"load (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"one-off start-up (pool, models, lexicons): pipeline {cold_e2e:.1f} s, bare engine pool {cold_bare:.1f} s (not counted below)")
    print(f"end to end (extract_case): {e2e / pages:.2f} s/page ({e2e_b / max(pages_b, 1):.2f} on the bare-timed pages)")
    if pages_b:
        print(f"bare engine, same pages:   {bare / pages_b:.2f} s/page   ratio {e2e_b / max(bare, 1e-9):.2f}x")
        print(f"CPU seconds per page (main + workers): end to end {cpu_e2e / pages_b:.2f}, bare {cpu_bare / pages_b:.2f}, "
              f"ratio {cpu_e2e / max(cpu_bare, 1e-9):.2f}x")
    if stages:
        total = sum(stages.values())
        print("worker CPU seconds per page by stage: " + ", ".join(f"{k} {v / pages:.3f}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1]))
              + f" (sum {total / pages:.3f}; two workers in parallel)")
    print(f"peak RSS: main {peak:.0f} MiB, largest worker {peak_children:.0f} MiB")
    print(f"slot decisions vs truth: {slot_hit}/{slot_total} = {slot_hit / max(slot_total, 1):.3f} "
          f"(undecided {slot_undecided}, not found {slot_missing})")
    print(f"SG/DL/CON/DOC findings, scan vs text layer: {agree}/{union} = {agree / max(union, 1):.3f}  "
          "per rule (common/union): " + ", ".join(f"{r} {c[0]}/{c[1]}" for r, c in sorted(per_rule.items())))


if __name__ == "__main__":
    main()
