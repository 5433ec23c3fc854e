"""The worker core shared by the service's scan workers (:mod:`api.jobs`) and batch workers
(:mod:`api.batch.worker`): what a process that scans dossiers for the service database needs.

- :data:`HOST`, :func:`parse_owner`, :func:`pid_alive`: a scan row's ``owner`` is
  ``host|pid|name|nonce``; recovery asks whether that process still lives.
- :func:`die_with_parent`, :func:`quiet_threads`, :func:`freeze_long_lived`: a worker process
  dies with its parent, runs its numeric libraries on one thread, and keeps its loaded models
  out of the garbage collector's walks.
- :class:`ScanJob`: progress, heartbeat and the final state of one ``scans`` row, written only
  while the row is still this worker's (``owner``) and running.
- :func:`dispositions_for` and :func:`scan_dossier`: the evaluator's dispositions of a dossier,
  and one scan through :func:`assistant.pipeline.scan` whose failures become an :class:`Outcome`
  (an unreadable dossier, or an unexpected error logged with its traceback) instead of an exception.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import update

from api.db import Scan, utcnow

log = logging.getLogger(__name__)
HOST = socket.gethostname()


def parse_owner(owner: str | None) -> tuple[str, int]:
    """``(host, pid)`` of a scan row's ``owner`` (pid -1 when it has none)."""
    host, _, rest = (owner or "").partition("|")
    pid = rest.partition("|")[0]
    return host, int(pid) if pid.isdigit() else -1


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent (the server, the batch driver) dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - non-Linux
        pass


def quiet_threads() -> None:
    """One core per worker: no thread pools inside the numeric libraries.

    The environment covers OpenMP/BLAS/tokenizers; OpenCV keeps a pthread pool of its own
    sized to the machine (``OMP_NUM_THREADS`` does not reach it). Left on, every connected-
    component pass of the mark detector wakes a second thread that spins on the other core:
    measured on a text-layer caseload, 12 % more CPU per page for the same pages and a
    single worker that already occupies 1.13 cores, so a second worker has less to gain.
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TOKENIZERS_PARALLELISM"):
        os.environ.setdefault(var, "1" if var != "TOKENIZERS_PARALLELISM" else "false")
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - opencv is a core dependency
        pass


def freeze_long_lived() -> None:
    """Move every object alive now out of the garbage collector's reach. The models are millions
    of long-lived objects (jieba's dictionary, spaCy's vocabulary, the lexicon) that every full
    collection would walk again. Measured on a text-layer caseload: 6–14 % less CPU per page."""
    gc.collect()
    gc.freeze()


class ScanJob:
    """One claimed ``scans`` row being processed: progress, heartbeat and finish are written only
    while the row is still running and owned by ``owner`` (a row taken over by recovery is left alone)."""

    def __init__(self, sessions, scan: Scan, owner: str):
        self.sessions, self.scan_id, self.owner = sessions, scan.id, owner
        self._last = 0.0
        self._lock = threading.Lock()

    def _update(self, **values: Any) -> int:
        with self._lock, self.sessions() as s:
            res = s.execute(update(Scan).where(Scan.id == self.scan_id, Scan.owner == self.owner,
                                               Scan.status == "running").values(**values))
            s.commit()
            return res.rowcount

    def progress(self, stage: str, done: int, total: int) -> None:
        """Record the stage and count (at most every 0.3 s, and always the last step)."""
        now = time.monotonic()
        if now - self._last < 0.3 and done < total:
            return
        self._last = now
        self._update(stage=str(stage)[:50], done=int(done), total=int(total), heartbeat_at=utcnow())

    def heartbeat(self) -> None:
        """Tell recovery the scan is alive."""
        self._update(heartbeat_at=utcnow())

    def finish(self, **values: Any) -> int:
        """Set the final state (status, report path or error); returns the rows updated (0: not ours)."""
        return self._update(finished_at=utcnow(), **values)


def dispositions_for(dossier_key: str | None, settings) -> dict[str, dict] | None:
    """The stored dispositions of a dossier (finding id → disposition), or None; a broken
    dispositions store never fails a scan (it is logged)."""
    if not dossier_key:
        return None
    try:
        from assistant.dispositions import lookup_by_key

        return lookup_by_key(dossier_key, settings) or None
    except Exception:  # a broken dispositions store must not fail the scan
        log.warning("dispositions lookup failed", exc_info=True)
        return None


@dataclass
class Outcome:
    """One scan's outcome: the :class:`assistant.pipeline.ScanResult`, or why there is none
    (``error_code`` ``dossier_unreadable`` with the Chinese reason, or ``scan_error``)."""

    result: Any = None
    error_code: str | None = None
    message: str = ""


def scan_dossier(path: str | Path, settings, progress: Callable[[str, int, int], None] | None,
                 dispositions: dict[str, dict] | None, profile: Any = None,
                 scan_fn: Callable[..., Any] | None = None, label: str = "") -> Outcome:
    """Scan one dossier with ``scan_fn`` (default :func:`assistant.pipeline.scan`); an unreadable
    dossier and an unexpected error (logged with its traceback) come back as an :class:`Outcome`."""
    from assistant.pipeline import DossierError

    if scan_fn is None:
        from assistant.pipeline import scan as scan_fn
    kwargs: dict[str, Any] = {"settings": settings, "progress": progress, "dispositions": dispositions}
    if profile is not None:
        kwargs["profile"] = profile
    try:
        return Outcome(result=scan_fn(path, **kwargs))
    except DossierError as exc:
        return Outcome(error_code="dossier_unreadable", message=str(exc))
    except Exception:
        log.error("scan of %s failed: %s", label or path, traceback.format_exc())
        return Outcome(error_code="scan_error")
