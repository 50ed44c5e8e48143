// Two headless nodes, as the README starts them, trade with each other through the command line
// (`cyclex order`, `cyclex agreements`), which scripts each node through its local API.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import type { AgreementView } from '../../src/shared/api/market'
import { makeTempDir, removeDir, waitFor } from '../helpers/nodes'
import { api, builtCli, projectRoot, serveNode, type ServedNode } from './harness'

const run = promisify(execFile)
const cyclexBin = join(projectRoot, 'bin', 'cyclex.js')
const nodes: ServedNode[] = []
const dirs: string[] = []

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()))
  await Promise.all(dirs.map(removeDir))
})

async function cyclex(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [cyclexBin, ...args], { cwd: projectRoot, timeout: 20_000 })
  return stdout
}

describe('two headless nodes trading through the command line', () => {
  it('an ask placed on one and a crossing bid on the other become one agreement on both', async () => {
    expect(builtCli).toContain('out')
    const sellerDir = await makeTempDir('cyclex-seller-')
    const buyerDir = await makeTempDir('cyclex-buyer-')
    dirs.push(sellerDir, buyerDir)
    const seller = await serveNode(sellerDir)
    const buyer = await serveNode(buyerDir)
    nodes.push(seller, buyer)

    const sellerStatus = await api<{ listenAddresses: string[] }>(seller, 'node.status', {})
    await api(buyer, 'node.connect', { address: sellerStatus.listenAddresses[0] })
    await waitFor(async () => {
      const [a, b] = await Promise.all([
        api<{ gossipPeers: number }>(seller, 'market.summary', {}),
        api<{ gossipPeers: number }>(buyer, 'market.summary', {}),
      ])
      return a.gossipPeers > 0 && b.gossipPeers > 0
    }, 'the gossip mesh between the two nodes')

    expect(
      await cyclex(
        'order',
        'place',
        '--data',
        sellerDir,
        '--side',
        'ask',
        '--unit',
        'flop',
        '--quantity',
        '500',
        '--price',
        '9',
        '--start',
        'now',
        '--end',
        '+4h',
      ),
    ).toMatch(/^Placed ask /)
    await waitFor(
      async () => (await cyclex('order', 'list', '--data', buyerDir)).includes('ask\tflop\t500\t9\tlive'),
      "the ask in the buyer's book",
    )
    expect(
      await cyclex(
        'order',
        'place',
        '--data',
        buyerDir,
        '--side',
        'bid',
        '--unit',
        'flop',
        '--quantity',
        '200',
        '--price',
        '10',
        '--start',
        '+1m',
        '--end',
        '+1h',
      ),
    ).toMatch(/^Placed bid /)

    const agreementsOf = async (dir: string) =>
      JSON.parse(await cyclex('agreements', '--data', dir, '--json')) as AgreementView[]
    await waitFor(
      async () => (await agreementsOf(sellerDir)).length === 1 && (await agreementsOf(buyerDir)).length === 1,
      'the agreement on both nodes',
      20_000,
    )
    const [onSeller] = await agreementsOf(sellerDir)
    const [onBuyer] = await agreementsOf(buyerDir)
    expect(onSeller).toMatchObject({ role: 'seller', quantity: 200, price: 9, total: '1800' })
    expect(onBuyer).toMatchObject({ id: onSeller!.id, role: 'buyer' })
    expect(await cyclex('order', 'list', '--data', sellerDir, '--mine')).toMatch(/ask\tflop\t300\t9\tlive\tmine/)
  })

  it('says clearly when no node serves the data directory', async () => {
    const empty = await makeTempDir('cyclex-nobody-')
    dirs.push(empty)
    const failure = await run(process.execPath, [cyclexBin, 'order', 'list', '--data', empty], {
      cwd: projectRoot,
    }).catch((error: { code: number; stderr: string }) => error)
    expect(failure).toMatchObject({ code: 2 })
    expect((failure as { stderr: string }).stderr).toContain(`No Cyclex node is serving ${empty}`)
  })
})
