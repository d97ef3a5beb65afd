/**
 * Reads a range of one HDFS block straight from a DataNode's transfer port with the
 * data-transfer protocol's `READ_BLOCK`, as Hadoop's Java client does, instead of through
 * WebHDFS (where the DataNode reads the block with a client of its own and re-sends it over
 * HTTP: docs/decisions/0002).
 *
 * The socket reads into one reused buffer (`onread`). Each packet's data is copied into a
 * pooled chunk (`chunk-queue.ts`), its CRC-32C checksums (one per 512 bytes by default) are
 * verified there (`crc32.ts`), and only then is the part of it that was asked for
 * handed to the consumer: an unverified byte is never seen. After the last packet the client
 * sends `CHECKSUM_OK` (or `SUCCESS` when checksums were not asked for), as the DataNode expects.
 *
 * Plain connections only: a DataNode that requires SASL on data transfer
 * (`dfs.data.transfer.protection`, Kerberos clusters) closes the connection, which the caller
 * sees as `ECONNRESET`. Failures are errors with a `code`: Node's system codes for the socket
 * (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`), `EBLOCKSTATUS` when the DataNode refuses the read
 * (with its `status` and message), `ECHECKSUM` when a checksum does not match, and `EPROTO` when
 * the answer does not follow the protocol.
 *
 * @module
 */
import { connect, type Socket } from 'node:net'
import { ChunkQueue } from './chunk-queue.js'
import { type NativeCrc, verifyCrc32 } from './crc32.js'
import {
  type BlockOpResponse,
  type BlockToken,
  ChecksumType,
  decodeBlockOpResponse,
  decodePacketHeader,
  type ExtendedBlock,
  encodeClientReadStatus,
  encodeReadBlock,
  readDelimitedLength,
  Status,
} from './data-transfer.js'

/** What {@link readBlock} reads, from where. */
export interface BlockReadOptions {
  /** The DataNode's address and transfer port (`xferPort`). */
  host: string
  port: number
  block: ExtendedBlock
  /** The block token the NameNode handed out, if block tokens are on. */
  token?: BlockToken
  /** Offset in the block of the first byte wanted. */
  offset: number
  /** Bytes wanted; the block must hold them. */
  length: number
  /** Named in the DataNode's logs. */
  clientName: string
  /** Verify each packet against the block's checksums (default true). */
  verifyChecksums?: boolean
  /** The CPU's CRC instructions to verify with (`crc32-native.ts`); else WebAssembly. */
  nativeCrc?: NativeCrc
  /** Longest silence allowed on the socket, in ms. */
  idleTimeoutMs?: number
  /** Longest wait for the connection to be accepted, in ms (default: `idleTimeoutMs`). */
  connectTimeoutMs?: number
  /** Destroys the connection; a pending or later read rejects with the signal's reason. */
  signal?: AbortSignal
  /** Size of the pooled chunks. Default 1 MiB. */
  chunkSize?: number
  /** Bytes waiting for the consumer at which the socket is paused. Default 2 MiB. */
  highWaterMark?: number
}

/** An error with a `code` (and, for `EBLOCKSTATUS`, the DataNode's `status`). */
export type BlockReadError = Error & { code: string; status?: number }

function fault(message: string, code: string, status?: number): BlockReadError {
  return Object.assign(new Error(message), { code }, status === undefined ? {} : { status })
}

/** Socket reads land here: 256 KiB takes a few packets a read (64 KiB cost 40% more system time). */
const SOCKET_BUFFER = 256 * 1024
const MiB = 1024 * 1024
/** Largest packet part kept whole in the scratch buffer (a header, or a packet's checksums). */
const MAX_SCRATCH = 1024 * 1024

/**
 * Streams `length` bytes from `offset` of a block. Each chunk is valid until the next is
 * requested (its memory is then reused): copy what you keep. Leaving the loop early closes
 * the connection.
 *
 * @example
 * ```ts
 * for await (const chunk of readBlock({ host, port: 9866, block, offset: 0, length: block.numBytes, clientName: 'lake' }))
 *   hash.update(chunk)
 * ```
 */
export function readBlock(options: BlockReadOptions): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => {
      if (options.signal?.aborted) {
        const reason = options.signal.reason
        return { next: () => Promise.reject(reason) }
      }
      return new BlockConnection(options).iterator()
    },
  }
}

