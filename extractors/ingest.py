"""Ingest: a dossier path (folder, zip, PDF, OFD, DOCX, image, text) → the list of input files.

A zip is unpacked safely into a temporary folder: members with absolute paths, ``..``
that escape, or symlinks are refused one by one; too many members, a total uncompressed
size over the limit or a compression ratio over the limit (a zip bomb) refuse the whole
archive. Every refusal is a Chinese message; nothing here raises for one bad file.
"""

from __future__ import annotations

import hashlib
import posixpath
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models import SourceFile

from extractors.errors import DossierReadError
from extractors.text import decode_first

PDF_EXT = {".pdf"}
OFD_EXT = {".ofd"}
DOCX_EXT = {".docx"}
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}
TEXT_EXT = {".txt"}
ZIP_EXT = {".zip"}
_HINTS = {".doc": "（旧版 Word 格式，请另存为 DOCX）", ".wps": "（请另存为 DOCX 或 PDF）"}


@dataclass(frozen=True)
class DefaultLimits:
    """Limits used when no settings object is given (same values as ``assistant.config.Limits``)."""

    file_bytes: int = 200 * 1024 * 1024
    zip_total_bytes: int = 1024 * 1024 * 1024
    zip_members: int = 5000
    zip_ratio: float = 200.0
    image_pixels: int = 80_000_000
    pages: int = 5000


def limits_of(settings: Any) -> Any:
    """The ``limits`` object of a settings-like object, or :class:`DefaultLimits`."""
    return getattr(settings, "limits", None) or DefaultLimits()


@dataclass
class InputFile:
    """One readable file of the dossier: display name (relative), location on disk, kind."""

    name: str
    path: Path
    kind: str


