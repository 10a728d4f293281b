"""A metric definition is data: a frozen record from TOML, named, versioned, content-hashed."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from netretain.canonical import sha256_hex
from netretain.errors import DefinitionError

Method = Literal["cohort", "compounded", "movements"]
METHODS: tuple[str, ...] = ("cohort", "compounded", "movements")
REVENUE_TYPES: tuple[str, ...] = ("subscription", "usage")
FX_MODES: tuple[str, ...] = ("actual", "constant")
GDR_CAPS: tuple[str, ...] = ("customer", "aggregate")
ACCOUNT_LEVELS: tuple[str, ...] = ("customer", "parent")

# Text that explains a definition but cannot change a figure; left out of the content hash.
DESCRIPTIVE_FIELDS = ("description", "source")


@dataclass(frozen=True)
class Definition:
    """How to turn the revenue ledger into NDR, GDR and logo retention.

    NDR (cohort) = MRR at T of the customers paying at T - window / their MRR at T - window.
    """

    name: str
    version: int
    method: Method = "cohort"
    window_months: int = 12
    revenue: tuple[str, ...] = REVENUE_TYPES
    fx: Literal["actual", "constant"] = "actual"
    reactivation_window_months: int | None = None
    gap_tolerance_days: int = 0
    min_starting_mrr: Decimal = Decimal("0")
    gdr_cap: Literal["customer", "aggregate"] = "customer"
    account_level: Literal["customer", "parent"] = "customer"
    description: str = field(default="", compare=False)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def ref(self) -> str:
        """NAME@VERSION, the way the CLI names a definition."""
        return f"{self.name}@{self.version}"

    def content(self) -> dict[str, Any]:
        """The normalised content that decides every figure, as JSON-ready values."""
        data = asdict(self)
        for key in DESCRIPTIVE_FIELDS:
            data.pop(key)
        data["revenue"] = sorted(self.revenue)
        # normalize(): 50, 50.0 and 50.00 are the same floor and must hash the same
        data["min_starting_mrr"] = format(Decimal(self.min_starting_mrr).normalize(), "f")
        return data

    @property
    def sha256(self) -> str:
        """Hash of the canonical JSON of `content()`: equal figures need equal hashes."""
        return sha256_hex(self.content())

    def stamp(self) -> dict[str, Any]:
        """What every result carries to say which definition made it."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    def summary(self) -> dict[str, Any]:
        """One line of `definitions list`: who it is, its method and window, its hash."""
        return {
            "name": self.name,
            "version": self.version,
            "method": self.method,
            "window_months": self.window_months,
            "sha256": self.sha256,
            "description": self.description,
        }

    def to_dict(self) -> dict[str, Any]:
        """Content plus the descriptive text, for `definitions show`."""
        return {**self.content(), "description": self.description, "source": self.source}

    def ledger_key(self) -> tuple[Any, ...]:
        """The knobs that change the monthly MRR and movements themselves (not just the ratios)."""
        return (
            tuple(sorted(self.revenue)),
            self.gap_tolerance_days,
            self.reactivation_window_months,
            self.account_level,
        )


def _whole(value: object) -> bool:
    """An int that is not a bool (TOML `true` would otherwise pass as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check(d: Definition) -> None:
    problems: list[str] = []
    if not d.name or not isinstance(d.name, str):
        problems.append("name must be a non-empty string")
    if not _whole(d.version) or d.version < 1:
        problems.append("version must be a whole number >= 1")
    if d.method not in METHODS:
        problems.append(f"method must be one of {', '.join(METHODS)}")
    if not _whole(d.window_months) or d.window_months < 1:
        problems.append("window_months must be a whole number >= 1")
    if not d.revenue or any(r not in REVENUE_TYPES for r in d.revenue):
        problems.append(
            f"revenue must list some of {', '.join(REVENUE_TYPES)} (one_time never counts)"
        )
    if d.fx not in FX_MODES:
        problems.append(f"fx must be one of {', '.join(FX_MODES)}")
    elif d.fx == "constant" and d.method == "movements":
        # Monthly movements are at each month's own rate; constant-FX ends would not tie to them.
        problems.append('fx = "constant" needs method cohort or compounded, not movements')
    window = d.reactivation_window_months
    if window is not None and (not _whole(window) or window < 1):
        problems.append("reactivation_window_months must be a whole number >= 1, or left out")
    if not _whole(d.gap_tolerance_days) or d.gap_tolerance_days < 0:
        problems.append("gap_tolerance_days must be a whole number >= 0")
    if d.min_starting_mrr < 0:
        problems.append("min_starting_mrr must be >= 0")
    if d.gdr_cap not in GDR_CAPS:
        problems.append(f"gdr_cap must be one of {', '.join(GDR_CAPS)}")
    if d.account_level not in ACCOUNT_LEVELS:
        problems.append(f"account_level must be one of {', '.join(ACCOUNT_LEVELS)}")
    if problems:
        raise DefinitionError(f"definition {d.name!r}: " + "; ".join(problems))


def from_mapping(data: dict[str, Any], *, origin: str = "definition") -> Definition:
    """Build a Definition from parsed TOML, naming unknown keys and bad values."""
    known = {f.name for f in fields(Definition)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise DefinitionError(
            f"{origin}: unknown key(s) {', '.join(unknown)}; known: {sorted(known)}"
        )
    for key in ("name", "version"):
        if key not in data:
            raise DefinitionError(f"{origin}: '{key}' is required")
    values = dict(data)
    if "revenue" in values:
        values["revenue"] = tuple(values["revenue"])
    if "min_starting_mrr" in values:
        try:
            values["min_starting_mrr"] = Decimal(str(values["min_starting_mrr"]))
        except InvalidOperation:
            raise DefinitionError(f"{origin}: min_starting_mrr must be a number") from None
        if not values["min_starting_mrr"].is_finite():  # NaN would fail every comparison
            raise DefinitionError(f"{origin}: min_starting_mrr must be a number")
    return Definition(**values)


def load_file(path: str | Path) -> Definition:
    """Read one definition from a TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no such definition file") from None
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path}: not valid TOML: {exc}") from None
    return from_mapping(data, origin=str(path))
