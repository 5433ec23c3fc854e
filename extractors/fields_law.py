"""Named extractors for what a document says about the law: charges, articles, penalties, plea, facts.

Registered with :func:`extractors.recognizers.extractor` and called by name from a form's
``fields`` block:

- ``charges`` — 罪名 stated after a charge cue (犯/涉嫌/以/构成 … 罪, 罪名：…), never a negated one
  (不构成X罪) or a prior record's (曾因犯…); args ``after`` (cue words whose first occurrence starts
  the preferred region, e.g. 判决如下) and ``exclude: facts`` (leave out the fact section);
- ``articles`` — 刑法 / 刑事诉讼法 articles cited;
- ``recommendation`` — the 量刑建议 penalty (arg ``field``);
- ``judgment_sentence`` — the verdict and sentence after 判决如下;
- ``plea`` — 认罪认罚 as stated (not the law quoted, not a defence's argument);
- ``circumstances`` — sentencing circumstances of the lexicon, not negated;
- ``party_terms`` — the term the document uses for its party;
- ``facts`` — the fact section (its text, sum of money, first date and entities); it records the
  section in ``x.regions["facts"]`` for ``charges``;
- ``signer_names`` — names after 审判长/书记员/检察官 … labels near the end (args ``labels``,
  ``field``, ``single``, ``tail``).
"""

from __future__ import annotations

import re
from typing import Any

from models import vocab

from extractors import events
from extractors import normalize as nz
from extractors import patterns as pt
from extractors import persons as people
from extractors.lexicon import is_person_name, normalize_charge
from extractors.recognizers import Extraction, extractor

#: Where a document states a charge: 涉嫌X罪, 犯X罪, 以X罪, 构成X罪, 认定为X罪, 罪名：X, 案由：X.
_CHARGE_CUE = re.compile(r"(涉嫌|犯有|犯|以|构成|认定为|定性为|变更为|(?:罪名|案由)(?:为|是|[：:])?)\s*")
#: Cues negated or put as a question (不构成X罪, 是否构成X罪, 不以X罪论处, 而非X罪).
_CHARGE_NEGATED = re.compile(r"(?:不|未|并非|而非|是否|难以|不应|不能|不宜)$")
#: A prior record told in the same sentence (曾因犯X罪被判处…, 刑满释放).
_PRIOR_RECORD = re.compile(r"曾因|曾于|曾犯|曾被|前科|刑满释放|假释|此前")
_CHARGE_CHARS = re.compile(r"[\u4e00-\u9fff、]")


def stated_charges(s: str, lo: int = 0, hi: int | None = None,
                   exclude: tuple[int, int] | None = None) -> list[tuple[str, int, int]]:
    """``(罪名, start, end)`` stated in ``s[lo:hi]`` after a charge cue, validated by the 罪名 lexicon.

    Only text right after a cue counts (an organ such as 经济犯罪侦查大队, a law title or an
    evidence list never yields a charge); a name may run over a line break (``以骗取贷款\n罪``);
    names listed with 、/和/及 after a charge are read too. The longest valid name wins.
    """
    hi = len(s) if hi is None else hi
    found: list[tuple[str, int, int]] = []
    starts = [(m.start(), m.end(), m.group(1)) for m in _CHARGE_CUE.finditer(s, lo, hi)]
    k = 0
    while k < len(starts):
        cue_at, pos, cue = starts[k]
        k += 1
        if exclude and exclude[0] <= cue_at < exclude[1]:
            continue
        if not cue.startswith("、") and _CHARGE_NEGATED.search(s[max(0, cue_at - 4):cue_at]):
            continue
        labelled = cue.startswith(("罪名", "案由", "、罪名"))
        best = _charge_at(s, pos, hi, labelled=labelled)
        if not best and labelled:  # 罪名：寻衅滋事、危险驾驶 — a labelled list of names without 罪
            best = _charge_at(s, pos, min(hi, s.find("、", pos) if "、" in s[pos:pos + 40] else hi), labelled=True)
        if not best:
            continue
        name, a, b = best
        floor = max(0, cue_at - 400)  # a bounded look-back: long documents stay linear
        sent_start = max(max(s.rfind(c, floor, cue_at) for c in "。；;\f") + 1, floor)
        before = s[sent_start:cue_at]
        if _PRIOR_RECORD.search(before) and not re.search(r"又因|再次|现因|本次|此次", before[-12:]):
            continue
        if cue == "犯" and before.endswith("因") and re.match(r"[^。；]{0,30}?(?:判处|判刑|刑满)", s[b:]):
            continue
        found.append((name, a, b))
        nxt = re.match(r"\s*[、和及与]\s*", s[b:hi])
        if nxt:
            starts.insert(k, (b, b + nxt.end(), "、罪名" if labelled else "、"))
    kept: list[tuple[str, int, int]] = []
    for item in sorted(found, key=lambda f: (f[1], -(f[2] - f[1]))):
        if kept and item[1] < kept[-1][2]:
            continue
        kept.append(item)
    return kept


