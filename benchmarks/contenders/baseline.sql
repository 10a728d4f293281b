-- Hand-written DuckDB baseline: the same MRR, movements and trailing-12 retention as netretain,
-- straight from the Parquet files, written as a strong data engineer would (issue 16). Placeholders
-- {customers}, {subscriptions}, {invoice_lines}, {fx_rates} are file paths; {reporting} is the
-- reporting currency.
--
-- The techniques: months are integers relative to the ledger's first month, never dates, in the hot
-- path; every customer has an integer key that also carries its segment's code, and a
-- customer-month is one BIGINT (key << 6 | month); a service period expands to its months by an
-- equi-join on its month count against a tiny (n, offset) table; one window pass ordered by that
-- BIGINT (no PARTITION BY) gives the previous and next paying month and, through
-- lead(k, 12) = k + 12, the MRR 12 months on; a small second query handles the few customers with
-- a gap; one GROUP BY (month, segment) makes every movement and retention sum at once.

CREATE TEMP MACRO month_of(d) AS year(d) * 12 + month(d) - 1;
CREATE TEMP MACRO month_days(d) AS day(last_day(d));
-- a / b rounded half away from zero, in integers (b > 0)
CREATE TEMP MACRO round_div(a, b) AS sign(a) * ((2 * abs(a) + b) // (2 * b));

-- The ledger's months, relative to `base` (at or before the first month a revenue line starts),
-- up to `last`: the latest month a recurring service period starts in. `span` is the last relative
-- month (< 63, so it fits 6 bits and k - 1 never reaches another customer).
CREATE TEMP TABLE bounds AS
WITH inv AS (
    SELECT min(month_of(service_start)) AS lo, max(month_of(service_start)) AS hi
    FROM read_parquet('{invoice_lines}')
    WHERE type IN ('subscription', 'usage')
), sub AS (
    SELECT min(month_of(start_date)) AS lo, max(month_of(start_date)) AS hi
    FROM read_parquet('{subscriptions}')
)
SELECT base, last, CASE WHEN last - base < 63 THEN last - base
                        ELSE error('more than 63 months: widen the month bits') END AS span
FROM (
    SELECT least(inv.lo, sub.lo) AS base, greatest(inv.hi, sub.hi) AS last FROM inv, sub
);

-- Segment codes (0: no segment) and customer keys: seg << 26 | row number, so the segment rides in
-- every customer-month key and the last GROUP BY needs no join.
CREATE TEMP TABLE segments AS
SELECT segment, CAST(row_number() OVER (ORDER BY segment) AS BIGINT) AS seg
FROM (SELECT DISTINCT nullif(trim(segment), '') AS segment FROM read_parquet('{customers}'))
WHERE segment IS NOT NULL;

CREATE TEMP TABLE customer_keys AS
SELECT c.customer_id,
       (coalesce(s.seg, 0) << 26) | CAST(row_number() OVER () AS BIGINT) AS ck
FROM read_parquet('{customers}') AS c
LEFT JOIN segments AS s ON s.segment = nullif(trim(c.segment), '');

-- Currencies as small integers (3 bits): those with rates, and the reporting currency. A line in
-- a currency with no rate never converts (netretain drops it the same way).
CREATE TEMP TABLE currencies AS
SELECT currency,
       CASE WHEN row_number() OVER (ORDER BY currency) < 8
            THEN CAST(row_number() OVER (ORDER BY currency) AS BIGINT)
            ELSE error('more than 7 currencies: widen the currency bits') END AS cur
FROM (
    SELECT DISTINCT upper(trim(currency)) AS currency FROM read_parquet('{fx_rates}')
    UNION SELECT '{reporting}'
);

-- Recurring lines: customer key, currency code, first and last relative month in force, monthly
-- rate in native millionths. An invoice line's period is whole months from its start (month-end
-- clamped) plus the remaining days over the days of the month the remainder starts in.
CREATE TEMP TABLE lines AS
WITH periods AS (
    SELECT
        customer_id, currency, service_start, service_end,
        CAST(amount * 100 AS BIGINT) AS cents,
        month_of(service_end) - month_of(service_start)
            - CASE WHEN service_start + to_months(month_of(service_end) - month_of(service_start))
                        > service_end THEN 1 ELSE 0 END AS whole
    FROM read_parquet('{invoice_lines}')
    WHERE type IN ('subscription', 'usage')
), anchored AS (
    SELECT *, CAST(service_start + to_months(whole) AS DATE) AS anchor FROM periods
), raw AS (
    SELECT
        customer_id,
        currency,
        month_of(service_start) AS first_month,
        month_of(service_end) - 1 AS last_month,
        round_div(
            cents * 10000 * month_days(anchor),
            whole * month_days(anchor) + date_diff('day', anchor, service_end)
        ) AS micros
    FROM anchored
    UNION ALL
    SELECT
        customer_id,
        currency,
        month_of(start_date),
        coalesce(month_of(end_date) - 1, (SELECT last FROM bounds)),
        round_div(CAST(amount * 100 AS BIGINT) * 10000, CAST(interval_months AS BIGINT))
    FROM read_parquet('{subscriptions}')
    WHERE subscription_id NOT IN (
        SELECT subscription_id FROM read_parquet('{invoice_lines}')
        WHERE subscription_id IS NOT NULL
    )
)
SELECT
    k.ck,
    CASE WHEN k.ck IS NULL THEN r.customer_id END AS unknown_id,
    c.cur,
    r.first_month - b.base AS first_rel,
    least(r.last_month, b.last) - b.base AS last_rel,
    r.micros
