"""Typed domain records shared by extraction, checks, the index and outputs.

One intermediate model sits between extraction and checks (see ``../shared/style.md``):
a :class:`CaseFile` of :class:`Document` objects, each with :class:`Field` values
that carry :class:`Evidence` (file, page, box, snippet, text source, confidence),
and :class:`Slot` decisions for signatures, fingerprints and seals. Rules read only
this model; the report (:class:`Report`) is what every scan produces.

Values inside ``Field.value`` are JSON-friendly: dates are ISO ``YYYY-MM-DD``,
times ``YYYY-MM-DDTHH:MM``, persons and sentences are plain dicts shaped like
:class:`Person` and :class:`Sentence` (use ``Person.model_validate`` to type them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field as PField

TextSource = Literal["text-layer", "ocr", "mixed", "none"]
BBox = tuple[float, float, float, float]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Evidence(_Record):
    """Where a value was read: a snippet on one page, with its box in page coordinates.

    Boxes are ``[x0, y0, x1, y1]`` in PDF points from the top-left corner of the page
    (pixels / dpi * 72 for images), the same frame for text layers and OCR.
    """

    document_id: str = ""
    file: str
    page: int
    text: str
    bbox: BBox | None = None
    text_source: TextSource = "text-layer"
    confidence: float = 1.0
    #: Provenance, like Presidio's analysis explanation: the recognizer (a declared field recognizer or a
    #: named extractor, ``extractors.recognizers``), its pattern and the ``[start, end)`` offsets in the
    #: document's text that produced the value; None for evidence not made by field extraction.
    recognizer: str | None = None
    pattern: str | None = None
    span: tuple[int, int] | None = None

    def contract(self) -> dict[str, Any]:
        out = {
            "document_id": self.document_id,
            "file": self.file,
            "page": self.page,
            "text": self.text,
            "bbox": [round(v, 1) for v in self.bbox] if self.bbox else None,
        }
        if self.recognizer:  # additive keys of the contract: what produced the value
            out["recognizer"] = self.recognizer
            out["pattern"] = self.pattern
            out["span"] = list(self.span) if self.span else None
        return out


class Line(_Record):
    """One line of text on a page (a text-layer line or an OCR line)."""

    text: str
    bbox: BBox
    confidence: float = 1.0
    #: The line as the OCR (or a double-layer PDF's OCR layer) gave it, when look-alike characters
    #: of known phrases were restored in ``text`` (``extractors.anchors``); None when unchanged.
    read_as: str | None = None


class Mark(_Record):
    """A visual mark found on a page: red seal, red fingerprint, handwriting stroke cluster."""

    kind: Literal["seal", "fingerprint", "handwriting", "red_ink"]
    bbox: BBox
    score: float = 1.0


class Page(_Record):
    """One page of one source file; ``number`` is 1-based within the file."""

    file: str
    number: int
    width: float
    height: float
    text: str = ""
    lines: list[Line] = PField(default_factory=list)
    marks: list[Mark] = PField(default_factory=list)
    text_source: TextSource = "text-layer"
    needs_ocr: bool = False
    ocr_confidence: float | None = None
    rotation: int = 0
    #: OCR ran on this page in this scan (its text, if any, is the recogniser's; see ``assistant.coverage``).
    ocr_run: bool = False
    #: What OCR left unread on purpose (``extractors.triage``): ``"blank"`` (a blank sheet, not OCR'd) or
    #: ``"photo"`` (photographs; only the text outside them was read); ``""`` when read in full.
    ocr_skip: str = ""
    #: The page number stamped or printed on the sheet by the volume's numbering (卷内页号), when
    #: one was read; it differs from ``number`` (the PDF page) by the cover, 目录 and unnumbered sheets.
    stamp: int | None = None


class SourceFile(_Record):
    """A file of the dossier as ingested (after safe unpacking)."""

    name: str
    kind: Literal["pdf", "ofd", "docx", "image", "text", "other"]
    pages: int = 0
    sha256: str = ""
    error: str | None = None


#: A field read with less confidence than this is uncertain (an OCR date under a seal): rules do not
#: judge with it, the case overview marks it.
UNSURE_BELOW = 0.6


class Field(_Record):
    """A value extracted from a document, with the evidence it was read from."""

    value: Any
    evidence: list[Evidence] = PField(default_factory=list)
    confidence: float = 1.0
    #: The recognizer and pattern that produced the value (see :class:`Evidence`); None when unrecorded.
    recognizer: str | None = None
    pattern: str | None = None

    def contract(self) -> dict[str, Any]:
        out = {"value": self.value, "evidence": [e.contract() for e in self.evidence]}
        if self.recognizer:
            out["recognizer"] = self.recognizer
            out["pattern"] = self.pattern
        return out


class Slot(_Record):
    """A place on a document that must be signed, finger-printed or sealed.

    ``filled`` is ``None`` when the page was too poor to decide; ``who`` names the
    person or role the slot belongs to (e.g. the suspect's name, "值班律师", "院印").
    ``file`` is the source file of the slot's ``page`` (``None`` on slots made before it
    was recorded: read it as the document's ``file``).
    """

    role: str
    kind: Literal["signature", "fingerprint", "seal", "name", "date"]
    page: int
    filled: bool | None
    file: str | None = None
    confidence: float = 1.0
    who: str | None = None
    bbox: BBox | None = None
    evidence: Evidence | None = None
    #: The declared template (type·variant) whose slot this is, e.g. ``讯问笔录·公安机关讯问笔录``.
    template: str = ""


class DocumentPart(_Record):
    """The pages (1-based, in reading order) of one source file that belong to a document."""

    file: str
    pages: list[int]


class Document(_Record):
    """A logical document (起诉书, 讯问笔录 …).

    ``file`` and ``pages`` are the first source file and the document's pages in it. A
    document scanned as several loose images (``起诉书_p001.jpg``, ``起诉书_p002.jpg`` …)
    spans files: ``parts`` then lists every file with its pages, in reading order (the
    first part repeats ``file``/``pages``); it is empty for a document within one file.
    :meth:`page_refs` gives all ``(file, page)`` pairs either way.
    """

    id: str
    type: str
    title: str = ""
    file: str
    pages: list[int]
    parts: list[DocumentPart] = PField(default_factory=list)
    text_source: TextSource = "text-layer"
    text: str = ""
    fields: dict[str, Field] = PField(default_factory=dict)
    slots: list[Slot] = PField(default_factory=list)
    classification_confidence: float = 1.0
    #: What the document is to this case (:data:`models.vocab.ROLES`): the case's own procedural
    #: document, evidence material, another case's document or volume furniture. Rules read the
    #: case's own documents (evidence rules also the material); see ``checks.engine``.
    role: str = "case"
    #: Why the role was given, in Chinese (empty for the case's own documents typed by title).
    role_reason: str = ""
    #: The bound volume the document sits in (``第2卷 证据卷``), when the dossier is bound in volumes.
    volume: str = ""
    #: The stamped page numbers (卷内页号) of ``pages`` in order; None where a sheet bears none.
    stamped_pages: list[int | None] = PField(default_factory=list)

    def page_refs(self) -> list[tuple[str, int]]:
        """Every ``(file, page)`` of the document in reading order."""
        if self.parts:
            return [(part.file, n) for part in self.parts for n in part.pages]
        return [(self.file, n) for n in self.pages]

    @property
    def spans_files(self) -> bool:
        """True when the document runs over more than one source file."""
        return len(self.parts) > 1

    def value(self, name: str, default: Any = None) -> Any:
        f = self.fields.get(name)
        return default if f is None else f.value

    def date(self, name: str) -> dt.date | None:
        return parse_date(self.value(name))

    def datetime(self, name: str) -> dt.datetime | None:
        return parse_datetime(self.value(name))

    def evidence(self, name: str) -> list[Evidence]:
        f = self.fields.get(name)
        return list(f.evidence) if f else []

    def slots_for(self, role: str | None = None, kind: str | None = None) -> list[Slot]:
        return [s for s in self.slots if (role is None or s.role == role) and (kind is None or s.kind == kind)]

    def first_evidence(self) -> Evidence:
        return Evidence(document_id=self.id, file=self.file, page=self.pages[0] if self.pages else 1,
                        text=(self.title or self.type), text_source=self.text_source if self.text_source != "none" else "text-layer")


class Person(_Record):
    """A person as written in one document (suspect, defendant, victim, lawyer …)."""

    model_config = ConfigDict(extra="allow")

    name: str
    role: str | None = None
    gender: Literal["男", "女"] | None = None
    birth_date: str | None = None
    id_number: str | None = None
    ethnicity: str | None = None
    birthplace: str | None = None
    address: str | None = None
    education: str | None = None
    occupation: str | None = None


class Sentence(_Record):
    """A recommended or imposed penalty.

    ``kind`` is the principal penalty: 有期徒刑, 拘役, 管制, 无期徒刑, 死刑, 免予刑事处罚, 无罪,
    or 单处罚金. ``months`` is the term; ``range_months`` a [low, high] range for 幅度刑;
    ``probation_months`` the 缓刑考验期 when suspended.
    """

    model_config = ConfigDict(extra="allow")

    kind: str
    months: float | None = None
    range_months: tuple[float, float] | None = None
    suspended: bool = False
    probation_months: float | None = None
    fine_yuan: float | None = None
    text: str = ""


class Basis(_Record):
    """One legal provision a finding rests on: the law, the article and the words quoted."""

    law: str
    article: str | None = None
    quote: str = ""


class Finding(_Record):
    """A problem found by a rule: one per distinct problem, with its legal basis and evidence."""

    id: str = ""
    rule_id: str
    title: str
    category: str
    severity_points: int
    message: str
    basis: list[Basis] = PField(default_factory=list)
    evidence: list[Evidence] = PField(default_factory=list)
    preview: bool = False
    key: str = ""
    disposition: dict[str, Any] | None = None
    #: What the finding rests on, in Chinese: the template, the section or slot located, the span read.
    grounds: list[str] = PField(default_factory=list)
    #: The renderings its evidence was read from: ``text-layer`` (typed text), ``ocr`` (a scan read by
    #: OCR or the OCR layer of a double-layer PDF), ``image`` (a mark judged on the page image).
    renderings: list[str] = PField(default_factory=list)

    def contract(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "rule_id": self.rule_id,
            "title": self.title,
            "category": self.category,
            "severity_points": self.severity_points,
            "message": self.message,
            "basis": [b.model_dump() for b in self.basis],
            "evidence": [e.contract() for e in self.evidence],
        }
        if self.preview:
            out["preview"] = True
        if self.grounds:
            out["grounds"] = list(self.grounds)
        if self.renderings:
            out["renderings"] = list(self.renderings)
        if self.disposition:
            out["disposition"] = self.disposition
        return out


class CaseSummary(_Record):
    """The merged view of a case across its documents."""

    doc_numbers: list[str] = PField(default_factory=list)
    suspects: list[Person] = PField(default_factory=list)
    charges: list[str] = PField(default_factory=list)
    dates: dict[str, str] = PField(default_factory=dict)
    #: Events of ``dates`` whose only reading was uncertain (:data:`UNSURE_BELOW`).
    unsure_dates: list[str] = PField(default_factory=list)
    plea: bool | None = None
    in_custody: bool | None = None
    facts: str = ""

    def contract(self) -> dict[str, Any]:
        return {
            "doc_numbers": self.doc_numbers,
            "suspects": [
                {"name": p.name, "gender": p.gender, "birth_date": p.birth_date, "id_number": p.id_number}
                for p in self.suspects
            ],
            "charges": self.charges,
            "dates": self.dates,
            "unsure_dates": self.unsure_dates,
        }


class TocEntry(_Record):
    """One row of a volume's 卷内文书目录: 序号, 文书名称, 文号, 日期, 页号 as written, and where it points."""

    no: int | None = None
    name: str
    doc_number: str = ""
    date: str | None = None
    #: The stamped page numbers listed (页号 ``12-13`` → 12, 13; a single number → first = last = None-less start).
    first: int | None = None
    last: int | None = None
    #: The PDF page of the 目录 the row is written on, and the row's box there.
    page: int = 0
    bbox: BBox | None = None
    #: The PDF pages the listed page numbers map to (None when the number is not bound in the volume).
    pdf_first: int | None = None
    pdf_last: int | None = None
    #: The document type the row's name reads as ('' when no template knows it).
    type: str = ""
    #: The id of the bound document found at the row's first page ('' when none).
    document_id: str = ""


class Volume(_Record):
    """A bound volume (卷) of the dossier: its cover, 目录 and page numbering, read from one file.

    ``pages`` are the PDF pages of ``file`` that belong to it (a file may hold several volumes,
    each opening with its cover). ``stamps`` maps a PDF page to the number stamped on it.
    ``toc_confident`` is True when the 目录 was read and its page numbers agree with the bound
    documents well enough for a mismatch to be reported; ``problems`` are the mismatches found
    (Chinese), reported as warnings.
    """

    file: str
    pages: list[int] = PField(default_factory=list)
    label: str = ""
    title: str = ""
    name: str = ""
    cause: str = ""
    suspect: str = ""
    number: int | None = None
    total: int | None = None
    declared_pages: int | None = None
    cover_page: int | None = None
    toc_pages: list[int] = PField(default_factory=list)
    note_page: int | None = None
    numbering: str = ""
    stamps: dict[int, int] = PField(default_factory=dict)
    entries: list[TocEntry] = PField(default_factory=list)
    toc_confident: bool = False
    problems: list[str] = PField(default_factory=list)


class CaseFile(_Record):
    """Everything extraction knows about one dossier; the only input rules receive."""

    name: str
    files: list[SourceFile] = PField(default_factory=list)
    pages: list[Page] = PField(default_factory=list)
    documents: list[Document] = PField(default_factory=list)
    case: CaseSummary = PField(default_factory=CaseSummary)
    warnings: list[str] = PField(default_factory=list)
    #: The bound volumes (卷宗封面 / 卷内目录 / page numbering), when the dossier is bound in volumes.
    volumes: list[Volume] = PField(default_factory=list)

    def view(self, roles: tuple[str, ...]) -> "CaseFile":
        """The same case with only the documents of the given roles (a shallow copy: documents,
        pages and the summary are shared). Rules receive such a view (``checks.engine``)."""
        if all(d.role in roles for d in self.documents):
            return self
        return self.model_copy(update={"documents": [d for d in self.documents if d.role in roles]})

    def stamp_of(self, file: str, page: int) -> tuple[str, int | None] | None:
        """``(volume label, stamped number)`` of a PDF page of a volume, None outside volumes."""
        for v in self.volumes:
            if v.file == file and page in v.pages:
                return v.label, v.stamps.get(page)
        return None

    def of_type(self, *types: str) -> list[Document]:
        return [d for d in self.documents if d.type in types]

    def first(self, *types: str) -> Document | None:
        docs = self.of_type(*types)
        return docs[0] if docs else None

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == doc_id), None)


