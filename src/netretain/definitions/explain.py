"""Plain words for what a definition does: its window, and how it differs from another.

Derived from the fields alone, so a new preset or a user's TOML file is explained too.
"""

from __future__ import annotations

from decimal import Decimal

from netretain.definitions.model import Definition


def window_text(d: Definition) -> str:
    """How the definition looks back: 'trailing 12 months', 'previous month', ..."""
    n = d.window_months
    span = "previous month" if n == 1 else f"trailing {n} months"
    if d.method == "compounded":
        return f"{n} monthly rates compounded" if n > 1 else "one monthly rate"
    if d.method == "movements":
        return f"movements summed over the {span}"
    return span


def differences(d: Definition, reference: Definition) -> list[str]:
    """Why `d`'s figures differ from `reference`'s: one phrase per field that changes them."""
    found: list[str] = []
    if d.method != reference.method:
        found.append(_METHOD[d.method])
    if d.window_months != reference.window_months:
        found.append(
            "compares with the previous month"
            if d.window_months == 1
            else f"looks back {d.window_months} months"
        )
    if sorted(d.revenue) != sorted(reference.revenue):
        found.append(f"counts {' and '.join(sorted(d.revenue))} revenue only")
    if d.fx != reference.fx:
        found.append(_FX[d.fx])
    if d.gap_tolerance_days != reference.gap_tolerance_days:
        found.append(
            f"a renewal up to {d.gap_tolerance_days} days late is not churn"
            if d.gap_tolerance_days
            else "a renewal a day late is churn then new"
        )
    if d.reactivation_window_months != reference.reactivation_window_months:
        found.append(
            f"a return after more than {d.reactivation_window_months} months at zero is new"
            if d.reactivation_window_months
            else "a return after any gap is a reactivation"
        )
    if Decimal(d.min_starting_mrr) != Decimal(reference.min_starting_mrr):
        floor = Decimal(d.min_starting_mrr).normalize()
        found.append(
            f"leaves out customers under {floor:f} MRR at the start"
            if floor
            else "keeps every customer"
        )
    if d.gdr_cap != reference.gdr_cap:
        found.append(_GDR[d.gdr_cap])
    if d.account_level != reference.account_level:
        found.append(_LEVEL[d.account_level])
    return found


_METHOD = {
    "cohort": "compares the same customers' MRR at both ends of the window",
    "compounded": "compounds monthly rates: customers who join during the year count too",
    "movements": "sums monthly movements: counts monthly dips as contraction",
}
_FX = {
    "actual": "converts each month at its own FX rate",
    "constant": "converts both ends at the window start's FX rates: currency moves do not count",
}
_GDR = {
    "customer": "caps GDR customer by customer",
    "aggregate": "caps GDR on the cohort's total, so expansion offsets losses",
}
_LEVEL = {
    "customer": "counts each customer on its own",
    "parent": "rolls customers up to their parent account",
}
