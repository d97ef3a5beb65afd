/**
 * PyIceberg as a baseline: catalog-pyiceberg.py run in a subprocess with the interop harness's
 * virtualenv (`packages/interop/setup.sh` creates it). Without it, each measurement says why it
 * was not taken instead of failing the suite.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const script = join(here, 'catalog-pyiceberg.py')
const venvPython = resolve(here, '../../interop/.venv/bin/python')

/** The interpreter: `LAKE_BENCH_PYTHON` if set, else the interop virtualenv's, if it exists. */
export function pyicebergPython(): { python: string } | { missing: string } {
  const python = process.env.LAKE_BENCH_PYTHON ?? venvPython
  if (existsSync(python)) return { python }
  return {
    missing:
      'PyIceberg not measured: packages/interop/.venv does not exist (run `sh packages/interop/setup.sh`)',
  }
}

/** A PyIceberg measurement, or why there is none. */
export type PyResult<T> = { ok: true; value: T & { version: string } } | { ok: false; reason: string }

/** Runs one command of catalog-pyiceberg.py and parses the JSON it prints. */
export function pyiceberg<T>(args: readonly (string | number)[]): Promise<PyResult<T>> {
  const found = pyicebergPython()
  if ('missing' in found) return Promise.resolve({ ok: false, reason: found.missing })
  return new Promise((done) => {
    const child = spawn(found.python, [script, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk
    })
    child.on('error', (error) => done({ ok: false, reason: `PyIceberg not measured: ${error.message}` }))
    child.on('close', (code) => {
      if (code === 0) {
        try {
          done({ ok: true, value: JSON.parse(out.trim().split('\n').at(-1)!) })
          return
        } catch {}
      }
      const last = err.trim().split('\n').at(-1) ?? `exit ${code}`
      done({ ok: false, reason: `PyIceberg not measured: ${args[0]} failed (${last.slice(0, 160)})` })
    })
  })
}
