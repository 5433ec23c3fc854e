"""What the facts say happened: when, where, and the sums of money by what they are.

:func:`fact_entities` reads a fact section (or one sentence of it) and returns
:class:`Entity` items:

- ``时间`` — a date or date-time of the narrative, with its approximations as written
  (``2017年8月17日20时许``, ``2018年6月份的一天``, ``2018年2月中旬某日``, ``2018年5月份期间``,
  ``2016年5月起到同年8月28日期间``), and clock times after a date (``当日15时许``);
- ``地点`` — the place a person went to or acted in: the words after 在/于/至/来到/窜至/带到 …
  up to the clause's next verb (``在上述公司宿舍一楼过道处``, ``来到湘潭县某镇地下停车场``), and
  where taken property stood (``停放在周台村三组出租房楼下的``); 此处/该处 are no place;
- sums of money, each by what the sentence says it is: ``被盗货币`` (cash taken: 现金, 硬币, or
  money right after a verb of taking), ``物品价值`` (价值, 认定价格, 损失), ``盗窃获利`` (获利,
  销赃得, 以…元卖给, 分得). ``yuan`` is the sum in yuan (:func:`extractors.normalize.parse_money`).

The scan stores them as the fact section's ``fact_entities`` field (see :mod:`extractors.fields`);
``bench/ie_eval.py`` scores them on CAIL2021 information-extraction items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors import normalize as nz

TIME = "时间"
PLACE = "地点"
CASH = "被盗货币"
VALUE = "物品价值"
GAIN = "盗窃获利"


@dataclass(frozen=True)
class Entity:
    """One thing the facts state: ``kind``, ``value`` as written at ``s[start:end]``, the ``cue``
    that gave its kind, and ``yuan`` for sums of money."""

    kind: str
    value: str
    start: int
    end: int
    cue: str = ""
    yuan: float | None = None


# --- time ------------------------------------------------------------------------------------------

_N = r"[0-9０-９]"
_CN = r"[〇零○一二三四五六七八九十]"
_PART_OF_DAY = r"(?:凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|晚间|夜里|夜间|深夜|半夜|晚|当晚|白天)"
_CLOCK = rf"(?:{_PART_OF_DAY}?(?:{_N}{{1,2}}|{_CN}{{1,3}})(?:时|点)(?:(?:{_N}{{1,2}}|{_CN}{{1,3}})分)?(?:许|左右|多|前后)?)"
_DAY = rf"(?:(?:{_N}{{4}}|[〇零○一二三四五六七八九]{{4}})年)?(?:{_N}{{1,2}}|{_CN}{{1,3}})月(?:份)?(?:(?:{_N}{{1,2}}|{_CN}{{1,3}})[日号])?"
_VAGUE = r"(?:许|左右)?(?:(?:上|中|下)旬|初|底|末)?(?:某日|某天|的一天|一天)?(?:间|期间)?"
_DAY_ONLY = rf"(?:{_N}{{1,2}}|{_CN}{{1,3}})日"
_TIME = re.compile(
    rf"(?:{_DAY}{_VAGUE}(?:{_PART_OF_DAY}?{_CLOCK}|{_PART_OF_DAY})?"
    rf"(?:(?:起)?(?:至|到|—|-|～)(?:同年|次日|当日)?(?:{_DAY}{_VAGUE}|{_DAY_ONLY})?(?:{_PART_OF_DAY}?{_CLOCK}|{_PART_OF_DAY})?"
    rf"(?:期间|之间|间)?)?"
    rf"|{_N}{{4}}年(?:初|底|末|年初|年底|上半年|下半年)"
    rf"|(?:当日|次日|同日|当天|当晚|同年{_N}{{1,2}}月{_N}{{1,2}}日)(?:{_PART_OF_DAY}?{_CLOCK}|{_PART_OF_DAY})"
    rf"|(?<=[，,])(?:{_PART_OF_DAY}){_CLOCK})"
)
#: A sentence about what came after the crime (arrest, surrender, sale of the loot): its time and
#: place are not the crime's, unless the sentence also tells a taking.
_AFTERMATH = re.compile(r"销赃|卖给|卖至|获利|抓获|挡获|到案|投案|归案|民警|公安|盘问|扭送|警察|查获|搜查|刑事拘留|传唤")
_TAKING = re.compile(r"盗窃(?!所得|来)|窃得|窃取|盗得|盗走|盗取|窃走|偷|扒窃|抢|骗取|拿走|骑走|推走|搬走|转走|来到|窜至|窜到|进入")
_SENT = re.compile(r"[^。；;\n]+")

# --- place -----------------------------------------------------------------------------------------

#: Words that lead to a place (a person goes to or acts in it).
_PLACE_LEAD = re.compile(r"(?:窜至|窜到|蹿至|来到|来至|去到|走至|行至|到达|赶至|前往|带到|带至|开至|运至|潜入|进入|"
                         r"(?<![存停安摆放])在|(?<![关])于|(?<![以价截])至|(?<![来得收达])到)")
#: Where a place ends: the clause's next verb or connective.
_PLACE_END = re.compile(r"(?:[，,。；;：:]|盗窃|窃得|窃取|盗得|盗走|盗取|偷窃|偷走|扒窃|抢|骗|看到|看见|见到|发现|得知|"
                        r"被(?!害)|时(?![代尚间])|(?<!合)并|将|把|采用|采取|趁|实施|准备|布置|通过|撬|翻|使用|用手|找|"
                        r"以(?![南北东西内外上下及])|向|对(?!面)|拿|打开|附近(?=[，,])|后(?=[，,])|从事|工作|休息|购买|"
                        r"与|和(?=[\u4e00-\u9fff]{0,6}(?:一起|共同|发生))|一起|共同|由(?!于)|因|遇|碰|捡|抱|推走|骑走|驾驶|"
                        r"开着|停着|作案|吸食|上网|租住|居住|放置|存放|放哨|望风|刷卡|消费|花掉|阻拦|欲|种|拉|卸|"
                        r"分别|先后|多次|再次|等人)")
_NOT_PLACE = re.compile(r"^(?:此|该|其|本案|案发|作案|现场|上述地点|途中|路上|他处|别处|家中|单位|本院|公安机关|"
                        r"[0-9０-９一二三四五六七八九十]|[\u4e00-\u9fff]{0,2}(?:时|后|前|期间|之间|中|下|上|内|外)$)")
#: A place names one: an administrative unit, a street, a building or a site.
_PLACE_NOUN = re.compile(r"省|市|县|区|镇|乡|村|路|街|巷|弄|号|楼|栋|幢|室|店|场|站|厂|院|园|馆|宿舍|房|屋|小区|超市|公司|"
                         r"工地|酒店|宾馆|网吧|仓库|门口|门前|社区|组|广场|学校|中学|小学|幼儿园|医院|停车|车库|公寓|大厦|"
                         r"大夏|基站|车站|码头|市场|家|户|宅|住处|\*\*")
#: What makes a candidate no place: furniture, goods, sums (放在抽屉内的, 身边的手机一部).
_NOT_A_SITE = re.compile(r"抽屉|柜子|桌|身边|盒|箱内|包内|手机|一部|一辆|一台|现金|[0-9０-９]元|价值|钥匙|座椅|窗台|冰箱|沙发")
#: Where taken property stood: 停放在X的, 放在X的.
_STOOD_AT = re.compile(r"(?:停放在|停在|放在|放置在|存放在|摆放在|安装在|晾晒在|挂在)(?P<p>[^，,。；;的]{2,30}?)(?:的|内的|里的)")
#: An aside in brackets (刑拘在逃, 另案处理): no place starts inside it.
_ASIDE = re.compile(r"[（(][^（()）]{0,30}[）)]")

# --- money -----------------------------------------------------------------------------------------

_MONEY = re.compile(r"(?:现金)?(?:人民币)?(?:[（(]以下同币种[）)])?(?:[0-9０-９][0-9０-９.,，．]*|[一二三四五六七八九十百千万两零〇]+)"
                    r"(?:余|多)?(?:万|千|百)?(?:[0-9０-９一二三四五六七八九]?(?:千|百))?(?:余|多)?元"
                    r"(?:人民币|现金)?(?:/[张个只部台件辆])?")
_GAIN_CUE = re.compile(r"(?:获利|销赃(?:得|获利|获得)?|卖得|变卖得|得款|分得|分赃|非法所得|赃款|以[^，,。；]{0,6}?的?价格?"
                       r"|以|支付|获得)[^，,。；]{0,6}$")
_GAIN_AFTER = re.compile(r"^(?:的价格)?(?:[^，,。；]{0,10}?)(?:卖|销赃|出售|变卖|售)")
_VALUE_CUE = re.compile(r"(?:价值|价格|认定价格为|鉴定价值|估价|计价值|损失费为|损失|价值共计|共计价值|数额|合计价值|总价值)"
                        r"[^，,。；]{0,10}$")
_CASH_CUE = re.compile(rf"(?:现金|硬币|零钱|钱款|{r'窃得|盗得|盗走|窃取|偷走|拿走|盗取|取走|转走|转至|交给|交付|骗取|扒窃'})"
                       r"[^，,。；]{0,12}$")


def fact_entities(s: str) -> list[Entity]:
    """Times, places and sums of money stated in ``s`` (see the module docstring), in text order."""
    out: list[Entity] = []
    out += _times(s)
    out += _places(s, out)
    out += _sums(s, out)
    return sorted(out, key=lambda e: e.start)


def _aftermath(s: str, pos: int) -> bool:
    """``pos`` lies in a sentence about the arrest, surrender or sale, with no taking told in it."""
    sent = next((m.group(0) for m in _SENT.finditer(s) if m.start() <= pos < m.end()), "")
    return bool(_AFTERMATH.search(sent)) and not _TAKING.search(re.sub(r"被盗|所盗|盗窃所得|盗来", "", sent))


def _times(s: str) -> list[Entity]:
    out = []
    for m in _TIME.finditer(s):
        if _aftermath(s, m.start()):
            continue
        value = m.group(0)
        if not re.search(r"[日号时点]|月份?|间|天|晚|午|晨", value) or len(value) < 3:
            continue
        if re.match(rf"{_N}{{1,2}}月{_N}{{1,2}}日?$", value) and not re.search(r"[时点]", value) and \
                re.search(r"出生|生于", s[max(0, m.start() - 8):m.end() + 4]):
            continue
        if re.search(r"出生|生于|判处|刑期|有期徒刑|拘役|缓刑", s[m.end():m.end() + 4]):
            continue
        value = re.sub(r"[，,]$", "", value)
        out.append(Entity(TIME, value, m.start(), m.start() + len(value), "日期时间"))
    return out


def _places(s: str, taken: list[Entity]) -> list[Entity]:
    out: list[Entity] = []
    spans = [(e.start, e.end) for e in taken]
    asides = [(m.start(), m.end()) for m in _ASIDE.finditer(s)]
    for m in _PLACE_LEAD.finditer(s):
        a = m.end()
        if any(x <= m.start() < y for x, y in asides) or _aftermath(s, a):
            continue
        if any(e.start == a for e in taken):  # 于2018年…在… : the time, then the place
            continue
        end = _PLACE_END.search(s, a)
        b = end.start() if end else len(s)
        value = s[a:b].strip()
        if value.startswith("位于"):
            a, value = a + 2, value[2:]
        if any(x <= a < y for x, y in spans):
            continue
        for part, pa in _parts(value, a):
            if _site(part):
                out.append(Entity(PLACE, part, pa, pa + len(part), m.group(0)))
                spans.append((pa, pa + len(part)))
    for m in _STOOD_AT.finditer(s):
        value = m.group("p")
        if _site(value) and not _aftermath(s, m.start()) and not any(x <= m.start("p") < y for x, y in spans):
            out.append(Entity(PLACE, value, m.start("p"), m.end("p"), "停放/放置在"))
    return out


def _site(value: str) -> bool:
    return 2 <= len(value) <= 40 and not _NOT_PLACE.search(value) and bool(_PLACE_NOUN.search(value)) \
        and not _NOT_A_SITE.search(value)


def _parts(value: str, a: int) -> list[tuple[str, int]]:
    """A list of places (马鞍街道、金牛湖街道) split where every part names a place; else the whole."""
    pieces = value.split("、")
    if len(pieces) > 1 and all(_PLACE_NOUN.search(p) for p in pieces):
        out, pos = [], a
        for p in pieces:
            out.append((p, pos))
            pos += len(p) + 1
        return out
    return [(value, a)]


def _sums(s: str, taken: list[Entity]) -> list[Entity]:
    out = []
    for m in _MONEY.finditer(s):
        value = m.group(0).rstrip("，,")
        if not re.search(r"[0-9０-９]|[一二三四五六七八九十百千万两]", value):
            continue
        yuan = nz.parse_money(re.sub(r"^现金|[（(]以下同币种[）)]|人民币|现金$|/.*$", "", value))
        if yuan is None:
            continue
        before = s[max(0, m.start() - 24):m.start()]
        sent_start = max(s.rfind(c, 0, m.start()) for c in "，,。；;\n") + 1
        clause_before = s[sent_start:m.start()]
        after = s[m.end():m.end() + 16]
        if _GAIN_CUE.search(clause_before) and (re.search(r"获利|销赃|卖得|得款|分得|分赃|非法所得|赃款|支付|获得", clause_before)
                                                or _GAIN_AFTER.match(after)):
            kind, cue = GAIN, _GAIN_CUE.search(clause_before).group(0)
        elif _VALUE_CUE.search(before):
            kind, cue = VALUE, _VALUE_CUE.search(before).group(0)
        elif value.startswith("现金") or "现金" in value or _CASH_CUE.search(clause_before):
            kind, cue = CASH, (_CASH_CUE.search(clause_before).group(0) if _CASH_CUE.search(clause_before) else "现金")
        else:
            continue
        out.append(Entity(kind, value, m.start(), m.start() + len(value), cue, yuan))
    return out
