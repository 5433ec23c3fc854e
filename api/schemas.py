"""Request and response schemas of the API (separate from the storage models in :mod:`api.db`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


#: Stored times are naive UTC; the API states the zone (RFC 3339 ``…Z``/``+00:00``).
UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]

ScanStatus = Literal["queued", "running", "done", "failed"]
Role = Literal["intake", "prosecutor", "evaluator", "admin"]


class ErrorOut(BaseModel):
    """The body of every error answer: a stable code, a Chinese message, and the files concerned."""

    code: str = Field(description="稳定的错误代码，如 zip_slip、encrypted_pdf")
    message: str = Field(description="中文说明")
    files: list[dict[str, str]] | None = None


class ScanPathIn(BaseModel):
    """JSON submission of a dossier already on the server, under ``ASSISTANT_INTAKE_ROOT``."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=1000, description="相对（或位于）受理根目录的卷宗路径")
    prosecutor: str | None = Field(default=None, max_length=100, description="承办检察官（其检察官密钥的名称）")
    name: str | None = Field(default=None, max_length=200, description="卷宗名称（可选）")


class Progress(BaseModel):
    """A scan's progress: the stage and the count done of the total."""

    stage: str | None = None
    done: int = 0
    total: int = 0


class ScanError(BaseModel):
    """Why a scan failed: a stable code and a Chinese message."""

    code: str
    message: str


class RejectedFile(BaseModel):
    """A file of a submission set aside, with its code and the reason (Chinese)."""

    file: str = Field(description="文件名（压缩包内文件为“压缩包名/路径”）")
    code: str = Field(description="稳定的错误代码，如 corrupt_pdf、encrypted_pdf、unsupported_type")
    message: str = Field(description="中文说明")


class ScanOut(BaseModel):
    """A scan as the API shows it: status, progress, error, times and links."""

    id: str
    status: ScanStatus
    name: str
    files: int
    pages: int
    prosecutor: str | None = None
    progress: Progress
    error: ScanError | None = None
    attempts: int = 0
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    duplicate: bool = False
    links: dict[str, str] = Field(default_factory=dict)
    rejected_files: list[RejectedFile] | None = Field(
        default=None,
        description="提交时发现无法读取而未扫描的文件（已损坏、已加密、空文件、不支持的格式等），其余文件照常扫描；"
                    "这些文件同样列入报告的 file_errors 和 warnings。仅在提交（POST）的响应中给出。")


class ScanList(BaseModel):
    """Scans the key may see, newest first."""

    items: list[ScanOut]
    count: int


class DispositionIn(BaseModel):
    """An evaluator's disposition of a finding: 确认, 误报 or 不适用, with the reason."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["确认", "误报", "不适用"]
    reason: str = Field(default="", max_length=2000, description="理由；误报、不适用时必填")


class DispositionOut(BaseModel):
    """The disposition recorded, with the report's points and grade after it."""

    scan_id: str
    finding_id: str
    rule_id: str | None
    status: str
    reason: str
    by: str
    points: int = Field(description="计入处置后的扣分合计")
    grade: str = Field(description="计入处置后的建议等次；卷宗未能完整读取时为“无法评定”（见报告的 coverage、grade_reasons）")


class RuleOut(BaseModel):
    """A rule of the catalog as listed."""

    id: str
    title: str
    category: str
    stage: str
    severity_points: int
    implemented: bool
    unsupported_reason: str | None = None


class RuleDetailOut(RuleOut):
    """A rule's page: documents, check logic, basis and the sections of its documentation."""

    documents: list[str]
    check_logic: str
    basis: list[dict[str, Any]]
    sections: dict[str, str]
    page: str


class KeyIn(BaseModel):
    """A new API key: its role and name."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    name: str = Field(default="", max_length=100)


class KeyOut(BaseModel):
    """An API key as listed (never the key itself)."""

    id: str
    role: str
    name: str
    prefix: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None = None
    last_used_at: UtcDatetime | None = None


class KeyCreated(KeyOut):
    """A new API key with the key itself, shown this once."""

    key: str = Field(description="完整密钥，仅此一次返回，请妥善保存")


class AuditOut(BaseModel):
    """One entry of the audit log."""

    id: int
    at: UtcDatetime
    key_id: str | None
    key_name: str | None
    role: str | None
    action: str
    target: str | None
    detail: dict[str, Any] | None


class Health(BaseModel):
    """The service's health: workers alive and scans queued and running."""

    status: str
    workers: int
    queued: int
    running: int
