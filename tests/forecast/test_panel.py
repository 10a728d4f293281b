"""The panel's cohort NDR and GDR equal the engine's (`Ledger.trend`) on a synthetic company, so
forecasts, backtests and alerts speak of the same figures as every report."""

import pytest

from netretain.ledger.forecast import panel
from netretain.predict.panel import retention
from tests.forecast.company import company


def test_panel_ndr_and_gdr_equal_the_trend() -> None:
    with company("SMB") as ledger:
        rows = ledger.trend()
        data = panel(ledger, "segment")
        for row in rows:
            ndr, gdr = retention(data, ledger.month(row["as_of"]))
            assert ndr == pytest.approx(float(row["ndr"]), rel=1e-12)
            assert gdr == pytest.approx(float(row["gdr"]), rel=1e-12)
        assert len(rows) >= 12


def test_until_drops_later_months_and_unseen_customers() -> None:
    with company() as ledger:
        data = panel(ledger, "segment")
        cut = data.until(data.first + 5)
    assert cut.mrr.shape[1] == 6
    assert cut.mrr.any(axis=1).all()
    assert len(cut.customers) < len(data.customers)
