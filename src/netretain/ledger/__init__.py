"""The service layer: the only code that runs expressions against a store. Faces call `Ledger`."""

from netretain.ledger.ledger import Ledger

__all__ = ["Ledger"]
