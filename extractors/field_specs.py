"""Field recognizers as declared data: the ``fields:`` block of a form's YAML, parsed and frozen.

A form file (``extractors/forms/*.yaml``) may declare, beside its ``variants``, an ordered list of
field recognizers (``fields:`` at the top level applies to the type; a variant may add its own).
:mod:`extractors.recognizers` runs them in order; the first value a field gets is kept unless an
entry says ``overwrite``. Each entry is one of:

- ``use: <block>`` — run a shared block of ``extractors/recognizers.yaml`` (``common``, ``default``);
- ``extractor: <name>`` with ``args`` — a named extractor (tables, person blocks, charges with
  negation, values spanning lines, sections): a documented function registered with
  :func:`extractors.recognizers.extractor`;
- ``field: <name>`` with ``copy: <field>`` — take another field's value and evidence when the field is
  still empty;
- ``field: <name>`` with ``patterns`` — a pattern recognizer: named regexes (the value is the group
  ``value``, or ``value_1``, ``value_2``… for alternatives, else the whole match), confirmed by a
  ``validator``, read in a ``zone``, optionally only after ``context`` words;
- ``field: <name>`` with ``context`` and a ``date``/``datetime`` validator but no patterns — the date
  nearest to the first context word found, inside its sentence.

The keys are documented in ``docs/recognizers.md``. Everything is checked at load: unknown keys,
validators, zones and picks fail with a Chinese message, regexes are compiled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Validators a pattern recognizer may name (implemented in :mod:`extractors.recognizers`).
VALIDATORS = ("text", "flag", "date", "datetime", "person_name", "person_note", "id_number", "money",
              "doc_number", "charge", "count", "sentence")
#: Zones a recognizer reads: whole ``text``; ``header`` rows; the first (``head``) or last (``tail``)
#: ``chars`` characters; ``closing`` (from the template's end marker, 落款); a template ``section``.
ZONES = ("text", "header", "head", "tail", "closing", "section")
#: How one value is chosen among the validated matches.
PICKS = ("first", "first_match", "last", "latest", "earliest", "all", "count")
EVIDENCE = ("value", "match", "extended")

_ENTRY_KEYS = {"field", "name", "use", "extractor", "args", "copy", "validator", "patterns", "context", "window",
               "after", "zone", "chars", "section", "pick", "value", "negation", "negation_window", "absent",
               "overwrite", "score", "evidence", "extend", "requires", "when", "strip", "as_person", "doc"}
_PATTERN_KEYS = {"name", "regex", "score", "value"}


class FieldSpecError(ValueError):
    """A ``fields`` entry that cannot be used (the message is Chinese)."""


@dataclass(frozen=True)
class PatternSpec:
    """One named regular expression of a pattern recognizer (Presidio's ``Pattern``)."""

    name: str
    regex: str
    score: float | None = None
    value: Any = None

    @property
    def compiled(self) -> re.Pattern:
        return _compile(self.regex)


@dataclass(frozen=True)
class FieldSpec:
    """One entry of a ``fields`` block (see the module docstring and ``docs/recognizers.md``)."""

    field: str = ""
    name: str = ""
    use: str = ""
    extractor: str = ""
    args: tuple[tuple[str, Any], ...] = ()
    copy: str = ""
    validator: str = "text"
    patterns: tuple[PatternSpec, ...] = ()
    context: tuple[str, ...] = ()
    window: int = 60
    after: bool | None = None
    zone: str = "text"
    chars: int = 0
    section: str = ""
    pick: str = "first"
    value: Any = None
    negation: str = ""
    negation_window: int = 12
    absent: tuple[tuple[str, Any], ...] = ()
    overwrite: bool = False
    score: float = 0.95
    evidence: str = "value"
    extend: str = ""
    requires: str = ""
    when: str = ""
    strip: bool = False
    as_person: str = ""
    doc: str = ""
    template: str = ""

    @property
    def kind(self) -> str:
        """``use``, ``extractor``, ``copy``, ``pattern`` or ``near`` (a date near context words)."""
        if self.use:
            return "use"
        if self.extractor:
            return "extractor"
        if self.copy:
            return "copy"
        return "pattern" if self.patterns else "near"

    def strings(self):
        """Every phrase-bearing string the entry declares (regexes, context words, string args): what
        :mod:`extractors.anchors` restores in OCR text, as it does for the templates' other phrases."""
        yield from (p.regex for p in self.patterns)
        yield from (v for v in [p.value for p in self.patterns] + [self.value, self.doc, self.when] if isinstance(v, str) and v)
        yield from self.context
        yield from (x for x in (self.negation, dict(self.absent).get("when")) if isinstance(x, str) and x)
        yield from _strings(self.args)

    @property
    def recognizer(self) -> str:
        """The name provenance records: the declared ``name``, else the extractor or field name."""
        return self.name or self.extractor or self.field or self.use


_COMPILED: dict[str, re.Pattern] = {}


def _compile(regex: str) -> re.Pattern:
    rx = _COMPILED.get(regex)
    if rx is None:
        rx = _COMPILED[regex] = re.compile(regex)
    return rx


def _strings(v: Any):
    if isinstance(v, str):
        yield v
    elif isinstance(v, tuple):
        for x in v:
            yield from _strings(x)


def _frozen(v: Any) -> Any:
    """Lists as tuples and mappings as sorted key/value tuples (a frozen spec never changes)."""
    if isinstance(v, dict):
        return tuple(sorted((str(k), _frozen(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(_frozen(x) for x in v)
    return v


def thaw(v: Any) -> Any:
    """The inverse of the freezing applied to ``args``/``absent``: key/value tuples back to a dict."""
    if isinstance(v, tuple) and v and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in v):
        return {k: thaw(x) for k, x in v}
    if isinstance(v, tuple):
        return [thaw(x) for x in v]
    return v


def _choice(raw: dict[str, Any], key: str, label: str, allowed: tuple[str, ...], default: str) -> str:
    """``raw[key]`` when it is one of ``allowed`` (else a Chinese error naming ``label``), or ``default``."""
    value = raw.get(key, default)
    if value not in allowed:
        raise FieldSpecError(f"{label} {value} 无效（可用：{'、'.join(allowed)}）")
    return value


def parse_entry(raw: Any, template: str = "") -> FieldSpec:
    """One ``fields`` entry, validated (a :class:`FieldSpecError` names what is wrong)."""
    if not isinstance(raw, dict):
        raise FieldSpecError(f"字段识别项应为映射：{raw!r}")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise FieldSpecError(f"字段识别项有未知键 {'、'.join(sorted(unknown))}")
    if not (raw.get("field") or raw.get("use") or raw.get("extractor")):
        raise FieldSpecError("字段识别项须有 field、use 或 extractor 之一")
    validator = _choice(raw, "validator", "校验器", VALIDATORS, "text")
    zone = _choice(raw, "zone", "区域", ZONES, "text")
    if zone == "section" and not raw.get("section"):
        raise FieldSpecError("区域 section 须写明 section（模板中的部分名称）")
    if zone in ("head", "tail") and not raw.get("chars"):
        raise FieldSpecError(f"区域 {zone} 须写明 chars（字符数）")
    pick = _choice(raw, "pick", "取值方式", PICKS, "first")
    evidence = _choice(raw, "evidence", "证据范围", EVIDENCE, "value")
    patterns = []
    for i, p in enumerate(raw.get("patterns") or []):
        if isinstance(p, str):
            p = {"regex": p}
        if not isinstance(p, dict) or "regex" not in p:
            raise FieldSpecError(f"第 {i + 1} 个模式缺少 regex")
        if set(p) - _PATTERN_KEYS:
            raise FieldSpecError(f"模式有未知键 {'、'.join(sorted(set(p) - _PATTERN_KEYS))}")
        try:
            _compile(str(p["regex"]))
        except re.error as exc:
            raise FieldSpecError(f"模式 {p.get('name', i + 1)} 的正则表达式有误：{exc}") from None
        patterns.append(PatternSpec(str(p.get("name") or f"模式{i + 1}"), str(p["regex"]),
                                    float(p["score"]) if p.get("score") is not None else None, p.get("value")))
    for key in ("negation", "when"):
        if raw.get(key):
            _compile(str(raw[key]))
    absent = raw.get("absent")
    if absent is not None and not isinstance(absent, dict):
        raise FieldSpecError("absent 应为映射（value、when、score）")
    if absent and absent.get("when"):
        _compile(str(absent["when"]))
    if raw.get("field") and not (raw.get("copy") or patterns or raw.get("extractor") or raw.get("use")):
        if validator not in ("date", "datetime") or not raw.get("context"):
            raise FieldSpecError(f"字段 {raw['field']} 须有 patterns、copy，或（日期校验器时）context")
    after = raw.get("after")
    return FieldSpec(
        field=str(raw.get("field") or ""), name=str(raw.get("name") or ""), use=str(raw.get("use") or ""),
        extractor=str(raw.get("extractor") or ""), args=_frozen(dict(raw.get("args") or {})),
        copy=str(raw.get("copy") or ""), validator=validator, patterns=tuple(patterns),
        context=tuple(str(c) for c in raw.get("context") or ()), window=int(raw.get("window", 60)),
        after=None if after is None else bool(after), zone=zone, chars=int(raw.get("chars") or 0),
        section=str(raw.get("section") or ""), pick=pick, value=raw.get("value"),
        negation=str(raw.get("negation") or ""), negation_window=int(raw.get("negation_window", 12)),
        absent=_frozen(dict(absent)) if absent else (), overwrite=bool(raw.get("overwrite")),
        score=float(raw.get("score", 0.95)), evidence=evidence, extend=str(raw.get("extend") or ""),
        requires=str(raw.get("requires") or ""), when=str(raw.get("when") or ""), strip=bool(raw.get("strip")),
        as_person=str(raw.get("as_person") or ""), doc=str(raw.get("doc") or ""), template=template)


def parse_fields(raw: Any, template: str = "") -> tuple[FieldSpec, ...]:
    """A whole ``fields`` list (``None`` → empty)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FieldSpecError("fields 应为列表")
    out = []
    for i, entry in enumerate(raw):
        try:
            out.append(parse_entry(entry, template))
        except FieldSpecError as exc:
            name = entry.get("field") or entry.get("extractor") or entry.get("use") if isinstance(entry, dict) else ""
            raise FieldSpecError(f"第 {i + 1} 项（{name or '?'}）：{exc}") from None
    return tuple(out)


def unknown_extractor(name: str, template: str) -> FieldSpecError:
    """The error for an entry naming an extractor nobody registered."""
    return FieldSpecError(f"未知的命名提取器 {name}（模板 {template}）")


def unknown_block(name: str, known: list[str]) -> FieldSpecError:
    """The error for ``use:`` naming a block ``recognizers.yaml`` does not declare."""
    return FieldSpecError(f"未知的识别器组 {name}（可用：{'、'.join(known)}）")


def bad_blocks(exc: Exception) -> str:
    """The message for a ``recognizers.yaml`` that cannot be used."""
    return f"识别器文件 recognizers.yaml 有误：{exc}"
