"""PyIceberg's side of the catalog benchmark (`pnpm bench catalog`), run by catalog-pyiceberg.ts.

Each command prints one JSON object on stdout; times are in milliseconds, measured around the
PyIceberg call alone (loading the input and starting Python are not counted).

  append  <parquet> <warehouse> <runs>          table.append of the rows in <parquet>, unpartitioned and by day
  scan    <metadata.json> <runs>                 StaticTable scan().to_arrow() of a table Lake wrote
  plan    <metadata.json> <from-us> <to-us> <runs>  plan_files() with ts in [from, to)
  commits <parquet> <warehouse> <count> <rows>   <count> sequential appends of <rows> rows
"""

import json
import os
import sys
import time

import pyarrow.parquet as pq
from pyiceberg.expressions import And, GreaterThanOrEqual, LessThan
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import StaticTable
from pyiceberg.transforms import DayTransform
from pyiceberg.types import (
    BooleanType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    NestedField,
    StringType,
    TimestamptzType,
)

# The same field ids, types and required flags as Lake's `Events` in catalog-data.ts.
SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "ts", TimestamptzType(), required=True),
    NestedField(3, "kind", StringType(), required=True),
    NestedField(4, "user", StringType(), required=False),
    NestedField(5, "value", DoubleType(), required=False),
    NestedField(6, "count", IntegerType(), required=False),
    NestedField(7, "amount", DecimalType(10, 2), required=False),
    NestedField(8, "flag", BooleanType(), required=False),
)
BY_DAY = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=DayTransform(), name="ts_day"))


def ms(start):
    return (time.perf_counter() - start) * 1000


def catalog(warehouse):
    from pyiceberg.catalog.sql import SqlCatalog

    os.makedirs(warehouse, exist_ok=True)
    cat = SqlCatalog("bench", uri=f"sqlite:///{warehouse}/pyiceberg.db", warehouse=f"file://{warehouse}")
    cat.create_namespace_if_not_exists("bench")
    return cat


def append(parquet, warehouse, runs):
    data = pq.read_table(parquet)
    cat = catalog(warehouse)
    out = {"unpartitioned": [], "partitioned": []}
    for run in range(runs + 1):  # run 0 warms up
        for name, spec in (("unpartitioned", PartitionSpec()), ("partitioned", BY_DAY)):
            table = cat.create_table(f"bench.{name}_{run}", schema=SCHEMA, partition_spec=spec)
            start = time.perf_counter()
            table.append(data)
            if run > 0:
                out[name].append(ms(start))
    out["rows"] = data.num_rows
    return out


def scan(metadata, runs):
    times, rows = [], 0
    for run in range(runs + 1):
        table = StaticTable.from_metadata(metadata)
        start = time.perf_counter()
        rows = table.scan().to_arrow().num_rows
        if run > 0:
            times.append(ms(start))
    return {"times": times, "rows": rows}


def plan(metadata, start_us, end_us, runs):
    table = StaticTable.from_metadata(metadata)
    row_filter = And(GreaterThanOrEqual("ts", int(start_us)), LessThan("ts", int(end_us)))
    times, files = [], 0
    for run in range(runs + 1):
        start = time.perf_counter()
        files = len(list(table.scan(row_filter=row_filter).plan_files()))
        if run > 0:
            times.append(ms(start))
    return {"times": times, "files": files}


def commits(parquet, warehouse, count, rows):
    data = pq.read_table(parquet).slice(0, rows)
    table = catalog(warehouse).create_table("bench.commits", schema=SCHEMA)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        table.append(data)
        times.append(ms(start))
    return {"times": times}


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "append":
        result = append(args[0], args[1], int(args[2]))
    elif command == "scan":
        result = scan(args[0], int(args[1]))
    elif command == "plan":
        result = plan(args[0], args[1], args[2], int(args[3]))
    elif command == "commits":
        result = commits(args[0], args[1], int(args[2]), int(args[3]))
    else:
        raise SystemExit(f"unknown command {command}")
    import pyiceberg

    result["version"] = pyiceberg.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
