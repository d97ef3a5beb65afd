// Processes the stack starts: Java located and checked, ports checked, daemons spawned
// detached with their output in one log folder, and pid files so `down` stops only them.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { StackError } from './env.mjs'

/**
 * The `java` to run, from `LAKE_STACK_JAVA`, `JAVA_HOME` or the PATH; at least `minimum`.
 * @param {number} minimum
 * @returns {{ path: string, version: number }}
 */
export function findJava(minimum, env = process.env) {
  const path = env.LAKE_STACK_JAVA ?? (env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java')
  const result = spawnSync(path, ['-XshowSettings:properties', '-version'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) {
    throw new StackError(
      `Java ${minimum}+ is needed but '${path}' cannot be run (${result.error?.message ?? `exit ${result.status}`}). ` +
        'Install a JDK (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME or LAKE_STACK_JAVA.',
    )
  }
  const match = /java\.specification\.version = (\d+)(?:\.(\d+))?/.exec(result.stderr)
  const version = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : 0
  if (version < minimum) {
    throw new StackError(
      `Java ${minimum}+ is needed but '${path}' is Java ${version}. Set JAVA_HOME or LAKE_STACK_JAVA.`,
    )
  }
  return { path, version }
}

/** Whether `mvn` can be run; the jars are resolved with it. */
export function findMaven(env = process.env) {
  const path = env.LAKE_STACK_MVN ?? 'mvn'
  const result = spawnSync(path, ['-v'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) {
    throw new StackError(
      `Maven is needed to fetch the service jars from Maven Central but '${path}' cannot be run. ` +
        'Install it (apt-get install maven) or set LAKE_STACK_MVN.',
    )
  }
  return path
}

/**
 * Whether a TCP port on 127.0.0.1 is free to listen on.
 * @param {number} port
 * @returns {Promise<boolean>}
 */
export function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/**
 * Fails with the name of the variable to change when a port is taken.
 * @param {Array<{ name: string, port: number }>} ports
 */
export async function checkPortsFree(ports) {
  for (const { name, port } of ports) {
    if (!(await portFree(port))) {
      throw new StackError(
        `Port ${port} (${name}) on 127.0.0.1 is in use by another process. Stop it, or set ${name} to a free port.`,
      )
    }
  }
}

/**
 * A daemon of the stack: one process, its pid file and its log file.
 * @typedef {{ name: string, mainClass: string, pidFile: string, logFile: string }} Daemon
 */

/**
 * The pid of a daemon when its pid file names a live process that is still that daemon
 * (its command line names the main class), so a reused pid is never taken for ours.
 * @param {Daemon} daemon
 * @returns {number | undefined}
 */
export function runningPid(daemon) {
  let pid
  try {
    pid = Number(readFileSync(daemon.pidFile, 'utf8').trim())
  } catch {
    return undefined
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
  } catch {
    return undefined
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (!cmdline.includes(daemon.mainClass)) return undefined
  } catch {
    // No /proc (macOS): the live pid is taken on trust.
  }
  return pid
}

/**
 * Starts a daemon detached, its stdout and stderr appended to its log file.
 * @param {Daemon} daemon
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv }} options
 * @returns {number}
 */
export function startDaemon(daemon, command, args, options) {
  mkdirSync(join(daemon.logFile, '..'), { recursive: true })
  mkdirSync(join(daemon.pidFile, '..'), { recursive: true })
  const log = openSync(daemon.logFile, 'a')
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    })
    if (child.pid === undefined) throw new StackError(`Could not start ${daemon.name} (${command})`)
    writeFileSync(daemon.pidFile, `${child.pid}\n`)
    child.unref()
    return child.pid
  } finally {
    closeSync(log)
  }
}

/**
 * Stops a daemon started by the stack: SIGTERM, then SIGKILL after `graceMs`.
 * @param {Daemon} daemon
 * @returns {Promise<boolean>} whether a process was stopped
 */
export async function stopDaemon(daemon, graceMs = 15_000) {
  const pid = runningPid(daemon)
  if (pid === undefined) {
    rmSync(daemon.pidFile, { force: true })
    return false
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline && alive(pid)) await sleep(100)
  if (alive(pid)) process.kill(pid, 'SIGKILL')
  while (alive(pid)) await sleep(50)
  rmSync(daemon.pidFile, { force: true })
  return true
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Polls `probe` until it resolves, the way every service's health check waits: each round first
 * checks that the service's daemons are still alive (a daemon that exited fails at once, with
 * the end of its log), then runs the probe; a probe that throws is retried after `intervalMs`.
 * @param {{
 *   what: string,
 *   daemons: Daemon[],
 *   probe: () => Promise<void>,
 *   timeoutMs: number,
 *   intervalMs?: number,
 *   logLines?: number,
 * }} options
 * @returns {Promise<void>}
 */
export async function waitUntilHealthy({ what, daemons, probe, timeoutMs, intervalMs = 250, logLines = 15 }) {
  const deadline = Date.now() + timeoutMs
  let last = /** @type {unknown} */ (undefined)
  while (Date.now() < deadline) {
    for (const daemon of daemons) {
      if (!runningPid(daemon)) {
        throw new StackError(`${daemon.name} exited while starting. Its log ends:\n${tail(daemon.logFile)}`)
      }
    }
    try {
      await probe()
      return
    } catch (error) {
      last = error
    }
    await sleep(intervalMs)
  }
  const logs = daemons.map((daemon) => `--- ${daemon.logFile}\n${tail(daemon.logFile, logLines)}`).join('\n')
  throw new StackError(
    `${what} did not become healthy within ${timeoutMs} ms (last error: ${last instanceof Error ? last.message : String(last)}).\n${logs}`,
  )
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * The last `lines` lines of a file, or '' when there is none.
 * @param {string} file
 */
export function tail(file, lines = 30) {
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(-lines - 1)
    .join('\n')
}
