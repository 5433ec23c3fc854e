"""The service layer: what the ``/v1`` routers (:mod:`api.routes`) and the web pages (:mod:`api.web.routes`)
both do, written once.

- :mod:`api.services.intake` — dossiers coming in: the intake-root path check (security: the one place a
  client-named path is resolved and confined), uploads written to a temporary folder, a dossier copied from
  under the intake root, the name shown for a dossier.
- :mod:`api.services.scans` — scans: who may read one, queueing a new one or taking the existing one of the
  same content, the stored report with the evaluator's dispositions, recording a disposition.

Functions raise :class:`api.errors.ApiError` (status, code, Chinese message); the ``/v1`` routers answer it
as JSON, the web pages as an error page or a message on the form.
"""
