"""选择性罪名 (selective charges) and their split forms.

A 选择性罪名 such as ``走私、贩卖、运输、制造毒品罪`` or ``骗取贷款、票据承兑、金融票证罪``
is written by the documents in the form that fits the facts: ``贩卖毒品罪``,
``骗取贷款罪``, ``销售有毒、有害食品罪``. :func:`parent_charge` maps such a split form to
the official name it belongs to, by structure only (no list of split forms is kept):
the split form must be made of pieces of the official name's 、-separated items, in
order, each piece a whole item, a head or a tail of one, and it must keep the head of
the first item or the tail of the last (the shared verb or the shared object).
Ambiguous forms (fitting two official names) are refused.
"""

from __future__ import annotations

import functools
from typing import Iterable


def _items(full: str) -> list[str]:
    return [p for p in full[:-1].split("、") if p]


def is_split_form(candidate: str, full: str) -> bool:
    """``candidate`` (ending in 罪) is a split form of the selective charge ``full``."""
    if "、" not in full or not candidate.endswith("罪") or not full.endswith("罪"):
        return False
    core = candidate[:-1].replace("、", "")
    if len(core) < 2 or core == full[:-1].replace("、", ""):
        return False
    if not set(core) <= set(full):  # every piece is a piece of an item: no character from elsewhere
        return False
    items = _items(full)
    last = len(items) - 1

    @functools.lru_cache(maxsize=None)
    def fit(pos: int, j: int, head0: bool) -> bool:
        # core[pos:] covered by pieces of items[j:]; head0: the first piece was the head of the first item;
        # a single piece must be a long head (骗取贷款罪) or the whole last item (销售假药罪), never a bare
        # tail (毒品罪)
        for k in range(j, len(items)):
            item = items[k]
            for n in range(min(len(item), len(core) - pos), 0, -1):
                piece = core[pos:pos + n]
                if n < 2 and n < len(item):
                    continue
                head, tail = item.startswith(piece), item.endswith(piece)
                if not (head or tail):
                    continue
                h0 = head0 or (pos == 0 and k == 0 and head)
                if pos + n == len(core):
                    if (h0 and (pos > 0 or n >= 3)) or (k == last and tail and (pos > 0 or n == len(item))):
                        return True
                elif fit(pos + n, k + 1, h0):
                    return True
        return False

    return fit(0, 0, False)


def split_parents(candidate: str, names: Iterable[str]) -> list[str]:
    """The official selective charges ``candidate`` is a split form of (sorted)."""
    return sorted(n for n in names if "、" in n and is_split_form(candidate, n))


def parent_charge(candidate: str, names: Iterable[str]) -> str | None:
    """The one official selective charge ``candidate`` is a split form of, else None (none or ambiguous)."""
    parents = split_parents(candidate, names)
    return parents[0] if len(parents) == 1 else None
