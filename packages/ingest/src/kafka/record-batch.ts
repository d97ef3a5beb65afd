/**
 * Kafka record batches (message format v2, the only one Kafka 4 stores) decoded column by
 * column ({@link KafkaRecords}): offsets and timestamps as numbers, keys and values as ranges of
 * the fetched bytes, in typed arrays, with no object per record until one is asked for. kafkajs's
 * decoder builds a `Long` per offset, a string per offset and timestamp and a `Batch` that
 * compares `Long`s; that was most of its consuming time (decision 0006). An object and two views
 * per record, all alive until the fetch is processed, were most of what remained.
 *
 * Transactions are filtered as Kafka's Java consumer does under `read_committed`: a batch of a
 * producer whose transaction the broker lists as aborted is skipped up to that transaction's
 * abort marker, and control batches (the markers) are never returned. Pure code apart from
 * decompression, which zlib (gzip) or a codec registered with kafkajs does.
 *
 * @module
 */
import { promisify } from 'node:util'
import { unzip } from 'node:zlib'
import { CorruptFileError, UnsupportedError } from '@lake/errors'
// kafkajs is CommonJS, and Node's ESM loader does not find `CompressionCodecs` among its named exports.
import kafkajs from 'kafkajs'
import { Reader } from './wire.js'

/** One record as the worker sees it. */
export interface KafkaRecord {
  readonly offset: number
  /** Milliseconds since the epoch: the producer's, or the broker's for `LogAppendTime` topics. */
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** Headers by key, as kafkajs gives them (a key sent more than once has an array of values). */
  readonly headers: Readonly<Record<string, Buffer | null | (Buffer | null)[]>>
}

/** An aborted transaction of a Fetch response: its producer and its first offset. */
export interface AbortedTransaction {
  readonly producerId: number
  readonly firstOffset: number
}

/** What {@link decodeRecords} found in a partition's record set. */
export interface DecodedRecords {
  /** The records at or after the fetch offset, less control records and aborted ones. */
  readonly records: KafkaRecords
  /** The offset after the last complete batch (the next fetch offset), or `undefined` if none was complete. */
  readonly nextOffset: number | undefined
}

/** Where a partition's record set came from, for errors. */
export interface RecordSource {
  readonly topic: string
  readonly partition: number
  readonly fetchOffset: number
  /** Only `read_committed` filters aborted transactions. */
  readonly readCommitted: boolean
  readonly aborted: readonly AbortedTransaction[] | null
}

/** The bytes of a batch header, from `baseOffset` to `recordsCount` inclusive. */
const HEADER_BYTES = 61
const COMPRESSION_MASK = 0x07
const LOG_APPEND_TIME = 0x08
const TRANSACTIONAL = 0x10
const CONTROL = 0x20
/** Control record types (the control record's key: int16 version, int16 type). */
const ABORT_MARKER = 0

const { CompressionCodecs, CompressionTypes } = kafkajs
const unzipAsync = promisify(unzip)
const NO_HEADERS: Readonly<Record<string, never>> = Object.freeze({})

/**
 * A partition's fetched records, column by column: the fetch path's output, read by index.
 * Keys, values and headers stay in the fetched (or decompressed) bytes; {@link KafkaRecords.at}
 * makes a {@link KafkaRecord} of one when it is wanted whole.
 */
export class KafkaRecords implements Iterable<KafkaRecord> {
  #length = 0
  #offsets: Float64Array
  #timestamps: Float64Array
  /** Per record, which of {@link KafkaRecords.#buffers} holds its bytes. */
  #buffer: Int32Array
  /** Per record, where its key and value begin (-1 for null) and end, and its headers begin (-1 for none). */
  #keyStart: Int32Array
  #keyEnd: Int32Array
  #valueStart: Int32Array
  #valueEnd: Int32Array
  #headers: Int32Array
  readonly #buffers: Buffer[] = []

