import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { findMappedField, parseNameMapping } from './name-mapping.js'

describe('parseNameMapping', () => {
  it('reads the JSON of schema.name-mapping.default, nested mappings included', () => {
    const mapping = parseNameMapping(
      '[{"field-id": 1, "names": ["id", "record_id"]}, {"names": ["ignored"]},' +
        ' {"field-id": 3, "names": ["loc"], "fields": [{"field-id": 4, "names": ["lat"]}]}]',
    )
    expect(mapping).toEqual([
      { fieldId: 1, names: ['id', 'record_id'] },
      { names: ['ignored'] },
      { fieldId: 3, names: ['loc'], fields: [{ fieldId: 4, names: ['lat'] }] },
    ])
    expect(findMappedField(mapping, 'record_id')?.fieldId).toBe(1)
    expect(findMappedField(mapping, 'lat')).toBeUndefined()
  })

  it('treats a dot as part of a name, not a path', () => {
    const mapping = parseNameMapping([{ 'field-id': 7, names: ['a.b'] }])
    expect(findMappedField(mapping, 'a.b')?.fieldId).toBe(7)
    expect(findMappedField(mapping, 'b')).toBeUndefined()
  })

  it('refuses malformed mappings', () => {
    expect(() => parseNameMapping('{not json')).toThrow(ValidationError)
    expect(() => parseNameMapping({ names: ['a'] })).toThrow(ValidationError)
    expect(() => parseNameMapping([{ 'field-id': 1 }])).toThrow(ValidationError)
    expect(() => parseNameMapping([{ 'field-id': 1.5, names: ['a'] }])).toThrow(ValidationError)
  })
})
