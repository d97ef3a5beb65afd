import { isLakeError } from '@lake/errors'
import { makeVector, type RecordBatch, Type } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { columnBuilder } from '../types/arrow.js'
import { parseTrinoType } from '../types/signature.js'
import { BatchAssembler } from './batches.js'

function decode(columns: Record<string, string>, json: string, batchRows = 1024): RecordBatch[] {
  const assembler = new BatchAssembler(
    Object.entries(columns).map(([name, type]) => ({ name, type: parseTrinoType(type) })),
    batchRows,
    'q1',
  )
  const body = Buffer.from(`{"data":${json}}`)
  expect(assembler.decodeRows(body, 8)).toBe(body.length - 1)
  const batches = assembler.takeFull()
  if (assembler.buffered > 0) batches.push(assembler.flush())
  return batches
}

const values = (batches: RecordBatch[], name: string): unknown[] =>
  batches.flatMap((b) => [...b.getChild(name)!])

/** Ways a JSON writer may print a double: JavaScript's, Java's (`1.0E-7`), and fixed digit counts. */
function printed(x: number): string[] {
  const texts = [String(x), x.toExponential(), x.toPrecision(15), x.toPrecision(17)]
  const java = String(x)
    .replace(/^(-?\d+)(e|$)/, '$1.0$2')
    .replace('e+', 'E')
    .replace('e-', 'E-')
  texts.push(java)
  if (Math.abs(x) >= 1e-6 && Math.abs(x) < 1e21) texts.push(x.toFixed(6))
  return texts
}

/** The values of one column as the text converters make them from parsed JSON values. */
function converted(type: string, jsonValues: string[]): unknown[] {
  const builder = columnBuilder(parseTrinoType(type))
  for (const value of jsonValues) builder.append(JSON.parse(value))
  return plain(builder.finish())
}

/** Arrow data to comparable values: a struct's fields side by side, decimals as their words. */
function plain(data: import('apache-arrow').Data): unknown[] {
  if (data.children.length > 0 && data.type.typeId === Type.Struct) {
    const fields = data.children.map((child) => plain(child))
    return Array.from({ length: data.length }, (_, i) => (data.getValid(i) ? fields.map((f) => f[i]) : null))
  }
  const vector = makeVector(data)
  if (data.type.typeId === Type.Decimal) {
    const words = data.values as Uint32Array
    return Array.from({ length: data.length }, (_, i) =>
      data.getValid(i) ? [...words.subarray(i * 4, i * 4 + 4)] : null,
    )
  }
  return [...vector]
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/** Text as Trino prints decimals, dates and timestamps, with some it never prints (other layouts). */
const temporalText = fc.record({
  year: fc.oneof(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 10000, max: 99999 })),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  seconds: fc.integer({ min: 0, max: 86_399 }),
  fraction: fc.stringMatching(/^\d{0,12}$/),
  zone: fc.constantFrom(' UTC', ' +05:30', ' -08:00', ' Europe/Berlin', ' America/Los_Angeles'),
})

