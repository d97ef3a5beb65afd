import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { waitUntilHealthy } from '../src/process.mjs'

/** A daemon record whose pid file names this test's own process (its command line names node). */
function liveDaemon(dir: string) {
  const daemon = {
    name: 'probe',
    mainClass: 'node',
    pidFile: join(dir, 'probe.pid'),
    logFile: join(dir, 'probe.log'),
  }
  writeFileSync(daemon.pidFile, `${process.pid}\n`)
  writeFileSync(daemon.logFile, 'starting\nlast line of the log\n')
  return daemon
}

describe('waitUntilHealthy', () => {
  it('retries a failing probe until it answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-stack-'))
    let calls = 0
    await waitUntilHealthy({
      what: 'probe',
      daemons: [liveDaemon(dir)],
      timeoutMs: 10_000,
      intervalMs: 1,
      probe: async () => {
        calls += 1
        if (calls < 3) throw new Error('not yet')
      },
    })
    expect(calls).toBe(3)
  })

  it('fails at once, with the end of its log, when a daemon is not running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-stack-'))
    const daemon = liveDaemon(dir)
    writeFileSync(daemon.pidFile, '999999999\n')
    let calls = 0
    const wait = waitUntilHealthy({
      what: 'probe',
      daemons: [daemon],
      timeoutMs: 10_000,
      probe: async () => {
        calls += 1
      },
    })
    await expect(wait).rejects.toThrow(/probe exited while starting[\s\S]*last line of the log/)
    expect(calls).toBe(0)
  })

  it('names the last error and the log once the time is up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-stack-'))
    const wait = waitUntilHealthy({
      what: 'The probe',
      daemons: [liveDaemon(dir)],
      timeoutMs: 50,
      intervalMs: 5,
      probe: async () => {
        throw new Error('connection refused')
      },
    })
    await expect(wait).rejects.toThrow(
      /The probe did not become healthy within 50 ms \(last error: connection refused\)[\s\S]*last line of the log/,
    )
  })
})
