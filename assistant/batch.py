"""What a batch needs besides the database: its dossiers, their content hashes, the
rules/model versions that decide whether an earlier result still holds, and the per-dossier
report files.

- :func:`discover` reads SOURCE: a folder whose sub-folders and ``.zip`` files are dossiers,
  or a manifest (CSV or XLSX) with a column for the dossier path and optionally 案号,
  承办检察官, 部门 and 办结日期 (relative paths are relative to the manifest's folder).
- :func:`dossier_files` / :func:`dossier_hash` give the same content hash the scan service
  computes for a submission (:func:`assistant.service.content_hash`), so a dossier submitted
  to the service and the same dossier in a batch are one scan.
- :func:`versions` fingerprints what decides a report: the rule catalog, the profile, the
  similar-case index, the OCR engine and the source of the extractors/checks/models and the
  scan pipeline (or, when ``ASSISTANT_CODE_VERSION`` is set, that release label instead of the
  source hash). A stored result is reused only when both the content hash and this agree.
- :func:`write_outputs` writes ``report.json``, ``report.html`` and ``notice.docx`` of one
  dossier, each file atomically (temporary file + rename), so a killed worker never leaves
  half a report behind.

The database side (batch state, workers, Ray) is :mod:`api.batch`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.settings import REPO_ROOT, Settings

MANIFEST_SUFFIXES = (".csv", ".xlsx", ".xlsm")

#: Manifest header → field. Headers are matched after removing spaces, case-insensitively.
HEADER_ALIASES = {
    "path": ("path", "路径", "卷宗", "卷宗路径", "卷宗目录", "文件夹", "目录", "dossier"),
    "case_number": ("案号", "case_number", "casenumber", "文号"),
    "prosecutor": ("承办检察官", "检察官", "承办人", "prosecutor"),
    "department": ("部门", "承办部门", "department", "院", "单位"),
    "closed": ("办结日期", "结案日期", "closed", "closed_on"),
}


class SourceError(ValueError):
    """SOURCE cannot be used at all (message in Chinese)."""


@dataclass
class Entry:
    """One dossier of a batch: its path, the name of its output folder and the manifest's values."""

    path: Path
    name: str
    meta: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why it cannot even be tried (missing path …), in Chinese


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$") or name in ("__MACOSX", "Thumbs.db")


def _norm_header(h: Any) -> str:
    return re.sub(r"\s+", "", str(h or "")).lower()


def _map_header(header: list[Any]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, h in enumerate(header):
        n = _norm_header(h)
        for key, aliases in HEADER_ALIASES.items():
            if key not in cols and n in {a.lower() for a in aliases}:
                cols[key] = i
    return cols


#: Limits on a manifest: rows, columns kept per row, and the unpacked size of an XLSX (a zip).
MANIFEST_MAX_ROWS = 100_000
MANIFEST_MAX_COLUMNS = 64
MANIFEST_MAX_UNPACKED = 200 * 2**20


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SourceError(f"清单文件编码无法识别（请保存为 UTF-8 或 GBK 编码的 CSV）：{path}")
    rows = []
    try:
        for row in csv.reader(text.splitlines()):
            rows.append(row[:MANIFEST_MAX_COLUMNS])
            if len(rows) > MANIFEST_MAX_ROWS:
                raise SourceError(f"清单行数过多（上限 {MANIFEST_MAX_ROWS} 行），请分批提交：{path}")
    except csv.Error as exc:
        raise SourceError(f"清单文件不是合法的 CSV（{exc}）：{path}") from exc
    return rows


def _read_xlsx(path: Path) -> list[list[Any]]:
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SourceError("读取 XLSX 清单需要 openpyxl（pip install openpyxl）。") from exc
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"清单文件无法打开（XLSX 已损坏或格式不对）：{path}") from exc
    if unpacked > MANIFEST_MAX_UNPACKED:
        raise SourceError(f"清单文件解压后过大（{unpacked / 2**20:.0f} MB），请只保留卷宗清单一张工作表：{path}")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise SourceError(f"清单文件无法打开（XLSX 已损坏或格式不对）：{path}") from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        for r in ws.iter_rows(values_only=True):
            rows.append(list(r[:MANIFEST_MAX_COLUMNS]))
            if len(rows) > MANIFEST_MAX_ROWS:
                raise SourceError(f"清单行数过多（上限 {MANIFEST_MAX_ROWS} 行），请分批提交：{path}")
        return rows
    except SourceError:
        raise
    except Exception as exc:  # a damaged sheet inside a valid zip
        raise SourceError(f"清单文件无法读取（XLSX 工作表已损坏）：{path}") from exc
    finally:
        wb.close()


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d")
    return str(v).strip()


