"""Transparency: an append-only Merkle log of revenue facts, signed heads, proofs and anchors.

`merkle` is pure hashing over bytes; `leaves` defines the bytes of a revenue fact; `heads`,
`statement` and `signed_report` sign and check; `anchor` records heads on an EVM chain. Importing
this package loads none of them, so the core does not pay for cryptography or web3.
"""
