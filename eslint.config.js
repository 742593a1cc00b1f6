// Flat config: typescript-eslint's recommended rules plus the project's layout rule
// (protocol libraries may only be imported inside adapters/, see DESIGN.md "Layout").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const protocolLibraries = ['imapflow', 'nodemailer', 'tsdav', 'mailparser', 'smtp-server'];

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
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: protocolLibraries.map((name) => ({ name, message: 'Protocol libraries belong in adapters/ (DESIGN.md).' })),
      }],
    },
  },
  {
    // MIME parsing is part of the ingestion pipeline (DESIGN.md: src/mail "parse -> classify ...").
    files: ['src/mail/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: protocolLibraries.filter((name) => name !== 'mailparser').map((name) => ({ name, message: 'Protocol libraries belong in adapters/ (DESIGN.md).' })),
      }],
    },
  },
);
