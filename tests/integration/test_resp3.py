"""RESP3 (HELLO 3) reply encodings, checked byte for byte.

redis-py 4.3.4 cannot speak RESP3, so these tests use a raw socket.  Every
expectation was checked against Redis 7.0.15 (CACHET_BIN=/usr/bin/redis-server).
Notable Redis choices encoded here: INFO / CLIENT INFO / CLIENT LIST are
verbatim strings (=N\\r\\ntxt:...), CONFIG GET is a map, INCRBYFLOAT stays a
bulk string (not a RESP3 double), TIME stays an array of bulk strings, and
command flags in COMMAND INFO are sets.
"""
import re
import time

import pytest

from conftest import raw_command
from resp import RawConn


@pytest.fixture
def c3(server, r):
    """A raw connection on the shared (flushed) server, switched to RESP3."""
    conn = RawConn(server.port)
    reply = conn.cmd("HELLO", "3")
    assert isinstance(reply, dict), reply
    yield conn
    conn.close()


def verbatim_payload(raw):
    """Check =N\\r\\ntxt:...\\r\\n framing; return the text after 'txt:'."""
    m = re.match(br"^=(\d+)\r\n", raw)
    assert m, raw[:40]
    n = int(m.group(1))
    body = raw[m.end():]
    assert len(body) == n + 2 and body.endswith(b"\r\n"), (n, len(body))
    assert body[:4] == b"txt:"
    return body[4:n].decode()


