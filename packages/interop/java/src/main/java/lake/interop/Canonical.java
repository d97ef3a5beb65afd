package lake.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * The canonical JSON form of rows shared by the three harnesses (Java, PyIceberg, Lake; README.md
 * states it), so that their reads compare with a plain deep equality: every value has one
 * spelling and none loses precision in JavaScript. Longs and decimals are strings, dates
 * {@code YYYY-MM-DD}, times {@code HH:MM:SS.ffffff}, timestamps ISO with six fraction digits and
 * {@code Z} for timestamptz, binary and fixed lower-case hex, uuids lower-case text, floats widened
 * to double (NaN and the infinities as strings), maps as [key, value] pairs sorted by the
 * canonical JSON of the key.
 */
final class Canonical {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS");
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS");
  private static final HexFormat HEX = HexFormat.of();

  private Canonical() {}

  /** One row as a JSON object keyed by field name, in the struct's field order. */
  static ObjectNode row(Types.StructType struct, Record record) {
    ObjectNode out = NODES.objectNode();
    List<Types.NestedField> fields = struct.fields();
    for (int i = 0; i < fields.size(); i++) {
      Types.NestedField field = fields.get(i);
      out.set(field.name(), value(field.type(), record.get(i)));
    }
    return out;
  }

  /** Rows sorted by their canonical JSON text. */
  static ArrayNode sortedRows(List<ObjectNode> rows) {
    List<Map.Entry<String, ObjectNode>> keyed = new ArrayList<>();
    for (ObjectNode row : rows) keyed.add(Map.entry(text(row), row));
    keyed.sort(Map.Entry.comparingByKey());
    ArrayNode out = NODES.arrayNode();
    for (Map.Entry<String, ObjectNode> entry : keyed) out.add(entry.getValue());
    return out;
  }

  static String text(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode value(Type type, Object value) {
    if (value == null) return NODES.nullNode();
    switch (type.typeId()) {
      case BOOLEAN:
        return NODES.booleanNode((Boolean) value);
      case INTEGER:
        return NODES.numberNode((Integer) value);
      case LONG:
        return NODES.textNode(value.toString());
      case FLOAT:
        return floating(((Float) value).doubleValue());
      case DOUBLE:
        return floating((Double) value);
      case DECIMAL:
        return NODES.textNode(((BigDecimal) value).toPlainString());
      case DATE:
        return NODES.textNode(((LocalDate) value).toString());
      case TIME:
        return NODES.textNode(TIME.format((LocalTime) value));
      case TIMESTAMP:
        if (((Types.TimestampType) type).shouldAdjustToUTC()) {
          OffsetDateTime utc = ((OffsetDateTime) value).withOffsetSameInstant(ZoneOffset.UTC);
          return NODES.textNode(TIMESTAMP.format(utc) + "Z");
        }
        return NODES.textNode(TIMESTAMP.format((LocalDateTime) value));
      case STRING:
        return NODES.textNode(value.toString());
      case UUID:
        return NODES.textNode(value.toString().toLowerCase());
      case FIXED:
      case BINARY:
        return NODES.textNode(HEX.formatHex(bytes(value)));
      case STRUCT:
        return row(type.asStructType(), (Record) value);
      case LIST:
        {
          ArrayNode out = NODES.arrayNode();
          Type element = type.asListType().elementType();
          for (Object item : (List<?>) value) out.add(value(element, item));
          return out;
        }
      case MAP:
        {
          Types.MapType map = type.asMapType();
          List<ArrayNode> pairs = new ArrayList<>();
          for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
            ArrayNode pair = NODES.arrayNode();
            pair.add(value(map.keyType(), entry.getKey()));
            pair.add(value(map.valueType(), entry.getValue()));
            pairs.add(pair);
          }
          pairs.sort(Comparator.comparing(pair -> text(pair.get(0))));
          ArrayNode out = NODES.arrayNode();
          pairs.forEach(out::add);
          return out;
        }
      default:
        throw new UnsupportedOperationException("No canonical form for " + type);
    }
  }

  private static JsonNode floating(double value) {
    if (Double.isNaN(value)) return NODES.textNode("NaN");
    if (Double.isInfinite(value)) return NODES.textNode(value > 0 ? "Infinity" : "-Infinity");
    return NODES.numberNode(value);
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[]) return (byte[]) value;
    ByteBuffer buffer = ((ByteBuffer) value).duplicate();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }

  // ------------------------------------------------------------------------------ and back

  /** A record of {@code struct} from a canonical JSON object; missing fields are null. */
  static Record record(Types.StructType struct, JsonNode json) {
    GenericRecord record = GenericRecord.create(struct);
    List<Types.NestedField> fields = struct.fields();
    for (int i = 0; i < fields.size(); i++) {
      Types.NestedField field = fields.get(i);
      record.set(i, parse(field.type(), json.get(field.name())));
    }
    return record;
  }

  static Object parse(Type type, JsonNode json) {
    if (json == null || json.isNull()) return null;
    switch (type.typeId()) {
      case BOOLEAN:
        return json.booleanValue();
      case INTEGER:
        return json.intValue();
      case LONG:
        return Long.parseLong(json.asText());
      case FLOAT:
        return (float) parseDouble(json);
      case DOUBLE:
        return parseDouble(json);
      case DECIMAL:
        return new BigDecimal(json.asText()).setScale(((Types.DecimalType) type).scale());
      case DATE:
        return LocalDate.parse(json.asText());
      case TIME:
        return LocalTime.parse(json.asText());
      case TIMESTAMP:
        if (((Types.TimestampType) type).shouldAdjustToUTC()) {
          return OffsetDateTime.parse(json.asText());
        }
        return LocalDateTime.parse(json.asText());
      case STRING:
        return json.asText();
      case UUID:
        return UUID.fromString(json.asText());
      case FIXED:
        return HEX.parseHex(json.asText());
      case BINARY:
        return ByteBuffer.wrap(HEX.parseHex(json.asText()));
      case STRUCT:
        return record(type.asStructType(), json);
      case LIST:
        {
          List<Object> out = new ArrayList<>();
          for (JsonNode item : json) out.add(parse(type.asListType().elementType(), item));
          return out;
        }
      case MAP:
        {
          Types.MapType map = type.asMapType();
          Map<Object, Object> out = new LinkedHashMap<>();
          for (JsonNode pair : json) {
            out.put(parse(map.keyType(), pair.get(0)), parse(map.valueType(), pair.get(1)));
          }
          return out;
        }
      default:
        throw new UnsupportedOperationException("No canonical form for " + type);
    }
  }

  private static double parseDouble(JsonNode json) {
    if (json.isTextual()) return Double.parseDouble(json.asText());
    return json.doubleValue();
  }
}
