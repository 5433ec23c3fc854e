"""The OFD package (GB/T 33190): the zip container read within the ingest limits, its XML members, and the
small XML helpers the reader uses (namespace-free tag names, attributes in any case, number lists, the
``DeltaX``/``DeltaY`` grammar, transforms). :mod:`extractors.ofd` reads the document from it."""

from __future__ import annotations

import logging
import math
import posixpath
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from models.settings import Limits

from extractors.errors import FileReadError

log = logging.getLogger(__name__)

#: Largest XML member read (bytes); page content of real documents is well under 1 MB.
MAX_XML_BYTES = 32 * 1024 * 1024
#: Characters per page beyond which a page is refused (hostile input).
MAX_PAGE_CHARS = 200_000
_CORRUPT = "OFD 文件已损坏或格式无法识别，无法读取"


def _local(tag: Any) -> str:
    """An element or attribute name without its namespace, lower-cased: producers write the
    standard's names under other namespace URIs (or none) and in other letter cases."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower() if isinstance(tag, str) else ""


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    name = name.lower()
    return next((c for c in el if _local(c.tag) == name), None)


def _children(el: ET.Element | None, name: str) -> list[ET.Element]:
    name = name.lower()
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def _attr(el: ET.Element | None, name: str, default: str | None = None) -> str | None:
    """Attribute ``name`` of ``el``: the standard's spelling first, else any namespace or letter case
    (``size`` for ``Size``, ``ofd:Boundary``)."""
    if el is None:
        return default
    value = el.get(name)
    if value is not None:
        return value
    want = name.lower()
    return next((v for k, v in el.attrib.items() if _local(k) == want), default)


def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _floats(text: str | None, n: int | None = None) -> list[float] | None:
    try:
        vals = [float(v) for v in (text or "").replace(",", " ").split()]
    except ValueError:
        return None
    if n is not None and len(vals) < n:
        return None
    if any(not math.isfinite(v) for v in vals):
        return None
    return vals[:n] if n is not None else vals


def parse_deltas(text: str | None, limit: int = MAX_PAGE_CHARS) -> list[float]:
    """``DeltaX``/``DeltaY`` values with the ``g n v`` abbreviation expanded (garbage → [])."""
    tokens = (text or "").split()
    out: list[float] = []
    i = 0
    try:
        while i < len(tokens) and len(out) < limit:
            if tokens[i] == "g":
                n, v = int(tokens[i + 1]), float(tokens[i + 2])
                out.extend([v] * max(0, min(n, limit - len(out))))
                i += 3
            else:
                out.append(float(tokens[i]))
                i += 1
    except (ValueError, IndexError):
        return []
    return [v if math.isfinite(v) else 0.0 for v in out]


def _apply(ctm: list[float] | None, x: float, y: float) -> tuple[float, float]:
    if not ctm:
        return x, y
    a, b, c, d, e, f = ctm
    return a * x + c * y + e, b * x + d * y + f


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80 or ch in "，。：；！？（）、“”‘’《》【】"


def _color(el: ET.Element | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    """A colour's ``Value`` (attribute, or a child element some producers write), gray, RGB or CMYK."""
    value = _attr(el, "Value")
    if value is None:
        value = _text(_child(el, "Value")) or None
    vals = _floats(value)
    if not vals:
        return default
    if len(vals) == 1:
        v = int(min(max(vals[0], 0), 255))
        return (v, v, v)
    if len(vals) >= 4:  # CMYK
        c, m, y_, kk = [min(max(v, 0.0), 255.0) / 255.0 for v in vals[:4]]
        return tuple(int(255 * (1 - min(1.0, v * (1 - kk) + kk))) for v in (c, m, y_))  # type: ignore[return-value]
    return tuple(int(min(max(v, 0), 255)) for v in vals[:3])  # type: ignore[return-value]


# --------------------------------------------------------------------------- package


class Package:
    """The zip package of one OFD file, read with ``limits`` (a :class:`models.settings.Limits`,
    default ``Limits()``); members by normalised name."""

    def __init__(self, path: Path, limits: Limits | None = None):
        from extractors.ingest import check_zip

        self.limits = limits if limits is not None else Limits()
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise FileReadError(_CORRUPT, code="corrupt") from exc
        try:
            infos = [i for i in self.zf.infolist() if not i.is_dir()]
            problem = check_zip(infos, self.limits)
            if problem:
                raise FileReadError(f"OFD 文件异常：{problem}", code="too_large")
        except FileReadError:
            self.zf.close()
            raise
        self.members = {posixpath.normpath(i.filename.replace("\\", "/")).lstrip("/"): i for i in infos}
        self.lower = {k.lower(): v for k, v in self.members.items()}
        self.budget = int(getattr(self.limits, "zip_total_bytes", 1 << 30))

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def has(self, name: str) -> bool:
        return self._info(name) is not None

    def _info(self, name: str) -> zipfile.ZipInfo | None:
        return self.members.get(name) or self.lower.get(name.lower())

    def read(self, name: str, cap: int | None = None) -> bytes:
        info = self._info(name)
        if info is None:
            raise FileReadError(f"OFD 文件结构不完整（缺少 {name}），无法读取", code="corrupt")
        if info.flag_bits & 0x1:
            raise FileReadError("文件已加密，无法读取", code="encrypted")
        cap = min(cap or int(getattr(self.limits, "file_bytes", 200 << 20)), self.budget)
        try:
            with self.zf.open(info) as fh:
                data = fh.read(cap + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError) as exc:
            raise FileReadError(f"OFD 文件内容损坏（{name} 无法解压），无法读取", code="corrupt") from exc
        if len(data) > cap:
            raise FileReadError(f"OFD 文件内 {name} 解压后体积超过上限，疑似压缩炸弹，已拒绝", code="too_large")
        self.budget -= len(data)
        return data

    def xml(self, name: str) -> ET.Element:
        data = self.read(name, MAX_XML_BYTES)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise FileReadError(f"OFD 文件内 {name} 含有不允许的 DTD/实体声明，已拒绝", code="corrupt")
        try:
            return ET.fromstring(data)
        except (ET.ParseError, ValueError) as exc:
            raise FileReadError(f"OFD 文件内容损坏（{name} 不是有效的 XML），无法读取", code="corrupt") from exc


def _resolve(base_dir: str, loc: str) -> str:
    loc = (loc or "").strip().replace("\\", "/")
    joined = loc.lstrip("/") if loc.startswith("/") else posixpath.join(base_dir, loc)
    return posixpath.normpath(joined).lstrip("/")


