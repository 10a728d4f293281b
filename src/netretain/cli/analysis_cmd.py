"""CLI commands of the analysis views: cohorts, segments, trend, bridge, explain, benchmark."""

import typer


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the app."""
