/**
 * Small helpers on internal values shared by binding and the evaluators.
 *
 * @module
 */
import { bytesToHex } from '../spec/conversions.js'
import type { PrimitiveType } from '../spec/types.js'
import { compareValues } from '../spec/values.js'

/**
 * A string that is equal for two internal values of one type exactly when they are the same
 * value, so that `in` sets can be deduplicated and probed with a `Set`. `-0` and `0` get different
 * keys: callers comparing floats use {@link literalIndex}, which falls back to the comparator.
 */
export function valueKey(value: unknown): string {
  if (value instanceof Uint8Array) return `x${bytesToHex(value)}`
  if (typeof value === 'number' && Object.is(value, -0)) return 'n-0'
  return `${(typeof value)[0]}${String(value)}`
}

/** A membership test over a set of literals, built once per predicate. */
export type LiteralIndex = (value: unknown) => boolean

/**
 * A membership test for `literals` under the type's ordering: a hashed lookup for the types whose
 * equality is identity of the key, and a scan with the comparator for floats (`-0` and `0`).
 */
export function literalIndex(type: PrimitiveType, literals: readonly unknown[]): LiteralIndex {
  if (type.kind === 'float' || type.kind === 'double') {
    return (value) => literals.some((literal) => compareValues(type, value, literal) === 0)
  }
  const keys = new Set(literals.map(valueKey))
  return (value) => keys.has(valueKey(value))
}

/** The number of Unicode code points of `text`, the unit the spec's string truncation counts in. */
export function codePointLength(text: string): number {
  let length = 0
  for (let i = 0; i < text.length; i += pairAt(text, i) ? 2 : 1) length++
  return length
}

/** The first `count` code points of `text`, never splitting a surrogate pair. */
export function truncateCodePoints(text: string, count: number): string {
  let end = 0
  for (let seen = 0; seen < count && end < text.length; seen++) end += pairAt(text, end) ? 2 : 1
  return text.slice(0, end)
}

function pairAt(text: string, i: number): boolean {
  const high = text.charCodeAt(i)
  const low = text.charCodeAt(i + 1)
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff
}

/** True for a float or double NaN; the evaluators treat it apart since it equals nothing. */
export function isNaNValue(value: unknown): boolean {
  return typeof value === 'number' && Number.isNaN(value)
}
