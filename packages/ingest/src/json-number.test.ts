import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { scanInteger, scanNumber, scannedNumber } from './json-number.js'

/** Number text, integers most of all, and text that nearly is one. */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  fc
    .tuple(
      fc.constantFrom('', '-', '--', '+'),
      fc.stringMatching(/^[0-9]{0,18}$/),
      fc.constantFrom('', '.', '.5', '.00', 'e3', 'E-2', 'e', 'x'),
    )
    .map((parts) => parts.join('')),
  fc.constantFrom(
    '-0',
    '0',
    '00',
    '01',
    '-01',
    '-',
    '999999999999999',
    '1000000000000000',
    '9007199254740993',
  ),
)

/** `scanNumber`'s end and value, or its end alone when it found no number. */
function scan(read: typeof scanNumber, b: Buffer, at: number) {
  const end = read(b, at)
  return end < 0 ? { end } : { end, value: scannedNumber() }
}

describe('scanInteger', () => {
  it('ends where scanNumber ends with the same value, whatever follows, the end of the buffer too', () => {
    fc.assert(
      fc.property(numberText, fc.constantFrom('', ',', '}', ' ', ']'), fc.nat(3), (text, after, at) => {
        const b = Buffer.from(`${'"'.repeat(at)}${text}${after}`, 'latin1')
        const integer = scan(scanInteger, b, at)
        const general = scan(scanNumber, b, at)
        expect(integer.end).toBe(general.end)
        // Object.is: -0 and 0 differ.
        expect(Object.is(integer.value, general.value)).toBe(true)
      }),
      { numRuns: 5000 },
    )
  })
})
