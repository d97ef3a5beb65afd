/**
 * The messages of HDFS's data-transfer protocol that reading a block needs: the `READ_BLOCK`
 * request, the DataNode's answer, the header of each data packet and the client's closing
 * status. Pure code (protobuf encoding by hand, no I/O); the socket side is `block-reader.ts`.
 *
 * The layout, from Hadoop's `datatransfer.proto` and `DataTransferProtocol`:
 *
 * ```text
 * client → DataNode   u16 version (28), u8 op (81 = READ_BLOCK), varint length, OpReadBlockProto
 * DataNode → client   varint length, BlockOpResponseProto (status, checksum type, chunk offset)
 *                     packets: u32 PLEN, u16 HLEN, PacketHeaderProto, checksums, data
 *                     (PLEN = 4 + checksum bytes + data bytes; the last packet has no data)
 * client → DataNode   varint length, ClientReadStatusProto (CHECKSUM_OK once all was verified)
 * ```
 *
 * @module
 */

/** `DataTransferProtocol.DATA_TRANSFER_VERSION` of Hadoop 2.x and 3.x. */
export const DATA_TRANSFER_VERSION = 28
/** The op code of `READ_BLOCK`. */
export const OP_READ_BLOCK = 81

/** `Status` of `datatransfer.proto` (the values this client names). */
export const Status = {
  SUCCESS: 0,
  ERROR: 1,
  ERROR_CHECKSUM: 2,
  ERROR_INVALID: 3,
  ERROR_ACCESS_TOKEN: 5,
  CHECKSUM_OK: 6,
} as const

/** `ChecksumTypeProto` of `hdfs.proto`. */
export const ChecksumType = { NULL: 0, CRC32: 1, CRC32C: 2 } as const

/** `ExtendedBlockProto`: a block of a block pool. */
export interface ExtendedBlock {
  poolId: string
  blockId: number
  generationStamp: number
  numBytes: number
}

/** `hadoop.common.TokenProto`: a block access token (all fields empty when tokens are off). */
export interface BlockToken {
  identifier: Uint8Array
  password: Uint8Array
  kind: string
  service: string
}

/** What {@link encodeReadBlock} sends. */
export interface ReadBlockRequest {
  block: ExtendedBlock
  token?: BlockToken
  clientName: string
  /** Offset in the block of the first byte wanted. */
  offset: number
  /** Bytes wanted from `offset`. */
  length: number
  /** Ask the DataNode for the checksums (default true). */
  sendChecksums?: boolean
}

/** `BlockOpResponseProto`, the fields a read uses. */
export interface BlockOpResponse {
  status: number
  message?: string
  /** `ChecksumTypeProto` of the block, when the status is `SUCCESS`. */
  checksumType?: number
  bytesPerChecksum?: number
  /** Where in the block the first packet starts: `offset` rounded down to a checksum chunk. */
  chunkOffset?: number
}

/** `PacketHeaderProto`. */
export interface PacketHeader {
  offsetInBlock: number
  seqno: number
  lastPacketInBlock: boolean
  dataLen: number
}

// ------------------------------------------------------------------------------- encoding

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

/** A growable buffer of protobuf fields. */
class ProtoWriter {
  #bytes = new Uint8Array(128)
  #length = 0

  #room(n: number): void {
    if (this.#length + n <= this.#bytes.length) return
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + n))
    grown.set(this.#bytes.subarray(0, this.#length))
    this.#bytes = grown
  }

  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`Not a uint64 this encoder takes: ${value}`)
    this.#room(10)
    let v = value
    while (v >= 0x80) {
      this.#bytes[this.#length++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.#bytes[this.#length++] = v
    return this
  }

  raw(bytes: Uint8Array): this {
    this.#room(bytes.length)
    this.#bytes.set(bytes, this.#length)
    this.#length += bytes.length
    return this
  }

  /** A varint field (uint64, bool, enum). */
  uint(field: number, value: number): this {
    return this.varint(field << 3).varint(value)
  }

  /** A length-delimited field (bytes, string, embedded message). */
  bytes(field: number, value: Uint8Array): this {
    return this.varint((field << 3) | 2)
      .varint(value.length)
      .raw(value)
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value))
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length)
  }
}

