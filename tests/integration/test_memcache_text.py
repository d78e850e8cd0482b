"""memcached text protocol (memcached 1.6 semantics, exact bytes).

Every test here must pass against real memcached 1.6.18:

    MC_REFERENCE=1 python3 -m pytest tests/integration/test_memcache_text.py

Raw-socket checks use Raw.req(): the request is followed by the meta no-op
"mn", so the reply is exactly the bytes before "MN\\r\\n" -- no sleeps, no
"read until quiet" guessing.  Each test gets a fresh server.
"""
import threading
import time

import pytest
from pymemcache.exceptions import (MemcacheClientError, MemcacheServerError)

from mc_support import (Closed, mc, mc_factory, requires_mc,  # noqa: F401
                        value_block, parse_meta_flags)

pytestmark = requires_mc

THIRTY_DAYS = 60 * 60 * 24 * 30


def mg_ttl(c, key):
    """Remaining TTL via meta get (-1 = none, None = miss)."""
    line = c.req(b"mg " + key + b" t\r\n")
    if line == b"EN\r\n":
        return None
    code, flags = parse_meta_flags(line)
    assert code == "HD", line
    return int(dict(flags)["t"])


def gets_cas(c, key):
    out = c.req(b"gets " + key + b"\r\n")
    head = out.split(b"\r\n", 1)[0].split(b" ")
    assert head[0] == b"VALUE" and head[1] == key, out
    return int(head[4])


# ---------------------------------------------------------------- retrieval

def test_set_get_exact_bytes(mc):
    with mc.raw() as c:
        assert c.req(b"set foo 5 0 3\r\nbar\r\n") == b"STORED\r\n"
        assert c.req(b"get foo\r\n") == b"VALUE foo 5 3\r\nbar\r\nEND\r\n"
        assert c.req(b"get nosuch\r\n") == b"END\r\n"
        # overwrite: new flags and length
        assert c.req(b"set foo 0 0 5\r\nhello\r\n") == b"STORED\r\n"
        assert c.req(b"get foo\r\n") == b"VALUE foo 0 5\r\nhello\r\nEND\r\n"


def test_empty_value(mc):
    with mc.raw() as c:
        assert c.req(b"set e 1 0 0\r\n\r\n") == b"STORED\r\n"
        assert c.req(b"get e\r\n") == b"VALUE e 1 0\r\n\r\nEND\r\n"


def test_multi_get_order_misses_and_duplicates(mc):
    with mc.raw() as c:
        assert c.req(b"set a 1 0 1\r\nA\r\nset b 2 0 2\r\nBB\r\n") == b"STORED\r\nSTORED\r\n"
        assert c.req(b"get b nosuch a\r\n") == \
            value_block(b"b", b"BB", 2) + value_block(b"a", b"A", 1) + b"END\r\n"
        # a key named twice is returned twice
        assert c.req(b"get a a\r\n") == value_block(b"a", b"A", 1) * 2 + b"END\r\n"
        assert c.req(b"get x y z\r\n") == b"END\r\n"
        # separators: runs of spaces are fine
        assert c.req(b"get   a    b  \r\n") == \
            value_block(b"a", b"A", 1) + value_block(b"b", b"BB", 2) + b"END\r\n"


def test_many_keys_in_one_get(mc):
    with mc.raw() as c:
        req = b"".join(b"set k%d 0 0 %d\r\n%d\r\n" % (i, len(b"%d" % i), i) for i in range(100))
        assert c.req(req) == b"STORED\r\n" * 100
        keys = b" ".join(b"k%d" % i for i in range(100))
        want = b"".join(value_block(b"k%d" % i, b"%d" % i) for i in range(100)) + b"END\r\n"
        assert c.req(b"get " + keys + b"\r\n") == want


def test_gets_cas_unique(mc):
    with mc.raw() as c:
        c.req(b"set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\n")
        out = c.req(b"gets a b\r\n")
        lines = out.split(b"\r\n")
        assert lines[0].startswith(b"VALUE a 0 1 ") and lines[1] == b"1"
        assert lines[2].startswith(b"VALUE b 0 1 ") and lines[3] == b"2"
        assert lines[4] == b"END" and lines[5] == b""
        cas_a, cas_b = int(lines[0].split()[4]), int(lines[2].split()[4])
        assert cas_a != cas_b
        # reads do not change the cas value
        c.req(b"get a\r\n")
        assert gets_cas(c, b"a") == cas_a
        # every store does
        c.req(b"set a 0 0 1\r\n1\r\n")
        assert gets_cas(c, b"a") not in (cas_a, cas_b)
        assert c.req(b"gets nosuch\r\n") == b"END\r\n"


def test_gat_and_gats(mc):
    with mc.raw() as c:
        c.req(b"set k 3 0 2\r\nvv\r\n")
        cas = gets_cas(c, b"k")
        assert c.req(b"gat 100 k\r\n") == b"VALUE k 3 2\r\nvv\r\nEND\r\n"
        assert mg_ttl(c, b"k") in (99, 100)
        assert c.req(b"gats 200 k nosuch\r\n") == \
            b"VALUE k 3 2 %d\r\nvv\r\nEND\r\n" % cas     # touching keeps the cas
        assert mg_ttl(c, b"k") in (199, 200)
        assert c.req(b"gat 0 k\r\n") == b"VALUE k 3 2\r\nvv\r\nEND\r\n"
        assert mg_ttl(c, b"k") == -1                       # 0 = never expires
        assert c.req(b"gat 100 nosuch\r\n") == b"END\r\n"
        assert c.req(b"gats 100 nosuch\r\n") == b"END\r\n"
        # negative exptime: the value is returned, then the item is gone
        assert c.req(b"gat -1 k\r\n") == b"VALUE k 3 2\r\nvv\r\nEND\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"
        assert c.req(b"gat abc k\r\n") == b"CLIENT_ERROR invalid exptime argument\r\n"
        assert c.req(b"gat\r\n") == b"ERROR\r\n"


