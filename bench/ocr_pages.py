"""Benchmark: scanned pages through extraction vs the bare OCR engine, plus agreement.

Generates dossiers (fixtures.generator), scans them (fixtures.scan, every page an image),
then measures

* seconds per scanned page end to end through ``extractors.extract_case``;
* seconds per page of the bare RapidOCR engine (``engine(image)``) on the same page
  images at the same dpi, in one process and in the same number of workers;
* their ratio, peak resident memory (``resource.getrusage``);
* slot decisions on the scans against the ground truth (filled / not filled);
* findings of the SG, DL, CON and DOC rules on the scans against the text-layer
  rendering of the same dossiers (agreement = |common| / |union|).

    python bench/ocr_pages.py --dossiers 2 --out /tmp/ocr_bench          # ≈ 60 pages
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.config import Settings  # noqa: E402
from extractors import extract_case, ocr  # noqa: E402
from fixtures.generator import generate_dossier  # noqa: E402
from fixtures.scan import scan_dossier, truth_path_of  # noqa: E402

FAMILIES = ("SG-", "DL-", "CON-", "DOC-")


def _bare_one(args):
    path, index, dpi = args
    image = ocr.rasterize_pdf_page(path, index, dpi) if path.suffix.lower() == ".pdf" else ocr.load_image_pages(path)[0]
    engine = ocr.get_engine("rapidocr", 1)
    t = time.perf_counter()
    engine(image[..., ::-1].copy())
    return time.perf_counter() - t


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
    by = {}
    for d in case.documents:
        for s in d.slots:
            by.setdefault((d.file, s.page, s.role, s.kind), []).append(s.filled)
    hit = total = undecided = 0
    for s in truth.get("slots", []):
        if s.get("bbox") is None:
            continue
        got = by.get((s["file"], s["page"], s["role"], s["kind"]))
        if not got:
            continue
        total += 1
        if None in got:
            undecided += 1
        elif (s["filled"] and any(got)) or (not s["filled"] and not all(got)):
            hit += 1
    return hit, total, undecided


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dossiers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=Path("/tmp/ocr_bench"))
    ap.add_argument("--profile", default="pdf")
    ap.add_argument("--defects", default="SG-001,SG-004,SG-007,SG-009,DL-010,CON-001,DOC-017,CON-002",
                    help="comma-separated defects; dossier k gets two of them in turn, so findings can agree")
    args = ap.parse_args()
    pool = [d for d in args.defects.split(",") if d]
    settings = Settings()
    workers = settings.ocr_workers
    args.out.mkdir(parents=True, exist_ok=True)
    e2e = bare = 0.0
    pages = 0
    slot_hit = slot_total = slot_undecided = 0
    agree = union = 0
    for k in range(args.dossiers):
        defects = [pool[(2 * k) % len(pool)], pool[(2 * k + 1) % len(pool)]] if pool else []
        text_dir = generate_dossier(seed=args.seed + k, out_dir=args.out / "text", layout="single-pdf", defects=defects)
        scan_dir = args.out / "scan" / text_dir.name
        scan_dossier(text_dir, scan_dir, seed=args.seed + k, profile=args.profile)
        truth = json.loads(truth_path_of(scan_dir).read_text(encoding="utf-8"))
        plist = _page_list(scan_dir)
        t = time.perf_counter()
        case = extract_case(scan_dir, settings=settings)
        e2e += time.perf_counter() - t
        pages += len(plist)
        with ProcessPoolExecutor(max_workers=workers) as ex:
            t = time.perf_counter()
            list(ex.map(_bare_one, [(f, i, settings.ocr_dpi) for f, i in plist]))
            bare += time.perf_counter() - t
        text_case = extract_case(text_dir, settings=settings)
        h, n, u = _slot_agreement(case, truth)
        slot_hit, slot_total, slot_undecided = slot_hit + h, slot_total + n, slot_undecided + u
        a, b = _findings(case), _findings(text_case)
        agree += len(a & b)
        union += len(a | b)
        print(f"{text_dir.name} ({','.join(defects) or '无缺陷'}): {len(plist)} pages, slots {h}/{n} (undecided {u}), findings scan={len(a)} "
              f"text={len(b)} common={len(a & b)}; only scan={sorted(a - b)[:4]} only text={sorted(b - a)[:4]}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"pages: {pages}  workers: {workers}  cpus: {os.cpu_count()}  load: {os.getloadavg()[0]:.1f}")
    print(f"end to end (extract_case): {e2e / pages:.2f} s/page")
    print(f"bare engine, same pages:   {bare / pages:.2f} s/page   ratio {e2e / max(bare, 1e-9):.2f}x")
    print(f"peak RSS: main {peak:.0f} MiB, largest worker {peak_children:.0f} MiB")
    print(f"slot decisions vs truth: {slot_hit}/{slot_total} = {slot_hit / max(slot_total, 1):.3f} "
          f"(undecided {slot_undecided})")
    print(f"SG/DL/CON/DOC findings, scan vs text layer: {agree}/{union} = {agree / max(union, 1):.3f}")


if __name__ == "__main__":
    main()
