// Flat config: typescript-eslint's recommended rules plus the project's layout rule
// (protocol libraries may only be imported inside adapters/, see DESIGN.md "Layout").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const protocolLibraries = ['imapflow', 'nodemailer', 'tsdav', 'mailparser', 'smtp-server'];

const why = {
  sync: 'src/sync orchestrates; it is imported by src/runtime, src/api and src/admin only.',
  api: 'src/api is mounted by src/runtime; nothing below it imports it.',
  admin: 'src/admin is mounted by src/runtime; src/api never imports it.',
  runtime: 'src/runtime is the top: it wires everything and nothing imports it.',
  store: 'Pure code takes its data as arguments; persistence is src/store.',
  mail: 'src/domain and src/ports depend on nothing but src/domain.',
  calendar: 'src/domain and src/ports depend on nothing but src/domain.',
  contacts: 'src/domain and src/ports depend on nothing but src/domain.',
  config: 'src/domain and src/ports depend on nothing but src/domain.',
  webhooks: 'src/domain and src/ports depend on nothing but src/domain.',
  adapters: 'Adapters are wired by src/runtime; everything else sees them through src/ports.',
};

/** The no-restricted-imports setting of one folder: protocol libraries, SQL, and the folders it may not reach. */
function restricted({ sql, protocolsAllowed = [], folders = [] }) {
  const paths = protocolLibraries.filter((name) => !protocolsAllowed.includes(name)).map((name) => ({ name, message: 'Protocol libraries belong in adapters/ (DESIGN.md).' }));
  if (!sql) paths.push({ name: 'kysely', message: 'Only src/store talks SQL: add a repository method there (DESIGN.md "Layout").' });
  const patterns = folders.map((folder) => ({ regex: folder === 'adapters' ? '(^|/)adapters/' : `(^|/)(src/)?${folder}/`, message: `${why[folder]} (DESIGN.md "Layout", eslint.config.js)` }));
  return ['error', { paths, patterns }];
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use a union of string literals instead of an enum.' }],
    },
  },
  // Layering (DESIGN.md "Layout", issue 13): imports point one way. Each block lists a folder's whole
  // rule, because a later block replaces an earlier one's no-restricted-imports for the same files.
  { files: ['src/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: false }) } },
  { files: ['src/mail/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: false, protocolsAllowed: ['mailparser'], folders: ['sync', 'api', 'admin', 'runtime', 'adapters'] }) } },
  { files: ['src/calendar/**/*.ts', 'src/contacts/**/*.ts', 'src/webhooks/**/*.ts', 'src/config/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: false, folders: ['sync', 'api', 'admin', 'runtime', 'adapters'] }) } },
  { files: ['src/store/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: true, folders: ['sync', 'api', 'admin', 'runtime', 'adapters'] }) } },
  { files: ['src/domain/**/*.ts', 'src/ports/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: false, folders: ['store', 'sync', 'api', 'admin', 'runtime', 'mail', 'calendar', 'contacts', 'config', 'webhooks', 'adapters'] }) } },
  { files: ['src/sync/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: false, folders: ['api', 'admin', 'runtime', 'adapters'] }) } },
  { files: ['src/api/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: false, folders: ['admin', 'runtime', 'adapters'] }) } },
  { files: ['src/admin/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: false, folders: ['runtime', 'adapters'] }) } },
  // Adapters see the product only through its ports (src/ports) and pure domain helpers.
  { files: ['adapters/**/*.ts'], rules: { 'no-restricted-imports': restricted({ sql: false, protocolsAllowed: protocolLibraries, folders: ['store', 'sync', 'api', 'admin', 'runtime'] }) } },
);
