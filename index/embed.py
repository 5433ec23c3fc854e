"""Text embedders for the similar-case index.

Three embedders share one small interface (:class:`Embedder`): ``identity`` (what built
the vectors; an index refuses queries from an embedder with another identity), ``dim``,
``encode_passages`` (texts to index) and ``encode_queries`` (texts to search with). All
return L2-normalised float32 rows, so inner product is cosine similarity.

* :class:`SentenceTransformerEmbedder` — any sentence-transformers folder (default the
  shared ``multilingual-e5-small-zh``), loaded offline (``HF_HUB_OFFLINE=1``). The e5
  ``query: `` / ``passage: `` prompts are used through ``prompt_name`` when the folder
  defines them. Facts are truncated to ``max_seq_length`` tokens (default 256: a judgment's
  fact section names the conduct, amount and circumstances early).
* The same model on an accelerated path (``backend="onnx-int8"``): the transformer is
  exported with ``torch.onnx`` (TorchScript exporter), dynamically quantised to int8 with
  onnxruntime, cached under ``cache_dir`` (never inside the repository) and run with
  onnxruntime; pooling and normalisation follow the folder's pooling config (mean or CLS).
  Its vectors live in the same space as fp32 (cosine ≈ 0.99), so it shares the identity.
* :class:`LexicalEmbedder` — the documented fallback when no model folder is available:
  character 1–3-gram TF-IDF (sublinear tf) reduced by TruncatedSVD to ``dim`` components
  and normalised (latent semantic analysis). It is fitted on the indexed corpus and saved
  with the index; its identity carries a fingerprint of the fitted vocabulary.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from models.settings import Settings, thread_limit

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

log = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 256


def _env_threads() -> int:
    """``OMP_NUM_THREADS`` as a positive int, else 0 (:func:`models.settings.thread_limit`)."""
    return thread_limit()


class EmbedderError(RuntimeError):
    """The embedder could not be loaded or used (message in Chinese)."""


class Embedder(Protocol):
    """What the index needs of a text embedder: an identity, a dimension and passage/query encoding."""

    identity: str
    dim: int
    backend: str

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, progress=None) -> np.ndarray: ...

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return x / n


def model_fingerprint(path: Path) -> str:
    """A short fingerprint of a model folder: its config files and weight sizes."""
    h = hashlib.sha1()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            rel = p.relative_to(path).as_posix()
            h.update(rel.encode())
            if p.suffix == ".json" and p.stat().st_size < 100_000:
                h.update(p.read_bytes())
            else:
                h.update(str(p.stat().st_size).encode())
    return h.hexdigest()[:12]


def default_cache_dir() -> Path:
    """``ASSISTANT_CACHE_DIR`` or ``~/.cache/pingcha-assistant`` (exported ONNX models, embedding caches)."""
    return Settings().cache_path


class SentenceTransformerEmbedder:
    """A sentence-transformers model folder, fp32 torch or ONNX int8 (see module docstring)."""

    def __init__(self, path: str | Path, backend: str = "torch", max_seq_length: int = DEFAULT_MAX_TOKENS,
                 cache_dir: str | Path | None = None, threads: int | None = None) -> None:
        self.path = Path(path)
        if not (self.path / "modules.json").is_file() and not (self.path / "config.json").is_file():
            raise EmbedderError(f"找不到向量模型目录或目录不是 sentence-transformers 模型：{self.path}"
                                "（可通过环境变量 ASSISTANT_EMBED_MODEL 指定）")
        if backend not in ("torch", "onnx-int8"):
            raise EmbedderError(f"不支持的向量计算后端：{backend}（可选 torch 或 onnx-int8）")
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except Exception as exc:  # broken folder, missing weights
            raise EmbedderError(f"无法加载向量模型 {self.path}：{type(exc).__name__}: {exc}") from exc
        self.model.max_seq_length = min(max_seq_length, self.model.max_seq_length or max_seq_length)
        self.max_seq_length = self.model.max_seq_length
        self.dim = int(self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension")
                       else self.model.get_sentence_embedding_dimension())
        self.prompts = dict(getattr(self.model, "prompts", {}) or {})
        self.identity = f"st:{self.path.name}:{model_fingerprint(self.path)}:{self.dim}"
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._session = None
        if backend == "onnx-int8":
            self._session = self._load_onnx(threads)

    # --- prompts ------------------------------------------------------------------------
    def _prompt(self, name: str) -> str:
        return self.prompts.get(name, "")

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, progress=None) -> np.ndarray:
        return self._encode(list(texts), "passage", batch_size, progress)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(list(texts), "query", batch_size, None)

    def _encode(self, texts: list[str], prompt: str, batch_size: int, progress) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for i in range(0, len(texts), batch_size):
            chunk = texts[i:i + batch_size]
            if self._session is None:
                kw = {"prompt_name": prompt} if prompt in self.prompts else {}
                vec = self.model.encode(chunk, batch_size=batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False, **kw)
            else:
                vec = self._encode_onnx([self._prompt(prompt) + t for t in chunk])
            out.append(np.asarray(vec, dtype=np.float32))
            if progress:
                progress(min(i + batch_size, len(texts)), len(texts))
        return _normalise(np.vstack(out))

    # --- ONNX int8 ----------------------------------------------------------------------
    def onnx_path(self) -> Path:
        return self.cache_dir / "onnx" / f"{self.path.name}-{model_fingerprint(self.path)}" / "model-int8.onnx"

    def _load_onnx(self, threads: int | None):
        import onnxruntime as ort

        target = self.onnx_path()
        if not target.is_file():
            export_onnx_int8(self.model, target)
        opts = ort.SessionOptions()
        # a process told to keep to one core (batch workers set OMP_NUM_THREADS=1) gets one thread:
        # onnxruntime does not read that variable, and its idle pool threads spin on the other core
        opts.intra_op_num_threads = threads or _env_threads() or max(1, os.cpu_count() or 1)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            return ort.InferenceSession(str(target), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise EmbedderError(f"无法加载 ONNX 加速模型 {target}：{exc}") from exc

    def _encode_onnx(self, texts: list[str]) -> np.ndarray:
        tok = self.model.tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length,
                                   return_tensors="np")
        feeds = {i.name: tok[i.name].astype(np.int64) for i in self._session.get_inputs() if i.name in tok}
        if "token_type_ids" in {i.name for i in self._session.get_inputs()} and "token_type_ids" not in feeds:
            feeds["token_type_ids"] = np.zeros_like(tok["input_ids"], dtype=np.int64)
        hidden = self._session.run(None, feeds)[0]
        mask = tok["attention_mask"].astype(np.float32)[..., None]
        if _pooling_mode(self.model) == "cls":
            pooled = hidden[:, 0]
        else:
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return _normalise(pooled)


def _pooling_mode(model) -> str:
    for m in model:
        if type(m).__name__ == "Pooling":
            cfg = m.get_config_dict() if hasattr(m, "get_config_dict") else {}
            if cfg.get("pooling_mode_cls_token"):
                return "cls"
    return "mean"


def export_onnx_int8(model, target: Path) -> Path:
    """Export a sentence-transformers model's transformer to ONNX and quantise it to int8."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    hf = model[0].auto_model.eval()
    tok = model.tokenizer(["样例文本 sample"], return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tok]

    class Wrapper(torch.nn.Module):
        """The transformer with its pooling, as one module for the ONNX export."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return self.inner(**dict(zip(names, args))).last_hidden_state

    fp32 = target.with_name("model-fp32.onnx")
    axes = {n: {0: "batch", 1: "seq"} for n in names}
    axes["hidden"] = {0: "batch", 1: "seq"}
    try:
        with torch.no_grad():
            torch.onnx.export(Wrapper(hf), tuple(tok[n] for n in names), str(fp32), input_names=names,
                              output_names=["hidden"], dynamic_axes=axes, opset_version=17, dynamo=False)
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8)
    except Exception as exc:
        raise EmbedderError(f"导出 ONNX 加速模型失败：{type(exc).__name__}: {exc}") from exc
    finally:
        fp32.unlink(missing_ok=True)
        for extra in fp32.parent.glob("model-fp32.onnx*"):
            extra.unlink(missing_ok=True)
    return target


class LexicalEmbedder:
    """Character n-gram TF-IDF + TruncatedSVD (LSA); the fallback when no model folder is usable."""

    backend = "lexical"

    def __init__(self, dim: int = 256, ngram_range: tuple[int, int] = (1, 3), max_features: int = 200_000) -> None:
        self.requested_dim = dim
        self.ngram_range = ngram_range
        self.max_features = max_features
        self.vectorizer = None
        self.svd = None
        self.dim = dim
        self.identity = "lexical:unfitted"

    @property
    def fitted(self) -> bool:
        return self.vectorizer is not None

    def fit(self, texts: Sequence[str]) -> "LexicalEmbedder":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = list(texts)
        if not texts:
            raise EmbedderError("没有可用于训练词法向量的案情文本。")
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=self.ngram_range, sublinear_tf=True,
                                          min_df=1, max_features=self.max_features, dtype=np.float32)
        x = self.vectorizer.fit_transform(texts)
        k = max(1, min(self.requested_dim, x.shape[0] - 1, x.shape[1] - 1))
        self.svd = TruncatedSVD(n_components=k, random_state=0)
        self.svd.fit(x)
        # stored as float16 (half the file: 256 × 200k components are 205 MB in float32); rounded
        # here already so that vectors encoded before and after a save/load are identical
        self.svd.components_ = self.svd.components_.astype(np.float16).astype(np.float32)
        self.dim = k
        vocab_hash = hashlib.sha1("\n".join(sorted(self.vectorizer.vocabulary_)).encode()).hexdigest()[:10]
        self.identity = f"lexical:tfidf-char{self.ngram_range[0]}{self.ngram_range[1]}-svd{k}:{vocab_hash}"
        return self

    def _transform(self, texts: Sequence[str]) -> np.ndarray:
        if not self.fitted:
            raise EmbedderError("词法向量器尚未训练。")
        return _normalise(self.svd.transform(self.vectorizer.transform(list(texts))))

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, progress=None) -> np.ndarray:
        out = self._transform(texts)
        if progress:
            progress(len(out), len(out))
        return out

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self._transform(texts)

    def save(self, path: Path) -> None:
        full = self.svd.components_
        try:
            self.svd.components_ = full.astype(np.float16)
            with open(path, "wb") as fh:
                pickle.dump({"vectorizer": self.vectorizer, "svd": self.svd, "dim": self.dim,
                             "identity": self.identity, "ngram_range": self.ngram_range}, fh)
        finally:
            self.svd.components_ = full

    @classmethod
    def load(cls, path: Path) -> "LexicalEmbedder":
        with open(path, "rb") as fh:
            data = pickle.load(fh)
        obj = cls(dim=data["dim"], ngram_range=tuple(data["ngram_range"]))
        obj.vectorizer, obj.svd, obj.dim, obj.identity = data["vectorizer"], data["svd"], data["dim"], data["identity"]
        obj.svd.components_ = np.asarray(obj.svd.components_, dtype=np.float32)
        return obj


def load_embedder(model_path: str | Path | None, backend: str = "torch", cache_dir: str | Path | None = None,
                  max_seq_length: int = DEFAULT_MAX_TOKENS) -> tuple[object, list[str]]:
    """The configured sentence-transformers embedder, or an unfitted lexical one with a Chinese warning."""
    if model_path:
        p = Path(model_path)
        if p.exists():
            try:
                return SentenceTransformerEmbedder(p, backend=backend, cache_dir=cache_dir,
                                                   max_seq_length=max_seq_length), []
            except EmbedderError as exc:
                return LexicalEmbedder(), [f"{exc}；已改用词法向量（字符 n-gram TF-IDF + SVD），类案检索质量会下降。"]
        return LexicalEmbedder(), [f"找不到向量模型目录 {p}，已改用词法向量（字符 n-gram TF-IDF + SVD），类案检索质量会下降。"]
    return LexicalEmbedder(), ["未配置向量模型，已使用词法向量（字符 n-gram TF-IDF + SVD）。"]


def embedder_info(emb) -> dict:
    """What the index stores about the embedder that built it."""
    info = {"identity": emb.identity, "dim": int(emb.dim), "backend": emb.backend}
    if isinstance(emb, SentenceTransformerEmbedder):
        info.update(model_path=str(emb.path), max_seq_length=emb.max_seq_length)
    return info


def dumps_info(info: dict) -> str:
    return json.dumps(info, ensure_ascii=False, sort_keys=True)


class CachedEmbedder:
    """Wraps an embedder with an on-disk cache of passage vectors (SQLite, keyed by text hash).

    Used by benchmarks and repeated builds over the same corpus; the cache file lives under
    the cache directory (outside the repository) and is keyed by identity, backend and
    token limit, so vectors from different embedders never mix.
    """

    def __init__(self, inner, cache_dir: str | Path | None = None) -> None:
        import sqlite3

        self.inner = inner
        self.identity, self.dim, self.backend = inner.identity, inner.dim, inner.backend
        key = hashlib.sha1(f"{inner.identity}|{inner.backend}|{getattr(inner, 'max_seq_length', '')}".encode()).hexdigest()[:16]
        root = Path(cache_dir) if cache_dir else default_cache_dir()
        root.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(root / f"emb-{key}.sqlite3"))
        self.db.execute("CREATE TABLE IF NOT EXISTS v (h TEXT PRIMARY KEY, kind TEXT, vec BLOB)")

    def _cached(self, texts: Sequence[str], kind: str, fn, batch_size: int, progress=None) -> np.ndarray:
        hashes = [hashlib.sha1(f"{kind}|{t}".encode()).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            q = "SELECT h, vec FROM v WHERE h IN (%s)" % ",".join("?" * len(chunk))
            for h, blob in self.db.execute(q, chunk):
                found[h] = np.frombuffer(blob, dtype=np.float32)
        todo = [i for i, h in enumerate(hashes) if h not in found]
        done0 = len(texts) - len(todo)
        for start in range(0, len(todo), 64):
            idx = todo[start:start + 64]
            vecs = fn([texts[i] for i in idx], batch_size)
            self.db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?, ?)",
                                [(hashes[i], kind, vecs[j].astype(np.float32).tobytes()) for j, i in enumerate(idx)])
            self.db.commit()
            for j, i in enumerate(idx):
                found[hashes[i]] = vecs[j]
            if progress:
                progress(done0 + start + len(idx), len(texts))
        if progress and not todo:
            progress(len(texts), len(texts))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[h] for h in hashes]).astype(np.float32)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, progress=None) -> np.ndarray:
        return self._cached(list(texts), "passage", lambda t, b: self.inner.encode_passages(t, b), batch_size, progress)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self._cached(list(texts), "query", lambda t, b: self.inner.encode_queries(t, b), batch_size)
