"""Declared document templates: how each official form is recognised and read.

A template describes one variant of one document type (the 公安机关 form of a 讯问笔录,
the 最高人民检察院 样式 of a 起诉书, a local office's variant …) as data, in
``extractors/forms/*.yaml`` (one file per document type, a list of variants). Extra
directories of YAML files named by ``ASSISTANT_TEMPLATES`` (``os.pathsep``-separated) are
read too, so a new office's form is a data change. A template declares:

- ``titles`` — title spellings (an organ prefix such as ``XX人民检察院`` is allowed);
- ``title_patterns`` — regexes for titles with a variable part (``关于……的情况说明``, ``……照片``),
  matched against the whole compacted title line;
- ``continued_title`` — a table whose heading repeats on every page (通话详单): a page headed by
  the same title continues the document instead of starting a new one;
- ``rivals`` — types whose title is one character away and whose content tells them apart
  (讯问笔录 / 询问笔录): a document titled as this type whose own cues the rival's outweigh
  (twice over, counting only the cues the two do not share) is the rival;
- ``cues`` — ``[phrase, weight]`` content cues that confirm a title or type an untitled document;
- ``end`` — regexes that show the document's end (落款) was read: the structure was located;
- ``sections`` — named parts with ``headings`` (literal heading synonyms at a line start,
  ``附：`` / ``附件：`` / ``附项：``) and ``patterns`` (regexes; an item that is a list needs all
  of its regexes), optionally ``after: holding`` (looked for after 本院认为) or ``after: end``
  (follows the 落款), and ``subject`` (regexes for what the part is about: when the subject is
  there but no heading or pattern matched, the part is "not located", never "absent");
- ``labels`` — labelled header fields (``讯问人（签名）　张三　李四``): field name, label
  synonyms, value kind (``names``/``name``), zone;
- ``slots`` — signature, fingerprint, seal, name and date places: role, kind, label synonyms,
  ``zone`` (``end``: last page or lower part of a page; ``header``: upper part of the first
  page; ``every_page``), ``multi`` (one label, several signers), ``printed_name_ok``,
  ``with_fingerprint``;
- ``sealed`` — the document carries its organ's seal at the 落款;
- ``fields`` — the type's field recognizers (top level of the file, or per variant): named patterns,
  context words, zone and validator per field, or a named extractor (:mod:`extractors.field_specs`,
  run by :mod:`extractors.recognizers`, format in ``docs/recognizers.md``).

Classification, field extraction and slot finding read the union of the variants of a
type (a dossier does not say which variant it uses). ``ASSISTANT_TEMPLATE_EXCLUDE``
(comma-separated family names) leaves families out, for leave-one-family-out tests.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models.settings import template_set

from extractors.field_specs import FieldSpec, FieldSpecError, parse_fields

FORMS_DIR = Path(__file__).with_name("forms")

#: ASCII brackets and colon read as their full-width forms (OCR mixes them: ``(捺指印）``); one to one, so
#: offsets into the matched text stay valid.
FULLWIDTH_PUNCT = str.maketrans({"(": "（", ")": "）", ":": "："})
#: What may follow a signature label: （签名）, 签字, （签名、捺指印）, （盖章）…
SIGN_SUFFIX = r"(?:[（(]?(?:签名|签字|签章|盖章|捺指印|手印|[、，,/及并和]){1,6}[）)]?)"
ZONES = ("end", "header", "every_page")


class TemplateError(ValueError):
    """A template file that cannot be used (the message is Chinese)."""


@dataclass(frozen=True)
class SlotSpec:
    """One place where a mark or a name belongs."""

    role: str
    kind: str
    labels: tuple[str, ...]
    zone: str = "end"
    multi: bool = False
    printed_name_ok: bool = False
    with_fingerprint: bool = False
    bare_label: bool = False
    template: str = ""

    @functools.cached_property
    def regex(self) -> re.Pattern:
        """Matches the label at the head of a compacted line; ``sign``/``colon`` tell how it ends.

        Signature and fingerprint labels need a ``（签名）``-like suffix or a colon (``被讯问人 张三``
        in a header is a field, not a slot) unless ``bare_label`` is set.
        """
        alts = "|".join(_label_alt(lb) for lb in sorted(self.labels, key=len, reverse=True))
        return re.compile(rf"^(?:{alts})(?P<sign>{SIGN_SUFFIX})?(?P<colon>[：:])?")

    @functools.cached_property
    def ocr_regex(self) -> re.Pattern:
        """The label with one interior character dropped (OCR loses a stroke-thin character:
        ``书记员`` read as ``书员``); first and last character kept, labels of three or more."""
        alts = sorted({lb[:i] + lb[i + 1:] for lb in self.labels if not lb.startswith("re:") and len(lb) >= 3
                       for i in range(1, len(lb) - 1)}, key=len, reverse=True)
        if not alts:
            return re.compile(r"(?!)")
        return re.compile(rf"^(?:{'|'.join(map(re.escape, alts))})(?P<sign>{SIGN_SUFFIX})?(?P<colon>[：:])?")

    def match(self, text: str) -> re.Match | None:
        m = self.regex.match(text.translate(FULLWIDTH_PUNCT))
        if m is None:
            return None
        if self.kind in ("signature", "fingerprint", "date") and not self.bare_label \
                and not (m.group("sign") or m.group("colon")) and m.end() < len(text):
            return None
        return m


@dataclass(frozen=True)
class SectionSpec:
    """A named part of a document; present when a heading or one pattern group is found."""

    name: str
    headings: tuple[str, ...] = ()
    patterns: tuple[tuple[str, ...], ...] = ()
    after: str = ""
    template: str = ""
    #: Regexes for what the part is about (量刑建议, 程序): present while no heading or pattern matched
    #: means the part may be there in a wording no template knows — not located, never "absent".
    subject: tuple[str, ...] = ()

    def regexes(self) -> list[tuple[re.Pattern, ...]]:
        groups = [(re.compile(rf"(?:^|[\n\f\t])\s*(?:[一二三四五六七八九十]+[、.．]|\d+[、.．])?{re.escape(h)}"),)
                  for h in self.headings]
        return groups + [tuple(re.compile(p) for p in g) for g in self.patterns]


@dataclass(frozen=True)
class LabelSpec:
    """A labelled field in a form's header: ``讯问人（签名）　张三　李四``."""

    field: str
    labels: tuple[str, ...]
    value: str = "name"
    zone: str = "header"
    template: str = ""


