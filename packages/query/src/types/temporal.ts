/**
 * Trino's text forms of dates, times, timestamps and intervals, parsed to the integers Arrow
 * stores. All arithmetic is on integers: no `Date`, whose two-digit years and millisecond
 * resolution would lose values.
 */

/** Days from 1970-01-01 to a proleptic Gregorian civil date (H. Hinnant's `days_from_civil`). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const DATE = /^([+-]?\d{4,})-(\d{2})-(\d{2})/

/** `2024-02-29` (or `-0001-01-01`, `+10000-01-01`) to days since the epoch. */
export function parseDate(text: string): number {
  if (text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45) {
    const year = digitsAt(text, 0, 4)
    const month = digitsAt(text, 5, 2)
    const day = digitsAt(text, 8, 2)
    if (year >= 0 && month >= 0 && day >= 0) return daysFromCivil(year, month, day)
  }
  const m = DATE.exec(text)
  if (m === null) throw new RangeError(`not a date: ${text}`)
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]))
}

/** A time of day as whole seconds and the fraction's digits scaled to `digits` places. */
export interface ParsedTime {
  seconds: number
  /** The fraction of a second in units of 10^-digits. */
  fraction: number
  /** Where the time's text ends (the zone or offset follows). */
  end: number
}

const TIME = /(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?/y

/** The value of `count` decimal digits at `at`, or -1 when one of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    value = value * 10 + d
  }
  return value
}

/** Parses `HH:MM[:SS[.fff…]]` at `start`, the fraction scaled to `digits` decimal places. */
export function parseTime(text: string, start: number, digits: number): ParsedTime {
  // The layout Trino prints, `HH:MM:SS[.f…]`, read without a regular expression.
  if (text.charCodeAt(start + 2) === 58 && text.charCodeAt(start + 5) === 58) {
    const h = digitsAt(text, start, 2)
    const m = digitsAt(text, start + 3, 2)
    const sec = digitsAt(text, start + 6, 2)
    if (h >= 0 && m >= 0 && sec >= 0) {
      let end = start + 8
      let fraction = 0
      let places = 0
      if (text.charCodeAt(end) === 46) {
        end += 1
        for (;;) {
          const d = text.charCodeAt(end) - 48
          if (!(d >= 0 && d <= 9)) break
          if (places < digits) {
            fraction = fraction * 10 + d
            places += 1
          }
          end += 1
        }
      }
      for (; places < digits; places++) fraction *= 10
      return { seconds: h * 3600 + m * 60 + sec, fraction, end }
    }
  }
  TIME.lastIndex = start
  const m = TIME.exec(text)
  if (m === null) throw new RangeError(`not a time: ${text}`)
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)
  return { seconds, fraction: scaleFraction(m[4] ?? '', digits), end: TIME.lastIndex }
}

/** `"5"` at 3 digits is 500; digits beyond `digits` cannot occur (Trino prints the type's precision). */
export function scaleFraction(fraction: string, digits: number): number {
  if (digits === 0) return 0
  const padded = fraction.length >= digits ? fraction.slice(0, digits) : fraction.padEnd(digits, '0')
  return Number(padded)
}

/** `+05:30` or `-08:00` to minutes east of UTC. */
export function parseOffsetMinutes(text: string): number | undefined {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text)
  if (m === null) return undefined
  const minutes = Number(m[2]) * 60 + Number(m[3])
  return m[1] === '-' ? -minutes : minutes
}

/**
 * The offset of a zone from UTC at an instant, in milliseconds (whole seconds: historical local
 * mean times such as Amsterdam's +00:19:32 are not whole minutes), from the platform's zone data.
 */
export function zoneOffsetMs(zone: string, epochMs: number): number {
  const parts = formatterFor(zone).formatToParts(new Date(epochMs))
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0)
  let year = get('year')
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year
  const local =
    daysFromCivil(year, get('month'), get('day')) * 86_400_000 +
    (get('hour') * 3600 + get('minute') * 60 + get('second')) * 1000
  const wholeSecondMs = Math.floor(epochMs / 1000) * 1000
  return local - wholeSecondMs
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, formatter)
  }
  return formatter
}

/**
 * The UTC instant, in milliseconds, of a wall-clock time in `zone` (an offset such as `+05:30`,
 * `UTC`, or a region such as `Europe/Berlin`). `localMs` is the wall-clock time read as if UTC.
 */
export function wallTimeToUtcMs(localMs: number, zone: string): number {
  const fixed = zone === 'UTC' || zone === 'Z' ? 0 : parseOffsetMinutes(zone)
  if (fixed !== undefined) return localMs - fixed * 60_000
  // Two steps settle every instant except a wall time repeated by a DST change, where Trino's
  // text itself is ambiguous (see the README).
  const first = zoneOffsetMs(zone, localMs)
  const guess = localMs - first
  const second = zoneOffsetMs(zone, guess)
  return second === first ? guess : localMs - second
}

/** `D HH:MM:SS.mmm` (optionally negative) to milliseconds. */
export function parseDayToSecondMs(text: string): number {
  const m = /^(-)?(\d+) (\d+):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text)
  if (m === null) throw new RangeError(`not an interval day to second: ${text}`)
  const ms =
    ((Number(m[2]) * 24 + Number(m[3])) * 3600 + Number(m[4]) * 60 + Number(m[5])) * 1000 +
    scaleFraction(m[6] ?? '', 3)
  return m[1] === '-' ? -ms : ms
}

/** `Y-M` (optionally negative) to months. */
export function parseYearToMonth(text: string): number {
  const m = /^(-)?(\d+)-(\d+)$/.exec(text)
  if (m === null) throw new RangeError(`not an interval year to month: ${text}`)
  const months = Number(m[2]) * 12 + Number(m[3])
  return m[1] === '-' ? -months : months
}
