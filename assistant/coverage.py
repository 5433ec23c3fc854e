"""What a scan actually read, and whether a grade may be suggested at all (issue 24).

:func:`coverage` turns a :class:`~models.CaseFile` into the report's additive ``coverage`` block:

- pages: read, with a text layer, with an OCR text layer that came with the file (double-layer
  PDF/OFD), OCR'd by this scan, and without readable text — each of those with the reason (a
  blank sheet or a photo page that OCR skipped on purpose says so); ``partly_read_pages`` lists
  photo pages whose text outside the photographs was read;
- files: every file of the dossier with its pages read, and the files that yielded no readable
  text at all (refused, damaged, or every page unreadable);
- documents: recognised by type versus 「其他」;
- the case's stage (from the decisive documents found — not another case's, such as an earlier
  judgment — else the profile's case kind) and the share of that stage's core documents found
  (e.g. 起诉书 or 不起诉决定书 for 审查起诉).

A dossier is *gradable* only when every file yielded readable text, no scanned page was left
unread, and at least one core document of its stage was recognised. Otherwise the suggested
grade is :data:`assistant.grading.UNGRADABLE` (「无法评定」) with the reasons, never 合格: a
review tool must not pass a dossier it could not read (:func:`gate`).

"Readable" text is Chinese text: at least :data:`MIN_READABLE_CJK` CJK characters, most
characters of the page printable (a text layer in a font without a Unicode map comes out as
control characters or private-use code points and counts as unreadable).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

from models import CaseFile, Page
from models import vocab as V

#: CJK characters from which a page counts as read.
MIN_READABLE_CJK = 4
#: Share of a page's characters that must be printable text (CJK, letters, digits, punctuation).
MIN_PRINTABLE_SHARE = 0.6
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

#: Decisive documents of each stage, latest stage first: the stage of a dossier is the latest one
#: whose documents it holds.
STAGE_DOCUMENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("审判", (V.JUDGMENT,)),
    ("审查起诉", (V.INDICTMENT, V.NON_PROSECUTION, V.WITHDRAWAL, V.SENTENCING_RECOMMENDATION, V.PLEA_AGREEMENT,
              V.PROSECUTION_OPINION, V.CASE_ACCEPTANCE, V.REVIEW_EXTENSION, V.SUPPLEMENTARY_INVESTIGATION)),
    ("审查逮捕", (V.ARREST_REQUEST, V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL)),
    ("侦查", (V.DETENTION_WARRANT, V.ARREST_WARRANT, V.INTERROGATION, V.BAIL_DECISION, V.RESIDENCE_DECISION,
            V.DETENTION_NOTICE, V.ARREST_NOTICE, V.SUMMONS)),
)

#: The core documents a dossier of each stage is reviewed on: groups, each met by any of its types.
CORE_DOCUMENTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "审判": ((V.JUDGMENT,), (V.INDICTMENT,)),
    "审查起诉": ((V.INDICTMENT, V.NON_PROSECUTION), (V.PROSECUTION_OPINION,), (V.INTERROGATION,)),
    "审查逮捕": ((V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL), (V.ARREST_REQUEST,), (V.INTERROGATION,)),
    "侦查": ((V.INTERROGATION,), (V.DETENTION_WARRANT, V.ARREST_WARRANT, V.BAIL_DECISION, V.RESIDENCE_DECISION)),
}

#: The stage assumed when no decisive document was recognised, by the profile's case kind.
DEFAULT_STAGE = {"公诉": "审查起诉"}

#: Files named in one warning (the coverage block lists them all).
WARN_FILES = 8


def readable(text: str) -> bool:
    """Whether a page's text is Chinese text a person can read (see the module docstring)."""
    chars = [c for c in text or "" if not c.isspace()]
    if len(_CJK.findall(text or "")) < MIN_READABLE_CJK:
        return False
    printable = sum(1 for c in chars if unicodedata.category(c)[0] in "LNPS" and unicodedata.category(c) != "Co")
    return printable >= MIN_PRINTABLE_SHARE * len(chars)


#: Why OCR left a scanned page unread on purpose (``Page.ocr_skip``, set by ``extractors.triage``).
SKIP_REASONS = {
    "blank": "空白页（扫描图像上没有字迹），未做文字识别",
    "photo": "照片页：照片部分未做文字识别，照片以外没有可读文字",
}
#: A photo page whose text outside the photographs was read.
PARTLY_READ = "照片页：只识别了照片以外的文字（标题、说明），照片部分未做文字识别"


def _page_state(page: Page) -> tuple[str, str]:
    """(how the page was read, why it has no readable text or '')."""
    if page.needs_ocr:
        return "unread", "扫描图像，文字识别不可用或出错"
    ocr_run = getattr(page, "ocr_run", False)
    if page.text_source == "ocr" or ocr_run:
        how = "ocr" if ocr_run else "ocr_layer"
    elif page.lines:
        how = "text_layer"
    else:
        how = "none"
    if readable(page.text):
        return how, ""
    skip = getattr(page, "ocr_skip", "")
    if ocr_run and skip in SKIP_REASONS:
        return "unread", SKIP_REASONS[skip]
    if ocr_run:
        return "unread", "扫描图像，未识别出文字，可能是空白页"
    if page.lines:
        return "unread", "文字层乱码或没有中文文字，可能是字体缺少编码映射"
    return "unread", "没有文字层，也不是可识别的扫描图像，可能是空白页或无法识别的页面结构"


