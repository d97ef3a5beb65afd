import { ValidationError } from '@lake/errors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { identifierToString, parseNamespace, parseTableIdentifier } from './identifier.js'

describe('identifiers', () => {
  it('parses dotted strings, arrays and objects alike', () => {
    const expected = { namespace: ['a', 'b'], name: 't' }
    expect(parseTableIdentifier('a.b.t')).toEqual(expected)
    expect(parseTableIdentifier(['a', 'b', 't'])).toEqual(expected)
    expect(parseTableIdentifier(expected)).toEqual(expected)
    expect(identifierToString(parseTableIdentifier('a.b.t'))).toBe('a.b.t')
    expect(parseNamespace('db')).toEqual(['db'])
  })

  it.each([
    ['', 'empty'],
    ['db.', 'empty table name'],
    ['.t', 'empty namespace'],
    [['db', '..'], 'dot-dot'],
    [['..', 't'], 'dot-dot namespace'],
    [['db', 'a/b'], 'slash'],
    [['db', 'a\\b'], 'backslash'],
    [['db', 'a\u0000b'], 'NUL'],
    [['db', 'a\nb'], 'newline'],
    [['db', ' t'], 'leading space'],
    ['t', 'no namespace'],
  ])('refuses %j (%s) with a ValidationError naming it', (input, _why) => {
    expect(() => parseTableIdentifier(input as string)).toThrow(ValidationError)
  })

  it('never lets a part that could escape its directory through', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 2, maxLength: 4 }), (parts) => {
        try {
          const id = parseTableIdentifier(parts)
          for (const p of [...id.namespace, id.name]) {
            expect(p).not.toMatch(/[/\\]/)
            expect(p === '.' || p === '..' || p === '').toBe(false)
          }
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError)
        }
      }),
    )
  })
})
