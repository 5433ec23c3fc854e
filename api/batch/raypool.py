"""The Ray pool (the ``ray`` extra): one scanning actor per CPU slot (models loaded once per actor,
``max_restarts``/``max_task_retries`` for crashes), at most ``2 × actors`` dossiers in flight
(backpressure), results written by the actors; one OCR actor per scanning actor, which every
scanning actor may send pages to."""

from __future__ import annotations

import logging
import os
from collections import deque
from typing import Any, Callable, Iterable

from api.batch.store import MAX_ATTEMPTS, BatchError
from api.batch.worker import BatchWorker, WorkerConfig
from api.worker import quiet_threads

log = logging.getLogger(__name__)


def _ray_actor_class():
    import ray

    @ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=MAX_ATTEMPTS)
    class BatchActor:
        """A Ray actor holding one :class:`BatchWorker` (models loaded once per actor)."""

        def __init__(self, cfg: WorkerConfig, name: str, ocr_actors: list | None = None):
            node = ray.get_runtime_context().get_node_id()
            self.worker = BatchWorker(cfg, name, node=node)
            if ocr_actors:
                from extractors.ocr import share_pages_with

                share_pages_with(_RayOcr(ocr_actors))

        def where(self) -> tuple[str, int]:
            return self.worker.node, os.getpid()

        def process(self, item: dict) -> dict:
            return self.worker.process(item)

    return BatchActor


def _ray_ocr_class():
    import ray

    @ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=MAX_ATTEMPTS)
    class OcrActor:
        """One OCR engine on one thread; every scanning actor of the batch sends it pages. It
        takes no CPU slot of its own: it works while the scanning actors wait for their pages."""

        def __init__(self):
            quiet_threads()
            self.done = 0

        def page(self, job: tuple) -> Any:
            from extractors.ocr import ocr_one

            self.done += 1
            return ocr_one(job)

        def pages(self) -> int:
            return self.done

    return OcrActor


class _RayFuture:
    def __init__(self, ref: Any):
        self.ref = ref

    def result(self) -> Any:
        import ray

        return ray.get(self.ref)


class _RayOcr:
    """A scanning actor's way to the batch's OCR actors: pages go to them in turn."""

    def __init__(self, actors: list):
        self.actors, self.slots, self._k = list(actors), len(actors), 0

    def submit(self, job: tuple) -> _RayFuture:
        actor = self.actors[self._k % len(self.actors)]
        self._k += 1
        return _RayFuture(actor.page.remote(job))


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a ``host:port`` nobody listens on (``ray.init`` would retry for minutes)."""
    import socket

    host, sep, port = address.rpartition(":")
    if address in ("auto", "local") or not sep or not port.isdigit():
        return
    host = host.removeprefix("ray://") or "127.0.0.1"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise BatchError(f"无法连接 Ray 集群 {address}（{exc.strerror or '连接失败'}）：请确认已用 ray start "
                         "启动集群且地址、端口正确，或用 --ray auto 连接本机集群。") from exc


class RayPool:
    """Actors on a Ray cluster; at most ``2 × actors`` dossiers in flight."""

    def __init__(self, cfg: WorkerConfig, address: str, workers: int | None = None, in_flight: int | None = None):
        import ray

        self.cfg = cfg
        if not ray.is_initialized():
            _check_reachable(address)
            try:
                ray.init(address=None if address == "local" else address, log_to_driver=False,
                         ignore_reinit_error=True, logging_level=logging.WARNING)
            except Exception as exc:  # ConnectionError, RuntimeError, ValueError …
                raise BatchError(f"无法连接 Ray 集群 {address}（请确认已用 ray start 启动集群，"
                                 "地址形如 主机:6379，或用 --ray auto 连接本机集群）。") from exc
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.n = max(1, workers or cpus)
        self.in_flight = in_flight or 2 * self.n
        self.ocr_actors: list = []
        self.ocr_pages = 0
        if str(cfg.settings.ocr_engine).lower() != "none":  # one OCR actor per scanning actor, spread over the nodes
            Ocr = _ray_ocr_class()
            self.ocr_actors = [Ocr.options(scheduling_strategy="SPREAD").remote() for _ in range(self.n)]
        Actor = _ray_actor_class()
        self.actors = [Actor.options(name=None).remote(cfg, f"r{i + 1}", self.ocr_actors) for i in range(self.n)]

    def wait_ready(self) -> list[tuple[str, int]]:
        """(node id, pid) of every actor, once all have loaded their models."""
        import ray
        from ray.exceptions import RayError

        try:
            return ray.get([a.where.remote() for a in self.actors])
        except RayError as exc:
            raise BatchError(f"Ray 工作进程无法启动：请确认各节点可访问同一数据库"
                             "（多台机器须使用 PostgreSQL）与数据目录，并已安装本程序。") from exc

    def run(self, items: Iterable[dict], emit: Callable[[str, Any], None]) -> None:
        import ray
        from ray.exceptions import RayError

        for node, pid in self.wait_ready():
            emit("ready", {"node": node, "pid": pid})
        queue: deque = deque(items)
        attempts: dict[str, int] = {}
        busy: dict[Any, tuple[int, dict]] = {}
        load = [0] * self.n
        while queue or busy:
            while queue and len(busy) < self.in_flight:
                item = queue.popleft()
                a = min(range(self.n), key=lambda i: load[i])
                busy[self.actors[a].process.remote(item)] = (a, item)
                load[a] += 1
            done, _ = ray.wait(list(busy), num_returns=1, timeout=1.0)
            for ref in done:
                a, item = busy.pop(ref)
                load[a] -= 1
                try:
                    emit("result", ray.get(ref))
                except RayError as exc:
                    n = attempts[item["id"]] = attempts.get(item["id"], 0) + 1
                    if n < MAX_ATTEMPTS:
                        queue.appendleft(item)
                        emit("retry", {"id": item["id"], "name": item["name"], "error": type(exc).__name__})
                    else:
                        emit("crashed", item)

    def close(self) -> None:
        import ray

        if self.ocr_actors:  # pages read by the OCR actors (the benchmark and tests show it)
            try:
                self.ocr_pages = sum(ray.get([a.pages.remote() for a in self.ocr_actors], timeout=60))
            except Exception:  # noqa: BLE001 - a dead actor: the count is only informative
                log.warning("could not count the pages read by the OCR actors", exc_info=True)
        for a in self.actors + self.ocr_actors:
            try:
                ray.kill(a)
            except Exception:  # pragma: no cover
                pass
