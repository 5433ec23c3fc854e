"""Decided-case records: one format for CAIL2018 rows and the product's own judgment reports.

A :class:`CaseRecord` is what the index stores per case: id, normalised charges (罪名
ending in 罪), the facts text, the outcome (:data:`OUTCOMES`), the prison term in months
(``None`` for 无期徒刑/死刑/no prison term), fine, suspension, and the structured features
of :mod:`index.features` computed from the facts.

Sources:

* CAIL2018 JSONL (``fact``, ``meta.accusation`` in CAIL naming without 罪 and with
  bracketed alternatives, ``meta.relevant_articles``, ``meta.term_of_imprisonment``
  {``imprisonment`` months, ``life_imprisonment``, ``death_penalty``}, ``meta.punish_of_money``).
  CAIL has no suspension flag and no acquittals; a zero term there is recorded as
  ``免予刑事处罚/单处罚金`` (no custodial sentence).
* Scan reports (the product's report JSON): every document of type 判决书 with fields
  ``charges``, ``sentence`` (Sentence dict: kind, months, suspended, fine_yuan) and ``facts``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from index.features import CaseFeatures, extract_features

#: outcome labels (Chinese, as shown to users)
CUSTODIAL = "实刑"
SUSPENDED = "缓刑"
EXEMPT = "免予刑事处罚"
NON_CUSTODIAL = "单处罚金/非监禁"
ACQUITTED = "无罪"
NOT_PROSECUTED = "不起诉"
LIFE = "无期徒刑"
DEATH = "死刑"
OUTCOMES = (CUSTODIAL, SUSPENDED, EXEMPT, NON_CUSTODIAL, ACQUITTED, NOT_PROSECUTED, LIFE, DEATH)


class RecordError(ValueError):
    """A row that cannot become a case record (message in Chinese)."""


@dataclass
class CaseRecord:
    """One decided case as the index keeps it."""

    id: str
    charges: list[str]
    facts: str
    outcome: str
    sentence_months: float | None
    fine_yuan: float | None = None
    suspended: bool = False
    articles: list[str] = field(default_factory=list)
    source: str = ""
    features: CaseFeatures | None = None

    def __post_init__(self) -> None:
        if self.features is None:
            self.features = extract_features(self.facts, self.charges)

    @property
    def primary_charge(self) -> str:
        return self.charges[0] if self.charges else ""

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["features"] = self.features.to_json() if self.features else None
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "CaseRecord":
        feats = CaseFeatures.from_json(d["features"]) if d.get("features") else None
        return cls(id=d["id"], charges=list(d["charges"]), facts=d.get("facts", ""), outcome=d["outcome"],
                   sentence_months=d.get("sentence_months"), fine_yuan=d.get("fine_yuan"),
                   suspended=bool(d.get("suspended")), articles=list(d.get("articles") or []),
                   source=d.get("source", ""), features=feats)


_BRACKETS = re.compile(r"[\[\]［］]")


def normalise_charge(name: str) -> str:
    """CAIL or free-form 罪名 to the normalised form ending in 罪: ``[窝藏、包庇]`` → ``窝藏、包庇罪``."""
    s = _BRACKETS.sub("", str(name)).strip().strip("。；;，,")
    if not s:
        return ""
    return s if s.endswith("罪") else s + "罪"


def charge_matches(query: str, stored: str) -> bool:
    """Whether a 罪名 matches a stored one, counting selective-charge (选择性罪名) sub-forms.

    ``贩卖毒品罪`` and ``贩卖、运输毒品罪`` match ``走私、贩卖、运输、制造毒品罪``;
    ``非法采伐国家重点保护植物罪`` matches ``非法采伐、毁坏国家重点保护植物罪``;
    ``诈骗罪`` does not match ``合同诈骗罪``.
    """
    q, s = normalise_charge(query)[:-1], normalise_charge(stored)[:-1]
    if not q or not s:
        return False
    if q == s:
        return True
    if "、" not in s:
        return False
    n = len(s)
    for i in range(n):
        if not q.startswith(s[:i]):
            break
        for j in range(n, i, -1):
            suf = s[j:]
            mid = s[i:j]
            if "、" not in mid or not q.endswith(suf) or len(s[:i]) + len(suf) >= len(q):
                continue
            parts = q[i:len(q) - len(suf)].split("、")
            if all(parts) and set(parts) <= set(mid.split("、")):
                return True
    return False


def _custodial_outcome(months: float | None, suspended: bool, kind: str = "") -> str:
    if kind in (ACQUITTED, "无罪", "不负刑事责任"):
        return ACQUITTED
    if kind == EXEMPT:
        return EXEMPT
    if kind == LIFE:
        return LIFE
    if kind == DEATH:
        return DEATH
    if suspended:
        return SUSPENDED
    if not months:
        return NON_CUSTODIAL
    return CUSTODIAL


def from_cail(row: dict[str, Any], rid: str) -> CaseRecord:
    """A CAIL2018 row to a record; ``rid`` names it (e.g. ``cail-123``)."""
    try:
        meta = row["meta"]
        fact = str(row["fact"])
        term = meta["term_of_imprisonment"]
    except (KeyError, TypeError) as exc:
        raise RecordError(f"案例 {rid} 缺少字段 {exc}（需要 fact 与 meta.term_of_imprisonment）") from exc
    charges = [normalise_charge(a) for a in meta.get("accusation") or [] if normalise_charge(a)]
    if term.get("death_penalty"):
        kind, months = DEATH, None
    elif term.get("life_imprisonment"):
        kind, months = LIFE, None
    else:
        kind, months = "", float(term.get("imprisonment") or 0)
    outcome = _custodial_outcome(months, False, kind)
    fine = meta.get("punish_of_money")
    return CaseRecord(id=rid, charges=charges, facts=fact, outcome=outcome, sentence_months=months,
                      fine_yuan=float(fine) if fine else None,
                      articles=[str(a) for a in meta.get("relevant_articles") or []], source="cail2018",
                      features=extract_features(fact, charges))


def sentence_outcome(sentence: dict[str, Any] | None, verdict: str | None = None) -> tuple[str, float | None]:
    """(outcome, months) of a Sentence dict (and the judgment's verdict, when given)."""
    if verdict in ("无罪", "不负刑事责任"):
        return ACQUITTED, 0.0
    if verdict == EXEMPT:
        return EXEMPT, 0.0
    if not sentence:
        return "", None
    kind = str(sentence.get("kind") or "")
    months = sentence.get("months")
    if months is None and sentence.get("range_months"):
        lo, hi = sentence["range_months"]
        months = (float(lo) + float(hi)) / 2
    if kind in ("无期徒刑", "死刑"):
        return kind, None
    if kind in ("无罪", "免予刑事处罚"):
        return (ACQUITTED if kind == "无罪" else EXEMPT), 0.0
    if kind == "单处罚金":
        return NON_CUSTODIAL, 0.0
    months = float(months) if months is not None else None
    return _custodial_outcome(months, bool(sentence.get("suspended")), ""), months


def from_report(report: dict[str, Any], source_name: str = "") -> list[CaseRecord]:
    """Records from a scan report JSON: one per 判决书 with a readable sentence and charges."""
    out: list[CaseRecord] = []
    dossier = (report.get("dossier") or {}).get("name") or source_name or "report"
    for doc in report.get("documents") or []:
        if doc.get("type") != "判决书":
            continue
        fields = doc.get("fields") or {}

        def val(name: str):
            f = fields.get(name)
            return f.get("value") if isinstance(f, dict) else None

        charges = [normalise_charge(c) for c in (val("charges") or report.get("case", {}).get("charges") or [])]
        outcome, months = sentence_outcome(val("sentence"), val("verdict"))
        if not charges or not outcome:
            continue
        sent = val("sentence") or {}
        facts = str(val("facts") or "")
        out.append(CaseRecord(id=f"{dossier}#{doc.get('id', 'd')}", charges=[c for c in charges if c],
                              facts=facts, outcome=outcome, sentence_months=months,
                              fine_yuan=sent.get("fine_yuan"), suspended=bool(sent.get("suspended")),
                              articles=list(val("articles") or []), source="report"))
    return out


def iter_cases(path: str | Path, errors: list[str] | None = None) -> Iterator[CaseRecord]:
    """Records from a CAIL-format JSONL file or a report JSON (or a folder of report JSONs).

    Bad rows are skipped with a Chinese message appended to ``errors``.
    """
    p = Path(path)
    errors = errors if errors is not None else []
    if p.is_dir():
        for f in sorted(p.rglob("*.json")):
            yield from iter_cases(f, errors)
        return
    if not p.is_file():
        raise RecordError(f"找不到案例文件：{p}")
    if p.suffix == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            errors.append(f"{p.name}：不是有效的 JSON（{exc}）")
            return
        reports = data if isinstance(data, list) else [data]
        for r in reports:
            if isinstance(r, dict) and "documents" in r:
                yield from from_report(r, p.stem)
            elif isinstance(r, dict) and "meta" in r:
                yield from_cail(r, f"{p.stem}-{len(errors)}")
        return
    with open(p, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                errors.append(f"{p.name} 第{n}行：不是有效的 JSON，已跳过。")
                continue
            rid = str(row.get("id") or f"{p.stem}-{n}") if isinstance(row, dict) else ""
            try:
                if isinstance(row, dict) and "documents" in row:
                    yield from from_report(row, rid)
                else:
                    yield from_cail(row, rid)
            except RecordError as exc:
                errors.append(f"{p.name} 第{n}行：{exc}")