@dataclass(frozen=True)
class Template:
    """One variant of one document type's form, as declared in ``extractors/forms/*.yaml`` (frozen, validated at
    load)."""

    type: str
    variant: str
    family: str = ""
    source: str = ""
    titles: tuple[str, ...] = ()
    cues: tuple[tuple[str, float], ...] = ()
    end: tuple[str, ...] = ()
    sections: tuple[SectionSpec, ...] = ()
    labels: tuple[LabelSpec, ...] = ()
    slots: tuple[SlotSpec, ...] = ()
    sealed: bool = False
    title_patterns: tuple[str, ...] = ()
    continued_title: bool = False
    rivals: tuple[str, ...] = ()
    #: Field recognizers: the type's (file top level) followed by the variant's own.
    fields: tuple[FieldSpec, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.type}·{self.variant}"


def _label_alt(label: str) -> str:
    """A label synonym as a regex alternative; ``re:`` prefixes a raw regex."""
    return label[3:] if label.startswith("re:") else re.escape(label)


def _tuple(v: Any) -> tuple:
    if v is None:
        return ()
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def _parse(doc_type: str, raw: dict[str, Any], origin: str, type_fields: Any = None) -> Template:
    name = f"{doc_type}·{raw.get('variant', '?')}"
    try:
        fields = parse_fields(type_fields, doc_type) + parse_fields(raw.get("fields"), name)
        sections = []
        for sname, s in (raw.get("sections") or {}).items():
            s = s or {}
            pats = tuple(_tuple(p) for p in _tuple(s.get("patterns")))
            sections.append(SectionSpec(sname, _tuple(s.get("headings")), pats, s.get("after", ""), name,
                                        _tuple(s.get("subject"))))
        labels = tuple(LabelSpec(lb["field"], _tuple(lb["labels"]), lb.get("value", "name"), lb.get("zone", "header"), name)
                       for lb in raw.get("labels") or [])
        slots = []
        for s in raw.get("slots") or []:
            zone = s.get("zone", "end")
            if zone not in ZONES:
                raise TemplateError(f"区域 {zone} 无效（可用：{'、'.join(ZONES)}）")
            slots.append(SlotSpec(s["role"], s["kind"], _tuple(s["labels"]), zone, bool(s.get("multi")),
                                  bool(s.get("printed_name_ok")), bool(s.get("with_fingerprint")),
                                  bool(s.get("bare_label")), name))
        t = Template(type=doc_type, variant=str(raw.get("variant", "")), family=str(raw.get("family", "")),
                     source=str(raw.get("source", "")), titles=_tuple(raw.get("titles")),
                     cues=tuple((str(c[0]), float(c[1])) for c in raw.get("cues") or []),
                     end=_tuple(raw.get("end")), sections=tuple(sections), labels=labels, slots=tuple(slots),
                     sealed=bool(raw.get("sealed")), title_patterns=_tuple(raw.get("title_patterns")),
                     continued_title=bool(raw.get("continued_title")), rivals=_tuple(raw.get("rivals")),
                     fields=fields)
        for s in t.slots:
            s.regex  # noqa: B018 - compile now, so a bad label fails at load
        for sec in t.sections:
            sec.regexes()
        for e in t.end + t.title_patterns:
            re.compile(e)
    except (TemplateError, FieldSpecError) as exc:
        raise TemplateError(f"模板 {origin}（{name}）有误：{exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, re.error) as exc:
        raise TemplateError(f"模板 {origin}（{name}）格式有误：{type(exc).__name__} {exc}") from None
    return t


def _files() -> list[Path]:
    dirs = [FORMS_DIR] + [Path(p) for p in template_set()[0].split(os.pathsep) if p]
    out: list[Path] = []
    for d in dirs:
        if d.is_file():
            out.append(d)
        elif d.is_dir():
            out.extend(sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")))
    return out


@functools.lru_cache(maxsize=8)
def _load(key: tuple[str, str]) -> tuple[Template, ...]:
    excluded = {x.strip() for x in key[1].split(",") if x.strip()}
    out: list[Template] = []
    for path in _files():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(f"无法读取模板文件 {path.name}：{type(exc).__name__}") from None
        doc_type = data.get("type")
        if not doc_type:
            raise TemplateError(f"模板文件 {path.name} 缺少 type（文书类型）")
        for raw in data.get("variants") or []:
            t = _parse(doc_type, raw, path.name, data.get("fields"))
            if t.family and t.family in excluded:
                continue
            out.append(t)
    return tuple(out)


def _key() -> tuple[str, str]:
    return template_set()


def templates() -> tuple[Template, ...]:
    """Every declared template (cached per ``ASSISTANT_TEMPLATES`` / ``ASSISTANT_TEMPLATE_EXCLUDE``)."""
    return _load(_key())


def _per_template_set(fn):
    """Cache a view of the templates per template set (env) and arguments: classification and slot
    finding ask for it on every line. Callers must not mutate what it returns."""
    cached = functools.lru_cache(maxsize=256)(lambda key, *args: fn(*args))
    wrapper = functools.wraps(fn)(lambda *args: cached(_key(), *args))
    wrapper.cache_clear = cached.cache_clear
    return wrapper


def of_type(doc_type: str) -> tuple[Template, ...]:
    return tuple(t for t in templates() if t.type == doc_type)


def types() -> list[str]:
    return list(dict.fromkeys(t.type for t in templates()))


@_per_template_set
def titles() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for t in templates():
        out.setdefault(t.type, [])
        out[t.type] += [x for x in t.titles if x not in out[t.type]]
    return {k: tuple(v) for k, v in out.items()}


@_per_template_set
def title_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """``(type, compiled pattern)`` for every declared ``title_patterns`` entry, in template order."""
    return tuple((t.type, re.compile(p)) for t in templates() for p in t.title_patterns)


@_per_template_set
def continued_types() -> frozenset[str]:
    """Types whose heading repeats on every page (``continued_title``)."""
    return frozenset(t.type for t in templates() if t.continued_title)


@_per_template_set
def rivals(doc_type: str) -> tuple[str, ...]:
    """The declared rivals of a type (``rivals``), over all its variants."""
    return tuple(dict.fromkeys(r for t in of_type(doc_type) for r in t.rivals))


@_per_template_set
def cues() -> dict[str, tuple[tuple[str, float], ...]]:
    out: dict[str, dict[str, float]] = {}
    for t in templates():
        for c, w in t.cues:
            out.setdefault(t.type, {})[c] = max(w, out.get(t.type, {}).get(c, 0.0))
    return {k: tuple(v.items()) for k, v in out.items() if v}


@_per_template_set
def slot_specs(doc_type: str) -> tuple[SlotSpec, ...]:
    """The slots of every variant of a type, same (role, kind, zone) merged into one spec."""
    merged: dict[tuple, SlotSpec] = {}
    for t in of_type(doc_type):
        for s in t.slots:
            k = (s.role, s.kind, s.zone, s.multi, s.printed_name_ok, s.with_fingerprint, s.bare_label)
            if k in merged:
                old = merged[k]
                labels = old.labels + tuple(x for x in s.labels if x not in old.labels)
                merged[k] = SlotSpec(old.role, old.kind, labels, old.zone, old.multi, old.printed_name_ok,
                                     old.with_fingerprint, old.bare_label, old.template)
            else:
                merged[k] = s
    return tuple(merged.values())


@_per_template_set
def section_specs(doc_type: str) -> dict[str, SectionSpec]:
    """Sections of a type, the headings and patterns of all variants merged per section name."""
    out: dict[str, SectionSpec] = {}
    for t in of_type(doc_type):
        for s in t.sections:
            if s.name in out:
                o = out[s.name]
                out[s.name] = SectionSpec(s.name, o.headings + tuple(h for h in s.headings if h not in o.headings),
                                          o.patterns + tuple(p for p in s.patterns if p not in o.patterns),
                                          o.after or s.after, o.template,
                                          o.subject + tuple(x for x in s.subject if x not in o.subject))
            else:
                out[s.name] = s
    return out


@_per_template_set
def end_patterns(doc_type: str) -> list[re.Pattern]:
    return [re.compile(e) for t in of_type(doc_type) for e in t.end]


@_per_template_set
def label_specs(doc_type: str) -> dict[str, list[LabelSpec]]:
    out: dict[str, list[LabelSpec]] = {}
    for t in of_type(doc_type):
        for lb in t.labels:
            out.setdefault(lb.field, []).append(lb)
    return out


@_per_template_set
def field_specs(doc_type: str) -> tuple[FieldSpec, ...]:
    """The field recognizers of a type, in declared order: each file's type-level list once, then what
    each variant adds (an entry declared twice runs once)."""
    out: list[FieldSpec] = []
    for t in of_type(doc_type):
        for spec in t.fields:
            if spec not in out:
                out.append(spec)
    return tuple(out)


@_per_template_set
def sealed_types() -> set[str]:
    return {t.type for t in templates() if t.sealed}


def variant_of(doc_type: str, title: str) -> Template | None:
    """The template whose title spelling the document used (first variant of the type otherwise)."""
    cands = of_type(doc_type)
    return next((t for t in cands if title in t.titles), cands[0] if cands else None)


@dataclass
class Located:
    """What the templates let extraction locate in one document (for positive-evidence rules)."""

    template: str = ""
    end: str = ""
    sections: dict[str, str] = field(default_factory=dict)
