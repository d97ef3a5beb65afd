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

/** Integers of 16+ digits not inside a string (strings are matched first and kept as they are). */
const STRINGS_OR_LONG_INTEGERS = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g

/** A run of 16 digits anywhere: when absent, the plain parse is already exact. */
const LONG_DIGIT_RUN = /\d{16}/

/**
 * Parses JSON text like `JSON.parse`, except that an integer of 16 or more digits becomes the
 * string of its digits instead of a rounded number.
 */
export function parseJsonLossless(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text)
  return JSON.parse(
    text.replace(STRINGS_OR_LONG_INTEGERS, (match) => (match.charCodeAt(0) === 34 ? match : `"${match}"`)),
  )
}
