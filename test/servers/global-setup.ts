// vitest global setup for the `integration` project: checks the server packages, starts
// Dovecot, SMTP, Radicale and Xandikos once for the whole run, hands their connection info
// to the test files (`inject('servers')`) and stops them afterwards.
//
//   import { inject } from 'vitest';
//   import { createMailUser } from '../../servers/users.js';
//   const servers = inject('servers');
//   const user = await createMailUser(servers, 'alice');

import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { assertServerPackages } from './ensure-packages.mjs';
import { startTestServers } from './index.js';
import type { TestServers } from './types.js';

declare module 'vitest' {
  export interface ProvidedContext {
    servers: TestServers;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Throws with the list of missing packages and the apt-get command to install them.
  assertServerPackages();
  const running = await startTestServers();
  project.provide('servers', running.info);
  return async () => {
    await running.stop();
  };
}
