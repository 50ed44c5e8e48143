// The layering rule: a folder is a runtime, and a file may only import what its runtime has.
//
//   src/shared        pure TypeScript: no Node, DOM or Electron module, and nothing from another layer
//   src/main/core     the node: Node modules and portable packages, never Electron
//   src/main/electron the desktop shell: anything
//   src/preload       Electron's renderer-side modules and src/shared, nothing of Node
//   src/renderer      the DOM: no Node module, no Electron, nothing from src/main
//
// Every npm package the code imports is classified below as node, dom, electron or portable, so a
// new dependency has to be placed in a runtime before it can be used (the idea of Signal Desktop's
// file-suffix rule and VS Code's code-layering rule).
import { builtinModules } from 'node:module'
import path from 'node:path'

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

/** @type {Record<string, 'node' | 'dom' | 'electron' | 'portable'>} */
export const packageRuntimes = {
  electron: 'electron',
  // networking and storage that need Node's sockets, files or native addons
  libp2p: 'node',
  '@libp2p/tcp': 'node',
  '@libp2p/mdns': 'node',
  '@libp2p/bootstrap': 'node',
  '@libp2p/pnet': 'node',
  '@libp2p/identify': 'node',
  '@libp2p/ping': 'node',
  '@libp2p/autonat': 'node',
  '@libp2p/circuit-relay-v2': 'node',
  '@libp2p/dcutr': 'node',
  '@libp2p/upnp-nat': 'node',
  '@libp2p/utils': 'node',
  '@libp2p/logger': 'node',
  '@chainsafe/libp2p-noise': 'node',
  '@chainsafe/libp2p-yamux': 'node',
  '@chainsafe/libp2p-gossipsub': 'node',
  '@multiformats/multiaddr': 'node',
  level: 'node',
  'classic-level': 'node',
  'memory-level': 'node',
  'abstract-level': 'node',
  ws: 'node',
  // the UI
  react: 'dom',
  'react-dom': 'dom',
  // pure code that runs everywhere
  '@libp2p/crypto': 'portable',
  '@libp2p/peer-id': 'portable',
  '@libp2p/peer-record': 'portable',
  '@libp2p/interface': 'portable',
  zod: 'portable',
  '@ipld/dag-cbor': 'portable',
  multiformats: 'portable',
  '@noble/hashes': 'portable',
  'it-byte-stream': 'portable',
  'lru-cache': 'portable',
  'fast-check': 'portable',
  // build-time only: scripts/build-samples.ts compiles the sample jobs' WebAssembly text with it
  wabt: 'node',
}

/** The runtimes each layer may import, and the layers it may import from. */
const layers = {
  shared: { runtimes: ['portable'], layers: ['shared'] },
  core: { runtimes: ['portable', 'node'], layers: ['shared', 'core'] },
  electron: { runtimes: ['portable', 'node', 'electron'], layers: ['shared', 'core', 'electron'] },
  preload: { runtimes: ['portable', 'electron'], layers: ['shared', 'preload'] },
  renderer: { runtimes: ['portable', 'dom'], layers: ['shared', 'renderer'] },
}

/** Which layer a file belongs to, from its path relative to the project root; undefined for none. */
export function layerOf(relativePath) {
  const normalized = relativePath.split(path.sep).join('/')
  if (normalized.startsWith('src/shared/')) return 'shared'
  if (normalized.startsWith('src/main/core/')) return 'core'
  if (normalized.startsWith('src/main/electron/')) return 'electron'
  if (normalized.startsWith('src/main/')) return 'core'
  if (normalized.startsWith('src/preload/')) return 'preload'
  if (normalized.startsWith('src/renderer/')) return 'renderer'
  return undefined
}

function packageNameOf(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

function runtimeOf(specifier) {
  if (nodeBuiltins.has(specifier) || specifier.startsWith('node:')) return 'node'
  return packageRuntimes[packageNameOf(specifier)]
}

/** @type {import('eslint').Rule.RuleModule} */
export const codeLayering = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep each source folder to the modules its runtime provides' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      runtime:
        "'{{specifier}}' is a {{runtime}} module; code in the {{layer}} layer may only import {{allowed}} modules.",
      unclassified:
        "'{{specifier}}' is not classified as node, dom, electron or portable; add it to eslint-rules/code-layering.js.",
      layer: "The {{layer}} layer may not import from the {{target}} layer ('{{specifier}}').",
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd
    const filename = context.filename
    const layer = layerOf(path.relative(root, filename))
    if (!layer) return {}
    const allowed = layers[layer]

    function check(node, specifier) {
      if (typeof specifier !== 'string') return
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const target = layerOf(path.relative(root, path.resolve(path.dirname(filename), specifier)))
        if (target && !allowed.layers.includes(target)) {
          context.report({ node, messageId: 'layer', data: { layer, target, specifier } })
        }
        return
      }
      // Vite's query imports (`./worker?worker`) and virtual modules are resolved by the bundler.
      if (specifier.startsWith('virtual:')) return
      const runtime = runtimeOf(specifier)
      if (!runtime) {
        context.report({ node, messageId: 'unclassified', data: { specifier } })
        return
      }
      if (!allowed.runtimes.includes(runtime)) {
        context.report({
          node,
          messageId: 'runtime',
          data: { specifier, runtime, layer, allowed: allowed.runtimes.join(' or ') },
        })
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    }
  },
}

export default { rules: { 'code-layering': codeLayering } }
