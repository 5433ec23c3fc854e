"""Benchmark: text-layer dossiers → CaseFile, pages per second end to end and per stage.

    python bench/text_pages.py [--n 20] [--seed 7] [--keep DIR]

Generates N dossiers with the fixture generator (not timed), runs ``extract_case`` on each
(timed; the first call also pays the one-time spaCy/jieba load, reported separately) and
prints pages/s with the time per stage and machine facts.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()

    from fixtures.generator import generate_set

    from extractors import extract_case
    from extractors.case import LAST_TIMINGS
    from extractors.lexicon import nlp

    out = args.keep or Path(tempfile.mkdtemp(prefix="bench-text-"))
    t = time.perf_counter()
    folders = generate_set(args.n, seed=args.seed, out_dir=out, layouts=("mixed", "single-pdf", "per-document"))
    print(f"generated {len(folders)} dossiers in {time.perf_counter() - t:.1f}s → {out}")

    t = time.perf_counter()
    nlp()
    load = time.perf_counter() - t
    stages = {"read": 0.0, "ocr": 0.0, "parse": 0.0}
    pages = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    for f in folders:
        case = extract_case(f)
        pages += len(case.pages)
        for k in stages:
            stages[k] += LAST_TIMINGS.get(k, 0.0)
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(f"machine: nproc={os.cpu_count()}, cpu={cpu_model()}, python={platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"one-time load (spaCy + jieba + 罪名 lexicon): {load:.2f}s")
    print(f"{len(folders)} dossiers, {pages} pages in {total:.2f}s → {pages / total:.1f} pages/s end to end")
    print(f"CPU time of this process {cpu:.2f}s → {pages / cpu:.1f} pages per CPU-second "
          "(single process; equals wall-clock pages/s on an idle core)")
    for k, v in stages.items():
        print(f"  {k:6s} {v:7.2f}s  {100 * v / total:5.1f}%  ({pages / v if v else float('inf'):.0f} pages/s)")
    profile_parse(folders[:3])


def profile_parse(folders: list[Path]) -> None:
    """Where the parse stage goes, on a few dossiers (cProfile, top functions by cumulative time)."""
    import cProfile
    import pstats

    from extractors import extract_case

    prof = cProfile.Profile()
    prof.enable()
    for f in folders:
        extract_case(f)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative")
    rows = []
    for func, (cc, nc, tt, ct, callers) in stats.stats.items():
        name = f"{Path(func[0]).name}:{func[2]}"
        if "extractors" in func[0] and func[2] not in ("extract_case", "<module>"):
            rows.append((ct, name))
    print("parse profile (cumulative s, extractors functions, 3 dossiers):")
    for ct, name in sorted(rows, reverse=True)[:10]:
        print(f"  {ct:6.2f}s  {name}")


if __name__ == "__main__":
    main()
