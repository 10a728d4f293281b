"""Draw customer attributes (signup, segment, region, plan, pricing) as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from netretain.synthetic import params as P
from netretain.synthetic.arrow import CUSTOMERS_SCHEMA, date_array, id_strings, labels
from netretain.synthetic.calendar import Calendar
from netretain.synthetic.names import company_names


@dataclass(frozen=True)
class CustomerFrame:
    """Per-customer attributes, one array element per customer in signup order."""

    signup_month: np.ndarray
    signup_day: np.ndarray
    segment: np.ndarray
    region: np.ndarray
    currency: np.ndarray
    plan: np.ndarray
    gtm: np.ndarray
    pricing: np.ndarray
    interval: np.ndarray
    seats: np.ndarray
    discount: np.ndarray
    subscriptions_only: np.ndarray
    onboarding: np.ndarray
    parent: np.ndarray

    @property
    def count(self) -> int:
        """Number of customers."""
        return len(self.segment)


def _categorical(rng: np.random.Generator, p_by_row: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per element, using the probability row selected by `rows`."""
    cumulative = np.cumsum(p_by_row, axis=1)[rows]
    draws = rng.random(len(rows))[:, None]
    return np.minimum((draws >= cumulative).sum(axis=1), p_by_row.shape[1] - 1).astype(np.int8)


def _signups(rng: np.random.Generator, n: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Signup month and day for `n` customers with growing monthly signups, sorted by date."""
    weights = (1 + P.SIGNUP_GROWTH) ** np.arange(months)
    month = rng.choice(months, size=n, p=weights / weights.sum()).astype(np.int32)
    day = rng.integers(1, 29, size=n).astype(np.int32)
    order = np.lexsort((day, month))
    return month[order], day[order]


def _currency(rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    """USD for NA and APAC; EUR or GBP for EMEA."""
    gbp = rng.random(len(region)) < P.EMEA_GBP_P
    emea = region == P.REGIONS.index("EMEA")
    return np.where(emea, np.where(gbp, 2, 1), 0).astype(np.int8)


def _seats(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    """Seat counts, log-normal around a segment median and clipped to the segment's range."""
    raw = np.rint(P.SEATS_MEDIAN[segment] * rng.lognormal(0.0, 0.5, len(segment)))
    return np.clip(raw, P.SEATS_MIN[segment], P.SEATS_MAX[segment]).astype(np.int32)


def _parents(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    """Parent index for ~3% of non-Enterprise customers: an earlier Enterprise customer, else -1."""
    n = len(segment)
    enterprise_code = P.SEGMENTS.index("Enterprise")
    enterprise = np.flatnonzero(segment == enterprise_code)
    candidates = np.searchsorted(enterprise, np.arange(n))
    child = (segment != enterprise_code) & (rng.random(n) < P.SUBSIDIARY_P / (1 - P.SEGMENT_P[2]))
    child &= candidates > 0
    pick = np.floor(rng.random(n) * np.maximum(candidates, 1)).astype(np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    parent[child] = enterprise[pick[child]]
    return parent


def generate_customers(rng: np.random.Generator, n: int, months: int) -> CustomerFrame:
    """Draw `n` customers with the segment, region, pricing and billing mix in `params`."""
    signup_month, signup_day = _signups(rng, n, months)
    segment = rng.choice(3, size=n, p=P.SEGMENT_P).astype(np.int8)
    region = rng.choice(3, size=n, p=P.REGION_P).astype(np.int8)
    subscriptions_only = rng.random(n) < P.SUBSCRIPTIONS_ONLY_P
    pricing = _categorical(rng, P.PRICING_P, segment)
    sales_led = rng.random(n) < P.SALES_LED_P[segment]
    return CustomerFrame(
        signup_month=signup_month,
        signup_day=signup_day,
        segment=segment,
        region=region,
        currency=_currency(rng, region),
        plan=_categorical(rng, P.PLAN_P, segment),
        gtm=sales_led.astype(np.int8),
        pricing=np.where(subscriptions_only, P.SEAT_MODEL, pricing).astype(np.int8),
        interval=P.INTERVALS[_categorical(rng, P.INTERVAL_P, segment)].astype(np.int32),
        seats=_seats(rng, segment),
        discount=np.where(sales_led, np.round(rng.random(n) * P.MAX_DISCOUNT, 2), 0.0),
        subscriptions_only=subscriptions_only,
        onboarding=~subscriptions_only & (rng.random(n) < P.ONBOARDING_P[segment]),
        parent=_parents(rng, segment),
    )


def customer_ids(n: int) -> pa.Array:
    """Customer ids C0000001.. in signup order."""
    return id_strings("C", np.arange(1, n + 1), max(7, len(str(n))))


def customers_table(
    frame: CustomerFrame, calendar: Calendar, rng: np.random.Generator, ids: pa.Array
) -> pa.Table:
    """The customers table in netretain's documented column order."""
    has_parent = frame.parent >= 0
    parent_pos = np.where(has_parent, frame.parent, 0)
    columns = [
        ids,
        company_names(rng, frame.region, frame.parent),
        date_array(calendar.date(frame.signup_month, frame.signup_day)),
        ids.take(pa.array(parent_pos, mask=~has_parent)),
        labels(P.SEGMENTS, frame.segment),
        labels(P.REGIONS, frame.region),
        labels(P.PLANS, frame.plan),
        labels(P.GTM_MOTIONS, frame.gtm),
        labels(P.PRICING_MODELS, frame.pricing),
    ]
    return pa.Table.from_arrays(columns, schema=CUSTOMERS_SCHEMA)
