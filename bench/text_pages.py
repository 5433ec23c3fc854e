"""Benchmark: text-layer dossiers → CaseFile, pages per second end to end and per stage.

    python bench/text_pages.py [--n 20] [--seed 7] [--keep DIR] [--volume-pages 500] [--only-volume]

Generates N dossiers with the fixture generator (not timed), runs ``extract_case`` on each
(timed; the first call also pays the one-time spaCy/jieba load, reported separately) and
prints pages/s with the time per stage and machine facts.

The long-volume case (``--volume-pages``, 0 to skip): one dossier bound in volumes with all the
material around the case's own documents (:mod:`fixtures.volumes`), grown to about that many pages
with call records, scanned by ``assistant scan`` in a child process as a user runs it (index,
rules, report): wall seconds, CPU seconds, the child's peak memory, and the progress it reported in
pages (target of issue 25: a 500-page text-layer volume in ≤ 10 s on 2 cores, bounded memory).
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
    ap.add_argument("--volume-pages", type=int, default=500, help="pages of the long-volume case (0: skip it)")
    ap.add_argument("--only-volume", action="store_true", help="run only the long-volume case")
    args = ap.parse_args()
    if args.volume_pages:
        long_volume(args.volume_pages, args.seed, args.keep)
    if args.only_volume:
        return

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


def long_volume(pages: int, seed: int, keep: Path | None) -> None:
    """One long dossier bound in volumes, scanned end to end by the CLI in a child process."""
    import json
    import resource
    import subprocess

    from fixtures.volumes import generate_volume_dossier

    out = (keep / "volume") if keep else Path(tempfile.mkdtemp(prefix="bench-volume-"))
    folder = generate_volume_dossier(seed, out, pages=pages)
    cli = Path(sys.executable).with_name("assistant")
    probe = ("import json,sys,time;from assistant.pipeline import scan;seen=[];scan(sys.argv[1]);"
             "t=time.perf_counter();c=time.process_time();r=scan(sys.argv[1],progress=lambda s,d,n:seen.append((s,d,n))).report;"
             "print(json.dumps({'s':time.perf_counter()-t,'cpu':time.process_time()-c,'pages':r['dossier']['pages'],'docs':len(r['documents']),"
             "'findings':[f['rule_id'] for f in r['findings']],"
             "'progress':sorted({s for s,_,_ in seen}),'page_steps':len([1 for s,_,_ in seen if s=='读取页面'])}))")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    run = subprocess.run([str(cli), "scan", str(folder), "--format", "json", "--no-progress"], capture_output=True,
                         text=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(run.stdout) if run.returncode == 0 else {}
    inner = subprocess.run([sys.executable, "-c", probe, str(folder)], capture_output=True, text=True, check=False)
    detail = json.loads(inner.stdout.strip().splitlines()[-1]) if inner.returncode == 0 else {}
    n = report.get("dossier", {}).get("pages", 0)
    print(f"long volume: {n} pages in {len(report.get('dossier', {}).get('files', []))} files, "
          f"{len(report.get('documents', []))} documents, findings {[f['rule_id'] for f in report.get('findings', [])]}")
    print(f"  assistant scan (CLI, incl. start-up): {wall:.2f}s wall, "
          f"{after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime:.2f}s CPU, "
          f"peak memory of the largest child {after.ru_maxrss / 1024:.0f} MiB, load average {os.getloadavg()[0]:.1f}")
    if detail:
        print(f"  scan() in process, second run (models loaded): {detail['s']:.2f}s wall, {detail['cpu']:.2f}s CPU "
              f"→ {detail['pages'] / detail['cpu']:.0f} pages per CPU-second; "
              f"progress stages {detail['progress']}, {detail['page_steps']} page steps")


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