def read_manifest(path: Path, root: Path | None = None) -> list[Entry]:
    """Entries of a CSV/XLSX manifest. ``root`` (default: the manifest's folder) anchors relative
    paths; a path that leaves ``root`` when ``root`` is given explicitly is refused per row."""
    rows = _read_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _read_csv(path)
    rows = [r for r in rows if any(_cell(c) for c in r)]
    if not rows:
        raise SourceError(f"清单文件为空：{path}")
    cols = _map_header(rows[0])
    if "path" not in cols:
        raise SourceError(f"清单文件缺少卷宗路径列（表头应含“路径”或“卷宗路径”）：{path}")
    base = (root or path.parent).resolve()
    entries = []
    for r in rows[1:]:
        r = list(r) + [None] * (len(rows[0]) - len(r))
        raw = _cell(r[cols["path"]])
        meta = {k: _cell(r[i]) for k, i in cols.items() if k != "path" and _cell(r[i])}
        if not raw:
            entries.append(Entry(Path(""), f"第{len(entries) + 2}行", meta, "清单该行没有填写卷宗路径"))
            continue
        p = Path(raw)
        p = (p if p.is_absolute() else base / p).resolve()
        problem = None
        if root is not None and p != base and base not in p.parents:
            problem = "卷宗路径不在受理根目录之内"
        elif not p.exists():
            problem = f"找不到卷宗：{raw}"
        elif p.is_file() and p.suffix.lower() not in (".zip", ".pdf", ".docx", ".ofd", ".txt", ".jpg", ".jpeg",
                                                      ".png", ".tif", ".tiff"):
            problem = f"不是卷宗文件夹或压缩包：{raw}"
        entries.append(Entry(p, p.stem if p.is_file() else p.name, meta, problem))
    return entries


def discover(source: Path, root: Path | None = None) -> tuple[list[Entry], list[str]]:
    """(dossiers, notes) of SOURCE; raises :class:`SourceError` when SOURCE is unusable.

    ``notes`` are Chinese remarks on what was left out (loose files in a dossier folder).
    Output folder names are unique within the batch (``名称``, ``名称-2`` …)."""
    source = Path(source)
    if not source.exists():
        raise SourceError(f"找不到批量评查的来源：{source}")
    notes: list[str] = []
    if source.is_file():
        if source.suffix.lower() not in MANIFEST_SUFFIXES:
            raise SourceError(f"来源应为卷宗所在文件夹，或 CSV/XLSX 清单文件：{source}")
        entries = read_manifest(source, root)
    else:
        entries = []
        loose = 0
        for p in sorted(source.iterdir(), key=lambda q: q.name):
            if _hidden(p.name) or p.is_symlink():
                continue
            if p.is_dir():
                entries.append(Entry(p.resolve(), p.name))
            elif p.suffix.lower() == ".zip":
                entries.append(Entry(p.resolve(), p.stem))
            else:
                loose += 1
        if loose:
            notes.append(f"来源文件夹中有 {loose} 个零散文件不是卷宗（卷宗应为子文件夹或 zip 压缩包），已忽略。")
    seen: dict[str, int] = {}
    for e in entries:
        base = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", e.name).strip(" .") or "卷宗"
        n = seen.get(base, 0) + 1
        seen[base] = n
        e.name = base if n == 1 else f"{base}-{n}"
    return entries, notes


