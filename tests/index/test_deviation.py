"""Expected sentence, interval, deviation and outcome rates on a synthetic corpus."""

from __future__ import annotations

import math

import numpy as np
import pytest

from checks.rules.similar import decide
from index.deviation import FLAG_NAMES, Params, SentenceModel, _conformal, assess, weighted_quantile
from index.features import extract_features


def _assess(idx, text, charge, months):
    return assess(idx, text, [charge], extract_features(text, [charge]), months, "实刑" if months else "")


def test_weighted_quantile():
    assert weighted_quantile([1, 2, 3], [1, 1, 1], 0.5) == pytest.approx(2)
    assert weighted_quantile([1, 10], [0.99, 0.01], 0.5) == pytest.approx(1, abs=0.6)


@pytest.mark.parametrize("text,charge,lo,hi", [
    ("被告人在超市内盗窃他人财物，价值人民币3000元。被告人被抓获归案。", "盗窃罪", 4, 14),
    ("被告人在商场内盗窃他人财物，价值人民币120000元。被告人被抓获归案。", "盗窃罪", 30, 80),
    ("被告人酒后驾驶小型轿车，经鉴定其血液中乙醇含量为260mg/100ml。", "危险驾驶罪", 2.5, 8),
])
def test_expectation_follows_features(lexical_index, text, charge, lo, hi):
    a = _assess(lexical_index, text, charge, None)
    assert lo <= a.expected_months <= hi, a.to_json()
    iv = a.interval_months
    assert iv[0] <= a.expected_months <= iv[1]
    assert all(n.record.charges == [charge] for n in a.neighbours)


@pytest.mark.parametrize("months,fires", [(8, False), (36, True), (1, True)])
def test_deviation_and_decision(lexical_index, months, fires):
    text = "被告人在超市内盗窃他人财物，价值人民币3000元。被告人被抓获归案。"
    a = _assess(lexical_index, text, "盗窃罪", months)
    sim = a.to_json()
    assert sim["deviation"] == pytest.approx((months - a.expected_months) / max(a.expected_months, 1), abs=1e-3)
    assert math.copysign(1, sim["deviation"]) == (1 if months > a.expected_months else -1)
    assert bool(decide(sim)) is fires, sim


def test_contract_keys_and_neighbour_evidence(lexical_index):
    sim = _assess(lexical_index, "被告人在小区内盗窃他人财物，价值人民币6000元，主动投案，构成自首。", "盗窃罪", 10).to_json()
    for key in ("expected_sentence_months", "actual_sentence_months", "deviation", "neighbours",
                "interval_months", "outcome_rates", "circumstances", "embedder"):
        assert key in sim
    n = sim["neighbours"][0]
    assert {"id", "charges", "sentence_months", "similarity"} <= set(n)
    assert "自首" in sim["circumstances"]["circumstances"]
    assert sim["outcome_rates"]["监禁刑"] == pytest.approx(1.0)
    assert len(sim["neighbours"]) == Params().shown


def test_rare_outcome_fires(lexical_index):
    sim = _assess(lexical_index, "被告人在超市内盗窃他人财物，价值人民币30000元。", "盗窃罪", 0).to_json()
    sim["actual_outcome"] = "免予刑事处罚"
    sim["actual_outcome_class"] = "非监禁刑/免予刑事处罚"
    reasons = decide(sim)
    assert any("处理结果" in r for r in reasons)


def test_unknown_charge_falls_back_with_note(lexical_index):
    a = _assess(lexical_index, "被告人故意伤害他人致轻伤二级。", "故意伤害罪", 12)
    assert any("没有“故意伤害罪”" in n for n in a.notes)
    assert a.neighbours


def test_conformal_quantile_is_finite_sample_corrected():
    v = np.arange(1, 101, dtype=float)
    assert _conformal(v, 0.9) == 91.0
    assert _conformal(v, 0.999) == 100.0
    assert _conformal(np.array([]), 0.9) == pytest.approx(0.7)


def test_half_width_shrinks_charge_towards_pooled():
    m = SentenceModel(charge_codes={}, regressor=None, charge_resid_q={}, global_resid_q=(-1, 1), charge_median={})
    assert m.half_width("盗窃罪", 0.97) is None
    resid = {"盗窃罪": [0.1] * 60, "诈骗罪": [1.0] * 60}
    m._calibrate(resid, np.asarray(resid["盗窃罪"] + resid["诈骗罪"]))
    pooled = m.half_width("其他罪", 0.97)
    assert pooled == pytest.approx(1.0)
    assert m.half_width("盗窃罪", 0.97) == pytest.approx(0.5 * 0.1 + 0.5 * pooled)
    assert m.half_width("盗窃罪", 0.8) <= m.half_width("盗窃罪", 0.99)


