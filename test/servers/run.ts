// Run the test servers by hand (for debugging, manual testing, or an external benchmark):
//
//   node --import tsx test/servers/run.ts [--info-file servers.json]
//
// Prints the TestServers JSON (and writes it to --info-file), then keeps the servers
// running until SIGINT/SIGTERM, when it stops them and removes their temp dirs.

import { rm, writeFile } from 'node:fs/promises';
import { startTestServers } from './index.js';

const i = process.argv.indexOf('--info-file');
const infoFile = i >= 0 ? process.argv[i + 1] : undefined;

const running = await startTestServers();
const json = JSON.stringify(running.info, null, 2);
if (infoFile !== undefined) await writeFile(infoFile, `${json}\n`);
console.log(json);
console.error('test servers running; press Ctrl-C to stop');

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  void running
    .stop()
    .then(async () => {
      if (infoFile !== undefined) await rm(infoFile, { force: true });
    })
    .finally(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// Keep the event loop alive (the servers' child processes are unref'd).
setInterval(() => undefined, 1 << 30);
