"""``bench/ie_eval.py``: the scan's person roles, amounts, times and places on CAIL2021 IE items."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "ie_eval.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_ie", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_scoring_counts_each_value_once_per_item_and_compares_sums_by_amount():
    bench = _bench()
    items = [{"question": "句子:2018年6月8日5时许，被告人张某某来到某市某店，拿走盒子内人民币2000元。",
              "answer": "犯罪嫌疑人:张某某、张某某;被盗货币:2000元;时间:2018年6月8日5时;地点:某市某店;被盗物品:盒子"}]
    result = bench.score(items)
    assert result["per_type"]["犯罪嫌疑人"]["tp"] == 1 and result["per_type"]["犯罪嫌疑人"]["fn"] == 0
    assert result["per_type"]["被盗货币"]["tp"] == 1  # 人民币2000元 read, 2000元 in the answer
    assert result["per_type"]["时间"]["tp"] == 1      # 许 is an approximation, not part of the time
    assert result["not_extracted_gold"]["被盗物品"] == 1


def test_shared_items_meet_the_targets():
    bench = _bench()
    if not bench.DEFAULT_ITEMS.is_file():
        pytest.skip(f"CAIL2021 IE items not available at {bench.DEFAULT_ITEMS}")
    out = subprocess.run([sys.executable, str(BENCH), "--items", str(bench.DEFAULT_ITEMS)], capture_output=True,
                         text=True, check=True, encoding="utf-8").stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert set(result) >= {"per_type", "overall"}
    assert result["per_type"]["犯罪嫌疑人"]["f1"] >= 0.90
    assert result["per_type"]["受害人"]["f1"] >= 0.90
    assert result["overall"]["f1"] >= 0.80
