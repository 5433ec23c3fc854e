"""The service's time budget grows with the dossier's pages (issue 20), not a fixed 30 minutes."""

from __future__ import annotations

import datetime as dt


def test_time_budget_scales_with_pages(tmp_path):
    from api.db import Scan, session_factory, utcnow
    from api.jobs import HOST, over_budget, time_budget

    assert time_budget(1800, 3, 400) == 3000 and time_budget(1800, 3, None) == 1800
    sessions = session_factory(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with sessions() as s:
        # both have run 100 s against a base of 50 s; the long one has 400 pages at 1 s a page
        for sid, pid, total in (("short", 101, 3), ("long", 102, 400)):
            s.add(Scan(id=sid, content_hash=sid * 8, dossier_key=sid, name="卷", input_path="/x", status="running",
                       owner=f"{HOST}|{pid}|w|x", started_at=utcnow() - dt.timedelta(seconds=100), total=total))
        s.commit()
    stop = over_budget(sessions, {101: "w1", 102: "w2"}, 50, 1000, rss=lambda pid: 10, seconds_per_page=1.0)
    assert stop == [(101, "w1")]
    with sessions() as s:
        short = s.get(Scan, "short")
        assert (short.status, short.error_code) == ("failed", "scan_timeout") and "53 秒" in short.error_message
        assert s.get(Scan, "long").status == "running"


def test_budget_remembers_the_largest_page_count(tmp_path):
    """A scan's stages report different totals (files, then pages): the budget keeps the largest."""
    from api.db import Scan, session_factory, utcnow
    from api.jobs import HOST, over_budget

    sessions = session_factory(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with sessions() as s:
        s.add(Scan(id="s", content_hash="s" * 8, dossier_key="s", name="卷", input_path="/x", status="running",
                   owner=f"{HOST}|101|w|x", started_at=utcnow() - dt.timedelta(seconds=100), total=400))
        s.commit()
    assert over_budget(sessions, {101: "w1"}, 50, 1000, rss=lambda pid: 10, seconds_per_page=1.0) == []
    with sessions() as s:
        s.get(Scan, "s").total = 2   # a later stage counting two documents
        s.commit()
    assert over_budget(sessions, {101: "w1"}, 50, 1000, rss=lambda pid: 10, seconds_per_page=1.0) == []
