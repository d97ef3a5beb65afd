import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  ColumnBuilder,
  type IcebergType,
  isTypedColumn,
  type NestedField,
  Schema,
  type TypedColumn,
  Types,
  typedValues,
} from '@lake/catalog'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Events, event } from '../bench/events.js'
import { recordMeta as meta } from '../test/record-meta.js'
import { compileDecoder } from './decode.js'
import { JsonRowReader } from './json-row.js'

const decodeJson = compileDecoder('json')

/**
 * The record as the worker validates it on the general path: the JSON decoder's row, its unknown
 * top-level fields dropped when they are ignored. Throws what the decoder throws.
 */
function input(schema: Schema, value: Buffer, ignoreUnknown: boolean): Record<string, unknown> {
  const row = decodeJson(value, meta) as Record<string, unknown>
  if (!ignoreUnknown) return row
  const names = new Set(schema.fields.map((f) => f.name))
  const known: Record<string, unknown> = {}
  for (const name in row) if (names.has(name)) known[name] = row[name]
  return known
}

/** The general path's row of values (validation into columns), or 'refused'. */
function general(schema: Schema, value: Buffer, ignoreUnknown: boolean): unknown[] | 'refused' {
  const builder = new ColumnBuilder(schema)
  try {
    builder.add(input(schema, value, ignoreUnknown))
  } catch {
    return 'refused'
  }
  // A builder that is not typed keeps every column as an array of values.
  return builder.take().columns.map((column) => (column as readonly unknown[])[0])
}

/** The row `readInto` gives a builder of values, or 'declined', leaving the builder empty. */
function fast(schema: Schema, value: Buffer, ignoreUnknown: boolean): unknown[] | 'declined' {
  const builder = new ColumnBuilder(schema)
  if (!new JsonRowReader(schema, ignoreUnknown).readInto(value, builder)) {
    expect(builder.take().rowCount).toBe(0)
    return 'declined'
  }
  return builder.take().columns.map((column) => (column as readonly unknown[])[0])
}

/**
 * What a fetch puts around a record's value: other records' bytes, which a reader that ran past
 * the value's end could take for the rest of it (closing braces, quotes, digits, exponents,
 * instants, escapes, whitespace, bytes that are not UTF-8).
 */
const NEIGHBOURS = [
  '',
  '}',
  '"}',
  '0}',
  ' }',
  '"',
  '5e3,"x":1}',
  '2026-01-01T00:00:00.000Z"}',
  '.50"}',
  'rue}',
  '\\u0041"}',
  '\xc3\xa9"}',
  '{"id":1}',
  '\x00\xff',
].map((text) => Buffer.from(text, 'latin1'))
let neighbour = 0

/** `value` between two of {@link NEIGHBOURS}, taken in turn, and where it lies there. */
function amid(value: Buffer): { bytes: Buffer; start: number; end: number } {
  const before = NEIGHBOURS[neighbour % NEIGHBOURS.length]!
  const after = NEIGHBOURS[(neighbour + 4) % NEIGHBOURS.length]!
  neighbour++
  return {
    bytes: Buffer.concat([before, value, after]),
    start: before.length,
    end: before.length + value.length,
  }
}

/**
 * Reads `value` into builders (typed, and not) already holding the rows of `prior` and checks
 * that they end up exactly as builders to which the general path added the same rows: with the
 * value's row when it is accepted, as they were (bytes, offsets and validity included) when it
 * is declined. Each builder reads the value alone (`readInto`) and amid other bytes
 * (`readRange`), as the worker reads it where the fetch put it.
 */
function into(
  schema: Schema,
  value: Buffer,
  ignoreUnknown: boolean,
  prior: readonly Buffer[],
  reader = new JsonRowReader(schema, ignoreUnknown),
): 'accepted' | 'declined' {
  let result: 'accepted' | 'declined' | undefined
  for (const [typed, among] of [
    [true, false],
    [true, true],
    [false, false],
    [false, true],
  ]) {
    const expected = new ColumnBuilder(schema, { typed })
    const actual = new ColumnBuilder(schema, { typed })
    for (const row of prior) {
      expected.add(input(schema, row, ignoreUnknown))
      actual.add(input(schema, row, ignoreUnknown))
    }
    const placed = among ? amid(value) : undefined
    const accepted = placed
      ? reader.readRange(placed.bytes, placed.start, placed.end, actual)
      : reader.readInto(value, actual)
    if (accepted) expected.add(input(schema, value, ignoreUnknown))
    expect(actual.rowCount).toBe(expected.rowCount)
    expect(actual.take()).toStrictEqual(expected.take())
    result ??= accepted ? 'accepted' : 'declined'
    expect(accepted ? 'accepted' : 'declined').toBe(result)
  }
  return result!
}

