#!/usr/bin/python3
"""Memory-per-key comparison: Debian redis-server vs cachet-server (--threads 1).

For each server: start it on a free 127.0.0.1 port, read VmRSS (/proc/PID/status)
and INFO memory used_memory, load N keys (16-byte keys, 32-byte values) with
pipelined SETs over a raw socket, read both again, and report the growth per key.
Finally print cachet/redis ratios (project target for RSS/key: <= 0.70; reported,
never enforced -- the exit status only reflects whether the measurement worked).

Usage: benchmarks/memory.py [NKEYS] [--batch N] [--markdown FILE]
Env:   MEM_KEYS (default 1000000), MEM_BATCH (default 10000),
       CACHET_BIN (default <script dir>/../cachet-server), CACHET_ARGS,
       REDIS_BIN (default /usr/bin/redis-server), START_TIMEOUT (default 10 s),
       IO_TIMEOUT (socket timeout, default 30 s).
"""

import argparse
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (HOST, KEY_LEN, VAL_LEN, SocketConn, fmt, free_ports,  # noqa: E402
                      key_of, load_pipelined, markdown_report, per_item, print_table,
                      rss_bytes, run_server, settings, val_of, workdir)


class Conn(SocketConn):
    """Minimal RESP client: enough for SET pipelines, PING, INFO, DBSIZE, GET."""

    def __init__(self, port, timeout):
        super().__init__(port, timeout)
        self.pos = 0

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _fill(self):
        if self.pos > 65536 and self.pos > len(self.buf) // 2:
            del self.buf[: self.pos]
            self.pos = 0
        super()._fill()

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos: i])
                self.pos = i + 2
                return line
            self._fill()

    def read_reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            data = bytes(self.buf[self.pos: self.pos + n])
            self.pos += n + 2
            return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise RuntimeError(f"unexpected reply line: {line[:80]!r}")

    def call(self, *args):
        self.sock.sendall(self.encode(*args))
        r = self.read_reply()
        if isinstance(r, Exception):
            raise r
        return r

    def pipeline(self, payload, count):
        """Send a pre-encoded batch of `count` commands, read `count` replies.
        Returns the number of error replies."""
        self.sock.sendall(payload)
        errors = 0
        for _ in range(count):
            r = self.read_reply()
            if isinstance(r, Exception):
                errors += 1
        return errors


def info_field(conn, section, field):
    try:
        raw = conn.call("INFO", section)
    except Exception:
        return None
    if not isinstance(raw, (bytes, bytearray)):
        return None
    for line in raw.decode(errors="replace").splitlines():
        if line.startswith(field + ":"):
            try:
                return int(line.split(":", 1)[1].strip())
            except ValueError:
                return None
    return None


def server_argv(binary, port, threads, workdir, extra):
    argv = [binary, "--port", str(port), "--bind", HOST]
    if os.path.basename(binary).startswith("redis"):
        # Real Redis, or validation mode with CACHET_BIN=redis-server:
        # no persistence, and redis-server has no --threads option.
        argv += ["--save", "", "--appendonly", "no", "--dir", workdir]
    else:
        if threads is not None:
            argv += ["--threads", str(threads)]
        argv += ["--memcache-port", "0", "--save", ""]  # not measured here; frees 11211
        argv += extra
    return argv


