"""The product on dossiers written by someone else: the shared scorer on ``../shared/dossiers/foreign``.

Runs ``../shared/tools/score_dossiers.py`` (see ``../shared/dossiers/README.md``) with the
product command ``.venv/bin/assistant scan {path} --format json --no-progress`` from the repository
root, so a scan uses what a plain ``assistant scan`` uses (the similar-case index in
``$ASSISTANT_DATA_DIR/index`` when one is built, see ``make index``). The scorer's own figures are
printed as it goes; then a compact summary per rendering against the targets of issue 11
(recall and precision >= 0.95, no clean dossier with a false finding, charges >= 0.98, other
fields >= 0.99, document types >= 0.98), the false findings on clean dossiers, and with
``--baseline F`` (a previous ``--json-out``) the deltas overall and per rule, computed on the
dossiers both runs have in common.

    python bench/foreign.py --renderings text                       # text layers, ~2 min on 2 cores
    python bench/foreign.py --only D003,D009 --renderings scan      # a few scanned dossiers
    python bench/foreign.py --renderings text --json-out /tmp/f1.json
    python bench/foreign.py --renderings text --baseline /tmp/f1.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ASSISTANT_SHARED_DIR") or REPO.parent / "shared")
SCORER = SHARED / "tools" / "score_dossiers.py"
ROOT = SHARED / "dossiers" / "foreign"
CMD = f"{REPO / '.venv' / 'bin' / 'assistant'} scan {{path}} --format json --no-progress"
FIELDS = ["suspect_name", "id_number", "birth_date", "charges", "doc_numbers"]
#: (figure, target, higher is better) — issue 11's targets
TARGETS = {"recall": 0.95, "precision": 0.95, "doc_type_accuracy": 0.98, "charges": 0.98,
           "suspect_name": 0.99, "id_number": 0.99, "birth_date": 0.99, "doc_numbers": 0.99}


def load_scorer(path: Path = SCORER):
    """The shared scorer as a module (its ``aggregate`` re-aggregates rows for comparisons)."""
    spec = importlib.util.spec_from_file_location("score_dossiers", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def index_in_use() -> str:
    """The similar-case index a scan run from the repository root picks up (see ``Settings.effective_index_dir``)."""
    if os.environ.get("ASSISTANT_INDEX_DIR"):
        return os.environ["ASSISTANT_INDEX_DIR"]
    data = Path(os.environ.get("ASSISTANT_DATA_DIR") or "var")
    idx = (data if data.is_absolute() else REPO / data) / "index"
    if (idx / "meta.sqlite3").is_file() and (idx / "index.faiss").is_file():
        return str(idx)
    return "none (SUB-007 cannot fire; build one with `make index`)"


def run_scorer(args: argparse.Namespace, json_out: Path) -> int:
    """Run the scorer in a subprocess from the repository root, its output streamed through."""
    cmd = [sys.executable, str(args.scorer), str(args.root), "--cmd", args.cmd, "--renderings", args.renderings,
           "--timeout", str(args.timeout), "--json-out", str(json_out)]
    if args.only:
        cmd += ["--only", args.only]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    if args.quiet:
        cmd.append("--quiet")
    env = dict(os.environ, PYTHONIOENCODING="utf-8", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.call(cmd, cwd=REPO, env=env)


def _mark(name: str, value: float) -> str:
    target = TARGETS.get(name)
    if target is None:
        return ""
    return " ok" if value >= target else f" <{target:.2f}"


def print_compact(agg: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    f = agg["fields"]
    print(f"\n--- summary {agg['rendering']} ({agg['dossiers']} dossiers) ---")
    print(f"recall     {agg['recall']:.3f}{_mark('recall', agg['recall'])}   "
          f"precision {agg['precision']:.3f}{_mark('precision', agg['precision'])}   "
          f"(tp {agg['tp']}, fn {agg['fn']}, fp {agg['fp']})")
    clean_fp = agg["clean_with_false_positive"]
    print(f"clean dossiers with a false finding: {clean_fp}/{agg['clean_dossiers']}{' ok' if clean_fp == 0 else ' <0'}")
    print("fields     " + "   ".join(f"{k} {f[k]:.3f}{_mark(k, f[k])}" for k in FIELDS))
    print(f"doc types  {agg['doc_type_accuracy']:.3f}{_mark('doc_type_accuracy', agg['doc_type_accuracy'])}   "
          f"{agg['seconds_per_page']:.2f} s/page")
    for r in rows:
        if r["clean"] and r["score"]["fp"]:
            print(f"  clean {r['dossier']}: {', '.join(r['score']['fp'])}")
    if agg["failures"]:
        print("failures   " + ", ".join(f"{k}: {v}" for k, v in agg["failures"].items()))


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return row["dossier"], row["rendering"]


def compare(scorer, current: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Lines of deltas (current − baseline) on the (dossier, rendering) pairs both runs scored."""
    lines: list[str] = []
    for rendering, rows in current["rows"].items():
        base_rows = {_key(r): r for r in baseline.get("rows", {}).get(rendering, [])}
        common = [r for r in rows if _key(r) in base_rows]
        if not common:
            lines.append(f"\n--- vs baseline {rendering}: no dossiers in common ---")
            continue
        now = scorer.aggregate(common, rendering)
        before = scorer.aggregate([base_rows[_key(r)] for r in common], rendering)
        lines.append(f"\n--- vs baseline {rendering} ({len(common)} dossiers in common) ---")
        pairs = [("recall", now["recall"], before["recall"]), ("precision", now["precision"], before["precision"]),
                 ("doc types", now["doc_type_accuracy"], before["doc_type_accuracy"])]
        pairs += [(k, now["fields"][k], before["fields"][k]) for k in FIELDS]
        lines.append("   ".join(f"{n} {a:.3f} ({a - b:+.3f})" for n, a, b in pairs))
        lines.append(f"clean dossiers with a false finding: {now['clean_with_false_positive']} "
                     f"({now['clean_with_false_positive'] - before['clean_with_false_positive']:+d})")
        rules = sorted(set(now["per_rule"]) | set(before["per_rule"]))
        changed = []
        zero = {"support": 0, "tp": 0, "fn": 0, "fp": 0}
        for rule in rules:
            a, b = now["per_rule"].get(rule, zero), before["per_rule"].get(rule, zero)
            d = {k: a[k] - b[k] for k in ("tp", "fn", "fp")}
            if any(d.values()):
                changed.append(f"{rule:<9}{a['tp']:>4}{d['tp']:>+5}{a['fn']:>5}{d['fn']:>+5}{a['fp']:>5}{d['fp']:>+5}")
        if changed:
            lines.append(f"{'rule':<9}{'tp':>4}{'Δ':>5}{'fn':>5}{'Δ':>5}{'fp':>5}{'Δ':>5}")
            lines.extend(changed)
        else:
            lines.append("per rule: no change")
        moved = []
        for r in common:
            b = base_rows[_key(r)]["score"]
            new_fp = sorted(set(r["score"]["fp"]) - set(b["fp"]))
            lost_tp = sorted(set(b["tp"]) - set(r["score"]["tp"]))
            if new_fp or lost_tp:
                moved.append(f"  {r['dossier']}: new fp {','.join(new_fp) or '-'}  lost tp {','.join(lost_tp) or '-'}")
        if moved:
            lines.append("regressions by dossier:")
            lines.extend(moved)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=ROOT, help="dossier folder (default ../shared/dossiers/foreign)")
    ap.add_argument("--scorer", type=Path, default=SCORER)
    ap.add_argument("--cmd", default=CMD, help="product command; {path} is replaced")
    ap.add_argument("--renderings", default="text,scan", help="text, scan or text,scan")
    ap.add_argument("--only", default="", help="comma-separated dossier ids, e.g. D001,D002")
    ap.add_argument("--limit", type=int, default=0, help="only the first N dossiers")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per product run")
    ap.add_argument("--json-out", type=Path, default=None, help="keep the scorer's per-dossier detail here")
    ap.add_argument("--baseline", type=Path, default=None, help="a previous --json-out to compare with")
    ap.add_argument("--quiet", action="store_true", help="no per-dossier lines from the scorer")
    args = ap.parse_args(argv)
    # the scorer runs from the repository root: hand it absolute paths
    args.root, args.scorer = args.root.resolve(), args.scorer.resolve()
    args.json_out = args.json_out.resolve() if args.json_out else None
    if not args.scorer.is_file():
        print(f"scorer not found: {args.scorer}", file=sys.stderr)
        return 2
    if not args.root.is_dir():
        print(f"dossier folder not found: {args.root}", file=sys.stderr)
        return 2
    baseline = None
    if args.baseline:
        try:
            baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"cannot read baseline {args.baseline}: {exc}", file=sys.stderr)
            return 2
    print(f"similar-case index: {index_in_use()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="foreign-") as tmp:
        json_out = args.json_out or Path(tmp) / "foreign.json"
        rc = run_scorer(args, json_out)
        if rc != 0 or not json_out.is_file():
            print(f"scorer failed (exit {rc}, no {json_out})", file=sys.stderr)
            return 1
        result = json.loads(json_out.read_text(encoding="utf-8"))
    for rendering, agg in result["summary"].items():
        print_compact(agg, result["rows"][rendering])
    if baseline is not None:
        for line in compare(load_scorer(args.scorer), result, baseline):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
