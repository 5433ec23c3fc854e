"""Person roles from what the text says (extractors/persons.py), the facts' times, places and sums
(extractors/events.py), and the fields issue 21 changed: plea wordings, the procuratorate's receipt,
the acknowledgement of a notice, a suspect's own account of who they are, the 案号 grammar."""

from __future__ import annotations

import pytest

from extractors import events, persons
from extractors.patterns import CASE_NUMBER
from models import vocab
from tests.extractors.test_field_gaps import _fields

P = persons

ROLE_CASES = [
    # (text, [(name, role)] that must be read)
    ("指控被告人张三、李四犯盗窃罪，于2024年1月2日向本院提起公诉。", [("张三", P.DEFENDANT), ("李四", P.DEFENDANT)]),
    ("上诉人（原审被告人）：唐甲，男，1990年10月12日出生。", [("唐甲", P.DEFENDANT)]),
    ("被告人陈某甲伙同王某甲、李某某（二人另案处理）经预谋后盗窃。",
     [("陈某甲", P.DEFENDANT), ("王某甲", P.ACCOMPLICE), ("李某某", P.ACCOMPLICE)]),
    ("被告人陈某甲、李某1（另案处理）二人为管理人员。", [("陈某甲", P.DEFENDANT), ("李某1", P.ACCOMPLICE)]),
    ("被告人羊双彪、羊文亮及辩护人龚志坚、王宇超到庭参加诉讼。",
     [("羊双彪", P.DEFENDANT), ("羊文亮", P.DEFENDANT), ("龚志坚", P.DEFENDER), ("王宇超", P.DEFENDER)]),
    ("该院执行庭庭长王某某到现场执行。", [("王某某", P.OFFICIAL)]),
    ("证人刘某的证言证实。", [("刘某", P.WITNESS)]),
    ("附带民事诉讼被告人王艳到庭参加诉讼。", [("王艳", P.CIVIL_PARTY)]),
    ("法定代理人周九（系被告人之父）到庭。", [("周九", P.GUARDIAN)]),
    ("被告人习海洋犯故意伤害罪。被告人习海洋到庭参加诉讼。", [("习海洋", P.DEFENDANT)]),  # a surname outside the list
    ("被告人胡江发给其照片。被告人胡江，男。", [("胡江", P.DEFENDANT)]),  # 发给 is the next word
    ("值班律师赵六为其提供法律帮助。", [("赵六", P.DUTY_LAWYER)]),
]

NOT_PARTIES = [
    # (text, names that must not be parties)
    ("案发后，被告人家属退赔郭某某损失，获谅解。", ["郭某某", "家属"]),
    ("被告人张三与对方李四、王五发生争执，相互殴打。", ["李四", "王五"]),
    ("被告人许某、秦某某和任某某三人私分。原纪检组长任某某（另案处理）商议。", ["任某某", "原纪"]),
    ("被告人毕成龙租用汽车租赁店老板刘某的车辆。", ["刘某"]),
    ("被告人陈翠华向集资参与人吴某、赵某某吸收资金。", ["吴某", "赵某某"]),
    ("潭某某抢夺一审刑事判决书\n被告人彭某某犯抢夺罪。", ["潭某某"]),  # a page title the body contradicts
]


@pytest.mark.parametrize("text,expected", ROLE_CASES)
def test_roles_from_cues(text, expected):
    found = {(m.name, m.role) for m in persons.mentions(text, actions=False)}
    for pair in expected:
        assert pair in found, found


@pytest.mark.parametrize("text,names", NOT_PARTIES)
def test_no_cue_no_party(text, names):
    found = persons.mentions(text, actions=False)
    assert not set(names) & set(persons.party_names(found)), [(m.name, m.role, m.cue) for m in found]


def test_every_mention_records_its_cue():
    for m in persons.mentions("被告人张三伙同李四（另案处理）窃得被害人王五的手机，审判长赵六。"):
        assert m.cue


def test_the_structure_names_the_parties_before_the_facts():
    """The list of a charge (指控被告人…犯) and the title name the parties; 被告人 of the other side in the
    facts do not join them."""
    text = ("毕成龙、伍中超一审刑事判决书\n公诉机关指控被告人毕成龙、伍中超犯聚众斗殴罪。\n"
            "被告人毕成龙、伍中超与被告人谢桔、谢胜在某处斗殴。")
    assert persons.party_names(persons.mentions(text, actions=False)) == ["毕成龙", "伍中超"]


def test_a_wrapped_line_does_not_cut_a_name():
    text = "公诉机关以某检刑诉〔2016〕27号起诉书指控被告人冯某\n甲、李某甲犯销售假药罪，于2016年向本院提起公诉。"
    names = {m.name for m in persons.mentions(text, actions=False)}
    assert {"冯某甲", "李某甲"} <= names


ACTION_CASES = [
    ("5、2017年8月17日20时许，被告人黄某某在上述公司宿舍一楼过道处，窃得张某甲保时马电动自行车一辆。",
     {"黄某某": P.DEFENDANT, "张某甲": P.VICTIM}),
    ("得手后，李某甲携带赃物逃离现场。", {"李某甲": P.SUSPECT}),
    ("案发后，被告人家属退赔郭某某损失，获谅解。", {"郭某某": P.VICTIM}),
    ("被告人冷某某结伙被告人陈某某窜至某处，采用搭线等手段窃得被害人赵某某停放在该处的三轮电瓶车一辆。",
     {"冷某某": P.DEFENDANT, "陈某某": P.DEFENDANT, "赵某某": P.VICTIM}),
    ("被告人蒋某某与张某甲共同窃得夏某某、董某某电动车电瓶。",
     {"张某甲": P.SUSPECT, "夏某某": P.VICTIM, "董某某": P.VICTIM}),
]


