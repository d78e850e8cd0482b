"""redis-cli (Debian package redis-tools, 7.0.15) driven against the server.

Covers one-shot commands, output formatting (raw vs --no-raw, RESP3 with -3),
--pipe mass insertion, and an interactive session under a pseudo-terminal
(prompt, argument hints, replies, quit).  Every expectation was checked
against Redis 7.0.15 (CACHET_BIN=/usr/bin/redis-server).

Note: redis-cli prints raw replies when stdout is not a terminal; --no-raw
forces the human format ("(nil)", "(integer) 1", quoted strings).
"""
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

import pytest

from resp import enc, wait_ready_any_reply

REDIS_CLI = "/usr/bin/redis-cli"

pytestmark = pytest.mark.skipif(not os.path.exists(REDIS_CLI),
                                reason="redis-cli (redis-tools) not installed")


def cli_env(tmp_path=None):
    env = dict(os.environ)
    env["REDISCLI_HISTFILE"] = "/dev/null"      # never touch ~/.rediscli_history
    env["REDISCLI_RCFILE"] = "/dev/null"
    env.pop("REDISCLI_AUTH", None)
    if tmp_path is not None:
        env["HOME"] = str(tmp_path)
    return env


def cli(port, *args, stdin=None, timeout=30):
    """Run redis-cli against 127.0.0.1:port; return CompletedProcess (text)."""
    cmd = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port)] + [str(a) for a in args]
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout,
                          env=cli_env())


def out(port, *args, **kw):
    p = cli(port, *args, **kw)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p.stdout.decode()


# --------------------------------------------------------------------------
# One-shot commands
# --------------------------------------------------------------------------

def test_set_and_get(server, r):
    assert out(server.port, "set", "a", "b") == "OK\n"
    assert out(server.port, "get", "a") == "b\n"
    assert r.get("a") == b"b"


def test_ping_and_echo(server, r):
    assert out(server.port, "ping") == "PONG\n"
    assert out(server.port, "echo", "hello world") == "hello world\n"


def test_get_missing_raw_is_empty_line(server, r):
    assert out(server.port, "get", "missing") == "\n"


def test_no_raw_formatting(server, r):
    r.set("a", "b")
    p = server.port
    assert out(p, "--no-raw", "get", "a") == '"b"\n'
    assert out(p, "--no-raw", "get", "missing") == "(nil)\n"
    assert out(p, "--no-raw", "exists", "a") == "(integer) 1\n"
    assert out(p, "--no-raw", "ping") == "PONG\n"
    assert out(p, "--no-raw", "mget", "a", "missing") == '1) "b"\n2) (nil)\n'
    assert out(p, "--no-raw", "config", "get", "port") == \
        '1) "port"\n2) "%d"\n' % p


def test_error_reply(server, r):
    r.set("s", "v")
    assert out(server.port, "incr", "s") == "ERR value is not an integer or out of range\n\n"
    assert out(server.port, "--no-raw", "incr", "s") == \
        "(error) ERR value is not an integer or out of range\n"


def test_resp3_get_missing_prints_nil(server, r):
    assert out(server.port, "-3", "--no-raw", "get", "missing") == "(nil)\n"


