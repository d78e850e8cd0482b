"""Cachet only: the memcached port and the RESP port share database 0.

A key stored over memcached is a string to RESP GET; a RESP SET key is read
by memcached get with flags 0.  TTLs, deletes, counters and CAS tokens are
seen from both sides.  These tests skip themselves with MC_REFERENCE=1
(memcached has no RESP side) and under CACHET_BIN=redis-server.
"""
import base64
import time

from mc_support import mc, mc_factory, requires_mc, skip_unless_cachet, value_block  # noqa: F401

pytestmark = [requires_mc, skip_unless_cachet]

ALL_BYTES = bytes(range(256))


def mg_ttl(c, key):
    line = c.req(b"mg " + key + b" t\r\n")
    if line == b"EN\r\n":
        return None
    assert line.startswith(b"HD t"), line
    return int(line[4:-2])


def gets_cas(c, key):
    out = c.req(b"gets " + key + b"\r\n")
    head = out.split(b"\r\n", 1)[0].split(b" ")
    assert head[0] == b"VALUE" and head[1] == key, out
    return int(head[4])


def test_mc_set_resp_get(mc):
    r = mc.resp()
    with mc.raw() as c:
        assert c.req(b"set k 5 0 5\r\nhello\r\n") == b"STORED\r\n"
        assert r.get("k") == b"hello"
        assert r.type("k") == b"string"
        assert r.strlen("k") == 5
        v = ALL_BYTES + b"\r\nEND\r\n" + ALL_BYTES
        assert c.req(b"set bin 0 0 %d\r\n" % len(v) + v + b"\r\n") == b"STORED\r\n"
        assert r.get("bin") == v
        assert c.req(b"ms meta %d\r\n" % len(v) + v + b"\r\n") == b"HD\r\n"
        assert r.get("meta") == v
        assert c.req(b"set empty 0 0 0\r\n\r\n") == b"STORED\r\n"
        assert r.get("empty") == b""
        assert r.exists("k", "bin", "meta", "empty") == 4


def test_resp_set_mc_get_flags_zero(mc):
    r = mc.resp()
    v = ALL_BYTES * 3
    assert r.set("rk", v) is True
    assert r.set("num", 12345) is True
    with mc.raw() as c:
        c.send(b"get rk num\r\n")
        want = value_block(b"rk", v) + value_block(b"num", b"12345") + b"END\r\n"
        assert c.read_exact(len(want)) == want
        assert c.req(b"mg rk f s\r\n") == b"HD f0 s%d\r\n" % len(v)
        # a RESP SET over a memcached item with flags resets the flags to 0
        c.req(b"set fl 77 0 1\r\nx\r\n")
        assert r.set("fl", b"y") is True
        assert c.req(b"get fl\r\n") == value_block(b"fl", b"y", 0) + b"END\r\n"


def test_resp_del_is_mc_miss(mc):
    r = mc.resp()
    r.set("d", b"1")
    with mc.raw() as c:
        assert c.req(b"get d\r\n") == value_block(b"d", b"1") + b"END\r\n"
        assert r.delete("d") == 1
        assert c.req(b"get d\r\n") == b"END\r\n"
        assert c.req(b"mg d v\r\n") == b"EN\r\n"
        assert c.req(b"delete d\r\n") == b"NOT_FOUND\r\n"


def test_mc_delete_resp_exists_zero(mc):
    r = mc.resp()
    with mc.raw() as c:
        c.req(b"set d 0 0 1\r\n1\r\nms m 1\r\n2\r\n")
        assert r.exists("d", "m") == 2
        assert c.req(b"delete d\r\n") == b"DELETED\r\n"
        assert c.req(b"md m\r\n") == b"HD\r\n"
        assert r.exists("d") == 0 and r.exists("m") == 0
        assert r.get("d") is None


