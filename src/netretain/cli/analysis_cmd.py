"""CLI commands of the analysis views (cohorts, segments, trend, bridge, explain, benchmark, metrics)."""

import typer


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the app."""
