"""Every table a ledger keeps: its name and schema, in one place.

Inputs (`input_<kind>`: accepted rows with `_file`, `_row`, `_ingest_id`), refused rows as they
came (`refused_<kind>`), bookkeeping (rejects, ingests, corrections, ledger_meta) and the derived
tables the service rebuilds from the inputs (see docs/data-model.md).
"""

from __future__ import annotations

from types import MappingProxyType

from netretain.store.inputs import SPECS

BOOKKEEPING = MappingProxyType({"_file": "string", "_row": "int64", "_ingest_id": "int64"})
# One refused row's problem: where it is, what is wrong, the value found.
REJECT = MappingProxyType(
    {"file": "string", "row": "int64", "column": "string", "reason": "string", "value": "string"}
)
REJECTS = MappingProxyType({"ingest_id": "int64", "kind": "string", **REJECT})
INGESTS = MappingProxyType(
    {
        "ingest_id": "int64",
        "at": "string",
        "kind": "string",
        "file": "string",
        "sha256": "string",
        "accepted": "int64",
        "rejected": "int64",
        "unchanged": "int64",
        "replaced": "int64",
    }
)
CORRECTIONS = MappingProxyType(
    {
        "ingest_id": "int64",
        "kind": "string",
        "key": "string",
        "file": "string",
        "row": "int64",
        "before": "string",
        "after": "string",
    }
)
META = MappingProxyType({"key": "string", "value": "string"})
# Each table's row count and content checksum, recorded after every ingest and rebuild, so that
# `check` can tell a damaged table (issue 10). checksum is NULL on an engine that cannot hash rows.
CHECKSUMS = MappingProxyType(
    {"table_name": "string", "rows": "int64", "checksum": "int64", "at": "string"}
)
# Saved risk models (issue 12): one row per `netretain train`, the fitted models as JSON text
# (LightGBM's model text and the calibrators' parameters, no pickle), with what they were fitted on.
MODELS = MappingProxyType(
    {
        "model_id": "int64",
        "created_at": "string",
        "until": "string",
        "horizon_months": "int64",
        "train_from": "string",
        "train_to": "string",
        "customers": "int64",
        "features": "string",
        "definition": "string",
        "ledger_version": "string",
        "libraries": "string",
        "metrics": "string",
        "expansion_size": "string",
        "models": "string",
    }
)
# The revenue log (issue 13, docs/transparency.md): one row per leaf, appended, never rewritten.
# `key` is the canonical JSON of the row's key (the append order within a kind), `corrects` the
# index of the leaf a correction replaces, `leaf` the leaf's bytes as UTF-8 text, hashes hex.
LOG_LEAVES = MappingProxyType(
    {
        "idx": "int64",
        "ingest_id": "int64",
        "kind": "string",
        "key": "string",
        "customer_id": "string",
        "corrects": "int64",
        "leaf": "string",
        "leaf_hash": "string",
    }
)
# The root of every complete block of LOG_CHUNK leaves (leaves [start, start + LOG_CHUNK)): proofs
# and roots read these instead of a million leaf hashes.
LOG_NODES = MappingProxyType({"start": "int64", "node": "string"})
# The signed tree head each ingest ends with, in chain order (`head` is its canonical JSON).
LOG_HEADS = MappingProxyType(
    {"seq": "int64", "ingest_id": "int64", "size": "int64", "head": "string"}
)
# Incentive grants (issue 17, docs/incentives.md): a discount or credit from an offer or a reward
# that lowers one customer's MRR by `mrr_minor` (the currency's minor units) every month from
# `start_month_index` through `end_month_index` (NULL: open-ended). Appended, keyed by incentive_id.
INCENTIVES = MappingProxyType(
    {
        "incentive_id": "string",
        "customer_id": "string",
        "kind": "string",
        "source": "string",
        "start_month_index": "int64",
        "end_month_index": "int64",
        "mrr_minor": "int64",
        "currency": "string",
    }
)
# Offer campaigns (issue 17): one row per `netretain campaign start`, with the rule as it was
# (canonical JSON) and the seed that drew the holdout; then one row per account it chose.
CAMPAIGNS = MappingProxyType(
    {
        "campaign_id": "string",
        "rule": "string",
        "rule_sha256": "string",
        "rule_json": "string",
        "as_of_index": "int64",
        "holdout": "float64",
        "seed": "int64",
        "created_at": "string",
    }
)
CAMPAIGN_ACCOUNTS = MappingProxyType(
    {
        "campaign_id": "string",
        "customer_id": "string",
        "arm": "string",
        "mrr_cents": "int64",
        "offer_cents": "int64",
    }
)
# Loyalty rewards redeemed (issue 17, docs/loyalty.md): points spent at a month through the CLI or
# portal ("points") or at a token's mint ("token"), and burns read back from the chain ("burn",
# keyed by transaction hash and log index); `reference` is the transaction, if any.
LOYALTY_REDEMPTIONS = MappingProxyType(
    {
        "redemption_id": "string",
        "customer_id": "string",
        "reward": "string",
        "kind": "string",
        "points": "int64",
        "month_index": "int64",
        "at": "string",
        "channel": "string",
        "rules_sha256": "string",
        "reference": "string",
    }
)
# The root of every complete, aligned subtree of 2**height leaves above the blocks (height greater
# than LOG_CHUNK's): an inclusion proof reads O(log n) of these instead of folding every block root.
LOG_LEVELS = MappingProxyType({"height": "int64", "start": "int64", "node": "string"})
# Each customer's leaves, appended sorted by customer id (each ingest adds sorted runs), so a
# statement finds its leaves from the engine's min/max statistics instead of scanning the log.
LOG_CUSTOMERS = MappingProxyType({"customer_id": "string", "idx": "int64"})
LOG = MappingProxyType(
    {
        "log_leaves": LOG_LEAVES,
        "log_nodes": LOG_NODES,
        "log_heads": LOG_HEADS,
        "log_levels": LOG_LEVELS,
        "log_customers": LOG_CUSTOMERS,
    }
)
# Bookkeeping tables every ledger has from its first ingest on.
RECORDS = MappingProxyType({"rejects": REJECTS, "ingests": INGESTS, "corrections": CORRECTIONS})
# Derived tables, rebuilt from the inputs after every ingest that changes them.
DERIVED = (
    "revenue_lines",
    "fx_monthly",
    "customers",
    "movements",
    "mrr",
    "usage_monthly",
)


# Derived tables earlier versions kept and this one computes when asked: a rebuild drops them.
# `mrr_components` (native MRR per customer, month, type and currency) cost a quarter of a
# rebuild at a million customers; conversion now sums the lines' months directly, and only an
# export groups them (`monthly.components`).
RETIRED = ("mrr_components",)

# What a rebuild rewrites from the input tables: the derived tables and the ledger's meta.
REBUILT = (*DERIVED, "ledger_meta")


def input_table(kind: str) -> str:
    """The table that keeps a kind's accepted rows."""
    return f"input_{kind}"


def refused_table(kind: str) -> str:
    """The table that keeps a kind's refused rows as they came (text)."""
    return f"refused_{kind}"


def input_schema(kind: str) -> dict[str, str]:
    """An input table's columns and types: the spec's stored columns, then bookkeeping."""
    return {**SPECS[kind].stored_schema(), **BOOKKEEPING}


INPUT_TABLES = tuple(input_table(kind) for kind in SPECS)
# Every table a ledger may keep (hooks may add more), in the order `check` lists them.
LEDGER_TABLES = (
    *INPUT_TABLES,
    *(refused_table(kind) for kind in SPECS),
    *RECORDS,
    *LOG,
    *REBUILT,
)
