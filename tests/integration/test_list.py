"""LIST commands: exact Redis 7.0 replies, error texts and argument-checking
order, RESP3 shapes, encodings, the generic key commands on lists, memory
accounting, a model-based random test and a producer/consumer concurrency
test.

Every expectation here was checked against redis-server 7.0.15
(CACHET_BIN=/usr/bin/redis-server); the few Cachet-only checks are skipped
there.

Replies are read with resp.Wire (the `w` fixture) where the reply type or
the full error text matters: "+OK", "-ERR ...", int, bytes, None for the
nil bulk, NIL_ARRAY for the nil array.  RESP3 uses resp.RawConn.

Redis 7.0 keeps every list in a quicklist and OBJECT ENCODING always says
"quicklist" (7.2 added a "listpack" encoding for small lists); the encoding
tests pin that, and the model test varies list-max-listpack-size so node
boundaries are crossed both ways.
"""
import random
import threading
import time

import pytest
import redis

from conftest import IS_REDIS, SANITIZER
from resp import NIL_ARRAY, NOT_INT, SYNTAX, RawConn, arity

WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value"
POSITIVE = "-ERR value is out of range, must be positive"
INDEX_RANGE = "-ERR index out of range"
NO_SUCH_KEY = "-ERR no such key"
RANK_ZERO = ("-ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
             "second ... or use negative to start from the end of the list")
COUNT_NEG = "-ERR COUNT can't be negative"
MAXLEN_NEG = "-ERR MAXLEN can't be negative"
NUMKEYS = "-ERR numkeys should be greater than 0"
COUNT_GT0 = "-ERR count should be greater than 0"
MIN_I64 = -9223372036854775808
MAX_I64 = 9223372036854775807


def items(w, key):
    return w("LRANGE", key, 0, -1)


@pytest.fixture
def c3(server, r):
    conn = RawConn(server.port)
    assert isinstance(conn.cmd("HELLO", "3"), dict)
    yield conn
    conn.close()


@pytest.fixture
def c2(server, r):
    conn = RawConn(server.port)
    yield conn
    conn.close()


@pytest.fixture
def default_fill(r):
    yield
    r.config_set("list-max-listpack-size", -2)


# --------------------------------------------------------------------------
# LPUSH RPUSH LPUSHX RPUSHX

def test_lpush_prepends_in_argument_order(w):
    assert w("LPUSH", "l", "a", "b", "c") == 3
    assert items(w, "l") == [b"c", b"b", b"a"]


def test_rpush_appends_in_argument_order(w):
    assert w("RPUSH", "l", "a", "b") == 2
    assert w("RPUSH", "l", "c") == 3
    assert items(w, "l") == [b"a", b"b", b"c"]


def test_push_returns_new_length(w):
    assert w("RPUSH", "l", "x") == 1
    assert w("LPUSH", "l", "y", "z") == 3


def test_pushx_on_missing_key_is_0_and_creates_nothing(w):
    assert w("LPUSHX", "l", "a") == 0
    assert w("RPUSHX", "l", "a", "b") == 0
    assert w("EXISTS", "l") == 0


def test_pushx_on_existing_list(w):
    w("RPUSH", "l", "m")
    assert w("LPUSHX", "l", "a", "b") == 3
    assert w("RPUSHX", "l", "y", "z") == 5
    assert items(w, "l") == [b"b", b"a", b"m", b"y", b"z"]


