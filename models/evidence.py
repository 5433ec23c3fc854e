"""The evidence vocabulary: the eight statutory kinds of 刑事诉讼法第五十条 and the fields
that carry an evidence inventory.

Extraction (:mod:`extractors.evidence`) writes these fields on documents; the evidence
checks (:mod:`checks.evidence`, ``checks/rules/evd.py``) and the report's ``evidence``
block read them. Names of kinds are the statute's own words.
"""

from __future__ import annotations

from models import vocab

# --- the eight kinds (刑事诉讼法第五十条第二款), in the statute's order ------------------
PHYSICAL = "物证"
DOCUMENTARY = "书证"
WITNESS = "证人证言"
VICTIM = "被害人陈述"
STATEMENT = "犯罪嫌疑人、被告人供述和辩解"
EXPERT = "鉴定意见"
RECORDS = "勘验、检查、辨认、侦查实验等笔录"
AUDIOVISUAL = "视听资料、电子数据"
KINDS = (PHYSICAL, DOCUMENTARY, WITNESS, VICTIM, STATEMENT, EXPERT, RECORDS, AUDIOVISUAL)

# --- document types that are themselves evidence (or evidence material) --------------------
#: The kind a held document of this type is; 询问笔录 is 证人证言 unless read as 被害人陈述.
TYPE_KIND = {
    vocab.EXPERT_OPINION: EXPERT,
    vocab.PRICE_ASSESSMENT: EXPERT,
    vocab.INSPECTION_RECORD: RECORDS,
    vocab.IDENTIFICATION_RECORD: RECORDS,
    vocab.INQUIRY_RECORD: WITNESS,
    vocab.SEIZURE_DECISION: DOCUMENTARY,
    vocab.SEIZURE_LIST: DOCUMENTARY,
    vocab.CASE_REGISTRATION: DOCUMENTARY,
    vocab.FILING_DECISION: DOCUMENTARY,
    vocab.ARRIVAL_ACCOUNT: DOCUMENTARY,
    vocab.ELECTRONIC_DATA_RECORD: AUDIOVISUAL,
    vocab.INTERROGATION: STATEMENT,
    vocab.SEARCH_RECORD: RECORDS,
    vocab.STATEMENT_NOTE: DOCUMENTARY,
    vocab.IDENTITY_PROOF: DOCUMENTARY,
    vocab.HOUSEHOLD_PROOF: DOCUMENTARY,
    vocab.EVIDENCE_RECEIPT: DOCUMENTARY,
    vocab.PHOTOS: PHYSICAL,  # screenshots are 视听资料、电子数据; a suspect's portrait is no kind (extractors.evidence)
}
#: Documents whose text may carry an evidence list (``认定上述事实的证据如下：1.…``).
LIST_TYPES = (vocab.INDICTMENT, vocab.PROSECUTION_OPINION, vocab.JUDGMENT)

# --- fields written by extractors.evidence ------------------------------------------------------
EVIDENCE_KIND = "evidence_kind"        # str: the kind this (held) document is, one of KINDS
EVIDENCE_SUBJECT = "evidence_subject"  # str: what it is about: 鉴定事项, 被询问人身份, 扣押物品 … (short)
EVIDENCE_LIST = "evidence_list"        # list[{"no": int|None, "text": str, "kinds": [str], "page": int}]: list items
STANCE = "stance"                      # str: 供认 / 否认 — the suspect's stance as this document records it
STANCE_TEXT = "stance_text"            # str: the wording the stance was read from
RETRACTED = "retracted"                # bool: the 起诉书/判决书 says the defendant 翻供 (retracted a confession)

ADMITS, DENIES = "供认", "否认"
EVIDENCE_VOLUME = "evidence_volume"    # bool: this 卷内目录 (or file) belongs to the evidence volume (证据卷)
EVIDENCE_MENTIONS = "evidence_mentions"  # list[{"kind", "text", "page"}]: evidence a 起诉书/判决书 cites outside its list (经鉴定 …)
