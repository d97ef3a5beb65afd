import { describe, expect, it } from 'vitest'
import {
  decodeBlockOpResponse,
  decodeBlockToken,
  decodePacketHeader,
  encodeClientReadStatus,
  encodeReadBlock,
  readDelimitedLength,
  Status,
} from './data-transfer.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const ascii = (text: string) => Buffer.from(text).toString('hex')

describe('encodeReadBlock', () => {
  it('writes version 28, op 81 and the length-delimited OpReadBlockProto, field by field', () => {
    const bytes = encodeReadBlock({
      block: { poolId: 'BP-1', blockId: 1073741825, generationStamp: 1001, numBytes: 300 },
      clientName: 'c',
      offset: 0,
      length: 300,
    })
    // ExtendedBlockProto: 1 poolId "BP-1", 2 blockId 1073741825 (varint 81 80 80 80 04),
    // 3 generationStamp 1001 (e9 07), 4 numBytes 300 (ac 02).
    const block = `0a04${ascii('BP-1')}10818080800418e90720ac02`
    // BaseHeaderProto { 1 block }, ClientOperationHeaderProto { 1 baseHeader, 2 clientName "c" }.
    const base = `0a${(block.length / 2).toString(16).padStart(2, '0')}${block}`
    const header = `0a${(base.length / 2).toString(16).padStart(2, '0')}${base}12${'01'}${ascii('c')}`
    // OpReadBlockProto { 1 header, 2 offset 0, 3 len 300, 4 sendChecksums true }.
    const op = `0a${(header.length / 2).toString(16).padStart(2, '0')}${header}1000${'18ac02'}2001`
    expect(hex(bytes)).toBe(`001c51${(op.length / 2).toString(16).padStart(2, '0')}${op}`)
  })

  it('carries a block token and an offset past 2^32, and can leave the checksums out', () => {
    const bytes = encodeReadBlock({
      block: { poolId: 'p', blockId: 2 ** 40, generationStamp: 1, numBytes: 0 },
      token: {
        identifier: new Uint8Array([1, 2]),
        password: new Uint8Array([3]),
        kind: 'HDFS_BLOCK_TOKEN',
        service: '',
      },
      clientName: 'c',
      offset: 2 ** 33,
      length: 1,
      sendChecksums: false,
    })
    const text = hex(bytes)
    // TokenProto { 1 identifier 01 02, 2 password 03, 3 kind, 4 service "" } as BaseHeaderProto's field 2.
    expect(text).toContain(
      `12${(4 + 3 + 2 + 16 + 2).toString(16)}0a0201021201031a10${ascii('HDFS_BLOCK_TOKEN')}2200`,
    )
    // blockId 2^40 and offset 2^33 as varints.
    expect(text).toContain('10808080808020')
    expect(text).toContain('108080808020')
    expect(text.endsWith('18012000')).toBe(true)
  })

  it('refuses values a uint64 varint of a safe integer cannot carry', () => {
    const request = {
      block: { poolId: 'p', blockId: -1, generationStamp: 1, numBytes: 0 },
      clientName: 'c',
      offset: 0,
      length: 1,
    }
    expect(() => encodeReadBlock(request)).toThrow(RangeError)
  })
})

describe('decodeBlockOpResponse', () => {
  it('reads the status, the checksum type and size and the chunk offset, skipping fields it does not use', () => {
    // status SUCCESS, firstBadLink "x" (skipped), readOpChecksumInfo { checksum { CRC32C, 512 }, chunkOffset 1024 },
    // an unknown fixed32 field 9, shortCircuitAccessVersion 1.
    const info = '0a0508021080041080 08'.replace(/ /g, '')
    const bytes = Buffer.from(
      `08001201${ascii('x')}22${(info.length / 2).toString(16).padStart(2, '0')}${info}4d010203043001`,
      'hex',
    )
    expect(decodeBlockOpResponse(bytes)).toEqual({
      status: 0,
      checksumType: 2,
      bytesPerChecksum: 512,
      chunkOffset: 1024,
    })
  })

  it('reads an error status with its message', () => {
    const message = 'Replica not found'
    const bytes = Buffer.from(`08012a${message.length.toString(16)}${ascii(message)}`, 'hex')
    expect(decodeBlockOpResponse(bytes)).toEqual({ status: 1, message })
  })

  it('refuses a response without a status or cut short', () => {
    expect(() => decodeBlockOpResponse(Buffer.from('2a0178', 'hex'))).toThrow(/without a status/)
    expect(() => decodeBlockOpResponse(Buffer.from('08002a05', 'hex'))).toThrow(RangeError)
  })
})

describe('decodePacketHeader', () => {
  it('reads the fixed-width fields of PacketHeaderProto', () => {
    const header = Buffer.alloc(25)
    header.writeUInt8(0x09, 0) // 1: offsetInBlock, sfixed64
    header.writeBigInt64LE(65536n, 1)
    header.writeUInt8(0x11, 9) // 2: seqno, sfixed64
    header.writeBigInt64LE(3n, 10)
    header.writeUInt8(0x18, 18) // 3: lastPacketInBlock
    header.writeUInt8(0, 19)
    header.writeUInt8(0x25, 20) // 4: dataLen, sfixed32
    header.writeInt32LE(65024, 21)
    expect(decodePacketHeader(header)).toEqual({
      offsetInBlock: 65536,
      seqno: 3,
      lastPacketInBlock: false,
      dataLen: 65024,
    })
    expect(() => decodePacketHeader(header.subarray(0, 20))).toThrow(/without its offset or data length/)
  })
})

describe('decodeBlockToken', () => {
  it('is undefined for the empty token of a cluster without block tokens', () => {
    expect(decodeBlockToken('AAAAAA')).toBeUndefined()
  })

  it('reads a Writable token with one-byte and multi-byte vint lengths', () => {
    const identifier = Buffer.alloc(200, 7)
    // WritableUtils.writeVInt(200): -113 (one length byte follows), then 200.
    const writable = Buffer.concat([
      Buffer.from([0x8f, 200]),
      identifier,
      Buffer.from([2, 9, 9]),
      Buffer.from([16]),
      Buffer.from('HDFS_BLOCK_TOKEN'),
      Buffer.from([3]),
      Buffer.from('svc'),
    ])
    const token = decodeBlockToken(writable.toString('base64url'))
    expect(token).toEqual({
      identifier: new Uint8Array(identifier),
      password: new Uint8Array([9, 9]),
      kind: 'HDFS_BLOCK_TOKEN',
      service: 'svc',
    })
    expect(() => decodeBlockToken(writable.subarray(0, 50).toString('base64url'))).toThrow(RangeError)
  })
})

describe('length prefixes and the closing status', () => {
  it('reads a varint length prefix, or says it is not complete yet', () => {
    expect(readDelimitedLength(Buffer.from('ac02ff', 'hex'), 0, 3)).toEqual({ length: 300, size: 2 })
    expect(readDelimitedLength(Buffer.from('ac', 'hex'), 0, 1)).toBeUndefined()
    expect(() => readDelimitedLength(Buffer.from('ffffffffff', 'hex'), 0, 5)).toThrow(RangeError)
  })

  it('sends CHECKSUM_OK as a length-delimited ClientReadStatusProto', () => {
    expect(hex(encodeClientReadStatus(Status.CHECKSUM_OK))).toBe('020806')
  })
})
