"""Statutory deadlines of a case still in progress (流程监控 / 期限预警).

For a dossier without a 起诉书, 不起诉决定书 or 判决书 (the case is still being handled), the
periods that run from the acts the dossier records are computed with the period engine the
期限 rules use (:mod:`checks.calendar`, same counting: start day not counted, months to the
same day, holiday extension only outside custody):

| event | starts | period | rule |
|---|---|---|---|
| 提请批准逮捕 | 执行拘留 | 3 日（经审批延长至 7 日；流窜、多次、结伙作案 30 日） | DL-004 |
| 审查逮捕 | 检察院收到提请批准逮捕书 | 已拘留 7 日；未拘留 15 日 | DL-005 |
| 侦查羁押 | 执行逮捕 | 2 个月 + 延长月数 | DL-008 |
| 审查起诉 | 最近一次受理 | 1 个月（延长的 + 15 日） | DL-010 |
| 补充侦查 | 退回补充侦查 | 1 个月 | DL-012 |
| 告知 | 受理 | 3 日（被害人另计） | DL-013 / DL-014 |

Each item: ``event``, ``rule_id``, ``basis`` (the catalog's legal basis of that rule),
``start_event``, ``start``, ``due_date``, ``days_left`` (from ``as_of``), ``status``
(已办结 / 未到期 / 即将届满 / 已超期) and, for events already done, ``done_date``.
The report carries them as its ``deadlines`` list (empty for a finished case).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from models import CaseFile
from models import vocab as V

from checks.calendar import DayDeadline, period_end
from checks.catalog import Catalog
from checks.rules._common import acceptances, date_of, dated, in_custody, victims

SOON_DAYS = 3
FINISHED_TYPES = (V.INDICTMENT, V.NON_PROSECUTION, V.JUDGMENT)

_FALLBACK_BASIS = {
    "DL-004": "《中华人民共和国刑事诉讼法》第九十一条",
    "DL-005": "《中华人民共和国刑事诉讼法》第九十一条第三款",
    "DL-008": "《中华人民共和国刑事诉讼法》第一百五十六条",
    "DL-010": "《中华人民共和国刑事诉讼法》第一百七十二条",
    "DL-012": "《中华人民共和国刑事诉讼法》第一百七十五条",
    "DL-013": "《中华人民共和国刑事诉讼法》第三十四条",
    "DL-014": "《中华人民共和国刑事诉讼法》第四十六条",
}


def in_progress(case: CaseFile) -> bool:
    """No 起诉/不起诉 decision and no judgment in the dossier yet."""
    return not case.of_type(*FINISHED_TYPES)


def _basis(rule_id: str, catalog: Catalog | None) -> str:
    try:
        entry = catalog[rule_id] if catalog is not None else None
    except KeyError:
        entry = None
    if entry is not None and entry.basis:
        b = entry.basis[0]
        return f"{b.law}{b.article or ''}"
    return _FALLBACK_BASIS.get(rule_id, "")


def status_for(days_left: int, done: bool = False) -> str:
    if done:
        return "已办结"
    if days_left < 0:
        return "已超期"
    if days_left <= SOON_DAYS:
        return "即将届满"
    return "未到期"


def _item(event: str, rule_id: str, start_event: str, start: dt.date, limit: DayDeadline, period: str,
          as_of: dt.date, catalog: Catalog | None, done: dt.date | None = None) -> dict[str, Any]:
    due = limit.deadline
    days_left = (due - as_of).days
    out = {
        "event": event, "rule_id": rule_id, "basis": _basis(rule_id, catalog), "start_event": start_event,
        "start": start.isoformat(), "period": period, "due_date": due.isoformat(), "days_left": days_left,
        "status": status_for(days_left, done is not None), "as_of": as_of.isoformat(),
    }
    if done is not None:
        out["done_date"] = done.isoformat()
    return out


def compute_deadlines(case: CaseFile, as_of: dt.date | None = None, catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """The statutory deadlines of a case in progress, most urgent first; ``[]`` for a finished case."""
    if not in_progress(case):
        return []
    as_of = as_of or dt.date.today()
    custody = in_custody(case)
    items: list[dict[str, Any]] = []

    # 提请批准逮捕: from 执行拘留
    warrant = case.first(V.DETENTION_WARRANT)
    detained_on = date_of(warrant, V.EXECUTION_TIME, V.DATE)
    if detained_on:
        exts = case.of_type(V.DETENTION_EXTENSION)
        reasons = "、".join(str(d.value(V.EXTENSION_REASON) or "") for d in exts)
        days, period = 3, "3日"
        if exts and any(k in reasons for k in ("流窜", "多次", "结伙")):
            days, period = 30, "30日（流窜、多次、结伙作案延长）"
        elif exts:
            extra = next((int(v) for d in exts if isinstance(v := d.value(V.EXTENSION_DAYS), (int, float)) and v > 0), 4)
            days = min(7, 3 + extra)
            period = f"{days}日（经审批延长）"
        request = case.first(V.ARREST_REQUEST, V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL)
        done = date_of(request, V.RECEIVED_DATE, V.DATE) if request else None
        if request and done is None:
            done = detained_on
        items.append(_item("提请批准逮捕", "DL-004", "执行拘留", detained_on,
                           period_end(detained_on, days=days, policy="custody"), period, as_of, catalog, done))

    # 审查逮捕: from the procuratorate receiving the 提请批准逮捕书
    request = case.first(V.ARREST_REQUEST)
    received = None
    for doc in case.of_type(V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL, V.ARREST_REQUEST):
        received = date_of(doc, V.RECEIVED_DATE)
        if received:
            break
    received = received or date_of(request, V.DATE)
    if received:
        detained = next((d.value(V.DETAINED) for d in case.of_type(V.ARREST_REQUEST) if isinstance(d.value(V.DETAINED), bool)),
                        None)
        if detained is None:
            detained = bool(case.of_type(V.DETENTION_WARRANT))
        decision = case.first(V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL)
        done = (date_of(decision, V.DATE) or received) if decision else None
        if detained:
            limit, period = period_end(received, days=7, policy="custody"), "7日（已被拘留）"
        else:
            limit, period = period_end(received, days=15, custody=False), "15日（未被拘留；重大复杂20日）"
        items.append(_item("审查逮捕", "DL-005", "收到提请批准逮捕书", received, limit, period, as_of, catalog, done))

    # 侦查羁押: from 执行逮捕
    arrest = case.first(V.ARREST_WARRANT)
    arrested_on = date_of(arrest, V.EXECUTION_TIME, V.DATE)
    if arrested_on:
        months = 2
        for x in case.of_type(V.CUSTODY_EXTENSION):
            m = x.value(V.EXTENSION_MONTHS)
            months += int(m) if isinstance(m, (int, float)) and m > 0 else 1
        opinion = case.first(V.PROSECUTION_OPINION)
        done = (date_of(opinion, V.TRANSFER_DATE, V.DATE) or arrested_on) if opinion else None
        items.append(_item("侦查羁押", "DL-008", "执行逮捕", arrested_on, period_end(arrested_on, months=months, policy="custody"),
                           f"{months}个月" + ("（含延长）" if months > 2 else ""), as_of, catalog, done))

    # 审查起诉 (and 补充侦查): from the latest 受理
    accs = acceptances(case)
    if accs:
        latest = accs[-1][0]
        returns = [d for d, _ in dated(case.of_type(V.SUPPLEMENTARY_INVESTIGATION), V.DATE) if d >= latest]
        if returns:
            back = returns[-1]
            items.append(_item("补充侦查", "DL-012", "退回补充侦查", back, period_end(back, months=1, policy="custody"),
                               "1个月", as_of, catalog))
        else:
            ext = [x for d, x in dated(case.of_type(V.REVIEW_EXTENSION), V.DATE) if d >= latest]
            if ext:
                days = ext[0].value(V.EXTENSION_DAYS)
                days = int(days) if isinstance(days, (int, float)) and 0 < days <= 15 else 15
                limit, period = period_end(latest, months=1, days=days, custody=custody), f"1个月又{days}日（经延长）"
            else:
                limit, period = period_end(latest, months=1, custody=custody), "1个月"
            items.append(_item("审查起诉", "DL-010", "受理移送审查起诉", latest, limit, period, as_of, catalog))

        # 告知: within 3 days of the first 受理
        first = accs[0][0]
        notices = [d for d, _ in dated(case.of_type(V.RIGHTS_NOTICE), V.NOTIFY_RIGHTS_DATE, V.DATE) if d >= first]
        items.append(_item("告知（犯罪嫌疑人）", "DL-013", "受理移送审查起诉", first,
                           period_end(first, days=3, custody=custody), "3日", as_of, catalog,
                           notices[0] if notices else None))
        if victims(case):
            vnotes = [d for d, _ in dated(case.of_type(V.VICTIM_RIGHTS_NOTICE), V.NOTIFY_RIGHTS_DATE, V.DATE) if d >= first]
            items.append(_item("告知（被害人）", "DL-014", "受理移送审查起诉", first,
                               period_end(first, days=3, custody=custody), "3日", as_of, catalog,
                               vnotes[0] if vnotes else None))

    items.sort(key=lambda i: (i["status"] == "已办结", i["due_date"], i["event"]))
    return items


def refresh(items: list[dict[str, Any]], as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """The same items with ``days_left``/``status`` recomputed for ``as_of`` (today by default)."""
    as_of = as_of or dt.date.today()
    out = []
    for i in items or []:
        try:
            due = dt.date.fromisoformat(str(i.get("due_date"))[:10])
        except ValueError:
            continue
        days = (due - as_of).days
        out.append({**i, "days_left": days, "status": status_for(days, bool(i.get("done_date"))), "as_of": as_of.isoformat()})
    return out
