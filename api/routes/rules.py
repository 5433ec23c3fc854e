"""``/v1/rules``: the rule catalogue as implemented by this product."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CfgDep, KeyDep
from api.errors import ApiError
from api.routes.scans import ERRORS
from api.schemas import RuleDetailOut, RuleOut
from assistant.service import rule_detail, rule_list

router = APIRouter(prefix="/v1/rules", tags=["rules"])


@router.get("", operation_id="list_rules", response_model=list[RuleOut], responses=ERRORS, summary="规则列表")
def list_rules(key: KeyDep, cfg: CfgDep) -> list[RuleOut]:
    """目录中的全部规则：编号、标题、类别、分值、是否已实现。"""
    return [RuleOut(**r) for r in rule_list(cfg.core)]


@router.get("/{rule_id}", operation_id="get_rule", response_model=RuleDetailOut, responses=ERRORS, summary="规则说明")
def get_rule(rule_id: str, key: KeyDep, cfg: CfgDep) -> RuleDetailOut:
    """一条规则的说明页：检查内容、为何是问题、违规示例、规范示例、依据。"""
    detail = rule_detail(rule_id.strip().upper(), cfg.core)
    if detail is None:
        raise ApiError(404, "rule_not_found", f"没有编号为 {rule_id} 的规则。")
    return RuleDetailOut(**detail)