# ------------------------------------------------------------------ storage

def test_add(mc):
    with mc.raw() as c:
        assert c.req(b"add k 1 0 1\r\na\r\n") == b"STORED\r\n"
        assert c.req(b"add k 2 0 1\r\nb\r\n") == b"NOT_STORED\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"a", 1)  + b"END\r\n"


def test_replace(mc):
    with mc.raw() as c:
        assert c.req(b"replace k 1 0 1\r\na\r\n") == b"NOT_STORED\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"
        c.req(b"set k 0 0 1\r\nx\r\n")
        assert c.req(b"replace k 9 0 3\r\nnew\r\n") == b"STORED\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"new", 9) + b"END\r\n"


def test_append_prepend(mc):
    with mc.raw() as c:
        assert c.req(b"append k 0 0 1\r\na\r\n") == b"NOT_STORED\r\n"
        assert c.req(b"prepend k 0 0 1\r\na\r\n") == b"NOT_STORED\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"
        c.req(b"set k 5 100 3\r\nmid\r\n")
        cas = gets_cas(c, b"k")
        # flags and exptime of append/prepend are ignored
        assert c.req(b"append k 7 0 4\r\n-end\r\n") == b"STORED\r\n"
        assert c.req(b"prepend k 9 0 6\r\nstart-\r\n") == b"STORED\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"start-mid-end", 5) + b"END\r\n"
        assert mg_ttl(c, b"k") in (99, 100)
        assert gets_cas(c, b"k") != cas
        # binary data with CR LF inside
        assert c.req(b"append k 0 0 4\r\n\r\n\x00\xff\r\n") == b"STORED\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"start-mid-end\r\n\x00\xff", 5) + b"END\r\n"


def test_cas_exact(mc):
    with mc.raw() as c:
        assert c.req(b"cas k 0 0 1 1\r\nx\r\n") == b"NOT_FOUND\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"
        c.req(b"set k 0 0 1\r\na\r\n")
        cas = gets_cas(c, b"k")
        assert c.req(b"cas k 0 0 1 %d\r\nb\r\n" % (cas + 1000)) == b"EXISTS\r\n"
        assert c.req(b"cas k 4 0 1 %d\r\nb\r\n" % cas) == b"STORED\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"b", 4) + b"END\r\n"
        # the old token is now stale
        assert c.req(b"cas k 0 0 1 %d\r\nc\r\n" % cas) == b"EXISTS\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"b", 4) + b"END\r\n"


def test_cas_race_two_clients(mc):
    a, b = mc.client(), mc.client()
    try:
        assert a.set("race", b"v0") is True
        va, ca = a.gets("race")
        vb, cb = b.gets("race")
        assert va == vb == b"v0" and ca == cb
        assert a.cas("race", b"from-a", ca) is True       # STORED
        assert b.cas("race", b"from-b", cb) is False      # EXISTS
        assert b.get("race") == b"from-a"
        assert b.cas("nosuch", b"x", cb) is None          # NOT_FOUND
    finally:
        a.close()
        b.close()
    # same race on raw sockets, replies checked byte for byte
    with mc.raw() as c1, mc.raw() as c2:
        c1.req(b"set r 0 0 1\r\n0\r\n")
        t1, t2 = gets_cas(c1, b"r"), gets_cas(c2, b"r")
        assert t1 == t2
        assert c1.req(b"cas r 0 0 1 %d\r\n1\r\n" % t1) == b"STORED\r\n"
        assert c2.req(b"cas r 0 0 1 %d\r\n2\r\n" % t2) == b"EXISTS\r\n"
        assert c2.req(b"get r\r\n") == value_block(b"r", b"1") + b"END\r\n"


def test_cas_race_many_threads_one_winner(mc):
    """N clients read the same cas token, then all try to cas: exactly one
    STORED, the rest EXISTS."""
    n = 8
    with mc.raw() as c:
        c.req(b"set hot 0 0 1\r\n0\r\n")
        token = gets_cas(c, b"hot")
    conns = [mc.raw() for _ in range(n)]
    results = [None] * n
    barrier = threading.Barrier(n, timeout=10)

    def worker(i):
        barrier.wait()
        results[i] = conns[i].req(b"cas hot 0 0 1 %d\r\n%d\r\n" % (token, i % 10))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    for cn in conns:
        cn.close()
    assert sorted(results) == [b"EXISTS\r\n"] * (n - 1) + [b"STORED\r\n"], results
    winner = results.index(b"STORED\r\n")
    with mc.raw() as c:
        assert c.req(b"get hot\r\n") == value_block(b"hot", b"%d" % (winner % 10)) + b"END\r\n"


def test_delete(mc):
    with mc.raw() as c:
        c.req(b"set k 0 0 1\r\nx\r\n")
        assert c.req(b"delete k\r\n") == b"DELETED\r\n"
        assert c.req(b"delete k\r\n") == b"NOT_FOUND\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"
        # the legacy "time" argument is only accepted as 0
        c.req(b"set k 0 0 1\r\nx\r\n")
        assert c.req(b"delete k 0\r\n") == b"DELETED\r\n"
        usage = b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"
        assert c.req(b"delete k 5\r\n") == usage
        assert c.req(b"delete a b c\r\n") == usage
        assert c.req(b"delete\r\n") == b"ERROR\r\n"


