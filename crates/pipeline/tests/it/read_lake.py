"""Reads a csgen lake back with pyarrow (and DuckDB for local lakes), independently of
the Rust code, and prints a JSON summary for the Rust tests to check.

usage: read_lake.py PATH                 (a local lake folder)
       read_lake.py s3 ENDPOINT BUCKET PREFIX
"""
import json
import sys

import pyarrow.dataset as ds

args = sys.argv[1:]
if args[0] == "s3":
    from pyarrow import fs

    endpoint, bucket, prefix = args[1], args[2], args[3]
    scheme, host = endpoint.split("://", 1)
    filesystem = fs.S3FileSystem(
        endpoint_override=host, scheme=scheme, access_key="testing",
        secret_key="testing", region="us-east-1",
    )
    root = f"{bucket}/{prefix}".rstrip("/") + "/events"
    files = [f.path for f in filesystem.get_file_info(fs.FileSelector(root, recursive=True)) if f.is_file]
else:
    filesystem = None
    root = args[0].rstrip("/") + "/events"
    import os

    files = [os.path.join(d, f) for d, _, fs_ in os.walk(root) for f in fs_]

dataset = ds.dataset(root, filesystem=filesystem, format="parquet", partitioning="hive")
table = dataset.to_table()
types = {f.name: str(f.type) for f in table.schema}
rows = table.to_pylist()
misplaced = [
    r["event_id"] for r in rows
    if r["event_time"].strftime("%Y-%m-%d") != str(r["dt"]) or r["event_time"].hour != int(r["hour"])
]
out = {
    "files": sorted(f[len(root) + 1:] for f in files),
    "types": types,
    "rows": len(rows),
    "event_ids": sorted(r["event_id"] for r in rows),
    "misplaced": misplaced,
    "event_types": sorted({r["event_type"] for r in rows}),
    "null_group_names": sum(1 for r in rows if r["group_name"] is None),
}
if filesystem is None:
    import duckdb

    con = duckdb.connect()
    n, distinct, bad = con.execute(
        "SELECT count(*), count(DISTINCT event_id), "
        "count(*) FILTER (WHERE strftime(event_time AT TIME ZONE 'UTC', '%Y-%m-%d') <> dt "
        "OR hour(event_time AT TIME ZONE 'UTC') <> CAST(hour AS INTEGER)) "
        "FROM read_parquet(?, hive_partitioning = true)",
        [root + "/*/*/*.parquet"],
    ).fetchone()
    out["duckdb"] = {"rows": n, "distinct": distinct, "misplaced": bad}
print(json.dumps(out))