def test_interval_is_calibrated_on_out_of_fold_residuals(lexical_index):
    a = _assess(lexical_index, "被告人在超市内盗窃他人财物，价值人民币3000元。被告人被抓获归案。", "盗窃罪", 8)
    sim = a.to_json()
    assert sim["interval_calibrated"] is True
    half = max(lexical_index.model.half_width("盗窃罪", a.params.coverage), a.params.min_half_width)
    lo, hi = a.interval_log
    assert hi - a.expected_log == pytest.approx(half)
    assert a.expected_log - lo == pytest.approx(half)


def test_cail_tolerance_score_steps():
    from index.deviation import cail_tolerance_score

    v = np.array([0.0, 0.2, 0.21, 0.4, 0.59, 0.8, 0.99, 1.0, 1.01, 3.0])
    assert cail_tolerance_score(v).tolist() == pytest.approx([1.0, 1.0, 0.8, 0.8, 0.6, 0.4, 0.2, 0.2, 0.0, 0.0])


def _window_model(oof, y):
    m = SentenceModel(charge_codes={}, regressor=None, charge_resid_q={}, global_resid_q=(-1, 1), charge_median={})
    m.window = {"盗窃罪": (np.asarray(oof, float), np.asarray(y, float)), "": (np.asarray(oof, float), np.asarray(y, float))}
    return m


def test_decide_term_moves_to_the_sentence_most_often_right():
    # cases predicted at 8 months were all sentenced to 12; among the tied grid sentences
    # (10–14 all score 1.0) the one nearest the shifted truths is taken
    oof = np.full(40, math.log1p(8))
    y = np.full(40, math.log1p(12))
    m = _window_model(oof, y)
    chosen, score = m.decide_term(math.log1p(8), "盗窃罪", window=30, margin=0.05)
    assert math.expm1(chosen) == pytest.approx(12)
    assert score == pytest.approx(1.0)
    # truths split 3:1 between 12 and 4 months: 10 months is within tolerance of more of them
    y = np.log1p(np.array([12] * 30 + [4] * 10, dtype=float))
    chosen, _ = _window_model(oof, y).decide_term(math.log1p(8), "盗窃罪", window=40, margin=0.0)
    assert math.expm1(chosen) == pytest.approx(10)


def test_decide_term_keeps_the_median_when_nothing_is_clearly_better():
    rng = np.random.default_rng(0)
    oof = np.full(60, math.log1p(10))
    y = math.log1p(10) + rng.normal(0, 0.05, 60)
    m = _window_model(oof, y)
    chosen, _ = m.decide_term(math.log1p(10), "盗窃罪", window=30, margin=0.05)
    assert chosen == pytest.approx(math.log1p(10))


def test_normalised_half_width_scales_with_predicted_error():
    m = SentenceModel(charge_codes={}, regressor=None, charge_resid_q={}, global_resid_q=(-1, 1), charge_median={})
    m._calibrate({}, np.asarray([0.5] * 50))
    m.scaled_q = {0.97: 2.0}
    assert m.half_width("盗窃罪", 0.97, scale=0.1) == pytest.approx(0.2)
    assert m.half_width("盗窃罪", 0.97, scale=0.4) == pytest.approx(0.8)
    assert m.half_width("盗窃罪", 0.97) == pytest.approx(0.5)


def _murder_records(n=60, seed=1):
    from index.records import CaseRecord

    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n):
        died = i % 3 == 0
        facts = ("被告人持刀捅刺被害人，致被害人当场死亡。" if died else "被告人持刀捅刺被害人，致其轻伤二级。") + f"案发地点{i}号。"
        if died:
            recs.append(CaseRecord(f"m{i}", ["故意杀人罪" if i % 2 else "故意伤害罪"], facts, "无期徒刑", None))
        else:
            recs.append(CaseRecord(f"m{i}", ["故意伤害罪"], facts, "实刑", float(rng.choice([8, 10, 12]))))
    return recs


def test_stacked_model_uses_neighbours_and_predicts_life_sentences():
    recs = _murder_records()
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(len(recs), 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    m = SentenceModel.fit(recs, vecs)
    assert m.regressor is not None and m.special is not None
    text_column = len(FLAG_NAMES) + 8
    assert max(m.dead_columns, default=-1) <= text_column  # the neighbour statistics were used
    died = extract_features("被告人持刀捅刺被害人，致被害人当场死亡。")
    hurt = extract_features("被告人持刀捅刺被害人，致其轻伤二级。")
    p_died = m.predict("被告人持刀捅刺被害人，致被害人当场死亡。", died, ["故意伤害罪"], [np.nan, np.nan, np.nan, 0.9, 1.0, 0.0])
    p_hurt = m.predict("被告人持刀捅刺被害人，致其轻伤二级。", hurt, ["故意伤害罪"], [math.log1p(10), math.log1p(10), 0.1, 0.9, 0.0, 0.0])
    assert p_died.special.get("无期徒刑", 0) > 0.5 > p_hurt.special.get("无期徒刑", 0)
    assert 6 <= math.expm1(p_hurt.median) <= 14
