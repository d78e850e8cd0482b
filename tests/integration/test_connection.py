"""Connection-level commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, CLIENT *.

Every expectation here was checked against Redis 7.0.15
(CACHET_BIN=/usr/bin/redis-server); error texts are Redis's, byte for byte.
Replies are read with a small raw RESP reader so that the reply *type*
(simple string vs bulk string, map vs array) is checked, not just the value.
"""
import re

import pytest
import redis

from conftest import IS_REDIS, raw_command
from resp import Err, RawConn, wait_ready_any_reply


def client_fields(line):
    """Parse one CLIENT LIST / CLIENT INFO line into a dict."""
    line = line.decode() if isinstance(line, bytes) else line
    out = {}
    for tok in line.strip().split(" "):
        k, _, v = tok.partition("=")
        out[k] = v
    return out


def client_lines(text):
    text = text.decode() if isinstance(text, bytes) else text
    return [l for l in text.split("\n") if l.strip()]


def redis_version_tuple(conn):
    info = conn.cmd("INFO", "server")
    m = re.search(r"redis_version:(\d+)\.(\d+)\.(\d+)", info.decode() if isinstance(info, bytes) else info)
    return tuple(int(x) for x in m.groups())


NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
HELLO_NOAUTH = ("NOAUTH HELLO must be called with the client already authenticated, "
                "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate "
                "the client and select the RESP protocol version at the same time")
NO_PASSWORD_SET = ("ERR AUTH <password> called without any password configured for the "
                   "default user. Are you sure your configuration is correct?")
BAD_NAME = "ERR Client names cannot contain spaces, newlines or special characters."


# --------------------------------------------------------------------------
# PING / ECHO / QUIT
# --------------------------------------------------------------------------

def test_ping_without_argument_is_simple_string(c):
    assert c.cmd_raw("PING") == b"+PONG\r\n"
    assert c.cmd_raw("ping") == b"+PONG\r\n"


def test_ping_with_argument_is_bulk_string(c):
    assert c.cmd_raw("PING", "hello") == b"$5\r\nhello\r\n"
    assert c.cmd_raw("PING", "") == b"$0\r\n\r\n"
    assert c.cmd_raw("PING", b"a\r\nb") == b"$4\r\na\r\nb\r\n"


def test_ping_too_many_arguments(c):
    assert c.cmd("PING", "a", "b") == Err("ERR wrong number of arguments for 'ping' command")


def test_ping_inline(server):
    assert raw_command(server.port, b"PING\r\n") == b"+PONG\r\n"
    assert raw_command(server.port, b"PING hello\r\n") == b"$5\r\nhello\r\n"
    assert raw_command(server.port, b"ping\r\nPING\r\n") == b"+PONG\r\n+PONG\r\n"


def test_ping_redis_py(r):
    assert r.ping() is True


def test_echo(c):
    assert c.cmd_raw("ECHO", "hello world") == b"$11\r\nhello world\r\n"
    assert c.cmd_raw("ECHO", "") == b"$0\r\n\r\n"
    binary = bytes(range(256))
    assert c.cmd("ECHO", binary) == binary


def test_echo_inline(server):
    assert raw_command(server.port, b"ECHO hi\r\n") == b"$2\r\nhi\r\n"


def test_echo_arity(c):
    assert c.cmd("ECHO") == Err("ERR wrong number of arguments for 'echo' command")
    assert c.cmd("ECHO", "a", "b") == Err("ERR wrong number of arguments for 'echo' command")


def test_quit_replies_ok_then_closes(server):
    conn = RawConn(server.port)
    try:
        assert conn.cmd_raw("QUIT") == b"+OK\r\n"
        conn.assert_closed()
    finally:
        conn.close()


def test_quit_ignores_pipelined_commands_after_it(server, r):
    data = (b"*1\r\n$4\r\nQUIT\r\n"
            b"*3\r\n$3\r\nSET\r\n$9\r\nafterquit\r\n$1\r\nv\r\n")
    assert raw_command(server.port, data, read_until_close=True) == b"+OK\r\n"
    assert r.get("afterquit") is None


