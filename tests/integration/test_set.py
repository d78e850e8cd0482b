"""SET commands: exact Redis 7.0 replies, errors, RESP3 shapes, encodings,
memory accounting, and a model-based random test.

Every expectation was checked against redis-server 7.0.15
(CACHET_BIN=/usr/bin/redis-server), except the few marked cachet_only.

Encodings.  Cachet follows Redis 7.2 for small sets of non-integers: they
are "listpack" up to set-max-listpack-entries members of at most
set-max-listpack-value bytes.  Redis 7.0 (Debian's redis-server) has no
listpack sets and no set-max-listpack-* options: it goes straight from
"intset" to "hashtable".  Assertions on those differences are Cachet-only
(skipped against Redis), and the model test predicts each server's rules.

Replies are read with resp.Wire (the `w` fixture: "+OK", "-ERR ...",
ints, bytes, lists) so types and error texts are visible, and with
resp.RawConn (the `c` fixture) for RESP3 bytes.
"""
import random
import re
import time

import pytest

from conftest import IS_REDIS
from resp import NOT_INT, SYNTAX, arity, wait_until

WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value"
POSITIVE = "-ERR value is out of range, must be positive"
RAND_RANGE = ("-ERR value is out of range, value must between "
              "-9223372036854775807 and 9223372036854775807")
NUMKEYS = "-ERR numkeys should be greater than 0"
TOO_MANY_KEYS = "-ERR Number of keys can't be greater than number of args"
LIMIT_NEG = "-ERR LIMIT can't be negative"

cachet_only = pytest.mark.skipif(IS_REDIS, reason="Redis 7.0 has no listpack sets")


@pytest.fixture(autouse=True)
def default_thresholds(r):
    """Each test starts and ends with the default thresholds."""
    def reset():
        r.config_set("set-max-intset-entries", 512)
        if not IS_REDIS:
            r.config_set("set-max-listpack-entries", 128)
            r.config_set("set-max-listpack-value", 64)
    reset()
    yield
    reset()


def members(w, key):
    return sorted(w("SMEMBERS", key))


def enc(w, key):
    return w("OBJECT", "ENCODING", key)


def b(*xs):
    return sorted(x.encode() if isinstance(x, str) else x for x in xs)


def sadd_many(r, key, items, batch=1000):
    items = list(items)
    p = r.pipeline(transaction=False)
    for i in range(0, len(items), batch):
        p.sadd(key, *items[i:i + batch])
    p.execute()


# --------------------------------------------------------------------------
# SADD / SREM / SMEMBERS / SISMEMBER / SMISMEMBER / SCARD

def test_sadd_counts_new_members_only(w):
    assert w("SADD", "s", "a", "b", "a") == 2
    assert w("SADD", "s", "a", "c") == 1
    assert w("SADD", "s", "a") == 0
    assert members(w, "s") == b("a", "b", "c")
    assert w("TYPE", "s") == "+set"


def test_sadd_binary_and_empty_members(w):
    assert w("SADD", "s", b"", b"a\x00b", b"\xff\r\n") == 3
    assert members(w, "s") == sorted([b"", b"a\x00b", b"\xff\r\n"])
    assert w("SISMEMBER", "s", b"") == 1
    assert w("SISMEMBER", "s", b"a") == 0


def test_integers_are_compared_as_strings(w):
    w("SADD", "s", "1", "2")
    assert w("SISMEMBER", "s", "01") == 0
    assert w("SISMEMBER", "s", "+1") == 0
    assert w("SADD", "s", "01") == 1
    assert members(w, "s") == b("01", "1", "2")
    assert w("SREM", "s", "1") == 1
    assert members(w, "s") == b("01", "2")


def test_integer_limits_round_trip(w):
    big = ["9223372036854775807", "-9223372036854775808", "0", "-1"]
    w("SADD", "s", *big)
    assert enc(w, "s") == b"intset"
    assert members(w, "s") == b(*big)
    assert w("SADD", "s", "9223372036854775808") == 1  # not an int64: a string
    assert w("SISMEMBER", "s", "9223372036854775808") == 1
    assert w("SCARD", "s") == 5


def test_srem(w):
    w("SADD", "s", "a", "b", "c")
    assert w("SREM", "s", "a", "x", "a") == 1
    assert members(w, "s") == b("b", "c")
    assert w("SREM", "nokey", "a") == 0


def test_srem_last_member_deletes_key(w):
    w("SADD", "s", "a", "b")
    assert w("SREM", "s", "a", "b", "c") == 2
    assert w("EXISTS", "s") == 0


def test_smembers_missing_key_is_empty_array(w):
    assert w("SMEMBERS", "nokey") == []


def test_sismember_and_smismember(w):
    w("SADD", "s", "a", "1")
    assert w("SISMEMBER", "s", "a") == 1
    assert w("SISMEMBER", "s", "1") == 1
    assert w("SISMEMBER", "s", "z") == 0
    assert w("SISMEMBER", "nokey", "a") == 0
    assert w("SMISMEMBER", "s", "a", "z", "1", "a") == [1, 0, 1, 1]
    assert w("SMISMEMBER", "nokey", "a", "b") == [0, 0]


def test_scard(w):
    assert w("SCARD", "nokey") == 0
    w("SADD", "s", *range(10))
    assert w("SCARD", "s") == 10


# --------------------------------------------------------------------------
# SPOP

def test_spop_single(w):
    w("SADD", "s", "a", "b", "c")
    got = w("SPOP", "s")
    assert got in (b"a", b"b", b"c")
    assert w("SISMEMBER", "s", got) == 0
    assert w("SCARD", "s") == 2


def test_spop_last_member_deletes_key(w):
    w("SADD", "s", "only")
    assert w("SPOP", "s") == b"only"
    assert w("EXISTS", "s") == 0


def test_spop_missing_key(w):
    assert w("SPOP", "nokey") is None
    assert w("SPOP", "nokey", 3) == []
    assert w("SPOP", "nokey", 0) == []


def test_spop_count_zero_returns_empty_and_keeps_set(w):
    w("SADD", "s", "a")
    assert w("SPOP", "s", 0) == []
    assert w("SCARD", "s") == 1


