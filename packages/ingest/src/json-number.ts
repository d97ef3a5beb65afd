/**
 * JSON numbers read from their bytes as `JSON.parse` reads them, for the JSON row reader.
 *
 * @module
 */
import { decimalToDouble } from './json-double.js'

/** 10^0 … 10^22, the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i)

/** See {@link scannedNumber}. */
let scanned = 0

/** The value of the number {@link scanNumber} scanned last. */
export function scannedNumber(): number {
  return scanned
}

/**
 * The end of the JSON number at `start`, its value left in {@link scanned}, or -1 when no number
 * starts there: following JSON's grammar exactly, rounded as `JSON.parse` rounds it:
 * up to 15 digits with a power of ten up to 22 in one exact operation (Clinger's fast path),
 * up to 19 by `decimalToDouble`, anything else, and the rare numbers it leaves undecided, by
 * `Number` of its text. It returns a position rather than throwing, so that a reader can keep
 * its position in a local.
 */
export function scanNumber(b: Buffer, start: number): number {
  let i = start
  const negative = b[i] === 45 /* - */
  if (negative) i++
  // The significant digits exactly: the first 15 in `high`, the next 4 in `low`. Zeros after
  // the 19th go into `exponent`; any other digit there makes `digits` 20, for `Number`.
  let high = 0
  let low = 0
  let digits = 0
  let exponent = 0
  let d = digitAt(b, i)
  if (d < 0) return -1
  // A leading 0 is the whole integer part.
  if (d === 0) {
    d = -1
    i++
  }
  // The integer part's digits, then (fraction 1) those after a point, each lowering `exponent`.
  let fraction = 0
  for (;;) {
    while (d >= 0) {
      if (digits < 15) {
        high = high * 10 + d
        if (high !== 0) digits++ // leading zeros are not significant
      } else if (digits < 19) {
        low = low * 10 + d
        digits++
      } else {
        if (d !== 0) digits = 20
        exponent++
      }
      exponent -= fraction
      d = digitAt(b, ++i)
    }
    if (fraction === 1 || b[i] !== 46 /* . */) break
    fraction = 1
    d = digitAt(b, ++i)
    if (d < 0) return -1
  }
  const e = b[i]
  if (e === 101 || e === 69 /* e E */) {
    const sign = b[++i]
    if (sign === 43 || sign === 45) i++
    d = digitAt(b, i)
    if (d < 0) return -1
    let power = 0
    do {
      if (power < 1e6) power = power * 10 + d
      d = digitAt(b, ++i)
    } while (d >= 0)
    exponent += sign === 45 ? -power : power
  }
  // Below 10^15 `high` is exact, and so is 10^k up to 22: one rounding, the right one.
  if (digits <= 15 && exponent >= -22 && exponent <= 22) {
    const value = exponent >= 0 ? high * POW10[exponent]! : high / POW10[-exponent]!
    scanned = negative ? -value : value
    return i
  }
  const value = decimalToDouble(high, low, digits, exponent)
  if (value !== undefined) scanned = negative ? -value : value
  else scanned = Number(b.toString('latin1', start, i))
  return i
}

/**
 * {@link scanNumber} for a number expected to be an integer: `-?(0|[1-9][0-9]*)` of up to 15
 * digits, neither fraction nor exponent following, is read at once; anything else is left to
 * `scanNumber`, so the outcome is the same.
 */
export function scanInteger(b: Buffer, start: number): number {
  let i = start
  const negative = b[i] === 45 /* - */
  if (negative) i++
  const first = i
  let value = 0
  for (let d = digitAt(b, i); d >= 0; d = digitAt(b, ++i)) value = value * 10 + d
  const digits = i - first
  const next = b[i]
  if (
    digits === 0 ||
    digits > 15 ||
    (digits > 1 && b[first] === 48) ||
    next === 46 /* . */ ||
    next === 101 /* e */ ||
    next === 69 /* E */
  )
    return scanNumber(b, start)
  scanned = negative ? -value : value
  return i
}

/** The digit at `i`, or -1 for another byte or the end of the value. */
function digitAt(b: Uint8Array, i: number): number {
  const d = (b[i] ?? 0) - 48
  return d >= 0 && d <= 9 ? d : -1
}
