"""The rule engine: a registry of small, self-documenting rules keyed by catalog id.

A rule reads like a ruff rule (see ``../shared/style.md``)::

    @register
    class DL010(Rule):
        \"\"\"审查起诉超过一个月（有延长审批的一个半月）仍未作出决定。

        检查内容：…
        为何是问题：…
        违规示例：…
        规范示例：…
        \"\"\"

        id = "DL-010"
        triggers = (vocab.INDICTMENT, vocab.NON_PROSECUTION)
        needs = (vocab.INDICTMENT,)

        def check(self, case, ctx):
            ...
            ctx.report("起诉书（d3）于2024-05-10作出，距受理日2024-03-01已超过…", evidence=[…])

Title, category, severity and basis come from the catalog, never from the rule. The
engine hands every rule the :class:`~models.CaseFile` seen through the rule's ``roles``
(``Document.role``): by default only the case's own documents, so a witness's 询问笔录, an
earlier judgment (前科) or a volume's 目录 is never checked as if it were one of them; the
evidence rules declare ``roles = (case, evidence)``. The rule never re-parses text.
``triggers`` are document types whose presence (among those documents) makes the rule
applicable (empty: always); ``needs`` are types that must then be present, else the engine
records a Chinese warning and skips the rule. Inside ``check``, :meth:`Context.need` does the
same for a field: a missing value becomes a warning instead of a finding.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, NoReturn

from models import UNSURE_BELOW, CaseFile, Document, Evidence, Finding, vocab

from checks.catalog import Catalog, CatalogEntry

DOC_HEADINGS = ("检查内容", "为何是问题", "违规示例", "规范示例")
# Field values read below models.UNSURE_BELOW are not concluded on (an OCR date under a seal, where a
# digit is easily lost in the seal's ink); a rule needing one skips with a warning (:meth:`Context.unusable`).


class Skip(Exception):
    """Raised inside a rule when it cannot decide; the warning is already recorded."""


#: folder / zip prefixes of file names inside a finding key ("卷宗.zip/卷宗/起诉书.pdf" → "起诉书.pdf"),
#: so that a finding keeps its id when the same dossier is submitted as a folder or as a zip
_PATH_PREFIX = re.compile(r"(?:[^\s/（）()，,。；;：:、“”\"']+/)+")
#: stamped page numbers in a location (``，卷内第6–7页``), left out of a finding key: a finding keeps its id
#: whether or not the numbers stamped on the sheets were read (a text layer, a scan of the same volume)
_STAMPED = re.compile(r"，卷内第\d+(?:–\d+)?页")


@dataclass
class Context:
    """What a rule receives besides the case: its catalog entry, the catalog it came from, the
    similar-case result (SUB-007), the rule's options and the sinks for findings and warnings."""

    entry: CatalogEntry
    options: dict[str, Any] = field(default_factory=dict)
    #: The catalog the rule's entry came from (the 罪名 table, the laws beside it).
    catalog: Catalog | None = None
    #: The similar-case assessment of this dossier (the report's ``similar_cases`` block, :func:`assistant.similar.assess_case`), when an index was used.
    similar: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Titles of documents the dossier holds but extraction could not type (no template declares them).
    unrecognized: list[str] = field(default_factory=list)

    def report(self, message: str, evidence: Iterable[Evidence] = (), key: str = "",
               grounds: Iterable[str] = (), absent: bool = False) -> Finding:
        """Record one distinct problem. ``key`` de-duplicates (same key → one finding); ``grounds``
        say what the conclusion rests on (template, section or slot located, span read).

        ``absent``: the problem is that a document is not in the dossier. That is positive
        evidence only when every document of the dossier was typed; when some could not be
        (:attr:`unrecognized`), the missing one may be among them and the finding becomes a hint.
        """
        if absent and self.unrecognized:
            names = "、".join(f"“{t}”" for t in self.unrecognized[:3])
            return self.hint(f"{message}（卷内另有未能识别类型的文书{names}，请人工核实其中是否即为所需文书。）",
                             evidence, key=key or message)
        key = key or message
        for f in self.findings:
            if f.key == key:
                return f
        fid = hashlib.sha1(f"{self.entry.id}|{_STAMPED.sub('', _PATH_PREFIX.sub('', key))}".encode()).hexdigest()[:12]
        finding = Finding(
            id=fid,
            rule_id=self.entry.id,
            title=self.entry.title,
            category=self.entry.category,
            severity_points=self.entry.severity_points,
            message=message,
            basis=list(self.entry.basis),
            evidence=_dedupe_evidence(evidence),
            key=key,
            grounds=list(grounds),
        )
        self.findings.append(finding)
        return finding

    def hint(self, message: str, evidence: Iterable[Evidence] = (), key: str = "") -> Finding:
        """Record something a reviewer should verify by hand, not a problem: extraction did not
        locate the place where the rule would look (a section, a slot), so the rule cannot
        conclude. Shown under 提示 in the report (``hints``), never counted."""
        f = self.report(message, evidence, key=f"hint|{key or message}")
        f.preview = True
        return f

    def warn(self, message: str) -> None:
        text = f"{self.entry.id}（{self.entry.title}）：{message}"
        if text not in self.warnings:
            self.warnings.append(text)

    def need(self, doc: Document | None, name: str, label: str | None = None) -> Any:
        """The field's value, or a warning and :class:`Skip` when it is missing."""
        if doc is None:
            self.warn(f"卷内未找到{label or '所需文书'}，无法核验。")
            raise Skip
        value = doc.value(name)
        if value in (None, "", [], {}):
            self.warn(f"{doc.type}（{_where(doc)}）未能读取{label or name}，无法核验。")
            raise Skip
        return value

    def unusable(self, doc: Document | None, name: str, label: str | None = None) -> NoReturn:
        """Skip the rule with a warning that says why a needed value cannot be used: no such
        document, the value was not read, or it was read but not with enough confidence (an OCR
        date under a seal) or not in a form the rule can use. Rules call it after their own
        accessor (``date_of`` …) gave nothing; a rule never goes on with a value it could not trust."""
        self.need(doc, name, label)  # no document / no value: warns and skips
        assert doc is not None
        f = doc.fields.get(name)
        what = label or name
        value = str((f.value if f is not None else "") or "")[:40]
        if f is not None and f.confidence < UNSURE_BELOW:
            self.warn(f"{doc.type}（{_where(doc)}）的{what}识别不确定（读作“{value}”，可能位于印章下或字迹不清），"
                      "无法核验，请人工核对。")
        else:
            self.warn(f"{doc.type}（{_where(doc)}）的{what}“{value}”无法解析，无法核验，请人工核对。")
        raise Skip

    def option(self, name: str, default: Any) -> Any:
        """The rule option ``name`` (the rule's defaults overridden by the profile), else ``default``."""
        return self.options.get(name, default)


