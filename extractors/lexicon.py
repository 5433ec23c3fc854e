"""Heavy assets loaded once: the 罪名 lexicon, surnames, and the spaCy pipeline.

The 罪名 list is read (never copied) from the shared folder: the ``crimes`` table of the rule
catalog (:attr:`models.settings.Settings.catalog_path`: ``ASSISTANT_CATALOG``, else
``rules/catalog.yaml`` of :attr:`~models.settings.Settings.shared_dir`), the official 罪名 notices in ``laws/罪名_*.md`` and the CAIL2018 charge list
(``data/cail2018/accu.txt``, names without 罪). Missing files only shrink the lexicon.

The spaCy pipeline is ``spacy.blank("zh")`` with the jieba segmenter; every 罪名 and a
few legal terms are added to jieba's dictionary so they stay single tokens, and a
:class:`~spacy.matcher.PhraseMatcher` finds them.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from models.charges import split_parents
from models.settings import Settings


#: Legal terms kept whole by the segmenter and matched as phrases (label → terms).
TERMS: dict[str, tuple[str, ...]] = {
    "CIRCUMSTANCE": ("自首", "坦白", "累犯", "立功", "重大立功", "从犯", "主犯", "胁从犯", "未遂", "中止", "预备",
                     "如实供述", "认罪认罚", "退赃", "退赔", "取得谅解", "赔偿损失", "初犯", "偶犯", "前科", "刑事和解"),
    "PARTY": ("犯罪嫌疑人", "被告人", "被不起诉人", "被讯问人", "被告知人", "受送达人", "被害人", "被拘留人", "被逮捕人"),
    "PROCEDURE": ("速裁程序", "简易程序", "普通程序"),
}

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆"
    "蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗"
    "瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储"
    "原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云"
    "容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼"
    "居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由于洪萧靖钮"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐")


def shared_dir() -> Path:
    """The shared folder of the settings (laws, CAIL's charge list)."""
    return Settings().shared_dir


def catalog_path() -> Path:
    """The rule catalog of the settings (its ``crimes`` table)."""
    return Settings().catalog_path


@functools.lru_cache(maxsize=4)
def load_catalog_crimes(path: str | None = None) -> tuple[dict[str, Any], ...]:
    """The ``crimes`` table of the rule catalog (empty when the file is missing)."""
    p = Path(path) if path else catalog_path()
    try:
        with p.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except OSError:
        return ()
    return tuple(data.get("crimes") or ())


@functools.lru_cache(maxsize=1)
def crime_names() -> frozenset[str]:
    """Official 罪名 (ending in 罪) from the catalog, the 罪名 notices and CAIL's charge list."""
    names: set[str] = {c["罪名"] for c in load_catalog_crimes() if c.get("罪名")}
    shared = shared_dir()
    for f in sorted((shared / "laws").glob("罪名_*.md")):
        text = f.read_text(encoding="utf-8")
        names.update(m.group(1) for m in re.finditer(r"([\u4e00-\u9fff、，]{2,40}?罪)\s*[（(]第", text))
        for m in re.finditer(r"\|\s*([\u4e00-\u9fff、，（）\s]{2,60}?罪)\s*(?:[（(]取消|\|)", text):
            names.add(re.sub(r"\s", "", m.group(1)))
    accu = shared / "data" / "cail2018" / "accu.txt"
    if accu.exists():
        for line in accu.read_text(encoding="utf-8").splitlines():
            line = line.strip().replace("[", "").replace("]", "")
            if line:
                names.add(line if line.endswith("罪") else line + "罪")
    cleaned = set()
    for n in names:
        n = n.strip("，、 ")
        # a category label such as CAIL's 经济犯 (→ 经济犯罪, as in 经济犯罪侦查大队) is no 罪名
        if 2 <= len(n) <= 40 and not n.startswith("取消") and n != "罪" and not n.endswith("犯罪"):
            cleaned.add(n)
    return frozenset(cleaned)


@functools.lru_cache(maxsize=1)
def crime_articles() -> dict[str, str]:
    """罪名 → 刑法条文 from the catalog's crimes table."""
    return {c["罪名"]: c.get("刑法条文", "") for c in load_catalog_crimes() if c.get("罪名")}


def normalize_charge(text: str) -> str | None:
    """``盗窃`` / ``盗窃罪`` / ``犯盗窃罪`` → ``盗窃罪`` when it is a known 罪名, else None.

    A split form of a 选择性罪名 (``贩卖毒品罪`` of ``走私、贩卖、运输、制造毒品罪``) is a known
    罪名 too and is kept as written; :func:`canonical_charge` gives the official name.
    """
    s = re.sub(r"\s", "", text).replace("[", "").replace("]", "")
    names = crime_names()
    for candidate in (s, re.sub(r"^(?:犯|涉嫌|构成|以)", "", s)):
        if candidate in names:
            return candidate
        if not candidate.endswith("罪") and candidate + "罪" in names:
            return candidate + "罪"
    for candidate in (s, re.sub(r"^(?:犯|涉嫌|构成|以)", "", s)):
        full = candidate if candidate.endswith("罪") else candidate + "罪"
        if _split_parents(full):
            return full
    return None


@functools.lru_cache(maxsize=2048)
def _split_parents(name: str) -> tuple[str, ...]:
    return tuple(split_parents(name, crime_names()))


def canonical_charge(name: str) -> str | None:
    """The official 罪名 of a known name or split form (None when a split form fits several)."""
    if name in crime_names():
        return name
    parents = _split_parents(name)
    return parents[0] if len(parents) == 1 else None


#: Common words of legal writing that begin with a surname character (被告人陈述, 被告人曾因…,
#: 被告人单位…): never a person's name.
#: 于 is a common surname and the commonest preposition: 于-words that head running text are refused.
_YU_WORDS = "于当 于同 于次 于本 于案 于某 于该 于上 于下 于今 于前 于后 于此 于其 于是 于年 于月 于日 于中 于家 于公 于我 于你 于他 于她".split()
NON_NAMES = frozenset(
    "陈述 陈称 陈列 曾因 曾经 曾于 曾被 曾系 曾任 曾用 原审 原判 单位 宣判 宣告 于是 应当 明知 安排 全部 强行 利用 经过 时年 "
    "向其 和解 和被 和辩 文化 金额 钱款 钱财 现金 车辆 房屋 伙同 连续 共同 任职 申请 申辩 施工 路过 高度 平时 常住 "
    "及其 对其 为其 于其 与其 系其 程序 双方 项目 方面 方式 居住 居民 宣布 宣读 宣告 时间 向我 方可".split()
) | frozenset(_YU_WORDS)


_NON_NAME_HEADS = frozenset(_YU_WORDS) | frozenset("陈述 陈称 曾因 曾经 曾于 曾被 曾系 原审 单位 于是 应当 明知 伙同".split())


def is_person_name(name: str) -> bool:
    """A plausible Chinese personal name: a known surname and one or two more characters.

    Common words starting with a surname character (陈述, 曾因, 单位 …) are refused, the clearest
    of them also as the head of a longer candidate (陈述和, 曾因犯).
    """
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name):
        return False
    if name in NON_NAMES or (name[:2] in NON_NAMES and name[:2] in _NON_NAME_HEADS):
        return False
    if name[:2] in COMPOUND_SURNAMES:
        return 3 <= len(name) <= 4
    return name[0] in SURNAMES and len(name) <= 3


