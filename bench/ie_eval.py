"""The product's person roles, amounts, times and places on CAIL2021 information-extraction items.

Each item (``../shared/data/cail2021_ie/items.jsonl``, LawBench task 2-6) is one sentence of a
theft judgment's facts (``question``: ``句子:…``) with its gold entities (``answer``:
``类型:值、值;类型:值``). The sentence goes through the code a scan runs on a fact section —
:func:`extractors.persons.mentions` (roles from cues, and from what the facts say a person did or
suffered) and :func:`extractors.events.fact_entities` (times, places, sums of money by kind) —
and the predictions are compared with the gold per type:

- persons (犯罪嫌疑人 ← 犯罪嫌疑人/被告人/被不起诉人/同案人（另案处理）; 受害人 ← 被害人): the
  name, exactly;
- sums of money (被盗货币, 物品价值, 盗窃获利): the amount in yuan;
- 时间 and 地点: the text, after dropping whitespace and the approximations 许/左右/前后.

Values are counted once per item and type (the gold lists a name once per mention), micro-averaged
over items. ``overall`` pools the types the product extracts; 被盗物品, 作案工具 and 组织机构 are
not extracted and are left out (their gold counts are printed). The last line of the output is one
JSON object: ``{"per_type": {"犯罪嫌疑人": {"p": …, "r": …, "f1": …, "tp": …, "fp": …, "fn": …}, …},
"overall": {…}, "items": n}``.

    python bench/ie_eval.py --items ../shared/data/cail2021_ie/items.jsonl
    python bench/ie_eval.py --items items.jsonl --errors 20      # also print 20 wrong items per type
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractors import events, persons  # noqa: E402
from extractors import normalize as nz  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ITEMS = REPO.parent / "shared" / "data" / "cail2021_ie" / "items.jsonl"

#: CAIL type ← the product's person roles.
PERSON_TYPES = {
    "犯罪嫌疑人": (persons.SUSPECT, persons.DEFENDANT, persons.NOT_PROSECUTED, persons.ACCOMPLICE),
    "受害人": (persons.VICTIM,),
}
MONEY_TYPES = (events.CASH, events.VALUE, events.GAIN)
EXTRACTED = tuple(PERSON_TYPES) + MONEY_TYPES + (events.TIME, events.PLACE)
NOT_EXTRACTED = ("被盗物品", "作案工具", "组织机构")


def sentence_of(item: dict) -> str:
    q = item.get("question") or ""
    return re.sub(r"^\s*句子\s*[:：]", "", q).strip()


def gold_of(item: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for seg in (item.get("answer") or "").split(";"):
        if ":" not in seg:
            continue
        kind, values = seg.split(":", 1)
        out[kind.strip()] = [v.strip() for v in values.split("、") if v.strip()]
    return out


def predict(sentence: str) -> dict[str, list[str]]:
    """What the scan's recognizers read from one sentence, as CAIL types."""
    out: dict[str, list[str]] = defaultdict(list)
    for m in persons.mentions(sentence):
        for kind, roles in PERSON_TYPES.items():
            if m.role in roles:
                out[kind].append(m.name)
    for e in events.fact_entities(sentence):
        out[e.kind].append(e.value)
    return dict(out)


def key(kind: str, value: str) -> str:
    """The comparable form of a value of ``kind``."""
    v = re.sub(r"\s", "", value)
    if kind in MONEY_TYPES:
        y = nz.parse_money(re.sub(r"^现金|[（(]以下同币种[）)]|人民币|现金$|/.*$", "", v))
        return f"{y:g}" if y is not None else v
    if kind in (events.TIME, events.PLACE):
        return re.sub(r"(?:许|左右|前后)", "", v)
    return v


def score(items: list[dict], errors: int = 0) -> dict:
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in EXTRACTED}
    left_out = defaultdict(int)
    wrong: dict[str, list[str]] = defaultdict(list)
    for item in items:
        s = sentence_of(item)
        gold = gold_of(item)
        pred = predict(s)
        for k in NOT_EXTRACTED:
            left_out[k] += len(set(gold.get(k, [])))
        for k in EXTRACTED:
            g = {key(k, v) for v in gold.get(k, [])}
            p = {key(k, v) for v in pred.get(k, [])}
            c = counts[k]
            c["tp"] += len(g & p)
            c["fp"] += len(p - g)
            c["fn"] += len(g - p)
            if (g != p) and len(wrong[k]) < errors:
                wrong[k].append(f"{s}\n    gold={sorted(g)} pred={sorted(p)}")
    per_type = {k: _prf(**c) for k, c in counts.items()}
    total = {x: sum(c[x] for c in counts.values()) for x in ("tp", "fp", "fn")}
    return {"per_type": per_type, "overall": _prf(**total), "items": len(items),
            "not_extracted_gold": dict(left_out), "errors": dict(wrong)}


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=Path, default=DEFAULT_ITEMS, help="CAIL2021 IE items (JSON lines)")
    ap.add_argument("--errors", type=int, default=0, help="print up to N wrong items per type")
    args = ap.parse_args(argv)
    items = [json.loads(line) for line in args.items.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = score(items, args.errors)
    for kind, wrong in result.pop("errors").items():
        if wrong:
            print(f"== {kind}")
            for w in wrong:
                print("  " + w)
    print(f"{'type':<8} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for kind, v in list(result["per_type"].items()) + [("overall", result["overall"])]:
        print(f"{kind:<8} {v['p']:6.3f} {v['r']:6.3f} {v['f1']:6.3f} {v['tp']:5d} {v['fp']:5d} {v['fn']:5d}")
    print("not extracted (gold values): " + "，".join(f"{k} {n}" for k, n in result["not_extracted_gold"].items()))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
