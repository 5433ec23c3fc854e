"""Who is who in a text: person mentions and the role the text gives each of them.

A role comes from what the text says about the person, never from being a name in a sentence:

- **prefix cues** — a role word right before the name: ``被告人张三``, ``被害人李四``,
  ``上诉人（原审被告人）：王五``, ``审判长赵六``, ``执行庭庭长钱七``, ``辩护人孙八``,
  ``法定代理人周九``, ``证人吴十``, ``同案人郑某``. A list after the cue shares it
  (``指控被告人张三、李四犯盗窃罪``), up to the next cue (``…及辩护人王五``).
- **suffix cues** — a note right after the name: ``李某（另案处理）``, ``柳某某（均已判决）``,
  ``王某某的证言``, ``张某律师担任辩护人``; a note of another case overrides the list's cue
  (``被告人陈某、李某1（另案处理）``: 李某1 is 同案人（另案处理）).
- **structure** (``basis="structure"``) — a cued name followed by its basic-information block
  (``被告人张三，男，…``), the list of a charge (``指控被告人张三、李四犯…罪``), or a judgment's title
  as the judgments website gives it (``张三、李四盗窃一审刑事判决书``, counted only where the body
  also calls them 被告人). Where a text's structure lists parties, those are its parties
  (:func:`party_names`); 被告人 named only in the facts (the other side of a fight tried
  elsewhere) do not join them. A person a note puts in another case anywhere in the text is no
  party anywhere in it.
- **action cues** (``basis="action"``) — what a sentence of the facts says the person did or
  suffered: the one who stole (``得手后，李某甲携带赃物逃离现场``, ``被告人张三伙同李四``) or whose
  property was taken (``窃得张某甲保时马电动自行车一辆``, ``将被害人包某某放在店内的摩托车盗走``,
  ``退赔郭某某损失``). They serve the facts (and the CAIL information-extraction benchmark,
  ``bench/ie_eval.py``); a dossier's parties come from cues and the document's structure only.

Names are read by :func:`read_name`: a masked name (``张某某``, ``李某甲``, ``李某1``), a compound
surname, or a known surname with one or two more characters, the length chosen by what follows
(a function word or verb ends a name: ``张三来到`` → 张三) and, across the text, by the
spellings that stand alone (``张小明，男`` settles ``张小明在…``). A role word with no readable
name after it (``被告人家属``, ``被害人及其近亲属``) gives no mention.

Each :class:`Mention` records its cue, so a report can say why a person has a role.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from extractors.lexicon import COMPOUND_SURNAMES, SURNAMES, is_person_name

# --- roles ----------------------------------------------------------------------------------------

SUSPECT = "犯罪嫌疑人"
DEFENDANT = "被告人"
NOT_PROSECUTED = "被不起诉人"
VICTIM = "被害人"
WITNESS = "证人"
ACCOMPLICE = "同案人（另案处理）"
OFFICIAL = "办案人员"
GUARDIAN = "法定代理人"
APPROPRIATE_ADULT = "合适成年人"
DEFENDER = "辩护人"
DUTY_LAWYER = "值班律师"
AGENT = "诉讼代理人"
RECIPIENT = "受送达人"
CIVIL_PARTY = "附带民事诉讼当事人"

#: Roles of the accused in the case the document belongs to.
PARTY_ROLES = (SUSPECT, DEFENDANT, NOT_PROSECUTED)

#: Prefix cues, ``(role, cue words)``; the role word as written decides the party term.
PREFIX_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (DEFENDANT, ("上诉人（原审被告人）", "上诉人(原审被告人)", "原审被告人", "同案被告人", "被告人", "罪犯")),
    (SUSPECT, ("犯罪嫌疑人", "嫌疑人", "被讯问人", "被告知人", "被拘留人", "被逮捕人", "被监视居住人", "被取保候审人")),
    (NOT_PROSECUTED, ("被不起诉人",)),
    (ACCOMPLICE, ("另案被告人", "另案犯罪嫌疑人", "另案处理的", "另案处理人员", "同案人", "同案犯", "同伙")),
    (VICTIM, ("被害人", "受害人", "失主", "死者")),
    (WITNESS, ("证人", "报案人", "报警人", "举报人", "见证人", "目击证人")),
    (OFFICIAL, ("审判长", "审判员", "代理审判员", "人民陪审员", "陪审员", "书记员", "法官助理", "执行员", "执行法官",
                "法官", "检察员", "代理检察员", "检察官助理", "检察官", "侦查员", "办案民警", "民警", "辅警", "警官",
                "讯问人", "询问人", "记录人", "办案人", "承办人", "检察长", "副检察长", "院长", "副院长", "庭长",
                "副庭长", "所长", "副所长", "局长", "副局长", "大队长", "中队长", "队长", "指导员")),
    (GUARDIAN, ("法定代理人", "监护人")),
    (APPROPRIATE_ADULT, ("合适成年人",)),
    (DEFENDER, ("指定辩护人", "辩护人", "辩护律师")),
    (DUTY_LAWYER, ("值班律师",)),
    (AGENT, ("诉讼代理人", "委托代理人")),
    (RECIPIENT, ("受送达人",)),
    (CIVIL_PARTY, ("附带民事诉讼被告人", "附带民事诉讼原告人", "附带民事诉讼被告", "附带民事诉讼原告", "刑事附带民事诉讼被告人",
                   "刑事附带民事诉讼原告人", "附带民事诉讼原告人的诉讼代理人")),
)
_ROLE_OF_CUE = {w: role for role, words in PREFIX_CUES for w in words}
#: Organs and units a title may hang on: 某某法院执行庭庭长, 某某派出所所长.
_TITLE_HEAD = r"(?:[\u4e00-\u9fff]{0,12}?(?:执行|刑事|民事|行政|立案|审判监督|速裁)?(?:庭|局|所|队|院))?"
_PREFIX = re.compile(
    "(?P<cue>" + "|".join(sorted((re.escape(w) for w in _ROLE_OF_CUE), key=len, reverse=True)) + ")"
    r"(?:[（(](?:签名|签字|姓名|签名捺指印)[）)])?[：:\s]*")
#: Cue words that must not be read as the end of a longer word (被告人家属 is not a cue for 家属).
_CUE_STOP = re.compile(r"(?:家属|亲属|近亲属|本人|及其|一方|方面|单位|之[父母妻夫子女]|住所|住处|陈述|供述|辩解|辩称|签名|"
                       r"身份|姓名|基本情况|诉讼权利|权利义务|等人|均|的)")

#: Suffix notes that put a person in another case (另案处理, 已判决, 在逃).
_OTHER_CASE_NOTE = re.compile(r"[（(][^（()）\n]{0,16}?(?:另案|已判|判刑|已被判|判处|在逃|另行处理|已起诉|已处理)[^（()）\n]{0,12}[）)]")
#: Suffix words that give a role: 王某的证言, 张某律师担任辩护人.
_SUFFIX_CUES: tuple[tuple[str, re.Pattern], ...] = (
    (WITNESS, re.compile(r"(?:的)?证言")),
    (DEFENDER, re.compile(r"律师(?:担任|作为|为)[^。\n]{0,8}?辩护人")),
    (VICTIM, re.compile(r"[（(](?:殁年|死者|被害人)[^）)]{0,10}[）)]")),
)

# --- names -----------------------------------------------------------------------------------------

_MASKED = re.compile(r"[\u4e00-\u9fff](?:某(?:某|[甲乙丙丁戊己庚辛壬癸]|[0-9０-９]{1,2}(?![0-9０-９])|[A-Z](?![A-Za-z]))?|[×＊*Ｘ]{1,2})")
#: Characters that end a name rather than continue it: function words and verbs that follow a subject.
_AFTER_NAME = frozenset("在于因将与和及到身至从向对把被等系为已经供签无是说称则便即又也再还就都均亦并而以趁窜拿偷盗窃抢骗驾骑携"
                        "伙结纠指雇持搭进翻撬打砍捅踢殴骂吸购卖买借租欠收交送找约叫让给的了得所之其自一二两三共先后分多每"
                        "曾现仍未没不拒随遂处提去回走逃看见听要想帮替陪跟用采乘认承辩投报归赔退获取接施作犯涉构拉推抱男女"
                        "家户宅经称诉供述")
#: Two-character words that follow a name (张三来到, 李四停放, 王五家中).
_WORDS_AFTER = frozenset(
    "来到 窜至 驾驶 携带 伙同 结伙 经营 停放 放置 存放 家中 趁机 发现 看到 得知 多次 先后 再次 因涉 涉嫌 供述 到案 身上 所住 负责 "
    "使用 采用 采取 通过 利用 明知 共同 一起 二人 两人 三人 等人 父亲 母亲 妻子 丈夫 儿子 女儿 之子 之女 之妻 亲属 家属 律师 证言 "
    "陈述 辩称 辩解 驾车 骑车 持刀 进入 离开 逃离 盗窃 窃取 盗走 偷走 抢走 骗取 预谋 商议 密谋 合谋 主动 如实 归案 投案 认罪 自愿 "
    "同意 出生 来至 去到 到达 走至 行至 途经 准备 实施 趁其 随即 随后 遂将 便将 发生 纠集 邀约 指使 雇请 雇佣 安排 要求 提出 联系 "
    "介绍 出资 出售 收购 销售 购买 借款 欠款 居住 暂住 住在 工作 打工 务工 担任 系该 系某 所有 放在 安装 摆放 报案 报警 醒来 回家 "
    "熟睡 不备 洗澡 休息 不在 离开 挡获 抓获 查获 传唤 拘留 逮捕 拖欠 拒不".split())
#: Words that look like names but are words of legal writing (after a cue: 被告人家属, 被害人及其).
_NOT_NAMES = frozenset("家属 亲属 本人 供述 辩解 辩称 身份 基本 户籍 住址 出生 姓名 签名 等人 二人 两人 单位 一方 方面 及其 "
                       "诉讼 权利 陈述 对此 所述 均系 均已 到庭 到案 签字 捺印 之父 之母 等人 某某 支付宝 华为 金立 "
                       "苹果 魅族 小米 淘宝 京东".split())


def read_name(s: str, i: int) -> tuple[str, bool] | None:
    """The name starting at ``s[i]`` and whether its end is certain (punctuation, a note, a
    masked form), or ``None`` when no plausible name starts there."""
    m = _MASKED.match(s, i)
    if m and s[i] != "某" and (s[i] in SURNAMES or s[i] not in _AFTER_NAME):
        name = m.group(0)
        j = i + len(name)
        if len(name) == 2 and j < len(s) and _cjk(s[j]) and s[j] not in _AFTER_NAME and s[j:j + 2] not in _WORDS_AFTER \
                and _ends_name(s, j + 1, words=False) and not _CUE_AHEAD.match(s, j) and not _word_at(s, j):
            name = s[i:j + 1]  # 李某玲: a masked name keeps its given character
        return name, True
    for n in (4, 3):
        cand = s[i:i + n]
        if cand[:2] in COMPOUND_SURNAMES and len(cand) == n and is_person_name(cand) and _ends_name(s, i + n):
            return cand, _certain_end(s, i + n)
    if i >= len(s) or s[i] not in SURNAMES:
        return None
    two, three, four = s[i:i + 2], s[i:i + 3], s[i:i + 4]
    if len(two) < 2 or two in _NOT_NAMES:
        return None
    if len(four) == 4 and all(_cjk(c) and c not in _AFTER_NAME for c in four[1:]) and _certain_end(s, i + 4) \
            and four[2:] not in _WORDS_AFTER and four[1:3] not in _WORDS_AFTER and not _word_at(s, i + 2) \
            and not _word_at(s, i + 1) and not _LABEL_WORD.search(four):
        return four, True  # 阿吉那色, 拉马日色: names of four characters stand alone
    if (len(three) == 3 and _cjk(three[2]) and three[2] not in _AFTER_NAME and s[i + 2:i + 4] not in _WORDS_AFTER
            and is_person_name(three) and _ends_name(s, i + 3, words=False) and not _word_at(s, i + 2)):
        return three, _certain_end(s, i + 3)
    if is_person_name(two) and _ends_name(s, i + 2):
        return two, _certain_end(s, i + 2)
    return None


#: Row labels of a form, which follow a name in a header (被讯问人：张三性别：男).
_LABEL_WORD = re.compile(r"性别|民族|出生|住址|年龄|职业|文化|籍贯|单位|电话|身份|证件|户籍|现住|地址|姓名")


def read_cued_name(s: str, i: int) -> tuple[str, bool] | None:
    """A name right after a role cue: :func:`read_name`, else a name of an uncommon surname
    (习海洋, 拜华, 职峰峰) where the text writes the same characters again and they end there."""
    hit = read_name(s, i)
    if hit:
        return hit
    if i >= len(s) or not _cjk(s[i]) or s[i] in _AFTER_NAME or s[i] == "某":
        return None
    for n in (3, 2):
        cand = s[i:i + n]
        if len(cand) == n and all(_cjk(c) for c in cand) and cand not in _NOT_NAMES and cand[:2] not in _NOT_NAMES \
                and not any(c in _AFTER_NAME for c in cand[1:]) and _ends_name(s, i + n) and s.count(cand) >= 2 \
                and not _word_at(s, i) and not _wordlike_loose(cand):
            return cand, _certain_end(s, i + n)
    return None


def _wordlike_loose(cand: str) -> bool:
    """A run of ordinary words rather than a name (jieba's dictionary holds it or its first two characters)."""
    tags = _jieba_tags()
    return tags.get(cand) not in (None, *_NAME_TAGS) or tags.get(cand[:2]) not in (None, *_NAME_TAGS)


_NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})


