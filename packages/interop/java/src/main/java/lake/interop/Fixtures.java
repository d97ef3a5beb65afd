package lake.interop;

import static org.apache.iceberg.types.Types.NestedField.optional;
import static org.apache.iceberg.types.Types.NestedField.required;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.OverwriteFiles;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.deletes.PositionDelete;
import org.apache.iceberg.deletes.PositionDeleteWriter;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.types.Types;

/** Tables written by Apache Iceberg Java for Lake (and PyIceberg) to read. */
final class Fixtures {
  private static final OffsetDateTime DAY1 = OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

  private Fixtures() {}

  static JsonNode create(HadoopCatalog catalog) {
    Namespace ns = Namespace.of("java_db");
    if (!catalog.namespaceExists(ns)) catalog.createNamespace(ns);
    events(catalog, TableIdentifier.of(ns, "events"));
    allTypes(catalog, TableIdentifier.of(ns, "all_types"));
    rowDeltas(catalog, TableIdentifier.of(ns, "row_deltas"));
    evolvedSpec(catalog, TableIdentifier.of(ns, "evolved_spec"));
    gzipMetadata(catalog, TableIdentifier.of(ns, "gzip_metadata"));
    formatV1(catalog, TableIdentifier.of(ns, "format_v1"));
    schemaEvolution(catalog, TableIdentifier.of(ns, "schema_evolution"));
    bigFile(catalog, TableIdentifier.of(ns, "big_file"));
    avroFiles(catalog, TableIdentifier.of(ns, "avro_files"));
    oddNames(catalog, TableIdentifier.of(ns, "odd_names"));
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.putArray("tables")
        .add("java_db.events")
        .add("java_db.all_types")
        .add("java_db.row_deltas")
        .add("java_db.evolved_spec")
        .add("java_db.gzip_metadata")
        .add("java_db.format_v1")
        .add("java_db.schema_evolution")
        .add("java_db.big_file")
        .add("java_db.avro_files")
        .add("java_db.odd_names");
    return out;
  }

  /**
   * Partitioned by day(ts) and bucket(4, id). Commits: two appends, a rename of kind to category,
   * an added column, a third append, a delete of the first day's files by row filter, and an
   * overwrite of the third day; then a tag on the delete and a branch with retention settings.
   */
  private static void events(HadoopCatalog catalog, TableIdentifier id) {
    Schema schema =
        new Schema(
            required(1, "id", Types.LongType.get()),
            required(2, "ts", Types.TimestampType.withZone()),
            optional(3, "kind", Types.StringType.get()),
            optional(4, "amount", Types.DecimalType.of(10, 2)));
    PartitionSpec spec = PartitionSpec.builderFor(schema).day("ts").bucket("id", 4).build();
    Table table = catalog.createTable(id, schema, spec);

    append(table, eventRows(table, 0, 0, 10, "kind", null));
    append(table, eventRows(table, 1, 10, 10, "kind", null));
    table.updateSchema().renameColumn("kind", "category").commit();
    table.updateSchema().addColumn("note", Types.StringType.get()).commit();
    append(table, eventRows(table, 2, 20, 10, "category", "third day"));
    table.newDelete().deleteFromRowFilter(Expressions.lessThan("ts", micros(DAY1.plusDays(1)))).commit();
    OverwriteFiles overwrite =
        table
            .newOverwrite()
            .overwriteByRowFilter(
                Expressions.and(
                    Expressions.greaterThanOrEqual("ts", micros(DAY1.plusDays(2))),
                    Expressions.lessThan("ts", micros(DAY1.plusDays(3)))));
    for (DataFile file : Main.writeDataFiles(table, eventRows(table, 2, 100, 5, "category", "rewritten"))) {
      overwrite.addFile(file);
    }
    overwrite.commit();
    long deleted = table.currentSnapshot().parentId();
    table
        .manageSnapshots()
        .createTag("before-overwrite", deleted)
        .setMaxRefAgeMs("before-overwrite", 7L * 24 * 3_600_000)
        .createBranch("audit", table.currentSnapshot().snapshotId())
        .setMinSnapshotsToKeep("audit", 3)
        .commit();
  }

