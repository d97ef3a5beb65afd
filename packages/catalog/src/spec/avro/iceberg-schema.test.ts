import { describe, expect, it } from 'vitest'
import { avroFieldName } from './iceberg-schema.js'

describe('avroFieldName', () => {
  it('keeps names Iceberg Java keeps, Unicode letters included', () => {
    expect(avroFieldName('ts_day')).toBe('ts_day')
    expect(avroFieldName('ünï_bucket')).toBe('ünï_bucket')
    expect(avroFieldName('名前')).toBe('名前')
  })

  it('sanitises the rest as Java’s AvroSchemaUtil.makeCompatibleName does', () => {
    expect(avroFieldName('1st-col')).toBe('_1st_x2Dcol')
    expect(avroFieldName('a b')).toBe('a_x20b')
    expect(avroFieldName('😀')).toBe('_xD83D_xDE00')
  })
})
