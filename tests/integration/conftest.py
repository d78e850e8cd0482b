"""Integration-test harness: start the real server binary on a free loopback
port and hand tests real clients.

CACHET_BIN picks the binary (default ./cachet-server).  Pointing it at
/usr/bin/redis-server runs the same tests against Redis itself, which is how
we check that a test encodes Redis's behaviour and not our own guess.
"""
import os
import socket
import subprocess
import time

import pytest
import redis

from resp import RawConn, Wire

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CACHET_BIN", os.path.join(ROOT, "cachet-server"))
SANITIZER = os.environ.get("CACHET_SANITIZER", "")
IS_REDIS = os.path.basename(BIN).startswith("redis")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """One running server process; stop() kills it by PID."""

    def __init__(self, args=(), threads=2, tmpdir=None, config_file=None):
        self.port = free_port()
        self.host = "127.0.0.1"
        cmd = [BIN]
        if config_file:
            cmd.append(str(config_file))  # a config file must come first
        cmd += ["--port", str(self.port), "--bind", "127.0.0.1"]
        if IS_REDIS:
            cmd += ["--save", "", "--appendonly", "no"]
        else:
            # Off unless a test asks for it (a later --memcache-port wins):
            # many servers run at once and 11211 would collide.
            # No save points (a test asks for them), like the Redis line.
            cmd += ["--threads", str(threads), "--memcache-port", "0", "--save", ""]
            if SANITIZER == "tsan":
                # TSan's lock-order checker tracks at most 64 held locks per
                # thread; FLUSHALL/EXEC-all hold every shard lock.  32 shards
                # keep that checker on while still exercising lock-all paths.
                cmd += ["--shards", "32"]
        if tmpdir:
            cmd += ["--dir", str(tmpdir)]
        cmd += [str(a) for a in args]
        self.cmd = cmd
        self.logpath = os.path.join(str(tmpdir) if tmpdir else "/tmp",
                                    "cachet-test-%d.log" % self.port)
        self.log = open(self.logpath, "wb")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1:exitcode=66")
        env.setdefault("TSAN_OPTIONS", "halt_on_error=0:exitcode=66:second_deadlock_stack=1")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=str(tmpdir) if tmpdir else None, env=env)
        try:
            self.wait_ready()
        except Exception:
            self.proc.kill()  # never leave a half-started server behind
            self.proc.wait()
            self.log.close()
            raise

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited at start (rc=%s): %s" %
                                   (self.proc.returncode, self.read_log()))
            c = redis.Redis(host=self.host, port=self.port, socket_timeout=2)
            try:
                c.ping()
                return
            except redis.AuthenticationError:
                return  # up, and requirepass is set (NOAUTH)
            except (redis.ConnectionError, redis.TimeoutError):
                time.sleep(0.05)
            except redis.ResponseError:
                return  # up, but e.g. requirepass is set
            finally:
                # redis-py 4.3's close() leaves pooled sockets open; tests
                # that count connected_clients need them really closed.
                c.connection_pool.disconnect()
        raise RuntimeError("server did not come up: " + self.read_log())

    def client(self, **kw):
        kw.setdefault("socket_timeout", 30)
        return redis.Redis(host=self.host, port=self.port, **kw)

    def read_log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """Stop with SIGTERM; return the exit code.  Sanitizer reports fail it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def check_clean_exit(self):
        rc = self.stop()
        log = self.read_log()
        assert "ERROR: AddressSanitizer" not in log, log[-4000:]
        assert "WARNING: ThreadSanitizer" not in log, log[-4000:]
        assert "runtime error:" not in log, log[-4000:]
        assert rc in (0, -15), "server exit code %s\n%s" % (rc, log[-4000:])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmpdir=tmp_path_factory.mktemp("srv"))
    yield s
    s.check_clean_exit()


@pytest.fixture
def r(server):
    """A RESP2 client on a flushed server."""
    c = server.client()
    c.flushall()
    yield c
    c.connection_pool.disconnect()


@pytest.fixture
def w(r, server):
    """A raw RESP2 client (resp.Wire: "+OK", "-ERR ...") on the server that
    `r` just flushed (db 0)."""
    c = Wire(server.port)
    yield c
    c.close()


@pytest.fixture
def c(server, r):
    """A raw RESP2/RESP3 connection (resp.RawConn: "OK", Err("ERR ...")) on
    the shared, flushed server."""
    conn = RawConn(server.port)
    yield conn
    conn.close()


@pytest.fixture
def server_factory(tmp_path):
    """Start a server with extra arguments: server_factory('--requirepass', 'x')."""
    started = []

    def make(*args, threads=2, config_file=None):
        s = Server(args=args, threads=threads, tmpdir=tmp_path, config_file=config_file)
        started.append(s)
        return s

    yield make
    for s in started:
        s.check_clean_exit()


def raw_command(port, data, read_until_close=False, timeout=5.0):
    """Send raw bytes; return what the server replies (until close or quiet)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    s.settimeout(0.5 if not read_until_close else timeout)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; skipped under sanitizers")
