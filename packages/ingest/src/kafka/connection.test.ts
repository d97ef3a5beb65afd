import { describe, expect, it } from 'vitest'
import { Framer } from './connection.js'

/** Responses framed as a broker sends them: a 4-byte size, then the body. */
function stream(bodies: Buffer[]): Buffer {
  return Buffer.concat(
    bodies.flatMap((body) => {
      const size = Buffer.alloc(4)
      size.writeInt32BE(body.length)
      return [size, body]
    }),
  )
}

const bodies = [4, 5, 1_000, 70_000, 4, 123_457].map((n, i) => Buffer.alloc(n, i + 1))

describe('Framer', () => {
  it('cuts responses out of reads into its targets, however the reads fall', () => {
    for (const most of [1, 3, 4096, 1_000_000]) {
      const got: Buffer[] = []
      const framer = new Framer(
        (body) => got.push(Buffer.from(body)),
        (why) => expect.fail(why),
      )
      const bytes = stream(bodies)
      let at = 0
      while (at < bytes.length) {
        // As a socket reads: at most the target's room, and at most what has arrived.
        const target = framer.target()
        const count = Math.min(target.length, most, bytes.length - at)
        bytes.copy(target, 0, at, at + count)
        at += count
        framer.filled(count)
      }
      expect(got).toEqual(bodies)
    }
  })

  it('copies chunks that span responses', () => {
    const got: Buffer[] = []
    const framer = new Framer(
      (body) => got.push(Buffer.from(body)),
      (why) => expect.fail(why),
    )
    const bytes = stream(bodies)
    for (let at = 0; at < bytes.length; at += 7_777) framer.copy(bytes.subarray(at, at + 7_777))
    expect(got).toEqual(bodies)
  })

  it('refuses a size no response has', () => {
    const errors: string[] = []
    const framer = new Framer(
      () => expect.fail('no response'),
      (why) => errors.push(why),
    )
    framer.copy(Buffer.from([0xff, 0xff, 0xff, 0xff]))
    expect(errors).toEqual(['sent a response of -1 bytes'])
  })
})
