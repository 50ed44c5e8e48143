// What the minimal profile says of this machine when it has run no benchmark (docs/members.md): its
// cores, its OS, its data volume's free space and its network interfaces, each left out when unknown.
import { availableParallelism } from 'node:os'
import { statfs } from 'node:fs/promises'
import type { ProfileRecord, SystemFacts } from '../../../shared/benchmark/profile'
import { probeNetworkInterfaces, probeSystem } from '../benchmark/system-probe'

export async function probeSystemFacts(
  dataDir: string,
): Promise<{ facts: SystemFacts; network: ProfileRecord['network'] }> {
  const facts: SystemFacts = { cores: availableParallelism() }
  let network: ProfileRecord['network']
  try {
    const system = await probeSystem()
    facts.os = { family: system.os.family, version: system.os.version }
  } catch {
    // Without the OS the profile says nothing of it.
  }
  try {
    const volume = await statfs(dataDir)
    facts.storageFreeBytes = volume.bavail * volume.bsize
  } catch {
    // Likewise for the storage figure.
  }
  try {
    const external = (await probeNetworkInterfaces()).filter((networkInterface) => !networkInterface.internal)
    const speeds = external
      .map((networkInterface) => networkInterface.linkSpeedMbps)
      .filter((speed): speed is number => speed !== null)
    network = { interfaces: external.length, ...(speeds.length > 0 ? { linkSpeedMbps: Math.max(...speeds) } : {}) }
  } catch {
    network = undefined
  }
  return { facts, network }
}
