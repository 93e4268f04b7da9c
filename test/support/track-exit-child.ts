// A child process for the exit report test: tracks two clients with reportOpenAtExit, closes one, and exits
// with the other still open. Argument: the redis-server port. Prints "ready" once both are connected.
import { Redis } from 'ioredis';
import { track } from '../../track/index.js';

const port = Number(process.argv[2]);
const options = { service: 'exit-report', reportOpenAtExit: true };
const closed = track(new Redis(port), options); // origin: closed-client
const leaked = track(new Redis(port), options); // origin: open-client
await Promise.all([closed.ping(), leaked.ping()]);
await closed.quit();
process.stdout.write('ready\n');
process.exit(0);