def test_mc_exptime_resp_ttl(mc):
    r = mc.resp()
    with mc.raw() as c:
        c.req(b"set t 0 100 1\r\nx\r\n")
        assert 98 <= r.ttl("t") <= 100
        now = int(time.time())
        c.req(b"set abs 0 %d 1\r\nx\r\n" % (now + 500))
        assert 497 <= r.ttl("abs") <= 501
        c.req(b"ms mt 1 T200\r\nx\r\n")
        assert 198 <= r.ttl("mt") <= 200
        c.req(b"set none 0 0 1\r\nx\r\n")
        assert r.ttl("none") == -1
        c.req(b"touch none 300\r\n")
        assert 298 <= r.ttl("none") <= 300
        c.req(b"gat 400 none\r\n")
        assert 398 <= r.ttl("none") <= 400
        c.req(b"touch none 0\r\n")
        assert r.ttl("none") == -1
        # negative exptime: already expired for RESP too
        c.req(b"set neg 0 -1 1\r\nx\r\n")
        assert r.exists("neg") == 0 and r.ttl("neg") == -2


def test_resp_expire_seen_by_mc(mc):
    r = mc.resp()
    r.set("e", b"v")
    with mc.raw() as c:
        assert mg_ttl(c, b"e") == -1
        assert r.expire("e", 50) is True
        assert mg_ttl(c, b"e") in (49, 50)
        # memcached touch/gat then replace the RESP TTL
        assert c.req(b"touch e 500\r\n") == b"TOUCHED\r\n"
        assert 498 <= r.ttl("e") <= 500
        assert c.req(b"gat 0 e\r\n") == value_block(b"e", b"v") + b"END\r\n"
        assert r.ttl("e") == -1
        assert r.pexpire("e", 1500) is True
        assert mg_ttl(c, b"e") in (0, 1, 2)
        r.persist("e")
        assert mg_ttl(c, b"e") == -1
        # RESP SET without options clears a TTL set over memcached
        c.req(b"touch e 100\r\n")
        r.set("e", b"w")
        assert mg_ttl(c, b"e") == -1


def test_resp_expire_then_mc_miss(mc):
    r = mc.resp()
    r.set("x", b"1", px=300)
    with mc.raw() as c:
        assert c.req(b"get x\r\n") == value_block(b"x", b"1") + b"END\r\n"
        time.sleep(0.6)
        assert c.req(b"get x\r\n") == b"END\r\n"
        assert c.req(b"touch x 10\r\n") == b"NOT_FOUND\r\n"


def test_mc_incr_on_resp_integer(mc):
    r = mc.resp()
    r.set("n", 41)
    with mc.raw() as c:
        assert c.req(b"incr n 1\r\n") == b"42\r\n"
        assert r.get("n") == b"42"
        assert c.req(b"decr n 50\r\n") == b"0\r\n"
        # no memcached-style space padding: RESP sees exactly the number
        assert r.get("n") == b"0"
        assert r.incr("n") == 1
        r.set("n", b"99")
        assert c.req(b"incr n 1\r\n") == b"100\r\n"
        assert r.get("n") == b"100"
        assert c.req(b"ma n v D5\r\n") == b"VA 3\r\n105\r\n"
        assert r.get("n") == b"105"
        r.set("big", b"18446744073709551615")
        assert c.req(b"incr big 1\r\n") == b"0\r\n"
        r.set("txt", b"abc")
        assert c.req(b"incr txt 1\r\n") == \
            b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
        # ma N (autovivify) creates a string visible to RESP
        assert c.req(b"ma fresh N0 J7 v\r\n") == b"VA 1\r\n7\r\n"
        assert r.get("fresh") == b"7"


def test_resp_incr_on_mc_number(mc):
    r = mc.resp()
    with mc.raw() as c:
        c.req(b"set n 3 0 2\r\n10\r\n")
        assert r.incr("n") == 11
        assert r.incrby("n", 89) == 100
        assert c.req(b"get n\r\n").split(b"\r\n")[1] == b"100"
        assert r.decr("n") == 99
        assert c.req(b"incr n 1\r\n") == b"100\r\n"


