"""`netretain serve`: the dashboard and REST API over one ledger, which the server then holds."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from netretain.cli.options import handle_errors


@handle_errors
def serve(
    db: Path = typer.Option(
        Path("netretain.duckdb"), "--db", help="The ledger file.", envvar="NETRETAIN_DB"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    api_key: str = typer.Option(
        None, "--api-key", help="Key for uploads (or NETRETAIN_API_KEY); never printed."
    ),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Where uploads are kept (default: DB-uploads/ beside the ledger)."
    ),
    max_upload_mb: int = typer.Option(200, "--max-upload-mb", help="Largest upload accepted."),
) -> None:
    """Serve the dashboard and the REST API (/api/v1, OpenAPI at /docs) over one ledger.

    Example: NETRETAIN_API_KEY=... netretain serve --db acme.duckdb --port 8000
    """
    import uvicorn

    from netretain.web.app import create_app
    from netretain.web.security import check_bind
    from netretain.web.state import Settings

    key = api_key or os.environ.get("NETRETAIN_API_KEY") or None
    check_bind(host, key)
    folder = data_dir or db.with_name(f"{db.stem}-uploads")
    settings = Settings(db=db, data_dir=folder, api_key=key, max_upload_bytes=max_upload_mb << 20)
    typer.echo(f"serving {db} on http://{host}:{port} (uploads {'on' if key else 'off'})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add the serve command."""
    app.command("serve")(serve)
