//! The standard reports as plain SQL over the table `events` (the lake, or the part
//! of it in the asked time range). The same text runs unchanged on DuckDB over
//! `read_parquet('…/events/*/*/*.parquet', hive_partitioning = true)`: the test suite
//! and `scripts/bench-report.sh` do exactly that.
//!
//! Counts are of the rows the lake holds: a duplicated event (same `event_id`) counts
//! twice here; `csgen verify` is the place that accounts for duplicates.

/// Events per hour partition, by type, and the hour's active users.
pub const HOURLY: &str = "\
SELECT dt, hour,
       count(*) AS events,
       count(DISTINCT user_id) AS users,
       count(*) FILTER (WHERE event_type = 'landing') AS landing,
       count(*) FILTER (WHERE event_type = 'group_view') AS group_view,
       count(*) FILTER (WHERE event_type = 'product_view') AS product_view,
       count(*) FILTER (WHERE event_type = 'add_to_cart') AS add_to_cart,
       count(*) FILTER (WHERE event_type = 'remove_from_cart') AS remove_from_cart,
       count(*) FILTER (WHERE event_type = 'cart_view') AS cart_view,
       count(*) FILTER (WHERE event_type = 'checkout') AS checkout,
       count(*) FILTER (WHERE event_type = 'purchase') AS purchase
FROM events
GROUP BY dt, hour
ORDER BY dt, hour";

/// Daily active users, split into new ones (first seen that day, within the range)
/// and returning ones (seen on an earlier day). Two hash aggregations joined on the
/// day (a few rows), rather than a window over every user's days: the window sorts
/// all (user, day) pairs and made this report twice DuckDB's time on 10 M events.
pub const DAILY: &str = "\
WITH per_day AS (
    SELECT dt, count(DISTINCT user_id) AS users FROM events GROUP BY dt
), new_per_day AS (
    SELECT first_dt AS dt, count(*) AS new_users
    FROM (SELECT min(dt) AS first_dt FROM events GROUP BY user_id)
    GROUP BY first_dt
)
SELECT p.dt, p.users,
       coalesce(n.new_users, 0) AS new_users,
       p.users - coalesce(n.new_users, 0) AS returning_users
FROM per_day p LEFT JOIN new_per_day n ON n.dt = p.dt
ORDER BY p.dt";

/// Clicks per product group: group lists, product pages and adds to cart, the share
/// of all grouped clicks, and how many users browsed the group.
pub const GROUPS: &str = "\
SELECT group_id, group_name,
       count(*) AS clicks,
       CAST(count(*) AS DOUBLE) / sum(count(*)) OVER () AS share,
       count(*) FILTER (WHERE event_type = 'group_view') AS list_views,
       count(*) FILTER (WHERE event_type = 'product_view') AS product_views,
       count(*) FILTER (WHERE event_type = 'add_to_cart') AS added_to_cart,
       count(DISTINCT user_id) AS users
FROM events
WHERE group_id IS NOT NULL
GROUP BY group_id, group_name
ORDER BY clicks DESC, group_id";

/// The ten most viewed products of each group (ties by product id), with how often
/// each was added to a cart.
pub const TOP_PRODUCTS: &str = "\
WITH per_product AS (
    SELECT group_id, group_name, product_id,
           count(*) FILTER (WHERE event_type = 'product_view') AS views,
           count(*) FILTER (WHERE event_type = 'add_to_cart') AS added_to_cart
    FROM events
    WHERE group_id IS NOT NULL AND product_id IS NOT NULL
      AND event_type IN ('product_view', 'add_to_cart')
    GROUP BY group_id, group_name, product_id
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY group_id ORDER BY views DESC, product_id) AS product_rank
    FROM per_product
)
SELECT group_id, group_name, product_rank, product_id, views, added_to_cart
FROM ranked
WHERE product_rank <= 10
ORDER BY group_id, product_rank";

/// Sessions by the day they started (the day of their first event), and over the
/// whole range (the row without a day): length in events and seconds, and bounces
/// (sessions of a single event).
pub const SESSIONS: &str = "\
WITH per_session AS (
    SELECT session_id,
           min(dt) AS dt,
           count(*) AS events,
           date_part('epoch', max(event_time)) - date_part('epoch', min(event_time)) AS seconds
    FROM events
    GROUP BY session_id
)
SELECT dt,
       count(*) AS sessions,
       count(*) FILTER (WHERE events = 1) AS bounces,
       CAST(count(*) FILTER (WHERE events = 1) AS DOUBLE) / count(*) AS bounce_rate,
       avg(events) AS events_per_session,
       avg(seconds) AS avg_seconds,
       median(seconds) AS median_seconds
