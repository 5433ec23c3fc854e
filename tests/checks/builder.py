"""Build a :class:`~models.CaseFile` from the compact case descriptions of ``cases/*.yaml``.

A case looks like::

    case: {in_custody: true, dates: {受案: 2024-01-01}, suspects: [{name: 张三}]}
    docs:
      - type: 起诉书
        file: 检察卷.pdf        # default 卷宗.pdf
        pages: [12, 13]         # default: one page, numbered by position
        role: other_case        # default case (Document.role: case / evidence / other_case / volume)
        text: "..."             # optional full text
        fields: {date: 2024-05-20, charges: [盗窃罪]}
        slots: [{role: 院印, kind: seal, page: 13, filled: false}]
        unsure: [date]          # fields read with low confidence (an OCR date under a seal)
        source: ocr             # read from OCR-grade text (a scan, a double-layer PDF); default text-layer

Dates that YAML parses as dates are turned back into ISO strings, as extraction writes them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from models import CaseFile, CaseSummary, Document, Evidence, Field, Person, Slot

CASES_DIR = Path(__file__).parent / "cases"


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def build_case(spec: dict[str, Any]) -> CaseFile:
    docs = []
    for i, d in enumerate(spec.get("docs") or [], start=1):
        d = _plain(d)
        file = d.get("file", "卷宗.pdf")
        pages = d.get("pages") or [i]
        doc_id = d.get("id", f"d{i}")
        unsure = set(d.get("unsure") or [])
        source = d.get("source", "text-layer")
        fields = {
            name: Field(value=value, evidence=[Evidence(document_id=doc_id, file=file, page=pages[0], text=str(value)[:60],
                                                        text_source=source)],
                        confidence=0.45 if name in unsure else 1.0)
            for name, value in (d.get("fields") or {}).items()
        }
        slots = [Slot(kind=s.get("kind", "signature"), page=s.get("page", pages[-1]), filled=s.get("filled"),
                      role=s["role"], who=s.get("who")) for s in d.get("slots") or []]
        docs.append(Document(id=doc_id, type=d["type"], title=d.get("title", d["type"]), file=file, pages=pages,
                             text=d.get("text", ""), fields=fields, slots=slots, role=d.get("role", "case"),
                             text_source=source))
    summary = _plain(spec.get("case") or {})
    case = CaseSummary(
        suspects=[Person.model_validate(p) for p in summary.get("suspects") or []],
        charges=summary.get("charges") or [],
        dates=summary.get("dates") or {},
        plea=summary.get("plea"),
        in_custody=summary.get("in_custody"),
    )
    return CaseFile(name=spec.get("name", "测试卷宗"), documents=docs, case=case)


def load_cases() -> dict[str, dict[str, Any]]:
    """Every ``cases/<RULE-ID>.yaml`` by rule id."""
    out = {}
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out[path.stem] = data
    return out
