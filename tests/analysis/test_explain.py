"""The NDR change decomposition: hand-computed effects that sum exactly to the change."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F

import pytest

from netretain.analysis import split
from netretain.definitions import resolve
from netretain.errors import UnsupportedError
from tests.conftest import definition

SIX = definition(window_months=6)


def test_mix_and_rate_effects_by_hand(tiny):
    # 2024-07 (cohort 2024-01): SMB 300 -> 100, Enterprise 1800 -> 1800, NDR 1900/2100.
    # 2025-01 (cohort 2024-07): SMB 100 -> 100, Enterprise 2100 -> 2400, NDR 2500/2200.
    e = tiny.explain("2024-07", "2025-01", by="segment", top=10, definition=SIX)
    assert (e.ndr_from, e.ndr_to) == (F(19, 21), F(25, 22))
    assert e.change == F(107, 462)
    seg = {r["segment"]: r for r in e.segments}
    assert seg["SMB"]["weight_from"] == F(1, 7) and seg["SMB"]["weight_to"] == F(1, 22)
    assert seg["SMB"]["mix_effect"] == F(-5, 77)
    assert seg["SMB"]["rate_effect"] == F(29, 462)
    assert seg["Enterprise"]["mix_effect"] == F(225, 2156)
    assert seg["Enterprise"]["rate_effect"] == F(279, 2156)
    assert e.mix_effect + e.rate_effect == e.change  # exactly, not approximately
    assert sum(r["total"] for r in e.segments) == e.change


def test_customer_contributions_sum_to_the_change(tiny):
    e = tiny.explain("2024-07", "2025-01", by="segment", top=10, definition=SIX)
    who = {c["customer_id"]: c for c in e.customers}
    assert [c["customer_id"] for c in e.customers[:3]] == ["C", "B", "D"]
    assert who["C"]["contribution"] == F(500, 2200)
    assert (who["C"]["movement"], who["C"]["amount"]) == ("expansion", Decimal("500.00"))
    assert who["B"]["contribution"] == F(200, 2100)  # its churn left the window
    assert (who["B"]["movement"], who["B"]["from_movement"]) == (None, "churn")
    assert who["D"]["contribution"] == F(-200, 2200)
    assert sum(c["contribution"] for c in e.customers) == e.change


def test_segment_in_one_period_only_is_all_mix():
    start = {("a",): (100, 90)}
    end = {("a",): (100, 110), ("b",): (50, 60)}
    effects = dict(split(start, end))
    assert effects[("b",)]["rate_effect"] == 0
    assert effects[("b",)]["mix_effect"] == F(50, 150) * F(60, 50)
    assert effects[("b",)]["ndr_from"] is None
    change = F(170, 150) - F(90, 100)
    assert sum(v["total"] for v in effects.values()) == change


def test_json_shape_and_compounded_refused(tiny):
    data = tiny.explain("2024-07", "2025-01", by="segment", top=2, definition=SIX).to_dict()
    assert data["change"] == pytest.approx(data["mix_effect"] + data["rate_effect"])
    assert len(data["customers"]) == 2
    with pytest.raises(UnsupportedError, match="ratio of sums"):
        tiny.explain("2024-07", "2025-01", definition=resolve("compounded-monthly"))
