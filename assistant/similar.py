"""Similar-case assessment of a scanned dossier (feeds the report's ``similar_cases`` and SUB-007).

:func:`assess_case` builds the query from the :class:`~models.CaseFile` — facts from the
判决书 or 起诉书 ``facts`` field (else the case summary), charges from ``case.charges``
(else the documents' ``charges``), the actual term from the 判决书 ``sentence`` or else the
量刑建议 ``recommendation`` (量刑建议书, 起诉书, 认罪认罚具结书) — opens the index of
``settings.index_dir`` once per process and returns the assessment JSON plus Chinese
warnings. It never raises for a bad index or an unreadable case: those become warnings.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from models import CaseFile, vocab

from models.settings import Settings

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_CACHE: dict[tuple, Any] = {}


def open_index(settings: Settings):
    """The index of ``settings.index_dir``, loaded once and cached (keyed by folder and model)."""
    from index.store import SimilarIndex

    key = (str(Path(settings.index_dir).resolve()), str(settings.embed_model_path),
           _backend(settings))
    with _LOCK:
        idx = _CACHE.get(key)
        if idx is None:
            idx = SimilarIndex.load(settings.index_dir, model_path=_model_path(settings),
                                    backend=_backend(settings))
            _CACHE[key] = idx
        return idx


def _backend(settings: Settings) -> str:
    """``torch`` (default) or ``onnx-int8``: ``settings.embed_backend`` (``ASSISTANT_EMBED_BACKEND``)."""
    return settings.embed_backend or "torch"


def _model_path(settings: Settings) -> Path | None:
    return settings.embed_model_path if settings.embed_model_path.exists() else None


def query_from_case(case: CaseFile) -> dict[str, Any]:
    """What the index needs from a case: facts, charges, actual term/outcome and where it was read."""
    from index.records import normalise_charge, sentence_outcome

    judgment = case.first(vocab.JUDGMENT)
    facts = ""
    for doc in [judgment, case.first(vocab.INDICTMENT), case.first(vocab.PROSECUTION_OPINION)]:
        if doc is not None and doc.value(vocab.FACTS):
            facts = str(doc.value(vocab.FACTS))
            break
    facts = facts or case.case.facts
    charges = list(case.case.charges)
    if not charges:
        for doc in case.documents:
            if doc.value(vocab.CHARGES):
                charges = list(doc.value(vocab.CHARGES))
                break
    charges = [normalise_charge(c) for c in charges if normalise_charge(c)]
    actual_months, outcome, source, doc_id = None, "", "", None
    if judgment is not None and (judgment.value(vocab.SENTENCE) or judgment.value(vocab.VERDICT)):
        outcome, actual_months = sentence_outcome(judgment.value(vocab.SENTENCE), judgment.value(vocab.VERDICT))
        source, doc_id = "宣告刑", judgment.id
    else:
        for t in (vocab.SENTENCING_RECOMMENDATION, vocab.INDICTMENT, vocab.PLEA_AGREEMENT):
            doc = case.first(t)
            if doc is not None and doc.value(vocab.RECOMMENDATION):
                outcome, actual_months = sentence_outcome(doc.value(vocab.RECOMMENDATION))
                source, doc_id = "量刑建议", doc.id
                break
    return {"facts": facts, "charges": charges, "actual_months": actual_months, "outcome": outcome,
            "source": source, "document_id": doc_id}


def assess_case(case: CaseFile, settings: Settings) -> tuple[dict[str, Any] | None, list[str]]:
    """(similar_cases block or None, Chinese warnings) for one case."""
    from index.deviation import assess
    from index.features import extract_features
    from index.store import IndexStoreError

    warnings: list[str] = []
    q = query_from_case(case)
    if not q["facts"] and not q["charges"]:
        return None, ["类案比对：未能读取案件事实和罪名，未进行类案比对。"]
    try:
        idx = open_index(settings)
    except IndexStoreError as exc:
        return None, [f"类案比对：{exc}"]
    except Exception:  # a broken index must not sink the scan
        log.exception("index load failed")
        return None, ["类案比对：类案索引加载失败（索引文件损坏或与当前版本不兼容，详见日志），未进行类案比对。"]
    if not q["facts"]:
        warnings.append("类案比对：未能读取案件事实，仅按罪名比对，结果参考价值有限。")
    if q["actual_months"] is None and not q["outcome"]:
        warnings.append("类案比对：未能读取宣告刑或量刑建议，只给出类案预期。")
    try:
        feats = extract_features(q["facts"], q["charges"])
        a = assess(idx, q["facts"], q["charges"], feats, q["actual_months"], q["outcome"])
    except Exception:
        log.exception("similar-case assessment failed")
        return None, warnings + ["类案比对出错，已跳过（详见日志）。"]
    out = a.to_json()
    out["actual_source"] = q["source"] or None
    out["actual_document_id"] = q["document_id"]
    warnings.extend(f"类案比对：{n}" for n in a.notes)
    return out, warnings


def neighbour_facts(settings: Settings, ids: list[str], limit: int = 160) -> dict[str, str]:
    """The facts (案情) of similar cases by id, cut to ``limit`` characters, read from the index's
    metadata (``meta.sqlite3``) without loading the index; empty when there is no index."""
    import sqlite3

    index_dir = settings.effective_index_dir()
    db = Path(index_dir) / "meta.sqlite3" if index_dir else None
    if not ids or db is None or not db.is_file():
        return {}
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            marks = ",".join("?" * len(ids[:50]))
            rows = con.execute(f"SELECT id, facts FROM cases WHERE id IN ({marks})", ids[:50]).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        log.warning("similar-case facts unreadable from %s", db, exc_info=True)
        return {}
    return {i: " ".join(str(f or "").split())[:limit] + ("…" if len(str(f or "")) > limit else "") for i, f in rows}
