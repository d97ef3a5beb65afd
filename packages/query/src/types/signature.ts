import { QueryError } from '@lake/errors'

/** A field of a Trino `row` type; `name` is absent for anonymous fields (`row(bigint, varchar)`). */
export interface TrinoRowField {
  /** The field name as Trino declares it, unquoted. */
  name?: string
  /** The field's type. */
  type: TrinoType
}

/**
 * A Trino type, parsed from the type signature the server sends with each column
 * (`decimal(10,2)`, `timestamp(6) with time zone`, `row(a bigint, b array(varchar))`).
 * Types this package does not know (HyperLogLog, Geometry, a future type) keep their name and
 * arguments as text in `signature`.
 */
export type TrinoType =
  | {
      kind:
        | 'boolean'
        | 'tinyint'
        | 'smallint'
        | 'integer'
        | 'bigint'
        | 'real'
        | 'double'
        | 'varbinary'
        | 'date'
        | 'json'
        | 'uuid'
        | 'ipaddress'
        | 'interval day to second'
        | 'interval year to month'
        | 'unknown'
      signature: string
    }
  | { kind: 'decimal'; precision: number; scale: number; signature: string }
  | { kind: 'varchar' | 'char'; length?: number; signature: string }
  | {
      kind: 'time' | 'time with time zone' | 'timestamp' | 'timestamp with time zone'
      precision: number
      signature: string
    }
  | { kind: 'array'; element: TrinoType; signature: string }
  | { kind: 'map'; key: TrinoType; value: TrinoType; signature: string }
  | { kind: 'row'; fields: TrinoRowField[]; signature: string }
  | { kind: 'other'; name: string; signature: string }

const SIMPLE = new Set([
  'boolean',
  'tinyint',
  'smallint',
  'integer',
  'bigint',
  'real',
  'double',
  'varbinary',
  'date',
  'json',
  'uuid',
  'ipaddress',
  'interval day to second',
  'interval year to month',
  'unknown',
])

/** Default precisions of the datetime types written without one (Trino's defaults). */
const DEFAULT_PRECISION: Record<string, number> = {
  time: 3,
  'time with time zone': 3,
  timestamp: 3,
  'timestamp with time zone': 3,
}

/**
 * Parses a Trino type signature such as `map(varchar, array(row(x double, "y z" bigint)))`.
 *
 * @throws QueryError when the text is not a type signature
 */
export function parseTrinoType(signature: string): TrinoType {
  const parser = new SignatureParser(signature)
  const type = parser.type()
  parser.expectEnd()
  return type
}

class SignatureParser {
  private pos = 0
  constructor(private readonly text: string) {}

  type(): TrinoType {
    this.skipSpace()
    const start = this.pos
    const name = this.words()
    if (name === '') this.fail('a type name')
    const lower = name.toLowerCase()
    if (lower === 'row' && this.peek() === '(') return this.row(start)
    if ((lower === 'array' || lower === 'map') && this.peek() === '(') return this.container(lower, start)
    const args = this.peek() === '(' ? this.numericArgs() : []
    // `timestamp(3) with time zone`: the suffix follows the arguments.
    const suffix = args.length > 0 ? this.words() : ''
    const written = suffix === '' ? name : `${name} ${suffix}`
    // Trino spells some names in capitals (`INTERVAL DAY TO SECOND`); names are case-insensitive.
    const kind = written.toLowerCase()
    const signature = this.text.slice(start, this.pos).trim()
    if (SIMPLE.has(kind) && args.length === 0) return { kind, signature } as TrinoType
    if (kind === 'decimal') {
      return { kind, precision: args[0] ?? 38, scale: args[1] ?? 0, signature }
    }
    if (kind === 'varchar' || kind === 'char') {
      return args[0] === undefined ? { kind, signature } : { kind, length: args[0], signature }
    }
    if (kind in DEFAULT_PRECISION) {
      const k = kind as 'time' | 'time with time zone' | 'timestamp' | 'timestamp with time zone'
      return { kind: k, precision: args[0] ?? (DEFAULT_PRECISION[kind] as number), signature }
    }
    return { kind: 'other', name: written, signature }
  }

