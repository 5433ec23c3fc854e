"""Anchors that survive recognition noise: the product's own phrases found through look-alike characters.

Everything the product reads a document by — titles, cues, header labels, section headings,
落款 words, signature labels, legal terms, 罪名 — is a phrase written in a template
(``extractors/forms/*.yaml``), a named pattern of the extractors, or the 罪名 lexicon. In text
that came from OCR (a scan read here, or the invisible layer of a double-layer PDF) one of
their characters is sometimes read as a look-alike (``检蔡官`` for 检察官, ``审杳查明`` for
审查查明, ``刑怯`` for 刑法), and a strict pattern no longer finds the anchor.

:func:`vocabulary` gathers those phrases from the declarations themselves: each regex is
expanded into the literal strings it matches where that language is small (``经(?:依法)?审查
(?:查明|认定)`` gives four phrases), else into its literal runs. :class:`Restorer` finds a
phrase in OCR-grade text with up to one look-alike substitution per three characters (pairs of
:mod:`models.reading`, never an arbitrary character) and restores the phrase's characters,
one for one, so offsets and boxes stay valid. It never touches:

- characters inside an exact occurrence of a known phrase (``被告人`` stays, though 告/害 look alike);
- a span that is itself a phrase or a word of the segmenter's dictionary (a real word is not noise);
- a span whose restoring phrase is ambiguous (two phrases of the same length and cost).

Values (names, places, numbers) are not phrases and are left as read; they are compared as
readings by the rules (:func:`models.reading.same_reading`). Each restored line keeps what was
read in ``Line.read_as``, so evidence can show both.
"""

from __future__ import annotations

import functools
import re
import re._constants as sre_c  # the parser's opcodes (Python ≥ 3.11)
import re._parser as sre_parse
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

from models import Line, Page
from models.reading import confusables

_CJK = re.compile(r"[\u4e00-\u9fff]+")
#: Most strings one regex may expand to before it is taken in literal runs instead.
EXPAND_CAP = 48
#: Shortest and longest phrase restored.
MIN_PHRASE, MAX_PHRASE = 2, 16
#: Phrases of up to this many characters are restored only where the sentence reads better so.
SHORT_PHRASE = 3
#: Characters either side of a short phrase the sentence is scored on, and the gain (natural log
#: of the segmentation probability) the restored reading needs.
LM_WINDOW, LM_MARGIN = 6, 4.0
#: The gain a two-character phrase needs (half its characters would change), and the gain any
#: short phrase needs at the head of a line (the place of a form's labels).
LM_MARGIN_PAIR, LM_MARGIN_LABEL = 7.0, 3.0
#: Phrases of at least this many characters may carry one misread character that is not a known
#: look-alike (the table cannot hold every confusion an engine makes).
LONG_PHRASE = 7
#: Numbers are values, never restored (``二〇二一年`` is not ``二〇二十年``).
NUMERALS = frozenset("〇零○一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟")


