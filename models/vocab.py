"""The shared vocabulary: document types, field names, slot roles and case events.

Extractors write these names, rules read them, the fixture generator's ground truth
uses them. A field not listed here may still be written (extra detail), but the names
below are the ones rules may rely on. Values follow :mod:`models.records`.
"""

from __future__ import annotations

# --- document types (Chinese, as they appear in reports) --------------------------------
DETENTION_WARRANT = "拘留证"
DETENTION_NOTICE = "拘留通知书"
CUSTODY_RECEIPT = "收押凭证"
ARREST_REQUEST = "提请批准逮捕书"
ARREST_APPROVAL = "批准逮捕决定书"
ARREST_DISAPPROVAL = "不批准逮捕决定书"
ARREST_WARRANT = "逮捕证"
ARREST_NOTICE = "逮捕通知书"
DETENTION_EXTENSION = "延长拘留期限审批表"
CUSTODY_EXTENSION = "延长侦查羁押期限决定书"
PROSECUTION_OPINION = "起诉意见书"
CASE_ACCEPTANCE = "受理案件登记表"
REVIEW_EXTENSION = "延长审查起诉期限决定书"
SUPPLEMENTARY_INVESTIGATION = "退回补充侦查决定书"
SUPPLEMENTARY_OUTLINE = "补充侦查提纲"
INTERROGATION = "讯问笔录"
RIGHTS_NOTICE = "权利义务告知书"
VICTIM_RIGHTS_NOTICE = "被害人权利义务告知书"
PLEA_AGREEMENT = "认罪认罚具结书"
SENTENCING_RECOMMENDATION = "量刑建议书"
INDICTMENT = "起诉书"
NON_PROSECUTION = "不起诉决定书"
WITHDRAWAL = "撤回起诉决定书"
JUDGMENT = "判决书"
SERVICE_RECEIPT = "送达回证"
LEGAL_AID_NOTICE = "法律援助通知书"
DUTY_LAWYER_NOTICE = "值班律师通知书"
BAIL_DECISION = "取保候审决定书"
RESIDENCE_DECISION = "监视居住决定书"
PROTEST = "抗诉书"
SOCIAL_INVESTIGATION = "社会调查报告"
SUMMONS = "传唤证"                     # also 拘传证 (DL-021)
CUSTODY_NECESSITY_REVIEW = "羁押必要性审查记录"  # SUB-012
# added by the fixture generator (documents it renders for DOC-012 / DL-010 子项)
OPINION_RECORD = "听取意见笔录"          # 听取辩护人/值班律师/被害人意见 (DOC-012)
CUSTODY_TERM_NOTICE = "变更羁押期限通知书"  # 期限变更书面通知看守所 (DL-010 子项)
VOLUME_INDEX = "卷内目录"              # 卷内目录 page of a volume (not a document to check)
EXPERT_OPINION, PRICE_ASSESSMENT, INSPECTION_RECORD, IDENTIFICATION_RECORD, INQUIRY_RECORD, SEIZURE_DECISION, SEIZURE_LIST, CASE_REGISTRATION, FILING_DECISION, ARRIVAL_ACCOUNT, ELECTRONIC_DATA_RECORD = "鉴定意见书", "价格认定结论书", "勘验检查笔录", "辨认笔录", "询问笔录", "扣押决定书", "扣押清单", "受案登记表", "立案决定书", "到案经过", "电子数据提取笔录"  # evidence documents (issue 14, models/evidence.py)
# volume furniture and evidence material around the case's own documents (issue 25)
VOLUME_COVER = "卷宗封面"              # cover of a bound volume (卷宗名称, 案由, 卷号 第k卷 共n卷, 本卷页数)
VOLUME_NOTE = "卷内备考表"             # closing sheet of a volume (本卷情况说明, 立卷人, 检查人)
SEPARATOR = "分隔页"                   # title given to a separator sheet between parts of a volume (type OTHER)
STATEMENT_NOTE = "情况说明"            # investigators' 情况说明 / 工作说明
IDENTITY_PROOF = "身份证明"            # 居民身份证复印件 and the like
HOUSEHOLD_PROOF = "户籍证明"           # 户籍证明 / 常住人口信息表
PHOTOS = "照片"                        # photo sheets, screenshots (照片, 监控视频截图)
SEARCH_RECORD = "搜查笔录"
SEARCH_WARRANT = "搜查证"
EVIDENCE_NOTICE = "调取证据通知书"
EVIDENCE_RECEIPT = "调取证据清单"       # 调取证据清单 with the call / bank records it covers
ADMIN_PENALTY = "行政处罚决定书"        # another person's (or an earlier) administrative penalty: not this case's
REVIEW_REPORT = "审查报告"             # the prosecutor's 审查报告 (检察工作卷)
OTHER = "其他"

