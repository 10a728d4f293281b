"""The shipped presets and the lookup of NAME[@VERSION]."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from netretain.definitions.model import Definition, from_mapping, load_file
from netretain.errors import DefinitionError, arg

DEFAULT_REF = "ndr@1"


@cache
def presets() -> tuple[Definition, ...]:
    """Every shipped definition, sorted by name then version."""
    found = []
    for entry in resources.files("netretain.definitions").joinpath("presets").iterdir():
        if entry.name.endswith(".toml"):
            with resources.as_file(entry) as path:
                found.append(load_file(path))
    return tuple(sorted(found, key=lambda d: (d.name, d.version)))


def default() -> Definition:
    """The built-in default: `ndr` v1 (trailing-12 cohort, subscription + usage, actual FX)."""
    return resolve(DEFAULT_REF)


def resolve(ref: str) -> Definition:
    """Find NAME or NAME@VERSION among the presets; NAME alone means its latest version."""
    name, _, version = ref.partition("@")
    matches = [d for d in presets() if d.name == name]
    if version:
        matches = [d for d in matches if str(d.version) == version]
    if not matches:
        names = ", ".join(sorted({d.ref for d in presets()}))
        raise DefinitionError(f"no definition {ref!r}; known: {names}")
    return matches[-1]


def diff(a: Definition, b: Definition) -> list[dict[str, Any]]:
    """The fields where two definitions differ, with both values keyed by NAME@VERSION."""
    left, right = a.to_dict(), b.to_dict()
    # A preset and an edited copy can share NAME@VERSION: label them apart or one value is lost.
    a_label, b_label = (a.ref, b.ref) if a.ref != b.ref else (f"{a.ref} (a)", f"{b.ref} (b)")
    return [
        {"field": key, a_label: left.get(key), b_label: right.get(key)}
        for key in left
        if left.get(key) != right.get(key)
    ]


def from_options(ref: str | None = None, file: str | None = None) -> Definition:
    """The definition a face asked for: a file wins over a name; neither means the default."""
    if ref and file:
        raise DefinitionError(f"give {arg('definition')} or {arg('definition_file')}, not both")
    if file:
        return load_file(file)
    return resolve(ref) if ref else default()


__all__ = ["DEFAULT_REF", "default", "diff", "from_mapping", "from_options", "presets", "resolve"]