  private row(start: number): TrinoType {
    this.pos += 1
    const fields: TrinoRowField[] = []
    for (;;) {
      this.skipSpace()
      const name = this.fieldName()
      const type = this.type()
      fields.push(name === undefined ? { type } : { name, type })
      if (!this.separator()) break
    }
    return { kind: 'row', fields, signature: this.text.slice(start, this.pos).trim() }
  }

  /** A field name followed by its type, or nothing when the field is anonymous. */
  private fieldName(): string | undefined {
    if (this.peek() === '"') {
      let name = ''
      this.pos += 1
      for (;;) {
        const c = this.text[this.pos]
        if (c === undefined) this.fail('a closing quote')
        this.pos += 1
        if (c === '"') {
          if (this.text[this.pos] !== '"') break
          this.pos += 1
        }
        name += c
      }
      return name
    }
    // An unquoted name is one word followed by a type; an anonymous field is just a type.
    const save = this.pos
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos))?.[0]
    if (word === undefined) return undefined
    this.pos += word.length
    this.skipSpace()
    const next = this.peek()
    if (next === ',' || next === ')' || next === '(' || next === undefined) {
      this.pos = save
      return undefined
    }
    // `timestamp(3) with time zone` and `interval day to second` start with a type word too.
    const following = (this.text.slice(this.pos).split(/[\s(),]/, 1)[0] ?? '').toLowerCase()
    if (['with', 'day', 'year', 'to'].includes(following)) {
      if (['time', 'timestamp', 'interval'].includes(word.toLowerCase())) {
        this.pos = save
        return undefined
      }
    }
    return word
  }

  private container(name: 'array' | 'map', start: number): TrinoType {
    this.pos += 1
    const first = this.type()
    if (name === 'array') {
      this.expect(')')
      return { kind: 'array', element: first, signature: this.text.slice(start, this.pos).trim() }
    }
    this.expect(',')
    const value = this.type()
    this.expect(')')
    return { kind: 'map', key: first, value, signature: this.text.slice(start, this.pos).trim() }
  }

  private numericArgs(): number[] {
    this.pos += 1
    const args: number[] = []
    for (;;) {
      this.skipSpace()
      const digits = /^\d+/.exec(this.text.slice(this.pos))?.[0]
      if (digits === undefined) {
        // A type argument this parser does not know (e.g. a future parametric type): skip it whole.
        this.skipBalanced()
        return args
      }
      args.push(Number(digits))
      this.pos += digits.length
      if (!this.separator()) return args
    }
  }

  /** Consumes `,` (true) or `)` (false). */
  private separator(): boolean {
    this.skipSpace()
    const c = this.peek()
    this.pos += 1
    if (c === ',') return true
    if (c === ')') return false
    this.pos -= 1
    return this.fail('"," or ")"')
  }

  private skipBalanced(): void {
    let depth = 1
    while (depth > 0) {
      const c = this.text[this.pos]
      if (c === undefined) this.fail('")"')
      if (c === '(') depth += 1
      if (c === ')') depth -= 1
      this.pos += 1
    }
  }

  /** Lower-case words separated by single spaces, e.g. `interval day to second`. */
  private words(): string {
    const words: string[] = []
    for (;;) {
      this.skipSpace()
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos))?.[0]
      if (word === undefined) break
      words.push(word)
      this.pos += word.length
    }
    return words.join(' ')
  }

  private expect(c: string): void {
    this.skipSpace()
    if (this.peek() !== c) this.fail(`"${c}"`)
    this.pos += 1
  }

  expectEnd(): void {
    this.skipSpace()
    if (this.pos !== this.text.length) this.fail('the end')
  }

  private peek(): string | undefined {
    return this.text[this.pos]
  }

  private skipSpace(): void {
    while (this.text[this.pos] === ' ') this.pos += 1
  }

  private fail(expected: string): never {
    throw new QueryError(
      `Cannot parse the Trino type "${this.text}": expected ${expected} at position ${this.pos}`,
      { context: { type: this.text, position: this.pos } },
    )
  }
}
