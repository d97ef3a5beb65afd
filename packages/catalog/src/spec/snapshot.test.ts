import { CorruptFileError, UnsupportedError, ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type DataFile, DataFileContent } from './data-file.js'
import {
  JsonFieldReader,
  type JsonValue,
  parseMetadataJson,
  type Snapshot,
  snapshotFromJson,
  snapshotRefFromJson,
  snapshotRefToJson,
  snapshotToJson,
  stringifyMetadataJson,
  updateSnapshotSummary,
  validateSnapshotRef,
} from './snapshot.js'

describe('parseMetadataJson / stringifyMetadataJson', () => {
  it('keeps 64-bit ids exact where JSON.parse would round them', () => {
    const text =
      '{"snapshot-id":9223372036854775807,"parent-snapshot-id":4183447393574612455,"n":-9223372036854775808}'
    const json = parseMetadataJson(text) as Record<string, JsonValue>
    expect(json['snapshot-id']).toBe(9223372036854775807n)
    expect(json['parent-snapshot-id']).toBe(4183447393574612455n)
    expect(json.n).toBe(-9223372036854775808n)
    expect(stringifyMetadataJson(json)).toBe(text)
    expect(JSON.stringify(JSON.parse(text))).not.toBe(text)
  })

  it('returns safe integers and fractions as numbers', () => {
    expect(parseMetadataJson('[1, -1, 9007199254740991, 1.5, 1e3, 0.1, -0]')).toEqual([
      1, -1, 9007199254740991, 1.5, 1000, 0.1, -0,
    ])
    expect(parseMetadataJson('9007199254740992')).toBe(9007199254740992n)
  })

  it('reads strings with every escape and keeps __proto__ as data', () => {
    const json = parseMetadataJson(
      '{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00","__proto__":{"x":1}}',
    ) as Record<string, JsonValue>
    expect(json.a).toBe('"\\/\b\f\n\r\té😀')
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype)
    expect(Object.keys(json)).toEqual(['a', '__proto__'])
  })

  it.each([
    ['{', 'Expected a string key'],
    ['{"a" 1}', "Expected ':'"],
    ['[1,]', 'Unexpected character'],
    ['"abc', 'Unterminated string'],
    ['"\\x"', 'Invalid escape'],
    ['tru', 'Unexpected character'],
    ['{} x', 'Unexpected text'],
    ['01', 'Unexpected text'],
  ])('rejects malformed text %s', (text, message) => {
    expect(() => parseMetadataJson(text, 's3://b/t/v1.metadata.json')).toThrow(CorruptFileError)
    try {
      parseMetadataJson(text, 's3://b/t/v1.metadata.json')
    } catch (error) {
      expect((error as CorruptFileError).message).toContain(message)
      expect((error as CorruptFileError).context.file).toBe('s3://b/t/v1.metadata.json')
    }
  })

  it('prints like Jackson’s default pretty printer when asked', () => {
    const value = { a: 1, b: [1, 2], c: [], d: {}, e: [{ f: 'x' }, { g: null }], h: { i: true } }
    expect(stringifyMetadataJson(value, { pretty: true })).toBe(
      [
        '{',
        '  "a" : 1,',
        '  "b" : [ 1, 2 ],',
        '  "c" : [ ],',
        '  "d" : { },',
        '  "e" : [ {',
        '    "f" : "x"',
        '  }, {',
        '    "g" : null',
        '  } ],',
        '  "h" : {',
        '    "i" : true',
        '  }',
        '}',
      ].join('\n'),
    )
  })

  it('escapes strings as Jackson does and leaves out undefined members', () => {
    expect(stringifyMetadataJson({ s: 'a"b\\c\n\u0001é😀', u: undefined })).toBe(
      '{"s":"a\\"b\\\\c\\n\\u0001é😀"}',
    )
    expect(stringifyMetadataJson('\ud800')).toBe('"\\uD800"')
    expect(() => stringifyMetadataJson(Number.NaN)).toThrow(TypeError)
  })

  it('round-trips any JSON value, integers of any size included', () => {
    const json = fc.letrec<{ value: JsonValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.string(),
        fc.integer(),
        fc
          .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
          .filter((n) => n > 2n ** 53n || n < -(2n ** 53n)),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
      ),
    })).value
    fc.assert(
      fc.property(json, fc.boolean(), (value, pretty) => {
        expect(parseMetadataJson(stringifyMetadataJson(value, { pretty }))).toEqual(value)
      }),
    )
  })
})

describe('JsonFieldReader', () => {
  it('reads typed fields and names the key and file of a bad one', () => {
    const r = new JsonFieldReader({ i: 3, l: 9223372036854775807n, s: 'x', n: null }, 'a test', 'f.json')
    expect(r.int('i')).toBe(3)
    expect(r.long('l')).toBe(9223372036854775807n)
    expect(r.long('i')).toBe(3n)
    expect(r.optionalInt('n')).toBeUndefined()
    expect(() => r.string('i')).toThrow(/'i' must be a string in f\.json/)
    expect(() => r.int('l')).toThrow(CorruptFileError)
    expect(() => new JsonFieldReader([], 'a test')).toThrow(/Expected a test to be a JSON object/)
  })
})

