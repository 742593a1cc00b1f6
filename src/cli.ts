#!/usr/bin/env node
// First: V8 memory settings for mail imports must be in place before anything else is loaded.
import './sync/mail/young-generation.js';
import { main } from './cli-main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`fatal: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
