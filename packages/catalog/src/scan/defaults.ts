/**
 * Initial defaults of fields a data file does not have, as the values a reader fills in.
 *
 * A schema read from metadata JSON keeps `initial-default` in the spec's JSON single-value form
 * (a decimal as `"12.34"`, a timestamp as ISO-8601 text, binary as hex), while a schema built in
 * code may hold internal or user values (`42n`, a `Date`). The JSON form is tried first, as
 * `conversions.ts` reads it; anything else is coerced as user input is (`values.ts`).
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import { fromJsonValue } from '../spec/conversions.js'
import type { PrimitiveType } from '../spec/types.js'
import { coerceValue } from '../spec/values.js'

/** The internal value (see `spec/types.ts`) of the initial default of the field `name`. */
export function defaultValue(type: PrimitiveType, value: unknown, name: string): unknown {
  try {
    return fromJsonValue(type, value)
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    return coerceValue(type, value, name)
  }
}
