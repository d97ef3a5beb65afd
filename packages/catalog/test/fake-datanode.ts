/**
 * A DataNode's transfer port for unit tests of the block reader: it answers `READ_BLOCK` for
 * the blocks it is given, as Hadoop's `BlockSender` does (the range widened to whole 512-byte
 * checksum chunks, packets of up to 64 KiB, CRC-32C checksums, an empty last packet, then the
 * client's status read), and lets a test change what goes on the wire to prove recovery.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { crc32 } from '../src/io/crc32.js'

/** One request as the fake decoded it. */
export interface FakeRead {
  blockId: number
  offset: number
  length: number
  sendChecksums: boolean
  /** The status the client sent after the last packet, or undefined. */
  status?: number
}

export interface FakeDataNode {
  port: number
  reads: FakeRead[]
  /**
   * Sees each packet before it is sent: may change its bytes, cut the connection (`drop`) or
   * send nothing more while keeping it open (`stall`).
   */
  tamper?: (packet: { read: FakeRead; offsetInBlock: number; data: Buffer }) => 'drop' | 'stall' | undefined
  /** Answer with this status (and message) instead of data. */
  refuse?: { status: number; message: string }
  /** Write the answer in pieces of at most this many bytes, one event-loop turn apart. */
  pieceSize?: number
  /** Sockets still open. */
  open: Set<Socket>
  close(): Promise<void>
}

const BYTES_PER_CHECKSUM = 512
const PACKET = 64 * 1024

/** A protobuf walker for the fields of the request. */
function fields(bytes: Buffer, start = 0, end = bytes.length): Map<number, number | Buffer> {
  const out = new Map<number, number | Buffer>()
  let at = start
  const varint = () => {
    let value = 0
    let scale = 1
    for (;;) {
      const byte = bytes[at++]!
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
    }
  }
  while (at < end) {
    const key = varint()
    if (key % 8 === 0) out.set(Math.floor(key / 8), varint())
    else {
      const length = varint()
      out.set(Math.floor(key / 8), bytes.subarray(at, at + length))
      at += length
    }
  }
  return out
}

function delimited(message: Buffer): Buffer {
  const prefix: number[] = []
  let n = message.length
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  prefix.push(n)
  return Buffer.concat([Buffer.from(prefix), message])
}

function varintField(field: number, value: number): Buffer {
  const bytes = [field << 3]
  let n = value
  while (n >= 0x80) {
    bytes.push((n % 128) | 0x80)
    n = Math.floor(n / 128)
  }
  bytes.push(n)
  return Buffer.from(bytes)
}

function lengthField(field: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2]), delimited(value)])
}

function packet(offsetInBlock: number, seqno: number, data: Buffer, sums: Buffer): Buffer {
  const header = Buffer.alloc(25)
  header.writeUInt8(0x09, 0)
  header.writeBigInt64LE(BigInt(offsetInBlock), 1)
  header.writeUInt8(0x11, 9)
  header.writeBigInt64LE(BigInt(seqno), 10)
  header.writeUInt8(0x18, 18)
  header.writeUInt8(data.length === 0 ? 1 : 0, 19)
  header.writeUInt8(0x25, 20)
  header.writeInt32LE(data.length, 21)
  const prefix = Buffer.alloc(6)
  prefix.writeUInt32BE(4 + sums.length + data.length, 0)
  prefix.writeUInt16BE(header.length, 4)
  return Buffer.concat([prefix, header, sums, data])
}

/** Serves `blocks` (block id → bytes) on a loopback port. */
export async function fakeDataNode(blocks: Map<number, Uint8Array>): Promise<FakeDataNode> {
  const open = new Set<Socket>()
  const fake: FakeDataNode = {
    port: 0,
    reads: [],
    open,
    close: async () => {
      for (const socket of open) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  const server: Server = createServer((socket) => {
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    socket.on('error', () => {})
    let received = Buffer.alloc(0)
    let read: FakeRead | undefined
    socket.on('data', (bytes: Buffer) => {
      received = Buffer.concat([received, bytes])
      if (read) {
        // The client's closing status: a length-delimited ClientReadStatusProto.
        if (received.length >= 1 + received[0]!)
          read.status = fields(received, 1, 1 + received[0]!).get(1) as number
        return
      }
      if (received.length < 4) return
      const length = received[3]! < 0x80 ? received[3]! : (received[3]! & 0x7f) + received[4]! * 128
      const at = received[3]! < 0x80 ? 4 : 5
      if (received.length < at + length) return
      const op = fields(received, at, at + length)
      const header = fields(op.get(1) as Buffer)
      const base = fields(header.get(1) as Buffer)
      const block = fields(base.get(1) as Buffer)
      read = {
        blockId: block.get(2) as number,
        offset: op.get(2) as number,
        length: op.get(3) as number,
        sendChecksums: op.get(4) !== 0,
      }
      fake.reads.push(read)
      received = received.subarray(at + length)
      void answer(socket, read)
    })
  })

  async function send(socket: Socket, bytes: Buffer): Promise<void> {
    const size = fake.pieceSize ?? bytes.length
    for (let at = 0; at < bytes.length; at += size) {
      if (socket.destroyed) return
      if (!socket.write(bytes.subarray(at, at + size)))
        await new Promise((resolve) => socket.once('drain', resolve))
      if (fake.pieceSize) await new Promise((resolve) => setImmediate(resolve))
    }
  }

  async function answer(socket: Socket, read: FakeRead): Promise<void> {
    const data = blocks.get(read.blockId)
    if (fake.refuse || !data) {
      const refusal = fake.refuse ?? { status: 1, message: `Replica not found for block ${read.blockId}` }
      await send(
        socket,
        delimited(
          Buffer.concat([varintField(1, refusal.status), lengthField(5, Buffer.from(refusal.message))]),
        ),
      )
      socket.end()
      return
    }
    const checksummed = read.sendChecksums
    const chunkOffset = Math.floor(read.offset / BYTES_PER_CHECKSUM) * BYTES_PER_CHECKSUM
    const end = Math.min(
      data.length,
      Math.ceil((read.offset + read.length) / BYTES_PER_CHECKSUM) * BYTES_PER_CHECKSUM,
    )
    const checksum = Buffer.concat([varintField(1, checksummed ? 2 : 0), varintField(2, BYTES_PER_CHECKSUM)])
    const info = Buffer.concat([lengthField(1, checksum), varintField(2, chunkOffset)])
    await send(socket, delimited(Buffer.concat([varintField(1, 0), lengthField(4, info)])))
    let seqno = 0
    for (let at = chunkOffset; at < end; at += PACKET) {
      const slice = Buffer.from(data.subarray(at, Math.min(end, at + PACKET)))
      const sums = Buffer.alloc(checksummed ? Math.ceil(slice.length / BYTES_PER_CHECKSUM) * 4 : 0)
      if (checksummed) {
        for (let i = 0; i * BYTES_PER_CHECKSUM < slice.length; i++) {
          sums.writeUInt32BE(
            crc32(
              'crc32c',
              slice,
              i * BYTES_PER_CHECKSUM,
              Math.min(slice.length, (i + 1) * BYTES_PER_CHECKSUM),
            ),
            i * 4,
          )
        }
      }
      const tampered = fake.tamper?.({ read, offsetInBlock: at, data: slice })
      if (tampered === 'drop') socket.destroy()
      if (tampered) return
      await send(socket, packet(at, seqno++, slice, sums))
    }
    await send(socket, packet(end, seqno, Buffer.alloc(0), Buffer.alloc(0)))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.port = (server.address() as { port: number }).port
  return fake
}
