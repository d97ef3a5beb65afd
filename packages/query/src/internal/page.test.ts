import { describe, expect, it } from 'vitest'
import { parsePage } from './page.js'

const bytes = (text: string) => Buffer.from(text)

describe('parsePage', () => {
  it('parses every member but data, and hands data to the reader with the members before it', () => {
    const body = bytes(
      ' { "id" : "q1", "nextUri":"http://x/2", "columns":[{"name":"a","type":"bigint"}], "data" : [[9223372036854775807]] , "stats":{"state":"RUNNING"}, "updateCount": 12345678901234567 } ',
    )
    const seen: unknown[] = []
    const members = parsePage(body, (before, at) => {
      seen.push({ ...before }, body.toString('utf8', at, at + 2))
      return at + '[[9223372036854775807]]'.length
    })
    expect(seen).toEqual([
      { id: 'q1', nextUri: 'http://x/2', columns: [{ name: 'a', type: 'bigint' }] },
      '[[',
    ])
    expect({ ...members }).toEqual({
      id: 'q1',
      nextUri: 'http://x/2',
      columns: [{ name: 'a', type: 'bigint' }],
      stats: { state: 'RUNNING' },
      updateCount: '12345678901234567',
    })
  })

  it('keeps a __proto__ member as data, not as the prototype', () => {
    const members = parsePage(bytes('{"__proto__":{"polluted":true},"id":"q"}'), () => {
      throw new Error('no data')
    })
    expect(Object.getPrototypeOf(members)).toBe(null)
    expect(Object.getOwnPropertyDescriptor(members, '__proto__')?.value).toEqual({ polluted: true })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('rejects what is not one JSON object', () => {
    const none = () => 0
    for (const text of ['[1]', '{"a":1', '{"a":1} x', '{"a" 1}', '{"a":1,}', '{a:1}', '{"a":tru}', ''])
      expect(() => parsePage(bytes(text), none), text).toThrow(SyntaxError)
  })
})
