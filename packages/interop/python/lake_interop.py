"""PyIceberg's side of Lake's interop tests.

Commands print one JSON document on stdout, in the canonical form shared with the Java harness
and src/index.ts (see ../README.md):

    read <warehouse> <ns.table> [--snapshot-id N]   schema, spec, snapshots and canonical rows
    read-many <warehouse> <ns.table>...             a read of each table, keyed by table
    append <warehouse> <ns.table> <rows.json>       appends canonical rows with PyIceberg's writer
    create-fixture <warehouse>                      writes py_db.events and py_db.all_types

Tables are in Apache Iceberg Java's HadoopCatalog layout: <warehouse>/<ns>/<table>/metadata/
vN.metadata.json plus version-hint.text, locations recorded as file:/abs/path. PyIceberg has no
Hadoop catalog, so reads open the current metadata file with StaticTable, and commits go through
a throw-away SqlCatalog (sqlite in a temporary directory) in which the table is registered at its
current metadata file; the metadata file PyIceberg writes is then published as the next
vN.metadata.json (a hard link, which fails if another writer took that version first, as Java's
rename does) and version-hint.text is updated.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import sys
import tempfile
import uuid
from typing import Any, Callable

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import EqualTo
from pyiceberg.io.pyarrow import schema_to_pyarrow
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import StaticTable, Table
from pyiceberg.transforms import DayTransform, IdentityTransform
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FixedType,
    FloatType,
    IcebergType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    NestedField,
    StringType,
    StructType,
    TimestampType,
    TimestamptzType,
    TimeType,
    UUIDType,
)

VERSION_HINT = "version-hint.text"


# ---------------------------------------------------------------------------- the Hadoop layout


def table_dir(warehouse: str, name: str) -> str:
    *namespace, table = name.split(".")
    return os.path.join(os.path.abspath(warehouse), *namespace, table)


# Java's names for version N: plain, gzip (write.metadata.compression-codec=gzip), old gzip.
SUFFIXES = (".metadata.json", ".gz.metadata.json", ".metadata.json.gz")


def current_version(metadata_dir: str) -> int:
    """The hinted version, then newer versions probed one by one, as Java's HadoopTableOperations."""
    with open(os.path.join(metadata_dir, VERSION_HINT), encoding="utf-8") as f:
        version = int(f.read().strip())
    while find_metadata_file(metadata_dir, version + 1) is not None:
        version += 1
    return version


def find_metadata_file(metadata_dir: str, version: int) -> str | None:
    for suffix in SUFFIXES:
        path = os.path.join(metadata_dir, f"v{version}{suffix}")
        if os.path.exists(path):
            return path
    return None


def metadata_file(metadata_dir: str, version: int) -> str:
    path = find_metadata_file(metadata_dir, version)
    if path is None:
        raise FileNotFoundError(f"No metadata file for version {version} in {metadata_dir}")
    return path


def local_path(location: str) -> str:
    if location.startswith("file://"):
        return location[len("file://") :]
    if location.startswith("file:"):
        return location[len("file:") :]
    return location


def publish(metadata_dir: str, version: int, written_location: str) -> None:
    """Makes the metadata file PyIceberg wrote the table's version `version`."""
    written = local_path(written_location)
    suffix = ".gz.metadata.json" if written.endswith(".gz.metadata.json") else ".metadata.json"
    os.link(written, os.path.join(metadata_dir, f"v{version}{suffix}"))
    os.remove(written)
    temp = os.path.join(metadata_dir, f".{uuid.uuid4()}-{VERSION_HINT}")
    with open(temp, "w", encoding="utf-8") as f:
        f.write(str(version))
    os.replace(temp, os.path.join(metadata_dir, VERSION_HINT))


