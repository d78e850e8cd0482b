"""Blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP, and BZPOPMIN
BZPOPMAX BZMPOP) served across worker threads: a client blocked on one
worker is woken by a push executed on another, first blocked first, with
timeouts in seconds (fractions allowed, 0 = forever), cleaned up when it
disconnects, and never blocking inside MULTI.  Runs against redis-server
too (CACHET_BIN=/usr/bin/redis-server): every expectation is Redis's.
"""
import socket
import threading
import time

import pytest
import redis

from conftest import IS_REDIS
from resp import RawConn, encode


def conn(server, **kw):
    return redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30, **kw)


def wait_blocked(r, n, timeout=10.0):
    """Poll INFO until n clients are blocked (the order the test set up)."""
    end = time.time() + timeout
    while time.time() < end:
        if int(r.info("clients")["blocked_clients"]) == n:
            return
        time.sleep(0.005)
    raise AssertionError("blocked_clients never reached %d" % n)


class Bg(threading.Thread):
    """Run one blocking call on its own connection; .result after join()."""

    def __init__(self, server, fn, *args):
        super().__init__(daemon=True)
        self.c = conn(server)
        self.fn, self.args = fn, args
        self.result = self.error = None

    def run(self):
        try:
            self.result = getattr(self.c, self.fn)(*self.args)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.c.connection_pool.disconnect()


def bg(server, fn, *args):
    t = Bg(server, fn, *args)
    t.start()
    return t


def test_blpop_returns_at_once_when_data_is_there(r):
    r.rpush("l", "a", "b")
    assert r.blpop(["nokey", "l"], timeout=1) == (b"l", b"a")
    assert r.brpop(["l"], timeout=1) == (b"l", b"b")
    assert r.exists("l") == 0


def test_push_from_another_connection_wakes_the_blocked_client(server, r):
    t = bg(server, "blpop", ["q"], 0)
    wait_blocked(r, 1)
    assert r.lpush("q", "x") == 1  # the pusher sees the length before the pop
    t.join(10)
    assert not t.is_alive() and t.error is None
    assert t.result == (b"q", b"x")
    assert r.llen("q") == 0
    assert int(r.info("clients")["blocked_clients"]) == 0


def test_timeout_answers_nil_and_fractions_are_allowed(r):
    t0 = time.time()
    assert r.blpop(["nothing"], timeout=0.2) is None
    assert time.time() - t0 >= 0.15
    assert r.brpoplpush("nothing", "dst", timeout=0.1) is None
    assert r.exists("dst") == 0


def test_timeout_replies_on_the_wire(server, r):
    c = RawConn(server.port)
    c.sock.sendall(encode("BLPOP", "nothing", "0.05"))
    assert c.read_raw() == b"*-1\r\n"
    # Redis 7.0 times every blocked list command out with a null array,
    # BLMOVE included (inside MULTI, BLMOVE answers a null bulk instead)
    c.sock.sendall(encode("BLMOVE", "nothing", "d", "LEFT", "RIGHT", "0.05"))
    assert c.read_raw() == b"*-1\r\n"
    c.close()
    c = RawConn(server.port)
    assert c.cmd("HELLO", "3")
    c.sock.sendall(encode("BRPOP", "nothing", "0.05"))
    assert c.read_raw() == b"_\r\n"
    c.close()


@pytest.mark.parametrize("args,err", [
    (("BLPOP", "k", "abc"), "ERR timeout is not a float or out of range"),
    (("BLPOP", "k", "-1"), "ERR timeout is negative"),
    (("BRPOP", "k", "-0.5"), "ERR timeout is negative"),
    (("BLMOVE", "a", "b", "LEFT", "RIGHT", "x"), "ERR timeout is not a float or out of range"),
    (("BRPOPLPUSH", "a", "b", "-1"), "ERR timeout is negative"),
    (("BLMOVE", "a", "b", "UP", "RIGHT", "0"), "ERR syntax error"),
])
def test_bad_timeouts_and_arguments(c, args, err):
    reply = c.cmd(*args)
    assert getattr(reply, "msg", None) == err, reply


def test_wrongtype_while_checking(r):
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.blpop(["s"], timeout=0.1)


def test_first_blocked_is_first_served(server, r):
    ts = []
    for i in range(3):
        ts.append(bg(server, "blpop", ["fifo"], 0))
        wait_blocked(r, i + 1)
    r.rpush("fifo", "one", "two", "three")
    for t in ts:
        t.join(10)
    assert [t.result for t in ts] == [(b"fifo", b"one"), (b"fifo", b"two"),
                                      (b"fifo", b"three")]