def test_append_both_ways(mc):
    r = mc.resp()
    r.set("a", b"resp")
    with mc.raw() as c:
        assert c.req(b"append a 0 0 3\r\n-mc\r\n") == b"STORED\r\n"
        assert r.get("a") == b"resp-mc"
        assert r.append("a", b"-again") == len(b"resp-mc-again")
        assert c.req(b"prepend a 0 0 1\r\n>\r\n") == b"STORED\r\n"
        assert c.req(b"get a\r\n") == value_block(b"a", b">resp-mc-again") + b"END\r\n"


def test_cas_changes_after_resp_set(mc):
    r = mc.resp()
    with mc.raw() as c:
        c.req(b"set c 0 0 1\r\nx\r\n")
        cas1 = gets_cas(c, b"c")
        r.set("c", b"y")
        cas2 = gets_cas(c, b"c")
        assert cas2 != cas1
        assert c.req(b"cas c 0 0 1 %d\r\nz\r\n" % cas1) == b"EXISTS\r\n"
        assert r.get("c") == b"y"
        # other RESP writes invalidate the token too
        r.append("c", b"!")
        assert gets_cas(c, b"c") != cas2
        cas3 = gets_cas(c, b"c")
        r.incr("cnt")
        assert c.req(b"cas c 0 0 1 %d\r\nz\r\n" % cas3) == b"STORED\r\n"
        assert r.get("c") == b"z"
        # RESP DEL then cas: NOT_FOUND
        cas4 = gets_cas(c, b"c")
        r.delete("c")
        assert c.req(b"cas c 0 0 1 %d\r\nq\r\n" % cas4) == b"NOT_FOUND\r\n"


def test_flush_both_ways(mc):
    r = mc.resp()
    r.set("r1", b"1")
    with mc.raw() as c:
        c.req(b"set m1 0 0 1\r\n1\r\n")
        assert c.req(b"flush_all\r\n") == b"OK\r\n"
        assert r.get("r1") is None and r.dbsize() == 0
        c.req(b"set m2 0 0 1\r\n1\r\n")
        r.flushall()
        assert c.req(b"get m2\r\n") == b"END\r\n"


def test_only_database_zero(mc):
    r = mc.resp()
    r1 = mc.resp_server.client(db=1, socket_timeout=5)
    try:
        r1.set("other", b"db1")
        with mc.raw() as c:
            assert c.req(b"get other\r\n") == b"END\r\n"
            c.req(b"set zero 0 0 1\r\n0\r\n")
        assert r1.get("zero") is None
        assert r.get("zero") == b"0"
    finally:
        r1.connection_pool.disconnect()


def test_binary_key_via_base64(mc):
    r = mc.resp()
    key = b"\x00bin\xffkey\r\n"
    with mc.raw() as c:
        b64 = base64.b64encode(key)
        assert c.req(b"ms " + b64 + b" 3 b\r\nabc\r\n") == b"HD\r\n"
        assert r.get(key) == b"abc"
        r.set(key, b"fromresp")
        assert c.req(b"mg " + b64 + b" b v\r\n") == b"VA 8\r\nfromresp\r\n"


def test_meta_invalidate_keeps_resp_value(mc):
    r = mc.resp()
    r.set("s", b"stale-ok")
    with mc.raw() as c:
        assert c.req(b"md s I T30\r\n") == b"HD\r\n"
        assert r.get("s") == b"stale-ok"
        assert 28 <= r.ttl("s") <= 30


def test_many_keys_both_ways(mc):
    r = mc.resp()
    with mc.raw() as c:
        req = b"".join(b"set m%d 0 0 %d\r\n%d\r\n" % (i, len(b"%d" % i), i) for i in range(300))
        assert c.req(req) == b"STORED\r\n" * 300
    assert r.mget(["m%d" % i for i in range(300)]) == [b"%d" % i for i in range(300)]
    r.mset({"r%d" % i: b"%d" % i for i in range(300)})
    with mc.raw() as c:
        keys = b" ".join(b"r%d" % i for i in range(300))
        want = b"".join(value_block(b"r%d" % i, b"%d" % i) for i in range(300)) + b"END\r\n"
        assert c.req(b"get " + keys + b"\r\n") == want
    assert r.dbsize() == 600