# --- content hash ---------------------------------------------------------------------------------

def dossier_files(path: Path) -> list[tuple[str, Path]]:
    """(name, path) of a dossier's files as the service stores them: for a folder its files
    (relative POSIX names, no symlinks), for a single file the file itself."""
    path = Path(path)
    if path.is_dir():
        return [(p.relative_to(path).as_posix(), p) for p in sorted(path.rglob("*"))
                if p.is_file() and not p.is_symlink()]
    from assistant.service import safe_name

    return [(safe_name(path.name), path)]


def dossier_hash(path: Path) -> str:
    from assistant.service import content_hash

    return content_hash(dossier_files(path))


# --- versions -------------------------------------------------------------------------------------

#: Source that decides a report (a change here invalidates earlier batch results).
VERSIONED_SOURCES = ("models", "extractors", "checks", "index",
                     "assistant/pipeline.py", "assistant/report.py", "assistant/grading.py",
                     "assistant/profiles.py", "assistant/similar.py")


def _hash_tree(h: "hashlib._Hash", root: Path, rel: str) -> None:
    p = root / rel
    files = sorted(p.rglob("*")) if p.is_dir() else [p]
    for f in files:
        if f.is_file() and f.suffix in (".py", ".yaml", ".yml", ".json", ".txt") and "__pycache__" not in f.parts:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\n")


def _file_digest(p: Path | None) -> str:
    if p is None:
        return "-"
    try:
        return hashlib.sha256(Path(p).read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


def versions(settings: Settings, profile_path: Path | None = None) -> dict[str, str]:
    """The rules/model versions a report depends on (short digests), as a dict."""
    label = settings.code_version.strip()
    if label:  # a release label set by the deployment instead of hashing the source at every start
        code_version = label[:64]
    else:
        code = hashlib.sha256()
        for rel in VERSIONED_SOURCES:
            _hash_tree(code, REPO_ROOT, rel)
        code_version = code.hexdigest()[:16]
    index_dir = settings.effective_index_dir()
    index = "-"
    if index_dir:
        parts = []
        for name in ("meta.sqlite3", "index.faiss", "manifest.json", "meta.json"):
            f = Path(index_dir) / name
            if f.is_file():
                st = f.stat()
                parts.append(f"{name}:{st.st_size}:{int(st.st_mtime)}")
        index = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    try:
        from importlib.metadata import version as pkg_version

        app = pkg_version("pingcha-assistant")
    except Exception:  # pragma: no cover - running from a plain checkout
        app = "dev"
    return {
        "app": app,
        "code": code_version,
        "catalog": _file_digest(settings.catalog_path),
        "profile": _file_digest(profile_path or settings.profile),
        "index": index,
        "ocr": str(settings.ocr_engine),
        "embed": f"{settings.embed_model_path.name}:{settings.embed_backend}",
    }


def versions_key(v: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:32]


# --- per-dossier outputs -----------------------------------------------------------------------------

def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_outputs(report: dict[str, Any], out_dir: Path) -> None:
    """``report.json``, ``report.html`` and ``notice.docx`` of one dossier (each atomic)."""
    from assistant.render import render_html, render_notice_docx

    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic(out_dir / "report.html", lambda p: p.write_text(render_html(report), encoding="utf-8"))
    _atomic(out_dir / "notice.docx", lambda p: render_notice_docx(report, p))
    # report.json last: its presence means the folder is complete
    _atomic(out_dir / "report.json",
            lambda p: p.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"))


def outputs_complete(out_dir: Path) -> bool:
    return all((out_dir / n).is_file() for n in ("report.json", "report.html", "notice.docx"))