def test_one_push_serves_as_many_as_it_can(server, r):
    ts = [bg(server, "brpop", ["few"], 0) for _ in range(3)]
    wait_blocked(r, 3)
    r.rpush("few", "a", "b")
    time.sleep(0.2)
    done = [t for t in ts if not t.is_alive()]
    assert len(done) == 2
    assert sorted(t.result[1] for t in done) == [b"a", b"b"]
    r.rpush("few", "c")
    for t in ts:
        t.join(10)
    assert sorted(t.result[1] for t in ts) == [b"a", b"b", b"c"]


def test_several_keys_first_nonempty_wins(server, r):
    t = bg(server, "blpop", ["k1", "k2", "k3"], 0)
    wait_blocked(r, 1)
    r.rpush("k2", "v")
    t.join(10)
    assert t.result == (b"k2", b"v")


def test_blmove_and_brpoplpush_move_on_wake(server, r):
    t = bg(server, "blmove", "src", "dst", 0, "RIGHT", "LEFT")
    wait_blocked(r, 1)
    r.rpush("src", "a", "b")
    t.join(10)
    assert t.result == b"b"
    assert r.lrange("src", 0, -1) == [b"a"]
    assert r.lrange("dst", 0, -1) == [b"b"]
    t = bg(server, "brpoplpush", "empty", "dst", 0)
    wait_blocked(r, 1)
    r.rpush("empty", "z")
    t.join(10)
    assert t.result == b"z"
    assert r.lrange("dst", 0, -1) == [b"z", b"b"]


def test_a_move_can_wake_a_client_blocked_on_its_destination(server, r):
    t2 = bg(server, "blpop", ["chain2"], 0)
    wait_blocked(r, 1)
    t1 = bg(server, "blmove", "chain1", "chain2", 0, "LEFT", "LEFT")
    wait_blocked(r, 2)
    r.rpush("chain1", "hop")
    t1.join(10)
    t2.join(10)
    assert t1.result == b"hop"
    assert t2.result == (b"chain2", b"hop")
    assert r.exists("chain1", "chain2") == 0


def test_blmpop(server, r):
    r.rpush("m2", "a", "b", "c")
    assert r.execute_command("BLMPOP", 0, 2, "m1", "m2", "RIGHT", "COUNT", 2) == \
        [b"m2", [b"c", b"b"]]
    t = bg(server, "execute_command", "BLMPOP", 0, 2, "m1", "m3", "LEFT", "COUNT", 5)
    wait_blocked(r, 1)
    r.rpush("m3", "x", "y")
    t.join(10)
    assert t.result == [b"m3", [b"x", b"y"]]
    assert r.execute_command("BLMPOP", 0.05, 1, "m9", "LEFT") is None


def test_blocking_commands_do_not_block_in_multi(r):
    p = r.pipeline(transaction=True)
    p.blpop(["nothing"], timeout=0)
    p.brpoplpush("nothing", "d", timeout=0)
    assert p.execute() == [None, None]


def test_commands_pipelined_after_a_blocking_one_wait_for_it(server, r):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(encode("BLPOP", "pipe", "0") + encode("PING"))
    wait_blocked(r, 1)
    s.settimeout(0.3)
    with pytest.raises(socket.timeout):
        s.recv(100)  # not even PING's reply yet
    r.rpush("pipe", "v")
    s.settimeout(10)
    data = b""
    want = b"*2\r\n$4\r\npipe\r\n$1\r\nv\r\n+PONG\r\n"
    while len(data) < len(want):
        data += s.recv(100)
    assert data == want
    s.close()


def test_a_vanished_blocked_client_takes_nothing(server, r):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(encode("BLPOP", "gone", "0"))
    wait_blocked(r, 1)
    s.close()
    wait_blocked(r, 0)
    r.rpush("gone", "kept")
    assert r.lrange("gone", 0, -1) == [b"kept"]


def test_client_list_shows_the_blocked_flag(server, r):
    t = bg(server, "blpop", ["flagged"], 0)
    wait_blocked(r, 1)
    flags = [c["flags"] for c in r.client_list() if c["cmd"] == "blpop"]
    assert flags == ["b"]
    r.rpush("flagged", "v")
    t.join(10)


def test_blocked_client_is_not_an_idle_timeout(server_factory):
    srv = server_factory("--timeout", "1")
    r = srv.client()
    t = bg(srv, "blpop", ["slow"], 0)
    wait_blocked(r, 1)
    time.sleep(2.5)  # past `timeout`: an idle client would be closed
    r.rpush("slow", "v")
    t.join(10)
    assert t.error is None and t.result == (b"slow", b"v")


