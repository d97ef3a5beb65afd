// The services of the dev stack, in start order. Kafka and Trino join this list; each one
// is an object with the same five operations, so the CLI never branches on a service.
import { hdfs } from './hdfs.mjs'
import { kafka } from './kafka.mjs'
import { rest } from './rest.mjs'
import { s3 } from './s3.mjs'
import { trino } from './trino.mjs'

/**
 * @typedef {object} Service
 * @property {string} name
 * @property {string[]} [requires] the services `up` starts first (by name)
 * @property {() => string} describe
 * @property {(env?: NodeJS.ProcessEnv) => string[]} logFiles
 * @property {(env?: NodeJS.ProcessEnv, log?: (message: string) => void) => Promise<void>} up
 *   Starts what is not running and waits until the service really answers. Idempotent.
 * @property {(env?: NodeJS.ProcessEnv, log?: (message: string) => void) => Promise<void>} down
 *   Stops the processes this stack started (by pid file), nothing else.
 * @property {(env?: NodeJS.ProcessEnv) => Promise<{ healthy: boolean, lines: string[] }>} status
 */

/** @type {Service[]} */
export const services = [hdfs, kafka, rest, s3, trino]

/** What `up` of these services starts, with what they require, in start order. */
export function withRequirements(/** @type {Service[]} */ selected) {
  const names = new Set()
  const add = (/** @type {Service} */ service) => {
    for (const name of service.requires ?? []) {
      const required = services.find((s) => s.name === name)
      if (required) add(required)
    }
    names.add(service.name)
  }
  for (const service of selected) add(service)
  return services.filter((service) => names.has(service.name))
}
