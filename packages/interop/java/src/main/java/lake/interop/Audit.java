package lake.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestContent;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Comparators;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Checks the data files of a table's current snapshot against their own rows, with Java's
 * transforms and comparators: each row's partition (computed by Java) must equal the partition
 * tuple recorded for its file, and the record count, value/null/NaN counts and lower/upper
 * bounds recorded for each top-level primitive column must describe the rows. A writer that gets
 * any of these wrong makes Java (and every engine) prune files that hold matching rows.
 */
final class Audit {
  private Audit() {}

  static JsonNode run(HadoopCatalog catalog, String name) {
    Table table = catalog.loadTable(TableIdentifier.parse(name));
    Schema schema = table.schema();
    ArrayNode problems = JsonNodeFactory.instance.arrayNode();
    int files = 0;
    long rows = 0;
    int[] bounds = {0};
    try (CloseableIterable<FileScanTask> tasks = table.newScan().includeColumnStats().planFiles()) {
      for (FileScanTask task : tasks) {
        DataFile file = task.file();
        List<Record> records = readFile(table, schema, file);
        files++;
        rows += records.size();
        String where = file.location().substring(file.location().lastIndexOf('/') + 1);
        if (file.recordCount() != records.size()) {
          problems.add(where + ": record count " + file.recordCount() + ", rows " + records.size());
        }
        checkPartition(table.specs().get(file.specId()), schema, file, records, where, problems);
        bounds[0] += checkMetrics(schema, file, records, where, problems);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (table.currentSnapshot() != null) checkManifests(table, problems);
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("files", files);
    out.put("rows", rows);
    // So that a writer recording no bounds at all cannot pass unnoticed.
    out.put("bounds", bounds[0]);
    out.set("problems", problems);
    return out;
  }

  private static List<Record> readFile(Table table, Schema schema, DataFile file) {
    List<Record> records = new ArrayList<>();
    try (CloseableIterable<Record> reader =
        Parquet.read(table.io().newInputFile(file.location()))
            .project(schema)
            .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema))
            .build()) {
      reader.forEach(records::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return records;
  }

  private static void checkPartition(
      PartitionSpec spec,
      Schema schema,
      DataFile file,
      List<Record> records,
      String where,
      ArrayNode problems) {
    PartitionKey key = new PartitionKey(spec, schema);
    InternalRecordWrapper wrapper = new InternalRecordWrapper(schema.asStruct());
    Comparator<StructLike> compare = Comparators.forType(spec.partitionType());
    for (Record record : records) {
      key.partition(wrapper.wrap(record));
      if (compare.compare(key, file.partition()) != 0) {
        problems.add(
            where
                + ": row "
                + Canonical.text(Canonical.row(schema.asStruct(), record))
                + " belongs in partition "
                + key
                + ", recorded "
                + file.partition());
        return;
      }
    }
  }

  /** Returns how many lower and upper bounds it checked. */
  private static int checkMetrics(
      Schema schema, DataFile file, List<Record> records, String where, ArrayNode problems) {
    int checked = 0;
    InternalRecordWrapper wrapper = new InternalRecordWrapper(schema.asStruct());
    List<Types.NestedField> columns = schema.columns();
    for (int pos = 0; pos < columns.size(); pos++) {
      Types.NestedField field = columns.get(pos);
      if (!field.type().isPrimitiveType()) continue;
      Type.PrimitiveType type = field.type().asPrimitiveType();
      Comparator<Object> compare = comparator(type);
      long nulls = 0;
      long nans = 0;
      Object min = null;
      Object max = null;
      for (Record record : records) {
        Object value = wrapper.wrap(record).get(pos, Object.class);
        if (value == null) {
          nulls++;
        } else if (isNaN(value)) {
          nans++;
        } else {
          if (min == null || compare.compare(value, min) < 0) min = value;
          if (max == null || compare.compare(value, max) > 0) max = value;
        }
      }
      String column = where + ": column " + field.name() + " ";
      expectCount(file.valueCounts(), field.fieldId(), records.size(), column + "value count", problems);
      expectCount(file.nullValueCounts(), field.fieldId(), nulls, column + "null count", problems);
      if (type.typeId() == Type.TypeID.FLOAT || type.typeId() == Type.TypeID.DOUBLE) {
        expectCount(file.nanValueCounts(), field.fieldId(), nans, column + "NaN count", problems);
      }
      Object lower = bound(file.lowerBounds(), field.fieldId(), type);
      Object upper = bound(file.upperBounds(), field.fieldId(), type);
      if (min == null) {
        if (lower != null || upper != null) {
          problems.add(column + "has bounds " + lower + ".." + upper + " but no non-null, non-NaN value");
        }
        continue;
      }
      checked += (lower == null ? 0 : 1) + (upper == null ? 0 : 1);
      if (lower != null && compare.compare(lower, min) > 0) {
        problems.add(column + "lower bound " + lower + " is above the minimum " + min);
      }
      if (upper != null && compare.compare(upper, max) < 0) {
        problems.add(column + "upper bound " + upper + " is below the maximum " + max);
      }
    }
    return checked;
  }

  private static boolean isNaN(Object value) {
    return (value instanceof Double && ((Double) value).isNaN())
        || (value instanceof Float && ((Float) value).isNaN());
  }

  private static void expectCount(
      Map<Integer, Long> counts, int id, long actual, String what, ArrayNode problems) {
    if (counts == null || !counts.containsKey(id)) return;
    if (counts.get(id) != actual) problems.add(what + " " + counts.get(id) + ", rows have " + actual);
  }

  private static Object bound(Map<Integer, ByteBuffer> bounds, int id, Type.PrimitiveType type) {
    if (bounds == null || !bounds.containsKey(id)) return null;
    return Conversions.fromByteBuffer(type, bounds.get(id));
  }
  /**
   * The manifests of the current snapshot: their file and row counts must match their live
   * entries, their partition summaries (which Java uses to skip whole manifests) must cover every
   * live file's partition, and the snapshot summary's totals must match the live files.
   */
  private static void checkManifests(Table table, ArrayNode problems) {
    Snapshot snapshot = table.currentSnapshot();
    Map<Integer, PartitionSpec> specs = table.specs();
    long records = 0;
    long dataFiles = 0;
    long deleteFiles = 0;
    long positionDeletes = 0;
    long equalityDeletes = 0;
    long size = 0;
    for (ManifestFile manifest : snapshot.allManifests(table.io())) {
      String where = "manifest " + manifest.path().substring(manifest.path().lastIndexOf('/') + 1) + ": ";
      PartitionSpec spec = specs.get(manifest.partitionSpecId());
      List<ContentFile<?>> live = new ArrayList<>();
      if (manifest.content() == ManifestContent.DATA) {
        try (CloseableIterable<DataFile> reader = ManifestFiles.read(manifest, table.io(), specs)) {
          for (DataFile file : reader) live.add(file.copyWithoutStats());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      } else {
        try (CloseableIterable<DeleteFile> reader =
            ManifestFiles.readDeleteManifest(manifest, table.io(), specs)) {
          for (DeleteFile file : reader) live.add(file.copyWithoutStats());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      long rows = 0;
      for (ContentFile<?> file : live) {
        rows += file.recordCount();
        size += file.fileSizeInBytes();
        if (file.specId() != manifest.partitionSpecId()) {
          problems.add(where + "holds a file of spec " + file.specId() + " in a manifest of spec " + manifest.partitionSpecId());
        }
        if (manifest.content() == ManifestContent.DATA) {
          dataFiles++;
          records += file.recordCount();
        } else {
          deleteFiles++;
          if (file.content() == FileContent.POSITION_DELETES) positionDeletes += file.recordCount();
          else equalityDeletes += file.recordCount();
        }
      }
      if (manifest.addedFilesCount() != null && manifest.existingFilesCount() != null
          && manifest.addedFilesCount() + manifest.existingFilesCount() != live.size()) {
        problems.add(where + "added + existing files " + (manifest.addedFilesCount() + manifest.existingFilesCount()) + ", live entries " + live.size());
      }
      if (manifest.addedRowsCount() != null && manifest.existingRowsCount() != null
          && manifest.addedRowsCount() + manifest.existingRowsCount() != rows) {
        problems.add(where + "added + existing rows " + (manifest.addedRowsCount() + manifest.existingRowsCount()) + ", live entries hold " + rows);
      }
      checkPartitionSummaries(spec, table.schema(), manifest, live, where, problems);
    }
    Map<String, String> summary = snapshot.summary();
    expectTotal(summary, "total-records", records, problems);
    expectTotal(summary, "total-data-files", dataFiles, problems);
    expectTotal(summary, "total-delete-files", deleteFiles, problems);
    expectTotal(summary, "total-position-deletes", positionDeletes, problems);
    expectTotal(summary, "total-equality-deletes", equalityDeletes, problems);
    expectTotal(summary, "total-files-size", size, problems);
  }

  private static void expectTotal(Map<String, String> summary, String key, long actual, ArrayNode problems) {
    if (summary.containsKey(key) && Long.parseLong(summary.get(key)) != actual) {
      problems.add("snapshot summary " + key + " " + summary.get(key) + ", live files give " + actual);
    }
  }

  private static void checkPartitionSummaries(
      PartitionSpec spec,
      Schema schema,
      ManifestFile manifest,
      List<ContentFile<?>> live,
      String where,
      ArrayNode problems) {
    List<ManifestFile.PartitionFieldSummary> summaries = manifest.partitions();
    if (summaries == null || live.isEmpty()) return;
    Types.StructType partitionType = spec.partitionType();
    if (summaries.size() != partitionType.fields().size()) {
      problems.add(where + summaries.size() + " partition summaries for " + partitionType.fields().size() + " partition fields");
      return;
    }
    for (int i = 0; i < summaries.size(); i++) {
      Type.PrimitiveType type = partitionType.fields().get(i).type().asPrimitiveType();
      Comparator<Object> compare = comparator(type);
      ManifestFile.PartitionFieldSummary summary = summaries.get(i);
      Object lower = summary.lowerBound() == null ? null : Conversions.fromByteBuffer(type, summary.lowerBound());
      Object upper = summary.upperBound() == null ? null : Conversions.fromByteBuffer(type, summary.upperBound());
      String field = where + "partition field " + partitionType.fields().get(i).name() + " ";
      for (ContentFile<?> file : live) {
        Object value = file.partition().get(i, type.typeId().javaClass());
        if (value == null) {
          if (!summary.containsNull()) problems.add(field + "has a null value but contains_null is false");
        } else if (isNaN(value)) {
          if (Boolean.FALSE.equals(summary.containsNaN())) problems.add(field + "has NaN but contains_nan is false");
        } else if (lower == null || upper == null) {
          problems.add(field + "has value " + value + " but no bounds");
        } else if (compare.compare(lower, value) > 0 || compare.compare(upper, value) < 0) {
          problems.add(field + "value " + value + " is outside its bounds " + lower + ".." + upper);
        }
      }
    }
  }
  /**
   * Java's comparator for a type, except uuids: the spec orders them as unsigned bytes (so do the
   * bounds Java's Parquet writer records), while Comparators.forType(uuid) in 1.12 compares
   * java.util.UUID, signed.
   */
  private static Comparator<Object> comparator(Type.PrimitiveType type) {
    if (type.typeId() != Type.TypeID.UUID) return Comparators.forType(type);
    Comparator<ByteBuffer> bytes = Comparators.unsignedBytes();
    return (a, b) -> bytes.compare(Conversions.toByteBuffer(type, a), Conversions.toByteBuffer(type, b));
  }
}
