"""Errors raised by extraction; messages are Chinese and shown to users as they are."""


class DossierReadError(Exception):
    """The dossier as a whole cannot be read (missing, empty, not a dossier)."""


class FileReadError(Exception):
    """One file cannot be read (corrupt, encrypted, unsupported); the rest of the dossier goes on."""

    def __init__(self, message: str, code: str = "unreadable"):
        super().__init__(message)
        self.code = code
