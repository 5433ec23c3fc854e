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
    }


def build_report(
    case: CaseFile,
    findings: list[Finding],
    g: Grade,
    similar: dict[str, Any] | None = None,
    rule_warnings: list[str] | None = None,
    profile: Any = None,
    deadlines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The report dict: the contract's keys plus additive ones (``hints``, ``accumulation``, ``deadlines`` …)."""
    main = [f for f in findings if not f.preview]
    hints = [f for f in findings if f.preview]
    main.sort(key=lambda f: (-f.severity_points, f.rule_id))
    by_category: dict[str, int] = {}
    for f in main:
        by_category[f.category] = by_category.get(f.category, 0) + 1
    warnings = list(dict.fromkeys([*case.warnings, *(rule_warnings or [])]))
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
    }
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
