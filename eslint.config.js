// Lint, run by `npm test` before the tests: the folder map of docs/DESIGN.md, no unused
// exports, no `any`, and small functions in production code. Syntax-only (no type-aware
// rules) so the whole tree lints in a few seconds.
import tseslint from 'typescript-eslint';
import boundaries from './lint/boundaries.js';
import unusedExports from './lint/unused-exports.js';

const PRODUCTION = ['common', 'store', 'lake', 'sdk-mock', 'tracking', 'adserver', 'pipeline', 'jobs', 'reporting-ui', 'cli'];
const sluice = { rules: { boundaries, 'unused-exports': unusedExports } };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.hb/', 'data/', 'scratch/', '.test-artifacts/', 'reporting-ui/public/'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin, sluice },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'sluice/boundaries': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: PRODUCTION.map((d) => `${d}/**/*.ts`),
    ignores: ['**/*.test.ts', '**/*.d.ts'],
    rules: {
      'sluice/unused-exports': 'error',
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
);