const appendSnapshot: Snapshot = {
  snapshotId: 5288760946744945553n,
  parentSnapshotId: 4183447393574612455n,
  sequenceNumber: 2n,
  timestampMs: 1731430821537,
  manifestList: 's3://warehouse/nyc/taxis/metadata/snap-5288760946744945553-1-34ebd771.avro',
  summary: { operation: 'append', 'added-data-files': '2', 'total-records': '4' },
  schemaId: 0,
}

describe('snapshotToJson / snapshotFromJson', () => {
  it('writes keys in the order Java’s SnapshotParser does', () => {
    const json = snapshotToJson(appendSnapshot)
    expect(Object.keys(json)).toEqual([
      'sequence-number',
      'snapshot-id',
      'parent-snapshot-id',
      'timestamp-ms',
      'summary',
      'manifest-list',
      'schema-id',
    ])
    expect(Object.keys(json.summary as object)).toEqual(['operation', 'added-data-files', 'total-records'])
    expect(snapshotFromJson(parseMetadataJson(stringifyMetadataJson(json)))).toEqual(appendSnapshot)
  })

  it('leaves out a zero sequence number, as v1 snapshots have', () => {
    const json = snapshotToJson({ ...appendSnapshot, sequenceNumber: 0n })
    expect(json['sequence-number']).toBeUndefined()
    expect(snapshotFromJson(json).sequenceNumber).toBe(0n)
  })

  it('reads a v1 snapshot without a summary as an append', () => {
    const snapshot = snapshotFromJson({ 'snapshot-id': 1, 'timestamp-ms': 2, 'manifest-list': 'l' })
    expect(snapshot).toEqual({
      snapshotId: 1n,
      sequenceNumber: 0n,
      timestampMs: 2,
      manifestList: 'l',
      summary: { operation: 'append' },
    })
  })

  it('refuses unknown operations, embedded manifests and missing ids', () => {
    const base = { 'snapshot-id': 1, 'timestamp-ms': 2, 'manifest-list': 'l' }
    expect(() => snapshotFromJson({ ...base, summary: { operation: 'merge' } }, 'f')).toThrow(
      CorruptFileError,
    )
    expect(() => snapshotFromJson({ ...base, summary: { operation: 'append', n: 1 } })).toThrow(
      CorruptFileError,
    )
    expect(() => snapshotFromJson({ 'snapshot-id': 1, 'timestamp-ms': 2, manifests: ['m'] })).toThrow(
      UnsupportedError,
    )
    expect(() => snapshotFromJson({ 'timestamp-ms': 2, 'manifest-list': 'l' })).toThrow(/'snapshot-id'/)
  })
})

describe('snapshot JSON round trip', () => {
  const id = fc.bigInt({ min: 1n, max: 2n ** 63n - 1n })
  const snapshotArb = fc.record(
    {
      snapshotId: id,
      parentSnapshotId: id,
      sequenceNumber: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      timestampMs: fc.integer({ min: 0, max: 2 ** 45 }),
      manifestList: fc.string(),
      summary: fc
        .dictionary(
          fc.string().filter((k) => k !== 'operation'),
          fc.string(),
          { maxKeys: 4 },
        )
        .chain((extra) =>
          fc
            .constantFrom('append', 'replace', 'overwrite', 'delete')
            .map((operation) => ({ operation, ...extra })),
        ),
      schemaId: fc.integer({ min: 0, max: 1000 }),
    },
    { requiredKeys: ['snapshotId', 'sequenceNumber', 'timestampMs', 'manifestList', 'summary'] },
  ) as fc.Arbitrary<Snapshot>

  it('keeps a summary key named __proto__ as data', () => {
    const snapshot = {
      snapshotId: 1n,
      sequenceNumber: 0n,
      timestampMs: 0,
      manifestList: 'l',
      summary: Object.fromEntries([
        ['operation', 'append'],
        ['__proto__', 'x'],
      ]) as Snapshot['summary'],
    }
    const text = stringifyMetadataJson(snapshotToJson(snapshot))
    expect(text).toContain('"__proto__":"x"')
    expect(snapshotFromJson(parseMetadataJson(text))).toEqual(snapshot)
  })

  it('reads back every snapshot it writes, ids exact', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => {
        const text = stringifyMetadataJson(snapshotToJson(snapshot), { pretty: true })
        expect(snapshotFromJson(parseMetadataJson(text))).toEqual(snapshot)
      }),
    )
  })
})

