"""The analysis views as `Ledger` methods: month labels in, small result records out.

>>> ledger = Ledger("demo.duckdb")
>>> ledger.segments(by="segment,region").rows
>>> ledger.explain("2025-06", "2025-12", by="segment").mix_effect
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from netretain.analysis.benchmarks import Placement, benchmark
from netretain.analysis.bridge import Bridge, bridge
from netretain.analysis.cohorts import CohortMatrix, cohort_matrix
from netretain.analysis.drill import Behind, behind
from netretain.analysis.explain import Explanation, explain
from netretain.analysis.saas import SaasMonth, saas_metrics
from netretain.analysis.segments import SegmentTable, segments, trend
from netretain.core.ledger import Sources
from netretain.definitions import Definition, default
from netretain.engines.base import Store

By = str | Sequence[str]


class AnalysisViews:
    """Cohorts, segments, trend, bridge, explain, drill-down, benchmarks and SaaS metrics."""

    store: Store
    sources: Sources
    month: Callable[[str | None], int]  # Ledger's: a YYYY-MM label (None: latest) as an index

    def _run_args(self, definition: Definition | None) -> tuple[Store, Sources, Definition]:
        """What every analysis function takes first; no definition means the default."""
        return self.store, self.sources, definition or default()

    def cohorts(self, period: str = "month", definition: Definition | None = None) -> CohortMatrix:
        """Signup cohorts x age: revenue, gross and logo retention."""
        return cohort_matrix(*self._run_args(definition), period=period)

    def segments(
        self, by: By, as_of: str | None = None, definition: Definition | None = None
    ) -> SegmentTable:
        """NDR, GDR and logo retention per segment at one as-of month."""
        return segments(*self._run_args(definition), by=by, as_of=self.month(as_of))

    def trend(
        self,
        by: By = (),
        start: str | None = None,
        end: str | None = None,
        definition: Definition | None = None,
    ) -> list[dict[str, Any]]:
        """NDR, GDR and logo retention for every as-of month (and segment) in the range."""
        first = None if start is None else self.month(start)
        last = None if end is None else self.month(end)
        return trend(*self._run_args(definition), by=by, first=first, last=last)

    def bridge(
        self, as_of: str | None = None, by: By = (), definition: Definition | None = None
    ) -> list[Bridge]:
        """Starting MRR, expansion, contraction, churn, ending MRR: overall or by segment."""
        return bridge(*self._run_args(definition), as_of=self.month(as_of), by=by)

    def explain(
        self,
        start: str,
        end: str,
        by: By = ("segment",),
        top: int = 10,
        definition: Definition | None = None,
    ) -> Explanation:
        """The NDR change between two as-of months as exact segment-mix and rate effects."""
        return explain(
            *self._run_args(definition),
            start=self.month(start),
            end=self.month(end),
            by=by,
            top=top,
        )

    def behind(
        self,
        as_of: str | None = None,
        change: str | None = None,
        where: Mapping[str, str] | None = None,
        limit: int | None = None,
        definition: Definition | None = None,
    ) -> Behind:
        """The cohort customers behind a report's churned, contraction or expansion figure."""
        return behind(
            *self._run_args(definition),
            as_of=self.month(as_of),
            change=change,
            where=where,
            limit=limit,
        )

    def benchmark(
        self,
        as_of: str | None = None,
        by: By = (),
        definition: Definition | None = None,
        benchmarks_file: str | Path | None = None,
    ) -> Placement:
        """NDR and GDR against published survey benchmarks, overall and per segment."""
        return benchmark(
            *self._run_args(definition), as_of=self.month(as_of), by=by, path=benchmarks_file
        )

    def saas_metrics(
        self, start: str | None = None, end: str | None = None, definition: Definition | None = None
    ) -> list[SaasMonth]:
        """MRR, ARR, ARPA, churn rates, expansion rate, quick ratio and net new MRR per month."""
        first = None if start is None else self.month(start)
        return saas_metrics(self.store, self.sources, definition, first=first, last=self.month(end))
