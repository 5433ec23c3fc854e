"""The rule catalog (``../shared/rules/catalog.yaml``, plus the project-local ``checks/rules_local.yaml``):
titles, severities and legal bases.

Rules never retype a title, a severity or a citation: they are read from the catalog
by id. The catalog path comes from the caller (configuration); :func:`default_catalog_path`
is :attr:`models.settings.Settings.catalog_path` (``ASSISTANT_CATALOG``, else the shared copy).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models import Basis
from models.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_shared_dir() -> Path:
    """The shared folder of the settings (``ASSISTANT_SHARED_DIR``, else ``shared`` beside the repository)."""
    return Settings().shared_dir


def default_catalog_path() -> Path:
    """The catalog of the settings (``ASSISTANT_CATALOG``, else ``rules/catalog.yaml`` of the shared folder)."""
    return Settings().catalog_path


@dataclass(frozen=True)
class CatalogEntry:
    """One catalog rule: the public contract of a rule id."""

    id: str
    title: str
    category: str
    stage: str
    severity_points: int
    documents: tuple[str, ...]
    check_logic: str
    fields: tuple[str, ...]
    basis: tuple[Basis, ...]
    basis_status: tuple[str, ...]
    mandatory_key_review: bool
    grade_impact: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class CrimeEntry:
    """One 罪名 of the catalog's ``crimes`` table with its 刑法 article and penalty bands."""

    name: str
    article: str
    bands: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Catalog:
    """The rule catalog indexed by id: rules, the 罪名 table with penalty bands, sentencing adjustments."""

    path: Path
    rules: dict[str, CatalogEntry]
    crimes: dict[str, CrimeEntry]
    sentencing_adjustments: tuple[dict[str, Any], ...]
    meta: dict[str, Any]

    def __getitem__(self, rule_id: str) -> CatalogEntry:
        return self.rules[rule_id]

    def __contains__(self, rule_id: str) -> bool:
        return rule_id in self.rules


class CatalogError(RuntimeError):
    """The catalog is missing or malformed (message in Chinese)."""


#: Project-local rules (EVD-0NN …) merged into the shared catalog's id space; never override a shared id.
LOCAL_RULES = Path(__file__).with_name("rules_local.yaml")


def _local_rules() -> list[dict[str, Any]]:
    try:
        return list((yaml.safe_load(LOCAL_RULES.read_text(encoding="utf-8")) or {}).get("rules") or [])
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"项目规则文件格式错误：{LOCAL_RULES}：{exc}") from exc


@functools.lru_cache(maxsize=8)
def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and index the catalog; cached per path."""
    p = Path(path) if path else default_catalog_path()
    if not p.is_file():
        raise CatalogError(f"找不到规则目录文件：{p}（可通过环境变量 ASSISTANT_CATALOG 指定）")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"规则目录文件格式错误：{p}：{exc}") from exc
    rules: dict[str, CatalogEntry] = {}
    shared_ids = {r["id"] for r in data.get("rules", [])}
    local = [r for r in _local_rules() if r["id"] not in shared_ids]
    for r in data.get("rules", []) + local:
        bases = tuple(
            Basis(law=b.get("law", ""), article=b.get("article"), quote=b.get("quote", ""))
            for b in r.get("legal_basis") or []
        )
        rules[r["id"]] = CatalogEntry(
            id=r["id"],
            title=r.get("title_zh", ""),
            category=r.get("category", ""),
            stage=r.get("stage", ""),
            severity_points=int(r.get("severity_points", 0)),
            documents=tuple(r.get("documents") or ()),
            check_logic=r.get("check_logic", ""),
            fields=tuple(r.get("fields") or ()),
            basis=bases,
            basis_status=tuple(b.get("status", "") for b in r.get("legal_basis") or []),
            mandatory_key_review=bool(r.get("mandatory_key_review", False)),
            grade_impact=str(r.get("grade_impact", "")),
            raw=r,
        )
    crimes = {
        c["罪名"]: CrimeEntry(name=c["罪名"], article=str(c.get("刑法条文", "")), bands=tuple(c.get("法定刑幅度") or ()))
        for c in data.get("crimes", [])
    }
    return Catalog(
        path=p,
        rules=rules,
        crimes=crimes,
        sentencing_adjustments=tuple(data.get("sentencing_adjustments_2021") or ()),
        meta=data.get("meta", {}),
    )
