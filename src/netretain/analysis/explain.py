"""What moved NDR between two as-of months: segment mix versus within-segment rates, exactly.

NDR_t = sum_s w_s,t * r_s,t, with w = the segment's share of the cohort's starting MRR and r = the
segment's NDR. The change splits symmetrically (the two-factor Shapley / midpoint split):

    mix_s  = (w_s,to - w_s,from) * (r_s,from + r_s,to) / 2
    rate_s = (r_s,to - r_s,from) * (w_s,from + w_s,to) / 2
    sum_s (mix_s + rate_s) = NDR_to - NDR_from, exactly

A segment present in one period only takes its rate from the other one, so its whole contribution
is mix. The arithmetic is done in exact fractions of integer cents; floats only for display.

Per customer, NDR = 1 + sum_i (end_i - start_i) / S, so customer i contributes
(end_i,to - start_i,to) / S_to - (end_i,from - start_i,from) / S_from, and these also sum to the
change. The customers with the largest contributions (either sign) are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import ibis
import ibis.expr.types as ir

from netretain.analysis.attributes import enricher, parse_by
from netretain.analysis.segments import segment_table, sort_key
from netretain.core import retention
from netretain.core.arith import month_label
from netretain.core.monthly import Sources
from netretain.core.query import Query, Row
from netretain.core.results import Stamped, money
from netretain.definitions.model import Definition
from netretain.errors import LedgerError, UnsupportedError

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Explanation(Stamped):
    """The NDR change between two as-of months and its exact mix / rate split."""

    start: str
    end: str
    by: tuple[str, ...]
    ndr_from: Fraction
    ndr_to: Fraction
    mix_effect: Fraction
    rate_effect: Fraction
    segments: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def change(self) -> Fraction:
        """NDR at `end` minus NDR at `start`, exactly."""
        return self.ndr_to - self.ndr_from

    def totals(self) -> dict[str, float]:
        """NDR at both months, its change and the two effects, as floats."""
        values = (self.ndr_from, self.ndr_to, self.change, self.mix_effect, self.rate_effect)
        names = ("ndr_from", "ndr_to", "change", "mix_effect", "rate_effect")
        return {name: float(v) for name, v in zip(names, values, strict=True)}

    def segment_rows(self) -> list[dict[str, Any]]:
        """Per-segment effects plus a '(total)' row, as floats (the CSV shape)."""
        total: dict[str, Any] = {name: "(total)" for name in self.by}
        total |= {"mix_effect": self.mix_effect, "rate_effect": self.rate_effect}
        return [_floats(r) for r in [*self.segments, {**total, "total": self.change}]]

    def lead(self) -> dict[str, Any]:
        return {"from": self.start, "to": self.end, "by": list(self.by)}

    def body(self) -> dict[str, Any]:
        return {
            **self.totals(),
            "segments": [_floats(s) for s in self.segments],
            "customers": [_floats(c) for c in self.customers],
        }


def _floats(row: dict[str, Any]) -> dict[str, Any]:
    """Fractions as floats, for JSON and CSV."""
    return {k: float(v) if isinstance(v, Fraction) else v for k, v in row.items()}


def split(
    start: dict[Key, tuple[int, int]], end: dict[Key, tuple[int, int]]
) -> list[tuple[Key, dict[str, Fraction | None]]]:
    """Mix and rate effects per segment, from {key: (starting_cents, ending_cents)} per month."""
    total_from = sum(s for s, _ in start.values())
    total_to = sum(s for s, _ in end.values())
    out = []
    for key in sorted(set(start) | set(end), key=repr):
        s0, e0 = start.get(key, (0, 0))
        s1, e1 = end.get(key, (0, 0))
        r0 = Fraction(e0, s0) if s0 else None
        r1 = Fraction(e1, s1) if s1 else None
        # a key is in start or end with a positive start, so one of the two rates exists
        a = r0 if r0 is not None else r1
        b = r1 if r1 is not None else r0
        assert a is not None and b is not None
        w0, w1 = Fraction(s0, total_from), Fraction(s1, total_to)
        mix = (w1 - w0) * (a + b) / 2
        rate = (b - a) * (w0 + w1) / 2
        values = {"weight_from": w0, "weight_to": w1, "ndr_from": r0, "ndr_to": r1}
        out.append((key, {**values, "mix_effect": mix, "rate_effect": rate, "total": mix + rate}))
    return out


def customer_contributions(
    sources: Sources,
    definition: Definition,
    *,
    start: int,
    end: int,
    totals: tuple[int, int],
    by: Sequence[str] = (),
) -> ir.Table:
    """Per customer in either cohort: its MRR at both ends of each window, its NDR contribution."""
    pairs = retention.pairs_for(sources, definition)
    enrich = enricher(sources, definition, by)
    if enrich is not None:
        pairs = enrich(pairs)

    def side(month: int, tag: str) -> ir.Table:
        """One as-of month's cohort, its columns prefixed so the two sides can be joined."""
        p = pairs.filter(pairs.as_of_index == month)
        return p.select(
            **{f"{tag}_customer": p.customer_id, f"{tag}_start": p.start_cents},
            **{f"{tag}_end": p.end_cents},
            **{f"{tag}_{name}": p[name] for name in by},
        )

    a, b = side(start, "a"), side(end, "b")
    j = a.outer_join(b, a.a_customer == b.b_customer)
    net_a = (j.a_end - j.a_start).fill_null(0).cast("float64") / totals[0]
    net_b = (j.b_end - j.b_start).fill_null(0).cast("float64") / totals[1]
    return j.select(
        customer_id=j.b_customer.fill_null(j.a_customer),
        **{name: j[f"b_{name}"].fill_null(j[f"a_{name}"]) for name in by},
        from_start_cents=j.a_start,
        from_end_cents=j.a_end,
        to_start_cents=j.b_start,
        to_end_cents=j.b_end,
        contribution=net_b - net_a,
    )


