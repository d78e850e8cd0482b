"""Shared harness for the memcached-protocol tests (test_memcache_*.py).

The memcached port is served either by

  * Cachet (default): started through conftest's ``server_factory`` with
    ``--memcache-port PORT`` (and ``--max-item-size N`` when a test asks for
    a limit); the RESP port of the same process is ``target.resp_port``;
  * real memcached, when MC_REFERENCE=1: ``/usr/bin/memcached -p PORT -U 0
    -l 127.0.0.1 -t 2`` (``-I N`` for a limit), killed by PID at teardown.
    That is how we check that a test encodes memcached 1.6's behaviour and
    not our guess of it.  Cross-protocol tests skip themselves in that mode.

Test modules pull the fixtures in with
``from mc_support import mc, mc_factory  # noqa: F401`` and set
``pytestmark = requires_mc``.
"""
import os
import socket
import subprocess
import time

import pytest

import conftest

MC_REFERENCE = os.environ.get("MC_REFERENCE", "") == "1"
MEMCACHED_BIN = os.environ.get("MEMCACHED_BIN", "/usr/bin/memcached")
DEFAULT_ITEM_SIZE_MAX = 1024 * 1024
HOST = "127.0.0.1"
IO_TIMEOUT = 5.0          # every socket read/write in these tests is bounded

# Every test module sets ``pytestmark = requires_mc``: running the memcached
# tests against redis-server (CACHET_BIN=redis-server) makes no sense.
requires_mc = pytest.mark.skipif(conftest.IS_REDIS and not MC_REFERENCE,
                                 reason="memcached protocol tests need Cachet or MC_REFERENCE=1")

skip_unless_cachet = pytest.mark.skipif(
    MC_REFERENCE or conftest.IS_REDIS,
    reason="cross-protocol test: needs Cachet (memcached and RESP on one keyspace)")


class Closed(Exception):
    """The server closed (or reset) the connection."""