# ---------------------------------------------------------------- incr/decr

def test_incr_decr_basic(mc):
    with mc.raw() as c:
        c.req(b"set n 0 0 2\r\n10\r\n")
        assert c.req(b"incr n 5\r\n") == b"15\r\n"
        assert c.req(b"decr n 3\r\n") == b"12\r\n"
        assert c.req(b"incr n 0\r\n") == b"12\r\n"
        assert c.req(b"get n\r\n") == value_block(b"n", b"12") + b"END\r\n"
        # growing by a digit
        c.req(b"set n 0 0 2\r\n99\r\n")
        assert c.req(b"incr n 1\r\n") == b"100\r\n"
        assert c.req(b"get n\r\n") == value_block(b"n", b"100") + b"END\r\n"


def test_decr_shrinking_number(mc):
    # memcached may keep the old length and pad with spaces ("9  ");
    # the numeric value is what is specified.
    with mc.raw() as c:
        c.req(b"set n 0 0 3\r\n100\r\n")
        assert c.req(b"decr n 91\r\n") == b"9\r\n"
        out = c.req(b"get n\r\n")
        head, data, end = out.split(b"\r\n", 2)
        assert head.startswith(b"VALUE n 0 ") and end == b"END\r\n"
        assert data.rstrip(b" ") == b"9"
        assert c.req(b"incr n 1\r\n") == b"10\r\n"


def test_incr_wraps_at_2_64(mc):
    with mc.raw() as c:
        c.req(b"set n 0 0 20\r\n18446744073709551615\r\n")
        assert c.req(b"incr n 1\r\n") == b"0\r\n"
        c.req(b"set n 0 0 2\r\n10\r\n")
        assert c.req(b"incr n 18446744073709551615\r\n") == b"9\r\n"   # 10 + 2^64-1 mod 2^64
        c.req(b"set n 0 0 1\r\n0\r\n")
        assert c.req(b"incr n 18446744073709551615\r\n") == b"18446744073709551615\r\n"


def test_decr_floors_at_zero(mc):
    with mc.raw() as c:
        c.req(b"set n 0 0 1\r\n5\r\n")
        assert c.req(b"decr n 100\r\n") == b"0\r\n"
        assert c.req(b"decr n 1\r\n") == b"0\r\n"
        assert c.req(b"decr n 18446744073709551615\r\n") == b"0\r\n"


def test_incr_non_numeric_value(mc):
    err = b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
    with mc.raw() as c:
        for value in (b"abc", b"", b"-5", b"1.5", b"18446744073709551616", b"12abc"):
            c.req(b"set v 0 0 %d\r\n%s\r\n" % (len(value), value))
            assert c.req(b"incr v 1\r\n") == err, value
            assert c.req(b"decr v 1\r\n") == err, value
            assert c.req(b"get v\r\n") == value_block(b"v", value) + b"END\r\n"


def test_incr_invalid_delta(mc):
    err = b"CLIENT_ERROR invalid numeric delta argument\r\n"
    with mc.raw() as c:
        c.req(b"set n 0 0 1\r\n7\r\n")
        for delta in (b"abc", b"-1", b"1.5", b"18446744073709551616", b"1x"):
            assert c.req(b"incr n " + delta + b"\r\n") == err, delta
            assert c.req(b"decr n " + delta + b"\r\n") == err, delta
        assert c.req(b"incr n\r\n") == b"ERROR\r\n"
        assert c.req(b"get n\r\n") == value_block(b"n", b"7") + b"END\r\n"


def test_incr_missing_key(mc):
    with mc.raw() as c:
        assert c.req(b"incr nosuch 1\r\n") == b"NOT_FOUND\r\n"
        assert c.req(b"decr nosuch 1\r\n") == b"NOT_FOUND\r\n"
        assert c.req(b"get nosuch\r\n") == b"END\r\n"   # incr does not create


def test_incr_keeps_flags_and_ttl_changes_cas(mc):
    with mc.raw() as c:
        c.req(b"set n 77 100 1\r\n1\r\n")
        cas = gets_cas(c, b"n")
        assert c.req(b"incr n 1\r\n") == b"2\r\n"
        assert c.req(b"get n\r\n") == value_block(b"n", b"2", 77) + b"END\r\n"
        assert mg_ttl(c, b"n") in (99, 100)
        assert gets_cas(c, b"n") != cas


def test_incr_concurrent_is_atomic(mc):
    n_threads, per_thread = 8, 200
    with mc.raw() as c:
        c.req(b"set ctr 0 0 1\r\n0\r\n")
    errors = []

    def worker():
        try:
            with mc.raw() as cn:
                for _ in range(per_thread):
                    r = cn.req(b"incr ctr 1\r\n")
                    if not r.rstrip(b"\r\n").isdigit():
                        errors.append(r)
        except Exception as e:  # surfaced below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors, errors[:5]
    with mc.raw() as c:
        assert c.req(b"get ctr\r\n") == value_block(b"ctr", b"%d" % (n_threads * per_thread)) + b"END\r\n"


# -------------------------------------------------------------------- touch

