"""Ingest: a dossier path (folder, zip, PDF, OFD, DOCX, image, text) → the list of input files.

A zip is unpacked safely into a temporary folder: members with absolute paths, ``..``
that escape, or symlinks are refused one by one; too many members, a total uncompressed
size over the limit or a compression ratio over the limit (a zip bomb) refuse the whole
archive. Nested archives are unpacked down to ``zip_depth`` levels, with member count and
unpacked size budgets shared by the whole dossier. Members compressed with bzip2 or LZMA are
decompressed in bounded steps (a 16 KB bzip2 bomb never holds gigabytes in memory). Display
names are cleaned (:func:`clean_name`): undecodable bytes, control and bidi-override
characters never reach a message or a report. Every refusal is a Chinese message; nothing
here raises for one bad file.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models import SourceFile
from models.settings import Limits, Settings

from extractors.errors import DossierReadError
from extractors.text import decode_first

PDF_EXT = {".pdf"}
OFD_EXT = {".ofd"}
DOCX_EXT = {".docx"}
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}
TEXT_EXT = {".txt"}
ZIP_EXT = {".zip"}
_HINTS = {".doc": "（旧版 Word 格式，请另存为 DOCX）", ".wps": "（请另存为 DOCX 或 PDF）"}


def limits_of(settings: Settings | None) -> Limits:
    """The ingest limits of ``settings``, or the defaults (with ``ASSISTANT_MAX_*``) when there are none."""
    return settings.limits if settings is not None else Limits()


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


#: Characters removed from display names: C0/C1 controls, bidi embeddings/overrides/isolates, BOM.
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_name(name: str) -> str:
    """The display form of a file name: bytes that are not UTF-8 (kept by Python as surrogate
    escapes) decoded as GB18030 when they are valid GB18030, else replaced by U+FFFD; control
    and bidi-override characters removed. The result always encodes as UTF-8."""
    if any("\ud800" <= c <= "\udfff" for c in name):
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = name.encode("utf-8", "replace")
        name = decode_first(raw, ("utf-8", "gb18030")) or raw.decode("utf-8", "replace")
    return _UNSAFE_CHARS.sub("", name)


#: Digests already computed in this process, by (resolved path, size, modification time in ns).
_DIGESTS: dict[tuple[str, int, int], str] = {}
_DIGESTS_KEPT = 4096


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read once per process for the same file (same path, size and
    modification time): the dossier key of the dispositions, the service's content hash and the
    scan's ``SourceFile.sha256`` all ask for it, and a dossier's files are hashed once per scan."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    digest = _DIGESTS.get(key)
    if digest is None:
        digest = _hash_file(path)
        if len(_DIGESTS) >= _DIGESTS_KEPT:
            _DIGESTS.clear()
        _DIGESTS[key] = digest
    return digest


def _hash_file(path: Path) -> str:
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

    Every archive of the dossier is unpacked into one temporary folder that lives until
    the context exits, and is removed as well when entering fails. Members are written
    under short generated names (the member path stays the display name), so member paths
    that collide (a file and a folder of one name), repeat, or are too long for the file
    system never clash on disk. Nested archives are unpacked down to ``zip_depth`` levels;
    the member count and total unpacked size are budgets shared by all archives of the
    dossier. ``name`` is the display name of a single-file ``path`` (default: its name).
    """

    def __init__(self, path: Path, settings: Settings | None = None, name: str | None = None):
        self.path = Path(path)
        self.display = name
        self.limits = limits_of(settings)
        self.result = Ingested()
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._count = 0
        self._hidden = 0
        self._members_left = int(self.limits.zip_members)
        self._bytes_left = int(self.limits.zip_total_bytes)

    def __enter__(self) -> "Ingest":
        try:
            self._enter()
        except BaseException:
            self.close()
            raise
        return self

    def _enter(self) -> None:
        p = self.path
        shown = clean_name(self.display or p.name)
        try:
            mode = p.stat().st_mode
        except (OSError, ValueError):
            raise DossierReadError(f"卷宗路径不存在：{clean_name(str(p))}") from None
        if stat.S_ISDIR(mode):
            self._add_folder(p, prefix="", depth=0)
            if not self.result.files and not self.result.refused:
                hint = f"（{self._hidden} 个以“.”开头的隐藏文件不予读取）" if self._hidden else ""
                raise DossierReadError(f"卷宗文件夹为空：{shown}{hint}")
        elif stat.S_ISREG(mode):
            self._add_file(p, shown, depth=0)
        else:
            raise DossierReadError(f"无法读取卷宗：{shown} 不是普通文件或文件夹")

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Remove the unpacked archives (idempotent)."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _root(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="dossier-")
        return Path(self._tmp.name)

    def _add_folder(self, folder: Path, prefix: str, depth: int) -> None:
        entries: list[tuple[list[str], Path, str]] = []
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            base = Path(dirpath)
            rel_dir = base.relative_to(folder)
            kept = []
            for d in dirnames:
                if _hidden(rel_dir / d):
                    self._hidden += 1
                elif (base / d).is_symlink():
                    filenames.append(d)  # reported below as a link, never followed
                else:
                    kept.append(d)
            dirnames[:] = kept
            for f in filenames:
                rel = rel_dir / f
                entries.append(([s.lower() for s in rel.parts], base / f, rel.as_posix()))
        for _, q, rel in sorted(entries, key=lambda e: e[0]):
            if _hidden(Path(rel)):
                self._hidden += 1
                continue
            if _ignored(q.name):
                continue
            name = clean_name(posixpath.join(prefix, rel) if prefix else rel)
            try:
                mode = q.lstat().st_mode
            except OSError:
                self.result.refuse(name, "文件无法访问")
                continue
            if stat.S_ISLNK(mode):
                self.result.refuse(name, "符号链接不予读取")
            elif not stat.S_ISREG(mode):
                self.result.refuse(name, "不是普通文件（如管道、设备或套接字），不予读取")
            else:
                self._add_file(q, name, depth)

    def _add_file(self, path: Path, name: str, depth: int) -> None:
        kind = kind_of(path)
        if kind is None:
            hint = _HINTS.get(path.suffix.lower(), "")
            self.result.refuse(name, f"不支持的文件格式：{posixpath.basename(name)}{hint}")
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
            self._add_zip(path, name, depth)
            return
        self.result.files.append(InputFile(name=name, path=path, kind=kind))

    def _add_zip(self, path: Path, name: str, depth: int) -> None:
        max_depth = int(self.limits.zip_depth)
        if depth >= max_depth:
            self.result.refuse(name, f"压缩包嵌套层数过多（上限 {max_depth} 层），已拒绝")
            return
        try:
            zf = zipfile.ZipFile(path)
        except Exception:  # noqa: BLE001 - zipfile raises many types for broken central directories
            self.result.refuse(name, "压缩包已损坏，无法解压")
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            problem = check_zip(infos, self.limits)
            if problem is None and len(infos) > self._members_left:
                problem = f"压缩包（含嵌套的压缩包）文件总数过多（上限 {self.limits.zip_members} 个），已拒绝"
            if problem:
                self.result.refuse(name, problem)
                return
            self._members_left -= len(infos)
            seen: set[str] = set()
            for info in sorted(infos, key=lambda i: [s.lower() for s in member_name(i).split("/")]):
                member = member_name(info)
                shown = clean_name(f"{name}/{member.lstrip('/')}")
                reason = unsafe_member(info, member)
                if reason:
                    self.result.refuse(shown, reason)
                    continue
                norm = posixpath.normpath(member)
                if _hidden(Path(norm)):
                    self._hidden += 1
                    continue
                if _ignored(posixpath.basename(norm)):
                    continue
                if norm in seen:
                    self.result.refuse(shown, "压缩包内有同名文件，只读取第一个，此文件已跳过")
                    continue
                seen.add(norm)
                kind = kind_of(Path(norm))
                if kind is None:
                    self._add_file(Path(norm), shown, depth + 1)  # refused as unsupported, nothing unpacked
                    continue
                self._count += 1
                target = self._root() / f"{self._count:06d}{Path(norm).suffix.lower()}"
                limit = min(self._bytes_left, self.limits.file_bytes)
                try:
                    written = _copy_limited(zf, info, target, limit)
                except _TooLarge:
                    target.unlink(missing_ok=True)
                    if limit < self.limits.file_bytes:
                        self.result.refuse(shown, "压缩包解压后总体积超过上限，疑似压缩炸弹，此文件及其后的文件未解压")
                        return
                    self.result.refuse(shown, "解压后体积超过上限，疑似压缩炸弹，已拒绝")
                    continue
                except Exception as exc:  # noqa: BLE001 - zlib/bz2/lzma errors, bad CRC, unsupported method
                    target.unlink(missing_ok=True)
                    text = str(exc).lower()
                    msg = "文件已加密，无法读取" if "encrypted" in text or "password" in text \
                        else "压缩包内文件损坏，无法解压"
                    self.result.refuse(shown, msg)
                    continue
                self._bytes_left -= written
                self._add_file(target, shown, depth + 1)