def test_quit_inline(server):
    assert raw_command(server.port, b"QUIT\r\n", read_until_close=True) == b"+OK\r\n"


# --------------------------------------------------------------------------
# SELECT
# --------------------------------------------------------------------------

def test_select_all_sixteen_databases(c):
    for db in range(16):
        assert c.cmd_raw("SELECT", db) == b"+OK\r\n"
        assert c.cmd("SET", "k", "v%d" % db) == "OK"
    for db in range(16):
        c.cmd("SELECT", db)
        assert c.cmd("GET", "k") == b"v%d" % db
        assert c.cmd("DBSIZE") == 1


def test_select_isolates_keyspaces(c):
    assert c.cmd("SET", "only0", "x") == "OK"
    assert c.cmd("SELECT", 1) == "OK"
    assert c.cmd("GET", "only0") is None
    assert c.cmd("EXISTS", "only0") == 0
    assert c.cmd("SELECT", 0) == "OK"
    assert c.cmd("GET", "only0") == b"x"


def test_select_is_per_connection(server, c):
    c.cmd("SELECT", 5)
    c.cmd("SET", "k", "in5")
    other = RawConn(server.port)
    try:
        assert other.cmd("GET", "k") is None   # a new connection starts in db 0
        other.cmd("SELECT", 5)
        assert other.cmd("GET", "k") == b"in5"
    finally:
        other.close()


@pytest.mark.parametrize("db", ["16", "-1", "100000", "2147483647", "-2147483648"])
def test_select_out_of_range(c, db):
    assert c.cmd("SELECT", db) == Err("ERR DB index is out of range")


@pytest.mark.parametrize("db", ["2147483648", "-2147483649", "9223372036854775807"])
def test_select_beyond_int32(c, db):
    # Redis parses the index as a C int: a valid 64-bit integer that does
    # not fit in 32 bits gets this (grammatically odd) message.
    assert c.cmd("SELECT", db) == Err(
        "ERR value is out of range, value must between -2147483648 and 2147483647")


@pytest.mark.parametrize("db", ["x", "1.5", "", "0x1", "99999999999999999999"])
def test_select_not_an_integer(c, db):
    assert c.cmd("SELECT", db) == Err("ERR value is not an integer or out of range")


def test_select_failure_keeps_current_db(c):
    c.cmd("SELECT", 3)
    c.cmd("SELECT", 16)
    assert client_fields(c.cmd("CLIENT", "INFO"))["db"] == "3"


def test_select_arity(c):
    assert c.cmd("SELECT") == Err("ERR wrong number of arguments for 'select' command")


# --------------------------------------------------------------------------
# AUTH / requirepass
# --------------------------------------------------------------------------

@pytest.fixture
def pw_server(server_factory, monkeypatch):
    import conftest
    monkeypatch.setattr(conftest.Server, "wait_ready", wait_ready_any_reply)
    return server_factory("--requirepass", "secret")


def test_noauth_before_authentication(pw_server):
    conn = RawConn(pw_server.port)
    try:
        assert conn.cmd_raw("PING") == b"-" + NOAUTH.encode() + b"\r\n"
        assert conn.cmd("GET", "a") == Err(NOAUTH)
        assert conn.cmd("SET", "a", "b") == Err(NOAUTH)
        assert conn.cmd("CLIENT", "ID") == Err(NOAUTH)
        assert conn.cmd("SELECT", 1) == Err(NOAUTH)
        assert conn.cmd("MULTI") == Err(NOAUTH)
        # An unknown command is reported as unknown, not as NOAUTH.
        assert conn.cmd("NOSUCHCMD") == Err(
            "ERR unknown command 'NOSUCHCMD', with args beginning with: ")
    finally:
        conn.close()


def test_noauth_inline(pw_server):
    assert raw_command(pw_server.port, b"PING\r\n") == b"-" + NOAUTH.encode() + b"\r\n"


