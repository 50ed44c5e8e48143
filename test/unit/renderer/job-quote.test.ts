// What the Deals page tells a buyer: before running, how the seller would charge the job; the name a
// job's output is downloaded under; how often a site's seller signs receipts.
import { describe, expect, it } from 'vitest'
import { meteringText } from '../../../src/renderer/src/delivery/metering-text'
import { outputFileName } from '../../../src/renderer/src/delivery/OutputView'
import { receiptCadenceText } from '../../../src/renderer/src/delivery/SitePanel'

describe("the job form's charging terms", () => {
  it('says a counted job is charged its counted FLOP, whatever the CPU time', () => {
    expect(meteringText({ metering: 'counted', reason: null, rateMflops: 557, marginPercent: 10 })).toMatch(
      /^Charged by its counted FLOP: .* charges the count \(rounded down to whole MFLOP\), whatever the CPU time\.$/,
    )
  })

  it("says a job the seller cannot count is charged by CPU time at the seller's rate, and why", () => {
    expect(
      meteringText({
        metering: 'cpu',
        reason: 'opcode 0xfd (SIMD, exceptions, GC or unknown) is not instrumented',
        rateMflops: 1_557,
        marginPercent: 10,
      }),
    ).toBe(
      "Charged by CPU time at the seller's benchmarked rate of 1,557 MFLOPS, because the seller cannot count this program's FLOP (opcode 0xfd (SIMD, exceptions, GC or unknown) is not instrumented).",
    )
  })
})

describe("the downloaded output's file name", () => {
  it("is the program's name and an extension for what the output holds", () => {
    expect(outputFileName('pi', new TextEncoder().encode('pi=3.14\n'))).toBe('pi-output.txt')
    expect(outputFileName('mandelbrot', new TextEncoder().encode('P5 1 1 255\n\u0000'))).toBe('mandelbrot-output.pgm')
    expect(outputFileName('my job.wasm', Uint8Array.of(0xff, 0xfe, 0x00))).toBe('my-job-output.bin')
    expect(outputFileName('../../etc/passwd', new Uint8Array())).toBe('etc-passwd-output.txt')
  })
})

describe("the receipt cadence a site's buyer is told", () => {
  it('is the number the seller states, not "every few views"', () => {
    expect(receiptCadenceText(100)).toBe('signed every 100 views and at the end')
    expect(receiptCadenceText(1)).toBe('signed for every view')
    expect(receiptCadenceText(undefined)).toBe('signed now and then and at the end')
  })
})