@pytest.mark.parametrize("cmd", ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"])
def test_push_arity(w, cmd):
    assert w(cmd, "l") == arity(cmd.lower())
    assert w(cmd) == arity(cmd.lower())


@pytest.mark.parametrize("cmd", ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"])
def test_push_wrongtype(w, cmd):
    w("SET", "s", "v")
    assert w(cmd, "s", "a") == WRONGTYPE
    assert w("GET", "s") == b"v"


def test_elements_are_binary_safe(w):
    vals = [b"", b"\x00", b"a\r\nb", b"\xff\xfe", b" 1", b"1 ", b"x" * 70]
    w("RPUSH", "l", *vals)
    assert items(w, "l") == vals
    assert w("LPOS", "l", b"a\r\nb") == 2
    assert w("LINDEX", "l", 0) == b""


def test_integer_looking_elements_round_trip_exactly(w):
    vals = [b"0", b"-0", b"007", b"+1", b"1e3", b"12", b"-12", b"127", b"128", b"4096",
            b"-4097", b"32768", b"8388608", b"2147483648", b"9223372036854775807",
            b"-9223372036854775808", b"9223372036854775808", b"-9223372036854775809",
            b"1.5", b"0x10"]
    w("RPUSH", "l", *vals)
    assert items(w, "l") == vals
    assert [w("LINDEX", "l", i) for i in range(len(vals))] == vals
    assert w("LPOS", "l", "12") == 5
    assert w("LPOS", "l", "012") is None
    assert w("LREM", "l", 0, "-0") == 1
    assert w("LPOS", "l", "0") == 0


# --------------------------------------------------------------------------
# LPOP RPOP

def test_pop_without_count_returns_bulk(w):
    w("RPUSH", "l", "a", "b", "c")
    assert w("LPOP", "l") == b"a"
    assert w("RPOP", "l") == b"c"
    assert items(w, "l") == [b"b"]


def test_pop_with_count_returns_array_in_pop_order(w):
    w("RPUSH", "l", "a", "b", "c", "d", "e")
    assert w("LPOP", "l", 2) == [b"a", b"b"]
    assert w("RPOP", "l", 2) == [b"e", b"d"]
    assert w("LPOP", "l", 1) == [b"c"]
    assert w("EXISTS", "l") == 0


def test_pop_count_larger_than_list(w):
    w("RPUSH", "l", "a", "b")
    assert w("RPOP", "l", 10) == [b"b", b"a"]
    assert w("EXISTS", "l") == 0


def test_pop_count_zero_is_empty_array(w):
    w("RPUSH", "l", "a")
    assert w("LPOP", "l", 0) == []
    assert w("LLEN", "l") == 1


def test_pop_missing_key_nil_bulk_or_nil_array(w):
    assert w("LPOP", "nokey") is None
    assert w("RPOP", "nokey") is None
    assert w("LPOP", "nokey", 1) is NIL_ARRAY
    assert w("RPOP", "nokey", 0) is NIL_ARRAY


def test_pop_last_element_deletes_key(w):
    w("RPUSH", "l", "a")
    assert w("RPOP", "l") == b"a"
    assert w("EXISTS", "l") == 0
    assert w("TYPE", "l") == "+none"


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
@pytest.mark.parametrize("count", ["-1", "abc", "9223372036854775808", "1.5", ""])
def test_pop_bad_count(w, cmd, count):
    w("RPUSH", "l", "a")
    assert w(cmd, "l", count) == POSITIVE
    assert w(cmd, "nokey", count) == POSITIVE


def test_pop_count_checked_before_type(w):
    w("SET", "s", "v")
    assert w("LPOP", "s", -1) == POSITIVE
    assert w("LPOP", "s", 0) == WRONGTYPE
    assert w("RPOP", "s") == WRONGTYPE


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_arity(w, cmd):
    assert w(cmd) == arity(cmd.lower())
    assert w(cmd, "l", 1, 2) == arity(cmd.lower())


# --------------------------------------------------------------------------
# LLEN LRANGE LINDEX

def test_llen(w):
    assert w("LLEN", "nokey") == 0
    w("RPUSH", "l", *range(7))
    assert w("LLEN", "l") == 7
    w("SET", "s", "v")
    assert w("LLEN", "s") == WRONGTYPE
    assert w("LLEN") == arity("llen")


def py_lrange(lst, start, end):
    n = len(lst)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return []
    return lst[start:min(end, n - 1) + 1]


def test_lrange_every_index_pair(w):
    lst = [str(i).encode() for i in range(6)]
    w("RPUSH", "l", *lst)
    for s in range(-9, 9):
        for e in range(-9, 9):
            assert w("LRANGE", "l", s, e) == py_lrange(lst, s, e), (s, e)


def test_lrange_extremes(w):
    w("RPUSH", "l", "a", "b")
    assert w("LRANGE", "l", MIN_I64, MAX_I64) == [b"a", b"b"]
    assert w("LRANGE", "l", MAX_I64, MIN_I64) == []
    assert w("LRANGE", "l", -1, MAX_I64) == [b"b"]


def test_lrange_errors_and_missing(w):
    assert w("LRANGE", "nokey", 0, -1) == []
    w("SET", "s", "v")
    assert w("LRANGE", "s", 0, -1) == WRONGTYPE
    assert w("LRANGE", "s", "x", -1) == NOT_INT  # indexes parsed first
    assert w("LRANGE", "nokey", 0, "1.0") == NOT_INT
    assert w("LRANGE", "l", 0) == arity("lrange")


def test_lindex(w):
    w("RPUSH", "l", "a", "b", "c")
    assert w("LINDEX", "l", 0) == b"a"
    assert w("LINDEX", "l", 2) == b"c"
    assert w("LINDEX", "l", -1) == b"c"
    assert w("LINDEX", "l", -3) == b"a"
    assert w("LINDEX", "l", 3) is None
    assert w("LINDEX", "l", -4) is None
    assert w("LINDEX", "l", MIN_I64) is None


def test_lindex_key_checked_before_index(w):
    assert w("LINDEX", "nokey", "x") is None
    w("SET", "s", "v")
    assert w("LINDEX", "s", "x") == WRONGTYPE
    w("RPUSH", "l", "a")
    assert w("LINDEX", "l", "x") == NOT_INT
    assert w("LINDEX", "l") == arity("lindex")


# --------------------------------------------------------------------------
# LSET

def test_lset(w):
    w("RPUSH", "l", "a", "b", "c")
    assert w("LSET", "l", 1, "B") == "+OK"
    assert w("LSET", "l", -1, "C") == "+OK"
    assert w("LSET", "l", 0, 12345) == "+OK"
    assert items(w, "l") == [b"12345", b"B", b"C"]


def test_lset_errors_in_redis_order(w):
    assert w("LSET", "nokey", 0, "x") == NO_SUCH_KEY
    assert w("LSET", "nokey", "x", "y") == NO_SUCH_KEY  # key before index
    w("SET", "s", "v")
    assert w("LSET", "s", "x", "y") == WRONGTYPE
    w("RPUSH", "l", "a")
    assert w("LSET", "l", "x", "y") == NOT_INT
    assert w("LSET", "l", 1, "y") == INDEX_RANGE
    assert w("LSET", "l", -2, "y") == INDEX_RANGE
    assert w("LSET", "l", 0) == arity("lset")


def test_lset_bigger_and_smaller_values(w):
    w("RPUSH", "l", *range(100))
    big = b"x" * 20000
    assert w("LSET", "l", 50, big) == "+OK"
    assert w("LINDEX", "l", 50) == big
    assert w("LSET", "l", 50, "s") == "+OK"
    assert items(w, "l") == [str(i).encode() for i in range(50)] + [b"s"] + \
        [str(i).encode() for i in range(51, 100)]


# --------------------------------------------------------------------------
# LINSERT

def test_linsert_before_and_after(w):
    w("RPUSH", "l", "a", "c")
    assert w("LINSERT", "l", "BEFORE", "c", "b") == 3
    assert w("LINSERT", "l", "after", "c", "d") == 4
    assert w("LINSERT", "l", "Before", "a", "0") == 5
    assert items(w, "l") == [b"0", b"a", b"b", b"c", b"d"]


def test_linsert_uses_first_pivot(w):
    w("RPUSH", "l", "x", "p", "x", "p")
    assert w("LINSERT", "l", "AFTER", "p", "new") == 5
    assert items(w, "l") == [b"x", b"p", b"new", b"x", b"p"]


def test_linsert_pivot_missing_and_key_missing(w):
    w("RPUSH", "l", "a")
    assert w("LINSERT", "l", "BEFORE", "zz", "x") == -1
    assert items(w, "l") == [b"a"]
    assert w("LINSERT", "nokey", "BEFORE", "a", "x") == 0
    assert w("EXISTS", "nokey") == 0


def test_linsert_errors_in_redis_order(w):
    w("SET", "s", "v")
    assert w("LINSERT", "s", "middle", "a", "x") == SYNTAX
    assert w("LINSERT", "nokey", "middle", "a", "x") == SYNTAX
    assert w("LINSERT", "s", "before", "a", "x") == WRONGTYPE
    assert w("LINSERT", "l", "before", "a") == arity("linsert")


def test_linsert_integer_pivot(w):
    w("RPUSH", "l", 1, 2, 3)
    assert w("LINSERT", "l", "AFTER", "2", "2.5") == 4
    assert items(w, "l") == [b"1", b"2", b"2.5", b"3"]


# --------------------------------------------------------------------------
# LREM

def test_lrem_from_head_tail_and_all(w):
    w("RPUSH", "l", "a", "x", "b", "x", "c", "x")
    assert w("LREM", "l", 1, "x") == 1
    assert items(w, "l") == [b"a", b"b", b"x", b"c", b"x"]
    assert w("LREM", "l", -1, "x") == 1
    assert items(w, "l") == [b"a", b"b", b"x", b"c"]
    w("RPUSH", "l", "x", "x")
    assert w("LREM", "l", 0, "x") == 3
    assert items(w, "l") == [b"a", b"b", b"c"]
    assert w("LREM", "l", 0, "zz") == 0


def test_lrem_extreme_counts(w):
    w("RPUSH", "l", "x", "y", "x", "x")
    assert w("LREM", "l", MIN_I64, "x") == 3
    w("RPUSH", "l", "x", "x")
    assert w("LREM", "l", MAX_I64, "x") == 2
    assert items(w, "l") == [b"y"]


def test_lrem_removing_all_deletes_key(w):
    w("RPUSH", "l", "x", "x")
    assert w("LREM", "l", 0, "x") == 2
    assert w("EXISTS", "l") == 0


def test_lrem_errors(w):
    assert w("LREM", "nokey", 0, "x") == 0
    assert w("LREM", "nokey", "x", "x") == NOT_INT
    w("SET", "s", "v")
    assert w("LREM", "s", 0, "x") == WRONGTYPE
    assert w("LREM", "s", "x", "x") == NOT_INT  # count parsed first
    assert w("LREM", "l", 0) == arity("lrem")


# --------------------------------------------------------------------------
# LTRIM

def test_ltrim_every_index_pair(w):
    lst = [str(i).encode() for i in range(6)]
    for s in range(-8, 8):
        for e in range(-8, 8):
            w("DEL", "l")
            w("RPUSH", "l", *lst)
            assert w("LTRIM", "l", s, e) == "+OK"
            expect = py_lrange(lst, s, e)
            assert items(w, "l") == expect, (s, e)
            assert w("EXISTS", "l") == (1 if expect else 0)


def test_ltrim_errors(w):
    assert w("LTRIM", "nokey", 0, 1) == "+OK"
    assert w("LTRIM", "nokey", "x", 1) == NOT_INT
    w("SET", "s", "v")
    assert w("LTRIM", "s", 0, 1) == WRONGTYPE
    assert w("LTRIM", "s", 0, "y") == NOT_INT
    assert w("LTRIM", "l", 0) == arity("ltrim")


# --------------------------------------------------------------------------
# LPOS

def test_lpos_basic_rank_count_maxlen(w):
    w("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert w("LPOS", "l", "c") == 2
    assert w("LPOS", "l", "c", "RANK", 2) == 6
    assert w("LPOS", "l", "c", "RANK", -1) == 7
    assert w("LPOS", "l", "c", "RANK", -3) == 2
    assert w("LPOS", "l", "c", "RANK", 4) is None
    assert w("LPOS", "l", "c", "COUNT", 2) == [2, 6]
    assert w("LPOS", "l", "c", "COUNT", 0) == [2, 6, 7]
    assert w("LPOS", "l", "c", "COUNT", 0, "RANK", -1) == [7, 6, 2]
    assert w("LPOS", "l", "c", "COUNT", 2, "RANK", 2) == [6, 7]
    assert w("LPOS", "l", "c", "MAXLEN", 2) is None
    assert w("LPOS", "l", "c", "MAXLEN", 3) == 2
    assert w("LPOS", "l", "c", "COUNT", 0, "MAXLEN", 7) == [2, 6]
    assert w("LPOS", "l", "c", "RANK", -1, "MAXLEN", 1, "COUNT", 0) == [7]
    assert w("LPOS", "l", "2") == 4
    assert w("LPOS", "l", "zz") is None
    assert w("LPOS", "l", "zz", "COUNT", 1) == []


def test_lpos_repeated_options_last_wins(w):
    w("RPUSH", "l", "x", "x", "x")
    assert w("LPOS", "l", "x", "RANK", 1, "RANK", 3) == 2
    assert w("LPOS", "l", "x", "count", 1, "COUNT", 2) == [0, 1]


def test_lpos_rank_min_int64_behaves_as_redis_7_0(w):
    # Redis 7.0 negates the rank as a C long: MIN stays negative, so it
    # searches from the tail and COUNT never stops it.
    w("RPUSH", "l", "1", "2", "1", "1")
    assert w("LPOS", "l", "1", "RANK", MIN_I64) == 3
    assert w("LPOS", "l", "1", "RANK", MIN_I64, "COUNT", 1) == [3, 2, 0]


def test_lpos_missing_key(w):
    assert w("LPOS", "nokey", "a") is None
    assert w("LPOS", "nokey", "a", "COUNT", 0) == []


def test_lpos_errors(w):
    w("RPUSH", "l", "a")
    assert w("LPOS", "l", "a", "RANK", 0) == RANK_ZERO
    assert w("LPOS", "l", "a", "RANK", "x") == NOT_INT
    assert w("LPOS", "l", "a", "COUNT", -1) == COUNT_NEG
    assert w("LPOS", "l", "a", "COUNT", "x") == COUNT_NEG
    assert w("LPOS", "l", "a", "MAXLEN", -1) == MAXLEN_NEG
    assert w("LPOS", "l", "a", "MAXLEN", "x") == MAXLEN_NEG
    assert w("LPOS", "l", "a", "FOO") == SYNTAX
    assert w("LPOS", "l", "a", "RANK") == SYNTAX
    assert w("LPOS", "l", "a", "COUNT", 1, "MAXLEN") == SYNTAX
    assert w("LPOS", "l") == arity("lpos")


def test_lpos_options_checked_before_type(w):
    w("SET", "s", "v")
    assert w("LPOS", "s", "a", "RANK", 0) == RANK_ZERO
    assert w("LPOS", "s", "a") == WRONGTYPE
    assert w("LPOS", "s", "a", "COUNT", 0) == WRONGTYPE


# --------------------------------------------------------------------------
# LMOVE RPOPLPUSH

@pytest.mark.parametrize("wf,wt,moved,src,dst", [
    ("LEFT", "LEFT", b"a", [b"b", b"c"], [b"a", b"x", b"y"]),
    ("LEFT", "RIGHT", b"a", [b"b", b"c"], [b"x", b"y", b"a"]),
    ("RIGHT", "LEFT", b"c", [b"a", b"b"], [b"c", b"x", b"y"]),
    ("RIGHT", "RIGHT", b"c", [b"a", b"b"], [b"x", b"y", b"c"]),
])
def test_lmove_directions(w, wf, wt, moved, src, dst):
    w("RPUSH", "s", "a", "b", "c")
    w("RPUSH", "d", "x", "y")
    assert w("LMOVE", "s", "d", wf, wt) == moved
    assert items(w, "s") == src
    assert items(w, "d") == dst


def test_lmove_creates_destination_and_deletes_empty_source(w):
    w("RPUSH", "s", "only")
    assert w("LMOVE", "s", "d", "left", "right") == b"only"
    assert w("EXISTS", "s") == 0
    assert items(w, "d") == [b"only"]


def test_lmove_same_key_rotates(w):
    w("RPUSH", "l", "a", "b", "c")
    assert w("LMOVE", "l", "l", "LEFT", "RIGHT") == b"a"
    assert items(w, "l") == [b"b", b"c", b"a"]
    assert w("LMOVE", "l", "l", "RIGHT", "LEFT") == b"a"
    assert items(w, "l") == [b"a", b"b", b"c"]
    w("RPUSH", "one", "x")
    assert w("LMOVE", "one", "one", "LEFT", "LEFT") == b"x"
    assert items(w, "one") == [b"x"]


def test_lmove_errors_in_redis_order(w):
    w("SET", "str", "v")
    w("RPUSH", "l", "a")
    assert w("LMOVE", "l", "d", "UP", "LEFT") == SYNTAX
    assert w("LMOVE", "str", "d", "LEFT", "DOWN") == SYNTAX
    assert w("LMOVE", "nokey", "str", "LEFT", "LEFT") is None  # source first
    assert w("LMOVE", "str", "l", "LEFT", "LEFT") == WRONGTYPE
    assert w("LMOVE", "l", "str", "LEFT", "LEFT") == WRONGTYPE
    assert items(w, "l") == [b"a"]  # nothing moved
    assert w("LMOVE", "l", "d", "LEFT") == arity("lmove")


def test_rpoplpush(w):
    w("RPUSH", "s", "a", "b", "c")
    assert w("RPOPLPUSH", "s", "d") == b"c"
    assert w("RPOPLPUSH", "s", "d") == b"b"
    assert items(w, "d") == [b"b", b"c"]
    assert w("RPOPLPUSH", "s", "s") == b"a"
    assert w("RPOPLPUSH", "nokey", "d") is None
    w("SET", "str", "v")
    assert w("RPOPLPUSH", "s", "str") == WRONGTYPE
    assert w("RPOPLPUSH", "str", "s") == WRONGTYPE
    assert w("RPOPLPUSH", "s") == arity("rpoplpush")


def test_lmove_keeps_large_and_integer_elements(w):
    big = b"z" * 100000
    w("RPUSH", "s", big, 12345, -7)
    assert w("LMOVE", "s", "d", "LEFT", "LEFT") == big
    assert w("LMOVE", "s", "d", "LEFT", "LEFT") == b"12345"
    assert w("RPOPLPUSH", "s", "d") == b"-7"
    assert items(w, "d") == [b"-7", b"12345", big]


# --------------------------------------------------------------------------
# LMPOP

def test_lmpop_first_nonempty_key(w):
    w("RPUSH", "b", "1", "2", "3")
    w("RPUSH", "c", "x")
    assert w("LMPOP", 3, "a", "b", "c", "LEFT") == [b"b", [b"1"]]
    assert w("LMPOP", 3, "a", "b", "c", "RIGHT", "COUNT", 5) == [b"b", [b"3", b"2"]]
    assert w("EXISTS", "b") == 0
    assert w("LMPOP", 2, "b", "c", "left", "count", 1) == [b"c", [b"x"]]
    assert w("LMPOP", 2, "b", "c", "LEFT") is NIL_ARRAY


def test_lmpop_errors(w):
    w("RPUSH", "l", "a")
    assert w("LMPOP", 0, "l", "LEFT") == NUMKEYS
    assert w("LMPOP", -1, "l", "LEFT") == NUMKEYS
    assert w("LMPOP", "abc", "l", "LEFT") == NUMKEYS
    assert w("LMPOP", 5, "l", "LEFT") == SYNTAX
    assert w("LMPOP", 2, "l", "LEFT") == SYNTAX
    assert w("LMPOP", 1, "l", "MIDDLE") == SYNTAX
    assert w("LMPOP", 1, "l", "LEFT", "COUNT", 0) == COUNT_GT0
    assert w("LMPOP", 1, "l", "LEFT", "COUNT", -1) == COUNT_GT0
    assert w("LMPOP", 1, "l", "LEFT", "COUNT", "x") == COUNT_GT0
    assert w("LMPOP", 1, "l", "LEFT", "COUNT", 1, "COUNT", 1) == SYNTAX
    assert w("LMPOP", 1, "l", "LEFT", "COUNT") == SYNTAX
    assert w("LMPOP", 1, "l", "LEFT", "FOO") == SYNTAX
    assert w("LMPOP", 1, "l") == arity("lmpop")
    assert items(w, "l") == [b"a"]


def test_lmpop_wrongtype_stops_at_first_existing_key(w):
    w("SET", "s", "v")
    w("RPUSH", "l", "a")
    assert w("LMPOP", 3, "nokey", "s", "l", "LEFT") == WRONGTYPE
    assert w("LMPOP", 2, "l", "s", "LEFT") == [b"l", [b"a"]]


def test_lmpop_many_keys_across_shards(w):
    keys = ["k%d" % i for i in range(50)]
    w("RPUSH", keys[37], "v")
    assert w("LMPOP", len(keys), *keys, "RIGHT") == [keys[37].encode(), [b"v"]]


# --------------------------------------------------------------------------
# RESP3 and RESP2 wire forms

def test_resp2_nil_forms(c2):
    assert c2.cmd_raw("LPOP", "nokey") == b"$-1\r\n"
    assert c2.cmd_raw("LPOP", "nokey", 2) == b"*-1\r\n"
    assert c2.cmd_raw("LMPOP", 1, "nokey", "LEFT") == b"*-1\r\n"
    assert c2.cmd_raw("LPOS", "nokey", "a") == b"$-1\r\n"
    assert c2.cmd_raw("LINDEX", "nokey", 0) == b"$-1\r\n"
    assert c2.cmd_raw("LMOVE", "nokey", "d", "LEFT", "LEFT") == b"$-1\r\n"


def test_resp3_shapes(c3):
    assert c3.cmd_raw("LPOP", "nokey") == b"_\r\n"
    assert c3.cmd_raw("LPOP", "nokey", 2) == b"_\r\n"
    assert c3.cmd_raw("LMPOP", 1, "nokey", "LEFT") == b"_\r\n"
    assert c3.cmd_raw("LPOS", "nokey", "a") == b"_\r\n"
    assert c3.cmd_raw("LMOVE", "nokey", "d", "LEFT", "LEFT") == b"_\r\n"
    assert c3.cmd_raw("RPUSH", "l", "a", "b", "7") == b":3\r\n"
    assert c3.cmd_raw("LINDEX", "l", 5) == b"_\r\n"
    assert c3.cmd_raw("LPOS", "l", "zz") == b"_\r\n"
    assert c3.cmd_raw("LRANGE", "l", 0, -1) == b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n7\r\n"
    assert c3.cmd_raw("LPOS", "l", "b", "COUNT", 0) == b"*1\r\n:1\r\n"
    assert c3.cmd_raw("LPOP", "l", 0) == b"*0\r\n"
    assert c3.cmd_raw("LMPOP", 1, "l", "LEFT") == b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
    assert c3.cmd_raw("RPOP", "l", 1) == b"*1\r\n$1\r\n7\r\n"
    assert c3.cmd_raw("LPOP", "l") == b"$1\r\nb\r\n"


# --------------------------------------------------------------------------
# WRONGTYPE both ways

LIST_CMDS_ON_STRING = [
    ("LPUSH", "k", "a"), ("RPUSH", "k", "a"), ("LPUSHX", "k", "a"), ("RPUSHX", "k", "a"),
    ("LPOP", "k"), ("RPOP", "k"), ("LPOP", "k", 1), ("LLEN", "k"), ("LRANGE", "k", 0, 1),
    ("LINDEX", "k", 0), ("LSET", "k", 0, "a"), ("LINSERT", "k", "BEFORE", "a", "b"),
    ("LREM", "k", 0, "a"), ("LTRIM", "k", 0, 1), ("LPOS", "k", "a"),
    ("LMOVE", "k", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "k", "d"), ("LMPOP", 1, "k", "LEFT"),
]


@pytest.mark.parametrize("args", LIST_CMDS_ON_STRING, ids=lambda a: a[0] + str(len(a)))
def test_list_commands_on_string(w, args):
    w("SET", "k", "v")
    assert w(*args) == WRONGTYPE
    assert w("GET", "k") == b"v"


STRING_CMDS_ON_LIST = [
    ("GET", "l"), ("APPEND", "l", "x"), ("INCR", "l"), ("INCRBYFLOAT", "l", 1),
    ("STRLEN", "l"), ("GETRANGE", "l", 0, 1), ("SETRANGE", "l", 0, "x"), ("GETSET", "l", "x"),
    ("GETDEL", "l"), ("GETEX", "l"), ("MSETNX", "l", "x"),
]


@pytest.mark.parametrize("args", STRING_CMDS_ON_LIST, ids=lambda a: a[0])
def test_string_commands_on_list(w, args):
    w("RPUSH", "l", "a")
    reply = w(*args)
    if args[0] == "MSETNX":
        assert reply == 0  # MSETNX only checks existence
    else:
        assert reply == WRONGTYPE
    assert items(w, "l") == [b"a"]


def test_set_overwrites_list(w):
    w("RPUSH", "l", "a")
    assert w("SET", "l", "v") == "+OK"
    assert w("TYPE", "l") == "+string"


# --------------------------------------------------------------------------
# Encodings (Redis 7.0: always quicklist)

def test_object_encoding_is_quicklist_at_every_size(w, default_fill):
    w("RPUSH", "l", "a")
    assert w("OBJECT", "ENCODING", "l") == b"quicklist"
    w("RPUSH", "l", *range(200))
    assert w("OBJECT", "ENCODING", "l") == b"quicklist"
    w("RPUSH", "l", b"x" * 10000)
    assert w("OBJECT", "ENCODING", "l") == b"quicklist"
    w("LTRIM", "l", 0, 0)
    assert w("OBJECT", "ENCODING", "l") == b"quicklist"


@pytest.mark.parametrize("fill", [1, 2, 128, -1, -2, -5, 0])
def test_encoding_and_contents_under_any_fill(w, default_fill, fill):
    assert w("CONFIG", "SET", "list-max-listpack-size", fill) == "+OK"
    assert w("CONFIG", "GET", "list-max-ziplist-size") == [b"list-max-ziplist-size",
                                                           str(fill).encode()]
    vals = [str(i).encode() * (i % 5 + 1) for i in range(300)]
    w("RPUSH", "l", *vals)
    for n in (300, 299, 150, 1):  # shrink across node boundaries
        w("LTRIM", "l", 0, n - 1)
        assert w("OBJECT", "ENCODING", "l") == b"quicklist"
        assert items(w, "l") == vals[:n]
    w("LPUSH", "l", *vals)
    assert w("LLEN", "l") == 301
    assert w("LINDEX", "l", 299) == vals[0]
    assert w("LINDEX", "l", 300) == vals[0]


def test_config_alias_sets_the_same_option(w, default_fill):
    assert w("CONFIG", "SET", "list-max-ziplist-size", 7) == "+OK"
    assert w("CONFIG", "GET", "list-max-listpack-size") == [b"list-max-listpack-size", b"7"]


# --------------------------------------------------------------------------
# Long lists: index walks, sets and ranges anywhere

def test_long_list_index_set_range(r, default_fill):
    n = 100000
    lst = [b"e%d" % i for i in range(n)]
    p = r.pipeline(transaction=False)
    for i in range(0, n, 5000):
        p.rpush("l", *lst[i:i + 5000])
    p.execute()
    rng = random.Random(7)
    idx = [0, 1, n // 2, n - 1, n - 2] + [rng.randrange(n) for _ in range(200)]
    p = r.pipeline(transaction=False)
    for i in idx:
        p.lindex("l", i)
        p.lindex("l", i - n)
    assert p.execute() == [x for i in idx for x in (lst[i], lst[i])]
    p = r.pipeline(transaction=False)
    for i in idx[:60]:
        lst[i] = b"set%d" % i
        p.lset("l", i, lst[i])
    p.execute()
    for s in (0, 777, n // 2 - 3, n - 1000):
        assert r.lrange("l", s, s + 999) == lst[s:s + 1000]
    assert r.lrange("l", -5, -1) == lst[-5:]
    r.ltrim("l", 1000, -1000)
    lst = lst[1000:-999]
    assert r.llen("l") == len(lst)
    assert r.lindex("l", 12345) == lst[12345]
    assert r.lrange("l", 0, -1) == lst


def test_linsert_in_middle_of_long_list(r, default_fill):
    r.config_set("list-max-listpack-size", 16)
    lst = [str(i).encode() for i in range(1000)]
    r.rpush("l", *lst)
    rng = random.Random(3)
    for k in range(300):
        pivot = lst[rng.randrange(len(lst))]
        new = b"n%d" % k
        where = rng.choice(["BEFORE", "AFTER"])
        i = lst.index(pivot)
        lst.insert(i if where == "BEFORE" else i + 1, new)
        assert r.linsert("l", where, pivot, new) == len(lst)
    assert r.lrange("l", 0, -1) == lst


def test_big_elements_alone_and_together(r, default_fill):
    vals = [b"a", b"b" * 9000, b"c", b"d" * 70000, b"e" * 5000, b"f"]
    r.rpush("l", *vals)
    assert r.lrange("l", 0, -1) == vals
    assert r.lindex("l", 3) == vals[3]
    assert r.lpop("l", 2) == vals[:2]
    assert r.rpop("l") == b"f"
    assert r.lrange("l", 0, -1) == vals[2:5]


# --------------------------------------------------------------------------
# Generic key commands on lists

def test_type_exists_del(w):
    w("RPUSH", "l", "a")
    assert w("TYPE", "l") == "+list"
    assert w("EXISTS", "l") == 1
    assert w("DEL", "l") == 1
    assert w("EXISTS", "l") == 0


def test_copy_is_independent(w):
    w("RPUSH", "a", *range(500))
    assert w("COPY", "a", "b") == 1
    assert w("OBJECT", "ENCODING", "b") == b"quicklist"
    w("RPUSH", "b", "new")
    w("LSET", "b", 0, "changed")
    assert w("LLEN", "a") == 500
    assert w("LINDEX", "a", 0) == b"0"
    assert w("LINDEX", "b", -1) == b"new"
    assert w("COPY", "a", "b") == 0
    assert w("COPY", "a", "b", "REPLACE") == 1
    assert items(w, "b") == items(w, "a")


def test_rename_moves_list(w):
    w("RPUSH", "a", "x", "y")
    assert w("RENAME", "a", "b") == "+OK"
    assert w("EXISTS", "a") == 0
    assert items(w, "b") == [b"x", b"y"]
    w("RPUSH", "c", "z")
    assert w("RENAMENX", "b", "c") == 0
    assert w("RENAME", "b", "c") == "+OK"
    assert items(w, "c") == [b"x", b"y"]


def test_expire_and_ttl_survive_changes(w):
    w("RPUSH", "l", "a", "b")
    assert w("EXPIRE", "l", 100) == 1
    w("RPUSH", "l", "c")
    w("LPOP", "l")
    w("LSET", "l", 0, "x")
    assert 0 < w("TTL", "l") <= 100
    w("LPOP", "l", 10)  # emptied: the key and its TTL are gone
    w("RPUSH", "l", "a")
    assert w("TTL", "l") == -1


def test_expired_list_is_gone(w):
    w("RPUSH", "l", *range(1000))
    assert w("PEXPIRE", "l", 30) == 1
    time.sleep(0.1)
    assert w("LLEN", "l") == 0
    assert w("LPUSHX", "l", "a") == 0
    assert w("EXISTS", "l") == 0


def test_persist_on_list(w):
    w("RPUSH", "l", "a")
    w("EXPIRE", "l", 100)
    assert w("PERSIST", "l") == 1
    assert w("TTL", "l") == -1


def test_scan_type_list(w):
    w("RPUSH", "l1", "a")
    w("RPUSH", "l2", "a")
    w("SET", "s", "v")
    keys = set()
    cursor = b"0"
    while True:
        cursor, batch = w("SCAN", cursor, "TYPE", "list", "COUNT", 100)
        keys.update(batch)
        if cursor == b"0":
            break
    assert keys == {b"l1", b"l2"}


def test_multi_exec_and_watch(server, w):
    assert w("MULTI") == "+OK"
    assert w("RPUSH", "l", "a", "b") == "+QUEUED"
    assert w("LPOP", "l") == "+QUEUED"
    assert w("LMPOP", 1, "l", "RIGHT") == "+QUEUED"
    assert w("EXEC") == [2, b"a", [b"l", [b"b"]]]
    w("RPUSH", "l", "a")
    other = server.client()
    assert w("WATCH", "l") == "+OK"
    other.lpush("l", "x")
    w("MULTI")
    w("LPOP", "l")
    assert w("EXEC") is NIL_ARRAY
    w("WATCH", "l")
    other.lpop("l")
    w("MULTI")
    w("LLEN", "l")
    assert w("EXEC") is NIL_ARRAY
    other.connection_pool.disconnect()


def test_command_info_rows(w):
    want = {
        "lpush": (-3, {"write", "denyoom", "fast"}, 1, 1, 1),
        "rpushx": (-3, {"write", "denyoom", "fast"}, 1, 1, 1),
        "lpop": (-2, {"write", "fast"}, 1, 1, 1),
        "llen": (2, {"readonly", "fast"}, 1, 1, 1),
        "lrange": (4, {"readonly"}, 1, 1, 1),
        "lindex": (3, {"readonly"}, 1, 1, 1),
        "lset": (4, {"write", "denyoom"}, 1, 1, 1),
        "linsert": (5, {"write", "denyoom"}, 1, 1, 1),
        "lrem": (4, {"write"}, 1, 1, 1),
        "ltrim": (4, {"write"}, 1, 1, 1),
        "lpos": (-3, {"readonly"}, 1, 1, 1),
        "lmove": (5, {"write", "denyoom"}, 1, 2, 1),
        "rpoplpush": (3, {"write", "denyoom"}, 1, 2, 1),
        "lmpop": (-4, {"write", "movablekeys"}, 0, 0, 0),
    }
    for name, (ar, flags, first, last, step) in want.items():
        info = w("COMMAND", "INFO", name)[0]
        assert info[0] == name.encode()
        assert info[1] == ar, name
        assert {f[1:] for f in info[2]} == flags, name
        assert (info[3], info[4], info[5]) == (first, last, step), name
        assert "+@list" in info[6], name
    assert w("COMMAND", "GETKEYS", "LMPOP", 2, "a", "b", "LEFT") == [b"a", b"b"]
    assert w("COMMAND", "GETKEYS", "LMOVE", "s", "d", "LEFT", "LEFT") == [b"s", b"d"]


# --------------------------------------------------------------------------
# Memory accounting

def used(r):
    return int(r.info("memory")["used_memory"])


def settle(r, base, slack, timeout=5.0):
    """used_memory once it is back within slack of base (big values are
    freed in the background), or the last reading."""
    deadline = time.time() + timeout
    u = used(r)
    while abs(u - base) > slack and time.time() < deadline:
        time.sleep(0.05)
        u = used(r)
    return u


def grow_shrink_delete(server, r):
    """Create 200 small and 3 big lists, grow and shrink them with every
    kind of change, then delete them every way a list goes away.  The
    traffic goes over its own connection, closed at the end: a connection's
    buffers count in used_memory too.  Returns (grown, shrunk)."""
    work = server.client()
    p = work.pipeline(transaction=False)
    for k in range(200):
        p.rpush("small:%d" % k, *[b"v%d" % i for i in range(50)])
    for k in range(3):
        for i in range(0, 60000, 3000):
            p.rpush("big:%d" % k, *[b"item-%06d" % j for j in range(i, i + 3000)])
    p.execute()
    grown = used(r)
    p = work.pipeline(transaction=False)
    for k in range(200):
        p.lpop("small:%d" % k, 25)
        p.lpush("small:%d" % k, *[b"w%d" % i for i in range(10)])
        p.lrem("small:%d" % k, 0, b"v40")
        p.linsert("small:%d" % k, "BEFORE", b"v30", b"x" * 100)
        p.lset("small:%d" % k, 0, b"y" * 300)
    for k in range(3):
        p.ltrim("big:%d" % k, 1000, -1000)
        p.rpop("big:%d" % k, 5000)
        p.lpush("big:%d" % k, *[b"x" * 20] * 2000)
    p.execute()
    shrunk = used(r)
    for k in range(100):
        work.delete("small:%d" % k)
    work.delete("big:0")
    work.execute_command("COPY", "big:1", "big:copy")
    work.rename("big:2", "big:moved")
    p = work.pipeline(transaction=False)
    for k in range(100, 200):  # pop the rest away: emptied lists are deleted
        p.lpop("small:%d" % k, 1000)
    p.delete("big:1", "big:copy")
    p.ltrim("big:moved", 1, 0)
    p.execute()
    work.connection_pool.disconnect()
    assert r.dbsize() == 0
    return grown, shrunk


def test_used_memory_returns_to_baseline(server, r, default_fill):
    # One round first, so that what a server allocates once and keeps (its
    # key tables at their grown size, Redis's dict and stats) is in the
    # baseline; the second round must then give back everything it took.
    grow_shrink_delete(server, r)
    base = settle(r, 0, 0, timeout=0.5)
    grown, shrunk = grow_shrink_delete(server, r)
    assert grown - base > 3 * 60000 * 10
    after = settle(r, base, 4 * 1024)
    assert abs(after - base) <= 4 * 1024, (base, grown, shrunk, after)


@pytest.mark.skipif(SANITIZER != "", reason="sanitizer builds use another allocator")
def test_bytes_per_element_at_most_redis(r, default_fill):
    # Redis 7.0.15 (jemalloc) needs about 13.1 B per 11-byte element in
    # 100,000-element lists and 17.1 in lists of 100; 13 of it is the
    # listpack encoding itself.
    base = used(r)
    p = r.pipeline(transaction=False)
    for k in range(5):
        for i in range(0, 100000, 5000):
            p.rpush("big:%d" % k, *[b"item-%06d" % j for j in range(i, i + 5000)])
    p.execute()
    per_big = (used(r) - base) / 500000.0
    r.flushall()
    base = used(r)
    p = r.pipeline(transaction=False)
    for k in range(2000):
        p.rpush("list:%06d" % k, *[b"item-%06d" % j for j in range(100)])
    p.execute()
    per_small = (used(r) - base) / 200000.0
    assert per_big <= 13.2, per_big
    assert per_small <= 17.2, per_small


# --------------------------------------------------------------------------
# Model-based random test

class Model(object):
    """The lists as Python lists, answering as Redis 7.0 does."""

    def __init__(self):
        self.d = {}

    def get(self, k):
        return self.d.get(k, [])

    def put(self, k, lst):
        if lst:
            self.d[k] = lst
        else:
            self.d.pop(k, None)

    def push(self, k, vals, left, only_existing):
        lst = self.get(k)
        if only_existing and not lst:
            return 0
        for v in vals:
            if left:
                lst.insert(0, v)
            else:
                lst.append(v)
        self.put(k, lst)
        return len(lst)

    def pop(self, k, left, count):
        lst = self.get(k)
        if not lst:
            return None
        if count is None:
            v = lst.pop(0) if left else lst.pop()
            self.put(k, lst)
            return v
        n = min(count, len(lst))
        out = lst[:n] if left else lst[::-1][:n]
        lst = lst[n:] if left else lst[:len(lst) - n]
        self.put(k, lst)
        return out

    def linsert(self, k, before, pivot, v):
        lst = self.get(k)
        if not lst:
            return 0
        if pivot not in lst:
            return -1
        i = lst.index(pivot)
        lst.insert(i if before else i + 1, v)
        return len(lst)

    def lset(self, k, i, v):
        lst = self.get(k)
        if not lst:
            return "no such key"  # redis-py drops the "ERR " prefix
        if i < -len(lst) or i >= len(lst):
            return "index out of range"
        lst[i] = v
        return True

    def lrem(self, k, count, v):
        lst = self.get(k)
        idx = [i for i, x in enumerate(lst) if x == v]
        if count < 0:
            idx = idx[::-1][:-count]
        elif count > 0:
            idx = idx[:count]
        for i in sorted(idx, reverse=True):
            del lst[i]
        self.put(k, lst)
        return len(idx)

    def ltrim(self, k, s, e):
        self.put(k, py_lrange(self.get(k), s, e))
        return True

    def lmove(self, src, dst, left_from, left_to):
        s = self.get(src)
        if not s:
            return None
        v = s.pop(0) if left_from else s.pop()
        self.put(src, s)
        self.push(dst, [v], left_to, False)
        return v

    def lpos(self, k, v, rank):
        lst = self.get(k)
        idx = [i for i, x in enumerate(lst) if x == v]
        if rank < 0:
            idx = idx[::-1]
            rank = -rank
        return idx[rank - 1] if len(idx) >= rank else None


def test_model_random_operations(r, default_fill):
    rng = random.Random(20240607)
    m = Model()
    keys = ["a", "b"]
    pool = [b"x", b"y", b"z", b"12", b"-3", b"007", b"", b"long" * 30]
    fills = [-2, 4, 1, -1, 16, 3, 128]

    def value():
        if rng.random() < 0.03:
            return rng.choice([b"B" * 5000, b"C" * 9000])  # past a node's bytes
        if rng.random() < 0.3:
            return str(rng.randrange(-1000, 100000)).encode()
        return rng.choice(pool)

    steps = 3000
    for step in range(steps):
        if step % 250 == 0:
            r.config_set("list-max-listpack-size", fills[(step // 250) % len(fills)])
        # alternate growing and shrinking phases so lists cross node limits
        growing = (step // 400) % 2 == 0
        k = rng.choice(keys)
        other = rng.choice(keys)
        op = rng.random()
        p = r.pipeline(transaction=False)
        if op < (0.35 if growing else 0.12):
            vals = [value() for _ in range(rng.randint(1, 8))]
            left = rng.random() < 0.5
            ox = rng.random() < 0.15
            cmd = ("L" if left else "R") + "PUSH" + ("X" if ox else "")
            p.execute_command(cmd, k, *vals)
            want = m.push(k, vals, left, ox)
        elif op < 0.50:
            left = rng.random() < 0.5
            count = rng.choice([None, 0, 1, 3, 20])
            args = [k] if count is None else [k, count]
            p.execute_command("LPOP" if left else "RPOP", *args)
            want = m.pop(k, left, count)
            if count == 0 and want is not None:
                want = []
            if count is not None and want is None:
                want = None
        elif op < 0.58:
            lst = m.get(k)
            pivot = rng.choice(lst) if lst and rng.random() < 0.8 else value()
            before = rng.random() < 0.5
            v = value()
            p.execute_command("LINSERT", k, "BEFORE" if before else "AFTER", pivot, v)
            want = m.linsert(k, before, pivot, v)
        elif op < 0.64:
            n = len(m.get(k))
            i = rng.randint(-n - 2, n + 2)
            v = value()
            p.execute_command("LSET", k, i, v)
            want = m.lset(k, i, v)
        elif op < 0.72:
            lst = m.get(k)
            v = rng.choice(lst) if lst else value()
            count = rng.choice([0, 1, 2, -1, -2])
            p.execute_command("LREM", k, count, v)
            want = m.lrem(k, count, v)
        elif op < (0.76 if growing else 0.80):
            n = len(m.get(k))
            s, e = rng.randint(-n - 2, n + 2), rng.randint(-n - 2, n + 2)
            if growing:
                s, e = rng.randint(0, 3), -rng.randint(1, 3)
            p.execute_command("LTRIM", k, s, e)
            want = m.ltrim(k, s, e)
        elif op < 0.86:
            lf, lt = rng.random() < 0.5, rng.random() < 0.5
            p.execute_command("LMOVE", k, other, "LEFT" if lf else "RIGHT",
                              "LEFT" if lt else "RIGHT")
            want = m.lmove(k, other, lf, lt)
        elif op < 0.90:
            left = rng.random() < 0.5
            count = rng.randint(1, 6)
            p.execute_command("LMPOP", 2, k, other, "LEFT" if left else "RIGHT", "COUNT", count)
            want = None
            for key in (k, other):
                if m.get(key):
                    want = [key.encode(), m.pop(key, left, count)]
                    break
        elif op < 0.95:
            lst = m.get(k)
            v = rng.choice(lst) if lst and rng.random() < 0.8 else value()
            rank = rng.choice([1, 2, -1, -2])
            p.execute_command("LPOS", k, v, "RANK", rank)
            want = m.lpos(k, v, rank)
        else:
            n = len(m.get(k))
            i = rng.randint(-n - 1, n)
            p.execute_command("LINDEX", k, i)
            lst = m.get(k)
            want = lst[i] if -len(lst) <= i < len(lst) else None
        for key in keys:
            p.lrange(key, 0, -1)
        res = p.execute(raise_on_error=False)
        got = res[0]
        if isinstance(got, redis.ResponseError):
            got = str(got)
        assert got == want, (step, p.command_stack[0].args, got, want)
        for key, lst in zip(keys, res[1:]):
            assert lst == m.get(key), (step, key)
    assert r.exists(*keys) == len(m.d)


# --------------------------------------------------------------------------
# Concurrency: producers and consumers on separate connections (workers)

def test_concurrent_producers_and_consumers_lose_nothing(server, r):
    producers, consumers, per = 4, 4, 25000
    total = producers * per
    errors = []
    consumed = [[] for _ in range(consumers)]
    lock = threading.Lock()
    done_count = [0]
    deadline = time.time() + (300 if SANITIZER else 120)

    def produce(pid):
        try:
            c = server.client()
            for start in range(0, per, 1000):
                p = c.pipeline(transaction=False)
                for i in range(start, start + 1000):
                    p.rpush("queue", b"%d:%d" % (pid, i))
                p.execute()
            c.connection_pool.disconnect()
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    def consume(cid):
        try:
            c = server.client()
            while time.time() < deadline:
                with lock:
                    if done_count[0] >= total:
                        break
                got = c.lpop("queue", 100)
                if not got:
                    time.sleep(0.001)
                    continue
                consumed[cid].extend(got)
                with lock:
                    done_count[0] += len(got)
            c.connection_pool.disconnect()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(producers)]
    threads += [threading.Thread(target=consume, args=(i,)) for i in range(consumers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    everything = [x for part in consumed for x in part]
    assert len(everything) == total
    assert set(everything) == {b"%d:%d" % (p, i) for p in range(producers) for i in range(per)}
    # LPOP is FIFO: each consumer sees every producer's items in push order
    for part in consumed:
        last = {}
        for x in part:
            pid, i = map(int, x.split(b":"))
            assert i > last.get(pid, -1)
            last[pid] = i
    assert r.exists("queue") == 0
