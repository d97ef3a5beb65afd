/**
 * The session state Trino's protocol keeps on the client: each response may set or clear the
 * catalog, schema, path, session properties, roles, prepared statements, the transaction and
 * the authorization user, and every later request of the same client carries them, as
 * Trino's own clients (CLI, JDBC) do.
 */
import type { IncomingHttpHeaders } from 'node:http'

/** A snapshot of a client's session, as sent with its next request. */
export interface SessionState {
  catalog?: string
  schema?: string
  path?: string
  timeZone?: string
  /** The user queries run as after `SET SESSION AUTHORIZATION`. */
  authorizationUser?: string
  properties: Record<string, string>
  /** Roles by catalog (`system` for system roles), as `ROLE{name}`, `ALL` or `NONE`. */
  roles: Record<string, string>
  /** Prepared statements by name. */
  preparedStatements: Record<string, string>
  /** The open transaction, if any. */
  transactionId?: string
}

const enc = encodeURIComponent

/** Mutable session state plus the request headers it makes. */
export class Session {
  constructor(private state: SessionState) {}

  snapshot(): SessionState {
    return structuredClone(this.state)
  }

  /** The `X-Trino-*` headers that carry this session on a request. */
  headers(): Record<string, string> {
    const s = this.state
    const headers: Record<string, string> = {}
    if (s.catalog !== undefined) headers['X-Trino-Catalog'] = s.catalog
    if (s.schema !== undefined) headers['X-Trino-Schema'] = s.schema
    if (s.path !== undefined) headers['X-Trino-Path'] = s.path
    if (s.timeZone !== undefined) headers['X-Trino-Time-Zone'] = s.timeZone
    if (s.authorizationUser !== undefined) headers['X-Trino-Authorization-User'] = s.authorizationUser
    const properties = Object.entries(s.properties).map(([k, v]) => `${k}=${enc(v)}`)
    if (properties.length > 0) headers['X-Trino-Session'] = properties.join(',')
    const roles = Object.entries(s.roles).map(([k, v]) => `${k}=${enc(v)}`)
    if (roles.length > 0) headers['X-Trino-Role'] = roles.join(',')
    const prepared = Object.entries(s.preparedStatements).map(([k, v]) => `${enc(k)}=${enc(v)}`)
    if (prepared.length > 0) headers['X-Trino-Prepared-Statement'] = prepared.join(',')
    // `NONE` tells Trino this client supports transactions (START TRANSACTION is refused otherwise).
    headers['X-Trino-Transaction-Id'] = s.transactionId ?? 'NONE'
    return headers
  }

  /** Applies the `X-Trino-Set-*`/`Clear-*` headers of one response. */
  apply(headers: IncomingHttpHeaders): void {
    const s = this.state
    const one = (name: string): string | undefined => {
      const value = headers[name]
      return Array.isArray(value) ? value[value.length - 1] : value
    }
    const many = (name: string): string[] => {
      const value = headers[name]
      if (value === undefined) return []
      return (Array.isArray(value) ? value : [value])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean)
    }
    const pairs = (name: string): [string, string][] =>
      many(name).map((item) => {
        const eq = item.indexOf('=')
        return [formDecode(item.slice(0, eq).trim()), formDecode(item.slice(eq + 1).trim())]
      })

    const catalog = one('x-trino-set-catalog')
    if (catalog !== undefined) s.catalog = catalog
    const schema = one('x-trino-set-schema')
    if (schema !== undefined) s.schema = schema
    const path = one('x-trino-set-path')
    if (path !== undefined) s.path = path
    const user = one('x-trino-set-authorization-user')
    if (user !== undefined) s.authorizationUser = user
    if (one('x-trino-reset-authorization-user') !== undefined) delete s.authorizationUser
    for (const [k, v] of pairs('x-trino-set-session')) s.properties[k] = v
    for (const k of many('x-trino-clear-session')) delete s.properties[k]
    for (const [k, v] of pairs('x-trino-set-role')) s.roles[k] = v
    for (const [k, v] of pairs('x-trino-added-prepare')) s.preparedStatements[k] = v
    for (const k of many('x-trino-deallocated-prepare')) delete s.preparedStatements[formDecode(k)]
    const started = one('x-trino-started-transaction-id')
    if (started !== undefined) s.transactionId = started
    if (one('x-trino-clear-transaction-id') !== undefined) delete s.transactionId
  }
}

/** Trino encodes header values as HTML forms do: `+` is a space. */
function formDecode(text: string): string {
  return decodeURIComponent(text.replaceAll('+', ' '))
}