def test_quit_allowed_without_auth(pw_server):
    conn = RawConn(pw_server.port)
    try:
        assert conn.cmd("QUIT") == "OK"
        conn.assert_closed()
    finally:
        conn.close()


def test_auth_wrong_password(pw_server):
    conn = RawConn(pw_server.port)
    try:
        assert conn.cmd_raw("AUTH", "wrong") == b"-" + WRONGPASS.encode() + b"\r\n"
        assert conn.cmd("AUTH", "default", "wrong") == Err(WRONGPASS)
        assert conn.cmd("AUTH", "nosuchuser", "secret") == Err(WRONGPASS)
        assert conn.cmd("PING") == Err(NOAUTH)   # still not authenticated
    finally:
        conn.close()


def test_auth_with_password(pw_server):
    conn = RawConn(pw_server.port)
    try:
        assert conn.cmd_raw("AUTH", "secret") == b"+OK\r\n"
        assert conn.cmd("PING") == "PONG"
        assert conn.cmd("SET", "a", "b") == "OK"
        assert conn.cmd("GET", "a") == b"b"
    finally:
        conn.close()


def test_auth_default_user_and_password(pw_server):
    conn = RawConn(pw_server.port)
    try:
        assert conn.cmd("AUTH", "default", "secret") == "OK"
        assert conn.cmd("PING") == "PONG"
    finally:
        conn.close()


def test_failed_auth_after_success_keeps_connection_authenticated(pw_server):
    conn = RawConn(pw_server.port)
    try:
        assert conn.cmd("AUTH", "secret") == "OK"
        assert conn.cmd("AUTH", "wrong") == Err(WRONGPASS)
        assert conn.cmd("PING") == "PONG"
    finally:
        conn.close()


def test_auth_is_per_connection(pw_server):
    a = RawConn(pw_server.port)
    b = RawConn(pw_server.port)
    try:
        assert a.cmd("AUTH", "secret") == "OK"
        assert a.cmd("PING") == "PONG"
        assert b.cmd("PING") == Err(NOAUTH)
    finally:
        a.close()
        b.close()


def test_auth_syntax_error(pw_server):
    conn = RawConn(pw_server.port)
    try:
        assert conn.cmd("AUTH", "a", "b", "c") == Err("ERR syntax error")
        assert conn.cmd("AUTH") == Err("ERR wrong number of arguments for 'auth' command")
    finally:
        conn.close()


def test_auth_redis_py_password(pw_server):
    good = pw_server.client(password="secret")
    bad = pw_server.client(password="nope")
    try:
        assert good.ping() is True
        # redis-py 4.3 surfaces WRONGPASS as a plain ResponseError
        with pytest.raises((redis.AuthenticationError, redis.ResponseError)) as ei:
            bad.ping()
        assert "invalid username-password pair" in str(ei.value)
    finally:
        good.close()
        bad.close()


def test_auth_without_requirepass(c):
    assert c.cmd_raw("AUTH", "foo") == b"-" + NO_PASSWORD_SET.encode() + b"\r\n"
    # Two-argument form: the default user has "nopass", so any password works
    # for it, and an unknown user gets WRONGPASS.
    assert c.cmd("AUTH", "default", "anything") == "OK"
    assert c.cmd("AUTH", "someone", "anything") == Err(WRONGPASS)
    assert c.cmd("PING") == "PONG"


# --------------------------------------------------------------------------
# HELLO
# --------------------------------------------------------------------------

HELLO_KEYS = ["server", "version", "proto", "id", "mode", "role", "modules"]


def test_hello_2_is_flat_array(c):
    reply = c.cmd("HELLO", "2")
    assert c.raw.startswith(b"*14\r\n")
    assert reply[0::2] == [k.encode() for k in HELLO_KEYS]
    fields = dict(zip([k.decode() for k in reply[0::2]], reply[1::2]))
    assert fields["server"] == b"redis"
    assert re.match(br"^\d+\.\d+\.\d+$", fields["version"])
    assert fields["proto"] == 2
    assert fields["id"] == c.cmd("CLIENT", "ID")
    assert fields["mode"] == b"standalone"
    assert fields["role"] == b"master"
    assert fields["modules"] == []