/**
 * Accepted records must have exactly the general path's values (-0 and 0 differ here), read
 * into typed and untyped builders alike (see {@link into}).
 */
function agrees(
  schema: Schema,
  value: Buffer,
  ignoreUnknown: boolean,
  prior: readonly Buffer[] = [],
  reader?: JsonRowReader,
): 'accepted' | 'declined' {
  return into(schema, value, ignoreUnknown, prior, reader)
}

/**
 * Checks `agrees` on each value, read after the last value accepted before it, so that rows are
 * also read into builders that hold rows (nulls, bytes) already.
 */
function agreesInTurn(schema: Schema, ignoreUnknown: boolean): (value: Buffer) => 'accepted' | 'declined' {
  let prior: Buffer[] = []
  // One reader for all: each value is also read after the ones before it, as the worker reads;
  // one that compiles a layout once it has read a record in it, one that never does.
  const compiling = new JsonRowReader(schema, ignoreUnknown, 1)
  const walking = new JsonRowReader(schema, ignoreUnknown, Number.POSITIVE_INFINITY)
  return (value) => {
    const result = agrees(schema, value, ignoreUnknown, prior, compiling)
    expect(agrees(schema, value, ignoreUnknown, prior, walking)).toBe(result)
    if (result === 'accepted') prior = [value]
    return result
  }
}

const events = new Schema([
  { id: 1, name: 'id', required: true, type: Types.long },
  { id: 2, name: 'ts', required: true, type: Types.timestamptz },
  { id: 3, name: 'user', required: true, type: Types.string },
  { id: 4, name: 'amount', required: false, type: Types.decimal(10, 2) },
  { id: 5, name: 'qty', required: false, type: Types.int },
  { id: 6, name: 'price', required: false, type: Types.double },
  { id: 7, name: 'flag', required: false, type: Types.boolean },
])
const text = (s: string) => Buffer.from(s, 'utf8')

