"""Benchmark: one long scanned dossier (400 pages by default) through ``assistant scan``'s pipeline.

    python bench/long_dossier.py [--pages 400] [--out /tmp/long_dossier] [--interrupt 0.5] [--keep]

Builds a dossier of ``--pages`` image-only pages in volumes of 100 (not timed): scanned renderings of generated
dossiers (``fixtures.generator`` + ``fixtures.scan``, profile ``pdf``, pages merged as they are with
pikepdf), with the sheets real dossiers carry between documents — a separator sheet before each,
a blank sheet after every other one and two photo pages after every third (``fixtures.sheets``).
Then scans it in a child process (``assistant.pipeline.scan``, the CLI's call, OCR workers on every
core) and prints

* progress in pages as the child reports it (the ``识别文字`` stage: pages OCR'd / pages to OCR);
* wall seconds, CPU seconds (the child and its OCR workers) and both per page;
* peak resident memory of the whole process tree (the child plus its OCR workers, sampled 4× a
  second) and of its largest process;
* what the report's ``coverage`` says: pages by source, pages not read and why, photo pages read in part.

With ``--interrupt F`` the scan is first interrupted (SIGINT, as Ctrl-C) once a share F of its pages
is OCR'd, then run again: the second run reads on from the pages kept (``extractors.ocr.PageCache``)
and its figures are printed beside the first's; its findings are compared with a run that was not
interrupted when ``--full`` is given too (another complete pass).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, sys, time
from pathlib import Path
from models.settings import Settings
from assistant.pipeline import scan

last = [0.0]
def progress(stage, done, total):
    now = time.monotonic()
    if stage == "识别文字" and (done == total or now - last[0] > 5):
        last[0] = now
        print(json.dumps({"stage": stage, "done": done, "total": total}, ensure_ascii=False), flush=True)

result = scan(Path(sys.argv[1]), settings=Settings(data_dir=Path(sys.argv[2])), progress=progress)
report = result.report
print(json.dumps({"report": {"coverage": report.get("coverage"), "findings": [
    [f.get("rule_id"), f.get("message")] for f in report.get("findings", [])]}}, ensure_ascii=False), flush=True)
"""


#: Pages per PDF of the long dossier: bound in volumes, as exported dossiers are (one 400-page
#: file of these scans is ~240 MB, over the product's 200 MB limit for one file).
VOLUME_PAGES = 100


def build(pages: int, out: Path, seed: int = 31) -> Path:
    """The long dossier: a folder of image-only PDFs of :data:`VOLUME_PAGES` pages, ``pages`` in all."""
    import pikepdf

    folder = out / f"dossier_{pages}"
    whole = out / f"whole_{pages}.pdf"
    if not whole.is_file():
        _build_whole(pages, out, whole, seed)
    if not folder.is_dir():
        folder.mkdir(parents=True)
        with pikepdf.open(whole) as src:
            for k in range(0, pages, VOLUME_PAGES):
                part = pikepdf.new()
                part.pages.extend(src.pages[k:k + VOLUME_PAGES])
                part.save(folder / f"第{k // VOLUME_PAGES + 1}卷.pdf")
    return folder


def _build_whole(pages: int, out: Path, target: Path, seed: int) -> None:
    import pikepdf

    from fixtures import sheets
    from fixtures.generator import generate_dossier
    from fixtures.scan import Degradation, degrade, save_image_pdf, scan_dossier

    work = out / "parts"
    big = pikepdf.new()
    k = 0

    def sheet(image, name: str) -> None:
        path = work / f"{name}.pdf"
        save_image_pdf([(degrade(image, Degradation(dpi=200, blur=0.4, noise=3, jpeg_quality=75), seed=k), 200)], path)
        with pikepdf.open(path) as src:
            big.pages.extend(src.pages)

    while len(big.pages) < pages:
        text = generate_dossier(seed=seed + k, out_dir=work / "text", layout="single-pdf")
        scan_dir = work / "scan" / text.name
        scan_dossier(text, scan_dir, seed=seed + k, profile="pdf", turns=False)
        sheet(sheets.separator_sheet("证据材料" if k % 2 else "诉讼文书", seed=k), f"sep{k}")
        for pdf in sorted(scan_dir.glob("*.pdf")):
            with pikepdf.open(pdf) as src:
                big.pages.extend(src.pages[: max(0, pages - len(big.pages))])
        if k % 2 == 1:
            sheet(sheets.blank_sheet(k), f"blank{k}")
        if k % 3 == 2:
            sheet(sheets.photo_page(k), f"photo{k}a")
            sheet(sheets.photo_page(k + 100, photos=1), f"photo{k}b")
        k += 1
    del big.pages[pages:]
    big.save(target)


