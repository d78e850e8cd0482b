"""Helpers shared by memory.py and memcache_memory.py (imported, not run).

Free ports, server start/wait/stop with a log tail on failure, VmRSS, the
key/value pattern and pipelined loading, and the plain-text + markdown report.
"""

import contextlib
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
    """n distinct free HOST ports (all sockets held open until all are chosen)."""
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


class SocketConn:
    """TCP connection to HOST:port with a receive buffer (self.buf)."""

    def __init__(self, port, timeout):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def close(self):
        self.sock.close()

    def _fill(self):
        """Append what the server sent next to self.buf."""
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk


def key_of(i):
    k = b"k:%014d" % i
    assert len(k) == KEY_LEN
    return k


def val_of(i):
    v = b"v:%030d" % i
    assert len(v) == VAL_LEN
    return v


def settings(prog, reference_bin):
    """The environment knobs both scripts share; exits unless reference_bin and
    the cachet binary are executable. Returns (cachet_bin, cachet_args,
    start_timeout, io_timeout)."""
    cachet_bin = os.path.abspath(os.environ.get("CACHET_BIN",
                                                os.path.join(SCRIPT_DIR, "..", "cachet-server")))
    extra = shlex.split(os.environ.get("CACHET_ARGS", ""))
    start_timeout = float(os.environ.get("START_TIMEOUT", "10"))
    io_timeout = float(os.environ.get("IO_TIMEOUT", "30"))
    for b in (reference_bin, cachet_bin):
        if not os.access(b, os.X_OK):
            sys.exit(f"{prog}: not executable: {b} (build with 'make' or set CACHET_BIN)")
    return cachet_bin, extra, start_timeout, io_timeout


@contextlib.contextmanager
def workdir(prefix):
    """A temp dir, removed on exit. SIGTERM (e.g. from timeout(1)) becomes
    SystemExit so servers are stopped and the dir removed by finally blocks."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run_server(name, argv, workdir, start_timeout, connect, ready, ready_what, body):
    """Start argv (cwd workdir, output in <workdir>/<name>.log), connect() to it
    until ready(conn) is true (at most start_timeout seconds), then call
    body(proc, conn, res); stop the server whatever happens.

    Returns res: name, cmd, ok, what body stored, and on failure "error" (with
    the tail of the server's log)."""
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
                conn = connect()
                if ready(conn):
                    break
            except (OSError, RuntimeError):
                if conn:
                    conn.close()
                conn = None
            if time.monotonic() > deadline:
                raise RuntimeError(f"did not answer {ready_what} within {start_timeout}s")
            time.sleep(0.1)
        body(proc, conn, res)
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


def load_pipelined(proc, pipeline, template, n, batch):
    """Store items 0..n-1 (key_of(i), val_of(i)): batches of `batch` commands
    `template % (key, value)` sent by pipeline(payload, count), which returns
    the number of error replies. Returns (seconds, error replies)."""
    t0 = time.monotonic()
    errors = 0
    for start in range(0, n, batch):
        end = min(n, start + batch)
        payload = b"".join(template % (key_of(i), val_of(i)) for i in range(start, end))
        errors += pipeline(payload, end - start)
        if proc.poll() is not None:
            raise RuntimeError(f"died while loading (status {proc.returncode})")
    return time.monotonic() - t0, errors


def per_item(res, a, b, n):
    """Growth of res[a] -> res[b] per item; None if not measured."""
    if not res.get("ok") or res.get(a) is None or res.get(b) is None or n == 0:
        return None
    return (res[b] - res[a]) / n


def fmt(x, spec="{:.1f}"):
    return "n/a" if x is None else spec.format(x)


def print_table(hdr, rows):
    """Aligned plain-text table: first column left-aligned, others right."""
    widths = [max(len(str(c)) for c in col) for col in zip(hdr, *rows)]
    for row in [hdr] + rows:
        print("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))


def markdown_report(title, hdr, rows, bullets, results, path):
    """Print (and write to path, if any) the markdown section: title, table,
    bullets, server command lines, failures. Returns the exit status: 1 if
    any server failed, else 0."""
    md = [title, "",
          "| " + " | ".join(hdr) + " |",
          "|---|" + "--:|" * (len(hdr) - 1)]
    md += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    md += [""] + bullets + ["", "Servers:", "", "```"]
    md += [f"{r['cmd']}   # {r['name']}" for r in results]
    md += ["```"]
    failed = [r for r in results if not r["ok"]]
    if failed:
        md += [""] + [f"- **{r['name']} failed:** {r['error'].splitlines()[0]}" for r in failed]
    md_text = "\n".join(md) + "\n"
    print("\n== Markdown\n" + md_text, end="")
    if path:
        with open(path, "w") as f:
            f.write(md_text)
    return 1 if failed else 0
