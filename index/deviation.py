"""Expected sentence, interval and outcome rates for a case, from its neighbours and features.

Two estimates are blended in log space (``log1p(months)``, the scale of the CAIL2018 score):

1. **Sentence model** (:class:`SentenceModel`): a gradient-boosted regressor
   (scikit-learn ``HistGradientBoostingRegressor``, absolute-error loss, so it predicts a
   conditional median) over the primary charge (categorical) and the features of
   :mod:`index.features` — log amount, log drug grams, blood alcohol, injury level, deaths,
   number of acts, number of charges and the circumstance flags. Fitted when the index is
   built; its out-of-fold residuals (5-fold) are stored per case.
2. **Neighbours**: the ``k`` most similar cases of the same charge, weighted by embedding
   similarity (softmax with temperature ``max(tau, spread of the top-k similarities / 3)``), closeness of the
   amount / drug quantity (``exp(-|Δlog|)``) and overlap of the sentencing circumstances
   (Jaccard). Their weighted median term is the neighbour estimate.

``expected = alpha · model + (1 − alpha) · neighbours`` (``alpha`` 0.7 when a model is
present). The interval is split-conformal: ``expected ± h`` in log space, where ``h`` is the
``coverage`` (default 0.97) quantile of the absolute out-of-fold model residuals of cases
with a prison term, per charge shrunk towards the pooled quantile (``n / (n + 60)``;
pooled alone below 30 cases), and at least ``min_half_width``. On CAIL2018 5-fold this
keeps SUB-007's false-flag rate under 5 % (``bench/index_eval.py``). Without a fitted model
the interval falls back to the neighbours' residual (or term) quantiles ``q_low``/``q_high``.
Outcome rates are the weighted
shares of neighbour outcomes (监禁刑, 非监禁刑/免刑, 无期徒刑, 死刑, and 缓刑 where the
neighbours record suspension).

The result (:meth:`Assessment.to_json`) is the report's ``similar_cases`` block.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from index.features import CIRCUMSTANCES, CaseFeatures, log1p
from index.records import (ACQUITTED, CUSTODIAL, DEATH, EXEMPT, LIFE, NON_CUSTODIAL, NOT_PROSECUTED, SUSPENDED,
                           CaseRecord)

FLAG_NAMES = tuple(CIRCUMSTANCES)
#: circumstances that move a sentence (used for closeness and the "differs" list)
SENTENCING_FLAGS = ("自首", "坦白", "认罪认罚", "立功", "累犯", "前科", "未遂", "中止", "从犯", "退赃退赔", "赔偿",
                    "取得谅解", "刑事和解", "未成年", "多次", "入户", "携带凶器", "扒窃", "致人死亡", "逃逸",
                    "数额巨大", "情节严重")
MAX_CHARGE_CODES = 250
#: interval coverages calibrated at fit time (the assessment picks the nearest)
COVERAGE_LEVELS = (0.8, 0.9, 0.95, 0.96, 0.97, 0.975, 0.98, 0.99)
MIN_CHARGE_CALIBRATION = 30
CHARGE_SHRINK = 60.0


def _conformal(abs_resid: np.ndarray, level: float) -> float:
    """Split-conformal quantile: the ceil((n+1)·level)-th smallest absolute residual."""
    v = np.sort(abs_resid)
    n = len(v)
    if n == 0:
        return 0.7
    k = min(n, int(math.ceil((n + 1) * level))) - 1
    return float(v[max(k, 0)])


def outcome_class(outcome: str, months: float | None) -> str:
    """The coarse outcome compared across sources (CAIL has no suspension flag)."""
    if outcome in (LIFE, DEATH):
        return outcome
    if outcome in (ACQUITTED, NOT_PROSECUTED):
        return "无罪/不起诉"
    if outcome in (EXEMPT, NON_CUSTODIAL) or not months:
        return "非监禁刑/免予刑事处罚"
    return "监禁刑"


def feature_vector(f: CaseFeatures, charges: Sequence[str], charge_code: int) -> list[float]:
    flags = f.flags
    return [float(charge_code), log1p(f.amount_yuan), log1p(f.drug_grams), float(f.bac_mg or 0.0),
            float(f.injury_level), float(f.deaths), math.log1p(f.times), float(len(charges))] + \
           [1.0 if n in flags else 0.0 for n in FLAG_NAMES]


def _term_target(r: CaseRecord) -> float | None:
    if r.outcome in (LIFE, DEATH) or r.sentence_months is None:
        return None
    return math.log1p(max(0.0, float(r.sentence_months)))


@dataclass
class SentenceModel:
    """Per-charge sentence regression (see the module docstring)."""

    charge_codes: dict[str, int]
    regressor: Any
    charge_resid_q: dict[str, tuple[float, float]]
    global_resid_q: tuple[float, float]
    charge_median: dict[str, float]
    oof_residuals: dict[str, float] = field(default_factory=dict)
    #: conformal half-widths: level -> {charge: quantile of |out-of-fold residual|}, and pooled
    charge_abs_q: dict[float, dict[str, tuple[float, int]]] = field(default_factory=dict)
    global_abs_q: dict[float, float] = field(default_factory=dict)

    @staticmethod
    def _codes(records: Sequence[CaseRecord]) -> dict[str, int]:
        from collections import Counter

        counts = Counter(r.primary_charge for r in records if r.primary_charge)
        return {c: i for i, (c, _) in enumerate(counts.most_common(MAX_CHARGE_CODES))}

    @staticmethod
    def _regressor():
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(loss="absolute_error", learning_rate=0.08, max_iter=200,
                                             max_leaf_nodes=15, min_samples_leaf=8, l2_regularization=1.0,
                                             categorical_features=[0], random_state=0)

    def _x(self, feats: Sequence[CaseFeatures], charges: Sequence[Sequence[str]]) -> np.ndarray:
        rows = []
        for f, c in zip(feats, charges):
            code = self.charge_codes.get(c[0] if c else "", len(self.charge_codes))
            rows.append(feature_vector(f, c, code))
        return np.asarray(rows, dtype=np.float64)

    @classmethod
    def fit(cls, records: Sequence[CaseRecord], folds: int = 5) -> "SentenceModel":
        from sklearn.model_selection import KFold
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return cls._fit(records, folds, KFold)

    @classmethod
    def _fit(cls, records: Sequence[CaseRecord], folds: int, KFold) -> "SentenceModel":
        usable = [r for r in records if _term_target(r) is not None]
        model = cls(charge_codes=cls._codes(usable), regressor=None, charge_resid_q={}, global_resid_q=(-0.7, 0.7),
                    charge_median={})
        if len(usable) < 20:
            model.charge_median = _charge_medians(usable)
            return model
        x = model._x([r.features for r in usable], [r.charges for r in usable])
        y = np.asarray([_term_target(r) for r in usable])
        oof = np.zeros_like(y)
        for tr, te in KFold(n_splits=min(folds, len(usable)), shuffle=True, random_state=0).split(x):
            reg = cls._regressor().fit(x[tr], y[tr])
            oof[te] = reg.predict(x[te])
        model.regressor = cls._regressor().fit(x, y)
        resid = y - oof
        model.oof_residuals = {r.id: float(e) for r, e in zip(usable, resid)}
        model.global_resid_q = (float(np.quantile(resid, 0.05)), float(np.quantile(resid, 0.95)))
        by_charge: dict[str, list[float]] = {}
        for r, e in zip(usable, resid):
            by_charge.setdefault(r.primary_charge, []).append(float(e))
        model.charge_resid_q = {c: (float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95)))
                                for c, v in by_charge.items() if len(v) >= 15}
        model.charge_median = _charge_medians(usable)
        positive = [(r.primary_charge, float(e)) for r, e, t in zip(usable, resid, y) if t > 0]
        pos_by_charge: dict[str, list[float]] = {}
        for c, e in positive:
            pos_by_charge.setdefault(c, []).append(e)
        model._calibrate(pos_by_charge, np.asarray([e for _, e in positive]))
        return model

    def _calibrate(self, by_charge: dict[str, list[float]], resid: np.ndarray) -> None:
        """Split-conformal half-widths of the interval from the out-of-fold residuals.

        Only cases with a prison term count: a zero term is judged by its outcome class
        (SUB-007), so its residual would only widen the band of the cases that have one.
        """
        pooled = np.abs(np.asarray(resid, dtype=float))
        for level in COVERAGE_LEVELS:
            self.global_abs_q[level] = _conformal(pooled, level)
            self.charge_abs_q[level] = {c: (_conformal(np.abs(np.asarray(v)), level), len(v))
                                        for c, v in by_charge.items() if len(v) >= MIN_CHARGE_CALIBRATION}

    def half_width(self, charge: str, coverage: float) -> float | None:
        """Calibrated half-width (log1p space) for ``charge`` at ``coverage``.

        The charge's own conformal quantile is shrunk towards the pooled one with weight
        ``n / (n + CHARGE_SHRINK)``; charges with fewer than ``MIN_CHARGE_CALIBRATION``
        residuals use the pooled quantile alone. ``None`` when the model was never calibrated.
        """
        table = getattr(self, "global_abs_q", None) or {}
        if not table:
            return None
        level = min(table, key=lambda lv: abs(lv - coverage))
        pooled = table[level]
        own = (getattr(self, "charge_abs_q", {}) or {}).get(level, {}).get(charge)
        if own is None:
            return pooled
        q, n = own
        w = n / (n + CHARGE_SHRINK)
        return w * q + (1 - w) * pooled

    def predict_log(self, f: CaseFeatures, charges: Sequence[str]) -> float | None:
        if self.regressor is None:
            m = self.charge_median.get(charges[0] if charges else "")
            return m
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return float(self.regressor.predict(self._x([f], [charges]))[0])

    def residuals(self, records: Sequence[CaseRecord]) -> dict[str, float]:
        out = {}
        for r in records:
            t, p = _term_target(r), self.predict_log(r.features, r.charges)
            if t is not None and p is not None:
                out[r.id] = t - p
        return out

    def resid_band(self, charge: str) -> tuple[float, float]:
        return self.charge_resid_q.get(charge, self.global_resid_q)

    def save(self, path: Path) -> None:
        with open(path, "wb") as fh:
            pickle.dump(self, fh)

    @staticmethod
    def load(path: Path) -> "SentenceModel":
        with open(path, "rb") as fh:
            return pickle.load(fh)


def _charge_medians(records: Sequence[CaseRecord]) -> dict[str, float]:
    by: dict[str, list[float]] = {}
    for r in records:
        t = _term_target(r)
        if t is not None:
            by.setdefault(r.primary_charge, []).append(t)
    return {c: float(np.median(v)) for c, v in by.items()}


def weighted_quantile(values: Sequence[float], weights: Sequence[float], q: float) -> float:
    """Quantile ``q`` of ``values`` under ``weights`` (interpolated weighted CDF)."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if len(v) == 0:
        raise ValueError("empty")
    order = np.argsort(v)
    v, w = v[order], w[order]
    cw = np.cumsum(w) - 0.5 * w
    cw /= w.sum()
    return float(np.interp(q, cw, v))


