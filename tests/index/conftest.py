"""Shared fixtures for the index tests: a small synthetic CAIL-format corpus and paths."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from checks.catalog import default_shared_dir


def synthetic_rows(n_theft: int = 40, n_drunk: int = 30, seed: int = 0) -> list[dict]:
    """CAIL-format rows whose terms follow their amounts / blood alcohol, with noise."""
    rng = random.Random(seed)
    rows = []
    places = ["超市", "小区", "商场", "网吧", "工地", "宿舍"]
    for i in range(n_theft):
        amount = rng.choice([1500, 3000, 6000, 12000, 30000, 60000, 120000])
        confess = rng.random() < 0.5
        months = {1500: 6, 3000: 8, 6000: 10, 12000: 14, 30000: 36, 60000: 42, 120000: 54}[amount]
        months = max(1, round(months * (0.8 if confess else 1.0) * rng.uniform(0.9, 1.1)))
        fact = (f"经审理查明，2016年{rng.randint(1, 12)}月，被告人张某{i}在某{rng.choice(places)}内盗窃他人财物，"
                f"价值人民币{amount}元。" + ("案发后被告人主动投案，如实供述犯罪事实，构成自首。" if confess else "被告人被抓获归案。"))
        rows.append({"fact": fact, "meta": {"accusation": ["盗窃"], "relevant_articles": [264], "punish_of_money": 2000,
                                            "criminals": [f"张某{i}"],
                                            "term_of_imprisonment": {"imprisonment": months, "life_imprisonment": False,
                                                                     "death_penalty": False}}})
    for i in range(n_drunk):
        bac = rng.choice([90, 120, 160, 200, 260])
        months = {90: 1, 120: 2, 160: 3, 200: 4, 260: 5}[bac]
        fact = (f"经审理查明，2017年{rng.randint(1, 12)}月某日，被告人李某{i}酒后驾驶小型轿车在道路上行驶，"
                f"经鉴定其血液中乙醇含量为{bac}mg/100ml。被告人到案后如实供述。")
        rows.append({"fact": fact, "meta": {"accusation": ["危险驾驶"], "relevant_articles": [133], "punish_of_money": 3000,
                                            "criminals": [f"李某{i}"],
                                            "term_of_imprisonment": {"imprisonment": months, "life_imprisonment": False,
                                                                     "death_penalty": False}}})
    rng.shuffle(rows)
    return rows


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("corpus") / "cases.jsonl"
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in synthetic_rows()) + "\n", encoding="utf-8")
    return p


@pytest.fixture(scope="session")
def model_dir() -> Path:
    p = Path(os.environ.get("ASSISTANT_EMBED_MODEL") or default_shared_dir() / "models" / "multilingual-e5-small-zh")
    if not (p / "modules.json").is_file():
        pytest.skip(f"embedding model not available at {p}")
    return p


@pytest.fixture(scope="session")
def cail_file() -> Path:
    p = default_shared_dir() / "data" / "cail2018" / "cases.jsonl"
    if not p.is_file():
        pytest.skip(f"CAIL2018 data not available at {p}")
    return p


@pytest.fixture(scope="session")
def lexical_index(tmp_path_factory, corpus_file):
    from index.embed import LexicalEmbedder
    from index.records import iter_cases
    from index.store import SimilarIndex

    out = tmp_path_factory.mktemp("lexidx")
    return SimilarIndex.build(list(iter_cases(corpus_file)), out, LexicalEmbedder(dim=64))
