"""Guardrails: however offers are run month after month, an account's incentives never pass the
discount cap and its offers never come closer than the minimum gap (hypothesis)."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from netretain.incentives.offer_rules import Guardrails, Offer, resolve
from netretain.incentives.offers import Prior, guard

BASE = resolve("save-offer@1")

rules = st.builds(
    lambda cap, share, months, gap: replace(
        BASE,
        offer=Offer("test", discount=round(cap * share, 4), months=months),
        guardrails=Guardrails(discount_cap=cap, min_gap_months=gap),
    ),
    cap=st.floats(0.01, 0.9),
    share=st.floats(0.0, 1.0),
    months=st.integers(1, 12),
    gap=st.integers(0, 12),
)
customers = st.sampled_from(["a", "b", "c", "d"])
mrr = st.integers(1, 10_000_00)
# earlier grants that were not offers (rewards) also count against the cap
rewards = st.lists(
    st.tuples(customers, st.integers(0, 30), st.integers(0, 6), st.integers(1, 500_00)),
    max_size=6,
)
runs = st.lists(
    st.tuples(st.integers(0, 36), st.lists(st.tuples(customers, mrr), max_size=6)),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(rule=rules, rewards=rewards, runs=runs)
def test_cap_and_gap_hold_over_any_sequence_of_offers(rule, rewards, runs) -> None:
    history: dict[str, list[Prior]] = {}
    for customer, start, length, cents in rewards:
        history.setdefault(customer, []).append(Prior(start, start + length, cents, offer=False))
    for month, accounts in sorted(runs, key=lambda r: r[0]):
        kept, _ = guard(accounts, history, rule, month)
        assert len({g.customer_id for g in kept}) == len(kept)
        for g in kept:
            start, end = month + 1, month + rule.offer.months
            earlier = [p.start for p in history.get(g.customer_id, []) if p.offer]
            assert all(start - s >= rule.guardrails.min_gap_months for s in earlier)
            if g.offer_cents:
                for m in range(start, end + 1):
                    active = sum(p.mrr_cents for p in history.get(g.customer_id, []) if p.active(m))
                    assert active + g.offer_cents <= math.floor(
                        rule.guardrails.discount_cap * g.mrr_cents
                    )
            history.setdefault(g.customer_id, []).append(Prior(start, end, g.offer_cents))


def test_the_gap_and_the_cap_hold_back_by_hand() -> None:
    rule = replace(
        BASE,
        offer=Offer("test", discount=0.2, months=3),
        guardrails=Guardrails(discount_cap=0.25, min_gap_months=6),
    )
    history = {
        "recent": [Prior(11, 13, 0)],  # from month 11: this offer starts at 16, 5 months on
        "old": [Prior(5, 7, 2000)],  # from month 5: 11 months before, and over by then
        "rewarded": [Prior(14, None, 1000, offer=False)],  # 10 of 100 taken: 20 more passes 25
    }
    accounts = [("recent", 100_00), ("old", 100_00), ("rewarded", 100_00), ("old", 1)]
    kept, held = guard(accounts, history, rule, 15)
    assert [(g.customer_id, g.offer_cents) for g in kept] == [("old", 2000)]
    assert held == {"min_gap": 1, "discount_cap": 1}
