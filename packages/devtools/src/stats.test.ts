import { describe, expect, it } from 'vitest'
import { median, percentile } from './stats.js'

describe('median and percentile', () => {
  it('take the middle value, or the mean of the middle two, whatever the order given', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([7])).toBe(7)
  })

  it('take the nearest rank', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i) // 200 … 1
    expect(percentile(values, 50)).toBe(100)
    expect(percentile(values, 99)).toBe(198)
    expect(percentile(values, 100)).toBe(200)
    expect(percentile(values, 0)).toBe(1)
    expect(percentile([3, 1, 2], 50)).toBe(2)
  })
})
