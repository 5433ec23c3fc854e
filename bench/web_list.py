"""Benchmark (not a timed test): the 案件列表, 案件页 and 分析研判 with 10,000 cases in SQLite.

Fills a fresh SQLite database with N finished scans (their case index rows, ~5 findings each,
deadlines for in-progress ones, dispositions on 10 % of the findings, one case in twenty scanned
twice under the same 案号, conclusions on the reviewed ones) plus one real case — the sample
dossier scanned by the pipeline, with its report, crops and review history — then measures, as the
median of several runs:

- each query alone (index sync with nothing to do, the list page's filtered count + page,
  every dashboard table, the deadlines query);
- each whole page through the ASGI app (server time: request in, HTML out), signed in as an
  evaluator (sees everything) and as a prosecutor (own cases only).

- the case page of the real case (server time; its crops are separate, lazily loaded images).

Usage: ``python bench/web_list.py [--cases 10000] [--runs 7]``. Targets: list and dashboards ≤ 300 ms,
case page ≤ 500 ms (issue 22).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHARGES = ["盗窃罪", "诈骗罪", "故意伤害罪", "危险驾驶罪", "走私、贩卖、运输、制造毒品罪", "寻衅滋事罪", "抢劫罪", "帮助信息网络犯罪活动罪"]
DEPTS = ["第一检察部", "第二检察部", "第三检察部", "第四检察部", "未成年人检察部"]
RULES = [("SG-001", "签名签章", 3), ("DL-010", "期限", 5), ("DOC-017", "文书内容", 4), ("CON-001", "一致性", 2),
         ("DL-004", "期限", 5), ("SG-009", "签名签章", 1), ("DOC-003", "文书制作", 2), ("SUB-007", "实体", 9),
         ("DL-013", "期限", 2), ("CON-006", "一致性", 1)]
GRADES = ["合格", "瑕疵", "不合格"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
PASSWORD = "Bench-密码-2468-xy"
SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample" / "dossier"


def real_case(url: str, cfg, prosecutor: str) -> str:
    """The sample dossier scanned by the pipeline, stored as a finished scan with its report and a
    review history, so that its case page is what an evaluator opens (returns its scan id)."""
    import shutil

    from api.db import Scan, session_factory
    from api.storage import Storage
    from api.web import index, review
    from api.web.models import User
    from assistant.pipeline import scan

    storage = Storage(cfg.storage_dir)
    sid = "f" * 16
    folder = storage.scan_dir(sid) / "样例卷宗"
    shutil.copytree(SAMPLE, folder)
    report = scan(folder, settings=cfg.core).report
    path = storage.write_report(sid, report)
    with session_factory(url)() as s:
        s.add(Scan(id=sid, content_hash="f" * 64, dossier_key="sample", name="样例卷宗", status="done",
                   input_path=str(folder), report_path=str(path), files=4, pages=report["dossier"]["pages"],
                   prosecutor=prosecutor, created_at=dt.datetime.utcnow(), finished_at=dt.datetime.utcnow()))
        s.commit()
        index.sync(s, storage, cfg, only=[sid])
        ev = s.query(User).filter(User.username == "评查员").one()
        key = review.group_key(index._case_no(report), sid)
        review.record(s, key, sid, ev, review.RETURN, note="补齐签名")
        review.record(s, key, sid, ev, review.RESUBMIT, note="已补签")
        s.commit()
        index.reindex_group(s, storage, cfg, key)
    return sid


def fill(url: str, n: int, rng: random.Random) -> None:
    from sqlalchemy import insert

    from api.db import Scan, session_factory
    from api.web import auth
    from api.web.index import _disp_stamps
    from api.web.models import CaseRow, Conclusion, DeadlineRow, FindingRow, create_tables
    from api.web.review import group_key
    from assistant.dispositions import DispositionRow

    create_tables(url)
    prosecutors = [f"{SURNAMES[i % len(SURNAMES)]}检察官{i}" for i in range(60)]
    start = dt.datetime(2025, 1, 1)
    scans, cases, findings, deadlines, disps, conclusions = [], [], [], [], [], []
    for i in range(n):
        sid = f"{i:016x}"
        key = f"k{i:063d}"
        when = start + dt.timedelta(minutes=rng.randrange(0, 700 * 24 * 60))
        pros = rng.choice(prosecutors)
        dept = DEPTS[prosecutors.index(pros) % len(DEPTS)]
        charge = rng.choice(CHARGES)
        who = rng.choice(SURNAMES) + rng.choice("明华强伟芳娜静军") + rng.choice("东西南北中")
        rescan = i % 20 == 1  # one case in twenty was scanned twice: this is its older scan, same 案号
        case_no = f"测检刑诉〔2025〕{i - 1 if rescan else i}号"
        if rescan:
            when = start - dt.timedelta(minutes=rng.randrange(1, 24 * 60))
        fs = rng.sample(RULES, rng.randint(0, 7))
        points = sum(p for _, _, p in fs)
        grade = "不合格" if points >= 20 else ("瑕疵" if points >= 4 else "合格")
        in_progress = rng.random() < 0.2
        scans.append(dict(id=sid, content_hash=f"{i:064x}", dossier_key=key, name=f"卷宗{i}", status="done",
                          input_path="/nonexistent", report_path="/nonexistent/report.json", files=3, pages=40,
                          prosecutor=pros, created_at=when, finished_at=when))
        status = rng.choice(["待评查", "评查中", "已评查", "退回整改", "待复核"])
        final = rng.choice(["优质", "合格", "瑕疵", "不合格"]) if status == "已评查" else ""
        closed = None if in_progress else (when - dt.timedelta(days=rng.randint(0, 20))).date()
        cases.append(dict(scan_id=sid, dossier_key=key, scan_status="done", name=f"卷宗{i}", case_no=case_no, charges=charge,
                          defendants=who, prosecutor=pros, department=dept, scanned_at=when, month=when.strftime("%Y-%m"),
                          grade=grade, points=points, key_review=points >= 9, findings=len(fs),
                          review_status=status, in_progress=in_progress,
                          search=" ".join([f"卷宗{i}", case_no, charge, who, pros, dept]).lower(), disp_count=0, disp_at="",
                          indexed_at=when, group_key=group_key(case_no, sid), latest=not rescan,
                          group_scans=2 if (rescan or i % 20 == 0) else 1, final_grade=final, closed_on=closed,
                          closed_month=closed.strftime("%Y-%m") if closed else ""))
        if final:
            conclusions.append(dict(scan_id=sid, grade=final, opinion="", by="评查员", at=when, by_label="评查员",
                                    machine_grade=grade, override_reason=""))
        for j, (rule, cat, p) in enumerate(fs):
            status = ""
            if rng.random() < 0.1:
                status = rng.choice(["确认", "误报", "不适用"])
                disps.append(dict(dossier_key=key, finding_id=f"f{j}", rule_id=rule, status=status, reason="理由",
                                  by="评查员", message="", at=when))
            findings.append(dict(scan_id=sid, finding_id=f"f{j}", rule_id=rule, title=rule, category=cat, points=p,
                                 disposition=status, department=dept, prosecutor=pros, month=when.strftime("%Y-%m")))
        if in_progress:
            for ev in ("侦查羁押", "审查起诉", "告知（犯罪嫌疑人）"):
                deadlines.append(dict(scan_id=sid, event=ev, rule_id="DL-010", basis="刑事诉讼法", start_event="受理",
                                      start=when.date(), period="1个月",
                                      due_date=dt.date.today() + dt.timedelta(days=rng.randint(-10, 60)), done=False,
                                      prosecutor=pros))
    with session_factory(url)() as s:
        s.execute(insert(Scan), scans)
        s.execute(insert(CaseRow), cases)
        s.execute(insert(FindingRow), findings)
        s.execute(insert(DeadlineRow), deadlines)
        s.execute(insert(DispositionRow), disps)
        if conclusions:
            s.execute(insert(Conclusion), conclusions)
        s.commit()
        stamps = _disp_stamps(s)
        for row in s.query(CaseRow).filter(CaseRow.dossier_key.in_(list(stamps))):
            row.disp_count, row.disp_at = stamps[row.dossier_key]
        s.commit()
        auth.create_user(s, "评查员", PASSWORD, "evaluator", display_name="评查员甲")
        auth.create_user(s, prosecutors[0], PASSWORD, "prosecutor", department=DEPTS[0])
    print(f"已生成 {n} 件案件、{len(findings)} 项问题、{len(disps)} 条处置、{len(deadlines)} 条期限。")
    return prosecutors[0]


def timed(fn, runs: int) -> float:
    fn()  # warm
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from api.db import session_factory
    from api.main import create_app
    from api.settings import ServiceSettings
    from api.storage import Storage
    from api.web import dashboard, index
    from api.web.models import User
    from models.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="web-bench-"))
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    t0 = time.perf_counter()
    prosecutor = fill(url, args.cases, random.Random(7))
    print(f"（生成用时 {time.perf_counter() - t0:.1f} 秒）")
    cfg = ServiceSettings(core=Settings(data_dir=tmp / "data", database_url=url), worker_mode="thread", scan_workers=0)
    storage = Storage(cfg.storage_dir)
    t0 = time.perf_counter()
    case_id = real_case(url, cfg, prosecutor)
    print(f"（样例卷宗扫描用时 {time.perf_counter() - t0:.1f} 秒）")
    results: list[tuple[str, float]] = []
    with session_factory(url)() as s:
        ev = s.scalar(select(User).where(User.username == "评查员"))
        pr = s.scalar(select(User).where(User.username == prosecutor))
        assert index.sync(s, storage, cfg) == 0, "the generated index should be current"
        results.append(("索引同步（无变化）", timed(lambda: index.sync(s, storage, cfg), args.runs)))
        for label, f in (("列表：首页", {}), ("列表：检索“盗窃”", {"q": "盗窃"}),
                         ("列表：部门+等次+扣分", {"department": "第二检察部", "grade": "瑕疵", "points_min": "5"}),
                         ("列表：重点评查+状态+日期", {"key_review": "1", "status": "评查中", "date_from": "2025-06-01",
                                             "date_to": "2025-12-31"})):
            results.append((label, timed(lambda f=f: index.list_cases(s, ev, f, 1), args.runs)))
        results.append(("列表：最后一页", timed(lambda: index.list_cases(s, ev, {}, args.cases // 50), args.runs)))
        results.append(("列表：检察官本人案件", timed(lambda: index.list_cases(s, pr, {}, 1), args.runs)))
        results.append(("列表：筛选项", timed(lambda: index.filter_options(s, ev), args.runs)))
        for name, title in dashboard.TABLES.items():
            results.append((f"分析研判：{title}", timed(lambda name=name: dashboard.table(s, ev, name), args.runs)))
        results.append(("分析研判：总计", timed(lambda: dashboard.totals(s, ev), args.runs)))

    app = create_app(cfg, start_workers=False)
    client = TestClient(app)
    page = client.get("/login")
    import re

    def sign_in(name: str) -> TestClient:
        c = TestClient(app)
        p = c.get("/login")
        tok = re.search(r'name="csrf_token" value="([^"]+)"', p.text).group(1)
        r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": tok}, follow_redirects=False)
        assert r.status_code == 303
        return c

    del page, client
    evc, prc = sign_in("评查员"), sign_in(prosecutor)
    for label, c, path in (("页面：案件列表（评查员）", evc, "/"), ("页面：案件列表 检索+筛选", evc, "/?q=诈骗&grade=瑕疵&page=2"),
                           ("页面：案件列表（检察官）", prc, "/"), ("页面：分析研判（全部图表与表格）", evc, "/dashboard"),
                           ("页面：案件列表 按扣分排序", evc, "/?sort=points&dir=desc"),
                           ("页面：期限预警", evc, "/deadlines"), ("导出：按规则 XLSX", evc, "/dashboard/rule.xlsx"),
                           ("页面：案件页（样例卷宗，评查员）", evc, f"/cases/{case_id}"),
                           ("页面：案件页（样例卷宗，检察官）", prc, f"/cases/{case_id}")):
        def get(c=c, path=path):
            r = c.get(path)
            assert r.status_code == 200, (path, r.status_code)
        results.append((label, timed(get, args.runs)))

    width = max(len(k) for k, _ in results) + 2
    print(f"\n{'项目'.ljust(width)}  服务端用时（中位数，{args.runs} 次）")
    over = []
    for label, ms in results:
        target = 500 if "案件页" in label else 300
        flag = "" if ms <= target else f"  ← 超过 {target} ms"
        if flag:
            over.append(label)
        print(f"{label.ljust(width)}  {ms:8.1f} ms{flag}")
    worst = max(ms for label, ms in results if "案件页" not in label)
    page = max(ms for label, ms in results if "案件页" in label)
    print(f"\n列表与分析研判最慢：{worst:.1f} ms（目标 ≤ 300 ms）；案件页：{page:.1f} ms（目标 ≤ 500 ms）；"
          f"数据库：SQLite，{args.cases} 件案件。")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
