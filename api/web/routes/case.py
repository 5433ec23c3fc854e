"""The 案件页 (``/cases/{scan_id}``): findings and hints with their evidence thumbnails (the unfilled slot's zone
for signature and seal findings), deadlines, coverage, the 类案比对 block, the review history; the evidence
images themselves (``…/evidence/{n}/crop.png|page.png``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.db import Scan, audit
from api.deps import SessionDep
from api.web import crops, index, review
from api.web.auth import actor
from api.web.common import (CONCLUSION_GRADES, PageError, UserDep, finding_of, months, page_number, render, report_for, scan_for,
                             secure_headers, sync_index)
from api.web.models import CaseRow, Conclusion
from assistant.deadlines import refresh as refresh_deadlines
from assistant.render import coverage_view, known_procuratorate

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


# --- 案件页 ---------------------------------------------------------------------------------------

#: Thumbnails shown per finding; the rest of its evidence is listed under them.
THUMBS_SHOWN = 4


def _overlap(a, b) -> float:
    if not a or not b:
        return 0.0
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def slot_zone(report: dict[str, Any], finding: dict[str, Any], e: dict[str, Any]) -> tuple[int, list[float]] | None:
    """For a signature/seal finding (SG-…): the page and box of the unfilled slot its evidence points at
    (where the 院印, signature or 落款 was looked for), so the crop shows that zone, not the page top."""
    if not str(finding.get("rule_id") or "").startswith("SG-"):
        return None
    doc = next((d for d in report.get("documents") or [] if d.get("id") == e.get("document_id")), None)
    slots = [sl for sl in (doc or {}).get("slots") or []
             if not sl.get("filled") and isinstance(sl.get("bbox"), list) and len(sl["bbox"]) == 4
             and (not e.get("file") or sl.get("file") in (None, e.get("file")))]
    if not slots:
        return None
    same = [sl for sl in slots if sl.get("page") == e.get("page")] or slots
    box = e.get("bbox")
    best = max(same, key=lambda sl: (_overlap(sl["bbox"], box), -abs((sl["bbox"][1] - (box or sl["bbox"])[1]))))
    page = best.get("page") if isinstance(best.get("page"), int) else e.get("page")
    return (page, best["bbox"]) if isinstance(page, int) else None


def _file_pages(report: dict[str, Any]) -> dict[str, int]:
    """Highest page of each file the report's documents cover (the viewer's page count)."""
    out: dict[str, int] = {}
    for d in report.get("documents") or []:
        src = d.get("source") or {}
        for part in [src] + list(d.get("parts") or []):
            f, pages = part.get("file"), [p for p in part.get("pages") or [] if isinstance(p, int)]
            if f and pages:
                out[f] = max(out.get(f, 0), max(pages))
    return out


def _evidence_views(request: Request, scan: Scan, report: dict[str, Any], f: dict[str, Any],
                    texts: dict[tuple[str, str], Any]) -> list[dict[str, Any]]:
    fid = str(f.get("id") or "")
    pages = texts.setdefault(("__pages__", ""), _file_pages(report))
    cache = request.app.state.storage.scan_dir(scan.id) / "web_cache"
    out = []
    for n, e in enumerate(f.get("evidence") or []):
        file, page = str(e.get("file") or ""), e.get("page")
        zone = slot_zone(report, f, e)
        if zone and (not isinstance(page, int) or not e.get("bbox")):
            page = zone[0]
        image = bool(file and isinstance(page, int) and crops.renderable(file))
        base = f"/cases/{quote(scan.id)}/findings/{quote(fid)}/evidence/{n}"
        if image and ("__count__", file) not in texts:  # the viewer pages through the whole file
            texts[("__count__", file)] = crops.page_count(Path(scan.input_path), cache, file)
        count = texts.get(("__count__", file)) or pages.get(file) or page
        view = {"n": n, "file": file, "page": page, "text": e.get("text") or "", "image": image, "zone": bool(zone),
                "crop": f"{base}/crop.png" if image else "", "full": f"{base}/page.png" if image else "",
                "pages": count, "stamped": e.get("stamped_page"), "context": None}
        if not image and file and view["text"]:
            key = (file, view["text"])
            if key not in texts:
                texts[key] = crops.text_context(Path(scan.input_path), cache, file, view["text"])
            view["context"] = texts[key]
        out.append(view)
    return out


@router.get("/cases/{scan_id}", response_class=HTMLResponse)
def case_page(request: Request, scan_id: str, user: UserDep, session: SessionDep, error: str = "") -> Response:
    scan = scan_for(session, user, scan_id)
    audit(session, "web.case.view", actor(user), target=scan.id)
    session.commit()
    row = session.get(CaseRow, scan.id)
    if row is None or row.scan_status != scan.status:  # opened before the list: index it now
        sync_index(request, session, only=[scan.id])
        row = session.get(CaseRow, scan.id)
    if scan.status != "done":
        return render(request, "pending.html", scan=scan, status_label=index.SCAN_STATUS_LABELS.get(scan.status, scan.status),
                      nav="list")
    report = report_for(request, scan)
    texts: dict = {}
    findings = [{**f, "views": _evidence_views(request, scan, report, f, texts)} for f in report.get("findings") or []]
    hints = [{**f, "views": _evidence_views(request, scan, report, f, texts)} for f in report.get("hints") or []]
    conclusion = session.get(Conclusion, scan.id)
    key = row.group_key if row is not None and row.group_key else review.group_key(index._case_no(report), scan.id)
    events = review.events_of(session, key)
    siblings = list(session.scalars(select(CaseRow).where(CaseRow.group_key == key, CaseRow.scan_id != scan.id)
                                    .order_by(CaseRow.scanned_at.desc()).limit(20))) if row is not None else []
    undisposed = review.undisposed_key_findings(report)
    status = row.review_status if row is not None else review.PENDING
    owner = user.role == "prosecutor" or (scan.prosecutor and scan.prosecutor in index.own_names(user))
    return render(request, "case.html", scan=scan, row=row, report=report, findings=findings, hints=hints,
                  deadlines=refresh_deadlines(report.get("deadlines") or []), conclusion=conclusion,
                  grades=CONCLUSION_GRADES, can_review=user.role in ("evaluator", "admin"), error=error[:300],
                  case_no=(row.case_no if row is not None and row.case_no else index._case_no(report)), nav="list",
                  coverage=coverage_view(report.get("coverage")), history=review.history(events, {}),
                  siblings=siblings, undisposed=undisposed, flow_status=status, review=review,
                  can_resubmit=bool(owner) and status == review.RETURNED,
                  title=(row.name if row is not None and row.name else scan.name),
                  similar=similar_view(report.get("similar_cases"), request.app.state.cfg.core),
                  notice_org=known_procuratorate(report))


def similar_view(sim: dict[str, Any] | None, settings) -> dict[str, Any] | None:
    """The 类案比对 block: each neighbour with its charges, sentence, a summary of its facts (from the
    index) and why it was matched (same charge, similarity, circumstances shared and not)."""
    if not sim:
        return None
    from assistant.similar import neighbour_facts

    mine = set((sim.get("circumstances") or {}).get("circumstances") or [])
    charge = sim.get("charge")
    neighbours = [n for n in sim.get("neighbours") or [] if isinstance(n, dict)][:10]
    try:
        facts = neighbour_facts(settings, [str(n.get("id")) for n in neighbours])
    except Exception:  # noqa: BLE001 - the block shows without summaries rather than not at all
        log.warning("similar-case facts lookup failed", exc_info=True)
        facts = {}
    rows = []
    for n in neighbours:
        only_here, only_there = list(n.get("circumstances_only_here") or []), list(n.get("circumstances_only_there") or [])
        shared = sorted(mine - set(only_here))
        reason = []
        if charge and charge in (n.get("charges") or []):
            reason.append(f"同罪名（{charge}）")
        if isinstance(n.get("similarity"), (int, float)):
            reason.append(f"案情文字相似度 {n['similarity'] * 100:.0f}%")
        if shared:
            reason.append("共同情节：" + "、".join(shared))
        if only_here:
            reason.append("本案另有：" + "、".join(only_here))
        if only_there:
            reason.append("该案另有：" + "、".join(only_there))
        if isinstance(n.get("amount_yuan"), (int, float)):
            reason.append(f"涉案金额约 {n['amount_yuan']:,.0f} 元")
        rows.append({"id": n.get("id"), "charges": "、".join(n.get("charges") or []) or "—",
                     "sentence": months(n.get("sentence_months")) if n.get("sentence_months") is not None else "—",
                     "outcome": n.get("outcome") or "", "similarity": n.get("similarity"),
                     "facts": facts.get(str(n.get("id")), ""), "reason": "；".join(reason)})
    return {**sim, "rows": rows}


@router.get("/cases/{scan_id}/findings/{finding_id}/evidence/{n}/{kind}.png")
def evidence_image(request: Request, scan_id: str, finding_id: str, n: int, kind: str, user: UserDep,
                   session: SessionDep) -> Response:
    if kind not in ("crop", "page"):
        raise PageError(404, "页面不存在", "请求的页面不存在。")
    scan = scan_for(session, user, scan_id)
    report = report_for(request, scan)
    evidence = finding_of(report, finding_id).get("evidence") or []
    if not 0 <= n < len(evidence):
        raise PageError(404, "证据不存在", "该问题没有这条证据。")
    e = evidence[n]
    finding = finding_of(report, finding_id)
    zone = slot_zone(report, finding, e)
    ev_page = zone[0] if zone and (not isinstance(e.get("page"), int) or not e.get("bbox")) else int(e.get("page") or 1)
    want = ev_page
    if kind == "page" and request.query_params.get("page"):
        want = page_number(request.query_params.get("page"))
    cache = request.app.state.storage.scan_dir(scan.id) / "web_cache"
    try:
        data = crops.page_png(Path(scan.input_path), cache, str(e.get("file") or ""), want,
                              e.get("bbox") if want == ev_page else None, crop=kind == "crop",
                              text=str(e.get("text") or ""), zone=zone[1] if zone and zone[0] == want else None,
                              highlight=want == ev_page)
    except crops.NoImage as exc:
        raise PageError(404, "没有页面图像", str(exc), back=f"/cases/{quote(scan.id)}", back_label="返回案件页")
    resp = Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
    return secure_headers(resp, cache=True)
