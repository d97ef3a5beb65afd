import { describe, expect, it } from 'vitest'
import { port, StackError } from '../src/env.mjs'
import { hdfsEndpoints } from '../src/hdfs.mjs'

describe('stack settings', () => {
  it('reads ports from the environment and falls back to the defaults', () => {
    expect(port('P', 8020, {})).toBe(8020)
    expect(port('P', 8020, { P: '18020' })).toBe(18020)
    expect(hdfsEndpoints({ LAKE_HDFS_NAMENODE_HTTP_PORT: '19870' }).namenodeHttp).toBe(
      'http://127.0.0.1:19870',
    )
    expect(hdfsEndpoints({}).fsUri).toBe('hdfs://127.0.0.1:8020')
  })

  it('refuses a port that is not one, naming the variable', () => {
    expect(() => port('LAKE_HDFS_NAMENODE_RPC_PORT', 8020, { LAKE_HDFS_NAMENODE_RPC_PORT: 'http' })).toThrow(
      StackError,
    )
    expect(() => port('P', 1, { P: '70000' })).toThrow(/P=70000/)
  })
})