describe('JsonRowReader', () => {
  it('reads a record into the values validation gives it', () => {
    const value = text(
      '{"id":7,"ts":"2025-11-24T16:00:00.007Z","user":"u-\\u00e9\\ud83d\\ude00","amount":"12.50","qty":-3,"price":142.85714285714286,"flag":true}',
    )
    expect(fast(events, value, false)).toStrictEqual([
      7n,
      1764000000007000n,
      'u-é😀',
      1250n,
      -3,
      142.85714285714286,
      true,
    ])
    expect(agrees(events, value, false)).toBe('accepted')
  })

  it('takes keys in any order, the last of a duplicated key, whitespace, and missing optional fields', () => {
    const value = text(' {\n\t"user" : "a" , "id":1e3, "ts":"2025-01-01T00:00:00+01:00", "id" : -0 }\r\n')
    expect(fast(events, value, false)).toStrictEqual([0n, 1735686000000000n, 'a', null, null, null, null])
    expect(agrees(events, value, false)).toBe('accepted')
  })

  it.each([
    ['invalid JSON', '{"id":1,'],
    ['an array', '[1]'],
    ['a required field null', '{"id":null,"ts":"2025-01-01T00:00:00Z","user":"a"}'],
    ['a required field missing', '{"ts":"2025-01-01T00:00:00Z","user":"a"}'],
    ['a value of the wrong type', '{"id":"1","ts":"2025-01-01T00:00:00Z","user":"a"}'],
    ['an integer beyond 2^53 for a long', '{"id":9007199254740993,"ts":"2025-01-01T00:00:00Z","user":"a"}'],
    ['an unknown field', '{"id":1,"ts":"2025-01-01T00:00:00Z","user":"a","x":1}'],
    ['a key with escapes', '{"\\u0069d":1,"ts":"2025-01-01T00:00:00Z","user":"a"}'],
    ['a leading zero', '{"id":01,"ts":"2025-01-01T00:00:00Z","user":"a"}'],
    ['a byte order mark', '\ufeff{"id":1,"ts":"2025-01-01T00:00:00Z","user":"a"}'],
    ['a raw control character in a string', '{"id":1,"ts":"2025-01-01T00:00:00Z","user":"a\u0001"}'],
    [
      'decimal text with more digits than the scale',
      '{"id":1,"ts":"2025-01-01T00:00:00Z","user":"a","amount":"1.234"}',
    ],
  ])('declines %s', (_, value) => {
    expect(fast(events, text(value), false)).toBe('declined')
  })

  it("reads bytes that are not UTF-8 as U+FFFD, as the value's text has them, in short and long strings", () => {
    const bad = Buffer.from([0xed, 0xa0, 0x80])
    for (const tail of ['-1', '-1000.1000-xyz']) {
      const value = Buffer.concat([
        text('{"id":1,"ts":"2025-01-01T00:00:00Z","user":"'),
        bad,
        text(`${tail}"}`),
      ])
      expect(fast(events, value, false)).toStrictEqual([
        1n,
        1735689600000000n,
        `\ufffd\ufffd\ufffd${tail}`,
        null,
        null,
        null,
        null,
      ])
      expect(agrees(events, value, false)).toBe('accepted')
    }
  })

  it('drops unknown fields when they are ignored, but not a key __proto__', () => {
    const value = text('{"id":1,"x":{"a":[1,{"b":null}]},"ts":"2025-01-01T00:00:00Z","user":"a"}')
    expect(agrees(events, value, true)).toBe('accepted')
    const proto = text('{"id":1,"__proto__":1,"ts":"2025-01-01T00:00:00Z","user":"a"}')
    expect(fast(events, proto, true)).toBe('declined')
  })

  it('reads nested values by the catalog rules', () => {
    const schema = new Schema([
      {
        id: 1,
        name: 's',
        required: false,
        type: Types.struct([
          { id: 2, name: 'a', required: true, type: Types.int },
          { id: 3, name: 'l', required: false, type: Types.list(4, Types.string) },
        ]),
      },
      { id: 5, name: 'm', required: false, type: Types.map(6, Types.string, 7, Types.long) },
    ])
    const value = text('{"s":{"a":1,"l":["x",null]},"m":{"b":1,"1":2,"b":3}}')
    expect(fast(schema, value, false)).toStrictEqual([
      { a: 1, l: ['x', null] },
      new Map([
        ['1', 2n],
        ['b', 3n],
      ]),
    ])
    expect(agrees(schema, value, false)).toBe('accepted')
  })

  it('gives exactly the general path values or declines, on random schemas and nasty JSON', () => {
    fc.assert(
      fc.property(schemaArb, fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 }), (fields, ignore, seed) => {
        const schema = new Schema(fields)
        const check = agreesInTurn(schema, ignore)
        fc.assert(
          fc.property(fc.oneof(recordArb(fields), nastyArb(fields)), (value) => {
            check(value)
          }),
          { numRuns: 40, seed },
        )
      }),
      { numRuns: 100 },
    )
  }, 30_000)

  it('reads instants and decimal text exactly as the catalog parses them', () => {
    const textArb = fc.oneof(
      typedTextArb,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc
        .date({
          noInvalidDate: true,
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
        })
        .map((d) => d.toISOString()),
      fc.double().filter(Number.isFinite).map(String),
      fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }).map((n) => {
        const t = String(n)
        const at = Math.max(1, t.length - (Number(n % 5n) + 5))
        return `${t.slice(0, at)}.${t.slice(at)}`
      }),
    )
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 38 })
          .chain((p) => fc.tuple(fc.constant(p), fc.integer({ min: 0, max: p }))),
        textArb,
        textArb,
        ([precision, scale], t, d) => {
          const schema = new Schema([
            { id: 1, name: 't', required: false, type: Types.timestamptz },
            { id: 2, name: 'd', required: false, type: Types.decimal(precision, scale) },
          ])
          const value = text(JSON.stringify({ t, d }))
          const expected = general(schema, value, false) === 'refused' ? 'declined' : 'accepted'
          expect(agrees(schema, value, false)).toBe(expected)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('reads the benchmark events and records of every flat type into typed columns as the general path does', () => {
    const allTypes = new Schema([
      { id: 1, name: 'string', required: false, type: Types.string },
      { id: 2, name: 'long', required: false, type: Types.long },
      { id: 3, name: 'int', required: false, type: Types.int },
      { id: 4, name: 'double', required: false, type: Types.double },
      { id: 5, name: 'float', required: false, type: Types.float },
      { id: 6, name: 'boolean', required: false, type: Types.boolean },
      { id: 7, name: 'timestamptz', required: false, type: Types.timestamptz },
      { id: 8, name: 'timestamp', required: false, type: Types.timestamp },
      { id: 9, name: 'date', required: false, type: Types.date },
      { id: 10, name: 'time', required: false, type: Types.time },
      { id: 11, name: 'uuid', required: false, type: Types.uuid },
      { id: 12, name: 'binary', required: false, type: Types.binary },
      { id: 13, name: 'dec9', required: false, type: Types.decimal(9, 2) },
      { id: 14, name: 'dec18', required: true, type: Types.decimal(18, 4) },
      { id: 15, name: 'dec38', required: false, type: Types.decimal(38, 10) },
      { id: 16, name: 'user', required: true, type: Types.string },
      {
        id: 17,
        name: 'struct',
        required: false,
        type: Types.struct([
          { id: 18, name: 'a', required: true, type: Types.int },
          { id: 19, name: 'b', required: false, type: Types.string },
        ]),
      },
    ])
    const benchmark = fc.oneof(
      fc.nat().map((i) => text(event(i))),
      fc.tuple(fc.nat(), fc.date({ noInvalidDate: true })).map(([i, at]) => text(event(i, at.getTime()))),
    )
    for (const [schema, arb] of [
      [Events.schema, fc.oneof(benchmark, recordArb(Events.schema.fields), nastyArb(Events.schema.fields))],
      [
        allTypes,
        fc.oneof(recordArb(allTypes.fields), nastyArb(allTypes.fields), wellFormedArb(allTypes.fields)),
      ],
    ] as const) {
      for (const ignore of [false, true]) {
        const check = agreesInTurn(schema, ignore)
        let accepted = 0
        fc.assert(
          fc.property(arb, (value) => {
            if (check(value) === 'accepted') accepted++
          }),
          { numRuns: 400 },
        )
        // Values compared, not only refusals.
        expect(accepted).toBeGreaterThan(60)
      }
    }
  }, 30_000)

  it('reads a record laid out as the last one exactly as the general path does, whatever changed in it', () => {
    // The bytes that make or break a record: quotes, escapes, digits, signs, exponents,
    // punctuation, whitespace, literals' letters, and bytes that are not ASCII.
    const tricky = [...'"\\n09-.eE{}[],: tfu']
      .map((c) => c.charCodeAt(0))
      .concat([0x80, 0xc3, 0xa9, 0xff, 0x00])
    const mutation = fc.record({
      at: fc.nat(),
      byte: fc.constantFrom(...tricky),
      kind: fc.constantFrom('replace', 'insert', 'delete'),
    })
    const mutate = (value: Buffer, mutations: readonly { at: number; byte: number; kind: string }[]) => {
      let bytes = [...value]
      for (const { at, byte, kind } of mutations) {
        const i = at % (bytes.length + 1)
        if (kind === 'insert') bytes = [...bytes.slice(0, i), byte, ...bytes.slice(i)]
        else if (kind === 'delete') bytes = [...bytes.slice(0, i), ...bytes.slice(i + 1)]
        else if (i < bytes.length) bytes[i] = byte
      }
      return Buffer.from(bytes)
    }
    const schema = Events.schema
    let accepted = 0
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.array(mutation, { maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (i, j, mutations, typed, ignore, compiled) => {
          // Compiling the layout of the record before, or walking it.
          const reader = new JsonRowReader(schema, ignore, compiled ? 0 : Number.POSITIVE_INFINITY)
          const base = text(event(i))
          const next = mutate(text(event(j)), mutations)
          const actual = new ColumnBuilder(schema, { typed })
          const expected = new ColumnBuilder(schema, { typed })
          expect(reader.readInto(base, actual)).toBe(true)
          expected.add(input(schema, base, ignore))
          // Read where a fetch would put it: between the record before and the one after.
          const fetched = Buffer.concat([base, next, text(event(i + j))])
          if (reader.readRange(fetched, base.length, base.length + next.length, actual)) {
            accepted++
            // Throws, failing the test, if the general path refuses what the reader took.
            expected.add(input(schema, next, ignore))
          }
          expect(actual.take()).toStrictEqual(expected.take())
        },
      ),
      { numRuns: 3000 },
    )
    // Records read, not only declined.
    expect(accepted).toBeGreaterThan(600)
  })

  it('reads records of layouts that come and go, more than it keeps, exactly as the general path does', () => {
    // 40 key orders of the benchmark event, cycled: each compiled after 2 records in it, the
    // oldest let go after 32, and read again from the start when it comes back.
    const orders = Array.from({ length: 40 }, (_, k) => {
      const names = Events.schema.fields.map((f) => f.name)
      return [...names.slice(k % names.length), ...names.slice(0, k % names.length)]
        .reverse()
        .slice(0, 6 + (k % 5))
    })
    const check = (reader: JsonRowReader) => {
      const actual = new ColumnBuilder(Events.schema, { typed: true })
      const expected = new ColumnBuilder(Events.schema, { typed: true })
      for (let i = 0; i < 600; i++) {
        const record = JSON.parse(event(i)) as Record<string, unknown>
        const order = orders[Math.floor(i / 3) % orders.length]!
        const value = text(JSON.stringify(Object.fromEntries(order.map((name) => [name, record[name]]))))
        if (reader.readInto(value, actual)) expected.add(input(Events.schema, value, false))
      }
      // Records without every required field are declined: most are read.
      expect(actual.rowCount).toBeGreaterThan(300)
      expect(actual.take()).toStrictEqual(expected.take())
    }
    check(new JsonRowReader(Events.schema, false, 2))
    check(new JsonRowReader(Events.schema, false, Number.POSITIVE_INFINITY))
  })

  it('reads as it does by compiled layouts where code cannot be generated from strings', () => {
    const script = fileURLToPath(new URL('../test/read-events.ts', import.meta.url))
    const run = (flags: string[]) =>
      JSON.parse(
        execFileSync('node', [...flags, '--conditions=lake-source', '--import', 'tsx', script], {
          encoding: 'utf8',
        }),
      ) as { codeGeneration: boolean; accepted: number; columns: unknown }
    const walked = run(['--disallow-code-generation-from-strings'])
    const compiled = run([])
    expect(walked.codeGeneration).toBe(false)
    expect(compiled.codeGeneration).toBe(true)
    expect(walked.accepted).toBe(300)
    expect(walked).toStrictEqual({ ...compiled, codeGeneration: false })
  })

  it('reads into typed columns in place: bytes as they are, numbers, instants and decimals without a bigint', () => {
    const reader = new JsonRowReader(Events.schema, false)
    const builder = new ColumnBuilder(Events.schema, { typed: true })
    const values = [
      event(0),
      event(1, Date.UTC(9999, 11, 31)),
      event(2).replace('"user-15838"', '"\\u00e9-\\ud800"'),
    ]
    for (const value of values) expect(reader.readInto(text(value), builder)).toBe(true)
    const batch = builder.take()
    const rows = Events.schema.fields.map((field, c) =>
      typedValues(batch.columns[c] as TypedColumn, field.type),
    )
    expect(rows.map((column) => column[1])).toStrictEqual([
      1n,
      253402214400000000n,
      'user-7919',
      'click',
      'FR',
      1n,
      1,
      1 / 7,
      false,
      `note 1 ${'x'.repeat(21)}`,
    ])
    expect(rows[2]![2]).toBe('é-\ufffd')
    expect(batch.columns.every(isTypedColumn)).toBe(true)
  })

  it('leaves a typed builder as it was when it declines a record part way, bytes and validity included', () => {
    const reader = new JsonRowReader(Events.schema, false)
    const before = [event(0), event(1)].map(text)
    const declined = [
      // Every field written, the last refused.
      event(2).replace(/"note":".*"/, '"note":7'),
      // A null written (which would make the column keep a validity array), then a bad field.
      event(3)
        .replace(/"country":"\w+"/, '"country":null')
        .replace(/"qty":\d+/, '"qty":1.5'),
      // Strings written, then text that is not JSON.
      `${event(4).slice(0, -1)},"note":"x"`,
      // A required field missing.
      event(5).replace(/"user":"[^"]*",/, ''),
    ]
    for (const value of declined) {
      const expected = new ColumnBuilder(Events.schema, { typed: true })
      const actual = new ColumnBuilder(Events.schema, { typed: true })
      for (const row of before) {
        expected.add(input(Events.schema, row, false))
        expect(reader.readInto(row, actual)).toBe(true)
      }
      expect(reader.readInto(text(value), actual)).toBe(false)
      expect(actual.rowCount).toBe(2)
      // The next row lands where the declined one would have.
      expect(reader.readInto(text(event(6)), actual)).toBe(true)
      expected.add(input(Events.schema, text(event(6)), false))
      const batch = actual.take()
      expect(batch).toStrictEqual(expected.take())
      expect(batch.columns.map((column) => (column as TypedColumn).valid)).toStrictEqual(
        Events.schema.fields.map(() => undefined),
      )
    }
  })

  it('takes the last value of a duplicated key into typed columns, whatever the earlier one wrote', () => {
    const value = text(
      '{"id":1,"ts":"2025-01-01T00:00:00.000Z","user":"a long first value","user":"b","amount":"1.00","amount":null,' +
        '"qty":"x","qty":3,"note":null,"note":"n\\u00e9","kind":"k","id":-0,"user":"c"}',
    )
    expect(agrees(Events.schema, value, false, [text(event(0))])).toBe('accepted')
    const builder = new ColumnBuilder(Events.schema, { typed: true })
    expect(new JsonRowReader(Events.schema, false).readInto(value, builder)).toBe(true)
    const batch = builder.take()
    expect(
      Events.schema.fields.map((field, c) => typedValues(batch.columns[c] as TypedColumn, field.type)[0]),
    ).toStrictEqual([0n, 1735689600000000n, 'c', 'k', null, null, 3, null, null, 'né'])
  })

  it('accepts every record JSON.stringify writes that validation accepts, when no key needs escapes', () => {
    let accepted = 0
    fc.assert(
      fc.property(schemaArb, fc.integer({ min: 0, max: 2 ** 31 }), (fields, seed) => {
        const schema = new Schema(fields)
        const check = agreesInTurn(schema, false)
        fc.assert(
          fc.property(wellFormedArb(fields), (value) => {
            const plain = fields.every((f) => !/["\\]/.test(f.name) && f.name !== '__proto__')
            if (!plain || general(schema, value, false) === 'refused') return
            expect(check(value)).toBe('accepted')
            accepted++
          }),
          { numRuns: 20, seed },
        )
      }),
      { numRuns: 100 },
    )
    expect(accepted).toBeGreaterThan(200)
  })
})

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const NAMES = [
  'id',
  'a',
  'user',
  'é',
  'x y',
  'toString',
  'constructor',
  '__proto__',
  'q"uote',
  'back\\',
  '',
  '😀',
]

const flatTypeArb: fc.Arbitrary<IcebergType> = fc.oneof(
  fc.constantFrom(
    Types.string,
    Types.long,
    Types.int,
    Types.double,
    Types.float,
    Types.boolean,
    Types.timestamptz,
    Types.timestamp,
    Types.date,
    Types.time,
    Types.uuid,
    Types.binary,
  ),
  fc
    .integer({ min: 1, max: 38 })
    .chain((precision) =>
      fc.integer({ min: 0, max: precision }).map((scale) => Types.decimal(precision, scale)),
    ),
)

let nextId = 1000
const typeArb: fc.Arbitrary<IcebergType> = fc.oneof(
  { weight: 6, arbitrary: flatTypeArb },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { minLength: 1 }), flatTypeArb, fc.boolean())
      .map(([names, type, required]) =>
        Types.struct(names.map((name) => ({ id: nextId++, name, required, type }))),
      ),
  },
  { weight: 1, arbitrary: fc.tuple(flatTypeArb, fc.boolean()).map(([t, r]) => Types.list(nextId++, t, r)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(flatTypeArb, fc.boolean())
      .map(([t, r]) => Types.map(nextId++, Types.string, nextId++, t, r)),
  },
)

