"""Robustness on real, unseen wording: LeCaRDv2 judgment openings and the CAIL2018 charge list.

Read from the shared folder (``ASSISTANT_SHARED_DIR``, default ``shared`` beside the repo).
"""

from __future__ import annotations

import json
import re

import pytest

from extractors.fields import extract_fields
from extractors.lexicon import normalize_charge, shared_dir
from extractors.text import DocText
from models import Line, Page, vocab

CASE_NO = re.compile(r"[（(]\d{4}[）)][^号（）()]{2,20}?刑[初终]\d+号")


def _page(text: str) -> Page:
    rows = [p for p in re.split(r"(?<=[。：])", text) if p]
    lines = [Line(text=t, bbox=(72.0, 72.0 + 18 * i, 523.0, 86.0 + 18 * i)) for i, t in enumerate(rows)]
    return Page(file="q.docx", number=1, width=595.0, height=842.0, text=text, lines=lines)


def test_lecard_judgment_openings():
    path = shared_dir() / "data" / "lecardv2" / "queries.jsonl"
    if not path.exists():
        pytest.skip("LeCaRDv2 queries not available")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    n = ok = charged = named = 0
    for r in rows:
        q = r["query"]
        fields = extract_fields(DocText([_page(q)]), vocab.JUDGMENT)
        charged += vocab.CHARGES in fields
        named += vocab.SUSPECT_NAME in fields
        m = CASE_NO.search(q[:120])
        if m:
            n += 1
            ok += fields.get(vocab.DOC_NUMBER) is not None and fields[vocab.DOC_NUMBER].value == m.group(0)
    print(f"\nLeCaRDv2 openings: {len(rows)}; 案号 {ok}/{n}; charges found {charged}; suspect found {named}")
    assert ok / n >= 0.95
    assert charged / len(rows) >= 0.9 and named / len(rows) >= 0.9


def test_every_cail_charge_normalises():
    path = shared_dir() / "data" / "cail2018" / "accu.txt"
    if not path.exists():
        pytest.skip("CAIL2018 charge list not available")
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    bad = [n for n in names if normalize_charge(n) != n.replace("[", "").replace("]", "") + "罪"]
    assert not bad, bad[:5]
