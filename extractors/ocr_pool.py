"""Many pages: worker processes, the pool a batch shares, and :func:`ocr_pages`.

Several pages run in worker processes (one engine loaded per worker by the pool initializer,
onnxruntime and OpenCV on one thread each so two workers do not oversubscribe two cores); pages are
streamed to them, at most two per worker in flight, PDF pages as :class:`extractors.ocr_inputs.PdfPage`
references that the worker rasterises itself. One page runs in-process on all cores. A worker exits
when its parent is gone.

A batch shares its OCR workers among all its dossiers: :func:`share_pages_with` hands every later
:func:`ocr_pages` call of the process to an executor of the caller's (the batch's driver-side pool,
or Ray actors), so the pages of two dossiers fill the same workers and no core idles while one
dossier's last pages are read. :func:`submit_page` is the pool side, :func:`ocr_one` an actor's.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import cv2
import numpy as np

from models.settings import Settings

from extractors import ocr_engine
from extractors.errors import FileReadError
from extractors.ocr_cache import PageCache
from extractors.ocr_engine import ENGINES, OcrUnavailableError
from extractors.ocr_inputs import DEFAULT_DPI, ImageFrame, PageSource, PdfPage, load_frame, rasterize_pdf_page_at
from extractors.ocr_page import OcrPage, ocr_image

log = logging.getLogger(__name__)


_POOL: tuple[tuple[str, int], ProcessPoolExecutor] | None = None
#: Seconds spent per stage over all pages OCR'd by :func:`ocr_pages` in this process's calls
#: (measured where each page ran); the benchmark reads it to show where the time goes.
STAGE_SECONDS: dict[str, float] = {}


#: Seconds between two checks of an OCR worker that its parent is still alive.
PARENT_POLL_S = 0.5


def _watch_parent(parent: int) -> None:
    """Exit this worker as soon as its parent is gone (``kill -9`` of the server, the scan
    worker, or the CLI): an orphaned worker holds ~400 MB and the multiprocessing resource
    tracker's pipe. Polling ``getppid`` works whichever thread started the pool (Linux's
    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked exits, which a pool started
    from a short-lived thread would suffer)."""
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(engine_name: str, parent: int | None = None) -> None:
    if parent is not None:
        import threading

        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cv2.setNumThreads(1)
    if engine_name != "none":
        try:
            ocr_engine.get_engine(engine_name, 1)
        except OcrUnavailableError:
            pass


def _worker_page(args: tuple[PageSource, int, str, bool]) -> OcrPage:
    source, dpi, engine_name, suppress = args
    return _safe_page(source, dpi, engine_name, 1, suppress)


#: ``(page source, dpi, engine name, suppress red)``: one page's OCR job, as workers take it.
PageJob = tuple[PageSource, int, str, bool]


class PageExecutor:
    """Where :func:`ocr_pages` sends pages when a batch shares its OCR workers.

    ``submit(job)`` takes a :data:`PageJob` and returns an object whose ``result()`` gives the
    :class:`OcrPage` (or raises; the page is then read in this process); ``slots`` is how many
    pages the executor works on at once (each caller keeps at most two per slot in flight).
    """

    slots: int = 1

    def submit(self, job: PageJob) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


_SHARED: PageExecutor | None = None


def share_pages_with(executor: PageExecutor | None) -> None:
    """OCR the pages of every later :func:`ocr_pages` call in this process on ``executor``
    instead of a pool of this process's own (``None``: back to the process's own pool)."""
    global _SHARED
    _SHARED = executor


def submit_page(job: PageJob, workers: int) -> Any:
    """The pool side of a shared executor: run ``job`` on this process's pool of ``workers``
    OCR processes (started on first use, kept between calls; :func:`shutdown_pool` stops it)."""
    return _pool(job[2], max(1, workers)).submit(_worker_page, job)


def ocr_one(job: PageJob) -> OcrPage:
    """One page's OCR in this process (an OCR actor's or worker's call); never raises for a bad page."""
    return _worker_page(job)


def _safe_page(source: PageSource, dpi: int, engine_name: str, threads: int, suppress: bool) -> OcrPage:
    try:
        t = time.process_time()
        if isinstance(source, ImageFrame):
            image, dpi = load_frame(source)
        elif isinstance(source, PdfPage):
            image, dpi = rasterize_pdf_page_at(source.path, source.index, dpi, source.max_pixels)
        elif hasattr(source, "rasterize"):  # a page of another fixed-layout format (extractors.ofd.OfdPageSource)
            image = source.rasterize(dpi)
        else:
            image = source
        timings = {"raster": time.process_time() - t} if not isinstance(source, np.ndarray) else {}
        return ocr_image(image, dpi=dpi, engine_name=engine_name, threads=threads, suppress_red=suppress,
                         _timings=timings)
    except OcrUnavailableError:
        raise
    except FileReadError as exc:
        return OcrPage(warning=f"该页图像无法读取（{exc}）。")
    except Exception:  # one bad page must not sink the batch
        log.warning("OCR of one page failed", exc_info=True)
        return OcrPage(warning="该页图像内容异常，无法识别。")


def _pool(engine_name: str, workers: int) -> ProcessPoolExecutor:
    global _POOL
    key = (engine_name, workers)
    if _POOL is not None and _POOL[0] == key:
        return _POOL[1]
    shutdown_pool()
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                   initializer=_init_worker, initargs=(engine_name, os.getpid()))
    _POOL = (key, executor)
    return executor


