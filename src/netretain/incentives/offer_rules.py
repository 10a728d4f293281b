"""Offer rules as data (issue 17): TOML files with a name and version, hashed like metric
definitions, saying who is eligible (conditions over account features and model scores), what
the offer is, and its guardrails (a discount cap, a minimum gap between offers, exclusions).

The shipped rules live in `incentives/rules/*.toml`; `resolve("save-offer@1")` finds one,
`load_file(path)` reads your own. See docs/incentives.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from netretain.canonical import sha256_hex
from netretain.errors import DefinitionError

ACTIONS = ("upgrade", "right-size", "annual", "save")
OPS = ("<", "<=", ">", ">=", "==", "!=")
# Model scores a rule may name (the others are the account features of predict/features.py).
SCORES = ("churn_probability", "contraction_probability", "expansion_probability", "mrr_at_risk")


class RuleError(DefinitionError):
    """An offer rule that cannot be read or used."""


@dataclass(frozen=True)
class Condition:
    """`field op value`: a feature or score compared with a number or a text."""

    field: str
    op: str
    value: float | str

    def text(self) -> str:
        return f"{self.field} {self.op} {self.value}"


@dataclass(frozen=True)
class Offer:
    """What the account is offered: `discount` (a share of MRR) off for `months` months (0: no
    discount), and the assumptions behind its expected MRR effect: `keeps`, the share of the
    churn risk it removes, and `grows`, the expansion (share of MRR) it brings if it expands."""

    text: str
    discount: float = 0.0
    months: int = 0
    keeps: float = 0.0
    grows: float = 0.0


@dataclass(frozen=True)
class Guardrails:
    """`discount_cap`: no account's incentives together take more than this share of its MRR;
    `min_gap_months`: no account gets an offer within this many months of its last one."""

    discount_cap: float
    min_gap_months: int


@dataclass(frozen=True)
class OfferRule:
    """One offer rule: who (every `eligible` condition holds and no `exclude` one does), what
    (`offer`), and its `guardrails`. Its sha256 is over everything but the description."""

    name: str
    version: int
    action: str
    eligible: tuple[Condition, ...]
    offer: Offer
    guardrails: Guardrails
    exclude: tuple[Condition, ...] = ()
    description: str = ""

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def content(self) -> dict[str, Any]:
        """What the rule does, as plain data (the hash's input)."""
        data = asdict(self)
        data.pop("description")
        return data

    @property
    def sha256(self) -> str:
        return sha256_hex(self.content())

    def stamp(self) -> dict[str, Any]:
        """What every offer and campaign carries to say which rule made it."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    def fields(self) -> tuple[str, ...]:
        """Every feature or score the rule reads."""
        return tuple(dict.fromkeys(c.field for c in (*self.eligible, *self.exclude)))

    def needs_scores(self) -> bool:
        """Whether the rule (or its expected effect) needs the risk models' scores."""
        uses = set(self.fields()) & set(SCORES)
        return bool(uses) or self.offer.keeps > 0 or self.offer.grows > 0


def from_mapping(data: dict[str, Any], *, origin: str = "rule") -> OfferRule:
    """An OfferRule from parsed TOML; a missing, unknown or bad value is one clear message."""
    known = {"name", "version", "description", "action", "eligible", "offer", "guardrails"}
    unknown = sorted(set(data) - known - {"exclude"})
    if unknown:
        raise RuleError(f"{origin}: unknown key(s) {', '.join(unknown)}; known: {sorted(known)}")
    try:
        rule = OfferRule(
            name=str(data["name"]),
            version=int(data["version"]),
            action=str(data["action"]),
            eligible=tuple(_condition(c, origin) for c in data["eligible"]),
            offer=Offer(**data["offer"]),
            guardrails=Guardrails(**data["guardrails"]),
            exclude=tuple(_condition(c, origin) for c in data.get("exclude", [])),
            description=str(data.get("description", "")),
        )
    except KeyError as exc:
        raise RuleError(f"{origin}: {exc.args[0]!r} is required") from None
    except TypeError as exc:
        raise RuleError(f"{origin}: {exc}") from None
    problem = _problem(rule)
    if problem:
        raise RuleError(f"{origin}: {problem}")
    return rule


def _condition(data: Any, origin: str) -> Condition:
    if not isinstance(data, dict) or set(data) != {"field", "op", "value"}:
        raise RuleError(f"{origin}: a condition is a table of field, op and value, not {data!r}")
    if data["op"] not in OPS:
        raise RuleError(f"{origin}: op {data['op']!r} is not one of {' '.join(OPS)}")
    value = data["value"]
    return Condition(
        str(data["field"]), data["op"], value if isinstance(value, str) else float(value)
    )


def _problem(rule: OfferRule) -> str | None:
    offer, guard = rule.offer, rule.guardrails
    if rule.action not in ACTIONS:
        return f"action must be one of {', '.join(ACTIONS)}, not {rule.action!r}"
    if not rule.eligible:
        return "needs at least one eligible condition"
    if not 0 <= offer.discount < 1 or offer.months < 0:
        return "offer.discount is a share of MRR in [0, 1) and offer.months is not negative"
    if offer.discount > 0 and offer.months == 0:
        return "offer.months must say how long a discount lasts"
    if not 0 < guard.discount_cap < 1 or guard.min_gap_months < 0:
        return "guardrails.discount_cap is a share of MRR in (0, 1); min_gap_months >= 0"
    if offer.discount > guard.discount_cap:
        return f"offer.discount {offer.discount} is over its own cap {guard.discount_cap}"
    return None


def load_file(path: str | Path) -> OfferRule:
    """Read one offer rule from a TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError(f"{path}: no such rule file") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from None
    return from_mapping(data, origin=str(path))


@cache
def shipped() -> tuple[OfferRule, ...]:
    """Every shipped offer rule, by name then version."""
    found = []
    for entry in resources.files("netretain.incentives").joinpath("rules").iterdir():
        if entry.name.endswith(".toml"):
            with resources.as_file(entry) as path:
                found.append(load_file(path))
    return tuple(sorted(found, key=lambda r: (r.name, r.version)))


def resolve(ref: str) -> OfferRule:
    """A shipped rule by NAME or NAME@VERSION (NAME alone: its latest version), or a TOML file."""
    if ref.endswith(".toml"):
        return load_file(ref)
    name, _, version = ref.partition("@")
    matches = [
        r for r in shipped() if r.name == name and (not version or str(r.version) == version)
    ]
    if not matches:
        known = ", ".join(r.ref for r in shipped())
        raise RuleError(f"no offer rule {ref!r}; known: {known} (or give a .toml file)")
    return matches[-1]