const schemaArb: fc.Arbitrary<NestedField[]> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...NAMES), typeArb, fc.boolean()), {
    minLength: 1,
    maxLength: 6,
    selector: ([name]) => name,
  })
  .map((fields) => fields.map(([name, type, required], i) => ({ id: i + 1, name, required, type })))

const ws = fc.constantFrom('', '', '', ' ', '\n', '\t ', '\r\n ')

/** A JSON string token of `s`, each character escaped or not at random. */
function stringToken(s: string, escapes: boolean[]): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const must = c < 32 || c === 34 || c === 92
    if (must || escapes[i % escapes.length]) {
      const short = { 34: '\\"', 92: '\\\\', 47: '\\/', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t' }[
        c
      ]
      out +=
        short && escapes[(i + 1) % escapes.length]
          ? short
          : `\\u${c.toString(16).padStart(4, '0')}`.replace(/[a-f]/g, (h) =>
              escapes[(i + 2) % escapes.length] ? h.toUpperCase() : h,
            )
    } else {
      out += s[i]
    }
  }
  return `${out}"`
}

const stringArb = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\ud800', 'a\udc00b', '😀', '\u2028', 'x'.repeat(40), 'user-12345'),
)
const stringTokenArb = fc
  .tuple(stringArb, fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }))
  .map(([s, escapes]) => stringToken(s, escapes))