# --- document roles (Document.role): what a document is to this case ----------------------
ROLE_CASE = "case"                     # the case's own procedural documents: what the rules are about
ROLE_EVIDENCE = "evidence"             # evidence material: statements of witnesses and victims, records, opinions, photos
ROLE_OTHER_CASE = "other_case"         # another case's document: an earlier judgment (前科), another person's penalty
ROLE_VOLUME = "volume"                 # volume furniture: cover, 目录, 备考表, separator sheets
ROLES = (ROLE_CASE, ROLE_EVIDENCE, ROLE_OTHER_CASE, ROLE_VOLUME)
#: The roles in Chinese, for reports.
ROLE_NAMES = {ROLE_CASE: "本案诉讼文书", ROLE_EVIDENCE: "证据材料", ROLE_OTHER_CASE: "他案材料", ROLE_VOLUME: "卷宗装订材料"}
#: Types that are volume furniture.
VOLUME_TYPES = frozenset({VOLUME_COVER, VOLUME_INDEX, VOLUME_NOTE})
#: Types that are evidence material (what the evidence inventory and the EVD rules read), never a
#: procedural document a rule checks. The suspect's own 讯问笔录 is both evidence and the case's own
#: document: it is not listed here.
EVIDENCE_TYPES = frozenset({
    INQUIRY_RECORD, IDENTIFICATION_RECORD, INSPECTION_RECORD, SEARCH_RECORD, SEIZURE_LIST, EXPERT_OPINION,
    PRICE_ASSESSMENT, ELECTRONIC_DATA_RECORD, ARRIVAL_ACCOUNT, STATEMENT_NOTE, IDENTITY_PROOF, HOUSEHOLD_PROOF,
    PHOTOS, EVIDENCE_RECEIPT,
})
#: Types that are always another case's document in a criminal dossier (an administrative penalty).
OTHER_CASE_TYPES = frozenset({ADMIN_PENALTY})

#: The types the classifier must recognise (issue 2), in dossier order.
CORE_TYPES = (
    DETENTION_WARRANT, ARREST_REQUEST, ARREST_APPROVAL, ARREST_WARRANT, PROSECUTION_OPINION,
    INTERROGATION, RIGHTS_NOTICE, PLEA_AGREEMENT, SENTENCING_RECOMMENDATION, INDICTMENT,
    NON_PROSECUTION, WITHDRAWAL, JUDGMENT, SERVICE_RECEIPT, OTHER,
)

