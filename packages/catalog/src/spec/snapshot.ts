/**
 * Snapshots, snapshot references and the snapshot summary, as the spec's "Snapshots" and
 * "Snapshot References" sections name them, plus the lossless JSON reader and writer that table
 * metadata needs: snapshot ids are random 63-bit numbers, which `JSON.parse` would round.
 *
 * @module
 */
import { CorruptFileError, UnsupportedError, ValidationError } from '@lake/errors'
import { type DataFile, DataFileContent } from './data-file.js'

// ---------------------------------------------------------------------------------------------
// Lossless JSON

/**
 * A JSON value as {@link parseMetadataJson} returns it. Integers that a double cannot hold
 * exactly come back as `bigint`, so that ids survive a read and a write unchanged.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject

/** A JSON object whose values are {@link JsonValue}s. */
export interface JsonObject {
  [key: string]: JsonValue
}

const MAX_DEPTH = 512
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?(?:[eE][+-]?\d+)?/y

/**
 * Parses JSON text without losing precision in integers beyond 2^53 (snapshot ids, sequence
 * numbers): those are returned as `bigint`, every other number as `number`. `where` names the
 * file in the `CorruptFileError` thrown for malformed text.
 *
 * @example
 * ```ts
 * parseMetadataJson('{"snapshot-id": 9223372036854775807}') // { 'snapshot-id': 9223372036854775807n }
 * ```
 */
export function parseMetadataJson(text: string, where?: string): JsonValue {
  return new LosslessParser(text, where).document()
}

class LosslessParser {
  readonly #text: string
  readonly #where: string | undefined
  #pos = 0

  constructor(text: string, where: string | undefined) {
    this.#text = text
    this.#where = where
  }

  document(): JsonValue {
    if (this.#text.charCodeAt(0) === 0xfeff) this.#pos = 1
    const value = this.#value(0)
    this.#skipWhitespace()
    if (this.#pos < this.#text.length) throw this.#error('Unexpected text after the JSON value')
    return value
  }

  #value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw this.#error('JSON nested too deeply')
    this.#skipWhitespace()
    const c = this.#text[this.#pos]
    switch (c) {
      case '{':
        return this.#object(depth)
      case '[':
        return this.#array(depth)
      case '"':
        return this.#string()
      case 't':
        return this.#literal('true', true)
      case 'f':
        return this.#literal('false', false)
      case 'n':
        return this.#literal('null', null)
      default:
        return this.#number()
    }
  }

  #object(depth: number): JsonObject {
    const obj: JsonObject = {}
    this.#pos++
    this.#skipWhitespace()
    if (this.#text[this.#pos] === '}') {
      this.#pos++
      return obj
    }
    for (;;) {
      this.#skipWhitespace()
      if (this.#text[this.#pos] !== '"') throw this.#error('Expected a string key')
      const key = this.#string()
      this.#skipWhitespace()
      this.#expect(':')
      const value = this.#value(depth + 1)
      // A key named __proto__ must become data, not the object's prototype.
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
      this.#skipWhitespace()
      if (this.#text[this.#pos] === ',') {
        this.#pos++
        continue
      }
      this.#expect('}')
      return obj
    }
  }

  #array(depth: number): JsonValue[] {
    const items: JsonValue[] = []
    this.#pos++
    this.#skipWhitespace()
    if (this.#text[this.#pos] === ']') {
      this.#pos++
      return items
    }
    for (;;) {
      items.push(this.#value(depth + 1))
      this.#skipWhitespace()
      if (this.#text[this.#pos] === ',') {
        this.#pos++
        continue
      }
      this.#expect(']')
      return items
    }
  }

  #string(): string {
    const text = this.#text
    let pos = this.#pos + 1
    let out = ''
    let start = pos
    for (;;) {
      if (pos >= text.length) throw this.#error('Unterminated string')
      const code = text.charCodeAt(pos)
      if (code === 0x22) {
        out += text.slice(start, pos)
        this.#pos = pos + 1
        return out
      }
      if (code < 0x20) throw this.#error('Control character in string')
      if (code !== 0x5c) {
        pos++
        continue
      }
      out += text.slice(start, pos)
      const escaped = text[pos + 1]
      switch (escaped) {
        case '"':
        case '\\':
        case '/':
          out += escaped
          pos += 2
          break
        case 'b':
          out += '\b'
          pos += 2
          break
        case 'f':
          out += '\f'
          pos += 2
          break
        case 'n':
          out += '\n'
          pos += 2
          break
        case 'r':
          out += '\r'
          pos += 2
          break
        case 't':
          out += '\t'
          pos += 2
          break
        case 'u': {
          const hex = text.slice(pos + 2, pos + 6)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.#error('Invalid \\u escape')
          out += String.fromCharCode(Number.parseInt(hex, 16))
          pos += 6
          break
        }
        default:
          throw this.#error('Invalid escape in string')
      }
      start = pos
    }
  }