@pytest.mark.parametrize("text,expected", ACTION_CASES)
def test_roles_from_what_the_facts_say(text, expected):
    got = {m.name: m.role for m in persons.mentions(text)}
    for name, role in expected.items():
        assert got.get(name) == role, got


def test_action_roles_are_not_parties():
    found = persons.mentions("得手后，李某甲携带赃物逃离现场。")
    assert found and persons.party_names(found) == []


def test_ordinary_words_are_no_names():
    found = {m.name for m in persons.mentions("随后，被告人刘某某将车销赃给收二手车人。由被告人曾某采用技术开锁的方式将门撬开。"
                                               "将陶某某支付宝账户内的人民币转至自己的支付宝账户。")}
    assert not found & {"车销赃", "门撬开", "支付宝"}


def test_fact_entities():
    s = ("2018年6月8日5时许，被告人张某某来到靖州县某路许某某经营的服装店，拿走盒子内人民币2000元，"
         "后将手机以300元的价格销赃。经鉴定，该手机价值人民币1490元。")
    got = {(e.kind, e.value) for e in events.fact_entities(s)}
    assert (events.TIME, "2018年6月8日5时许") in got
    assert (events.PLACE, "靖州县某路许某某经营的服装店") in got
    kinds = {(e.kind, e.yuan) for e in events.fact_entities(s)}
    assert {(events.CASH, 2000.0), (events.GAIN, 300.0), (events.VALUE, 1490.0)} <= kinds


def test_no_crime_time_in_an_arrest_sentence():
    assert not events.fact_entities("2018年7月3日，公安民警在本市某镇将被告人朱某某抓获。")


@pytest.mark.parametrize("number", ["（2015）四西刑公初字第82号", "（2016）晋0825刑初第17号", "（2016）鄂0103刑附民初12号",
                                    "（2013）粤高法刑三终字第304号", "（2020）浙0702刑初662号"])
def test_case_number_grammar(number):
    m = CASE_NUMBER.regex.search(f"刑事判决书{number}公诉机关")
    assert m and m.group(0) == number


def test_plea_in_the_statute_s_words_and_not_in_a_notice():
    ind = "起诉书\n本院认为，被告人张三自愿如实供述自己的罪行，承认指控的犯罪事实，愿意接受处罚，依据刑事诉讼法第十五条，可以从宽处理。\n"
    assert _fields(ind, vocab.INDICTMENT).get(vocab.PLEA) is True
    agreed = "起诉书\n被告人张三同意检察机关提出的量刑建议。\n"
    assert _fields(agreed, vocab.INDICTMENT).get(vocab.PLEA) is True
    notice = ("犯罪嫌疑人诉讼权利义务告知书\n张三：\n六、自愿如实供述自己的罪行，承认指控的犯罪事实，愿意接受处罚的，可以依法从宽处理。\n"
              "某区人民检察院\n2024年4月1日")
    assert _fields(notice, vocab.RIGHTS_NOTICE).get(vocab.PLEA) is None


_NOTICE = ("某区人民检察院\n犯罪嫌疑人诉讼权利义务告知书\n王某：\n本院已于2023年6月24日收到某市公安局移送审查起诉的你涉嫌盗窃罪一案。"
           "现告知你有权委托辩护人。\n某区人民检察院\n2023年6月24日\n以上告知内容我已知晓。\n犯罪嫌疑人（签名、捺指印）：王某\n2023年6月30日")


def test_notice_date_is_the_acknowledgement_and_the_receipt_is_read():
    f = _fields(_NOTICE, vocab.RIGHTS_NOTICE)
    assert f[vocab.NOTIFY_RIGHTS_DATE] == "2023-06-30"
    assert f[vocab.RECEIVED_DATE] == "2023-06-24"


def test_a_date_after_receipt_is_not_the_receipt():
    """本院受理后，于…已告知: the date is the notice's (a 起诉书 without its receipt date)."""
    ind = ("某区人民检察院\n起诉书\n某检刑诉〔2023〕1号\n本案由某公安局侦查终结，以被告人王某涉嫌盗窃罪，于2023年6月24日向本院移送审查起诉。"
           "本院受理后，于2023年6月30日已告知被告人有权委托辩护人。\n")
    f = _fields(ind, vocab.INDICTMENT)
    assert vocab.RECEIVED_DATE not in f
    assert f[vocab.TRANSFER_DATE] == "2023-06-24" and f[vocab.NOTIFY_RIGHTS_DATE] == "2023-06-30"
    stated = _fields(ind.replace("本院受理后", "本院于2023年6月25日受理后"), vocab.INDICTMENT)
    assert stated[vocab.RECEIVED_DATE] == "2023-06-25"


def test_a_suspect_s_own_account_gives_the_number_of_the_transcript():
    text = ("讯问笔录\n时间：2023年6月28日10时30分至2023年6月28日11时55分\n讯问人：张明、李强\n记录人：李强\n"
            "问：你的个人情况？\n答：我叫王怡芳，女，1973年12月28日出生，身份证号码530302197312280341，汉族，住某市某路1号。\n")
    f = _fields(text, vocab.INTERROGATION)
    p = next(p for p in f[vocab.PERSONS] if p["name"] == "王怡芳")
    assert p["id_number"] == "530302197312280341" and p["valid"] is False and p["role"] == P.SUSPECT