# --- field names (keys of Document.fields) --------------------------------------------
DOC_NUMBER = "doc_number"              # str: 文号/案号 of this document, e.g. "京朝检刑诉〔2024〕123号"
CITED_DOC_NUMBERS = "cited_doc_numbers"  # list[str]: 文号 of other documents this one cites
DATE = "date"                          # ISO date: the document's own date (成文/落款日期)
ISSUER = "issuer"                      # str: the issuing organ (XX市公安局, XX区人民检察院, XX法院)
PERSONS = "persons"                    # list[Person dict]: every person with basic data, role set
SUSPECT_NAME = "suspect_name"          # str: the suspect/defendant this document is about (first one)
MENTIONS = "mentions"                  # list[{name, role, cue, basis}]: every person the text gives a role (extractors.persons)
FACT_ENTITIES = "fact_entities"        # list[{kind, value, cue[, yuan][, role]}]: persons, 时间, 地点 and sums the facts state
CHARGES = "charges"                    # list[str]: normalised 罪名 ending in 罪
ARTICLES = "articles"                  # list[str]: cited 刑法 articles, canonical "第二百六十四条[第一款]"
PROCEDURE_ARTICLES = "procedure_articles"  # list[str]: cited 刑事诉讼法 articles, canonical form
FACTS = "facts"                        # str: the fact section (经依法审查查明/经审理查明 …)
ADDRESSEE_TERM = "party_terms"         # list[str]: terms used for the party: 犯罪嫌疑人/被告人/被不起诉人
PLEA = "plea"                          # bool: 认罪认罚 stated
RECOMMENDATION = "recommendation"      # Sentence dict: 量刑建议 (起诉书, 量刑建议书, 具结书)
SENTENCE = "sentence"                  # Sentence dict: the judgment's sentence
VERDICT = "verdict"                    # str: 有罪 / 无罪 / 免予刑事处罚 / 不负刑事责任
EXECUTION_TIME = "execution_time"      # ISO datetime/date: 拘留/逮捕 执行时间
NOTIFY_TIME = "notify_time"            # ISO datetime/date: 通知家属时间
REQUEST_DATE = "request_date"          # ISO date: 提请批准逮捕 date cited by the approval
RECEIVED_DATE = "received_date"        # ISO date: 检察院收到/受理 date
TRANSFER_DATE = "transfer_date"        # ISO date: 移送审查起诉 date
NOTIFY_RIGHTS_DATE = "rights_notice_date"  # ISO date: 告知有权委托辩护人 date
START_TIME = "start_time"              # ISO datetime: 讯问 自
END_TIME = "end_time"                  # ISO datetime: 讯问 至
INTERROGATORS = "interrogators"        # list[str]: 讯问人 names (head of the transcript)
RECORDER = "recorder"                  # str: 记录人
INTERROGATION_STAGE = "stage"          # str: 侦查 / 审查逮捕 / 审查起诉 (by organ of the 讯问人)
CONFIRMATION = "confirmation"          # bool: "以上笔录我看过…和我说的相符" present
REFUSAL_NOTE = "refusal_note"          # str: 拒绝签名/拒绝捺指印 note if present
CONFESSION = "confession"              # bool: the suspect admits the facts in the transcript
RIGHTS_TOLD = "rights_told"            # bool: transcript records rights and plea-leniency notice
LAWYER_NAME = "lawyer_name"            # str: 辩护人/值班律师 name on the plea agreement
DEFENDERS = "defenders"                # list[str]: 辩护人/辩护律师 named in the document (not 值班律师)
LAWYER_ROLE = "lawyer_role"            # str: 辩护人 / 值班律师
PROCEDURE = "procedure"                # str: 速裁程序 / 简易程序 / 普通程序 suggested or applied
SUPPLEMENTARY_COUNT = "supplementary_count"  # int: 退回补充侦查 times stated in the 起诉书
EXTENSION_COUNT = "extension_count"    # int: 延长审查起诉期限 times stated in the 起诉书
DETENTION_DATE = "detention_date"      # ISO date: 刑事拘留 date stated in 起诉书/判决书
ARREST_DATE = "arrest_date"            # ISO date: 逮捕 date stated in 起诉书/判决书
NP_TYPE = "non_prosecution_type"       # str: 法定 / 酌定 / 存疑 / 特殊 / 附条件
REASON = "reason"                      # str: 撤回起诉理由 / 不起诉理由
SERVED_DOCUMENT = "served_document"    # str: the document a 送达回证 serves
RECIPIENT = "recipient"                # str: 受送达人
SIGN_DATE = "sign_date"                # ISO date: 签收日期
APPEAL_NOTICE = "appeal_notice"        # bool: judgment tells the appeal period and court
STRUCTURE = "structure"                # dict: what the templates located (template, end marker, closing date, section spans)
SECTIONS = "sections"                  # dict[str, bool|None]: required sections present / absent / None = not located (DOC rules)
AMOUNT = "amount_yuan"                 # float: 涉案金额 in yuan (sum stated)
CRIME_DATE = "crime_date"              # ISO date: first crime date in the facts
CIRCUMSTANCES = "circumstances"        # list[str]: 自首, 坦白, 累犯 … stated
JUDGES = "judges"                      # list[str]: 审判长/审判员/人民陪审员 names
CLERK = "clerk"                        # str: 书记员
PROSECUTORS = "prosecutors"            # list[str]: 检察官 names on 起诉书/不起诉决定书/量刑建议书
# added for the rules (checks/rules); value formats as stated
CUSTODY_TIME = "custody_time"          # ISO datetime/date: 收押时间 on 收押凭证 (DL-001)
NOT_NOTIFIED_REASON = "not_notified_reason"  # str: 未通知家属的原因 noted on 拘留通知书/逮捕通知书 (DL-002/007)
EXTENSION_REASON = "extension_reason"  # str: 延长事由 on 延长拘留期限审批表 (流窜作案/多次作案/结伙作案/特殊情况)
EXTENSION_DAYS = "extension_days"      # int: days granted by 延长拘留期限审批表 or 延长审查起诉期限决定书
EXTENSION_MONTHS = "extension_months"  # int: months granted by 延长侦查羁押期限决定书 (1 or 2)
ARRIVAL_TIME = "arrival_time"          # ISO datetime: 到案时间 on 传唤证/拘传证 (DL-021)
GUARDIAN = "guardian"                  # str: 到场的法定代理人/合适成年人 (name and relation) on 讯问笔录/具结书; absent when none
AV_RECORDED = "av_recorded"            # bool: 讯问笔录 states 全程同步录音录像
PLEA_EXCEPTION = "plea_exception"      # str: recorded reason why no 认罪认罚具结书 was signed (DOC-005), on 起诉书 or elsewhere
TRIAL_DATE = "trial_date"              # ISO date: 开庭日期 stated in 判决书
PUBLIC_TRIAL = "public_trial"          # bool: 判决书 says 公开开庭审理 (True) / 不公开开庭审理 (False)
TERM_START = "term_start"              # ISO date: 判决书 “刑期自…起” date
TERM_END = "term_end"                  # ISO date: 判决书 “…至…止” date
DETAINED = "detained"                  # bool: on 批准逮捕决定书/不批准逮捕决定书/提请批准逮捕书: suspect already 刑事拘留
VICTIM_NOTIFIED = "victim_notified"    # ISO date or True: the document records that the victim was told of the right to an agent (DL-014)
DUTY_LAWYER = "duty_lawyer"            # str: a 值班律师 the document records as giving legal help in this stage (DOC-014)