def _tree(pid: int) -> list:
    import psutil

    try:
        p = psutil.Process(pid)
        return [p, *p.children(recursive=True)]
    except psutil.Error:
        return []


def run(folder: Path, data_dir: Path, interrupt_at: float | None = None) -> dict:
    """Scan ``folder`` in a child process; sample the tree's memory and CPU; optionally SIGINT it."""
    import psutil

    env = dict(os.environ, PYTHONPATH=str(ROOT), ASSISTANT_OCR_CACHE=str(data_dir / "ocr_cache"))
    log = open(data_dir / "child.log", "a")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(data_dir)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=log, text=True)
    peak_tree = peak_one = 0
    cpu: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree, peak_one
        while not stop.wait(0.25):
            total = 0
            for p in _tree(proc.pid):
                try:
                    rss = p.memory_info().rss
                    t = p.cpu_times()
                    cpu[p.pid] = max(cpu.get(p.pid, 0.0), t.user + t.system)
                except psutil.Error:
                    continue
                total += rss
                peak_one = max(peak_one, rss)
            peak_tree = max(peak_tree, total)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    result: dict = {"interrupted": False, "progress": []}
    for line in proc.stdout:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if "stage" in msg:
            result["progress"].append((round(time.perf_counter() - t0, 1), msg["done"], msg["total"]))
            print(f"  {time.perf_counter() - t0:7.1f} s  识别文字 {msg['done']}/{msg['total']} pages", flush=True)
            if interrupt_at is not None and msg["done"] >= interrupt_at * msg["total"] and not result["interrupted"]:
                proc.send_signal(signal.SIGINT)
                result["interrupted"] = True
        elif "report" in msg:
            result["report"] = msg["report"]
    proc.wait()
    log.close()
    if proc.returncode and not result["interrupted"]:
        print("  the scan failed:\n" + "\n".join((data_dir / "child.log").read_text().splitlines()[-5:]), flush=True)
    stop.set()
    watcher.join()
    result.update(wall=time.perf_counter() - t0, cpu=sum(cpu.values()), peak_tree=peak_tree, peak_one=peak_one,
                  rc=proc.returncode)
    return result


def show(name: str, r: dict, pages: int) -> None:
    print(f"{name}: {'interrupted' if r['interrupted'] else 'finished'} (exit {r['rc']}) after {r['wall']:.0f} s wall, "
          f"{r['cpu']:.0f} CPU-s → {r['wall'] / pages:.2f} s/page wall, {r['cpu'] / pages:.2f} CPU-s/page; "
          f"peak RSS of the process tree {r['peak_tree'] / 2**30:.2f} GiB (largest process {r['peak_one'] / 2**30:.2f} GiB)",
          flush=True)
    cov = (r.get("report") or {}).get("coverage")
    if cov:
        reasons: dict[str, int] = {}
        for p in cov["unread_pages"]:
            reasons[p["reason"]] = reasons.get(p["reason"], 0) + 1
        print(f"  coverage: {cov['pages']}; not read: {reasons}; photo pages read in part: "
              f"{len(cov.get('partly_read_pages', []))}; findings: {len(r['report']['findings'])}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "long_dossier")
    ap.add_argument("--interrupt", type=float, default=None, help="interrupt the first run at this share of its pages")
    ap.add_argument("--full", action="store_true", help="with --interrupt: also a run that is not interrupted, to compare findings")
    args = ap.parse_args()
    t = time.perf_counter()
    folder = build(args.pages, args.out)
    print(f"dossier: {folder} ({args.pages} pages, built in {time.perf_counter() - t:.0f} s); cpus {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="long-data-") as data:
        if args.interrupt is not None:
            first = run(folder, Path(data), args.interrupt)
            show("first run", first, args.pages)
            kept = len(list((Path(data) / "ocr_cache").glob("*.pkl")))
            print(f"  pages kept after the interruption: {kept}", flush=True)
            runs.append(first)
        second = run(folder, Path(data))
        show("run" if args.interrupt is None else "second run (reads on)", second, args.pages)
        runs.append(second)
    if args.interrupt is not None and args.full:
        with tempfile.TemporaryDirectory(prefix="long-full-") as data:
            full = run(folder, Path(data))
            show("uninterrupted run", full, args.pages)
        a = sorted(map(tuple, second["report"]["findings"]))
        b = sorted(map(tuple, full["report"]["findings"]))
        print(f"findings after the interruption {len(a)}, without {len(b)}; identical: {a == b}")


if __name__ == "__main__":
    main()
