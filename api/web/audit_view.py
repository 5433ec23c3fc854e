"""The audit log as an administrator reads it: actions, roles and details in Chinese, targets
named (the account's user name, the case's name and 案号 with a link), local times, filters and
an XLSX/CSV export of what the filters select."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.db import AuditEntry, Scan
from api.web.models import User

ACTIONS = {
    "web.login": "登录",
    "web.login_failed": "登录失败（密码错误）",
    "web.login_locked": "登录被拒（已锁定）",
    "web.account_locked": "账号因多次输错密码被锁定",
    "web.address_locked": "地址因多次输错密码被锁定",
    "web.account_unlocked": "解除账号锁定",
    "web.logout": "退出登录",
    "web.case.view": "查看案件",
    "web.case.forbidden": "无权查看案件（已拒绝）",
    "web.conclusion": "保存评查结论",
    "web.conclusion_override": "重点评查问题未处置仍保存结论（已说明理由）",
    "web.review.return": "退回整改",
    "web.review.resubmit": "整改后提请复核",
    "web.review.recheck": "复核",
    "web.export": "导出报表",
    "disposition": "处置问题",
    "report.read": "读取报告 JSON",
    "report.html.read": "读取 HTML 报告",
    "notice.read": "下载评查结果通知书",
    "scan.submit": "提交卷宗",
    "scan.resubmit": "重复提交卷宗",
    "scan.read.denied": "读取他人扫描任务（已拒绝）",
    "batch.submit": "提交批量评查",
    "batch.summary.read": "下载批量评查汇总",
    "key.create": "创建 API 密钥",
    "key.revoke": "吊销 API 密钥",
    "user.create": "创建用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
}
ROLES = {"prosecutor": "检察官", "evaluator": "评查员", "admin": "管理员", "intake": "受理"}
DETAIL_KEYS = {
    "status": "处置", "reason": "理由", "rule_id": "规则", "via": "途径", "grade": "等次", "files": "文件数",
    "pages": "页数", "rejected": "被搁置文件", "username": "用户名", "role": "角色", "department": "部门",
    "address": "地址", "failures": "已失败次数", "scope": "锁定范围", "seconds_left": "剩余秒数", "lockout_s": "锁定秒数",
    "override_reason": "未处置即保存的理由", "undisposed": "未处置的重点问题", "note": "说明", "machine_grade": "机器建议等次",
}
DETAIL_VALUES = {"web": "网页", "account": "账号", "address": "地址", "api": "接口", "cli": "命令行"}
FILTERS = ("action", "who", "target", "date_from", "date_to")
HEADS = ("时间", "操作人", "角色", "操作", "对象", "详情")


def local(value: dt.datetime | None) -> str:
    """A stored (naive UTC) time in the server's local time, ``YYYY-MM-DD HH:MM``."""
    if not isinstance(value, dt.datetime):
        return ""
    return value.replace(tzinfo=dt.timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")


def _date(v: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(v or "").strip()[:10])
    except ValueError:
        return None


def _utc(d: dt.date) -> dt.datetime:
    """Local midnight of ``d`` as naive UTC (how times are stored)."""
    return dt.datetime.combine(d, dt.time()).astimezone().astimezone(dt.timezone.utc).replace(tzinfo=None)


def query(f: dict[str, str]):
    q = select(AuditEntry)
    if f.get("action"):
        q = q.where(AuditEntry.action == f["action"])
    if f.get("who"):
        like = f"%{f['who'].strip()}%"
        q = q.where(or_(AuditEntry.key_name.like(like), AuditEntry.key_id == f["who"].strip()))
    if f.get("target"):
        q = q.where(AuditEntry.target.like(f"%{f['target'].strip()}%"))
    if d := _date(f.get("date_from")):
        q = q.where(AuditEntry.at >= _utc(d))
    if d := _date(f.get("date_to")):
        q = q.where(AuditEntry.at < _utc(d + dt.timedelta(days=1)))
    return q.order_by(AuditEntry.id.desc())


def entries(session: Session, f: dict[str, str], limit: int = 200) -> list[dict[str, Any]]:
    """The selected entries, newest first, as rows of Chinese text with the target's link."""
    rows = list(session.scalars(query(f).limit(limit)))
    users = {f"u:{u.id}": u for u in session.scalars(select(User))}
    scan_ids = {e.target.split("/")[0] for e in rows if e.target and not e.target.startswith("u:")}
    scans = {s.id: s for s in session.scalars(select(Scan).where(Scan.id.in_(list(scan_ids)[:1000])))} if scan_ids else {}
    out = []
    for e in rows:
        target, link = _target(e, users, scans)
        out.append({"时间": local(e.at), "操作人": _who(e, users), "角色": ROLES.get(e.role or "", e.role or "—"),
                    "操作": ACTIONS.get(e.action, e.action), "对象": target, "详情": _detail(e.detail), "link": link,
                    "action": e.action})
    return out


def _who(e: AuditEntry, users: dict[str, User]) -> str:
    u = users.get(e.key_id or "")
    if u is not None and u.display_name and u.display_name != u.username:
        return f"{u.display_name}（{u.username}）"
    return e.key_name or ("—" if e.key_id is None else e.key_id)


def _target(e: AuditEntry, users: dict[str, User], scans: dict[str, Scan]) -> tuple[str, str]:
    t = e.target or ""
    if not t:
        return "—", ""
    if t in users:
        u = users[t]
        return f"用户 {u.label}" + (f"（{u.username}）" if u.display_name and u.display_name != u.username else ""), ""
    scan_id, _, finding = t.partition("/")
    if scan_id in scans:
        s = scans[scan_id]
        return f"案件 {s.name}" + (f" · 问题 {finding}" if finding else ""), f"/cases/{s.id}" + (f"#f-{finding}" if finding else "")
    if e.action.startswith("web.login") or e.action.endswith("_locked"):
        return f"用户名 {t}", ""
    if e.action == "web.export":
        return f"报表 {t}", ""
    return t, ""


def _detail(detail: dict | None) -> str:
    if not detail:
        return ""
    parts = []
    for k, v in detail.items():
        if v in (None, "", [], {}):
            continue
        if isinstance(v, list):
            v = "、".join(str(x) for x in v)
        parts.append(f"{DETAIL_KEYS.get(k, k)}：{DETAIL_VALUES.get(str(v), v)}")
    return "；".join(parts)


def export(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """The rows as XLSX or CSV."""
    from api.web.dashboard import csv_bytes, xlsx

    table = [{h: r[h] for h in HEADS} for r in rows]
    return xlsx(table, "审计日志") if fmt == "xlsx" else csv_bytes(table, list(HEADS))