def _known(value: Fraction | None) -> Fraction:
    """An effect, which `split` always computes."""
    assert value is not None
    return value


def movement(start: int | None, end: int | None) -> tuple[str | None, int]:
    """A cohort customer's movement over one window and its size in cents."""
    if start is None:
        return None, 0
    end = end or 0
    if end == 0:
        return "churn", start
    if end > start:
        return "expansion", end - start
    if end < start:
        return "contraction", start - end
    return "flat", 0


def explain(
    sources: Sources,
    definition: Definition,
    *,
    start: int,
    end: int,
    by: str | Sequence[str] = ("segment",),
    top: int = 10,
) -> Query[Explanation]:
    """Decompose NDR(end) - NDR(start) into segment mix and within-segment rate effects."""
    if definition.method == "compounded":
        raise UnsupportedError(
            "explain needs NDR as a ratio of sums (methods cohort and movements); "
            f"{definition.ref} compounds monthly rates, so try the definition ndr"
        )
    attrs = parse_by(by)
    table = segment_table(sources, definition, by=attrs)

    def finish(rows: list[Row]) -> Query[Explanation]:
        sides: dict[int, dict[Key, tuple[int, int]]] = {start: {}, end: {}}
        for r in rows:
            key = tuple(r[name] for name in attrs)
            sides[r["as_of_index"]][key] = (int(r["starting_cents"]), int(r["ending_cents"]))
        totals = []
        for month in (start, end):
            total = sum(s for s, _ in sides[month].values())
            if not total:
                raise LedgerError(
                    f"no cohort at {month_label(month)}: nobody was paying a window before"
                )
            totals.append(total)
        effects = split(sides[start], sides[end])
        segment_rows = [{**dict(zip(attrs, key, strict=True)), **v} for key, v in effects]
        segment_rows.sort(key=lambda r: sort_key(r, attrs))
        ndr = [
            Fraction(sum(e for _, e in sides[m].values()), t)
            for m, t in zip((start, end), totals, strict=True)
        ]
        pair = (totals[0], totals[1])
        customers = top_customers(sources, definition, start, end, pair, attrs, top)
        return customers.then(
            lambda found: Explanation(
                start=month_label(start),
                end=month_label(end),
                by=attrs,
                definition=definition.stamp(),
                currency=sources.currency,
                ndr_from=ndr[0],
                ndr_to=ndr[1],
                mix_effect=sum((_known(v["mix_effect"]) for _, v in effects), Fraction(0)),
                rate_effect=sum((_known(v["rate_effect"]) for _, v in effects), Fraction(0)),
                segments=segment_rows,
                customers=found,
            )
        )

    return Query.one(table.filter(table.as_of_index.isin([start, end])), finish)


def top_customers(
    sources: Sources,
    definition: Definition,
    start: int,
    end: int,
    totals: tuple[int, int],
    attrs: Sequence[str],
    top: int,
) -> Query[list[dict[str, Any]]]:
    """The `top` customers by absolute contribution, with exact contributions."""
    if top <= 0:
        return Query.done([])
    t = customer_contributions(sources, definition, start=start, end=end, totals=totals, by=attrs)
    t = t.order_by([ibis.desc(t.contribution.abs()), t.customer_id]).limit(top)

    def finish(rows: list[Row]) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            to_move, to_amount = movement(r["to_start_cents"], r["to_end_cents"])
            from_move, from_amount = movement(r["from_start_cents"], r["from_end_cents"])
            net_to = (r["to_end_cents"] or 0) - (r["to_start_cents"] or 0)
            net_from = (r["from_end_cents"] or 0) - (r["from_start_cents"] or 0)
            out.append(
                {
                    "customer_id": r["customer_id"],
                    **{name: r[name] for name in attrs},
                    "movement": to_move,
                    "amount": money(to_amount),
                    "from_movement": from_move,
                    "from_amount": money(from_amount),
                    "contribution": Fraction(net_to, totals[1]) - Fraction(net_from, totals[0]),
                }
            )
        return out

    return Query.one(t, finish)
