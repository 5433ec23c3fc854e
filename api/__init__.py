"""The scan service: a FastAPI app over :mod:`assistant` (see :func:`api.main.create_app`)."""
