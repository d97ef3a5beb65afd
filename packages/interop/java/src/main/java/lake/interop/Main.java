package lake.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.PartitionSpecParser;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SchemaParser;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.encryption.EncryptedOutputFile;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;

/**
 * Apache Iceberg Java's side of Lake's interop tests. Commands print one JSON document on stdout:
 *
 * <pre>
 * read &lt;warehouse&gt; &lt;ns.table&gt; [--snapshot-id N]   schema, spec, snapshots and canonical rows
 * append &lt;warehouse&gt; &lt;ns.table&gt; &lt;rows.json&gt;      appends canonical rows with Java's writer
 * read-many &lt;warehouse&gt; &lt;ns.table&gt;...            read of each table, keyed by table
 * evolve &lt;warehouse&gt; &lt;ns.table&gt; &lt;ops.json&gt;        schema, spec, ref and property changes (see Evolve)
 * audit &lt;warehouse&gt; &lt;ns.table&gt;...                checks data files' partitions and metrics against their rows
 * create-fixture &lt;warehouse&gt;                     writes the java_db tables
 * </pre>
 *
 * The warehouse is a local directory; tables live in Java's HadoopCatalog layout with locations
 * recorded as {@code file:/abs/path}.
 */
public final class Main {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) usage();
    HadoopCatalog catalog = catalog(args[1]);
    JsonNode result;
    switch (args[0]) {
      case "read":
        if (args.length != 3 && !(args.length == 5 && args[3].equals("--snapshot-id"))) usage();
        result = read(catalog, args[2], args.length == 5 ? Long.parseLong(args[4]) : null);
        break;
      case "append":
        if (args.length != 4) usage();
        result = append(catalog, args[2], Canonical.MAPPER.readTree(new File(args[3])));
        break;
      case "read-many":
        {
          ObjectNode reads = NODES.objectNode();
          for (int i = 2; i < args.length; i++) reads.set(args[i], read(catalog, args[i], null));
          result = reads;
          break;
        }
      case "evolve":
        if (args.length != 4) usage();
        result = Evolve.run(catalog, args[2], Canonical.MAPPER.readTree(new File(args[3])));
        break;
      case "audit":
        {
          ObjectNode audits = NODES.objectNode();
          for (int i = 2; i < args.length; i++) audits.set(args[i], Audit.run(catalog, args[i]));
          result = audits;
          break;
        }
      case "create-fixture":
        if (args.length != 2) usage();
        result = Fixtures.create(catalog);
        break;
      default:
        usage();
        return;
    }
    System.out.println(Canonical.text(result));
  }

  private static void usage() {
    System.err.println(
        "usage: read <warehouse> <ns.table> [--snapshot-id N] | append <warehouse> <ns.table> <rows.json>"
            + " | read-many <warehouse> <ns.table>... | evolve <warehouse> <ns.table> <ops.json>"
            + " | audit <warehouse> <ns.table>..."
            + " | create-fixture <warehouse>");
    System.exit(2);
  }

  /** Java's HadoopCatalog on the local file system, the warehouse given as a {@code file:} URI. */
  static HadoopCatalog catalog(String warehouse) {
    String uri = "file:" + new File(warehouse).getAbsolutePath();
    return new HadoopCatalog(new Configuration(), uri);
  }

  static JsonNode read(HadoopCatalog catalog, String name, Long snapshotId) throws IOException {
    Table table = catalog.loadTable(TableIdentifier.parse(name));
    // A time-travel read uses the schema the snapshot was written with, as Java's scans do.
    Schema schema =
        snapshotId == null ? table.schema() : table.schemas().get(table.snapshot(snapshotId).schemaId());
    IcebergGenerics.ScanBuilder scan = IcebergGenerics.read(table);
    if (snapshotId != null) scan = scan.useSnapshot(snapshotId);
    List<ObjectNode> rows = new ArrayList<>();
    try (CloseableIterable<Record> records = scan.build()) {
      // By the scan's schema, not record.struct(): with position deletes the generic reader
      // appends its _pos column to each record.
      for (Record record : records) rows.add(Canonical.row(schema.asStruct(), record));
    }
    ObjectNode out = NODES.objectNode();
    out.set("schema", Canonical.MAPPER.readTree(SchemaParser.toJson(schema)));
    out.set("spec", Canonical.MAPPER.readTree(PartitionSpecParser.toJson(table.spec())));
    ArrayNode snapshots = out.putArray("snapshots");
    for (Snapshot snapshot : table.snapshots()) snapshots.add(snapshotJson(snapshot));
    Snapshot current = table.currentSnapshot();
    out.put("current-snapshot-id", current == null ? null : Long.toString(current.snapshotId()));
    ObjectNode refs = out.putObject("refs");
    table.refs().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> refs.set(e.getKey(), refJson(e.getValue())));
    out.set("rows", Canonical.sortedRows(rows));
    return out;
  }

  private static ObjectNode refJson(SnapshotRef ref) {
    ObjectNode json = NODES.objectNode();
    json.put("snapshot-id", Long.toString(ref.snapshotId()));
    json.put("type", ref.isBranch() ? "branch" : "tag");
    json.put("min-snapshots-to-keep", ref.minSnapshotsToKeep());
    json.put("max-snapshot-age-ms", ref.maxSnapshotAgeMs());
    json.put("max-ref-age-ms", ref.maxRefAgeMs());
    return json;
  }

  private static ObjectNode snapshotJson(Snapshot snapshot) {
    ObjectNode json = NODES.objectNode();
    json.put("snapshot-id", Long.toString(snapshot.snapshotId()));
    json.put(
        "parent-snapshot-id",
        snapshot.parentId() == null ? null : Long.toString(snapshot.parentId()));
    json.put("sequence-number", snapshot.sequenceNumber());
    json.put("timestamp-ms", snapshot.timestampMillis());
    json.put("operation", snapshot.operation());
    json.put("schema-id", snapshot.schemaId());
    ObjectNode summary = json.putObject("summary");
    snapshot.summary().entrySet().stream()
        .filter(e -> !e.getKey().equals("operation"))
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> summary.put(e.getKey(), e.getValue()));
    return json;
  }

  static JsonNode append(HadoopCatalog catalog, String name, JsonNode rows) {
    Table table = catalog.loadTable(TableIdentifier.parse(name));
    List<Record> records = new ArrayList<>();
    for (JsonNode row : rows) records.add(Canonical.record(table.schema().asStruct(), row));
    AppendFiles append = table.newAppend();
    for (DataFile file : writeDataFiles(table, records)) append.appendFile(file);
    append.commit();
    ObjectNode out = NODES.objectNode();
    out.put("snapshot-id", Long.toString(table.currentSnapshot().snapshotId()));
    return out;
  }

  /**
   * Writes records as data files, one per partition of the table's current spec, in the table's
   * {@code write.format.default} (Parquet unless set).
   */
  static List<DataFile> writeDataFiles(Table table, List<Record> records) {
    Schema schema = table.schema();
    PartitionSpec spec = table.spec();
    FileFormat format =
        FileFormat.fromString(table.properties().getOrDefault("write.format.default", "parquet"));
    GenericFileWriterFactory factory =
        new GenericFileWriterFactory.Builder(table).dataFileFormat(format).build();
    OutputFileFactory files =
        OutputFileFactory.builderFor(table, 1, System.nanoTime()).format(format).build();
    // Transforms take internal values (micros, days), so the records are wrapped for partitioning.
    InternalRecordWrapper wrapper = new InternalRecordWrapper(schema.asStruct());
    PartitionKey key = new PartitionKey(spec, schema);
    Map<PartitionKey, List<Record>> groups = new LinkedHashMap<>();
    for (Record record : records) {
      key.partition(wrapper.wrap(record));
      groups.computeIfAbsent(key.copy(), k -> new ArrayList<>()).add(record);
    }
    List<DataFile> dataFiles = new ArrayList<>();
    for (Map.Entry<PartitionKey, List<Record>> group : groups.entrySet()) {
      PartitionKey partition = spec.isPartitioned() ? group.getKey() : null;
      EncryptedOutputFile out =
          partition == null ? files.newOutputFile() : files.newOutputFile(spec, partition);
      DataWriter<Record> writer = factory.newDataWriter(out, spec, partition);
      try (writer) {
        for (Record record : group.getValue()) writer.write(record);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      dataFiles.add(writer.toDataFile());
    }
    return dataFiles;
  }
}
