// The committed sample jobs and site are what their sources build to.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildSample, buildSiteBundle, sampleNames, samplesDir } from '../../../scripts/build-samples'

describe('samples', () => {
  for (const name of sampleNames) {
    it(`rebuilding ${name}.wasm gives the committed bytes`, async () => {
      expect(Buffer.from(await buildSample(name))).toEqual(await readFile(join(samplesDir, `${name}.wasm`)))
    })
  }
  it('rebuilding site.tar gives the committed bytes', async () => {
    expect(Buffer.from(await buildSiteBundle(join(samplesDir, 'site')))).toEqual(
      await readFile(join(samplesDir, 'site.tar')),
    )
  })
})