/** JSON number tokens, most valid, some not (what JSON.parse refuses must be declined). */
const numberTokenArb = fc.oneof(
  fc.double().filter(Number.isFinite).map(String),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc
    .tuple(
      fc.constantFrom('', '-'),
      fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,20}$/)),
      fc.option(fc.stringMatching(/^[0-9]{1,20}$/)),
      fc.option(
        fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,4}$/)),
      ),
    )
    .map(([sign, int, frac, exp]) => `${sign}${int}${frac ? `.${frac}` : ''}${exp ? exp.join('') : ''}`),
  fc.constantFrom(
    '-0',
    '0.0',
    '-0e5',
    '1e400',
    '-1e-400',
    '01',
    '1.',
    '.5',
    '+1',
    '1e',
    '--1',
    'NaN',
    '-',
    '1.5e+',
    '9007199254740993',
    // Past Clinger's fast path: 16 to 19 digits (decimalToDouble), ties, limits, subnormals.
    '142.85714285714286',
    '1e23',
    '0.0000000000000001',
    '28522377624176443000',
    '58621979411691420',
    '2.2250738585072011e-308',
    '1.7976931348623157e308',
    '4.9e-324',
    '123456789012345678901234',
  ),
)

/** Text that one of the catalog's parsers reads, or nearly. */
const typedTextArb = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '+02:00')),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19)),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('13:45:00', '23:59:59.999999', '2025-02-29', '2025-01-01T00:00:00.123456Z'),
  fc.uuid(),
  fc
    .tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 9999 }))
    .map(([a, b]) => `${a}.${b}`),
  fc.constantFrom(
    '12.50',
    '-0.5',
    '1E+3',
    '0.00',
    '-0.00',
    '12',
    '1.234',
    '99999999.99',
    '00.5',
    '1.',
    '.5',
    '-',
  ),
  fc.constantFrom('123456789012345', '1234567890123456', '12345678.9012345', '0.000000000000001'),
  fc.constantFrom(
    '2025-04-31T00:00:00.000Z',
    '2024-02-29T23:59:59.999Z',
    '1900-02-29T00:00:00.000Z',
    '2000-02-29T00:00:00.000Z',
    '0999-12-31T23:59:59.999Z',
    '0000-01-01T00:00:00.000Z',
    '0000-02-29T12:00:00.000Z',
    '0100-02-29T00:00:00.000Z',
    '0400-02-29T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '1000-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '2025-01-01T24:00:00.000Z',
    '2025-01-01T00:60:00.000Z',
    '2025-01-01T00:00:60.000Z',
    '2025-01-01t00:00:00.000Z',
    '2025-01-01T00:00:00.000z',
  ),
)

