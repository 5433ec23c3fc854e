"""What the service's shell commands share (``assistant serve|keys|users|batch``): the consoles and
the service database's session factory, with a Chinese error and exit code 1 when it is unusable."""

from __future__ import annotations

import typer
from rich.console import Console

con = Console()
err = Console(stderr=True)


def service_sessions():
    """The session factory of the service database (``DATABASE_URL``), or exit 1 with the reason."""
    from api.db import session_factory
    from api.settings import ServiceSettings
    from assistant.database import DatabaseUnavailable

    try:
        return session_factory(ServiceSettings().db_url)
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]错误：[/]{exc}")
        raise typer.Exit(1)
