"""SHA-256 in each engine's own SQL, for the revenue log (RFC 6962 leaf and node hashes).

Ibis has no byte hash, so each engine names its functions here: DuckDB `sha256` (of text for a
leaf, of a blob for a node), Spark `sha2(binary, 256)`, PostgreSQL `sha256(bytea)` (wrapped in the
`nr_*_sha256` functions that postgres_sql installs). Every function returns lower-case hex; leaves
are hashed from their UTF-8 text and inner nodes from the hex of their children, so no binary
column crosses an engine.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

LEAF_PREFIX = "00"  # RFC 6962: SHA-256(0x00 || leaf)
NODE_PREFIX = "01"  # SHA-256(0x01 || left || right)


@ibis.udf.scalar.builtin
def sha256(data: dt.Binary) -> str:  # type: ignore[empty-body]
    """DuckDB: hex SHA-256 of a blob."""


@ibis.udf.scalar.builtin(name="sha256")
def sha256_text(text: str) -> str:  # type: ignore[empty-body]
    """DuckDB: hex SHA-256 of a string's UTF-8 bytes."""


@ibis.udf.scalar.builtin
def decode(data: dt.Binary) -> str:  # type: ignore[empty-body]
    """DuckDB: bytes read as a string (a string may hold the NUL byte)."""


@ibis.udf.scalar.builtin
def sha2(data: dt.Binary, bits: int) -> str:  # type: ignore[empty-body]
    """Spark: hex SHA-2 of a binary."""


@ibis.udf.scalar.builtin
def unhex(text: str) -> dt.Binary:
    """DuckDB and Spark: the bytes a hex string spells."""


@ibis.udf.scalar.builtin(name="encode")
def spark_encode(text: str, charset: str) -> dt.Binary:
    """Spark: a string's bytes in a charset."""


@ibis.udf.scalar.builtin(name="concat")
def concat_bytes(left: dt.Binary, right: dt.Binary) -> dt.Binary:
    """DuckDB and Spark: two byte strings joined."""


@ibis.udf.scalar.builtin
def nr_leaf_sha256(text: str) -> str:  # type: ignore[empty-body]
    """PostgreSQL (postgres_sql.FUNCTIONS): hex SHA-256(0x00 || UTF-8 text)."""


@ibis.udf.scalar.builtin
def nr_hex_sha256(hexes: str) -> str:  # type: ignore[empty-body]
    """PostgreSQL (postgres_sql.FUNCTIONS): hex SHA-256 of the bytes a hex string spells."""


def _node_hex(left: ir.StringValue, right: ir.StringValue) -> ir.StringValue:
    return ibis.literal(NODE_PREFIX) + left + right


def duckdb_leaf(text: ir.StringValue) -> ir.StringValue:
    """Hashed as text with a NUL byte in front: the same bytes as 0x00 || UTF-8, without the
    blob conversions (which took half of the log's time at ingest)."""
    return sha256_text(decode(unhex(ibis.literal(LEAF_PREFIX))) + text)


def duckdb_node(left: ir.StringValue, right: ir.StringValue) -> ir.StringValue:
    return sha256(unhex(_node_hex(left, right)))


def spark_leaf(text: ir.StringValue) -> ir.StringValue:
    data = concat_bytes(unhex(ibis.literal(LEAF_PREFIX)), spark_encode(text, "UTF-8"))
    return sha2(data, 256)


def spark_node(left: ir.StringValue, right: ir.StringValue) -> ir.StringValue:
    return sha2(unhex(_node_hex(left, right)), 256)


def postgres_leaf(text: ir.StringValue) -> ir.StringValue:
    return nr_leaf_sha256(text)


def postgres_node(left: ir.StringValue, right: ir.StringValue) -> ir.StringValue:
    return nr_hex_sha256(_node_hex(left, right))
