"""Build the contract report (``../shared/contract/report.md``) from a scanned case."""

from __future__ import annotations

import logging
from typing import Any

from models import CaseFile, Finding

from assistant.grading import Grade

def _document(doc) -> dict[str, Any]:
    """One document of the report. ``source`` keeps the contract's first file and its pages; a
    document spanning several files (one scanned image per page) adds ``source.parts``, every
    file with its pages in reading order. Slots name their own ``file``."""
    source: dict[str, Any] = {"file": doc.file, "pages": doc.pages}
    if doc.spans_files:
        source["parts"] = [{"file": part.file, "pages": part.pages} for part in doc.parts]
    return {
        "id": doc.id,
        "type": doc.type,
        "title": doc.title,
        "source": source,
        "text_source": doc.text_source if doc.text_source != "none" else "ocr",
        "fields": {k: v.contract() for k, v in doc.fields.items()},
        "slots": [
            {"role": s.role, "kind": s.kind, "file": s.file or doc.file, "page": s.page, "filled": s.filled,
             "confidence": round(s.confidence, 3), "who": s.who, "bbox": [round(x, 1) for x in s.bbox] if s.bbox else None}
            for s in doc.slots
        ],
        "classification_confidence": round(doc.classification_confidence, 3),
        **_placement(doc),
    }


def _placement(doc) -> dict[str, Any]:
    """Additive keys: the document's role (what it is to this case) and, in a bound volume, the
    volume and the page numbers stamped on its sheets (``source.pages`` stay the PDF pages)."""
    from models import vocab

    out: dict[str, Any] = {"role": doc.role, "role_zh": vocab.ROLE_NAMES.get(doc.role, doc.role)}
    if doc.role_reason:
        out["role_reason"] = doc.role_reason
    if doc.volume:
        out["volume"] = doc.volume
        out["stamped_pages"] = list(doc.stamped_pages)
    return out


def _stamp_evidence(items: list[dict[str, Any]], case: CaseFile) -> None:
    """Add the volume and the stamped page number (``volume``, ``stamped_page``) to evidence records
    on pages of a bound volume, so a finding cites its page both ways."""
    if not case.volumes:
        return
    for item in items:
        for ev in item.get("evidence") or []:
            at = case.stamp_of(ev.get("file", ""), ev.get("page", 0))
            if at is not None:
                ev["volume"], ev["stamped_page"] = at


def _volumes(case: CaseFile) -> list[dict[str, Any]]:
    """The report's additive ``volumes`` block: each bound volume's cover, 目录 rows and problems."""
    out = []
    for v in case.volumes:
        out.append({
            "file": v.file, "label": v.label, "title": v.title, "name": v.name, "cause": v.cause, "suspect": v.suspect,
            "number": v.number, "total": v.total, "declared_pages": v.declared_pages,
            "pdf_pages": [v.pages[0], v.pages[-1]] if v.pages else [], "cover_page": v.cover_page,
            "toc_pages": v.toc_pages, "note_page": v.note_page, "numbering": v.numbering,
            "stamped_pages": [min(v.stamps.values()), max(v.stamps.values())] if v.stamps else [],
            "toc_confident": v.toc_confident,
            "toc": [{"no": e.no, "name": e.name, "doc_number": e.doc_number, "date": e.date, "first": e.first,
                     "last": e.last, "pdf_first": e.pdf_first, "pdf_last": e.pdf_last, "type": e.type,
                     "document_id": e.document_id} for e in v.entries],
            "problems": list(v.problems),
        })
    return out


def build_report(
    case: CaseFile,
    findings: list[Finding],
    g: Grade,
    similar: dict[str, Any] | None = None,
    rule_warnings: list[str] | None = None,
    profile: Any = None,
    deadlines: list[dict[str, Any]] | None = None,
    coverage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report dict: the contract's keys plus additive ones (``hints``, ``accumulation``, ``deadlines``,
    ``coverage`` and ``grade_reasons`` …). What was not read is warned about first."""
    from assistant.coverage import warnings as coverage_warnings

    main = [f for f in findings if not f.preview]
    hints = [f for f in findings if f.preview]
    main.sort(key=lambda f: (-f.severity_points, f.rule_id))
    by_category: dict[str, int] = {}
    for f in main:
        by_category[f.category] = by_category.get(f.category, 0) + 1
    unread = coverage_warnings(coverage) if coverage is not None else []
    warnings = list(dict.fromkeys([*unread, *case.warnings, *(rule_warnings or [])]))
    report: dict[str, Any] = {
        "schema_version": "1",
        "dossier": {"name": case.name, "files": [f.name for f in case.files], "pages": len(case.pages)},
        "documents": [_document(d) for d in case.documents],
        "case": case.case.contract(),
        "findings": [f.contract() for f in main],
        "key_review": g.key_review.model_dump(),
        "grade": g.grade,
        "points": g.points,
        "warnings": warnings,
        "hints": [f.contract() for f in hints],
        "findings_by_category": by_category,
        "accumulation": g.accumulation,
        "file_errors": [{"file": f.name, "message": f.error} for f in case.files if f.error],
        "grade_reasons": list(g.reasons),
    }
    if coverage is not None:
        report["coverage"] = coverage
    _stamp_evidence(report["findings"], case)
    _stamp_evidence(report["hints"], case)
    if case.volumes:
        report["volumes"] = _volumes(case)
    if profile is not None and getattr(profile, "name", None):
        report["profile"] = profile.name
    if similar is not None:
        report["similar_cases"] = similar
    if deadlines is not None:
        report["deadlines"] = deadlines
    try:  # the evidence inventory (证据目录, issue 14); never fails the report
        from assistant.evidence import evidence_block

        report["evidence"] = evidence_block(case)
    except Exception:  # noqa: BLE001
        logging.getLogger(__name__).exception("evidence block failed")
    return report
