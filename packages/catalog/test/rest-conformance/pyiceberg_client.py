"""PyIceberg's RestCatalog against Lake's REST endpoint.

Usage: python pyiceberg_client.py <uri> <token> <warehouse>

Lists, loads and scans a table Lake wrote (db.events, partitioned by day(ts)), appends to it,
adds a column and appends again, then creates tables (directly and through a create
transaction), renames and drops one. Prints one JSON document on stdout for the test to check;
timestamps as microseconds, so nothing is lost on the way.
"""

import json
import sys
from datetime import datetime, timezone

import pyarrow as pa
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType


def micros(value):
    if value is None:
        return None
    return int((value - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds()) * 1_000_000 + value.microsecond


def rows_of(table):
    arrow = table.scan().to_arrow()
    rows = []
    for row in arrow.to_pylist():
        out = dict(row)
        if "ts" in out:
            out["ts"] = micros(out["ts"])
        rows.append(out)
    return sorted(rows, key=lambda r: r["id"])


def ts(text):
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def main():
    uri, token, warehouse = sys.argv[1:4]
    catalog = RestCatalog("lake", uri=uri, token=token, warehouse=warehouse)
    out = {
        "namespaces": [list(n) for n in catalog.list_namespaces()],
        "tables": [list(t) for t in catalog.list_tables("db")],
        "namespace_exists": catalog.namespace_exists("db"),
        "table_exists": [catalog.table_exists("db.events"), catalog.table_exists("db.nope")],
    }

    table = catalog.load_table("db.events")
    out["loaded"] = {
        "metadata_location": table.metadata_location,
        "snapshot_id": str(table.current_snapshot().snapshot_id),
        "spec": str(table.spec()),
    }
    out["scanned"] = rows_of(table)

    # An append with PyIceberg's own writer, committed through the endpoint.
    arrow_schema = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("ts", pa.timestamp("us", tz="UTC")),
            pa.field("kind", pa.string()),
        ]
    )
    table.append(
        pa.Table.from_pylist(
            [
                {"id": 100, "ts": ts("2024-03-01T10:00:00.000001+00:00"), "kind": "py"},
                {"id": 101, "ts": ts("2024-03-02T23:59:59.999999+00:00"), "kind": None},
            ],
            schema=arrow_schema,
        )
    )

    # A stale commit: a second handle still on the old version must be refused, not merged.
    stale = catalog.load_table("db.events")
    with table.update_schema() as update:
        update.add_column("note", StringType())
    try:
        with stale.update_schema() as update:
            update.add_column("other", StringType())
        out["stale_commit"] = "accepted"
    except CommitFailedException:
        out["stale_commit"] = "CommitFailedException"

    table = catalog.load_table("db.events")
    table.append(
        pa.Table.from_pylist(
            [{"id": 102, "ts": ts("2024-03-03T00:00:00+00:00"), "kind": "py", "note": "after evolve"}],
            schema=arrow_schema.append(pa.field("note", pa.string())),
        )
    )
    out["after"] = rows_of(catalog.load_table("db.events"))
    out["schema"] = [f.name for f in catalog.load_table("db.events").schema().fields]

    # Tables PyIceberg creates: directly, and through a create transaction (stage-create).
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "name", StringType(), required=False),
    )
    created = catalog.create_table("db.py_created", schema=schema, properties={"owner": "pyiceberg"})
    created.append(
        pa.Table.from_pylist(
            [{"id": 1, "name": "one"}, {"id": 2, "name": None}],
            schema=pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string())]),
        )
    )
    try:
        catalog.create_table("db.py_created", schema=schema)
        out["duplicate_create"] = "accepted"
    except TableAlreadyExistsError:
        out["duplicate_create"] = "TableAlreadyExistsError"

    with catalog.create_table_transaction("db.py_staged", schema=schema) as transaction:
        transaction.set_properties(staged="yes")
    out["staged"] = {
        "exists": catalog.table_exists("db.py_staged"),
        "properties": catalog.load_table("db.py_staged").properties,
    }

    catalog.rename_table("db.py_staged", "db.py_renamed")
    catalog.drop_table("db.py_renamed")
    try:
        catalog.load_table("db.py_renamed")
        out["dropped"] = False
    except NoSuchTableError:
        out["dropped"] = True
    out["tables_after"] = sorted(list(t) for t in catalog.list_tables("db"))

    print(json.dumps(out))


if __name__ == "__main__":
    main()
