"""Batch runs (``assistant batch``): a caseload scanned by long-lived workers, resumable
through the service database.

State lives in two tables next to the service's (same database: SQLite by default,
PostgreSQL by URL): ``batches`` (one row per SOURCE + output folder, so running the same
command again continues the same batch) and ``batch_items`` (one row per dossier: content
hash, versions, status, summary row). Every dossier scanned by a batch is an ordinary
:class:`api.db.Scan` (same content hash as a service submission, report in the service's
storage), so the service shows it to the roles that may see it.

Workers do all the writing: a worker hashes the dossier, reuses an earlier result when the
content hash and the rules/model versions (:func:`assistant.batch.versions`) match, else
marks the scan running, scans, writes the report to storage (atomic), the dossier's
``report.json``/``report.html``/``notice.docx`` (atomic, each), then marks scan and item done.
A worker, the batch or a Ray node killed at any point loses no finished report; a dossier
interrupted mid-scan is scanned again by the next run (or by another worker at once).

Runners:

- :class:`LocalPool`: N worker processes (spawn), each loading the models once and scanning
  dossiers end to end, one at a time, fed over its own pipe (a dead worker is noticed through
  its process sentinel, restarted, and its dossier handed out again);
- :class:`RayPool` (:mod:`ray`, the ``ray`` extra): one actor per CPU slot (models loaded
  once per actor, ``max_restarts``/``max_task_retries`` for crashes), at most
  ``2 × actors`` dossiers in flight (backpressure), results written by the actors.

Scanned pages are OCR'd by workers the whole batch shares (:func:`extractors.ocr.share_pages_with`):
in the local pool, one pool of OCR processes in the driver, fed by every worker through its
pipe; on Ray, one OCR actor per scanning actor, which every scanning actor may call. A worker
reading a 300-page scanned dossier therefore gets every core while the other workers wait in
their own OCR or have nothing left, instead of one core per dossier and idle cores at the end
of the batch. A page whose OCR worker failed is read by the scanning worker itself.

Modules: :mod:`~api.batch.store` (tables and bookkeeping), :mod:`~api.batch.worker` (one worker),
:mod:`~api.batch.local` (local pool), :mod:`~api.batch.raypool` (Ray pool), :mod:`~api.batch.driver`
(:func:`run_batch`). The scan itself goes through the worker core shared with the service's scan
workers (:mod:`api.worker`).
"""

from api.batch.driver import BatchStats, largest_first, run_batch
from api.batch.local import LocalPool
from api.batch.raypool import RayPool
from api.batch.store import (ITEM_DONE, MAX_ATTEMPTS, Batch, BatchError, BatchItem, batch_id_for, batch_sessions,
                             finish_batch, item_id_for, prepare, release_interrupted, release_scans_of, summary_rows)
from api.batch.worker import BatchWorker, WorkerConfig

__all__ = ["ITEM_DONE", "MAX_ATTEMPTS", "Batch", "BatchError", "BatchItem", "BatchStats", "BatchWorker", "LocalPool",
           "RayPool", "WorkerConfig", "batch_id_for", "batch_sessions", "finish_batch", "item_id_for", "largest_first",
           "prepare", "release_interrupted", "release_scans_of", "run_batch", "summary_rows"]
