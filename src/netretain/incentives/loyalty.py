"""Loyalty rules are data: a frozen record from TOML (points per engagement, tiers, the rewards
catalogue), named, versioned and content-hashed like metric definitions, so every result says
which rules made it (docs/incentives.md, issue 17)."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from netretain.canonical import sha256_hex
from netretain.errors import NetretainError, arg

DEFAULT_REF = "loyalty@1"
REWARD_KINDS = ("discount", "access")


class LoyaltyError(NetretainError):
    """Loyalty rules that do not hold together, an unknown reward, or too few points."""


@dataclass(frozen=True)
class Tier:
    """A tier reached at `min_points` earned."""

    name: str
    min_points: int


@dataclass(frozen=True)
class Reward:
    """What `points` buy: a discount of `mrr` a month, or `access` to a feature, for `months`."""

    id: str
    kind: Literal["discount", "access"]
    points: int
    months: int
    token_id: int
    mrr: Decimal = Decimal("0")
    access: str = ""


@dataclass(frozen=True)
class Rules:
    """Points from engagement, tiers by points earned, and the rewards catalogue.

    earned = per_tenure_month x paying months + per_active_month x months with usage
             + floor(MRR expansion / expansion_unit); balance = earned - points redeemed.
    """

    name: str
    version: int
    per_tenure_month: int
    per_active_month: int
    expansion_unit: Decimal
    tiers: tuple[Tier, ...]
    rewards: tuple[Reward, ...]
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def expansion_unit_cents(self) -> int:
        return int(self.expansion_unit * 100)

    def content(self) -> dict[str, Any]:
        """What decides every figure, JSON-ready (the description is left out of the hash)."""
        data = asdict(self)
        data.pop("description")
        data["expansion_unit"] = str(self.expansion_unit.normalize())
        for reward in data["rewards"]:
            reward["mrr"] = str(reward["mrr"].quantize(Decimal("0.01")))
        return data

    @property
    def sha256(self) -> str:
        return sha256_hex(self.content())

    def stamp(self) -> dict[str, Any]:
        """What every loyalty result carries to say which rules made it."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    def reward(self, reward_id: str) -> Reward:
        """The reward with this id (or ERC-1155 token id); LoyaltyError naming the known ones."""
        for r in self.rewards:
            if reward_id in (r.id, str(r.token_id)):
                return r
        known = ", ".join(r.id for r in self.rewards)
        raise LoyaltyError(
            f"no reward {reward_id!r} in {self.ref} ({arg('reward')}); known: {known}"
        )

    def tier_after(self, name: str) -> Tier | None:
        """The next tier up from `name` (None at the top)."""
        names = [t.name for t in self.tiers]
        at = names.index(name)
        return self.tiers[at + 1] if at + 1 < len(self.tiers) else None


def _check(rules: Rules) -> None:
    if min(rules.per_tenure_month, rules.per_active_month) < 0 or rules.expansion_unit <= 0:
        raise LoyaltyError(f"{rules.ref}: points per month must be >= 0 and expansion_unit > 0")
    if rules.expansion_unit * 100 != int(rules.expansion_unit * 100):
        raise LoyaltyError(f"{rules.ref}: expansion_unit must be a whole number of cents")
    floors = [t.min_points for t in rules.tiers]
    if not floors or floors[0] != 0 or floors != sorted(set(floors)):
        raise LoyaltyError(f"{rules.ref}: tiers need rising min_points, the first at 0")
    ids = [r.id for r in rules.rewards]
    tokens = [r.token_id for r in rules.rewards]
    if len(set(ids)) != len(ids) or len(set(tokens)) != len(tokens):
        raise LoyaltyError(f"{rules.ref}: reward ids and token ids must be unique")
    for r in rules.rewards:
        if r.kind not in REWARD_KINDS or r.points <= 0 or r.months <= 0 or r.token_id <= 0:
            raise LoyaltyError(f"{rules.ref}: reward {r.id} needs a kind in {REWARD_KINDS} and "
                               "positive points, months and token_id")  # fmt: skip
        if r.kind == "discount" and (r.mrr <= 0 or r.mrr != r.mrr.quantize(Decimal("0.01"))):
            raise LoyaltyError(f"{rules.ref}: discount {r.id} needs an mrr in whole cents > 0")


def _decimal(value: Any, what: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as e:
        raise LoyaltyError(f"{what} is not a number: {value!r}") from e


def from_mapping(data: dict[str, Any]) -> Rules:
    """Rules from parsed TOML; LoyaltyError on a missing or wrong key."""
    try:
        points = data["points"]
        rewards = tuple(
            Reward(
                id=str(r["id"]),
                kind=r["kind"],
                points=int(r["points"]),
                months=int(r["months"]),
                token_id=int(r["token_id"]),
                mrr=_decimal(r.get("mrr", "0"), f"reward {r['id']} mrr"),
                access=str(r.get("access", "")),
            )
            for r in data.get("rewards", [])
        )
        return Rules(
            name=str(data["name"]),
            version=int(data["version"]),
            per_tenure_month=int(points["per_tenure_month"]),
            per_active_month=int(points["per_active_month"]),
            expansion_unit=_decimal(points["expansion_unit"], "expansion_unit"),
            tiers=tuple(Tier(str(t["name"]), int(t["min_points"])) for t in data["tiers"]),
            rewards=rewards,
            description=str(data.get("description", "")),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise LoyaltyError(f"loyalty rules: missing or wrong {e}") from e


def load_file(path: str | Path) -> Rules:
    """Rules from a TOML file."""
    try:
        return from_mapping(tomllib.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise LoyaltyError(f"cannot read loyalty rules {path}: {e}") from e


@cache
def presets() -> tuple[Rules, ...]:
    """Every shipped loyalty programme, by name then version."""
    folder = resources.files("netretain.incentives").joinpath("loyalty_rules")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            with resources.as_file(entry) as path:
                found.append(load_file(path))
    return tuple(sorted(found, key=lambda r: (r.name, r.version)))


def resolve(ref: str | None = None) -> Rules:
    """The shipped rules NAME or NAME@VERSION (default loyalty@1), or a TOML file's."""
    ref = ref or DEFAULT_REF
    if ref.endswith(".toml"):
        return load_file(ref)
    name, _, version = ref.partition("@")
    matches = [r for r in presets() if r.name == name and version in ("", str(r.version))]
    if not matches:
        known = ", ".join(r.ref for r in presets())
        raise LoyaltyError(f"no loyalty rules {ref!r} ({arg('rules')}); known: {known}")
    return matches[-1]
