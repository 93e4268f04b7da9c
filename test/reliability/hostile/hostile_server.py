#!/usr/bin/env python3
"""A fake RESP server that misbehaves in exactly one way per mode, for test/reliability/hostile-*.test.ts.

    python3 hostile_server.py --mode MODE [--port 0] [--lifetime 120] [--drip-ms 1500]

Listens on 127.0.0.1 only; with --port 0 the kernel picks the port, printed as the first line of stdout.
Answers what the auditor sends (AUTH, CLIENT SETNAME, INFO, CONFIG GET, CLIENT LIST [ID ...], CLUSTER NODES,
PING, QUIT) plausibly, as a Redis 7.0.15 would, except for the one thing the mode breaks; anything else gets
`-ERR unknown command`. CLIENT LIST always includes the asking connection (its addr is the socket's peer).
Bounded: exits after --lifetime seconds, and as soon as its stdin reaches end of file (the parent is gone),
unless --keep-stdin-open-not-needed is given for a manual run. Replies are generated lazily, written with
back-pressure, so the script stays small in memory whatever size it announces. Standard library only.
"""
import argparse
import asyncio
import os
import resource
import sys
import tempfile
import threading

MODES = {
    'healthy': 'a plausible small server (the control)',
    'huge-array-header': 'CLIENT LIST answered *99999999999 and nothing more',
    'fast-huge-list': 'CLIENT LIST is a ~800 MB bulk string of valid lines, streamed as fast as possible',
    'many-lines': 'CLIENT LIST has 2,000,000 valid short lines',
    'slow-drip': 'each CLIENT LIST reply dribbled over --drip-ms; INFO counts 15,000 clients (many by-id batches)',
    'cluster-fanout': 'cluster_enabled:1 and CLUSTER NODES announces 10,000 nodes that refuse or never answer',
    'nil-list': 'CLIENT LIST answered $-1 (a nil bulk string)',
    'swapped': 'INFO answered with CLIENT LIST text and CLIENT LIST with INFO text',
    'escape': 'INFO fields, error replies and client names carry ANSI/OSC escapes and U+202E',
    'escape-error': 'CLIENT LIST refused with an -ERR message that carries escapes',
    'absurd': 'INFO maxclients:0, negative and NaN-like counters; CONFIG GET maxclients 10000',
    'long-names': '8 clients whose names are 1 MB each',
    'many-findings': '2,000,000 short lines, each a distinct workload with a blocked client (a finding each)',
    'malformed-lines': ('6 leaked connections (orders-leaky, used once, idle 2 h) and 2 malformed CLIENT LIST lines; '
                        'CLIENT KILL answers :1; every command received is printed to stdout as `command NAME SUB`'),
}

EVIL = '\x1b[31mred\x1b[0m\x1b]0;title\x07\u202eevil'
RUN_ID = '5f2c0a8e3b7d4c1e9a6f0b2d8c4e7a1f3b5d9c2e'
MB = 1024 * 1024