def _word_at(s: str, j: int) -> bool:
    """``s[j:j+2]`` is a common word of jieba's dictionary that is not a name (胡江发给其: 发给;
    胡江虚构: 虚构), so ``s[j]`` begins the next word rather than ending a name."""
    w = s[j:j + 2]
    if len(w) < 2 or not _cjk(w[1]):
        return False
    tags = _jieba_tags()
    return tags.get(w) not in (None, *_NAME_TAGS) and (_jieba_freq(w) or 0) >= 50


@functools.lru_cache(maxsize=1)
def _jieba_tags() -> dict:
    """jieba's word → part-of-speech table, loaded once."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    jieba.posseg.dt.initialize()
    return jieba.posseg.dt.word_tag_tab


@functools.lru_cache(maxsize=65536)
def _jieba_freq(w: str) -> int | None:
    import jieba

    return jieba.get_FREQ(w)


def _cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def _ends_name(s: str, j: int, words: bool = True) -> bool:
    """A name may end at ``j``: not in the middle of a run that reads as one word (``words``: a
    common word of jieba's dictionary starting at ``j`` counts as the next word)."""
    return j >= len(s) or not _cjk(s[j]) or s[j] in _AFTER_NAME or s[j:j + 2] in _WORDS_AFTER or \
        bool(_CUE_AHEAD.match(s, j)) or (words and _word_at(s, j))


def _certain_end(s: str, j: int) -> bool:
    return j >= len(s) or not _cjk(s[j])


_CUE_AHEAD = re.compile("|".join(sorted((re.escape(w) for w in _ROLE_OF_CUE), key=len, reverse=True)))


# --- mentions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """One person mention: ``name`` at ``s[start:end]`` with ``role``, given by ``cue`` (the words
    that gave it) on ``basis`` ``cue`` (a role word or note), ``structure`` (a form row) or
    ``action`` (what the sentence says the person did or suffered)."""

    name: str
    role: str
    cue: str
    start: int
    end: int
    basis: str = "cue"

    @property
    def party(self) -> bool:
        return self.role in PARTY_ROLES


def mentions(s: str, actions: bool = True) -> list[Mention]:
    """Every person mention of ``s`` with a role from its cue (see the module docstring), in text
    order; ``actions`` adds the names the facts give a role by what they did or suffered. A paragraph
    wrapped over printed lines is read as one line (a name may be cut by the wrap: 冯某 / 甲);
    spans are offsets in ``s``."""
    flat, at = _unwrap(s)
    found = _mentions(flat, actions)
    if flat is s:
        return found
    return [replace(m, start=at[m.start], end=at[m.end - 1] + 1) for m in found]


#: A printed line this long that breaks before more text is a wrapped paragraph, not a row of a form.
WRAPPED_LINE = 24


def _unwrap(s: str) -> tuple[str, list[int]]:
    """``s`` without the line breaks of wrapped paragraphs, and each kept character's offset in ``s``."""
    if "\n" not in s:
        return s, []
    keep: list[int] = []
    line_start = 0
    for i, c in enumerate(s):
        if c == "\n":
            if i - line_start >= WRAPPED_LINE and i + 1 < len(s) and not s[i + 1].isspace() and s[i - 1] not in "。：:":
                line_start = i + 1
                continue
            line_start = i + 1
        keep.append(i)
    if len(keep) == len(s):
        return s, []
    return "".join(s[i] for i in keep), keep + [len(s)]


