"""Tunable constants of the synthetic company: catalogue, mixes and behaviour per segment."""

from __future__ import annotations

import numpy as np

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_P = (0.60, 0.30, 0.10)
REGIONS = ("NA", "EMEA", "APAC")
REGION_P = (0.50, 0.30, 0.20)
CURRENCIES = ("USD", "EUR", "GBP")
CURRENCY_PRICE_FACTOR = np.array([1.0, 0.92, 0.79])
FX_BASE = {"EUR": 1.08, "GBP": 1.27}
FX_MONTHLY_VOL = 0.012
EMEA_GBP_P = 0.25
PLANS = ("starter", "growth", "scale", "enterprise")
GTM_MOTIONS = ("self-serve", "sales-led")
PRICING_MODELS = ("seat", "usage", "hybrid")
SEAT_MODEL, USAGE_MODEL = 0, 1
LINE_TYPES = ("subscription", "one_time", "usage")
SUBSCRIPTION, ONE_TIME, USAGE = 0, 1, 2
INTERVALS = np.array([1, 3, 12])

SEAT_PRICE_USD = np.array([20.0, 40.0, 80.0, 120.0])
PLATFORM_FEE_USD = np.array([49.0, 199.0, 999.0, 2999.0])
USAGE_UNIT_USD_CENTS = 50.0
INTERVAL_PRICE_FACTOR = np.ones(13)
INTERVAL_PRICE_FACTOR[3] = 0.95
INTERVAL_PRICE_FACTOR[12] = 0.85

SIGNUP_GROWTH = 0.035
SUBSCRIPTIONS_ONLY_P = 0.15
SUBSIDIARY_P = 0.033
REACTIVATION_P = 0.06
REACTIVATION_DELAY = (2, 8)
TO_ANNUAL_P = 0.01
PLAN_UPGRADE_ON_EXPANSION_P = 0.10
HYBRID_USAGE_SHARE = 0.30

PLAN_P = np.array(
    [
        [0.55, 0.45, 0.00, 0.00],
        [0.00, 0.50, 0.50, 0.00],
        [0.00, 0.00, 0.40, 0.60],
    ]
)
PRICING_P = np.array([[0.70, 0.10, 0.20], [0.55, 0.15, 0.30], [0.50, 0.20, 0.30]])
INTERVAL_P = np.array([[0.80, 0.10, 0.10], [0.40, 0.30, 0.30], [0.10, 0.20, 0.70]])
SALES_LED_P = np.array([0.15, 0.70, 1.00])
MAX_DISCOUNT = 0.25
SEATS_MEDIAN = np.array([5.0, 28.0, 150.0])
SEATS_MIN = np.array([2, 13, 60])
SEATS_MAX = np.array([12, 60, 400])

CHURN_HAZARD = np.array([0.030, 0.013, 0.0065])
EXPAND_RATE = np.array([0.040, 0.036, 0.050])
CONTRACT_RATE = np.array([0.020, 0.012, 0.008])
EXPAND_SIZE = (0.10, 0.40)
CONTRACT_SIZE = (0.10, 0.30)
UPGRADE_RATE = np.array([0.004, 0.010, 0.020])
UPGRADE_SIZE = (0.10, 0.40)

USAGE_MEDIAN_USD = np.array([150.0, 2000.0, 15000.0])
USAGE_DRIFT = np.array([-0.004, 0.004, 0.012])
USAGE_DRIFT_SD = 0.015
USAGE_NOISE_SD = 0.20

ONBOARDING_P = np.array([0.30, 0.60, 0.90])
ONBOARDING_USD = np.array([[99.0, 499.0], [1000.0, 5000.0], [5000.0, 25000.0]])

# The hidden health of each customer: an AR(1) around the customer's own mean, one step a month.
# It drives churn, contraction and expansion hazards and the usage the customer shows; it is
# recorded apart (SyntheticCompany.health) and never written as an input.
HEALTH_MEAN_SD = 0.6
HEALTH_PERSISTENCE = 0.9
HEALTH_SHOCK_SD = 0.45
HEALTH_CHURN = 2.0  # hazard x exp(-2 health), normalised to the mean hazard
HEALTH_CRISIS = -1.0  # below this health the churn hazard is multiplied again
HEALTH_CRISIS_CHURN = 4.0
HEALTH_CONTRACT = 1.0
HEALTH_EXPAND = 0.8
# Usage per seat follows health: api calls x exp(0.9 health) with noise; active seats a share.
METRICS = ("api_calls", "seats_active")
API_CALLS_PER_SEAT = np.array([450.0, 1350.0, 4500.0, 13500.0])  # median, by plan
API_CALLS_HEALTH = 0.9
API_CALLS_NOISE_SD = 0.2
SEATS_ACTIVE_BASE = 1.2  # logit of the active share at health 0 (about 77%)
SEATS_ACTIVE_HEALTH = 1.4
# What each plan includes a month, per seat (seats_active: 1 per seat billed).
INCLUDED_API_CALLS = np.array([1000.0, 3000.0, 10000.0, 30000.0])