@pytest.mark.parametrize("items", [
    [str(i) for i in range(50)],              # intset
    ["m%d" % i for i in range(50)],           # listpack / hashtable
    ["m%d" % i for i in range(2000)],         # hashtable
    [str(i) for i in range(2000)],            # hashtable of integers
])
@pytest.mark.parametrize("count", ["few", "most", "all", "more"])
def test_spop_count_every_strategy(r, w, items, count):
    n = len(items)
    k = {"few": max(1, n // 10), "most": n - n // 50 - 1, "all": n, "more": n + 5}[count]
    sadd_many(r, "s", items)
    got = w("SPOP", "s", k)
    assert len(got) == min(k, n)
    assert len(set(got)) == len(got)
    assert set(got) <= set(x.encode() for x in items)
    left = set(w("SMEMBERS", "s"))
    assert not (left & set(got))
    assert left | set(got) == set(x.encode() for x in items)
    assert w("EXISTS", "s") == (1 if k < n else 0)


def test_spop_move_strategy_goes_back_to_intset(r, w):
    """Redis builds a new set for the few survivors of a big SPOP: a
    hashtable of integers comes back as an intset."""
    sadd_many(r, "s", [str(i) for i in range(600)])
    assert enc(w, "s") == b"hashtable"
    w("SPOP", "s", 590)
    assert w("SCARD", "s") == 10
    assert enc(w, "s") == b"intset"


@cachet_only
def test_spop_move_strategy_strings_come_back_as_listpack(r, w):
    sadd_many(r, "s", ["m%d" % i for i in range(600)])
    w("SPOP", "s", 590)
    assert enc(w, "s") == b"listpack"


def test_spop_errors(w):
    w("SADD", "s", "a")
    assert w("SPOP", "s", -1) == POSITIVE
    assert w("SPOP", "s", "abc") == POSITIVE
    assert w("SPOP", "s", "1.5") == POSITIVE
    assert w("SPOP", "s", "99999999999999999999") == POSITIVE
    assert w("SPOP", "s", 1, 2) == SYNTAX
    assert w("SPOP", "nokey", -1) == POSITIVE  # the count is checked first
    assert w("SCARD", "s") == 1


# --------------------------------------------------------------------------
# SRANDMEMBER

def test_srandmember_single(w):
    w("SADD", "s", "a", "b")
    assert w("SRANDMEMBER", "s") in (b"a", b"b")
    assert w("SCARD", "s") == 2
    assert w("SRANDMEMBER", "nokey") is None


def test_srandmember_count_forms(w):
    w("SADD", "s", "a", "b", "c")
    assert w("SRANDMEMBER", "s", 0) == []
    assert w("SRANDMEMBER", "nokey", 5) == []
    assert w("SRANDMEMBER", "nokey", -5) == []
    assert sorted(w("SRANDMEMBER", "s", 3)) == b("a", "b", "c")
    assert sorted(w("SRANDMEMBER", "s", 100)) == b("a", "b", "c")
    two = w("SRANDMEMBER", "s", 2)
    assert len(two) == 2 and len(set(two)) == 2
    many = w("SRANDMEMBER", "s", -50)
    assert len(many) == 50 and set(many) <= set(b("a", "b", "c"))
    assert w("SCARD", "s") == 3


@pytest.mark.parametrize("items", [
    [str(i) for i in range(300)],
    ["m%d" % i for i in range(100)],
    ["m%d" % i for i in range(3000)],
])
def test_srandmember_distinct_counts(r, w, items):
    sadd_many(r, "s", items)
    n = len(items)
    for k in (1, n // 10, n // 3 + 1, n - 1):
        got = w("SRANDMEMBER", "s", k)
        assert len(got) == k and len(set(got)) == k
        assert set(got) <= set(x.encode() for x in items)


@pytest.mark.parametrize("items", [
    [str(i) for i in range(10)],
    ["m%d" % i for i in range(10)],
    ["m%d" % i for i in range(10)] + ["x" * 100],
])
def test_srandmember_repeats_are_roughly_uniform(w, items):
    w("SADD", "s", *items)
    draws = w("SRANDMEMBER", "s", -20000)
    counts = {}
    for d in draws:
        counts[d] = counts.get(d, 0) + 1
    assert set(counts) == set(x.encode() for x in items)
    expect = 20000 / len(items)
    for v in counts.values():  # ~6 standard deviations
        assert abs(v - expect) < 6 * (expect ** 0.5) + 10


def test_srandmember_errors(w):
    w("SADD", "s", "a")
    assert w("SRANDMEMBER", "s", "x") == NOT_INT
    assert w("SRANDMEMBER", "s", "1.5") == NOT_INT
    assert w("SRANDMEMBER", "s", "-9223372036854775808") == RAND_RANGE
    assert w("SRANDMEMBER", "s", 1, 2) == SYNTAX


# --------------------------------------------------------------------------
# SMOVE

def test_smove_moves(w):
    w("SADD", "src", "a", "b")
    w("SADD", "dst", "c")
    assert w("SMOVE", "src", "dst", "a") == 1
    assert members(w, "src") == b("b")
    assert members(w, "dst") == b("a", "c")


def test_smove_creates_destination_and_deletes_empty_source(w):
    w("SADD", "src", "a")
    assert w("SMOVE", "src", "dst", "a") == 1
    assert w("EXISTS", "src") == 0
    assert members(w, "dst") == b("a")
    assert w("TYPE", "dst") == "+set"


def test_smove_member_already_in_destination(w):
    w("SADD", "src", "a", "b")
    w("SADD", "dst", "a")
    assert w("SMOVE", "src", "dst", "a") == 1
    assert members(w, "src") == b("b")
    assert members(w, "dst") == b("a")


def test_smove_nothing_to_move(w):
    w("SADD", "src", "a")
    assert w("SMOVE", "src", "dst", "z") == 0
    assert w("EXISTS", "dst") == 0
    assert w("SMOVE", "nokey", "dst", "a") == 0


def test_smove_same_key(w):
    w("SADD", "s", "a")
    assert w("SMOVE", "s", "s", "a") == 1
    assert w("SMOVE", "s", "s", "z") == 0
    assert members(w, "s") == b("a")


def test_smove_wrong_types(w):
    w("SADD", "s", "a")
    w("SET", "str", "x")
    assert w("SMOVE", "str", "s", "a") == WRONGTYPE
    assert w("SMOVE", "s", "str", "a") == WRONGTYPE
    assert members(w, "s") == b("a")
    assert w("SMOVE", "nokey", "str", "a") == 0  # a missing source wins


def test_smove_integer_into_intset_and_string_destinations(w):
    w("SADD", "src", "1", "x")
    w("SADD", "ints", "5")
    assert w("SMOVE", "src", "ints", "1") == 1
    assert enc(w, "ints") == b"intset"
    assert w("SMOVE", "src", "newkey", "x") == 1
    assert members(w, "newkey") == b("x")


# --------------------------------------------------------------------------
# SINTER / SUNION / SDIFF and their STORE forms, SINTERCARD

@pytest.fixture
def abc(w):
    w("SADD", "a", "1", "2", "3", "x")
    w("SADD", "b", "2", "3", "4", "x", "y")
    w("SADD", "c", "3", "x", "z")
    return w


def test_sinter(abc):
    w = abc
    assert sorted(w("SINTER", "a", "b", "c")) == b("3", "x")
    assert sorted(w("SINTER", "a", "b")) == b("2", "3", "x")
    assert sorted(w("SINTER", "a")) == b("1", "2", "3", "x")
    assert sorted(w("SINTER", "a", "a")) == b("1", "2", "3", "x")
    assert w("SINTER", "a", "nokey") == []
    assert w("SINTER", "nokey") == []


def test_sunion(abc):
    w = abc
    assert sorted(w("SUNION", "a", "b", "c")) == b("1", "2", "3", "4", "x", "y", "z")
    assert sorted(w("SUNION", "a", "nokey")) == b("1", "2", "3", "x")
    assert w("SUNION", "nokey", "nokey2") == []


def test_sdiff(abc):
    w = abc
    assert sorted(w("SDIFF", "a", "b")) == b("1")
    assert sorted(w("SDIFF", "b", "a", "c")) == b("4", "y")
    assert sorted(w("SDIFF", "a", "nokey")) == b("1", "2", "3", "x")
    assert w("SDIFF", "nokey", "a") == []
    assert w("SDIFF", "a", "a") == []
    assert w("SDIFF", "a", "b", "a") == []
    assert sorted(w("SDIFF", "a")) == b("1", "2", "3", "x")


def test_sdiff_both_algorithms(r, w):
    big = ["m%d" % i for i in range(3000)]
    sadd_many(r, "big", big)
    w("SADD", "small", "m1", "m2", "q")
    # a small first set: walk it; a big first set: copy and subtract
    assert sorted(w("SDIFF", "small", "big")) == b("q")
    assert w("SCARD", "big") == 3000
    got = w("SDIFF", "big", "small")
    assert len(got) == 2998 and b"m1" not in got and b"m0" in got
    assert sorted(w("SDIFF", "small", "big", "nokey", "small2")) == b("q")


def test_store_forms(abc):
    w = abc
    assert w("SINTERSTORE", "d", "a", "b") == 3
    assert members(w, "d") == b("2", "3", "x")
    assert w("SUNIONSTORE", "d", "a", "c") == 5
    assert members(w, "d") == b("1", "2", "3", "x", "z")
    assert w("SDIFFSTORE", "d", "a", "b") == 1
    assert members(w, "d") == b("1")


def test_store_empty_result_deletes_destination(abc):
    w = abc
    w("SET", "d", "old")
    assert w("SINTERSTORE", "d", "a", "nokey") == 0
    assert w("EXISTS", "d") == 0
    w("SADD", "d", "old")
    assert w("SDIFFSTORE", "d", "a", "a") == 0
    assert w("EXISTS", "d") == 0
    w("SADD", "d", "old")
    assert w("SUNIONSTORE", "d", "nokey") == 0
    assert w("EXISTS", "d") == 0
    w("SADD", "d", "old")
    assert w("SINTERSTORE", "d", "a", "z-empty-intersection", "b") == 0
    assert w("EXISTS", "d") == 0


def test_store_replaces_any_type_and_ttl(abc):
    w = abc
    w("SET", "d", "string")
    w("EXPIRE", "d", 100)
    assert w("SUNIONSTORE", "d", "a") == 4
    assert w("TYPE", "d") == "+set"
    assert w("TTL", "d") == -1


def test_store_destination_is_a_source(abc):
    w = abc
    assert w("SINTERSTORE", "a", "a", "b") == 3
    assert members(w, "a") == b("2", "3", "x")
    assert w("SUNIONSTORE", "c", "c", "b") == 6
    assert members(w, "c") == b("2", "3", "4", "x", "y", "z")
    assert w("SDIFFSTORE", "b", "b", "c") == 0
    assert w("EXISTS", "b") == 0


def test_store_big_destination_is_a_source(r, w):
    sadd_many(r, "big", ["m%d" % i for i in range(5000)])
    sadd_many(r, "half", ["m%d" % i for i in range(0, 5000, 2)])
    assert w("SINTERSTORE", "big", "big", "half") == 2500
    assert w("SCARD", "big") == 2500
    assert w("SISMEMBER", "big", "m2") == 1 and w("SISMEMBER", "big", "m1") == 0


def test_sintercard(abc):
    w = abc
    assert w("SINTERCARD", 2, "a", "b") == 3
    assert w("SINTERCARD", 3, "a", "b", "c") == 2
    assert w("SINTERCARD", 2, "a", "b", "LIMIT", 2) == 2
    assert w("SINTERCARD", 2, "a", "b", "limit", 0) == 3
    assert w("SINTERCARD", 2, "a", "b", "LIMIT", 100) == 3
    assert w("SINTERCARD", 2, "a", "b", "LIMIT", 1, "LIMIT", 5) == 3
    assert w("SINTERCARD", 2, "a", "nokey") == 0
    assert w("SINTERCARD", 1, "nokey") == 0


def test_sintercard_errors(abc):
    w = abc
    assert w("SINTERCARD", 0, "a") == NUMKEYS
    assert w("SINTERCARD", -1, "a") == NUMKEYS
    assert w("SINTERCARD", "x", "a") == NUMKEYS
    assert w("SINTERCARD", "99999999999999999999", "a") == NUMKEYS
    assert w("SINTERCARD", 3, "a", "b") == TOO_MANY_KEYS
    assert w("SINTERCARD", 2, "a") == TOO_MANY_KEYS
    assert w("SINTERCARD", 1, "a", "LIMIT", -1) == LIMIT_NEG
    assert w("SINTERCARD", 1, "a", "LIMIT", "x") == LIMIT_NEG
    assert w("SINTERCARD", 1, "a", "LIMIT") == SYNTAX
    assert w("SINTERCARD", 1, "a", "foo") == SYNTAX
    assert w("SINTERCARD", 1) == arity("sintercard")


def test_set_algebra_wrongtype_beats_missing_keys(abc):
    w = abc
    w("SET", "str", "x")
    for cmd in (["SINTER", "nokey", "str"], ["SINTER", "str", "nokey"],
                ["SUNION", "a", "str"], ["SDIFF", "nokey", "str"], ["SDIFF", "str", "a"],
                ["SINTERCARD", 2, "nokey", "str"], ["SINTERSTORE", "d", "nokey", "str"],
                ["SUNIONSTORE", "d", "a", "str"], ["SDIFFSTORE", "d", "a", "str"]):
        assert w(*cmd) == WRONGTYPE, cmd
    assert w("EXISTS", "d") == 0


def test_store_results_encoding(abc, r):
    w = abc
    w("SADD", "i1", "1", "2", "3")
    w("SADD", "i2", "2", "3", "4")
    assert w("SINTERSTORE", "d", "i1", "i2") == 2
    assert enc(w, "d") == b"intset"
    w("SUNIONSTORE", "d", "i1", "a")
    assert enc(w, "d") == (b"hashtable" if IS_REDIS else b"listpack")


# --------------------------------------------------------------------------
# SSCAN

def scan_all(w, key, *opts):
    cur, seen, calls = b"0", [], 0
    while True:
        cur, batch = w("SSCAN", key, cur, *opts)
        seen += batch
        calls += 1
        if cur == b"0":
            return seen, calls


def test_sscan_small_sets_in_one_call(w):
    """Compact encodings answer everything with cursor 0 (a listpack set
    exists only in Cachet: Redis 7.0's 20 strings are a hashtable)."""
    w("SADD", "i", *range(20))
    w("SADD", "s", *["m%d" % i for i in range(20)])
    for key in ("i",) if IS_REDIS else ("i", "s"):
        cur, got = w("SSCAN", key, 0, "COUNT", 1)
        assert cur == b"0" and len(got) == 20


def test_sscan_big_set_complete(r, w):
    items = ["m%d" % i for i in range(5000)]
    sadd_many(r, "s", items)
    seen, calls = scan_all(w, "s", "COUNT", 100)
    assert set(seen) == set(x.encode() for x in items)
    assert calls > 5


def test_sscan_match(r, w):
    sadd_many(r, "s", ["m%d" % i for i in range(1000)] + ["other%d" % i for i in range(10)])
    seen, _ = scan_all(w, "s", "MATCH", "other*", "COUNT", 50)
    assert sorted(set(seen)) == b(*["other%d" % i for i in range(10)])
    w("SADD", "small", "ab", "ac", "b")
    cur, got = w("SSCAN", "small", 0, "MATCH", "a*")
    assert cur == b"0" and sorted(got) == b("ab", "ac")


def test_sscan_cursor_survives_growth_and_shrink(r, w):
    keep = ["keep%d" % i for i in range(2000)]
    sadd_many(r, "s", keep)
    cur, seen, n = b"0", set(), 0
    while True:
        cur, batch = w("SSCAN", "s", cur, "COUNT", 20)
        seen.update(batch)
        n += 1
        if n < 30:
            sadd_many(r, "s", ["grow%d-%d" % (n, i) for i in range(1000)])
        elif n < 60:
            p = r.pipeline(transaction=False)
            for i in range(1000):
                p.srem("s", "grow%d-%d" % (n - 29, i))
            p.execute()
        if cur == b"0":
            break
    assert set(x.encode() for x in keep) <= seen


def test_sscan_errors(w):
    w("SADD", "s", "a")
    w("SET", "str", "x")
    assert w("SSCAN", "s", "x") == "-ERR invalid cursor"
    assert w("SSCAN", "s", 0, "COUNT", 0) == SYNTAX
    assert w("SSCAN", "s", 0, "COUNT", "x") == NOT_INT
    assert w("SSCAN", "s", 0, "MATCH") == SYNTAX
    assert w("SSCAN", "s", 0, "foo", "bar") == SYNTAX
    assert w("SSCAN", "str", 0) == WRONGTYPE
    assert w("SSCAN", "str", 0, "foo") == WRONGTYPE
    assert w("SSCAN", "nokey", "x") == "-ERR invalid cursor"
    # a missing key answers an empty scan before the options are read
    assert w("SSCAN", "nokey", 0) == [b"0", []]
    assert w("SSCAN", "nokey", 0, "foo") == [b"0", []]
    assert w("SSCAN", "nokey", 0, "COUNT", 0) == [b"0", []]


# --------------------------------------------------------------------------
# Arity and WRONGTYPE everywhere

ARITY = [("SADD", 2), ("SREM", 2), ("SMEMBERS", 1), ("SMEMBERS", 3), ("SISMEMBER", 2),
         ("SISMEMBER", 4), ("SMISMEMBER", 2), ("SCARD", 1), ("SCARD", 3), ("SPOP", 1),
         ("SRANDMEMBER", 1), ("SMOVE", 3), ("SMOVE", 5), ("SINTER", 1), ("SUNION", 1),
         ("SDIFF", 1), ("SINTERSTORE", 2), ("SUNIONSTORE", 2), ("SDIFFSTORE", 2),
         ("SINTERCARD", 2), ("SSCAN", 2)]


@pytest.mark.parametrize("cmd,argc", ARITY)
def test_arity_errors(w, cmd, argc):
    args = ["k%d" % i for i in range(argc - 1)]
    assert w(cmd, *args) == arity(cmd.lower())


@pytest.mark.parametrize("cmd", [
    ["SADD", "str", "a"], ["SREM", "str", "a"], ["SMEMBERS", "str"],
    ["SISMEMBER", "str", "a"], ["SMISMEMBER", "str", "a"], ["SCARD", "str"],
    ["SPOP", "str"], ["SPOP", "str", 2], ["SPOP", "str", 0], ["SRANDMEMBER", "str"],
    ["SRANDMEMBER", "str", 2], ["SRANDMEMBER", "str", 0], ["SINTER", "str"],
    ["SUNION", "str"], ["SDIFF", "str"], ["SINTERCARD", 1, "str"],
    ["SINTERSTORE", "d", "str"], ["SSCAN", "str", 0],
])
def test_set_commands_on_a_string(w, cmd):
    w("SET", "str", "x")
    assert w(*cmd) == WRONGTYPE
    assert w("GET", "str") == b"x"


@pytest.mark.parametrize("cmd", [
    ["GET", "s"], ["APPEND", "s", "x"], ["INCR", "s"], ["STRLEN", "s"], ["GETRANGE", "s", 0, 1],
    ["SETRANGE", "s", 0, "x"], ["GETSET", "s", "x"], ["INCRBYFLOAT", "s", 1], ["GETDEL", "s"],
    ["MSETNX", "s", "x"],
])
def test_string_commands_on_a_set(w, cmd):
    w("SADD", "s", "a")
    got = w(*cmd)
    if cmd[0] == "MSETNX":
        assert got == 0
    else:
        assert got == WRONGTYPE
    assert members(w, "s") == b("a")


def test_set_overwrites_a_set(w):
    w("SADD", "s", "a")
    assert w("SET", "s", "v") == "+OK"
    assert w("GET", "s") == b"v"
    assert w("MGET", "s") == [b"v"]
    w("DEL", "s")
    w("SADD", "s", "a")
    assert w("MGET", "s", "nokey") == [None, None]


# --------------------------------------------------------------------------
# RESP3 reply types

@pytest.fixture
def c3(c):
    c.cmd("HELLO", "3")
    return c


def test_resp3_shapes(c3):
    c = c3
    c.cmd("SADD", "s", "a")
    c.cmd("SADD", "t", "a")
    assert c.cmd_raw("SMEMBERS", "s") == b"~1\r\n$1\r\na\r\n"
    assert c.cmd_raw("SMEMBERS", "nokey") == b"~0\r\n"
    assert c.cmd_raw("SINTER", "s", "t") == b"~1\r\n$1\r\na\r\n"
    assert c.cmd_raw("SINTER", "s", "nokey") == b"~0\r\n"
    assert c.cmd_raw("SUNION", "s", "t") == b"~1\r\n$1\r\na\r\n"
    assert c.cmd_raw("SDIFF", "s", "t") == b"~0\r\n"
    assert c.cmd_raw("SRANDMEMBER", "s", 1) == b"*1\r\n$1\r\na\r\n"
    assert c.cmd_raw("SRANDMEMBER", "s", -2) == b"*2\r\n$1\r\na\r\n$1\r\na\r\n"
    assert c.cmd_raw("SRANDMEMBER", "s", 5) == b"*1\r\n$1\r\na\r\n"
    assert c.cmd_raw("SRANDMEMBER", "nokey", 5) == b"*0\r\n"
    assert c.cmd_raw("SRANDMEMBER", "nokey") == b"_\r\n"
    assert c.cmd_raw("SMISMEMBER", "s", "a", "b") == b"*2\r\n:1\r\n:0\r\n"
    assert c.cmd_raw("SSCAN", "s", 0) == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    assert c.cmd_raw("SPOP", "nokey") == b"_\r\n"
    assert c.cmd_raw("SPOP", "nokey", 2) == b"~0\r\n"
    assert c.cmd_raw("SPOP", "s", 0) == b"~0\r\n"
    c.cmd("SADD", "s", "b")
    assert c.cmd_raw("SPOP", "s", 1) in (b"~1\r\n$1\r\na\r\n", b"~1\r\n$1\r\nb\r\n")
    assert c.cmd_raw("SPOP", "s", 5) in (b"~1\r\n$1\r\na\r\n", b"~1\r\n$1\r\nb\r\n")
    assert c.cmd_raw("SPOP", "t") == b"$1\r\na\r\n"


def test_resp2_shapes(w):
    w("SADD", "s", "a")
    assert w("SPOP", "nokey") is None
    assert w("SRANDMEMBER", "nokey") is None
    assert w("SMEMBERS", "s") == [b"a"]
    assert w("SPOP", "s", 1) == [b"a"]


# --------------------------------------------------------------------------
# Encodings and their thresholds

def test_intset_up_to_the_limit_then_hashtable(r, w):
    sadd_many(r, "s", [str(i) for i in range(512)])
    assert enc(w, "s") == b"intset"
    w("SADD", "s", "512")
    assert enc(w, "s") == b"hashtable"
    assert w("SCARD", "s") == 513


def test_intset_limit_is_configurable(r, w):
    r.config_set("set-max-intset-entries", 4)
    w("SADD", "s", 1, 2, 3, 4)
    assert enc(w, "s") == b"intset"
    w("SADD", "s", 5)
    assert enc(w, "s") == b"hashtable"
    assert r.config_get("set-max-intset-entries") == {"set-max-intset-entries": "4"}


def test_encodings_never_shrink_back(r, w):
    r.config_set("set-max-intset-entries", 4)
    w("SADD", "s", 1, 2, 3, 4)
    w("SADD", "s", 5)
    w("SREM", "s", 1, 2, 3, 4)
    assert enc(w, "s") == b"hashtable"
    w("SADD", "i", 1, "a")
    w("SREM", "i", "a")
    assert enc(w, "i") == (b"hashtable" if IS_REDIS else b"listpack")


def test_intset_takes_a_string(w):
    w("SADD", "s", 1, 2)
    w("SADD", "s", "a")
    assert enc(w, "s") == (b"hashtable" if IS_REDIS else b"listpack")
    assert members(w, "s") == b("1", "2", "a")


@cachet_only
def test_listpack_limits(r, w):
    w("SADD", "s", *["m%d" % i for i in range(128)])
    assert enc(w, "s") == b"listpack"
    w("SADD", "s", "one-more")
    assert enc(w, "s") == b"hashtable"
    w("SADD", "v", "x" * 64)
    assert enc(w, "v") == b"listpack"
    w("SADD", "v", "y" * 65)
    assert enc(w, "v") == b"hashtable"


@cachet_only
def test_listpack_limits_are_configurable(r, w):
    r.config_set("set-max-listpack-entries", 3)
    r.config_set("set-max-listpack-value", 5)
    assert r.config_get("set-max-listpack-*") == {"set-max-listpack-entries": "3",
                                                  "set-max-listpack-value": "5"}
    w("SADD", "s", "a", "b", "c")
    assert enc(w, "s") == b"listpack"
    w("SADD", "s", "d")
    assert enc(w, "s") == b"hashtable"
    w("SADD", "t", "abcde")
    assert enc(w, "t") == b"listpack"
    w("SADD", "t", "abcdef")
    assert enc(w, "t") == b"hashtable"
    # an intset whose widest integer would not fit the value limit
    w("SADD", "i", "123456", "1")
    w("SADD", "i", "a")
    assert enc(w, "i") == b"hashtable"
    # an intset whose size reaches the listpack entry limit
    w("SADD", "j", 1, 2, 3)
    w("SADD", "j", "a")
    assert enc(w, "j") == b"hashtable"
    w("SADD", "k", 1, 2)
    w("SADD", "k", "a")
    assert enc(w, "k") == b"listpack"


@cachet_only
def test_big_sadd_on_new_key_is_a_hashtable_at_once(w):
    w("SADD", "s", *["m%d" % i for i in range(200)])
    assert enc(w, "s") == b"hashtable"


def test_big_string_sets_are_hashtables(w):
    w("SADD", "s", *["m%d" % i for i in range(200)])
    assert enc(w, "s") == b"hashtable"
    assert w("SCARD", "s") == 200


# --------------------------------------------------------------------------
# Generic key commands on sets

def test_type_copy_rename_del_exists(w):
    w("SADD", "s", "a", "b")
    assert w("TYPE", "s") == "+set"
    assert w("COPY", "s", "s2") == 1
    w("SADD", "s2", "c")
    assert members(w, "s") == b("a", "b")
    assert members(w, "s2") == b("a", "b", "c")
    assert w("RENAME", "s2", "s3") == "+OK"
    assert w("EXISTS", "s2") == 0
    assert members(w, "s3") == b("a", "b", "c")
    assert w("DEL", "s", "s3") == 2
    assert w("EXISTS", "s", "s3") == 0


@pytest.mark.parametrize("items", [
    ["1", "2", "3"], ["a", "b"], ["m%d" % i for i in range(1000)]])
def test_copy_keeps_encoding_and_content(r, w, items):
    sadd_many(r, "s", items)
    assert w("COPY", "s", "d") == 1
    assert enc(w, "d") == enc(w, "s")
    assert members(w, "d") == members(w, "s")
    w("SREM", "s", items[0])
    assert w("SISMEMBER", "d", items[0]) == 1


def test_copy_replace_onto_string(w):
    w("SADD", "s", "a")
    w("SET", "d", "x")
    assert w("COPY", "s", "d") == 0
    assert w("COPY", "s", "d", "REPLACE") == 1
    assert w("TYPE", "d") == "+set"


def test_expire_on_set(w):
    w("SADD", "s", "a")
    assert w("PEXPIRE", "s", 50) == 1
    assert w("TTL", "s") in (0, 1)
    time.sleep(0.12)
    assert w("EXISTS", "s") == 0
    assert w("SCARD", "s") == 0
    assert w("SADD", "s", "b") == 1  # a fresh set, no TTL
    assert w("TTL", "s") == -1


def test_expired_big_set_is_gone(r, w):
    sadd_many(r, "s", ["m%d" % i for i in range(5000)])
    w("PEXPIRE", "s", 30)
    time.sleep(0.1)
    assert w("SMEMBERS", "s") == []
    assert w("SADD", "s", "x") == 1
    assert w("SCARD", "s") == 1


def test_writes_keep_the_ttl(w):
    w("SADD", "s", "a")
    w("EXPIRE", "s", 100)
    w("SADD", "s", "b")
    w("SREM", "s", "a")
    w("SPOP", "s", 0)
    assert 0 < w("TTL", "s") <= 100


def test_scan_type_set(w):
    w("SADD", "s1", "a")
    w("SADD", "s2", "1")
    w("SET", "str", "x")
    cur, keys = b"0", []
    while True:
        cur, batch = w("SCAN", cur, "TYPE", "set")
        keys += batch
        if cur == b"0":
            break
    assert sorted(keys) == b("s1", "s2")


def test_object_encoding_missing_key(w):
    assert w("OBJECT", "ENCODING", "nokey") is None


def test_unlink_big_set(r, w):
    sadd_many(r, "s", ["m%d" % i for i in range(20000)])
    assert w("UNLINK", "s") == 1
    assert w("EXISTS", "s") == 0


def test_watch_sees_changes_but_not_noops(server, r):
    """Only a write that changes the set touches watchers, as in Redis."""
    w2 = server.client()
    r.sadd("s", "a")
    for change, aborted in ((("sadd", "s", "a"), False), (("sadd", "s", "b"), True),
                            (("srem", "s", "zz"), False), (("srem", "s", "b"), True),
                            (("spop", "s", 0), False), (("smove", "s", "t", "zz"), False),
                            (("smove", "s", "t", "a"), True)):
        with r.pipeline() as p:
            p.watch("s")
            getattr(w2, change[0])(*change[1:])
            p.multi()
            p.exists("s")
            if aborted:
                with pytest.raises(Exception):
                    p.execute()
            else:
                assert len(p.execute()) == 1
    w2.connection_pool.disconnect()


def test_multi_exec(r):
    p = r.pipeline()
    p.sadd("s", "a", "b").smove("s", "t", "a").sinterstore("u", "s", "t").sunion("s", "t")
    res = p.execute()
    assert res[:3] == [2, 1, 0]
    assert res[3] == {b"a", b"b"}


def test_command_info_rows(c):
    def norm(x):
        if isinstance(x, list):
            return [norm(y) for y in x]
        return x.decode() if isinstance(x, bytes) else x
    info = norm(c.cmd("COMMAND", "INFO", "sadd", "sintercard", "smove", "sinterstore",
                      "srandmember", "sscan"))
    rows = {row[0]: row for row in info}
    assert rows["sadd"][1:6] == [-3, ["write", "denyoom", "fast"], 1, 1, 1]
    assert rows["sintercard"][1] == -3
    assert "movablekeys" in rows["sintercard"][2]
    assert rows["sintercard"][3:6] == [0, 0, 0]
    assert rows["smove"][1:6] == [4, ["write", "fast"], 1, 2, 1]
    assert rows["sinterstore"][1:6] == [-3, ["write", "denyoom"], 1, -1, 1]
    assert rows["srandmember"][1:6] == [-2, ["readonly"], 1, 1, 1]
    assert rows["sscan"][1:6] == [-3, ["readonly"], 1, 1, 1]
    assert norm(c.cmd("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1")) == \
        ["a", "b"]


# --------------------------------------------------------------------------
# Memory accounting

def used_memory(r):
    return r.info("memory")["used_memory"]


@pytest.fixture
def mem(server, r):
    """(worker, meter): the work runs on `worker`, whose connection is closed
    before the final reading so its grown query/reply buffers (counted in
    used_memory, as in Redis) do not hide what the sets left behind;
    `meter` only runs INFO."""
    meter = server.client()
    used_memory(meter)
    worker = server.client()
    yield worker, meter
    worker.connection_pool.disconnect()
    meter.connection_pool.disconnect()


def settle(meter, baseline, slack):
    """used_memory back within slack of baseline (Cachet frees big values in
    the background)."""
    return wait_until(lambda: used_memory(meter) <= baseline + slack, 10) or used_memory(meter)


SLACK = 16 * 1024


def test_used_memory_returns_to_baseline(mem):
    r, meter = mem
    baseline = used_memory(meter)
    # big: grow to 100k, shrink to 1k, grow again
    sadd_many(r, "big", ["member:%d" % i for i in range(100000)])
    grown = used_memory(meter)
    assert grown > baseline + 2 * 1000 * 1000
    p = r.pipeline(transaction=False)
    for i in range(99000):
        p.srem("big", "member:%d" % i)
        if i % 5000 == 4999:
            p.execute()
    p.execute()
    assert r.scard("big") == 1000
    assert used_memory(meter) < grown
    sadd_many(r, "big", ["again:%d" % i for i in range(20000)])
    # small sets of each compact encoding, integers past the intset limit
    p = r.pipeline(transaction=False)
    for k in range(300):
        p.sadd("ints:%d" % k, *range(k % 40 + 1))
        p.sadd("strs:%d" % k, *["s%d" % i for i in range(k % 40 + 1)])
    p.execute()
    sadd_many(r, "bigints", [str(i) for i in range(3000)])
    r.spop("bigints", 2990)
    assert used_memory(meter) > baseline + 100 * 1000
    r.delete("big", "bigints")
    for k in range(300):
        r.delete("ints:%d" % k, "strs:%d" % k)
    r.connection_pool.disconnect()
    assert settle(meter, baseline, SLACK) is True


def test_used_memory_tracks_store_spop_and_smove(mem):
    r, meter = mem
    baseline = used_memory(meter)
    sadd_many(r, "a", ["m%d" % i for i in range(3000)])
    sadd_many(r, "b", ["m%d" % i for i in range(1000, 4000)])
    r.sinterstore("i", "a", "b")
    r.sunionstore("u", "a", "b")
    r.sdiffstore("a", "a", "b")
    r.spop("u", 3000)
    r.spop("u", 10)
    for i in range(200):
        r.smove("b", "moved", "m%d" % (1000 + i))
    r.copy("b", "bcopy")
    r.rename("bcopy", "bcopy2")
    r.expire("bcopy2", 1000)
    r.delete("a", "b", "i", "u", "moved", "bcopy2")
    r.connection_pool.disconnect()
    assert settle(meter, baseline, SLACK) is True


def test_used_memory_after_expiry(mem):
    r, meter = mem
    baseline = used_memory(meter)
    sadd_many(r, "big", ["m%d" % i for i in range(20000)])
    r.sadd("small", "a", "b")
    r.pexpire("big", 50)
    r.pexpire("small", 50)
    r.connection_pool.disconnect()
    time.sleep(0.1)
    assert meter.exists("big", "small") == 0
    assert settle(meter, baseline, SLACK) is True


# --------------------------------------------------------------------------
# Model-based: random operations against a Python model, compared after
# every step, encodings included (each server's own rules), with small
# thresholds so sets cross them in both directions.

INT_RE = re.compile(rb"^(0|-?[1-9][0-9]*)$")


def is_int(m):
    return bool(INT_RE.match(m)) and -2 ** 63 <= int(m) < 2 ** 63


class Model(object):
    MAX_IS, MAX_LP, MAX_VAL = 12, 6, 8  # MAX_IS >= MAX_LP keeps rules deterministic

    def __init__(self, redis70):
        self.sets = {}
        self.enc = {}
        self.redis70 = redis70

    def fits_lp(self, members):
        return len(members) <= self.MAX_LP and all(len(m) <= self.MAX_VAL for m in members)

    def built(self, members):
        """Encoding of a set built by adds from an empty intset (the *STORE
        results and SPOP's survivors)."""
        if all(is_int(m) for m in members):
            return "intset" if len(members) <= self.MAX_IS else "hashtable"
        if self.redis70:
            return "hashtable"
        return "listpack" if self.fits_lp(members) else "hashtable"

    def created(self, first, hint):
        if self.redis70:
            return "intset" if is_int(first) else "hashtable"
        if is_int(first) and hint <= self.MAX_IS:
            return "intset"
        return "listpack" if hint <= self.MAX_LP else "hashtable"

    def add(self, key, m):
        s, e = self.sets[key], self.enc[key]
        if m in s:
            return 0
        if e == "intset":
            if is_int(m):
                e = "hashtable" if len(s) + 1 > self.MAX_IS else "intset"
            elif self.redis70:
                e = "hashtable"
            else:
                widest = max(len(str(int(x))) for x in s) if s else 0
                ok = len(s) < self.MAX_LP and len(m) <= self.MAX_VAL and widest <= self.MAX_VAL
                e = "listpack" if ok else "hashtable"
        elif e == "listpack":
            if not (len(s) < self.MAX_LP and len(m) <= self.MAX_VAL):
                e = "hashtable"
        s.add(m)
        self.enc[key] = e
        return 1

    def store(self, key, members):
        if members:
            self.sets[key] = set(members)
            self.enc[key] = self.built(members)
        else:
            self.sets.pop(key, None)
            self.enc.pop(key, None)

    def drop_if_empty(self, key):
        if key in self.sets and not self.sets[key]:
            del self.sets[key]
            del self.enc[key]


def test_model_random_operations(r, w):
    r.config_set("set-max-intset-entries", Model.MAX_IS)
    if not IS_REDIS:
        r.config_set("set-max-listpack-entries", Model.MAX_LP)
        r.config_set("set-max-listpack-value", Model.MAX_VAL)
    m = Model(IS_REDIS)
    rnd = random.Random(20240607)
    keys = ["k0", "k1", "k2", "k3"]
    pool = ([str(i).encode() for i in range(-5, 25)] + [b"a", b"b", b"c", b"d", b"e", b"f"] +
            [b"longer-member-%d" % i for i in range(4)] + [b"123456789012"])

    def pick_members(n):
        # phases favour integers, then short strings, then anything
        phase = (step // 400) % 3
        src = pool[:30] if phase == 0 else (pool[:36] if phase == 1 else pool)
        return [rnd.choice(src) for _ in range(n)]

    for step in range(3000):
        op = rnd.random()
        k = rnd.choice(keys)
        if op < 0.30:
            ms = pick_members(rnd.randint(1, 4))
            if k not in m.sets:
                m.sets[k] = set()
                m.enc[k] = m.created(ms[0], len(ms))
            want = sum(m.add(k, x) for x in ms)
            assert w("SADD", k, *ms) == want
        elif op < 0.45:
            ms = pick_members(rnd.randint(1, 4))
            s = m.sets.get(k, set())
            want = len(set(ms) & s)
            s -= set(ms)
            m.drop_if_empty(k)
            assert w("SREM", k, *ms) == want
        elif op < 0.52:
            got = w("SPOP", k)
            if k in m.sets:
                assert got in m.sets[k]
                m.sets[k].discard(got)
                m.drop_if_empty(k)
            else:
                assert got is None
        elif op < 0.60:
            n = rnd.randint(0, 14)
            got = w("SPOP", k, n)
            s = m.sets.get(k, set())
            assert len(got) == min(n, len(s)) and set(got) <= s and len(set(got)) == len(got)
            if s and n:
                if n >= len(s):
                    m.store(k, set())
                else:
                    survivors = s - set(got)
                    if (len(s) - n) * 5 <= n and m.enc[k] == "hashtable":
                        m.store(k, survivors)  # rebuilt compact, as Redis does
                    else:
                        m.sets[k] = survivors
        elif op < 0.67:
            dst = rnd.choice(keys)
            x = rnd.choice(pool)
            src_has = k in m.sets and x in m.sets[k]
            got = w("SMOVE", k, dst, x)
            assert got == int(src_has)
            if src_has and dst != k:
                m.sets[k].discard(x)
                m.drop_if_empty(k)
                if dst not in m.sets:
                    m.sets[dst] = set()
                    m.enc[dst] = m.created(x, 1)
                m.add(dst, x)
        elif op < 0.80:
            srcs = rnd.sample(keys, rnd.randint(1, 3))
            dst = rnd.choice(keys)
            sets = [m.sets.get(s, set()) for s in srcs]
            kind = rnd.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
            if kind == "SINTERSTORE":
                res = set.intersection(*sets)
            elif kind == "SUNIONSTORE":
                res = set.union(*sets)
            else:
                res = sets[0].difference(*sets[1:])
            assert w(kind, dst, *srcs) == len(res)
            m.store(dst, res)
        elif op < 0.88:
            srcs = rnd.sample(keys, rnd.randint(1, 3))
            sets = [m.sets.get(s, set()) for s in srcs]
            assert set(w("SINTER", *srcs)) == set.intersection(*sets)
            assert set(w("SUNION", *srcs)) == set.union(*sets)
            assert set(w("SDIFF", *srcs)) == sets[0].difference(*sets[1:])
            lim = rnd.randint(0, 3)
            card = len(set.intersection(*sets))
            assert w("SINTERCARD", len(srcs), *srcs, "LIMIT", lim) == (
                min(card, lim) if lim else card)
        elif op < 0.94:
            s = m.sets.get(k, set())
            n = rnd.randint(-8, 8)
            got = w("SRANDMEMBER", k, n)
            assert set(got) <= s
            if n >= 0:
                assert len(got) == min(n, len(s)) and len(set(got)) == len(got)
            else:
                assert len(got) == (-n if s else 0)
            probe = pick_members(3)
            assert w("SMISMEMBER", k, *probe) == [int(x in s) for x in probe]
        elif op < 0.97:
            assert w("DEL", k) == int(k in m.sets)
            m.store(k, set())
        else:
            dst = rnd.choice(keys)
            if dst != k and k in m.sets:
                assert w("COPY", k, dst, "REPLACE") == 1
                m.sets[dst] = set(m.sets[k])
                m.enc[dst] = m.enc[k]
        # compare every key after every step
        p = r.pipeline(transaction=False)
        for key in keys:
            p.smembers(key)
            p.object("encoding", key)
            p.scard(key)
        res = p.execute()
        for i, key in enumerate(keys):
            got, e, card = res[3 * i], res[3 * i + 1], res[3 * i + 2]
            want = m.sets.get(key, set())
            assert got == want, (step, key)
            assert card == len(want)
            if want:
                assert e == m.enc[key].encode(), (step, key, sorted(want))
            else:
                assert e is None