class Neighbour(_Record):
    """One similar decided case in the report: its id, charges, sentence and how it compares."""

    model_config = ConfigDict(extra="allow")

    id: str
    charges: list[str]
    sentence_months: float | None
    similarity: float


class SimilarCases(_Record):
    """The report's 类案比对 block: expected versus actual sentence, the deviation and the neighbours."""

    model_config = ConfigDict(extra="allow")

    expected_sentence_months: float | None = None
    actual_sentence_months: float | None = None
    deviation: float | None = None
    neighbours: list[Neighbour] = PField(default_factory=list)


class KeyReview(_Record):
    """Whether the case must go to 重点评查, and the reasons (Chinese)."""

    required: bool = False
    reasons: list[str] = PField(default_factory=list)


class Report(_Record):
    """The scan report of ``../shared/contract/report.md`` (schema v1) plus additive keys."""

    model_config = ConfigDict(extra="allow")

    schema_version: str = "1"
    dossier: dict[str, Any]
    documents: list[dict[str, Any]]
    case: dict[str, Any]
    findings: list[dict[str, Any]]
    key_review: KeyReview
    grade: str
    points: int
    similar_cases: dict[str, Any] | None = None
    warnings: list[str] = PField(default_factory=list)

    def contract(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if data.get("similar_cases") is None:
            data.pop("similar_cases", None)
        return data


def parse_date(value: Any) -> dt.date | None:
    """ISO date or datetime string (or date object) to a date; anything else to None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def parse_datetime(value: Any) -> dt.datetime | None:
    """ISO ``YYYY-MM-DDTHH:MM`` to a datetime; a bare date gives None (no time known)."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) >= 16 and value[10] == "T":
        try:
            return dt.datetime.fromisoformat(value[:16])
        except ValueError:
            return None
    return None