def _mentions(s: str, actions: bool) -> list[Mention]:
    found: dict[int, Mention] = {}
    for m in _PREFIX.finditer(s):
        cue = m.group("cue")
        role = _ROLE_OF_CUE[cue]
        if _prefix_blocked(s, m.start(), cue):
            continue
        cue_text = _title_text(s, m.start(), cue) if role == OFFICIAL else cue
        names = _name_list(s, m.end())
        listed = bool(names) and (_CHARGED_LIST.search(s[max(0, m.start() - 12):m.start()]) is not None
                                  or _CHARGED_AFTER.match(s, names[-1][2]) is not None)
        for name, a, b in names:
            if a in found:
                continue
            basis = "structure" if listed or _BLOCK_AFTER.match(s, b) else "cue"
            found[a] = Mention(name, _suffix_role(s, b) or role, _suffix_cue(s, b) or cue_text, a, b, basis)
    cued = {m.name for m in found.values() if m.party}
    for name, a, b in _title_names(s):  # a title names the parties the body also calls so
        if name in cued:
            found.setdefault(a, Mention(name, DEFENDANT, "标题", a, b, "structure"))
    for m in _OTHER_CASE_NOTE.finditer(s):  # 罗某某（另案处理）, 王某、李某（二人另案处理） without a prefix cue
        for name, a in _listed_before(s, m.start(), bool(_WHOLE_LIST.search(m.group(0)))):
            if a not in found or found[a].party:
                found[a] = Mention(name, ACCOMPLICE, m.group(0), a, a + len(name))
    for role, rx in _SUFFIX_CUES:
        for m in rx.finditer(s):
            hit = _name_before(s, m.start())
            if hit and hit[1] not in found:
                name, a = hit
                found[a] = Mention(name, role, m.group(0), a, a + len(name))
    out = _other_case_everywhere(_settle_lengths(s, sorted(found.values(), key=lambda x: x.start)))
    if actions:
        out = _with_actions(s, out)
    return out


