"""Runs csgen's report SQL on DuckDB over the same Parquet files: the independent
engine the report tests compare with, and the baseline of scripts/bench-report.sh.

Reads a JSON request on stdin:
    {"lake": DIR, "range_predicate": SQL or null, "reports": [{"name", "sql"}, ...],
     "repeat": N (optional, default 1)}
(`csgen report --sql --json` prints the "reports" and "range_predicate" parts) and
prints {"reports": {name: [row objects]}, "seconds": {name: best time of N runs}}.

`events` is a view over read_parquet(..., hive_partitioning) with dt typed DATE and
hour INTEGER, as csgen types them, restricted to the range when there is one;
`products` one over products/*.parquet (an empty table when the lake has none).
"""

import datetime
import decimal
import json
import math
import sys
import time

import duckdb


def plain(v):
    """A DuckDB value as JSON: dates as YYYY-MM-DD, NaN as null."""
    if isinstance(v, (datetime.datetime, datetime.date)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def main():
    req = json.load(sys.stdin)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = req["lake"].rstrip("/") + "/events/*/*/*.parquet"
    where = f" WHERE {req['range_predicate']}" if req.get("range_predicate") else ""
    con.execute(
        "CREATE VIEW events AS SELECT * FROM read_parquet("
        f"'{files}', hive_partitioning = true, "
        "hive_types = {'dt': DATE, 'hour': INTEGER})" + where
    )
    # The catalog beside events/ (realistic lakes); an empty table of its columns
    # otherwise, so that the reports joining it answer with null names.
    products = req["lake"].rstrip("/") + "/products/*.parquet"
    if con.execute(f"SELECT count(*) FROM glob('{products}')").fetchone()[0]:
        con.execute(f"CREATE VIEW products AS SELECT * FROM read_parquet('{products}')")
    else:
        con.execute(
            "CREATE TABLE products (product_id BIGINT, name VARCHAR, group_id INTEGER, "
            "group_name VARCHAR, category VARCHAR, price DECIMAL(18,3), currency VARCHAR)"
        )
    repeat = int(req.get("repeat", 1))
    out, seconds = {}, {}
    for report in req["reports"]:
        best = math.inf
        for _ in range(repeat):
            start = time.perf_counter()
            cur = con.execute(report["sql"])
            rows = cur.fetchall()
            best = min(best, time.perf_counter() - start)
        cols = [d[0] for d in cur.description]
        out[report["name"]] = [dict(zip(cols, map(plain, row))) for row in rows]
        seconds[report["name"]] = best
    json.dump({"reports": out, "seconds": seconds}, sys.stdout)


if __name__ == "__main__":
    main()