def test_touch(mc):
    with mc.raw() as c:
        assert c.req(b"touch nosuch 10\r\n") == b"NOT_FOUND\r\n"
        c.req(b"set k 0 0 1\r\nx\r\n")
        cas = gets_cas(c, b"k")
        assert c.req(b"touch k 100\r\n") == b"TOUCHED\r\n"
        assert mg_ttl(c, b"k") in (99, 100)
        assert gets_cas(c, b"k") == cas           # touch does not change the cas
        assert c.req(b"touch k 0\r\n") == b"TOUCHED\r\n"
        assert mg_ttl(c, b"k") == -1
        assert c.req(b"touch k abc\r\n") == b"CLIENT_ERROR invalid exptime argument\r\n"
        assert c.req(b"touch k\r\n") == b"ERROR\r\n"
        assert c.req(b"touch k -1\r\n") == b"TOUCHED\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"


# ---------------------------------------------------------------- flush_all

def test_flush_all(mc):
    with mc.raw() as c:
        c.req(b"set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\n")
        assert c.req(b"flush_all\r\n") == b"OK\r\n"
        assert c.req(b"get a b\r\n") == b"END\r\n"
        # items stored after the flush are there
        c.req(b"set a 0 0 1\r\n1\r\n")
        assert c.req(b"get a\r\n") == value_block(b"a", b"1") + b"END\r\n"
        assert c.req(b"flush_all 0\r\n") == b"OK\r\n"
        assert c.req(b"get a\r\n") == b"END\r\n"
        c.req(b"set a 0 0 1\r\n1\r\n")
        assert c.req(b"flush_all noreply\r\n") == b""
        assert c.req(b"get a\r\n") == b"END\r\n"
        c.req(b"set a 0 0 1\r\n1\r\n")
        assert c.req(b"flush_all 0 noreply\r\n") == b""
        assert c.req(b"get a\r\n") == b"END\r\n"
        assert c.req(b"flush_all abc\r\n") == b"CLIENT_ERROR invalid exptime argument\r\n"
        assert c.req(b"flush_all noreply extra\r\n") == b"CLIENT_ERROR invalid exptime argument\r\n"


def test_flush_all_delayed(mc):
    with mc.raw() as c:
        c.req(b"set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\n")
        assert c.req(b"flush_all 3\r\n") == b"OK\r\n"
        # not yet
        assert c.req(b"get a b\r\n") == \
            value_block(b"a", b"1") + value_block(b"b", b"2") + b"END\r\n"
        time.sleep(4.2)
        assert c.req(b"get a b\r\n") == b"END\r\n"
        # a delayed flush with noreply
        c.req(b"set a 0 0 1\r\n1\r\n")
        assert c.req(b"flush_all 1 noreply\r\n") == b""


# -------------------------------------------------------------------- misc

def test_version(mc):
    with mc.raw() as c:
        out = c.req(b"version\r\n")
        assert out.startswith(b"VERSION ") and out.endswith(b"\r\n")
        assert out.count(b"\r\n") == 1 and len(out) > len(b"VERSION \r\n")
        assert mc.client().version() == out[len(b"VERSION "):-2]


def test_verbosity(mc):
    with mc.raw() as c:
        assert c.req(b"verbosity 1\r\n") == b"OK\r\n"
        assert c.req(b"verbosity 0\r\n") == b"OK\r\n"
        assert c.req(b"verbosity 1 noreply\r\n") == b""
        assert c.req(b"verbosity\r\n") == b"ERROR\r\n"
        assert c.req(b"verbosity abc\r\n") == b"CLIENT_ERROR bad command line format\r\n"
        assert c.req(b"verbosity 0\r\n") == b"OK\r\n"


def test_quit_closes_connection(mc):
    with mc.raw() as c:
        assert c.req(b"set k 0 0 1\r\nx\r\n") == b"STORED\r\n"
        c.send(b"quit\r\nget k\r\n")          # nothing after quit is executed
        assert c.wait_closed() == b""
    with mc.raw() as c:
        c.send(b"get k\r\nquit\r\nset k 0 0 1\r\ny\r\n")
        assert c.wait_closed() == value_block(b"k", b"x") + b"END\r\n"
    with mc.raw() as c:
        assert c.req(b"get k\r\n") == value_block(b"k", b"x") + b"END\r\n"
    mc.assert_healthy()


def test_unknown_commands(mc):
    with mc.raw() as c:
        assert c.req(b"bogus\r\n") == b"ERROR\r\n"
        assert c.req(b"bogus with args\r\n") == b"ERROR\r\n"
        assert c.req(b"GET k\r\n") == b"ERROR\r\n"       # command names are case-sensitive
        assert c.req(b"\r\n") == b"ERROR\r\n"            # empty line
        assert c.req(b"get\r\n") == b"ERROR\r\n"         # no key
        assert c.req(b"gets\r\n") == b"ERROR\r\n"
        assert c.req(b"set k 0 0\r\n") == b"ERROR\r\n"   # too few tokens
        assert c.req(b"get\tk\r\n") == b"ERROR\r\n"      # TAB is not a separator
        assert c.req(b"stats nosuchgroup\r\n") == b"ERROR\r\n"
        # bare LF line ends and leading spaces are accepted
        assert c.req(b"set k 0 0 1\nx\r\n  get k  \n") == \
            b"STORED\r\n" + value_block(b"k", b"x") + b"END\r\n"
    mc.assert_healthy()


# ------------------------------------------------------------------- stats

GENERAL_STATS = ["pid", "uptime", "time", "version", "curr_connections",
                 "total_connections", "cmd_get", "cmd_set", "get_hits",
                 "get_misses", "delete_hits", "curr_items", "total_items",
                 "evictions", "bytes", "limit_maxbytes", "threads"]