@dataclass
class Params:
    """Tunable parameters of the assessment (defaults chosen on CAIL2018 cross-validation)."""

    k: int = 30
    shown: int = 10
    tau: float = 0.02
    alpha: float = 0.7
    q_low: float = 0.025
    q_high: float = 0.975
    min_neighbours_band: int = 12
    neighbour_band_share: float = 0.5
    min_half_width: float = 0.25
    coverage: float = 0.97


@dataclass
class Neighbour:
    record: CaseRecord
    similarity: float
    weight: float
    resid: float | None


@dataclass
class Assessment:
    charge: str
    expected_log: float | None
    interval_log: tuple[float, float] | None
    model_log: float | None
    neighbour_log: float | None
    actual_months: float | None
    actual_outcome: str
    neighbours: list[Neighbour]
    outcome_rates: dict[str, float]
    query_features: CaseFeatures
    embedder: str
    params: Params
    notes: list[str] = field(default_factory=list)
    calibrated: bool = False

    @property
    def expected_months(self) -> float | None:
        return None if self.expected_log is None else math.expm1(self.expected_log)

    @property
    def interval_months(self) -> tuple[float, float] | None:
        if self.interval_log is None:
            return None
        return (max(0.0, math.expm1(self.interval_log[0])), math.expm1(self.interval_log[1]))

    @property
    def deviation(self) -> float | None:
        e, a = self.expected_months, self.actual_months
        if e is None or a is None:
            return None
        return (a - e) / max(e, 1.0)

    def to_json(self) -> dict[str, Any]:
        iv = self.interval_months
        qflags = self.query_features.flags & set(SENTENCING_FLAGS)
        shown = self.neighbours[: self.params.shown]
        nb = []
        for n in shown:
            nflags = n.record.features.flags & set(SENTENCING_FLAGS)
            nb.append({
                "id": n.record.id, "charges": n.record.charges,
                "sentence_months": n.record.sentence_months, "similarity": round(n.similarity, 4),
                "weight": round(n.weight, 4), "outcome": n.record.outcome,
                "amount_yuan": n.record.features.amount_yuan, "drug_grams": n.record.features.drug_grams,
                "circumstances_only_here": sorted(qflags - nflags),
                "circumstances_only_there": sorted(nflags - qflags),
            })
        cnt: dict[str, int] = {}
        for n in shown:
            for c in (n.record.features.flags & set(SENTENCING_FLAGS)) ^ qflags:
                cnt[c] = cnt.get(c, 0) + 1
        r = lambda v: None if v is None else round(v, 2)  # noqa: E731
        return {
            "charge": self.charge,
            "expected_sentence_months": r(self.expected_months),
            "actual_sentence_months": r(self.actual_months),
            "deviation": None if self.deviation is None else round(self.deviation, 3),
            "interval_months": [round(iv[0], 2), round(iv[1], 2)] if iv else None,
            "interval_quantiles": [round((1 - self.params.coverage) / 2, 4), round((1 + self.params.coverage) / 2, 4)]
            if self.calibrated else [self.params.q_low, self.params.q_high],
            "interval_calibrated": self.calibrated,
            "model_expected_months": r(None if self.model_log is None else math.expm1(self.model_log)),
            "neighbour_median_months": r(None if self.neighbour_log is None else math.expm1(self.neighbour_log)),
            "actual_outcome": self.actual_outcome,
            "actual_outcome_class": outcome_class(self.actual_outcome, self.actual_months) if self.actual_outcome else None,
            "outcome_rates": {k: round(v, 3) for k, v in self.outcome_rates.items()},
            "neighbour_count": len(self.neighbours),
            "neighbours": nb,
            "circumstances": self.query_features.summary(),
            "circumstances_differing": dict(sorted(cnt.items(), key=lambda kv: -kv[1])),
            "embedder": self.embedder,
            "notes": self.notes,
        }