# --- section names (keys of the SECTIONS field, value True/False = present/absent) ----
INDICTMENT_SECTIONS = ("被告人基本情况", "案由和案件来源", "案件事实", "起诉的根据和理由", "认罪认罚情况", "附项")
NON_PROSECUTION_SECTIONS = ("被不起诉人基本情况", "案由和案件来源", "案件事实", "不起诉的根据和理由", "涉案财物处理",
                            "告知事项")
NP_NOTICE_SECTIONS = ("被害人申诉告知", "被不起诉人申诉告知")  # also keys of 不起诉决定书 SECTIONS (DOC-007)
JUDGMENT_SECTIONS = ("法律依据", "控辩意见", "上诉告知")
RECOMMENDATION_SECTIONS = ("法定刑", "量刑情节", "刑种刑期", "执行方式", "理由依据")  # 量刑建议书 (DOC-003)
PLEA_AGREEMENT_SECTIONS = ("认罪", "同意量刑建议", "同意程序适用")  # 认罪认罚具结书 (DOC-004)
OPINION_SECTIONS = ("认罪情况",)  # 起诉意见书 (DOC-010)

# --- slot roles (Slot.role) -----------------------------------------------------------
SLOT_SUSPECT_SIGNATURE = "被讯问人签名"
SLOT_SUSPECT_FINGERPRINT = "被讯问人指印"
SLOT_INTERROGATOR_SIGNATURE = "讯问人签名"
SLOT_RECORDER_SIGNATURE = "记录人签名"
SLOT_DEFENDANT_SIGNATURE = "犯罪嫌疑人签名"
SLOT_LAWYER_SIGNATURE = "律师签名"
SLOT_PROSECUTOR = "检察官署名"
SLOT_COURT_SEAL = "院印"
SLOT_JUDGE = "审判人员署名"
SLOT_CLERK = "书记员署名"
SLOT_RECIPIENT_SIGNATURE = "受送达人签名"
SLOT_NOTIFIED_SIGNATURE = "被告知人签名"
SLOT_GUARDIAN_SIGNATURE = "法定代理人签名"   # also 合适成年人 (讯问笔录, 具结书)
SLOT_DETAINEE_SIGNATURE = "被执行人签名"     # 拘留证/逮捕证 附卷联 (kind signature or fingerprint)
SLOT_EXECUTOR_SIGNATURE = "执行人签名"       # 拘留证/逮捕证
SLOT_DOC_DATE = "成文日期"                   # kind "date": the 落款 date of 起诉书/不起诉决定书/量刑建议书
SLOT_SIGN_DATE = "签收日期"                  # kind "date": 送达回证 签收日期 handwritten
SLOT_ORGAN_SEAL = "公章"                     # kind "seal": 公安机关 seal (拘留证, 提请批准逮捕书, 起诉意见书 …)
SLOT_SERVER_SIGNATURE = "送达人签名"         # 送达回证 送达人

# --- case events (CaseSummary.dates keys) ----------------------------------------------
EVENTS = ("受案", "立案", "拘留", "提请批准逮捕", "批准逮捕", "逮捕", "移送审查起诉", "受理", "告知",
          "起诉", "撤回起诉", "不起诉", "判决")