def test_hello_3_reply_is_a_7_field_map(server, r):
    conn = RawConn(server.port)
    try:
        raw = conn.cmd_raw("HELLO", "3")
        assert raw.startswith(b"%7\r\n")
        assert raw.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$")
        assert b"$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:" in raw
        assert raw.endswith(b"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                            b"$7\r\nmodules\r\n*0\r\n")
    finally:
        conn.close()


def test_null_for_missing_key(c3):
    assert c3.cmd_raw("GET", "missing") == b"_\r\n"


def test_existing_key_is_bulk(c3):
    c3.cmd("SET", "k", "hello")
    assert c3.cmd_raw("GET", "k") == b"$5\r\nhello\r\n"


def test_null_inside_array(c3):
    c3.cmd("SET", "a", "1")
    assert c3.cmd_raw("MGET", "a", "missing") == b"*2\r\n$1\r\n1\r\n_\r\n"


def test_set_replies(c3):
    assert c3.cmd_raw("SET", "k", "v") == b"+OK\r\n"
    assert c3.cmd_raw("SET", "k", "v2", "NX") == b"_\r\n"
    assert c3.cmd_raw("SET", "new", "v", "GET") == b"_\r\n"
    assert c3.cmd_raw("SET", "new", "v2", "GET") == b"$1\r\nv\r\n"
    assert c3.cmd_raw("GETDEL", "nothing") == b"_\r\n"


def test_integers(c3):
    c3.cmd("SET", "k", "1")
    assert c3.cmd_raw("EXISTS", "k", "missing") == b":1\r\n"
    assert c3.cmd_raw("INCR", "k") == b":2\r\n"
    assert c3.cmd_raw("DBSIZE") == b":1\r\n"
    assert c3.cmd_raw("TTL", "missing") == b":-2\r\n"


def test_incrbyfloat_is_bulk_string_not_double(c3):
    assert c3.cmd_raw("INCRBYFLOAT", "f", "1.5") == b"$3\r\n1.5\r\n"
    assert c3.cmd_raw("INCRBYFLOAT", "f", "1.5") == b"$1\r\n3\r\n"


def test_ping_and_echo(c3):
    assert c3.cmd_raw("PING") == b"+PONG\r\n"
    assert c3.cmd_raw("PING", "x") == b"$1\r\nx\r\n"
    assert c3.cmd_raw("ECHO", "") == b"$0\r\n\r\n"


def test_errors_are_simple_errors(c3):
    c3.cmd("SET", "k", "v")
    assert c3.cmd_raw("INCR", "k") == b"-ERR value is not an integer or out of range\r\n"
    assert c3.cmd_raw("NOSUCHCMD") == \
        b"-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n"


def test_config_get_is_map(server, c3):
    p = str(server.port).encode()
    assert c3.cmd_raw("CONFIG", "GET", "port") == b"%1\r\n$4\r\nport\r\n$" + \
        str(len(p)).encode() + b"\r\n" + p + b"\r\n"
    reply = c3.cmd("CONFIG", "GET", "port", "databases")
    assert c3.raw.startswith(b"%2\r\n")
    assert reply == {b"port": p, b"databases": b"16"}
    assert c3.cmd_raw("CONFIG", "GET", "nosuchparameter") == b"%0\r\n"
    reply = c3.cmd("CONFIG", "GET", "proto*")
    assert reply == {b"proto-max-bulk-len": b"536870912"}


def test_info_is_verbatim(c3):
    raw = c3.cmd_raw("INFO")
    text = verbatim_payload(raw)
    assert text.startswith("# Server\r\n")
    assert re.search(r"\r\nredis_version:\d+\.\d+\.\d+\r\n", text)
    raw = c3.cmd_raw("INFO", "server")
    assert verbatim_payload(raw).startswith("# Server\r\nredis_version:")


def test_info_unknown_section_is_empty_verbatim(c3):
    assert c3.cmd_raw("INFO", "nosuchsection") == b"=4\r\ntxt:\r\n"


def test_client_info_is_verbatim(c3):
    text = verbatim_payload(c3.cmd_raw("CLIENT", "INFO"))
    assert text.endswith("\n")
    fields = dict(t.partition("=")[::2] for t in text.split())
    assert fields["resp"] == "3"
    assert fields["cmd"] == "client|info"
    assert fields["id"] == str(c3.cmd("CLIENT", "ID"))


def test_client_list_is_verbatim(c3):
    text = verbatim_payload(c3.cmd_raw("CLIENT", "LIST"))
    me = str(c3.cmd("CLIENT", "ID"))
    mine = [l for l in text.split("\n") if l.startswith("id=%s " % me)]
    assert len(mine) == 1 and " resp=3" in mine[0]
    assert c3.cmd_raw("CLIENT", "LIST", "ID", 999999999) == b"=4\r\ntxt:\r\n"


def test_client_getname(c3):
    assert c3.cmd_raw("CLIENT", "GETNAME") == b"_\r\n"
    c3.cmd("CLIENT", "SETNAME", "n3")
    assert c3.cmd_raw("CLIENT", "GETNAME") == b"$2\r\nn3\r\n"


def test_time_is_array_of_bulk_strings(c3):
    raw = c3.cmd_raw("TIME")
    m = re.match(br"^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$", raw)
    assert m, raw
    assert abs(int(m.group(1)) - time.time()) < 5


def test_command_docs_is_map(c3):
    reply = c3.cmd("COMMAND", "DOCS", "get")
    assert c3.raw.startswith(b"%1\r\n$3\r\nget\r\n%")
    doc = reply[b"get"]
    assert set(doc) >= {b"summary", b"since", b"group", b"complexity", b"arguments"}
    assert doc[b"group"] == b"string"
    assert doc[b"since"] == b"1.0.0"
    assert b"%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n" in c3.raw
    assert c3.cmd_raw("COMMAND", "DOCS", "nosuchcommand") == b"%0\r\n"


def test_command_info_flags_are_sets(c3):
    raw = c3.cmd_raw("COMMAND", "INFO", "get")
    assert raw.startswith(b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n"
                          b":1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n")


def test_command_count_and_getkeys(c3):
    assert re.match(br"^:\d+\r\n$", c3.cmd_raw("COMMAND", "COUNT"))
    assert c3.cmd_raw("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2") == \
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"


def test_keys_is_array(c3):
    c3.cmd("SET", "only", "1")
    assert c3.cmd_raw("KEYS", "*") == b"*1\r\n$4\r\nonly\r\n"
    assert c3.cmd_raw("KEYS", "nomatch*") == b"*0\r\n"


def test_exec_results_use_resp3_types(c3):
    assert c3.cmd_raw("MULTI") == b"+OK\r\n"
    assert c3.cmd_raw("GET", "missing") == b"+QUEUED\r\n"
    c3.cmd("SET", "x", "1")
    c3.cmd("INCR", "x")
    assert c3.cmd_raw("EXEC") == b"*3\r\n_\r\n+OK\r\n:2\r\n"


def test_exec_aborted_by_watch_is_null(server, c3):
    c3.cmd("WATCH", "w")
    other = RawConn(server.port)
    try:
        other.cmd("SET", "w", "changed")
    finally:
        other.close()
    c3.cmd("MULTI")
    c3.cmd("PING")
    assert c3.cmd_raw("EXEC") == b"_\r\n"


def test_inline_command_in_resp3(c3):
    c3.sendall(b"GET missing\r\n")
    assert c3.read_raw() == b"_\r\n"


def test_pipelined_commands(c3):
    c3.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\np\r\n$1\r\n1\r\n"
               b"*2\r\n$3\r\nGET\r\n$1\r\np\r\n"
               b"*2\r\n$3\r\nGET\r\n$1\r\nq\r\n")
    assert c3.read_raw() == b"+OK\r\n"
    assert c3.read_raw() == b"$1\r\n1\r\n"
    assert c3.read_raw() == b"_\r\n"


def test_protocol_is_per_connection(server, c3):
    other = RawConn(server.port)
    try:
        assert other.cmd_raw("GET", "missing") == b"$-1\r\n"
        assert c3.cmd_raw("GET", "missing") == b"_\r\n"
    finally:
        other.close()


def test_hello_2_switches_back(c3):
    reply = c3.cmd("HELLO", "2")
    assert c3.raw.startswith(b"*14\r\n")
    assert reply[5] == 2
    assert c3.cmd_raw("GET", "missing") == b"$-1\r\n"
    assert c3.cmd_raw("CONFIG", "GET", "databases") == b"*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n"
    assert c3.cmd_raw("INFO", "nosuchsection") == b"$0\r\n\r\n"


def test_hello_3_again_is_fine(c3):
    reply = c3.cmd("HELLO", "3")
    assert c3.raw.startswith(b"%7\r\n")
    assert reply[b"proto"] == 3
