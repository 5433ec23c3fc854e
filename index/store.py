"""The on-disk similar-case index: FAISS vectors + SQLite metadata, charge-filtered search.

Layout of an index folder::

    meta.sqlite3    info (embedder, sizes, parameters), cases (one row per record, row id =
                    vector id), case_charges (row id → normalised 罪名)
    vectors.npy     float32 [N, dim], L2-normalised, the vectors in row-id order
    index.faiss     the FAISS index over all vectors
    lexical.pkl     the fitted lexical embedder (only when the index was built with it)
    model.pkl       the fitted sentence model of :mod:`index.deviation`

FAISS index choice (by size, at build and whenever an incremental add crosses it):

* N ≤ ``FLAT_MAX`` (50,000): ``IndexFlatIP`` — exact inner product (= cosine).
* N > ``FLAT_MAX``: ``IndexIVFFlat`` with inner product, ``nlist = 2·√N`` inverted lists
  (2,000 at 1M), k-means trained on ``min(N, 40·nlist)`` sampled vectors (10 iterations),
  ``nprobe = 16`` (64 for charge-filtered searches). Incremental adds go into the trained
  lists without retraining; rebuild when the corpus has grown several-fold. (HNSW was
  measured too: its build took about 4 minutes per 100k vectors on 2 shared cores, IVF
  builds 1M in a fraction of that.)

Charge filtering: the row ids of the charge (selective-charge sub-forms included, see
:func:`index.records.charge_matches`) come from SQLite. Up to ``EXACT_SUBSET_MAX``
(2,000) ids are scored exactly against their rows of ``vectors.npy`` (memory-mapped);
larger partitions are searched in FAISS with an ``IDSelectorBatch``. Unfiltered queries use the FAISS index directly.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import faiss
import numpy as np

from index.embed import (CachedEmbedder, EmbedderError, LexicalEmbedder, SentenceTransformerEmbedder,
                         embedder_info)
from index.records import CaseRecord, charge_matches, normalise_charge

FLAT_MAX = 50_000
EXACT_SUBSET_MAX = 2_000
IVF_NPROBE = 16
IVF_NPROBE_FILTERED = 64
IVF_TRAIN_PER_LIST = 40
IVF_NITER = 10
#: 2: stacked sentence model (text ridge, neighbour statistics, error scale, 无期/死刑 classifier)
FORMAT_VERSION = 2


class IndexError_(RuntimeError):
    """The index cannot be built, loaded or queried (message in Chinese)."""


IndexStoreError = IndexError_


@dataclass
class Hit:
    """One search result: the row, the similarity and the case record."""

    row: int
    similarity: float
    record: CaseRecord


def make_faiss_index(vectors: np.ndarray) -> faiss.Index:
    """Flat for small corpora, IVF for large (parameters in the module docstring)."""
    n, d = vectors.shape
    if n <= FLAT_MAX:
        idx = faiss.IndexFlatIP(d)
    else:
        nlist = int(2 * np.sqrt(n))
        idx = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        idx.cp.niter = IVF_NITER
        rng = np.random.default_rng(0)
        sample = vectors[np.sort(rng.choice(n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False))]
        idx.train(np.ascontiguousarray(sample, dtype=np.float32))
        idx.nprobe = IVF_NPROBE
    if n:
        idx.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return idx


_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS cases (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE, charges TEXT, outcome TEXT, sentence_months REAL,
    fine_yuan REAL, suspended INTEGER, source TEXT, facts TEXT, features TEXT, resid REAL);
CREATE TABLE IF NOT EXISTS case_charges (row INTEGER, charge TEXT);
CREATE INDEX IF NOT EXISTS case_charges_charge ON case_charges(charge);
"""


