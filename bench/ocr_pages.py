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
    python bench/ocr_pages.py --variants --dossiers 1 [--variant-pages 30] [--only-variants]
    python bench/ocr_pages.py --sheets 8      # only blank, separator and photo pages, 8 of each

``--variants`` first measures every engine variant (:class:`extractors.ocr.EngineConfig`) one step
at a time on the same scanned pages, in this process on one thread as a worker runs them: CPU and
wall seconds per page, and character accuracy against the text layer of the page the scan was made
from (``1 − edit distance / reference length``, whitespace ignored, averaged over pages; printed
handwriting and seal text that OCR leaves out on purpose count against every variant alike). Then
the default variant with one worker on two threads against two single-thread workers (wall
seconds per page), and blank, separator and photo pages (``fixtures.sheets``) through the triage.
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

from models.settings import Settings  # noqa: E402
from extractors.ocr import EngineConfig  # noqa: E402
from tests.ocr.conftest import char_accuracy  # noqa: E402  (the OCR tests' measure: 1 − edit distance / length)
from extractors import extract_case, ocr, ocr_engine, ocr_pool  # noqa: E402
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
                               initializer=ocr_pool._init_worker, initargs=("rapidocr",))


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
    from checks.runner import run_rules

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


#: The variants, one step at a time from the engine as it ran before (fp32 models, detector at 1280 px,
#: batches of 6, direction classifier on every line), each adding one change to the one before it;
#: the last rows try the other runtime on the chosen settings.
VARIANTS: list[tuple[str, EngineConfig]] = [
    ("before: fp32, onnxruntime, det 1280", EngineConfig(models="fp32", det_side=1280, rec_batch=6, line_cls=True,
                                                         triage=False)),
    ("fp32, openvino, det 1280", EngineConfig(models="fp32", backend="openvino", det_side=1280, rec_batch=6, line_cls=True,
                                              triage=False)),
    ("+ triage (text pages: its cost only)", EngineConfig(models="fp32", det_side=1280, rec_batch=6, line_cls=True)),
    ("fp32, det 960", EngineConfig(models="fp32", det_side=960, rec_batch=6, line_cls=True)),
    ("+ classifier only where not judged", EngineConfig(models="fp32", det_side=960, rec_batch=6)),
    ("+ int8 detector and recogniser", EngineConfig(models="int8", det_side=960, rec_batch=6)),
    ("+ recogniser batches of 3", EngineConfig(models="int8", det_side=960, rec_batch=3)),
    ("  batches of 1", EngineConfig(models="int8", det_side=960, rec_batch=1)),
    ("  det 736", EngineConfig(models="int8", det_side=736, rec_batch=3)),
    ("  det 736, batches of 1", EngineConfig(models="int8", det_side=736, rec_batch=1)),
    ("  openvino, int8", EngineConfig(models="int8", backend="openvino", det_side=960, rec_batch=3)),
    ("  openvino, fp32", EngineConfig(models="fp32", backend="openvino", det_side=960, rec_batch=3)),
]


def _known_pages(made, limit: int, dpi: int) -> list[tuple[object, int, str]]:
    """(RGB page, dpi, reference text) of the first ``limit`` scanned pages: the page as the pipeline
    rasterises it, and the text layer of the page of the text dossier it was scanned from."""
    import pypdfium2 as pdfium

    out = []
    for _, text_dir, scan_dir in made:
        truth = json.loads(truth_path_of(scan_dir).read_text(encoding="utf-8"))
        for entry in truth["scan"]["pages"]:
            if len(out) >= limit:
                return out
            if not entry.get("scanned", True) or not str(entry["file"]).lower().endswith(".pdf"):
                continue
            src, src_page = entry["source"]
            doc = pdfium.PdfDocument(str(text_dir / src))
            try:
                ref = doc[src_page - 1].get_textpage().get_text_range()
            finally:
                doc.close()
            image, at = ocr.rasterize_pdf_page_at(scan_dir / entry["file"], entry["page"] - 1, dpi)
            out.append((image, at, ref))
    return out


def _run_variant(config: EngineConfig, pages, threads: int = 1) -> tuple[float, float, float]:
    """(CPU s/page, wall s/page, mean character accuracy) of one variant in this process."""
    ocr_engine._ENGINES.clear()
    ocr.get_engine("rapidocr", threads, config)
    ocr.ocr_image(pages[0][0], dpi=pages[0][1], threads=threads, config=config)  # warm
    cpu = wall = acc = 0.0
    for image, dpi, ref in pages:
        c, t = time.process_time(), time.perf_counter()
        page = ocr.ocr_image(image, dpi=dpi, threads=threads, config=config)
        cpu += time.process_time() - c
        wall += time.perf_counter() - t
        acc += char_accuracy(ref, page.text)
    n = len(pages)
    return cpu / n, wall / n, acc / n


