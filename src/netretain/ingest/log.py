"""What the ledger keeps of each ingest, as expressions: the ingest log, rejects, refused rows."""

from __future__ import annotations

import ibis.expr.types as ir


def ingest_log(ingests: ir.Table) -> ir.Table:
    """One row per file per ingest, in ingest order."""
    return ingests.order_by("ingest_id")


def kept_rejects(rejects: ir.Table, ingest_id: int | None = None) -> ir.Table:
    """Every kept reject (of one ingest, when given), in a stable order."""
    if ingest_id is not None:
        rejects = rejects.filter(rejects.ingest_id == ingest_id)
    return rejects.order_by(["ingest_id", "kind", "file", "row", "column", "reason"])


def refused_rows(refused: ir.Table, ingest_id: int | None = None) -> ir.Table:
    """A kind's refused rows as they came (of one ingest, when given), in file order."""
    if ingest_id is not None:
        refused = refused.filter(refused._ingest_id == ingest_id)
    return refused.order_by(["_ingest_id", "_file", "_row"])
