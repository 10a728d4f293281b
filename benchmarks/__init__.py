"""Benchmarks: netretain against hand-written DuckDB SQL and pandas on a synthetic company."""