type State = 'response' | 'prefix' | 'header' | 'checksums' | 'data' | 'done'

/** One `READ_BLOCK` on its own connection. */
class BlockConnection {
  readonly #options: BlockReadOptions
  readonly #socket: Socket
  readonly #queue: ChunkQueue
  readonly #chunkSize: number
  readonly #verify: boolean
  readonly #end: number

  #state: State = 'response'
  /** The part being collected (response, packet prefix, header, checksums) and its length. */
  #scratch = new Uint8Array(1024)
  #scratchLength = 0
  /** Bytes the current part needs in all (0: not known yet, for the response's prefix). */
  #need = 0

  #checksumType: number = ChecksumType.NULL
  #bytesPerChecksum = 512
  /** Of the packet being read: its data length, its place in the block, and in the chunk. */
  #dataLen = 0
  #checksumLen = 0
  #packetOffset = 0
  #dataAt = 0
  #dataLeft = 0
  #lastPacket = false
  #checksums = new Uint8Array(0)
  /** The next byte of the block expected, to check packets come in order. */
  #expected = -1
  /** How far into the block the consumer has been given data. */
  #delivered: number

  constructor(options: BlockReadOptions) {
    this.#options = options
    this.#chunkSize = options.chunkSize ?? MiB
    this.#verify = options.verifyChecksums !== false
    this.#delivered = options.offset
    this.#end = options.offset + options.length
    this.#queue = new ChunkQueue({
      highWaterMark: options.highWaterMark ?? 2 * MiB,
      resume: () => this.#socket.resume(),
      eager: false,
    })
    this.#socket = connect({
      host: options.host,
      port: options.port,
      onread: { buffer: Buffer.allocUnsafeSlow(SOCKET_BUFFER), callback: this.#onRead },
    })
    this.#socket.setNoDelay(true)
    this.#socket.write(
      encodeReadBlock({
        block: options.block,
        ...(options.token ? { token: options.token } : {}),
        clientName: options.clientName,
        offset: options.offset,
        length: options.length,
        sendChecksums: this.#verify,
      }),
    )
    this.#socket.on('error', (error) => this.#fail(error))
    this.#socket.on('close', this.#onClose)
    // One silence limit: connecting, then between answers.
    let limit = options.connectTimeoutMs ?? options.idleTimeoutMs
    this.#socket.on('timeout', () =>
      this.#fail(
        fault(`No answer from DataNode ${options.host}:${options.port} within ${limit} ms`, 'ETIMEDOUT'),
      ),
    )
    if (limit !== undefined) this.#socket.setTimeout(limit)
    this.#socket.once('connect', () => {
      limit = options.idleTimeoutMs
      this.#socket.setTimeout(limit ?? 0)
    })
    options.signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  iterator(): AsyncIterator<Uint8Array> {
    return this.#queue.iterator(() => this.#close())
  }

  readonly #onAbort = () => this.#fail(this.#options.signal!.reason)

  readonly #onClose = () => {
    if (this.#state === 'done' || this.#queue.closed) return
    this.#fail(
      fault(
        `DataNode ${this.#options.host}:${this.#options.port} closed the connection before the end of block ${this.#options.block.blockId}`,
        'ECONNRESET',
      ),
    )
  }

  readonly #onRead = (length: number, buffer: Buffer): boolean => {
    try {
      this.#parse(buffer, length)
    } catch (error) {
      this.#fail(error)
      return false
    }
    return this.#queue.afterRead(this.#state === 'done')
  }

  #parse(buffer: Buffer, end: number): void {
    let at = 0
    while (at < end && this.#state !== 'done') {
      if (this.#state === 'data') {
        const take = Math.min(end - at, this.#dataLeft)
        this.#queue.write(buffer, at, take)
        at += take
        this.#dataLeft -= take
        if (this.#dataLeft === 0) this.#onPacketData()
        continue
      }
      at = this.#collect(buffer, at, end)
    }
  }

  /** Collects the bytes of a small part into the scratch buffer; handles it once complete. */
  #collect(buffer: Buffer, at: number, end: number): number {
    if (this.#state === 'response' && this.#need === 0) {
      // The response's length prefix decides how much to collect.
      const take = Math.min(end - at, 5 - this.#scratchLength)
      this.#scratch.set(buffer.subarray(at, at + take), this.#scratchLength)
      this.#scratchLength += take
      const prefix = readDelimitedLength(this.#scratch, 0, this.#scratchLength)
      if (!prefix) return at + take
      this.#need = prefix.size + prefix.length
      this.#room(this.#need)
      // Bytes past the prefix taken now belong to the response (or beyond it): give back the surplus.
      const surplus = Math.max(0, this.#scratchLength - this.#need)
      this.#scratchLength -= surplus
      at += take - surplus
      if (this.#scratchLength < this.#need) return at
      this.#onPart()
      return at
    }
    const take = Math.min(end - at, this.#need - this.#scratchLength)
    this.#scratch.set(buffer.subarray(at, at + take), this.#scratchLength)
    this.#scratchLength += take
    if (this.#scratchLength === this.#need) this.#onPart()
    return at + take
  }

  #room(size: number): void {
    if (size > MAX_SCRATCH) throw fault(`A data-transfer message of ${size} bytes`, 'EPROTO')
    if (this.#scratch.length < size) {
      const grown = new Uint8Array(Math.max(size, this.#scratch.length * 2))
      grown.set(this.#scratch.subarray(0, this.#scratchLength))
      this.#scratch = grown
    }
  }

  /** Starts collecting the next part, of `need` bytes. */
  #next(state: State, need: number): void {
    this.#state = state
    this.#need = need
    this.#scratchLength = 0
    this.#room(need)
  }

  /** A complete response, packet prefix, header or checksums is in the scratch buffer. */
  #onPart(): void {
    const scratch = this.#scratch
    switch (this.#state) {
      case 'response': {
        const prefix = readDelimitedLength(scratch, 0, this.#scratchLength)!
        this.#onResponse(decodeBlockOpResponse(scratch, prefix.size, this.#need))
        this.#next('prefix', 6)
        return
      }
      case 'prefix': {
        const payloadLength =
          ((scratch[0]! << 24) | (scratch[1]! << 16) | (scratch[2]! << 8) | scratch[3]!) >>> 0
        const headerLength = (scratch[4]! << 8) | scratch[5]!
        this.#checksumLen = payloadLength - 4 // data length is subtracted once the header says it
        this.#next('header', headerLength)
        return
      }
      case 'header': {
        const header = decodePacketHeader(scratch, 0, this.#scratchLength)
        this.#dataLen = header.dataLen
        this.#packetOffset = header.offsetInBlock
        this.#lastPacket = header.lastPacketInBlock
        this.#checksumLen -= header.dataLen
        this.#checkPacket()
        this.#next('checksums', this.#checksumLen)
        if (this.#checksumLen === 0) this.#onChecksums()
        return
      }
      case 'checksums':
        this.#onChecksums()
        return
      default:
        return
    }
  }

  #onResponse(response: BlockOpResponse): void {
    const { block, host, port } = this.#options
    if (response.status !== Status.SUCCESS) {
      throw fault(
        `DataNode ${host}:${port} refused to read block ${block.blockId}: status ${response.status}${response.message ? `, ${response.message}` : ''}`,
        'EBLOCKSTATUS',
        response.status,
      )
    }
    this.#checksumType = response.checksumType ?? ChecksumType.NULL
    this.#bytesPerChecksum = response.bytesPerChecksum ?? 512
    this.#expected = response.chunkOffset ?? this.#options.offset
    if (this.#expected > this.#options.offset || this.#bytesPerChecksum <= 0) {
      throw fault(
        `DataNode ${host}:${port} answered block ${block.blockId} from offset ${this.#expected} for ${this.#options.offset}`,
        'EPROTO',
      )
    }
    if (this.#verify && this.#checksumType !== ChecksumType.NULL) {
      if (this.#checksumType !== ChecksumType.CRC32C && this.#checksumType !== ChecksumType.CRC32) {
        throw fault(
          `Block ${block.blockId} has a checksum type this reader does not know: ${this.#checksumType}`,
          'EPROTO',
        )
      }
    }
  }

  /** Checks a packet header against what the stream so far allows. */
  #checkPacket(): void {
    const { block } = this.#options
    if (this.#packetOffset !== this.#expected || this.#dataLen < 0 || this.#checksumLen < 0) {
      throw fault(
        `A packet of block ${block.blockId} out of order or malformed: offset ${this.#packetOffset} (expected ${this.#expected}), ${this.#dataLen} data bytes, ${this.#checksumLen} checksum bytes`,
        'EPROTO',
      )
    }
    if (this.#verify && this.#checksumType !== ChecksumType.NULL && this.#dataLen > 0) {
      const pieces = Math.ceil(this.#dataLen / this.#bytesPerChecksum)
      if (this.#checksumLen !== pieces * 4) {
        throw fault(
          `A packet of block ${block.blockId} with ${this.#checksumLen} checksum bytes for ${this.#dataLen} data bytes`,
          'EPROTO',
        )
      }
    }
  }

  #onChecksums(): void {
    // The checksums are kept apart: the scratch buffer takes the next packet's prefix meanwhile.
    if (this.#checksums.length < this.#checksumLen) this.#checksums = new Uint8Array(this.#scratch.length)
    this.#checksums.set(this.#scratch.subarray(0, this.#checksumLen))
    if (this.#dataLen === 0) {
      this.#onPacketData()
      return
    }
    const queue = this.#queue
    if (queue.room < this.#dataLen) queue.start(Math.max(this.#chunkSize, this.#dataLen))
    this.#dataAt = queue.filled
    this.#dataLeft = this.#dataLen
    this.#state = 'data'
  }

  /** A packet's data is in the chunk: verify it, then publish what was asked for. */
  #onPacketData(): void {
    const queue = this.#queue
    if (this.#dataLen > 0) {
      if (this.#verify && this.#checksumType !== ChecksumType.NULL) this.#verifyPacket(queue.bytes!)
      const from = Math.max(this.#delivered, this.#packetOffset)
      const to = Math.min(this.#end, this.#packetOffset + this.#dataLen)
      if (to > from) {
        queue.publish(this.#dataAt + (from - this.#packetOffset), this.#dataAt + (to - this.#packetOffset))
        this.#delivered = to
      }
      this.#expected = this.#packetOffset + this.#dataLen
    }
    if (this.#lastPacket || this.#dataLen === 0) {
      this.#onLastPacket()
      return
    }
    this.#next('prefix', 6)
  }

  #verifyPacket(bytes: Uint8Array): void {
    const start = this.#dataAt
    const end = start + this.#dataLen
    const perChecksum = this.#bytesPerChecksum
    const kind = this.#checksumType === ChecksumType.CRC32C ? 'crc32c' : 'crc32'
    const bad = verifyCrc32(kind, bytes, start, end, perChecksum, this.#checksums, 0, this.#options.nativeCrc)
    if (bad >= 0) {
      const { block, host, port } = this.#options
      throw fault(
        `Checksum mismatch in block ${block.blockId} at offset ${this.#packetOffset + bad * perChecksum}, read from DataNode ${host}:${port}`,
        'ECHECKSUM',
      )
    }
  }

  #onLastPacket(): void {
    const { block, host, port } = this.#options
    if (this.#delivered < this.#end) {
      throw fault(
        `DataNode ${host}:${port} ended block ${block.blockId} at offset ${this.#delivered}, before ${this.#end}`,
        'EPROTO',
      )
    }
    this.#state = 'done'
    const verified = this.#verify && this.#checksumType !== ChecksumType.NULL
    // The DataNode waits for this status before it closes its side.
    this.#socket.end(encodeClientReadStatus(verified ? Status.CHECKSUM_OK : Status.SUCCESS))
    this.#options.signal?.removeEventListener('abort', this.#onAbort)
    this.#socket.setTimeout(0)
    this.#queue.end()
  }

  #fail(error: unknown): void {
    if (this.#queue.closed) return
    this.#queue.fail(error ?? fault('The connection failed', 'ECONNRESET'))
    this.#disconnect()
  }

  #close(): void {
    this.#queue.close()
    this.#disconnect()
  }

  #disconnect(): void {
    this.#options.signal?.removeEventListener('abort', this.#onAbort)
    this.#socket.setTimeout(0)
    this.#socket.destroy()
  }
}
