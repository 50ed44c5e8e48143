import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import layering from './eslint-rules/code-layering.js'

const root = import.meta.dirname

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Type-aware rules (a floating promise, a promise where a callback's result is ignored, any leaking
  // out of JSON or a catch) on the TypeScript files, with the types of tsconfig.node.json and
  // tsconfig.web.json; the plain JavaScript files (this one, the layering rule, bin/) have no types.
  {
    files: ['src/**/*.{ts,tsx}', 'test/**/*.ts', 'scripts/**/*.ts', '*.config.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      // An async function that does not await is how an API handler or a start() turns a throw into
      // a rejection, which its callers expect; the rule would have them written as Promise.resolve().
      '@typescript-eslint/require-await': 'off',
      // The services' Components and the components' props declare their callbacks in method syntax
      // (`emit(event): void`, js-libp2p's style) and are handed closures, never class methods; the
      // rule reads every such destructuring or pass-through as an unbound method.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Tests and benchmarks feed a node malformed input and read its answers as parsed JSON, dag-cbor
    // and mocks, typed any on purpose; the promise rules and the rest of the set still apply there.
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { local: layering },
    rules: {
      'local/code-layering': ['error', { root }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
)