def with_catalog(action: Callable[[SqlCatalog], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="lake-interop-py-") as tmp:
        catalog = SqlCatalog("lake_interop", uri=f"sqlite:///{tmp}/catalog.db", warehouse=f"file://{tmp}")
        action(catalog)


def commit(warehouse: str, name: str, change: Callable[[Table], None]) -> None:
    """Runs `change` (one PyIceberg commit) on the table and publishes its result as the next version."""
    metadata_dir = os.path.join(table_dir(warehouse, name), "metadata")
    version = current_version(metadata_dir)

    def run(catalog: SqlCatalog) -> None:
        namespace = name.rsplit(".", 1)[0]
        catalog.create_namespace(namespace)
        table = catalog.register_table(name, "file:" + metadata_file(metadata_dir, version))
        change(table)
        publish(metadata_dir, version + 1, table.metadata_location)

    with_catalog(run)


# ---------------------------------------------------------------------------- canonical JSON


def canonical(type_: IcebergType, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(type_, BooleanType):
        return bool(value)
    if isinstance(type_, IntegerType):
        return int(value)
    if isinstance(type_, LongType):
        return str(int(value))
    if isinstance(type_, (FloatType, DoubleType)):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float(value)
    if isinstance(type_, DecimalType):
        with decimal.localcontext() as context:
            context.prec = 80
            return format(decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-type_.scale)), "f")
    if isinstance(type_, DateType):
        return value.isoformat()
    if isinstance(type_, TimeType):
        return value.isoformat(timespec="microseconds")
    if isinstance(type_, TimestamptzType):
        utc = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return utc.isoformat(timespec="microseconds") + "Z"
    if isinstance(type_, TimestampType):
        return value.isoformat(timespec="microseconds")
    if isinstance(type_, StringType):
        return str(value)
    if isinstance(type_, UUIDType):
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(bytes=bytes(value)))
    if isinstance(type_, (FixedType, BinaryType)):
        return bytes(value).hex()
    if isinstance(type_, StructType):
        return {field.name: canonical(field.field_type, value.get(field.name)) for field in type_.fields}
    if isinstance(type_, ListType):
        return [canonical(type_.element_type, item) for item in value]
    if isinstance(type_, MapType):
        items = value.items() if isinstance(value, dict) else value
        pairs = [[canonical(type_.key_type, k), canonical(type_.value_type, v)] for k, v in items]
        return sorted(pairs, key=lambda pair: text(pair[0]))
    raise TypeError(f"No canonical form for {type_}")


def python_value(type_: IcebergType, value: Any) -> Any:
    """The Python value pyarrow takes for a canonical JSON value."""
    if value is None:
        return None
    if isinstance(type_, LongType):
        return int(value)
    if isinstance(type_, (FloatType, DoubleType)):
        return float(value)
    if isinstance(type_, DecimalType):
        return decimal.Decimal(value)
    if isinstance(type_, DateType):
        return dt.date.fromisoformat(value)
    if isinstance(type_, TimeType):
        return dt.time.fromisoformat(value)
    if isinstance(type_, (TimestampType, TimestamptzType)):
        return dt.datetime.fromisoformat(value)
    if isinstance(type_, UUIDType):
        return uuid.UUID(value).bytes
    if isinstance(type_, (FixedType, BinaryType)):
        return bytes.fromhex(value)
    if isinstance(type_, StructType):
        return {field.name: python_value(field.field_type, value.get(field.name)) for field in type_.fields}
    if isinstance(type_, ListType):
        return [python_value(type_.element_type, item) for item in value]
    if isinstance(type_, MapType):
        return [(python_value(type_.key_type, k), python_value(type_.value_type, v)) for k, v in value]
    return value


def text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def schema_json(schema: Schema) -> dict[str, Any]:
    """The schema as Java's SchemaParser writes it: no empty identifier-field-ids."""
    out = json.loads(schema.model_dump_json())
    if not out.get("identifier-field-ids"):
        out.pop("identifier-field-ids", None)
    return out


def spec_json(spec: PartitionSpec) -> dict[str, Any]:
    return {
        "spec-id": spec.spec_id,
        "fields": [
            {"name": f.name, "transform": str(f.transform), "source-id": f.source_id, "field-id": f.field_id}
            for f in spec.fields
        ],
    }


def ref_json(ref: Any) -> dict[str, Any]:
    return {
        "snapshot-id": str(ref.snapshot_id),
        "type": ref.snapshot_ref_type.value,
        "min-snapshots-to-keep": ref.min_snapshots_to_keep,
        "max-snapshot-age-ms": ref.max_snapshot_age_ms,
        "max-ref-age-ms": ref.max_ref_age_ms,
    }


def snapshot_json(snapshot: Any) -> dict[str, Any]:
    summary = snapshot.summary
    return {
        "snapshot-id": str(snapshot.snapshot_id),
        "parent-snapshot-id": None if snapshot.parent_snapshot_id is None else str(snapshot.parent_snapshot_id),
        "sequence-number": snapshot.sequence_number,
        "timestamp-ms": snapshot.timestamp_ms,
        "operation": summary.operation.value,
        "schema-id": snapshot.schema_id,
        "summary": dict(sorted(summary.additional_properties.items())),
    }


# ---------------------------------------------------------------------------- commands


