"""Load bench of the scan service over loopback.

    python bench/api_load.py [--n 50] [--workers 2] [--wait-runs 10] [--seed 1000]

1. Starts ``assistant serve`` on 127.0.0.1 (free port, temporary data dir, SQLite).
2. Generates ``--n`` distinct text-layer dossiers (``fixtures.generator``), zips them and
   submits all at once from ``--n`` threads; then polls until every scan is done or failed.
   Prints submission latency (POST → 202), end-to-end latency (POST → done), throughput
   and the error count.
3. Sends ``--wait-runs`` distinct 20-page dossiers one after another with ``?wait=true`` and
   prints p50/p95 of the request latency (POST → report).

Bounded: every loop has a deadline (``--timeout``); the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.live import LiveServer  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def make_zip(seed: int, tmp: Path) -> bytes:
    from fixtures.generator import generate_dossier

    folder = generate_dossier(seed, tmp / f"g{seed}", layout="per-document")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder.parent).as_posix())
    return buf.getvalue()


def make_pdf_20(seed: int, tmp: Path, pages: int = 20) -> bytes:
    """A single text-layer PDF of exactly ``pages`` pages cut from a generated dossier."""
    import pikepdf

    from fixtures.generator import generate_dossier

    folder = generate_dossier(seed, tmp / f"w{seed}", layout="single-pdf")
    src = next(folder.glob("*.pdf"))
    with pikepdf.open(src) as pdf:
        out = pikepdf.new()
        for page in list(pdf.pages)[:pages]:
            out.pages.append(page)
        buf = io.BytesIO()
        out.save(buf)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--wait-runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=1800.0, help="deadline for each phase, seconds")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="api-load-"))
    try:
        return _run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, tmp: Path) -> int:
    t0 = time.perf_counter()
    zips = [make_zip(args.seed + i, tmp) for i in range(args.n)]
    pdfs = [make_pdf_20(args.seed + 10_000 + i, tmp) for i in range(args.wait_runs)]
    print(f"生成卷宗：{args.n} 个 zip（平均 {statistics.mean(len(z) for z in zips) / 1024:.0f} KB），"
          f"{args.wait_runs} 个 20 页 PDF，用时 {time.perf_counter() - t0:.1f} s", flush=True)

    with LiveServer(tmp / "data", workers=args.workers) as srv:
        key = srv.create_key("intake", "bench")
        headers = {"X-API-Key": key}
        limits = httpx.Limits(max_connections=args.n + 4, max_keepalive_connections=args.n + 4)
        with httpx.Client(base_url=srv.url, timeout=120, limits=limits) as c:
            # --- phase 1: n concurrent submissions -------------------------------------------
            def submit(i: int) -> tuple[int, float, float, str | None, int]:
                start = time.perf_counter()
                try:
                    r = c.post("/v1/scans", files=[("file", (f"卷宗{i}.zip", zips[i], "application/zip"))], headers=headers)
                except httpx.HTTPError as exc:
                    return i, start, time.perf_counter() - start, None, -1
                sid = r.json().get("id") if r.status_code == 202 else None
                return i, start, time.perf_counter() - start, sid, r.status_code

            wall0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.n) as pool:
                subs = list(pool.map(submit, range(args.n)))
            submit_lat = [s[2] for s in subs if s[3]]
            errors = [s for s in subs if not s[3]]
            pending = {s[3]: s[1] for s in subs if s[3]}
            done_lat: list[float] = []
            failed = 0
            pages = 0
            deadline = time.perf_counter() + args.timeout
            while pending and time.perf_counter() < deadline:
                for sid in list(pending):
                    body = c.get(f"/v1/scans/{sid}", headers=headers).json()
                    if body["status"] in ("done", "failed"):
                        done_lat.append(time.perf_counter() - pending.pop(sid))
                        failed += body["status"] == "failed"
                        pages += body["pages"] if body["status"] == "done" else 0
                time.sleep(0.25)
            wall = time.perf_counter() - wall0
            ok = len(done_lat) - failed
            print(f"\n[并发提交] {args.n} 个卷宗，扫描进程 {args.workers} 个")
            print(f"  提交：成功 {len(submit_lat)}，错误 {len(errors)}；提交延迟 p50 {pct(submit_lat, .5) * 1000:.0f} ms，"
                  f"p95 {pct(submit_lat, .95) * 1000:.0f} ms")
            print(f"  完成：{ok} 个，失败 {failed} 个，超时未完成 {len(pending)} 个；总用时 {wall:.1f} s")
            print(f"  端到端延迟（提交→完成）p50 {pct(done_lat, .5):.1f} s，p95 {pct(done_lat, .95):.1f} s")
            print(f"  吞吐：{ok / wall * 60:.1f} 卷宗/分钟，{pages / wall:.1f} 页/秒（共 {pages} 页）")
            print(f"  错误合计：{len(errors) + failed + len(pending)}", flush=True)

            # --- phase 2: 20-page dossiers with ?wait=true ---------------------------------------
            wait_lat: list[float] = []
            wait_err = 0
            for i, pdf in enumerate(pdfs):
                start = time.perf_counter()
                try:
                    r = c.post("/v1/scans?wait=true", files=[("file", (f"二十页{i}.pdf", pdf, "application/pdf"))],
                               headers=headers, timeout=args.timeout)
                    if r.status_code == 200 and r.json().get("dossier", {}).get("pages") == 20:
                        wait_lat.append(time.perf_counter() - start)
                    else:
                        wait_err += 1
                except httpx.HTTPError:
                    wait_err += 1
            print(f"\n[wait=true，20 页卷宗，逐个提交] {len(wait_lat)} 次成功，错误 {wait_err}")
            print(f"  延迟 p50 {pct(wait_lat, .5):.2f} s，p95 {pct(wait_lat, .95):.2f} s，"
                  f"最小 {min(wait_lat, default=float('nan')):.2f} s，最大 {max(wait_lat, default=float('nan')):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