#: The words before a party cue that make the list a charge (指控被告人张三、李四犯…): the parties of the case.
_CHARGED_LIST = re.compile(r"(?:指控|起诉|控告|诉)(?:的)?(?:原审)?\Z")
#: A charge after the list (被告人张三、李四犯盗窃罪 / 被告人王五涉嫌…罪): the text charges them.
_CHARGED_AFTER = re.compile(r"(?:等[一二三四五六七八九十\d]*人)?(?:[（(][^（()）]{0,20}[）)])?(?:涉嫌|犯(?!罪))[^。；，,]{0,40}?罪")
#: A basic-information block after the name (张三，男，1990年… / 张三（曾用名…）): the document's party block.
_BLOCK_AFTER = re.compile(r"[，,（(：:\s]{1,2}(?:[^，,。]{0,12}[，,])?(?:男|女|曾用名|别名|绰号|化名|又名|\d{4}年\d{1,2}月\d{1,2}日出生)")
#: A judgment's title as the judgments website gives it: 张三、李四盗窃一审刑事判决书.
_TITLE_END = re.compile(r"(?:等[一二三四五六七八九十\d]*人)?(?P<what>[\u4e00-\u9fff、]{0,40}?)(?:一审|二审|再审|申诉|复核|审判监督)?"
                        r"刑事(?:附带民事)?(?:判决|裁定)书")