@dataclass
class Ingested:
    """What ingest found: files to read, files refused (as SourceFile with error), warnings."""

    files: list[InputFile] = field(default_factory=list)
    refused: list[SourceFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def refuse(self, name: str, message: str, kind: str = "other") -> None:
        self.refused.append(SourceFile(name=name, kind=kind, error=message))  # type: ignore[arg-type]
        self.warnings.append(f"{name}：{message}")


def kind_of(path: Path) -> str | None:
    """File kind by extension: pdf, ofd, docx, image, text, zip, or None when unsupported."""
    ext = path.suffix.lower()
    for kind, exts in (("pdf", PDF_EXT), ("ofd", OFD_EXT), ("docx", DOCX_EXT), ("image", IMAGE_EXT), ("text", TEXT_EXT), ("zip", ZIP_EXT)):
        if ext in exts:
            return kind
    return None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") or part.startswith("__MACOSX") for part in rel.parts)


def _ignored(name: str) -> bool:
    return name.endswith(".truth.json") or name.lower() in ("thumbs.db", "desktop.ini")


class Ingest:
    """Context manager: ``with Ingest(path, settings) as ing: ing.result.files``.

    Temporary folders for unpacked zips live until the context exits.
    """

    def __init__(self, path: Path, settings: Any = None):
        self.path = Path(path)
        self.limits = limits_of(settings)
        self.result = Ingested()
        self._tmp: list[tempfile.TemporaryDirectory] = []

    def __enter__(self) -> "Ingest":
        p = self.path
        if not p.exists():
            raise DossierReadError(f"卷宗路径不存在：{p}")
        if p.is_dir():
            self._add_folder(p, prefix="")
            if not self.result.files and not self.result.refused:
                raise DossierReadError(f"卷宗文件夹为空：{p.name}")
        elif p.is_file():
            self._add_file(p, p.name)
        else:
            raise DossierReadError(f"无法读取卷宗：{p.name} 不是文件或文件夹")
        return self

    def __exit__(self, *exc: Any) -> None:
        for t in self._tmp:
            t.cleanup()

    def _add_folder(self, folder: Path, prefix: str) -> None:
        entries = sorted(folder.rglob("*"), key=lambda q: [s.lower() for s in q.relative_to(folder).parts])
        for q in entries:
            rel = q.relative_to(folder)
            if _hidden(rel) or _ignored(q.name) or q.is_dir():
                continue
            name = posixpath.join(prefix, rel.as_posix()) if prefix else rel.as_posix()
            if q.is_symlink():
                self.result.refuse(name, "符号链接不予读取")
                continue
            self._add_file(q, name)

    def _add_file(self, path: Path, name: str) -> None:
        kind = kind_of(path)
        if kind is None:
            hint = _HINTS.get(path.suffix.lower(), "")
            self.result.refuse(name, f"不支持的文件格式：{path.name}{hint}")
            return
        try:
            size = path.stat().st_size
        except OSError:
            self.result.refuse(name, "文件无法访问", kind if kind != "zip" else "other")
            return
        if size == 0:
            self.result.refuse(name, "文件为空（0 字节）", kind if kind != "zip" else "other")
            return
        if size > self.limits.file_bytes:
            self.result.refuse(name, f"文件过大（{size / 2**20:.0f} MB，上限 {self.limits.file_bytes / 2**20:.0f} MB）",
                               kind if kind != "zip" else "other")
            return
        if kind == "zip":
            self._add_zip(path, name)
            return
        self.result.files.append(InputFile(name=name, path=path, kind=kind))

    def _add_zip(self, path: Path, name: str) -> None:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            self.result.refuse(name, "压缩包已损坏，无法解压")
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            problem = check_zip(infos, self.limits)
            if problem:
                self.result.refuse(name, problem)
                return
            tmp = tempfile.TemporaryDirectory(prefix="dossier-")
            self._tmp.append(tmp)
            root = Path(tmp.name)
            budget = self.limits.zip_total_bytes
            for info in infos:
                member = member_name(info)
                shown = posixpath.join(name, member)
                reason = unsafe_member(info, member)
                if reason:
                    self.result.refuse(shown, reason)
                    continue
                if _hidden(Path(member)) or _ignored(posixpath.basename(member)):
                    continue
                target = root / member
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    written = _copy_limited(zf, info, target, min(budget, self.limits.file_bytes))
                except _TooLarge:
                    self.result.refuse(shown, "解压后体积超过上限，疑似压缩炸弹，已拒绝")
                    target.unlink(missing_ok=True)
                    return
                except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                    msg = "文件已加密，无法读取" if "encrypted" in str(exc).lower() or "password" in str(exc).lower() \
                        else "压缩包内文件损坏，无法解压"
                    self.result.refuse(shown, msg)
                    continue
                budget -= written
            self._add_folder(root, prefix=name)


class _TooLarge(Exception):
    pass


def member_name(info: zipfile.ZipInfo) -> str:
    """Member name, repairing names stored without the UTF-8 flag.

    Python decodes such names as CP437. Info-ZIP on Linux and macOS stores UTF-8 bytes
    without setting the flag; Windows tools store GBK. The raw bytes are tried as strict
    UTF-8 first (GBK text is almost never valid UTF-8), then as GBK.
    """
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = decode_first(name.encode("cp437"), ("utf-8", "gbk")) or name
        except UnicodeEncodeError:
            pass
    return name.replace("\\", "/")


def unsafe_member(info: zipfile.ZipInfo, name: str) -> str | None:
    """Chinese reason why a member must not be extracted (path escape, symlink), or None."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "压缩包内含符号链接，已拒绝"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "压缩包内文件使用绝对路径，已拒绝"
    norm = posixpath.normpath(name)
    if norm.startswith("..") or "/../" in f"/{norm}/":
        return "压缩包内文件路径越出解压目录（含“..”），已拒绝"
    if info.flag_bits & 0x1:
        return "文件已加密，无法读取"
    return None


def check_zip(infos: list[zipfile.ZipInfo], limits: Any) -> str | None:
    """Chinese reason to refuse the whole archive (member count, total size, ratio), or None."""
    if len(infos) > limits.zip_members:
        return f"压缩包文件数过多（{len(infos)} 个，上限 {limits.zip_members} 个），已拒绝"
    total = sum(i.file_size for i in infos)
    if total > limits.zip_total_bytes:
        return f"压缩包解压后总体积过大（{total / 2**20:.0f} MB，上限 {limits.zip_total_bytes / 2**20:.0f} MB），已拒绝"
    packed = sum(i.compress_size for i in infos)
    if total > (1 << 20) and total / max(packed, 1) > limits.zip_ratio:
        return f"压缩包压缩比异常（{total / max(packed, 1):.0f} 倍），疑似压缩炸弹，已拒绝"
    for i in infos:
        if i.file_size > (1 << 20) and i.file_size / max(i.compress_size, 1) > limits.zip_ratio:
            return f"压缩包内文件压缩比异常（{i.file_size / max(i.compress_size, 1):.0f} 倍），疑似压缩炸弹，已拒绝"
    return None


def _copy_limited(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int) -> int:
    """Extract one member, counting real bytes (headers may lie) and stopping past ``limit``."""
    written = 0
    with zf.open(info) as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise _TooLarge()
            dst.write(chunk)
    return written