/** The text of any JSON value, possibly not valid JSON. */
const valueTextArb: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberTokenArb,
    stringTokenArb,
    typedTextArb.map((s) => JSON.stringify(s)),
    fc.constantFrom('true', 'false', 'null', 'nul', 'True', 'undefined'),
    fc
      .array(fc.tuple(ws, tie('value'), ws), { maxLength: 3 })
      .map((items) => `[${items.map(([a, v, b]) => a + v + b).join(',')}]`),
    fc
      .array(fc.tuple(fc.constantFrom('a', 'b', 'c', '1', 'x', '__proto__'), ws, tie('value')), {
        maxLength: 3,
      })
      .map((entries) => `{${entries.map(([k, s, v]) => `"${k}"${s}:${s}${v}`).join(',')}}`),
  ),
})).value

/** A key: a field's name (with escapes at times), or another. */
function keyArb(fields: readonly NestedField[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...fields.map((f) => JSON.stringify(f.name))) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...fields.map((f) => f.name)),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
        )
        .map(([name, escapes]) => stringToken(name, escapes)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('"zz"', '"__proto__"', '"Id"', '"id "', stringToken('q"uote', [false])),
    },
  )
}

/** A record of entries (keys repeated at times) around which the text may be mangled. */
function recordArb(fields: readonly NestedField[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.array(fc.tuple(ws, keyArb(fields), ws, ws, valueTextArb, ws), { maxLength: 8 }),
      ws,
      fc.constantFrom('', '', '', ' ', 'x', ',', '}', '\ufeff'),
      fc.option(
        fc.tuple(fc.nat(), fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x9f])),
      ),
    )
    .map(([entries, end, trailing, bytes]) => {
      const json = `{${entries.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(',')}}${end}${trailing}`
      const buffer = Buffer.from(json, 'utf8')
      if (!bytes) return buffer
      // Bytes that are not UTF-8, anywhere (mostly inside strings).
      const at = bytes[0] % (buffer.length + 1)
      return Buffer.concat([buffer.subarray(0, at), Buffer.from(bytes[1]), buffer.subarray(at)])
    })
}

