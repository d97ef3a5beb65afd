import { Bool, makeVector } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { BoolBuilder } from './builders.js'

describe('BoolBuilder', () => {
  it('keeps every value and null while its bit array grows, whichever way values arrive', () => {
    const builder = new BoolBuilder(new Bool())
    const expected: (boolean | null)[] = []
    for (let i = 0; i < 5_000; i++) {
      const kind = i % 5
      if (kind === 0) builder.append(null)
      else if (kind === 1) builder.append(true)
      else if (kind === 2) builder.append('true')
      else if (kind === 3) builder.appendBoolean(i % 2 === 0)
      else builder.append(false)
      expected.push(kind === 0 ? null : kind === 1 || kind === 2 ? true : kind === 3 ? i % 2 === 0 : false)
    }
    const values = [...makeVector(builder.finish())]
    expect(values).toEqual(expected)
    expect(builder.length).toBe(0)
  })
})
