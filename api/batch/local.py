"""The local pool: N long-lived worker processes (spawned), each loading the models once and
scanning dossiers end to end, one at a time, fed over its own pipe. A dead worker is noticed
through its process sentinel, restarted, and its dossier handed out again. Scanned pages go to one
pool of OCR processes in the driver, which every worker feeds through its pipe
(:func:`extractors.ocr.share_pages_with`)."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field, replace
from queue import Empty, SimpleQueue
from typing import Any, Callable, Iterable

from api.batch.store import MAX_ATTEMPTS, MAX_START_FAILURES, BatchError
from api.batch.worker import BatchWorker, WorkerConfig
from api.worker import die_with_parent

log = logging.getLogger(__name__)


class _PipeFuture:
    def __init__(self, client: "_PipeOcr", rid: int):
        self.client, self.rid = client, rid

    def result(self) -> Any:
        return self.client.wait(self.rid)


class _PipeOcr:
    """A local worker's way to the batch's shared OCR processes: a page job goes to the driver
    over the worker's own pipe (``("ocr", id, job)``), the page comes back as
    ``("ocr_result", id, ok, page-or-reason)``. Only the scanning thread uses the pipe while a
    dossier is being read, so replies are simply read in turn (out-of-order ones kept)."""

    def __init__(self, conn, slots: int, inbox: deque):
        self.conn, self.slots, self.inbox = conn, max(1, slots), inbox
        self._next = 0
        self._done: dict[int, tuple[bool, Any]] = {}

    def submit(self, job: tuple) -> _PipeFuture:
        self._next += 1
        self.conn.send(("ocr", self._next, job))
        return _PipeFuture(self, self._next)

    def wait(self, rid: int) -> Any:
        while rid not in self._done:
            msg = self.conn.recv()
            if isinstance(msg, tuple) and msg and msg[0] == "ocr_result":
                self._done[msg[1]] = (msg[2], msg[3])
            else:  # the next dossier handed out ahead (or the stop): the worker's loop takes it later
                self.inbox.append(msg)
        ok, value = self._done.pop(rid)
        if not ok:
            raise RuntimeError(f"shared OCR worker failed: {value}")
        return value


def _local_worker_main(conn, cfg: WorkerConfig, name: str) -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s batch worker {name}: %(message)s")
    worker = BatchWorker(cfg, name)
    inbox: deque = deque()  # messages read while waiting for OCR replies
    if cfg.ocr_slots > 0:
        from extractors.ocr import share_pages_with

        share_pages_with(_PipeOcr(conn, cfg.ocr_slots, inbox))
    conn.send(("ready", os.getpid()))
    last = [0.0]
    while True:
        try:
            item = inbox.popleft() if inbox else conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        if isinstance(item, tuple):  # a late OCR reply for a dossier that ended without it
            continue

        def progress(stage: str, done: int, total: int, _id=item["id"]) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2 or done >= total:
                last[0] = now
                conn.send(("progress", _id, stage, done, total))

        conn.send(("result", worker.process(item, progress)))


@dataclass
class _Slot:
    name: str
    proc: Any
    conn: Any
    #: dossiers handed to this worker, in order: the one it scans, and at most one more sent ahead
    #: so it never waits for the driver between two dossiers (as Ray actors have two in flight)
    items: list[dict] = field(default_factory=list)
    ready: bool = False
    pid: int | None = None
    gen: int = 0  # bumped when the process is replaced: OCR replies for a dead one are dropped

    @property
    def item(self) -> dict | None:
        """The dossier being scanned (None when idle)."""
        return self.items[0] if self.items else None


class LocalPool:
    """N long-lived worker processes; :meth:`run` hands out dossiers and yields events."""

    def __init__(self, cfg: WorkerConfig, workers: int, start_together: bool = False):
        self.n = max(1, workers)
        if cfg.ocr_slots == 0 and str(cfg.settings.ocr_engine).lower() != "none":
            # the shared OCR pool: as many processes as cores (the scanning workers mostly wait
            # on it while a scanned dossier is read), at most the configured OCR workers
            cores = os.cpu_count() or 1
            cfg = replace(cfg, ocr_slots=max(1, min(cores, int(cfg.settings.ocr_workers or cores))))
        self.cfg = cfg
        self.start_together = start_together  # hold work until every worker has its models (benchmarks)
        self.ctx = mp.get_context("spawn")
        self.slots: list[_Slot] = []
        self._ocr_done: SimpleQueue = SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self.ocr_used = False
        self.ocr_pages = 0

    def _start(self, name: str) -> _Slot:
        parent, child = self.ctx.Pipe(duplex=True)
        p = self.ctx.Process(target=_local_worker_main, args=(child, self.cfg, name), name=f"batch-{name}", daemon=True)
        p.start()
        child.close()
        return _Slot(name, p, parent)

    @property
    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.slots if s.proc.is_alive()]

    def run(self, items: Iterable[dict], emit: Callable[[str, Any], None]) -> None:
        """Process every item; ``emit(kind, payload)`` gets ``result``/``progress``/``retry`` events."""
        from multiprocessing.connection import wait

        queue: deque = deque(items)
        attempts: dict[str, int] = {}
        self.start_failures = 0
        self.slots = [self._start(f"w{i + 1}") for i in range(self.n)]
        try:
            while queue or any(s.items for s in self.slots):
                held = self.start_together and not all(s.ready for s in self.slots)
                for s in self.slots:
                    # one dossier each, and one more ahead while enough are left for the other workers
                    while (s.ready and not held and queue
                           and (not s.items or (len(s.items) == 1 and len(queue) >= self.n))):
                        s.items.append(queue.popleft())
                        s.conn.send(s.items[-1])
                waitables: dict[Any, Any] = {self._wake_r: None}
                for s in self.slots:
                    waitables[s.conn] = s
                    waitables[s.proc.sentinel] = s
                for obj in wait(list(waitables), timeout=1.0):
                    s = waitables[obj]
                    if s is None:
                        self._reply_ocr()
                        continue
                    if obj is s.conn:
                        try:
                            msg = s.conn.recv()
                        except (EOFError, OSError):
                            continue  # the sentinel reports the death
                        if msg[0] == "ready":
                            s.ready, s.pid = True, msg[1]
                            emit("ready", {"worker": s.name, "pid": s.pid})
                        elif msg[0] == "progress":
                            emit("progress", (s.name,) + tuple(msg[1:]))
                        elif msg[0] == "result":
                            s.items = [i for i in s.items if i["id"] != msg[1]["id"]]
                            emit("result", msg[1])
                        elif msg[0] == "ocr":
                            self._submit_ocr(s, msg[1], msg[2])
                    elif not s.proc.is_alive():
                        self._replace(s, queue, attempts, emit)
        finally:
            self.close()

    # -- the shared OCR processes (in this, the driver's, process)

    def _submit_ocr(self, s: _Slot, rid: int, job: tuple) -> None:
        from extractors import ocr

        gen = s.gen

        def done(fut, s=s, gen=gen, rid=rid) -> None:  # runs in the executor's thread
            self._ocr_done.put((s, gen, rid, fut))
            try:
                os.write(self._wake_w, b"\0")
            except (BlockingIOError, OSError):  # the pipe is full: the loop is awake anyway
                pass

        self.ocr_used = True
        try:
            ocr.submit_page(job, self.cfg.ocr_slots).add_done_callback(done)
        except Exception as exc:  # noqa: BLE001 - the worker reads the page itself
            log.warning("shared OCR pool unavailable: %s", exc)
            self._send_ocr(s, gen, rid, False, str(exc))

    def _reply_ocr(self) -> None:
        from concurrent.futures.process import BrokenProcessPool

        from extractors import ocr

        try:
            os.read(self._wake_r, 65536)
        except (BlockingIOError, OSError):
            pass
        broken = False
        while True:
            try:
                s, gen, rid, fut = self._ocr_done.get_nowait()
            except Empty:
                break
            if fut.cancelled():
                self._send_ocr(s, gen, rid, False, "cancelled")
                continue
            exc = fut.exception()
            if exc is not None:
                broken = broken or isinstance(exc, BrokenProcessPool)
                self._send_ocr(s, gen, rid, False, f"{type(exc).__name__}: {exc}")
            else:
                self.ocr_pages += 1
                self._send_ocr(s, gen, rid, True, fut.result())
        if broken:  # an OCR process died: a fresh pool starts with the next page
            log.warning("a shared OCR process died; restarting the OCR pool")
            ocr.shutdown_pool()

    @staticmethod
    def _send_ocr(s: _Slot, gen: int, rid: int, ok: bool, value: Any) -> None:
        if s.gen != gen:
            return  # for a worker that has died since
        try:
            s.conn.send(("ocr_result", rid, ok, value))
        except (OSError, ValueError, BrokenPipeError):
            pass  # the sentinel reports the death

    def _replace(self, s: _Slot, queue: deque, attempts: dict, emit) -> None:
        code = s.proc.exitcode
        s.conn.close()
        if not s.ready:
            self.start_failures += 1
            if self.start_failures >= MAX_START_FAILURES:
                raise BatchError(f"工作进程无法启动（已连续失败 {self.start_failures} 次，退出码 {code}），"
                                 "请用 --verbose 查看日志（常见原因：数据库不可用、模型文件缺失、内存不足）。")
        held, s.items = s.items, []
        for ahead in reversed(held[1:]):  # sent ahead, not started: back to the front, no attempt counted
            queue.appendleft(ahead)
        item = held[0] if held else None
        if item is not None:
            n = attempts[item["id"]] = attempts.get(item["id"], 0) + 1
            if n < MAX_ATTEMPTS:
                queue.appendleft(item)
                emit("retry", {"id": item["id"], "name": item["name"], "exitcode": code})
            else:
                emit("crashed", item)
        fresh = self._start(s.name)
        s.proc, s.conn, s.ready, s.pid, s.gen = fresh.proc, fresh.conn, False, None, s.gen + 1

    def close(self, timeout: float = 5.0) -> None:
        if self.ocr_used:
            from extractors import ocr

            ocr.shutdown_pool()
            self.ocr_used = False
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1  # a second close must not close a reused descriptor
        for s in self.slots:
            try:
                s.conn.send(None)
            except (OSError, ValueError, BrokenPipeError):
                pass
        deadline = time.monotonic() + timeout
        for s in self.slots:
            s.proc.join(max(0.05, deadline - time.monotonic()) if s.item is None else 0.05)
        for s in self.slots:
            if s.proc.is_alive():
                s.proc.terminate()
                s.proc.join(2)
                if s.proc.is_alive():
                    s.proc.kill()
                    s.proc.join(2)
