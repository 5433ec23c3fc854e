"""Expected sentence, interval and outcome rates for a case, from its neighbours and features.

Everything is computed in log space (``log1p(months)``, the scale of the CAIL2018 score).

1. **Neighbours**: the ``k`` most similar cases of the same charge, weighted by embedding
   similarity (softmax with temperature ``max(tau, spread of the top-k similarities / 3)``),
   closeness of the amount / drug quantity (``exp(-|Δlog|)``) and overlap of the sentencing
   circumstances (Jaccard). Their weighted median term is shown as evidence, and their
   statistics (weighted median, mean and spread of the log term, top similarity, shares of
   无期徒刑 / 死刑) feed the model.
2. **Sentence model** (:class:`SentenceModel`), a stack fitted when the index is built:
   a character 1–3-gram TF-IDF ridge regression of the fact text (hashed, residual from
   the charge median), and a gradient-boosted regressor (scikit-learn
   ``HistGradientBoostingRegressor``, absolute-error loss, i.e. a conditional median) over
   the primary charge (categorical), the features of :mod:`index.features` (log amount, log
   drug grams, blood alcohol, injury level, deaths, acts, number of charges, circumstance
   flags), the text prediction and the neighbour statistics. During the fit every case's
   neighbour statistics are computed leave-one-out and the text prediction out-of-fold, so
   the regressor learns how far to trust them. Its 5-fold out-of-fold residuals are kept.
3. **Decided sentence**: the median is what the interval is centred on. The expected
   sentence shown is the sentence most often right within the CAIL tolerance
   (:meth:`SentenceModel.decide_term`): among the ``mode_window`` cases of the charge whose
   out-of-fold prediction was closest, their true terms shifted by their errors are
   scored against a grid of common sentences; the median stays unless a grid sentence
   scores ``mode_margin`` better. A classifier (gradient boosting over the features and
   the neighbours' shares) gives the probabilities of 无期徒刑 / 死刑; ``expected_outcome``
   is one of them when it is more likely than a term scoring well.
4. **Interval**: normalised split-conformal. A second regressor predicts the size of the
   error of each case (``scale``); the half-width is the ``coverage`` (default 0.97)
   conformal quantile of ``|out-of-fold residual| / out-of-fold scale`` over cases with a
   prison term, times the case's scale, at least ``min_half_width``. Small corpora without a
   scale model use the absolute residual quantile per charge shrunk towards the pooled one
   (``n / (n + 60)``); without any fitted model the neighbours' residual quantiles
   ``q_low``/``q_high``. On CAIL2018 5-fold this keeps SUB-007's false-flag rate under 5 %
   (``bench/index_eval.py``).

Outcome rates are the weighted shares of neighbour outcomes (监禁刑, 非监禁刑/免刑,
无期徒刑, 死刑, and 缓刑 where the neighbours record suspension).

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


TEXT_FEATURES = 2 ** 18
TEXT_MAX_RECORDS = 200_000
#: neighbours used for the stacked neighbour statistics (as :class:`Params.k`)
STACK_K = 30
STACK_TAU = 0.02
#: the sentence grid searched by the CAIL-tolerance decision (months)
SENTENCE_GRID = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 27, 30, 33, 36, 39,
                 42, 45, 48, 54, 60, 66, 72, 78, 84, 96, 108, 120, 132, 144, 156, 168, 180, 192, 204, 216, 240,
                 264, 300)
MIN_SPECIAL_CASES = 5
#: similarity cells computed at once by the leave-one-out statistics (bounds memory on big corpora)
LOO_BLOCK_CELLS = 20_000_000


def cail_tolerance_score(v: np.ndarray | float) -> np.ndarray:
    """CAIL2018's prison-term score of an absolute log1p error: 1/.8/.6/.4/.2/0 at ≤ .2/.4/.6/.8/1.0."""
    v = np.asarray(v, dtype=float)
    bucket = np.maximum(1.0, np.ceil(v / 0.2 - 1e-9))
    return np.clip((6.0 - bucket) / 5.0, 0.0, 1.0)


