"""Running the rules: every registered, enabled rule over one case, findings and warnings collected.

:func:`run_rules` is the one entry point (``assistant.pipeline`` and the tests call it). It imports
:mod:`checks.rules`, which registers every rule through :func:`checks.engine.register`; the engine
module itself holds only what a rule is written against (``Rule``, ``Context``, ``register``), so
the rules and the engine never import each other in a circle. For each rule the runner builds the
case view of the rule's ``roles``, applies ``triggers`` and ``needs``, hands the rule a
:class:`~checks.engine.Context` with its catalog entry, the catalog, the similar-case result and its
options, and afterwards notes the renderings each finding rests on and chooses its basis
(:func:`checks.basis.assign_basis`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

import checks.rules  # noqa: F401  (registers the rules)
from checks.basis import assign_basis
from checks.catalog import Catalog
from checks.engine import REGISTRY, Context, Skip
from models import CaseFile, Finding, vocab

log = logging.getLogger(__name__)


@dataclass
class RuleRun:
    """What one run produced: findings (and hints), warnings, the rules that ran and those skipped
    because their trigger documents were absent or a needed document was missing. ``undecided`` are
    the rules among ``ran`` that stopped with :class:`checks.engine.Skip` (a value they need was not
    read or not usable; their warning says which), so they concluded nothing."""

    findings: list[Finding]
    warnings: list[str]
    ran: list[str]
    skipped: list[str]
    undecided: list[str] = field(default_factory=list)


def run_rules(
    case: CaseFile,
    catalog: Catalog,
    enabled: Iterable[str] | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    similar: dict[str, Any] | None = None,
) -> RuleRun:
    """Run every registered (and enabled) rule over the case; collect findings and warnings.

    ``options`` are per-rule option overrides (a profile's ``rules.<id>``); ``similar`` is the
    similar-case assessment handed to the rules as :attr:`Context.similar`. A rule that raises an
    unexpected exception does not stop the others: its failure becomes a Chinese warning naming the rule.
    """
    wanted = set(enabled) if enabled is not None else set(REGISTRY)
    findings: list[Finding] = []
    warnings: list[str] = []
    ran: list[str] = []
    skipped: list[str] = []
    undecided: list[str] = []
    views: dict[tuple[str, ...], CaseFile] = {}
    for rule_id in sorted(REGISTRY):
        if rule_id not in wanted or rule_id not in catalog:
            continue
        cls = REGISTRY[rule_id]
        if cls.roles not in views:
            views[cls.roles] = case.view(cls.roles)
        seen = views[cls.roles]
        present = {d.type for d in seen.documents}
        unrecognized = [d.title for d in seen.documents if d.type == vocab.OTHER and d.title and d.title != vocab.OTHER]
        opts = dict(cls.options)
        opts.update((options or {}).get(rule_id, {}))
        ctx = Context(entry=catalog[rule_id], options=opts, catalog=catalog, similar=similar or None,
                      unrecognized=unrecognized)
        if cls.triggers and not present.intersection(cls.triggers):
            skipped.append(rule_id)
            continue
        missing = [t for t in cls.needs if t not in present]
        if missing:
            ctx.warn(f"卷内未找到{'、'.join(missing)}，无法核验。")
            warnings.extend(ctx.warnings)
            skipped.append(rule_id)
            continue
        try:
            cls().check(seen, ctx)
        except Skip:
            undecided.append(rule_id)
        except Exception:  # a broken rule must not sink the scan
            log.exception("rule %s failed", rule_id)
            ctx.warnings.append(f"{rule_id}（{ctx.entry.title}）规则执行出错，已跳过，请将卷宗反馈给开发人员。")
        ran.append(rule_id)
        for f in ctx.findings:
            _note_renderings(f)
        assign_basis(ctx.findings, catalog)  # each finding's 依据: the provisions it rests on (checks.basis)
        findings.extend(ctx.findings)
        warnings.extend(ctx.warnings)
    return RuleRun(findings=findings, warnings=warnings, ran=ran, skipped=skipped, undecided=undecided)


#: How each rendering is named in a finding's grounds.
RENDERING_NAMES = {"text-layer": "文字层", "ocr": "识别文字（扫描件或双层PDF的识别层，个别形近字可能有误）",
                   "image": "页面图像（签名、指印、印章）"}


def _note_renderings(finding: Finding) -> None:
    """Record which renderings a finding rests on (its evidence's text source; a slot judged on the
    page image), and say so in its grounds."""
    found = [e.text_source for e in finding.evidence if e.text_source in ("text-layer", "ocr")]
    if any("位置：" in g for g in finding.grounds):
        found.append("image")
    finding.renderings = list(dict.fromkeys(found))
    if finding.renderings and any(r != "text-layer" for r in finding.renderings):
        finding.grounds.append("所据文字来源：" + "；".join(RENDERING_NAMES[r] for r in finding.renderings))
