"""Exports: the ledger and its report tables to a PostgreSQL schema or a Parquet directory, and
per-account figures to a CRM import file. Tables stream in batches; a target is replaced whole.
With a saved model (`netretain train`), the accounts carry their risk and expansion scores.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from netretain.connectors import crm
from netretain.connectors.errors import ConnectorError
from netretain.core import monthly
from netretain.core.arith import month_label
from netretain.core.tables import literal_table
from netretain.errors import arg
from netretain.ledger.connectors import CURSORS
from netretain.ledger.ledger import Ledger
from netretain.store import SPECS, Store, input_table
from netretain.store.catalogue import DERIVED, RECORDS

# Tables an export writes: the inputs, the records, the derived tables, then the reports.
LEDGER_TABLES = (*(input_table(k) for k in SPECS), *RECORDS, *DERIVED)

MODELS_TABLE = "models"  # ledger/models.TABLE, named here so exports need no predict extra


SCORES = "_export_scores"
SCORE_SCHEMA = {
    "customer_id": "string",
    "churn_probability": "float64",
    "contraction_probability": "float64",
    "expansion_probability": "float64",
    "expected_expansion_cents": "int64",
    "model_id": "int64",
    "model_trained_until": "string",
    "scores_as_of": "string",
}
NO_MODEL = "no trained model: the exports carry no risk or expansion scores (netretain train)"


@dataclass(frozen=True)
class Scores:
    """Each account's risk and expansion scores at a month, by one saved model, as a table the
    store holds for the export's joins; `notes` say when that model is not current."""

    table: ir.Table
    model_id: int
    trained_until: str
    as_of: str
    notes: tuple[str, ...]


def scores(ledger: Ledger, as_of: str | None = None) -> Scores | None:
    """The accounts paying at `as_of`, scored by the newest saved model that may score it (see
    ledger.models); None when no model was trained. The expansion score is the expected
    expansion: P(expansion) x MRR x the model's median expansion share, in cents."""
    if not ledger.store.has(MODELS_TABLE):
        return None
    # Scoring needs the predict extra; an export of a ledger without models must not.
    from netretain.ledger import models as saved_models
    from netretain.ledger import predict

    month = ledger.month(as_of)
    label = month_label(month)
    fits = [m for m in saved_models.listing(ledger) if m["until"] <= label]
    if not fits:
        return None
    chosen = saved_models.saved_for(ledger, month, int(fits[0]["horizon_months"]))
    if chosen is None:
        return None
    now = predict.month_features(ledger, month)
    mrr = now["mrr_cents"].to_numpy(dtype=float)
    p = {t: chosen.fitted[t].predict_proba(now) for t in ("churn", "contraction", "expansion")}
    share = float(chosen.expansion_size.get("median_share_of_mrr", 0.0))
    model_id, until = int(chosen.info["id"]), str(chosen.info["trained_until"])
    rows = len(now)
    columns = {
        "customer_id": now["customer_id"].astype(str).tolist(),
        **{f"{t}_probability": np.round(p[t], 6).tolist() for t in p},
        # rounded as `netretain expansion` rounds its expected expansion
        "expected_expansion_cents": np.rint(p["expansion"] * mrr * share).astype("int64").tolist(),
        "model_id": [model_id] * rows,
        "model_trained_until": [until] * rows,
        "scores_as_of": [label] * rows,
    }
    table = ledger.store.temp(SCORES, literal_table(columns, SCORE_SCHEMA))
    return Scores(table, model_id, until, label, chosen.notes)


def with_scores(accounts: ir.Table, scored: Scores | None) -> ir.Table:
    """The accounts with their score columns (null for an account not paying at the month)."""
    if scored is None:
        return accounts
    joined = accounts.left_join(scored.table, "customer_id")
    return joined.drop("customer_id_right").order_by("customer_id")


def report_tables(
    ledger: Ledger, scored: Scores | None = None
) -> dict[str, Callable[[], Iterator[pa.RecordBatch]]]:
    """Every table an export writes, as a function streaming its batches."""
    store = ledger.store
    found: dict[str, Callable[[], Iterator[pa.RecordBatch]]] = {}
    for name in (*LEDGER_TABLES, CURSORS):
        if store.has(name):
            found[name] = _batches(store, store.table(name))
    if store.has("movements"):  # computed, not kept: native MRR by revenue type and currency
        found["mrr_components"] = _batches(store, monthly.components(ledger.sources))
    reports = {
        "report_months": [m.to_dict() for m in ledger.movements()],
        "report_trend": list(ledger.trend()),
        "report_cohorts": ledger.cohorts().to_dict()["cells"],
        "report_segments": [
            {"by": by, "segment": row.pop(by), **row}
            for by in ledger.attributes()
            for row in ledger.segments(by).to_dict()["segments"]
        ],
    }
    for name, rows in reports.items():
        if rows:
            found[name] = _rows(rows)
    accounts = account_table(ledger, "hubspot", None if scored is None else scored.as_of)
    found["report_accounts"] = _batches(store, with_scores(accounts, scored))
    return found


def _rows(rows: list[dict[str, Any]]) -> Callable[[], Iterator[pa.RecordBatch]]:
    return lambda: iter(pa.Table.from_pylist(_flat(rows)).to_batches())


