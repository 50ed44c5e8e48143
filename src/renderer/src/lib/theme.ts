// The theme setting applied to the page. The stylesheet defines every colour with light-dark() and
// sets the root's color-scheme from its data-theme attribute: 'system' allows both schemes, so the
// browser follows prefers-color-scheme; 'light' and 'dark' pin one.
//
// The last theme applied is also kept in localStorage, so the next start paints in the right
// colours before the node has answered settings.get.
import { themes, type Settings } from '../../../shared/api/contract'

export type Theme = Settings['theme']

export const themeStorageKey = 'cyclex.theme'

export function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (themes as readonly string[]).includes(value)
}

interface ThemeStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** The theme remembered from the last session; 'system' when none was or the value is not a theme. */
export function rememberedTheme(storage: ThemeStorage | undefined): Theme {
  try {
    const value = storage?.getItem(themeStorageKey)
    return isTheme(value) ? value : 'system'
  } catch {
    // Storage can be disabled; the theme then starts as 'system' until settings arrive.
    return 'system'
  }
}

/** Apply `theme` to the document root and remember it for the next start. */
export function applyTheme(
  root: { dataset: Record<string, string | undefined> },
  theme: Theme,
  storage: ThemeStorage | undefined,
): void {
  root.dataset.theme = theme
  try {
    storage?.setItem(themeStorageKey, theme)
  } catch {
    // Not remembering only costs a flash of the other palette at the next start.
  }
}