def _charge_at(s: str, pos: int, hi: int, labelled: bool = False) -> tuple[str, int, int] | None:
    """The longest known 罪名 starting at ``pos`` (whitespace inside a name is dropped)."""
    chars: list[tuple[int, str]] = []
    i = pos
    while i < min(hi, pos + 60) and len(chars) < 42:
        c = s[i]
        if _CHARGE_CHARS.match(c):
            chars.append((i, c))
        elif not c.isspace():
            break
        i += 1
    best = None
    for n in range(2, len(chars) + 1):
        if chars[n - 1][1] != "罪" and not (labelled and n == len(chars)):
            continue
        name = normalize_charge("".join(c for _, c in chars[:n]))
        if name:
            best = (name, chars[0][0], chars[n - 1][0] + 1)
    return best


def charges(x: Extraction, matches: list[tuple[str, int, int, str]] | None = None,
            region: tuple[int, int] | None = None, exclude: tuple[int, int] | None = None) -> None:
    """罪名 the document charges (犯/涉嫌/以/构成 … 罪, 罪名：…), not those of a prior record (曾因犯…).

    ``region`` limits the search (e.g. the holding after 判决如下); ``exclude`` drops the fact
    section, where other people's crimes are told. Without a hit there, the whole text counts.
    ``matches`` (the phrase matches) are not used: a 罪名 counts only where a charge is stated.
    """
    del matches
    found: list[tuple[str, int, int]] = []
    if region:
        found = stated_charges(x.s, region[0], region[1], exclude)
    if not found and exclude:
        found = stated_charges(x.s, exclude=exclude)
    if not found:
        found = stated_charges(x.s)
    if found:
        # one charge spelt with and without its 、 (销售有毒、有害食品罪 / 销售有毒有害食品罪, a mark OCR lost)
        # is one charge: the spelling with the mark is kept
        spelt: dict[str, str] = {}
        for n, _, _ in sorted(found, key=lambda f: -f[0].count("、")):
            spelt.setdefault(n.replace("、", ""), n)
        names = list(dict.fromkeys(spelt[n.replace("、", "")] for n, _, _ in found))
        x.put(vocab.CHARGES, names, [(a, b) for _, a, b in found][:6])


_LAW_REF = re.compile(r"《(?:中华人民共和国)?(刑法|刑事诉讼法)》((?:第[^《》。；]{1,12}?条(?:之[一二三四五六七八九])?(?:第[^《》。；条]{1,4}款)?(?:第[^《》。；条]{1,4}项)?[、，,和及]?)+)")


@extractor("articles")
def articles(x: Extraction) -> None:
    """刑法 and 刑事诉讼法 articles cited, canonical ``第二百六十四条[第一款]``."""
    crim: list[str] = []
    proc: list[str] = []
    cspans: list[tuple[int, int]] = []
    pspans: list[tuple[int, int]] = []
    for m in _LAW_REF.finditer(x.s):
        target, spans = (crim, cspans) if m.group(1) == "刑法" else (proc, pspans)
        for a in nz.ARTICLE_RE.finditer(m.group(2)):
            c = nz.canonical_article(a.group(0))
            if c and c not in target:
                target.append(c)
        spans.append((m.start(), m.end()))
    x.put(vocab.ARTICLES, crim, cspans)
    x.put(vocab.PROCEDURE_ARTICLES, proc, pspans)



@extractor("recommendation")
def recommendation(x: Extraction, field: str = vocab.RECOMMENDATION) -> None:
    """量刑建议: the penalty in the sentence that says 建议判处 / 量刑建议."""
    for m in re.finditer(r"建议(?:对被告人[\u4e00-\u9fff]{2,4})?(?:判处|处以|判)|量刑建议[为是：:]|提出[^。]{0,20}量刑建议", x.s):
        sa, sb = x.sentence(m.start())
        seg = x.s[m.start(): sb]
        sent = nz.parse_sentence(seg)
        if sent:
            x.put(field, sent, (m.start(), sb))
            return


