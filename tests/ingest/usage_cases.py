"""Hand-written expectations for tests/fixtures/bad_input/usage_events.csv and plans.csv.

Rows are the file's physical lines (the header is line 1). Shared by the DuckDB tests and the
every-engine tests, so each engine is held to the same hand-computed rejects.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bad_input"
USAGE = FIXTURES / "usage_events.csv"
PLANS = FIXTURES / "plans.csv"
NOT_A_DAY = "not a day or time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)"
UNKNOWN = "unknown customer: add it to customers (or bill it) before its usage"
CONFLICT = (
    "conflict: this customer_id+date+metric is given again with different content; "
    "the first row stands (row 14)"
)
# (row, column, reason, value)
USAGE_REJECTS = [
    (5, "date", NOT_A_DAY, "2024-02-30"),
    (6, "date", NOT_A_DAY, "2024-01-05T25:00"),
    (7, "date", NOT_A_DAY, "Jan 5 2024"),
    (8, "customer_id", UNKNOWN, "C9999999"),
    (9, "customer_id", "missing customer", ""),
    (10, "metric", "missing value", ""),
    (11, "quantity", "must not be negative", "-1"),
    (12, "quantity", "not a number", "lots"),
    (13, "quantity", "missing value", ""),
    (15, "customer_id+date+metric", CONFLICT, "C0000002/2024-01-07/exports"),
]
# accepted, unchanged (row 3 repeats row 2: the same time written another way), rejected
USAGE_COUNTS = (4, 1, 10)
# what usage_monthly holds for the metric afterwards: (customer_id, month YYYY-MM, quantity)
USAGE_MONTHLY = [("C0000001", "2024-01", 5.5), ("C0000002", "2024-01", 5.0)]
STORED_TIMES = ["2024-01-05", "2024-01-05T10:30:00", "2024-01-07", "2024-01-08T09:15:30.250"]
PLAN_REJECTS = [
    (4, "included_quantity", "must not be negative", "-5"),
    (5, "plan", "missing value", ""),
    (6, "included_quantity", "not a number", "many"),
]
PLAN_COUNTS = (1, 1, 3)


def reject_rows(result: object, file: Path) -> list[tuple[object, ...]]:
    """A result's rejects of one file as (row, column, reason, value), sorted."""
    rejects = getattr(result, "rejects")  # noqa: B009 - an IngestResult
    return sorted(
        (r.row, r.column, r.reason, r.value or "") for r in rejects if r.file == str(file)
    )
