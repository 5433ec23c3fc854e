"""Index build, persistence, loading, incremental add, charge filtering and embedder refusal."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.embed import LexicalEmbedder, SentenceTransformerEmbedder
from index.records import CaseRecord, from_cail, iter_cases
from index.store import IndexStoreError, SimilarIndex


def test_build_persist_load(lexical_index):
    idx = lexical_index
    assert len(idx) == 70
    assert set(idx.charges()) == {"盗窃罪", "危险驾驶罪"}
    again = SimilarIndex.load(idx.path)
    assert len(again) == 70 and again.info["identity"] == idx.info["identity"]
    hits = again.search("被告人在超市内盗窃他人财物，价值人民币3000元", charge="盗窃罪", k=5)
    assert len(hits) == 5
    assert all(h.record.charges == ["盗窃罪"] for h in hits)
    assert hits[0].similarity >= hits[-1].similarity
    assert again.model is not None
    text = ["被告人在超市内盗窃他人财物，价值人民币3000元"]
    # the stored (float16) lexical embedder encodes exactly as the one that built the index
    assert np.array_equal(again.embedder.encode_queries(text), idx.embedder.encode_queries(text))
    assert np.allclose(again.embedder.encode_passages([r.facts for r in [idx.record(0)[0]]]), idx.vectors[:1], atol=1e-6)


def test_charge_filter_accepts_selective_subform(tmp_path):
    rows = [{"fact": f"被告人王某{i}贩卖甲基苯丙胺{i + 1}克。", "meta": {"accusation": ["[走私、贩卖、运输、制造]毒品"],
             "term_of_imprisonment": {"imprisonment": 6 + i, "life_imprisonment": False, "death_penalty": False}}}
            for i in range(6)]
    rows += [{"fact": f"被告人赵某{i}盗窃电动车一辆。", "meta": {"accusation": ["盗窃"],
              "term_of_imprisonment": {"imprisonment": 6, "life_imprisonment": False, "death_penalty": False}}}
             for i in range(6)]
    recs = [from_cail(r, f"r{i}") for i, r in enumerate(rows)]
    idx = SimilarIndex.build(recs, tmp_path / "idx", LexicalEmbedder(dim=8), fit_model=False)
    assert len(idx.rows_for_charge("贩卖毒品罪")) == 6
    assert len(idx.rows_for_charge("合同诈骗罪")) == 0
    hits = idx.search("贩卖毒品", charge="贩卖、运输毒品罪", k=10)
    assert {h.record.charges[0] for h in hits} == {"走私、贩卖、运输、制造毒品罪"}


def test_incremental_add(tmp_path, corpus_file):
    recs = list(iter_cases(corpus_file))
    idx = SimilarIndex.build(recs[:50], tmp_path / "idx", LexicalEmbedder(dim=32))
    added = idx.add(recs[40:])
    assert added == 20 and len(idx) == 70
    again = SimilarIndex.load(tmp_path / "idx")
    assert len(again) == 70
    assert again.faiss.ntotal == 70
    new_id = recs[65].id
    hits = again.search(recs[65].facts, k=1)
    assert hits[0].record.id == new_id


def test_refuses_mismatched_embedder(lexical_index):
    other = LexicalEmbedder(dim=16).fit(["完全不同的语料甲", "完全不同的语料乙", "第三条语料"])
    with pytest.raises(IndexStoreError, match="向量模型不一致"):
        SimilarIndex.load(lexical_index.path, embedder=other)


def test_load_missing_folder_is_chinese_error(tmp_path):
    with pytest.raises(IndexStoreError, match="类案索引目录无效"):
        SimilarIndex.load(tmp_path / "nothing")


def test_bad_rows_are_skipped_with_message(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"fact": "盗窃", "meta": {"accusation": ["盗窃"], "term_of_imprisonment": {"imprisonment": 6}}}\n'
                 "not json\n" + json.dumps({"fact": "x"}) + "\n", encoding="utf-8")
    errors: list[str] = []
    recs = list(iter_cases(p, errors))
    assert len(recs) == 1 and len(errors) == 2
    assert "第2行" in errors[0] and "第3行" in errors[1]


def test_report_judgments_become_records():
    from index.records import from_report

    report = {"dossier": {"name": "案卷A"}, "case": {"charges": ["盗窃罪"]}, "documents": [
        {"id": "d5", "type": "判决书", "fields": {
            "charges": {"value": ["盗窃罪"]}, "facts": {"value": "被告人盗窃现金3000元，主动投案。"},
            "sentence": {"value": {"kind": "有期徒刑", "months": 8, "suspended": True, "fine_yuan": 2000}}}},
        {"id": "d2", "type": "起诉书", "fields": {}}]}
    [rec] = from_report(report)
    assert rec.id == "案卷A#d5" and rec.outcome == "缓刑" and rec.sentence_months == 8
    assert rec.features.amount_yuan == 3000 and "自首" in rec.features.flags


def test_real_model_small_subset(tmp_path, model_dir, cail_file):
    recs: list[CaseRecord] = []
    for r in iter_cases(cail_file):
        if r.primary_charge in ("盗窃罪", "危险驾驶罪") and len(r.facts) < 400:
            recs.append(r)
        if len(recs) >= 24:
            break
    emb = SentenceTransformerEmbedder(model_dir, max_seq_length=128)
    idx = SimilarIndex.build(recs, tmp_path / "st", emb)
    assert idx.info["identity"].startswith("st:") and idx.vectors.shape == (len(recs), emb.dim)
    assert np.allclose(np.linalg.norm(idx.vectors, axis=1), 1.0, atol=1e-4)
    again = SimilarIndex.load(tmp_path / "st", embedder=emb)
    hits = again.search(recs[0].facts, k=3)
    assert hits[0].record.id == recs[0].id
    with pytest.raises(IndexStoreError, match="向量模型不一致"):
        SimilarIndex.load(tmp_path / "st", embedder=LexicalEmbedder(dim=8).fit(["甲乙", "丙丁", "戊己"]))
