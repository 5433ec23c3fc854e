"""Field extraction with evidence: one document's declared field recognizers, run.

:func:`extract_fields` reads one document's :class:`~extractors.text.DocText` and returns
``{vocab field name: Field}``. Which fields a document type has, and how each is read, is data:
the ``fields`` block of the type's form in ``extractors/forms/*.yaml`` (named patterns, context
words, zone, validator, or a named extractor), run by :mod:`extractors.recognizers`; a type that
declares none runs the ``default`` block of ``extractors/recognizers.yaml``. The named extractors
live in ``extractors/fields_people.py``, ``fields_law.py``, ``fields_dates.py`` and
``fields_structure.py``. Every value keeps the evidence it was read from (file, page, line box,
snippet, text source, confidence) and what produced it (recognizer, pattern, span). What a
document does not state is simply absent.
"""

from __future__ import annotations

from models import Field

from extractors import fields_dates, fields_law, fields_people, fields_structure  # noqa: F401 - register extractors
from extractors import recognizers
from extractors.fields_law import stated_charges
from extractors.lexicon import phrase_matches
from extractors.recognizers import Extraction
from extractors.text import DocText

__all__ = ["Extraction", "extract_fields", "stated_charges"]


def extract_fields(text: DocText, doc_type: str, title: str = "") -> dict[str, Field]:
    """All fields of one document, by the recognizers its type declares; ``title`` is the title
    spelling the classifier read (it picks the template variant named in evidence)."""
    x = Extraction(text, doc_type, title)
    x.matches = phrase_matches(text.text) if text.text else []
    recognizers.run(x, recognizers.specs_for(doc_type))
    return x.fields
