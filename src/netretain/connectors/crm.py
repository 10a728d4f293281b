"""Per-account figures for a CRM import (HubSpot, Salesforce), built as one Ibis expression.

Each account's MRR at the month, twelve months before, its contribution to NDR (its change over
the cohort's starting MRR) and its movement in that month. The layouts are the column headers
each CRM's import maps onto company/account properties (docs/connectors.md).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
FIELDS = (
    "crm_id",
    "name",
    "customer_id",
    "mrr",
    "mrr_12_months_ago",
    "ndr_contribution",
    "movement",
    "as_of",
)
# The headers each CRM's import maps: HubSpot matches companies by "Record ID" and takes custom
# properties by label; Salesforce's Data Import Wizard matches accounts by "Account ID" and takes
# custom fields by API name (`__c`).
LAYOUTS: dict[str, tuple[str, ...]] = {
    "hubspot": (
        "Record ID",
        "Company name",
        "netretain Customer ID",
        "netretain MRR",
        "netretain MRR 12 Months Ago",
        "netretain NDR Contribution",
        "netretain Movement",
        "netretain As Of",
    ),
    "salesforce": (
        "Account ID",
        "Account Name",
        "netretain_Customer_ID__c",
        "netretain_MRR__c",
        "netretain_MRR_12_Months_Ago__c",
        "netretain_NDR_Contribution__c",
        "netretain_Movement__c",
        "netretain_As_Of__c",
    ),
}
# With a trained model: each account's risk and expansion scores, the model's version (its id in
# the ledger's models table) and the month scored.
SCORE_LAYOUTS: dict[str, tuple[str, ...]] = {
    "hubspot": (
        "netretain Churn Risk",
        "netretain Contraction Risk",
        "netretain Expansion Probability",
        "netretain Expected Expansion",
        "netretain Model Version",
        "netretain Scores As Of",
    ),
    "salesforce": (
        "netretain_Churn_Risk__c",
        "netretain_Contraction_Risk__c",
        "netretain_Expansion_Probability__c",
        "netretain_Expected_Expansion__c",
        "netretain_Model_Version__c",
        "netretain_Scores_As_Of__c",
    ),
}
# A customer attribute holding the account's id in that CRM, when the customers file had one.
ID_ATTRIBUTES = {"hubspot": "hubspot_id", "salesforce": "salesforce_id"}


def cohort_start(movements: ir.Table, month: int) -> ir.Expr:
    """The starting MRR (cents) of the customers paying twelve months before `month`."""
    start = movements.filter(movements.month_index == month - 12)
    return start.mrr_cents.sum()


def accounts(
    customers: ir.Table, movements: ir.Table, month: int, start_cents: int, crm: str
) -> ir.Table:
    """One row per customer paying at `month` or twelve months before (money in cents)."""
    now = movements.filter(movements.month_index == month)
    then = movements.filter(movements.month_index == month - 12)
    then = then.select("customer_id", start_cents=then.mrr_cents)
    moved = ibis.cases(*((now[m] != 0, m) for m in MOVEMENTS), else_=ibis.null("string"))
    now = now.select("customer_id", mrr_cents=now.mrr_cents, movement=moved)
    both = now.outer_join(then, "customer_id")
    both = both.select(
        customer_id=ibis.coalesce(both.customer_id, both.customer_id_right),
        mrr_cents=both.mrr_cents.fill_null(0),
        start_cents=both.start_cents.fill_null(0),
        movement=both.movement,
    )
    both = both.filter((both.mrr_cents != 0) | (both.start_cents != 0))
    joined = both.left_join(customers, "customer_id")
    attribute = ID_ATTRIBUTES[crm]
    crm_id = joined[attribute] if attribute in customers.columns else ibis.null("string")
    cohort = joined.start_cents > 0
    change = (joined.mrr_cents - joined.start_cents).cast("float64")
    share = ibis.ifelse(cohort & (start_cents > 0), (change / max(start_cents, 1)).round(6), None)
    return joined.select(
        crm_id=crm_id.cast("string"),
        name=joined.name,
        customer_id=joined.customer_id,
        mrr_cents=joined.mrr_cents,
        start_cents=joined.start_cents,
        ndr_contribution=share,
        movement=joined.movement,
    ).order_by("customer_id")
