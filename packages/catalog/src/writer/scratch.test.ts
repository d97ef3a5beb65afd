import { describe, expect, it } from 'vitest'
import { POOL_BYTES, Scratch } from './scratch.js'

describe('Scratch', () => {
  it('lends arrays of the length asked, and after release the same buffers again', () => {
    const first = new Scratch()
    const a = first.int32(10_000)
    const b = first.float64(3_000)
    expect(a.length).toBe(10_000)
    expect(b.length).toBe(3_000)
    expect(a.buffer).not.toBe(b.buffer)
    first.release()
    const second = new Scratch()
    const again = [second.bytes(40_000).buffer, second.bytes(24_000).buffer]
    expect(new Set(again)).toEqual(new Set([a.buffer, b.buffer]))
    // None is lent twice before it is given back.
    expect(second.bytes(40_000).buffer).not.toBe(again[0])
    second.release()
  })

  it('allocates small arrays as usual and keeps no more than POOL_BYTES between row groups', () => {
    const scratch = new Scratch()
    const small = scratch.bytes(100)
    const large = Array.from({ length: POOL_BYTES / (8 * 1024 * 1024) + 2 }, () =>
      scratch.bytes(8 * 1024 * 1024),
    )
    scratch.release()
    const next = new Scratch()
    expect(next.bytes(100).buffer).not.toBe(small.buffer)
    const lent = new Set(large.map((array) => array.buffer))
    let reused = 0
    for (let n = 0; n < large.length; n++) if (lent.has(next.bytes(8 * 1024 * 1024).buffer)) reused++
    expect(reused).toBeLessThanOrEqual(POOL_BYTES / (8 * 1024 * 1024))
    next.release()
  })
})
