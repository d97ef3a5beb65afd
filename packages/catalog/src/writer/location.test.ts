import { describe, expect, it } from 'vitest'
import { UNPARTITIONED } from '../spec/partition-spec.js'
import { Schema } from '../spec/schema.js'
import { Types } from '../spec/types.js'
import { dataLocation, javaUrlEncode, OutputFileFactory, partitionPath } from './location.js'

const schema = new Schema([
  { id: 1, name: 'ts', required: false, type: Types.timestamptz },
  { id: 2, name: 'category', required: false, type: Types.string },
  { id: 3, name: 'id', required: true, type: Types.long },
])

const spec = {
  specId: 1,
  fields: [
    { sourceId: 1, fieldId: 1000, name: 'ts_day', transform: { kind: 'day' } as const },
    { sourceId: 2, fieldId: 1001, name: 'category', transform: { kind: 'identity' } as const },
    { sourceId: 3, fieldId: 1002, name: 'id_bucket', transform: { kind: 'bucket', numBuckets: 8 } as const },
  ],
}

describe('javaUrlEncode', () => {
  it('escapes as java.net.URLEncoder with UTF-8 does', () => {
    expect(javaUrlEncode('AZaz09.-*_')).toBe('AZaz09.-*_')
    expect(javaUrlEncode('a b/c')).toBe('a+b%2Fc')
    expect(javaUrlEncode("~!'()")).toBe('%7E%21%27%28%29')
    expect(javaUrlEncode('é€😀')).toBe('%C3%A9%E2%82%AC%F0%9F%98%80')
    expect(javaUrlEncode('2024-01-05T10:00:00+00:00')).toBe('2024-01-05T10%3A00%3A00%2B00%3A00')
    expect(javaUrlEncode('=&?%')).toBe('%3D%26%3F%25')
  })
})

describe('dataLocation', () => {
  it('is <location>/data unless write.data.path (or its deprecated name) says otherwise', () => {
    expect(dataLocation('s3://bucket/db/t/', {})).toBe('s3://bucket/db/t/data')
    expect(dataLocation('file:/tmp/t', { 'write.data.path': 's3://other/d/' })).toBe('s3://other/d')
    expect(dataLocation('file:/tmp/t', { 'write.folder-storage.path': '/legacy//' })).toBe('/legacy')
    expect(dataLocation('s3://', {})).toBe('s3:///data')
  })
})

describe('partitionPath', () => {
  it('joins escaped name=human-value pairs, null as "null"', () => {
    expect(partitionPath(spec, schema, [19727, 'a b/c', 5])).toBe(
      'ts_day=2024-01-05/category=a+b%2Fc/id_bucket=5',
    )
    expect(partitionPath(spec, schema, [null, null, 0])).toBe('ts_day=null/category=null/id_bucket=0')
  })

  // Expected paths checked against Java 1.9.2's PartitionSpec.partitionToPath.
  it('prints identity timestamps as Java’s human strings, escaped', () => {
    const byTs = {
      specId: 2,
      fields: [{ sourceId: 1, fieldId: 1000, name: 'ts', transform: { kind: 'identity' } as const }],
    }
    expect(partitionPath(byTs, schema, [1_704_449_400_000_000n])).toBe('ts=2024-01-05T10%3A10%3A00%2B00%3A00')
  })
})

describe('OutputFileFactory', () => {
  const uuid = '3f1c1b36-1b8e-4c1e-9d3b-5b9a1a2e4f60'

  it('names files <partition id>-<task id>-<operation id>-<count>.parquet, counting from 1', () => {
    const files = new OutputFileFactory({
      tableLocation: 's3://b/t',
      properties: {},
      spec,
      schema,
      randomUUID: () => uuid,
    })
    expect(files.newDataLocation([19727, 'x', 1])).toBe(
      `s3://b/t/data/ts_day=2024-01-05/category=x/id_bucket=1/00000-0-${uuid}-00001.parquet`,
    )
    expect(files.newFileName()).toBe(`00000-0-${uuid}-00002.parquet`)
  })

  it('puts unpartitioned files directly in the data location, with the ids and suffix given', () => {
    const files = new OutputFileFactory({
      tableLocation: 's3://b/t/',
      properties: { 'write.data.path': 's3://d/x' },
      spec: UNPARTITIONED,
      schema,
      partitionId: 12,
      taskId: 345,
      operationId: 'op',
      suffix: 'deletes',
    })
    expect(files.newDataLocation([])).toBe('s3://d/x/00012-345-op-deletes-00001.parquet')
  })

  it('draws a fresh random operation id per factory by default', () => {
    const a = new OutputFileFactory({ tableLocation: '/t', properties: {}, spec: UNPARTITIONED, schema })
    const b = new OutputFileFactory({ tableLocation: '/t', properties: {}, spec: UNPARTITIONED, schema })
    expect(a.newFileName()).toMatch(/^00000-0-[0-9a-f-]{36}-00001\.parquet$/)
    expect(a.newFileName()).not.toBe(b.newFileName())
  })
})
