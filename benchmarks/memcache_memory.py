#!/usr/bin/python3
"""Memory-per-item comparison over the memcached protocol: Debian memcached vs cachet-server.

For each server (memcached -t 1 with -m large enough that nothing is evicted, then
cachet-server --threads 1 on its --memcache-port): start it on free 127.0.0.1
ports, read VmRSS (/proc/PID/status) and `stats`, store N items (16-byte keys,
32-byte values, flags 0, no expiry) with pipelined `set`s over a raw socket, read
both again, and report the growth per item. Finally print the cachet/memcached
ratio (target for RSS/item: <= 1.00; reported, never enforced -- the exit status
only reflects whether the measurement worked).

Usage: benchmarks/memcache_memory.py [NITEMS] [--batch N] [--markdown FILE]
Env:   MC_MEM_ITEMS (default 1000000), MC_MEM_BATCH (default 10000),
       CACHET_BIN (default <script dir>/../cachet-server), CACHET_ARGS,
       MEMCACHED_BIN (default /usr/bin/memcached),
       MEMCACHED_MEM (memcached -m in MB; default max(1024, 512 B per item)),
       START_TIMEOUT (default 10 s), IO_TIMEOUT (socket timeout, default 30 s).
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
    """Minimal memcached text-protocol client: set pipelines, get, stats, version."""

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def version(self):
        self.sock.sendall(b"version\r\n")
        return self._line().decode(errors="replace")

    def stats(self):
        self.sock.sendall(b"stats\r\n")
        out = {}
        while True:
            line = self._line()
            if line == b"END":
                return out
            parts = line.decode(errors="replace").split(" ", 2)
            if parts[0] != "STAT" or len(parts) < 3:
                raise RuntimeError(f"unexpected stats line: {line[:80]!r}")
            out[parts[1]] = parts[2]

    def get(self, key):
        """Returns (flags, data) or None."""
        self.sock.sendall(b"get " + key + b"\r\n")
        line = self._line()
        if line == b"END":
            return None
        t = line.split()
        if len(t) < 4 or t[0] != b"VALUE" or t[1] != key:
            raise RuntimeError(f"unexpected get reply: {line[:80]!r}")
        data = self._exact(int(t[3]) + 2)[:-2]
        end = self._line()
        if end != b"END":
            raise RuntimeError(f"get: expected END, got {end[:80]!r}")
        return int(t[2]), data

    def set_pipeline(self, payload, count):
        """Send `count` pre-encoded sets, read `count` replies; returns the
        number of replies other than STORED."""
        self.sock.sendall(payload)
        want = b"STORED\r\n" * count
        while len(self.buf) < len(want):
            self._fill()
        got = bytes(self.buf[: len(want)])
        if got == want:
            del self.buf[: len(want)]
            return 0
        # Slow path: some reply was not STORED; read exactly `count` lines.
        return sum(1 for _ in range(count) if self._line() != b"STORED")


def is_memcached(binary):
    return os.path.basename(binary).startswith("memcached")


def server_argv(binary, mcport, rport, threads, mem_mb, extra):
    if is_memcached(binary):
        argv = [binary]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]  # memcached refuses to run as root without -u
        return argv + ["-U", "0", "-l", HOST, "-p", str(mcport), "-t", str(threads),
                       "-m", str(mem_mb)]
    return [binary, "--port", str(rport), "--bind", HOST, "--threads", str(threads),
            "--memcache-port", str(mcport), "--save", ""] + extra


def stat_int(stats, name):
    try:
        return int(stats[name])
    except (KeyError, ValueError, TypeError):
        return None


def measure(name, argv, mcport, nitems, batch, workdir, start_timeout, io_timeout):
    def body(proc, conn, res):
        time.sleep(0.2)  # let startup allocations settle
        res["rss0"] = rss_bytes(proc.pid)
        res["bytes0"] = stat_int(conn.stats(), "bytes")

        res["load_s"], errors = load_pipelined(
            proc, conn.set_pipeline, b"set %s 0 0 32\r\n%s\r\n", nitems, batch)
        res["errors"] = errors

        # memcached grows its hash table in a background thread; wait for that
        # to finish (bounded) so the sample does not catch both tables.
        for _ in range(100):
            if conn.stats().get("hash_is_expanding", "0") == "0":
                break
            time.sleep(0.1)
        time.sleep(0.5)  # let background threads/allocator settle before sampling
        res["rss1"] = rss_bytes(proc.pid)
        st = conn.stats()
        res["bytes1"] = stat_int(st, "bytes")
        res["curr_items"] = stat_int(st, "curr_items")
        res["evictions"] = stat_int(st, "evictions")
        probe = nitems // 2
        if nitems:
            got = conn.get(key_of(probe))
            if got != (0, val_of(probe)):
                raise RuntimeError(f"get {key_of(probe)!r} returned {got!r}")
        if errors:
            raise RuntimeError(f"{errors} sets were not answered STORED")
        if res["evictions"]:
            raise RuntimeError(f"{res['evictions']} items were evicted (raise MEMCACHED_MEM)")
        if res["curr_items"] is not None and res["curr_items"] != nitems:
            raise RuntimeError(f"curr_items is {res['curr_items']}, expected {nitems}")

    return run_server(name, argv, workdir, start_timeout, lambda: Conn(mcport, io_timeout),
                      lambda conn: conn.version().startswith("VERSION"), "'version'", body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("nitems", nargs="?", type=int,
                    default=int(os.environ.get("MC_MEM_ITEMS", "1000000")))
    ap.add_argument("--batch", type=int, default=int(os.environ.get("MC_MEM_BATCH", "10000")))
    ap.add_argument("--markdown", metavar="FILE", help="also write a markdown section here")
    args = ap.parse_args()
    if args.nitems < 0 or args.batch < 1:
        ap.error("NITEMS must be >= 0 and --batch >= 1")

    mc_bin = os.environ.get("MEMCACHED_BIN", "/usr/bin/memcached")
    mem_mb = int(os.environ.get("MEMCACHED_MEM",
                                max(1024, (args.nitems * 512 + (1 << 20) - 1) >> 20)))
    cachet_bin, extra, start_timeout, io_timeout = settings("memcache_memory.py", mc_bin)

    results = []
    with workdir("cachet-mcmem.") as wd:
        os.chmod(wd, 0o755)  # memcached drops to 'nobody'
        for name, binary in (("memcached-t1", mc_bin), ("cachet-t1", cachet_bin)):
            mcport, rport = free_ports(2)
            argv = server_argv(binary, mcport, rport, 1, mem_mb, extra)
            print(f"[{name}] {shlex.join(argv)}: storing {args.nitems} items "
                  f"({KEY_LEN}B keys, {VAL_LEN}B values, {args.batch}/batch)", file=sys.stderr)
            r = measure(name, argv, mcport, args.nitems, args.batch, wd,
                        start_timeout, io_timeout)
            if not r["ok"]:
                print(f"memcache_memory.py: {name} FAILED: {r['error']}", file=sys.stderr)
            results.append(r)

    n = args.nitems
    hdr = ["server", "RSS before", "RSS after", "RSS B/item",
           "stats bytes after", "stats bytes B/item", "curr_items", "evictions", "load s"]
    rows = [[r["name"],
             fmt(r.get("rss0"), "{:,}"), fmt(r.get("rss1"), "{:,}"),
             fmt(per_item(r, "rss0", "rss1", n)),
             fmt(r.get("bytes1"), "{:,}"), fmt(per_item(r, "bytes0", "bytes1", n)),
             fmt(r.get("curr_items"), "{:,}"), fmt(r.get("evictions"), "{}"),
             fmt(r.get("load_s"), "{:.2f}")] for r in results]

    a = per_item(results[1], "rss0", "rss1", n)
    b = per_item(results[0], "rss0", "rss1", n)
    rss_ratio = None if a is None or b is None or b <= 0 else a / b

    print(f"\n== Memory per item (memcached protocol): {n} items, {KEY_LEN}-byte keys, "
          f"{VAL_LEN}-byte values, flags 0 (raw payload {KEY_LEN + VAL_LEN} B/item)")
    print_table(hdr, rows)
    print(f"\ncachet/memcached RSS growth per item: {fmt(rss_ratio, '{:.2f}')}  (target <= 1.00)")

    return markdown_report(
        f"### Memory over the memcached protocol ({n} items, {KEY_LEN} B keys, {VAL_LEN} B values, "
        f"pipelined set, {args.batch}/batch)", hdr, rows,
        [f"- cachet/memcached **RSS growth per item: {fmt(rss_ratio, '{:.2f}')}** (target <= 1.00)",
         "- `stats bytes` is each server's own accounting of stored item bytes (not comparable "
         "across servers: each counts its own headers)"],
        results, args.markdown)


if __name__ == "__main__":
    sys.exit(main())