def test_stats_names_and_format(mc):
    with mc.raw() as c:
        c.send(b"stats\r\n")
        out = c.read_until(b"END\r\n")
    lines = out.split(b"\r\n")
    assert lines[-1] == b"" and lines[-2] == b"END"
    st = {}
    for line in lines[:-2]:
        parts = line.split(b" ")
        assert parts[0] == b"STAT" and len(parts) >= 3, line
        st[parts[1].decode()] = b" ".join(parts[2:]).decode()
    missing = [n for n in GENERAL_STATS if n not in st]
    assert not missing, missing
    for n in GENERAL_STATS:
        if n != "version":
            assert st[n].isdigit(), (n, st[n])
    assert int(st["pid"]) == mc.pid
    assert abs(int(st["time"]) - time.time()) < 5
    assert int(st["uptime"]) < 600
    assert int(st["curr_connections"]) >= 1
    assert int(st["total_connections"]) >= int(st["curr_connections"])
    assert int(st["threads"]) >= 1
    with mc.raw() as c:
        assert c.req(b"version\r\n") == b"VERSION " + st["version"].encode() + b"\r\n"


def test_stats_counters(mc):
    s0 = mc.stats()
    with mc.raw() as c:
        c.req(b"set a 0 0 1\r\n1\r\n")
        assert int(mc.stats()["curr_items"]) == int(s0["curr_items"]) + 1
        c.req(b"get a\r\n")          # hit
        c.req(b"get nosuch\r\n")     # miss
        c.req(b"delete a\r\n")       # hit
        c.req(b"delete a\r\n")       # miss
    s1 = mc.stats()

    def d(name):
        return int(s1[name]) - int(s0[name])
    assert d("cmd_set") == 1
    assert d("cmd_get") == 2
    assert d("get_hits") == 1
    assert d("get_misses") == 1
    assert d("delete_hits") == 1
    assert d("delete_misses") == 1
    assert d("total_items") == 1
    assert d("curr_items") == 0
    assert d("total_connections") >= 1


def test_stats_settings(mc):
    st = mc.stats(b"settings")
    assert st["item_size_max"] == "1048576"
    for name in ("maxbytes", "maxconns", "tcpport", "evictions", "cas_enabled"):
        assert name in st, name
    assert st["tcpport"] == str(mc.port)
    assert st["cas_enabled"] == "yes"


# ---------------------------------------------------------------- noreply

def test_noreply_every_command(mc):
    with mc.raw() as c:
        c.req(b"set b 0 0 1\r\nB\r\n")
        cas_b = gets_cas(c, b"b")
        pipeline = (
            b"set a 0 0 1 noreply\r\n1\r\n"
            b"add a 0 0 1 noreply\r\n2\r\n"            # fails silently
            b"add c 3 0 1 noreply\r\nC\r\n"
            b"replace a 0 0 1 noreply\r\n3\r\n"
            b"append a 0 0 1 noreply\r\n4\r\n"
            b"prepend a 0 0 1 noreply\r\n5\r\n"        # "534"
            b"incr a 10 noreply\r\n"                   # 544
            b"decr a 1 noreply\r\n"                    # 543
            b"touch a 100 noreply\r\n"
            b"cas b 0 0 2 %d noreply\r\nBB\r\n"
            b"cas b 0 0 3 %d noreply\r\nBBB\r\n"       # stale token: EXISTS, silently
            b"set d 0 0 1 noreply\r\nD\r\n"
            b"delete d noreply\r\n"
            b"verbosity 0 noreply\r\n"
            b"get a b c d\r\n") % (cas_b, cas_b)
        assert c.req(pipeline) == (value_block(b"a", b"543") + value_block(b"b", b"BB") +
                                   value_block(b"c", b"C", 3) + b"END\r\n")
        assert mg_ttl(c, b"a") in (99, 100)
        assert c.req(b"flush_all noreply\r\nget a b c\r\n") == b"END\r\n"


def test_noreply_suppresses_failures_and_client_errors(mc):
    """In memcached 1.6 a trailing noreply silences the reply line whatever it
    is: NOT_STORED, EXISTS, NOT_FOUND and even CLIENT_ERROR/SERVER_ERROR."""
    with mc.raw() as c:
        c.req(b"set t 0 0 3\r\ntxt\r\n")
        quiet = (
            b"add t 0 0 1 noreply\r\nx\r\n"                 # NOT_STORED
            b"replace nosuch 0 0 1 noreply\r\nx\r\n"        # NOT_STORED
            b"append nosuch 0 0 1 noreply\r\nx\r\n"         # NOT_STORED
            b"cas nosuch 0 0 1 1 noreply\r\nx\r\n"          # NOT_FOUND
            b"delete nosuch noreply\r\n"                    # NOT_FOUND
            b"incr nosuch 1 noreply\r\n"                    # NOT_FOUND
            b"touch nosuch 1 noreply\r\n"                   # NOT_FOUND
            b"incr t 1 noreply\r\n"                         # non-numeric value
            b"incr t abc noreply\r\n"                       # invalid delta
            b"touch t abc noreply\r\n"                      # invalid exptime
            b"flush_all abc noreply\r\n"                    # invalid exptime
            b"set neg 0 0 -1 noreply\r\n")                  # bad command line format
        assert c.req(quiet) == b""
        assert c.req(b"get t nosuch neg\r\n") == value_block(b"t", b"txt") + b"END\r\n"


# ----------------------------------------------------------------- exptime

def test_exptime_relative_expires(mc):
    with mc.raw() as c:
        assert c.req(b"set k 0 2 1\r\nx\r\n") == b"STORED\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"x") + b"END\r\n"
        assert mg_ttl(c, b"k") in (1, 2)
        time.sleep(3.2)
        assert c.req(b"get k\r\n") == b"END\r\n"
        assert c.req(b"touch k 10\r\n") == b"NOT_FOUND\r\n"