def _title_names(s: str) -> list[tuple[str, int, int]]:
    """The defendants a leading title names (``毕某、伍某一审刑事判决书``, ``单某盗窃、非法侵入住宅二审刑事判决书``):
    names joined by 、 at the very start, then only charges (known 罪名) before 一审/二审 … 刑事判决书."""
    from extractors.lexicon import normalize_charge

    start = len(s) - len(s.lstrip())
    out: list[tuple[str, int, int]] = []
    i = start
    while i < min(len(s), start + 60):
        hit = read_cued_name(s, i) or read_name(s, i)
        if not hit:
            return []
        name = hit[0]
        out.append((name, i, i + len(name)))
        i += len(name)
        if s[i:i + 1] != "、":
            break
        i += 1
    m = _TITLE_END.match(s, i)
    if not out or not m:
        return []
    what = m.group("what")
    if what and not all(normalize_charge(p) for p in what.split("、") if p):
        return []
    return out


def _other_case_everywhere(found: list[Mention]) -> list[Mention]:
    """A person the document puts in another case anywhere (任某某（另案处理）) is not one of its parties
    where a list or a later sentence names them with the others (被告人许某、秦某某和任某某三人)."""
    other = {m.name: m.cue for m in found if m.role == ACCOMPLICE and _OTHER_CASE_NOTE.fullmatch(m.cue or "")}
    return [replace(m, role=ACCOMPLICE, cue=f"{m.cue}；另见{other[m.name]}") if m.party and m.name in other else m
            for m in found]


def _prefix_blocked(s: str, at: int, cue: str) -> bool:
    """A cue word that is part of a longer term: 原被告人, a title in 《》, 被告人家属."""
    if cue in ("被告人", "犯罪嫌疑人") and s[max(0, at - 1):at] in ("原", "前"):
        return True
    opened = s.rfind("《", max(0, at - 30), at)
    return opened >= 0 and s.rfind("》", opened, at) < 0


_HEAD_TITLES = frozenset({"检察长", "副检察长", "院长", "副院长", "庭长", "副庭长", "所长", "副所长", "局长", "副局长", "大队长",
                          "中队长", "队长", "指导员"})


def _title_text(s: str, at: int, cue: str) -> str:
    """A head's title with the unit it hangs on (执行庭庭长, 某某派出所所长) as the recorded cue."""
    if cue not in _HEAD_TITLES:
        return cue
    m = re.search(_TITLE_HEAD + r"\Z", s[max(0, at - 16):at])
    head = m.group(0) if m else ""
    return (head[-8:] + cue) if head else cue


