"""A feature and its value in words a customer-success lead reads without a glossary."""

from __future__ import annotations

import math
import re
from typing import Any

from netretain.predict.features import ATTRIBUTE_PREFIX

INTERVALS = {1: "monthly", 3: "quarterly", 6: "half-yearly", 12: "annually"}
COUNTS = {
    "expansions": "expansion",
    "contractions": "contraction",
    "reactivations": "return after churning",
}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _money(cents: Any) -> str:
    return f"{abs(float(cents)) / 100:,.0f}"


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def describe(feature: str, value: Any) -> str:
    """E.g. ('mrr_growth_3m', -0.4) -> 'MRR fell 40% over 3 months'."""
    if m := re.fullmatch(r"mrr_growth_(\d+)m", feature):
        k = int(m.group(1))
        if _missing(value):
            return f"no MRR {_months(k)} ago (a new account)"
        if abs(value) < 0.005:
            return f"MRR flat over {_months(k)}"
        verb = "rose" if value > 0 else "fell"
        return f"MRR {verb} {abs(value) * 100:.0f}% over {_months(k)}"
    if m := re.fullmatch(r"mrr_change_(\d+)m", feature):
        k = int(m.group(1))
        if _missing(value) or value == 0:
            return f"MRR unchanged over {_months(k)}"
        verb = "up" if value > 0 else "down"
        return f"MRR {verb} {_money(value)} over {_months(k)}"
    if _missing(value):
        return f"{feature.removeprefix(ATTRIBUTE_PREFIX).replace('_', ' ')} unknown"
    return _plain(feature, value)


def _plain(feature: str, value: Any) -> str:
    if feature == "mrr_cents":
        return f"MRR of {_money(value)}"
    if feature == "tenure_months":
        return f"a customer for {_months(int(value))}"
    if feature == "months_to_renewal":
        return f"renews in {_months(int(value))}"
    if feature == "billing_interval_months":
        return f"billed {INTERVALS.get(int(value), f'every {_months(int(value))}')}"
    if feature == "months_since_last_movement":
        if int(value) == 0:
            return "MRR changed this month"
        return f"no change in MRR for {_months(int(value))}"
    if feature in COUNTS:
        n = int(value)
        return f"{n} past {COUNTS[feature]}{'s' if n != 1 and feature != 'reactivations' else ''}"
    if feature == "expansion_cents":
        return f"{_money(value)} of MRR gained in expansions so far"
    if feature == "contraction_cents":
        return f"{_money(value)} of MRR lost to contractions so far"
    if feature == "plan":
        return f"on the {value} plan"
    if feature.startswith(ATTRIBUTE_PREFIX):
        return f"{feature.removeprefix(ATTRIBUTE_PREFIX).replace('_', ' ')} is {value}"
    return f"{feature.replace('_', ' ')} = {value}"
