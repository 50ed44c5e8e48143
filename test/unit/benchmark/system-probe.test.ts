import { describe, expect, it } from 'vitest'
import {
  dottedVersionOf,
  osFamilyOf,
  parseOsRelease,
  probeNetworkInterfaces,
  probeSystem,
} from '../../../src/main/core/benchmark/system-probe'
import { SystemResultSchema, NetworkInterfaceSchema } from '../../../src/shared/benchmark/schema'

describe('the system probe', () => {
  it('names OS families as the market does', () => {
    expect(osFamilyOf('linux')).toBe('linux')
    expect(osFamilyOf('win32')).toBe('windows')
    expect(osFamilyOf('darwin')).toBe('macos')
    expect(osFamilyOf('aix')).toBeNull()
  })

  it('takes the dotted numbers a matcher can compare', () => {
    expect(dottedVersionOf('6.1.0-18-amd64')).toBe('6.1.0')
    // The market's versions have no leading zeros; compared as numbers, 22.04 and 22.4 are equal.
    expect(dottedVersionOf('22.04')).toBe('22.4')
    expect(dottedVersionOf('10.0.22631')).toBe('10.0.22631')
    expect(dottedVersionOf('rolling')).toBeNull()
  })

  it('reads /etc/os-release', () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nID=debian\n')).toEqual({
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      VERSION_ID: '12',
      ID: 'debian',
    })
  })

  it('describes this machine in the schema the API carries', async () => {
    expect(SystemResultSchema.safeParse(await probeSystem()).success).toBe(true)
    const interfaces = await probeNetworkInterfaces()
    expect(interfaces.length).toBeGreaterThan(0)
    for (const entry of interfaces) expect(NetworkInterfaceSchema.safeParse(entry).success).toBe(true)
  })
})
