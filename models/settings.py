"""Configuration: every path, switch and limit, read from the environment here and nowhere else.

Every layer may import this module (it sits beside the records in ``models``, below the
middle layer). :class:`Settings` is built once at the edge — the command line, a batch or
service worker — and passed down typed (``extract_case(path, settings)``, ``scan(path, settings)``);
:func:`get_settings` is the process's own, read once. Modules deep inside extraction that have
no settings handed to them (the 罪名 lexicon, the template set, the OCR engine variant) read
this module's small settings classes or functions instead of ``os.environ``.

| variable | meaning | default |
|---|---|---|
| ASSISTANT_SHARED_DIR | the read-only shared folder (catalog, laws, data, models) | ``../shared`` beside the repo |
| ASSISTANT_CATALOG | rule catalog YAML | ``$SHARED/rules/catalog.yaml`` |
| ASSISTANT_EMBED_MODEL | sentence-transformers model folder | ``$SHARED/models/multilingual-e5-small-zh`` |
| ASSISTANT_INDEX_DIR | similar-case index folder used by ``scan``, batch and the service | ``$DATA_DIR/index`` when it holds an index, else none |
| ASSISTANT_EMBED_BACKEND | ``torch`` (fp32) or ``onnx-int8`` (exported and cached on first use) | torch |
| ASSISTANT_CACHE_DIR | exported ONNX models, embedding caches | ``~/.cache/pingcha-assistant`` |
| ASSISTANT_OCR_ENGINE | ``rapidocr`` (default) or ``paddleocr`` or ``none`` | rapidocr |
| ASSISTANT_OCR_WORKERS | OCR worker processes | number of cores (at most 4) |
| ASSISTANT_OCR_MODELS / ASSISTANT_OCR_BACKEND / ASSISTANT_OCR_VARIANT | the OCR engine variant (:class:`OcrSettings`) | int8 / onnxruntime / none |
| ASSISTANT_OCR_CACHE | page cache of long scanned dossiers; ``off`` disables it | ``$DATA_DIR/ocr_cache`` |
| ASSISTANT_TEMPLATES / ASSISTANT_TEMPLATE_EXCLUDE | extra template folders (``:``-separated) / template families left out (:func:`template_set`) | none |
| ASSISTANT_DATA_DIR | storage for the service, dispositions and the default similar-case index | ``./var`` |
| DATABASE_URL / ASSISTANT_DATABASE_URL | SQLAlchemy URL, e.g. ``postgresql://user:pw@host/db`` (psycopg 3) | ``sqlite:///$DATA_DIR/assistant.sqlite3`` |
| ASSISTANT_PROFILE | default profile YAML for scans | none |
| ASSISTANT_CODE_VERSION | release label of the code in batch versions (else a hash of the sources) | none |
| ASSISTANT_MAX_* | ingest limits (see :class:`Limits`) | see below |

The service's own switches (workers, uploads, sign-in) are ``api.settings.ServiceSettings``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Limits(BaseSettings):
    """Ingest limits that protect the batch from hostile or broken input (``ASSISTANT_MAX_<NAME>``)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_MAX_", extra="ignore")

    file_bytes: int = 200 * 1024 * 1024
    zip_total_bytes: int = 1024 * 1024 * 1024
    zip_members: int = 5000
    zip_ratio: float = 200.0
    image_pixels: int = 80_000_000
    pages: int = 5000
    zip_depth: int = 3


class OcrSettings(BaseSettings):
    """The OCR engine variant and page cache (``ASSISTANT_OCR_<NAME>``); read where the engine is
    built (``extractors.ocr.EngineConfig.from_env``), also inside OCR worker processes.

    ``models`` (``int8`` / ``fp32``) and ``backend`` (``onnxruntime`` / ``openvino``) override the
    default variant, ``variant`` any of its fields (``name=value,…``, or ``before``), for comparisons;
    ``cache`` is the page-cache folder of long dossiers (``off`` disables it)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_OCR_", extra="ignore")

    models: str = ""
    backend: str = ""
    variant: str = ""
    cache: str = ""


class Settings(BaseSettings):
    """Every path and switch of a scan (``ASSISTANT_<NAME>``, see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    shared_dir: Path = REPO_ROOT.parent / "shared"
    catalog: Path | None = None
    embed_model: Path | None = None
    index_dir: Path | None = None
    embed_backend: str = "torch"
    cache_dir: Path | None = None
    ocr_engine: str = "rapidocr"
    ocr_workers: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 1, 4)))
    ocr_dpi: int = 200
    data_dir: Path = Path("var")
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("ASSISTANT_DATABASE_URL", "DATABASE_URL"))
    profile: Path | None = None
    code_version: str = ""
    limits: Limits = Field(default_factory=Limits)

    @property
    def catalog_path(self) -> Path:
        """The rule catalog: ``catalog`` when set, else ``rules/catalog.yaml`` of the shared folder."""
        return self.catalog or self.shared_dir / "rules" / "catalog.yaml"

    @property
    def embed_model_path(self) -> Path:
        """The sentence-transformers model folder."""
        return self.embed_model or self.shared_dir / "models" / "multilingual-e5-small-zh"

    @property
    def cache_path(self) -> Path:
        """Where exported ONNX models and embedding caches are kept."""
        return self.cache_dir or Path.home() / ".cache" / "pingcha-assistant"

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
            return normalize_url(self.database_url.strip())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'assistant.sqlite3').resolve()}"


def normalize_url(url: str) -> str:
    """``postgres://…`` / ``postgresql://…`` → ``postgresql+psycopg://…``; other URLs unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once (``get_settings.cache_clear()`` rereads)."""
    return Settings()


def template_set() -> tuple[str, str]:
    """``(ASSISTANT_TEMPLATES, ASSISTANT_TEMPLATE_EXCLUDE)``: extra template folders (``os.pathsep``-
    separated) and the template families left out. Read on every call — classification asks for it
    on every line and it is only two dictionary lookups — because the set may change within one
    process (the held-out family measurements and their tests switch it between scans)."""
    return os.environ.get("ASSISTANT_TEMPLATES", ""), os.environ.get("ASSISTANT_TEMPLATE_EXCLUDE", "")


def thread_limit() -> int:
    """``OMP_NUM_THREADS`` as a positive int, else 0 (no limit set): the thread count the numeric
    libraries of this process were told to keep to."""
    raw = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 0
