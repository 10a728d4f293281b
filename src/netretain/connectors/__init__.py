"""Systems of record in and out: Stripe, PostgreSQL and CRM exports, mapped to the input kinds
and ingested through the normal ingest."""