def measure(name, argv, nkeys, batch, workdir, start_timeout, io_timeout):
    port = int(argv[argv.index("--port") + 1])

    def body(proc, conn, res):
        time.sleep(0.2)  # let startup allocations settle
        res["rss0"] = rss_bytes(proc.pid)
        res["um0"] = info_field(conn, "memory", "used_memory")

        res["load_s"], errors = load_pipelined(
            proc, conn.pipeline, b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$32\r\n%s\r\n", nkeys, batch)
        res["errors"] = errors

        time.sleep(0.5)  # let background threads/allocator settle before sampling
        res["rss1"] = rss_bytes(proc.pid)
        res["um1"] = info_field(conn, "memory", "used_memory")
        try:
            res["dbsize"] = conn.call("DBSIZE")
        except Exception:
            res["dbsize"] = None
        probe = nkeys // 2
        got = conn.call("GET", key_of(probe)) if nkeys else val_of(0)
        if got != val_of(probe if nkeys else 0):
            raise RuntimeError(f"GET {key_of(probe)!r} returned {got!r}")
        if errors:
            raise RuntimeError(f"{errors} SETs returned an error")
        if res["dbsize"] is not None and res["dbsize"] != nkeys:
            raise RuntimeError(f"DBSIZE is {res['dbsize']}, expected {nkeys}")

    return run_server(name, argv, workdir, start_timeout, lambda: Conn(port, io_timeout),
                      lambda conn: conn.call("PING") == "PONG", "PING", body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("nkeys", nargs="?", type=int,
                    default=int(os.environ.get("MEM_KEYS", "1000000")))
    ap.add_argument("--batch", type=int, default=int(os.environ.get("MEM_BATCH", "10000")))
    ap.add_argument("--markdown", metavar="FILE", help="also write a markdown section here")
    args = ap.parse_args()

    redis_bin = os.environ.get("REDIS_BIN", "/usr/bin/redis-server")
    cachet_bin, extra, start_timeout, io_timeout = settings("memory.py", redis_bin)

    results = []
    with workdir("cachet-mem.") as wd:
        for name, binary, threads in (("redis", redis_bin, None),
                                      ("cachet-t1", cachet_bin, 1)):
            argv = server_argv(binary, free_ports(1)[0], threads, wd, extra)
            print(f"[{name}] {shlex.join(argv)}: loading {args.nkeys} keys "
                  f"({KEY_LEN}B keys, {VAL_LEN}B values, {args.batch}/batch)", file=sys.stderr)
            r = measure(name, argv, args.nkeys, args.batch, wd, start_timeout, io_timeout)
            if not r["ok"]:
                print(f"memory.py: {name} FAILED: {r['error']}", file=sys.stderr)
            results.append(r)

    n = args.nkeys
    rows = []
    for r in results:
        rows.append([
            r["name"],
            fmt(r.get("rss0"), "{:,}"), fmt(r.get("rss1"), "{:,}"),
            fmt(per_item(r, "rss0", "rss1", n)),
            fmt(r.get("um0"), "{:,}"), fmt(r.get("um1"), "{:,}"),
            fmt(per_item(r, "um0", "um1", n)),
            fmt(r.get("load_s"), "{:.2f}"),
        ])
    hdr = ["server", "RSS before", "RSS after", "RSS B/key",
           "used_memory before", "used_memory after", "used_memory B/key", "load s"]

    def ratio(a, b):
        x = per_item(results[1], a, b, n)
        y = per_item(results[0], a, b, n)
        return None if x is None or y is None or y <= 0 else x / y

    rss_ratio = ratio("rss0", "rss1")
    um_ratio = ratio("um0", "um1")

    print(f"\n== Memory per key: {n} keys, {KEY_LEN}-byte keys, {VAL_LEN}-byte values "
          f"(raw payload {KEY_LEN + VAL_LEN} B/key)")
    print_table(hdr, rows)
    print(f"\ncachet/redis RSS growth per key:         {fmt(rss_ratio, '{:.2f}')}  (target <= 0.70)")
    print(f"cachet/redis used_memory growth per key: {fmt(um_ratio, '{:.2f}')}")

    return markdown_report(
        f"### Memory ({n} keys, {KEY_LEN} B keys, {VAL_LEN} B values, pipelined SET, "
        f"{args.batch}/batch)", hdr, rows,
        [f"- cachet/redis **RSS growth per key: {fmt(rss_ratio, '{:.2f}')}** (target <= 0.70)",
         f"- cachet/redis used_memory growth per key: {fmt(um_ratio, '{:.2f}')}"],
        results, args.markdown)


if __name__ == "__main__":
    sys.exit(main())
