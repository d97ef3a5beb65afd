import { createHash } from 'node:crypto'
import { ByteReader, ByteWriter } from './binary.js'
import { type AvroWriteCodec, compressBlock, decompressBlock } from './codecs.js'
import { compileReader, compileWriter, zeroWidth } from './datum.js'
import { type AvroNode, type AvroSchema, resolveSchema } from './schema.js'

/**
 * Avro object container files (Avro 1.11 spec, "Object Container Files"): a header with the
 * writer's schema and key/value metadata, then blocks of records, each closed by the file's sync
 * marker. Manifests and manifest lists are such files.
 *
 * The whole file is held in memory: manifests are small, and a file must be read to its end to
 * know it is not truncated. A truncated or corrupt file is reported, never read as partial data.
 *
 * @module
 */

const MAGIC = new Uint8Array([0x4f, 0x62, 0x6a, 0x01])
const SYNC_SIZE = 16
const metadataDecoder = new TextDecoder()
const metadataEncoder = new TextEncoder()

/** The header of a container file. */
export interface AvroHeader {
  /** The writer's schema as JSON, attributes such as `field-id` included. */
  readonly schemaJson: unknown
  /** The writer's schema, resolved. */
  readonly schema: AvroNode
  /** Every metadata entry, values decoded as UTF-8 (`avro.schema` and `avro.codec` included). */
  readonly metadata: Readonly<Record<string, string>>
  /** `null`, `deflate`, `snappy` or `zstandard`. */
  readonly codec: string
}

/** A container file read in full. */
export interface AvroFile extends AvroHeader {
  /** Every record, in file order. */
  readonly records: unknown[]
}

/** Options of {@link readAvroFile}. */
export interface ReadAvroFileOptions {
  /** The file's path or URI, named in errors. */
  file?: string
}

/**
 * Reads a container file with its own (writer's) schema. Throws `CorruptFileError` when the
 * bytes are not a complete, well-formed file, and `UnsupportedError` for an unknown codec.
 */
export function readAvroFile(bytes: Uint8Array, options: ReadAvroFileOptions = {}): AvroFile {
  const reader = new ByteReader(bytes, options.file)
  const { header, sync } = readHeader(reader)
  const read = compileReader(header.schema)
  const records: unknown[] = []
  while (!reader.atEnd()) {
    const blockOffset = reader.pos
    const count = reader.readLength()
    const size = reader.readLength()
    if (count <= 0 || size < 0)
      throw reader.corrupt(`Invalid Avro block header (count ${count}, size ${size})`)
    const data = reader.readFixed(size)
    const marker = reader.readFixed(SYNC_SIZE)
    if (!sameBytes(marker, sync)) throw reader.corrupt('Avro block does not end with the sync marker')
    const block = new ByteReader(decompressBlock(header.codec, data, reader), options.file, blockOffset)
    if (count > block.bytes.length && !zeroWidth(header.schema)) {
      // Every record of a non-empty schema takes at least a byte; larger counts are corruption.
      throw block.corrupt(`Avro block claims ${count} records in ${block.bytes.length} bytes`)
    }
    for (let i = 0; i < count; i++) records.push(read(block))
    if (!block.atEnd())
      throw block.corrupt(`Avro block has ${block.bytes.length - block.pos} bytes after its records`)
  }
  return { ...header, records }
}

/** Reads only the header, e.g. to learn a manifest's partition spec without decoding entries. */
export function readAvroHeader(bytes: Uint8Array, options: ReadAvroFileOptions = {}): AvroHeader {
  return readHeader(new ByteReader(bytes, options.file)).header
}

function readHeader(reader: ByteReader): { header: AvroHeader; sync: Uint8Array } {
  if (reader.bytes.length < MAGIC.length || !sameBytes(reader.bytes.subarray(0, MAGIC.length), MAGIC)) {
    throw reader.corrupt('Not an Avro object container file (bad magic)')
  }
  reader.pos = MAGIC.length
  const metadata: Record<string, string> = {}
  for (let count = reader.readLength(); count !== 0; count = reader.readLength()) {
    if (count < 0) {
      reader.readLength()
      count = -count
    }
    for (let i = 0; i < count; i++) {
      const key = reader.readString()
      const value = metadataDecoder.decode(reader.readFixed(reader.readLength()))
      // Defined, not assigned: a key named __proto__ in a file must stay a key.
      Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true })
    }
  }
  const sync = reader.readFixed(SYNC_SIZE)
  const schemaText = metadata['avro.schema']
  if (schemaText === undefined) throw reader.corrupt('Avro header has no avro.schema')
  let schemaJson: unknown
  try {
    schemaJson = JSON.parse(schemaText)
  } catch (cause) {
    throw reader.corrupt('Avro header schema is not valid JSON', cause)
  }
  const schema = resolveSchema(schemaJson, reader.file)
  const codec = metadata['avro.codec'] ?? 'null'
  return { header: { schemaJson, schema, metadata, codec }, sync }
}

/** Options of {@link writeAvroFile}. */
export interface WriteAvroFileOptions {
  /**
   * The schema in JSON form. It is written to the header exactly as given, so Iceberg's
   * `field-id` attributes reach readers that map columns by id.
   */
  schema: AvroSchema
  /** The records, each a value of `schema`. */
  records: Iterable<unknown>
  /** Header metadata besides `avro.schema` and `avro.codec`. */
  metadata?: Readonly<Record<string, string>>
  /** Block codec; `deflate` is what Java writes by default. */
  codec?: AvroWriteCodec
  /** Uncompressed bytes gathered before a block is closed (Java's default sync interval is 64 kB). */
  blockSize?: number
  /**
   * The 16-byte sync marker. By default it is derived from the header, so the same input always
   * yields the same bytes (and tests can compare files) while still looking random to data.
   */
  syncMarker?: Uint8Array
}

/** Writes a container file; throws `ValidationError` for a record that does not fit the schema. */
export function writeAvroFile(options: WriteAvroFileOptions): Uint8Array {
  const codec = options.codec ?? 'deflate'
  const blockSize = options.blockSize ?? 64_000
  const write = compileWriter(resolveSchema(options.schema))
  const out = new ByteWriter(64 * 1024)
  out.writeFixed(MAGIC)
  const metadata: [string, string][] = [
    ['avro.schema', JSON.stringify(options.schema)],
    ['avro.codec', codec],
    ...Object.entries(options.metadata ?? {}).filter(
      ([key]) => key !== 'avro.schema' && key !== 'avro.codec',
    ),
  ]
  out.writeLength(metadata.length)
  for (const [key, value] of metadata) {
    out.writeString(key)
    out.writeBytes(metadataEncoder.encode(value))
  }
  out.writeLength(0)
  const sync = options.syncMarker ?? createHash('md5').update(out.view()).digest()
  if (sync.length !== SYNC_SIZE) throw new RangeError(`An Avro sync marker has ${SYNC_SIZE} bytes`)
  out.writeFixed(sync)

  const block = new ByteWriter(blockSize + 1024)
  let count = 0
  const flush = () => {
    const data = compressBlock(codec, block.view())
    out.writeLength(count)
    out.writeLength(data.length)
    out.writeFixed(data)
    out.writeFixed(sync)
    block.reset()
    count = 0
  }
  for (const record of options.records) {
    write(block, record)
    count++
    if (block.length >= blockSize) flush()
  }
  if (count > 0) flush()
  return out.finish()
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
