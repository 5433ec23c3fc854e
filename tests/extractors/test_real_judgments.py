"""Real judgment openings (LeCaRDv2, ``../shared/data/lecardv2``) as DOCX and as text-layer PDF: the
product reads the judgment, its defendants — and no victim, 另案处理 person, civil-suit defendant or
member of the other side as one —, its charges and its 案号 (issue 21).

The expected values are in ``real_judgments.yaml`` (what each text states); the documents are
written here from the shared texts (:mod:`tests.extractors.real_judgments`), so nothing of the data
set is copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from extractors.case import extract_case
from models import vocab
from tests.extractors import real_judgments as rj

TRUTH = yaml.safe_load((Path(__file__).with_name("real_judgments.yaml")).read_text(encoding="utf-8"))

pytestmark = pytest.mark.skipif(not rj.QUERIES.is_file(), reason="../shared/data/lecardv2 不可用")


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, str], object]:
    """(id, format) → the CaseFile the product reads from that judgment written in that format."""
    texts = rj.load([t["id"] for t in TRUTH])
    base = tmp_path_factory.mktemp("real_judgments")
    out = {}
    for t in TRUTH:
        lines = rj.paragraphs(texts[t["id"]])
        for fmt, write in (("docx", rj.write_docx), ("pdf", rj.write_pdf)):
            path = write(lines, base / f"{t['id']}.{fmt}")
            out[(t["id"], fmt)] = extract_case(path)
    return out


def _cases():
    for t in TRUTH:
        for fmt in ("docx", "pdf"):
            yield pytest.param(t, fmt, id=f"{t['id']}-{fmt}")


@pytest.mark.parametrize("truth,fmt", list(_cases()))
def test_real_judgment(read, truth: dict, fmt: str):
    case = read[(truth["id"], fmt)]
    judgments = [d for d in case.documents if d.type == vocab.JUDGMENT and d.role == vocab.ROLE_CASE]
    assert judgments, [d.type for d in case.documents]
    suspects = [s.name for s in case.case.suspects]
    assert sorted(suspects) == sorted(truth["defendants"])
    assert not set(suspects) & set(truth.get("not_parties") or [])
    assert set(case.case.charges) == set(truth["charges"])
    assert truth["case_number"] in case.case.doc_numbers


def test_every_person_listed_with_a_party_role_has_its_cue(read):
    """Each party of a judgment names the words that made it one (the cue recorded with the mention)."""
    for (ident, fmt), case in read.items():
        for d in case.documents:
            for m in d.value(vocab.MENTIONS) or []:
                assert m.get("cue"), (ident, fmt, m)
