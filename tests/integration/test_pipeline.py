"""Pipelining and framing: many commands per write, inline and multibulk mixed
on one connection, and requests cut into many tiny TCP segments."""
import time

import pytest

from resp import BytesConn, enc
from resp import ErrBytes as Err  # the assertions below say Err


@pytest.fixture
def conn(server, r):
    c = BytesConn(server.port)
    yield c
    c.close()


def test_pipeline_10000_sets_then_gets(conn, r):
    n = 10000
    data = b"".join(enc(b"SET", b"pk:%d" % i, b"val-%d" % i) for i in range(n))
    data += b"".join(enc(b"GET", b"pk:%d" % i) for i in range(n))
    data += enc(b"DBSIZE")
    t = conn.send_in_background(data)
    for i in range(n):
        assert conn.read() == b"OK", i
    for i in range(n):
        assert conn.read() == b"val-%d" % i
    assert conn.read() == n
    t.join(30)
    assert not t.is_alive() and not t.errors
    assert conn.nothing_pending()
    assert r.get("pk:9999") == b"val-9999"


def test_pipeline_redis_py_10000_incr(server, r):
    c = server.client()
    p = c.pipeline(transaction=False)
    for i in range(10000):
        p.incr("pcounter:%d" % (i % 10))
    res = p.execute()
    assert res == [i // 10 + 1 for i in range(10000)]
    assert [int(x) for x in c.mget(["pcounter:%d" % i for i in range(10)])] == [1000] * 10
    c.close()


def test_pipeline_big_values_between_small_commands(conn, r):
    big = bytes(range(256)) * 4096  # 1 MB, every byte value incl. \r and \n
    data = (enc(b"PING") + enc(b"SET", b"big", big) + enc(b"STRLEN", b"big") +
            enc(b"GET", b"big") + enc(b"APPEND", b"big", b"\r\n") + enc(b"ECHO", b"tail"))
    t = conn.send_in_background(data)
    assert conn.read() == b"PONG"
    assert conn.read() == b"OK"
    assert conn.read() == len(big)
    assert conn.read() == big
    assert conn.read() == len(big) + 2
    assert conn.read() == b"tail"
    t.join(30)
    assert not t.is_alive() and not t.errors


def test_pipeline_errors_do_not_break_order(conn, r):
    data = (enc(b"SET", b"e", b"1") + enc(b"NOSUCHCOMMAND", b"x") + enc(b"GET") +
            enc(b"INCR", b"e") + enc(b"SET", b"s", b"abc") + enc(b"INCR", b"s") +
            b"nosuchinline a b\r\n" + enc(b"GET", b"e"))
    conn.send(data)
    assert conn.read() == b"OK"
    e = conn.read()
    assert isinstance(e, Err) and e.startswith(b"ERR unknown command"), e
    e = conn.read()
    assert e == Err(b"ERR wrong number of arguments for 'get' command"), e
    assert conn.read() == 2
    assert conn.read() == b"OK"
    assert conn.read() == Err(b"ERR value is not an integer or out of range")
    e = conn.read()
    assert isinstance(e, Err) and e.startswith(b"ERR unknown command"), e
    assert conn.read() == b"2"
    assert conn.nothing_pending()


def test_mixed_inline_and_multibulk(conn, r):
    data = (b"PING\r\n" +
            enc(b"SET", b"a", b"1") +
            b"GET a\r\n" +
            enc(b"GET", b"a") +
            b'set b "hello world"\r\n' +
            b"GET b\r\n" +
            b"INCR a\n" +                      # inline may end with a bare \n
            b"   \r\n" +                       # blank inline line: no reply
            b"\r\n" +
            b"ECHO 'x y'\r\n" +
            b'ECHO "tab\\there\\x41"\r\n' +    # escapes inside double quotes
            enc(b"MGET", b"a", b"b", b"nokey") +
            b"EXISTS a b nokey\r\n" +
            b"ping\r\n")
    conn.send(data)
    assert conn.read() == b"PONG"
    assert conn.read() == b"OK"
    assert conn.read() == b"1"
    assert conn.read() == b"1"
    assert conn.read() == b"OK"
    assert conn.read() == b"hello world"
    assert conn.read() == 2
    assert conn.read() == b"x y"
    assert conn.read() == b"tab\there" + b"A"
    assert conn.read() == [b"2", b"hello world", None]
    assert conn.read() == 2
    assert conn.read() == b"PONG"
    assert conn.nothing_pending()


def test_incomplete_tail_waits_for_the_rest(conn, r):
    conn.send(b"PING\r\n*2\r\n$3\r\nGET")
    assert conn.read() == b"PONG"
    assert conn.nothing_pending()
    conn.send(b"\r\n$1\r\n")
    assert conn.nothing_pending()
    conn.send(b"z")
    assert conn.nothing_pending()
    conn.send(b"\r\nPI")
    assert conn.read() is None
    assert conn.nothing_pending()
    conn.send(b"NG\r\n")
    assert conn.read() == b"PONG"


def dribble(conn, data, delay=0.001):
    """Send one byte per TCP segment (TCP_NODELAY) with short pauses."""
    for i in range(len(data)):
        conn.send(data[i:i + 1])
        time.sleep(delay)


def test_byte_at_a_time_frames(conn, r):
    value = b"a\r\nb\r\n$3\r\n*1\r\n"   # protocol-looking bytes inside a bulk
    dribble(conn, enc(b"SET", b"drip", value))
    assert conn.read() == b"OK"
    dribble(conn, enc(b"GET", b"drip"))
    assert conn.read() == value
    dribble(conn, b"PING\r\n")
    assert conn.read() == b"PONG"
    dribble(conn, b"set drip2 'x y'\r\nget drip2\r\n")
    assert conn.read() == b"OK"
    assert conn.read() == b"x y"
    dribble(conn, enc(b"MSET", b"d1", b"1", b"d2", b"22") + enc(b"MGET", b"d1", b"d2"))
    assert conn.read() == b"OK"
    assert conn.read() == [b"1", b"22"]
    assert conn.nothing_pending()


def test_every_split_point_of_a_pipeline(conn, r):
    """Two commands cut into two writes at every possible offset."""
    r.set("sp", "v\r\n")
    data = enc(b"GET", b"sp") + b"ECHO hi\r\n" + enc(b"STRLEN", b"sp")
    for cut in range(1, len(data)):
        conn.send(data[:cut])
        time.sleep(0.002)
        conn.send(data[cut:])
        assert conn.read() == b"v\r\n", cut
        assert conn.read() == b"hi", cut
        assert conn.read() == 3, cut
    assert conn.nothing_pending()


def test_large_bulk_in_small_chunks(conn, r):
    value = bytes((i * 7) & 0xFF for i in range(300000))
    frame = enc(b"SET", b"chunked", value)
    for i in range(0, len(frame), 1000):
        conn.send(frame[i:i + 1000])
    assert conn.read() == b"OK"
    assert r.get("chunked") == value
