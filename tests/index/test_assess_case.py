"""assistant.similar.assess_case: query from a CaseFile, cached index, warnings, SUB-007 end to end."""

from __future__ import annotations

from models.settings import Settings
from assistant.similar import assess_case, query_from_case
from checks.catalog import load_catalog
from checks.runner import run_rules
from models import CaseFile, CaseSummary, Document, Field


def _case(sentence=None, recommendation=None, facts="被告人在超市内盗窃他人财物，价值人民币3000元。被告人被抓获归案。"):
    docs = [Document(id="d1", type="起诉书", file="起诉书.pdf", pages=[1],
                     fields={"facts": Field(value=facts), "charges": Field(value=["盗窃罪"])})]
    if recommendation:
        docs.append(Document(id="d2", type="量刑建议书", file="量刑建议书.pdf", pages=[1],
                             fields={"recommendation": Field(value=recommendation)}))
    if sentence:
        docs.append(Document(id="d3", type="判决书", file="判决书.pdf", pages=[1],
                             fields={"sentence": Field(value=sentence), "facts": Field(value=facts)}))
    return CaseFile(name="t", documents=docs, case=CaseSummary(charges=["盗窃罪"]))


def test_query_prefers_judgment_then_recommendation():
    q = query_from_case(_case(sentence={"kind": "有期徒刑", "months": 9}, recommendation={"kind": "有期徒刑", "months": 8}))
    assert q["actual_months"] == 9 and q["source"] == "宣告刑" and q["document_id"] == "d3"
    q = query_from_case(_case(recommendation={"kind": "有期徒刑", "range_months": [6, 10]}))
    assert q["actual_months"] == 8 and q["source"] == "量刑建议" and q["charges"] == ["盗窃罪"]


def test_assess_case_and_sub007(lexical_index):
    settings = Settings(index_dir=lexical_index.path)
    sim, warns = assess_case(_case(sentence={"kind": "有期徒刑", "months": 48}), settings)
    assert sim is not None and not warns
    assert sim["actual_sentence_months"] == 48 and sim["deviation"] > 1
    run = run_rules(_case(sentence={"kind": "有期徒刑", "months": 48}), load_catalog(), enabled=["SUB-007"],
                    similar=sim)
    [f] = run.findings
    assert "高于类案预期" in f.message and f.evidence[0].document_id == "d3"
    sim_ok, _ = assess_case(_case(sentence={"kind": "有期徒刑", "months": 8}), settings)
    run = run_rules(_case(sentence={"kind": "有期徒刑", "months": 8}), load_catalog(), enabled=["SUB-007"],
                    similar=sim_ok)
    assert not run.findings


def test_assess_case_warnings(tmp_path, lexical_index):
    sim, warns = assess_case(_case(), Settings(index_dir=tmp_path / "missing"))
    assert sim is None and "类案索引目录无效" in warns[0]
    sim, warns = assess_case(CaseFile(name="empty"), Settings(index_dir=lexical_index.path))
    assert sim is None and "未能读取案件事实和罪名" in warns[0]
    sim, warns = assess_case(_case(), Settings(index_dir=lexical_index.path))
    assert sim is not None and any("未能读取宣告刑或量刑建议" in w for w in warns)
