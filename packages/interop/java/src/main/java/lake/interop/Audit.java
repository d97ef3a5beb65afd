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
      Comparator<Object> compare = Comparators.forType(type);
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
}
