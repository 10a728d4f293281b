"""Offer rules are data: the shipped four load, hash like definitions, and a bad rule is one
clear message; eligibility and the expected effect by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netretain.incentives import offers
from netretain.incentives.offer_rules import RuleError, load_file, resolve, shipped


def test_the_four_rules_ship() -> None:
    assert [r.ref for r in shipped()] == ["annual@1", "right-size@1", "save-offer@1", "upgrade@1"]
    assert {r.action for r in shipped()} == {"upgrade", "right-size", "annual", "save"}


def test_the_hash_covers_what_the_rule_does_not_its_words(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    source = Path(__file__).resolve().parents[2] / "src/netretain/incentives/rules"
    original = (source / "save-offer-1.toml").read_text(encoding="utf-8")
    path.write_text(original.replace("A save offer", "Another save offer"), encoding="utf-8")
    assert load_file(path).sha256 == resolve("save-offer@1").sha256
    path.write_text(original.replace("discount = 0.20", "discount = 0.25"), encoding="utf-8")
    assert load_file(path).sha256 != resolve("save-offer@1").sha256


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("discount = 0.20", "discount = 0.30"), "over its own cap"),
        (('action = "save"', 'action = "bribe"'), "action must be one of"),
        (('op = ">="', 'op = "=>"'), "op '=>' is not one of"),
        (("min_gap_months = 6", "min_gap = 6"), "unexpected keyword argument 'min_gap'"),
        (("months = 3", "months = 0"), "offer.months must say how long"),
    ],
)
def test_a_bad_rule_is_one_clear_message(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    source = Path(__file__).resolve().parents[2] / "src/netretain/incentives/rules"
    text = (source / "save-offer-1.toml").read_text(encoding="utf-8")
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(*change, 1), encoding="utf-8")
    with pytest.raises(RuleError, match=message):
        load_file(path)


def test_an_unknown_rule_names_the_known_ones() -> None:
    with pytest.raises(RuleError, match="known: annual@1, right-size@1"):
        resolve("discount-everyone")


FRAME = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c"],
        "mrr_cents": [100_00, 200_00, 300_00],
        "utilisation_api_calls": [1.5, 0.1, np.nan],
        "utilisation_seats": [0.5, 0.2, np.nan],
    }
)


def test_eligibility_and_the_expected_effect_by_hand() -> None:
    probabilities = {
        "churn": np.array([0.1, 0.5, 0.3]),
        "expansion": np.array([0.4, 0.0, 0.1]),
    }
    frame = offers.with_fields(FRAME, probabilities)
    assert frame["utilisation_max"].tolist()[:2] == [1.5, 0.2]
    assert frame["mrr_at_risk"].tolist() == [10.0, 100.0, 90.0]
    upgrade = resolve("upgrade@1")
    # a: utilisation 1.5 > 1; c has no usage, so no condition on it holds
    up = offers.eligible(frame.assign(months_since_activity=0), upgrade)
    assert up["customer_id"].tolist() == ["a"]
    # 100 x (0 x 0.1 + 0.30 x 0.4) - 10% of 100 = 12 - 10 = 2.00
    assert offers.expected_cents(upgrade, up).tolist() == [200]
    save = resolve("save-offer@1")
    chosen = offers.eligible(frame, save)
    assert chosen["customer_id"].tolist() == ["b", "c"]
    # b: 200 x 0.3 x 0.5 - 40 = -10; c: 300 x 0.3 x 0.3 - 60 = -33
    assert offers.expected_cents(save, chosen).tolist() == [-1000, -3300]
    assert offers.evidence(save, chosen.iloc[0].to_dict()) == [
        "mrr_at_risk 100 (>= 50)",
        "churn_probability 0.5 (>= 0.2)",
    ]


def test_a_rule_naming_a_missing_feature_says_which_exist() -> None:
    with pytest.raises(RuleError, match=r"no feature or score 'mrr_at_risk'.*risk models"):
        offers.eligible(offers.with_fields(FRAME, None), resolve("save-offer@1"))