class SimilarIndex:
    """An open index folder. Build with :meth:`build`, open with :meth:`load`."""

    def __init__(self, path: Path, embedder, faiss_index: faiss.Index, vectors: np.ndarray,
                 db: sqlite3.Connection, info: dict) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self.faiss = faiss_index
        self.vectors = vectors
        self.db = db
        self.info = info
        self._charges: dict[str, list[int]] | None = None
        self._records: dict[int, tuple[CaseRecord, float | None]] = {}
        self.model = None

    # --- building ---------------------------------------------------------------------
    @classmethod
    def build(cls, records: Sequence[CaseRecord], out: str | Path, embedder, progress=None,
              batch_size: int = 32, fit_model: bool = True) -> "SimilarIndex":
        """Embed the records' facts, write a new index folder (replacing an old one)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("meta.sqlite3", "vectors.npy", "index.faiss", "lexical.pkl", "model.pkl"):
            (out / name).unlink(missing_ok=True)
        if not records:
            raise IndexError_("没有可建立索引的案例。")
        if isinstance(embedder, LexicalEmbedder) and not embedder.fitted:
            embedder.fit([r.facts for r in records])
        vecs = embedder.encode_passages([r.facts for r in records], batch_size=batch_size, progress=progress)
        db = sqlite3.connect(str(out / "meta.sqlite3"))
        db.executescript(_SCHEMA)
        info = embedder_info(embedder.inner if isinstance(embedder, CachedEmbedder) else embedder)
        info.update(format=FORMAT_VERSION, created=time.strftime("%Y-%m-%dT%H:%M:%S"))
        db.executemany("INSERT INTO info VALUES (?, ?)", [(k, json.dumps(v, ensure_ascii=False)) for k, v in info.items()])
        idx = cls(out, embedder, make_faiss_index(vecs), vecs, db, info)
        idx._insert(records, 0)
        if isinstance(embedder, LexicalEmbedder):
            embedder.save(out / "lexical.pkl")
        if fit_model:
            from index.deviation import SentenceModel

            idx.model = SentenceModel.fit(records, vecs)
            idx.model.save(out / "model.pkl")
            idx._store_residuals(records, idx.model.oof_residuals)
        idx._save_arrays()
        db.commit()
        return idx

    def _insert(self, records: Sequence[CaseRecord], start: int) -> None:
        rows, charge_rows = [], []
        for i, r in enumerate(records):
            row = start + i
            rows.append((row, r.id, json.dumps(r.charges, ensure_ascii=False), r.outcome, r.sentence_months,
                         r.fine_yuan, int(r.suspended), r.source, r.facts,
                         json.dumps(r.features.to_json(), ensure_ascii=False), None))
            charge_rows.extend((row, normalise_charge(c)) for c in r.charges)
        try:
            self.db.executemany("INSERT INTO cases VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        except sqlite3.IntegrityError as exc:
            raise IndexError_(f"案例编号重复，无法加入索引：{exc}") from exc
        self.db.executemany("INSERT INTO case_charges VALUES (?, ?)", charge_rows)
        self._charges = None

    def _store_residuals(self, records: Sequence[CaseRecord], resid: dict[str, float]) -> None:
        self.db.executemany("UPDATE cases SET resid = ? WHERE id = ?",
                            [(resid.get(r.id), r.id) for r in records])
        self._records.clear()

    def _save_arrays(self) -> None:
        np.save(self.path / "vectors.npy", self.vectors)
        faiss.write_index(self.faiss, str(self.path / "index.faiss"))
        self.db.execute("INSERT OR REPLACE INTO info VALUES ('size', ?)", (json.dumps(int(self.vectors.shape[0])),))
        self.db.execute("INSERT OR REPLACE INTO info VALUES ('faiss', ?)", (json.dumps(type(self.faiss).__name__),))
        self.db.commit()

    def add(self, records: Sequence[CaseRecord], progress=None, batch_size: int = 32) -> int:
        """Incrementally add records (new ids only); the index type is re-chosen by the new size."""
        known = {r[0] for r in self.db.execute("SELECT id FROM cases")}
        new = [r for r in records if r.id not in known]
        if not new:
            return 0
        vecs = self.embedder.encode_passages([r.facts for r in new], batch_size=batch_size, progress=progress)
        start = int(self.vectors.shape[0])
        self._insert(new, start)
        self.vectors = np.vstack([np.asarray(self.vectors), vecs]).astype(np.float32)
        if isinstance(self.faiss, faiss.IndexFlatIP) and self.vectors.shape[0] > FLAT_MAX:
            self.faiss = make_faiss_index(self.vectors)
        else:
            self.faiss.add(np.ascontiguousarray(vecs, dtype=np.float32))
        if self.model is not None:
            self._store_residuals(new, self.model.residuals(new))
        self._save_arrays()
        return len(new)

    # --- loading ----------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, embedder=None, model_path: str | Path | None = None,
             backend: str = "torch", cache_dir: str | Path | None = None) -> "SimilarIndex":
        """Open an index folder. Without ``embedder`` the one that built it is loaded
        (the lexical one from the folder, a model folder from ``model_path`` or the recorded path)."""
        p = Path(path)
        if not (p / "meta.sqlite3").is_file() or not (p / "index.faiss").is_file():
            raise IndexError_(f"类案索引目录无效或不完整：{p}（请先运行 assistant index build）")
        db = sqlite3.connect(str(p / "meta.sqlite3"), check_same_thread=False)
        info = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM info")}
        if info.get("format") != FORMAT_VERSION:
            db.close()
            raise IndexError_(f"类案索引由旧版本建立（格式 {info.get('format')}，当前为 {FORMAT_VERSION}）：{p}，"
                              "请用 assistant index build 重新建立。")
        if embedder is None:
            if str(info.get("identity", "")).startswith("lexical:"):
                embedder = LexicalEmbedder.load(p / "lexical.pkl")
            else:
                mp = Path(model_path or info.get("model_path", ""))
                try:
                    embedder = SentenceTransformerEmbedder(mp, backend=backend, cache_dir=cache_dir,
                                                           max_seq_length=int(info.get("max_seq_length") or 256))
                except EmbedderError as exc:
                    raise IndexError_(f"无法加载建立该索引的向量模型：{exc}") from exc
        check_embedder(info, embedder)
        vectors = np.load(p / "vectors.npy", mmap_mode="r")
        idx = cls(p, embedder, faiss.read_index(str(p / "index.faiss")), vectors, db, info)
        if (p / "model.pkl").is_file():
            from index.deviation import SentenceModel

            idx.model = SentenceModel.load(p / "model.pkl")
        return idx

    # --- querying ---------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def charges(self) -> dict[str, list[int]]:
        if self._charges is None:
            out: dict[str, list[int]] = {}
            for row, charge in self.db.execute("SELECT row, charge FROM case_charges"):
                out.setdefault(charge, []).append(row)
            self._charges = out
        return self._charges

    def rows_for_charge(self, charge: str) -> np.ndarray:
        """Row ids whose charges match ``charge`` (selective-charge sub-forms included)."""
        table = self.charges()
        name = normalise_charge(charge)
        rows: set[int] = set(table.get(name, []))
        if not rows:
            for stored, ids in table.items():
                if charge_matches(name, stored):
                    rows.update(ids)
        return np.fromiter(sorted(rows), dtype=np.int64)

    def search_vectors(self, q: np.ndarray, k: int = 10, rows: np.ndarray | None = None,
                       exclude: Iterable[int] = ()) -> list[tuple[int, float]]:
        """Nearest rows of one query vector, optionally restricted to ``rows``."""
        q = np.ascontiguousarray(q.reshape(1, -1), dtype=np.float32)
        excl = set(exclude)
        want = k + len(excl)
        if rows is not None:
            if len(rows) == 0:
                return []
            if len(rows) <= EXACT_SUBSET_MAX:
                sims = np.asarray(self.vectors[rows]) @ q[0]
                top = np.argsort(-sims)[: want]
                pairs = [(int(rows[i]), float(sims[i])) for i in top]
            else:
                sel = faiss.IDSelectorBatch(rows)
                if isinstance(self.faiss, faiss.IndexIVF):
                    params = faiss.SearchParametersIVF(sel=sel, nprobe=IVF_NPROBE_FILTERED)
                else:
                    params = faiss.SearchParameters(sel=sel)
                d, i = self.faiss.search(q, want, params=params)
                pairs = [(int(r), float(s)) for r, s in zip(i[0], d[0]) if r >= 0]
        else:
            d, i = self.faiss.search(q, want)
            pairs = [(int(r), float(s)) for r, s in zip(i[0], d[0]) if r >= 0]
        return [(r, s) for r, s in pairs if r not in excl][:k]

    def record(self, row: int) -> tuple[CaseRecord, float | None]:
        """The stored record of a row and its model residual (cached after the first read)."""
        hit = self._records.get(int(row))
        if hit is not None:
            return hit
        cur = self.db.execute("SELECT id, charges, outcome, sentence_months, fine_yuan, suspended, source, facts, "
                              "features, resid FROM cases WHERE row = ?", (int(row),))
        r = cur.fetchone()
        if r is None:
            raise IndexError_(f"索引中不存在第 {row} 条案例。")
        from index.features import CaseFeatures

        rec = CaseRecord(id=r[0], charges=json.loads(r[1]), facts=r[7], outcome=r[2], sentence_months=r[3],
                         fine_yuan=r[4], suspended=bool(r[5]), source=r[6],
                         features=CaseFeatures.from_json(json.loads(r[8])))
        if len(self._records) > 200_000:
            self._records.clear()
        self._records[int(row)] = (rec, r[9])
        return rec, r[9]

    def search(self, text: str, charge: str | None = None, k: int = 10,
               exclude_ids: Iterable[str] = ()) -> list[Hit]:
        """Neighbours of a fact text, restricted to a charge when given."""
        q = self.embedder.encode_queries([text])[0]
        rows = self.rows_for_charge(charge) if charge else None
        excl = self._rows_of_ids(exclude_ids)
        return [Hit(row=r, similarity=s, record=self.record(r)[0])
                for r, s in self.search_vectors(q, k=k, rows=rows, exclude=excl)]

    def _rows_of_ids(self, ids: Iterable[str]) -> set[int]:
        ids = list(ids)
        if not ids:
            return set()
        q = "SELECT row FROM cases WHERE id IN (%s)" % ",".join("?" * len(ids))
        return {r[0] for r in self.db.execute(q, ids)}


def check_embedder(info: dict, embedder) -> None:
    """Refuse an embedder whose identity differs from the one that built the index."""
    inner = embedder.inner if isinstance(embedder, CachedEmbedder) else embedder
    built = info.get("identity")
    if built != inner.identity or int(info.get("dim", -1)) != int(inner.dim):
        raise IndexError_(f"向量模型不一致：该索引由 {built}（{info.get('dim')} 维）建立，"
                          f"当前为 {inner.identity}（{inner.dim} 维）。请使用同一模型查询，或用当前模型重建索引。")
