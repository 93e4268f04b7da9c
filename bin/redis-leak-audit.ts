#!/usr/bin/env node
// CLI entry: hands argv, stdio and the environment to the CLI and exits with its code.
import { runCli } from '../cli/main.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = code;
