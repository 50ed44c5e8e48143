import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { checkEntryPath, unpackBundle } from '../../../src/main/core/delivery/site-bundle'
import { defaultDeliveryPolicy } from '../../../src/shared/api/delivery'
import { policyRefusal, type MachineState } from '../../../src/shared/delivery/policy'
import { checkJobModule, prepareJobModule } from '../../../src/shared/delivery/wasm-module'
import { tarOf } from '../../../scripts/build-samples'
import { hostileModule } from './fixtures/hostile'

const html = new TextEncoder().encode('<html></html>')

describe('site bundles', () => {
  it('unpacks a tar and a tar.gz into memory', () => {
    const tar = tarOf([
      { path: 'index.html', bytes: html },
      { path: 'a/b.css', bytes: new Uint8Array(3) },
    ])
    for (const bytes of [tar, new Uint8Array(gzipSync(tar))])
      expect([...unpackBundle(bytes).keys()]).toEqual(['index.html', 'a/b.css'])
  })

  it.each([
    ['../x.html', /path traversal/],
    ['a/../../x.html', /path traversal/],
    ['/etc/passwd', /absolute/],
    ['C:/x.html', /absolute/],
    ['a\\b.html', /backslash/],
    ['a//b.html', /empty/],
  ])('refuses the entry name %s', (name, reason) => {
    expect(() => checkEntryPath(name)).toThrow(reason)
  })

  it('refuses links, too many files and too many bytes', () => {
    expect(() =>
      unpackBundle(
        tarOf([
          { path: 'index.html', bytes: html },
          { path: 'l', bytes: new Uint8Array(), type: '1', linkTarget: 'index.html' },
        ]),
      ),
    ).toThrow(/hard link/)
    const many = Array.from({ length: 4 }, (_, index) => ({ path: `${index}.html`, bytes: html }))
    expect(() => unpackBundle(tarOf(many), { maxFiles: 3, maxTotalBytes: 1e6, maxRatio: 100 })).toThrow(
      /more than 3 files/,
    )
    expect(() => unpackBundle(tarOf(many), { maxFiles: 10, maxTotalBytes: 20, maxRatio: 100 })).toThrow(
      /more than 20 bytes/,
    )
  })

  it('refuses a damaged tar and a bundle without a page', () => {
    const tar = tarOf([{ path: 'index.html', bytes: html }])
    tar[10] = 0x41
    expect(() => unpackBundle(tar)).toThrow(/checksum/)
    expect(() => unpackBundle(tarOf([{ path: 'a.css', bytes: html }]))).toThrow(/no HTML page/)
  })
})

describe('job modules', () => {
  it('refuses imports beyond WASI and caps the memory', async () => {
    expect(() => checkJobModule(new Uint8Array([1, 2, 3]))).toThrow(/not a WebAssembly module/)
    await expect(hostileModule('foreignImport').then(checkJobModule)).rejects.toThrow(/env\.system/)
    const prepared = prepareJobModule(await hostileModule('memoryBomb'), {
      instrument: false,
      maxMemoryPages: 2,
      maxTableEntries: 10,
    })
    const memory = new WebAssembly.Module(prepared.bytes as Uint8Array<ArrayBuffer>)
    expect(WebAssembly.Module.exports(memory).map((entry) => entry.name)).toContain('memory')
    const instance = new WebAssembly.Instance(memory)
    const grow = instance.exports.memory as WebAssembly.Memory
    expect(() => grow.grow(2)).toThrow(RangeError)
  })
})

describe('seller policy', () => {
  const idle: MachineState = { hour: 12, loadPerCore: 0.1, idleSeconds: null, onAcPower: null }
  it('allows an idle machine on unknown power at any hour', () => {
    expect(policyRefusal(defaultDeliveryPolicy, idle)).toBeNull()
  })
  it('refuses when busy, on battery, outside the hours or disabled, saying which', () => {
    expect(policyRefusal(defaultDeliveryPolicy, { ...idle, loadPerCore: 1.5 })).toMatch(/load is 1.50 per core/)
    expect(policyRefusal(defaultDeliveryPolicy, { ...idle, idleSeconds: 5 })).toMatch(/someone is using it/)
    expect(policyRefusal({ ...defaultDeliveryPolicy, requireIdle: false }, { ...idle, loadPerCore: 1.5 })).toBeNull()
    expect(policyRefusal(defaultDeliveryPolicy, { ...idle, onAcPower: false })).toMatch(/battery/)
    expect(policyRefusal({ ...defaultDeliveryPolicy, hours: { start: 22, end: 6 } }, idle)).toMatch(
      /from 22:00 to 6:00/,
    )
    expect(policyRefusal({ ...defaultDeliveryPolicy, hours: { start: 22, end: 6 } }, { ...idle, hour: 23 })).toBeNull()
    expect(policyRefusal({ ...defaultDeliveryPolicy, enabled: false }, idle)).toMatch(/not lending/)
  })
})