def test_resp3_get_missing_on_a_terminal(server, r):
    """Plain `redis-cli -3 -p PORT get missing` with stdout on a tty."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([REDIS_CLI, "-3", "-p", str(server.port), "get", "missing"],
                                stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                                env=cli_env(), close_fds=True)
        os.close(slave)
        slave = None
        data = b""
        deadline = time.time() + 10
        while time.time() < deadline:
            rd, _, _ = select.select([master], [], [], 0.2)
            if rd:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
            elif proc.poll() is not None:
                break
        assert proc.wait(timeout=10) == 0
        assert data == b"(nil)\r\n"
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


def test_resp3_map_and_values(server, r):
    p = server.port
    assert out(p, "-3", "--no-raw", "config", "get", "port") == '1# "port" => "%d"\n' % p
    assert out(p, "-3", "config", "get", "port") == "port %d\n" % p
    assert out(p, "-3", "--no-raw", "exists", "nothing") == "(integer) 0\n"
    assert out(p, "-3", "--no-raw", "incrbyfloat", "f", "1.5") == '"1.5"\n'
    hello = out(p, "-3", "--no-raw", "hello", "3")
    assert hello.startswith('1# "server" => "redis"\n2# "version" => "')
    assert '3# "proto" => (integer) 3\n' in hello
    assert '5# "mode" => "standalone"\n' in hello
    assert '6# "role" => "master"\n' in hello
    assert hello.endswith('7# "modules" => (empty array)\n')


def test_select_db_option(server, r):
    assert out(server.port, "-n", "3", "set", "x", "in3") == "OK\n"
    assert out(server.port, "-n", "3", "get", "x") == "in3\n"
    assert out(server.port, "get", "x") == "\n"
    r.execute_command("SELECT", 3)
    assert r.get("x") == b"in3"


def test_select_db_out_of_range(server, r):
    p = cli(server.port, "-n", "16", "ping")
    assert "SELECT 16 failed: ERR DB index is out of range" in p.stderr.decode()


def test_stdin_last_argument(server, r):
    assert out(server.port, "-x", "set", "fromstdin", stdin=b"hello\x00world") == "OK\n"
    assert r.get("fromstdin") == b"hello\x00world"


def test_repeat(server, r):
    assert out(server.port, "-r", "3", "incr", "counter") == "1\n2\n3\n"
    assert r.get("counter") == b"3"


def test_info_server(server, r):
    text = out(server.port, "info", "server")
    assert text.startswith("# Server\r\n")   # raw mode keeps the \r\n of INFO
    assert re.search(r"\r\nredis_version:\d+\.\d+\.\d+\r\n", text)


def test_dbsize(server, r):
    r.mset({"a": 1, "b": 2})
    assert out(server.port, "dbsize") == "2\n"
    assert out(server.port, "--no-raw", "dbsize") == "(integer) 2\n"


def test_password_option(server_factory, monkeypatch):
    import conftest
    monkeypatch.setattr(conftest.Server, "wait_ready", wait_ready_any_reply)
    s = server_factory("--requirepass", "secret")
    assert out(s.port, "--no-auth-warning", "-a", "secret", "set", "k", "v") == "OK\n"
    assert out(s.port, "--no-auth-warning", "-a", "secret", "get", "k") == "v\n"
    assert out(s.port, "--no-auth-warning", "--user", "default", "--pass", "secret",
               "get", "k") == "v\n"
    p = cli(s.port, "get", "k")
    assert p.stdout.decode() == "NOAUTH Authentication required.\n\n"
    p = cli(s.port, "--no-auth-warning", "-a", "wrong", "get", "k")
    assert "AUTH failed: WRONGPASS invalid username-password pair or user is disabled." \
        in p.stderr.decode()
    assert p.stdout.decode() == "NOAUTH Authentication required.\n\n"


def test_connection_refused(server):
    import conftest
    p = cli(conftest.free_port(), "ping")
    assert p.returncode != 0
    assert "Could not connect" in p.stderr.decode()


def test_shutdown_nosave_via_cli(server_factory):
    s = server_factory()
    p = cli(s.port, "shutdown", "nosave")
    assert p.returncode == 0
    assert s.proc.wait(timeout=10) == 0


# --------------------------------------------------------------------------
# --pipe mass insertion
# --------------------------------------------------------------------------

def test_pipe_small_with_error(server, r, tmp_path):
    data = b"".join(enc(b"SET", b"pk:%d" % i, b"pv:%d" % i) for i in range(1000))
    data += b"*2\r\n$9\r\nNOSUCHCMD\r\n$1\r\nx\r\n"
    data += b"SET inline value\r\n"                    # inline form works too
    p = cli(server.port, "--pipe", stdin=data, timeout=60)
    text = p.stdout.decode()
    assert "All data transferred" in text
    assert "errors: 1, replies: 1002" in text
    assert p.returncode == 1
    assert "ERR unknown command 'NOSUCHCMD'" in p.stderr.decode()
    assert r.dbsize() == 1001
    assert r.get("pk:999") == b"pv:999"
    assert r.get("inline") == b"value"


def test_pipe_empty_input(server, r):
    p = cli(server.port, "--pipe", stdin=b"")
    assert p.returncode == 0
    assert "errors: 0, replies: 0" in p.stdout.decode()


@pytest.mark.slow
def test_pipe_mass_insertion_one_million(server, r, tmp_path):
    n = 1000000
    path = tmp_path / "mass.resp"
    with open(path, "wb") as f:
        chunk = []
        for i in range(n):
            chunk.append(enc(b"SET", b"key:%d" % i, b"value:%d" % i))
            if len(chunk) == 10000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
    with open(path, "rb") as f:
        p = subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(server.port), "--pipe"],
                           stdin=f, capture_output=True, timeout=600, env=cli_env())
    text = p.stdout.decode()
    assert p.returncode == 0, (text, p.stderr)
    assert "All data transferred. Waiting for the last reply..." in text
    assert "Last reply received from server." in text
    assert "errors: 0, replies: 1000000" in text
    assert r.dbsize() == n
    for i in (0, 1, 4242, 500000, n - 1):
        assert r.get("key:%d" % i) == b"value:%d" % i


# --------------------------------------------------------------------------
# Interactive session on a pseudo-terminal
# --------------------------------------------------------------------------

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class PtyCli(object):
    def __init__(self, port, home):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 250, 0, 0))
        env = cli_env(home)
        env["TERM"] = "xterm"
        self.proc = subprocess.Popen([REDIS_CLI, "-h", "127.0.0.1", "-p", str(port)],
                                     stdin=slave, stdout=slave, stderr=slave,
                                     env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self.buf = b""

    def _pump(self, wait):
        r, _, _ = select.select([self.master], [], [], wait)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:          # EIO: the child closed the terminal
            return None
        if not data:
            return None
        if b"\x1b[6n" in data:   # cursor position query: answer it
            os.write(self.master, b"\x1b[1;1R")
        self.buf += data
        return True

    def text(self):
        return ANSI.sub(b"", self.buf).decode("utf-8", "replace")

    def expect(self, pattern, timeout=10):
        """Wait until the screen text (escapes stripped) matches pattern."""
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        while time.time() < deadline:
            m = rx.search(self.text())
            if m:
                return m
            if self._pump(0.1) is None:
                break
        m = rx.search(self.text())
        assert m, "did not see %r in %r" % (pattern, self.text()[-2000:])
        return m

    def mark(self):
        self.buf = b""

    PROMPT_AT_END = r"127\.0\.0\.1:\d+(\[\d+\])?(\(TX\))?> $"

    def wait_prompt(self, timeout=10):
        """Wait for a fresh prompt.  linenoise switches the tty to raw mode
        with TCSAFLUSH just before printing it, so anything typed earlier
        would be discarded: always wait for the prompt before typing."""
        return self.expect(self.PROMPT_AT_END, timeout)

    def command(self, line, timeout=10):
        """Type a command line + Enter; return what was printed before the
        next prompt (escape sequences stripped)."""
        self.mark()
        self.type(line + "\r")
        m = self.expect(r"\r\n((?:.|\n)*?)" + self.PROMPT_AT_END, timeout)
        return m.group(1)

    def type(self, s):
        os.write(self.master, s.encode() if isinstance(s, str) else s)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


@pytest.fixture
def pty_cli(server, r, tmp_path):
    sessions = []

    def start():
        s = PtyCli(server.port, tmp_path)
        sessions.append(s)
        return s

    yield start
    for s in sessions:
        s.close()


def test_interactive_session(server, r, pty_cli):
    s = pty_cli()
    port = server.port
    s.expect(re.escape("127.0.0.1:%d> " % port) + "$")

    # argument hint after typing the command name and a space (redis-cli 7
    # builds its hints from COMMAND DOCS)
    s.mark()
    s.type("set ")
    s.expect(r"set key value \[NX\|XX\]")
    s.type("\x15")                         # Ctrl-U: clear the line
    s.expect(r"127\.0\.0\.1:\d+> \r$")      # line redrawn empty

    assert s.command("set ptykey hello") == "OK\r\n"
    assert s.command("get ptykey") == '"hello"\r\n'
    assert s.command("get nosuchkey") == "(nil)\r\n"
    assert s.command("incr ptykey") == "(error) ERR value is not an integer or out of range\r\n"
    assert s.command("exists ptykey") == "(integer) 1\r\n"
    assert s.command("select 2") == "OK\r\n"
    assert s.text().endswith("127.0.0.1:%d[2]> " % port)   # prompt shows the db
    assert s.command("get ptykey") == "(nil)\r\n"

    s.mark()
    s.type("quit\r")
    assert s.proc.wait(timeout=10) == 0
    assert r.get("ptykey") == b"hello"


def test_interactive_hint_for_get(server, pty_cli):
    s = pty_cli()
    s.wait_prompt()
    s.mark()
    s.type("get ")
    s.expect(r"get key")
    s.type("\x15")
    s.expect(r"127\.0\.0\.1:\d+> \r$")
    s.type("quit\r")
    assert s.proc.wait(timeout=10) == 0


def test_interactive_multi_bulk_reply(server, r, pty_cli):
    s = pty_cli()
    s.wait_prompt()
    assert s.command("mset k1 v1 k2 v2") == "OK\r\n"
    assert s.command("mget k1 k2 nosuch") == '1) "v1"\r\n2) "v2"\r\n3) (nil)\r\n'
    s.type("quit\r")
    assert s.proc.wait(timeout=10) == 0
    assert r.mget("k1", "k2") == [b"v1", b"v2"]


def test_interactive_transaction(server, r, pty_cli):
    s = pty_cli()
    s.wait_prompt()
    port = server.port
    assert s.command("multi") == "OK\r\n"
    assert s.text().endswith("127.0.0.1:%d(TX)> " % port)   # prompt shows the transaction
    assert s.command("set t 1") == "QUEUED\r\n"
    assert s.command("incr t") == "QUEUED\r\n"
    assert s.command("exec") == "1) OK\r\n2) (integer) 2\r\n"
    s.type("quit\r")
    assert s.proc.wait(timeout=10) == 0
    assert r.get("t") == b"2"
