"""Analysis views over the ledger: cohorts, segments, trend, bridge, explain, drill-down, more.

Each view is an Ibis expression builder taking (sources, definition, ...) and a `Query` that turns
the expression's few rows into a small result record; `Ledger` runs the queries by month label.
"""

from netretain.analysis.attributes import SIZE_BANDS, SMALL_SEGMENT, available, enricher
from netretain.analysis.benchmarks import Benchmark, Placement, benchmark, load
from netretain.analysis.bridge import Bridge, bridge
from netretain.analysis.cohorts import CohortMatrix, cohort_matrix, cohort_table
from netretain.analysis.drill import Behind, behind, behind_table
from netretain.analysis.explain import Explanation, explain, split
from netretain.analysis.metrics import MetricsMonth, metrics, metrics_table
from netretain.analysis.segments import SegmentTable, segment_table, segments, trend

__all__ = [
    "SIZE_BANDS",
    "SMALL_SEGMENT",
    "Behind",
    "Benchmark",
    "Bridge",
    "CohortMatrix",
    "Explanation",
    "MetricsMonth",
    "Placement",
    "SegmentTable",
    "available",
    "behind",
    "behind_table",
    "benchmark",
    "bridge",
    "cohort_matrix",
    "cohort_table",
    "enricher",
    "explain",
    "load",
    "metrics",
    "metrics_table",
    "segment_table",
    "segments",
    "split",
    "trend",
]
