"""Typed domain records: dossier, page, document, field, evidence, finding, report.

Imports nothing else of ours; every other package depends on this one.
"""

from models.records import (  # noqa: F401
    UNSURE_BELOW, BBox, Basis, CaseFile, CaseSummary, Document, DocumentPart, Evidence, Field, Finding, KeyReview, Line, Mark,
    Neighbour, Page, Person, Report, Sentence, SimilarCases, Slot, SourceFile, TextSource, TocEntry, Volume,
    parse_date, parse_datetime,
)
from models import vocab  # noqa: F401
