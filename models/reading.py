"""Values read through OCR, compared as a reader would: look-alike characters (形近字).

An OCR engine (or the OCR layer of a double-layer PDF) misreads a character as one that
looks like it: 己/已, 人/入, 市/巿, 察/蔡, 状/壮. Two readings of one value that differ only in
such characters are the same value read with uncertainty, not two values. The pairs come
from ``models/data/confusables.txt``, built offline by ``tools/build_confusables.py`` from
the recognition model's own confusions on rendered characters and from glyph overlap in
several fonts (never typed by hand); each line is ``a<TAB>b<TAB>score<TAB>source``.

:func:`reading_diff` says how two strings differ (look-alike substitutions, other edits);
:func:`same_reading` is the test the consistency rules use on values read from OCR-grade
text; :func:`majority_reading` picks the value most readings agree on.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

DATA = Path(__file__).with_name("data") / "confusables.txt"
#: Pairs scored below this are not used (the file may keep weaker pairs for inspection).
MIN_SCORE = 0.0


@functools.lru_cache(maxsize=4)
def confusables(path: str | None = None, min_score: float = MIN_SCORE) -> dict[str, frozenset[str]]:
    """``{character: characters it may be misread as}`` (symmetric); empty when the file is missing."""
    table: dict[str, set[str]] = {}
    try:
        rows = Path(path or DATA).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    for row in rows:
        if not row or row.startswith("#"):
            continue
        parts = row.split("\t")
        if len(parts) < 2 or len(parts[0]) != 1 or len(parts[1]) != 1:
            continue
        if len(parts) > 2 and float(parts[2]) < min_score:
            continue
        a, b = parts[0], parts[1]
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in table.items()}


def _fold(ch: str) -> str:
    """Full-width ASCII and punctuation as their plain forms (OCR mixes ``（`` and ``(``)."""
    return unicodedata.normalize("NFKC", ch)


def look_alike(a: str, b: str) -> bool:
    """True when characters ``a`` and ``b`` are the same or visually confusable."""
    return a == b or _fold(a) == _fold(b) or b in confusables().get(a, ())


@dataclass(frozen=True)
class ReadingDiff:
    """How two readings differ: ``look_alike`` substitutions of confusable characters, ``other``
    edits (different characters, insertions, deletions); ``pairs`` lists the substitutions."""

    look_alike: int
    other: int
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def same(self) -> bool:
        return self.look_alike == 0 and self.other == 0


def reading_diff(a: str, b: str) -> ReadingDiff:
    """Compare two readings, ignoring whitespace: an alignment (Levenshtein, look-alike
    substitutions cost less than other edits) counted by kind."""
    a = "".join(ch for ch in a if not ch.isspace())
    b = "".join(ch for ch in b if not ch.isspace())
    if a == b:
        return ReadingDiff(0, 0)
    n, m = len(a), len(b)
    # cost: look-alike substitution 1, other edit 3; keep (cost, look-alike, other, pairs) per cell
    prev = [(3 * j, 0, j, ()) for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [(3 * i, 0, i, ())]
        for j in range(1, m + 1):
            x, y = a[i - 1], b[j - 1]
            d = prev[j - 1]
            if x == y or _fold(x) == _fold(y):
                best = d
            elif look_alike(x, y):
                best = (d[0] + 1, d[1] + 1, d[2], d[3] + ((x, y),))
            else:
                best = (d[0] + 3, d[1], d[2] + 1, d[3])
            for c in (prev[j], cur[j - 1]):
                if c[0] + 3 < best[0]:
                    best = (c[0] + 3, c[1], c[2] + 1, c[3])
            cur.append(best)
        prev = cur
    _, look, other, pairs = prev[m]
    return ReadingDiff(look, other, pairs)


def same_reading(a: str, b: str, max_look_alike: int | None = None) -> bool:
    """True when ``a`` and ``b`` differ only in look-alike characters — at most half the characters
    of the shorter value, rounded up (``临沂市``/``临诉巿``), or ``max_look_alike`` — and nothing else."""
    d = reading_diff(a, b)
    if d.other:
        return False
    limit = max_look_alike if max_look_alike is not None else max(1, (min(len(a), len(b)) + 1) // 2)
    return d.look_alike <= limit


def lost_in_reading(short: str, long: str, max_lost: int = 2) -> bool:
    """True when ``short`` is ``long`` with 1 to ``max_lost`` characters missing and nothing else
    changed but look-alikes (``〔2024 712号`` read for ``〔2024〕4712号``: OCR loses a character or two
    where glyphs run together or a gap swallows them). Whitespace is ignored."""
    short = "".join(ch for ch in short if not ch.isspace())
    long = "".join(ch for ch in long if not ch.isspace())
    if not 1 <= len(long) - len(short) <= max_lost or not short:
        return False
    # the shortest alignment that keeps every character of ``short`` (an O(n·m) table of the
    # fewest characters of ``long`` skipped to match its first i characters within the first j)
    n, m = len(short), len(long)
    inf = m + 1
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    best[0] = list(range(m + 1))
    for i in range(1, n + 1):
        for j in range(i, m + 1):
            x, y = short[i - 1], long[j - 1]
            keep = best[i - 1][j - 1] if (x == y or _fold(x) == _fold(y) or look_alike(x, y)) else inf
            best[i][j] = min(keep, best[i][j - 1] + 1)
    return best[n][m] == m - n


def majority_reading(values: Sequence[str] | Iterable[str]) -> str | None:
    """The reading most values agree on, counting a value's look-alike variants as votes for it
    (ties: the exact value seen most often, then the first); None for no values."""
    vals = [v for v in values if v]
    if not vals:
        return None
    exact = Counter(vals)
    support = {v: sum(n for w, n in exact.items() if w == v or same_reading(v, w)) for v in exact}
    return max(exact, key=lambda v: (support[v], exact[v], -vals.index(v)))


@functools.lru_cache(maxsize=256)
def tolerant(pattern: str, flags: int = 0) -> re.Pattern:
    """``pattern`` compiled with every literal CJK character widened to itself and its look-alikes
    (``检`` → ``[检捡…]``, also inside character classes): the same pattern read through OCR noise.
    Spans match one for one, so offsets into the text stay valid."""
    table = confusables()
    out: list[str] = []
    i, in_class, negated, extra = 0, False, False, ""
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]":
                out.append(re.escape(extra) + "]" if extra else "]")
                in_class, extra = False, ""
            else:
                out.append(ch)
                if not negated and "\u4e00" <= ch <= "\u9fff" and pattern[i + 1:i + 2] != "-" \
                        and pattern[i - 1:i] != "-":
                    extra += "".join(sorted(table.get(ch, ())))
        elif ch == "[":
            out.append(ch)
            in_class, negated = True, pattern[i + 1:i + 2] == "^"  # a negated class is left as written
        elif "\u4e00" <= ch <= "\u9fff" and table.get(ch):
            out.append("[" + ch + "".join(sorted(table[ch])) + "]")
        else:
            out.append(ch)
        i += 1
    return re.compile("".join(out), flags)