FROM raw AS r
CROSS JOIN bounds AS b
LEFT JOIN currencies AS c ON c.currency = coalesce(upper(nullif(trim(r.currency), '')), '{reporting}')
LEFT JOIN customer_keys AS k USING (customer_id);

-- Customers seen only in revenue files (none in a clean export): keys after the known ones.
CREATE TEMP TABLE unknown_keys AS
SELECT unknown_id, (SELECT count(*) FROM customer_keys) + row_number() OVER () AS ck
FROM (SELECT DISTINCT unknown_id FROM lines WHERE unknown_id IS NOT NULL);

-- (n, offset) for 0 <= offset <= n <= span: a period of n + 1 months expands by an equi-join.
CREATE TEMP TABLE steps AS
SELECT n.range AS n, o.range AS off
FROM range(0, 64) AS n, range(0, 64) AS o
WHERE o.range <= n.range AND n.range <= (SELECT span FROM bounds);

-- The rate of every currency in every relative month: the last rate at or before the month
-- (exact decimals) and its nearest double; the reporting currency is 1. A month before a
-- currency's first rate has no row.
CREATE TEMP TABLE fx AS
WITH given AS (
    SELECT
        c.cur,
        CAST(left(g.month, 4) AS BIGINT) * 12 + CAST(substr(g.month, 6, 2) AS BIGINT) - 1
            - (SELECT base FROM bounds) AS rel,
        CAST(g.rate AS DECIMAL(38, 10)) AS rate
    FROM read_parquet('{fx_rates}') AS g
    JOIN currencies AS c ON c.currency = upper(trim(g.currency))
    WHERE c.currency <> '{reporting}'
), months AS (
    SELECT range AS rel FROM range(0, (SELECT span FROM bounds) + 1)
), rates AS (
    SELECT g.cur, m.rel, arg_max(g.rate, g.rel) AS rate
    FROM months AS m
    JOIN given AS g ON g.rel <= m.rel
    GROUP BY ALL
    UNION ALL
    SELECT c.cur, m.rel, CAST(1 AS DECIMAL(38, 10))
    FROM months AS m, currencies AS c
    WHERE c.currency = '{reporting}'
)
SELECT cur, rel, rate, CAST(rate AS DOUBLE) AS rate_double FROM rates;

