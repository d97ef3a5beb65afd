import { ValidationError } from '@lake/errors'

/**
 * A partition or sort transform, as the spec names them. Pure data; applying a transform to a
 * value lives in `transforms.ts`.
 */
export type Transform =
  | { readonly kind: 'identity' }
  | { readonly kind: 'bucket'; readonly numBuckets: number }
  | { readonly kind: 'truncate'; readonly width: number }
  | { readonly kind: 'year' }
  | { readonly kind: 'month' }
  | { readonly kind: 'day' }
  | { readonly kind: 'hour' }
  | { readonly kind: 'void' }

const BUCKET = /^bucket\[\s*(\d+)\s*\]$/
const TRUNCATE = /^truncate\[\s*(\d+)\s*\]$/
const SIMPLE = new Set(['identity', 'year', 'month', 'day', 'hour', 'void'])

/** Parses the spec's string form: `identity`, `bucket[16]`, `truncate[4]`, `day`, … */
export function parseTransform(text: string): Transform {
  if (SIMPLE.has(text)) return { kind: text } as Transform
  const bucket = BUCKET.exec(text)
  if (bucket) return { kind: 'bucket', numBuckets: positive(Number(bucket[1]), text) }
  const truncate = TRUNCATE.exec(text)
  if (truncate) return { kind: 'truncate', width: positive(Number(truncate[1]), text) }
  throw new ValidationError(`Unknown transform '${text}'`, { context: { transform: text } })
}

/** The spec's string form of a transform. */
export function transformToString(transform: Transform): string {
  switch (transform.kind) {
    case 'bucket':
      return `bucket[${transform.numBuckets}]`
    case 'truncate':
      return `truncate[${transform.width}]`
    default:
      return transform.kind
  }
}

function positive(n: number, text: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ValidationError(`Transform '${text}' needs a positive integer parameter`, {
      context: { transform: text },
    })
  }
  return n
}