def test_exptime_thirty_days_boundary(mc):
    with mc.raw() as c:
        # exactly 30 days is still relative
        assert c.req(b"set k 0 %d 1\r\nx\r\n" % THIRTY_DAYS) == b"STORED\r\n"
        assert mg_ttl(c, b"k") in (THIRTY_DAYS - 1, THIRTY_DAYS)
        # one more second is an absolute unix time (in 1970): already expired
        assert c.req(b"set k 0 %d 1\r\nx\r\n" % (THIRTY_DAYS + 1)) == b"STORED\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"


def test_exptime_absolute(mc):
    with mc.raw() as c:
        now = int(time.time())
        assert c.req(b"set k 0 %d 1\r\nx\r\n" % (now + 100)) == b"STORED\r\n"
        assert 97 <= mg_ttl(c, b"k") <= 101
        assert c.req(b"touch k %d\r\n" % (now + 1000)) == b"TOUCHED\r\n"
        assert 997 <= mg_ttl(c, b"k") <= 1001
        assert c.req(b"set k 0 %d 1\r\nx\r\n" % (now - 100)) == b"STORED\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"


def test_exptime_negative_is_expired(mc):
    with mc.raw() as c:
        for cmd in (b"set", b"add"):
            assert c.req(cmd + b" k 0 -1 1\r\nx\r\n") == b"STORED\r\n"
            assert c.req(b"get k\r\n") == b"END\r\n"
        # replacing an existing item with a negative exptime removes it
        c.req(b"set k 0 0 1\r\nx\r\n")
        assert c.req(b"replace k 0 -1 1\r\ny\r\n") == b"STORED\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"
        c.req(b"set k 0 0 1\r\nx\r\n")
        assert c.req(b"set k 0 -1000 1\r\ny\r\n") == b"STORED\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"
        # an add on a live key still fails even with a negative exptime
        c.req(b"set k 0 0 1\r\nx\r\n")
        assert c.req(b"add k 0 -1 1\r\nz\r\n") == b"NOT_STORED\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"x") + b"END\r\n"
        # and an expired key can be added again
        c.req(b"touch k -1\r\n")
        assert c.req(b"add k 0 0 1\r\nz\r\n") == b"STORED\r\n"


def test_exptime_invalid(mc):
    with mc.raw() as c:
        # the data line is then read as a command: "x" -> ERROR
        assert c.req(b"set k 0 abc 1\r\nx\r\n") == \
            b"CLIENT_ERROR bad command line format\r\nERROR\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"


# ------------------------------------------------------------------- flags

def test_flags_32bit_roundtrip(mc):
    with mc.raw() as c:
        for flags in (0, 1, 65535, 65536, 2 ** 31, 4294967295):
            assert c.req(b"set f %d 0 1\r\nx\r\n" % flags) == b"STORED\r\n"
            assert c.req(b"get f\r\n") == value_block(b"f", b"x", flags) + b"END\r\n"
    cl = mc.client(deserializer=lambda key, value, flags: (value, flags))
    try:
        for flags in (0, 4294967295):
            assert cl.set("pf", b"v", flags=flags) is True
            assert cl.get("pf") == (b"v", flags)
    finally:
        cl.close()


def test_flags_invalid(mc):
    with mc.raw() as c:
        for bad in (b"-1", b"abc"):
            assert c.req(b"set f " + bad + b" 0 1\r\nx\r\n") == \
                b"CLIENT_ERROR bad command line format\r\nERROR\r\n"
        assert c.req(b"get f\r\n") == b"END\r\n"


# -------------------------------------------------------------------- keys

def test_key_250_bytes_ok(mc):
    key = b"k" * 249 + b"Z"
    with mc.raw() as c:
        assert c.req(b"set " + key + b" 0 0 1\r\n1\r\n") == b"STORED\r\n"
        assert c.req(b"get " + key + b"\r\n") == value_block(key, b"1") + b"END\r\n"
        assert c.req(b"incr " + key + b" 1\r\n") == b"2\r\n"
        assert c.req(b"touch " + key + b" 100\r\n") == b"TOUCHED\r\n"
        assert c.req(b"mg " + key + b" v k\r\n") == b"VA 1 k" + key + b"\r\n2\r\n"
        assert c.req(b"delete " + key + b"\r\n") == b"DELETED\r\n"
    cl = mc.client()
    try:
        assert cl.set(key.decode(), b"v") is True
        assert cl.get(key.decode()) == b"v"
    finally:
        cl.close()


def test_key_251_bytes_rejected(mc):
    key = b"k" * 251
    err = b"CLIENT_ERROR bad command line format\r\n"
    with mc.raw() as c:
        # for a storage command the data line is then read as a command
        assert c.req(b"set " + key + b" 0 0 1\r\nx\r\n") == err + b"ERROR\r\n"
        assert c.req(b"get " + key + b"\r\n") == err
        assert c.req(b"gets " + key + b"\r\n") == err
        assert c.req(b"get a " + key + b"\r\n") == err
        assert c.req(b"delete " + key + b"\r\n") == err
        assert c.req(b"incr " + key + b" 1\r\n") == err
        assert c.req(b"touch " + key + b" 1\r\n") == err
        assert c.req(b"mg " + key + b" v\r\n") == err
        assert c.req(b"get " + key[:250] + b"\r\n") == b"END\r\n"
    mc.assert_healthy()


# ------------------------------------------------------------ binary values

ALL_BYTES = bytes(range(256))


