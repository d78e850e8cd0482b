"""Raw-socket RESP helpers shared by the integration tests.

redis-py hides what the tests need to see (reply types, error texts with
their "ERR " prefix, RESP3), so many tests talk RESP over a plain socket.
This module holds the one encoder, the one reply parser and the small
helpers those tests share.

One parser (`RespReader`) reads RESP2 and RESP3.  The connection classes
differ only in how they *represent* a reply, so that every test file keeps
the call style its assertions were written in:

    class       simple +OK   error -ERR x          nil array  RESP3  calls
    ----------  -----------  --------------------  ---------  -----  ---------------------
    Wire        "+OK"        "-ERR x"              NIL_ARRAY  no     w("SET", "k", "v")
    RawConn     "OK"         Err("ERR x")          None       yes    c.cmd(..), c.cmd_raw(..)
    BytesConn   b"OK"        ErrBytes(b"ERR x")    None       no     c.call(..), c.send(bytes)
    LineReader  b"+OK"       b"-ERR x"             None       no     rd.reply()  (own socket)

Common to all: integer -> int, bulk string -> bytes, nil bulk ($-1) -> None,
array -> list.  RESP3 (RawConn only; the others fail on a RESP3 type, as
their RESP2 replies are what is being tested): null -> None, double ->
float, boolean -> bool, big number -> int, verbatim -> Verbatim (a str with
.fmt), map -> dict (array keys become tuples), set and push -> list, blob
error -> the class's error representation.  Every connection keeps the raw
bytes of the last reply in `.raw`.

conftest.py provides the fixtures `w` (a Wire) and `c` (a RawConn) on the
shared, flushed server.
"""
import socket
import threading
import time


# --------------------------------------------------------------------------
# Encoding

def encode(*args):
    """One command as a RESP multibulk: encode("SET", "k", 1) -> b"*3\\r\\n...".

    bytes-like arguments are sent as they are, anything else as str(arg)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, (bytes, bytearray, memoryview)):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


enc = encode


# --------------------------------------------------------------------------
# Reply values

class Err(object):
    """An error reply as RawConn returns it; .msg is the text without '-'."""

    def __init__(self, msg):
        self.msg = msg

    def __eq__(self, other):
        return isinstance(other, Err) and other.msg == self.msg

    def __repr__(self):
        return "Err(%r)" % self.msg


class ErrBytes(bytes):
    """An error reply as BytesConn returns it: the bytes without the '-'.

    A bytes subclass, so it compares equal to plain bytes of the same text."""


class Verbatim(str):
    """A RESP3 verbatim string: the text, with its 3-letter format in .fmt."""
    fmt = None


class _NilArray(object):
    def __repr__(self):
        return "NIL_ARRAY"


NIL_ARRAY = _NilArray()
"""Wire's value for the nil array (*-1), told apart from the nil bulk (None)."""


# --------------------------------------------------------------------------
# The reply parser