def _flat(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Record dicts as table rows: a definition stamp becomes its name and sha256 columns."""
    out = []
    for row in rows:
        flat = {k: v for k, v in row.items() if k not in ("definition", "warnings")}
        if isinstance(stamp := row.get("definition"), dict):
            flat.update(definition=stamp.get("name"), sha256=stamp.get("sha256"))
        out.append(flat)
    return out


def _batches(store: Store, expr: ir.Table) -> Callable[[], Iterator[pa.RecordBatch]]:
    return lambda: store.to_arrow_batches(expr)


def export_parquet(
    ledger: Ledger, directory: str | Path, scored: Scores | None = None
) -> dict[str, int]:
    """Write every table as DIR/<table>.parquet; the new directory replaces the old one whole."""
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    written = {}
    try:
        for name, batches in report_tables(ledger, scored).items():
            written[name] = _write_parquet(fresh / f"{name}.parquet", batches())
        old = target.with_name(f".{target.name}-old")
        if target.exists():
            target.rename(old)
        fresh.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return written


def _write_parquet(path: Path, batches: Iterator[pa.RecordBatch]) -> int:
    rows, writer = 0, None
    for batch in batches:
        if writer is None:
            writer = pq.ParquetWriter(path, batch.schema)
        writer.write_batch(batch)
        rows += batch.num_rows
    if writer is not None:
        writer.close()
    return rows


def export_postgres(
    ledger: Ledger, url: str, schema: str = "netretain_export", scored: Scores | None = None
) -> dict[str, int]:
    """Write every table into `schema` of a PostgreSQL database, in one transaction: the schema
    is dropped and written again, so a reader sees the old export or the new one, never half."""
    from netretain.engines.postgres import connect, quote

    con = connect(url)
    written = {}
    try:
        with con.transaction():
            con.execute(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE")
            con.execute(f"CREATE SCHEMA {quote(schema)}")
            for name, batches in report_tables(ledger, scored).items():
                target = f"{quote(schema)}.{quote(name)}"
                written[name] = _copy_in(con, target, batches())
    finally:
        con.close()
    return written


def _copy_in(con: Any, target: str, batches: Iterator[pa.RecordBatch]) -> int:
    from ibis.backends.sql.datatypes import PostgresType

    from netretain.engines.postgres import quote

    rows, created = 0, False
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in batches:
        if not created:
            schema = ibis.Schema.from_pyarrow(batch.schema)
            columns = ", ".join(
                f"{quote(n)} {PostgresType.to_string(t)}" for n, t in schema.items()
            )
            con.execute(f"CREATE TABLE {target} ({columns})")
            created = True
        buffer = io.BytesIO()
        pacsv.write_csv(batch, buffer, write_options=options)
        with con.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        rows += batch.num_rows
    return rows


def account_table(ledger: Ledger, which: str, as_of: str | None = None) -> ir.Table:
    """Per-account MRR, MRR twelve months before, NDR contribution and movement at `as_of`."""
    if which not in crm.LAYOUTS:
        raise ConnectorError(f"{arg('crm')} must be one of {sorted(crm.LAYOUTS)}")
    store = ledger.store
    month = ledger.month(as_of)
    movements, customers = store.table("movements"), store.table("customers")
    start = store.to_arrow(crm.cohort_start(movements, month).name("s").as_table())
    start_cents = int(start.to_pylist()[0]["s"] or 0)
    return crm.accounts(customers, movements, month, start_cents, which)


def export_crm(
    ledger: Ledger,
    which: str,
    path: str | Path,
    as_of: str | None = None,
    scored: Scores | None = None,
) -> int:
    """Write the accounts as a CSV in the CRM's import layout (money in units, exact), with the
    score columns when `scored` (which must be of the same month)."""
    expr = with_scores(account_table(ledger, which, as_of), scored)
    label = month_label(ledger.month(as_of))
    if scored is not None and scored.as_of != label:
        raise ConnectorError(f"the scores are of {scored.as_of}, the accounts of {label}")
    header = crm.LAYOUTS[which] + (crm.SCORE_LAYOUTS[which] if scored else ())
    rows = 0
    target = Path(path)
    fresh = target.with_name(f".{target.name}.part")
    with fresh.open("wb") as out:
        out.write((",".join(header) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        for batch in ledger.store.to_arrow_batches(expr):
            table = _crm_batch(batch, label, header)
            pacsv.write_csv(table, out, write_options=options)
            rows += batch.num_rows
    fresh.replace(target)
    return rows


def _crm_batch(batch: pa.RecordBatch, label: str, header: tuple[str, ...]) -> pa.Table:
    """Cents as exact decimal units, the month stamped, columns named as the CRM wants."""
    cent = pa.scalar(Decimal("0.01"), pa.decimal128(3, 2))
    names = ("mrr", "start", "expected_expansion")
    units = {
        name: pc.multiply(pc.cast(batch.column(f"{name}_cents"), pa.decimal128(21, 0)), cent)
        for name in names
        if f"{name}_cents" in batch.schema.names
    }
    columns = [
        batch.column("crm_id"),
        batch.column("name"),
        batch.column("customer_id"),
        units["mrr"],
        units["start"],
        batch.column("ndr_contribution"),
        batch.column("movement"),
        pa.array([label] * batch.num_rows, pa.string()),
    ]
    if "model_id" in batch.schema.names:
        columns += [
            batch.column("churn_probability"),
            batch.column("contraction_probability"),
            batch.column("expansion_probability"),
            units["expected_expansion"],
            batch.column("model_id"),
            batch.column("scores_as_of"),
        ]
    return pa.table(dict(zip(header, columns, strict=True)))