  constructor(capacity = 256) {
    this.#offsets = new Float64Array(capacity)
    this.#timestamps = new Float64Array(capacity)
    this.#buffer = new Int32Array(capacity)
    this.#keyStart = new Int32Array(capacity)
    this.#keyEnd = new Int32Array(capacity)
    this.#valueStart = new Int32Array(capacity)
    this.#valueEnd = new Int32Array(capacity)
    this.#headers = new Int32Array(capacity)
  }

  get length(): number {
    return this.#length
  }

  /** Record `i`'s offset, a safe integer. */
  offset(i: number): number {
    return this.#offsets[i]!
  }

  /** Record `i`'s timestamp, in milliseconds since the epoch. */
  timestamp(i: number): number {
    return this.#timestamps[i]!
  }

  /** The bytes record `i`'s key and value are ranges of. */
  bytes(i: number): Buffer {
    return this.#buffers[this.#buffer[i]!]!
  }

  /** Where record `i`'s value begins in {@link KafkaRecords.bytes}, or -1 for a null value (a tombstone). */
  valueStart(i: number): number {
    return this.#valueStart[i]!
  }

  /** Where record `i`'s value ends in {@link KafkaRecords.bytes}. */
  valueEnd(i: number): number {
    return this.#valueEnd[i]!
  }

  /** The bytes of record `i`'s key and value together. */
  size(i: number): number {
    return this.#keyEnd[i]! - this.#keyStart[i]! + this.#valueEnd[i]! - this.#valueStart[i]!
  }