def test_hello_3_is_map(c):
    reply = c.cmd("HELLO", "3")
    assert c.raw.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n")
    assert list(reply.keys()) == [k.encode() for k in HELLO_KEYS]
    assert reply[b"proto"] == 3
    assert reply[b"mode"] == b"standalone"
    assert reply[b"role"] == b"master"
    assert reply[b"modules"] == []
    assert reply[b"id"] == c.cmd("CLIENT", "ID")
    # and the connection now speaks RESP3: a missing key is the RESP3 null
    assert c.cmd_raw("GET", "nosuchkey") == b"_\r\n"


def test_hello_version_matches_info(c):
    reply = c.cmd("HELLO", "3")
    info = c.cmd("INFO", "server")
    m = re.search(r"redis_version:(\S+)", str(info))
    assert m and reply[b"version"].decode() == m.group(1)


def test_hello_without_version_reports_current_protocol(c):
    reply = c.cmd("HELLO")
    assert c.raw.startswith(b"*14\r\n")
    assert reply[5] == 2
    c.cmd("HELLO", "3")
    reply = c.cmd("HELLO")
    assert c.raw.startswith(b"%7\r\n")
    assert reply[b"proto"] == 3


def test_hello_back_to_2(c):
    c.cmd("HELLO", "3")
    assert c.cmd_raw("GET", "nosuchkey") == b"_\r\n"
    c.cmd("HELLO", "2")
    assert c.cmd_raw("GET", "nosuchkey") == b"$-1\r\n"


@pytest.mark.parametrize("ver", ["4", "1", "0", "-1", "100"])
def test_hello_unsupported_protocol(c, ver):
    assert c.cmd_raw("HELLO", ver) == b"-NOPROTO unsupported protocol version\r\n"
    # the connection is still usable and still RESP2
    assert c.cmd_raw("GET", "nosuchkey") == b"$-1\r\n"


@pytest.mark.parametrize("ver", ["x", "3.0", ""])
def test_hello_protocol_not_integer(c, ver):
    assert c.cmd("HELLO", ver) == Err("ERR Protocol version is not an integer or out of range")


def test_hello_bad_option(c):
    assert c.cmd("HELLO", "3", "foo") == Err("ERR Syntax error in HELLO option 'foo'")
    # failed HELLO leaves the protocol unchanged
    assert c.cmd_raw("GET", "nosuchkey") == b"$-1\r\n"


def test_hello_setname(c):
    reply = c.cmd("HELLO", "3", "SETNAME", "myconn")
    assert reply[b"proto"] == 3
    assert c.cmd("CLIENT", "GETNAME") == b"myconn"
    fields = client_fields(c.cmd("CLIENT", "INFO"))
    assert fields["name"] == "myconn"
    assert fields.get("resp") == "3"


def test_hello_setname_invalid(c):
    assert c.cmd("HELLO", "2", "SETNAME", "bad name") == Err(BAD_NAME)


def test_hello_before_auth(pw_server):
    conn = RawConn(pw_server.port)
    try:
        for args in (("HELLO", "3"), ("HELLO", "2"), ("HELLO",)):
            assert conn.cmd(*args) == Err(HELLO_NOAUTH)
    finally:
        conn.close()


def test_hello_auth_wrong_password(pw_server):
    conn = RawConn(pw_server.port)
    try:
        assert conn.cmd("HELLO", "3", "AUTH", "default", "wrong") == Err(WRONGPASS)
        assert conn.cmd("PING") == Err(NOAUTH)
        # protocol did not switch: errors and nulls are still RESP2
        assert conn.cmd_raw("GET", "x") == b"-" + NOAUTH.encode() + b"\r\n"
    finally:
        conn.close()


