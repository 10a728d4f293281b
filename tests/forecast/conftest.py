"""The demo company's ledger file, shared with the prediction tests."""

from tests.predict.conftest import demo_db

__all__ = ["demo_db"]