  private static List<Record> eventRows(
      Table table, int day, int firstId, int count, String kindColumn, String note) {
    List<Record> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      GenericRecord row = GenericRecord.create(table.schema());
      row.setField("id", (long) (firstId + i));
      row.setField("ts", DAY1.plusDays(day).plusSeconds(3_600L * i + i).plusNanos(1_000L * i));
      row.setField(kindColumn, i % 3 == 0 ? null : (i % 2 == 0 ? "view" : "click"));
      row.setField("amount", i % 4 == 0 ? null : new BigDecimal(String.format("%d.%02d", i * 7, i)));
      if (note != null) row.setField("note", i % 2 == 0 ? note : null);
      rows.add(row);
    }
    return rows;
  }

  /** Unpartitioned, one column of every primitive type, and nested ones; two appends. */
  private static void allTypes(HadoopCatalog catalog, TableIdentifier id) {
    Schema schema =
        new Schema(
            optional(1, "b", Types.BooleanType.get()),
            optional(2, "i", Types.IntegerType.get()),
            optional(3, "l", Types.LongType.get()),
            optional(4, "f", Types.FloatType.get()),
            optional(5, "d", Types.DoubleType.get()),
            optional(6, "dec", Types.DecimalType.of(38, 10)),
            optional(7, "dt", Types.DateType.get()),
            optional(8, "t", Types.TimeType.get()),
            optional(9, "ts", Types.TimestampType.withoutZone()),
            optional(10, "tstz", Types.TimestampType.withZone()),
            optional(11, "s", Types.StringType.get()),
            optional(12, "u", Types.UUIDType.get()),
            optional(13, "fx", Types.FixedType.ofLength(3)),
            optional(14, "bin", Types.BinaryType.get()),
            optional(
                15,
                "st",
                Types.StructType.of(
                    optional(18, "x", Types.IntegerType.get()),
                    required(19, "y", Types.StringType.get()))),
            optional(16, "li", Types.ListType.ofOptional(20, Types.LongType.get())),
            optional(
                17,
                "mp",
                Types.MapType.ofOptional(21, 22, Types.StringType.get(), Types.DoubleType.get())),
            optional(
                23,
                "deep",
                Types.ListType.ofRequired(
                    24,
                    Types.StructType.of(
                        optional(25, "a", Types.IntegerType.get()),
                        optional(
                            26,
                            "m",
                            Types.MapType.ofRequired(
                                27, 28, Types.IntegerType.get(), Types.StringType.get()))))));
    Table table = catalog.createTable(id, schema, PartitionSpec.unpartitioned());
    Types.StructType st = table.schema().findType("st").asStructType();
    Types.StructType deep = table.schema().findType("deep.element").asStructType();

    GenericRecord full = GenericRecord.create(table.schema());
    full.setField("b", true);
    full.setField("i", Integer.MIN_VALUE);
    full.setField("l", Long.MAX_VALUE);
    full.setField("f", 0.1f);
    full.setField("d", -1.0e300);
    full.setField("dec", new BigDecimal("-1234567890123456789012345678.0123456789"));
    full.setField("dt", LocalDate.of(1969, 12, 31));
    full.setField("t", LocalTime.of(23, 59, 59, 999_999_000));
    full.setField("ts", LocalDateTime.of(2026, 3, 8, 2, 30, 0, 123_456_000));
    full.setField("tstz", OffsetDateTime.of(1900, 1, 1, 0, 0, 0, 1_000, ZoneOffset.UTC));
    full.setField("s", "grüße, 世界 🌍");
    full.setField("u", UUID.fromString("f79c3e09-677c-4bbd-a479-3f349cb785e7"));
    full.setField("fx", new byte[] {0, (byte) 0x7f, (byte) 0xff});
    full.setField("bin", ByteBuffer.wrap("\u0000lake\n".getBytes(StandardCharsets.UTF_8)));
    GenericRecord stValue = GenericRecord.create(st);
    stValue.setField("x", 42);
    stValue.setField("y", "inner");
    full.setField("st", stValue);
    full.setField("li", java.util.Arrays.asList(1L, null, Long.MIN_VALUE));
    Map<String, Double> map = new LinkedHashMap<>();
    map.put("z", 1.5);
    map.put("a", null);
    full.setField("mp", map);
    GenericRecord deepValue = GenericRecord.create(deep);
    deepValue.setField("a", 7);
    deepValue.setField("m", Map.of(2, "two", 1, "one"));
    GenericRecord deepEmpty = GenericRecord.create(deep);
    full.setField("deep", List.of(deepValue, deepEmpty));

    GenericRecord other = GenericRecord.create(table.schema());
    other.setField("b", false);
    other.setField("i", 0);
    other.setField("l", -1L);
    other.setField("f", Float.NEGATIVE_INFINITY);
    other.setField("d", Double.NaN);
    other.setField("dec", new BigDecimal("0.0000000001"));
    other.setField("dt", LocalDate.of(2026, 2, 28));
    other.setField("t", LocalTime.MIDNIGHT);
    other.setField("ts", LocalDateTime.of(1970, 1, 1, 0, 0));
    other.setField("tstz", OffsetDateTime.of(2026, 6, 30, 23, 59, 59, 999_999_000, ZoneOffset.UTC));
    other.setField("s", "");
    other.setField("u", UUID.fromString("00000000-0000-0000-0000-000000000000"));
    other.setField("fx", new byte[] {1, 2, 3});
    other.setField("bin", ByteBuffer.wrap(new byte[0]));
    other.setField("li", List.of());
    other.setField("mp", Map.of());
    other.setField("deep", List.of());

    GenericRecord nulls = GenericRecord.create(table.schema());

    append(table, List.of(full, other));
    append(table, List.of(nulls));
  }

  private static void append(Table table, List<Record> rows) {
    appendFiles(table, Main.writeDataFiles(table, rows));
  }

  private static void appendFiles(Table table, List<DataFile> files) {
    var append = table.newAppend();
    for (DataFile file : files) append.appendFile(file);
    append.commit();
  }
  private static final Schema SIMPLE =
      new Schema(
          required(1, "id", Types.LongType.get()),
          required(2, "ts", Types.TimestampType.withZone()),
          optional(3, "cat", Types.StringType.get()));

  private static List<Record> simpleRows(Table table, int day, int firstId, int count) {
    List<Record> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      GenericRecord row = GenericRecord.create(table.schema());
      row.setField("id", (long) (firstId + i));
      row.setField("ts", DAY1.plusDays(day).plusMinutes(37L * i));
      row.setField("cat", i % 4 == 3 ? null : "c" + (i % 3));
      rows.add(row);
    }
    return rows;
  }

  /**
   * Merge-on-read deletes, as Java's engines write them: two data files, then one commit with a
   * position delete file (rows 0 and 3 of the first file) and an equality delete file on id
   * (ids 15 and 17), then a newer data file with id 15 again, which the older equality delete
   * must not hide.
   */
  private static void rowDeltas(HadoopCatalog catalog, TableIdentifier id) {
    Table table =
        catalog.createTable(id, SIMPLE, PartitionSpec.unpartitioned(), Map.of("format-version", "2"));
    List<DataFile> first = Main.writeDataFiles(table, simpleRows(table, 0, 0, 10));
    List<DataFile> second = Main.writeDataFiles(table, simpleRows(table, 1, 10, 10));
    appendFiles(table, first);
    appendFiles(table, second);

    Schema idOnly = table.schema().select("id");
    GenericFileWriterFactory factory =
        new GenericFileWriterFactory.Builder(table)
            .dataFileFormat(FileFormat.PARQUET)
            .deleteFileFormat(FileFormat.PARQUET)
            .equalityFieldIds(new int[] {table.schema().findField("id").fieldId()})
            .equalityDeleteRowSchema(idOnly)
            .build();
    OutputFileFactory files =
        OutputFileFactory.builderFor(table, 2, System.nanoTime()).format(FileFormat.PARQUET).build();

    PositionDeleteWriter<Record> positions =
        factory.newPositionDeleteWriter(files.newOutputFile(), table.spec(), null);
    EqualityDeleteWriter<Record> equalities =
        factory.newEqualityDeleteWriter(files.newOutputFile(), table.spec(), null);
    try (positions;
        equalities) {
      String path = first.get(0).location();
      positions.write(PositionDelete.<Record>create().set(path, 0));
      positions.write(PositionDelete.<Record>create().set(path, 3));
      for (long deleted : new long[] {15, 17}) {
        GenericRecord key = GenericRecord.create(idOnly);
        key.setField("id", deleted);
        equalities.write(key);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    table
        .newRowDelta()
        .addDeletes(positions.toDeleteFile())
        .addDeletes(equalities.toDeleteFile())
        .commit();
    appendFiles(table, Main.writeDataFiles(table, simpleRows(table, 2, 15, 1)));
  }

  /** A spec change: day(ts) at first, then identity(cat) and bucket(4, id) instead. */
  private static void evolvedSpec(HadoopCatalog catalog, TableIdentifier id) {
    Table table =
        catalog.createTable(id, SIMPLE, PartitionSpec.builderFor(SIMPLE).day("ts").build());
    appendFiles(table, Main.writeDataFiles(table, simpleRows(table, 0, 0, 8)));
    table
        .updateSpec()
        .removeField("ts_day")
        .addField("cat")
        .addField(Expressions.bucket("id", 4))
        .commit();
    appendFiles(table, Main.writeDataFiles(table, simpleRows(table, 1, 100, 8)));
  }

  /** Metadata files written gzip-compressed, as v<N>.gz.metadata.json. */
  private static void gzipMetadata(HadoopCatalog catalog, TableIdentifier id) {
    Table table =
        catalog.createTable(
            id,
            SIMPLE,
            PartitionSpec.builderFor(SIMPLE).identity("cat").build(),
            Map.of("write.metadata.compression-codec", "gzip"));
    appendFiles(table, Main.writeDataFiles(table, simpleRows(table, 0, 0, 6)));
    appendFiles(table, Main.writeDataFiles(table, simpleRows(table, 1, 10, 6)));
  }

  /**
   * Columns matched by id, not by name: {@code a} is dropped and added again (a new id, so old
   * rows read null), {@code b} is renamed to {@code c} and widened to long, a field is added
   * inside the struct.
   */
  private static void schemaEvolution(HadoopCatalog catalog, TableIdentifier id) {
    Schema schema =
        new Schema(
            required(1, "id", Types.LongType.get()),
            optional(2, "a", Types.StringType.get()),
            optional(3, "b", Types.IntegerType.get()),
            optional(
                4,
                "s",
                Types.StructType.of(
                    optional(5, "x", Types.IntegerType.get()),
                    optional(6, "y", Types.StringType.get()))));
    Table table = catalog.createTable(id, schema, PartitionSpec.unpartitioned());
    List<Record> before = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      GenericRecord row = GenericRecord.create(table.schema());
      row.setField("id", (long) i);
      row.setField("a", "old a " + i);
      row.setField("b", i * 1000 - 2);
      GenericRecord s = GenericRecord.create(table.schema().findType("s").asStructType());
      s.setField("x", i);
      s.setField("y", "y" + i);
      row.setField("s", i == 4 ? null : s);
      before.add(row);
    }
    append(table, before);
    table
        .updateSchema()
        .deleteColumn("a")
        .renameColumn("b", "c")
        .updateColumn("b", Types.LongType.get())
        .addColumn("s", "z", Types.DoubleType.get())
        .commit();
    table.updateSchema().addColumn("a", Types.StringType.get()).commit();
    List<Record> after = new ArrayList<>();
    for (int i = 5; i < 8; i++) {
      GenericRecord row = GenericRecord.create(table.schema());
      row.setField("id", (long) i);
      row.setField("a", "new a " + i);
      row.setField("c", 10_000_000_000L * i);
      GenericRecord s = GenericRecord.create(table.schema().findType("s").asStructType());
      s.setField("x", i);
      s.setField("z", i + 0.5);
      row.setField("s", s);
      after.add(row);
    }
    append(table, after);
  }

  /**
   * Files with many row groups and pages, dictionary pages that fall back to plain encoding, four
   * compression codecs (zstd, snappy, gzip, none), and position deletes on both sides of
   * row-group boundaries.
   */
  private static void bigFile(HadoopCatalog catalog, TableIdentifier id) {
    Schema schema =
        new Schema(
            required(1, "id", Types.LongType.get()),
            optional(2, "s", Types.StringType.get()),
            optional(3, "cat", Types.StringType.get()),
            optional(4, "v", Types.DoubleType.get()),
            optional(5, "dec", Types.DecimalType.of(9, 2)),
            optional(6, "opt", Types.IntegerType.get()),
            optional(7, "li", Types.ListType.ofOptional(8, Types.IntegerType.get())));
    Table table =
        catalog.createTable(
            id,
            schema,
            PartitionSpec.unpartitioned(),
            Map.of(
                "write.parquet.row-group-size-bytes", "8192",
                "write.parquet.page-size-bytes", "1024",
                "write.parquet.page-row-limit", "64",
                "write.parquet.dict-size-bytes", "2048"));
    String[] codecs = {"zstd", "snappy", "gzip", "uncompressed"};
    int[] counts = {3000, 1000, 500, 500};
    int next = 0;
    DataFile first = null;
    for (int c = 0; c < codecs.length; c++) {
      table.updateProperties().set("write.parquet.compression-codec", codecs[c]).commit();
      List<Record> rows = new ArrayList<>();
      for (int i = 0; i < counts[c]; i++, next++) {
        GenericRecord row = GenericRecord.create(table.schema());
        row.setField("id", (long) next);
        row.setField("s", next % 11 == 0 ? null : "value " + next * 7919 % 10007);
        row.setField("cat", "cat" + (next % 5));
        row.setField("v", next / 8.0);
        row.setField("dec", BigDecimal.valueOf(next * 13L - 5000, 2));
        row.setField("opt", next % 7 == 0 ? null : next);
        row.setField(
            "li",
            next % 9 == 0 ? null : java.util.Collections.nCopies(next % 4, next % 3 == 0 ? null : next));
        rows.add(row);
      }
      List<DataFile> files = Main.writeDataFiles(table, rows);
      if (first == null) first = files.get(0);
      appendFiles(table, files);
    }
    GenericFileWriterFactory factory =
        new GenericFileWriterFactory.Builder(table).deleteFileFormat(FileFormat.PARQUET).build();
    OutputFileFactory files =
        OutputFileFactory.builderFor(table, 3, System.nanoTime()).format(FileFormat.PARQUET).build();
    PositionDeleteWriter<Record> positions =
        factory.newPositionDeleteWriter(files.newOutputFile(), table.spec(), null);
    try (positions) {
      for (long pos : new long[] {0, 1, 99, 100, 101, 1499, 2047, 2048, 2999}) {
        positions.write(PositionDelete.<Record>create().set(first.location(), pos));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    table.newRowDelta().addDeletes(positions.toDeleteFile()).commit();
  }

  /** Data files in Avro, which the spec allows beside Parquet and ORC ({@code write.format.default}). */
  private static void avroFiles(HadoopCatalog catalog, TableIdentifier id) {
    Table table =
        catalog.createTable(
            id,
            SIMPLE,
            PartitionSpec.builderFor(SIMPLE).identity("cat").build(),
            Map.of("write.format.default", "avro"));
    append(table, simpleRows(table, 0, 0, 6));
  }

  /**
   * Column and partition names that Avro cannot spell (Java's manifests sanitize them) and a
   * struct field with a dot in its name.
   */
  private static void oddNames(HadoopCatalog catalog, TableIdentifier id) {
    Schema schema =
        new Schema(
            required(1, "id", Types.LongType.get()),
            optional(2, "with space", Types.StringType.get()),
            optional(3, "ünï", Types.IntegerType.get()),
            optional(4, "x-y", Types.StringType.get()),
            optional(5, "1st", Types.StructType.of(optional(6, "a.b", Types.StringType.get()))));
    PartitionSpec spec =
        PartitionSpec.builderFor(schema)
            .identity("with space")
            .bucket("ünï", 2)
            .truncate("x-y", 2)
            .build();
    Table table = catalog.createTable(id, schema, spec);
    List<Record> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      GenericRecord row = GenericRecord.create(table.schema());
      row.setField("id", (long) i);
      row.setField("with space", i == 3 ? null : "a b/c=d% " + (i % 2));
      row.setField("ünï", i == 3 ? null : i * 7);
      row.setField("x-y", i == 3 ? null : "héllo" + i);
      GenericRecord first = GenericRecord.create(table.schema().findType("1st").asStructType());
      first.setField("a.b", "dot " + i);
      row.setField("1st", first);
      rows.add(row);
    }
    append(table, rows);
  }

  /** A format-version 1 table: v1 manifests and partition specs; appends and a delete. */
  private static void formatV1(HadoopCatalog catalog, TableIdentifier id) {
    Table table =
        catalog.createTable(
            id,
            SIMPLE,
            PartitionSpec.builderFor(SIMPLE).identity("cat").bucket("id", 2).build(),
            Map.of("format-version", "1"));
    appendFiles(table, Main.writeDataFiles(table, simpleRows(table, 0, 0, 12)));
    appendFiles(table, Main.writeDataFiles(table, simpleRows(table, 1, 20, 12)));
    table.newDelete().deleteFromRowFilter(Expressions.equal("cat", "c1")).commit();
  }


  private static long micros(OffsetDateTime time) {
    return time.toEpochSecond() * 1_000_000L + time.getNano() / 1_000;
  }
}
