"""The 依据 of one finding: the provisions of its rule's catalog entry that the finding rests on.

A catalog entry lists every provision its rule draws on, across all the situations the rule
covers (DOC-002 cites the 量刑建议 clause *and* the 具结书 clauses; SUB-012 the 羁押必要性 clauses
*and* the minors' clause). A finding about a missing 罚金 rests on the 量刑建议 clause and the
charge's own 刑法 article, not on the 具结书 ones; a finding on an adult never on the minors' clause.

:func:`select_basis` keeps, for one finding, the provisions whose cues (``checks/basis.yaml``)
are found in the finding's message or grounds; a provision without declared cues is kept when
enough of its own wording is (:func:`overlap`). When nothing matches, the provision closest to the
finding is kept, so that every finding still names a basis. ``charge_article`` cues add the 刑法
article of each 罪名 the finding names (the catalog's ``crimes`` table, with the band's wording).

Examples (from the foreign dossiers)::

    DOC-002 “量刑建议……未载明罚金（骗取贷款罪法定并处罚金）”
        → 刑事诉讼法第一百七十六条第二款“应当就主刑、附加刑……提出量刑建议”
          + 刑法第一百七十五条之一“……并处或者单处罚金”
    SUB-012 “犯罪嫌疑人已被逮捕……卷内未见羁押必要性审查记录” (an adult)
        → 规则第二百七十条第二款, 刑事诉讼法第九十五条 (not 第二百八十条, minors)
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from models import Basis, Finding
from models.charges import parent_charge

from checks.catalog import Catalog, CatalogEntry

CUES_FILE = Path(__file__).with_name("basis.yaml")
CRIMINAL_LAW = "《中华人民共和国刑法》（含刑法修正案（十二））"
#: Share of a provision's (weighted) character pairs that must occur in the finding when no cue is declared.
OVERLAP_MIN = 0.34
_PUNCT = re.compile(r"[\s，。、；：“”‘’（）()《》〈〉【】\[\]「」,.;:!?！？…—\-]+")


@functools.lru_cache(maxsize=1)
def cues() -> dict[str, list[dict[str, Any]]]:
    """``checks/basis.yaml``: rule id → its entries, each with compiled ``when`` expressions."""
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8")) or {}
    out: dict[str, list[dict[str, Any]]] = {}
    for rule_id, entries in data.items():
        parsed = []
        for e in entries or []:
            item = dict(e)
            for key in ("when", "charge_article"):
                if key in item:
                    item[key] = [re.compile(str(p), re.S) for p in item[key] or []]
            parsed.append(item)
        out[str(rule_id)] = parsed
    return out


def finding_text(finding: Finding) -> str:
    """What a finding says: its message and grounds (the words its 依据 must answer to)."""
    return "\n".join([finding.message or "", *(finding.grounds or [])])


def _pairs(text: str) -> set[str]:
    chunks = [c for c in _PUNCT.split(text or "") if c]
    return {c[i:i + 2] for c in chunks for i in range(len(c) - 1)}


@functools.lru_cache(maxsize=4)
def _weights(catalog_path: str) -> dict[str, float]:
    """Inverse document frequency of character pairs over every quote of the catalog: pairs every
    provision has (应当, 人民, 检察) weigh little, specific ones (罚金, 具结, 未成) much."""
    from checks.catalog import load_catalog

    cat = load_catalog(catalog_path)
    docs = [_pairs(b.quote) for e in cat.rules.values() for b in e.basis]
    df: dict[str, int] = {}
    for d in docs:
        for p in d:
            df[p] = df.get(p, 0) + 1
    n = max(1, len(docs))
    return {p: math.log((n + 1) / (k + 0.5)) for p, k in df.items()}


def overlap(quote: str, text: str, weights: dict[str, float]) -> float:
    """The weighted share of the quote's character pairs found in ``text`` (0 … 1)."""
    pairs = _pairs(quote)
    if not pairs:
        return 0.0
    found = _pairs(text)
    total = sum(weights.get(p, 1.0) for p in pairs)
    return sum(weights.get(p, 1.0) for p in pairs if p in found) / total if total else 0.0


def _dedupe(items: Iterable[Basis]) -> list[Basis]:
    seen: set[tuple] = set()
    out = []
    for b in items:
        key = (b.law, b.article, b.quote)
        if key not in seen:
            seen.add(key)
            out.append(b)
    return out


def named_charges(catalog: Catalog, text: str) -> list[str]:
    """The catalog 罪名 named in ``text``: as written, or as a split form of a selective one
    (骗取贷款罪 → 骗取贷款、票据承兑、金融票证罪), longest first, each once."""
    found: list[str] = []
    names = list(catalog.crimes)
    for m in re.finditer("罪", text):
        end = m.end()
        for start in range(max(0, end - 30), end - 2):
            candidate = text[start:end]
            if not re.fullmatch(r"[\u4e00-\u9fff、]+", candidate):
                continue
            name = candidate if candidate in catalog.crimes else parent_charge(candidate, names)
            if name:
                if name not in found:
                    found.append(name)
                break
    return found


def charge_articles(catalog: Catalog, text: str) -> list[Basis]:
    """The 刑法 article of each catalog 罪名 named in ``text``, quoting its bands (法定刑)."""
    out = []
    for name in named_charges(catalog, text):
        crime = catalog.crimes[name]
        if not crime.article:
            continue
        bands = [str(b.get("法定刑(原文)") or "").strip("。") for b in crime.bands if b.get("法定刑(原文)")]
        quote = "；".join(bands[:3])
        out.append(Basis(law=CRIMINAL_LAW, article=crime.article, quote=f"（{name}）{quote}" if quote else f"（{name}）"))
    return out


def select_basis(entry: CatalogEntry, finding: Finding, catalog: Catalog | None = None) -> list[Basis]:
    """The provisions of ``entry`` that ``finding`` rests on (plus charge articles where declared)."""
    provisions = _dedupe(entry.basis)
    text = finding_text(finding)
    rules = cues().get(entry.id, [])
    extra: list[Basis] = []
    if catalog is not None:
        for rule in rules:
            pats = rule.get("charge_article")
            if pats and any(p.search(text) for p in pats):
                extra += charge_articles(catalog, text)
    if len(provisions) <= 1:
        return _dedupe(provisions + extra)
    weights = _weights(str(catalog.path)) if catalog is not None else {}
    kept: list[Basis] = []
    scores: list[tuple[float, int]] = []
    for i, b in enumerate(provisions):
        label = f"{b.article or ''}|{b.quote}"
        declared = [r for r in rules if r.get("match") and str(r["match"]) in label]
        if declared:
            keep = any(r.get("always") or any(p.search(text) for p in r.get("when") or []) for r in declared)
            score = 1.0 if keep else 0.0
        else:
            score = overlap(b.quote, text, weights)
            keep = score >= OVERLAP_MIN
        scores.append((score if declared else score * 0.9, -i))
        if keep:
            kept.append(b)
    if not kept:
        kept = [provisions[-max(scores)[1]]]  # the closest one; on a tie the rule's principal (first) provision
    return _dedupe(kept + extra)


def assign_basis(findings: Iterable[Finding], catalog: Catalog) -> None:
    """Set each finding's ``basis`` to the provisions it rests on (in place)."""
    for f in findings:
        if f.rule_id in catalog:
            f.basis = select_basis(catalog[f.rule_id], f, catalog)