def _name_list(s: str, i: int) -> list[tuple[str, int, int]]:
    """Names listed from ``s[i]``: 张三、李四和王五 (a note after a name is skipped over)."""
    out: list[tuple[str, int, int]] = []
    while True:
        if _CUE_STOP.match(s, i):
            break
        hit = read_cued_name(s, i)
        if not hit:
            break
        name = hit[0]
        if name in _NOT_NAMES or name[:2] in _NOT_NAMES:
            break
        out.append((name, i, i + len(name)))
        j = i + len(name)
        note = re.match(r"[（(][^（()）\n]{0,24}[）)]", s[j:j + 26])
        if note:
            j += note.end()
        sep = re.match(r"\s*(?:、|和(?!其)|及(?!其))\s*", s[j:j + 4])
        if not sep or _CUE_AHEAD.match(s, j + sep.end()):
            break
        i = j + sep.end()
    return out


def _suffix_role(s: str, b: int) -> str | None:
    if _OTHER_CASE_NOTE.match(s, b):
        return ACCOMPLICE
    return None


def _suffix_cue(s: str, b: int) -> str | None:
    m = _OTHER_CASE_NOTE.match(s, b)
    return m.group(0) if m else None


def _name_before(s: str, end: int) -> tuple[str, int] | None:
    """The name that ends right before ``end`` (its spelling read forward from its start)."""
    for n in (4, 3, 2):
        a = end - n
        if a < 0:
            continue
        hit = read_name(s, a)
        if hit and a + len(hit[0]) == end and (a == 0 or not _name_char_before(s, a)):
            return hit[0], a
    return None


def _name_char_before(s: str, a: int) -> bool:
    """``s[a-1]`` would continue a name read from ``a`` (the name is longer on the left); a masked
    name (张某某) and a name after a title (组长王某) start where they start."""
    c = s[a - 1]
    if "某" in s[a:a + 3] or c in "长员任理师官警":
        return False
    return _cjk(c) and c not in _AFTER_NAME and not _CUE_AHEAD.match(s[max(0, a - 8):a + 1], 0) and \
        not re.search(r"(?:" + _CUE_AHEAD.pattern + r")$", s[max(0, a - 8):a])


#: A note that speaks of every name listed before it: （二人另案处理）, （均已判决）.
_WHOLE_LIST = re.compile(r"均|[二两三四五六七八九十]人|等人|以上|分别")


def _listed_before(s: str, end: int, whole: bool) -> list[tuple[str, int]]:
    """The name ending at ``end`` and, where the note covers the whole list (``whole``), the names
    joined to it by 、/和/及 before it."""
    hit = _name_before(s, end)
    out = [hit] if hit else []
    while whole and out:
        a = out[-1][1]
        sep = re.search(r"(?:、|和|及)\Z", s[max(0, a - 1):a])
        if not sep:
            break
        prev = _name_before(s, a - 1)
        if not prev:
            break
        out.append(prev)
    return out


def _settle_lengths(s: str, found: list[Mention]) -> list[Mention]:
    """Spellings that stand alone somewhere (张小明，…) settle where the same name runs into the text."""
    certain = {m.name for m in found if _certain_end(s, m.end) or _OTHER_CASE_NOTE.match(s, m.end)}
    read = {m.name for m in found}
    certain |= {n for n in read if len(n) == 3 and n[:2] not in certain and s.count(n) >= 2}
    out = []
    for m in found:
        if m.name not in certain and len(m.name) == 3 and m.name[:2] in certain:
            m = replace(m, name=m.name[:2], end=m.start + 2)
        elif m.name not in certain and len(m.name) in (2, 3):
            longer = next((c for c in sorted(certain, key=len, reverse=True)
                           if len(c) > len(m.name) and c.startswith(m.name) and s.startswith(c, m.start)), None)
            if longer:
                m = replace(m, name=longer, end=m.start + len(longer))
        out.append(m)
    return out


# --- action cues -----------------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。；;\n]+")
_CLAUSE = re.compile(r"[^，,。；;：:\n]+")
#: Verbs of taking in a theft narrative (the object's owner is the victim).
_TAKE = r"(?:窃得|盗得|盗走|窃走|盗窃了?|窃取了?|盗取|偷走|偷得|偷窃|扒窃|抢走|抢得|抢夺|骗取|骗走|拿走|转走)"
#: Words right before a name that make it the owner of what was taken or the one harmed.
_OWNER_BEFORE = re.compile(rf"(?:{_TAKE}|趁|老板|店主|车主|房主|户主|屋主)$")
#: Words right before a name that make it the one compensated (赔偿张三损失, 取得李四谅解).
_COMPENSATED = re.compile(r"(?:赔偿|退赔|退还|返还|发还(?:给)?|归还|交还|取得|获得)(?:了)?$")
#: 张三的一部手机: the owner of goods taken in a theft narrative.
_GOODS_OF = re.compile(r"的(?:[一二两三四五六七八九十\d]+[台部辆个只件块条把张])?[^，。；]{0,12}?(?:手机|电脑|现金|钱包|挎包|手提包|"
                       r"背包|电动车|摩托车|自行车|汽车|电瓶|项链|戒指|手表|财物|物品|货物|钱款|人民币)")
