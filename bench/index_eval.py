"""Evaluate the similar-case index on CAIL-format cases: k-fold (or train/test) cross-validation.

Prints one JSON object: ``cail_score`` (official CAIL2018 prison-term score of the expected
sentence), ``mae_months``, ``charge_p_at_10`` (share of the 10 unfiltered nearest
neighbours sharing a charge with the query), ``false_flag_rate`` (real cases flagged by
SUB-007's decision), ``outlier_recall`` (SUB-007 recall on the same cases with the term
replaced by ×3 and ×1/3; cases with a zero term, life or death are left out), the same two
figures without the charge-level yardstick SUB-007 uses where the interval is too wide
(``*_interval_only``), the recall on terms set to 3.5 times the charge's median (issue 21's
outliers; only where that is at least 1.3 times the real term), the median
half-width of the interval in log1p space (a ×3 outlier moves log1p by at most ln 3 ≈ 1.10,
so recall is bounded by how often the interval is narrower than that), the noise floor
of near-duplicate cases (:func:`noise_floor`), and the per-charge-median baseline on the
same folds.

Passage vectors are cached on disk (``--cache``, outside the repository), so a second run
only pays for the model fits. Query cases are embedded with the passage prompt, as
``assistant.similar`` does for case-to-case search.

Usage::

    python bench/index_eval.py --cases ../shared/data/cail2018/cases.jsonl [--folds 5]
    python bench/index_eval.py --cases test.jsonl --train train.jsonl
    python bench/index_eval.py --cases cases.jsonl --embedder lexical
    python bench/index_eval.py --cases cases.jsonl --sweep 0.95,0.96,0.97   # interval coverage sweep

``--sweep`` re-decides every case with the calibrated interval recomputed at each listed
coverage (same expectation), so one run shows the false-flag / recall trade-off.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks.rules.similar import DEFAULTS as RULE_DEFAULTS  # noqa: E402
from checks.rules.similar import decide as rule_decide  # noqa: E402
from index.deviation import Params, assess, outcome_class  # noqa: E402
from index.embed import CachedEmbedder, LexicalEmbedder, SentenceTransformerEmbedder  # noqa: E402
from index.records import DEATH, LIFE, iter_cases  # noqa: E402
from index.store import SimilarIndex  # noqa: E402


def cail_score(y, yhat) -> float:
    """Official CAIL2018 term score; ``y``/``yhat`` are months or "无期徒刑"/"死刑"."""
    if isinstance(y, str) or isinstance(yhat, str):
        return 1.0 if y == yhat else 0.0
    v = abs(math.log(y + 1) - math.log(yhat + 1))
    for limit, s in ((0.2, 1.0), (0.4, 0.8), (0.6, 0.6), (0.8, 0.4), (1.0, 0.2)):
        if v <= limit:
            return s
    return 0.0


def truth(r):
    return r.outcome if r.outcome in (LIFE, DEATH) else float(r.sentence_months or 0)


def predict(sim: dict):
    if sim.get("expected_outcome") in (LIFE, DEATH):
        return sim["expected_outcome"]
    return float(sim.get("expected_sentence_months") or 0.0)


def with_actual(sim: dict, months: float) -> dict:
    out = dict(sim)
    out["actual_sentence_months"] = months
    e = sim.get("expected_sentence_months")
    out["deviation"] = None if e is None else (months - e) / max(e, 1.0)
    out["actual_outcome_class"] = outcome_class("实刑" if months else "单处罚金/非监禁", months)
    return out


def at_coverage(sim: dict, a, idx, level: float, params: Params) -> dict:
    """``sim`` with the calibrated interval recomputed at another coverage (same expectation)."""
    centre = a.centre_log if a.centre_log is not None else a.expected_log
    half = idx.model.half_width(a.charge, level, a.scale) if idx.model is not None and centre is not None else None
    if half is None:
        return sim
    half = max(half, params.min_half_width)
    out = dict(sim)
    out["interval_months"] = [max(0.0, math.expm1(centre - half)), math.expm1(centre + half)]
    return out


def noise_floor(cases, vectors) -> dict:
    """How often near-identical cases got sentences ≥ 3× apart (a floor under any outlier test).

    A pair is each case with a prison term and its nearest embedding neighbour of the same
    primary charge, kept when the two have the same amount and drug quantity (±10 %), the same
    sentencing circumstances and the same injury level. If such pairs differ by a factor of 3
    in a share ``p`` of cases, an interval that catches ×3 outliers must also flag about ``p``
    of real cases.
    """
    from index.deviation import SENTENCING_FLAGS

    flags = set(SENTENCING_FLAGS)
    prim = np.asarray([r.primary_charge for r in cases])
    months = np.asarray([float(r.sentence_months or 0) if r.outcome not in (LIFE, DEATH) else np.nan for r in cases])
    usable = (months > 0) & ~np.isnan(months)

    def close(a, b):
        return (not a and not b) or (bool(a) and bool(b) and abs(a - b) <= 0.1 * max(a, b))

    ratios = []
    for i in np.where(usable)[0]:
        cand = np.where((prim == prim[i]) & usable)[0]
        cand = cand[cand != i]
        if not len(cand):
            continue
        j = cand[int(np.argmax(vectors[cand] @ vectors[i]))]
        fi, fj = cases[i].features, cases[j].features
        if (close(fi.amount_yuan, fj.amount_yuan) and close(fi.drug_grams, fj.drug_grams)
                and fi.flags & flags == fj.flags & flags and fi.injury_level == fj.injury_level):
            ratios.append(abs(math.log(months[i] / months[j])))
    r = np.asarray(ratios)
    return {"near_duplicate_pairs": len(r),
            "near_duplicate_share_ratio_ge_3": round(float(np.mean(r >= math.log(3) - 1e-9)), 4) if len(r) else None,
            "near_duplicate_share_ratio_ge_2": round(float(np.mean(r >= math.log(2) - 1e-9)), 4) if len(r) else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--train")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--model", default=str(Path(__file__).resolve().parents[2] / "shared" / "models" / "multilingual-e5-small-zh"))
    ap.add_argument("--embedder", choices=("model", "lexical"), default="model")
    ap.add_argument("--backend", choices=("torch", "onnx-int8"), default="torch")
    ap.add_argument("--cache", default="/tmp/pingcha-cache")
    ap.add_argument("--alpha", type=float, default=Params.alpha)
    ap.add_argument("--tau", type=float, default=Params.tau)
    ap.add_argument("--k", type=int, default=Params.k)
    ap.add_argument("--q-low", type=float, default=Params.q_low)
    ap.add_argument("--q-high", type=float, default=Params.q_high)
    ap.add_argument("--coverage", type=float, default=Params.coverage)
    ap.add_argument("--min-half-width", type=float, default=Params.min_half_width)
    ap.add_argument("--band-share", type=float, default=Params.neighbour_band_share)
    ap.add_argument("--min-outcome-rate", type=float, default=RULE_DEFAULTS["min_outcome_rate"])
    ap.add_argument("--sweep", default="", help="逗号分隔的覆盖率，另报各覆盖率下的误报率与离群召回率")
    ap.add_argument("--limit", type=int, default=0, help="只评估前 N 条（调试用）")
    ap.add_argument("--dump", default="", help="把每条案例的类案评估（similar_cases 块与真实刑期）逐行写入该 JSONL 文件")
    args = ap.parse_args()

    t0 = time.perf_counter()

    def decide(sim: dict) -> list[str]:
        return rule_decide(sim, {"min_outcome_rate": args.min_outcome_rate})

    def decide_interval_only(sim: dict) -> list[str]:
        """SUB-007 without its charge-level yardstick for wide intervals (the figures before issue 21)."""
        return rule_decide(sim, {"min_outcome_rate": args.min_outcome_rate, "wide_interval_ratio": float("inf")})
    errors: list[str] = []
    cases = list(iter_cases(args.cases, errors))
    if args.limit:
        cases = cases[: args.limit]
    train_all = list(iter_cases(args.train, errors)) if args.train else None
    if args.embedder == "model":
        base = CachedEmbedder(SentenceTransformerEmbedder(args.model, backend=args.backend), cache_dir=args.cache)
    params = Params(alpha=args.alpha, tau=args.tau, k=args.k, q_low=args.q_low, q_high=args.q_high, coverage=args.coverage,
                    min_half_width=args.min_half_width, neighbour_band_share=args.band_share)

    if train_all is not None:
        splits = [(train_all, cases)]
    else:
        rng = np.random.default_rng(0)
        fold_of = rng.integers(0, args.folds, len(cases))
        splits = [([c for c, f in zip(cases, fold_of) if f != k], [c for c, f in zip(cases, fold_of) if f == k])
                  for k in range(args.folds)]

    scores, base_scores, abs_err, p10, flags, outl, halves = [], [], [], [], [], [], []
    flags_iv, outl_iv, outl_4 = [], [], []
    flag_kinds: list[tuple[bool, bool]] = []
    levels = [float(v) for v in args.sweep.split(",") if v.strip()]
    sweep = {lv: ([], []) for lv in levels}
    embed_s = 0.0
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None
    for train, test in splits:
        emb = LexicalEmbedder() if args.embedder == "lexical" else base
        with tempfile.TemporaryDirectory() as tmp:
            te = time.perf_counter()
            idx = SimilarIndex.build(train, tmp, emb)
            qv = idx.embedder.encode_passages([r.facts for r in test])
            embed_s += time.perf_counter() - te
            med = {}
            for r in train:
                if r.outcome not in (LIFE, DEATH):
                    med.setdefault(r.primary_charge, []).append(r.sentence_months or 0)
            gmed = float(np.median([v for vs in med.values() for v in vs]))
            for r, v in zip(test, qv):
                a = assess(idx, r.facts, r.charges, r.features, r.sentence_months, r.outcome, params=params,
                           query_vector=v)
                sim = a.to_json()
                y, yhat = truth(r), predict(sim)
                if a.interval_log is not None:
                    halves.append((a.interval_log[1] - a.interval_log[0]) / 2)
                scores.append(cail_score(y, yhat))
                base_scores.append(cail_score(y, float(np.median(med[r.primary_charge])) if r.primary_charge in med else gmed))
                if not isinstance(y, str):
                    abs_err.append(abs(y - (yhat if not isinstance(yhat, str) else 300.0)))
                top = idx.search_vectors(v, k=10)
                qc = set(r.charges)
                p10.append(np.mean([bool(qc & set(idx.record(row)[0].charges)) for row, _ in top]) if top else 0.0)
                if dump is not None:
                    dump.write(json.dumps({"id": r.id, "truth": y, "sim": {k: v for k, v in sim.items() if k != "neighbours"}},
                                          ensure_ascii=False) + "\n")
                reasons = decide(sim)
                flags.append(bool(reasons))
                flags_iv.append(bool(decide_interval_only(sim)))
                flag_kinds.append(("处理结果" in " ".join(reasons), any(r.startswith("刑期") for r in reasons)))
                if not isinstance(y, str) and y > 0:
                    for factor in (3.0, 1 / 3):
                        outl.append(bool(decide(with_actual(sim, y * factor))))
                        outl_iv.append(bool(decide_interval_only(with_actual(sim, y * factor))))
                    cm = sim.get("charge_median_months")
                    if cm:  # issue 21's outliers: 3–4 times the charge's median term
                        outl_4.append(bool(decide(with_actual(sim, cm * 3.5))) if cm * 3.5 > 1.3 * y else None)
                for lv in levels:
                    alt = at_coverage(sim, a, idx, lv, params)
                    sweep[lv][0].append(bool(decide(alt)))
                    if not isinstance(y, str) and y > 0:
                        sweep[lv][1].extend(bool(decide(with_actual(alt, y * f))) for f in (3.0, 1 / 3))
    if dump is not None:
        dump.close()
    floor = noise_floor(cases, base.encode_passages([r.facts for r in cases])) if args.embedder == "model" else {}
    out = {
        "cases": len(cases),
        "folds": 1 if train_all is not None else args.folds,
        "embedder": args.embedder if args.embedder == "lexical" else f"{Path(args.model).name}/{args.backend}",
        "params": {"alpha": params.alpha, "tau": params.tau, "k": params.k, "q": [params.q_low, params.q_high], "coverage": params.coverage,
                   "min_half_width": params.min_half_width, "band_share": params.neighbour_band_share,
                   "min_outcome_rate": args.min_outcome_rate},
        "cail_score": round(float(np.mean(scores)), 4),
        "baseline_charge_median_score": round(float(np.mean(base_scores)), 4),
        "mae_months": round(float(np.mean(abs_err)), 2),
        "charge_p_at_10": round(float(np.mean(p10)), 4),
        "false_flag_rate": round(float(np.mean(flags)), 4),
        "false_flag_rate_outcome": round(float(np.mean([o for o, _ in flag_kinds])), 4),
        "false_flag_rate_term": round(float(np.mean([t for _, t in flag_kinds])), 4),
        "outlier_recall": round(float(np.mean(outl)), 4),
        "outlier_cases": len(outl),
        "false_flag_rate_interval_only": round(float(np.mean(flags_iv)), 4),
        "outlier_recall_interval_only": round(float(np.mean(outl_iv)), 4),
        "charge_median_x3_5_recall": round(float(np.mean([o for o in outl_4 if o is not None])), 4)
        if any(o is not None for o in outl_4) else None,
        "interval_half_width_log1p_median": round(float(np.median(halves)), 3) if halves else None,
        "sweep": {str(lv): {"false_flag_rate": round(float(np.mean(f)), 4),
                            "outlier_recall": round(float(np.mean(o)), 4)} for lv, (f, o) in sweep.items()},
        **floor,
        "skipped_rows": len(errors),
        "embed_and_build_seconds": round(embed_s, 1),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
