-- Hand-written DuckDB baseline: the same MRR, movements and trailing-12 retention as netretain,
-- straight from the Parquet files. Placeholders {customers}, {subscriptions}, {invoice_lines},
-- {fx_rates} are file paths; {reporting} is the reporting currency.

CREATE TEMP MACRO month_of(d) AS year(d) * 12 + month(d) - 1;
CREATE TEMP MACRO month_days(d) AS day(last_day(d));
-- a / b rounded half away from zero, in integers (b > 0)
CREATE TEMP MACRO round_div(a, b) AS sign(a) * ((2 * abs(a) + b) // (2 * b));

CREATE TEMP TABLE invoice AS
SELECT
    customer_id,
    type,
    coalesce(upper(nullif(trim(currency), '')), '{reporting}') AS currency,
    invoice_date,
    service_start,
    service_end,
    CAST(amount * 100 AS BIGINT) AS cents,
    subscription_id
FROM read_parquet('{invoice_lines}');

CREATE TEMP TABLE subscription AS
SELECT
    subscription_id,
    customer_id,
    coalesce(upper(nullif(trim(currency), '')), '{reporting}') AS currency,
    start_date,
    end_date,
    CAST(amount * 100 AS BIGINT) AS cents,
    CAST(interval_months AS BIGINT) AS interval_months
FROM read_parquet('{subscriptions}');

-- The ledger's last month: the latest month in which a recurring service period starts.
CREATE TEMP TABLE horizon AS
SELECT greatest(
    (SELECT coalesce(max(month_of(service_start)), -1) FROM invoice
     WHERE type IN ('subscription', 'usage')),
    (SELECT coalesce(max(month_of(start_date)), -1) FROM subscription)
) AS last_month;

-- An integer key per customer, so the heavy group-bys and joins below hash integers, not text.
CREATE TEMP TABLE customer_keys AS
SELECT customer_id, row_number() OVER () AS ck
FROM (SELECT customer_id FROM invoice UNION SELECT customer_id FROM subscription);

-- Recurring lines with a monthly rate in native millionths. An invoice line's period is whole
-- months from its start (month-end clamped) plus the remaining days over the days of the month
-- the remainder starts in.
CREATE TEMP TABLE lines AS
WITH periods AS (
    SELECT
        *,
        month_of(service_end) - month_of(service_start)
            - CASE WHEN service_start + to_months(month_of(service_end) - month_of(service_start))
                        > service_end THEN 1 ELSE 0 END AS whole
    FROM invoice
    WHERE type IN ('subscription', 'usage')
), anchored AS (
    SELECT *, CAST(service_start + to_months(whole) AS DATE) AS anchor FROM periods
)
SELECT
    k.ck,
    a.currency,
    month_of(a.service_start) AS first_month,
    month_of(a.service_end) - 1 AS last_month,
    round_div(
        a.cents * 10000 * month_days(a.anchor),
        a.whole * month_days(a.anchor) + date_diff('day', a.anchor, a.service_end)
    ) AS monthly_micros
FROM anchored AS a
JOIN customer_keys AS k USING (customer_id)
UNION ALL
SELECT
    k.ck,
    s.currency,
    month_of(s.start_date),
    coalesce(month_of(s.end_date) - 1, (SELECT last_month FROM horizon)),
    round_div(s.cents * 10000, s.interval_months)
FROM subscription AS s
JOIN customer_keys AS k USING (customer_id)
WHERE s.subscription_id NOT IN (
    SELECT subscription_id FROM invoice WHERE subscription_id IS NOT NULL
);

-- Months of the ledger: from the first month a line starts to the horizon.
CREATE TEMP TABLE months AS
SELECT range AS month_index
FROM range((SELECT min(first_month) FROM lines), (SELECT last_month FROM horizon) + 1);

-- The rate of every currency in every month: the last rate at or before the month (exact
-- decimals); the reporting currency is 1. A month before a currency's first rate has no row.
CREATE TEMP TABLE fx AS
WITH given AS (
    SELECT
        upper(trim(currency)) AS currency,
        CAST(left(month, 4) AS BIGINT) * 12 + CAST(substr(month, 6, 2) AS BIGINT) - 1 AS month_index,
        CAST(rate AS DECIMAL(38, 10)) AS rate
    FROM read_parquet('{fx_rates}')
    WHERE upper(trim(currency)) <> '{reporting}'
)
SELECT g.currency, m.month_index, arg_max(g.rate, g.month_index) AS rate
FROM months AS m
JOIN given AS g ON g.month_index <= m.month_index
GROUP BY ALL
UNION ALL
SELECT '{reporting}', month_index, 1 FROM months;

-- Native MRR per customer, currency and month: each line in every month it is in force.
CREATE TEMP TABLE native AS
SELECT ck, currency, month_index, sum(monthly_micros) AS micros
FROM (
    SELECT ck, currency, monthly_micros,
           unnest(range(first_month, least(last_month, (SELECT last_month FROM horizon)) + 1))
               AS month_index
    FROM lines
)
GROUP BY ALL;

-- Dense MRR in cents: micros * rate / 10000 rounded half up per currency, summed, floored at 0;
-- zeros between active months and in the month after the last active one. The rounding is exact:
-- doubles are within 1e-6 of the true value below 1e9 cents, so only a result that close to a half
-- needs the (slow) exact decimal product.
CREATE TEMP TABLE mrr AS
WITH converted AS (
    SELECT n.ck, n.month_index, n.micros, f.rate, n.micros * CAST(f.rate AS DOUBLE) / 10000 AS approx
    FROM native AS n
    JOIN fx AS f USING (currency, month_index)
), paying AS (
    SELECT ck, month_index,
           sum(CASE WHEN abs(approx) < 1e9 AND abs(approx - floor(approx) - 0.5) > 1e-6
                    THEN CAST(floor(approx + 0.5) AS BIGINT)
                    ELSE CAST(floor(CAST(micros AS DECIMAL(38, 0)) * rate * 0.0001 + 0.5) AS BIGINT)
               END) AS cents
    FROM converted
    GROUP BY ALL
    HAVING cents > 0
), bounds AS (
    SELECT ck, min(month_index) AS first_month,
           least(max(month_index) + 1, (SELECT last_month FROM horizon)) AS last_month
    FROM paying
    GROUP BY ck
), grid AS (
    SELECT ck, unnest(range(first_month, last_month + 1)) AS month_index FROM bounds
)
SELECT g.ck, g.month_index, coalesce(p.cents, 0) AS mrr_cents
FROM grid AS g
LEFT JOIN paying AS p USING (ck, month_index);

CREATE TEMP TABLE movements AS
WITH lagged AS (
    SELECT *, lag(mrr_cents) OVER (PARTITION BY ck ORDER BY month_index) AS prev
    FROM mrr
)
SELECT
    month_index,
    mrr_cents,
    CASE WHEN prev IS NULL THEN mrr_cents ELSE 0 END AS new,
    CASE WHEN prev > 0 AND mrr_cents > prev THEN mrr_cents - prev ELSE 0 END AS expansion,
    CASE WHEN prev > 0 AND mrr_cents > 0 AND mrr_cents < prev THEN prev - mrr_cents ELSE 0 END
        AS contraction,
    CASE WHEN prev > 0 AND mrr_cents = 0 THEN prev ELSE 0 END AS churn,
    CASE WHEN prev = 0 AND mrr_cents > 0 THEN mrr_cents ELSE 0 END AS reactivation
FROM lagged;

-- Each cohort customer's MRR 12 months before T and at T (0 when gone).
CREATE TEMP TABLE pairs AS
WITH segments AS (
    SELECT k.ck, nullif(trim(c.segment), '') AS segment
    FROM read_parquet('{customers}') AS c
    JOIN customer_keys AS k USING (customer_id)
)
SELECT
    s.month_index + 12 AS as_of_index,
    s.mrr_cents AS start_cents,
    coalesce(e.mrr_cents, 0) AS end_cents,
    g.segment
FROM mrr AS s
LEFT JOIN mrr AS e ON e.ck = s.ck AND e.month_index = s.month_index + 12
LEFT JOIN segments AS g ON g.ck = s.ck
WHERE s.mrr_cents > 0 AND s.month_index + 12 <= (SELECT last_month FROM horizon);

-- result: movements
SELECT
    month_index,
    coalesce(sum(mrr_cents), 0) AS mrr_cents,
    coalesce(count(*) FILTER (WHERE mrr_cents > 0), 0) AS customers,
    coalesce(sum(new), 0) AS new,
    coalesce(sum(expansion), 0) AS expansion,
    coalesce(sum(contraction), 0) AS contraction,
    coalesce(sum(churn), 0) AS churn,
    coalesce(sum(reactivation), 0) AS reactivation
FROM months
LEFT JOIN movements USING (month_index)
GROUP BY month_index;

-- result: trend and trend by segment
SELECT
    as_of_index,
    segment,
    grouping(segment) AS overall,
    sum(start_cents) AS starting_cents,
    sum(end_cents) AS ending_cents,
    sum(CASE WHEN end_cents > start_cents THEN end_cents - start_cents ELSE 0 END) AS expansion_cents,
    sum(CASE WHEN end_cents > 0 AND end_cents < start_cents THEN start_cents - end_cents ELSE 0 END)
        AS contraction_cents,
    sum(CASE WHEN end_cents = 0 THEN start_cents ELSE 0 END) AS churn_cents,
    count(*) AS customers_start,
    count(*) FILTER (WHERE end_cents > 0) AS customers_retained,
    sum(end_cents) / sum(start_cents) AS ndr,
    sum(least(start_cents, end_cents)) / sum(start_cents) AS gdr,
    count(*) FILTER (WHERE end_cents > 0) / count(*) AS logo_retention
FROM pairs
GROUP BY GROUPING SETS ((as_of_index), (as_of_index, segment));
