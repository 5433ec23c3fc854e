"""A dossier's files → documents and bound volumes: the step above :mod:`extractors.classify` and
:mod:`extractors.volumes`.

Files are grouped into runs (:func:`file_runs`: consecutive loose images of one folder form one run,
every other file is a run of its own); a PDF or OFD run is first read as bound volumes
(:func:`extractors.volumes.analyse`: stamped page numbers, covers, the 卷内文书目录, separator sheets),
and each run is then split into typed documents by :func:`extractors.classify.split_documents`, with
the rows of a confident 目录 as extra document boundaries. Kept apart from ``classify`` so that
``volumes`` may use the classifier's title matching without the two importing each other.
"""

from __future__ import annotations

import posixpath

from models import Volume

from extractors import volumes as vol
from extractors.classify import FilePages, Segment, cached_titles, split_documents


def file_runs(files: list[FilePages]) -> list[list[FilePages]]:
    """Group files (in ingest order) into runs whose pages are split together.

    Consecutive image files (kind ``"image"``) in the same folder form one run, since a
    scanned document often arrives one image per page; every other file (PDF, DOCX, text)
    is a run of its own, so a document never continues from a PDF into an image, from one
    PDF into the next, or across folders.
    """
    runs: list[list[FilePages]] = []
    for item in files:
        name, kind, _ = item
        prev = runs[-1][-1] if runs else None
        if prev is not None and kind == "image" and prev[1] == "image" \
                and posixpath.dirname(prev[0]) == posixpath.dirname(name):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def split_files(files: list[FilePages]) -> list[Segment]:
    """Split the files of a dossier (in ingest order) into typed documents (see :func:`split_dossier`)."""
    return split_dossier(files)[0]


def split_dossier(files: list[FilePages]) -> tuple[list[Segment], list[Volume]]:
    """Split the files of a dossier (in ingest order) into typed documents, and read its volumes.

    Each run of :func:`file_runs` is split by :func:`split_documents`; pages without any
    text (blank or unreadable scans) are left out of a run that has text, so a blank page
    neither starts a document nor interrupts one. A PDF or OFD file is first read as bound
    volumes (:mod:`extractors.volumes`): stamped page numbers come off the pages, separator
    sheets become furniture, and the rows of a confident 卷内文书目录 split documents too.
    """
    with cached_titles():
        return _split_dossier(files)


def _split_dossier(files: list[FilePages]) -> tuple[list[Segment], list[Volume]]:
    segments: list[Segment] = []
    volumes: list[Volume] = []
    for run in file_runs(files):
        pages = [p for _, _, ps in run for p in ps]
        found = None
        if len(run) == 1 and run[0][1] in ("pdf", "ofd"):
            found = vol.analyse(run[0][0], pages)
            volumes.extend(found.volumes)
        kept = [p for p in pages if p.lines or p.text_source != "none"] or pages
        if found is None:
            segments.extend(split_documents(kept))
            continue
        follow = {n for v in found.volumes for n in v.toc_pages[1:]}  # a 目录 running on over pages is one document
        segs = split_documents(kept, vol.boundaries(found.volumes), found.separators, follow)
        for v in found.volumes:
            for seg in segs:
                if seg.pages[0].number in v.pages:
                    seg.volume = v.label
        segments.extend(segs)
    return segments, volumes
