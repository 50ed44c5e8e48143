import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { connectPage } from './api/page-client'
import { applyTheme, rememberedTheme } from './lib/theme'

function localStorageOrUndefined(): Storage | undefined {
  try {
    return window.localStorage
  } catch {
    // Reading localStorage throws where storage is disabled; the theme is then not remembered.
    return undefined
  }
}

const themeStorage = localStorageOrUndefined()
const initialTheme = rememberedTheme(themeStorage)
// Before the first render, so the first paint already has the remembered palette.
applyTheme(document.documentElement, initialTheme, themeStorage)

const container = document.getElementById('root')
if (!container) throw new Error('index.html has no element with id "root" to render the app into')

createRoot(container).render(
  <StrictMode>
    <App api={connectPage(window)} initialTheme={initialTheme} themeStorage={themeStorage} />
  </StrictMode>,
)