def _where(doc: Document) -> str:
    if doc.spans_files:
        (first_file, first_page), (last_file, last_page) = doc.page_refs()[0], doc.page_refs()[-1]
        return f"{first_file} 第{first_page}页 至 {last_file} 第{last_page}页"
    pages = f"第{doc.pages[0]}页" if len(doc.pages) == 1 else f"第{doc.pages[0]}–{doc.pages[-1]}页"
    stamped = [n for n in doc.stamped_pages if n is not None]
    if stamped:  # a bound volume: the page numbers stamped on the sheets too
        pages += f"，卷内第{stamped[0]}页" if len(stamped) == 1 else f"，卷内第{stamped[0]}–{stamped[-1]}页"
    return f"{doc.file} {pages}" if doc.pages else doc.file


def where(doc: Document) -> str:
    """A short Chinese location of a document for messages: ``文件名 第3–5页`` (in a bound volume with the
    stamped numbers too: ``第2卷.pdf 第8–9页，卷内第6–7页``), or for a document scanned as several files
    ``起诉书_p001.jpg 第1页 至 起诉书_p002.jpg 第1页``."""
    return _where(doc)


def _dedupe_evidence(evidence: Iterable[Evidence]) -> list[Evidence]:
    seen: set[tuple] = set()
    out: list[Evidence] = []
    for e in evidence:
        k = (e.document_id, e.file, e.page, e.text)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


class Rule:
    """Base class of all rules. Subclasses set ``id`` and implement :meth:`check`."""

    id: ClassVar[str] = ""
    triggers: ClassVar[tuple[str, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[dict[str, Any]] = {}
    #: The document roles (``models.vocab.ROLES``) the rule reads: the case's own documents by default.
    roles: ClassVar[tuple[str, ...]] = (vocab.ROLE_CASE,)
    #: The catalog's logic ends in 「提示」: the rule fires as a hint (``Context.hint``), never as a
    #: scored finding; its hints are what it reports.
    hint_only: ClassVar[bool] = False

    def check(self, case: CaseFile, ctx: Context) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The rule's page: summary plus 检查内容 / 为何是问题 / 违规示例 / 规范示例 from its docstring."""
        text = inspect.cleandoc(cls.__doc__ or "")
        summary, _, rest = text.partition("\n")
        sections: dict[str, str] = {"摘要": summary.strip()}
        pattern = re.compile(r"^(%s)[：:]\s*" % "|".join(DOC_HEADINGS), re.M)
        parts = pattern.split(rest)
        for i in range(1, len(parts) - 1, 2):
            sections[parts[i]] = parts[i + 1].strip()
        return sections


REGISTRY: dict[str, type[Rule]] = {}


class RegistryError(RuntimeError):
    """A rule class with a malformed or duplicate catalog id."""


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the registry under its catalog id."""
    if not re.fullmatch(r"(DL|SG|DOC|CON|SUB|EVD)-\d{3}", cls.id or ""):
        raise RegistryError(f"bad rule id {cls.id!r} on {cls.__name__}")
    if cls.id in REGISTRY and REGISTRY[cls.id] is not cls:
        raise RegistryError(f"duplicate rule id {cls.id}")
    REGISTRY[cls.id] = cls
    return cls


#: Rules the catalog lists that documents alone cannot decide, with the reason (Chinese).
UNSUPPORTED: dict[str, str] = {}


def unsupported(rule_id: str, reason: str) -> None:
    """Declare a catalog rule that documents alone cannot decide, with the Chinese reason."""
    UNSUPPORTED[rule_id] = reason
