"""``/healthz``: liveness and queue depth (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from api.db import Scan
from api.deps import SessionDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz", response_model=Health, summary="健康检查")
def healthz(request: Request, session: SessionDep) -> Health:
    """服务状态、存活的扫描工作进程数和队列长度。"""
    counts = dict(session.execute(select(Scan.status, func.count()).where(Scan.status.in_(("queued", "running")))
                                  .group_by(Scan.status)).all())
    sup = request.app.state.supervisor
    alive = sum(1 for w in sup.workers.values() if w.is_alive()) if sup else 0
    return Health(status="ok", workers=alive, queued=counts.get("queued", 0), running=counts.get("running", 0))