def stage_of(types: Iterable[str], case_kind: str = "公诉") -> tuple[str, bool]:
    """(the case's stage, whether documents decided it rather than the default)."""
    present = set(types)
    for stage, docs in STAGE_DOCUMENTS:
        if present & set(docs):
            return stage, True
    return DEFAULT_STAGE.get(case_kind, "审查起诉"), False


def _group_name(group: tuple[str, ...]) -> str:
    return "或".join(group)


def coverage(case: CaseFile, case_kind: str = "公诉") -> dict[str, Any]:
    """The ``coverage`` block of the report (see the module docstring)."""
    pages = {"total": len(case.pages), "text_layer": 0, "ocr_layer": 0, "ocr": 0, "unread": 0}
    unread_pages: list[dict[str, Any]] = []
    partly_read: list[dict[str, Any]] = []
    per_file: dict[str, dict[str, Any]] = {}
    refused: list[dict[str, Any]] = []   # files set aside (a zip may hold a refused namesake of a read file)
    for f in case.files:
        entry = {"file": f.name, "kind": f.kind, "pages": 0, "readable_pages": 0, "error": f.error or None}
        if f.error:
            refused.append(entry)
        else:
            per_file.setdefault(f.name, entry)
    for page in case.pages:
        how, why = _page_state(page)
        entry = per_file.setdefault(page.file, {"file": page.file, "kind": "", "pages": 0, "readable_pages": 0,
                                                 "error": None})
        entry["pages"] += 1
        if why:
            pages["unread"] += 1
            unread_pages.append({"file": page.file, "page": page.number, "reason": why})
        else:
            pages[how] = pages.get(how, 0) + 1
            entry["readable_pages"] += 1
            if getattr(page, "ocr_skip", "") == "photo":
                partly_read.append({"file": page.file, "page": page.number, "reason": PARTLY_READ})
    unread_files = []
    for entry in [*per_file.values(), *refused]:
        if entry["error"]:
            unread_files.append({"file": entry["file"], "reason": entry["error"]})
        elif entry["pages"] and not entry["readable_pages"]:
            reasons = sorted({p["reason"] for p in unread_pages if p["file"] == entry["file"]})
            unread_files.append({"file": entry["file"], "reason": "；".join(reasons) or "没有可读的文字"})
    scans_unread = [p for p in unread_pages if p["reason"].startswith("扫描图像，文字识别")]

    types = [d.type for d in case.documents]
    recognised = [t for t in types if t != V.OTHER]
    by_type: dict[str, int] = {}
    for t in types:
        by_type[t] = by_type.get(t, 0) + 1
    own = {d.type for d in case.documents if d.type != V.OTHER and getattr(d, "role", "case") != "other_case"}
    stage, decided = stage_of(own, case_kind)
    groups = CORE_DOCUMENTS.get(stage, ())
    found = [_group_name(g) for g in groups if set(g) & own]
    missing = [_group_name(g) for g in groups if not set(g) & own]
    share = round(len(found) / len(groups), 3) if groups else 1.0

    reasons: list[str] = []
    if unread_files:
        names = "、".join(f["file"] for f in unread_files[:WARN_FILES]) + ("等" if len(unread_files) > WARN_FILES else "")
        reasons.append(f"{len(unread_files)} 个文件未能读出文字（{names}）")
    partial = [p for p in scans_unread if p["file"] not in {f["file"] for f in unread_files}]
    if partial:
        where = "、".join(f"{p['file']} 第{p['page']}页" for p in partial[:WARN_FILES]) + ("等" if len(partial) > WARN_FILES else "")
        reasons.append(f"{len(partial)} 页扫描图像未能识别文字（{where}）")
    if groups and not found:
        reasons.append(f"未能识别出{stage}阶段的核心文书（{'、'.join(missing)}）")
    return {
        "pages": pages,
        "unread_pages": unread_pages,
        "partly_read_pages": partly_read,
        "files": [*per_file.values(), *refused],
        "unread_files": unread_files,
        "documents": {"total": len(types), "recognised": len(recognised), "other": len(types) - len(recognised),
                      "by_type": by_type},
        "stage": stage,
        "stage_from_documents": decided,
        "core": {"expected": [_group_name(g) for g in groups], "found": found, "missing": missing, "share": share},
        "gradable": not reasons,
        "ungradable_reasons": reasons,
    }


def warnings(cov: dict[str, Any]) -> list[str]:
    """Chinese warnings for what was not read, naming the files (first in the report's warnings)."""
    out: list[str] = []
    for f in cov.get("unread_files", []):
        out.append(f"{f['file']}：未能读出任何文字（{f['reason']}），该文件的内容未经检查。")
    if not cov.get("gradable", True):
        out.append("建议等次为「无法评定」：" + "；".join(cov.get("ungradable_reasons", [])) + "。请补交可读取的卷宗材料或人工评查。")
    return out


def summary_line(cov: dict[str, Any]) -> str:
    """One Chinese sentence: pages read and how, documents recognised, core documents found."""
    p, d, core = cov["pages"], cov["documents"], cov["core"]
    parts = [f"共 {p['total']} 页，文字层 {p['text_layer']} 页"]
    if p.get("ocr_layer"):
        parts.append(f"双层文件识别文字 {p['ocr_layer']} 页")
    parts.append(f"文字识别 {p['ocr']} 页")
    parts.append(f"无可读文字 {p['unread']} 页")
    line = "，".join(parts) + f"；文书 {d['total']} 份，已识别类型 {d['recognised']} 份，「其他」 {d['other']} 份"
    if core["expected"]:
        line += (f"；{cov['stage']}阶段核心文书 {len(core['found'])}/{len(core['expected'])}"
                 + (f"（未见：{'、'.join(core['missing'])}）" if core["missing"] else ""))
    return line
