"""Jinja2 with autoescape on (customer names are user data) and the few display filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).parent / "templates"
NAV = (
    ("overview", "/", "Overview"),
    ("cohorts", "/cohorts", "Cohorts"),
    ("segments", "/segments", "Segments"),
    ("forecast", "/forecast", "Forecast"),
    ("customers", "/customers", "Customers"),
    ("risk", "/risk", "Risk"),
    ("definitions", "/definitions", "Definitions"),
    ("data", "/data", "Data"),
)


def pct(value: Any) -> str:
    """A ratio as a percentage with one decimal; a dash when there is none."""
    return "—" if value is None else f"{value:.1%}"


def money(value: Any) -> str:
    """An amount with thousands separators and two decimals."""
    return "—" if value is None else f"{value:,.2f}"


def show(key: str, value: Any) -> str:
    """A table cell: ratios as percentages, money with separators, the rest as text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "")
    if isinstance(value, float):
        ratio = (
            key in {"ndr", "gdr", "value", "median", "top_quartile"}
            or key.endswith(
                (
                    "_rate",
                    "retention",
                    "_effect",
                    "change",
                    "weight_from",
                    "weight_to",
                    "_from",
                    "_to",
                )
            )
            or key.endswith("_probability")
        )
        return pct(value) if ratio or key == "contribution" else money(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


# Autoescape for every template, whatever its file name: customer names are user data.
templates = Jinja2Templates(
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
)
templates.env.filters.update(pct=pct, money=money, show=show)
templates.env.globals["nav"] = NAV
