/**
 * A decimal's double without its text: the conversion `Number` does for a JSON number of up to
 * 19 significant digits, from digits already read as integers, or `undefined` when it cannot be
 * sure of the last bit (about one number in 10^11 at random, and every exact tie).
 *
 * Why it is correct. M (the digits, an integer below 10^19 < 2^64) is held exactly as a sum of
 * two doubles, `mHigh + mLow`. 10^k, for k in [-327, 308], is held as `pHigh + pLow` within
 * 2^-105.9 of its value (exact for 0 ≤ k ≤ 22), from BigInt at load; beyond ±250, 10^k·2^∓200,
 * so that what follows stays in [2^-890, 2^900] (see the end). Their product is formed in
 * double-double arithmetic: `mHigh * pHigh` exactly by Dekker's TwoProduct (Veltkamp halves, as
 * JavaScript has no fused multiply-add; `pHigh`'s halves are in the table), the cross terms
 * rounded, the whole renormalized exactly (FastTwoSum) to `sum + rest`. Counting the dropped
 * `mLow * pLow` (2^-106 of the product), the table's error (2^-105.8) and four roundings of at
 * most 2^-53 of terms at most 1.5·2^-52 of the product, |M·10^k − (sum + rest)| < 2^-102.6·sum.
 * With `margin` = 2^-90·sum, the two sums `sum + (rest ± margin)` bracket M·10^k strictly (their
 * own roundings are below 2^-105·sum), and rounding to nearest is monotonic, so when both round
 * to `sum`, M·10^k rounds to `sum` too: the double `Number` gives. Otherwise M·10^k is within
 * about 2^-90·sum of a midpoint between two doubles (or exactly on one), and the caller is told
 * to ask `Number`. The scaling keeps every product, table entry and margin a normal double below
 * 2^1000, where these error-free steps are exact; scaling `sum` back by 2^±200 is exact, and
 * rounds as M·10^k does, when the result is a normal double, which is checked (else `undefined`).
 *
 * @module
 */

/**
 * The smallest and largest decimal exponents converted here; beyond them, `undefined`: with 19
 * digits or fewer, all that can give a normal double.
 */
const MIN_EXPONENT = -327
const MAX_EXPONENT = 308
/** Beyond ±SCALED_BEYOND, the table holds 10^k·2^∓SCALE_BITS, and the result is scaled back. */
const SCALED_BEYOND = 250
const SCALE_BITS = 200
/** A scaled result's bounds, for the result to be a normal double: 2^-822 ≤ sum < 2^824. */
const SCALED_MIN = powerOfTwo(-1022 + SCALE_BITS)
const SCALED_LIMIT = powerOfTwo(1024 - SCALE_BITS)
/** Doubles in a power's table entry. */
const STRIDE = 5

/** The digits held exactly in a double before the rest go to `low`, and the most digits taken. */
const HIGH_DIGITS = 15
const MAX_DIGITS = 19

/** Veltkamp's splitter, 2^27 + 1: `x * SPLITTER` cuts a double into two halves of 26 bits. */
const SPLITTER = 134217729
/** 2^26, to cut `high` into parts whose products by 10^4 are exact. */
const TWO_26 = 67108864
/** How far from `sum`, relative to it, the exact value is taken to be possibly: 2^-90. */
const MARGIN = powerOfTwo(-90)

/** 10^0 … 10^4: the scale of `high` for the digits in `low`. */
const SMALL_POW10 = [1, 10, 100, 1000, 10000]

/**
 * 10^k·2^-s for k from {@link MIN_EXPONENT}, with s = 0, or ±{@link SCALE_BITS} beyond
 * ±{@link SCALED_BEYOND}: {@link STRIDE} doubles each, `pHigh`, `pLow` with
 * |10^k·2^-s − pHigh − pLow| ≤ 2^-105.9·pHigh and |pLow| ≤ 2^-53·pHigh, `pHigh`'s Veltkamp
 * halves, and 2^s.
 */
const POWERS = powersOfTen()

/**
 * The double a JSON number's text denotes, correctly rounded (exactly what `Number(text)` /
 * `JSON.parse` gives), or undefined when this fast path cannot be sure, so the caller falls back
 * to `Number(text)`.
 *
 * The number is M·10^exponent, with M its significant digits as an integer (no leading zeros)
 * and without its sign: the caller negates the result of a negative number (`-0` included).
 *
 * @param high - The first `min(digits, 15)` significant digits as an integer (exact: below 10^15).
 * @param low - The digits after the first 15 as an integer (0 when there are 15 or fewer).
 * @param digits - How many significant digits M has, up to 19; more (a digit lost) gives
 *   `undefined`. Zeros after the 19th digit may be left out of M and added to `exponent`.
 * @param exponent - The power of ten M is scaled by: minus the digits after the point, plus the
 *   exponent written after `e`. Converted from -327 to 308; beyond, `undefined` (or 0 for M = 0).
 * @returns The double nearest M·10^exponent (ties to even), or `undefined`.
 */
