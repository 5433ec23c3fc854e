"""The case summary merges one suspect seen with and without an ID number into one person."""

from extractors.merge import merge_suspects
from models import Document, Field


def _doc(i: int, type_: str, persons=None, suspect=None) -> Document:
    fields = {}
    if persons is not None:
        fields["persons"] = Field(value=persons)
    if suspect:
        fields["suspect_name"] = Field(value=suspect)
    return Document(id=f"d{i}", type=type_, file="卷.pdf", pages=[i], fields=fields)


def test_name_only_mention_before_id_mention_is_one_person():
    docs = [
        _doc(1, "拘留证", suspect="马振华"),
        _doc(2, "起诉书", persons=[{"name": "马振华", "role": "被告人", "id_number": "350102198210116015",
                                    "gender": "男"}]),
        _doc(3, "判决书", persons=[{"name": "马振华", "role": "被告人", "birth_date": "1982-10-11"}]),
    ]
    people = merge_suspects(docs)
    assert len(people) == 1
    assert people[0].id_number == "350102198210116015" and people[0].birth_date == "1982-10-11"


def test_two_different_people_stay_apart():
    docs = [_doc(1, "起诉书", persons=[
        {"name": "张三", "role": "被告人", "id_number": "350102198210116015"},
        {"name": "李四", "role": "被告人", "id_number": "11010519491231002X"},
    ])]
    assert sorted(p.name for p in merge_suspects(docs)) == ["张三", "李四"]