/**
 * The whole `READ_BLOCK` request as sent on a new connection: version, op code and the
 * length-delimited `OpReadBlockProto`.
 */
export function encodeReadBlock(request: ReadBlockRequest): Uint8Array {
  const { block } = request
  const extendedBlock = new ProtoWriter()
    .string(1, block.poolId)
    .uint(2, block.blockId)
    .uint(3, block.generationStamp)
    .uint(4, block.numBytes)
    .finish()
  const baseHeader = new ProtoWriter().bytes(1, extendedBlock)
  if (request.token) {
    const token = request.token
    baseHeader.bytes(
      2,
      new ProtoWriter()
        .bytes(1, token.identifier)
        .bytes(2, token.password)
        .string(3, token.kind)
        .string(4, token.service)
        .finish(),
    )
  }
  const header = new ProtoWriter().bytes(1, baseHeader.finish()).string(2, request.clientName).finish()
  const op = new ProtoWriter()
    .bytes(1, header)
    .uint(2, request.offset)
    .uint(3, request.length)
    .uint(4, request.sendChecksums === false ? 0 : 1)
    .finish()
  return new ProtoWriter()
    .raw(new Uint8Array([DATA_TRANSFER_VERSION >> 8, DATA_TRANSFER_VERSION & 0xff, OP_READ_BLOCK]))
    .varint(op.length)
    .raw(op)
    .finish()
}

/** The length-delimited `ClientReadStatusProto` a reader sends after the last packet. */
export function encodeClientReadStatus(status: number): Uint8Array {
  const message = new ProtoWriter().uint(1, status).finish()
  return new ProtoWriter().varint(message.length).raw(message).finish()
}

/**
 * A block token from WebHDFS's JSON (`blockToken.urlString`): Hadoop's `Token` in its Writable
 * form (vint-prefixed identifier and password, then kind and service as `Text`), base64url.
 * `undefined` for the empty token a cluster without block tokens hands out.
 */
export function decodeBlockToken(urlString: string): BlockToken | undefined {
  const bytes = new Uint8Array(Buffer.from(urlString, 'base64url'))
  const reader = { at: 0 }
  const identifier = readWritableBytes(bytes, reader)
  const password = readWritableBytes(bytes, reader)
  const kind = textDecoder.decode(readWritableBytes(bytes, reader))
  const service = textDecoder.decode(readWritableBytes(bytes, reader))
  if (identifier.length === 0 && password.length === 0 && kind === '' && service === '') return undefined
  return { identifier, password, kind, service }
}

/** A length as `WritableUtils.writeVInt` writes it, then that many bytes. */
function readWritableBytes(bytes: Uint8Array, reader: { at: number }): Uint8Array {
  if (reader.at >= bytes.length) throw new RangeError('The block token ends early')
  const first = (bytes[reader.at++]! << 24) >> 24
  let length: number
  if (first >= -112) {
    length = first
  } else {
    const negative = first < -120
    const size = negative ? -(first + 120) : -(first + 112)
    if (reader.at + size > bytes.length) throw new RangeError('The block token ends early')
    length = 0
    for (let i = 0; i < size; i++) length = length * 256 + bytes[reader.at++]!
    if (negative) length = -length - 1
  }
  if (length < 0 || reader.at + length > bytes.length) throw new RangeError('A malformed block token')
  const value = bytes.slice(reader.at, reader.at + length)
  reader.at += length
  return value
}

// ------------------------------------------------------------------------------- decoding

