import { mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AlreadyExistsError, NotFoundError } from '@lake/errors'
import { beforeEach, describe, expect, it } from 'vitest'
import { LocalFileIO, toFileUri, toPath } from './local.js'
import { ResolvingFileIO, schemeOf } from './resolve.js'

let dir: string
const io = new LocalFileIO()
const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-io-'))
})

describe('LocalFileIO', () => {
  it('writes, reads whole files, ranges and streams', async () => {
    const uri = toFileUri(join(dir, 'a/b/c.txt'))
    await io.write(uri, bytes('hello world'))
    expect(text(await io.read(uri))).toBe('hello world')
    expect(text(await io.readRange(uri, 6, 5))).toBe('world')
    expect(text(await io.readRange(uri, 6, 100))).toBe('world')
    const parts: string[] = []
    for await (const chunk of io.readStream(uri, { offset: 2, length: 3 })) parts.push(text(chunk))
    expect(parts.join('')).toBe('llo')
    const buffer = await io.open(uri)
    expect(buffer.byteLength).toBe(11)
    expect(text(new Uint8Array(await buffer.slice(0, 5)))).toBe('hello')
    expect((await io.stat(uri)).length).toBe(11)
  })

  it('writes a stream of chunks', async () => {
    const path = join(dir, 'stream.bin')
    async function* gen() {
      for (let i = 0; i < 100; i++) yield bytes(`${i},`)
    }
    await io.write(path, gen())
    expect(text(await io.read(path)).split(',').length).toBe(101)
  })

  it('refuses to create over an existing file unless told to overwrite', async () => {
    const path = join(dir, 'x')
    await io.write(path, bytes('1'))
    await expect(io.write(path, bytes('2'))).rejects.toBeInstanceOf(AlreadyExistsError)
    expect(text(await io.read(path))).toBe('1')
    await io.write(path, bytes('3'), { overwrite: true })
    expect(text(await io.read(path))).toBe('3')
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('lets exactly one of many racing writers win a rename-if-absent', async () => {
    const target = join(dir, 'v2.metadata.json')
    const sources = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const source = join(dir, `candidate-${i}.json`)
        await io.write(source, bytes(String(i)))
        return source
      }),
    )
    const results = await Promise.all(sources.map((s) => io.renameIfAbsent(s, target)))
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = results.indexOf(true)
    expect(text(await io.read(target))).toBe(String(winner))
    expect(await io.exists(sources[winner]!)).toBe(false)
  })

  it('reports a missing file as NotFoundError naming it', async () => {
    const path = join(dir, 'missing')
    await expect(io.read(path)).rejects.toBeInstanceOf(NotFoundError)
    await expect(io.read(path)).rejects.toMatchObject({ context: { file: path } })
    expect(await io.exists(path)).toBe(false)
    await io.delete(path)
  })

  it('lists a directory in name order and deletes recursively', async () => {
    await io.write(join(dir, 'd/b'), bytes('bb'))
    await io.write(join(dir, 'd/a'), bytes('a'))
    await io.mkdirs(join(dir, 'd/sub'))
    const listed = []
    for await (const s of io.list(join(dir, 'd')))
      listed.push([s.location.slice(dir.length), s.isDirectory, s.length])
    expect(listed).toEqual([
      ['/d/a', false, 1],
      ['/d/b', false, 2],
      ['/d/sub', true, 0],
    ])
    await io.delete(join(dir, 'd'), { recursive: true })
    expect(await io.exists(join(dir, 'd'))).toBe(false)
  })

  it('accepts both file URI forms', () => {
    expect(toPath('file:/tmp/a b')).toBe('/tmp/a b')
    expect(toPath('file:///tmp/x')).toBe('/tmp/x')
    expect(toPath('file://localhost/tmp/x')).toBe('/tmp/x')
    expect(toFileUri('/tmp/a b')).toBe('file:/tmp/a b')
    expect(toPath(toFileUri('/tmp/a b'))).toBe('/tmp/a b')
  })

  it('takes a location literally, as Hadoop does: percent signs are part of the name', () => {
    expect(toPath('file:/w/data/k=a+b%2Fc/f.parquet')).toBe('/w/data/k=a+b%2Fc/f.parquet')
    expect(toPath('file:///w/x%41')).toBe('/w/x%41')
    expect(() => toPath('file://namenode/w')).toThrow(/Not a local location/)
    expect(() => toPath('file:relative')).toThrow(/Not a local location/)
  })
})

describe('ResolvingFileIO', () => {
  it('picks the backend by scheme and refuses unknown schemes', async () => {
    const resolving = new ResolvingFileIO()
    await resolving.write(toFileUri(join(dir, 'f')), bytes('x'))
    expect(await resolving.exists(join(dir, 'f'))).toBe(true)
    expect(() => resolving.backendFor('s3://bucket/key')).toThrow(/No FileIO for scheme 's3'/)
    expect(schemeOf('HDFS://nn:8020/a')).toBe('hdfs')
    expect(() => schemeOf('relative/path')).toThrow(/neither a URI nor an absolute path/)
  })
})
