/**
 * JSON parsing that never lets an integer lose digits.
 *
 * Trino writes `bigint` values as JSON numbers, and `JSON.parse` turns every number into a
 * double: 9223372036854775807 would arrive as 9223372036854775808. Node 20's `JSON.parse` has
 * no access to a number's source text, so integers that a double may not hold exactly (16 or
 * more digits) are quoted before parsing; the column converters accept a bigint as a number or
 * as such a string. Any other number (with a fraction or an exponent) is left to `JSON.parse`,
 * which is exact for the doubles and reals Trino prints.
 */

/**
 * A token that starts with 16 digits after a JSON separator or at the start (a value on its own,
 * as the page decoder parses them): when absent, the plain parse is already exact. A match inside a string only costs the slower,
 * still exact, path. (A character class first scans about 2.5× faster than a lookbehind.)
 */
const MAYBE_LONG_INTEGER = /(?:^|[,[:])\s*[-\d]\d{15}/

/**
 * Parses JSON text like `JSON.parse`, except that an integer of 16 or more digits becomes the
 * string of its digits instead of a rounded number.
 */
export function parseJsonLossless(text: string): unknown {
  if (!MAYBE_LONG_INTEGER.test(text)) return JSON.parse(text)
  return JSON.parse(quoteLongIntegers(text))
}

/** Quotes every integer token of 16+ digits outside strings; strings are skipped whole. */
function quoteLongIntegers(text: string): string {
  const parts: string[] = []
  let last = 0
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      i = stringEnd(text, i)
      continue
    }
    if ((c >= 48 && c <= 57) || c === 45) {
      const start = i
      let integer = true
      i += 1
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d >= 48 && d <= 57) i += 1
        else if (d === 46 || d === 101 || d === 69 || d === 43 || d === 45) {
          integer = false
          i += 1
        } else break
      }
      const digits = i - start - (c === 45 ? 1 : 0)
      if (integer && digits >= 16) {
        parts.push(text.slice(last, start), '"', text.slice(start, i), '"')
        last = i
      }
      continue
    }
    i += 1
  }
  if (last === 0) return text
  parts.push(text.slice(last))
  return parts.join('')
}

/** The index after the closing quote of the string that opens at `open`. */
function stringEnd(text: string, open: number): number {
  let at = open + 1
  for (;;) {
    const quote = text.indexOf('"', at)
    if (quote === -1) return text.length
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes += 1
    if (backslashes % 2 === 0) return quote + 1
    at = quote + 1
  }
}

// Scanning JSON in its UTF-8 bytes, for the page decoder: positions are byte indices.

/** The index of the first byte at or after `at` that is not JSON whitespace. */
export function skipWhitespace(bytes: Uint8Array, at: number): number {
  for (;;) {
    const c = bytes[at]
    if (c === 32 || c === 10 || c === 13 || c === 9) at += 1
    else return at
  }
}

/** The index after the closing quote of the string whose opening quote is at `open`. */
export function stringEndAt(bytes: Uint8Array, open: number): number {
  const n = bytes.length
  let i = open + 1
  while (i < n) {
    const c = bytes[i]!
    if (c === 34) return i + 1
    i += c === 92 ? 2 : 1
  }
  throw new SyntaxError(`JSON string at byte ${open} does not end`)
}

/**
 * The index after the JSON value that starts at `at`. Only its extent is found (strings,
 * brackets); whoever reads the value's text checks its syntax.
 */
export function skipValue(bytes: Uint8Array, at: number): number {
  const first = bytes[at]
  if (first === 34) return stringEndAt(bytes, at)
  const n = bytes.length
  if (first === 91 || first === 123) {
    let depth = 0
    for (let i = at; i < n; ) {
      const c = bytes[i]!
      if (c === 34) {
        i = stringEndAt(bytes, i)
        continue
      }
      if (c === 91 || c === 123) depth += 1
      else if ((c === 93 || c === 125) && --depth === 0) return i + 1
      i += 1
    }
    throw new SyntaxError(`JSON value at byte ${at} does not end`)
  }
  let i = at
  while (i < n) {
    const c = bytes[i]
    if (c === 44 || c === 93 || c === 125 || c === 32 || c === 10 || c === 13 || c === 9) break
    i += 1
  }
  if (i === at) throw new SyntaxError(`no JSON value at byte ${at}`)
  return i
}