/** Reads protobuf fields of one message. */
class ProtoReader {
  at: number
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.at = start
  }

  varint(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new RangeError('A protobuf varint runs past its message')
      const byte = this.bytes[this.at++]!
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 0x80
    }
    throw new RangeError('A protobuf varint longer than 10 bytes')
  }

  /** The next field's number and wire type, or `undefined` at the end. */
  tag(): { field: number; wire: number } | undefined {
    if (this.at >= this.end) return undefined
    const key = this.varint()
    return { field: Math.floor(key / 8), wire: key % 8 }
  }

  /** A length-delimited field's bounds. */
  delimited(): { start: number; end: number } {
    const length = this.varint()
    const start = this.at
    if (start + length > this.end) throw new RangeError('A protobuf field runs past its message')
    this.at += length
    return { start, end: this.at }
  }

  fixed64(): number {
    if (this.at + 8 > this.end) throw new RangeError('A protobuf fixed64 runs past its message')
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 8)
    this.at += 8
    return Number(view.getBigInt64(0, true))
  }

  fixed32(): number {
    if (this.at + 4 > this.end) throw new RangeError('A protobuf fixed32 runs past its message')
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 4)
    this.at += 4
    return view.getInt32(0, true)
  }

  skip(wire: number): void {
    if (wire === 0) this.varint()
    else if (wire === 1) this.at += 8
    else if (wire === 2) this.delimited()
    else if (wire === 5) this.at += 4
    else throw new RangeError(`A protobuf wire type this reader does not know: ${wire}`)
    if (this.at > this.end) throw new RangeError('A protobuf field runs past its message')
  }

  string(): string {
    const { start, end } = this.delimited()
    return textDecoder.decode(this.bytes.subarray(start, end))
  }
}

/**
 * The length prefix of a length-delimited message at `start`: `{ length, size }` (size: bytes
 * of the prefix), or `undefined` when the prefix is not complete yet.
 */
export function readDelimitedLength(
  bytes: Uint8Array,
  start: number,
  end: number,
): { length: number; size: number } | undefined {
  let value = 0
  let scale = 1
  for (let at = start; at < end && at - start < 5; at++) {
    const byte = bytes[at]!
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return { length: value, size: at - start + 1 }
    scale *= 0x80
  }
  if (end - start >= 5) throw new RangeError('A message length prefix longer than 5 bytes')
  return undefined
}

/** Decodes a `BlockOpResponseProto` (without its length prefix). */
export function decodeBlockOpResponse(bytes: Uint8Array, start = 0, end = bytes.length): BlockOpResponse {
  const reader = new ProtoReader(bytes, start, end)
  const response: BlockOpResponse = { status: -1 }
  for (let tag = reader.tag(); tag; tag = reader.tag()) {
    if (tag.field === 1 && tag.wire === 0) response.status = reader.varint()
    else if (tag.field === 5 && tag.wire === 2) response.message = reader.string()
    else if (tag.field === 4 && tag.wire === 2) {
      const info = reader.delimited()
      const infoReader = new ProtoReader(bytes, info.start, info.end)
      for (let t = infoReader.tag(); t; t = infoReader.tag()) {
        if (t.field === 1 && t.wire === 2) {
          const checksum = infoReader.delimited()
          const checksumReader = new ProtoReader(bytes, checksum.start, checksum.end)
          for (let c = checksumReader.tag(); c; c = checksumReader.tag()) {
            if (c.field === 1 && c.wire === 0) response.checksumType = checksumReader.varint()
            else if (c.field === 2 && c.wire === 0) response.bytesPerChecksum = checksumReader.varint()
            else checksumReader.skip(c.wire)
          }
        } else if (t.field === 2 && t.wire === 0) response.chunkOffset = infoReader.varint()
        else infoReader.skip(t.wire)
      }
    } else reader.skip(tag.wire)
  }
  if (response.status < 0) throw new RangeError('A block operation response without a status')
  return response
}

/** Decodes a `PacketHeaderProto`. */
export function decodePacketHeader(bytes: Uint8Array, start = 0, end = bytes.length): PacketHeader {
  const reader = new ProtoReader(bytes, start, end)
  const header: PacketHeader = { offsetInBlock: -1, seqno: -1, lastPacketInBlock: false, dataLen: -1 }
  for (let tag = reader.tag(); tag; tag = reader.tag()) {
    if (tag.field === 1 && tag.wire === 1) header.offsetInBlock = reader.fixed64()
    else if (tag.field === 2 && tag.wire === 1) header.seqno = reader.fixed64()
    else if (tag.field === 3 && tag.wire === 0) header.lastPacketInBlock = reader.varint() !== 0
    else if (tag.field === 4 && tag.wire === 5) header.dataLen = reader.fixed32()
    else reader.skip(tag.wire)
  }
  if (header.offsetInBlock < 0 || header.dataLen < 0) {
    throw new RangeError('A packet header without its offset or data length')
  }
  return header
}
