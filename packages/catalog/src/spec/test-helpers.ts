/**
 * Helpers shared by the catalog's tests: every primitive type with an arbitrary of its internal
 * values. Not exported from the package.
 *
 * @module
 */
import fc from 'fast-check'
import { type PrimitiveType, Types } from './types.js'

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n }

/**
 * Every primitive type (each decimal and fixed width Parquet distinguishes) with an arbitrary of
 * its internal values; `maxLength` bounds strings and binaries, where long ones would only slow
 * a test down.
 */
export function primitives(options: { maxLength?: number } = {}): [PrimitiveType, fc.Arbitrary<unknown>][] {
  const length = options.maxLength === undefined ? {} : { maxLength: options.maxLength }
  return [
    [Types.boolean, fc.boolean()],
    [Types.int, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
    [Types.long, fc.bigInt(INT64)],
    [Types.float, fc.float()],
    [Types.double, fc.double()],
    [Types.decimal(9, 2), fc.bigInt({ min: -(10n ** 9n) + 1n, max: 10n ** 9n - 1n })],
    [Types.decimal(18, 0), fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n })],
    [Types.decimal(38, 10), fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n })],
    [Types.date, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
    [Types.time, fc.bigInt({ min: 0n, max: 86_400_000_000n - 1n })],
    [Types.timestamp, fc.bigInt(INT64)],
    [Types.timestamptz, fc.bigInt(INT64)],
    [Types.string, fc.string({ unit: 'binary', ...length })],
    [Types.uuid, fc.uuid().map((u) => u.toLowerCase())],
    [Types.fixed(3), fc.uint8Array({ minLength: 3, maxLength: 3 })],
    [Types.fixed(20), fc.uint8Array({ minLength: 20, maxLength: 20 })],
    [Types.binary, fc.uint8Array(length)],
  ]
}