FROM per_session
GROUP BY ROLLUP (dt)
ORDER BY dt NULLS LAST";

/// The purchase funnel over sessions. `sessions`: sessions that reached the step and
/// every earlier one (in any order); `reached`: sessions that reached the step at all.
/// `conversion` is from the previous step, `overall` from all sessions. The cart step
/// is adding to or viewing the cart.
pub const FUNNEL: &str = "\
WITH per_session AS (
    SELECT session_id,
           bool_or(event_type = 'group_view') AS group_list,
           bool_or(event_type = 'product_view') AS product,
           bool_or(event_type IN ('add_to_cart', 'cart_view')) AS cart,
           bool_or(event_type = 'checkout') AS checkout,
           bool_or(event_type = 'purchase') AS purchase
    FROM events
    GROUP BY session_id
), totals AS (
    SELECT count(*) AS all_sessions,
           count(*) FILTER (WHERE group_list) AS f1,
           count(*) FILTER (WHERE group_list AND product) AS f2,
           count(*) FILTER (WHERE group_list AND product AND cart) AS f3,
           count(*) FILTER (WHERE group_list AND product AND cart AND checkout) AS f4,
           count(*) FILTER (WHERE group_list AND product AND cart AND checkout AND purchase) AS f5,
           count(*) FILTER (WHERE group_list) AS r1,
           count(*) FILTER (WHERE product) AS r2,
           count(*) FILTER (WHERE cart) AS r3,
           count(*) FILTER (WHERE checkout) AS r4,
           count(*) FILTER (WHERE purchase) AS r5
    FROM per_session
), steps AS (
    SELECT step, name,
           CASE step WHEN 0 THEN all_sessions WHEN 1 THEN f1 WHEN 2 THEN f2
                     WHEN 3 THEN f3 WHEN 4 THEN f4 ELSE f5 END AS sessions,
           CASE step WHEN 0 THEN all_sessions WHEN 1 THEN r1 WHEN 2 THEN r2
                     WHEN 3 THEN r3 WHEN 4 THEN r4 ELSE r5 END AS reached
    FROM totals
    CROSS JOIN (VALUES (0, 'session'), (1, 'group list'), (2, 'product'),
                       (3, 'cart'), (4, 'checkout'), (5, 'purchase')) AS names (step, name)
)
SELECT step, name, sessions, reached,
       CAST(sessions AS DOUBLE) / nullif(lag(sessions) OVER (ORDER BY step), 0) AS conversion,
       CAST(sessions AS DOUBLE) / nullif(first_value(sessions) OVER (ORDER BY step), 0) AS overall
FROM steps
ORDER BY step";

/// Orders, revenue and average order value per day and currency. Money is summed
/// exactly as decimals, then shown as a double (exact sums are `csgen verify`'s
/// business). Orders are purchase rows, like every count here.
pub const REVENUE: &str = "\
SELECT dt, coalesce(currency, '') AS currency,
       count(*) AS orders,
       CAST(coalesce(sum(revenue), 0) AS DOUBLE) AS revenue,
       CAST(coalesce(sum(revenue), 0) AS DOUBLE) / count(*) AS average_order_value
FROM events
WHERE event_type = 'purchase'
GROUP BY dt, coalesce(currency, '')
ORDER BY dt, currency";

/// Sessions, conversion and revenue by channel: the session's campaign source
/// (`utm_source`; the model carries it on every event of the session), else its
/// referrer's host, else `direct`.
pub const CHANNELS: &str = "\
WITH per_session AS (
    SELECT session_id,
           coalesce(max(utm_source), max(split_part(referrer, '/', 3)), 'direct') AS channel,
           max(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS converted,
           CAST(coalesce(sum(revenue), 0) AS DOUBLE) AS revenue
    FROM events
    GROUP BY session_id
)
SELECT channel,
       count(*) AS sessions,
       sum(converted) AS converted,
       CAST(sum(converted) AS DOUBLE) / count(*) AS conversion,
       sum(revenue) AS revenue
FROM per_session
GROUP BY channel
ORDER BY revenue DESC, channel";