  #number(): number | bigint {
    NUMBER.lastIndex = this.#pos
    const match = NUMBER.exec(this.#text)
    if (!match) throw this.#error('Unexpected character')
    this.#pos += match[0].length
    const value = Number(match[0])
    const integral = !match[0].includes('.') && !/[eE]/.test(match[0])
    return integral && !Number.isSafeInteger(value) ? BigInt(match[0]) : value
  }

  #literal<T>(word: string, value: T): T {
    if (!this.#text.startsWith(word, this.#pos)) throw this.#error('Unexpected character')
    this.#pos += word.length
    return value
  }

  #expect(char: string): void {
    if (this.#text[this.#pos] !== char) throw this.#error(`Expected '${char}'`)
    this.#pos++
  }

  #skipWhitespace(): void {
    const text = this.#text
    let pos = this.#pos
    for (;;) {
      const c = text.charCodeAt(pos)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++
      else break
    }
    this.#pos = pos
  }

  #error(message: string): CorruptFileError {
    const at = `${message} at offset ${this.#pos}`
    return new CorruptFileError(
      this.#where ? `Invalid JSON in ${this.#where}: ${at}` : `Invalid JSON: ${at}`,
      {
        context: { ...(this.#where ? { file: this.#where } : {}), offset: this.#pos },
      },
    )
  }
}

/** How {@link stringifyMetadataJson} lays out its output. */
export interface StringifyOptions {
  /**
   * Lay out the text as Iceberg Java writes metadata files (Jackson's default pretty printer:
   * `"key" : value`, two-space indents, arrays inline as `[ a, b ]`), so that files written by
   * Lake and by Java differ only where their content does. Off by default: compact, like REST.
   */
  pretty?: boolean
}

/**
 * Prints JSON with `bigint`s as exact integer literals; the inverse of {@link parseMetadataJson}.
 * Object keys keep their insertion order and `undefined` members are left out, as with
 * `JSON.stringify`.
 */
export function stringifyMetadataJson(value: unknown, options: StringifyOptions = {}): string {
  const out: string[] = []
  writeJson(value, options.pretty === true, 0, out)
  return out.join('')
}

function writeJson(value: unknown, pretty: boolean, level: number, out: string[]): void {
  switch (typeof value) {
    case 'string':
      out.push(quoteJson(value))
      return
    case 'boolean':
      out.push(value ? 'true' : 'false')
      return
    case 'bigint':
      out.push(value.toString())
      return
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`Cannot write ${value} as JSON`)
      out.push(JSON.stringify(value))
      return
    case 'object':
      if (value === null) out.push('null')
      else if (Array.isArray(value)) writeArray(value, pretty, level, out)
      else writeObject(value as Record<string, unknown>, pretty, level, out)
      return
    default:
      throw new TypeError(`Cannot write a ${typeof value} as JSON`)
  }
}

