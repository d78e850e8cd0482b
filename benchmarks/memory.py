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


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Conn:
    """Minimal RESP client: enough for SET pipelines, PING, INFO, DBSIZE, GET."""

    def __init__(self, port, timeout):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        self.sock.close()

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
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

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


def key_of(i):
    k = b"k:%014d" % i
    assert len(k) == KEY_LEN
    return k


def val_of(i):
    v = b"v:%030d" % i
    assert len(v) == VAL_LEN
    return v


def server_argv(binary, port, threads, workdir, extra):
    argv = [binary, "--port", str(port), "--bind", HOST]
    if os.path.basename(binary).startswith("redis"):
        # Real Redis, or validation mode with CACHET_BIN=redis-server:
        # no persistence, and redis-server has no --threads option.
        argv += ["--save", "", "--appendonly", "no", "--dir", workdir]
    else:
        if threads is not None:
            argv += ["--threads", str(threads)]
        argv += ["--memcache-port", "0"]  # not measured here; frees 11211
        argv += extra
    return argv


def measure(name, argv, nkeys, batch, workdir, start_timeout, io_timeout):
    res = {"name": name, "cmd": shlex.join(argv), "ok": False}
    log_path = os.path.join(workdir, name + ".log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    port = int(argv[argv.index("--port") + 1])
    conn = None
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"exited with status {proc.returncode} during startup")
            try:
                conn = Conn(port, io_timeout)
                if conn.call("PING") == "PONG":
                    break
            except (OSError, RuntimeError):
                if conn:
                    conn.close()
                conn = None
            if time.monotonic() > deadline:
                raise RuntimeError(f"did not answer PING within {start_timeout}s")
            time.sleep(0.1)

        time.sleep(0.2)  # let startup allocations settle
        res["rss0"] = rss_bytes(proc.pid)
        res["um0"] = info_field(conn, "memory", "used_memory")

        t0 = time.monotonic()
        errors = 0
        for start in range(0, nkeys, batch):
            end = min(nkeys, start + batch)
            payload = b"".join(
                b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$32\r\n%s\r\n" % (key_of(i), val_of(i))
                for i in range(start, end))
            errors += conn.pipeline(payload, end - start)
            if proc.poll() is not None:
                raise RuntimeError(f"died while loading (status {proc.returncode})")
        res["load_s"] = time.monotonic() - t0
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


def per_key(res, a, b, nkeys):
    if not res.get("ok") or res.get(a) is None or res.get(b) is None or nkeys == 0:
        return None
    return (res[b] - res[a]) / nkeys


def fmt(x, spec="{:.1f}"):
    return "n/a" if x is None else spec.format(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("nkeys", nargs="?", type=int,
                    default=int(os.environ.get("MEM_KEYS", "1000000")))
    ap.add_argument("--batch", type=int, default=int(os.environ.get("MEM_BATCH", "10000")))
    ap.add_argument("--markdown", metavar="FILE", help="also write a markdown section here")
    args = ap.parse_args()

    redis_bin = os.environ.get("REDIS_BIN", "/usr/bin/redis-server")
    cachet_bin = os.path.abspath(os.environ.get("CACHET_BIN",
                                                os.path.join(SCRIPT_DIR, "..", "cachet-server")))
    extra = shlex.split(os.environ.get("CACHET_ARGS", ""))
    start_timeout = float(os.environ.get("START_TIMEOUT", "10"))
    io_timeout = float(os.environ.get("IO_TIMEOUT", "30"))
    for b in (redis_bin, cachet_bin):
        if not os.access(b, os.X_OK):
            sys.exit(f"memory.py: not executable: {b} (build with 'make' or set CACHET_BIN)")

    # Turn SIGTERM (e.g. from timeout(1)) into SystemExit so servers are
    # stopped and the temp dir removed by the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = tempfile.mkdtemp(prefix="cachet-mem.")
    results = []
    try:
        for name, binary, threads in (("redis", redis_bin, None),
                                      ("cachet-t1", cachet_bin, 1)):
            argv = server_argv(binary, free_port(), threads, workdir, extra)
            print(f"[{name}] {shlex.join(argv)}: loading {args.nkeys} keys "
                  f"({KEY_LEN}B keys, {VAL_LEN}B values, {args.batch}/batch)", file=sys.stderr)
            r = measure(name, argv, args.nkeys, args.batch, workdir, start_timeout, io_timeout)
            if not r["ok"]:
                print(f"memory.py: {name} FAILED: {r['error']}", file=sys.stderr)
            results.append(r)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    n = args.nkeys
    rows = []
    for r in results:
        rows.append([
            r["name"],
            fmt(r.get("rss0"), "{:,}"), fmt(r.get("rss1"), "{:,}"),
            fmt(per_key(r, "rss0", "rss1", n)),
            fmt(r.get("um0"), "{:,}"), fmt(r.get("um1"), "{:,}"),
            fmt(per_key(r, "um0", "um1", n)),
            fmt(r.get("load_s"), "{:.2f}"),
        ])
    hdr = ["server", "RSS before", "RSS after", "RSS B/key",
           "used_memory before", "used_memory after", "used_memory B/key", "load s"]

    def ratio(a, b):
        x = per_key(results[1], a, b, n)
        y = per_key(results[0], a, b, n)
        return None if x is None or y is None or y <= 0 else x / y

    rss_ratio = ratio("rss0", "rss1")
    um_ratio = ratio("um0", "um1")

    widths = [max(len(str(c)) for c in col) for col in zip(hdr, *rows)]
    print(f"\n== Memory per key: {n} keys, {KEY_LEN}-byte keys, {VAL_LEN}-byte values "
          f"(raw payload {KEY_LEN + VAL_LEN} B/key)")
    for row in [hdr] + rows:
        print("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
    print(f"\ncachet/redis RSS growth per key:         {fmt(rss_ratio, '{:.2f}')}  (target <= 0.70)")
    print(f"cachet/redis used_memory growth per key: {fmt(um_ratio, '{:.2f}')}")

    md = [f"### Memory ({n} keys, {KEY_LEN} B keys, {VAL_LEN} B values, pipelined SET, "
          f"{args.batch}/batch)", "",
          "| " + " | ".join(hdr) + " |",
          "|---|" + "--:|" * (len(hdr) - 1)]
    md += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    md += ["",
           f"- cachet/redis **RSS growth per key: {fmt(rss_ratio, '{:.2f}')}** (target <= 0.70)",
           f"- cachet/redis used_memory growth per key: {fmt(um_ratio, '{:.2f}')}",
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