class Mode:
    """What one mode announces: connected clients, the client lines, and the one thing it breaks."""

    def __init__(self, name, port, drip_ms):
        self.name = name
        self.port = port
        self.drip_ms = drip_ms
        self.others = {
            'fast-huge-list': 3_000_000, 'many-lines': 2_000_000, 'many-findings': 2_000_000,
            'slow-drip': 14_999, 'escape': 30, 'long-names': 8, 'malformed-lines': 8,
        }.get(name, 4)

    # --- INFO -------------------------------------------------------------------------------------------
    def info_text(self):
        connected = self.others + 1
        server_name = None
        version, role, mode = '7.0.15', 'master', 'standalone'
        maxclients, received, rejected, uptime, blocked = 10000, connected + 3, 0, 86400, 0
        if self.name in ('fast-huge-list', 'many-lines', 'many-findings'):
            maxclients = 4_100_000
        if self.name == 'slow-drip':
            maxclients, received = 20000, connected
        if self.name == 'many-findings':
            blocked = self.others
        if self.name == 'cluster-fanout':
            mode = 'cluster'
        if self.name == 'escape':
            server_name, version, role = f'server_name:valkey{EVIL}', f'7.0.15{EVIL}', f'master{EVIL}'
        lines = [
            '# Server', server_name, f'redis_version:{version}', 'redis_git_sha1:00000000', 'redis_git_dirty:0',
            f'redis_mode:{mode}', 'os:Linux 6.1.0 x86_64', 'arch_bits:64', 'process_id:4242', f'run_id:{RUN_ID}',
            f'tcp_port:{self.port}', f'uptime_in_seconds:{uptime}', 'uptime_in_days:1', 'hz:10', '',
            '# Clients', f'connected_clients:{connected}', 'cluster_connections:0', f'maxclients:{maxclients}',
            f'blocked_clients:{blocked}', 'tracking_clients:0', '',
            '# Stats', f'total_connections_received:{received}', 'total_commands_processed:123456',
            f'rejected_connections:{rejected}', 'evicted_clients:0', '',
            '# Replication', f'role:{role}', 'connected_slaves:0', '',
            '# Cluster', f'cluster_enabled:{1 if self.name == "cluster-fanout" else 0}', '',
        ]
        lines = [line for line in lines if line is not None]
        if self.name == 'absurd':
            absurd = {'connected_clients': '-3', 'maxclients': '0', 'total_connections_received': 'NaN',
                      'rejected_connections': '-1', 'uptime_in_seconds': '-100', 'blocked_clients': '1e309'}
            lines = [f'{line.split(":")[0]}:{absurd[line.split(":")[0]]}' if line.split(':')[0] in absurd else line for line in lines]
        return '\r\n'.join(lines) + '\r\n'

    # --- CLIENT LIST ------------------------------------------------------------------------------------
    def client_line(self, cid, addr, name, idle=1, flags='N', cmd='get', age=None):
        age = idle + 5 if age is None else age
        return (f'id={cid} addr={addr} laddr=127.0.0.1:{self.port} fd=9 name={name} age={age} idle={idle} flags={flags} '
                f'db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=20474 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 '
                f'obl=0 oll=0 omem=0 tot-mem=22272 events=r cmd={cmd} user=default redir=-1 resp=2\n')

    def short_line(self, cid, addr, name, idle, flags, cmd):
        return f'id={cid} addr={addr} fd=9 name={name} age={idle} idle={idle} flags={flags} db=0 multi=-1 cmd={cmd}\n'

    def other_line(self, i):
        """The i-th client (0-based) that is not the auditor."""
        cid = 10_000_000 + i
        if self.name == 'fast-huge-list':
            return self.client_line(cid, f'10.20.30.40:{10000 + i % 50000}', 'orders-api', idle=1)
        if self.name == 'many-lines':
            return self.short_line(cid, f'10.{octets(i)}:{10000 + i % 50000}', '', 1, 'N', 'get')
        if self.name == 'many-findings':
            return self.short_line(cid, f'10.{octets(i)}:40000', 'svc' + letters(i), 9999, 'b', 'blpop')
        if self.name == 'slow-drip':
            return self.client_line(i + 1, f'10.3.{i // 256 % 256}.{i % 256}:40000', 'orders-api', idle=1)
        if self.name == 'escape':
            return self.client_line(cid, f'10.9.9.9:{40000 + i}', EVIL, idle=9999, cmd=f'get{EVIL}')
        if self.name == 'long-names':
            return self.client_line(cid, f'10.8.8.{i}:40000', chr(ord('a') + i) * MB, idle=9999)
        if self.name == 'malformed-lines':
            # One host's connections, each used once when opened two hours ago, then two lines that cannot be read.
            if i == 6:  # cut short in the middle of a field
                return f'id={cid} addr=10.0.0.2:{40000 + i} laddr=127.0.0.1:{self.port} fd=9 name=orders-leaky age\n'
            if i == 7:  # a counter that is not a number
                return f'id={cid} addr=10.0.0.2:{40000 + i} fd=9 name=orders-leaky age=NaN idle=7200 flags=N db=0 multi=-1 cmd=get\n'
            return self.client_line(cid, f'10.0.0.2:{40000 + i}', 'orders-leaky', idle=7200, age=7200)
        return self.client_line(cid, f'10.0.0.{i + 2}:40000', 'orders-api', idle=1)

    def self_line(self, peer, name):
        cid = self.others + 1 if self.name == 'slow-drip' else 20_000_000
        return self.client_line(cid, peer, name, idle=0, cmd='client|list')

    def client_lines(self, peer, name, ids=None):
        """Lazily, every client line (or those whose id is in `ids`), the auditor's own last."""
        for i in range(self.others):
            if ids is None or (self.name == 'slow-drip' and (i + 1) in ids):
                yield self.other_line(i)
            elif self.name != 'slow-drip' and 10_000_000 + i in ids:
                yield self.other_line(i)
        own = self.self_line(peer, name)
        if ids is None or int(own.split(' ', 1)[0][3:]) in ids:
            yield own

    # --- the large listings: prepared once, streamed fast with little memory -----------------------------
    BLOCK_LINES = 4096

    def prepare(self):
        """fast-huge-list: one block of 4,096 distinct clients, repeated (as fast as a socket goes). many-lines,
        many-findings: every line written once to an unlinked temporary file, streamed with sendfile."""
        self.others_bytes, self.block, self.file_fd = 0, b'', None
        if self.name == 'fast-huge-list':
            self.block = ''.join(self.other_line(i) for i in range(self.BLOCK_LINES)).encode()
            self.others_bytes = len(self.block) // self.BLOCK_LINES * self.others
        elif self.others > 100_000:
            fd, path = tempfile.mkstemp(prefix='rla-hostile-')
            os.unlink(path)  # gone from the disk when this process ends, however it ends
            with os.fdopen(os.dup(fd), 'wb', buffering=MB) as out:
                for start in range(0, self.others, self.BLOCK_LINES):
                    out.write(''.join(self.other_line(i) for i in range(start, min(self.others, start + self.BLOCK_LINES))).encode())
            self.others_bytes, self.file_fd = os.fstat(fd).st_size, fd

    async def stream_others(self, writer):
        if self.file_fd is None:
            line = len(self.block) // self.BLOCK_LINES
            left = self.others
            while left > 0:
                lines = min(left, self.BLOCK_LINES)
                writer.write(self.block[:lines * line])
                left -= lines
                await writer.drain()
            return
        await writer.drain()
        with open(f'/proc/self/fd/{self.file_fd}', 'rb') as source:
            await asyncio.get_running_loop().sendfile(writer.transport, source)

    # --- CLUSTER NODES ----------------------------------------------------------------------------------
    def cluster_nodes(self, blackholes):
        count = 10_000
        for i in range(count):
            node_id = f'{i:040x}'
            first, last = i * 16384 // count, (i + 1) * 16384 // count - 1
            slots = f' {first}-{last}' if last >= first else ''
            if i == 0:
                yield f'{node_id} 127.0.0.1:{self.port}@{self.port + 10000} myself,master - 0 0 1 connected{slots}\n'
            elif i % 2:
                # Loopback addresses with a port nothing listens on: the connection is refused.
                yield f'{node_id} 127.0.{1 + i // 256 % 200}.{1 + i % 250}:1@10001 master - 0 0 {i + 1} connected{slots}\n'
            else:
                # A blackhole listener: accepts and never answers (what an unreachable node looks like), 250 distinct.
                host, port = blackholes[i // 2 % len(blackholes)]
                yield f'{node_id} {host}:{port}@{port + 1} master - 0 0 {i + 1} connected{slots}\n'


def letters(i, width=5):
    """i in base 26 as exactly `width` letters: distinct names of equal width (26^5 > 11 million)."""
    out = ''
    for _ in range(width):
        out = chr(ord('a') + i % 26) + out
        i //= 26
    return out


def octets(i):
    """Three address octets of fixed width (100-255 each): distinct for i below 156^3 (3.8 million)."""
    return f'{100 + i // 24336 % 156}.{100 + i // 156 % 156}.{100 + i % 156}'


# --- RESP I/O -------------------------------------------------------------------------------------------
async def read_command(reader):
    """One RESP array of bulk strings (bounded sizes), or None at end of stream."""
    line = await reader.readline()
    if not line:
        return None
    if not line.startswith(b'*'):
        return [part.decode('utf-8', 'replace') for part in line.split()]  # inline command
    count = int(line[1:])
    if count < 0 or count > 100_000:
        raise ValueError('array too long')
    args = []
    for _ in range(count):
        header = await reader.readline()
        size = int(header[1:])
        if size < 0 or size > MB:
            raise ValueError('bulk too long')
        data = await reader.readexactly(size + 2)
        args.append(data[:-2].decode('utf-8', 'replace'))
    return args


def bulk(text):
    data = text.encode()
    return b'$%d\r\n%s\r\n' % (len(data), data)


def error(text):
    return b'-' + text.encode() + b'\r\n'


async def drip(writer, data, total_ms, pieces=30):
    step = max(1, -(-len(data) // pieces))
    for start in range(0, len(data), step):
        writer.write(data[start:start + step])
        await writer.drain()
        await asyncio.sleep(total_ms / 1000 / pieces)


class Connection:
    def __init__(self, mode, server, reader, writer):
        self.mode, self.server, self.reader, self.writer = mode, server, reader, writer
        peer = writer.get_extra_info('peername')
        self.peer = f'{peer[0]}:{peer[1]}'
        self.name = ''

    async def serve(self):
        while True:
            args = await read_command(self.reader)
            if args is None or not args:
                return
            if not await self.answer(args):
                return

    async def answer(self, args):
        m, w = self.mode, self.writer
        command = args[0].upper()
        sub = args[1].upper() if len(args) > 1 else ''
        if m.name == 'malformed-lines':
            print(f'command {command} {sub}'.strip(), flush=True)
        if command == 'QUIT':
            w.write(b'+OK\r\n')
            await w.drain()
            return False
        if command == 'PING':
            w.write(b'+PONG\r\n')
        elif command == 'AUTH':
            w.write(b'+OK\r\n')
        elif command == 'CLIENT' and sub == 'SETNAME' and len(args) == 3:
            self.name = args[2]
            w.write(b'+OK\r\n')
        elif command == 'INFO':
            w.write(bulk(self.client_list_text() if m.name == 'swapped' else m.info_text()))
        elif command == 'CONFIG' and sub == 'GET':
            if m.name == 'escape':
                w.write(error(f'ERR {EVIL} CONFIG is disabled{EVIL}'))
            else:
                values = {'timeout': '0', 'maxclients': '10000', 'tcp-keepalive': '300'}
                pairs = [item for name in args[2:] if name.lower() in values for item in (name.lower(), values[name.lower()])]
                w.write(b'*%d\r\n' % len(pairs) + b''.join(bulk(p) for p in pairs))
        elif command == 'CLIENT' and sub == 'LIST':
            await self.client_list(args[2:])
        elif command == 'CLIENT' and sub == 'KILL' and m.name == 'malformed-lines':
            w.write(b':1\r\n')  # as if the connection were closed
        elif command == 'CLUSTER' and sub == 'NODES':
            if m.name != 'cluster-fanout':
                w.write(error('ERR This instance has cluster support disabled'))
            else:
                text = ''.join(m.cluster_nodes(self.server.blackholes))
                w.write(bulk(text))
        else:
            evil = EVIL if m.name == 'escape' else ''
            w.write(error(f"ERR unknown command '{evil}{args[0]}', with args beginning with: {evil}"))
        await w.drain()
        return True

    def client_list_text(self):
        return ''.join(self.mode.client_lines(self.peer, self.name))

    async def client_list(self, rest):
        m, w = self.mode, self.writer
        ids = None
        if rest:
            if rest[0].upper() != 'ID' or len(rest) < 2:
                w.write(error('ERR syntax error'))
                return
            ids = {int(x) for x in rest[1:] if x.isdigit()}
        if m.name == 'huge-array-header':
            w.write(b'*99999999999\r\n')
        elif m.name == 'nil-list':
            w.write(b'$-1\r\n')
        elif m.name == 'swapped':
            w.write(bulk(m.info_text()))
        elif m.name == 'escape-error':
            w.write(error(f'NOPERM {EVIL} this user has no permissions to run the {EVIL} command'))
        elif m.name == 'slow-drip':
            await drip(w, bulk(''.join(m.client_lines(self.peer, self.name, ids))), m.drip_ms)
        elif ids is None and m.others > 100_000:
            own = m.self_line(self.peer, self.name).encode()
            w.write(b'$%d\r\n' % (m.others_bytes + len(own)))
            await m.stream_others(w)
            w.write(own + b'\r\n')
        else:
            w.write(bulk(''.join(m.client_lines(self.peer, self.name, ids))))


class Server:
    def __init__(self, mode):
        self.mode = mode
        self.blackholes = []
        self.open = 0
        self.peak = 0

    def opened(self):
        """Counts connections open at once (both listeners); each new peak is a stdout line `peak-connections N`."""
        self.open += 1
        if self.open > self.peak:
            self.peak = self.open
            print(f'peak-connections {self.peak}', flush=True)

    async def handle(self, reader, writer):
        self.opened()
        try:
            await Connection(self.mode, self, reader, writer).serve()
        except (ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()

    async def blackhole(self, reader, writer):
        """Accepts, reads and discards, never answers; the socket is closed when the peer closes it."""
        self.opened()
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
        finally:
            self.open -= 1
            writer.close()


def exit_when_stdin_closes():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--mode', required=True, choices=sorted(MODES))
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--lifetime', type=float, default=120, help='seconds before the server exits by itself (max 600)')
    parser.add_argument('--drip-ms', type=int, default=1500, help='slow-drip: how long each CLIENT LIST reply takes (below the auditor\'s command timeout)')
    parser.add_argument('--ignore-stdin', action='store_true', help='do not exit when stdin closes (manual runs)')
    opts = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    if not opts.ignore_stdin:
        threading.Thread(target=exit_when_stdin_closes, daemon=True).start()

    server = Server(None)
    main_server = await asyncio.start_server(server.handle, '127.0.0.1', opts.port, limit=2 * MB)
    port = main_server.sockets[0].getsockname()[1]
    server.mode = Mode(opts.mode, port, opts.drip_ms)
    server.mode.prepare()
    if opts.mode == 'cluster-fanout':
        # 250 loopback addresses (all of 127/8 is loopback on Linux): distinct nodes that hang, never off this host.
        for last in range(1, 251):
            hole = await asyncio.start_server(server.blackhole, f'127.0.200.{last}', 0)
            server.blackholes.append(hole.sockets[0].getsockname()[:2])
    print(port, flush=True)
    await asyncio.sleep(min(opts.lifetime, 600))


if __name__ == '__main__':
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