function writeArray(items: readonly unknown[], pretty: boolean, level: number, out: string[]): void {
  if (items.length === 0) {
    out.push(pretty ? '[ ]' : '[]')
    return
  }
  out.push(pretty ? '[ ' : '[')
  items.forEach((item, i) => {
    if (i > 0) out.push(pretty ? ', ' : ',')
    writeJson(item === undefined ? null : item, pretty, level, out)
  })
  out.push(pretty ? ' ]' : ']')
}

function writeObject(obj: Record<string, unknown>, pretty: boolean, level: number, out: string[]): void {
  const entries = Object.entries(obj).filter(([, v]) => v !== undefined)
  if (entries.length === 0) {
    out.push(pretty ? '{ }' : '{}')
    return
  }
  const indent = pretty ? `\n${'  '.repeat(level + 1)}` : ''
  out.push('{')
  entries.forEach(([key, item], i) => {
    out.push(i > 0 ? `,${indent}` : indent, quoteJson(key), pretty ? ' : ' : ':')
    writeJson(item, pretty, level + 1, out)
  })
  out.push(pretty ? `\n${'  '.repeat(level)}}` : '}')
}

const SHORT_ESCAPES: Record<number, string> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  12: '\\f',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
}

/** Quotes a string the way Jackson does: short escapes, `\u00XX` in upper case, no other escaping. */
function quoteJson(text: string): string {
  let out = '"'
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    let escaped: string | undefined
    if (code < 0x20 || code === 0x22 || code === 0x5c) {
      escaped = SHORT_ESCAPES[code] ?? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
    } else if (code >= 0xd800 && code <= 0xdfff) {
      const pair = code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
      if (pair) {
        i++
        continue
      }
      escaped = `\\u${code.toString(16).toUpperCase()}`
    }
    if (escaped !== undefined) {
      out += text.slice(start, i) + escaped
      start = i + 1
    }
  }
  return `${out + text.slice(start)}"`
}

/**
 * Typed access to one object of a metadata file, so that every missing or mistyped field is
 * reported the same way: a `CorruptFileError` naming the key and, when known, the file.
 */
export class JsonFieldReader {
  /** The object being read. */
  readonly json: JsonObject
  /** The file the object came from, for error messages. */
  readonly where: string | undefined

  constructor(json: unknown, what: string, where?: string) {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw corruptJson(`Expected ${what} to be a JSON object`, where)
    }
    this.json = json as JsonObject
    this.where = where
  }

  /** True when the key is present and not null. */
  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null
  }

  /** A required 32-bit integer. */
  int(key: string): number {
    const value = this.json[key]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
      throw this.error(`'${key}' must be an integer`)
    }
    return value
  }

  /** An optional 32-bit integer. */
  optionalInt(key: string): number | undefined {
    return this.has(key) ? this.int(key) : undefined
  }

  /** A required 64-bit integer, exact whatever its size. */
  long(key: string): bigint {
    const value = this.json[key]
    if (typeof value === 'bigint') return value
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
    throw this.error(`'${key}' must be a 64-bit integer`)
  }

  /** An optional 64-bit integer. */
  optionalLong(key: string): bigint | undefined {
    return this.has(key) ? this.long(key) : undefined
  }

  /** A required integer that a double holds exactly, such as a timestamp in milliseconds. */
  safeLong(key: string): number {
    const value = this.json[key]
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      throw this.error(`'${key}' must be an integer`)
    return value
  }

  /** An optional {@link safeLong}. */
  optionalSafeLong(key: string): number | undefined {
    return this.has(key) ? this.safeLong(key) : undefined
  }

  /** A required string. */
  string(key: string): string {
    const value = this.json[key]
    if (typeof value !== 'string') throw this.error(`'${key}' must be a string`)
    return value
  }

  /** An optional string. */
  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined
  }

  /** A required array. */
  array(key: string): JsonValue[] {
    const value = this.json[key]
    if (!Array.isArray(value)) throw this.error(`'${key}' must be an array`)
    return value
  }

  /** A required object whose values are all strings (properties, summaries). */
  stringMap(key: string): Record<string, string> {
    const value = this.json[key]
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.error(`'${key}' must be an object`)
    }
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string') throw this.error(`'${key}.${k}' must be a string`)
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
    }
    return out
  }

  /** A `CorruptFileError` about this object. */
  error(message: string, cause?: unknown): CorruptFileError {
    return corruptJson(message, this.where, cause)
  }
}