@extractor("judgment_sentence")
def sentence_of_judgment(x: Extraction) -> None:
    """``verdict`` and ``sentence``: the first sentence after 判决如下 (无罪, 免予刑事处罚 or a penalty)."""
    m = re.search(r"判决如下[：:]?", x.s)
    if not m:
        return
    end = x.s.find("如不服本判决", m.end())
    body = x.s[m.end(): end if end > 0 else m.end() + 600]
    first = re.sub(r"[（(][^（()）]*[）)]", "", body).split("。")[0]
    sent = nz.parse_sentence(first)
    if "无罪" in body[:80] and (sent is None or sent["kind"] == "无罪"):
        x.put(vocab.VERDICT, "无罪", (m.start(), m.end() + 80))
        x.put(vocab.SENTENCE, {"kind": "无罪", "months": None, "range_months": None, "suspended": False,
                               "probation_months": None, "fine_yuan": None, "text": body[:80].strip()}, (m.start(), m.end() + 80))
        return
    if "免予刑事处罚" in first:
        x.put(vocab.VERDICT, "免予刑事处罚", (m.start(), m.end() + len(first)))
    elif sent:
        x.put(vocab.VERDICT, "有罪", (m.start(), m.end() + len(first)))
    if sent:
        x.put(vocab.SENTENCE, sent, (m.end(), m.end() + len(first)))


#: 认罪认罚 as a document states it: the term, the signed 具结书, agreement to the sentencing proposal, or
#: the statute's own words (刑事诉讼法第十五条: 如实供述自己的罪行，承认指控的犯罪事实，愿意接受处罚).
_PLEA = re.compile(r"(?<!不)(?<!未)(自愿认罪认罚|认罪认罚|签署了?认罪认罚具结书|签字具结|"
                   r"同意(?:检察机关|人民检察院|本院|公诉机关)?(?:提出)?的?量刑建议|"
                   r"承认(?:所)?指控的犯罪事实[^。；]{0,12}?(?:愿意|自愿)接受(?:刑事)?处罚)")


@extractor("plea")
def plea(x: Extraction) -> None:
    """``plea``: the first 认罪认罚 statement that is neither negated, conditional (the law told) nor a defence's."""
    for m in _PLEA.finditer(x.s):
        if re.search(r"不(?:同意|认罪)|拒绝签署", x.s[max(0, m.start() - 10):m.end() + 6]):
            continue
        if re.match(r"的[，,]", x.s[m.end():m.end() + 2]) or re.search(r"如果|如$|若$|对于$", x.s[max(0, m.start() - 12):m.start()]):
            continue  # 承认指控的犯罪事实，愿意接受处罚的，可以从宽: the law told, not a plea
        sa, sb = x.sentence(m.start())
        if re.search(r"辩护(?:意见|人提出|人认为)|辩称|提出的[^。]{0,30}意见", x.s[sa:sb]):
            continue
        x.put(vocab.PLEA, True, (m.start(), m.end()))
        return


@extractor("circumstances")
def circumstances(x: Extraction, matches: list[tuple[str, int, int, str]] | None = None) -> None:
    """``circumstances``: sentencing circumstances of the lexicon (自首, 累犯 …), unless negated just before."""
    matches = x.matches if matches is None else matches
    found = [(t, a, b) for label, a, b, t in matches if label == "CIRCUMSTANCE"]
    found = [(t, a, b) for t, a, b in found if not re.search(r"(?:不|无|没有|未|不构成|不属于|不系)$", x.s[max(0, a - 4):a])]
    if found:
        x.put(vocab.CIRCUMSTANCES, list(dict.fromkeys(t for t, _, _ in found)), [(a, b) for _, a, b in found][:6])


@extractor("party_terms")
def party_terms(x: Extraction, matches: list[tuple[str, int, int, str]] | None = None) -> None:
    """The term the document itself uses for its party (犯罪嫌疑人 / 被告人 / 被不起诉人).

    A term that introduces a party block (``被告人张三，男，…``) counts; without such a block, the
    most frequent term. Quotes of another stage never count: a title in 《》 (《犯罪嫌疑人诉讼
    权利义务告知书》), a 原审/原 reference (上诉人（原审被告人）), or a 二审 judgment telling what
    happened to the 犯罪嫌疑人 during the investigation.
    """
    matches = x.matches if matches is None else matches
    terms = [(t, a, b) for label, a, b, t in matches if label == "PARTY" and t in ("犯罪嫌疑人", "被告人", "被不起诉人")]
    terms = [(t, a, b) for t, a, b in terms
             if not re.search(r"(?:原审|原|前)$", x.s[max(0, a - 2):a]) and not _in_title(x.s, a)]
    blocks = [(t, a, b) for t, a, b in terms
              if re.match(r"[\u4e00-\u9fff]{2,4}?[，,（(]\s*(?:男|女|曾用名|别名|绰号|化名|自报|\d{4}年)", x.s[b:b + 16])]
    appeal = re.search(r"(?:上诉人|原审被告人|被上诉人)[（(）)\u4e00-\u9fff]{0,8}?[：:]?\s*[\u4e00-\u9fff]{2,4}[，,（(]\s*(?:男|女|曾用名|\d{4}年)",
                       x.s[:3000])
    if blocks or appeal:
        terms = blocks
    elif terms:
        top = max(("犯罪嫌疑人", "被告人", "被不起诉人"), key=lambda w: sum(t == w for t, _, _ in terms))
        terms = [m for m in terms if m[0] == top]
    if terms:
        x.put(vocab.ADDRESSEE_TERM, list(dict.fromkeys(t for t, _, _ in terms)), [(a, b) for _, a, b in terms][:3])