class _TooLarge(Exception):
    pass


def member_name(info: zipfile.ZipInfo) -> str:
    """Member name, repairing names stored without the UTF-8 flag.

    Python decodes such names as CP437. Info-ZIP on Linux and macOS stores UTF-8 bytes
    without setting the flag; Windows tools store GBK. The raw bytes are tried as strict
    UTF-8 first (GBK text is almost never valid UTF-8), then as GB18030 (a GBK superset), and
    bytes valid in neither as GB18030 with replacement characters.
    """
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
            name = decode_first(raw, ("utf-8", "gb18030")) or raw.decode("gb18030", "replace")
        except UnicodeEncodeError:
            pass
    return clean_name(name.replace("\\", "/"))


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


def check_zip(infos: list[zipfile.ZipInfo], limits: Limits) -> str | None:
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


#: Compressed bytes handed to a bzip2/LZMA decompressor at a time, and the most output one
#: ``read`` of a member may produce before the member counts as a bomb.
_SLICE = 16
_BURST = 64 << 20


class _BoundedDecompressor:
    """Wraps zipfile's bzip2/LZMA decompressor, which it calls without an output limit (one
    4 KB read of a bzip2 bomb can yield gigabytes): input is fed in small slices and output
    past :data:`_BURST` raises :class:`_TooLarge`."""

    def __init__(self, inner: Any):
        self._inner = inner

    def decompress(self, data: bytes) -> bytes:
        out = bytearray()
        for k in range(0, len(data), _SLICE):
            out += self._inner.decompress(data[k:k + _SLICE])
            if len(out) > _BURST:
                raise _TooLarge()
        return bytes(out)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    """``zf.open(info)`` with bounded decompression for bzip2 and LZMA members (deflate is
    already decompressed in bounded steps by :mod:`zipfile`)."""
    src = zf.open(info)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and hasattr(src, "_decompressor"):
        src._decompressor = _BoundedDecompressor(src._decompressor)
    return src


def _copy_limited(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int) -> int:
    """Extract one member, counting real bytes (headers may lie) and stopping past ``limit``."""
    written = 0
    with open_member(zf, info) as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise _TooLarge()
            dst.write(chunk)
    return written


