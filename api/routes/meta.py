"""``/v1/openapi.json``: the API description, for client generators (needs a key, like every
endpoint but ``/healthz``; the interactive docs pages are off because they load scripts
from the internet)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import KeyDep

router = APIRouter(tags=["meta"])


@router.get("/v1/openapi.json", include_in_schema=False)
def openapi(request: Request, key: KeyDep) -> JSONResponse:
    return JSONResponse(request.app.openapi())
