"""Expected sentence, interval, deviation and outcome rates on a synthetic corpus."""

from __future__ import annotations

import math

import numpy as np
import pytest

from checks.rules.similar import decide
from index.deviation import Params, SentenceModel, _conformal, assess, weighted_quantile
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