/** A value the field's type accepts, usually. */
function wellFormedValueArb(type: IcebergType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'string':
      return stringArb
    case 'long':
      return fc.oneof(
        { weight: 8, arbitrary: fc.oneof(fc.maxSafeInteger(), fc.integer()) },
        { weight: 1, arbitrary: fc.constantFrom(2 ** 53, -(2 ** 63), 1e20, -0) },
      )
    case 'int':
      return fc.oneof(
        { weight: 8, arbitrary: fc.integer() },
        { weight: 1, arbitrary: fc.constantFrom(2 ** 31, -(2 ** 31) - 1, -0) },
      )
    case 'double':
      return fc.double().filter(Number.isFinite)
    case 'float':
      return fc.float().filter(Number.isFinite)
    case 'boolean':
      return fc.boolean()
    case 'timestamptz':
      return fc
        .date({
          noInvalidDate: true,
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
        })
        .map((d) => d.toISOString())
    case 'timestamp':
      return fc
        .date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31T23:59:59Z') })
        .map((d) => d.toISOString().slice(0, 23))
    case 'date':
      return fc
        .date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31T23:59:59Z') })
        .map((d) => d.toISOString().slice(0, 10))
    case 'time':
      return fc.constantFrom('00:00', '13:45:10', '23:59:59.123456')
    case 'uuid':
      return fc.uuid()
    case 'decimal':
      return fc
        .bigInt({
          min: -(10n ** BigInt(Math.min(type.precision, 15))) + 1n,
          max: 10n ** BigInt(Math.min(type.precision, 15)) - 1n,
        })
        .map((unscaled) => {
          const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(type.scale + 1, '0')
          const sign = unscaled < 0n ? '-' : ''
          return type.scale === 0
            ? sign + digits
            : `${sign}${digits.slice(0, -type.scale)}.${digits.slice(-type.scale)}`
        })
    case 'struct':
      return fc.record(Object.fromEntries(type.fields.map((f) => [f.name, wellFormedValueArb(f.type)])))
    case 'list':
      return fc.array(wellFormedValueArb(type.element), { maxLength: 3 })
    case 'map':
      return fc.dictionary(fc.string({ maxLength: 3 }), wellFormedValueArb(type.value), { maxKeys: 3 })
    default:
      return fc.constant(null)
  }
}

