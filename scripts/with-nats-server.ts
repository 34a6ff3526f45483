// Runs a command beside a real NATS server (JetStream, TCP and WebSocket on loopback, a temporary
// store): the portable suites' NATS tests read NATS_URL and NATS_WS_URL on Deno and Bun, which
// have no global setup of their own (vitest's is test/runtime/nats-global-setup.ts). The server
// is stopped when the command ends; the command's exit code is this script's.
//
// Run: npx tsx scripts/with-nats-server.ts <command> [args...]
import { spawn } from 'node:child_process';
import { startNatsWithWebSocket } from '../test/servers/nats-websocket.ts';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error('usage: tsx scripts/with-nats-server.ts <command> [args...]');
  process.exit(2);
}
let nats: Awaited<ReturnType<typeof startNatsWithWebSocket>>;
try {
  nats = await startNatsWithWebSocket();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const child = spawn(command, args, {
  stdio: 'inherit',
  env: { ...process.env, NATS_URL: nats.url, NATS_WS_URL: nats.wsUrl },
});
// Ctrl-C reaches the child through the terminal; the server is stopped once the child is gone.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const code = await new Promise<number>((resolve) => {
  child.once('error', (error) => {
    console.error(`${command}: ${error.message}`);
    resolve(127);
  });
  child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
});
await nats.stop();
process.exit(code);
