package lake.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.expressions.Term;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Schema, spec, ref and property changes made by Java on a table (for instance one Lake wrote),
 * one commit per operation, from a JSON array such as
 * {@code [{"op": "rename-column", "name": "a", "to": "b"}]}. Operations: {@code add-column}
 * ({@code parent} optional, {@code name}, primitive {@code type}), {@code rename-column},
 * {@code delete-column}, {@code update-column} ({@code name}, wider {@code type}),
 * {@code add-partition-field} ({@code source}, {@code transform}), {@code remove-partition-field}
 * ({@code name}), {@code create-tag} and {@code create-branch} ({@code name}, at the current
 * snapshot), {@code set-property} ({@code key}, {@code value}).
 */
final class Evolve {
  private static final Pattern WITH_ARGUMENT = Pattern.compile("(bucket|truncate)\\[(\\d+)]");

  private Evolve() {}

  static JsonNode run(HadoopCatalog catalog, String name, JsonNode operations) {
    Table table = catalog.loadTable(TableIdentifier.parse(name));
    for (JsonNode op : operations) apply(table, op);
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    table.refresh();
    out.put("snapshot-id", table.currentSnapshot() == null ? null : Long.toString(table.currentSnapshot().snapshotId()));
    return out;
  }

  private static void apply(Table table, JsonNode op) {
    String kind = op.get("op").asText();
    switch (kind) {
      case "add-column":
        if (op.hasNonNull("parent")) {
          table.updateSchema().addColumn(op.get("parent").asText(), op.get("name").asText(), type(op)).commit();
        } else {
          table.updateSchema().addColumn(op.get("name").asText(), type(op)).commit();
        }
        break;
      case "rename-column":
        table.updateSchema().renameColumn(op.get("name").asText(), op.get("to").asText()).commit();
        break;
      case "delete-column":
        table.updateSchema().deleteColumn(op.get("name").asText()).commit();
        break;
      case "update-column":
        table
            .updateSchema()
            .updateColumn(op.get("name").asText(), type(op).asPrimitiveType())
            .commit();
        break;
      case "add-partition-field":
        table.updateSpec().addField(term(op.get("source").asText(), op.get("transform").asText())).commit();
        break;
      case "remove-partition-field":
        table.updateSpec().removeField(op.get("name").asText()).commit();
        break;
      case "create-tag":
        table.manageSnapshots().createTag(op.get("name").asText(), table.currentSnapshot().snapshotId()).commit();
        break;
      case "create-branch":
        table
            .manageSnapshots()
            .createBranch(op.get("name").asText(), table.currentSnapshot().snapshotId())
            .commit();
        break;
      case "set-property":
        table.updateProperties().set(op.get("key").asText(), op.get("value").asText()).commit();
        break;
      default:
        throw new IllegalArgumentException("Unknown operation: " + kind);
    }
  }

  private static Type type(JsonNode op) {
    return Types.fromPrimitiveString(op.get("type").asText());
  }

  private static Term term(String source, String transform) {
    Matcher matcher = WITH_ARGUMENT.matcher(transform);
    if (matcher.matches()) {
      int argument = Integer.parseInt(matcher.group(2));
      return matcher.group(1).equals("bucket")
          ? Expressions.bucket(source, argument)
          : Expressions.truncate(source, argument);
    }
    switch (transform) {
      case "identity":
        return Expressions.ref(source);
      case "year":
        return Expressions.year(source);
      case "month":
        return Expressions.month(source);
      case "day":
        return Expressions.day(source);
      case "hour":
        return Expressions.hour(source);
      default:
        throw new IllegalArgumentException("Unknown transform: " + transform);
    }
  }
}
