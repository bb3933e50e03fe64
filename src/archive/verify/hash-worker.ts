/**
 * Worker-thread entry for hashMembers: opens the volumes once, then hashes each member it is sent
 * and posts its sha256, with byte counts batched every 8 MiB for progress; `done` ends it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openVolumes } from '../volumes/read-volumes.js';
import { hashMember, type HashWorkerMessage, type HashWorkerRequest } from './hash-members.js';

const REPORT_EVERY = 8 * 1024 * 1024;
const port = parentPort!;
const post = (m: HashWorkerMessage): void => port.postMessage(m);

try {
  const set = await openVolumes((workerData as { first: string }).first);
  let pending = 0;
  port.on('message', (request: HashWorkerRequest) => {
    if ('done' in request) {
      port.close();
      return;
    }
    hashMember(set, request.name, (n) => {
      pending += n;
      if (pending >= REPORT_EVERY) {
        post({ bytes: pending });
        pending = 0;
      }
    }).then(
      (hex) => {
        if (pending > 0) post({ bytes: pending });
        pending = 0;
        post({ name: request.name, hex });
      },
      (err: Error) => post({ error: err.message }),
    );
  });
} catch (err) {
  post({ error: (err as Error).message });
  port.close();
}
