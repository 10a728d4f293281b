"""Input files read by Spark itself, each row numbered exactly as the user sees it.

Parquet: `_metadata.row_index` is the row's position in its file, so `_row` = row_index + 1.
CSV: Spark reads lines as text (split across tasks by byte ranges), numbers them from each split's
start offset and position, then parses each line with `from_csv`. The header is row 1, a blank line
(or one of only commas) is skipped but still counted, and a line with the wrong number of fields is
returned as a reject.
Quoted values may not contain line breaks here (they are rejected as unclosed quotes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netretain.engines.readers import csv_header
from netretain.errors import Reject

CSV_OPTIONS = {
    "mode": "PERMISSIVE",
    "columnNameOfCorruptRecord": "_corrupt",
    "escape": '"',
    "nullValue": "\u0000",
}


def stage_parquet(session: Any, path: Path) -> Any:
    """A Parquet file with `_row` (1-based) from Spark's row-index metadata column."""
    from pyspark.sql import functions as F

    frame = session.read.parquet(str(path))
    return frame.select("*", (F.col("_metadata.row_index") + 1).cast("long").alias("_row"))


def numbered_lines(session: Any, path: Path) -> Any:
    """Every physical line of a text file with its 1-based line number, computed in Spark.

    A split's lines are contiguous in `monotonically_increasing_id` within its task, so a line's
    number is (lines in earlier splits) + (its id - the split's first id) + 1. The lines are
    checkpointed first so the ids are drawn once.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    raw = session.read.text(str(path)).select(
        "value",
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_id"),
    )
    lines = raw.localCheckpoint(eager=True)
    blocks = lines.groupBy("_block").agg(F.count("*").alias("_n"), F.min("_id").alias("_first"))
    before = Window.orderBy("_block").rowsBetween(Window.unboundedPreceding, -1)
    blocks = blocks.select(
        "_block",
        (F.coalesce(F.sum("_n").over(before), F.lit(0)) - F.col("_first") + 1).alias("_base"),
    )
    numbered = lines.join(F.broadcast(blocks), "_block")
    return numbered.select("value", (F.col("_id") + F.col("_base")).alias("_row"))


def stage_csv(session: Any, path: Path) -> tuple[Any, list[Reject]]:
    """A CSV file as text columns plus `_row`, and the lines with the wrong number of fields."""
    from pyspark.sql import functions as F

    names = csv_header(path)
    lines = numbered_lines(session, path)
    # a blank line, or one of only commas, is no row (as on every engine)
    lines = lines.filter((F.col("_row") > 1) & ~F.col("value").rlike("^,*$"))
    fields = [f"c{i}" for i in range(len(names))]
    ddl = ", ".join(f"{f} STRING" for f in [*fields, "_corrupt"])
    parsed = lines.select("_row", "value", F.from_csv("value", ddl, CSV_OPTIONS).alias("r"))
    parsed = parsed.select(
        "_row", "value", *[F.col(f"r.{f}") for f in fields], F.col("r._corrupt").alias("_corrupt")
    ).localCheckpoint(eager=True)
    good = parsed.filter(F.col("_corrupt").isNull()).select(
        *[
            F.coalesce(F.col(f), F.lit("")).alias(name)
            for f, name in zip(fields, names, strict=True)
        ],
        "_row",
    )
    return good, _malformed(parsed.filter(F.col("_corrupt").isNotNull()), path, len(names))


def _malformed(bad: Any, path: Path, expected: int) -> list[Reject]:
    from pyspark.sql import functions as F

    unquoted = F.regexp_replace("value", r'"([^"]|"")*"', "")
    found = F.size(F.split(unquoted, ",", -1))
    rows = (
        bad.select("_row", "value", found.alias("found"), F.instr(unquoted, '"').alias("quote"))
        .orderBy("_row")
        .collect()
    )
    return [
        Reject(
            str(path), int(r["_row"]), "*", _reason(expected, r["found"], r["quote"]), r["value"]
        )
        for r in rows
    ]


def _reason(expected: int, found: int, quote: int) -> str:
    if quote:
        return "a quoted value is not closed (Spark reads no line breaks inside quotes)"
    return f"expected {expected} fields, found {found}"