def neighbour_stats(terms: Sequence[float | None], specials: Sequence[str], weights: Sequence[float],
                    top_similarity: float) -> list[float]:
    """Stacked features from weighted neighbours: log-term median, mean, spread, top similarity,
    and the weighted shares of 无期徒刑 and 死刑. NaN where no neighbour has a term."""
    w = np.asarray(weights, dtype=float)
    t = np.asarray([np.nan if v is None else v for v in terms], dtype=float)
    sp = np.asarray(specials)
    total = w.sum() or 1.0
    p_life, p_death = float(w[sp == LIFE].sum() / total), float(w[sp == DEATH].sum() / total)
    ok = ~np.isnan(t) & (sp == "")
    if not ok.any() or w[ok].sum() <= 0:
        return [np.nan, np.nan, np.nan, float(top_similarity), p_life, p_death]
    tv, tw = t[ok], w[ok]
    mean = float(np.average(tv, weights=tw))
    return [weighted_quantile(tv, tw, 0.5), mean, float(np.sqrt(np.average((tv - mean) ** 2, weights=tw))),
            float(top_similarity), p_life, p_death]


def neighbour_weights(sims: np.ndarray, closeness: Sequence[float], tau: float) -> np.ndarray:
    """Softmax of the similarities (temperature ``max(tau, spread/3)``) times feature closeness."""
    sims = np.asarray(sims, dtype=float)
    if len(sims) == 0:
        return sims
    t = max(tau, (sims[0] - sims[-1]) / 3)
    return np.exp((sims - sims[0]) / t) * np.asarray(closeness, dtype=float)


def _special(r: CaseRecord) -> str:
    return r.outcome if r.outcome in (LIFE, DEATH) else ""


