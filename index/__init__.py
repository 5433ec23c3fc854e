"""The similar-case index (类案索引): find decided cases like this one and say how it compares.

* :mod:`index.records` — one record format for CAIL2018 rows and the product's judgment reports.
* :mod:`index.features` — sentencing features (amounts, drug quantities, blood alcohol, injury,
  circumstances) with evidence spans.
* :mod:`index.embed` — sentence-transformers embedder (fp32 torch or ONNX int8) and the lexical
  fallback; the index records which one built it.
* :mod:`index.store` — FAISS (flat or HNSW by size) + SQLite metadata, charge-filtered search,
  persistence and incremental add.
* :mod:`index.deviation` — expected sentence, interval and outcome rates (model + neighbours).

This package imports only :mod:`models`-free code of its own and third-party libraries; it never
imports ``extractors`` or ``checks``.
"""