#: Words right after a name (or a list of names) that make it the owner of what was taken.
_OWNER_AFTER = re.compile(r"(?:的)?(?:停放|停在|放在|放置|存放|安装|摆放|挂在|晾晒|遗忘|遗留|经营|开设|所有|所住|"
                          r"家|户|宅|住处|住所|办公室|宿舍|房间|支付宝|微信|银行卡|账户|"
                          r"发现(?:[^，。；]{0,8})被(?:盗|骗|抢)|报案|报警)")
#: Words after a name that tell what it suffered (the name is the object of the act).
_OWNER_AFTER_REL = re.compile(r"(?:的)?(?:谅解|损失|经济损失|熟睡|不备|不在|洗澡|休息|上网)")
#: 向张三索要 / 向张三借: the one demanded of.
_ASKED = re.compile(r"(?:索要|勒索|敲诈|借(?:款|钱|手机)?)")
#: What the one who stole is said to do (a clause's subject is then a suspect).
_AGENT_AFTER = re.compile(r"(?:等人|二人|两人|三人)?(?:又|再次|先后|多次|遂|便|随即|即|还|则|也|亦|均)?"
                          r"(?:在|于|至|到|窜|蹿|来到|去到|走至|行至|驾|骑|携带|持|用|采用|采取|以|从|将|进入|翻|撬|趁|伙同|"
                          r"结伙|纠集|指使|雇|盗|窃|偷|扒|抢|骗|销赃|卖|逃|如实|主动|到案|投案|归案|供述|被(?:民警|公安|抓获|"
                          r"挡获|查获|当场|巡逻|群众|依法|传唤)|分得|获利|负责|望风|放哨|实施|作案|明知|收购|购买|转至|刷卡|"
                          r"消费|吸食|挥霍|使用|拿|推|搬|运|敲门|确认)")
#: Words right before a name that make it one who acted with the suspect.
_AGENT_BEFORE = re.compile(r"(?:伙同|结伙|纠集|指使|雇请|雇佣|邀约|伙|由|民警[^，。；]{0,30}?将|将|查获|抓获|扣押(?:了)?)$")
#: 与张三共同 / 和李四一起: one who acted together with the clause's subject.
_TOGETHER = re.compile(r"(?:[（(][^（()）]{0,16}[）)])?(?:共同|一起|经?(?:共谋|预谋|合谋|商议|密谋)|合伙|结伙)")
#: A sentence of a crime narrative (without one, an uncued name gets no role).
_CRIME_WORDS = re.compile(r"盗|窃|偷|扒|抢|骗|赃|作案|犯罪|抓获|挡获|到案|归案|投案|供述|逃离|逃匿|望风|放哨|撬|拿走|骑走|推走|"
                          r"开走|搬走|带走|转走|转至|转入|划伤|打伤|殴打|威胁|索要|敲诈|勒索|民警|扣押|赃物")
#: What may stand before a clause's subject: an item number, a time word.
_LEAD = re.compile(r"^(?:[0-9一二三四五六七八九十]+[、.．]\s*)?(?:具体(?:犯罪)?事实如下|分述如下)?"
                   r"(?:得手后|案发后|事后|随后|然后|之后|其后|此后|次日|当日|当晚|同日|后来|后|又|再|接着)?$")
#: Characters before a masked name that show it is not a name (一台某甲手机: a masked brand).
_MEASURE = frozenset("一二两三四五六七八九十几台个部辆只件块条张双")


def _with_actions(s: str, found: list[Mention]) -> list[Mention]:
    """Add the uncued names of a crime narrative that a clause makes a victim (the owner of what
    was taken, the one harmed) or a suspect (the one who acted, those who acted with them), and
    repeat a cued name's role where the name comes back without its cue."""
    known: dict[str, Mention] = {}
    for m in found:
        known.setdefault(m.name, m)
    covered = bytearray(len(s) + 1)
    for m in found:
        covered[m.start:m.end] = b"\x01" * (m.end - m.start)
    extra: list[Mention] = []
    for sent in _SENTENCE.finditer(s):
        crime = bool(_CRIME_WORDS.search(sent.group(0)))
        for clause in _CLAUSE.finditer(s, sent.start(), sent.end()):
            at = clause.start()
            while at < clause.end():
                if covered[at] or not (s[at] in SURNAMES or s[at + 1:at + 2] == "某" or s[at:at + 2] in COMPOUND_SURNAMES):
                    at += 1
                    continue
                names = _action_names(s, at, clause.start(), known)
                if not names:
                    at += 1
                    continue
                end = names[-1][2]
                role, cue = _action_role(s, clause.start(), at, end, clause.end(), names, known, crime)
                for name, a, b in names:
                    if role:
                        extra.append(Mention(name, role, cue, a, b, "action"))
                    covered[a:b] = b"\x01" * (b - a)
                at = end
    return sorted(found + extra, key=lambda m: m.start)


