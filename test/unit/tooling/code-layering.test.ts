// The layering rule fails the lint when a folder imports what its runtime does not have.
import { join } from 'node:path'
import { RuleTester } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, it } from 'vitest'
import { codeLayering } from '../../../eslint-rules/code-layering.js'

RuleTester.describe = describe
RuleTester.it = it
RuleTester.itOnly = it.only

const root = '/project'
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' } })
const at = (file: string) => join(root, file)
const options = [{ root }]

tester.run('code-layering', codeLayering, {
  valid: [
    {
      filename: at('src/shared/market/matcher.ts'),
      code: "import { z } from 'zod'; import { x } from './book'",
      options,
    },
    {
      filename: at('src/main/core/node.ts'),
      code: "import { readFile } from 'node:fs/promises'; import { createLibp2p } from 'libp2p'; import { y } from '../../shared/errors'",
      options,
    },
    {
      filename: at('src/main/electron/main.ts'),
      code: "import { app } from 'electron'; import { createNode } from '../core/node'",
      options,
    },
    {
      filename: at('src/preload/preload.ts'),
      code: "import { contextBridge } from 'electron'; import { ipcCallChannel } from '../shared/api/wire'",
      options,
    },
    {
      filename: at('src/renderer/src/App.tsx'),
      code: "import { useState } from 'react'; import { commands } from '../../shared/api/contract'",
      options,
    },
    { filename: at('test/unit/anything.test.ts'), code: "import { readFile } from 'node:fs'", options },
  ],
  invalid: [
    {
      filename: at('src/shared/market/book.ts'),
      code: "import { readFile } from 'node:fs'",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/shared/market/book.ts'),
      code: "import { createHash } from 'crypto'",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/shared/api/contract.ts'),
      code: "import { createRoot } from 'react-dom/client'",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/shared/api/contract.ts'),
      code: "import { ipcRenderer } from 'electron'",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/shared/api/contract.ts'),
      code: "import { createNode } from '../../main/core/node'",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('src/main/core/node.ts'),
      code: "import { app } from 'electron'",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/main/core/node.ts'),
      code: "const electron = await import('electron')",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/main/core/node.ts'),
      code: "import { tray } from '../electron/tray'",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('src/renderer/src/App.tsx'),
      code: "import { readFileSync } from 'node:fs'",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/renderer/src/App.tsx'),
      code: "import { Level } from 'classic-level'",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/renderer/src/App.tsx'),
      code: "import { createNode } from '../../main/core/node'",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('src/preload/preload.ts'),
      code: "import { readFile } from 'node:fs'",
      options,
      errors: [{ messageId: 'runtime' }],
    },
    {
      filename: at('src/shared/x.ts'),
      code: "import leftPad from 'left-pad'",
      options,
      errors: [{ messageId: 'unclassified' }],
    },
    { filename: at('src/shared/x.ts'), code: "export * from 'node:path'", options, errors: [{ messageId: 'runtime' }] },
  ],
})