def _pool_wall(pages, workers: int) -> float:
    """Wall s/page of the default variant on ``workers`` single-thread worker processes."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                             initializer=ocr_pool._init_worker, initargs=("rapidocr",)) as ex:
        list(ex.map(ocr.ocr_one, [(pages[0][0], pages[0][1], "rapidocr", True)] * workers))  # warm
        t = time.perf_counter()
        list(ex.map(ocr.ocr_one, [(image, dpi, "rapidocr", True) for image, dpi, _ in pages]))
        return (time.perf_counter() - t) / len(pages)


def variants(made, limit: int, dpi: int) -> None:
    """Print accuracy and speed of every engine variant, threads against workers, and the triage."""
    pages = _known_pages(made, limit, dpi)
    print(f"--- engine variants on {len(pages)} scanned pages with known text ({made[0][2].name}…), "
          f"one thread in this process, load {os.getloadavg()[0]:.1f}", flush=True)
    base = None
    for name, config in VARIANTS:
        try:
            cpu, wall, acc = _run_variant(config, pages)
        except Exception as exc:  # noqa: BLE001 - a runtime that is not installed
            print(f"{name:40s} unavailable: {exc}", flush=True)
            continue
        base = base or (cpu, acc)
        mark = " (default)" if config == EngineConfig() else ""
        print(f"{name:40s} CPU {cpu:.3f} s/page ({base[0] / cpu:.2f}× before)  wall {wall:.3f}  "
              f"accuracy {acc:.4f} ({(acc - base[1]) * 100:+.2f} points){mark}", flush=True)
    ocr_engine._ENGINES.clear()
    cpu2, wall2, _ = _run_variant(EngineConfig(), pages, threads=2)
    ocr_engine._ENGINES.clear()
    print(f"default, 1 worker × 2 threads: wall {wall2:.3f} s/page (CPU {cpu2:.3f}); "
          f"2 workers × 1 thread: wall {_pool_wall(pages, 2):.3f} s/page; "
          f"1 worker × 1 thread: wall {_pool_wall(pages, 1):.3f} s/page", flush=True)
    sheet_pages(dpi)


def sheet_pages(dpi: int, repeat: int = 4) -> None:
    """CPU s/page of blank, separator and photo pages (``fixtures.sheets``, scanned) through the
    triage and the OCR of one worker; each kind on ``repeat`` pages, the engine warmed first."""
    from fixtures import sheets
    from fixtures.scan import Degradation, degrade

    kinds = {"blank": lambda k: sheets.blank_sheet(k, dpi), "separator": lambda k: sheets.separator_sheet(seed=k, dpi=dpi),
             "photo": lambda k: sheets.photo_page(k, dpi), "photo, no caption": lambda k: sheets.photo_page(k, dpi, captions=False),
             "photo, title + seal": lambda k: sheets.photo_page(k, dpi, title="现场照片（一）", seal=True)}
    warm = degrade(sheets.photo_page(99, dpi, title="现场照片", seal=True), Degradation(dpi=dpi), seed=99)
    ocr.ocr_image(warm, dpi=dpi, threads=1)   # loads the engine, first runs of its sessions
    print(f"--- blank, separator and photo pages at {dpi} dpi, one thread, load {os.getloadavg()[0]:.1f}", flush=True)
    for kind, make in kinds.items():
        cpu = 0.0
        got = []
        for k in range(repeat):
            image = degrade(make(k), Degradation(dpi=dpi, angle=0.8 * (k % 4 - 1.5), blur=0.5, noise=3, jpeg_quality=70), seed=k)
            c = time.process_time()
            page = ocr.ocr_image(image, dpi=dpi, threads=1)
            cpu += time.process_time() - c
            got.append(page.skipped or "read")
        print(f"{kind:20s} CPU {cpu / repeat:.3f} s/page (OCR in a worker; rasterising not included), triage: "
              f"{', '.join(got)}", flush=True)


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
    return ocr_pool._POOL[1] if ocr_pool._POOL else None


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
    ap.add_argument("--variants", action="store_true", help="first measure every engine variant (see the docstring)")
    ap.add_argument("--variant-pages", type=int, default=30, help="scanned pages the variants are measured on")
    ap.add_argument("--only-variants", action="store_true", help="stop after the variants")
    ap.add_argument("--sheets", type=int, default=0, metavar="K",
                    help="only blank, separator and photo pages, K of each (no dossiers generated)")
    args = ap.parse_args()
    if args.sheets:
        sheet_pages(Settings().ocr_dpi, args.sheets)
        return
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

    if args.variants or args.only_variants:
        variants(made, args.variant_pages, settings.ocr_dpi)
        if args.only_variants:
            return
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
    print(f"OCR engine variant: {EngineConfig.from_env().label}")
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