-- Paying customer-months: native micros per customer-month and currency (one GROUP BY on one
-- BIGINT, k << 3 | currency), converted at the month's rate and rounded half up per currency, summed,
-- kept when above zero. Doubles are within 1e-6 of the true product below 1e9 cents, so only a
-- result that close to a half takes the exact decimal product.
CREATE TEMP TABLE paying AS
WITH keyed AS (
    SELECT ck, cur, first_rel, last_rel, micros FROM lines WHERE ck IS NOT NULL
    UNION ALL
    SELECT u.ck, l.cur, l.first_rel, l.last_rel, l.micros
    FROM lines AS l JOIN unknown_keys AS u USING (unknown_id)
), native AS (
    SELECT (l.ck << 9) | ((l.first_rel + s.off) << 3) | l.cur AS kc, sum(l.micros) AS micros
    FROM keyed AS l
    JOIN steps AS s ON s.n = l.last_rel - l.first_rel
    WHERE l.cur IS NOT NULL
    GROUP BY 1
), converted AS (
    SELECT n.kc >> 3 AS k, n.micros, f.rate, n.micros * f.rate_double / 10000 AS approx
    FROM native AS n
    JOIN fx AS f ON f.cur = n.kc & 7 AND f.rel = (n.kc >> 3) & 63
)
SELECT k,
       sum(CASE WHEN abs(approx) < 1e9 AND abs(approx - floor(approx) - 0.5) > 1e-6
                THEN CAST(floor(approx + 0.5) AS BIGINT)
                ELSE CAST(floor(CAST(micros AS DECIMAL(38, 0)) * rate * 0.0001 + 0.5) AS BIGINT)
           END) AS cents
FROM converted
GROUP BY k
HAVING cents > 0;

-- One window pass in key order: the previous and next paying month of the same customer, and the
-- row 12 paying months on (it is the month 12 on exactly when lead(k, 12) = k + 12).
CREATE TEMP TABLE walked AS
SELECT
    k,
    cents,
    lag(k) OVER w AS prev_k,
    lag(cents) OVER w AS prev_cents,
    lead(k) OVER w AS next_k,
    lead(k, 12) OVER w AS k12,
    lead(cents, 12) OVER w AS cents12
FROM paying
WINDOW w AS (ORDER BY k);

-- The few rows whose month 12 on is paid after a gap: their end MRR looked up by key. The main
-- sums count them as churned; `late` holds what to add back.
CREATE TEMP TABLE late AS
WITH gapped AS (
    SELECT DISTINCT k >> 6 AS ck FROM walked
    WHERE next_k >> 6 = k >> 6 AND next_k <> k + 1
)
SELECT w.k, w.cents AS start_cents, p.cents AS end_cents
FROM walked AS w
JOIN gapped AS g ON g.ck = w.k >> 6
JOIN paying AS p ON p.k = w.k + 12
WHERE (w.k12 IS NULL OR w.k12 <> w.k + 12) AND (w.k & 63) + 12 <= (SELECT span FROM bounds);