def _import_spacy() -> Any:
    """``spacy`` imported without thinc's probe for torch: thinc imports torch when it is installed
    (2–3 s of every scan's start-up, measured with ``python -X importtime``) for neural layers a
    blank pipeline with a PhraseMatcher never runs. Where torch is already loaded (the torch
    embedder of a batch worker) nothing changes; a later ``import torch`` works as usual."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy
        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # ``import torch`` → ImportError in thinc.compat
    try:
        import spacy
        import spacy.matcher  # noqa: F401
    finally:
        del sys.modules["torch"]
    return spacy


@functools.lru_cache(maxsize=1)
def nlp() -> Any:
    """``(pipeline, matcher)``: spaCy blank zh with jieba, and a PhraseMatcher of 罪名 and terms."""
    import jieba

    spacy = _import_spacy()
    from spacy.matcher import PhraseMatcher

    jieba.setLogLevel(60)
    names = sorted(crime_names())
    for n in names:
        jieba.add_word(n, freq=200000, tag="crime")
    for terms in TERMS.values():
        for t in terms:
            jieba.add_word(t, freq=200000)
    pipeline = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    matcher = PhraseMatcher(pipeline.vocab)
    matcher.add("CRIME", [pipeline.make_doc(n) for n in names])
    for label, terms in TERMS.items():
        matcher.add(label, [pipeline.make_doc(t) for t in terms])
    return pipeline, matcher


@functools.lru_cache(maxsize=1)
def crime_regex() -> re.Pattern:
    """One alternation of all 罪名, longest first: catches names the segmenter split differently."""
    names = sorted(crime_names(), key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names))


#: Characters segmented at a time: spaCy refuses texts over ``nlp.max_length`` (1,000,000,
#: error E088), and jieba's memory grows with the text; long texts are cut at line breaks.
CHUNK_CHARS = 100_000


def chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pieces of ``text`` of at most ``size`` characters, cut after a line
    break where there is one in the second half of the piece (phrases do not cross lines)."""
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            end = cut + 1 if cut >= 0 else end
        out.append((start, text[start:end]))
        start = end
    return out


def phrase_matches(text: str) -> list[tuple[str, int, int, str]]:
    """``(label, start_char, end_char, text)`` of every 罪名 and legal term in ``text`` (any length)."""
    pipeline, matcher = nlp()
    out = []
    for offset, piece in chunks(text):
        doc = pipeline.make_doc(piece)
        for match_id, start, end in matcher(doc):
            span = doc[start:end]
            out.append((pipeline.vocab.strings[match_id], offset + span.start_char, offset + span.end_char, span.text))
    for m in crime_regex().finditer(text):
        out.append(("CRIME", m.start(), m.end(), m.group(0)))
    out.sort(key=lambda m: (m[1], -(m[2] - m[1])))
    kept: list[tuple[str, int, int, str]] = []
    for m in out:
        if kept and m[1] < kept[-1][2]:
            continue
        kept.append(m)
    return kept
