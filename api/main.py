"""Build the FastAPI app: routers, error handlers, database, storage and the scan workers.

Run with ``assistant serve`` (uvicorn, factory :func:`create_app`).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.batch import batch_sessions
from api.db import get_engine, session_factory
from api.jobs import Supervisor
from api.routes import batches, health, keys, meta, rules, scans
from api.settings import ServiceSettings
from api.storage import Storage

API_VERSION = "1.0.0"


def create_app(cfg: ServiceSettings | None = None, start_workers: bool = True) -> FastAPI:
    """The service app. ``start_workers=False`` serves the API without scanning (queue only)."""
    cfg = cfg or ServiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.storage.clean_tmp()
        sup = Supervisor(cfg) if start_workers else None
        app.state.supervisor = sup
        if sup:
            sup.start()
        try:
            yield
        finally:
            if sup:
                sup.stop()

    app = FastAPI(
        title="评查助手扫描服务",
        version=API_VERSION,
        description="提交刑事案件电子卷宗，获取问题清单、建议等次、HTML 报告与评查结果通知书。"
                    "除 /healthz 外，所有接口均需 API 密钥（Authorization: Bearer 或 X-API-Key）。",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    get_engine(cfg.db_url)
    batch_sessions(cfg.db_url)  # the batch tables (api.batch) beside the service's
    app.state.cfg = cfg
    app.state.sessions = session_factory(cfg.db_url)
    app.state.storage = Storage(cfg.storage_dir)
    app.state.supervisor = None
    errors.install(app)
    for r in (health.router, scans.router, batches.router, rules.router, keys.router, meta.router):
        app.include_router(r)
    from api.web.pages import install as install_pages

    install_pages(app)
    return app