  /** Record `i` whole: its key, value and header values as views of the fetched bytes. */
  at(i: number): KafkaRecord {
    const bytes = this.bytes(i)
    const keyStart = this.#keyStart[i]!
    const valueStart = this.#valueStart[i]!
    const headers = this.#headers[i]!
    return {
      offset: this.#offsets[i]!,
      timestamp: this.#timestamps[i]!,
      key: keyStart < 0 ? null : bytes.subarray(keyStart, this.#keyEnd[i]!),
      value: valueStart < 0 ? null : bytes.subarray(valueStart, this.#valueEnd[i]!),
      headers: headers < 0 ? NO_HEADERS : readHeaders(new Reader(bytes, headers)),
    }
  }

  *[Symbol.iterator](): Iterator<KafkaRecord> {
    for (let i = 0; i < this.#length; i++) yield this.at(i)
  }

  /** Makes `bytes` the buffer of the records added next. */
  use(bytes: Buffer): void {
    if (this.#buffers[this.#buffers.length - 1] !== bytes) this.#buffers.push(bytes)
  }

  /**
   * Reads the record at `reader` (of the buffer last {@link KafkaRecords.use | used}), checking
   * its layout, and keeps it if its offset reaches `from`. Null keys and values are kept with
   * an empty range at -1, so that {@link KafkaRecords.size} counts them as nothing.
   */
  read(
    reader: Reader,
    baseOffset: number,
    baseTimestamp: number,
    appendTime: number | undefined,
    from: number,
  ): void {
    const length = reader.varint()
    const end = reader.offset + length
    if (length < 0 || end > reader.end) throw reader.corrupt(`a record of ${length} bytes`)
    reader.int8() // attributes: unused in v2
    const timestampDelta = reader.varlong()
    const offset = baseOffset + reader.varint()
    const keyLength = reader.varint()
    const keyStart = keyLength < 0 ? -1 : reader.skip(keyLength)
    const valueLength = reader.varint()
    const valueStart = valueLength < 0 ? -1 : reader.skip(valueLength)
    const headers = reader.offset
    const headerCount = reader.varint()
    // Headers are checked here, and read only for a record wanted whole.
    for (let h = 0; h < headerCount; h++) {
      const nameLength = reader.varint()
      if (nameLength < 0) throw reader.corrupt('a header without a key')
      reader.skip(nameLength)
      const valueLength = reader.varint()
      if (valueLength > 0) reader.skip(valueLength)
    }
    if (reader.offset !== end)
      throw reader.corrupt(`a record of ${length} bytes read as ${reader.offset - end + length}`)
    if (offset < from) return
    const n = this.#length
    if (n === this.#offsets.length) this.#grow()
    this.#offsets[n] = offset
    this.#timestamps[n] = appendTime ?? baseTimestamp + timestampDelta
    this.#buffer[n] = this.#buffers.length - 1
    this.#keyStart[n] = keyStart
    this.#keyEnd[n] = keyLength < 0 ? -1 : keyStart + keyLength
    this.#valueStart[n] = valueStart
    this.#valueEnd[n] = valueLength < 0 ? -1 : valueStart + valueLength
    this.#headers[n] = headerCount > 0 ? headers : -1
    this.#length = n + 1
  }

  #grow(): void {
    const capacity = 2 * this.#offsets.length
    const grown = <T extends Float64Array | Int32Array>(array: T): T => {
      const bigger = new (array.constructor as new (length: number) => T)(capacity)
      bigger.set(array)
      return bigger
    }
    this.#offsets = grown(this.#offsets)
    this.#timestamps = grown(this.#timestamps)
    this.#buffer = grown(this.#buffer)
    this.#keyStart = grown(this.#keyStart)
    this.#keyEnd = grown(this.#keyEnd)
    this.#valueStart = grown(this.#valueStart)
    this.#valueEnd = grown(this.#valueEnd)
    this.#headers = grown(this.#headers)
  }
}

/**
 * Decodes a partition's record set from a Fetch response. A batch cut off at the end (the
 * response's size limit) is left for the next fetch; everything else malformed throws a
 * `CorruptFileError` naming the topic, partition and offset.
 */
export async function decodeRecords(bytes: Buffer, source: RecordSource): Promise<DecodedRecords> {
  const what = `The record batch of ${source.topic}/${source.partition}`
  // A record takes at least 7 bytes, and the benchmark's about 220: room for most fetches at once.
  const records = new KafkaRecords(Math.max(16, Math.ceil(bytes.length / 128)))
  let nextOffset: number | undefined
  const filter = source.readCommitted && source.aborted?.length ? new AbortFilter(source.aborted) : undefined
  let at = 0
  while (bytes.length - at >= 12) {
    const head = new Reader(bytes, at, bytes.length, what)
    const baseOffset = head.safeInt64('baseOffset')
    const batchLength = head.int32()
    const end = head.offset + batchLength
    if (end > bytes.length) break
    if (batchLength < HEADER_BYTES - 12)
      throw head.corrupt(`a batch of ${batchLength} bytes at offset ${baseOffset}`)
    const reader = new Reader(bytes, head.offset, end, `${what} at offset ${baseOffset}`)
    reader.int32() // partitionLeaderEpoch
    const magic = reader.int8()
    if (magic !== 2)
      throw new UnsupportedError(
        `${what} at offset ${baseOffset} has message format v${magic}; Lake reads v2`,
        {
          context: { topic: source.topic, partition: source.partition, offset: baseOffset },
        },
      )
    reader.uint32() // crc
    const attributes = reader.int16()
    const lastOffsetDelta = reader.int32()
    const baseTimestamp = reader.safeInt64('baseTimestamp')
    const maxTimestamp = reader.safeInt64('maxTimestamp')
    const producerId = reader.safeInt64('producerId')
    reader.int16() // producerEpoch
    reader.int32() // baseSequence
    const count = reader.int32()
    at = end
    nextOffset = baseOffset + lastOffsetDelta + 1
    const control = (attributes & CONTROL) !== 0
    if (filter) {
      filter.advanceTo(nextOffset - 1)
      if (!control && (attributes & TRANSACTIONAL) !== 0 && filter.isAborted(producerId)) continue
    }
    // Control batches hold one record, never compressed; only their marker's type matters.
    if (!control && nextOffset <= source.fetchOffset) continue
    const codec = attributes & COMPRESSION_MASK
    const body =
      codec === 0
        ? reader
        : new Reader(await decompress(codec, bytes.subarray(reader.offset, end), what), 0, undefined, what)
    const appendTime = (attributes & LOG_APPEND_TIME) !== 0 ? maxTimestamp : undefined
    if (control) {
      if (filter && count > 0) {
        const markers = new KafkaRecords(1)
        markers.use(body.buffer)
        markers.read(body, baseOffset, baseTimestamp, appendTime, -1)
        const key = markers.at(0).key
        if (key && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER) filter.ended(producerId)
      }
      continue
    }
    records.use(body.buffer)
    for (let i = 0; i < count; i++)
      records.read(body, baseOffset, baseTimestamp, appendTime, source.fetchOffset)
    if (body.remaining() !== 0) throw body.corrupt(`${body.remaining()} bytes after its ${count} records`)
  }
  return { records, nextOffset }
}

/** Headers by key from `reader` at a record's header count, as kafkajs gives them. */
function readHeaders(reader: Reader): Record<string, Buffer | null | (Buffer | null)[]> {
  const headers: Record<string, Buffer | null | (Buffer | null)[]> = {}
  const count = reader.varint()
  for (let i = 0; i < count; i++) {
    const key = bytesOf(reader)!.toString('utf8')
    const value = bytesOf(reader)
    const seen = headers[key]
    if (seen === undefined) headers[key] = value
    else if (Array.isArray(seen)) seen.push(value)
    else headers[key] = [seen, value]
  }
  return headers
}

/** A varint length, then that many bytes as a view; -1 is null. */
function bytesOf(reader: Reader): Buffer | null {
  const length = reader.varint()
  if (length < 0) return null
  const at = reader.skip(length)
  return reader.buffer.subarray(at, at + length)
}

async function decompress(codec: number, bytes: Buffer, what: string): Promise<Buffer> {
  const name = Object.entries(CompressionTypes).find(([, type]) => type === codec)?.[0] ?? `codec ${codec}`
  let decompressor: { decompress(bytes: Buffer): Promise<Buffer> }
  if (codec === CompressionTypes.GZIP) {
    decompressor = { decompress: (b) => unzipAsync(b) }
  } else {
    // kafkajs's registry: its placeholders for the codecs it lacks throw when called.
    const registered = (CompressionCodecs as Record<number, (() => typeof decompressor) | undefined>)[codec]
    try {
      if (!registered) throw new Error(`no codec ${codec}`)
      decompressor = registered()
    } catch (error) {
      throw new UnsupportedError(
        `${what} is compressed with ${name}, which has no codec: register one in kafkajs's CompressionCodecs`,
        { cause: error, context: { codec: name } },
      )
    }
  }
  try {
    return await decompressor.decompress(bytes)
  } catch (error) {
    throw new CorruptFileError(`${what} does not decompress with ${name}: ${(error as Error).message}`, {
      cause: error,
      context: { codec: name },
    })
  }
}

/**
 * The aborted transactions of one partition's fetch, as the Java consumer walks them: a
 * producer is aborted from its transaction's first offset until its abort marker.
 */
class AbortFilter {
  readonly #pending: AbortedTransaction[]
  readonly #producers = new Set<number>()

  constructor(aborted: readonly AbortedTransaction[]) {
    this.#pending = [...aborted].sort((a, b) => b.firstOffset - a.firstOffset)
  }

  /** Takes in the transactions that began at or before a batch's last offset. */
  advanceTo(lastOffset: number): void {
    while (this.#pending.length && this.#pending[this.#pending.length - 1]!.firstOffset <= lastOffset)
      this.#producers.add(this.#pending.pop()!.producerId)
  }

  isAborted(producerId: number): boolean {
    return this.#producers.has(producerId)
  }

  /** The producer's abort marker: its later batches belong to another transaction. */
  ended(producerId: number): void {
    this.#producers.delete(producerId)
  }
}