def _in_title(s: str, pos: int) -> bool:
    """``pos`` lies inside a 《…》 title."""
    opened = s.rfind("《", max(0, pos - 30), pos)
    return opened >= 0 and s.rfind("》", opened, pos) < 0


@extractor("facts")
def put_facts(x: Extraction) -> None:
    """``facts``, ``amount_yuan``, ``crime_date``, ``fact_entities`` from the fact section (审查查明 … up to
    本院认为); the section is kept in ``x.regions["facts"]`` (for ``charges`` with ``exclude: facts``)."""
    x.regions["facts"] = facts(x)


def facts(x: Extraction) -> tuple[int, int] | None:
    m = pt.FACT_START.search(x.s)
    if not m:
        return None
    end_m = pt.OPINION_START.search(x.s, m.end())
    end = end_m.start() if end_m else min(len(x.s), m.end() + 2000)
    text = x.s[m.end():end].replace("\f", "").strip()
    if text:
        x.put(vocab.FACTS, text, (m.start(), min(end, m.end() + 80)))
        amount = _amount(text)
        if amount is not None:
            x.put(vocab.AMOUNT, amount, (m.end(), end))
        dates = nz.all_dates(text)
        if dates:
            a, b, iso = dates[0]
            x.put(vocab.CRIME_DATE, iso[:10], (m.end() + a, m.end() + b))
        fact_entities(x, m.end(), end)
    return m.end(), end


def fact_entities(x: Extraction, a: int, b: int) -> None:
    """``fact_entities``: who the facts make suspects and victims (by cue or by what they did or
    suffered), and the times, places and sums of money they state — the recognizers that
    ``bench/ie_eval.py`` measures on CAIL2021 items."""
    seg = x.s[a:b]
    items: list[dict[str, Any]] = []
    spans: list[tuple[int, int]] = []
    for m in people.mentions(seg):
        if m.role in (people.SUSPECT, people.DEFENDANT, people.NOT_PROSECUTED, people.ACCOMPLICE, people.VICTIM):
            items.append({"kind": "人员", "role": m.role, "value": m.name, "cue": m.cue, "basis": m.basis})
            spans.append((a + m.start, a + m.end))
    for e in events.fact_entities(seg):
        item: dict[str, Any] = {"kind": e.kind, "value": e.value, "cue": e.cue}
        if e.yuan is not None:
            item["yuan"] = e.yuan
        items.append(item)
        spans.append((a + e.start, a + e.end))
    x.put(vocab.FACT_ENTITIES, items, spans)


def _amount(text: str) -> float | None:
    m = re.search(r"(?:共计|合计|总计|累计|价值|数额|金额)[^。，,；]{0,12}?(?:人民币)?([0-9０-９.,，〇零一二三四五六七八九十百千万两]+\s*万?余?元)", text)
    if m:
        return nz.parse_money(m.group(1))
    return None


@extractor("signer_names")
def signer_names(x: Extraction, labels: tuple[str, ...] | list[str], field: str, single: bool = False,
                 tail: int = 800) -> None:
    """Names printed after 审判长/书记员/检察官 … labels near the end of the document."""
    start = max(0, len(x.s) - tail)
    names: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in re.finditer(rf"(?:{'|'.join(labels)})[：:\s\t]*([\u4e00-\u9fff]{{2,4}})(?=[\s\t\n\f（(、，]|$)", x.s[start:]):
        n = m.group(1)
        if is_person_name(n) and n not in names:
            names.append(n)
            spans.append((start + m.start(1), start + m.end(1)))
    if names:
        x.put(field, names[0] if single else names, spans)


# ----------------------------------------------------------------------------- per type



@extractor("charges")
def stated_charges_of(x: Extraction, after: list[str] | None = None, exclude: str | None = None) -> None:
    """``charges``: :func:`charges` over the region from the first of the ``after`` words (the first word
    found, in order, e.g. 判决如下 then 本院认为) to the end, leaving out ``exclude`` (a region another
    extractor located, e.g. ``facts``); without a hit there, the whole text."""
    region = None
    for word in after or ():
        i = x.s.find(word)
        if i >= 0:
            region = (i, len(x.s))
            break
    charges(x, region=region, exclude=x.regions.get(exclude) if exclude else None)
