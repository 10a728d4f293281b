"""SQL functions netretain installs in its PostgreSQL schema, and the compiler that calls them.

PostgreSQL has no TRY_CAST and Ibis compiles `.try_cast()` there to a plain CAST, which aborts the
whole statement on the first bad value. The `nr_try_*` functions return NULL instead; they are plain
SQL (no exception blocks, so no subtransaction per row) and total: any input gives a value or NULL.
`nr_csv_fields` splits one CSV line (RFC 4180 quoting) so the server parses CSV itself.

PostgreSQL also flattens nested SELECTs by substituting each column with its expression, and has no
common-subexpression elimination: arithmetic built in steps (`arith.with_period_months`) grows
exponentially and takes seconds just to plan. The compiler fences exactly those derived tables
(`OFFSET 0`, which the planner never flattens) whose computed columns the outer query uses twice.
"""

from __future__ import annotations

from typing import ClassVar

import ibis.expr.operations as ops
import sqlglot.expressions as sge
from ibis.backends.sql.compilers.postgres import PostgresCompiler

from netretain.errors import UnsupportedError

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION nr_try_date(t text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN btrim(t) ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
     AND left(btrim(t), 4) <> '0000' THEN
      CASE WHEN substr(btrim(t), 9, 2)::int <= extract(day FROM
             make_date(left(btrim(t), 4)::int, substr(btrim(t), 6, 2)::int, 1)
             + interval '1 month' - interval '1 day')
           THEN btrim(t)::date END
  END
$$;

CREATE OR REPLACE FUNCTION nr_try_int8(t text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN btrim(t) ~ '^[+-]?[0-9]{1,18}$' THEN btrim(t)::bigint END
$$;

CREATE OR REPLACE FUNCTION nr_try_numeric(t text, p int, s int) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN btrim(t) ~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$' THEN
    CASE WHEN abs(round(btrim(t)::numeric, s)) < power(10::numeric, p - s)
         THEN round(btrim(t)::numeric, s) END
  END
$$;

CREATE OR REPLACE FUNCTION nr_try_float8(t text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN lower(btrim(t)) IN ('nan', '+nan', '-nan') THEN 'NaN'::float8
    WHEN lower(btrim(t)) IN ('inf', '+inf', 'infinity', '+infinity') THEN 'Infinity'::float8
    WHEN lower(btrim(t)) IN ('-inf', '-infinity') THEN '-Infinity'::float8
    WHEN btrim(t) ~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$' THEN
      CASE WHEN abs(btrim(t)::numeric) >= 1e308 THEN NULL
           WHEN btrim(t)::numeric <> 0 AND abs(btrim(t)::numeric) < 1e-307 THEN 0::float8
           ELSE btrim(t)::float8 END
  END
$$;

CREATE OR REPLACE FUNCTION nr_csv_fields(line text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN bool_and(left(m[1], 1) <> '"' OR m[1] ~ '^"([^"]|"")*"$') THEN
    array_agg(CASE WHEN left(m[1], 1) = '"'
                   THEN replace(substr(m[1], 2, length(m[1]) - 2), '""', '"')
                   ELSE m[1] END ORDER BY n)
  END
  FROM regexp_matches(line || ',', '("(?:[^"]|"")*"|[^,]*),', 'g') WITH ORDINALITY AS r(m, n)
$$;

CREATE OR REPLACE FUNCTION nr_leaf_sha256(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT encode(sha256('\x00'::bytea || convert_to(t, 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION nr_hex_sha256(h text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT encode(sha256(decode(h, 'hex')), 'hex')
$$;
"""


def fence_shared_columns(query: sge.Expression) -> sge.Expression:
    """Add OFFSET 0 to each derived table whose computed columns its parent reads more than once."""
    for select in list(query.find_all(sge.Select)):
        origin = select.args.get("from_", select.args.get("from"))  # "from" in older sqlglot
        sources = [origin, *(select.args.get("joins") or [])]
        for source in sources:
            derived = source.this if source is not None else None
            if not isinstance(derived, sge.Subquery) or not isinstance(derived.this, sge.Select):
                continue
            inner, alias = derived.this, derived.alias_or_name
            computed = {
                p.alias_or_name
                for p in inner.expressions
                if isinstance(p, sge.Alias) and not isinstance(p.this, sge.Column | sge.Literal)
            }
            uses: dict[str, int] = {}
            for column in select.find_all(sge.Column):
                if column.table == alias and column.name in computed:
                    uses[column.name] = uses.get(column.name, 0) + 1
            if any(n > 1 for n in uses.values()) and inner.args.get("offset") is None:
                inner.set("offset", sge.Offset(expression=sge.Literal.number(0)))
    return query


class NetretainPostgresCompiler(PostgresCompiler):
    """Ibis's PostgreSQL compiler with safe TRY_CAST from text and fenced shared columns."""

    # PostgreSQL before 16 has no any_value; Ibis names a `first` aggregate it does not define
    SIMPLE_OPS: ClassVar[dict] = {**PostgresCompiler.SIMPLE_OPS, ops.Arbitrary: "min"}

    def to_sqlglot(self, expr, **kwargs):
        return fence_shared_columns(super().to_sqlglot(expr, **kwargs))

    def visit_TryCast(self, op, *, arg, to):
        if not op.arg.dtype.is_string():
            raise UnsupportedError(
                f"PostgreSQL cannot try_cast {op.arg.dtype} to {to}: only text is parsed safely"
            )
        if to.is_date():
            return self.f.nr_try_date(arg)
        if to.is_decimal():
            precision = to.precision or 38
            scale = to.scale or 0
            return self.cast(self.f.nr_try_numeric(arg, precision, scale), to)
        if to.is_integer():
            return self.cast(self.f.nr_try_int8(arg), to)
        if to.is_floating():
            return self.cast(self.f.nr_try_float8(arg), to)
        if to.is_string():
            return arg
        raise UnsupportedError(f"PostgreSQL cannot try_cast text to {to}")


def compiler() -> NetretainPostgresCompiler:
    """A compiler instance for one connection."""
    return NetretainPostgresCompiler()
