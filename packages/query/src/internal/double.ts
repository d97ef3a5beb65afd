/**
 * The double a decimal number's digits denote, computed from the digits without building its
 * text, and exactly: the same double as `Number` or `JSON.parse` of the text, or NaN when this
 * cannot tell (the caller then parses the text).
 *
 * Up to 15 significant digits and an exponent within ±22 take Clinger's fast path (the mantissa
 * and the power of ten are exact doubles, so one operation rounds correctly). Other values of up
 * to 18 digits, such as the 17 digits Java's `Double.toString` and therefore Trino mostly print
 * (`0.14285714285714285`, `1.4285714285714285E-7`), are computed in double-double arithmetic
 * (about 104 bits) from exact pieces; the double nearest to that is the answer unless the value
 * lies within 2^-90 of it of a point halfway between two doubles, where 104 bits might not decide
 * the rounding: then NaN.
 */

/** Exponents beyond this are left to `Number`: results and intermediates stay normal doubles. */
const MAX_EXPONENT = 250
/** 10^k for |k| ≤ MAX_EXPONENT as head + tail, exact up to 10^44 (5^44 < 2^106), else within 2^-106. */
const POW10 = new Float64Array(MAX_EXPONENT + 1)
const POW10_TAIL = new Float64Array(MAX_EXPONENT + 1)
/** Veltkamp's split of each head into halves of 26 bits, for Dekker's exact products. */
const SPLIT = 134_217_729
const POW10_HIGH = new Float64Array(MAX_EXPONENT + 1)
const POW10_LOW = new Float64Array(MAX_EXPONENT + 1)
for (let k = 0; k <= MAX_EXPONENT; k++) {
  const exact = 10n ** BigInt(k)
  // BigInt to Number rounds to nearest, so head and tail are the nearest doubles.
  const head = Number(exact)
  POW10[k] = head
  POW10_TAIL[k] = Number(exact - BigInt(head))
  POW10_HIGH[k] = SPLIT * head - (SPLIT * head - head)
  POW10_LOW[k] = head - POW10_HIGH[k]!
}

/** Below 2^53 every integer is an exact double. */
const EXACT_INTEGERS = 9_007_199_254_740_992

/**
 * Rump's unit in the first place, ufp(x) = q − (1 − 2^-53) × q for q = (2^52 + 1) × x: the largest
 * power of two not above a positive normal x, in three operations (Rump, Ogita and Oishi,
 * "Accurate floating-point summation part I", 2008).
 */
const UFP_FACTOR = 2 ** 52 + 1
const ONE_MINUS_EPSILON = 1 - 2 ** -53

/**
 * The double nearest to (`high` × 10^`lowDigits` + `low`) × 10^`exponent`, or NaN when it is not
 * computed here. `high` holds the first nine significant digits (below 10^9), `low` the
 * `lowDigits` digits after them (at most nine; zero when there are nine digits or fewer).
 */
export function decimalToDouble(high: number, low: number, lowDigits: number, exponent: number): number {
  if (lowDigits > 9 || exponent < -MAX_EXPONENT || exponent > MAX_EXPONENT) return Number.NaN
  // Exact: high < 10^9 and 10^lowDigits = 2^lowDigits × 5^lowDigits with 10^9 × 5^9 < 2^53.
  const mh = high * POW10[lowDigits]!
  const m = mh + low
  if (m < EXACT_INTEGERS && exponent >= -22 && exponent <= 22)
    return exponent >= 0 ? m * POW10[exponent]! : m / POW10[-exponent]!
  if (m === 0) return 0
  // The mantissa is mh + low exactly (mh ≥ 10^15 > low when low has digits); x = m × 10^e as
  // hi + lo, the power of ten as head + tail.
  let hi: number
  let lo: number
  if (exponent < 0) {
    const k = -exponent
    const p = POW10[k]!
    const s = m
    const t = low - (s - mh)
    const q1 = s / p
    // q1 × head = ph + pl exactly (Dekker's product).
    const c = SPLIT * q1
    const qh = c - (c - q1)
    const ql = q1 - qh
    const ph = q1 * p
    const pl = qh * POW10_HIGH[k]! - ph + qh * POW10_LOW[k]! + ql * POW10_HIGH[k]! + ql * POW10_LOW[k]!
    // s - ph is exact (they are within a factor of two); the rest of m - q1 × 10^k is below an ulp of s.
    const q2 = (s - ph - pl + t - q1 * POW10_TAIL[k]!) / p
    hi = q1 + q2
    lo = q2 - (hi - q1)
  } else {
    const p = POW10[exponent]!
    const ph = POW10_HIGH[exponent]!
    const pl = POW10_LOW[exponent]!
    let c = SPLIT * mh
    let h = c - (c - mh)
    let l = mh - h
    const a1 = mh * p
    const a2 = h * ph - a1 + h * pl + l * ph + l * pl
    c = SPLIT * low
    h = c - (c - low)
    l = low - h
    const b1 = low * p
    const b2 = h * ph - b1 + h * pl + l * ph + l * pl
    const s = a1 + b1
    const rest = b1 - (s - a1) + a2 + b2 + m * POW10_TAIL[exponent]!
    hi = s + rest
    lo = rest - (hi - s)
  }
  // hi is the nearest double to x unless x may lie on the other side of a halfway point. Half an
  // ulp above hi is 2^-53 × ufp(hi), the power of two at or below it; below a power of two, half that.
  const q = UFP_FACTOR * hi
  const ufp = q - ONE_MINUS_EPSILON * q
  const halfUp = ufp * 2 ** -53
  const margin = hi * 2 ** -90
  const decided = lo >= 0 ? lo < halfUp - margin : -lo < (hi === ufp ? halfUp / 2 : halfUp) - margin
  return decided ? hi : Number.NaN
}