def read(warehouse: str, name: str, snapshot_id: int | None) -> dict[str, Any]:
    metadata_dir = os.path.join(table_dir(warehouse, name), "metadata")
    table = StaticTable.from_metadata(metadata_file(metadata_dir, current_version(metadata_dir)))
    scan = table.scan() if snapshot_id is None else table.scan(snapshot_id=snapshot_id)
    schema = scan.projection()
    struct = schema.as_struct()
    rows = [canonical(struct, row) for row in scan.to_arrow().to_pylist()]
    metadata = table.metadata
    return {
        "schema": schema_json(schema),
        "spec": spec_json(metadata.spec()),
        "snapshots": [snapshot_json(s) for s in metadata.snapshots],
        "current-snapshot-id": None if metadata.current_snapshot_id is None else str(metadata.current_snapshot_id),
        "refs": {name: ref_json(ref) for name, ref in sorted(metadata.refs.items())},
        "rows": sorted(rows, key=text),
    }


def arrow_rows(table: Table, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table.schema()
    values = [python_value(schema.as_struct(), row) for row in rows]
    return pa.Table.from_pylist(values, schema=schema_to_pyarrow(schema))


def append(warehouse: str, name: str, rows_path: str) -> dict[str, Any]:
    with open(rows_path, encoding="utf-8") as f:
        rows = json.load(f)
    result: dict[str, Any] = {}

    def change(table: Table) -> None:
        table.append(arrow_rows(table, rows))
        result["snapshot-id"] = str(table.current_snapshot().snapshot_id)

    commit(warehouse, name, change)
    return result


DAY1 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def event_rows(day: int, first_id: int, count: int, kind_column: str) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        ts = DAY1 + dt.timedelta(days=day, seconds=3_601 * i, microseconds=7 * i)
        rows.append(
            {
                "id": str(first_id + i),
                "ts": ts.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z",
                kind_column: ["view", "click", None][i % 3],
                "amount": None if i % 4 == 0 else f"{i * 3}.{i:02d}",
                "tags": None if i % 5 == 0 else [f"t{j}" for j in range(i % 3)],
            }
        )
    return rows


ALL_TYPES_ROWS: list[dict[str, Any]] = [
    {
        "b": True,
        "i": -2147483648,
        "l": "9223372036854775807",
        "f": 0.10000000149011612,
        "d": -1e300,
        "dec": "-1234567890123456789012345678.0123456789",
        "dt": "1969-12-31",
        "t": "23:59:59.999999",
        "ts": "2026-03-08T02:30:00.123456",
        "tstz": "1900-01-01T00:00:00.000001Z",
        "s": "grüße, 世界 🌍",
        "u": "f79c3e09-677c-4bbd-a479-3f349cb785e7",
        "fx": "007fff",
        "bin": "006c616b650a",
        "st": {"x": 42, "y": "inner"},
        "li": ["1", None, "-9223372036854775808"],
        "mp": [["a", None], ["z", 1.5]],
        "deep": [{"a": 7, "m": [[1, "one"], [2, "two"]]}, {"a": None, "m": None}],
    },
    {
        "b": False,
        "i": 0,
        "l": "-1",
        "f": "-Infinity",
        "d": "NaN",
        "dec": "0.0000000001",
        "dt": "2026-02-28",
        "t": "00:00:00.000000",
        "ts": "1970-01-01T00:00:00.000000",
        "tstz": "2026-06-30T23:59:59.999999Z",
        "s": "",
        "u": "80000000-0000-0000-0000-000000000000",
        "fx": "010203",
        "bin": "",
        "st": None,
        "li": [],
        "mp": [],
        "deep": [],
    },
    {"b": None},
]


def all_types_schema() -> Schema:
    return Schema(
        NestedField(1, "b", BooleanType(), required=False),
        NestedField(2, "i", IntegerType(), required=False),
        NestedField(3, "l", LongType(), required=False),
        NestedField(4, "f", FloatType(), required=False),
        NestedField(5, "d", DoubleType(), required=False),
        NestedField(6, "dec", DecimalType(38, 10), required=False),
        NestedField(7, "dt", DateType(), required=False),
        NestedField(8, "t", TimeType(), required=False),
        NestedField(9, "ts", TimestampType(), required=False),
        NestedField(10, "tstz", TimestamptzType(), required=False),
        NestedField(11, "s", StringType(), required=False),
        NestedField(12, "u", UUIDType(), required=False),
        NestedField(13, "fx", FixedType(3), required=False),
        NestedField(14, "bin", BinaryType(), required=False),
        NestedField(
            15,
            "st",
            StructType(
                NestedField(18, "x", IntegerType(), required=False), NestedField(19, "y", StringType(), required=True)
            ),
            required=False,
        ),
        NestedField(16, "li", ListType(20, LongType(), element_required=False), required=False),
        NestedField(17, "mp", MapType(21, StringType(), 22, DoubleType(), value_required=False), required=False),
        NestedField(
            23,
            "deep",
            ListType(
                24,
                StructType(
                    NestedField(25, "a", IntegerType(), required=False),
                    NestedField(26, "m", MapType(27, IntegerType(), 28, StringType(), value_required=True), required=False),
                ),
                element_required=True,
            ),
            required=False,
        ),
    )


def create_table(warehouse: str, name: str, schema: Schema, spec: PartitionSpec) -> None:
    """Creates a table in a throw-away catalog and publishes it as version 1 of the Hadoop layout."""
    location = table_dir(warehouse, name)
    metadata_dir = os.path.join(location, "metadata")

    def create(catalog: SqlCatalog) -> None:
        catalog.create_namespace(name.rsplit(".", 1)[0])
        table = catalog.create_table(name, schema, location="file:" + location, partition_spec=spec)
        os.makedirs(metadata_dir, exist_ok=True)
        publish(metadata_dir, 1, table.metadata_location)

    with_catalog(create)


def create_fixture(warehouse: str) -> dict[str, Any]:
    """py_db.events (partitioned; appends, a rename, deletes) and py_db.all_types (pyarrow's Parquet)."""
    create_table(warehouse, "py_db.all_types", all_types_schema(), PartitionSpec())
    commit(warehouse, "py_db.all_types", lambda t: t.append(arrow_rows(t, ALL_TYPES_ROWS[:2])))
    commit(warehouse, "py_db.all_types", lambda t: t.append(arrow_rows(t, ALL_TYPES_ROWS[2:])))
    return {"tables": [create_events(warehouse), "py_db.all_types"]}


def create_events(warehouse: str) -> str:
    """py_db.events: day(ts) and identity(kind) partitions; appends, a rename, deletes."""
    name = "py_db.events"
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "ts", TimestamptzType(), required=True),
        NestedField(3, "kind", StringType(), required=False),
        NestedField(4, "amount", DecimalType(9, 2), required=False),
        NestedField(5, "tags", ListType(6, StringType(), element_required=False), required=False),
    )
    spec = PartitionSpec(
        PartitionField(source_id=2, field_id=1000, transform=DayTransform(), name="ts_day"),
        PartitionField(source_id=3, field_id=1001, transform=IdentityTransform(), name="kind"),
    )

    create_table(warehouse, name, schema, spec)
    commit(warehouse, name, lambda t: t.append(arrow_rows(t, event_rows(0, 0, 10, "kind"))))
    commit(warehouse, name, lambda t: t.append(arrow_rows(t, event_rows(1, 10, 10, "kind"))))

    def rename(table: Table) -> None:
        with table.update_schema() as update:
            update.rename_column("kind", "category")

    commit(warehouse, name, rename)
    commit(warehouse, name, lambda t: t.append(arrow_rows(t, event_rows(2, 20, 10, "category"))))
    # Whole files (category is an identity partition): a 'delete' snapshot.
    commit(warehouse, name, lambda t: t.delete(EqualTo("category", "view")))
    # Part of a file: PyIceberg rewrites it (copy-on-write), an 'overwrite' snapshot.
    commit(warehouse, name, lambda t: t.delete(EqualTo("id", 14)))
    return name


def main(argv: list[str]) -> int:
    usage = (
        "usage: read <warehouse> <ns.table> [--snapshot-id N] | read-many <warehouse> <ns.table>..."
        " | append <warehouse> <ns.table> <rows.json> | create-fixture <warehouse>"
    )
    if len(argv) >= 3 and argv[0] == "read" and (len(argv) == 3 or (len(argv) == 5 and argv[3] == "--snapshot-id")):
        result = read(argv[1], argv[2], int(argv[4]) if len(argv) == 5 else None)
    elif len(argv) >= 2 and argv[0] == "read-many":
        result = {name: read(argv[1], name, None) for name in argv[2:]}
    elif len(argv) == 4 and argv[0] == "append":
        result = append(argv[1], argv[2], argv[3])
    elif len(argv) == 2 and argv[0] == "create-fixture":
        result = create_fixture(argv[1])
    else:
        print(usage, file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