/// A purchase's order lines, one row each (`items` unnested): the order, its currency,
/// and the line's product, units and unit price. The lines of orders in lakes written
/// before the `items` column are not there (their `items` is null).
macro_rules! lines {
    () => {
        "\
lines AS (
    SELECT event_id, l.cur AS currency, l.it.product_id AS product_id,
           l.it.quantity AS quantity, l.it.price AS price
    FROM (SELECT event_id, coalesce(currency, '') AS cur, unnest(items) AS it
          FROM events WHERE event_type = 'purchase') AS l
)"
    };
}

/// Revenue per product group and currency from the order lines, the group from the
/// catalog (`products`): orders that hold the group, units, revenue (exact decimal
/// sums, shown as doubles). Lines whose product is not in the catalog count under a
/// null group.
pub const GROUP_REVENUE: &str = concat!(
    "WITH ",
    lines!(),
    "
SELECT p.group_id, p.group_name, lines.currency,
       count(DISTINCT lines.event_id) AS orders,
       sum(lines.quantity) AS units,
       CAST(sum(lines.quantity * lines.price) AS DOUBLE) AS revenue
FROM lines LEFT JOIN products p ON p.product_id = lines.product_id
GROUP BY p.group_id, p.group_name, lines.currency
ORDER BY revenue DESC, p.group_id"
);

/// The ten products with the most revenue (ties by product id), named from the
/// catalog: units sold, orders that held them, revenue.
pub const TOP_REVENUE_PRODUCTS: &str = concat!(
    "WITH ",
    lines!(),
    ", per_product AS (
    SELECT product_id, currency,
           count(DISTINCT event_id) AS orders,
           sum(quantity) AS units,
           sum(quantity * price) AS amount
    FROM lines
    GROUP BY product_id, currency
)
SELECT pp.product_id, p.name, p.group_name, pp.currency, pp.orders, pp.units,
       CAST(pp.amount AS DOUBLE) AS revenue
FROM per_product pp LEFT JOIN products p ON p.product_id = pp.product_id
ORDER BY pp.amount DESC, pp.product_id
LIMIT 10"
);

/// Sessions, conversion (sessions with a purchase ÷ sessions), orders and revenue per
/// value of one session attribute (`$column`: the session's value, `unknown` when its
/// events carry none), as the column `segment`. Revenue is summed exactly per session
/// and per segment, then shown as a double.
macro_rules! by_session {
    ($column:literal) => {
        concat!(
            "\
WITH per_session AS (
    SELECT session_id,
           coalesce(max(",
            $column,
            "), 'unknown') AS segment,
           max(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS converted,
           count(*) FILTER (WHERE event_type = 'purchase') AS orders,
           coalesce(sum(revenue), 0) AS amount
    FROM events
    GROUP BY session_id
)
SELECT segment,
       count(*) AS sessions,
       sum(converted) AS converted,
       CAST(sum(converted) AS DOUBLE) / count(*) AS conversion,
       sum(orders) AS orders,
       CAST(sum(amount) AS DOUBLE) AS revenue
FROM per_session
GROUP BY segment
ORDER BY sessions DESC, segment"
        )
    };
}

/// [`by_session`] by device class (`desktop`, `mobile`, `tablet`, …).
pub const DEVICES: &str = by_session!("device");

/// [`by_session`] by country (ISO 3166 alpha-2).
pub const COUNTRIES: &str = by_session!("country");

/// Weekly cohort retention: users by the week (Monday, UTC) of their first event in
/// the range; for each later week, how many of them were active and their share of
/// the cohort (week 0 is 1 by definition).
pub const COHORTS: &str = "\
WITH activity AS (
    SELECT DISTINCT user_id, date_trunc('week', event_time) AS week FROM events
), firsts AS (
    SELECT user_id, min(week) AS cohort FROM activity GROUP BY user_id
), sizes AS (
    SELECT cohort, count(*) AS users FROM firsts GROUP BY cohort
)
SELECT CAST(f.cohort AS DATE) AS cohort_week,
       s.users AS cohort_users,
       CAST((extract(epoch FROM a.week) - extract(epoch FROM f.cohort)) / 604800 AS BIGINT) AS weeks_later,
       count(*) AS active_users,
       CAST(count(*) AS DOUBLE) / s.users AS retention
FROM activity a
JOIN firsts f ON f.user_id = a.user_id
JOIN sizes s ON s.cohort = f.cohort
GROUP BY f.cohort, s.users, a.week
ORDER BY cohort_week, weeks_later";
