"""Recall and precision of every rule against fixture dossiers with injected defects.

Two modes:

- ``--mode truth`` runs the rules on the fixture generator's ground-truth case model
  (``fixtures.generator.dry_truth``: the fields and slots the documents state), with the
  documents in a shuffled order. It measures the rules alone, in seconds.
- ``--mode scan`` (default) renders the dossiers to PDF/DOCX, runs the whole
  ``assistant.pipeline.scan`` (extraction + rules) and compares the report with each
  truth file's ``expected_findings``. Misses here that are hits in truth mode are
  extraction gaps.

A finding counts as a true positive when its rule id is expected for that dossier; a
rule firing where it is neither expected nor in ``also_acceptable`` is a false positive.
Every decidable rule with a defect in ``fixtures.defects`` is injected ``--per-rule`` times
(default 3), plus clean dossiers; the figures are printed per rule and overall.

    python bench/rules_eval.py --mode truth --per-rule 5
    python bench/rules_eval.py --out /tmp/rules_eval --per-rule 3 --clean 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import CaseFile, CaseSummary, Document, Field, Person, Slot  # noqa: E402


def case_from_truth(truth: dict[str, Any], shuffle: bool = False) -> CaseFile:
    """The ground-truth case model of a fixture (what perfect extraction would give).

    ``shuffle`` puts the documents in a random (seeded) order: rules must not depend on it.
    """
    slots: dict[str, list[Slot]] = defaultdict(list)
    for s in truth.get("slots", []):
        slots[s["document"]].append(Slot(role=s["role"], kind=s["kind"], page=s.get("page") or 1, filled=s.get("filled"),
                                         who=s.get("who")))
    docs = []
    for d in truth["documents"]:
        pages = d.get("pages") or [1]
        docs.append(Document(id=d["id"], type=d["type"], title=d.get("title", ""), file=d.get("file") or "truth",
                             pages=pages, fields={k: Field(value=v) for k, v in d.get("fields", {}).items()},
                             slots=slots.get(d["id"], [])))
    if shuffle:
        import random

        random.Random(truth.get("seed", 0)).shuffle(docs)
    c = truth.get("case", {})
    summary = CaseSummary(doc_numbers=c.get("doc_numbers", []),
                          suspects=[Person.model_validate(p) for p in c.get("suspects", [])],
                          charges=c.get("charges", []), dates=c.get("dates", {}), plea=c.get("plea"),
                          in_custody=c.get("in_custody"))
    return CaseFile(name=truth.get("dossier", "truth"), documents=docs, case=summary)


def plan(per_rule: int, clean: int, seed: int) -> list[tuple[int, list[str]]]:
    """(seed, defects) for every dossier: each defect ``per_rule`` times alone, plus clean ones."""
    from fixtures.defects import DEFECTS

    jobs: list[tuple[int, list[str]]] = []
    s = seed
    for rule_id in sorted(DEFECTS):
        for _ in range(per_rule):
            jobs.append((s, [rule_id]))
            s += 1
    for _ in range(clean):
        jobs.append((s, []))
        s += 1
    return jobs


def score(results: list[tuple[dict[str, Any], list[str]]]) -> dict[str, Any]:
    """Per rule: injected (expected), hits, misses, false positives; recall and precision."""
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fp_examples: dict[str, list[str]] = defaultdict(list)
    for truth, fired in results:
        expected = {e["rule_id"] for e in truth.get("expected_findings", [])}
        ok = expected | set(truth.get("also_acceptable", [])) | {"SUB-007"}
        got = set(fired)
        for r in expected:
            (tp if r in got else fn)[r] += 1
        for r in got - ok:
            fp[r] += 1
            fp_examples[r].append(f"{truth.get('dossier')}（注入：{','.join(truth.get('defects') or ['无'])}）")
    rules = sorted(set(tp) | set(fn) | set(fp))
    table = {}
    for r in rules:
        rec = tp[r] / (tp[r] + fn[r]) if tp[r] + fn[r] else None
        prec = tp[r] / (tp[r] + fp[r]) if tp[r] + fp[r] else None
        table[r] = {"expected": tp[r] + fn[r], "hit": tp[r], "missed": fn[r], "false_pos": fp[r], "recall": rec,
                    "precision": prec, "fp_examples": fp_examples[r][:3]}
    T, N, P = sum(tp.values()), sum(fn.values()), sum(fp.values())
    overall = {"expected": T + N, "hit": T, "missed": N, "false_pos": P,
               "recall": T / (T + N) if T + N else None, "precision": T / (T + P) if T + P else None}
    return {"rules": table, "overall": overall}


def _pct(x: float | None) -> str:
    return "  —  " if x is None else f"{x:6.1%}"


def print_table(result: dict[str, Any], title: str) -> None:
    print(f"\n{title}")
    print(f"{'rule':<9}{'expected':>9}{'hit':>6}{'missed':>8}{'false+':>8}{'recall':>9}{'precision':>11}")
    for r, e in result["rules"].items():
        print(f"{r:<9}{e['expected']:>9}{e['hit']:>6}{e['missed']:>8}{e['false_pos']:>8}{_pct(e['recall']):>9}"
              f"{_pct(e['precision']):>11}")
    o = result["overall"]
    print(f"{'overall':<9}{o['expected']:>9}{o['hit']:>6}{o['missed']:>8}{o['false_pos']:>8}{_pct(o['recall']):>9}"
          f"{_pct(o['precision']):>11}")
    for r, e in result["rules"].items():
        if e["fp_examples"]:
            print(f"  false positives {r}: {'; '.join(e['fp_examples'])}")


def run_truth(jobs: list[tuple[int, list[str]]], shuffle: bool = True,
              family: str = "house") -> list[tuple[dict[str, Any], list[str]]]:
    from checks import run_rules
    from checks.catalog import load_catalog
    from fixtures.generator import dry_truth

    catalog = load_catalog()
    out = []
    for seed, defects in jobs:
        try:
            truth = dry_truth(seed, defects, family=family)
        except ValueError as exc:  # a defect that cannot be injected into this sample
            print(f"  skip seed {seed} {defects}: {exc}", file=sys.stderr)
            continue
        run = run_rules(case_from_truth(truth, shuffle=shuffle), catalog)
        out.append((truth, reported(run.findings)))
    return out


def reported(findings) -> list[str]:
    """Rule ids a scan reported: its findings, and the hints of rules that only ever hint (DOC-022)."""
    from checks.engine import REGISTRY

    return sorted({f.rule_id for f in findings
                   if not f.preview or getattr(REGISTRY.get(f.rule_id), "hint_only", False)})


def run_scan(jobs: list[tuple[int, list[str]]], out_dir: Path,
             family: str = "house") -> list[tuple[dict[str, Any], list[str]]]:
    from models.settings import get_settings
    from assistant.pipeline import scan
    from fixtures.generator import LAYOUTS, generate_dossier

    settings = get_settings()
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for i, (seed, defects) in enumerate(jobs):
        try:
            folder = generate_dossier(seed, out_dir, defects, LAYOUTS[i % len(LAYOUTS)], family=family)
        except ValueError as exc:
            print(f"  skip seed {seed} {defects}: {exc}", file=sys.stderr)
            continue
        truth = json.loads((folder.parent / f"{folder.name}.truth.json").read_text(encoding="utf-8"))
        t0 = time.perf_counter()
        result = scan(folder, settings=settings)
        fired = reported(result.findings)
        results.append((truth, fired))
        print(f"  {folder.name} {','.join(defects) or '无缺陷':<12} {time.perf_counter() - t0:5.1f}s  fired={','.join(fired)}",
              file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("truth", "scan"), default="scan")
    ap.add_argument("--per-rule", type=int, default=3)
    ap.add_argument("--clean", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/rules_eval"))
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--family", default="house",
                    help="wording family of the generated documents (fixtures/families.py: house, official, local)")
    args = ap.parse_args(argv)
    jobs = plan(args.per_rule, args.clean, args.seed)
    t0 = time.perf_counter()
    results = (run_truth(jobs, family=args.family) if args.mode == "truth"
               else run_scan(jobs, args.out / args.family if args.family != "house" else args.out, args.family))
    result = score(results)
    print_table(result, f"mode={args.mode} family={args.family} dossiers={len(results)} (seed {args.seed}, {args.per_rule} per rule, "
                        f"{args.clean} clean) in {time.perf_counter() - t0:.0f}s")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