def allowed_substitutions(length: int) -> int:
    """Look-alike substitutions a phrase of ``length`` characters may carry: one per three characters."""
    return max(1, length // 3)


# ----------------------------------------------------------------------------- the vocabulary


def expand(pattern: str, cap: int = EXPAND_CAP) -> set[str]:
    """The CJK phrases a regex is written with: the strings it matches where the language is small
    and literal, else the literal runs between its open parts (character ranges, repeats)."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return set(_CJK.findall(pattern))
    out: set[str] = set()
    out.update(_harvest(list(parsed), cap, out) or ())
    return {p for s in out for p in _CJK.findall(s) if MIN_PHRASE <= len(p) <= MAX_PHRASE}


def _harvest(items: list, cap: int, out: set[str]) -> set[str] | None:
    """Expand a parsed sequence; literal stretches that cannot be expanded further go to ``out``.
    Returns the finite language of the whole sequence, or None when it is open."""
    current: set[str] | None = {""}
    whole_open = False
    for op, av in items:
        part = _language(op, av, cap, out)
        if part is None or current is None or len(current) * max(len(part), 1) > cap:
            if current:
                out.update(current)
            current = {""} if part is None else set(part)
            whole_open = True
            continue
        current = {a + b for a in current for b in part}
    if whole_open:
        if current:
            out.update(current)
        return None
    return current


def _language(op, av, cap: int, out: set[str]) -> set[str] | None:
    if op is sre_c.LITERAL:
        return {chr(av)}
    if op is sre_c.AT:
        return {""}
    if op is sre_c.SUBPATTERN:
        return _harvest(list(av[-1]), cap, out)
    if op is sre_c.BRANCH:
        alts = [_harvest(list(b), cap, out) for b in av[1]]
        if any(a is None for a in alts):
            for a in alts:
                if a:
                    out.update(a)
            return None
        lang = set().union(*alts)
        return lang if len(lang) <= cap else None
    if op is sre_c.IN:
        chars = [chr(v) for o, v in av if o is sre_c.LITERAL]
        if len(chars) != len(av) or len(chars) > 4:
            return None
        return set(chars)
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        lo, hi, body = av
        inner = _harvest(list(body), cap, out)
        if inner is None or hi > 1 or lo > 1:
            if inner:
                out.update(inner)
            return None
        return inner | ({""} if lo == 0 else set())
    return None


def _template_strings() -> Iterable[str]:
    from extractors import templates

    for t in templates.templates():
        yield from t.titles
        yield from (c for c, _ in t.cues)
        yield from t.end
        yield from t.title_patterns
        for sec in t.sections:
            yield from sec.headings
            yield from sec.subject
            for group in sec.patterns:
                yield from group
        for lb in t.labels:
            yield from (x[3:] if x.startswith("re:") else re.escape(x) for x in lb.labels)
        for s in t.slots:
            yield from (x[3:] if x.startswith("re:") else re.escape(x) for x in s.labels)
        for spec in t.fields:
            yield from spec.strings()
    from extractors import recognizers

    for specs in recognizers.blocks().values():
        for spec in specs:
            yield from spec.strings()


#: Extractor modules whose string literals (patterns, keyword tuples) are phrases the product reads by.
SOURCE_MODULES = ("patterns", "fields", "fields_people", "fields_law", "fields_dates", "fields_structure", "recognizers",
                  "slots", "classify", "evidence", "normalize", "merge")


def _module_patterns() -> Iterable[str]:
    """Every string literal of the extractor modules (:data:`SOURCE_MODULES`): their named and inline
    patterns and keyword lists, read from the modules' source (nothing is hand-copied here). A module
    whose source is not installed contributes its module-level patterns only."""
    import ast
    import importlib
    import inspect

    for name in SOURCE_MODULES:
        mod = importlib.import_module(f"extractors.{name}")
        try:
            tree = ast.parse(inspect.getsource(mod))
        except (OSError, TypeError, SyntaxError):
            yield from (v.pattern for v in vars(mod).values() if isinstance(v, re.Pattern))
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CJK.search(node.value):
                yield node.value


def _lexicon_terms() -> Iterable[str]:
    from extractors import lexicon

    yield from lexicon.crime_names()
    for terms in lexicon.TERMS.values():
        yield from terms


@functools.lru_cache(maxsize=8)
def _vocabulary(key: tuple[str, str]) -> frozenset[str]:
    phrases: set[str] = set()
    for pattern in list(_template_strings()) + list(_module_patterns()):
        phrases |= expand(pattern)
    for term in _lexicon_terms():
        phrases.update(p for p in _CJK.findall(term) if MIN_PHRASE <= len(p) <= MAX_PHRASE)
    return frozenset(phrases)


def vocabulary() -> frozenset[str]:
    """The phrases restored in OCR-grade text (cached per template set)."""
    from extractors.templates import _key

    return _vocabulary(_key())


# ----------------------------------------------------------------------------- restoring


@dataclass(frozen=True)
class Restoration:
    """``text[start:start+len(read)]`` was ``read`` and is restored to ``phrase``."""

    start: int
    read: str
    phrase: str


class Restorer:
    """Finds vocabulary phrases in text through look-alike characters (see the module docstring)."""

    def __init__(self, phrases: Iterable[str], known_words: frozenset[str] | set[str] = frozenset(),
                 score: Callable[[str], float] | None = None):
        self.phrases = frozenset(phrases)
        self.known = known_words
        self.score = score
        self.look = confusables()
        self.lengths = sorted({len(p) for p in self.phrases}, reverse=True)
        # phrases of up to three characters are found by one exact character, longer ones by an
        # exact pair (one always survives: at most one substitution per three characters)
        self.by_char: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.by_pair: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for p in self.phrases:
            if len(p) <= 3:
                for i, ch in enumerate(p):
                    self.by_char[ch].append((p, i))
            else:
                for i in range(len(p) - 1):
                    self.by_pair[p[i:i + 2]].append((p, i))
        self._exact = re.compile("|".join(map(re.escape, sorted(self.phrases, key=len, reverse=True)))) \
            if self.phrases else None

    def _candidates(self, text: str) -> set[tuple[int, str]]:
        out: set[tuple[int, str]] = set()
        for j, ch in enumerate(text):
            for p, i in self.by_char.get(ch, ()):
                if j >= i:
                    out.add((j - i, p))
            for p, i in self.by_pair.get(text[j:j + 2], ()):
                if j >= i:
                    out.add((j - i, p))
        return out

    def _fits(self, text: str, start: int, phrase: str, protected: list[bool]) -> int:
        """Substitutions needed to read ``phrase`` at ``start`` (−1 when it does not fit)."""
        end = start + len(phrase)
        if end > len(text):
            return -1
        subs = other = 0
        for k, want in enumerate(phrase):
            got = text[start + k]
            if got == want:
                continue
            if protected[start + k] or got in NUMERALS or want in NUMERALS or not ("\u4e00" <= got <= "\u9fff"):
                return -1
            if want not in self.look.get(got, ()):
                # a long phrase may carry one misreading the table does not know (如实供远自己的罪行),
                # inside it: a different first or last word is another phrase (经本院…, 特提请…)
                other += 1
                if len(phrase) < LONG_PHRASE or other > 1 or not 2 <= k <= len(phrase) - 3:
                    return -1
            subs += 1
            if subs > allowed_substitutions(len(phrase)):
                return -1
        return subs

    def _breaks_word(self, text: str, start: int, phrase: str) -> bool:
        """A changed character that forms a known word with a neighbour outside the phrase is read
        right: ``户籍地北京市`` is not ``户籍地址…`` (北京 is a word)."""
        end = start + len(phrase)
        for p in range(start, end):
            if text[p] == phrase[p - start]:
                continue
            for n in (2, 3, 4):
                for a in range(p - n + 1, p + 1):
                    if a >= 0 and a + n <= len(text) and (a < start or a + n > end) and text[a:a + n] in self.known:
                        return True
        return False

    def _reads_better(self, text: str, start: int, phrase: str) -> bool:
        """A short phrase is restored only where the sentence around it reads much better so
        (segmenter's word probabilities, :data:`LM_MARGIN`): ``系犯罪嫌疑人`` is not ``累犯…``."""
        if self.score is None:
            return False
        a, b = max(0, start - LM_WINDOW), min(len(text), start + len(phrase) + LM_WINDOW)
        after = text[a:start] + phrase + text[start + len(phrase):b]
        margin = LM_MARGIN if len(phrase) > 2 else LM_MARGIN_PAIR
        if start == 0:  # at the head of a line, where a form's labels stand (时问 2023年… is 时间)
            margin = min(margin, LM_MARGIN_LABEL)
        return self.score(after) - self.score(text[a:b]) >= margin

    def restore(self, text: str) -> tuple[str, list[Restoration]]:
        """``text`` with phrases read through look-alikes restored, and what was restored."""
        if not text or not self.phrases:
            return text, []
        protected = [False] * len(text)
        for value in _value_patterns():  # 文号, 案号, ID numbers are values, never restored
            for m in value.finditer(text):
                for k in range(m.start(), m.end()):
                    protected[k] = True
        if self._exact is not None:
            for m in self._exact.finditer(text):
                if m.end() - m.start() >= MIN_PHRASE:
                    for k in range(m.start(), m.end()):
                        protected[k] = True
        best: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        for start, phrase in self._candidates(text):
            subs = self._fits(text, start, phrase, protected)
            if subs <= 0:
                continue
            read = text[start:start + len(phrase)]
            if read in self.phrases or read in self.known or self._breaks_word(text, start, phrase):
                continue
            if len(phrase) <= SHORT_PHRASE and not self._reads_better(text, start, phrase):
                continue
            best[start].append((len(phrase), subs, phrase))
        chosen: list[Restoration] = []
        taken = [False] * len(text)
        options = [(length, -subs, start, phrase) for start, cands in best.items() for length, subs, phrase in cands]
        options.sort(key=lambda o: (-o[0], -o[1], o[2]))
        for length, neg_subs, start, phrase in options:
            rivals = [c for c in best[start] if c[0] == length and c[1] == -neg_subs and c[2] != phrase]
            if rivals or any(taken[start:start + length]):
                continue
            for k in range(start, start + length):
                taken[k] = True
            chosen.append(Restoration(start, text[start:start + length], phrase))
        if not chosen:
            return text, []
        chars = list(text)
        for r in chosen:
            chars[r.start:r.start + len(r.phrase)] = r.phrase
        return "".join(chars), sorted(chosen, key=lambda r: r.start)


@functools.lru_cache(maxsize=1)
def _value_patterns() -> tuple[re.Pattern, ...]:
    from extractors import patterns

    return tuple(p.regex for p in (patterns.DOC_NUMBER, patterns.CASE_NUMBER, patterns.ID_NUMBER))


def _segmenter() -> tuple[frozenset[str], Callable[[str], float] | None]:
    """Words of the segmenter's dictionary of two to four characters (a real word is not noise),
    and the log probability of a text's best segmentation (jieba's unigram model)."""
    try:
        import jieba
    except ImportError:  # pragma: no cover - jieba is a declared dependency
        return frozenset(), None
    jieba.initialize()
    tok = jieba.dt

    def score(text: str) -> float:
        route: dict[int, tuple[float, int]] = {}
        tok.calc(text, tok.get_DAG(text), route)
        return route[0][0] if text else 0.0

    return frozenset(w for w, f in tok.FREQ.items() if f > 0 and 2 <= len(w) <= 4), score


@functools.lru_cache(maxsize=8)
def _restorer(key: tuple[str, str]) -> Restorer:
    known, score = _segmenter()
    return Restorer(_vocabulary(key), known, score)


def restorer() -> Restorer:
    """The restorer of the current template set (built once per process and template set)."""
    from extractors.templates import _key

    return _restorer(_key())


def restore_page(page: Page) -> int:
    """Restore look-alike characters of known phrases in an OCR-grade page's lines (in place;
    ``Line.read_as`` keeps what was read). Returns how many characters were restored."""
    if page.text_source != "ocr" or not page.lines:
        return 0
    fixer = restorer()
    changed = 0
    lines: list[Line] = []
    for line in page.lines:
        # spaces an OCR layer puts inside words (``号 码``) are skipped over, not removed
        where = [i for i, ch in enumerate(line.text) if not ch.isspace()]
        restored, done = fixer.restore("".join(line.text[i] for i in where))
        if done:
            chars = list(line.text)
            for i, ch in zip(where, restored):
                chars[i] = ch
            changed += sum(a != b for r in done for a, b in zip(r.read, r.phrase))
            line = line.model_copy(update={"text": "".join(chars), "read_as": line.read_as or line.text})
        lines.append(line)
    if changed:
        from extractors.pdf import page_text

        page.lines = lines
        page.text = page_text(lines)
    return changed
