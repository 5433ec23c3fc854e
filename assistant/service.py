"""What the scan service (``api``) needs from the assistant besides :func:`assistant.pipeline.scan`:
upload pre-validation (reusing the ingest checks of :mod:`extractors.ingest`), a content
hash for idempotent submission, rule pages, and re-grading a stored report with dispositions.

Upload problems are :class:`UploadProblem` with a stable ``code``, an HTTP-like ``status``
and a Chinese ``message``; per-file problems are listed in ``files``. Hostile or oversize input
refuses a submission; a damaged file only sets that file aside (``UploadSummary.rejected``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.settings import Limits, Settings

SAFE_NAME_MAX = 120
#: Most UTF-8 bytes of a stored name: file systems allow 255 per name, and the storage adds
#: suffixes (``-2``, ``.tmp``); 120 Chinese characters are 360 bytes.
SAFE_NAME_BYTES = 200
log = logging.getLogger(__name__)


class UploadProblem(Exception):
    """An upload that must be refused before it is queued."""

    def __init__(self, status: int, code: str, message: str, files: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.files = status, code, message, files or []


#: Problem codes that refuse the whole submission even when other files are readable: attacks
#: and limits (escaping paths, symlinks, zip bombs, oversize files, pixel bombs, page count),
#: not damaged documents.
HOSTILE_CODES = frozenset({"zip_slip", "zip_bomb", "zip_too_many_members", "file_too_large", "image_too_large",
                           "too_many_pages", "upload_too_large", "ofd_too_large"})


@dataclass(frozen=True)
class FileProblem:
    """Why one file of a submission cannot be read: HTTP-like status, stable code, Chinese message."""

    status: int
    code: str
    file: str
    message: str

    @property
    def hostile(self) -> bool:
        return self.code in HOSTILE_CODES

    def public(self) -> dict[str, str]:
        return {"file": self.file, "code": self.code, "message": self.message}


@dataclass
class UploadSummary:
    """What a submission holds: readable files and their pages, and the files set aside
    (``rejected``: per-file content problems; the scan reports them again in ``file_errors``)."""

    files: int = 0
    pages: int = 0
    names: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)


def safe_name(name: str) -> str:
    """A file name safe to store: base name only, no control or path characters, bounded length."""
    from extractors.ingest import clean_name

    name = clean_name(unicodedata.normalize("NFC", name or "")).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", name).strip(" .")
    if not name or name in (".", ".."):
        name = "file"
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return _clip_bytes(stem[: SAFE_NAME_MAX - len(ext) - 1], SAFE_NAME_BYTES - len(ext.encode()) - 1) + "." + ext \
            if stem else "file." + ext
    return _clip_bytes(name[:SAFE_NAME_MAX], SAFE_NAME_BYTES)


def _clip_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore").rstrip(" .") or "file"


def content_hash(files: list[tuple[str, Path]]) -> str:
    """sha256 over the sorted (name, sha256 of content) pairs: same dossier → same hash."""
    from extractors.ingest import sha256_of

    h = hashlib.sha256()
    for name, path in sorted(files, key=lambda t: t[0]):
        h.update(name.encode("utf-8") + b"\0" + sha256_of(path).encode() + b"\n")
    return h.hexdigest()


def _limits(settings: Settings | None):
    from extractors.ingest import limits_of

    return limits_of(settings)


#: (file kind, reader code of :class:`extractors.errors.FileReadError`) → (API code, HTTP-like status).
_READER_CODES = {
    ("pdf", "encrypted"): ("encrypted_pdf", 422), ("pdf", "empty"): ("empty_pdf", 422),
    ("pdf", "corrupt"): ("corrupt_pdf", 422),
    ("image", "too_large"): ("image_too_large", 413), ("image", "corrupt"): ("corrupt_image", 422),
    ("image", "empty"): ("corrupt_image", 422),
    ("docx", "encrypted"): ("encrypted_file", 422), ("docx", "corrupt"): ("corrupt_docx", 422),
    ("ofd", "encrypted"): ("encrypted_file", 422), ("ofd", "corrupt"): ("corrupt_ofd", 422),
    ("ofd", "empty"): ("empty_ofd", 422), ("ofd", "too_large"): ("ofd_too_large", 413),
    ("text", "corrupt"): ("corrupt_text", 422),
}


_ZIP_CODES = (("压缩炸弹", "zip_bomb", 413), ("文件数过多", "zip_too_many_members", 413),
              ("总体积过大", "zip_bomb", 413), ("压缩比", "zip_bomb", 413))

#: Ingest refusal messages (:mod:`extractors.ingest`) → (code, status), first match wins.
_REFUSED_CODES = (("压缩炸弹", "zip_bomb", 413), ("文件数过多", "zip_too_many_members", 413),
                  ("文件总数过多", "zip_too_many_members", 413), ("嵌套层数过多", "zip_too_deep", 422),
                  ("同名文件", "duplicate_member", 422), ("不是普通文件", "special_file", 422),
                  ("总体积过大", "zip_bomb", 413), ("压缩比", "zip_bomb", 413),
                  ("越出解压目录", "zip_slip", 422), ("绝对路径", "zip_slip", 422), ("符号链接", "zip_slip", 422),
                  ("文件过大", "file_too_large", 413), ("加密", "encrypted_file", 422),
                  ("不支持", "unsupported_type", 415), ("文件为空", "empty_file", 422),
                  ("压缩包已损坏", "corrupt_zip", 422))


def _refused_problem(name: str, message: str) -> FileProblem:
    for needle, code, status in _REFUSED_CODES:
        if needle in message:
            return FileProblem(status, code, name, message)
    return FileProblem(422, "corrupt_file", name, message)


def _zip_check(path: Path, limits: Limits) -> tuple[int, str, str] | None:
    """(status, code, message) when the archive as a whole cannot be taken: hostile (limits,
    escaping paths, symlinks) or unreadable (corrupt, empty). Encrypted members are left to
    :class:`extractors.ingest.Ingest`, which refuses them one by one."""
    from extractors.ingest import check_zip, member_name, unsafe_member

    try:
        zf = zipfile.ZipFile(path)
    except Exception:  # noqa: BLE001 - zipfile raises many types for broken central directories
        return 422, "corrupt_zip", "压缩包已损坏，无法解压"
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if not infos:
            return 422, "empty_zip", "压缩包内没有文件"
        problem = check_zip(infos, limits)
        if problem:
            for needle, code, status in _ZIP_CODES:
                if needle in problem:
                    return status, code, problem
            return 413, "zip_bomb", problem
        for info in infos:
            reason = unsafe_member(info, member_name(info))
            if reason and "加密" not in reason:
                return 422, "zip_slip", f"{member_name(info)}：{reason}"
    return None


def _check_file(path: Path, shown: str, kind: str, settings: Settings | None) -> tuple[int, FileProblem | None]:
    """(pages, problem) of one file, judged by the scan's own readers
    (:func:`extractors.case.check_file`): the pre-check refuses exactly what the scan would."""
    from extractors.case import check_file
    from extractors.errors import FileReadError
    from extractors.ingest import InputFile

    try:
        return check_file(InputFile(name=shown, path=path, kind=kind), settings), None
    except FileReadError as exc:
        if exc.code == "too_many_pages":
            return 0, FileProblem(413, "too_many_pages", shown, str(exc))
        code, status = _READER_CODES.get((kind, exc.code), ("corrupt_file", 422))
        return 0, FileProblem(status, code, shown, str(exc))
    except Exception:  # noqa: BLE001 - one hostile file must not refuse the others with a 500
        log.exception("checking %s failed", shown)
        return 0, FileProblem(422, "corrupt_file", shown, "文件格式异常或已损坏，无法读取")


def _refuse(problems: list[FileProblem]) -> UploadProblem:
    problems = sorted(problems, key=lambda p: (not p.hostile, -p.status))
    lead = problems[0]
    message = f"{lead.file}：{lead.message}" if len(problems) == 1 else \
        f"{len(problems)} 个文件无法接收，首个问题：{lead.file}：{lead.message}"
    return UploadProblem(lead.status, lead.code, message, [p.public() for p in problems])


def validate_dossier(files: list[tuple[str, Path]], settings: Settings | None = None,
                     strict: bool = False) -> UploadSummary:
    """Check the files of one submission before it is queued; raise :class:`UploadProblem`.

    Every file goes through :class:`extractors.ingest.Ingest`, the scan's own ingest (limits,
    zip checks, nested archives, member names), and every file it yields through the scan's
    own readers (:func:`extractors.case.check_file`): PDF, OFD and images are opened and
    counted, DOCX and text read; what the pre-check accepts, the scan reads.

    Hostile or oversize input (:data:`HOSTILE_CODES`) refuses the whole submission. Damaged
    files (corrupt, encrypted, empty, unsupported type) are set aside in ``rejected`` and the
    rest is accepted, as the CLI scans the rest of a dossier; the submission is refused only
    when no readable file remains, or on any problem when ``strict`` is true.
    """
    from extractors.errors import DossierReadError
    from extractors.ingest import Ingest, _hidden, _ignored, clean_name, kind_of

    limits = _limits(settings)
    summary = UploadSummary()
    problems: list[FileProblem] = []
    if not files:
        raise UploadProblem(422, "no_files", "没有收到卷宗文件：请用表单字段 file 上传文件，或提供 path。")

    def check(path: Path, shown: str, kind: str) -> None:
        pages, bad = _check_file(path, shown, kind, settings)
        if bad:
            problems.append(bad)
        else:
            summary.files += 1
            summary.pages += pages

    for name, path in files:
        if _hidden(Path(name)) or _ignored(Path(name).name):
            continue  # ingest skips these too
        name = clean_name(name)
        summary.names.append(name)
        if kind_of(path) == "zip":
            bad = _zip_check(path, limits)
            if bad:
                problems.append(FileProblem(bad[0], bad[1], name, bad[2]))
                continue
        try:
            with Ingest(path, settings, name=name) as ing:
                problems.extend(_refused_problem(r.name, r.error or "") for r in ing.result.refused)
                for f in ing.result.files:
                    check(f.path, f.name, f.kind)
        except DossierReadError as exc:
            problems.append(FileProblem(422, "corrupt_file", name, str(exc)))
    if problems and (strict or summary.files == 0 or any(p.hostile for p in problems)):
        raise _refuse(problems)
    if summary.files == 0:
        raise UploadProblem(422, "no_files", "上传的内容中没有可读取的卷宗文件（PDF、OFD、DOCX、图片或 TXT）。")
    if summary.pages > limits.pages:
        raise UploadProblem(413, "too_many_pages", f"卷宗页数过多（{summary.pages} 页，上限 {limits.pages} 页）")
    summary.rejected = [p.public() for p in problems]
    return summary


# --- rules -----------------------------------------------------------------------------------

def rule_list(settings: Settings) -> list[dict[str, Any]]:
    """Every catalog rule with title, category, points and whether the product implements it."""
    from checks import implemented_rules, load_catalog, unsupported_rules

    cat = load_catalog(settings.catalog_path)
    impl, unsup = implemented_rules(), unsupported_rules()
    return [
        {"id": e.id, "title": e.title, "category": e.category, "stage": e.stage,
         "severity_points": e.severity_points, "implemented": e.id in impl,
         "unsupported_reason": unsup.get(e.id)}
        for e in sorted(cat.rules.values(), key=lambda e: e.id)
    ]


def rule_detail(rule_id: str, settings: Settings) -> dict[str, Any] | None:
    """One rule's page: catalog entry, basis, and the rule's documented sections; None if unknown."""
    from checks import implemented_rules, load_catalog, rule_page, unsupported_rules

    cat = load_catalog(settings.catalog_path)
    if rule_id not in cat:
        return None
    e = cat[rule_id]
    impl = implemented_rules()
    sections = impl[rule_id].doc_sections() if rule_id in impl else {}
    return {
        "id": e.id, "title": e.title, "category": e.category, "stage": e.stage,
        "severity_points": e.severity_points, "implemented": rule_id in impl,
        "unsupported_reason": unsupported_rules().get(rule_id),
        "documents": list(e.documents), "check_logic": e.check_logic,
        "basis": [{**b.model_dump(), "status": s} for b, s in zip(e.basis, e.basis_status)],
        "sections": sections, "page": rule_page(rule_id, cat),
    }


# --- dispositions on a stored report -------------------------------------------------------------

def apply_dispositions(report: dict[str, Any], dispositions: dict[str, dict] | None,
                       settings: Settings | None = None) -> dict[str, Any]:
    """A copy of ``report`` with dispositions shown on findings and points/grade/key review
    recomputed without 误报/不适用 findings (same rule as :func:`assistant.pipeline.scan`)."""
    import copy

    from models import Finding

    from assistant import profiles
    from models.settings import get_settings
    from assistant.grading import gate, grade

    out = copy.deepcopy(report)
    if not dispositions:
        return out
    for f in out.get("findings", []) + out.get("hints", []):
        if f.get("id") in dispositions:
            f["disposition"] = dispositions[f["id"]]
    profile = profiles.load_default(settings or get_settings())
    counted = [
        Finding(id=f.get("id", ""), rule_id=f["rule_id"], title=f.get("title", ""), category=f.get("category", ""),
                severity_points=int(f.get("severity_points", 0)), message=f.get("message", ""))
        for f in out.get("findings", [])
        if (f.get("disposition") or {}).get("status") not in ("误报", "不适用")
    ]
    g = gate(grade(counted, profile.scheme, case_kind=profile.case_kind), out.get("coverage"))
    out["points"], out["grade"] = g.points, g.grade
    out["grade_reasons"] = g.reasons
    out["key_review"] = g.key_review.model_dump()
    out["accumulation"] = g.accumulation
    return out