describe('snapshot refs', () => {
  it('round-trips a branch with retention settings in Java’s key order', () => {
    const ref = {
      snapshotId: 9223372036854775807n,
      type: 'branch' as const,
      minSnapshotsToKeep: 2,
      maxSnapshotAgeMs: 3600000,
      maxRefAgeMs: 86400000,
    }
    const json = snapshotRefToJson(ref)
    expect(Object.keys(json)).toEqual([
      'snapshot-id',
      'type',
      'min-snapshots-to-keep',
      'max-snapshot-age-ms',
      'max-ref-age-ms',
    ])
    expect(snapshotRefFromJson(parseMetadataJson(stringifyMetadataJson(json)))).toEqual(ref)
  })

  it('refuses retention a tag cannot have and non-positive settings', () => {
    expect(() => snapshotRefFromJson({ 'snapshot-id': 1, type: 'tag', 'min-snapshots-to-keep': 1 })).toThrow(
      CorruptFileError,
    )
    expect(() => snapshotRefFromJson({ 'snapshot-id': 1, type: 'twig' })).toThrow(/Unknown snapshot ref type/)
    expect(() => validateSnapshotRef({ snapshotId: 1n, type: 'branch', maxRefAgeMs: 0 })).toThrow(
      ValidationError,
    )
    expect(() => validateSnapshotRef({ snapshotId: 1n, type: 'tag', maxRefAgeMs: 10 })).not.toThrow()
  })
})

function file(
  content: DataFileContent,
  partition: unknown[],
  records: bigint,
  size: bigint,
  specId = 0,
): DataFile {
  return {
    content,
    filePath: `s3://b/t/data/${partition.join('-')}-${records}-${size}.parquet`,
    fileFormat: 'PARQUET',
    partition,
    specId,
    recordCount: records,
    fileSizeInBytes: size,
  }
}

describe('updateSnapshotSummary', () => {
  it('computes the first append’s summary as the Spark-written example has it', () => {
    const summary = updateSnapshotSummary(undefined, {
      operation: 'append',
      added: [file(0, [1n], 2n, 1516n), file(0, [2n], 2n, 1558n)],
      extra: { 'spark.app.id': 'local-1731429992596' },
    })
    expect(Object.entries(summary)).toEqual([
      ['operation', 'append'],
      ['spark.app.id', 'local-1731429992596'],
      ['added-data-files', '2'],
      ['added-records', '4'],
      ['added-files-size', '3074'],
      ['changed-partition-count', '2'],
      ['total-records', '4'],
      ['total-files-size', '3074'],
      ['total-data-files', '2'],
      ['total-delete-files', '0'],
      ['total-position-deletes', '0'],
      ['total-equality-deletes', '0'],
    ])
  })

  it('carries totals over from the previous summary and counts removals and deletes', () => {
    const previous = updateSnapshotSummary(undefined, {
      operation: 'append',
      added: [file(0, ['a'], 10n, 100n), file(0, ['b'], 5n, 50n)],
    })
    const summary = updateSnapshotSummary(previous, {
      operation: 'overwrite',
      added: [
        file(DataFileContent.DATA, ['a'], 7n, 70n),
        file(DataFileContent.POSITION_DELETES, ['b'], 2n, 20n),
        file(DataFileContent.EQUALITY_DELETES, ['b'], 3n, 30n),
      ],
      removed: [file(DataFileContent.DATA, ['a'], 10n, 100n)],
    })
    expect(summary).toEqual({
      operation: 'overwrite',
      'added-data-files': '1',
      'deleted-data-files': '1',
      'added-equality-delete-files': '1',
      'added-position-delete-files': '1',
      'added-delete-files': '2',
      'added-records': '7',
      'deleted-records': '10',
      'added-files-size': '120',
      'removed-files-size': '100',
      'added-position-deletes': '2',
      'added-equality-deletes': '3',
      'changed-partition-count': '2',
      'total-records': '12',
      'total-files-size': '170',
      'total-data-files': '2',
      'total-delete-files': '2',
      'total-position-deletes': '2',
      'total-equality-deletes': '3',
    })
  })

  it('leaves out totals the previous summary lacks or that would go negative', () => {
    const summary = updateSnapshotSummary(
      { operation: 'append', 'total-records': '3', 'total-data-files': 'x' },
      { operation: 'delete', removed: [file(0, [], 5n, 10n)] },
    )
    expect(summary['total-records']).toBeUndefined()
    expect(summary['total-data-files']).toBeUndefined()
    expect(summary['total-files-size']).toBeUndefined()
    expect(summary['changed-partition-count']).toBe('1')
  })

  it('counts partitions of different specs apart and lets computed keys win over extras', () => {
    const summary = updateSnapshotSummary(undefined, {
      operation: 'append',
      added: [file(0, [1], 1n, 1n, 0), file(0, [1], 1n, 1n, 1), file(0, [new Uint8Array([1])], 1n, 1n, 1)],
      extra: { operation: 'delete', 'added-records': '99' },
    })
    expect(summary.operation).toBe('append')
    expect(summary['added-records']).toBe('3')
    expect(summary['changed-partition-count']).toBe('3')
  })
})
