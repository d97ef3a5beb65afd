// Where the dev stack keeps its files, and how a service reads its settings from the
// environment. Every knob is an environment variable so CI and a developer's shell agree.
import { homedir } from 'node:os'
import { join } from 'node:path'

/** Downloaded jars and distributions, shared by every data dir. */
export function cacheDir(env = process.env) {
  return env.LAKE_STACK_CACHE ?? join(homedir(), '.cache', 'lake-stack')
}

/** Configuration, data, logs and pid files of the running services. */
export function stackDir(env = process.env) {
  return env.LAKE_STACK_DIR ?? join(cacheDir(env), 'data')
}

/**
 * A TCP port from the environment, or the default.
 * @param {string} name
 * @param {number} fallback
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {number}
 */
export function port(name, fallback, env = process.env) {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new StackError(`${name}=${raw} is not a TCP port (1-65535)`)
  }
  return value
}

/** An error meant for the person at the terminal: printed without a stack trace. */
export class StackError extends Error {
  /** @override */
  name = 'StackError'
}
