"""Configuration: every path and switch, from environment variables (prefix ``ASSISTANT_``).

| variable | meaning | default |
|---|---|---|
| ASSISTANT_SHARED_DIR | the read-only shared folder (catalog, laws, data, models) | ``../shared`` beside the repo |
| ASSISTANT_CATALOG | rule catalog YAML | ``$SHARED/rules/catalog.yaml`` |
| ASSISTANT_EMBED_MODEL | sentence-transformers model folder | ``$SHARED/models/multilingual-e5-small-zh`` |
| ASSISTANT_INDEX_DIR | similar-case index folder used by ``scan``, batch and the service | ``$DATA_DIR/index`` when it holds an index, else none |
| ASSISTANT_EMBED_BACKEND | ``torch`` (fp32) or ``onnx-int8`` (exported and cached on first use) | torch |
| ASSISTANT_OCR_ENGINE | ``rapidocr`` (default) or ``paddleocr`` or ``none`` | rapidocr |
| ASSISTANT_OCR_WORKERS | OCR worker processes | number of cores |
| ASSISTANT_DATA_DIR | storage for the service, dispositions and the default similar-case index | ``./var`` |
| DATABASE_URL / ASSISTANT_DATABASE_URL | SQLAlchemy URL, e.g. ``postgresql://user:pw@host/db`` (psycopg 3, see :mod:`assistant.database`) | ``sqlite:///$DATA_DIR/assistant.sqlite3`` |
| ASSISTANT_PROFILE | default profile YAML for scans | none |
| ASSISTANT_MAX_* | ingest limits (see :class:`Limits`) | see below |
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Limits(BaseSettings):
    """Ingest limits that protect the batch from hostile or broken input."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_MAX_", extra="ignore")

    file_bytes: int = 200 * 1024 * 1024
    zip_total_bytes: int = 1024 * 1024 * 1024
    zip_members: int = 5000
    zip_ratio: float = 200.0
    image_pixels: int = 80_000_000
    pages: int = 5000
    zip_depth: int = 3


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    shared_dir: Path = REPO_ROOT.parent / "shared"
    catalog: Path | None = None
    embed_model: Path | None = None
    index_dir: Path | None = None
    embed_backend: str = "torch"
    ocr_engine: str = "rapidocr"
    ocr_workers: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 1, 4)))
    ocr_dpi: int = 200
    data_dir: Path = Path("var")
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("ASSISTANT_DATABASE_URL", "DATABASE_URL"))
    profile: Path | None = None
    limits: Limits = Field(default_factory=Limits)

    @property
    def catalog_path(self) -> Path:
        return self.catalog or self.shared_dir / "rules" / "catalog.yaml"

    @property
    def embed_model_path(self) -> Path:
        return self.embed_model or self.shared_dir / "models" / "multilingual-e5-small-zh"

    @property
    def default_index_dir(self) -> Path:
        """Where ``assistant index build`` writes and scans look when ``index_dir`` is not set."""
        return self.data_dir / "index"

    def effective_index_dir(self) -> Path | None:
        """The index a scan uses: ``index_dir`` when set (``--index`` / ``ASSISTANT_INDEX_DIR``), else
        ``$DATA_DIR/index`` when that folder holds an index, else None (the scan runs without one)."""
        if self.index_dir:
            return self.index_dir
        d = self.default_index_dir
        if (d / "meta.sqlite3").is_file() and (d / "index.faiss").is_file():
            return d
        return None

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL (``postgres://``/``postgresql://`` mapped to the psycopg 3 driver)."""
        if self.database_url:
            from assistant.database import normalize_url

            return normalize_url(self.database_url.strip())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'assistant.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
