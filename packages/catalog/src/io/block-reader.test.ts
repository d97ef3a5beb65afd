import { afterEach, describe, expect, it } from 'vitest'
import { type FakeDataNode, fakeDataNode } from '../../test/fake-datanode.js'
import { seededBytes as random } from '../../test/helpers.js'
import { type BlockReadOptions, readBlock } from './block-reader.js'

const fakes: FakeDataNode[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()))
})

const BLOCK = random(300 * 1024 + 77, 1)

async function datanode(): Promise<FakeDataNode> {
  const fake = await fakeDataNode(new Map([[42, BLOCK]]))
  fakes.push(fake)
  return fake
}

function options(fake: FakeDataNode, offset: number, length: number): BlockReadOptions {
  return {
    host: '127.0.0.1',
    port: fake.port,
    block: { poolId: 'BP-test', blockId: 42, generationStamp: 1001, numBytes: BLOCK.length },
    offset,
    length,
    clientName: 'lake-test',
    idleTimeoutMs: 5_000,
  }
}

/** Reads to the end, copying each lent chunk; on failure, the error and what came before it. */
async function drain(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: Uint8Array; error?: unknown }> {
  const parts: Buffer[] = []
  try {
    for await (const chunk of chunks) parts.push(Buffer.from(chunk))
    return { bytes: new Uint8Array(Buffer.concat(parts)) }
  } catch (error) {
    return { bytes: new Uint8Array(Buffer.concat(parts)), error }
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
}

describe('readBlock', () => {
  it('reads the whole block and any range of it, verified, and closes with CHECKSUM_OK', async () => {
    const fake = await datanode()
    const ranges = [
      [0, BLOCK.length],
      [1, 10],
      [511, 2],
      [65_535, 65_538],
      [100_000, BLOCK.length - 100_000],
      [BLOCK.length - 1, 1],
    ] as const
    for (const [offset, length] of ranges) {
      const { bytes, error } = await drain(readBlock(options(fake, offset, length)))
      expect(error).toBeUndefined()
      expect(Buffer.from(bytes).equals(Buffer.from(BLOCK.subarray(offset, offset + length)))).toBe(true)
    }
    await until(() => fake.reads.every((read) => read.status !== undefined))
    expect(fake.reads.map((read) => [read.offset, read.length, read.sendChecksums, read.status])).toEqual(
      ranges.map(([offset, length]) => [offset, length, true, 6]),
    )
  })

  it('parses an answer that arrives a few bytes at a time', async () => {
    const fake = await datanode()
    fake.pieceSize = 7
    const { bytes, error } = await drain(readBlock(options(fake, 1000, 5000)))
    expect(error).toBeUndefined()
    expect(Buffer.from(bytes).equals(Buffer.from(BLOCK.subarray(1000, 6000)))).toBe(true)
  })

  it('fails with ECHECKSUM on a corrupted packet, having handed out only verified bytes before it', async () => {
    const fake = await datanode()
    fake.tamper = ({ offsetInBlock, data }) => {
      if (offsetInBlock === 131_072) data[1000]! ^= 0x01
      return undefined
    }
    const { bytes, error } = await drain(readBlock(options(fake, 0, BLOCK.length)))
    expect(error).toMatchObject({
      code: 'ECHECKSUM',
      message: expect.stringMatching(/block 42 at offset 131584/),
    })
    expect(bytes.length).toBe(131_072)
    expect(Buffer.from(bytes).equals(Buffer.from(BLOCK.subarray(0, 131_072)))).toBe(true)
  })

  it('fails with EBLOCKSTATUS, the status and the message when the DataNode refuses', async () => {
    const fake = await datanode()
    fake.refuse = { status: 5, message: 'Block token is expired' }
    const { error } = await drain(readBlock(options(fake, 0, 10)))
    expect(error).toMatchObject({
      code: 'EBLOCKSTATUS',
      status: 5,
      message: expect.stringMatching(/token is expired/),
    })
  })

  it('fails with ECONNRESET when the connection drops mid-block, after the bytes that did arrive', async () => {
    const fake = await datanode()
    fake.tamper = ({ offsetInBlock }) => (offsetInBlock === 196_608 ? 'drop' : undefined)
    const { bytes, error } = await drain(readBlock(options(fake, 10, BLOCK.length - 10)))
    expect(error).toMatchObject({ code: 'ECONNRESET' })
    expect(Buffer.from(bytes).equals(Buffer.from(BLOCK.subarray(10, 196_608)))).toBe(true)
  })

  it('fails with ECONNREFUSED when nothing listens on the transfer port', async () => {
    const fake = await datanode()
    const port = fake.port
    await fake.close()
    fakes.splice(0)
    const { error } = await drain(readBlock({ ...options(fake, 0, 10), port }))
    expect(error).toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('keeps each lent chunk intact until the next is asked for while the socket is paused and resumed', async () => {
    const fake = await datanode()
    let at = 0
    for await (const chunk of readBlock({
      ...options(fake, 0, BLOCK.length),
      chunkSize: 16 * 1024,
      highWaterMark: 32 * 1024,
    })) {
      const copy = Buffer.from(chunk)
      await new Promise((resolve) => setTimeout(resolve, 2))
      // Nothing refilled the chunk while it was lent.
      expect(Buffer.from(chunk).equals(copy)).toBe(true)
      expect(copy.equals(Buffer.from(BLOCK.subarray(at, at + copy.length)))).toBe(true)
      at += copy.length
    }
    expect(at).toBe(BLOCK.length)
  })

  it('reads without checksums when asked, and closes with SUCCESS', async () => {
    const fake = await datanode()
    const { bytes } = await drain(readBlock({ ...options(fake, 5, 70_000), verifyChecksums: false }))
    expect(Buffer.from(bytes).equals(Buffer.from(BLOCK.subarray(5, 70_005)))).toBe(true)
    await until(() => fake.reads[0]?.status !== undefined)
    expect(fake.reads[0]).toMatchObject({ sendChecksums: false, status: 0 })
  })

  it('closes the connection when the consumer stops early, and when aborted', async () => {
    const fake = await datanode()
    for await (const _chunk of readBlock(options(fake, 0, BLOCK.length))) break
    await until(() => fake.open.size === 0)
    expect(fake.open.size).toBe(0)
    const controller = new AbortController()
    const reading = drain(
      readBlock({ ...options(fake, 0, BLOCK.length), signal: controller.signal, highWaterMark: 1 }),
    )
    controller.abort(new Error('stop'))
    expect((await reading).error).toMatchObject({ message: 'stop' })
  })

  it('fails with ETIMEDOUT when the DataNode goes silent mid-block', async () => {
    const fake = await datanode()
    fake.tamper = ({ offsetInBlock }) => (offsetInBlock === 65_536 ? 'stall' : undefined)
    const started = Date.now()
    const { bytes, error } = await drain(readBlock({ ...options(fake, 0, BLOCK.length), idleTimeoutMs: 300 }))
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: expect.stringMatching(/within 300 ms/) })
    expect(bytes.length).toBe(65_536)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
  })
})
