"""Plausible company names built from word lists, with subsidiaries named after their parent."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FIRST = (
    "Acme",
    "Blue",
    "Bright",
    "Cedar",
    "Clear",
    "Copper",
    "Crimson",
    "Delta",
    "Echo",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "Meridian",
    "Nimbus",
    "North",
    "Oak",
    "Orbit",
    "Pine",
    "Polar",
    "Quartz",
    "Red",
    "Ridge",
    "River",
    "Sage",
    "Silver",
    "Summit",
    "Swift",
    "Terra",
    "Tidal",
    "Union",
    "Vertex",
    "Willow",
    "Zenith",
    "Atlas",
)
SECOND = (
    "Analytics",
    "Bio",
    "Cloud",
    "Data",
    "Dynamics",
    "Energy",
    "Foods",
    "Freight",
    "Health",
    "Industries",
    "Insights",
    "Labs",
    "Logistics",
    "Media",
    "Metrics",
    "Networks",
    "Partners",
    "Robotics",
    "Security",
    "Software",
    "Solutions",
    "Systems",
    "Technologies",
    "Ventures",
    "Works",
    "Retail",
    "Capital",
    "Mobility",
    "Studio",
    "Learning",
)
SUFFIX = ("Inc.", "LLC", "Corp.", "Ltd", "GmbH", "Group", "Co.", "Pty Ltd")
SUBSIDIARY_SUFFIX = ("US Inc.", "Europe GmbH", "Asia Pte. Ltd.")


def company_names(rng: np.random.Generator, region: np.ndarray, parent: np.ndarray) -> pa.Array:
    """One name per customer; a subsidiary gets its parent's name plus a regional suffix."""
    n = len(region)
    first = rng.integers(0, len(FIRST), n)
    second = rng.integers(0, len(SECOND), n)
    suffix = rng.integers(0, len(SUFFIX), n)
    child = parent >= 0
    first[child] = first[parent[child]]
    second[child] = second[parent[child]]
    ending = pa.array(SUFFIX + SUBSIDIARY_SUFFIX).take(
        pa.array(np.where(child, len(SUFFIX) + region, suffix))
    )
    return pc.binary_join_element_wise(
        pa.array(FIRST).take(pa.array(first)),
        pa.array(SECOND).take(pa.array(second)),
        ending,
        " ",
    )