class Raw:
    """A raw memcached connection with bounded, exact reads."""

    def __init__(self, port, timeout=IO_TIMEOUT):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline, what):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out waiting for %s; have %r" % (what, self.buf[:400]))
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise AssertionError("timed out waiting for %s; have %r" % (what, self.buf[:400]))
        except (ConnectionResetError, BrokenPipeError):
            raise Closed(self.buf)
        if not chunk:
            raise Closed(self.buf)
        self.buf += chunk

    def read_exact(self, n):
        deadline = time.monotonic() + self.timeout
        while len(self.buf) < n:
            self._fill(deadline, "%d bytes" % n)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_line(self):
        deadline = time.monotonic() + self.timeout
        while b"\r\n" not in self.buf:
            self._fill(deadline, "a line")
        i = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_until(self, suffix):
        """Read until the bytes received so far end with ``suffix``."""
        deadline = time.monotonic() + self.timeout
        while not self.buf.endswith(suffix):
            self._fill(deadline, repr(suffix))
        out, self.buf = self.buf, b""
        return out

    def req(self, data):
        """Send ``data`` followed by the meta no-op ``mn``; return every byte
        the server answered before ``MN``.  Because ``mn`` is answered in
        order, the result is exactly the reply to ``data`` (nothing can be
        late), with no sleeps."""
        self.send(data + b"mn\r\n")
        out = self.read_until(b"MN\r\n")
        return out[:-4]

    def quiet(self, wait=0.3):
        """Whatever arrives within ``wait`` seconds (b'' if nothing)."""
        deadline = time.monotonic() + wait
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        out, self.buf = self.buf, b""
        return out

    def wait_closed(self, timeout=IO_TIMEOUT):
        """Wait for EOF/RST; return what was received before it."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline, "the connection to close")
        except Closed:
            out, self.buf = self.buf, b""
            return out


class McTarget:
    """The running memcached-protocol server under test."""

    def __init__(self, port, proc, resp_server=None, item_size_max=DEFAULT_ITEM_SIZE_MAX):
        self.host = HOST
        self.port = port
        self.proc = proc
        self.pid = proc.pid
        self.resp_server = resp_server
        self.item_size_max = item_size_max
        self.is_reference = resp_server is None

    @property
    def resp_port(self):
        return self.resp_server.port if self.resp_server else None

    def raw(self, timeout=IO_TIMEOUT):
        return Raw(self.port, timeout)

    def client(self, **kw):
        from pymemcache.client.base import Client
        kw.setdefault("connect_timeout", IO_TIMEOUT)
        kw.setdefault("timeout", IO_TIMEOUT)
        kw.setdefault("default_noreply", False)
        return Client((self.host, self.port), **kw)

    def resp(self):
        assert self.resp_server is not None, "no RESP side in memcached reference mode"
        return self.resp_server.client(socket_timeout=IO_TIMEOUT)

    def alive(self):
        return self.proc.poll() is None

    def stats(self, arg=b""):
        with self.raw() as c:
            c.send(b"stats" + ((b" " + arg) if arg else b"") + b"\r\n")
            out = c.read_until(b"END\r\n")
        st = {}
        for line in out.split(b"\r\n"):
            if line.startswith(b"STAT "):
                _, name, value = line.split(b" ", 2)
                st[name.decode()] = value.decode()
        return st

    def assert_healthy(self):
        """The server is alive and a fresh connection does a full round trip."""
        assert self.alive(), "server process died"
        with self.raw() as c:
            assert c.req(b"set __health 0 0 2\r\nok\r\nget __health\r\n") == \
                b"STORED\r\nVALUE __health 0 2\r\nok\r\nEND\r\n"
            assert c.req(b"delete __health\r\n") == b"DELETED\r\n"


def wait_mc_port(port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited at start (rc=%s)" % proc.returncode)
        try:
            with Raw(port, timeout=2.0) as c:
                c.send(b"version\r\n")
                line = c.read_line()
                if line.startswith(b"VERSION "):
                    return
                last = line
        except (OSError, AssertionError, Closed) as e:
            last = e
        time.sleep(0.05)
    raise RuntimeError("memcached port %d not ready: %r" % (port, last))


_cachet_failed = []


def _start_reference(item_size_max=None):
    port = conftest.free_port()
    cmd = [MEMCACHED_BIN, "-p", str(port), "-U", "0", "-l", HOST, "-t", "2"]
    if item_size_max:
        cmd += ["-I", str(item_size_max)]
    if os.geteuid() == 0:
        cmd += ["-u", "root"]  # memcached refuses to run as root without -u
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_mc_port(port, proc)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    return proc, port


@pytest.fixture
def mc_factory(server_factory):
    """mc_factory(item_size_max=None) -> McTarget; one fresh server per call."""
    refs = []

    def make(item_size_max=None):
        limit = item_size_max or DEFAULT_ITEM_SIZE_MAX
        if MC_REFERENCE:
            proc, port = _start_reference(item_size_max)
            refs.append(proc)
            return McTarget(port, proc, None, limit)
        port = conftest.free_port()
        args = ["--memcache-port", str(port)]
        if item_size_max:
            args += ["--max-item-size", str(item_size_max)]
        srv = server_factory(*args)
        # The RESP port is up, so the memcached port should be too; after one
        # server that never opened it, do not wait long for the next ones.
        try:
            wait_mc_port(port, srv.proc, timeout=1.0 if _cachet_failed else 5.0)
        except RuntimeError as e:
            _cachet_failed.append(1)
            raise RuntimeError("%s\ncommand: %s\nlog tail:\n%s"
                               % (e, " ".join(srv.cmd), srv.read_log()[-2000:]))
        return McTarget(port, srv.proc, srv, limit)

    yield make
    crashed = []
    for proc in refs:
        if proc.poll() is not None:
            crashed.append(proc.returncode)
        else:
            proc.kill()  # by PID (Popen.kill signals exactly this process)
        proc.wait()
    assert not crashed, "memcached exited during the test: %r" % crashed


@pytest.fixture
def mc(mc_factory):
    return mc_factory()


def value_block(key, value, flags=0, cas=None):
    """The exact text-protocol bytes for one item of a get/gets reply."""
    head = b"VALUE %s %d %d" % (key, flags, len(value))
    if cas is not None:
        head += b" %d" % cas
    return head + b"\r\n" + value + b"\r\n"


def parse_meta_flags(line):
    """'HD c5 t10 kfoo' -> (code, [('c','5'), ('t','10'), ('k','foo')]).
    For 'VA <size> ...' the size is returned as the first pair ('size', N)."""
    parts = line.rstrip(b"\r\n").decode("latin-1").split(" ")
    code, rest = parts[0], parts[1:]
    out = []
    if code == "VA":
        out.append(("size", rest[0]))
        rest = rest[1:]
    for tok in rest:
        out.append((tok[0], tok[1:]))
    return code, out
