"""OCR results of single pages kept on disk for long dossiers (:class:`PageCache`), so a scan that
was interrupted reads on from where it stopped."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from models.settings import OcrSettings, Settings

from extractors.ocr_engine import EngineConfig
from extractors.ocr_inputs import PageSource
from extractors.ocr_page import OcrPage

log = logging.getLogger(__name__)


#: Scanned pages from which a dossier's OCR results are kept on disk as they come (:class:`PageCache`).
LONG_DOSSIER_PAGES = 100


class PageCache:
    """OCR results of single pages kept on disk, so a long dossier whose scan was interrupted
    (Ctrl-C, a service worker stopped at its time budget, a crash) is read on from where it
    stopped instead of from its first page.

    A page's key is the SHA-256 of its file's content, the page index, the resolution, red
    suppression and the engine variant (:attr:`EngineConfig.label`), so a changed file or engine
    never reuses a result; pages that came back with a warning are not kept. Entries older than
    ``max_age_s`` go, and the oldest go first beyond ``max_bytes``.
    """

    def __init__(self, folder: Path, max_bytes: int = 1 << 30, max_age_s: float = 7 * 86400):
        self.folder, self.max_bytes, self.max_age_s = Path(folder), max_bytes, max_age_s
        self._digests: dict[tuple[str, int, int], str] = {}
        self.hits = 0

    def _digest(self, path: Path) -> str:
        import hashlib

        st = path.stat()
        memo = (str(path), st.st_size, st.st_mtime_ns)
        if memo not in self._digests:
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            self._digests[memo] = h.hexdigest()
        return self._digests[memo]

    def key(self, source: PageSource, dpi: int, engine_name: str, suppress: bool) -> str | None:
        """The key of one page, or None for a page given as pixels (nothing stable to key it by)."""
        import hashlib

        path, index = getattr(source, "path", None), getattr(source, "index", None)
        if path is None or index is None:
            return None
        try:
            digest = self._digest(Path(path))
        except OSError:
            return None
        label = EngineConfig.from_env().label if engine_name == "rapidocr" else engine_name
        raw = f"{digest}|{type(source).__name__}|{index}|{dpi}|{suppress}|{engine_name}|{label}|triage1"
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: str | None) -> OcrPage | None:
        if key is None:
            return None
        import pickle

        try:
            page = pickle.loads((self.folder / f"{key}.pkl").read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError):
            return None
        if isinstance(page, OcrPage):
            self.hits += 1
            return page
        return None

    def put(self, key: str | None, page: OcrPage) -> None:
        if key is None or page.warning:
            return
        import pickle

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            tmp.write_bytes(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, self.folder / f"{key}.pkl")
        except OSError:
            log.warning("OCR page cache not writable: %s", self.folder, exc_info=True)

    def prune(self) -> None:
        """Drop entries past their age, then the oldest beyond the size bound."""
        try:
            entries = [(f.stat().st_mtime, f.stat().st_size, f) for f in self.folder.glob("*.pkl")]
        except OSError:
            return
        now, total = time.time(), 0
        for mtime, size, f in sorted(entries, reverse=True):
            total += size
            if now - mtime > self.max_age_s or total > self.max_bytes:
                f.unlink(missing_ok=True)


def cache_for(settings: Settings | None, pages: int) -> PageCache | None:
    """The page cache of a dossier with ``pages`` scanned pages: from :data:`LONG_DOSSIER_PAGES` on, in
    ``ASSISTANT_OCR_CACHE`` (a folder; ``off`` disables it) or ``<data_dir>/ocr_cache``."""
    where = OcrSettings().cache.strip()
    if pages < LONG_DOSSIER_PAGES or where.lower() in ("off", "0", "none", "false"):
        return None
    data_dir = getattr(settings, "data_dir", None)
    if not where and data_dir is None:
        return None
    cache = PageCache(Path(where) if where else Path(data_dir) / "ocr_cache")
    cache.prune()
    return cache
