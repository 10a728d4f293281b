"""Account intelligence and forecasts: features per customer-month built by the engine, risk
models fitted on them, retention curves, forecasts with intervals and alerts."""
