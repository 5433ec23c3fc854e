"""Dossiers coming into the service: the intake root, uploads and copies.

The intake root (``ASSISTANT_INTAKE_ROOT``) is the one folder under which a client may name a
path (``POST /v1/scans`` with ``path``, ``POST /v1/batches``, the paths of an uploaded manifest).
:func:`resolve_in_intake` is the only place such a path is resolved: symbolic links and ``..`` are
resolved first, then the result must lie inside the root, so nothing outside it is ever read.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path

from starlette.datastructures import UploadFile

from api.errors import ApiError
from api.settings import ServiceSettings
from api.storage import Storage
from assistant.service import safe_name

log = logging.getLogger(__name__)


def intake_root(cfg: ServiceSettings, refused: str) -> Path:
    """The resolved intake root; 403 ``path_intake_disabled`` with ``refused`` when none is configured."""
    if cfg.intake_root is None:
        raise ApiError(403, "path_intake_disabled", refused)
    return cfg.intake_root.resolve()


def inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (resolved) lies strictly inside ``root`` (resolved)."""
    return root in path.parents


def resolve_in_intake(raw: str, cfg: ServiceSettings, refused: str, outside: str,
                      allow_root: bool = False) -> tuple[Path, Path]:
    """``(path, root)``: the client's ``raw`` path (relative to the intake root, or absolute) resolved and
    confined to the root. 403 ``path_not_allowed`` (message ``outside``) when it leaves the root, 422
    ``invalid_path`` for the root itself (unless ``allow_root``) or a malformed path, 404 ``path_not_found``."""
    from extractors.ingest import clean_name

    root = intake_root(cfg, refused)
    try:
        src = (root / raw).resolve() if not Path(raw).is_absolute() else Path(raw).resolve()
        if src != root and not inside(root, src):
            raise ApiError(403, "path_not_allowed", outside)
        if src == root and not allow_root:
            raise ApiError(422, "invalid_path", "请提交受理根目录下的某个卷宗文件夹或文件，而不是受理根目录本身。")
        if not src.exists():
            raise ApiError(404, "path_not_found", f"受理根目录中找不到：{clean_name(raw)}")
    except (OSError, ValueError):
        raise ApiError(422, "invalid_path", "路径格式不合法（含非法字符或过长）。")
    return src, root


def display_name(name: str, limit: int = 200) -> str:
    """A dossier's name as shown (up to ``limit`` characters, no control or bidi characters);
    its folder in the storage is the byte-bounded :func:`~assistant.service.safe_name` of it."""
    from extractors.ingest import clean_name

    cleaned = "".join(c if c.isprintable() else " " for c in clean_name(name or ""))
    return " ".join(cleaned.split())[:limit] or "卷宗"


def stored_files(folder: Path) -> list[tuple[str, Path]]:
    """The regular files under ``folder`` as ``(relative name, path)``, in name order."""
    return [(p.relative_to(folder).as_posix(), p) for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()]


async def receive_files(files: list[UploadFile], tmp: Path, storage: Storage, cfg: ServiceSettings) -> None:
    """Write the uploaded files into ``tmp`` (hidden files left out, as the command line skips them),
    refusing more than ``upload_max_files`` files or ``upload_max_bytes`` bytes."""
    if len(files) > cfg.upload_max_files:
        raise ApiError(413, "too_many_files", f"文件数过多（{len(files)} 个，上限 {cfg.upload_max_files} 个）。")
    from extractors.ingest import _hidden

    total = 0
    stored = 0
    for up in files:
        parts = [p for p in (up.filename or "file").replace("\\", "/").split("/") if p not in ("", ".", "..")]
        if parts and _hidden(Path(*parts)):
            await up.close()  # as the CLI skips hidden files of a folder (".x.pdf", "__MACOSX")
            continue
        stored += 1
        _, target = storage.unique_target(tmp, up.filename or "file")
        with target.open("wb") as out:
            while chunk := await up.read(1 << 20):
                total += len(chunk)
                if total > cfg.upload_max_bytes:
                    raise ApiError(413, "upload_too_large", f"上传内容过大（上限 {cfg.upload_max_bytes / 2**20:.0f} MB）。")
                out.write(chunk)
        await up.close()
    if files and not stored:
        raise ApiError(422, "no_files", "上传的文件都是以“.”开头的隐藏文件（或 __MACOSX 目录中的文件），与命令行一致不予读取。")


def copy_from_intake(raw: str, tmp: Path, cfg: ServiceSettings, storage: Storage) -> tuple[str, list[dict[str, str]]]:
    """Copy a dossier under the intake root into ``tmp``; returns its name and the entries set
    aside (symbolic links, FIFOs, sockets, devices: never opened, listed as rejected files).

    Names are cleaned as the ingest cleans them (no undecodable bytes, no bidi overrides), and
    the copy stops past ``upload_max_bytes`` like an upload."""
    from extractors.ingest import _hidden, clean_name

    src, _ = resolve_in_intake(raw, cfg, "服务未配置受理根目录（ASSISTANT_INTAKE_ROOT），不能按路径提交，请上传文件。",
                               "只能提交受理根目录之内的卷宗路径。")
    try:
        mode = src.stat().st_mode
    except (OSError, ValueError):
        raise ApiError(422, "invalid_path", "路径格式不合法（含非法字符或过长）。")
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise ApiError(422, "invalid_path", "提交的路径不是普通文件或文件夹（如管道、设备文件），不能读取。")
    skipped: list[dict[str, str]] = []
    total = 0

    def copy(path: Path, target: Path) -> None:
        nonlocal total
        size = path.stat().st_size
        total += size
        if total > cfg.upload_max_bytes:
            raise ApiError(413, "upload_too_large", f"卷宗内容过大（上限 {cfg.upload_max_bytes / 2**20:.0f} MB）。")
        with path.open("rb") as fin, target.open("wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)

    try:
        if stat.S_ISREG(mode):
            _, target = storage.unique_target(tmp, clean_name(src.name))
            copy(src, target)
            return clean_name(src.stem), skipped
        for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
            base = Path(dirpath)
            rel_dir = base.relative_to(src)
            out_dir = tmp.joinpath(*(safe_name(part) for part in rel_dir.parts)) if rel_dir.parts else tmp
            out_dir.mkdir(parents=True, exist_ok=True)
            for d in list(dirnames):
                if (base / d).is_symlink():
                    dirnames.remove(d)
                    filenames.append(d)
            for f in sorted(filenames):
                rel = (rel_dir / f).as_posix()
                if _hidden(Path(rel)):
                    continue
                entry = base / f
                fmode = entry.lstat().st_mode
                if not stat.S_ISREG(fmode):
                    what = "符号链接不予读取" if stat.S_ISLNK(fmode) else "不是普通文件（如管道、设备或套接字），不予读取"
                    skipped.append({"file": clean_name(rel), "code": "special_file", "message": what})
                    continue
                _, target = storage.unique_target(out_dir, clean_name(f))
                copy(entry, target)
    except ApiError:
        raise
    except (OSError, shutil.Error, ValueError):
        log.warning("copying %s from the intake root failed", raw, exc_info=True)
        raise ApiError(422, "invalid_path", "受理根目录中的卷宗无法读取（文件无法访问或名称不合法）。")
    return clean_name(src.name), skipped
