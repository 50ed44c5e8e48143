import type { Rule } from 'eslint'

export const packageRuntimes: Record<string, 'node' | 'dom' | 'electron' | 'portable'>
export function layerOf(relativePath: string): 'shared' | 'core' | 'electron' | 'preload' | 'renderer' | undefined
export const codeLayering: Rule.RuleModule
declare const plugin: { rules: Record<string, Rule.RuleModule> }
export default plugin