@dataclass
class SentenceModel:
    """Stacked sentence model (see the module docstring).

    ``regressor`` predicts the conditional median of ``log1p(months)`` from the case features,
    a text regression and the statistics of the case's neighbours; ``scale`` predicts the
    size of its error (normalised conformal interval); ``special`` is the classifier of
    无期徒刑 / 死刑; ``window`` keeps, per charge, the out-of-fold predictions and true terms
    that the CAIL-tolerance decision looks at.
    """

    charge_codes: dict[str, int]
    regressor: Any
    charge_resid_q: dict[str, tuple[float, float]]
    global_resid_q: tuple[float, float]
    charge_median: dict[str, float]
    oof_residuals: dict[str, float] = field(default_factory=dict)
    #: conformal half-widths: level -> {charge: quantile of |out-of-fold residual|}, and pooled
    charge_abs_q: dict[float, dict[str, tuple[float, int]]] = field(default_factory=dict)
    global_abs_q: dict[float, float] = field(default_factory=dict)
    text: Any = None
    scale: Any = None
    #: level -> conformal quantile of |residual| / predicted scale
    scaled_q: dict[float, float] = field(default_factory=dict)
    special: Any = None
    window: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    global_median: float = 0.0
    #: stacked columns that were missing for every training case (zeroed at fit and predict)
    dead_columns: list[int] = field(default_factory=list)

    @staticmethod
    def _codes(records: Sequence[CaseRecord]) -> dict[str, int]:
        from collections import Counter

        counts = Counter(r.primary_charge for r in records if r.primary_charge)
        return {c: i for i, (c, _) in enumerate(counts.most_common(MAX_CHARGE_CODES))}

    @staticmethod
    def _regressor(loss: str = "absolute_error"):
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(loss=loss, learning_rate=0.08, max_iter=200,
                                             max_leaf_nodes=15, min_samples_leaf=8, l2_regularization=1.0,
                                             categorical_features=[0], random_state=0)

    @staticmethod
    def _classifier():
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(learning_rate=0.05, max_iter=150, max_leaf_nodes=15, min_samples_leaf=10,
                                              l2_regularization=1.0, categorical_features=[0], random_state=0)

    def _code(self, charges: Sequence[str]) -> int:
        return self.charge_codes.get(charges[0] if charges else "", len(self.charge_codes))

    def _base(self, feats: Sequence[CaseFeatures], charges: Sequence[Sequence[str]]) -> np.ndarray:
        return np.asarray([feature_vector(f, c, self._code(c)) for f, c in zip(feats, charges)], dtype=np.float64)

    def _charge_prior(self, charges: Sequence[Sequence[str]]) -> np.ndarray:
        return np.asarray([self.charge_median.get(c[0] if c else "", self.global_median) for c in charges])

    def _text_pred(self, texts: Sequence[str], charges: Sequence[Sequence[str]]) -> np.ndarray:
        if self.text is None:
            return np.full(len(texts), np.nan)
        vec, reg = self.text
        return reg.predict(vec.transform(list(texts))) + self._charge_prior(charges)

    @staticmethod
    def _text_vectoriser():
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
        from sklearn.pipeline import make_pipeline

        return make_pipeline(HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=TEXT_FEATURES,
                                               alternate_sign=False, norm=None),
                             TfidfTransformer(sublinear_tf=True))

    @classmethod
    def fit(cls, records: Sequence[CaseRecord], vectors: np.ndarray | None = None, folds: int = 5) -> "SentenceModel":
        """Fit on ``records`` (with their passage ``vectors`` for the neighbour statistics)."""
        from sklearn.model_selection import KFold
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return cls._fit(list(records), vectors, folds, KFold)

    @classmethod
    def _fit(cls, records: list[CaseRecord], vectors: np.ndarray | None, folds: int, KFold) -> "SentenceModel":
        from sklearn.linear_model import Ridge

        use = [i for i, r in enumerate(records) if _term_target(r) is not None]
        usable = [records[i] for i in use]
        model = cls(charge_codes=cls._codes(usable), regressor=None, charge_resid_q={}, global_resid_q=(-0.7, 0.7),
                    charge_median={})
        model.charge_median = _charge_medians(usable)
        if len(usable) < 20:
            return model
        y = np.asarray([_term_target(r) for r in usable])
        model.global_median = float(np.median(y))
        charges = [r.charges for r in usable]
        kf = KFold(n_splits=min(folds, len(usable)), shuffle=True, random_state=0)

        # text regression of the residual from the charge median (out-of-fold for the stack)
        text_col = np.full(len(usable), np.nan)
        if len(usable) >= 50:
            fit_rows = np.arange(len(usable))
            if len(fit_rows) > TEXT_MAX_RECORDS:
                fit_rows = np.random.default_rng(0).choice(fit_rows, TEXT_MAX_RECORDS, replace=False)
            vec = cls._text_vectoriser()
            xt = vec.fit_transform([usable[i].facts for i in fit_rows])
            target = y[fit_rows] - model._charge_prior([charges[i] for i in fit_rows])
            for tr, te in kf.split(fit_rows):
                text_col[fit_rows[te]] = Ridge(alpha=3.0).fit(xt[tr], target[tr]).predict(xt[te])
            text_col[fit_rows] += model._charge_prior([charges[i] for i in fit_rows])
            model.text = (vec, Ridge(alpha=3.0).fit(xt, target))

        stats = (_loo_stats(records, vectors) if vectors is not None
                 else np.full((len(records), 6), np.nan))
        x = np.hstack([model._base([r.features for r in usable], charges), text_col[:, None], stats[use, :4]])
        model.dead_columns = [int(c) for c in np.where(np.isnan(x).all(axis=0))[0]]
        x[:, model.dead_columns] = 0.0
        oof = np.zeros_like(y)
        for tr, te in kf.split(x):
            oof[te] = cls._regressor().fit(x[tr], y[tr]).predict(x[te])
        model.regressor = cls._regressor().fit(x, y)
        resid = y - oof
        model.oof_residuals = {r.id: float(e) for r, e in zip(usable, resid)}
        model.global_resid_q = (float(np.quantile(resid, 0.05)), float(np.quantile(resid, 0.95)))
        by_charge: dict[str, list[int]] = {}
        for i, r in enumerate(usable):
            by_charge.setdefault(r.primary_charge, []).append(i)
        model.charge_resid_q = {c: (float(np.quantile(resid[v], 0.05)), float(np.quantile(resid[v], 0.95)))
                                for c, v in by_charge.items() if len(v) >= 15}
        model.window = {c: (oof[v], y[v]) for c, v in by_charge.items()}
        model.window[""] = (oof, y)
        positive = y > 0
        model._calibrate({c: [float(resid[i]) for i in v if positive[i]] for c, v in by_charge.items()}, resid[positive])

        # error scale for the normalised interval, calibrated on its own out-of-fold predictions
        if positive.sum() >= 100:
            s_oof = np.zeros_like(y)
            for tr, te in kf.split(x):
                s_oof[te] = cls._regressor("squared_error").fit(x[tr], np.abs(resid[tr])).predict(x[te])
            model.scale = cls._regressor("squared_error").fit(x, np.abs(resid))
            ratio = np.abs(resid[positive]) / np.maximum(s_oof[positive], MIN_SCALE)
            model.scaled_q = {lv: _conformal(ratio, lv) for lv in COVERAGE_LEVELS}

        # 无期徒刑 / 死刑 classifier over every record
        special = np.asarray([_special(r) for r in records])
        if (special != "").sum() >= MIN_SPECIAL_CASES and len(set(special)) >= 2:
            xs = np.hstack([model._base([r.features for r in records], [r.charges for r in records]), stats[:, 4:]])
            model.special = cls._classifier().fit(xs, special)
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

    def half_width(self, charge: str, coverage: float, scale: float | None = None) -> float | None:
        """Calibrated half-width (log1p space) for ``charge`` at ``coverage``.

        With an error-scale model and the case's predicted ``scale``, the half-width is the
        conformal quantile of |residual| / scale times that scale (normalised conformal).
        Otherwise the charge's own conformal quantile is shrunk towards the pooled one with
        weight ``n / (n + CHARGE_SHRINK)``; charges with fewer than ``MIN_CHARGE_CALIBRATION``
        residuals use the pooled quantile alone. ``None`` when the model was never calibrated.
        """
        scaled = self.scaled_q
        if scale is not None and scaled:
            level = min(scaled, key=lambda lv: abs(lv - coverage))
            return scaled[level] * max(scale, MIN_SCALE)
        table = self.global_abs_q
        if not table:
            return None
        level = min(table, key=lambda lv: abs(lv - coverage))
        pooled = table[level]
        own = self.charge_abs_q.get(level, {}).get(charge)
        if own is None:
            return pooled
        q, n = own
        w = n / (n + CHARGE_SHRINK)
        return w * q + (1 - w) * pooled

    def row(self, text: str, f: CaseFeatures, charges: Sequence[str], stats: Sequence[float] | None) -> np.ndarray:
        """The stacked feature row of one case (``stats`` from :func:`neighbour_stats`)."""
        st = list(stats) if stats is not None else [np.nan] * 6
        x = np.hstack([self._base([f], [charges])[0], self._text_pred([text], [charges]), st[:4]])[None, :]
        x[:, self.dead_columns] = 0.0
        return x

    def predict(self, text: str, f: CaseFeatures, charges: Sequence[str],
                stats: Sequence[float] | None = None) -> "Prediction":
        """Median, error scale and 无期/死刑 probabilities of one case."""
        if self.regressor is None:
            return Prediction(self.charge_median.get(charges[0] if charges else ""), None, {})
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            x = self.row(text, f, charges, stats)
            median = float(self.regressor.predict(x)[0])
            scale = float(self.scale.predict(x)[0]) if self.scale is not None else None
            probs: dict[str, float] = {}
            if self.special is not None:
                st = list(stats) if stats is not None else [np.nan] * 6
                xs = np.hstack([self._base([f], [charges])[0], st[4:6]])[None, :]
                p = self.special.predict_proba(xs)[0]
                probs = {str(c): float(v) for c, v in zip(self.special.classes_, p) if c}
        return Prediction(median, scale, probs)

    def predict_log(self, f: CaseFeatures, charges: Sequence[str], text: str = "",
                    stats: Sequence[float] | None = None) -> float | None:
        return self.predict(text, f, charges, stats).median

    def decide_term(self, median: float, charge: str, window: int, margin: float) -> tuple[float, float]:
        """The sentence (log1p) most often right within the CAIL tolerance, and its expected score.

        Looks at the ``window`` cases of the same charge (all charges below 20) whose
        out-of-fold prediction was closest to ``median``, shifts their true terms by their
        errors, and picks the grid sentence with the highest mean tolerance score; the
        median stays unless another sentence beats it by ``margin``.
        """
        oof, y = self.window.get(charge) or (None, None)
        if oof is None or len(oof) < 20:
            oof, y = self.window.get("") or (None, None)
        if oof is None or len(oof) == 0:
            return median, float("nan")
        near = np.argsort(np.abs(oof - median))[:window]
        targets = median + (y[near] - oof[near])
        grid = np.log1p(np.asarray(SENTENCE_GRID, dtype=float))
        es = cail_tolerance_score(np.abs(targets[None, :] - grid[:, None])).mean(axis=1)
        at_median = float(cail_tolerance_score(np.abs(targets - median)).mean())
        ties = np.where(es >= es.max() - 1e-9)[0]
        best = int(ties[np.argmin(np.abs(grid[ties] - np.median(targets)))])
        if es[best] > at_median + margin:
            return float(grid[best]), float(es[best])
        return median, at_median

    def residuals(self, records: Sequence[CaseRecord]) -> dict[str, float]:
        out = {}
        for r in records:
            t, p = _term_target(r), self.predict_log(r.features, r.charges, r.facts)
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


