/**
 * Helpers shared by the writer's tests: every primitive type with an arbitrary of its internal
 * values, and a file's bytes as the `ArrayBuffer` hyparquet reads. Not exported from the package.
 *
 * @module
 */
import { primitives } from '../spec/test-helpers.js'

/** Every primitive type with its internal values, strings and binaries of up to 24 units. */
export const PRIMITIVES = primitives({ maxLength: 24 })

/** The bytes of a file as an `ArrayBuffer` of their own. */
export const arrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