-- One GROUP BY (month, segment): movements of month m (churn of month m + 1 kept at m) and the
-- cohort of as-of month m + 12, overall and by segment.
CREATE TEMP TABLE sums AS
WITH rows AS (
    SELECT
        k & 63 AS rel,
        k >> 32 AS seg,
        cents,
        prev_k = k - 1 AS steady,
        CASE WHEN prev_k >> 6 = k >> 6 THEN 0 ELSE cents END AS new,
        CASE WHEN prev_k = k - 1 AND cents > prev_cents THEN cents - prev_cents ELSE 0 END
            AS expansion,
        CASE WHEN prev_k = k - 1 AND cents < prev_cents THEN prev_cents - cents ELSE 0 END
            AS contraction,
        CASE WHEN prev_k >> 6 = k >> 6 AND prev_k <> k - 1 THEN cents ELSE 0 END AS reactivation,
        CASE WHEN next_k IS NULL OR next_k <> k + 1 THEN cents ELSE 0 END AS churn_next,
        (k & 63) + 12 <= (SELECT span FROM bounds) AS cohort,
        CASE WHEN k12 = k + 12 THEN cents12 ELSE 0 END AS end_cents
    FROM walked
)
SELECT
    rel,
    seg,
    grouping(seg) AS overall,
    sum(cents) AS mrr_cents,
    count(*) AS customers,
    sum(new) AS new,
    sum(expansion) AS expansion,
    sum(contraction) AS contraction,
    sum(reactivation) AS reactivation,
    sum(churn_next) AS churn_next,
    sum(cents) FILTER (WHERE cohort) AS starting_cents,
    sum(end_cents) FILTER (WHERE cohort) AS ending_cents,
    sum(CASE WHEN end_cents > cents THEN end_cents - cents ELSE 0 END) FILTER (WHERE cohort)
        AS expansion_cents,
    sum(CASE WHEN end_cents > 0 AND end_cents < cents THEN cents - end_cents ELSE 0 END)
        FILTER (WHERE cohort) AS contraction_cents,
    sum(CASE WHEN end_cents = 0 THEN cents ELSE 0 END) FILTER (WHERE cohort) AS churn_cents,
    count(*) FILTER (WHERE cohort) AS customers_start,
    count(*) FILTER (WHERE cohort AND end_cents > 0) AS customers_retained
FROM rows
GROUP BY GROUPING SETS ((rel), (rel, seg))
UNION ALL
-- the late rows' correction: out of churn, into ending (and expansion or contraction)
SELECT
    k & 63, k >> 32, grouping(k >> 32), 0, 0, 0, 0, 0, 0, 0, 0,
    sum(end_cents),
    sum(CASE WHEN end_cents > start_cents THEN end_cents - start_cents ELSE 0 END),
    sum(CASE WHEN end_cents < start_cents THEN start_cents - end_cents ELSE 0 END),
    -sum(start_cents),
    0,
    count(*)
FROM late
GROUP BY GROUPING SETS ((k & 63), (k & 63, k >> 32));

-- result: movements
WITH overall AS (
    SELECT rel, sum(mrr_cents) AS mrr_cents, sum(customers) AS customers, sum(new) AS new,
           sum(expansion) AS expansion, sum(contraction) AS contraction,
           sum(reactivation) AS reactivation, sum(churn_next) AS churn_next
    FROM sums WHERE overall = 1 GROUP BY rel
)
SELECT
    m.range + (SELECT base FROM bounds) AS month_index,
    coalesce(o.mrr_cents, 0) AS mrr_cents,
    coalesce(o.customers, 0) AS customers,
    coalesce(o.new, 0) AS new,
    coalesce(o.expansion, 0) AS expansion,
    coalesce(o.contraction, 0) AS contraction,
    coalesce(c.churn_next, 0) AS churn,
    coalesce(o.reactivation, 0) AS reactivation
FROM range((SELECT min(first_rel) FROM lines), (SELECT span FROM bounds) + 1) AS m
LEFT JOIN overall AS o ON o.rel = m.range
LEFT JOIN overall AS c ON c.rel = m.range - 1;

-- result: trend and trend by segment
WITH cohorts AS (
    SELECT rel, seg, overall,
           sum(starting_cents) AS s, sum(ending_cents) AS e, sum(expansion_cents) AS x,
           sum(contraction_cents) AS c, sum(churn_cents) AS ch,
           sum(customers_start) AS n, sum(customers_retained) AS r
    FROM sums
    WHERE rel + 12 <= (SELECT span FROM bounds)
    GROUP BY ALL
    HAVING sum(customers_start) > 0
)
SELECT
    rel + 12 + (SELECT base FROM bounds) AS as_of_index,
    g.segment,
    overall,
    s AS starting_cents,
    e AS ending_cents,
    x AS expansion_cents,
    c AS contraction_cents,
    ch AS churn_cents,
    n AS customers_start,
    r AS customers_retained,
    e / s AS ndr,
    (s - c - ch) / s AS gdr,
    r / n AS logo_retention
FROM cohorts
LEFT JOIN segments AS g ON g.seg = cohorts.seg AND cohorts.overall = 0;