class RespReader(object):
    """Blocking RESP reader on a socket: the one parser every class shares.

    Subclasses choose the representation of simple strings, errors and the
    nil array, and whether RESP3 types are accepted."""

    timeout = 30.0      # socket timeout of a connection opened by port
    nodelay = False     # set TCP_NODELAY on a connection opened by port
    resp3 = True        # False: a RESP3 type byte is an AssertionError
    nil_array = None    # value of *-1

    def __init__(self, port=None, timeout=None, sock=None):
        """Connect to 127.0.0.1:port, or (sock=...) read from an open socket."""
        if sock is None:
            sock = socket.create_connection(
                ("127.0.0.1", port), timeout=self.timeout if timeout is None else timeout)
            if self.nodelay:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buf = b""
        self.pos = 0        # start of the unread part of buf
        self._raw = []

    # -- representation hooks (rest: the line without its type byte) --------
    def simple(self, rest):
        return rest.decode()

    def error(self, rest):
        return Err(rest.decode())

    # -- socket --------------------------------------------------------------
    def close(self):
        self.sock.close()

    def sendall(self, data):
        """Send raw bytes as they are."""
        self.sock.sendall(data)

    def send_in_background(self, data):
        """Send from a thread, so a server that stops reading while its
        replies are unread cannot deadlock the test; join() the result.
        OSErrors from the send are collected in the thread's .errors."""
        errors = []

        def run():
            try:
                self.sock.sendall(data)
            except OSError as e:
                errors.append(e)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.errors = errors
        return t

    # -- parsing -------------------------------------------------------------
    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf = self.buf[self.pos:] + data
        self.pos = 0

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = self.buf[self.pos:i]
                self.pos = i + 2
                self._raw.append(line + b"\r\n")
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        end = self.pos + n
        data = self.buf[self.pos:end]
        assert self.buf[end:end + 2] == b"\r\n", "bulk string not terminated by CRLF"
        self.pos = end + 2
        self._raw.append(data + b"\r\n")
        return data

    def _parse(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return self.simple(rest)
        if t == b"-":
            return self.error(rest)
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return self.nil_array if n < 0 else [self._parse() for _ in range(n)]
        if self.resp3:
            if t == b"_":
                return None
            if t == b",":
                return float(rest)
            if t == b"#":
                return rest == b"t"
            if t == b"(":
                return int(rest)
            if t == b"!":
                return self.error(self._exact(int(rest)))
            if t == b"=":
                d = self._exact(int(rest)).decode()
                v = Verbatim(d[4:])
                v.fmt = d[:3]
                return v
            if t == b"%":
                d = {}
                for _ in range(int(rest)):
                    k = self._parse()
                    d[tuple(k) if isinstance(k, list) else k] = self._parse()
                return d
            if t in (b"~", b">"):
                return [self._parse() for _ in range(int(rest))]
        raise AssertionError("unexpected RESP reply line: %r" % line[:80])

    def read(self):
        """Read one whole reply; its bytes are kept in .raw."""
        self._raw = []
        return self._parse()

    @property
    def raw(self):
        """The bytes of the last reply read()."""
        return b"".join(self._raw)

    def read_raw(self):
        """Read one whole reply and return its bytes."""
        self.read()
        return self.raw

    # -- connection state ----------------------------------------------------
    def nothing_pending(self, wait=0.3):
        """True if the server sent nothing more within `wait` seconds."""
        if len(self.buf) > self.pos:
            return False
        old = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(old)
        self.buf = self.buf[self.pos:] + data
        self.pos = 0
        return False

    def assert_closed(self, timeout=5.0):
        """The server must close this connection (EOF or reset) soon."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return
        except socket.timeout:
            raise AssertionError("server did not close the connection")
        assert data == b"", "expected EOF, got %r" % data


# --------------------------------------------------------------------------
# The call styles

class Wire(RespReader):
    """RESP2 client that shows reply types in the value: w("SET", "k", "v").

        simple string -> str starting with "+"   e.g. "+OK"
        error         -> str starting with "-"   e.g. "-ERR syntax error"
        nil array     -> NIL_ARRAY               (nil bulk stays None)
    """
    resp3 = False
    nil_array = NIL_ARRAY

    def simple(self, rest):
        return (b"+" + rest).decode("utf-8", "replace")

    def error(self, rest):
        return (b"-" + rest).decode("utf-8", "replace")

    def __call__(self, *args):
        self.sock.sendall(encode(*args))
        return self.read()


class RawConn(RespReader):
    """RESP2/RESP3 client: c.cmd("PING") -> "PONG", errors as Err("ERR ..."),
    c.cmd_raw("PING") -> b"+PONG\\r\\n" (the reply's bytes)."""
    timeout = 10.0

    def send(self, *args):
        """Send one command (encoded); read its reply with read()."""
        self.sock.sendall(encode(*args))

    def cmd(self, *args):
        self.send(*args)
        return self.read()

    def cmd_raw(self, *args):
        self.send(*args)
        return self.read_raw()


class BytesConn(RespReader):
    """RESP2 client for pipelined raw traffic (TCP_NODELAY): replies as bytes,
    c.call("PING") -> b"PONG", errors as ErrBytes(b"ERR ...");
    c.send(data) sends raw bytes, e.g. c.send(enc("GET", "k") * 100)."""
    nodelay = True
    resp3 = False

    def simple(self, rest):
        return rest

    def error(self, rest):
        return ErrBytes(rest)

    def send(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        self.send(encode(*args))
        return self.read()


class LineReader(RespReader):
    """Reads replies from a socket the caller owns and writes to:
    LineReader(sock=s).reply() -> b"+OK" (simple strings and errors as their
    whole line), bulk strings as bytes."""
    resp3 = False

    def simple(self, rest):
        return b"+" + rest

    def error(self, rest):
        return b"-" + rest

    def reply(self):
        return self.read()


# --------------------------------------------------------------------------
# Error texts, as Wire shows them

SYNTAX = "-ERR syntax error"
NOT_INT = "-ERR value is not an integer or out of range"


def arity(cmd):
    return "-ERR wrong number of arguments for '%s' command" % cmd


def invalid_expire(cmd):
    return "-ERR invalid expire time in '%s' command" % cmd


# --------------------------------------------------------------------------
# Plain-socket helpers

def send_quietly(sock, data):
    """sendall that tolerates the server hanging up on us mid-send."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def read_until_close(sock, timeout=5.0):
    """Read everything until the server closes the connection.

    Returns (data, closed); closed is False if the connection was still open
    (no EOF) when `timeout` expired."""
    data = b""
    deadline = time.time() + timeout
    while True:
        left = deadline - time.time()
        if left <= 0:
            return data, False
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk


# --------------------------------------------------------------------------
# Waiting

def wait_until(predicate, timeout, interval=0.05):
    """Poll `predicate` until it returns a truthy value or `timeout` passes;
    return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_for(predicate, timeout=10.0, what="condition"):
    """wait_until, but a timeout is an AssertionError naming `what`."""
    if not wait_until(predicate, timeout):
        raise AssertionError("timed out waiting for " + what)


def wait_ready_any_reply(server, timeout=20):
    """Like conftest's Server.wait_ready, but any reply to an inline PING
    (NOAUTH included) means "up".  Patch it in for servers started with
    --requirepass:
        monkeypatch.setattr(conftest.Server, "wait_ready", wait_ready_any_reply)
    """
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError("server exited at start (rc=%s): %s" %
                               (server.proc.returncode, server.read_log()))
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=2)
            try:
                s.sendall(b"PING\r\n")
                data = s.recv(100)
            finally:
                s.close()
            if data:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not come up: " + server.read_log())
