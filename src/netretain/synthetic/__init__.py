"""Deterministic synthetic subscription company: customers, subscriptions, invoice lines, FX."""

from netretain.synthetic.company import SyntheticCompany
from netretain.synthetic.generator import generate_company

__all__ = ["SyntheticCompany", "generate_company"]
