/**
 * Initial defaults of fields a data file does not have, as the values a reader fills in.
 *
 * A schema read from metadata JSON keeps `initial-default` in the spec's JSON single-value form
 * (a decimal as `"12.34"`, a timestamp as ISO-8601 text, binary as hex), while a schema built in
 * code may hold internal values (see `spec/types.ts`). Both are accepted here.
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import type { PrimitiveType } from '../spec/types.js'

const MICROS_PER_DAY = 86_400_000_000n

/**
 * The internal value of an initial default: `number` for int, date, float and double, `bigint`
 * for long, time, timestamps and the unscaled decimal, `string` for strings, bytes otherwise.
 */
export function defaultValue(type: PrimitiveType, value: unknown): unknown {
  switch (type.kind) {
    case 'boolean':
      if (typeof value === 'boolean') return value
      break
    case 'int':
    case 'float':
    case 'double':
      if (typeof value === 'number') return value
      break
    case 'date':
      if (typeof value === 'number') return value
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value))
        return Date.parse(value) / 86_400_000
      break
    case 'long':
      if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string')
        return BigInt(value)
      break
    case 'decimal':
      if (typeof value === 'bigint') return value
      if (typeof value === 'number' || typeof value === 'string') return unscaled(String(value), type.scale)
      break
    case 'time':
      if (typeof value === 'bigint') return value
      if (typeof value === 'string') return timeMicros(value)
      break
    case 'timestamp':
    case 'timestamptz':
      if (typeof value === 'bigint') return value
      if (typeof value === 'number') return BigInt(value)
      if (typeof value === 'string') return timestampMicros(value)
      break
    case 'string':
      if (typeof value === 'string') return value
      break
    case 'uuid':
      if (value instanceof Uint8Array && value.length === 16) return value
      if (typeof value === 'string' && /^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$/i.test(value)) {
        return hexBytes(value.replaceAll('-', ''))
      }
      break
    case 'fixed':
    case 'binary':
      if (value instanceof Uint8Array) return value
      if (typeof value === 'string' && /^([0-9a-f]{2})*$/i.test(value)) return hexBytes(value)
      break
  }
  throw new ValidationError(`Initial default ${String(value)} is not a valid ${type.kind} value`)
}

function unscaled(text: string, scale: number): bigint {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim())
  if (!match) throw new ValidationError(`'${text}' is not a decimal`)
  const fraction = (match[3] ?? '').padEnd(scale, '0')
  if (fraction.length > scale) throw new ValidationError(`'${text}' has more than ${scale} decimal places`)
  const magnitude = BigInt((match[2] || '0') + fraction)
  return match[1] === '-' ? -magnitude : magnitude
}

function fractionMicros(fraction: string | undefined): bigint {
  return BigInt((fraction ?? '').padEnd(6, '0').slice(0, 6))
}

function timeMicros(text: string): bigint {
  const match = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(text)
  if (!match) throw new ValidationError(`'${text}' is not a time`)
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0)
  return BigInt(seconds) * 1_000_000n + fractionMicros(match[4])
}

function timestampMicros(text: string): bigint {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:\d{2})?$/.exec(text)
  if (!match) throw new ValidationError(`'${text}' is not a timestamp`)
  const days = BigInt(Date.parse(match[1]!) / 86_400_000)
  let micros = days * MICROS_PER_DAY + timeMicros(match[2]!)
  const zone = match[3]
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n
    const minutes = BigInt(Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)))
    micros -= sign * minutes * 60_000_000n
  }
  return micros
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
