"""Rule modules, one per catalog category; importing this package registers every rule."""

from checks.rules import con, dl, doc, evd, sg, similar, sub  # noqa: F401
