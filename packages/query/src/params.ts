import { ValidationError } from '@lake/errors'

const DECIMAL = Symbol.for('lake.query.decimal')

/** An exact decimal parameter, made by {@link decimal}; bound as a Trino `DECIMAL` literal. */
export interface DecimalParam {
  readonly [DECIMAL]: true
  /** The decimal's digits, e.g. `-123.45`. */
  readonly text: string
}

/**
 * A value bound to a `?` of a query: text, numbers, bigints, booleans, instants, bytes, exact
 * decimals, null, and arrays of these.
 */
export type QueryParam =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | DecimalParam
  | null
  | readonly QueryParam[]

/**
 * Marks a decimal's text as an exact `DECIMAL` parameter, so that `0.1` stays `0.1` and is not a
 * double.
 *
 * @example
 * ```ts
 * await client.queryTable('SELECT * FROM orders WHERE total > ?', { params: [decimal('99.95')] })
 * ```
 */
export function decimal(text: string): DecimalParam {
  if (!/^[+-]?\d{1,38}(\.\d{0,38})?$/.test(text) || text.replace(/[^\d]/g, '').length > 38) {
    throw new ValidationError(`Not a decimal of at most 38 digits: ${JSON.stringify(text)}`, {
      context: { value: text },
    })
  }
  return { [DECIMAL]: true, text }
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * A parameter as a Trino SQL literal for `EXECUTE … USING`. Every form is one a value cannot
 * escape: text is single-quoted with quotes doubled (Trino's string literals have no backslash
 * escapes), numbers and instants go through typed literals of their own digits, bytes through
 * hexadecimal.
 */
export function encodeLiteral(value: QueryParam, path = 'params'): string {
  if (value === null) return 'NULL'
  switch (typeof value) {
    case 'string':
      return quote(value, path)
    case 'boolean':
      return value ? 'TRUE' : 'FALSE'
    case 'bigint':
      if (value >= INT64_MIN && value <= INT64_MAX) return `BIGINT '${value}'`
      if (value.toString().replace('-', '').length <= 38) return `DECIMAL '${value}'`
      throw new ValidationError(
        `${path}: the bigint ${value} does not fit in a Trino bigint or decimal(38)`,
        {
          context: { field: path },
        },
      )
    case 'number':
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return `${value}`
      // String(number) gives digits, an exponent, NaN or Infinity: all forms Trino's cast reads exactly.
      return `DOUBLE '${String(Object.is(value, -0) ? '-0.0' : value)}'`
    case 'object':
      break
    default:
      throw new ValidationError(`${path}: a ${typeof value} cannot be a query parameter`, {
        context: { field: path },
      })
  }
  if (value instanceof Date) {
    const ms = value.getTime()
    if (Number.isNaN(ms)) throw new ValidationError(`${path}: an invalid Date`, { context: { field: path } })
    return `TIMESTAMP '${isoInstant(value)}'`
  }
  if (value instanceof Uint8Array)
    return `X'${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}'`
  if (Array.isArray(value))
    return `ARRAY[${value.map((v, i) => encodeLiteral(v, `${path}[${i}]`)).join(', ')}]`
  if (DECIMAL in value) return `DECIMAL '${(value as DecimalParam).text}'`
  throw new ValidationError(`${path}: this object cannot be a query parameter`, { context: { field: path } })
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** `'…'` with quotes doubled; lone surrogates would be sent as U+FFFD, so they are refused. */
function quote(text: string, path: string): string {
  if (LONE_SURROGATE.test(text)) {
    throw new ValidationError(`${path}: the string holds a lone UTF-16 surrogate`, {
      context: { field: path },
    })
  }
  return `'${text.replaceAll("'", "''")}'`
}

/** `2024-01-02 03:04:05.678 UTC`, years outside 0000–9999 with their sign as Trino reads them. */
function isoInstant(date: Date): string {
  const iso = date.toISOString() // YYYY-MM-DDTHH:mm:ss.sssZ or ±YYYYYY-…
  const t = iso.indexOf('T')
  let day = iso.slice(0, t)
  if (day.startsWith('+') || day.startsWith('-')) day = `${day[0]}${day.slice(1).replace(/^0+(?=\d{4})/, '')}`
  return `${day} ${iso.slice(t + 1, -1)} UTC`
}
