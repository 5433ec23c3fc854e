"""A rule's page (``/rules/{rule_id}``), as ``assistant rules show`` prints it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.web.common import PageError, UserDep, back_of, render

router = APIRouter(include_in_schema=False)


@router.get("/rules/{rule_id}", response_class=HTMLResponse)
def rule_page(request: Request, rule_id: str, user: UserDep) -> Response:
    """A rule's page (as ``assistant rules show``): what it checks, why, examples and its 依据."""
    from assistant.service import rule_detail

    detail = rule_detail(rule_id[:16], request.app.state.cfg.core)
    if detail is None:
        raise PageError(404, "规则不存在", f"没有编号为 {rule_id[:16]} 的规则。")
    return render(request, "rule.html", rule=detail, back=back_of(request), nav="list")