def test_binary_values_raw(mc):
    values = [ALL_BYTES, b"\r\n", b"a\r\nb\r\n", b"\r\nEND\r\n", b"\x00" * 10,
              b"VALUE x 0 1\r\n", ALL_BYTES * 40]
    with mc.raw() as c:
        for i, v in enumerate(values):
            key = b"bin%d" % i
            assert c.req(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(v), v)) == b"STORED\r\n"
            c.send(b"get " + key + b"\r\n")
            assert c.read_exact(len(value_block(key, v)) + 5) == value_block(key, v) + b"END\r\n"


def test_binary_values_pymemcache(mc):
    cl = mc.client()
    try:
        for i, v in enumerate([ALL_BYTES, b"\r\n\r\n", ALL_BYTES[::-1] * 100]):
            assert cl.set("pbin%d" % i, v) is True
            assert cl.get("pbin%d" % i) == v
        assert cl.get_many(["pbin0", "pbin1", "none"]) == {"pbin0": ALL_BYTES, "pbin1": b"\r\n\r\n"}
    finally:
        cl.close()


# -------------------------------------------------------------- item size

def test_item_size_limit_default(mc):
    limit = 1024 * 1024
    ok = limit - 1024
    with mc.raw() as c:
        assert c.req(b"set big 0 0 %d\r\n" % ok + b"v" * ok + b"\r\n") == b"STORED\r\n"
        c.send(b"get big\r\n")
        assert c.read_exact(len(b"VALUE big 0 %d\r\n" % ok) + ok + 7) == \
            value_block(b"big", b"v" * ok) + b"END\r\n"
        # too large: the data block is swallowed and the connection goes on
        for n in (limit + 1, 2 * limit):
            assert c.req(b"set huge 0 0 %d\r\n" % n + b"w" * n + b"\r\n") == \
                b"SERVER_ERROR object too large for cache\r\n"
        assert c.req(b"get huge\r\nset after 0 0 2\r\nok\r\n") == b"END\r\nSTORED\r\n"
    cl = mc.client()
    try:
        with pytest.raises(MemcacheServerError, match="object too large for cache"):
            cl.set("huge", b"x" * (2 * limit))
        assert cl.set("fine", b"x" * ok) is True
        assert cl.get("fine") == b"x" * ok
    finally:
        cl.close()
    mc.assert_healthy()


def test_item_too_large_set_removes_old_value(mc):
    """memcached drops the old item when a set is refused as too large
    ("avoid stale data persisting in cache")."""
    with mc.raw() as c:
        c.req(b"set k 0 0 3\r\nold\r\n")
        n = 2 * 1024 * 1024
        assert c.req(b"set k 0 0 %d\r\n" % n + b"w" * n + b"\r\n") == \
            b"SERVER_ERROR object too large for cache\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"


def test_append_beyond_item_size_not_stored(mc):
    ok = 1024 * 1024 - 1024
    with mc.raw() as c:
        c.req(b"set k 0 0 %d\r\n" % ok + b"v" * ok + b"\r\n")
        assert c.req(b"append k 0 0 2048\r\n" + b"a" * 2048 + b"\r\n") == b"NOT_STORED\r\n"
        assert c.req(b"mg k s\r\n") == b"HD s%d\r\n" % ok


@pytest.mark.parametrize("limit", [2 * 1024 * 1024])
def test_item_size_limit_configured(mc_factory, limit):
    m = mc_factory(item_size_max=limit)
    assert m.stats(b"settings")["item_size_max"] == str(limit)
    ok = limit - 1024
    with m.raw() as c:
        assert c.req(b"set big 0 0 %d\r\n" % ok + b"v" * ok + b"\r\n") == b"STORED\r\n"
        assert c.req(b"mg big s\r\n") == b"HD s%d\r\n" % ok
        assert c.req(b"set big2 0 0 %d\r\n" % (limit + 1) + b"v" * (limit + 1) + b"\r\n") == \
            b"SERVER_ERROR object too large for cache\r\n"
    m.assert_healthy()


# ------------------------------------------------------------- bad input

def test_negative_or_non_numeric_length(mc):
    with mc.raw() as c:
        for bad in (b"-1", b"abc", b"1x"):
            assert c.req(b"set k 0 0 " + bad + b"\r\n") == \
                b"CLIENT_ERROR bad command line format\r\n", bad
        assert c.req(b"get k\r\n") == b"END\r\n"
    mc.assert_healthy()


def test_data_block_longer_than_announced(mc):
    with mc.raw() as c:
        c.req(b"set k 0 0 1\r\nx\r\n")
        # 3 bytes announced, 6 sent: memcached reads 3+2 bytes, finds no CRLF,
        # answers bad data chunk, then parses the rest ("f") as a command.
        assert c.req(b"set k 0 0 3\r\nabcdef\r\n") == \
            b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"x") + b"END\r\n"   # old value kept
    mc.assert_healthy()


def test_data_block_shorter_than_announced(mc):
    with mc.raw() as c:
        # 3 announced, 2 sent: the next command's first bytes are eaten as data
        c.send(b"set k 0 0 3\r\nab\r\nget k\r\n")
        assert c.read_exact(len(b"CLIENT_ERROR bad data chunk\r\nERROR\r\n")) == \
            b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"
        assert c.req(b"get k\r\n") == b"END\r\n"
    mc.assert_healthy()


