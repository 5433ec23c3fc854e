"""Benchmark: ``assistant batch`` on a generated caseload — local pool (1 and 2 workers) vs a
two-node Ray cluster on the same cores.

    python bench/batch.py [--n 24] [--scanned 0] [--seed 5] [--keep DIR] [--modes local1,local2,ray2] [--repeat 1]
                          (also: local2-own — 2 workers each OCRing its own pages, scanned caseload only;
                           ray1 — a one-node Ray cluster, the baseline of "1 node → 2 nodes")
    python bench/batch.py --n 4 --scanned 4 --modes ray1,ray2 --only scanned   # scanned caseload across Ray nodes

Generates N text-layer dossiers (fixtures.generator; with ``--scanned K`` also K scanned
copies through fixtures.scan, which need OCR) — not timed — then runs the batch runner of
:mod:`api.batch` in this process once per mode, each with a fresh database so nothing is
skipped, and prints per mode:

* pages/s and dossiers/hour over the scanning time (from the moment every worker holds its
  models — work is held until then, in both runners — to the last report written: per-dossier
  report files, storage and database rows included), and the one-time start-up (model
  loading) and shut-down (workers exiting) separately;
* peak resident memory per worker (``VmHWM`` of each worker process, read while it runs);
* pages per worker CPU-second (CPU time of the worker processes after loading): unlike
  wall-clock figures it does not depend on other work sharing the machine;
* the ratios 2 workers / 1 worker and Ray (2 nodes × 1 CPU) / local pool (2 workers).

Ray mode starts its own cluster (``ray start --head --num-cpus 1`` + ``ray start --address …
--num-cpus 1``, with a temporary directory of its own) and stops exactly those processes.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def vm_hwm(pid: int) -> int:
    """Peak resident set of a process in bytes (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process (0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class MemWatch:
    """Samples peak RSS and CPU seconds of the worker processes (4 times a second)."""

    def __init__(self):
        self.pids: set[int] = set()
        self.peak: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        import psutil

        me = psutil.Process()
        self.ocr_peak: dict[int, int] = {}
        self.ocr_cpu: dict[int, float] = {}
        while not self._stop.wait(0.25):
            for pid in list(self.pids):
                self.peak[pid] = max(self.peak.get(pid, 0), vm_hwm(pid))
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu_seconds(pid))
            try:  # the local pool's shared OCR processes: this process's other children
                kids = [k.pid for k in me.children() if k.pid not in self.pids]
            except Exception:  # noqa: BLE001
                kids = []
            for pid in kids:
                hwm = vm_hwm(pid)
                if hwm > 300 * 2**20:  # OCR processes hold an engine; helpers (resource tracker) do not
                    self.ocr_peak[pid] = max(self.ocr_peak.get(pid, 0), hwm)
                    self.ocr_cpu[pid] = max(self.ocr_cpu.get(pid, 0.0), cpu_seconds(pid))

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def run_mode(source: Path, work: Path, workers: int, ray_address: str | None, ocr: str, shared_ocr: bool = True) -> dict:
    from api.batch import WorkerConfig, batch_id_for, batch_sessions, finish_batch, prepare, run_batch
    from assistant.batch import discover, versions, versions_key
    from models.settings import Settings

    data = work / "data"
    shutil.rmtree(work, ignore_errors=True)
    s = Settings(data_dir=data.resolve(), ocr_engine=ocr)
    s = s.model_copy(update={"database_url": s.db_url})
    entries, _ = discover(source)
    sessions = batch_sessions(s.db_url)
    vers = versions(s)
    out = work / "out"
    bid = batch_id_for(source, out)
    items = prepare(sessions, bid, entries, source, out, vers)
    cfg = WorkerConfig(settings=s, batch_id=bid, out_dir=str(out), versions_key=versions_key(vers),
                       ocr_slots=0 if shared_ocr else -1)
    scan_cpu, scan_wall = [0.0], [0.0]
    with MemWatch() as mem:
        def on_event(kind, payload, stats):
            if kind == "result":
                scan_cpu[0] += payload.get("cpu", 0.0)
                scan_wall[0] += payload.get("seconds", 0.0)
            if kind == "ready":
                mem.pids.add(payload["pid"])
                mem.cpu_at_ready = getattr(mem, "cpu_at_ready", {})
                mem.cpu_at_ready[payload["pid"]] = cpu_seconds(payload["pid"])

        stats = run_batch(cfg, items, workers, ray_address, on_event=on_event, start_together=True)
    finish_batch(sessions, bid, out)
    busy = stats.scan_seconds
    worker_cpu = sum(mem.cpu.get(p, 0.0) - getattr(mem, "cpu_at_ready", {}).get(p, 0.0) for p in mem.pids)
    return {"cpu_pages_s": stats.scanned_pages / worker_cpu if worker_cpu > 0 else 0.0, "worker_cpu": worker_cpu,
            "scan_cpu": scan_cpu[0], "scan_wall": scan_wall[0],
            "workers": workers, "ray": bool(ray_address), "dossiers": stats.done, "pages": stats.scanned_pages,
            "failed": len(stats.failed), "seconds": busy, "load": stats.elapsed - busy,
            "pages_s": stats.scanned_pages / busy, "dossiers_h": stats.done / busy * 3600,
            "peak_mib": [v / 2**20 for v in mem.peak.values()], "nodes": dict(stats.nodes),
            "ocr_peak_mib": [v / 2**20 for p, v in getattr(mem, "ocr_peak", {}).items() if p not in mem.pids],
            "ocr_cpu": sum(v for p, v in getattr(mem, "ocr_cpu", {}).items() if p not in mem.pids)}


def median_run(runs: list[dict]) -> dict:
    """The run with the median pages/s (the lower middle one for an even count)."""
    ordered = sorted(runs, key=lambda r: r["pages_s"])
    return ordered[(len(ordered) - 1) // 2]


def show(name: str, r: dict) -> None:
    peak = ", ".join(f"{v:.0f}" for v in sorted(r["peak_mib"]))
    print(f"{name:8s} {r['dossiers']:3d} dossiers {r['pages']:5d} pages in {r['seconds']:6.1f}s "
          f"(+{r['load']:.1f}s start-up and shut-down) → {r['pages_s']:6.1f} pages/s, {r['dossiers_h']:7.0f} dossiers/h; "
          f"peak RSS per worker MiB: {peak}; failed {r['failed']}; nodes {len(r['nodes'])}; "
          f"workers' CPU {r['worker_cpu']:.1f}s → {r['cpu_pages_s']:.1f} pages per worker CPU-second "
          f"(scanning threads alone {r['scan_cpu']:.1f}s → {r['pages'] / max(r['scan_cpu'], 1e-9):.1f}); "
          f"workers busy {r['scan_wall'] / max(r['seconds'] * r['workers'], 1e-9):.0%} of the time, "
          f"on CPU {r['scan_cpu'] / max(r['scan_wall'], 1e-9):.0%} of that", flush=True)
    if r.get("ocr_peak_mib"):
        print(f"{'':8s} shared OCR processes: {len(r['ocr_peak_mib'])}, peak RSS MiB "
              f"{', '.join(f'{v:.0f}' for v in sorted(r['ocr_peak_mib']))}, CPU {r['ocr_cpu']:.1f}s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--scanned", type=int, default=0, help="also a scanned caseload of this many dossiers (OCR)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--modes", default="local1,local2,ray2")
    ap.add_argument("--only", choices=("text", "scanned"), default=None, help="run one caseload only")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of every mode (interleaved); ratios are taken within each round, then the median")
    args = ap.parse_args()
    modes = args.modes.split(",")

    from fixtures.generator import generate_set
    from fixtures.raycluster import RayCluster

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    text_src = root / "text"
    if not text_src.is_dir() or len([p for p in text_src.iterdir() if p.is_dir()]) < args.n:
        t = time.perf_counter()
        gen = root / "gen"
        folders = generate_set(args.n, seed=args.seed, out_dir=gen, layouts=("mixed", "single-pdf", "per-document"))
        text_src.mkdir(parents=True, exist_ok=True)
        for f in folders:
            shutil.copytree(f, text_src / f.name, dirs_exist_ok=True)
        print(f"generated {len(folders)} text-layer dossiers in {time.perf_counter() - t:.1f}s → {text_src}")
    caseloads = [("text", text_src, "none")]
    if args.scanned:
        from fixtures.scan import scan_dossier

        scan_src = root / "scanned"
        if not scan_src.is_dir():
            scan_src.mkdir(parents=True)
            for k, f in enumerate(sorted(p for p in (root / "gen").iterdir() if p.is_dir())[: args.scanned]):
                scan_dossier(f, scan_src / f.name, seed=k, profile="pdf")
        caseloads.append(("scanned", scan_src, "rapidocr"))

    print(f"machine: nproc={os.cpu_count()}, cpu={cpu_model()}, python={platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for label, src, ocr in caseloads:
        if args.only and label != args.only:
            continue
        print(f"--- {label} caseload ({src})")
        runs: dict[str, list[dict]] = {}

        def once(key: str, label_: str, **kw) -> None:
            r = run_mode(src, root / f"run-{label}-{key}", **kw)
            runs.setdefault(key, []).append(r)
            show(label_, r)

        for rep in range(args.repeat):
            if args.repeat > 1:
                print(f"-- round {rep + 1}/{args.repeat}")
            if "local1" in modes:
                once("local1", "local×1", workers=1, ray_address=None, ocr=ocr)
            if "local2" in modes:
                once("local2", "local×2", workers=2, ray_address=None, ocr=ocr)
            if "local2-own" in modes and ocr != "none":
                once("local2-own", "local×2, each worker OCRing its own pages", workers=2, ray_address=None, ocr=ocr,
                     shared_ocr=False)
            if "ray1" in modes:
                with RayCluster(nodes=1) as cluster:
                    once("ray1", "ray 1×1", workers=1, ray_address=cluster.address, ocr=ocr)
            if "ray2" in modes:
                with RayCluster() as cluster:
                    once("ray2", "ray 2×1", workers=2, ray_address=cluster.address, ocr=ocr)
        res = {k: median_run(v) for k, v in runs.items()}
        if args.repeat > 1:
            print(f"-- medians over {args.repeat} rounds (pages/s): "
                  + ", ".join(f"{k} {r['pages_s']:.1f}" for k, r in res.items()))
        def ratio(a: str, b: str) -> str:
            """a/b within each round (the machine's speed drifts between rounds), median over rounds."""
            per = [x["pages_s"] / y["pages_s"] for x, y in zip(runs[a], runs[b])]
            med = statistics.median(per)
            return f"{med:.2f}" + (f" (rounds: {', '.join(f'{v:.2f}' for v in per)})" if len(per) > 1 else "")

        if "local1" in res and "local2" in res:
            print(f"speed-up 1 → 2 workers: {ratio('local2', 'local1')}×")
        if "local2" in res and "local2-own" in res:
            print(f"OCR shared by the batch / each worker its own: {ratio('local2', 'local2-own')}×")
        if "local2" in res and "ray2" in res:
            print(f"Ray (2 nodes × 1 CPU) / local pool (2 workers): {ratio('ray2', 'local2')}")
        if "ray1" in res and "ray2" in res:
            print(f"Ray 1 node → 2 nodes: {ratio('ray2', 'ray1')}× ({label} caseload)")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (other work on the machine skews every figure)")


if __name__ == "__main__":
    main()