def shutdown_pool() -> None:
    """Stop the OCR worker processes (they are kept between calls)."""
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


atexit.register(shutdown_pool)


class _Done:
    """A page already read (from the cache), shaped like a future."""

    def __init__(self, page: OcrPage):
        self.page = page

    def result(self) -> OcrPage:
        return self.page


def ocr_pages(images: Iterable[PageSource], settings: Settings | None = None, dpi: int = DEFAULT_DPI,
              suppress_red: bool = True, progress: Callable[[int], None] | None = None,
              cache: PageCache | None = None) -> list[OcrPage]:
    """OCR RGB page images; several pages run in parallel worker processes.

    ``images`` may be a list or any iterable (a generator rendering one page at a time) of
    RGB arrays or :class:`PdfPage` references (rasterised at ``dpi`` by the process that
    OCRs them): pages are streamed to the workers with at most two per worker in flight,
    so the main process never holds every page image of a long scanned file at once.

    ``settings`` (an :class:`models.settings.Settings` or anything with ``ocr_engine`` and
    ``ocr_workers``) chooses the engine and the number of workers. Each worker runs its
    onnxruntime sessions on one thread (no oversubscription of the cores). A missing
    engine or missing models raise :class:`OcrUnavailableError` (Chinese message); a page
    that fails comes back empty with a Chinese ``warning``. ``progress`` is called with the
    number of pages done after each page. With ``cache`` (:func:`cache_for`) every page read is
    kept as it comes and pages kept before are not read again.
    """
    engine_name = str(getattr(settings, "ocr_engine", "rapidocr") or "rapidocr").lower()
    if engine_name not in ENGINES:
        raise OcrUnavailableError(f"未知的文字识别引擎“{engine_name}”，可选：rapidocr、paddleocr、none。")
    workers = min(int(getattr(settings, "ocr_workers", 0) or os.cpu_count() or 1), os.cpu_count() or 1)
    shared = _SHARED if engine_name != "none" else None
    it = iter(images)
    head = list(itertools.islice(it, 2))
    if not head:
        return []
    if shared is not None:  # a batch's workers, shared with its other dossiers (even for one page)
        workers, single = max(1, int(shared.slots)), False
        if engine_name == "rapidocr":
            ocr_engine.bundled_model_paths()
    else:
        single = len(head) == 1 or workers <= 1 or engine_name == "none"
        if engine_name != "none":
            if engine_name == "paddleocr":
                ocr_engine.get_engine(engine_name, 0 if single else 1)
            else:
                ocr_engine.bundled_model_paths()
    stream = itertools.chain(head, it)
    results: list[OcrPage] = []
    keys: dict[int, str | None] = {}

    def key_of(src: PageSource) -> str | None:
        if cache is None:
            return None
        keys[id(src)] = k = cache.key(src, dpi, engine_name, suppress_red)
        return k

    if single:
        for img in stream:
            key = key_of(img)
            page = cache.get(key) if cache is not None else None
            if page is None:
                page = _safe_page(img, dpi, engine_name, 0, suppress_red)
                if cache is not None:
                    cache.put(key, page)
            results.append(page)
            if progress:
                progress(len(results))
        return _tally(results)
    pending: deque = deque()
    broken = False

    def collect() -> None:
        nonlocal broken
        fut, src = pending.popleft()
        page = _result_or_local(fut, src, dpi, engine_name, suppress_red, shared is not None)
        broken = broken or (page is None and shared is None)  # a shared pool is restarted by its owner
        page = page or _safe_page(src, dpi, engine_name, 0, suppress_red)
        if cache is not None and not isinstance(fut, _Done):
            cache.put(keys.get(id(src)), page)
        results.append(page)
        if progress:
            progress(len(results))

    for img in stream:
        fut = None
        kept = cache.get(key_of(img)) if cache is not None else None
        if kept is not None:
            fut = _Done(kept)
        elif not broken:
            try:
                job = (img, dpi, engine_name, suppress_red)
                fut = shared.submit(job) if shared is not None else _pool(engine_name, workers).submit(_worker_page, job)
            except (RuntimeError, OSError, EOFError):  # the pool could not be started here / the batch is gone
                log.warning("OCR workers unavailable, reading the remaining pages in this process", exc_info=True)
                broken = True
        pending.append((fut, img))
        while len(pending) >= 2 * workers or (pending and pending[0][0] is None):
            collect()
    while pending:
        collect()
    return _tally(results)


def _tally(pages: list[OcrPage]) -> list[OcrPage]:
    for page in pages:
        for stage, seconds in page.timings.items():
            STAGE_SECONDS[stage] = STAGE_SECONDS.get(stage, 0.0) + seconds
    return pages


def _result_or_local(fut: Any, image: np.ndarray, dpi: int, engine_name: str, suppress: bool,
                     shared: bool = False) -> OcrPage | None:
    """A worker's page; ``None`` when the pool broke (a worker died or could not start), the
    caller then OCRs the rest of the batch in this process without restarting the pool (a
    shared executor is the batch's to restart, not this process's)."""
    if fut is None:
        return _safe_page(image, dpi, engine_name, 0, suppress)
    try:
        return fut.result()
    except OcrUnavailableError:
        raise
    except Exception:  # BrokenProcessPool, cancelled after a break, a dead OCR actor
        log.warning("an OCR worker failed; reading the remaining pages in this process", exc_info=True)
        if not shared:
            shutdown_pool()
        return None
