import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

// Node 22 is the oldest runtime the node code meets: the headless node runs on it, and Electron
// bundles a newer one.
const nodeTarget = 'node22'

export default defineConfig({
  main: {
    build: {
      target: nodeTarget,
      rollupOptions: {
        input: {
          // the desktop shell's main process
          electron: resolve(import.meta.dirname, 'src/main/electron/main.ts'),
          // `cyclex` on the command line: serve (headless), and the later subcommands
          cli: resolve(import.meta.dirname, 'src/main/core/cli.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      target: nodeTarget,
      rollupOptions: {
        input: { preload: resolve(import.meta.dirname, 'src/preload/preload.ts') },
        // A sandboxed preload runs as a classic script: CommonJS, one file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: resolve(import.meta.dirname, 'src/renderer/index.html') },
    },
    plugins: [react()],
  },
})