function corruptJson(message: string, where?: string, cause?: unknown): CorruptFileError {
  return new CorruptFileError(where ? `${message} in ${where}` : message, {
    ...(where ? { context: { file: where } } : {}),
    ...(cause === undefined ? {} : { cause }),
  })
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/** The name of the branch whose head is the table's current snapshot. */
export const MAIN_BRANCH = 'main'

/** What a snapshot did to the table, as the spec's `operation` summary field names it. */
export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete'

const OPERATIONS = new Set<string>(['append', 'replace', 'overwrite', 'delete'])

/**
 * A snapshot's summary: the operation plus string properties (`added-data-files`, totals, and
 * whatever the writer added). Readers such as engines' history views rely on the standard keys.
 */
export type SnapshotSummary = { readonly operation: SnapshotOperation } & Readonly<Record<string, string>>

/** The state of a table at some time: the manifest list that names every live file. */
export interface Snapshot {
  /** Unique id; a random 63-bit number in practice, hence `bigint`. */
  readonly snapshotId: bigint
  /** The snapshot this one was committed on top of. */
  readonly parentSnapshotId?: bigint
  /** Orders this snapshot's changes against other snapshots' (always 0 in v1). */
  readonly sequenceNumber: bigint
  /** When the snapshot was created, in milliseconds since the epoch. */
  readonly timestampMs: number
  /** Location of the manifest list. */
  readonly manifestList: string
  readonly summary: SnapshotSummary
  /** The schema current when the snapshot was written. */
  readonly schemaId?: number
}

/** A named pointer to a snapshot: a branch (which can be committed to) or a tag. */
export interface SnapshotRef {
  readonly snapshotId: bigint
  readonly type: 'branch' | 'tag'
  /** Branches only: snapshots to keep on this branch when expiring. */
  readonly minSnapshotsToKeep?: number
  /** Branches only: the oldest snapshot age to keep on this branch when expiring. */
  readonly maxSnapshotAgeMs?: number
  /** How long the ref itself is kept; never expires for `main`. */
  readonly maxRefAgeMs?: number
}

/** Serialises a snapshot exactly as Java's `SnapshotParser` does (key order, omitted defaults). */
export function snapshotToJson(snapshot: Snapshot): JsonObject {
  const json: JsonObject = {}
  if (snapshot.sequenceNumber > 0n) json['sequence-number'] = snapshot.sequenceNumber
  json['snapshot-id'] = snapshot.snapshotId
  if (snapshot.parentSnapshotId !== undefined) json['parent-snapshot-id'] = snapshot.parentSnapshotId
  json['timestamp-ms'] = snapshot.timestampMs
  // fromEntries defines own properties, so a key such as `__proto__` stays data.
  const summary: JsonObject = Object.fromEntries([
    ['operation', snapshot.summary.operation],
    ...Object.entries(snapshot.summary).filter(([key]) => key !== 'operation'),
  ])
  json.summary = summary
  json['manifest-list'] = snapshot.manifestList
  if (snapshot.schemaId !== undefined) json['schema-id'] = snapshot.schemaId
  return json
}

/**
 * Parses a snapshot. v1 snapshots may lack `sequence-number` (it is 0) and `summary` (taken as
 * an append, as iceberg-rust does); manifest lists embedded as `manifests` are not supported.
 */
export function snapshotFromJson(json: unknown, where?: string): Snapshot {
  const r = new JsonFieldReader(json, 'a snapshot', where)
  if (!r.has('manifest-list')) {
    if (r.has('manifests')) {
      throw new UnsupportedError(
        'Snapshots with embedded manifest lists (v1 "manifests") are not supported',
        {
          context: where ? { file: where } : {},
        },
      )
    }
    throw r.error(`'manifest-list' must be a string`)
  }
  const snapshot: {
    -readonly [K in keyof Snapshot]: Snapshot[K]
  } = {
    snapshotId: r.long('snapshot-id'),
    sequenceNumber: r.optionalLong('sequence-number') ?? 0n,
    timestampMs: r.safeLong('timestamp-ms'),
    manifestList: r.string('manifest-list'),
    summary: r.has('summary') ? summaryFromJson(r) : { operation: 'append' },
  }
  const parent = r.optionalLong('parent-snapshot-id')
  if (parent !== undefined) snapshot.parentSnapshotId = parent
  const schemaId = r.optionalInt('schema-id')
  if (schemaId !== undefined) snapshot.schemaId = schemaId
  return snapshot
}

function summaryFromJson(r: JsonFieldReader): SnapshotSummary {
  const map = r.stringMap('summary')
  const operation = map.operation
  if (operation === undefined || !OPERATIONS.has(operation)) {
    throw r.error(`Unknown snapshot operation ${JSON.stringify(operation)}`)
  }
  return { ...map, operation } as SnapshotSummary
}

/** Serialises a ref as Java's `SnapshotRefParser` does. */
export function snapshotRefToJson(ref: SnapshotRef): JsonObject {
  const json: JsonObject = { 'snapshot-id': ref.snapshotId, type: ref.type }
  if (ref.minSnapshotsToKeep !== undefined) json['min-snapshots-to-keep'] = ref.minSnapshotsToKeep
  if (ref.maxSnapshotAgeMs !== undefined) json['max-snapshot-age-ms'] = ref.maxSnapshotAgeMs
  if (ref.maxRefAgeMs !== undefined) json['max-ref-age-ms'] = ref.maxRefAgeMs
  return json
}

/** Parses a ref, refusing retention settings the spec does not allow. */
export function snapshotRefFromJson(json: unknown, where?: string): SnapshotRef {
  const r = new JsonFieldReader(json, 'a snapshot ref', where)
  const type = r.string('type').toLowerCase()
  if (type !== 'branch' && type !== 'tag') throw r.error(`Unknown snapshot ref type '${type}'`)
  const ref: { -readonly [K in keyof SnapshotRef]: SnapshotRef[K] } = {
    snapshotId: r.long('snapshot-id'),
    type,
  }
  const minSnapshotsToKeep = r.optionalInt('min-snapshots-to-keep')
  if (minSnapshotsToKeep !== undefined) ref.minSnapshotsToKeep = minSnapshotsToKeep
  const maxSnapshotAgeMs = r.optionalSafeLong('max-snapshot-age-ms')
  if (maxSnapshotAgeMs !== undefined) ref.maxSnapshotAgeMs = maxSnapshotAgeMs
  const maxRefAgeMs = r.optionalSafeLong('max-ref-age-ms')
  if (maxRefAgeMs !== undefined) ref.maxRefAgeMs = maxRefAgeMs
  try {
    validateSnapshotRef(ref)
  } catch (error) {
    throw r.error((error as Error).message, error)
  }
  return ref
}

/**
 * Checks the rules Java's `SnapshotRef.Builder` enforces: retention settings are positive, and
 * tags keep no snapshots of their own (only `maxRefAgeMs` applies to them).
 */
export function validateSnapshotRef(ref: SnapshotRef): void {
  const fail = (message: string) =>
    new ValidationError(message, { context: { snapshotId: String(ref.snapshotId) } })
  if (ref.type === 'tag' && ref.minSnapshotsToKeep !== undefined)
    throw fail('Tags do not support minSnapshotsToKeep')
  if (ref.type === 'tag' && ref.maxSnapshotAgeMs !== undefined)
    throw fail('Tags do not support maxSnapshotAgeMs')
  if (ref.minSnapshotsToKeep !== undefined && ref.minSnapshotsToKeep <= 0) {
    throw fail('minSnapshotsToKeep must be greater than 0')
  }
  if (ref.maxSnapshotAgeMs !== undefined && ref.maxSnapshotAgeMs <= 0) {
    throw fail('maxSnapshotAgeMs must be greater than 0')
  }
  if (ref.maxRefAgeMs !== undefined && ref.maxRefAgeMs <= 0) throw fail('maxRefAgeMs must be greater than 0')
}

// ---------------------------------------------------------------------------------------------
// Snapshot summaries

/** What one commit changed, for {@link updateSnapshotSummary}. */
export interface SnapshotSummaryChanges {
  readonly operation: SnapshotOperation
  /** Data and delete files this commit adds. */
  readonly added?: readonly DataFile[]
  /** Data and delete files this commit removes. */
  readonly removed?: readonly DataFile[]
  /** Extra properties (an engine's app id, Kafka offsets); the computed ones win on a clash. */
  readonly extra?: Readonly<Record<string, string>>
}

class UpdateMetrics {
  addedSize = 0n
  removedSize = 0n
  addedFiles = 0
  removedFiles = 0
  addedEqDeleteFiles = 0
  removedEqDeleteFiles = 0
  addedPosDeleteFiles = 0
  removedPosDeleteFiles = 0
  addedDeleteFiles = 0
  removedDeleteFiles = 0
  addedRecords = 0n
  deletedRecords = 0n
  addedPosDeletes = 0n
  removedPosDeletes = 0n
  addedEqDeletes = 0n
  removedEqDeletes = 0n

  added(file: DataFile): void {
    this.addedSize += file.fileSizeInBytes
    switch (file.content) {
      case DataFileContent.DATA:
        this.addedFiles++
        this.addedRecords += file.recordCount
        break
      case DataFileContent.POSITION_DELETES:
        this.addedPosDeleteFiles++
        this.addedDeleteFiles++
        this.addedPosDeletes += file.recordCount
        break
      case DataFileContent.EQUALITY_DELETES:
        this.addedEqDeleteFiles++
        this.addedDeleteFiles++
        this.addedEqDeletes += file.recordCount
        break
    }
  }

  removed(file: DataFile): void {
    this.removedSize += file.fileSizeInBytes
    switch (file.content) {
      case DataFileContent.DATA:
        this.removedFiles++
        this.deletedRecords += file.recordCount
        break
      case DataFileContent.POSITION_DELETES:
        this.removedPosDeleteFiles++
        this.removedDeleteFiles++
        this.removedPosDeletes += file.recordCount
        break
      case DataFileContent.EQUALITY_DELETES:
        this.removedEqDeleteFiles++
        this.removedDeleteFiles++
        this.removedEqDeletes += file.recordCount
        break
    }
  }

  /** Writes the non-zero counts, in the order of Java's `SnapshotSummary.UpdateMetrics.addTo`. */
  addTo(out: Map<string, string>): void {
    const setIf = (key: string, value: number | bigint) => {
      if (value > 0) out.set(key, String(value))
    }
    setIf('added-data-files', this.addedFiles)
    setIf('deleted-data-files', this.removedFiles)
    setIf('added-equality-delete-files', this.addedEqDeleteFiles)
    setIf('removed-equality-delete-files', this.removedEqDeleteFiles)
    setIf('added-position-delete-files', this.addedPosDeleteFiles)
    setIf('removed-position-delete-files', this.removedPosDeleteFiles)
    setIf('added-delete-files', this.addedDeleteFiles)
    setIf('removed-delete-files', this.removedDeleteFiles)
    setIf('added-records', this.addedRecords)
    setIf('deleted-records', this.deletedRecords)
    setIf('added-files-size', this.addedSize)
    setIf('removed-files-size', this.removedSize)
    setIf('added-position-deletes', this.addedPosDeletes)
    setIf('removed-position-deletes', this.removedPosDeletes)
    setIf('added-equality-deletes', this.addedEqDeletes)
    setIf('removed-equality-deletes', this.removedEqDeletes)
  }
}

/** Each running total and the per-commit properties that move it, in Java's order. */
const TOTALS: readonly (readonly [total: string, added: string, removed: string])[] = [
  ['total-records', 'added-records', 'deleted-records'],
  ['total-files-size', 'added-files-size', 'removed-files-size'],
  ['total-data-files', 'added-data-files', 'deleted-data-files'],
  ['total-delete-files', 'added-delete-files', 'removed-delete-files'],
  ['total-position-deletes', 'added-position-deletes', 'removed-position-deletes'],
  ['total-equality-deletes', 'added-equality-deletes', 'removed-equality-deletes'],
]

/**
 * The summary of a new snapshot, computed as Java's `SnapshotSummary.Builder` and
 * `SnapshotProducer.summary` do: extra properties first, then the non-zero counts of what was
 * added and removed, `changed-partition-count`, and the running totals carried over from
 * `previous` (the summary of the branch head this commit builds on; `undefined` when there is
 * none, so totals start at 0). A total the previous summary lacks, or that would go negative,
 * is left out rather than guessed.
 *
 * @example
 * ```ts
 * const summary = updateSnapshotSummary(parent?.summary, { operation: 'append', added: files })
 * summary['total-records'] // '42'
 * ```
 */
export function updateSnapshotSummary(
  previous: Readonly<Record<string, string>> | undefined,
  changes: SnapshotSummaryChanges,
): SnapshotSummary {
  const out = new Map<string, string>()
  for (const [key, value] of Object.entries(changes.extra ?? {})) if (key !== 'operation') out.set(key, value)

  const metrics = new UpdateMetrics()
  const partitions = new Set<string>()
  for (const file of changes.added ?? []) {
    metrics.added(file)
    partitions.add(partitionKey(file))
  }
  for (const file of changes.removed ?? []) {
    metrics.removed(file)
    partitions.add(partitionKey(file))
  }
  metrics.addTo(out)
  out.set('changed-partition-count', String(partitions.size))

  const base = previous ?? Object.fromEntries(TOTALS.map(([total]) => [total, '0']))
  for (const [total, added, removed] of TOTALS) {
    const next = updateTotal(base[total], out.get(added), out.get(removed))
    if (next !== undefined) out.set(total, next)
  }
  return { operation: changes.operation, ...Object.fromEntries(out) } as SnapshotSummary
}

function updateTotal(previous: string | undefined, added: string | undefined, removed: string | undefined) {
  const total = parseLong(previous)
  if (total === undefined) return undefined
  let next = total
  if (next >= 0n && added !== undefined) next += BigInt(added)
  if (next >= 0n && removed !== undefined) next -= BigInt(removed)
  return next >= 0n ? String(next) : undefined
}

function parseLong(text: string | undefined): bigint | undefined {
  return text !== undefined && /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined
}

/** Identifies the partition a file belongs to, across specs, for `changed-partition-count`. */
function partitionKey(file: DataFile): string {
  const values = file.partition.map((value) => {
    if (typeof value === 'bigint') return `${value}n`
    if (value instanceof Uint8Array)
      return `0x${[...value].map((b) => b.toString(16).padStart(2, '0')).join('')}`
    return JSON.stringify(value) ?? 'undefined'
  })
  return `${file.specId}:${values.join(',')}`
}