describe('decoding rows from the page bytes', () => {
  it('reads decimals, dates and timestamps exactly as the text converters do', () => {
    fc.assert(
      fc.property(
        fc.array(temporalText, { minLength: 1, maxLength: 5 }),
        fc.array(fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }), {
          minLength: 5,
          maxLength: 5,
        }),
        fc.constantFrom(0, 3, 6, 9),
        (times, unscaled, precision) => {
          const rows = times.map((t, i) => {
            const year = t.year > 9999 ? `+${t.year}` : pad(t.year, 4)
            const date = `${year}-${pad(t.month, 2)}-${pad(t.day, 2)}`
            const time = `${pad(Math.floor(t.seconds / 3600), 2)}:${pad(Math.floor(t.seconds / 60) % 60, 2)}:${pad(t.seconds % 60, 2)}`
            const fraction = t.fraction.slice(0, precision)
            const stamp = `${date} ${time}${fraction === '' ? '' : `.${fraction}`}`
            const u = unscaled[i]!
            const digits = (u < 0n ? -u : u).toString().padStart(5, '0')
            const decimal = `${u < 0n ? '-' : ''}${digits.slice(0, -4)}.${digits.slice(-4)}`
            return [decimal, `${u}`, date, stamp, `${stamp}${t.zone}`].map((v) => JSON.stringify(v))
          })
          rows.push(['null', 'null', 'null', 'null', 'null'])
          const types = [
            'decimal(38,4)',
            'decimal(19,0)',
            'date',
            `timestamp(${precision})`,
            `timestamp(${precision}) with time zone`,
          ]
          const columns = Object.fromEntries(types.map((type, c) => [`c${c}`, type]))
          const [batch] = decode(columns, `[${rows.map((r) => `[${r.join(',')}]`).join(',')}]`)
          types.forEach((type, c) => {
            expect(plain(batch!.getChild(`c${c}`)!.data[0]!), type).toEqual(
              converted(
                type,
                rows.map((r) => r[c]!),
              ),
            )
          })
        },
      ),
      { numRuns: 500 },
    )
  })

  it('reads every double exactly as JSON.parse does, whatever the digits and exponent', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const texts = printed(x)
        const batches = decode({ d: 'double' }, `[${texts.map((t) => `[${t}]`).join(',')}]`)
        const got = values(batches, 'd')
        for (const [i, t] of texts.entries())
          expect(Object.is(got[i], JSON.parse(t)), `${t} → ${got[i]}`).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  it('reads the doubles only the text parser reads, and the strings Trino sends for NaN and infinities', () => {
    const texts = [
      '4.9E-324',
      '2.2250738585072014E-308',
      '1.7976931348623157E308',
      '1.0E23',
      '-0.0',
      '-1.0E-5',
    ]
    const special = ['"NaN"', '"Infinity"', '"-Infinity"']
    const batches = decode({ d: 'double' }, `[${[...texts, ...special].map((t) => `[${t}]`).join(',')}]`)
    const got = values(batches, 'd')
    for (const [i, t] of texts.entries()) expect(Object.is(got[i], JSON.parse(t)), t).toBe(true)
    expect(got.slice(texts.length)).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
  })

  it('reads every 64-bit and 32-bit integer exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        (big, small) => {
          const batches = decode({ b: 'bigint', i: 'integer' }, `[[${big},${small}],[null,null]]`)
          expect(values(batches, 'b')).toEqual([big, null])
          expect(values(batches, 'i')).toEqual([small, null])
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('reads any text, escaped or raw UTF-8, as the same string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        // Lone surrogates have no UTF-8; Trino's strings are well formed.
        fc.pre(Buffer.from(s).toString() === s)
        // Raw UTF-8 as Trino writes it, and every non-ASCII character escaped as \uXXXX.
        const escaped = JSON.stringify(s).replace(
          /[\u0080-\uffff]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        )
        const batches = decode({ v: 'varchar', t: 'varchar(3)' }, `[[${JSON.stringify(s)},${escaped}]]`)
        expect(values(batches, 'v')).toEqual([s])
        expect(values(batches, 't')).toEqual([s])
      }),
      { numRuns: 2000 },
    )
  })

  it('accepts JSON whitespace anywhere between tokens', () => {
    const rows = [
      [1, 'a', true, 1.5, '2020-02-29', [1, null], 9223372036854775807n],
      [null, null, null, null, null, null, null],
    ]
    const json = JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? `@${v}@` : v), '\t \n').replace(
      /"@(\d+)@"/g,
      '$1',
    )
    const batches = decode(
      {
        i: 'integer',
        s: 'varchar',
        b: 'boolean',
        d: 'double',
        day: 'date',
        a: 'array(integer)',
        big: 'bigint',
      },
      json.replaceAll('\n', '\r\n'),
      1,
    )
    expect(batches.map((b) => b.numRows)).toEqual([1, 1])
    expect(values(batches, 'i')).toEqual([1, null])
    expect(values(batches, 's')).toEqual(['a', null])
    expect(values(batches, 'b')).toEqual([true, null])
    expect(values(batches, 'd')).toEqual([1.5, null])
    expect(values(batches, 'day')).toEqual([Date.UTC(2020, 1, 29), null])
    expect(values(batches, 'a').map((v) => (v === null ? null : [...(v as Iterable<unknown>)]))).toEqual([
      [1, null],
      null,
    ])
    expect(values(batches, 'big')).toEqual([9223372036854775807n, null])
  })

  it('takes an empty or null data array as no rows', () => {
    expect(decode({ a: 'integer' }, '[]')).toEqual([])
    expect(decode({ a: 'integer' }, 'null')).toEqual([])
  })

  it('rejects rows that do not have one value per column, and JSON that is not', () => {
    for (const bad of ['[[1]]', '[[1,2,3]]', '[[1,2]', '[[1,2],]', '[[1 2]]', '[[tru,2]]', '[[1,"a]]', '{}'])
      expect(() => decode({ a: 'integer', b: 'integer' }, bad), bad).toThrow(SyntaxError)
  })

  it('names the column, type and value that do not convert', () => {
    try {
      decode({ a: 'integer', day: 'date' }, '[[1,"2020-01-01"],[2,"yesterday"]]')
      expect.unreachable()
    } catch (error) {
      expect(isLakeError(error)).toBe(true)
      expect((error as Error).message).toContain('"yesterday" of column day (date)')
      expect((error as { context: unknown }).context).toMatchObject({
        queryId: 'q1',
        field: 'day',
        type: 'date',
      })
    }
  })
})