def test_hello_auth_and_setname(pw_server):
    conn = RawConn(pw_server.port)
    try:
        reply = conn.cmd("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "cli1")
        assert isinstance(reply, dict) and reply[b"proto"] == 3
        assert conn.cmd("CLIENT", "GETNAME") == b"cli1"
        assert conn.cmd_raw("GET", "a") == b"_\r\n"
    finally:
        conn.close()


def test_hello_2_auth(pw_server):
    conn = RawConn(pw_server.port)
    try:
        reply = conn.cmd("HELLO", "2", "AUTH", "default", "secret")
        assert isinstance(reply, list) and reply[5] == 2
        assert conn.cmd("PING") == "PONG"
    finally:
        conn.close()


# --------------------------------------------------------------------------
# CLIENT ID / SETNAME / GETNAME
# --------------------------------------------------------------------------

def test_client_id_is_positive_unique_and_stable(server, c):
    a = c.cmd("CLIENT", "ID")
    assert isinstance(a, int) and a > 0
    assert c.cmd("CLIENT", "ID") == a
    other = RawConn(server.port)
    try:
        b = other.cmd("CLIENT", "ID")
        assert b != a
        assert b > a  # ids grow monotonically
    finally:
        other.close()


def test_client_getname_default_is_nil(c):
    assert c.cmd_raw("CLIENT", "GETNAME") == b"$-1\r\n"


def test_client_setname_getname(c):
    assert c.cmd_raw("CLIENT", "SETNAME", "worker-1") == b"+OK\r\n"
    assert c.cmd_raw("CLIENT", "GETNAME") == b"$8\r\nworker-1\r\n"
    assert c.cmd("CLIENT", "SETNAME", "other") == "OK"
    assert c.cmd("CLIENT", "GETNAME") == b"other"


def test_client_setname_empty_clears_name(c):
    c.cmd("CLIENT", "SETNAME", "x")
    assert c.cmd("CLIENT", "SETNAME", "") == "OK"
    assert c.cmd("CLIENT", "GETNAME") is None


@pytest.mark.parametrize("name", ["a b", "a\nb", "tab\there", "new\r\n", b"\x01x", b"caf\xc3\xa9"])
def test_client_setname_invalid(c, name):
    c.cmd("CLIENT", "SETNAME", "keep")
    assert c.cmd_raw("CLIENT", "SETNAME", name) == b"-" + BAD_NAME.encode() + b"\r\n"
    assert c.cmd("CLIENT", "GETNAME") == b"keep"


def test_client_setname_is_per_connection(server, c):
    c.cmd("CLIENT", "SETNAME", "first")
    other = RawConn(server.port)
    try:
        assert other.cmd("CLIENT", "GETNAME") is None
    finally:
        other.close()


def test_client_unknown_subcommand(c):
    assert c.cmd("CLIENT", "FOO") == Err("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
    assert c.cmd("CLIENT") == Err("ERR wrong number of arguments for 'client' command")


def test_client_redis_py_helpers(r):
    assert r.client_setname("pyname") is True
    assert r.client_getname() == "pyname"
    assert isinstance(r.client_id(), int)


# --------------------------------------------------------------------------
# CLIENT LIST / CLIENT INFO
# --------------------------------------------------------------------------

KEY_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db",
              "sub", "psub", "multi", "qbuf", "qbuf-free", "argv-mem", "obl", "oll",
              "omem", "tot-mem", "events", "cmd", "user"]


def test_client_list_fields(server, c):
    c.cmd("CLIENT", "SETNAME", "lister")
    c.cmd("SELECT", 4)
    text = c.cmd("CLIENT", "LIST")
    assert c.raw.startswith(b"$")          # a bulk string in RESP2
    assert text.endswith(b"\n")
    my_id = c.cmd("CLIENT", "ID")
    mine = [client_fields(l) for l in client_lines(text)
            if client_fields(l)["id"] == str(my_id)]
    assert len(mine) == 1
    f = mine[0]
    for key in KEY_FIELDS:
        assert key in f, "missing field %s in %r" % (key, f)
    # field order of the leading fields is Redis's
    keys = list(client_fields(client_lines(text)[0]).keys())
    assert keys[:10] == ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub"]
    assert f["name"] == "lister"
    assert f["db"] == "4"
    assert f["cmd"] == "client|list"
    assert f["user"] == "default"
    assert f["laddr"] == "127.0.0.1:%d" % server.port
    assert f["flags"] == "N"
    assert f["multi"] == "-1"
    assert f["sub"] == "0" and f["psub"] == "0"
    assert re.match(r"^127\.0\.0\.1:\d+$", f["addr"])
    assert f["addr"] == "127.0.0.1:%d" % c.sock.getsockname()[1]
    assert int(f["fd"]) > 0
    assert int(f["age"]) >= 0 and int(f["idle"]) >= 0


def test_client_list_shows_other_connections(server, c):
    others = [RawConn(server.port) for _ in range(3)]
    try:
        ids = []
        for i, o in enumerate(others):
            o.cmd("CLIENT", "SETNAME", "peer%d" % i)
            o.cmd("SELECT", i + 1)
            o.cmd("PING")
            ids.append(o.cmd("CLIENT", "ID"))
        listed = {client_fields(l)["id"]: client_fields(l)
                  for l in client_lines(c.cmd("CLIENT", "LIST"))}
        for i, cid in enumerate(ids):
            f = listed[str(cid)]
            assert f["name"] == "peer%d" % i
            assert f["db"] == str(i + 1)
            assert f["cmd"] == "client|id"
            assert f["addr"] == "127.0.0.1:%d" % others[i].sock.getsockname()[1]
    finally:
        for o in others:
            o.close()


def test_client_list_shows_last_command(server, c):
    other = RawConn(server.port)
    try:
        other.cmd("SET", "k", "v")
        oid = other.cmd("CLIENT", "ID")
        other.cmd("GET", "k")
        listed = {client_fields(l)["id"]: client_fields(l)
                  for l in client_lines(c.cmd("CLIENT", "LIST"))}
        assert listed[str(oid)]["cmd"] == "get"
    finally:
        other.close()


def test_client_list_shows_transaction_state(server, c):
    other = RawConn(server.port)
    try:
        oid = other.cmd("CLIENT", "ID")
        assert other.cmd("MULTI") == "OK"
        assert other.cmd("SET", "a", "1") == "QUEUED"
        assert other.cmd("SET", "b", "2") == "QUEUED"
        listed = {client_fields(l)["id"]: client_fields(l)
                  for l in client_lines(c.cmd("CLIENT", "LIST"))}
        f = listed[str(oid)]
        assert f["multi"] == "2"
        assert "x" in f["flags"]
        other.cmd("DISCARD")
    finally:
        other.close()


def test_client_list_by_id(server, c):
    other = RawConn(server.port)
    try:
        oid = other.cmd("CLIENT", "ID")
        me = c.cmd("CLIENT", "ID")
        lines = client_lines(c.cmd("CLIENT", "LIST", "ID", oid, me, 999999999))
        assert sorted(int(client_fields(l)["id"]) for l in lines) == sorted([oid, me])
        assert c.cmd("CLIENT", "LIST", "ID", 999999999) == b""
    finally:
        other.close()


def test_client_list_type_normal(c):
    me = c.cmd("CLIENT", "ID")
    ids = [client_fields(l)["id"] for l in client_lines(c.cmd("CLIENT", "LIST", "TYPE", "normal"))]
    assert str(me) in ids


def test_client_list_syntax_error(c):
    assert c.cmd("CLIENT", "LIST", "foo") == Err("ERR syntax error")


def test_client_list_redis_py(r):
    r.client_setname("pylist")
    names = [cl["name"] for cl in r.client_list()]
    assert "pylist" in names


def test_client_info(c):
    c.cmd("CLIENT", "SETNAME", "infoer")
    c.cmd("SELECT", 2)
    text = c.cmd("CLIENT", "INFO")
    assert c.raw.startswith(b"$")
    assert text.endswith(b"\n")
    assert len(client_lines(text)) == 1
    f = client_fields(text)
    for key in KEY_FIELDS:
        assert key in f
    assert f["id"] == str(c.cmd("CLIENT", "ID"))
    assert f["name"] == "infoer"
    assert f["db"] == "2"
    assert f["cmd"] == "client|info"
    assert f["resp"] == "2"


def test_client_info_arity(c):
    assert c.cmd("CLIENT", "INFO", "x") == Err(
        "ERR wrong number of arguments for 'client|info' command")


# --------------------------------------------------------------------------
# CLIENT KILL
# --------------------------------------------------------------------------

def _addr(conn):
    return "127.0.0.1:%d" % conn.sock.getsockname()[1]


def test_client_kill_id_closes_victim(server, c):
    victim = RawConn(server.port)
    try:
        vid = victim.cmd("CLIENT", "ID")
        assert c.cmd_raw("CLIENT", "KILL", "ID", vid) == b":1\r\n"
        victim.assert_closed()
        assert c.cmd("CLIENT", "KILL", "ID", vid) == 0   # already gone
        ids = [client_fields(l)["id"] for l in client_lines(c.cmd("CLIENT", "LIST"))]
        assert str(vid) not in ids
    finally:
        victim.close()


def test_client_kill_victim_sees_connection_error_redis_py(server, r):
    # A bare redis-py Connection (no pool: a pool would silently reconnect).
    victim = redis.Connection(host="127.0.0.1", port=server.port, socket_timeout=10)
    try:
        victim.send_command("CLIENT", "ID")
        vid = victim.read_response()
        assert r.execute_command("CLIENT", "KILL", "ID", vid) == 1
        with pytest.raises(redis.ConnectionError):
            victim.send_command("GET", "x")
            victim.read_response()
    finally:
        victim.disconnect()


def test_client_kill_pooled_redis_py_client_reconnects(server, r):
    victim = server.client()
    try:
        vid = victim.client_id()
        assert r.execute_command("CLIENT", "KILL", "ID", vid) == 1
        try:
            new_id = victim.client_id()
        except redis.ConnectionError:
            new_id = victim.client_id()   # the pool reconnects on the next call
        assert new_id != vid
    finally:
        victim.close()


def test_client_kill_addr(server, c):
    victim = RawConn(server.port)
    try:
        victim.cmd("PING")
        assert c.cmd("CLIENT", "KILL", "ADDR", _addr(victim)) == 1
        victim.assert_closed()
    finally:
        victim.close()


def test_client_kill_old_form(server, c):
    victim = RawConn(server.port)
    try:
        victim.cmd("PING")
        assert c.cmd_raw("CLIENT", "KILL", _addr(victim)) == b"+OK\r\n"
        victim.assert_closed()
    finally:
        victim.close()


def test_client_kill_old_form_no_such_client(c):
    assert c.cmd("CLIENT", "KILL", "127.0.0.1:1") == Err("ERR No such client")
    assert c.cmd("CLIENT", "KILL", "1.2.3.4") == Err("ERR No such client")


def test_client_kill_new_form_no_match_is_zero(c):
    assert c.cmd_raw("CLIENT", "KILL", "ID", 999999999) == b":0\r\n"
    assert c.cmd_raw("CLIENT", "KILL", "ADDR", "127.0.0.1:1") == b":0\r\n"


def test_client_kill_skipme_default_yes(c):
    me = c.cmd("CLIENT", "ID")
    assert c.cmd("CLIENT", "KILL", "ID", me) == 0
    assert c.cmd("CLIENT", "KILL", "ADDR", _addr(c)) == 0
    assert c.cmd("PING") == "PONG"
    assert c.cmd("CLIENT", "KILL", "ID", me, "SKIPME", "yes") == 0
    assert c.cmd("PING") == "PONG"


def test_client_kill_skipme_no_kills_self(server):
    conn = RawConn(server.port)
    try:
        me = conn.cmd("CLIENT", "ID")
        assert conn.cmd_raw("CLIENT", "KILL", "ID", me, "SKIPME", "no") == b":1\r\n"
        conn.assert_closed()
    finally:
        conn.close()


def test_client_kill_old_form_self(server):
    conn = RawConn(server.port)
    try:
        assert conn.cmd_raw("CLIENT", "KILL", _addr(conn)) == b"+OK\r\n"
        conn.assert_closed()
    finally:
        conn.close()


def test_client_kill_several_filters_must_all_match(server, c):
    victim = RawConn(server.port)
    try:
        vid = victim.cmd("CLIENT", "ID")
        # ID matches but ADDR does not: nobody is killed
        assert c.cmd("CLIENT", "KILL", "ID", vid, "ADDR", "127.0.0.1:1") == 0
        assert victim.cmd("PING") == "PONG"
        assert c.cmd("CLIENT", "KILL", "ID", vid, "ADDR", _addr(victim)) == 1
        victim.assert_closed()
    finally:
        victim.close()


def test_client_kill_errors(c):
    assert c.cmd("CLIENT", "KILL", "ID", "x") == Err("ERR client-id should be greater than 0")
    assert c.cmd("CLIENT", "KILL", "ID", 1, "SKIPME", "maybe") == Err("ERR syntax error")
    assert c.cmd("CLIENT", "KILL", "FOO", "bar") == Err("ERR syntax error")
    assert c.cmd("CLIENT", "KILL", "ADDR", "127.0.0.1:1", "ID") == Err("ERR syntax error")


def test_client_kill_other_survivors_unaffected(server, c):
    a = RawConn(server.port)
    b = RawConn(server.port)
    try:
        aid = a.cmd("CLIENT", "ID")
        b.cmd("PING")
        assert c.cmd("CLIENT", "KILL", "ID", aid) == 1
        a.assert_closed()
        assert b.cmd("PING") == "PONG"
        assert c.cmd("PING") == "PONG"
    finally:
        a.close()
        b.close()


# --------------------------------------------------------------------------
# CLIENT SETINFO (Redis 7.2; Redis 7.0 does not have it)
# --------------------------------------------------------------------------

def test_client_setinfo(c):
    if IS_REDIS and redis_version_tuple(c) < (7, 2, 0):
        assert c.cmd("CLIENT", "SETINFO", "LIB-NAME", "x") == Err(
            "ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.")
        pytest.skip("CLIENT SETINFO appeared in Redis 7.2")
    assert c.cmd_raw("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"+OK\r\n"
    assert c.cmd_raw("CLIENT", "SETINFO", "LIB-VER", "1.2.3") == b"+OK\r\n"
    f = client_fields(c.cmd("CLIENT", "INFO"))
    assert f["lib-name"] == "mylib"
    assert f["lib-ver"] == "1.2.3"
    me = str(c.cmd("CLIENT", "ID"))
    listed = {client_fields(l)["id"]: client_fields(l)
              for l in client_lines(c.cmd("CLIENT", "LIST"))}
    assert listed[me]["lib-name"] == "mylib"
    # lowercase attribute names are accepted too
    assert c.cmd("CLIENT", "SETINFO", "lib-name", "other") == "OK"
    assert client_fields(c.cmd("CLIENT", "INFO"))["lib-name"] == "other"


def test_client_setinfo_invalid(c):
    if IS_REDIS and redis_version_tuple(c) < (7, 2, 0):
        pytest.skip("CLIENT SETINFO appeared in Redis 7.2")
    reply = c.cmd("CLIENT", "SETINFO", "LIB-NAME", "has space")
    assert isinstance(reply, Err) and reply.msg.startswith("ERR")
    reply = c.cmd("CLIENT", "SETINFO", "NOSUCHATTR", "x")
    assert isinstance(reply, Err) and reply.msg.startswith("ERR")
