// Run in a child process (node --import tsx): runs the CLI in-process with its output captured, and once
// runCli has returned prints, as one JSON line on fd 1, its exit code, its output and what still keeps the
// event loop alive (timers, sockets, pending requests) that was not there before it ran: a CLI that is done
// must leave nothing, or the user's shell waits for it. The output is written with a synchronous write on the
// descriptor, not through process.stdout; what the loader (tsx) holds from the start is left out.
import { writeSync } from 'node:fs';
import { runCli } from '../../cli/main.js';

const before = process.getActiveResourcesInfo();
let stdout = '';
let stderr = '';
const code = await runCli(process.argv.slice(2), {
  stdout: { write: (text: string) => (stdout += text), isTTY: false },
  stderr: { write: (text: string) => (stderr += text), isTTY: false },
  env: {},
});
const leftovers = process.getActiveResourcesInfo();
for (const held of before) {
  const at = leftovers.indexOf(held);
  if (at >= 0) leftovers.splice(at, 1);
}
writeSync(1, `${JSON.stringify({ code, leftovers, stdout, stderr })}\n`);
