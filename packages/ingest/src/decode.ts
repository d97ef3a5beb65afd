import { ValidationError } from '@lake/errors'
import { type AvroSchema, compileAvroDecoder } from './avro.js'

/** What a worker knows of a Kafka record besides its value. */
export interface RecordMeta {
  topic: string
  partition: number
  offset: bigint
  /** The record's timestamp (create or log-append time, as the topic says). */
  timestamp: Date
  /** The key's bytes, or null. */
  key: Buffer | null
  /** Headers; a header given several times keeps the last value. */
  headers: Readonly<Record<string, Buffer | undefined>>
}

/** A row before validation: column name to value, in any form the table's validation accepts. */
export type Row = Record<string, unknown>

/**
 * How a record's value becomes a row:
 *
 * - `'json'` (the default): UTF-8 JSON text of an object;
 * - `'raw'`: `{ value: <the bytes> }`, for a `binary` column named `value`;
 * - `{ avro: schema }`: Avro's binary encoding of a record of `schema` (with
 *   `confluent: true`, after the Confluent Schema Registry's 5-byte prefix);
 * - a function of the value and the record's metadata, returning a row.
 */
export type Decode =
  | 'json'
  | 'raw'
  | { avro: AvroSchema; confluent?: boolean }
  | ((value: Buffer, meta: RecordMeta) => Row | Promise<Row>)

/** A compiled {@link Decode}. */
export type Decoder = (value: Buffer | null, meta: RecordMeta) => Row | Promise<Row>

/** Compiles a {@link Decode} once; a bad Avro schema is refused here rather than on every record. */
export function compileDecoder(decode: Decode = 'json'): Decoder {
  if (decode === 'json') return decodeJson
  if (decode === 'raw') return (value) => ({ value: value === null ? null : new Uint8Array(value) })
  if (typeof decode === 'function') {
    return (value, meta) => {
      if (value === null) throw new ValidationError('The record has no value (a tombstone)')
      return decode(value, meta)
    }
  }
  const avro = compileAvroDecoder(decode.avro)
  const confluent = decode.confluent === true
  return (value) => {
    if (value === null) throw new ValidationError('The record has no value (a tombstone)')
    let bytes: Uint8Array = value
    if (confluent) {
      if (bytes.length < 5 || bytes[0] !== 0) {
        throw new ValidationError('The value does not start with the Schema Registry prefix (magic byte 0)')
      }
      bytes = bytes.subarray(5)
    }
    return asRow(avro(bytes))
  }
}

function decodeJson(value: Buffer | null): Row {
  if (value === null) throw new ValidationError('The record has no value (a tombstone)')
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch (error) {
    throw new ValidationError(`The value is not valid JSON: ${(error as Error).message}`)
  }
  return asRow(parsed)
}

function asRow(value: unknown): Row {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(
      `The value is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}, not an object`,
    )
  }
  return value as Row
}
