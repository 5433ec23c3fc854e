"""Extraction: ingest a dossier, OCR pages without text, split and classify documents,
extract fields with provenance, detect seals and signatures.

Public entry point: :func:`extract_case` (path → :class:`models.CaseFile`).
"""

from extractors.errors import DossierReadError  # noqa: F401
from extractors.case import extract_case  # noqa: F401