export function decimalToDouble(
  high: number,
  low: number,
  digits: number,
  exponent: number,
): number | undefined {
  if (digits > MAX_DIGITS) return undefined
  const index = exponent - MIN_EXPONENT
  if (!(index >= 0 && index <= MAX_EXPONENT - MIN_EXPONENT)) return high === 0 && low === 0 ? 0 : undefined

  // M = mHigh + mLow exactly.
  let mHigh = high
  let mLow = 0
  if (digits > HIGH_DIGITS) {
    // M = top·scale·2^26 + (bottom·scale + low), each term exact (below 2^64, 2^38·2^26 and 2^41).
    const scale = SMALL_POW10[digits - HIGH_DIGITS]!
    const top = Math.floor(high / TWO_26)
    const bottom = high - top * TWO_26
    const upper = top * scale * TWO_26
    const lower = bottom * scale + low
    // TwoSum: their sum rounded, and exactly what the rounding lost.
    mHigh = upper + lower
    const upperPart = mHigh - lower
    mLow = upper - upperPart + (lower - (mHigh - upperPart))
  }

  const at = index * STRIDE
  const pHigh = POWERS[at]!
  const pLow = POWERS[at + 1]!
  // TwoProduct: mHigh·pHigh = product + error exactly.
  const product = mHigh * pHigh
  const cut = mHigh * SPLITTER
  const mHighHalf = cut - (cut - mHigh)
  const mLowHalf = mHigh - mHighHalf
  const pHighHalf = POWERS[at + 2]!
  const pLowHalf = POWERS[at + 3]!
  const error =
    product - mHighHalf * pHighHalf - mHighHalf * pLowHalf - mLowHalf * pHighHalf - mLowHalf * pLowHalf
  // The cross terms, rounded; mLow·pLow (below 2^-106 of the product) is left out.
  const tail = mHigh * pLow + mLow * pHigh - error
  // FastTwoSum: sum + rest = product + tail exactly, with sum the nearest double to it.
  const sum = product + tail
  const rest = tail - (sum - product)
  const margin = sum * MARGIN
  if (sum + (rest + margin) !== sum || sum + (rest - margin) !== sum) return undefined
  const scale = POWERS[at + 4]!
  if (scale === 1) return sum
  return sum >= SCALED_MIN && sum < SCALED_LIMIT ? sum * scale : undefined
}

/** The table of {@link POWERS}, from exact BigInt arithmetic. */
function powersOfTen(): Float64Array {
  const table = new Float64Array((MAX_EXPONENT - MIN_EXPONENT + 1) * STRIDE)
  for (let k = MIN_EXPONENT; k <= MAX_EXPONENT; k++) {
    // 10^k·2^shift as an integer: exact for k ≥ 0; else rounded, but of at least 128 bits.
    const shift = k >= 0 ? 0 : 128 - 4 * k
    // The power of two the result is scaled back by, 2^s, taken off the table's entry.
    const s = k > SCALED_BEYOND ? SCALE_BITS : k < -SCALED_BEYOND ? -SCALE_BITS : 0
    const down = shift + s
    const scaled = k >= 0 ? 10n ** BigInt(k) : roundedQuotient(1n << BigInt(shift), 10n ** BigInt(-k))
    // Number of a BigInt rounds to nearest: |scaled − high| ≤ 2^-53·high, and likewise for low.
    const scaledHigh = Number(scaled)
    const scaledLow = Number(scaled - BigInt(scaledHigh))
    // Scaled back by two exact powers of two, each result a normal double.
    const half = powerOfTwo(-Math.floor(down / 2))
    const otherHalf = powerOfTwo(-(down - Math.floor(down / 2)))
    const pHigh = scaledHigh * half * otherHalf
    const pLow = scaledLow * half * otherHalf
    const cut = pHigh * SPLITTER
    const pHighHalf = cut - (cut - pHigh)
    const at = (k - MIN_EXPONENT) * STRIDE
    table[at] = pHigh
    table[at + 1] = pLow
    table[at + 2] = pHighHalf
    table[at + 3] = pHigh - pHighHalf
    table[at + 4] = powerOfTwo(s)
  }
  return table
}

/** n / d rounded to the nearest integer, for positive BigInts. */
function roundedQuotient(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d)
}

/** 2^e exactly, for e from -1022 to 1023. */
function powerOfTwo(e: number): number {
  const magnitude = Number(1n << BigInt(Math.abs(e)))
  return e >= 0 ? magnitude : 1 / magnitude
}
