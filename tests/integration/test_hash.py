"""HASH commands: exact Redis 7.0 replies, error texts, RESP3 shapes,
encodings and their conversions, memory accounting, and a model-based
random test.

Every expectation here was checked against redis-server 7.0.15
(CACHET_BIN=/usr/bin/redis-server); the few Cachet-only checks skip there.

`w` is a RESP2 resp.Wire (errors as "-ERR ...", simple strings as "+OK");
`c3` a RESP3 resp.RawConn; `r` a redis-py client.  All share one server,
flushed before each test.
"""
import random
import threading
import time

import pytest

from conftest import IS_REDIS
from resp import NIL_ARRAY, NOT_INT, SYNTAX, RawConn, Wire, arity

WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_FLOAT = "-ERR value is not a valid float"
HASH_NOT_INT = "-ERR hash value is not an integer"
HASH_NOT_FLOAT = "-ERR hash value is not a float"
OVERFLOW = "-ERR increment or decrement would overflow"
NAN_INF = "-ERR increment would produce NaN or Infinity"
VALUE_NAN_INF = "-ERR value is NaN or Infinity"
OUT_OF_RANGE = "-ERR value is out of range"
LONG_RANGE = ("-ERR value is out of range, value must between -9223372036854775807 "
              "and 9223372036854775807")
INVALID_CURSOR = "-ERR invalid cursor"
MAX_I64 = 9223372036854775807
MIN_I64 = -9223372036854775808


@pytest.fixture
def c3(server, r):
    conn = RawConn(server.port)
    assert isinstance(conn.cmd("HELLO", "3"), dict)
    yield conn
    conn.close()


@pytest.fixture
def limits(r):
    """Set hash-max-listpack-entries/value for one test; restored after."""
    saved = r.config_get("hash-max-listpack-*")

    def set_limits(entries=None, value=None):
        if entries is not None:
            r.config_set("hash-max-listpack-entries", entries)
        if value is not None:
            r.config_set("hash-max-listpack-value", value)

    yield set_limits
    for k, v in saved.items():
        r.config_set(k, v)


def pairs(flat):
    """[f1, v1, f2, v2] -> {f1: v1, f2: v2}"""
    return dict(zip(flat[0::2], flat[1::2]))


def enc(w, key):
    return w("OBJECT", "ENCODING", key)


# --------------------------------------------------------------------------
# HSET / HMSET / HSETNX

def test_hset_counts_new_fields_only(w):
    assert w("HSET", "h", "a", "1", "b", "2") == 2
    assert w("HSET", "h", "a", "10", "c", "3") == 1
    assert w("HSET", "h", "a", "11") == 0
    assert pairs(w("HGETALL", "h")) == {b"a": b"11", b"b": b"2", b"c": b"3"}


def test_hset_same_field_twice_in_one_call(w):
    assert w("HSET", "h", "a", "1", "a", "2") == 1
    assert w("HGET", "h", "a") == b"2"
    assert w("HLEN", "h") == 1


def test_hset_odd_arguments_is_an_arity_error(w):
    assert w("HSET", "h", "a", "1", "b") == arity("hset")
    assert w("HSET", "h", "a") == arity("hset")
    assert w("HMSET", "h", "a", "1", "b") == arity("hmset")
    assert w("EXISTS", "h") == 0


def test_hmset_replies_ok(w):
    assert w("HMSET", "h", "a", "1", "b", "2") == "+OK"
    assert w("HMGET", "h", "a", "b") == [b"1", b"2"]


def test_hset_empty_and_binary_fields_and_values(w):
    assert w("HSET", "h", "", "", b"a\x00b", b"\x00\xff") == 2
    assert w("HGET", "h", "") == b""
    assert w("HGET", "h", b"a\x00b") == b"\x00\xff"
    assert w("HSTRLEN", "h", "") == 0


def test_hsetnx(w):
    assert w("HSETNX", "h", "a", "1") == 1
    assert w("HSETNX", "h", "a", "2") == 0
    assert w("HGET", "h", "a") == b"1"
    assert w("HSETNX", "h", "b", "2") == 1
    assert w("HSETNX", "h", "a") == arity("hsetnx")


def test_integer_looking_values_come_back_verbatim(w):
    vals = ["0", "-1", "123", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "007", "+1", " 1", "1.0", "-0", "1e3"]
    for i, v in enumerate(vals):
        w("HSET", "h", "f%d" % i, v)
        w("HSET", "h", v, "field-%d" % i)
    for i, v in enumerate(vals):
        assert w("HGET", "h", "f%d" % i) == v.encode()
        assert w("HGET", "h", v) == ("field-%d" % i).encode()
        assert w("HSTRLEN", "h", "f%d" % i) == len(v)


# --------------------------------------------------------------------------
# HGET / HMGET / HEXISTS / HLEN / HSTRLEN

def test_hget_missing_key_and_field(w):
    assert w("HGET", "nokey", "a") is None
    w("HSET", "h", "a", "1")
    assert w("HGET", "h", "b") is None
    assert w("HGET", "h") == arity("hget")


def test_hmget(w):
    assert w("HMGET", "nokey", "a", "b") == [None, None]
    w("HSET", "h", "a", "1", "c", "3")
    assert w("HMGET", "h", "a", "b", "c", "a") == [b"1", None, b"3", b"1"]
    assert w("HMGET", "h") == arity("hmget")


