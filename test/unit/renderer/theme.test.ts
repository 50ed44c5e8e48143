import { describe, expect, it } from 'vitest'
import { applyTheme, isTheme, rememberedTheme, themeStorageKey } from '../../../src/renderer/src/lib/theme'

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial))
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  }
}

const brokenStorage = {
  getItem(): string | null {
    throw new Error('SecurityError: storage is disabled')
  },
  setItem(): void {
    throw new Error('QuotaExceededError')
  },
}

describe('theme', () => {
  it('knows the three themes of the settings and nothing else', () => {
    expect(['system', 'light', 'dark'].every(isTheme)).toBe(true)
    expect(isTheme('purple')).toBe(false)
    expect(isTheme(undefined)).toBe(false)
  })

  it('starts from the remembered theme, or system when there is none or it is not a theme', () => {
    expect(rememberedTheme(memoryStorage({ [themeStorageKey]: 'dark' }))).toBe('dark')
    expect(rememberedTheme(memoryStorage())).toBe('system')
    expect(rememberedTheme(memoryStorage({ [themeStorageKey]: 'neon' }))).toBe('system')
    expect(rememberedTheme(undefined)).toBe('system')
    expect(rememberedTheme(brokenStorage)).toBe('system')
  })

  it('sets data-theme on the root, which the stylesheet turns into a color-scheme, and remembers it', () => {
    const root = { dataset: {} as Record<string, string | undefined> }
    const storage = memoryStorage()
    applyTheme(root, 'dark', storage)
    expect(root.dataset.theme).toBe('dark')
    expect(storage.items.get(themeStorageKey)).toBe('dark')

    applyTheme(root, 'system', storage)
    expect(root.dataset.theme).toBe('system')
    expect(storage.items.get(themeStorageKey)).toBe('system')
  })

  it('still applies the theme when storage refuses to remember it', () => {
    const root = { dataset: {} as Record<string, string | undefined> }
    applyTheme(root, 'light', brokenStorage)
    expect(root.dataset.theme).toBe('light')
  })
})
