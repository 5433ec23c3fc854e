"""Evaluator dispositions of findings: 确认 / 误报 / 不适用, with a reason, kept across re-scans.

A disposition is keyed by the *dossier key* — a content hash of the dossier's files, the same
for a folder, the zip of that folder, or a re-scan after renaming — and the finding id (a stable
hash of rule id + finding key, see :meth:`checks.engine.Context.report`). They are stored with
SQLAlchemy in ``Settings.db_url`` (SQLite by default, PostgreSQL by URL; engine and column types
from :mod:`assistant.database`). Recording is one ``INSERT … ON CONFLICT DO UPDATE`` on both, so
two evaluators marking the same finding at once never collide. A re-scan shows each finding's
disposition; 误报 and 不适用 findings no longer count towards points and grade.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, UniqueConstraint, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.settings import Settings, get_settings
from assistant.database import Base, DatabaseUnavailable, SafeString, SafeText, make_engine

log = logging.getLogger(__name__)

STATUSES = ("确认", "误报", "不适用")
_CHUNK = 1 << 20
_SKIP = ("__MACOSX", ".DS_Store", "Thumbs.db")


class DispositionError(ValueError):
    """A disposition could not be recorded (message in Chinese)."""


class DispositionRow(Base):
    """One evaluator's disposition of one finding of one dossier (the latest per finding is kept)."""

    __tablename__ = "finding_dispositions"
    __table_args__ = (UniqueConstraint("dossier_key", "finding_id", name="uq_disposition"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_key: Mapped[str] = mapped_column(SafeString(64), index=True)
    finding_id: Mapped[str] = mapped_column(SafeString(64))
    rule_id: Mapped[str | None] = mapped_column(SafeString(16), nullable=True, index=True)
    status: Mapped[str] = mapped_column(SafeString(8))
    reason: Mapped[str] = mapped_column(SafeText, default="")
    by: Mapped[str] = mapped_column(SafeString(100), default="")
    message: Mapped[str] = mapped_column(SafeText, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    def public(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "by": self.by, "at": _iso(self.at)}


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _engine(url: str) -> Engine:
    return make_engine(url, Base.metadata)


def _session(settings: Settings | None) -> Session:
    settings = settings or get_settings()
    try:
        return Session(_engine(settings.db_url), expire_on_commit=False)
    except DatabaseUnavailable as exc:
        raise DispositionError(f"无法打开处置记录数据库：{exc}") from exc
    except SQLAlchemyError as exc:
        log.warning("dispositions database unavailable", exc_info=True)
        raise DispositionError("无法打开处置记录数据库（连接失败或数据库损坏，详见日志）") from exc


# --- dossier key ----------------------------------------------------------------------------

def _hash_stream(stream) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        h.update(chunk)
    return h.hexdigest()


def _file_hashes(path: Path) -> list[str]:
    if path.is_dir():
        out = []
        for p in sorted(path.rglob("*")):
            if p.is_file() and not p.is_symlink() \
                    and not any(part in _SKIP or part.startswith(".") for part in p.relative_to(path).parts):
                out.extend(_file_hashes(p))
        return out
    if path.suffix.lower() == ".zip":
        from extractors.ingest import check_zip, limits_of, open_member

        try:
            with zipfile.ZipFile(path) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
                # the ingest's limits first: a zip bomb is hashed as bytes, never decompressed
                if check_zip(infos, limits_of(None)) is None:
                    out = []
                    for info in infos:
                        parts = Path(info.filename).parts
                        if any(part in _SKIP or part.startswith(".") for part in parts):
                            continue
                        with open_member(zf, info) as member:
                            out.append(_hash_stream(member))
                    return out
        except Exception:  # noqa: BLE001 - unreadable archive or member (bad CRC, zlib/bz2 error, bomb)
            pass  # hash its bytes like any file
    from extractors.ingest import sha256_of

    return [sha256_of(path)]  # the scan's own digest of the file (computed once per process)


def dossier_key_for_path(path: str | Path) -> str:
    """Content hash of a dossier: the same for a folder, its zip, and after renaming files.

    It is the SHA-256 of the sorted SHA-256 digests of every file's bytes (zip members read
    through, hidden files and ``__MACOSX`` skipped).
    """
    p = Path(path)
    if not p.exists():
        raise DispositionError(f"找不到卷宗：{p}")
    digests = sorted(_file_hashes(p))
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


# --- storage --------------------------------------------------------------------------------

def _validate(status: str, reason: str, finding_id: str) -> None:
    if status not in STATUSES:
        raise DispositionError(f"处置状态应为{'、'.join(STATUSES)}之一，而不是“{status}”。")
    if status in ("误报", "不适用") and not (reason or "").strip():
        raise DispositionError(f"标记为“{status}”须填写理由。")
    if not finding_id or len(finding_id) > 64:
        raise DispositionError(f"问题编号无效：“{finding_id}”。")


def _upsert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return None
    return insert


def mark_by_key(dossier_key: str, finding_id: str, status: str, reason: str = "", by: str | None = None,
                rule_id: str | None = None, settings: Settings | None = None, message: str = "") -> dict[str, Any]:
    """Record (or replace) the disposition of one finding of one dossier; returns it.

    An empty ``rule_id`` or ``message`` keeps the stored one.
    """
    _validate(status, reason, finding_id)
    values: dict[str, Any] = {"status": status, "reason": (reason or "").strip(), "by": (by or "").strip(),
                              "at": dt.datetime.now(dt.timezone.utc)}
    if rule_id:
        values["rule_id"] = rule_id
    if message:
        values["message"] = message
    with _session(settings) as s:
        insert = _upsert(s.get_bind().dialect.name)
        if insert is not None:
            stmt = insert(DispositionRow).values(dossier_key=dossier_key, finding_id=finding_id, **values)
            stmt = stmt.on_conflict_do_update(index_elements=["dossier_key", "finding_id"],
                                              set_={k: getattr(stmt.excluded, k) for k in values})
            row = s.execute(stmt.returning(DispositionRow.status, DispositionRow.reason, DispositionRow.by,
                                           DispositionRow.at)).one()
            s.commit()
            return {"status": row.status, "reason": row.reason, "by": row.by, "at": _iso(row.at)}
        row = s.scalar(select(DispositionRow).where(DispositionRow.dossier_key == dossier_key,
                                                    DispositionRow.finding_id == finding_id))
        if row is None:
            row = DispositionRow(dossier_key=dossier_key, finding_id=finding_id)
            s.add(row)
        for k, v in values.items():
            setattr(row, k, v)
        s.commit()
        return row.public()


def mark(dossier: str | Path, finding_id: str, status: str, reason: str = "", by: str | None = None,
         rule_id: str | None = None, settings: Settings | None = None, message: str = "") -> dict[str, Any]:
    """:func:`mark_by_key` for a dossier path (folder, zip or file)."""
    return mark_by_key(dossier_key_for_path(dossier), finding_id, status, reason, by, rule_id, settings, message)


def unmark_by_key(dossier_key: str, finding_id: str, settings: Settings | None = None) -> bool:
    """Remove a disposition; True when one existed."""
    with _session(settings) as s:
        row = s.scalar(select(DispositionRow).where(DispositionRow.dossier_key == dossier_key,
                                                    DispositionRow.finding_id == finding_id))
        if row is None:
            return False
        s.delete(row)
        s.commit()
        return True


def lookup_by_key(dossier_key: str, settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """``{finding_id: {"status", "reason", "by", "at"}}`` for one dossier key."""
    with _session(settings) as s:
        rows = s.scalars(select(DispositionRow).where(DispositionRow.dossier_key == dossier_key))
        return {r.finding_id: r.public() for r in rows}


def lookup_for_dossier(path: str | Path, settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """Dispositions of a dossier for a scan; an unreadable dossier or database gives ``{}`` (the scan reports the rest)."""
    try:
        return lookup_by_key(dossier_key_for_path(path), settings)
    except (DispositionError, SQLAlchemyError, OSError) as exc:
        log.warning("dispositions unavailable for %s: %s", path, exc)
        return {}


def list_by_key(dossier_key: str, settings: Settings | None = None) -> list[dict[str, Any]]:
    """Every disposition of a dossier with its finding and rule id, newest first."""
    with _session(settings) as s:
        rows = s.scalars(select(DispositionRow).where(DispositionRow.dossier_key == dossier_key)
                         .order_by(DispositionRow.at.desc()))
        return [{"finding_id": r.finding_id, "rule_id": r.rule_id, "message": r.message, **r.public()} for r in rows]


def stats(settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """Per rule id: counts of 确认 / 误报 / 不适用 and precision = 确认 / (确认 + 误报) (None without data)."""
    out: dict[str, dict[str, Any]] = {}
    with _session(settings) as s:
        for r in s.scalars(select(DispositionRow)):
            rule = r.rule_id or "未知"
            entry = out.setdefault(rule, {status: 0 for status in STATUSES})
            entry[r.status] = entry.get(r.status, 0) + 1
    for entry in out.values():
        judged = entry["确认"] + entry["误报"]
        entry["precision"] = round(entry["确认"] / judged, 4) if judged else None
    return dict(sorted(out.items()))
