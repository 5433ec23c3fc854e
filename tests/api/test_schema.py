"""Property-based tests of every operation against the OpenAPI schema (schemathesis):
no 5xx, documented status codes, content types and auth behaviour, responses matching
their schemas. Bounded: 20 examples per operation, run with an admin key."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.main import create_app
from tests.api.conftest import make_cfg, make_keys

_tmp = Path(tempfile.mkdtemp(prefix="schemathesis-"))
atexit.register(shutil.rmtree, _tmp, True)
_cfg = make_cfg(_tmp, scan_workers=0)
KEYS = make_keys(_cfg)
# built at import: schemathesis parametrizes at collection time (from_fixture does not work
# with this pytest); the app starts no workers, so submitted scans stay queued
schema = schemathesis.openapi.from_asgi("/v1/openapi.json", create_app(_cfg, start_workers=False),
                                       headers={"X-API-Key": KEYS["admin"]})


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_operation(case):
    excluded = []
    if case.operation.definition.raw.get("operationId") in ("create_scan", "create_batch", "create_batch_from_manifest"):
        # schema-valid bytes are still refused when they are not a readable dossier (415/422/413)
        excluded.append(positive_data_acceptance)
    # the suite runs two xdist workers next to OCR tests on 2 cores: allow a slow answer (default 10 s)
    case.call_and_validate(headers={"X-API-Key": KEYS["admin"]}, excluded_checks=excluded, timeout=60)


def test_operation_ids_are_stable(tmp_path):
    app = create_app(make_cfg(tmp_path), start_workers=False)
    ops = {op["operationId"] for path in app.openapi()["paths"].values() for op in path.values()}
    assert ops == {"healthz", "create_scan", "list_scans", "get_scan", "get_scan_report", "get_scan_report_html",
                   "get_scan_notice", "set_finding_disposition", "list_rules", "get_rule", "create_key", "list_keys",
                   "revoke_key", "list_audit", "create_batch", "create_batch_from_manifest", "get_batch",
                   "get_batch_summary"}
