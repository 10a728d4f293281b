"""Alerts: a churn spike injected into one segment is flagged in its month with that segment as
the driver; the same company without the spike raises no alert at all."""

import pytest

from netretain.core.arith import month_label
from tests.forecast.company import SEGMENTS, SPIKE_MONTH, company


def test_no_alert_without_a_spike() -> None:
    with company() as ledger:
        assert ledger.alerts()["alerts"] == []


@pytest.mark.parametrize("segment", SEGMENTS)
def test_a_churn_spike_in_one_segment_is_flagged_with_that_segment_as_driver(segment: str) -> None:
    with company(segment) as ledger:
        result = ledger.alerts()
    month = month_label(SPIKE_MONTH)
    churn = [a for a in result["alerts"] if a["figure"] == "churn_rate" and a["month"] == month]
    assert churn, result["alerts"]
    # the segment's own churn alert, its customers all from the segment
    own = next(a for a in churn if a["segment"] == segment)
    assert own["direction"] == "above" and own["excess"] > 0
    assert own["customers"] and all(c["segment"] == segment for c in own["customers"])
    # the company-wide churn alert, where the segment weighs enough to move it, names it first
    for overall in (a for a in churn if a["segment"] is None):
        assert overall["segments"][0]["segment"] == segment
    assert own["value"] > own["upper"]
    # a trailing-12 figure is flagged the month it leaves its range, not each month it stays out
    for figure in ("ndr", "gdr"):
        months = [a["month"] for a in result["alerts"] if a["figure"] == figure]
        assert len(months) == len(set(months)) <= 2
    # nothing else in the other segments that month
    assert not [a for a in churn if a["segment"] not in (None, segment)]


def test_since_keeps_later_months_only() -> None:
    with company("SMB") as ledger:
        after = ledger.alerts(since=month_label(SPIKE_MONTH + 1))["alerts"]
    assert all(a["month"] > month_label(SPIKE_MONTH) for a in after)
