"""Proof: the append-only Merkle log of revenue facts, signed tree heads, customer statements,
signed reports and anchoring on an EVM chain; fed by the ingest hook."""