/** A record as JSON.stringify writes it, of values the schema mostly accepts. */
function wellFormedArb(fields: readonly NestedField[]): fc.Arbitrary<Buffer> {
  return fc.tuple(...fields.map((f) => fc.option(wellFormedValueArb(f.type), { freq: 8 }))).map((values) => {
    const row: Record<string, unknown> = {}
    fields.forEach((f, i) => {
      if (values[i] !== null || !f.required)
        Object.defineProperty(row, f.name, { value: values[i], enumerable: true })
    })
    return Buffer.from(JSON.stringify(row), 'utf8')
  })
}

/** Choices drawn in turn from a pool of random numbers. */
class Dice {
  #at = 0
  constructor(readonly pool: readonly number[]) {}
  roll(sides: number): number {
    return this.pool[this.#at++ % this.pool.length]! % sides
  }
}

const SPACES = ['', '', '', ' ', '\n', '\t', '  \r\n']

/** A value as JSON text, spelled in one of the ways JSON allows, whitespace and escapes included. */
function spell(value: unknown, dice: Dice): string {
  const pad = () => SPACES[dice.roll(SPACES.length)]!
  if (value === null || typeof value === 'boolean') return String(value)
  if (typeof value === 'string')
    return stringToken(
      value,
      [0, 1, 2].map(() => dice.roll(4) === 0),
    )
  if (typeof value === 'number') {
    const plain = Object.is(value, -0) ? '-0' : String(value)
    switch (dice.roll(5)) {
      case 0:
        return value.toExponential()
      case 1:
        return value.toExponential().toUpperCase().replace('+', '')
      case 2:
        return plain.includes('.') && !plain.includes('e') ? `${plain}000` : plain
      case 3:
        return Number.isInteger(value) && !plain.includes('e') ? `${plain}.0e0` : plain
      default:
        return plain
    }
  }
  if (Array.isArray(value)) return `[${pad()}${value.map((v) => spell(v, dice) + pad()).join(`,${pad()}`)}]`
  const entries = Object.entries(value as Record<string, unknown>)
  return `{${pad()}${entries.map(([k, v]) => `${JSON.stringify(k)}${pad()}:${pad()}${spell(v, dice)}${pad()}`).join(`,${pad()}`)}}`
}

/**
 * Well-formed records spelled every way JSON allows, with now and then a duplicated key (its
 * other value before or after), an unknown key, or a value of any kind in place of one: mostly
 * records validation accepts, so that the values are compared, not just the refusals.
 */
function nastyArb(fields: readonly NestedField[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.tuple(...fields.map((f) => fc.option(wellFormedValueArb(f.type), { freq: 6 }))),
      fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
      fc.array(fc.tuple(keyArb(fields), valueTextArb, fc.boolean()), { maxLength: 2 }),
    )
    .map(([values, pool, extras]) => {
      const dice = new Dice(pool)
      const pad = () => SPACES[dice.roll(SPACES.length)]!
      const entries: string[] = []
      fields.forEach((f, i) => {
        if (values[i] === null && dice.roll(2) === 0) return
        entries.push(`${JSON.stringify(f.name)}${pad()}:${pad()}${spell(values[i], dice)}`)
      })
      for (const [key, text, before] of extras) {
        const entry = `${key}${pad()}:${pad()}${text}`
        if (before) entries.unshift(entry)
        else entries.push(entry)
      }
      // Shuffled a little: keys need not come in field order.
      if (entries.length > 1 && dice.roll(3) === 0) entries.push(entries.shift()!)
      return Buffer.from(`${pad()}{${pad()}${entries.join(`${pad()},${pad()}`)}${pad()}}${pad()}`, 'utf8')
    })
}