def test_100kb_line_without_newline_closes_connection(mc):
    with mc.raw() as c:
        try:
            c.send(b"x" * 100000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert c.wait_closed() == b""
    mc.assert_healthy()


def test_long_line_then_newline_is_an_error(mc):
    with mc.raw() as c:
        assert c.req(b"y" * 4000 + b"\r\n") == b"ERROR\r\n"
    mc.assert_healthy()


def test_garbage_bytes(mc):
    with mc.raw() as c:
        # two lines: bytes 0..10 (ends at \n) and 11..255 + CRLF
        assert c.req(ALL_BYTES + b"\r\n") == b"ERROR\r\nERROR\r\n"
        assert c.req(b"\x01\x02\x03\xfe\xff junk\r\n") == b"ERROR\r\n"
        assert c.req(b"set k 0 0 1\r\nx\r\nget k\r\n") == \
            b"STORED\r\n" + value_block(b"k", b"x") + b"END\r\n"
    mc.assert_healthy()


def test_bad_cas_token(mc):
    with mc.raw() as c:
        c.req(b"set k 0 0 1\r\nx\r\n")
        for bad in (b"abc", b"-1"):
            assert c.req(b"cas k 0 0 1 " + bad + b"\r\ny\r\n") == \
                b"CLIENT_ERROR bad command line format\r\nERROR\r\n"
        # a cas line without the token is an unknown command; so is the data
        assert c.req(b"cas k 0 0 1\r\ny\r\n") == b"ERROR\r\nERROR\r\n"
        assert c.req(b"get k\r\n") == value_block(b"k", b"x") + b"END\r\n"


# --------------------------------------------------------- wire behaviour

def test_command_split_across_packets(mc):
    with mc.raw() as c:
        data = b"set slow 7 0 10\r\n0123456789\r\nget slow\r\n"
        for i in range(len(data)):
            c.send(data[i:i + 1])
            time.sleep(0.002)
        assert c.read_exact(len(b"STORED\r\n")) == b"STORED\r\n"
        want = value_block(b"slow", b"0123456789", 7) + b"END\r\n"
        assert c.read_exact(len(want)) == want


def test_deep_pipeline(mc):
    n = 2000
    with mc.raw() as c:
        req = b"".join(b"set p%d 0 0 %d\r\n%d\r\n" % (i, len(b"%d" % i), i) for i in range(n))
        req += b"".join(b"get p%d\r\n" % i for i in range(n))
        want = b"STORED\r\n" * n + b"".join(value_block(b"p%d" % i, b"%d" % i) + b"END\r\n"
                                             for i in range(n))
        assert c.req(req) == want


def test_pymemcache_roundtrip(mc):
    cl = mc.client()
    try:
        assert cl.set("a", b"1") is True
        assert cl.get("a") == b"1"
        assert cl.add("a", b"2") is False
        assert cl.add("b", b"2") is True
        assert cl.replace("nosuch", b"x") is False
        assert cl.replace("a", b"10") is True
        assert cl.append("a", b"0") is True
        assert cl.prepend("a", b"1") is True
        assert cl.get("a") == b"1100"
        assert cl.incr("a", 11) == 1111
        assert cl.decr("a", 2000) == 0
        assert cl.incr("nosuch", 1) is None
        assert cl.set("t", b"text") is True
        with pytest.raises(MemcacheClientError, match="non-numeric"):
            cl.incr("t", 1)
        assert cl.touch("a", 100) is True
        assert cl.touch("nosuch", 100) is False
        assert cl.set("a", b"0") is True     # (memcached space-pads a shrunk decr)
        assert cl.get_many(["a", "b", "zz"]) == {"a": b"0", "b": b"2"}
        assert cl.delete("b") is True
        assert cl.delete("b") is False
        st = cl.stats()
        assert b"curr_items" in st or "curr_items" in st
        assert cl.flush_all() is True
        assert cl.get("a") is None
    finally:
        cl.close()


def test_many_connections(mc):
    conns = [mc.raw() for _ in range(50)]
    try:
        for i, c in enumerate(conns):
            c.send(b"set c%d 0 0 1\r\n%d\r\n" % (i, i % 10))
        for c in conns:
            assert c.read_exact(8) == b"STORED\r\n"
        for i, c in enumerate(conns):
            j = (i + 1) % len(conns)
            assert c.req(b"get c%d\r\n" % j) == value_block(b"c%d" % j, b"%d" % (j % 10)) + b"END\r\n"
    finally:
        for c in conns:
            c.close()
    mc.assert_healthy()


def test_client_disconnect_mid_value(mc):
    with mc.raw() as c:
        c.send(b"set half 0 0 100\r\n" + b"x" * 50)
    with mc.raw() as c:
        assert c.req(b"get half\r\n") == b"END\r\n"
    with mc.raw() as c:
        c.send(b"get " + b"k " * 500)   # unterminated multi-get line
    mc.assert_healthy()


def test_read_after_quit_reports_close(mc):
    # guard for the harness itself: a closed connection is reported, not hung on
    with mc.raw() as c:
        c.send(b"quit\r\n")
        with pytest.raises(Closed):
            c.read_line()


def test_gat_past_exptime_returns_value_then_item_is_gone(mc):
    # Regression: Cachet freed the item on the touch and then replied from
    # it (caught by ASan/TSan).  memcached answers with the value first.
    with mc.raw() as c:
        c.req(b"set g 0 0 2\r\nhi\r\n")
        assert c.req(b"gat -1 g\r\n") == b"VALUE g 0 2\r\nhi\r\nEND\r\n"
        assert c.req(b"get g\r\n") == b"END\r\n"
        c.req(b"set h 0 0 2\r\nho\r\n")
        assert c.req(b"mg h v T-1\r\n") == b"VA 2\r\nho\r\n"
        assert c.req(b"mg h v\r\n") == b"EN\r\n"