def test_hexists_hlen_hstrlen(w):
    assert w("HEXISTS", "h", "a") == 0
    assert w("HLEN", "h") == 0
    assert w("HSTRLEN", "h", "a") == 0
    w("HSET", "h", "a", "hello", "n", "-12345")
    assert w("HEXISTS", "h", "a") == 1
    assert w("HEXISTS", "h", "b") == 0
    assert w("HLEN", "h") == 2
    assert w("HSTRLEN", "h", "a") == 5
    assert w("HSTRLEN", "h", "n") == 6
    assert w("HSTRLEN", "h", "zz") == 0
    assert w("HLEN", "h", "x") == arity("hlen")
    assert w("HSTRLEN", "h") == arity("hstrlen")
    assert w("HEXISTS", "h") == arity("hexists")


# --------------------------------------------------------------------------
# HGETALL / HKEYS / HVALS

def test_hgetall_hkeys_hvals(w):
    w("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert pairs(w("HGETALL", "h")) == {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert sorted(w("HKEYS", "h")) == [b"a", b"b", b"c"]
    assert sorted(w("HVALS", "h")) == [b"1", b"2", b"3"]
    # the three walk in the same order
    flat = w("HGETALL", "h")
    assert w("HKEYS", "h") == flat[0::2]
    assert w("HVALS", "h") == flat[1::2]


def test_small_hash_keeps_insertion_order(w):
    w("HSET", "h", "z", "1", "a", "2", "m", "3")
    assert w("HKEYS", "h") == [b"z", b"a", b"m"]


def test_hgetall_missing_key(w):
    assert w("HGETALL", "nokey") == []
    assert w("HKEYS", "nokey") == []
    assert w("HVALS", "nokey") == []
    assert w("HGETALL") == arity("hgetall")


def test_resp3_shapes(c3):
    c3.cmd("HSET", "h", "a", "1", "b", "2")
    assert c3.cmd_raw("HGETALL", "h") == b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert c3.cmd_raw("HGETALL", "nokey") == b"%0\r\n"
    assert c3.cmd_raw("HKEYS", "nokey") == b"*0\r\n"
    assert c3.cmd_raw("HVALS", "nokey") == b"*0\r\n"
    assert c3.cmd_raw("HKEYS", "h") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert c3.cmd_raw("HGET", "h", "x") == b"_\r\n"
    assert c3.cmd_raw("HMGET", "h", "a", "x") == b"*2\r\n$1\r\n1\r\n_\r\n"
    assert c3.cmd_raw("HINCRBYFLOAT", "h", "a", "1.5") == b"$3\r\n2.5\r\n"
    assert c3.cmd_raw("HINCRBY", "h", "b", "1") == b":3\r\n"
    assert c3.cmd_raw("HSCAN", "h", "0") == (
        b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$3\r\n2.5\r\n$1\r\nb\r\n$1\r\n3\r\n")
    assert c3.cmd_raw("HRANDFIELD", "nokey") == b"_\r\n"
    assert c3.cmd_raw("HRANDFIELD", "nokey", "3", "WITHVALUES") == b"*0\r\n"


# --------------------------------------------------------------------------
# HDEL

def test_hdel(w):
    w("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert w("HDEL", "h", "a", "x", "a") == 1
    assert w("HDEL", "h", "zz") == 0
    assert w("HLEN", "h") == 2
    assert w("HDEL", "h", "b", "c", "d") == 2
    assert w("EXISTS", "h") == 0  # the last field takes the key with it
    assert w("HDEL", "h", "a") == 0
    assert w("HDEL", "h") == arity("hdel")


def test_hdel_last_field_of_big_hash_deletes_key(w, limits):
    limits(entries=4)
    w("HSET", "h", *[x for i in range(10) for x in ("f%d" % i, "v")])
    assert enc(w, "h") == b"hashtable"
    assert w("HDEL", "h", *["f%d" % i for i in range(10)]) == 10
    assert w("EXISTS", "h") == 0


# --------------------------------------------------------------------------
# HINCRBY

def test_hincrby(w):
    assert w("HINCRBY", "h", "n", "5") == 5
    assert w("HINCRBY", "h", "n", "-7") == -2
    assert w("HGET", "h", "n") == b"-2"
    w("HSET", "h", "s", "  12")
    assert w("HINCRBY", "h", "s", "1") == HASH_NOT_INT
    w("HSET", "h", "f", "1.5")
    assert w("HINCRBY", "h", "f", "1") == HASH_NOT_INT
    w("HSET", "h", "e", "")
    assert w("HINCRBY", "h", "e", "1") == HASH_NOT_INT
    assert w("HINCRBY", "h", "n", "x") == NOT_INT
    assert w("HINCRBY", "h", "n", "1.0") == NOT_INT
    assert w("HINCRBY", "h", "n", "99999999999999999999") == NOT_INT
    assert w("HINCRBY", "h", "n") == arity("hincrby")


def test_hincrby_overflow(w):
    w("HSET", "h", "big", str(MAX_I64), "small", str(MIN_I64))
    assert w("HINCRBY", "h", "big", "1") == OVERFLOW
    assert w("HINCRBY", "h", "small", "-1") == OVERFLOW
    assert w("HINCRBY", "h", "big", str(MIN_I64)) == -1
    assert w("HINCRBY", "h", "small", str(MAX_I64)) == -1
    assert w("HINCRBY", "h", "new", str(MIN_I64)) == MIN_I64
    assert w("HGET", "h", "big") == b"-1"


def test_hincrby_error_on_missing_key_creates_nothing(w):
    assert w("HINCRBY", "h", "n", "x") == NOT_INT
    assert w("HINCRBYFLOAT", "h", "n", "x") == NOT_FLOAT
    assert w("HINCRBYFLOAT", "h", "n", "inf") == VALUE_NAN_INF
    assert w("EXISTS", "h") == 0


# --------------------------------------------------------------------------
# HINCRBYFLOAT

@pytest.mark.parametrize("start,incr,want", [
    (None, "10.5", b"10.5"),
    ("10.50", "0.1", b"10.6"),
    ("5.0e3", "2.0e2", b"5200"),
    ("1", "2", b"3"),
    ("0", "-0", b"0"),
    ("-5", "5", b"0"),
    ("1.5", "-2.25", b"-0.75"),
    ("3", "1e-5", b"3.00001"),
    ("17179869184", "1.5", b"17179869185.5"),
    ("0.1", "0.2", b"0.3"),
    ("1e18", "1", b"1000000000000000001"),  # long double keeps 64 bits
    ("1e20", "1", b"100000000000000000000"),
])
def test_hincrbyfloat_formats_like_redis(w, start, incr, want):
    if start is not None:
        w("HSET", "h", "f", start)
    assert w("HINCRBYFLOAT", "h", "f", incr) == want
    assert w("HGET", "h", "f") == want


def test_hincrbyfloat_errors(w):
    w("HSET", "h", "s", "abc", "n", "1", "sp", " 1", "inf", "inf")
    assert w("HINCRBYFLOAT", "h", "s", "1") == HASH_NOT_FLOAT
    assert w("HINCRBYFLOAT", "h", "sp", "1") == HASH_NOT_FLOAT
    assert w("HINCRBYFLOAT", "h", "n", "abc") == NOT_FLOAT
    assert w("HINCRBYFLOAT", "h", "n", "") == NOT_FLOAT
    assert w("HINCRBYFLOAT", "h", "n", "nan") == NOT_FLOAT
    assert w("HINCRBYFLOAT", "h", "n", "inf") == VALUE_NAN_INF
    assert w("HINCRBYFLOAT", "h", "n", "-inf") == VALUE_NAN_INF
    assert w("HINCRBYFLOAT", "h", "inf", "1") == NAN_INF
    w("HSET", "h", "huge", "1.18e4932")
    assert w("HINCRBYFLOAT", "h", "huge", "1.18e4932") == NAN_INF
    assert w("HGET", "h", "n") == b"1"
    assert w("HINCRBYFLOAT", "h", "n") == arity("hincrbyfloat")


def test_hincrbyfloat_huge_value_is_written_out(w):
    got = w("HINCRBYFLOAT", "h", "f", "1e300")
    # %.17Lf of the long double nearest 1e300: 301 digits, no fraction left
    assert got.startswith(b"1000000000000000") and len(got) == 301 and b"." not in got
    assert w("HSTRLEN", "h", "f") == 301


# --------------------------------------------------------------------------
# HRANDFIELD

def test_hrandfield_single(w):
    assert w("HRANDFIELD", "nokey") is None
    w("HSET", "h", "a", "1", "b", "2", "c", "3")
    seen = set(w("HRANDFIELD", "h") for _ in range(200))
    assert seen == {b"a", b"b", b"c"}


def test_hrandfield_count_argument_errors(w):
    w("HSET", "h", "a", "1")
    assert w("HRANDFIELD", "h", "x") == NOT_INT
    assert w("HRANDFIELD", "h", "1.5") == NOT_INT
    assert w("HRANDFIELD", "h", str(MIN_I64)) == LONG_RANGE
    assert w("HRANDFIELD", "h", "1", "foo") == SYNTAX
    assert w("HRANDFIELD", "h", "1", "WITHVALUES", "foo") == SYNTAX
    assert w("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES") == OUT_OF_RANGE
    assert w("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == OUT_OF_RANGE
    assert w("HRANDFIELD", "h", str(MAX_I64), "WITHVALUES") == OUT_OF_RANGE
    # arguments are checked before the key
    assert w("HRANDFIELD", "nokey", "1", "foo") == SYNTAX
    w("SET", "s", "x")
    assert w("HRANDFIELD", "s", "1", "foo") == SYNTAX
    assert w("HRANDFIELD", "s", "x") == NOT_INT
    assert w("HRANDFIELD", "s", "1") == WRONGTYPE
    assert w("HRANDFIELD") == arity("hrandfield")


def test_hrandfield_count_zero_and_missing_key(w):
    w("HSET", "h", "a", "1")
    assert w("HRANDFIELD", "h", "0") == []
    assert w("HRANDFIELD", "h", "0", "WITHVALUES") == []
    assert w("HRANDFIELD", "nokey", "5") == []
    assert w("HRANDFIELD", "nokey", "-5", "withvalues") == []


@pytest.mark.parametrize("size", [5, 300])  # listpack and hashtable
def test_hrandfield_positive_count_is_distinct(w, size):
    w("HSET", "h", *[x for i in range(size) for x in ("f%d" % i, "v%d" % i)])
    for count in (1, 2, size // 3, size // 2, size - 1, size, size + 10, 10 ** 9):
        got = w("HRANDFIELD", "h", count)
        assert len(got) == min(count, size)
        assert len(set(got)) == len(got)
        assert all(g.startswith(b"f") and int(g[1:]) < size for g in got)
        flat = w("HRANDFIELD", "h", count, "WITHVALUES")
        assert len(flat) == 2 * min(count, size)
        for f, v in pairs(flat).items():
            assert v == b"v" + f[1:]
    assert len(set(w("HRANDFIELD", "h", size))) == size


@pytest.mark.parametrize("size", [3, 300])
def test_hrandfield_negative_count_repeats(w, size):
    w("HSET", "h", *[x for i in range(size) for x in ("f%d" % i, "v%d" % i)])
    got = w("HRANDFIELD", "h", -1000)
    assert len(got) == 1000
    assert len(set(got)) < 1000  # repeats
    if size == 3:
        assert set(got) == {b"f0", b"f1", b"f2"}
    flat = w("HRANDFIELD", "h", -7, "WITHVALUES")
    assert len(flat) == 14
    for f, v in zip(flat[0::2], flat[1::2]):
        assert v == b"v" + f[1:]


def test_hrandfield_resp3_withvalues_is_pairs(c3):
    c3.cmd("HSET", "h", "a", "1")
    assert c3.cmd_raw("HRANDFIELD", "h", "1", "WITHVALUES") == b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert c3.cmd_raw("HRANDFIELD", "h", "-2", "WITHVALUES") == (
        b"*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n")
    assert c3.cmd_raw("HRANDFIELD", "h", "5", "WITHVALUES") == b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert c3.cmd_raw("HRANDFIELD", "h", "-2") == b"*2\r\n$1\r\na\r\n$1\r\na\r\n"
    assert c3.cmd_raw("HRANDFIELD", "h") == b"$1\r\na\r\n"
    c3.cmd("HSET", "h", "b", "2")
    got = c3.cmd("HRANDFIELD", "h", "2", "WITHVALUES")
    assert sorted(map(tuple, got)) == [(b"a", b"1"), (b"b", b"2")]


def test_hrandfield_is_roughly_uniform(w, limits):
    limits(entries=4)
    w("HSET", "h", *[x for i in range(20) for x in ("f%d" % i, "v")])
    assert enc(w, "h") == b"hashtable"
    counts = {}
    for f in w("HRANDFIELD", "h", -20000):
        counts[f] = counts.get(f, 0) + 1
    assert len(counts) == 20
    assert min(counts.values()) > 700 and max(counts.values()) < 1300


# --------------------------------------------------------------------------
# HSCAN

def full_hscan(w, key, *opts):
    cursor, got, calls = b"0", [], 0
    while True:
        reply = w("HSCAN", key, cursor, *opts)
        cursor, items = reply
        got += items
        calls += 1
        if cursor == b"0":
            return got, calls


def test_hscan_small_hash_returns_everything_at_once(w):
    w("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert w("HSCAN", "h", "0") == [b"0", [b"a", b"1", b"b", b"2", b"c", b"3"]]
    assert w("HSCAN", "h", "0", "COUNT", "1") == [b"0", [b"a", b"1", b"b", b"2", b"c", b"3"]]
    # a listpack ignores the cursor
    assert w("HSCAN", "h", "12345") == [b"0", [b"a", b"1", b"b", b"2", b"c", b"3"]]
    assert w("HSCAN", "h", "0", "MATCH", "[ab]") == [b"0", [b"a", b"1", b"b", b"2"]]


def test_hscan_big_hash_iterates_everything(w):
    n = 1000
    w("HSET", "h", *[x for i in range(n) for x in ("f%d" % i, "v%d" % i)])
    assert enc(w, "h") == b"hashtable"
    got, calls = full_hscan(w, "h")
    assert calls > 10
    d = pairs(got)
    assert len(d) == n
    assert all(d[b"f%d" % i] == b"v%d" % i for i in range(n))
    got, calls = full_hscan(w, "h", "COUNT", "200")
    assert len(pairs(got)) == n
    assert calls < 30
    got, _ = full_hscan(w, "h", "MATCH", "f1*", "COUNT", "50")
    assert sorted(pairs(got)) == sorted(b"f%d" % i for i in range(n) if str(i).startswith("1"))


def test_hscan_errors(w):
    w("HSET", "h", "a", "1")
    assert w("HSCAN", "h", "abc") == INVALID_CURSOR
    assert w("HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert w("HSCAN", "h", "0", "COUNT", "x") == NOT_INT
    assert w("HSCAN", "h", "0", "FOO") == SYNTAX
    assert w("HSCAN", "h", "0", "MATCH") == SYNTAX
    assert w("HSCAN", "h") == arity("hscan")
    # the cursor is checked before the key, the options after it
    assert w("HSCAN", "nokey", "abc") == INVALID_CURSOR
    assert w("HSCAN", "nokey", "0", "COUNT", "0") == [b"0", []]
    assert w("HSCAN", "nokey", "0") == [b"0", []]
    w("SET", "s", "x")
    assert w("HSCAN", "s", "abc") == INVALID_CURSOR
    assert w("HSCAN", "s", "0", "COUNT", "0") == WRONGTYPE


def test_hscan_returns_every_field_while_hash_grows(w, server):
    n = 2000
    w("HSET", "h", *[x for i in range(n) for x in ("f%d" % i, "v")])
    other = server.client()
    cursor, seen, extra = b"0", [], 0
    while True:
        cursor, items = w("HSCAN", "h", cursor, "COUNT", "20")
        seen += items[0::2]
        other.hset("h", mapping={"g%d" % (extra + k): "v" for k in range(40)})
        extra += 40
        if cursor == b"0":
            break
    other.connection_pool.disconnect()
    assert extra > n  # the table grew several times during the scan
    assert set(b"f%d" % i for i in range(n)) <= set(seen)
    if not IS_REDIS:  # Cachet's hash-space cursor never repeats a field
        assert len(seen) == len(set(seen))


def test_hscan_returns_every_field_while_hash_shrinks(w, server):
    n = 3000
    w("HSET", "h", *[x for i in range(n) for x in ("f%d" % i, "v")])
    other = server.client()
    cursor, seen, gone = b"0", [], 0
    while True:
        cursor, items = w("HSCAN", "h", cursor, "COUNT", "20")
        seen += items[0::2]
        if gone < n - 100:
            other.hdel("h", *["f%d" % (n - 1 - gone - k) for k in range(60)])
            gone += 60
        if cursor == b"0":
            break
    other.connection_pool.disconnect()
    survivors = set(b"f%d" % i for i in range(n - gone))
    assert survivors <= set(seen)


# --------------------------------------------------------------------------
# types, WRONGTYPE, keyspace commands

HASH_COMMANDS = [
    ("HSET", "k", "f", "v"), ("HSETNX", "k", "f", "v"), ("HGET", "k", "f"),
    ("HMSET", "k", "f", "v"), ("HMGET", "k", "f"), ("HGETALL", "k"), ("HDEL", "k", "f"),
    ("HEXISTS", "k", "f"), ("HLEN", "k"), ("HSTRLEN", "k", "f"), ("HKEYS", "k"),
    ("HVALS", "k"), ("HINCRBY", "k", "f", "1"), ("HINCRBYFLOAT", "k", "f", "1"),
    ("HRANDFIELD", "k"), ("HRANDFIELD", "k", "2"), ("HRANDFIELD", "k", "-2", "WITHVALUES"),
    ("HSCAN", "k", "0"),
]


@pytest.mark.parametrize("cmd", HASH_COMMANDS, ids=lambda c: " ".join(c))
def test_hash_commands_on_a_string_are_wrongtype(w, cmd):
    w("SET", "k", "1")
    assert w(*cmd) == WRONGTYPE
    assert w("GET", "k") == b"1"


@pytest.mark.parametrize("cmd", [
    ("GET", "k"), ("INCR", "k"), ("APPEND", "k", "x"), ("STRLEN", "k"), ("GETRANGE", "k", "0", "1"),
    ("SETRANGE", "k", "0", "x"), ("INCRBYFLOAT", "k", "1"), ("GETDEL", "k"), ("GETSET", "k", "v"),
], ids=lambda c: c[0])
def test_string_commands_on_a_hash_are_wrongtype(w, cmd):
    w("HSET", "k", "f", "v")
    assert w(*cmd) == WRONGTYPE
    assert w("HGET", "k", "f") == b"v"


def test_set_overwrites_a_hash(w):
    w("HSET", "k", "f", "v")
    assert w("SET", "k", "s") == "+OK"
    assert w("TYPE", "k") == "+string"


def test_mget_skips_hashes(w):
    w("HSET", "k", "f", "v")
    w("SET", "s", "1")
    assert w("MGET", "k", "s") == [None, b"1"]


def test_type_and_encoding(w, limits):
    w("HSET", "h", "f", "v")
    assert w("TYPE", "h") == "+hash"
    assert enc(w, "h") == b"listpack"
    limits(entries=1)
    w("HSET", "h", "g", "v")
    assert enc(w, "h") == b"hashtable"


@pytest.mark.parametrize("big", [False, True])
def test_copy_is_deep_and_keeps_encoding(w, limits, big):
    limits(entries=4)
    n = 10 if big else 3
    w("HSET", "h", *[x for i in range(n) for x in ("f%d" % i, "v%d" % i)])
    want = b"hashtable" if big else b"listpack"
    assert w("COPY", "h", "h2") == 1
    assert enc(w, "h2") == want
    assert w("HSET", "h2", "f0", "changed") == 0
    assert w("HGET", "h", "f0") == b"v0"
    assert w("HDEL", "h", "f1") == 1
    assert w("HGET", "h2", "f1") == b"v1"
    assert w("HLEN", "h2") == n
    assert w("COPY", "h", "h2") == 0
    assert w("COPY", "h", "h2", "REPLACE") == 1
    assert pairs(w("HGETALL", "h2")) == pairs(w("HGETALL", "h"))


def test_rename_del_exists_unlink(w):
    w("HSET", "h", "f", "v")
    assert w("RENAME", "h", "h2") == "+OK"
    assert w("HGET", "h2", "f") == b"v"
    assert w("EXISTS", "h", "h2") == 1
    assert w("DEL", "h2") == 1
    assert w("HGET", "h2", "f") is None
    w("HSET", "h", "f", "v")
    assert w("UNLINK", "h") == 1
    assert w("EXISTS", "h") == 0


def test_rename_onto_string_and_back(w):
    w("HSET", "h", "f", "v")
    w("SET", "s", "x")
    assert w("RENAME", "h", "s") == "+OK"
    assert w("TYPE", "s") == "+hash"
    assert w("HGET", "s", "f") == b"v"


def test_expire_on_a_hash(w):
    w("HSET", "h", "f", "v")
    assert w("PEXPIRE", "h", "100") == 1
    assert 0 < w("PTTL", "h") <= 100
    # writes keep the TTL, as in Redis
    w("HSET", "h", "g", "v")
    w("HINCRBY", "h", "n", "1")
    w("HDEL", "h", "g")
    assert w("PTTL", "h") > 0
    time.sleep(0.25)
    assert w("EXISTS", "h") == 0
    assert w("HGET", "h", "f") is None
    assert w("HLEN", "h") == 0


def test_emptied_hash_loses_its_ttl(w):
    w("HSET", "h", "f", "v")
    w("EXPIRE", "h", "100")
    w("HDEL", "h", "f")
    w("HSET", "h", "f", "v")
    assert w("TTL", "h") == -1


def test_scan_type_hash(w):
    w("HSET", "h1", "f", "v")
    w("HSET", "h2", "f", "v")
    w("SET", "s", "v")
    cursor, keys = b"0", []
    while True:
        cursor, batch = w("SCAN", cursor, "TYPE", "hash", "COUNT", "100")
        keys += batch
        if cursor == b"0":
            break
    assert sorted(keys) == [b"h1", b"h2"]


def test_watch_sees_hash_writes_but_not_noops(w, server):
    other = server.client()
    w("HSET", "h", "f", "v")
    noops = [("HSETNX", "h", "f", "x"), ("HDEL", "h", "nofield"), ("HGET", "h", "f"),
             ("HDEL", "nokey", "f"), ("HINCRBY", "h", "f", "1")]  # the last one errors
    for noop in noops:
        assert w("WATCH", "h") == "+OK"
        try:
            other.execute_command(*noop)
        except Exception:
            pass
        w("MULTI")
        w("HLEN", "h")
        assert isinstance(w("EXEC"), list), noop
    changes = [("HSET", "h", "f", "v"), ("HDEL", "h", "f"), ("HINCRBY", "h", "n", "1"),
               ("HSETNX", "h", "new", "1"), ("HINCRBYFLOAT", "h", "x", "1.5"),
               ("HMSET", "h", "a", "1")]
    for change in changes:
        assert w("WATCH", "h") == "+OK"
        other.execute_command(*change)
        w("MULTI")
        w("HLEN", "h")
        assert w("EXEC") is NIL_ARRAY, change
    other.connection_pool.disconnect()


def test_hash_commands_inside_multi(w):
    w("MULTI")
    w("HSET", "h", "a", "1")
    w("HINCRBY", "h", "a", "2")
    w("HINCRBY", "h", "b", "x")
    w("HGETALL", "h")
    assert w("EXEC") == [1, 3, NOT_INT, [b"a", b"3"]]


def test_concurrent_hincrby_is_exact(server, r):
    threads, per = 8, 300

    def work():
        cl = server.client()
        for _ in range(per):
            cl.hincrby("counter", "n", 1)
            cl.hincrbyfloat("counter", "x", 0.5)
        cl.connection_pool.disconnect()

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert r.hget("counter", "n") == str(threads * per).encode()
    assert float(r.hget("counter", "x")) == threads * per * 0.5


# --------------------------------------------------------------------------
# COMMAND rows

@pytest.mark.parametrize("name,arity_,flags,keys", [
    ("hset", -4, {"write", "denyoom", "fast"}, (1, 1, 1)),
    ("hsetnx", 4, {"write", "denyoom", "fast"}, (1, 1, 1)),
    ("hget", 3, {"readonly", "fast"}, (1, 1, 1)),
    ("hmset", -4, {"write", "denyoom", "fast"}, (1, 1, 1)),
    ("hmget", -3, {"readonly", "fast"}, (1, 1, 1)),
    ("hgetall", 2, {"readonly"}, (1, 1, 1)),
    ("hdel", -3, {"write", "fast"}, (1, 1, 1)),
    ("hexists", 3, {"readonly", "fast"}, (1, 1, 1)),
    ("hlen", 2, {"readonly", "fast"}, (1, 1, 1)),
    ("hstrlen", 3, {"readonly", "fast"}, (1, 1, 1)),
    ("hkeys", 2, {"readonly"}, (1, 1, 1)),
    ("hvals", 2, {"readonly"}, (1, 1, 1)),
    ("hincrby", 4, {"write", "denyoom", "fast"}, (1, 1, 1)),
    ("hincrbyfloat", 4, {"write", "denyoom", "fast"}, (1, 1, 1)),
    ("hrandfield", -2, {"readonly"}, (1, 1, 1)),
    ("hscan", -3, {"readonly"}, (1, 1, 1)),
])
def test_command_info_rows(w, name, arity_, flags, keys):
    info = w("COMMAND", "INFO", name)[0]
    assert info[0] == name.encode()
    assert info[1] == arity_
    assert set(f.lstrip("+") for f in info[2]) == flags
    assert tuple(info[3:6]) == keys
    cats = set(c.lstrip("+") for c in info[6])
    assert "@hash" in cats
    assert ("@fast" in cats) == ("fast" in flags)
    assert ("@write" in cats) == ("write" in flags)


def test_command_docs_summary_and_group(w):
    docs = w("COMMAND", "DOCS", "hincrbyfloat")
    d = pairs(pairs(docs)[b"hincrbyfloat"])
    assert d[b"group"] == b"hash"
    assert d[b"since"] == b"2.6.0"
    assert d[b"summary"] == b"Increment the float value of a hash field by the given amount"


# --------------------------------------------------------------------------
# encodings and conversions

def test_entries_threshold(w, limits):
    limits(entries=4, value=64)
    w("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
    assert enc(w, "h") == b"listpack"
    w("HSET", "h", "d", "5")  # an update does not add an entry
    assert enc(w, "h") == b"listpack"
    w("HSET", "h", "e", "5")
    assert enc(w, "h") == b"hashtable"
    w("HDEL", "h", "a", "b", "c", "d")  # never back to listpack
    assert enc(w, "h") == b"hashtable"
    assert w("HLEN", "h") == 1


def test_repeated_field_in_one_hset_counts_once(w, limits):
    limits(entries=4)
    w("HSET", "h", *["a", "1"] * 6)
    assert enc(w, "h") == b"listpack"


@pytest.mark.parametrize("cmd,converts", [
    (("HSET", "h", "123456789", "1"), True),    # field too long
    (("HSET", "h", "f", "123456789"), True),    # value too long
    (("HSET", "h", "12345678", "12345678"), False),  # exactly at the limit
    (("HMSET", "h", "f", "123456789"), True),
    (("HSETNX", "h", "g", "123456789"), True),
    (("HSETNX", "h", "a", "123456789"), False),  # field exists: nothing set
    (("HINCRBY", "h", "a", "123456789"), True),  # 123456790 is 9 bytes
    (("HINCRBY", "h", "a", "12345677"), False),  # 12345678 is 8 bytes
    (("HINCRBYFLOAT", "h", "a", "0.123456789"), True),
    (("HINCRBYFLOAT", "h", "a", "0.5"), False),
])
def test_value_threshold(w, limits, cmd, converts):
    limits(entries=128, value=8)
    w("HSET", "h", "a", "1")
    w(*cmd)
    assert enc(w, "h") == (b"hashtable" if converts else b"listpack")


def test_new_key_past_thresholds_starts_as_hashtable(w, limits):
    limits(entries=0)
    w("HSET", "h", "a", "1")
    assert enc(w, "h") == b"hashtable"
    limits(entries=128, value=0)
    w("HSET", "h2", "", "")
    assert enc(w, "h2") == b"listpack"
    w("HSET", "h3", "a", "")
    assert enc(w, "h3") == b"hashtable"


def test_threshold_aliases(r, limits):
    limits()
    r.config_set("hash-max-ziplist-entries", 7)
    r.config_set("hash-max-ziplist-value", 9)
    assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "7"}
    assert r.config_get("hash-max-listpack-value") == {"hash-max-listpack-value": "9"}
    assert r.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "7"}


def test_default_thresholds(r):
    assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "512"}
    assert r.config_get("hash-max-listpack-value") == {"hash-max-listpack-value": "64"}
    r.hset("h", mapping={"f%d" % i: "v" for i in range(512)})
    assert r.object("encoding", "h") == b"listpack"
    r.hset("h", "f512", "v")
    assert r.object("encoding", "h") == b"hashtable"
    r.hset("h2", "f", "x" * 64)
    assert r.object("encoding", "h2") == b"listpack"
    r.hset("h2", "g", "x" * 65)
    assert r.object("encoding", "h2") == b"hashtable"


def test_conversion_keeps_every_pair(w, limits):
    limits(entries=16)
    vals = {"f%d" % i: (str(i * 7 - 50) if i % 2 else "s%d" % i) for i in range(17)}
    for f, v in vals.items():
        w("HSET", "h", f, v)
    assert enc(w, "h") == b"hashtable"
    assert pairs(w("HGETALL", "h")) == {f.encode(): v.encode() for f, v in vals.items()}


# --------------------------------------------------------------------------
# memory accounting

def used_memory(r):
    return int(r.info("memory")["used_memory"])


def settle(r, base, slack, timeout=5.0):
    """used_memory once background frees have caught up (within slack)."""
    deadline = time.time() + timeout
    now = used_memory(r)
    while abs(now - base) > slack and time.time() < deadline:
        time.sleep(0.05)
        now = used_memory(r)
    return now


def test_used_memory_returns_to_baseline(r, server, limits):
    limits(entries=128, value=64)
    # the same key names once as strings first: the keyspace's first-use
    # allocations (each shard's smallest bucket array) stay out of it
    names = ["small:%d" % k for k in range(300)] + ["big"]
    r.mset({k: "x" for k in names})
    r.delete(*names)
    base = used_memory(r)
    # the load goes through its own connection, closed before the last
    # reading, so its query and reply buffers are not part of the result
    loader = server.client()
    pipe = loader.pipeline(transaction=False)
    for k in range(300):  # small hashes
        pipe.hset("small:%d" % k, mapping={"f%d" % i: "v%d" % i for i in range(20)})
    for i in range(0, 100000, 1000):  # one big hash
        pipe.hset("big", mapping={"f%d" % j: "value-%d" % j for j in range(i, i + 1000)})
    pipe.execute()
    grown = used_memory(r)
    assert grown > base + 3000000
    for i in range(0, 99000, 1000):  # shrink it, through the shrink resizes
        pipe.hdel("big", *["f%d" % j for j in range(i, i + 1000)])
    for k in range(300):
        pipe.hdel("small:%d" % k, *["f%d" % i for i in range(10)])
        pipe.hincrbyfloat("small:%d" % k, "n", 1.5)
    pipe.execute()
    assert r.hlen("big") == 1000
    assert used_memory(r) < grown - 2000000
    pipe.delete("big")
    for k in range(300):
        pipe.delete("small:%d" % k)
    pipe.execute()
    loader.connection_pool.disconnect()
    # Redis keeps its keyspace dict's grown bucket array (and reply-buffer
    # pools) until its cron trims them, so it gets a wider margin
    slack = 256 * 1024 if IS_REDIS else 8192
    assert abs(settle(r, base, slack) - base) <= slack


@pytest.mark.skipif(IS_REDIS, reason="Cachet's bytes-per-field target, not a Redis property")
def test_bytes_per_field_beats_redis(r):
    r.set("warm", "x")
    r.delete("warm")
    base = used_memory(r)
    pipe = r.pipeline(transaction=False)
    n = 100000
    for i in range(0, n, 1000):
        pipe.hset("big", mapping={"field:%d" % j: "value:%d" % j for j in range(i, i + 1000)})
    pipe.execute()
    per = (used_memory(r) - base) / n
    # Redis 7.0: dictEntry 32 + sds 16 + sds 16 + ~10.5 bucket = ~74.5
    assert per < 60, per


# --------------------------------------------------------------------------
# model-based random test

class Model(object):
    """A dict per key plus the encoding Redis would report."""

    def __init__(self, entries, value):
        self.h = {}
        self.enc = {}
        self.entries, self.value = entries, value

    def write(self, key, field, val):
        d = self.h.setdefault(key, {})
        if key not in self.enc:
            self.enc[key] = "listpack"
        if len(field) > self.value or len(val) > self.value:
            self.enc[key] = "hashtable"
        new = field not in d
        d[field] = val
        if len(d) > self.entries:
            self.enc[key] = "hashtable"
        return new

    def delete(self, key, field):
        d = self.h.get(key, {})
        if field not in d:
            return 0
        del d[field]
        if not d:
            del self.h[key]
            del self.enc[key]
        return 1


def test_model_based_random_operations(w, limits):
    entries, value = 12, 10
    limits(entries=entries, value=value)
    rnd = random.Random(20240607)
    m = Model(entries, value)
    keys = ["h1", "h2"]
    conversions = emptied_big = 0

    def rfield():
        if rnd.random() < 0.02:
            return "long-field-%d" % rnd.randrange(3)  # past the value limit
        return rnd.choice(["f%d" % rnd.randrange(12), str(rnd.randrange(-3, 10))])

    def rvalue():
        if rnd.random() < 0.02:
            return "a-value-longer-than-ten"
        return rnd.choice([str(rnd.randrange(-1000, 1000)), "v%d" % rnd.randrange(100), ""])

    for step in range(3000):
        key = rnd.choice(keys)
        before = m.enc.get(key)
        # alternate phases that favour growth and shrinking, so the hashes
        # cross the limits upward and empty out again many times
        grow = (step // 150) % 2 == 0
        weights = [5, 1, 1, 1, 1, 1] if grow else [0.3, 6, 0.3, 0.3, 1, 1]
        op = rnd.choices(["set", "del", "incr", "setnx", "mget", "exists"], weights)[0]
        if op == "set":
            f, v = rfield(), rvalue()
            assert w("HSET", key, f, v) == int(m.write(key, f, v))
        elif op == "del":
            fs = [rfield() for _ in range(rnd.randrange(1, 5))]
            want = 0
            for f in fs:
                want += m.delete(key, f)
            assert w("HDEL", key, *fs) == want
        elif op == "incr":
            f, inc = rfield(), rnd.randrange(-100, 100)
            cur = m.h.get(key, {}).get(f, "0")
            try:
                n = int(cur)
                ok = str(n) == cur
            except ValueError:
                ok = False
            if ok:
                assert w("HINCRBY", key, f, inc) == n + inc
                m.write(key, f, str(n + inc))
            else:
                assert w("HINCRBY", key, f, inc) == HASH_NOT_INT
        elif op == "setnx":
            f, v = rfield(), rvalue()
            want = 0 if f in m.h.get(key, {}) else 1
            assert w("HSETNX", key, f, v) == want
            if want:
                m.write(key, f, v)
        elif op == "mget":
            fs = [rfield() for _ in range(3)]
            d = m.h.get(key, {})
            assert w("HMGET", key, *fs) == [d[f].encode() if f in d else None for f in fs]
        else:
            f = rfield()
            d = m.h.get(key, {})
            assert w("HEXISTS", key, f) == int(f in d)
            assert w("HSTRLEN", key, f) == len(d.get(f, ""))
        after = m.enc.get(key)
        conversions += before != "hashtable" and after == "hashtable"
        emptied_big += before == "hashtable" and after is None
        # compare after every step
        d = m.h.get(key, {})
        assert w("HLEN", key) == len(d)
        got = pairs(w("HGETALL", key))
        assert got == {f.encode(): v.encode() for f, v in d.items()}, step
        if d:
            assert enc(w, key) == m.enc[key].encode(), step
        else:
            assert w("EXISTS", key) == 0
        if step % 50 == 0 and d:
            items, _ = full_hscan(w, key, "COUNT", "3")
            assert pairs(items) == got
    assert conversions >= 5 and emptied_big >= 5, (conversions, emptied_big)
