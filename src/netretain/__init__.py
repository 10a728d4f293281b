"""netretain: Net Dollar Retention, gross retention and the MRR movements behind them."""

from netretain.core.results import MonthMovements, Report, Retention
from netretain.definitions import Definition
from netretain.errors import (
    DefinitionError,
    EngineError,
    IngestError,
    LedgerError,
    NetretainError,
    NotFoundError,
    Reject,
)
from netretain.ledger import Ledger

__version__ = "0.1.0"

__all__ = [
    "Definition",
    "DefinitionError",
    "EngineError",
    "IngestError",
    "Ledger",
    "LedgerError",
    "MonthMovements",
    "NetretainError",
    "NotFoundError",
    "Reject",
    "Report",
    "Retention",
    "__version__",
]