def test_rename_into_a_waited_key_serves(server, r):
    t = bg(server, "blpop", ["target"], 0)
    wait_blocked(r, 1)
    r.rpush("tmp", "moved")
    r.rename("tmp", "target")
    t.join(10)
    assert t.result == (b"target", b"moved")


def test_many_producers_and_consumers_lose_nothing(server_factory):
    """4 producers RPUSH 25,000 distinct items each onto 4 lists; 8
    consumers on their own connections (so different workers) take them
    with BLPOP; every item arrives exactly once."""
    srv = server_factory(threads=4)
    keys = ["work%d" % i for i in range(4)]
    total = 100000
    got = []
    lock = threading.Lock()
    errors = []

    def consumer():
        c = conn(srv)
        mine = []
        try:
            while True:
                v = c.blpop(keys, timeout=0)
                if v[1] == b"STOP":
                    break
                mine.append(v[1])
        except Exception as e:  # reported below
            errors.append(repr(e))
        with lock:
            got.extend(mine)
        c.connection_pool.disconnect()

    def producer(p):
        c = conn(srv)
        pipe = c.pipeline(transaction=False)
        for i in range(25000):
            pipe.rpush(keys[(p + i) % 4], "%d:%d" % (p, i))
            if i % 500 == 499:
                pipe.execute()
        pipe.execute()
        c.connection_pool.disconnect()

    cons = [threading.Thread(target=consumer) for _ in range(8)]
    for t in cons:
        t.start()
    prods = [threading.Thread(target=producer, args=(p,)) for p in range(4)]
    for t in prods:
        t.start()
    for t in prods:
        t.join(300)
    r = srv.client()
    end = time.time() + 300
    while sum(r.llen(k) for k in keys) and time.time() < end:
        time.sleep(0.05)
    r.rpush(keys[0], *["STOP"] * 8)
    for t in cons:
        t.join(60)
    assert errors == []
    assert not any(t.is_alive() for t in cons)
    assert len(got) == total
    assert len(set(got)) == total
    assert sum(r.llen(k) for k in keys) == 0


def test_bzpopmin_and_bzpopmax(server, r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.bzpopmin(["nokey", "z"], timeout=1) == (b"z", b"a", 1.0)
    assert r.bzpopmax(["z"], timeout=1) == (b"z", b"c", 3.0)
    t = bg(server, "bzpopmin", ["zq"], 0)
    wait_blocked(r, 1)
    assert r.zadd("zq", {"m": 4.5, "n": 7}) == 2
    t.join(10)
    assert t.result == (b"zq", b"m", 4.5)
    assert r.zrange("zq", 0, -1) == [b"n"]
    assert r.bzpopmax(["nothing"], timeout=0.05) is None


def test_zunionstore_into_a_waited_key_serves(server, r):
    t = bg(server, "bzpopmax", ["dest"], 0)
    wait_blocked(r, 1)
    r.zadd("src", {"x": 1, "y": 2})
    r.zunionstore("dest", ["src"])
    t.join(10)
    assert t.result == (b"dest", b"y", 2.0)


def test_bzmpop(server, r):
    r.zadd("zm2", {"a": 1, "b": 2, "c": 3})
    assert r.execute_command("BZMPOP", 0, 2, "zm1", "zm2", "MAX", "COUNT", 2) == \
        [b"zm2", [[b"c", b"3"], [b"b", b"2"]]]
    t = bg(server, "execute_command", "BZMPOP", 0, 1, "zm3", "MIN")
    wait_blocked(r, 1)
    r.zadd("zm3", {"q": 9})
    t.join(10)
    assert t.result == [b"zm3", [[b"q", b"9"]]]
    assert r.execute_command("BZMPOP", 0.05, 1, "zm9", "MIN") is None


@pytest.mark.parametrize("args,err", [
    (("BZPOPMIN", "k", "x"), "ERR timeout is not a float or out of range"),
    (("BZMPOP", "-1", "1", "k", "MIN"), "ERR timeout is negative"),
    (("BZMPOP", "0", "0", "k", "MIN"), "ERR numkeys should be greater than 0"),
    (("BZMPOP", "0", "1", "k", "MIDDLE"), "ERR syntax error"),
    (("BLMPOP", "0", "1", "k", "UP"), "ERR syntax error"),
])
def test_blocking_zset_and_mpop_errors(c, args, err):
    reply = c.cmd(*args)
    assert getattr(reply, "msg", None) == err, reply


def test_bzpopmin_resp3_shape(server, r):
    r.zadd("r3", {"m": 2.5})
    c = RawConn(server.port)
    assert c.cmd("HELLO", "3")
    assert c.cmd("BZPOPMIN", "r3", "0") == [b"r3", b"m", 2.5]
    c.close()
