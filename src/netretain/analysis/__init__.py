"""Analysis views over the ledger: cohorts, segments, trend, bridge, explain, drill-down, more.

Each view is an Ibis expression builder taking (sources, definition, ...) plus a function that runs
it on a store and returns a small result record; `Ledger` exposes the records by month label.
"""

from netretain.analysis.attributes import SIZE_BANDS, SMALL_SEGMENT, available, enricher
from netretain.analysis.benchmarks import Benchmark, Placement, benchmark, load
from netretain.analysis.bridge import Bridge, bridge
from netretain.analysis.cohorts import CohortMatrix, cohort_matrix, cohort_table
from netretain.analysis.drill import Behind, behind, behind_table
from netretain.analysis.explain import Explanation, explain, split
from netretain.analysis.saas import SaasMonth, saas_metrics, saas_table
from netretain.analysis.segments import SegmentTable, segment_table, segments, trend

trend_table = segment_table  # every as-of month at once: `trend` reads a range of it

__all__ = [
    "SIZE_BANDS",
    "SMALL_SEGMENT",
    "Behind",
    "Benchmark",
    "Bridge",
    "CohortMatrix",
    "Explanation",
    "Placement",
    "SaasMonth",
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
    "saas_metrics",
    "saas_table",
    "segment_table",
    "segments",
    "split",
    "trend",
    "trend_table",
]
