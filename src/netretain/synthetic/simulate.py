"""Month-by-month billing simulation, vectorised across customers (one Python step per month)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netretain.synthetic import params as P
from netretain.synthetic.calendar import Calendar
from netretain.synthetic.columns import (
    LINE_DTYPES,
    NO_MONTH,
    NULL_DATE,
    SUBSCRIPTION_DTYPES,
    ColumnBuffer,
)
from netretain.synthetic.customers import CustomerFrame
from netretain.synthetic.health import Health
from netretain.synthetic.usage import UsageModel


@dataclass(frozen=True)
class SimulationResult:
    """Raw invoice-line and subscription columns plus how many subscription ids were issued."""

    lines: dict[str, np.ndarray]
    subscriptions: dict[str, np.ndarray]
    subscription_count: int
    usage: dict[str, np.ndarray]
    health: dict[str, np.ndarray]


def simulate(
    frame: CustomerFrame,
    calendar: Calendar,
    rng: np.random.Generator,
    health_rng: np.random.Generator | None = None,
) -> SimulationResult:
    """Run every month of the simulation and return the billing, usage and health it produced."""
    health = Health(frame.count, health_rng or np.random.default_rng(0))
    sim = _Simulation(frame, calendar, rng, health)
    for month in range(calendar.months):
        sim.step(month)
    return sim.finish()


class _Simulation:
    """Per-customer subscription state, advanced one month at a time for all customers at once."""

    def __init__(
        self, frame: CustomerFrame, calendar: Calendar, rng: np.random.Generator, health: Health
    ) -> None:
        n = frame.count
        self.f, self.cal, self.rng, self.health = frame, calendar, rng, health
        self.usage_model = frame.pricing == P.USAGE_MODEL
        self.active = np.zeros(n, dtype=bool)
        self.fresh = np.zeros(n, dtype=bool)
        self.anchor = frame.signup_day.copy()
        self.next_renewal = np.full(n, NO_MONTH, dtype=np.int32)
        self.period_month = np.zeros(n, dtype=np.int32)
        self.period_start = np.zeros(n, dtype=np.int32)
        self.period_end = np.zeros(n, dtype=np.int32)
        self.interval = frame.interval.copy()
        self.seats = np.where(self.usage_model, 1, frame.seats).astype(np.int32)
        self.plan = frame.plan.copy()
        self.subscription = np.full(n, -1, dtype=np.int64)
        self.segment_start = np.zeros(n, dtype=np.int32)
        self.reactivate_month = np.full(n, NO_MONTH, dtype=np.int32)
        self.issued = 0
        self.signup_bounds = np.searchsorted(frame.signup_month, np.arange(calendar.months + 1))
        self.usage = UsageModel(frame, self._monthly_cents(np.arange(n)), rng)
        self.lines = ColumnBuffer(LINE_DTYPES)
        self.subs = ColumnBuffer(SUBSCRIPTION_DTYPES)

    def step(self, m: int) -> None:
        """Advance all customers through month `m`."""
        self.health.step()
        self._start(m)
        self._reactivate(m)
        self._renew(m)
        self._upgrade(m)
        self._bill_usage(m)
        paying = np.flatnonzero(self.active)
        self.health.observe(paying, m, self.seats[paying], self.plan[paying])

    def finish(self) -> SimulationResult:
        """Close the books: subscriptions-only customers still active get open-ended rows."""
        still = np.flatnonzero(self.active)
        self._close_segments(still, np.full(len(still), NULL_DATE, dtype=np.int32))
        return SimulationResult(
            self.lines.finish(),
            self.subs.finish(),
            self.issued,
            self.health.usage.finish(),
            self.health.recorded.finish(),
        )

    def _new_ids(self, count: int) -> np.ndarray:
        ids = np.arange(self.issued, self.issued + count, dtype=np.int64)
        self.issued += count
        return ids

    def _monthly_cents(
        self,
        idx: np.ndarray,
        seats: np.ndarray | None = None,
        plan: np.ndarray | None = None,
        interval: np.ndarray | None = None,
    ) -> np.ndarray:
        seats = self.seats[idx] if seats is None else seats
        plan = self.plan[idx] if plan is None else plan
        interval = self.interval[idx] if interval is None else interval
        list_usd = np.where(self.usage_model[idx], P.PLATFORM_FEE_USD[plan], P.SEAT_PRICE_USD[plan])
        local = list_usd * 100 * P.CURRENCY_PRICE_FACTOR[self.f.currency[idx]]
        unit = np.rint(local * (1 - self.f.discount[idx]))
        return np.rint(seats * unit * P.INTERVAL_PRICE_FACTOR[interval]).astype(np.int64)

    def _begin(self, idx: np.ndarray, m: int) -> None:
        self.active[idx] = True
        self.fresh[idx] = True
        self.next_renewal[idx] = m
        self.subscription[idx] = self._new_ids(len(idx))
        self.segment_start[idx] = self.cal.date(m, self.anchor[idx])

    def _start(self, m: int) -> None:
        idx = np.arange(self.signup_bounds[m], self.signup_bounds[m + 1])
        self._begin(idx, m)
        self._onboarding_fees(idx[self.f.onboarding[idx]], m)

    def _onboarding_fees(self, fee: np.ndarray, m: int) -> None:
        seg = self.f.segment[fee]
        low, high = P.ONBOARDING_USD[seg].T
        usd = np.rint((low + (high - low) * self.rng.random(len(fee))) / 10) * 10
        cents = np.rint(usd * P.CURRENCY_PRICE_FACTOR[self.f.currency[fee]]) * 100
        invoice = self.cal.date(m, self.anchor[fee])
        self.lines.add(
            len(fee),
            customer=fee,
            kind=P.ONE_TIME,
            invoice=invoice,
            start=NULL_DATE,
            end=NULL_DATE,
            cents=cents,
            quantity=1,
            plan=-1,
            subscription=-1,
        )

    def _reactivate(self, m: int) -> None:
        idx = np.flatnonzero(self.reactivate_month == m)
        self.reactivate_month[idx] = NO_MONTH
        self.anchor[idx] = self.rng.integers(1, 29, len(idx))
        kept = np.rint(self.seats[idx] * self.rng.uniform(0.6, 1.0, len(idx)))
        seats = np.where(self.usage_model[idx], 1, np.maximum(kept, 1))
        self.seats[idx] = seats
        self._begin(idx, m)

    def _renew(self, m: int) -> None:
        due = np.flatnonzero(self.active & (self.next_renewal == m))
        renewing = due[~self.fresh[due]]
        hazard = P.CHURN_HAZARD[self.f.segment[renewing]]
        hazard = np.minimum(hazard * self.health.churn_factor(renewing), 0.9)
        churn = self.rng.random(len(renewing)) < 1 - (1 - hazard) ** self.interval[renewing]
        self._churn(renewing[churn], m)
        self._change_terms(renewing[~churn], m)
        self._bill_period(due[self.active[due]], m)

    def _churn(self, idx: np.ndarray, m: int) -> None:
        self._close_segments(idx, self.period_end[idx])
        self.active[idx] = False
        self.next_renewal[idx] = NO_MONTH
        back = idx[self.rng.random(len(idx)) < P.REACTIVATION_P]
        low, high = P.REACTIVATION_DELAY
        self.reactivate_month[back] = m + self.rng.integers(low, high + 1, len(back))

    def _change_terms(self, idx: np.ndarray, m: int) -> None:
        n, seg, seats = len(idx), self.f.segment[idx], self.seats[idx]
        interval, plan = self.interval[idx], self.plan[idx]
        up = P.EXPAND_RATE[seg] * self.health.factor(idx, P.HEALTH_EXPAND)
        down = P.CONTRACT_RATE[seg] * self.health.factor(idx, -P.HEALTH_CONTRACT)
        p_up = 1 - (1 - np.minimum(up, 0.45)) ** interval
        p_down = np.minimum(1 - (1 - np.minimum(down, 0.45)) ** interval, 1 - p_up)
        draw = self.rng.random(n)
        expand, contract = draw < p_up, (draw >= p_up) & (draw < p_up + p_down)
        grow = np.maximum(1, np.rint(seats * self.rng.uniform(*P.EXPAND_SIZE, n)))
        shrink = np.maximum(1, np.rint(seats * self.rng.uniform(*P.CONTRACT_SIZE, n)))
        delta = np.where(expand, grow, 0) - np.where(contract, shrink, 0)
        new_seats = np.where(self.usage_model[idx], seats, np.maximum(1, seats + delta))
        step_up = expand & (self.rng.random(n) < P.PLAN_UPGRADE_ON_EXPANSION_P) & (plan < 3)
        to_annual = (interval == 1) & (self.rng.random(n) < P.TO_ANNUAL_P)
        new_plan, new_interval = plan + step_up, np.where(to_annual, 12, interval)
        changed = idx[(new_seats != seats) | step_up | to_annual]
        renewal_day = self.period_end[changed]
        self._close_segments(changed, renewal_day)
        self.seats[idx], self.plan[idx], self.interval[idx] = new_seats, new_plan, new_interval
        self._open_segments(changed, renewal_day)

    def _bill_period(self, idx: np.ndarray, m: int) -> None:
        anchor, interval = self.anchor[idx], self.interval[idx]
        start = self.cal.date(m, anchor)
        end = self.cal.date(m + interval, anchor)
        self.period_month[idx], self.period_start[idx], self.period_end[idx] = m, start, end
        self.next_renewal[idx] = m + interval
        self.fresh[idx] = False
        bill = ~self.f.subscriptions_only[idx]
        cents = self._monthly_cents(idx) * interval
        self._add_recurring(idx[bill], start[bill], start[bill], end[bill], cents[bill])

    def _upgrade(self, m: int) -> None:
        eligible = self.active & (self.interval > 1) & (self.period_month < m) & ~self.usage_model
        cand = np.flatnonzero(eligible)
        rate = P.UPGRADE_RATE[self.f.segment[cand]] * self.health.factor(cand, P.HEALTH_EXPAND)
        idx = cand[self.rng.random(len(cand)) < rate]
        when = self.cal.date(m, self.rng.integers(1, 29, len(idx)))
        extra = np.rint(self.seats[idx] * self.rng.uniform(*P.UPGRADE_SIZE, len(idx)))
        added = np.maximum(1, extra).astype(np.int32)
        before = self._monthly_cents(idx)
        increase = self._monthly_cents(idx, seats=self.seats[idx] + added) - before
        start, end = self.period_start[idx], self.period_end[idx]
        share = (end - when) / (end - start)
        cents = np.rint(increase * self.interval[idx] * share).astype(np.int64)
        bill = ~self.f.subscriptions_only[idx]
        self._add_recurring(idx[bill], when[bill], when[bill], end[bill], cents[bill], added[bill])
        self._close_segments(idx, when)
        self.seats[idx] += added
        self._open_segments(idx, when)

    def _add_recurring(
        self,
        idx: np.ndarray,
        invoice: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        cents: np.ndarray,
        quantity: np.ndarray | None = None,
    ) -> None:
        self.lines.add(
            len(idx),
            customer=idx,
            kind=P.SUBSCRIPTION,
            invoice=invoice,
            start=start,
            end=end,
            cents=cents,
            quantity=self.seats[idx] if quantity is None else quantity,
            plan=self.plan[idx],
            subscription=self.subscription[idx],
        )

    def _bill_usage(self, m: int) -> None:
        idx = np.flatnonzero(self.active & self.usage.enabled)
        start = self.cal.date(m, self.anchor[idx])
        end = self.cal.date(m + 1, self.anchor[idx])
        units, cents = self.usage.draw(idx, m)
        quantity = np.where(self.usage_model[idx], units, -1)
        self.lines.add(
            len(idx),
            customer=idx,
            kind=P.USAGE,
            invoice=end,
            start=start,
            end=end,
            cents=cents,
            quantity=quantity,
            plan=self.plan[idx],
            subscription=self.subscription[idx],
        )

    def _close_segments(self, idx: np.ndarray, end: np.ndarray) -> None:
        keep = self.f.subscriptions_only[idx]
        idx, end = idx[keep], end[keep]
        self.subs.add(
            len(idx),
            subscription=self.subscription[idx],
            customer=idx,
            start=self.segment_start[idx],
            end=end,
            cents=self._monthly_cents(idx) * self.interval[idx],
            interval=self.interval[idx],
            quantity=self.seats[idx],
            plan=self.plan[idx],
        )

    def _open_segments(self, idx: np.ndarray, start: np.ndarray) -> None:
        keep = self.f.subscriptions_only[idx]
        self.subscription[idx[keep]] = self._new_ids(int(keep.sum()))
        self.segment_start[idx[keep]] = start[keep]