MIN_SCALE = 0.05


@dataclass
class Prediction:
    """The sentence model's prediction: median log term, its error scale, and the special outcomes' probabilities."""

    median: float | None
    scale: float | None
    special: dict[str, float]


def _loo_stats(records: Sequence[CaseRecord], vectors: np.ndarray) -> np.ndarray:
    """:func:`neighbour_stats` of every record among the others sharing its primary charge
    (as the index's charge filter sees them), leaving the record itself out."""
    from index.records import normalise_charge

    vectors = np.asarray(vectors, dtype=np.float32)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        for c in {normalise_charge(c) for c in r.charges}:
            groups.setdefault(c, []).append(i)
    terms = [_term_target(r) for r in records]
    specials = [_special(r) for r in records]
    out = np.full((len(records), 6), np.nan)
    for i0 in range(0, len(records), 1024):
        block = range(i0, min(len(records), i0 + 1024))
        by_charge: dict[str, list[int]] = {}
        for i in block:
            by_charge.setdefault(normalise_charge(records[i].primary_charge), []).append(i)
        for c, rows_all in by_charge.items():
            members = np.asarray(groups.get(c, []))
            if len(members) <= 1:
                continue
            step = max(1, LOO_BLOCK_CELLS // len(members))
            for r0 in range(0, len(rows_all), step):
                rows = rows_all[r0:r0 + step]
                sims = vectors[rows] @ vectors[members].T
                _loo_rows(rows, sims, members, records, terms, specials, out)
    return out


def _loo_rows(rows, sims, members, records, terms, specials, out) -> None:
    """Fill ``out`` for ``rows`` from their similarity rows ``sims`` against ``members``."""
    kk = min(STACK_K, len(members) - 1)
    for k, i in enumerate(rows):
        s = sims[k].copy()
        s[members == i] = -np.inf
        top = np.argpartition(-s, kk - 1)[:kk]
        top = top[np.argsort(-s[top])]
        js = members[top]
        w = neighbour_weights(s[top], [_closeness(records[i].features, records[j].features) for j in js], STACK_TAU)
        out[i] = neighbour_stats([terms[j] for j in js], [specials[j] for j in js], w, float(s[top[0]]))


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
    alpha: float = 1.0
    #: CAIL-tolerance decision: cases looked at, and how much better a sentence must score
    mode_window: int = 30
    mode_margin: float = 0.05
    q_low: float = 0.025
    q_high: float = 0.975
    min_neighbours_band: int = 12
    neighbour_band_share: float = 0.5
    min_half_width: float = 0.25
    coverage: float = 0.97


@dataclass
class Neighbour:
    """A neighbour in the index with its similarity, weight and residual against the model."""

    record: CaseRecord
    similarity: float
    weight: float
    resid: float | None


@dataclass
class Assessment:
    """The similar-case assessment of one case: expected term and interval, the neighbours, the decision."""

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
    #: the interval's centre (the model's median); ``expected_log`` is the decided sentence
    centre_log: float | None = None
    scale: float | None = None
    expected_outcome: str | None = None
    special_probabilities: dict[str, float] = field(default_factory=dict)
    #: index cases sharing the query's charge (0 when the neighbours come from other charges)
    same_charge_cases: int = 0
    #: the median term (log1p months) of the index's cases of the charge: the charge-level yardstick
    charge_median_log: float | None = None

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
            "expected_outcome": self.expected_outcome,
            "special_outcome_probabilities": {k: round(v, 3) for k, v in self.special_probabilities.items()},
            "neighbour_median_months": r(None if self.neighbour_log is None else math.expm1(self.neighbour_log)),
            "actual_outcome": self.actual_outcome,
            "actual_outcome_class": outcome_class(self.actual_outcome, self.actual_months) if self.actual_outcome else None,
            "outcome_rates": {k: round(v, 3) for k, v in self.outcome_rates.items()},
            "neighbour_count": len(self.neighbours),
            "same_charge_cases": self.same_charge_cases,
            "charge_median_months": r(None if self.charge_median_log is None else math.expm1(self.charge_median_log)),
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
    same_charge = 0 if rows is None else len(rows)
    if rows is not None and len(rows) == 0:
        notes.append(f"索引中没有“{charge}”的案例，类案取自全部罪名，不作偏离判断。")
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
    pred = None
    if model is not None:
        stack = neighbours[:STACK_K]
        stats = None
        if stack:
            recs = [n.record for n in stack]
            w = neighbour_weights(np.asarray([n.similarity for n in stack]),
                                  [_closeness(features, r.features) for r in recs], STACK_TAU)
            stats = neighbour_stats([_term_target(r) for r in recs], [_special(r) for r in recs], w, stack[0].similarity)
        pred = model.predict(facts or "", features, list(charges), stats)
    model_log = pred.median if pred is not None else None
    if model_log is not None and nb_log is not None:
        centre = params.alpha * model_log + (1 - params.alpha) * nb_log
    else:
        centre = model_log if model_log is not None else nb_log
    expected = centre
    term_score = None
    if centre is not None and model is not None and params.mode_window:
        expected, term_score = model.decide_term(centre, charge, params.mode_window, params.mode_margin)
    special_probs = dict(pred.special) if pred is not None else {}
    expected_outcome = None
    if special_probs:
        p_term = max(0.0, 1.0 - sum(special_probs.values()))
        ts = term_score if term_score is not None and not math.isnan(term_score) else 0.5
        best = max(special_probs, key=special_probs.get)
        if special_probs[best] > p_term * ts:
            expected_outcome = best

    interval = None
    half = None
    if centre is not None:
        res = [(n.resid, n.weight) for n in neighbours if n.resid is not None]
        band = model.resid_band(charge) if model is not None else None
        if model is not None:
            half = model.half_width(charge, params.coverage, pred.scale)
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
            lo = weighted_quantile([t for t, _ in term], [w for _, w in term], params.q_low) - centre
            hi = weighted_quantile([t for t, _ in term], [w for _, w in term], params.q_high) - centre
        else:
            lo, hi = -0.7, 0.7
        interval = (centre + min(lo, -params.min_half_width), centre + max(hi, params.min_half_width))
        expected = min(max(expected, interval[0]), interval[1])
    if not neighbours:
        notes.append("索引中没有可比较的类案。")
    return Assessment(charge=charge, expected_log=expected, interval_log=interval, model_log=model_log,
                      neighbour_log=nb_log, actual_months=actual_months, actual_outcome=actual_outcome,
                      neighbours=neighbours, outcome_rates=rates, query_features=features,
                      embedder=index.info.get("identity", ""), params=params, notes=notes,
                      calibrated=half is not None, centre_log=centre,
                      scale=pred.scale if pred is not None else None,
                      expected_outcome=expected_outcome, special_probabilities=special_probs,
                      same_charge_cases=same_charge,
                      charge_median_log=model.charge_median.get(charge) if model is not None and same_charge else None)
