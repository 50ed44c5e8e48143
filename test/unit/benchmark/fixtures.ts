// A benchmark run as a node would record it, for tests that need figures without running anything.
import type { BenchmarkRun, ComputeFigure } from '../../../src/shared/benchmark/schema'

function figure(gflops: number, workers = 1): ComputeFigure {
  return {
    gflops,
    flops: 40 * 33_554_432,
    seconds: (40 * 33_554_432) / gflops / 1e9,
    multiplies: 40,
    workers,
    matrixSize: 256,
    blockSize: 64,
  }
}

export function sampleRun(overrides: Partial<BenchmarkRun> = {}): BenchmarkRun {
  return {
    runId: 'run-1',
    mode: 'quick',
    startedAt: 1_735_689_600_000,
    measuredAt: 1_735_689_605_000,
    cpu: {
      model: 'Test CPU',
      logicalCores: 8,
      clockMHz: 3000,
      runtime: 'node 22 worker_threads',
      f64Single: figure(2.75),
      f64Multi: figure(16.4, 8),
      f32Single: figure(2.1),
      f32Multi: figure(15.9, 8),
    },
    storage: {
      path: '/data',
      freeBytes: 512.7e9,
      totalBytes: 1e12,
      bytesTested: 8 << 20,
      writeMBps: 812.4,
      readMBps: 2400.9,
    },
    system: {
      os: {
        family: 'linux',
        version: '12',
        name: 'Debian GNU/Linux 12 (bookworm)',
        kernel: '6.1.0-18-amd64',
        arch: 'x64',
      },
      memory: { totalBytes: 16e9, freeBytes: 8e9 },
      hostname: 'test',
    },
    network: {
      interfaces: [],
      peers: [{ peerId: '12D3KooWpeer', uploadMbps: 940.2, downloadMbps: 901.7, bytes: 1 << 20 }],
      failures: [],
    },
    ...overrides,
  }
}
