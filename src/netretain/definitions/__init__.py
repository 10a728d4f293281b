"""Metric definitions as data: presets, lookup, hashing and diff."""

from netretain.canonical import canonical_json
from netretain.definitions.explain import differences, window_text
from netretain.definitions.model import Definition, from_mapping, load_file
from netretain.definitions.registry import (
    DEFAULT_REF,
    default,
    diff,
    from_options,
    presets,
    resolve,
)

__all__ = [
    "DEFAULT_REF",
    "Definition",
    "canonical_json",
    "default",
    "diff",
    "differences",
    "from_mapping",
    "from_options",
    "load_file",
    "presets",
    "resolve",
    "window_text",
]
