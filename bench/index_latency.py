"""Index latency and throughput: FAISS build/query on synthetic vectors, embedding texts/s.

Prints one JSON object:

* for each size (default 100k and 1M random unit vectors of the model's dimension, 384):
  the index type chosen by :func:`index.store.make_faiss_index`, build seconds and
  vectors/s, load seconds (write + read back), and single-query latency p50/p99 (ms) over
  ``--queries`` queries, unfiltered and charge-filtered (a 2 % partition through
  ``IDSelectorBatch`` and a 0.5 % partition scored exactly), plus recall@10 against exact
  search for the unfiltered IVF case;
* embedding throughput (texts/s) of the model with fp32 torch and ONNX int8 on the first
  ``--texts`` CAIL2018 facts, and their mean/min cosine agreement.

Usage::

    python bench/index_latency.py [--sizes 100000,1000000] [--texts 64] [--no-embed]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import store  # noqa: E402


def _pct(xs, q):
    return round(float(np.percentile(np.asarray(xs) * 1000, q)), 3)


class _Holder(store.SimilarIndex):
    """A SimilarIndex over bare vectors (no SQLite rows) for timing the search paths."""

    def __init__(self, faiss_index, vectors):
        self.faiss, self.vectors = faiss_index, vectors


def bench_size(n: int, dim: int, queries: int, rng) -> dict:
    centres = rng.standard_normal((max(16, n // 500), dim), dtype=np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    t = time.perf_counter()
    idx = store.make_faiss_index(x)
    build = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        faiss.write_index(idx, f"{tmp}/i.faiss")
        idx = faiss.read_index(f"{tmp}/i.faiss")
        load = time.perf_counter() - t
    h = _Holder(idx, x)
    q = x[rng.integers(0, n, queries)] + 0.02 * rng.standard_normal((queries, dim), dtype=np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    out = {"n": n, "index": type(idx).__name__, "build_s": round(build, 2), "build_vectors_per_s": round(n / build),
           "write_read_s": round(load, 2)}
    for name, rows in (("unfiltered", None),
                       ("charge_2pct_idselector", np.sort(rng.choice(n, max(store.EXACT_SUBSET_MAX + 1, n // 50), replace=False))),
                       ("charge_0.5pct_exact", np.sort(rng.choice(n, min(store.EXACT_SUBSET_MAX, n // 200), replace=False)))):
        lat = []
        for v in q:
            t = time.perf_counter()
            h.search_vectors(v, k=10, rows=rows)
            lat.append(time.perf_counter() - t)
        out[name] = {"p50_ms": _pct(lat, 50), "p99_ms": _pct(lat, 99), "rows": None if rows is None else int(len(rows))}
    if isinstance(idx, faiss.IndexIVF):
        flat = faiss.IndexFlatIP(dim)
        flat.add(x)
        _, gt = flat.search(q[:100], 10)
        _, got = idx.search(q[:100], 10)
        out["recall_at_10"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(gt, got)])), 4)
    return out


def bench_embed(model: str, n_texts: int, cases: str) -> dict:
    from index.embed import SentenceTransformerEmbedder

    texts = [json.loads(line)["fact"] for _, line in zip(range(n_texts), open(cases, encoding="utf-8"))]
    out = {"texts": len(texts), "mean_chars": round(float(np.mean([len(t) for t in texts])))}
    vecs = {}
    for backend in ("torch", "onnx-int8"):
        emb = SentenceTransformerEmbedder(model, backend=backend)
        emb.encode_passages(texts[:4])
        t = time.perf_counter()
        vecs[backend] = emb.encode_passages(texts, batch_size=16)
        dt = time.perf_counter() - t
        out[backend] = {"texts_per_s": round(len(texts) / dt, 2), "max_seq_length": emb.max_seq_length}
    cos = (vecs["torch"] * vecs["onnx-int8"]).sum(1)
    out["cosine_fp32_vs_int8"] = {"mean": round(float(cos.mean()), 4), "min": round(float(cos.min()), 4)}
    out["speedup"] = round(out["onnx-int8"]["texts_per_s"] / out["torch"]["texts_per_s"], 2)
    return out


def main() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--model", default=str(shared / "models" / "multilingual-e5-small-zh"))
    ap.add_argument("--cases", default=str(shared / "data" / "cail2018" / "cases.jsonl"))
    ap.add_argument("--no-embed", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    result = {"faiss_threads": faiss.omp_get_max_threads(),
              "sizes": [bench_size(int(s), args.dim, args.queries, rng) for s in args.sizes.split(",") if s]}
    if not args.no_embed:
        result["embedding"] = bench_embed(args.model, args.texts, args.cases)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
