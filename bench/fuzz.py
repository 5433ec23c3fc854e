"""Fuzz harness: malformed and hostile dossiers through ``assistant scan`` and ``POST /v1/scans``.

Inputs come from :mod:`fixtures.hostile` (classes: PDF structure mutations, huge pages and page
counts, double-layer PDF, OFD, images, DOCX, text, zip archives, odd names, special files), a
third of them *mixed*: a folder holding one hostile file beside a good PDF. Each input runs

- through the CLI (the ``assistant scan --format json`` command, invoked in a long-lived worker
  process so the imports are paid once; ``--subprocess N`` also runs the first N inputs through
  the real console script), and
- through the API in the same worker (FastAPI ``TestClient``, real scan function, thread
  worker): a file is uploaded, a folder submitted by path from the intake root, ``wait=true``;

under a wall-time limit (the worker is killed and counted as a hang past it) and a memory
limit (RSS of the worker and its OCR processes, sampled every 50 ms; killed past it).

Besides those, the class ``unread`` (:data:`UNREAD`, built here) holds *readable-looking but empty*
inputs: a PDF whose fonts lost their ToUnicode maps (it prints perfectly, its text layer decodes to
control characters), an OFD whose content uses a structure the reader does not know, an image of a
blank page.

Checks: no traceback and no crash; exit status 0 (scan done) or 2 (dossier unreadable, Chinese
reason), as documented in README; stdout valid UTF-8 JSON; every message (warnings, file errors,
CLI error, API error and rejected files) Chinese with no Python class name; no temporary file
left; no API response 500; in mixed folders the good PDF gives the same documents (and, when
the hostile file yields no document, the same findings) as alone; no report of any class
suggests a grade other than 「无法评定」 while a file of it was not read (refused, or no readable
text), and an ``unread`` input always ends in a warning naming its file and 「无法评定」.

    python -m bench.fuzz --n 1000                        # the full run (prints the table)
    python -m bench.fuzz --n 60 --classes zip,pdf --no-api
    python -m bench.fuzz --n 30 --json /tmp/fuzz.json    # figures as JSON too
    python -m bench.fuzz --n 30 --classes unread --ocr none   # readable-looking but empty inputs only

Environment of the scans: ``ASSISTANT_MAX_PAGES=50`` (so a 60-page PDF exercises the page
budget), one OCR worker, a private data folder (no similar-case index).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

#: Files a library keeps in the temporary folder on purpose, once per process and not per scan:
#: jieba's dictionary cache, onnxruntime's marker written at import.
CACHES = {"jieba.cache", ".ses"}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NOT_CHINESE = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b|[\ud800-\udfff]|\\x[0-9a-f]{2}")


def chinese(message: Any) -> bool:
    """A user-facing message: Chinese, with no traceback, class name or undecodable byte."""
    return isinstance(message, str) and bool(_CJK.search(message)) and not _NOT_CHINESE.search(message)


@dataclass
class Outcome:
    """What one input gave."""

    cls: str
    builder: str
    mixed: bool
    seconds: float = 0.0
    peak_mb: float = 0.0
    crash: str = ""
    hang: bool = False
    over_memory: bool = False
    lost: str = ""
    problems: list[str] = field(default_factory=list)
    api_status: int | None = None
    grade: str = ""


# --------------------------------------------------------------------------- readable-looking but empty

UNGRADABLE = "无法评定"


def _name(rng: random.Random, ext: str) -> str:
    return rng.choice(["起诉书", "诉讼文书卷", "讯问笔录", "卷宗材料", "scan_0001"]) + ext


def unread_pdf_no_tounicode(rng: random.Random, out: Path, base: Any) -> Path:
    """The good PDF with every font's ToUnicode map removed: it prints as before, its text layer
    decodes to control characters."""
    import pikepdf

    path = out / _name(rng, ".pdf")
    out.mkdir(parents=True, exist_ok=True)
    with pikepdf.open(base.pdf) as pdf:
        for page in pdf.pages:
            fonts = page.obj.get("/Resources", {}).get("/Font", {})
            for _, font in fonts.items():
                for f in [font, *list(font.get("/DescendantFonts", []))]:
                    if "/ToUnicode" in f:
                        del f["/ToUnicode"]
        pdf.save(path)
    return path


def unread_ofd_unknown_structure(rng: random.Random, out: Path, base: Any) -> Path:
    """The good OFD with its page content in a structure the reader does not know: text objects
    renamed, their text moved into glyph indexes only, or their boundaries and sizes dropped."""
    import zipfile

    with zipfile.ZipFile(base.ofd) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    how = rng.choice(["rename", "glyphs", "no_geometry"])
    for name in [n for n in members if n.endswith("Content.xml")]:
        text = members[name].decode("utf-8")
        if how == "rename":
            text = text.replace("TextObject", "TextBlock").replace("ImageObject", "Picture")
        elif how == "glyphs":
            text = re.sub(r"(<ofd:TextCode[^>]*>)[^<]*(</ofd:TextCode>)", r"\1\2", text)
            text = text.replace("<ofd:TextCode", "<ofd:CGTransform CodePosition=\"0\" CodeCount=\"1\" GlyphCount=\"1\">"
                                "<ofd:Glyphs>12 34</ofd:Glyphs></ofd:CGTransform><ofd:TextCode")
        else:
            text = re.sub(r' (Boundary|Size)="[^"]*"', "", text)
        members[name] = text.encode("utf-8")
    path = out / _name(rng, ".ofd")
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def unread_blank_image(rng: random.Random, out: Path, base: Any) -> Path:
    """A scanned blank sheet: paper tone, sensor noise, JPEG or PNG."""
    import numpy as np
    from PIL import Image

    gen = np.random.default_rng(rng.randrange(2**32))
    img = np.clip(gen.normal(rng.choice([238, 245, 252]), rng.choice([1.5, 3.0]), (1169, 827)), 0, 255).astype(np.uint8)
    ext = rng.choice([".jpg", ".png"])
    path = out / _name(rng, ext)
    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path, "JPEG" if ext == ".jpg" else "PNG")
    return path


#: Readable-looking but empty inputs (class ``unread``).
UNREAD = [unread_pdf_no_tounicode, unread_ofd_unknown_structure, unread_blank_image]


def all_classes() -> dict[str, list[Any]]:
    """Every class of the harness: :data:`fixtures.hostile.CLASSES` and ``unread``."""
    from fixtures import hostile

    return {**hostile.CLASSES, "unread": UNREAD}


# --------------------------------------------------------------------------- worker side

def _worker(conn: Any, env: dict[str, str], tmp: str, intake: str) -> None:
    import threading

    from extractors.ocr_pool import _watch_parent

    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()  # die with the harness
    os.environ.update(env)
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp
    import logging

    logging.disable(logging.CRITICAL)
    from typer.testing import CliRunner

    from assistant.cli import app

    runner = CliRunner()
    api = None
    while True:
        job = conn.recv()
        if job is None:
            break
        out: dict[str, Any] = {}
        t = time.perf_counter()
        r = runner.invoke(app, ["scan", job["path"], "--format", "json", "--no-progress"], catch_exceptions=True)
        out["cli_s"] = time.perf_counter() - t
        exc = r.exception if r.exception is not None and not isinstance(r.exception, SystemExit) else None
        out["cli"] = {"rc": r.exit_code, "stdout": r.stdout_bytes, "stderr": r.stderr_bytes,
                      "exception": f"{type(exc).__name__}: {exc}" if exc else ""}
        if job.get("api"):
            try:
                api = api or _Api(Path(tmp).parent / "api", Path(intake), float(job["timeout"]))
                out["api"] = api.submit(Path(job["path"]))
            except Exception as exc:  # noqa: BLE001 - reported as a crash of the API path
                out["api"] = {"status": -1, "body": f"{type(exc).__name__}: {exc}"}
        left = [n for n in sorted(os.listdir(tmp)) if n not in CACHES]
        out["tmp_left"] = left[:5] + (api.tmp_left() if api else [])
        for name in left:  # leave a clean slate for the next input
            shutil.rmtree(Path(tmp) / name, ignore_errors=True)
        conn.send(out)


class _Api:
    """The service in-process: thread worker, real scan function, one intake key."""

    def __init__(self, folder: Path, intake: Path, timeout: float):
        from fastapi.testclient import TestClient

        from api.db import session_factory
        from api.main import create_app
        from api.security import create_key
        from api.settings import ServiceSettings
        from models.settings import get_settings

        core = get_settings().model_copy(update={"data_dir": folder})
        self.cfg = ServiceSettings(core=core, worker_mode="thread", scan_workers=1, intake_root=intake,
                                   scan_function="assistant.pipeline:scan", poll_s=0.05, wait_timeout_s=timeout)
        self.client = TestClient(create_app(self.cfg))
        self.client.__enter__()
        with session_factory(self.cfg.db_url)() as s:
            self.key = create_key(s, "intake", name="模糊测试")[1]
        self.intake = intake

    def submit(self, path: Path) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.key}"}
        if path.is_dir():
            r = self.client.post("/v1/scans?wait=true", json={"path": path.relative_to(self.intake).as_posix()},
                                 headers=headers)
        else:
            r = self.client.post("/v1/scans?wait=true", files=[("file", (path.name, path.read_bytes()))], headers=headers)
        return {"status": r.status_code, "body": r.content}

    def tmp_left(self) -> list[str]:
        tmp = self.cfg.storage_dir / "tmp"
        return [f"api:{p.name}" for p in tmp.iterdir()] if tmp.exists() else []


# --------------------------------------------------------------------------- parent side

class Runner:
    """A worker process with limits; restarted after a hang, a memory overrun or a crash."""

    def __init__(self, env: dict[str, str], root: Path, intake: Path, timeout: float, memory_bytes: int):
        self.env, self.root, self.intake, self.timeout, self.memory = env, root, intake, timeout, memory_bytes
        self.proc: Any = None
        self.conn: Any = None

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        tmp = self.root / "worker-tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.proc = ctx.Process(target=_worker, args=(child, self.env, str(tmp), str(self.intake)), daemon=True)
        self.proc.start()
        self.conn = parent

    def stop(self) -> None:
        from api.jobs import kill_tree

        if self.proc is not None and self.proc.is_alive():
            kill_tree(self.proc.pid)
            self.proc.join(5)
        self.proc = None

    def run(self, job: dict[str, Any]) -> tuple[dict[str, Any] | None, str, float, float]:
        """(result or None, "" / "hang" / "memory" / "died", seconds, peak MB)."""
        from api.jobs import tree_rss

        if self.proc is None or not self.proc.is_alive():
            self._start()
        t = time.perf_counter()
        self.conn.send({**job, "timeout": self.timeout})
        peak = 0
        while True:
            if self.conn.poll(0.05):
                try:
                    res = self.conn.recv()
                except EOFError:
                    self.stop()
                    return None, "died", time.perf_counter() - t, peak / 2**20
                return res, "", time.perf_counter() - t, peak / 2**20
            peak = max(peak, tree_rss(self.proc.pid))
            if not self.proc.is_alive():
                self.stop()
                return None, "died", time.perf_counter() - t, peak / 2**20
            if peak > self.memory:
                self.stop()
                return None, "memory", time.perf_counter() - t, peak / 2**20
            if time.perf_counter() - t > self.timeout * (2 if job.get("api") else 1):
                self.stop()
                return None, "hang", time.perf_counter() - t, peak / 2**20


def _messages(report: dict[str, Any]) -> list[str]:
    return list(report.get("warnings", [])) + [e.get("message", "") for e in report.get("file_errors", [])]


def _good_view(report: dict[str, Any], good: str) -> tuple[list, list, bool]:
    docs = [(d["type"], d["title"], d["source"]["pages"]) for d in report.get("documents", [])
            if d["source"]["file"] == good]
    only_good = all(d["source"]["file"] == good for d in report.get("documents", []))
    return docs, sorted(f["id"] for f in report.get("findings", [])), only_good


def check_cli(res: dict[str, Any], outcome: Outcome, baseline: dict[str, Any] | None, good: str) -> None:
    cli = res["cli"]
    stderr = cli["stderr"].decode("utf-8", "replace")
    if cli["exception"]:
        outcome.crash = cli["exception"][:200]
        return
    if "Traceback" in stderr or cli["rc"] not in (0, 2):
        outcome.crash = f"rc={cli['rc']} {stderr[-200:]}"
        return
    if cli["rc"] == 2:
        if not chinese(stderr):
            outcome.problems.append(f"cli-message:{stderr[:120]}")
        if outcome.mixed:
            outcome.lost = "扫描失败，混合卷宗中的正常文件未能读取"
        return
    try:
        report = json.loads(cli["stdout"].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        outcome.problems.append(f"json:{exc}")
        return
    bad = [m for m in _messages(report) if not chinese(m)]
    if bad:
        outcome.problems.append(f"message:{bad[0][:120]}")
    check_unread(report, outcome)
    if outcome.mixed and baseline is not None:
        docs, findings, only_good = _good_view(report, good)
        base_docs, base_findings, _ = _good_view(baseline, good)
        if docs != base_docs:
            outcome.lost = f"文书不同：{len(docs)} / {len(base_docs)}"
        elif only_good and findings != base_findings:
            outcome.lost = f"问题清单不同：{len(findings)} / {len(base_findings)}"


def unread_files(report: dict[str, Any]) -> list[str]:
    """Files of the report that were not read: refused or set aside, or without readable text."""
    names = [e.get("file", "") for e in report.get("file_errors") or []]
    return names + [f.get("file", "") for f in (report.get("coverage") or {}).get("unread_files") or []]


def check_unread(report: dict[str, Any], outcome: Outcome) -> None:
    """No grade while a file was unread; an ``unread`` input ends in a warning naming it and 「无法评定」."""
    grade = report.get("grade")
    outcome.grade = str(grade or "")
    missed = unread_files(report)
    if missed and grade != UNGRADABLE:
        outcome.problems.append(f"graded-unread:{grade}:{missed[0][:60]}")
    if outcome.cls == "unread":
        if grade != UNGRADABLE:
            outcome.problems.append(f"unread-graded:{grade}")
        elif not any(name and name.rsplit("/", 1)[-1] in w for w in report.get("warnings") or [] for name in missed):
            outcome.problems.append("unread-no-warning")


def check_api(res: dict[str, Any], outcome: Outcome) -> None:
    api = res.get("api")
    if not api:
        return
    outcome.api_status = api["status"]
    if api["status"] in (-1, 500):
        outcome.problems.append(f"api-{api['status']}:{str(api['body'])[:150]}")
        return
    try:
        body = json.loads(api["body"])
    except (UnicodeDecodeError, ValueError):
        outcome.problems.append("api-json")
        return
    if not isinstance(body, dict):
        outcome.problems.append("api-json")
        return
    if api["status"] == 200:
        msgs = _messages(body)
        if "grade" in body:
            if body.get("grade") != UNGRADABLE and (unread_files(body) or outcome.cls == "unread"):
                outcome.problems.append(f"api-graded-unread:{body.get('grade')}")
    else:
        msgs = [body["message"]] if "message" in body else []
        msgs += [f.get("message", "") for f in (body.get("files") or []) + (body.get("rejected_files") or [])]
        if (body.get("error") or {}).get("message"):
            msgs.append(body["error"]["message"])
    bad = [m for m in msgs if not chinese(m)]
    if bad:
        outcome.problems.append(f"api-message:{bad[0][:120]}")


def build_inputs(n: int, classes: list[str], folder: Path, seed: int, base: Any,
                 quick: bool = False) -> list[tuple[str, str, bool, Path]]:
    from fixtures import hostile

    rng = random.Random(seed)
    jobs = []
    every = all_classes()
    per_class = {c: [b for b in every[c] if not (quick and b.__name__ in hostile.SLOW)] for c in classes}
    # classes interleaved, so that any first n inputs cover every class
    builders = [(c, bs[i]) for i in range(max(map(len, per_class.values()))) for c, bs in per_class.items()
                if i < len(bs)]
    for k in range(n):
        cls, builder = builders[k % len(builders)]
        is_mixed = k % 3 == 1
        out = folder / f"{k:05d}"
        out.mkdir(parents=True)
        path = hostile.mixed(rng, out, base, builder) if is_mixed else builder(rng, out, base)
        jobs.append((cls, builder.__name__, is_mixed, path))
    return jobs


def table(outcomes: list[Outcome]) -> str:
    rows = ["| 类别 | 输入数 | 崩溃 | 超时 | 超内存 | 丢失文书 | 其他问题 | API 500 | 残留临时文件 | 无法评定 | 中位耗时 s | 峰值内存 MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.cls, []).append(o)
    groups["合计"] = outcomes
    for cls, os_ in groups.items():
        if not os_:
            continue
        rows.append(f"| {cls} | {len(os_)} | {sum(bool(o.crash) for o in os_)} | {sum(o.hang for o in os_)} | "
                    f"{sum(o.over_memory for o in os_)} | {sum(bool(o.lost) for o in os_)} | "
                    f"{sum(any(not p.startswith(('api-500', 'tmp')) for p in o.problems) for o in os_)} | "
                    f"{sum(any(p.startswith('api-500') for p in o.problems) for o in os_)} | "
                    f"{sum(any(p.startswith('tmp') for p in o.problems) for o in os_)} | "
                    f"{sum(o.grade == UNGRADABLE for o in os_)} | "
                    f"{statistics.median(o.seconds for o in os_):.2f} | {max(o.peak_mb for o in os_):.0f} |")
    return "\n".join(rows)


def run(n: int, classes: list[str], seed: int = 0, timeout: float = 120.0, memory_gib: float = 2.0,
        api: bool = True, ocr: str = "rapidocr", subprocess_n: int = 0, keep: Path | None = None,
        verbose: bool = True, quick: bool = False) -> list[Outcome]:
    from fixtures import hostile

    root = Path(tempfile.mkdtemp(prefix="fuzz-")) if keep is None else keep
    try:
        inputs = root / "inputs"
        base = hostile.Base.build(root / "base", formats=any(c in classes for c in ("ofd", "double_layer", "unread")))
        env = {"ASSISTANT_MAX_PAGES": "50", "FUZZ_MANY_PAGES": "60", "ASSISTANT_OCR_WORKERS": "1",
               "ASSISTANT_OCR_ENGINE": ocr, "ASSISTANT_DATA_DIR": str(root / "data"),
               "ASSISTANT_INDEX_DIR": str(root / "no-index"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        os.environ.update({k: v for k, v in env.items() if k.startswith("FUZZ_")})
        jobs = build_inputs(n, classes, inputs, seed, base, quick)
        runner = Runner(env, root, inputs, timeout, int(memory_gib * 2**30))
        good = root / "good"
        good.mkdir()
        shutil.copyfile(base.pdf, good / hostile.GOOD_NAME)
        res, _, _, _ = runner.run({"path": str(good), "api": False})
        baseline = json.loads(res["cli"]["stdout"]) if res and res["cli"]["rc"] == 0 else None
        outcomes: list[Outcome] = []
        for k, (cls, name, is_mixed, path) in enumerate(jobs):
            o = Outcome(cls=cls, builder=name, mixed=is_mixed)
            res, status, o.seconds, o.peak_mb = runner.run({"path": str(path), "api": api})
            if status == "hang":
                o.hang = True
            elif status == "memory":
                o.over_memory = True
            elif status == "died" or res is None:
                o.crash = "worker died"
            else:
                o.seconds = res["cli_s"]
                check_cli(res, o, baseline, hostile.GOOD_NAME)
                check_api(res, o)
                if res["tmp_left"]:
                    o.problems.append(f"tmp:{res['tmp_left']}")
            if k < subprocess_n:
                _subprocess(path, env, timeout, memory_gib, o)
            outcomes.append(o)
            if verbose and (o.crash or o.hang or o.over_memory or o.lost or o.problems):
                print(f"[{k}] {cls}/{name}{' (混合)' if is_mixed else ''}: crash={o.crash!r} hang={o.hang} "
                      f"mem={o.over_memory} lost={o.lost!r} problems={o.problems}", file=sys.stderr, flush=True)
        runner.stop()
        return outcomes
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _subprocess(path: Path, env: dict[str, str], timeout: float, memory_gib: float, o: Outcome) -> None:
    """The same input through the real console script (``assistant scan``), with the same limits."""
    import subprocess

    from api.jobs import kill_tree, tree_rss

    exe = Path(sys.executable).parent / "assistant"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "api.cli"]
    with tempfile.TemporaryDirectory(prefix="fuzz-sub-") as tmp:
        proc = subprocess.Popen([*cmd, "scan", str(path), "--format", "json", "--no-progress"],
                                env={**os.environ, **env, "TMPDIR": tmp, "PYTHONPATH": str(REPO)},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp)
        t, peak = time.perf_counter(), 0
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            if time.perf_counter() - t > timeout or peak > memory_gib * 2**30:
                kill_tree(proc.pid)
                o.problems.append("subprocess-limit")
                break
            time.sleep(0.05)
        out, err = proc.communicate()
        sub = Outcome(cls=o.cls, builder=o.builder, mixed=o.mixed)
        check_cli({"cli": {"rc": proc.returncode, "stdout": out, "stderr": err, "exception": ""}}, sub, None, "")
        if sub.crash or sub.problems:
            o.problems.append(f"subprocess:{sub.crash or sub.problems}")
        left = [n for n in os.listdir(tmp) if n not in CACHES]
        if left:
            o.problems.append(f"tmp:subprocess {left[:3]}")
        o.peak_mb = max(o.peak_mb, peak / 2**20)


def main(argv: list[str] | None = None) -> int:
    CLASSES = all_classes()
    ap = argparse.ArgumentParser(description="评查助手模糊测试：畸形与恶意卷宗输入。")
    ap.add_argument("--n", type=int, default=1000, help="输入数（按类别与构造方式轮流生成）")
    ap.add_argument("--limit", type=int, default=None, help="同 --n（兼容）")
    ap.add_argument("--classes", default=",".join(CLASSES), help="类别，逗号分隔：" + ",".join(CLASSES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=120.0, help="每个输入的时间上限（秒）")
    ap.add_argument("--memory-gib", type=float, default=2.0, help="每个输入的内存上限（GiB，含 OCR 进程）")
    ap.add_argument("--no-api", action="store_true", help="只测命令行")
    ap.add_argument("--ocr", default="rapidocr", help="文字识别引擎（rapidocr / none）")
    ap.add_argument("--subprocess", type=int, default=0, help="前 N 个输入另用真实命令行进程再跑一遍")
    ap.add_argument("--quick", action="store_true", help="略过耗时的构造方式（大文本、需要压缩的炸弹、需要识别的大页面）")
    ap.add_argument("--json", type=Path, default=None, help="结果写成 JSON")
    ap.add_argument("--keep", type=Path, default=None, help="保留输入与数据的目录")
    args = ap.parse_args(argv)
    classes = [c for c in args.classes.split(",") if c]
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        print(f"未知类别：{'、'.join(unknown)}", file=sys.stderr)
        return 2
    t = time.perf_counter()
    outcomes = run(args.limit or args.n, classes, args.seed, args.timeout, args.memory_gib, not args.no_api,
                   args.ocr, args.subprocess, args.keep, quick=args.quick)
    print(table(outcomes))
    print(f"\n共 {len(outcomes)} 个输入，用时 {time.perf_counter() - t:.0f} 秒")
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], ensure_ascii=False, indent=1), encoding="utf-8")
    failed = sum(bool(o.crash or o.hang or o.over_memory or o.lost or o.problems) for o in outcomes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