def _closeness(q: CaseFeatures, n: CaseFeatures) -> float:
    c = 1.0
    for a, b in ((q.amount_yuan, n.amount_yuan), (q.drug_grams, n.drug_grams)):
        if a and b:
            c *= math.exp(-0.5 * abs(math.log1p(a) - math.log1p(b)))
        elif a or b:
            c *= 0.6
    if q.injury_level or n.injury_level:
        c *= math.exp(-0.4 * abs(q.injury_level - n.injury_level))
    qf, nf = q.flags & set(SENTENCING_FLAGS), n.flags & set(SENTENCING_FLAGS)
    if qf or nf:
        c *= 0.5 + 0.5 * len(qf & nf) / len(qf | nf)
    return c


def assess(index, facts: str, charges: Sequence[str], features: CaseFeatures, actual_months: float | None,
           actual_outcome: str = "", params: Params | None = None, query_vector: np.ndarray | None = None,
           exclude_ids: Sequence[str] = ()) -> Assessment:
    """Assess one case against an open :class:`index.store.SimilarIndex`."""
    params = params or Params()
    notes: list[str] = []
    charge = charges[0] if charges else ""
    rows = index.rows_for_charge(charge) if charge else None
    if rows is not None and len(rows) == 0:
        notes.append(f"索引中没有“{charge}”的案例，类案取自全部罪名。")
        rows = None
    if not charge:
        notes.append("未能确定罪名，类案取自全部罪名。")
    q = query_vector if query_vector is not None else index.embedder.encode_passages([facts or charge])[0]
    hits = index.search_vectors(q, k=params.k, rows=rows, exclude=index._rows_of_ids(exclude_ids))
    neighbours: list[Neighbour] = []
    if hits:
        top = hits[0][1]
        tau = max(params.tau, (top - hits[-1][1]) / 3)
        for row, sim in hits:
            rec, resid = index.record(row)
            w = math.exp((sim - top) / tau) * _closeness(features, rec.features)
            neighbours.append(Neighbour(rec, sim, w, resid))
    total = sum(n.weight for n in neighbours) or 1.0
    for n in neighbours:
        n.weight /= total

    rates: dict[str, float] = {}
    for n in neighbours:
        cls_ = outcome_class(n.record.outcome, n.record.sentence_months)
        rates[cls_] = rates.get(cls_, 0.0) + n.weight
    with_susp = [n for n in neighbours if n.record.source != "cail2018"]
    if with_susp:
        ws = sum(n.weight for n in with_susp) or 1.0
        rates[SUSPENDED] = sum(n.weight for n in with_susp if n.record.suspended) / ws

    term = [(math.log1p(n.record.sentence_months), n.weight) for n in neighbours
            if n.record.sentence_months is not None and n.record.outcome not in (LIFE, DEATH)]
    nb_log = weighted_quantile([t for t, _ in term], [w for _, w in term], 0.5) if term else None
    model = getattr(index, "model", None)
    model_log = model.predict_log(features, list(charges)) if model is not None else None
    if model_log is not None and nb_log is not None:
        expected = params.alpha * model_log + (1 - params.alpha) * nb_log
    else:
        expected = model_log if model_log is not None else nb_log

    interval = None
    half = None
    if expected is not None:
        res = [(n.resid, n.weight) for n in neighbours if n.resid is not None]
        band = model.resid_band(charge) if model is not None else None
        half = model.half_width(charge, params.coverage) if model is not None else None
        if half is not None:
            lo, hi = -half, half
        elif len(res) >= 3:
            lo = weighted_quantile([r for r, _ in res], [w for _, w in res], params.q_low)
            hi = weighted_quantile([r for r, _ in res], [w for _, w in res], params.q_high)
            if band is not None:
                s = params.neighbour_band_share * min(1.0, len(res) / params.min_neighbours_band)
                lo, hi = s * lo + (1 - s) * band[0], s * hi + (1 - s) * band[1]
        elif band is not None:
            lo, hi = band
        elif term:
            lo = weighted_quantile([t for t, _ in term], [w for _, w in term], params.q_low) - expected
            hi = weighted_quantile([t for t, _ in term], [w for _, w in term], params.q_high) - expected
        else:
            lo, hi = -0.7, 0.7
        interval = (expected + min(lo, -params.min_half_width), expected + max(hi, params.min_half_width))
    if not neighbours:
        notes.append("索引中没有可比较的类案。")
    return Assessment(charge=charge, expected_log=expected, interval_log=interval, model_log=model_log,
                      neighbour_log=nb_log, actual_months=actual_months, actual_outcome=actual_outcome,
                      neighbours=neighbours, outcome_rates=rates, query_features=features,
                      embedder=index.info.get("identity", ""), params=params, notes=notes,
                      calibrated=half is not None)
