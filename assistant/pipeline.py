"""The scan pipeline: dossier → case file → similar cases → rules → grade → report.

This is the one place that wires extraction, checks and the index together; the CLI,
the API and batch runs all call :func:`scan`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from models import CaseFile, Finding, Report

from models.settings import Settings, get_settings
from assistant.grading import gate, grade

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is a Chinese label such as "读取页面"."""


class DossierError(Exception):
    """The dossier could not be read at all (message in Chinese)."""


@dataclass
class ScanResult:
    """What one scan produced: the report (the contract), the case file, the findings and the stage timings."""

    report: dict[str, Any]
    case: CaseFile
    findings: list[Finding]
    timings: dict[str, float] = field(default_factory=dict)


def scan(
    path: str | Path,
    settings: Settings | None = None,
    profile: Any = None,
    progress: Progress | None = None,
    dispositions: dict[str, dict] | None = None,
) -> ScanResult:
    """Scan one dossier (folder, zip, PDF, DOCX or image) and build its report.

    ``profile`` is an :class:`assistant.profiles.Profile` (or None for defaults);
    ``dispositions`` maps finding ids to stored evaluator dispositions, which are shown
    on the findings and exclude 误报/不适用 findings from points and grade.
    """
    from checks.catalog import load_catalog
    from checks.runner import run_rules
    from extractors import DossierReadError, extract_case

    from assistant import profiles as profiles_mod
    from assistant.report import build_report

    settings = settings or get_settings()
    profile = profile or profiles_mod.load_default(settings)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        case = extract_case(Path(path), settings=settings, progress=progress)
    except DossierReadError as exc:
        raise DossierError(str(exc)) from exc
    timings["extract"] = time.perf_counter() - t0
    from assistant.coverage import coverage as read_coverage

    coverage = read_coverage(case, profile.case_kind)

    t1 = time.perf_counter()
    similar = None
    index_dir = settings.effective_index_dir()
    if index_dir:
        from assistant.similar import assess_case

        # the case's own documents: an earlier judgment (前科) in the volume is not this case's sentence
        similar, warns = assess_case(case.view(("case",)), settings if settings.index_dir else
                                     settings.model_copy(update={"index_dir": index_dir}))
        case.warnings.extend(warns)
    timings["index"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    catalog = load_catalog(settings.catalog_path)
    run = run_rules(case, catalog, enabled=profile.enabled_rules(catalog), options=profile.rule_options(),
                    similar=similar)
    findings = profile.apply(run.findings)
    if dispositions:
        for f in findings:
            if f.id in dispositions:
                f.disposition = dispositions[f.id]
    timings["rules"] = time.perf_counter() - t2

    counted = [f for f in findings if not (f.disposition and f.disposition.get("status") in ("误报", "不适用"))]
    g = gate(grade(counted, profile.scheme, case_kind=profile.case_kind), coverage)
    deadlines = None
    try:  # the statutory deadlines of a case still in progress (期限预警); never fails the scan
        from assistant.deadlines import compute_deadlines

        deadlines = compute_deadlines(case.view(("case",)), catalog=catalog)
    except Exception:  # noqa: BLE001
        log.exception("deadline computation failed")
    report = build_report(case, findings, g, similar=similar, rule_warnings=run.warnings, profile=profile,
                          deadlines=deadlines, coverage=coverage)
    Report.model_validate(report)
    timings["total"] = time.perf_counter() - t0
    return ScanResult(report=report, case=case, findings=findings, timings=timings)
