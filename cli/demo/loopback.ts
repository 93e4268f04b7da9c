// Checks which loopback source addresses this machine lets a socket bind to. The workload poses as
// distinct hosts by binding to 127.0.0.x (Linux routes all of 127/8 to lo; macOS only 127.0.0.1 unless
// aliased) and ::1 (absent when IPv6 is disabled), so callers skip what cannot work instead of failing.
import { createServer, isIP } from 'node:net';

export interface LoopbackSources {
  /** 127.0.0.2 can be bound, so other 127.0.0.x sources most likely can too. */
  readonly ipv4: boolean;
  /** ::1 can be bound. */
  readonly ipv6: boolean;
}

export async function loopbackSourcesAvailable(): Promise<LoopbackSources> {
  const [ipv4, ipv6] = await Promise.all([canBind('127.0.0.2'), canBind('::1')]);
  return { ipv4, ipv6 };
}

/** Binds a listener on an ephemeral port of address and closes it again; never throws. */
function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port: 0, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** True for ::1 and any 127.0.0.0/8 address. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

/**
 * The host a socket bound to source should connect to. Only loopback targets and sources are allowed:
 * the simulator must never aim its traffic at a real server. A socket bound to ::1 cannot reach
 * 127.0.0.1 (nor the reverse), so the loopback address of the source's family is used.
 */
export function loopbackHostFor(host: string, source: string): string {
  if (!isLoopbackAddress(host) && host !== 'localhost') {
    throw new RangeError(`target ${host} is not a loopback address: the workload only talks to a local server`);
  }
  if (!isLoopbackAddress(source)) throw new RangeError(`source ${source} is not a loopback address (127.0.0.x or ::1)`);
  if (isIP(source) === 6) return isIP(host) === 6 ? host : '::1';
  return isIP(host) === 4 ? host : '127.0.0.1';
}
