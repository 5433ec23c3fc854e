"""The field recognizer engine: runs the ``fields`` a form declares (:mod:`extractors.field_specs`).

Shaped like Presidio's analyzer. A *pattern recognizer* is data: named regexes with scores, context
words, a zone and a validator by name (:data:`VALIDATORS`: ``date``, ``person_name``, ``id_number``,
``money``, ``doc_number``, ``charge`` …, built on :mod:`models.validators` and
:mod:`extractors.normalize`). What cannot be a pattern — person blocks, tables, charges with
negation, values across lines, sections — is a *named extractor*: a documented function registered
with :func:`extractor` (in ``extractors/fields_*.py``) that a ``fields`` entry calls by name.

Every value records what produced it: the recognizer, the pattern name and the text span, on the
:class:`~models.Field` and on each of its :class:`~models.Evidence` (the report carries them). On a
page read by OCR, context words are matched through :func:`models.reading.tolerant`, so a word
with a look-alike character (状/壮, 诉/沂) still counts; on a text layer they must be exact.

Shared blocks (the recognizers every type runs first, the default list of a type that declares
none) live in ``extractors/recognizers.yaml``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any, Callable

import yaml

from models import Evidence, Field
from models.reading import tolerant
from models.validators import id_number_ok

from extractors import normalize as nz
from extractors import patterns as pt
from extractors import templates
from extractors.field_specs import (FieldSpec, FieldSpecError, bad_blocks, parse_fields, thaw, unknown_block,
                                     unknown_extractor)
from extractors.lexicon import is_person_name, normalize_charge
from extractors.text import DocText

BLOCKS_FILE = Path(__file__).with_name("recognizers.yaml")
#: A context word read by OCR may carry one look-alike character per this many characters.
LOOK_ALIKE_PER = 3
_SENT_END = re.compile(r"[。；;\n\f]")


class Extraction:
    """The fields of one document being built; :meth:`put` records a value with its evidence and provenance.

    ``matches`` are the lexicon's phrase matches of the text, ``regions`` spans that one extractor
    located for another (``facts``: the fact section), ``current`` the recognizer and pattern the
    engine is running (what :meth:`put` records when the caller names none).
    """

    def __init__(self, text: DocText, doc_type: str, title: str = ""):
        self.title = title
        self.t = text
        self.s = text.text
        self.type = doc_type
        self.fields: dict[str, Field] = {}
        self.matches: list[tuple[str, int, int, str]] = []
        self.regions: dict[str, tuple[int, int] | None] = {}
        self.current: tuple[str | None, str | None] = (None, None)

    def put(self, name: str, value: Any, spans: list[tuple[int, int]] | tuple[int, int] | None,
            confidence: float = 0.95, overwrite: bool = False, *, recognizer: str | None = None,
            pattern: str | None = None) -> None:
        if value is None or value == [] or value == "" or (name in self.fields and not overwrite):
            return
        if isinstance(spans, tuple):
            spans = [spans]
        recognizer = recognizer or self.current[0]
        pattern = pattern or self.current[1]
        evidence: list[Evidence] = []
        for a, b in spans or []:
            ev = self.t.evidence(a, b, confidence)
            if not any(e.page == ev.page and e.bbox == ev.bbox for e in evidence):
                if recognizer:
                    ev = ev.model_copy(update={"recognizer": recognizer, "pattern": pattern, "span": (a, b)})
                evidence.append(ev)
        conf = min([confidence] + [e.confidence for e in evidence])
        self.fields[name] = Field(value=value, evidence=evidence[:6], confidence=round(conf, 3),
                                  recognizer=recognizer, pattern=pattern)

    def sentence(self, pos: int) -> tuple[int, int]:
        """Bounds of the sentence around ``pos`` (split at 。；, line and page breaks)."""
        start = pos
        while start > 0 and not _SENT_END.match(self.s[start - 1]):
            start -= 1
        m = _SENT_END.search(self.s, pos)
        return start, (m.start() if m else len(self.s))

    def header_end(self) -> int:
        """End offset of the header: the first 8 rows, or up to the first long sentence."""
        pos = 0
        for _ in range(8):
            nxt = self.s.find("\n", pos + 1)
            if nxt < 0:
                return len(self.s)
            if nxt - pos > 60:
                return nxt
            pos = nxt
        return pos

    def ocr_at(self, pos: int) -> bool:
        """Whether the character at ``pos`` was read by OCR (a scan, or a double-layer PDF's OCR layer)."""
        span = self.t.line_at(pos)
        return span is not None and span.page.text_source == "ocr"

    def find_word(self, word: str, start: int = 0, end: int | None = None):
        """Occurrences ``(start, end)`` of a context word: exact, or on an OCR page with look-alike
        characters (:func:`models.reading.tolerant`), at most one per three characters of the word
        (the rule of :mod:`extractors.anchors`: a two-character word must be read exactly)."""
        end = len(self.s) if end is None else end
        rx = tolerant(re.escape(word))
        for m in rx.finditer(self.s, start, end):
            read = m.group(0)
            if read == word or (sum(a != b for a, b in zip(read, word)) <= len(word) // LOOK_ALIKE_PER
                                and self.ocr_at(m.start())):
                yield m.start(), m.end()


# ----------------------------------------------------------------------------- named extractors

#: Named extractors: ``name → fn(x, **args)`` (registered by ``extractors/fields_*.py``).
EXTRACTORS: dict[str, Callable[..., None]] = {}


def extractor(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a named extractor that a ``fields`` entry may call (``extractor: <name>``)."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        if name in EXTRACTORS and EXTRACTORS[name] is not fn:
            raise ValueError(f"extractor {name} registered twice")
        EXTRACTORS[name] = fn
        return fn
    return register


# ----------------------------------------------------------------------------- validators


def _doc_number(text: str, x: Extraction, m: re.Match | None) -> str | None:
    s = re.sub(r"\s", "", text)
    return s if pt.DOC_NUMBER.regex.fullmatch(s) or pt.CASE_NUMBER.regex.fullmatch(s) else None


def _count(text: str, x: Extraction, m: re.Match | None) -> int:
    return int(nz.cn_number(text.replace("两", "二")) or 0)


def _person_note(text: str, x: Extraction, m: re.Match | None) -> str | None:
    """A name optionally followed by a bracketed note (the relation to the person): the whole text."""
    return text if is_person_name(re.sub(r"[（(].*$", "", text)) else None


#: ``name → fn(text, extraction, match) → value or None`` (None: not a valid instance).
VALIDATORS: dict[str, Callable[[str, Extraction, re.Match | None], Any]] = {
    "text": lambda t, x, m: t or None,
    "flag": lambda t, x, m: True,
    "date": lambda t, x, m: nz.parse_date(t),
    "datetime": lambda t, x, m: nz.parse_datetime(t) or nz.parse_date(t),
    "person_name": lambda t, x, m: t if is_person_name(t) else None,
    "person_note": _person_note,
    "id_number": lambda t, x, m: t.upper() if id_number_ok(t.upper()) else None,
    "money": lambda t, x, m: nz.parse_money(t),
    "doc_number": _doc_number,
    "charge": lambda t, x, m: normalize_charge(t),
    "count": _count,
    "sentence": lambda t, x, m: nz.parse_sentence(t),
}


# ----------------------------------------------------------------------------- zones


def zone_bounds(x: Extraction, spec: FieldSpec) -> tuple[int, int]:
    """The ``[start, end)`` of the text a recognizer reads (see :data:`field_specs.ZONES`)."""
    n = len(x.s)
    if spec.zone == "header":
        return 0, x.header_end()
    if spec.zone == "head":
        return 0, min(n, spec.chars)
    if spec.zone == "tail":
        return max(0, n - spec.chars), n
    if spec.zone == "closing":
        end = next((m for p in templates.end_patterns(x.type) for m in [p.search(x.s)] if m), None)
        return (end.start(), n) if end else (max(0, n - (spec.chars or 400)), n)
    if spec.zone == "section":
        return section_bounds(x, spec.section) or (0, 0)
    return 0, n


def section_bounds(x: Extraction, name: str) -> tuple[int, int] | None:
    """A template section's span: from where its heading or pattern is found to the next located section."""
    specs = templates.section_specs(x.type)
    starts: dict[str, int] = {}
    for sname, sec in specs.items():
        for group in sec.regexes():
            hit = group[0].search(x.s)
            if hit and all(r.search(x.s) for r in group[1:]):
                starts[sname] = hit.start()
                break
    if name not in starts:
        return None
    a = starts[name]
    later = [p for p in starts.values() if p > a]
    return a, (min(later) if later else len(x.s))


# ----------------------------------------------------------------------------- dates near context words

_DATE_CHARS = nz.DATE_CHARS


def date_near(x: Extraction, keywords: tuple[str, ...], field: str, *, datetime: bool = False,
              after: bool | None = None, window: int = 60, start: int = 0, confidence: float = 0.95) -> bool:
    """Put the date (or date-time) nearest to the first keyword found, within its sentence.

    ``after`` keeps only dates after (True) or ending before the keyword's end (False); ``window``
    bounds the sentence around the keyword. Keywords are context words (:meth:`Extraction.find_word`).
    """
    for kw in keywords:
        for pos, _ in x.find_word(kw, start):
            sa, sb = x.sentence(pos)
            sa, sb = max(sa, pos - window), min(sb, pos + len(kw) + window)
            while sa > 0 and x.s[sa - 1] in _DATE_CHARS:
                sa -= 1  # never cut a date in two: its year is what a later 同年 refers to
            prev = previous_date(x, sa)
            cands = [(a + sa, b + sa, iso) for a, b, iso in nz.all_dates(x.s[sa:sb], prev)]
            cands += _relative_days(x, sa, sb, cands)
            if datetime and any("T" in c[2] for c in cands):
                cands = [c for c in cands if "T" in c[2]]
            if after is True:
                cands = [c for c in cands if c[0] >= pos]
            elif after is False:
                cands = [c for c in cands if c[1] <= pos + len(kw)]
            if cands:
                a, b, iso = min(cands, key=lambda c: min(abs(c[0] - pos), abs(c[1] - pos)))
                if not datetime:
                    iso = iso[:10]
                x.put(field, iso, (a, b), confidence, pattern=x.current[1] or kw)
                return True
    return False


def previous_date(x: Extraction, pos: int) -> str | None:
    dates = nz.all_dates(x.s[max(0, pos - 400):pos])
    return dates[-1][2] if dates else None


def _relative_days(x: Extraction, a: int, b: int, cands: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``次日`` / ``当日`` / ``同日`` resolved against the date just before them."""
    out = []
    for m in re.finditer(r"次日|当日|同日|当天|第二天", x.s[a:b]):
        p = a + m.start()
        before = [c for c in cands if c[1] <= p]
        base = before[-1][2] if before else previous_date(x, p)
        if not base:
            continue
        d = dt.date.fromisoformat(base[:10])
        if m.group(0) in ("次日", "第二天"):
            d += dt.timedelta(days=1)
        out.append((p, p + len(m.group(0)), d.isoformat()))
    return out


# ----------------------------------------------------------------------------- the engine

_VALUE_GROUPS = ("value", "value_1", "value_2", "value_3")


def _value_of(m: re.Match) -> tuple[str, int, int]:
    groups = m.re.groupindex
    for g in _VALUE_GROUPS:
        if g in groups and m.group(g) is not None:
            return m.group(g), m.start(g), m.end(g)
    return m.group(0), m.start(), m.end()


def _has_context(x: Extraction, spec: FieldSpec, pos: int) -> bool:
    lo = max(0, pos - spec.window)
    return any(True for w in spec.context for _ in x.find_word(w, lo, pos))


def _recognize(x: Extraction, spec: FieldSpec) -> None:
    """A pattern recognizer: candidates from the named patterns in the zone, kept when their context
    word precedes them and the validator accepts them; ``pick`` chooses among them."""
    lo, hi = zone_bounds(x, spec)
    seg = x.s[lo:hi]
    validate = VALIDATORS[spec.validator]
    found: list[tuple[Any, int, int, str, float]] = []
    for p in spec.patterns:
        for m in p.compiled.finditer(seg):
            raw, va, vb = _value_of(m)
            a, b = lo + m.start(), lo + m.end()
            if spec.context and not _has_context(x, spec, a):
                continue
            if spec.extend == "sentence":
                raw = x.s[a: x.sentence(a)[1]]
                vb = x.sentence(a)[1] - lo
            if spec.strip:
                raw = raw.strip()
            value = validate(raw, x, m)
            if value is not None and (p.value is not None or spec.value is not None):
                value = p.value if p.value is not None else spec.value
            negated = "negated" in m.re.groupindex and m.group("negated") is not None
            if spec.negation and re.search(spec.negation, x.s[max(0, a - spec.negation_window):a]):
                negated = True
            if negated:
                value = (not value) if isinstance(value, bool) else None
            if value is not None and spec.as_person:
                value = [{"name": value, "role": spec.as_person}]
            span = {"value": (lo + va, lo + vb), "match": (a, b), "extended": (a, lo + vb)}[spec.evidence]
            if "evidence" in m.re.groupindex and m.group("evidence") is not None:
                span = (lo + m.start("evidence"), lo + m.end("evidence"))
            if value is not None:
                found.append((value, span[0], span[1], p.name, p.score if p.score is not None else spec.score))
            if spec.pick == "first_match" or (spec.pick == "first" and value is not None):
                break
        if found and spec.pick in ("first", "first_match"):
            break
    if not found:
        if spec.absent:
            absent = thaw(spec.absent)
            when = absent.get("when")
            if not when or re.search(when, x.s):
                x.put(spec.field, absent.get("value"), None, float(absent.get("score", spec.score)),
                      spec.overwrite, pattern="absent")
        return
    if spec.pick == "all":  # each value once, with the span it was first read at
        firsts = {}
        for f in found:
            firsts.setdefault(f[0] if not isinstance(f[0], (dict, list)) else repr(f[0]), f)
        x.put(spec.field, [f[0] for f in firsts.values()], [(f[1], f[2]) for f in firsts.values()], found[0][4],
              spec.overwrite, pattern=found[0][3])
        return
    if spec.pick == "count":
        v, a, b, name, score = found[0]
        x.put(spec.field, len(found), (a, b), score, spec.overwrite, pattern=name)
        return
    if spec.pick == "latest":
        chosen = max(found, key=lambda f: f[0])
    elif spec.pick == "earliest":
        chosen = min(found, key=lambda f: f[0])
    elif spec.pick == "last":
        chosen = found[-1]
    else:
        chosen = found[0]
    value, a, b, name, score = chosen
    x.put(spec.field, value, (a, b), score, spec.overwrite, pattern=name)


def run(x: Extraction, specs: tuple[FieldSpec, ...]) -> None:
    """Run ``fields`` entries in order (see :mod:`extractors.field_specs`)."""
    for spec in specs:
        if spec.requires and spec.requires not in x.fields:
            continue
        if spec.when and not re.search(spec.when, x.s):
            continue
        x.current = (spec.name or (extractor_title(spec.extractor) if spec.extractor else spec.recognizer), None)
        try:
            if spec.kind == "use":
                run(x, block(spec.use))
            elif spec.kind == "extractor":
                fn = EXTRACTORS.get(spec.extractor)
                if fn is None:
                    raise unknown_extractor(spec.extractor, spec.template)
                fn(x, **thaw(spec.args)) if spec.args else fn(x)
            elif spec.kind == "copy":
                src = x.fields.get(spec.copy)
                if src is not None and (spec.field not in x.fields or spec.overwrite):
                    x.fields[spec.field] = src.model_copy()
            elif spec.kind == "near":
                date_near(x, spec.context, spec.field, datetime=spec.validator == "datetime", after=spec.after,
                          window=spec.window, confidence=spec.score)
            else:
                _recognize(x, spec)
        finally:
            x.current = (None, None)


#: The key of ``recognizers.yaml`` that names the extractors in Chinese (not a block).
TITLES_KEY = "extractor_titles"


@functools.lru_cache(maxsize=4)
def _load_blocks(path: str) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def extractor_title(name: str) -> str:
    """The Chinese name of a named extractor (``extractor_titles`` of ``recognizers.yaml``), else ``name``."""
    return str((_load_blocks(str(BLOCKS_FILE)).get(TITLES_KEY) or {}).get(name) or name)


@functools.lru_cache(maxsize=4)
def _blocks(path: str) -> dict[str, tuple[FieldSpec, ...]]:
    data = _load_blocks(path)
    try:
        return {name: parse_fields(entries, f"recognizers.yaml·{name}") for name, entries in data.items()
                if name != TITLES_KEY}
    except FieldSpecError as exc:
        raise templates.TemplateError(bad_blocks(exc)) from None


def blocks() -> dict[str, tuple[FieldSpec, ...]]:
    """Every shared block of ``extractors/recognizers.yaml``, by name."""
    return _blocks(str(BLOCKS_FILE))


def block(name: str) -> tuple[FieldSpec, ...]:
    """A shared block of ``extractors/recognizers.yaml``."""
    blocks = _blocks(str(BLOCKS_FILE))
    if name not in blocks:
        raise unknown_block(name, list(blocks))
    return blocks[name]


def specs_for(doc_type: str) -> tuple[FieldSpec, ...]:
    """The recognizers a type runs: its declared ``fields``, else the ``default`` block."""
    return templates.field_specs(doc_type) or block("default")
