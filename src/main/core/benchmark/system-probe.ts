// The system stage: operating system (family in the market's terms, version as dotted numbers the
// matcher can compare), CPU, memory and network interfaces with their link speed where the OS
// reports it.
import { readFile } from 'node:fs/promises'
import {
  arch,
  availableParallelism,
  cpus,
  freemem,
  hostname,
  networkInterfaces,
  platform,
  release,
  totalmem,
  type as osType,
} from 'node:os'
import type { OsFamily } from '../../../shared/market/facts'
import type { NetworkInterface, SystemResult } from '../../../shared/benchmark/schema'

export function osFamilyOf(nodePlatform: NodeJS.Platform): OsFamily | null {
  switch (nodePlatform) {
    case 'linux':
      return 'linux'
    case 'win32':
      return 'windows'
    case 'darwin':
      return 'macos'
    case 'freebsd':
      return 'freebsd'
    case 'android':
      return 'android'
    default:
      return null
  }
}

/** The leading dotted numbers of a version string: `6.1.0-18-amd64` -> `6.1.0`. */
export function dottedVersionOf(text: string): string | null {
  const match = /^(\d+)(\.\d+){0,3}/.exec(text.trim())
  return match
    ? match[0]
        .split('.')
        .map((part) => String(Number(part)))
        .join('.')
    : null
}

/** `KEY=value` lines of /etc/os-release, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim())
    if (match) fields[match[1] as string] = (match[2] as string).replace(/^["']|["']$/g, '')
  }
  return fields
}

async function describeOs(): Promise<SystemResult['os']> {
  const nodePlatform = platform()
  const kernel = release()
  const base = { family: osFamilyOf(nodePlatform), kernel, arch: arch() }
  if (nodePlatform === 'linux') {
    try {
      const fields = parseOsRelease(await readFile('/etc/os-release', 'utf8'))
      // The distribution's version (Debian 12, Ubuntu 22.04) is what a buyer asks for, not the kernel's.
      const version = dottedVersionOf(fields.VERSION_ID ?? '') ?? dottedVersionOf(kernel)
      return { ...base, version, name: fields.PRETTY_NAME ?? `Linux ${kernel}` }
    } catch {
      return { ...base, version: dottedVersionOf(kernel), name: `Linux ${kernel}` }
    }
  }
  if (nodePlatform === 'darwin') {
    // Darwin 20 is macOS 11, and each major release since adds one to both.
    const darwinMajor = Number(kernel.split('.')[0])
    const version = darwinMajor >= 20 ? String(darwinMajor - 9) : null
    return { ...base, version, name: version ? `macOS ${version}` : `Darwin ${kernel}` }
  }
  return { ...base, version: dottedVersionOf(kernel), name: `${osType()} ${kernel}` }
}

export async function probeSystem(): Promise<SystemResult> {
  return {
    os: await describeOs(),
    memory: { totalBytes: totalmem(), freeBytes: freemem() },
    hostname: hostname(),
  }
}

export function describeCpu(): { model: string; logicalCores: number; clockMHz: number } {
  const first = cpus()[0]
  return {
    model: first?.model.trim() || 'unknown',
    logicalCores: availableParallelism(),
    clockMHz: Math.max(0, Math.round(first?.speed ?? 0)),
  }
}

/** Linux reports a link's speed in Mbit/s; -1 or an error means down, virtual or unknown. */
async function linkSpeedMbps(name: string): Promise<number | null> {
  if (platform() !== 'linux' || !/^[\w.-]+$/.test(name)) return null
  try {
    const speed = Number((await readFile(`/sys/class/net/${name}/speed`, 'utf8')).trim())
    return Number.isInteger(speed) && speed > 0 ? speed : null
  } catch {
    return null
  }
}

export async function probeNetworkInterfaces(): Promise<NetworkInterface[]> {
  const entries = Object.entries(networkInterfaces())
  return Promise.all(
    entries.map(async ([name, infos = []]) => {
      const mac = infos.find((info) => info.mac && info.mac !== '00:00:00:00:00:00')?.mac ?? null
      return {
        name,
        internal: infos.every((info) => info.internal),
        mac,
        addresses: infos.map((info) => ({ address: info.address, family: info.family })),
        linkSpeedMbps: await linkSpeedMbps(name),
      }
    }),
  )
}
