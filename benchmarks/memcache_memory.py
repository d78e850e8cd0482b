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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
KEY_LEN = 16
VAL_LEN = 32
SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind((HOST, 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Conn:
    """Minimal memcached text-protocol client: set pipelines, get, stats, version."""

    def __init__(self, port, timeout):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

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


def key_of(i):
    k = b"k:%014d" % i
    assert len(k) == KEY_LEN
    return k


def val_of(i):
    v = b"v:%030d" % i
    assert len(v) == VAL_LEN
    return v


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
            "--memcache-port", str(mcport)] + extra


def stat_int(stats, name):
    try:
        return int(stats[name])
    except (KeyError, ValueError, TypeError):
        return None


def measure(name, argv, mcport, nitems, batch, workdir, start_timeout, io_timeout):
    res = {"name": name, "cmd": shlex.join(argv), "ok": False}
    log_path = os.path.join(workdir, name + ".log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    conn = None
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"exited with status {proc.returncode} during startup")
            try:
                conn = Conn(mcport, io_timeout)
                if conn.version().startswith("VERSION"):
                    break
            except (OSError, RuntimeError):
                if conn:
                    conn.close()
                conn = None
            if time.monotonic() > deadline:
                raise RuntimeError(f"did not answer 'version' within {start_timeout}s")
            time.sleep(0.1)

        time.sleep(0.2)  # let startup allocations settle
        res["rss0"] = rss_bytes(proc.pid)
        res["bytes0"] = stat_int(conn.stats(), "bytes")

        t0 = time.monotonic()
        errors = 0
        for start in range(0, nitems, batch):
            end = min(nitems, start + batch)
            payload = b"".join(
                b"set %s 0 0 32\r\n%s\r\n" % (key_of(i), val_of(i)) for i in range(start, end))
            errors += conn.set_pipeline(payload, end - start)
            if proc.poll() is not None:
                raise RuntimeError(f"died while loading (status {proc.returncode})")
        res["load_s"] = time.monotonic() - t0
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
        res["ok"] = True
    except Exception as e:  # report and carry on with the next server
        res["error"] = str(e)
        log.flush()
        try:
            with open(log_path, "rb") as f:
                tail = f.read()[-2000:].decode(errors="replace")
            if tail.strip():
                res["error"] += "\n    | " + "\n    | ".join(tail.strip().splitlines()[-15:])
        except OSError:
            pass
    finally:
        if conn:
            conn.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    return res


def per_item(res, a, b, n):
    if not res.get("ok") or res.get(a) is None or res.get(b) is None or n == 0:
        return None
    return (res[b] - res[a]) / n


def fmt(x, spec="{:.1f}"):
    return "n/a" if x is None else spec.format(x)


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
    cachet_bin = os.path.abspath(os.environ.get("CACHET_BIN",
                                                os.path.join(SCRIPT_DIR, "..", "cachet-server")))
    extra = shlex.split(os.environ.get("CACHET_ARGS", ""))
    mem_mb = int(os.environ.get("MEMCACHED_MEM",
                                max(1024, (args.nitems * 512 + (1 << 20) - 1) >> 20)))
    start_timeout = float(os.environ.get("START_TIMEOUT", "10"))
    io_timeout = float(os.environ.get("IO_TIMEOUT", "30"))
    for b in (mc_bin, cachet_bin):
        if not os.access(b, os.X_OK):
            sys.exit(f"memcache_memory.py: not executable: {b} (build with 'make' or set CACHET_BIN)")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = tempfile.mkdtemp(prefix="cachet-mcmem.")
    os.chmod(workdir, 0o755)  # memcached drops to 'nobody'
    results = []
    try:
        for name, binary in (("memcached-t1", mc_bin), ("cachet-t1", cachet_bin)):
            mcport, rport = free_ports(2)
            argv = server_argv(binary, mcport, rport, 1, mem_mb, extra)
            print(f"[{name}] {shlex.join(argv)}: storing {args.nitems} items "
                  f"({KEY_LEN}B keys, {VAL_LEN}B values, {args.batch}/batch)", file=sys.stderr)
            r = measure(name, argv, mcport, args.nitems, args.batch, workdir,
                        start_timeout, io_timeout)
            if not r["ok"]:
                print(f"memcache_memory.py: {name} FAILED: {r['error']}", file=sys.stderr)
            results.append(r)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

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

    widths = [max(len(str(c)) for c in col) for col in zip(hdr, *rows)]
    print(f"\n== Memory per item (memcached protocol): {n} items, {KEY_LEN}-byte keys, "
          f"{VAL_LEN}-byte values, flags 0 (raw payload {KEY_LEN + VAL_LEN} B/item)")
    for row in [hdr] + rows:
        print("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
    print(f"\ncachet/memcached RSS growth per item: {fmt(rss_ratio, '{:.2f}')}  (target <= 1.00)")

    md = [f"### Memory over the memcached protocol ({n} items, {KEY_LEN} B keys, {VAL_LEN} B values, "
          f"pipelined set, {args.batch}/batch)", "",
          "| " + " | ".join(hdr) + " |",
          "|---|" + "--:|" * (len(hdr) - 1)]
    md += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    md += ["",
           f"- cachet/memcached **RSS growth per item: {fmt(rss_ratio, '{:.2f}')}** (target <= 1.00)",
           "- `stats bytes` is each server's own accounting of stored item bytes (not comparable "
           "across servers: each counts its own headers)",
           "", "Servers:", "", "```"]
    md += [f"{r['cmd']}   # {r['name']}" for r in results]
    md += ["```"]
    failed = [r for r in results if not r["ok"]]
    if failed:
        md += [""] + [f"- **{r['name']} failed:** {r['error'].splitlines()[0]}" for r in failed]
    md_text = "\n".join(md) + "\n"
    print("\n== Markdown\n" + md_text, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md_text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