def _action_names(s: str, at: int, lo: int, known: dict[str, Mention]) -> list[tuple[str, int, int]]:
    """The names (one, or a list 张三、李四) that start at ``at`` where no cue gives them a role."""
    glued = at > lo and _cjk(s[at - 1]) and s[at - 1] not in _AFTER_NAME
    hit = read_name(s, at)
    if not hit:
        return []
    name = hit[0]
    masked = bool(_MASKED.fullmatch(name)) and "某" in name
    if name in _NOT_NAMES or not _plausible(name):
        return []
    if glued and not (_OWNER_BEFORE.search(s[lo:at]) or _AGENT_BEFORE.search(s[lo:at]) or name in known):
        if not masked or s[at - 1] in _MEASURE or len(name) < 3:
            return []
    if not masked and name not in known:
        if _wordlike(name):
            return []
        b = at + len(name)
        if not (_certain_end(s, b) or _OWNER_AFTER.match(s, b) or _OWNER_AFTER_REL.match(s, b) or _AGENT_AFTER.match(s, b)
                or re.match(r"[、和及]", s[b:b + 1])):
            return []
    return _name_list(s, at) or [(name, at, at + len(name))]


def _plausible(name: str) -> bool:
    return bool(_MASKED.fullmatch(name)) or is_person_name(name)


def _wordlike(name: str) -> bool:
    """An uncued full name that reads as ordinary words (公司, 车主, 方式入, 车销赃): jieba's dictionary
    holds it, or a word that starts on its surname or its given name, with a tag other than a name's."""
    import jieba

    tags = _jieba_tags()
    tokens = jieba.lcut(name, HMM=False)
    if len(tokens[0]) >= 2 and tags.get(tokens[0]) not in _NAME_TAGS:
        return True
    return any(len(t) >= 2 and tags.get(t) not in _NAME_TAGS for t in tokens[1:])


def _action_role(s: str, lo: int, at: int, end: int, hi: int, names: list[tuple[str, int, int]],
                 known: dict[str, Mention], crime: bool) -> tuple[str | None, str]:
    before, after = s[lo:at], s[end:hi]
    first = names[0][0]
    masked = "某" in first
    if first in known:
        k = known[first]
        return k.role, f"同一人（{k.cue}）"
    if (m := _COMPENSATED.search(before)) and masked:
        return VICTIM, m.group(0) + "…"
    if m := _OWNER_AFTER_REL.match(after):
        return VICTIM, "…" + m.group(0)
    if not crime:
        return None, ""
    if (m := _OWNER_BEFORE.search(before)) and masked:
        return VICTIM, m.group(0) + "…"
    if before.endswith("向") and _ASKED.match(after):
        return VICTIM, "向…" + _ASKED.match(after).group(0)
    if m := (_OWNER_AFTER.match(after) or _GOODS_OF.match(after)):
        return VICTIM, "…" + m.group(0)
    if before[-1:] in ("与", "和", "同") and (m := _TOGETHER.match(after)):
        return SUSPECT, before[-1] + "…" + m.group(0)
    if (m := _AGENT_BEFORE.search(before)) and (masked or first in known):
        return SUSPECT, m.group(0) + "…"
    if _LEAD.match(before) and (m := _AGENT_AFTER.match(after)):
        return SUSPECT, "…" + m.group(0)
    if m := re.match(r"(?:的)?(?:身上|随身)", after):  # 扣押了张三身上的被盗手机: the one who held the loot
        return SUSPECT, "…" + m.group(0)
    return None, ""


def party_names(found: list[Mention]) -> list[str]:
    """The names a text makes its parties, most mentioned first: those its structure lists (a party
    block, the list of a charge 指控被告人…, the title) where it lists any, else those a cue names
    (被告人张三 in the facts); never by action."""
    listed = {m.name for m in found if m.party and m.basis == "structure"}
    counts: dict[str, int] = {}
    for m in found:
        if m.party and m.basis != "action" and (not listed or m.name in listed):
            counts[m.name] = counts.get(m.name, 0) + 1
    return sorted(counts, key=lambda n: -counts[n])
