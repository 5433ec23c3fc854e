"""``assistant index``: build, extend and query the similar-case index (类案索引)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from models.settings import get_settings

index_app = typer.Typer(add_completion=False, no_args_is_help=True, help="类案索引：建立、追加与检索。")
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]错误：[/]{message}")
    raise typer.Exit(code)


def _embedder(model: Optional[Path], lexical: bool, backend: str):
    from index.embed import LexicalEmbedder, load_embedder

    if lexical:
        return LexicalEmbedder()
    path = model or get_settings().embed_model_path
    emb, warns = load_embedder(path, backend=backend)
    for w in warns:
        err.print(f"[yellow]警告：[/]{w}")
    return emb


def _read(cases: Path) -> list:
    from index.records import RecordError, iter_cases

    errors: list[str] = []
    try:
        records = list(iter_cases(cases, errors))
    except RecordError as exc:
        _fail(str(exc))
    for e in errors[:10]:
        err.print(f"[yellow]跳过：[/]{e}")
    if len(errors) > 10:
        err.print(f"[yellow]另有 {len(errors) - 10} 条记录被跳过。[/]")
    if not records:
        _fail(f"{cases} 中没有可用的案例记录。")
    return records


def _default_dir() -> Path:
    """``ASSISTANT_INDEX_DIR`` when set, else ``$ASSISTANT_DATA_DIR/index`` (what scans use by default)."""
    settings = get_settings()
    return settings.index_dir or settings.default_index_dir


def _source(cases: Path, model: Optional[Path], lexical: bool) -> dict:
    """What an index was built from: the cases file (path, size, mtime) and the embedder asked for."""
    files = [cases] if cases.is_file() else sorted(p for p in cases.rglob("*") if p.is_file())
    return {"cases": str(cases.resolve()), "bytes": sum(p.stat().st_size for p in files),
            "mtime_ns": max([cases.stat().st_mtime_ns] + [p.stat().st_mtime_ns for p in files]),
            "embedder": "lexical" if lexical else str((model or get_settings().embed_model_path).resolve())}


def _current(out: Path, source: dict) -> bool:
    """True when ``out`` holds a complete index of the current format built from ``source``."""
    import sqlite3

    from index.store import FORMAT_VERSION

    if not all((out / n).is_file() for n in ("meta.sqlite3", "index.faiss", "vectors.npy", "model.pkl")):
        return False
    try:
        db = sqlite3.connect(f"file:{(out / 'meta.sqlite3').resolve()}?mode=ro", uri=True)
        try:
            info = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM info")}
        finally:
            db.close()
    except (sqlite3.Error, ValueError):
        return False
    return info.get("format") == FORMAT_VERSION and info.get("source") == source


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)


@index_app.command("build")
def build(
    cases: Path = typer.Option(..., "--cases", help="案例文件：CAIL2018 格式 JSONL，或扫描报告 JSON（文件或文件夹）。"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="索引输出目录（默认 ASSISTANT_INDEX_DIR，否则数据目录下的 index，即 ./var/index）。"),
    model: Optional[Path] = typer.Option(None, "--model", help="sentence-transformers 模型目录（默认 ASSISTANT_EMBED_MODEL）。"),
    lexical: bool = typer.Option(False, "--lexical", help="不用向量模型，改用词法向量（字符 n-gram TF-IDF + SVD）。"),
    backend: str = typer.Option("torch", "--backend", help="向量计算后端：torch 或 onnx-int8（加速）。"),
    append: bool = typer.Option(False, "--append", help="向已有索引追加案例（编号已存在的跳过）。"),
    reuse: bool = typer.Option(False, "--reuse", help="输出目录已有由同一案例文件、同一向量方式建立的当前版本索引时沿用，不重建。"),
) -> None:
    """从案例文件建立类案索引（或 --append 追加）。"""
    from index.embed import EmbedderError
    from index.store import IndexStoreError, SimilarIndex

    out = out or _default_dir()
    if not cases.exists():
        _fail(f"找不到案例文件：{cases}")
    source = _source(cases, model, lexical)
    if reuse and not append and _current(out, source):
        Console().print(f"类案索引已是最新（与 {cases} 一致），沿用：{out}")
        return
    records = _read(cases)
    bar = _bar()
    with bar:
        task = bar.add_task("计算案情向量", total=len(records))

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            if append:
                idx = SimilarIndex.load(out, model_path=model, backend=backend)
                added = idx.add(records, progress=progress)
                msg = f"已追加 {added} 件案例（跳过已存在 {len(records) - added} 件），索引共 {len(idx)} 件。"
            else:
                idx = SimilarIndex.build(records, out, _embedder(model, lexical, backend), progress=progress)
                msg = f"已建立类案索引：{len(idx)} 件案例，{len(idx.charges())} 个罪名。"
        except (IndexStoreError, EmbedderError) as exc:
            _fail(str(exc))
    # an appended index no longer matches one cases file, so --reuse rebuilds it
    idx.db.execute("DELETE FROM info WHERE key = 'source'")
    if not append:
        idx.db.execute("INSERT INTO info VALUES ('source', ?)", (json.dumps(source, ensure_ascii=False),))
    idx.db.commit()
    Console().print(msg)
    Console().print(f"索引目录：{out}（向量模型：{idx.info.get('identity')}，FAISS：{type(idx.faiss).__name__}）")


@index_app.command("query")
def query(
    text: str = typer.Argument(..., help="案情描述（中文）。"),
    charge: Optional[str] = typer.Option(None, "--charge", "-c", help="只在该罪名的案例中检索，如 盗窃罪。"),
    k: int = typer.Option(10, "-k", help="返回的类案数量。"),
    index_dir: Optional[Path] = typer.Option(None, "--index", help="索引目录（默认 ASSISTANT_INDEX_DIR，否则数据目录下的 index）。"),
    model: Optional[Path] = typer.Option(None, "--model", help="sentence-transformers 模型目录（默认取建立索引时的模型）。"),
    months: Optional[float] = typer.Option(None, "--months", help="本案刑期（月），给出时显示与类案的偏离。"),
    fmt: str = typer.Option("table", "--format", "-f", help="table：中文表格；json：打印 JSON。"),
) -> None:
    """按案情检索类案，并给出预期刑期区间。"""
    from index.deviation import Params, assess
    from index.features import extract_features
    from index.records import normalise_charge
    from index.store import IndexStoreError, SimilarIndex

    if k < 1 or k > 200:
        _fail("k 应在 1 到 200 之间。")
    if not text.strip():
        _fail("案情描述不能为空。")
    path = index_dir or _default_dir()
    try:
        idx = SimilarIndex.load(path, model_path=model, backend=get_settings().embed_backend)
    except IndexStoreError as exc:
        _fail(str(exc))
    charges = [normalise_charge(charge)] if charge else []
    feats = extract_features(text, charges)
    a = assess(idx, text, charges, feats, months, "实刑" if months else "", params=Params(k=max(k, Params.k), shown=k))
    data = a.to_json()
    if fmt == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    con = Console()
    for n in data["notes"]:
        con.print(f"[yellow]提示：[/]{n}")
    table = Table(title=f"类案（{charge or '全部罪名'}，前 {len(data['neighbours'])} 件）")
    for col in ("序号", "案例编号", "罪名", "刑期（月）", "相似度", "情节差异"):
        table.add_column(col)
    for i, n in enumerate(data["neighbours"], 1):
        diff = "；".join(x for x in ("本案有：" + "、".join(n["circumstances_only_here"]) if n["circumstances_only_here"] else "",
                                      "类案有：" + "、".join(n["circumstances_only_there"]) if n["circumstances_only_there"] else "") if x)
        table.add_row(str(i), n["id"], "、".join(n["charges"]),
                      n["outcome"] if n["sentence_months"] is None else f"{n['sentence_months']:g}",
                      f"{n['similarity']:.3f}", diff or "—")
    con.print(table)
    if data["expected_sentence_months"] is not None:
        iv = data["interval_months"]
        con.print(f"预期刑期约 {data['expected_sentence_months']:.1f} 个月（区间 {iv[0]:.1f}–{iv[1]:.1f} 个月）")
    if data["actual_sentence_months"] is not None and data["deviation"] is not None:
        con.print(f"本案 {data['actual_sentence_months']:g} 个月，偏离 {data['deviation']:+.0%}")
    rates = "，".join(f"{k_}{v:.0%}" for k_, v in data["outcome_rates"].items())
    if rates:
        con.print(f"类案处理结果：{rates}")
    circ = data["circumstances"].get("circumstances") or []
    con.print("本案识别的情节：" + ("、".join(circ) if circ else "无"))


@index_app.command("info")
def info(index_dir: Optional[Path] = typer.Option(None, "--index", help="索引目录（默认 ASSISTANT_INDEX_DIR，否则数据目录下的 index）。")) -> None:
    """显示索引的规模、向量模型和罪名分布。"""
    import sqlite3

    path = index_dir or _default_dir()
    db_path = path / "meta.sqlite3"
    if not db_path.is_file():
        _fail(f"类案索引目录无效或不完整：{path}")
    db = sqlite3.connect(str(db_path))
    meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM info")}
    con = Console()
    con.print(f"案例数：{meta.get('size')}；向量模型：{meta.get('identity')}（{meta.get('dim')} 维）；FAISS：{meta.get('faiss')}")
    for charge, n in db.execute("SELECT charge, COUNT(*) c FROM case_charges GROUP BY charge ORDER BY c DESC LIMIT 15"):
        con.print(f"  {charge}：{n} 件")
