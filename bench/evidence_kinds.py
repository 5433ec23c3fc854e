"""Precision and recall of the evidence-kind mentions found in 50 hand-labelled real facts (issue 14).

    .venv/bin/python bench/evidence_kinds.py [--list]

The labels (``bench/data/evidence_kinds_labels.json``) say, per fact of
``../shared/data/cail2018/cases.jsonl``, which of the eight kinds of 刑事诉讼法第五十条 the fact cites
as evidence; :func:`extractors.evidence.mention_kinds` is run over the whole fact. Scores are
micro-averaged over (fact, kind) pairs; ``--list`` prints every fact's found, missed and extra kinds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors.evidence import mention_kinds  # noqa: E402

LABELS = ROOT / "bench" / "data" / "evidence_kinds_labels.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="证据种类识别的准确率与召回率（50 条人工标注的真实案情）")
    ap.add_argument("--list", action="store_true", help="逐条列出识别结果")
    ap.add_argument("--cases", default=str(ROOT.parent / "shared" / "data" / "cail2018" / "cases.jsonl"))
    args = ap.parse_args(argv)
    data = json.loads(LABELS.read_text(encoding="utf-8"))
    kinds = data["kinds"]
    rows = Path(args.cases).read_text(encoding="utf-8").splitlines()
    tp = fp = fn = 0
    per_kind: dict[str, list[int]] = {k: [0, 0, 0] for k in kinds.values()}
    for idx, short in data["labels"].items():
        fact = json.loads(rows[int(idx)])["fact"]
        want = {kinds[s] for s in short}
        got = set(mention_kinds(fact))
        tp += len(want & got)
        fp += len(got - want)
        fn += len(want - got)
        for k in kinds.values():
            per_kind[k][0] += k in want and k in got
            per_kind[k][1] += k in got and k not in want
            per_kind[k][2] += k in want and k not in got
        if args.list:
            print(f"{idx}\t命中：{'、'.join(sorted(want & got)) or '—'}\t漏识：{'、'.join(sorted(want - got)) or '—'}"
                  f"\t误识：{'、'.join(sorted(got - want)) or '—'}")
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    print(f"案情 {len(data['labels'])} 条，标注的（案情，证据种类）{tp + fn} 对：准确率 {p:.3f}，召回率 {r:.3f}（命中 {tp}，误识 {fp}，漏识 {fn}）")
    for k, (a, b, c) in per_kind.items():
        print(f"  {k}：命中 {a}，误识 {b}，漏识 {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
