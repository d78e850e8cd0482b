"""Copy-on-write snapshots (issue 6): a BGSAVE's file is the dataset exactly
as it was when BGSAVE replied, whatever is written while the save runs.

Each test starts a server holding FILLER string keys (loaded from a seed
file, so the sweep lasts long enough), writes its own keys in several
databases, reads them all back (the expected snapshot), sends BGSAVE and
right after its reply a pipeline of writes over those keys, and checks
with INFO that the save was still running after the last write.  The file
is then checked by redis-check-rdb and loaded into a fresh server of the
binary under test (and into Debian's redis-server): the test's keys must
equal the expected snapshot exactly (type, value, db, expiry time to the
millisecond: the file keeps absolute times) and the filler count must be
exact.  Keys created after the reply must not be in the file.

Paths, one test each: in-place edits of strings and collections, TTL
changes, deletes, overwrites, RENAME/MOVE/COPY, SWAPDB, FLUSHDB/FLUSHALL,
SELECT inside MULTI, keys expiring during the save (read back from the
file itself, since a loader drops them), eviction under maxmemory, blocked
BLMOVE/BRPOPLPUSH served during the save, memcached writes.  Then a seeded
random mix of all of them, and 8 threads of writes whose invariants every
one of three consecutive snapshots must hold.

Cachet only: redis-server's fork gives the same guarantee, but these tests
check Cachet's sweep.  All servers run on 127.0.0.1, free ports, stopped by
PID; every wait is bounded and no assertion depends on elapsed time.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

import pytest
import redis

from conftest import IS_REDIS, SANITIZER, Server, free_port
from mc_support import Raw, wait_mc_port
from rdb_support import (RefRedis, assert_same, check_rdb, diff_datasets, dump_all,
                         fill_strings, read_bytes, write_dataset)
from resp import Wire, encode, wait_for
from test_persistence import client_for, pinfo, start, wait_bgsave_done  # noqa: F401

pytestmark = pytest.mark.skipif(IS_REDIS, reason="Cachet's copy-on-write snapshot")

# Enough filler for a sweep that outlasts each test's writes many times
# over (the tests check that it did); sanitizer builds save slowly anyway.
FILLER = 200000 if SANITIZER else 400000
PREFIX = b"filler:"
NOT_FILLER = "[^f]*"  # no test key starts with "f": SCAN MATCH leaves the filler out
NEVER = 4102444800000  # 2100-01-01 in ms: a TTL that never ends in a test
DBS = (0, 3, 9)


# --------------------------------------------------------------------------
# Fixtures and helpers

@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """A snapshot of FILLER strings filler:<i> = v<i> in db 0: loading it
    is much faster than writing them again for every test."""
    d = tmp_path_factory.mktemp("seed")
    s = Server(tmpdir=d)
    try:
        fill_strings(s.port, FILLER, prefix=PREFIX)
        assert s.client().save() is True
    finally:
        s.check_clean_exit()
    return d / "dump.rdb"


class Cow:
    """One test's server, its expected snapshot and the checks of the file."""

    def __init__(self, start, seed, tmp_path):
        self.start, self.seed = start, seed
        self.snaps = tmp_path / "snaps"
        self.snaps.mkdir()
        self.nsnaps = 0

    def server(self, *args):
        """The server under test, holding the filler."""
        shutil.copy(self.seed, self.start.dir / "dump.rdb")
        self.s = self.start(*args)
        # PING may be answered before the load even began (workers start
        # before snapshot_load() sets `loading`): wait for the filler itself
        wait_for(lambda: loaded_keys(self.s.port) == FILLER, 120, "the seed to load")
        return self.s

    def write(self, data):
        """Write the dataset {(db, key): (type, value, expire_ms)} and return
        the server's view of every non-filler key: the expected snapshot."""
        assert not [k for _, k in data if k[:1] == b"f"], "keys starting with f pass for filler"
        write_dataset(client_for(self.s), data)
        return self.dump(data)

    def dump(self, model=None):
        got = dump_all(self.s.port, match=NOT_FILLER)
        if model is not None:
            assert_same(got, model, "the dataset as written before BGSAVE")
        return got

    def bgsave_and(self, act, overlap=True):
        """BGSAVE; once it replied, act(); the save must still be running
        after act() returned (so every write act() made landed during the
        save), unless not `overlap`.  Waits for the end of the save;
        returns act()'s result."""
        c = self.s.client()
        before = pinfo(c)
        w = Wire(self.s.port, timeout=120)
        try:
            assert w("BGSAVE") == "+Background saving started"
            result = act()
            info = w("INFO", "persistence")
        finally:
            w.close()
        done = wait_bgsave_done(c, before, timeout=120)
        assert done["rdb_last_bgsave_status"] == "ok"
        assert not overlap or saving(info), \
            "the save ended before the writes did: nothing tested; raise FILLER"
        return result

    def bgsave_with(self, cmds, errors_ok=False, min_during=None):
        """bgsave_and() of one pipeline of RESP commands on one connection
        (SELECTs and MULTI included), with an INFO probe every 100 commands
        outside MULTI: at least min_during of them (default: all) must have
        run before a probe that saw the save still running.  Returns the
        replies to cmds."""
        sent, probes, in_multi = [], [], False
        for i, cmd in enumerate(cmds):
            sent.append(cmd)
            name = str(cmd[0]).upper()
            in_multi = name == "MULTI" or (in_multi and name not in ("EXEC", "DISCARD"))
            if not in_multi and ((i + 1) % 100 == 0 or i + 1 == len(cmds)):
                probes.append((len(sent), i + 1))
                sent.append(("INFO", "persistence"))
        assert not in_multi
        replies = self.bgsave_and(lambda: pipeline(self.s.port, sent, True), overlap=False)
        during = max([n for at, n in probes if saving(replies[at])] + [0])
        want = len(cmds) if min_during is None else min_during
        assert during >= want, \
            "only %d of %d writes ran during the save: raise FILLER" % (during, len(cmds))
        at = {a for a, _ in probes}
        replies = [r for j, r in enumerate(replies) if j not in at]
        if not errors_ok:
            bad = [(c, r) for c, r in zip(cmds, replies) if isinstance(r, str) and r[:1] == "-"]
            assert not bad, bad[:5]
        return replies

    def take(self, filler=FILLER):
        """Copy the snapshot BGSAVE just wrote; check it with redis-check-rdb."""
        name = "snap%d.rdb" % self.nsnaps
        self.nsnaps += 1
        shutil.copy(self.start.dir / "dump.rdb", self.snaps / name)
        info = check_rdb(self.snaps / name)
        assert info["keys"] >= filler, info
        return name

    def check(self, want, name=None, redis_too=True, filler=FILLER):
        """The snapshot `name` (default: the one just written) loaded into a
        fresh server of the binary under test, and into Debian's
        redis-server, holds exactly `want` besides `filler` filler keys."""
        name = name or self.take(filler)
        ours = self.start("--dbfilename", name, dir=self.snaps)
        try:
            assert_loaded(ours.port, want, filler, "our server loading " + name)
        finally:
            ours.client().flushall()  # keep its exit short
            ours.stop()
        if redis_too:
            with RefRedis(self.snaps, dbfilename=name) as ref:
                assert_loaded(ref.port, want, filler, "redis-server loading " + name)


@pytest.fixture
def cow(start, seed, tmp_path):
    return Cow(start, seed, tmp_path)


def loaded_keys(port):
    """DBSIZE, or None while the server answers -LOADING."""
    w = Wire(port, timeout=60)
    try:
        n = w("DBSIZE")
    finally:
        w.close()
    return n if isinstance(n, int) else None


def saving(info):
    """An INFO persistence reply says a save is running."""
    return b"\nrdb_bgsave_in_progress:1\r\n" in info


def assert_loaded(port, want, filler, what):
    assert_same(dump_all(port, match=NOT_FILLER), want, what)
    c = Wire(port, timeout=60)
    try:
        in_db0 = sum(1 for db, _ in want if db == 0)
        assert c("DBSIZE") - in_db0 == filler, "%s: filler count" % what
        if filler:
            rng = random.Random(filler)
            sample = [0, filler - 1] + [rng.randrange(filler) for _ in range(200)]
            assert c("MGET", *[PREFIX + b"%d" % i for i in sample]) == \
                [b"v%d" % i for i in sample], what
    finally:
        c.close()


def pipeline(port, cmds, errors_ok=False):
    """Send every command in one go from a thread (a server that stops
    reading while its replies are unread cannot deadlock the test) and
    read every reply; an error reply fails unless errors_ok."""
    w = Wire(port, timeout=120)
    try:
        sender = w.send_in_background(b"".join(encode(*c) for c in cmds))
        replies = [w.read() for _ in cmds]
        sender.join(120)
        assert not sender.errors, sender.errors
    finally:
        w.close()
    if not errors_ok:
        bad = [(c, r) for c, r in zip(cmds, replies) if isinstance(r, str) and r[:1] == "-"]
        assert not bad, bad[:5]
    return replies


def in_dbs(dbs, per_db):
    """SELECT db, then per_db(db)'s commands, for each db."""
    out = []
    for db in dbs:
        out.append(("SELECT", db))
        out += per_db(db)
    return out


def assert_changed(before, after, keys, what="the writes"):
    """Every key of `keys` is different (or gone) in `after`: the writes
    really did something to each."""
    same = [k for k in keys if k in after and after[k] == before.get(k)]
    assert not same, "%s left these unchanged: %r" % (what, same[:10])


def S(v, exp=-1):
    return ("string", v if isinstance(v, bytes) else str(v).encode(), exp)


def H(d, exp=-1):
    return ("hash", {k.encode(): str(v).encode() for k, v in d.items()}, exp)


def L(items, exp=-1):
    return ("list", [str(x).encode() for x in items], exp)


def Z(d, exp=-1):
    return ("zset", sorted(((k.encode(), float(v)) for k, v in d.items()),
                           key=lambda mv: (mv[1], mv[0])), exp)


def SET(items, exp=-1):
    return ("set", {str(x).encode() for x in items}, exp)


# --------------------------------------------------------------------------
# 1. In-place edits, overwrites, TTL changes, deletes

def test_string_edits_and_overwrites_keep_the_old_value(cow):
    cow.server()
    data = {}
    for db in DBS:
        t = NEVER - db  # a TTL per db: a mix-up between databases shows
        data.update({
            (db, b"n"): S(10 + db), (db, b"n2"): S(-5, t), (db, b"real"): S("1.5"),
            (db, b"app"): S("abc"), (db, b"app:big"): S(b"x" * 60, t),
            (db, b"rng"): S("hello world"), (db, b"getset"): S("old", t),
            (db, b"over"): S("old", t), (db, b"over:keepttl"): S("old", t),
            (db, b"over:type"): H({"f": 1}), (db, b"mset:a"): S("a"), (db, b"mset:b"): S("b"),
            (db, b"setex"): S("old"), (db, b"getdel"): S("gone", t),
            (db, b"nx"): S("same"), (db, b"untouched"): S("same", t)})
    before = cow.write(data)

    def per_db(db):
        return [("INCR", "n"), ("INCRBY", "n", 100), ("DECRBY", "n2", 7),
                ("INCRBYFLOAT", "real", "2.25"), ("APPEND", "app", "def" * 30),
                ("APPEND", "app:big", "y"), ("SETRANGE", "rng", 6, "W"),
                ("SETRANGE", "rng", 40, "far"), ("GETSET", "getset", "new"),
                ("SET", "over", "new"), ("SET", "over:keepttl", "new", "KEEPTTL"),
                ("SET", "over:type", "now a string", "PX", 10 ** 9),
                ("MSET", "mset:a", "A", "mset:b", "B", "created:mset", "C"),
                ("SETEX", "setex", 10 ** 6, "new"), ("GETDEL", "getdel"),
                ("SET", "nx", "other", "NX"), ("SET", "created", "new"),
                ("INCR", "created:n"), ("APPEND", "created:app", "x")]
    cow.bgsave_with(in_dbs(DBS, per_db))
    after = cow.dump()
    assert_changed(before, after, [k for k in before if k[1] not in (b"nx", b"untouched")])
    assert after[(3, b"n")] == S(114)
    assert (9, b"created") in after and (0, b"getdel") not in after
    cow.check(before)


def test_collection_edits_keep_the_old_value(cow):
    cow.server()
    data = {}
    for db in DBS:
        t = NEVER - db
        data.update({
            (db, b"h"): H({"a": 1, "b": 2, "c": db}),
            (db, b"h:big"): H({"f%d" % i: i for i in range(300)}, t),
            (db, b"h:grow"): H({"x": 1}), (db, b"h:last"): H({"only": 1}, t),
            (db, b"l"): L(range(10)), (db, b"l:big"): L(range(3000), t),
            (db, b"l:trim"): L(range(50)), (db, b"l:empty"): L(["1", "2"]),
            (db, b"l:src"): L(["a", "b"]), (db, b"l:dst"): L(["z"]),
            (db, b"s"): SET(range(5)), (db, b"s:big"): SET(["m%d" % i for i in range(500)], t),
            (db, b"s:int"): SET(range(100, 110)), (db, b"s:from"): SET(["p", "q"]),
            (db, b"s:to"): SET(["r"]), (db, b"s:store"): SET(["old"]),
            (db, b"z"): Z({"a": 1, "b": 2, "c": 3}),
            (db, b"z:big"): Z({"m%d" % i: i for i in range(400)}, t),
            (db, b"z:pop"): Z({"x": -1, "y": 0}), (db, b"z:store"): Z({"old": 1}),
            (db, b"untouched"): L(["keep", db], t)})
    before = cow.write(data)

    def per_db(db):
        return [("HSET", "h", "a", "new", "d", 4), ("HINCRBY", "h", "b", 10),
                ("HINCRBYFLOAT", "h", "c", "0.5"), ("HDEL", "h:big", "f7", "f8"),
                ("HSET", "h:big", "f0", "changed"),
                ("HSET", "h:grow", *[x for i in range(200) for x in ("g%d" % i, "v" * 80)]),
                ("HDEL", "h:last", "only"),
                ("LPUSH", "l", "head"), ("RPUSH", "l", "tail"), ("LSET", "l", 3, "set"),
                ("LINSERT", "l", "BEFORE", "5", "ins"), ("LREM", "l", 0, "7"),
                ("LPOP", "l:big"), ("RPOP", "l:big", 5), ("LSET", "l:big", 1500, "mid"),
                ("LTRIM", "l:trim", 10, 20), ("LPOP", "l:empty", 2),
                ("LMOVE", "l:src", "l:dst", "LEFT", "RIGHT"), ("RPOPLPUSH", "l:src", "l:dst"),
                ("SADD", "s", "new", 99), ("SREM", "s", 0, 1), ("SPOP", "s:big", 3),
                ("SADD", "s:int", "not-an-int"), ("SMOVE", "s:from", "s:to", "p"),
                ("SINTERSTORE", "s:store", "s", "s:int"),
                ("ZADD", "z", 10, "a", 5, "d"), ("ZINCRBY", "z", 2.5, "b"), ("ZREM", "z", "c"),
                ("ZREMRANGEBYRANK", "z:big", 0, 9), ("ZADD", "z:big", "-inf", "m399"),
                ("ZPOPMIN", "z:pop", 2), ("ZUNIONSTORE", "z:store", 2, "z", "z:pop"),
                ("RPUSH", "created:l", 1), ("SADD", "created:s", 1), ("HSET", "created:h", "f", 1)]
    cow.bgsave_with(in_dbs(DBS, per_db))
    after = cow.dump()
    assert_changed(before, after, [k for k in before if k[1] != b"untouched"])
    assert (0, b"h:last") not in after and (9, b"l:empty") not in after
    cow.check(before)


WALK_ELEMENTS = 1024  # snapshot.c: bigger values are saved in parts


def walk_stats(server):
    """(values saved in parts, of them saved whole first by writers) from
    the log line of the last save."""
    found = re.findall(r"(\d+) big values saved in parts, (\d+) of them saved whole first",
                       server.read_log())
    assert found, "no sweep summary in the log"
    return tuple(int(x) for x in found[-1])


def change_big(key, n):
    """A small change to a big value of the tests below."""
    k = key.decode()
    return {"bh": ("HSET", k, "f1", "changed%d" % n), "bs": ("SREM", k, str(n), "m%d" % n),
            "bz": ("ZADD", k, 99999, "m%d" % n), "bl": ("LSET", k, 1, "changed%d" % n)}[
        k.split(":")[0]]


def spread_changes(cow, w, keys, n, took):
    """bgsave_and() with each key's first change at its own moment of the
    save, spread over `took` seconds; keys left when it ends are changed
    after it.  Returns how many were."""
    def act():
        start, left = time.monotonic(), list(keys)
        for i in range(len(left)):
            time.sleep(max(0.0, start + took * (i + 1) / (len(keys) + 1) - time.monotonic()))
            if not saving(w("INFO", "persistence")):
                break
            db, k = left.pop(0)
            w("SELECT", db)
            w(*change_big(k, n))
        return left

    left = cow.bgsave_and(act, overlap=False)
    for db, k in left:
        w("SELECT", db)
        w(*change_big(k, n))
    return len(left)


def timed_save(cow):
    t0 = time.monotonic()
    cow.bgsave_and(lambda: None, overlap=False)
    return time.monotonic() - t0


def test_big_values_saved_in_parts_keep_the_old_version(cow):
    """A collection of more than WALK_ELEMENTS elements is saved in parts,
    its shard lock released between them (snapshot.c).  Big values of every
    type and encoding (listpack, intset, hashtable, skiplist, quicklist), no
    filler, each value first changed at its own moment of the save: the
    file holds each as it was at BGSAVE."""
    cow.server("--hash-max-listpack-entries", "3000", "--set-max-intset-entries", "3000",
               "--zset-max-listpack-entries", "3000")
    cow.s.client().flushall()
    data = {}
    for i in range(4):
        db = DBS[i % len(DBS)]
        t = NEVER - i if i % 2 else -1
        data.update({
            (db, b"bh:lp:%d" % i): H({"f%d" % j: j for j in range(2000)}, t),
            (db, b"bh:%d" % i): H({"f%d" % j: "v%d" % j for j in range(20000)}, t),
            (db, b"bs:int:%d" % i): SET(range(2500), t),
            (db, b"bs:%d" % i): SET(["m%d" % j for j in range(20000)], t),
            (db, b"bz:lp:%d" % i): Z({"m%d" % j: j for j in range(2000)}, t),
            (db, b"bz:%d" % i): Z({"m%d" % j: j / 3 for j in range(20000)}, t),
            (db, b"bl:%d" % i): L(range(50000), t)})
    before = cow.write(data)
    assert min(len(v[1]) for v in before.values()) > WALK_ELEMENTS
    keys = sorted(before)
    random.Random(1).shuffle(keys)
    w = Wire(cow.s.port, timeout=60)
    took = timed_save(cow)
    assert walk_stats(cow.s)[0] == len(keys)  # with no writes, every one in parts
    after_save = spread_changes(cow, w, keys, 1, took)
    w.close()
    after = cow.dump()
    assert_changed(before, after, list(before))
    walks, taken = walk_stats(cow.s)
    assert walks > 0, "no value was saved in parts"
    cow.check(before, filler=0)
    print("big values: %d saved in parts, %d of them saved first by a writer; %d changed "
          "after the save" % (walks, taken, after_save))


def test_a_change_inside_a_walk_drops_its_parts(cow):
    """A writer changing a value the snapshot thread is saving in parts
    saves it whole first; the thread drops its parts.  One list of a
    million elements and nothing else, so that its walk is nearly all of
    the save, changed a moment after BGSAVE: the file holds the list as it
    was at BGSAVE.  Whether the change lands inside the walk is a matter of
    timing, so up to 4 saves are made, sooner each time, until the log says
    one did."""
    cow.server()
    cow.s.client().flushall()
    before = cow.write({(0, b"bl:huge"): L(range(1000000))})
    w = Wire(cow.s.port, timeout=60)
    for attempt in range(4):
        if attempt:
            before = cow.dump()

        def act():
            time.sleep(0.02 / 2 ** attempt)
            w(*change_big(b"bl:huge", attempt))

        cow.bgsave_and(act, overlap=False)
        assert cow.dump() != before
        walks, taken = walk_stats(cow.s)
        cow.check(before, filler=0, redis_too=taken > 0)
        print("huge list, save %d: %d walk, %d ended by the change" % (attempt, walks, taken))
        if taken:
            break
    w.close()
    assert walks == 1 and taken == 1, "no change landed inside the walk in 4 saves"


def test_ttl_changes_keep_the_old_ttl(cow):
    cow.server()
    data = {}
    for db in DBS:
        t = NEVER - 1000 * db
        data.update({
            (db, b"none:expire"): S(1), (db, b"none:pexpire"): L([1, 2]),
            (db, b"none:pexpireat"): H({"f": 1}), (db, b"none:getex"): S("v"),
            (db, b"ttl:expire"): S(2, t), (db, b"ttl:gt"): SET([1], t),
            (db, b"ttl:lt"): Z({"m": 1}, t),
            (db, b"ttl:persist"): S(3, t), (db, b"ttl:getex"): S("w", t),
            (db, b"ttl:getexpersist"): S("x", t), (db, b"ttl:past"): S(4, t),
            (db, b"none:past"): L([5]), (db, b"ttl:zero"): S(6, t),
            (db, b"ttl:nx"): S(7, t), (db, b"untouched"): S(8, t)})
    before = cow.write(data)

    def per_db(db):
        return [("EXPIRE", "none:expire", 10 ** 6), ("PEXPIRE", "none:pexpire", 10 ** 9),
                ("PEXPIREAT", "none:pexpireat", NEVER + 5), ("GETEX", "none:getex", "PX", 10 ** 8),
                ("EXPIRE", "ttl:expire", 10 ** 5), ("PEXPIREAT", "ttl:gt", NEVER + 1, "GT"),
                ("PEXPIRE", "ttl:lt", 1000 * 10 ** 4, "LT"), ("PERSIST", "ttl:persist"),
                ("GETEX", "ttl:getex", "EXAT", NEVER // 1000 - 7),
                ("GETEX", "ttl:getexpersist", "PERSIST"), ("EXPIRE", "ttl:past", -1),
                ("PEXPIREAT", "none:past", 1), ("PEXPIRE", "ttl:zero", 0),
                ("EXPIRE", "ttl:nx", 5, "NX"), ("SET", "created", 1, "PX", 10 ** 9),
                ("PEXPIRE", "created", 10 ** 8)]
    cow.bgsave_with(in_dbs(DBS, per_db))
    after = cow.dump()
    assert_changed(before, after, [k for k in before if k[1] not in (b"untouched", b"ttl:nx")])
    assert after[(9, b"ttl:persist")][2] == -1 and (3, b"ttl:past") not in after
    cow.check(before)


def test_deleted_keys_are_in_the_snapshot(cow):
    cow.server()
    data = {}
    for db in DBS:
        for i in range(30):
            data[(db, b"del:%d" % i)] = S("v%d:%d" % (db, i), NEVER if i % 3 == 0 else -1)
        data.update({(db, b"unlink:h"): H({"f%d" % i: i for i in range(200)}),
                     (db, b"unlink:l"): L(range(1000), NEVER), (db, b"unlink:z"): Z({"a": 1}),
                     (db, b"unlink:s"): SET(range(50)), (db, b"getdel"): S("x"),
                     (db, b"recreated"): L([1, 2, 3], NEVER), (db, b"untouched"): S("same")})
    before = cow.write(data)

    def per_db(db):
        return ([("DEL", *["del:%d" % i for i in range(0, 30, 2)]),
                 ("UNLINK", *["del:%d" % i for i in range(1, 30, 2)]),
                 ("UNLINK", "unlink:h", "unlink:l", "unlink:z", "unlink:s", "nosuchkey"),
                 ("GETDEL", "getdel"), ("DEL", "recreated"), ("HSET", "recreated", "now", "hash")])
    cow.bgsave_with(in_dbs(DBS, per_db))
    after = cow.dump()
    assert_changed(before, after, [k for k in before if k[1] != b"untouched"])
    assert set(after) == {(db, k) for db in DBS for k in (b"recreated", b"untouched")}
    cow.check(before)


def test_rename_move_and_copy_keep_source_and_destination(cow):
    cow.server()
    data = {}
    for db in (0, 3):
        t = NEVER - db
        data.update({
            (db, b"ren:src"): H({"f": db}, t), (db, b"ren:dst"): S("old dst"),
            (db, b"ren:new"): L([db]), (db, b"rennx:src"): S("nx"),
            (db, b"swap:a"): S("a"), (db, b"swap:b"): SET(["b"], t),
            (db, b"move:k"): Z({"m": db}, t), (db, b"move:taken"): S("src"),
            (db, b"copy:src"): L([1, 2, 3], t), (db, b"copy:dst"): S("old copy dst"),
            (db, b"untouched"): S("same")})
    for db in (5, 9):  # the destination databases of MOVE and COPY ... DB
        data.update({(db, b"move:taken"): S("dst"), (db, b"copy:dst"): H({"old": db}, NEVER)})
    before = cow.write(data)

    def per_db(db):
        other = 5 if db == 0 else 9
        return [("RENAME", "ren:src", "ren:dst"), ("RENAME", "ren:new", "created:ren"),
                ("RENAMENX", "rennx:src", "created:rennx"),
                ("RENAME", "swap:a", "swap:tmp"), ("RENAME", "swap:b", "swap:a"),
                ("RENAME", "swap:tmp", "swap:b"),
                ("MOVE", "move:k", other), ("MOVE", "move:taken", other),
                ("COPY", "copy:src", "copy:dst", "DB", other, "REPLACE"),
                ("COPY", "copy:src", "copy:dst", "REPLACE"),
                ("COPY", "copy:src", "created:copy", "DB", other)]
    cow.bgsave_with(in_dbs((0, 3), per_db))
    after = cow.dump()
    assert_changed(before, after, [k for k in before
                                   if k[1] not in (b"untouched", b"move:taken", b"copy:src")])
    assert after[(5, b"move:k")][1] == [(b"m", 0.0)] and (3, b"move:k") not in after
    cow.check(before)


def test_swapdb_keeps_each_database_where_it_was(cow):
    # 4 shards: each takes many slices, so a swap lands mid-table
    s = cow.server("--shards", "4")
    data = {}
    for db in (1, 2, 3, 5):
        for i in range(20):
            data[(db, b"k%d" % i)] = S("db%d:%d" % (db, i), NEVER if i % 2 else -1)
        data[(db, b"l")] = L([db] * 3)
    # a big value (saved in parts) that moves to db 1 and is changed there
    data[(2, b"bh")] = H({"f%d" % i: i for i in range(5000)})
    # swapped into db 0 while the sweep is inside the filler's table there
    # (after 50 ms of BLPOP): it lands under the sweep's cursor, so the
    # sweep must start that shard over
    for i in range(20000):
        data[(11, b"w%d" % i)] = S(i)
    before = cow.write(data)
    # the filler (db 0) moves to db 11, 5, then 7; db 1 and 2 swap;
    # writes after each swap change the swapped databases
    cmds = [("BLPOP", "nothing", 0.05), ("SWAPDB", 0, 11),
            ("SWAPDB", 1, 2), ("SELECT", 1), ("SET", "k0", "after swap"), ("RPUSH", "l", "x"),
            ("HSET", "bh", "f1", "after swap"),
            ("SWAPDB", 11, 5), ("SELECT", 5), ("DEL", "filler:0"), ("SET", "created", 1),
            ("SWAPDB", 5, 7), ("SELECT", 3), ("FLUSHDB",), ("SWAPDB", 3, 9),
            ("SELECT", 9), ("SET", "created", 2)]
    cow.bgsave_with(cmds)
    after = cow.dump()
    c = s.client(db=7)
    assert c.get("filler:1") == b"v1" and c.exists("filler:0") == 0
    assert after[(1, b"k0")] == S("after swap") and after[(2, b"k1")] == before[(1, b"k1")]
    assert after[(1, b"bh")][1][b"f1"] == b"after swap"
    assert after[(0, b"w1")] == before[(11, b"w1")]
    assert not any(db == 3 for db, _ in after)
    cow.check(before)


def test_flushdb_and_flushall_keep_everything(cow):
    s = cow.server()
    data = {}
    for db in DBS:
        for i in range(50):
            data[(db, b"k%d" % i)] = S(i, NEVER if i % 5 == 0 else -1)
        data[(db, b"h")] = H({"f%d" % i: i for i in range(100)})
    before = cow.write(data)
    cmds = [("SELECT", 3), ("HSET", "h", "f0", "changed"), ("FLUSHDB",), ("SET", "k1", "new"),
            ("SELECT", 0), ("DEL", "k0"), ("FLUSHALL", "ASYNC"), ("SET", "k2", "new"),
            ("SELECT", 9), ("SET", "created", 1), ("FLUSHALL",), ("SET", "last", 1)]
    cow.bgsave_with(cmds)
    assert cow.dump() == {(9, b"last"): S(1)}
    assert s.client().dbsize() == 0
    # the flushed tables were handed to the snapshot thread, not copied
    # under the flush's locks (snapshot_adopt_locked)
    found = re.findall(r"(\d+) flushed tables saved off the locks", s.read_log())
    assert found and int(found[-1]) > 0, found
    cow.check(before)
    # and their memory came back once the thread freed them
    wait_for(lambda: s.client().info("memory")["used_memory"] < 20 * 1024 * 1024, 30,
             "used_memory to fall after the flushed tables were freed")


def snapshot_thread(server):
    """The tid of the server's snapshot thread (named by snapshot.c)."""
    pid = server.proc.pid
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().strip() == "snapshot":
                return int(tid)
    raise AssertionError("no snapshot thread")


def pace_note(server):
    """How the last save's sweep was paced, from its log line."""
    found = re.findall(r"flushed tables saved off the locks; at (idle|normal) priority "
                       r"\((\d+ windows at normal priority when starved|idle priority not "
                       r"permitted)\)", server.read_log())
    assert found, "no pacing in the sweep summary"
    return found[-1]


def idle_permitted():
    """Can this process leave SCHED_IDLE again (server/core/prio.h)?"""
    def probe(out):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            out.append(True)
        except PermissionError:
            out.append(False)
    out = []
    t = threading.Thread(target=probe, args=(out,))
    t.start()
    t.join()
    return out[0]


def test_the_sweep_runs_at_idle_priority(cow):
    """Where the process may leave idle priority again, the sweep runs
    under SCHED_IDLE (workers take the core from it the moment they wake)
    and the thread is back at normal priority after it; elsewhere it
    stays at normal priority and paces itself (snapshot.c, "pacing")."""
    s = cow.server()
    tid = snapshot_thread(s)
    assert os.sched_getscheduler(tid) == os.SCHED_OTHER
    seen = set()

    def watch():
        w = Wire(s.port, timeout=60)
        try:
            while saving(w("INFO", "persistence")):
                seen.add(os.sched_getscheduler(tid))
                time.sleep(0.002)
        finally:
            w.close()
    cow.bgsave_and(watch, overlap=False)
    assert os.sched_getscheduler(tid) == os.SCHED_OTHER
    how = pace_note(s)
    if idle_permitted():
        assert how[0] == "idle", how
        assert os.SCHED_IDLE in seen, seen
    else:
        assert how == ("normal", "idle priority not permitted"), how
        assert seen == {os.SCHED_OTHER}, seen


def test_a_starved_sweep_still_finishes(cow):
    """With every core kept busy at normal priority, an idle-priority
    sweep would get almost no CPU: the thread notices and runs windows at
    normal priority, so the save ends (and is complete)."""
    if not idle_permitted():
        pytest.skip("idle priority not permitted: the sweep runs at normal priority")
    s = cow.server()
    data = {(0, b"k%d" % i): S(i) for i in range(100)}
    before = cow.write(data)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 2)]
    try:
        cow.bgsave_and(lambda: None, overlap=False)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    how = pace_note(s)
    assert how[0] == "idle", how
    starved = int(how[1].split()[0])
    assert starved > 0, "the save never ran a window at normal priority: %r" % (how,)
    cow.check(before)


def test_select_inside_multi_keeps_the_right_database(cow):
    """The same key names in every database: a transaction's write guarded
    in the wrong database would let the changed value into the file."""
    cow.server()
    data = {}
    for db in (0, 4, 6, 8):
        data.update({(db, b"n"): S(db), (db, b"h"): H({"f": db}), (db, b"l"): L([db, db]),
                     (db, b"z"): Z({"m": db}), (db, b"del"): S("d%d" % db, NEVER),
                     (db, b"exp"): S("e%d" % db)})
    before = cow.write(data)
    cmds = [("MULTI",), ("INCR", "n"), ("SELECT", 4), ("INCRBY", "n", 10), ("HSET", "h", "f", "x"),
            ("LPUSH", "l", "x"), ("SELECT", 6), ("ZINCRBY", "z", 5, "m"), ("DEL", "del"),
            ("EXPIRE", "exp", 1000), ("APPEND", "n", "0"), ("EXEC",),
            # a transaction run from db 8, and one that ends in another db
            ("SELECT", 8), ("MULTI",), ("HINCRBY", "h", "f", 3), ("RPOP", "l"), ("SELECT", 0),
            ("HSET", "h", "g", 1), ("PERSIST", "del"), ("DEL", "exp"), ("EXEC",),
            ("MULTI",), ("RPUSH", "l", "y"), ("SET", "del", "over"), ("SELECT", 8),
            ("ZADD", "z", 1, "new"), ("SET", "created", 1), ("EXEC",)]
    replies = cow.bgsave_with(cmds)
    assert all(isinstance(r, list) and not any(isinstance(x, str) and x[:1] == "-" for x in r)
               for c, r in zip(cmds, replies) if c == ("EXEC",)), replies
    after = cow.dump()
    assert_changed(before, after, [(0, b"n"), (0, b"h"), (0, b"l"), (0, b"del"), (0, b"exp"),
                                   (4, b"n"), (4, b"h"), (4, b"l"), (6, b"n"), (6, b"z"),
                                   (6, b"del"), (6, b"exp"), (8, b"h"), (8, b"l"), (8, b"z")])
    assert after[(6, b"n")] == S("60") and after[(4, b"n")] == S(14)
    cow.check(before)


# --------------------------------------------------------------------------
# 2. Keys the server removes by itself: expiry and eviction

def rdb_strings(path):
    """{(db, key): (value, expire_ms or -1)} of the RDB file at path, which
    must hold string keys only: a loader drops keys already expired, so
    the file itself is read here (the subset of the format our writer uses
    for strings: AUX, RESIZEDB, SELECTDB, EXPIRETIME(_MS), IDLE, FREQ,
    int and LZF-compressed strings)."""
    data = read_bytes(path)
    assert data[:5] == b"REDIS", data[:9]
    pos = 9

    def length():
        nonlocal pos
        b = data[pos]
        pos += 1
        kind = b >> 6
        if kind == 0:
            return b & 0x3F, False
        if kind == 1:
            pos += 1
            return ((b & 0x3F) << 8) | data[pos - 1], False
        if kind == 3:
            return b & 0x3F, True
        n = {0x80: 4, 0x81: 8}[b]
        pos += n
        return int.from_bytes(data[pos - n:pos], "big"), False

    def string():
        nonlocal pos
        n, special = length()
        if not special:
            pos += n
            return data[pos - n:pos]
        if n in (0, 1, 2):
            size = 1 << n
            pos += size
            return str(int.from_bytes(data[pos - size:pos], "little", signed=True)).encode()
        assert n == 3, "string encoding %d" % n
        clen, _ = length()
        ulen, _ = length()
        pos += clen
        return lzf_decompress(data[pos - clen:pos], ulen)

    out, db, exp = {}, 0, -1
    while True:
        op = data[pos]
        pos += 1
        if op == 0xFF:
            return out
        if op == 0xFA:
            string(), string()
        elif op == 0xFB:
            length(), length()
        elif op == 0xFE:
            db = length()[0]
        elif op == 0xFC:
            exp = int.from_bytes(data[pos:pos + 8], "little")
            pos += 8
        elif op == 0xFD:
            exp = 1000 * int.from_bytes(data[pos:pos + 4], "little")
            pos += 4
        elif op == 0xF8:
            length()
        elif op == 0xF9:
            pos += 1
        else:
            assert op == 0, "value type %d: only strings expected" % op
            key = string()
            assert (db, key) not in out, "%r saved twice" % ((db, key),)
            out[(db, key)] = (string(), exp)
            exp = -1


def lzf_decompress(src, ulen):
    out, i = bytearray(), 0
    while i < len(src):
        ctrl = src[i]
        i += 1
        if ctrl < 32:
            out += src[i:i + ctrl + 1]
            i += ctrl + 1
            continue
        n = ctrl >> 5
        if n == 7:
            n += src[i]
            i += 1
        ref = len(out) - ((ctrl & 0x1F) << 8) - src[i] - 1
        i += 1
        for _ in range(n + 2):
            out.append(out[ref])
            ref += 1
    assert len(out) == ulen
    return bytes(out)


def test_keys_expiring_during_the_save_are_in_it_with_their_ttl(cow):
    """Keys live at BGSAVE whose TTL ends while the save runs - removed by
    a read (lazy expiry) or by the server's own expiry cycle - are in the
    file with their expiry time; keys already expired at BGSAVE are not,
    nor is a key created after it."""
    s = cow.server("--hz", 100)  # expiry cycles 10 ms apart
    c = s.client()
    n = 100
    for attempt in range(3):
        # a save longer than the TTL below and an expiry cycle or two,
        # longer at each try
        filler = FILLER * 2 ** (attempt + 1)
        fill_strings(s.port, filler, prefix=PREFIX)  # filler:0.. are rewritten as they were
        pipeline(s.port, [("SET", "dead:%d" % i, "d", "PX", 1) for i in range(n)])
        time.sleep(0.02)  # past their TTL: expired (reclaimed or not) before BGSAVE
        # in one write: keys whose TTL outlasts the BGSAVE that follows,
        # the expiry times they got, BGSAVE, and a key created after it
        cmds = [("SET", "exp:%d" % i, "v%d" % i, "PX", 50) for i in range(2 * n)]
        cmds += [("PEXPIRETIME", "exp:%d" % i) for i in range(2 * n)]
        cmds += [("BGSAVE",), ("SET", "late", "x", "PX", 10 ** 9), ("PEXPIRETIME", "late")]
        before = pinfo(c)
        replies = pipeline(s.port, cmds)
        assert replies[4 * n] == "+Background saving started"
        want = {(0, b"exp:%d" % i): (b"v%d" % i, replies[2 * n + i]) for i in range(2 * n)}
        w = Wire(s.port, timeout=60)
        try:
            # the first half expire by a read once past their TTL, the rest
            # by the expiry cycle (DBSIZE counts keys not yet reclaimed)
            wait_for(lambda: w("PTTL", "exp:0") == -2, 30, "the keys' TTL to pass")
            assert pipeline(s.port, [("GET", "exp:%d" % i) for i in range(n)]) == [None] * n
            wait_for(lambda: w("DBSIZE") == filler + 1, 30, "active expiry of the keys")
            info = w("INFO", "persistence")
        finally:
            w.close()
        wait_bgsave_done(c, before, timeout=120)
        late_at = replies[4 * n + 2] - 10 ** 9  # the server's clock after BGSAVE replied
        if min(e for _, e in want.values()) <= late_at:
            continue  # this host was too slow: a key might have expired before BGSAVE
        if saving(info):
            break
        pipeline(s.port, [("DEL", "late")])
    else:
        pytest.fail("the save ended before the keys expired in 3 tries; raise FILLER")
    name = cow.take()
    got = rdb_strings(cow.snaps / name)
    assert len(got) == filler + len(want), "%d keys, want %d" % (len(got), filler + len(want))
    assert {k: v for k, v in got.items() if not k[1].startswith(PREFIX)} == want
    rng = random.Random(filler)
    assert all(got[(0, PREFIX + b"%d" % i)] == (b"v%d" % i, -1)
               for i in [0, filler - 1] + [rng.randrange(filler) for _ in range(1000)])
    assert check_rdb(cow.snaps / name)["already_expired"] == 2 * n
    cow.check({}, name, filler=filler)


def test_keys_evicted_during_the_save_are_in_it(cow):
    s = cow.server()
    c = s.client()
    data = {}
    for db in (0, 2):
        for i in range(100):
            data[(db, b"k%d" % i)] = S("x" * 100, NEVER if i % 2 else -1)
        data[(db, b"h")] = H({"f%d" % i: i for i in range(300)})
    before = cow.write(data)
    c.config_set("maxmemory-policy", "allkeys-random")
    c.config_set("maxmemory", int(c.info("memory")["used_memory"]) + 64 * 1024)
    evicted0 = int(c.info("stats")["evicted_keys"])
    # evicting writes are slow (under sanitizers above all), and the save
    # runs on an idle core: make it outlast them
    c.config_set("rdb-key-save-delay", 10)
    cmds = [("SET", "new:%d" % i, "n" * 1000) for i in range(600)]
    cow.bgsave_with(cmds)
    c.config_set("rdb-key-save-delay", 0)
    evicted = int(c.info("stats")["evicted_keys"]) - evicted0
    assert evicted > 500, evicted
    c.config_set("maxmemory", 0)
    cow.check(before)


# --------------------------------------------------------------------------
# 3. Blocked clients and memcached writes

def test_blocked_moves_served_during_the_save(cow):
    s = cow.server()
    c = s.client()
    data = {}
    for db in (0, 4):
        data.update({(db, b"dst:%d" % i): L(["old%d" % i, db], NEVER if i % 2 else -1)
                     for i in range(6)})
        data[(db, b"untouched")] = L(["same"])
    before = cow.write(data)
    blocked = []
    try:
        for db in (0, 4):
            for i in range(6):
                w = Wire(s.port, timeout=60)
                blocked.append(w)
                cmd = (("BLMOVE", "src:%d" % i, "dst:%d" % i, "LEFT", "LEFT", 0) if i % 2 else
                       ("BRPOPLPUSH", "src:%d" % i, "dst:%d" % i, 0))
                w.sendall(encode("SELECT", db) + encode(*cmd))
                assert w.read() == "+OK"
        wait_for(lambda: int(c.info("clients")["blocked_clients"]) == 12, 20,
                 "12 blocked clients")
        cmds = in_dbs((0, 4), lambda db: [("RPUSH", "src:%d" % i, "pushed%d" % i)
                                          for i in range(6)])
        cow.bgsave_and(lambda: (pipeline(s.port, cmds),
                                [w.read() for w in blocked]))
    finally:
        for w in blocked:
            w.close()
    after = cow.dump()
    assert after[(4, b"dst:3")][1] == [b"pushed3", b"old3", b"4"]
    assert_changed(before, after, [k for k in before if k[1] != b"untouched"])
    cow.check(before)


def mc_batch(port, lines):
    """Send memcached text commands in one write; every reply up to the
    closing no-op (mc_support.Raw.req)."""
    with Raw(port, timeout=60) as m:
        return m.req(b"".join(lines))


def test_memcached_writes_keep_the_old_values(cow):
    mport = free_port()
    s = cow.server("--memcache-port", mport)
    wait_mc_port(mport, s.proc)
    keys = ["incr", "decr", "append", "prepend", "set", "replace", "cas", "delete", "touch",
            "gat", "gets", "ms", "md", "ma", "mgT", "untouched"]
    lines = []
    for k in keys:
        v = b"100" if k in ("incr", "decr", "ma") else b"val-" + k.encode()
        lines.append(b"set %s 7 %d %d\r\n%s\r\n" % (k.encode(), 0 if len(k) % 2 else 100000,
                                                     len(v), v))
    out = mc_batch(mport, lines)
    assert out == b"STORED\r\n" * len(keys), out
    before = cow.dump()
    assert len(before) == len(keys)
    with Raw(mport, timeout=60) as m:
        cas = int(m.req(b"gets cas\r\n").split(b"\r\n")[0].split()[4])
    muts = [b"incr incr 5\r\n", b"decr decr 7\r\n", b"append append 0 0 3\r\nXYZ\r\n",
            b"prepend prepend 0 0 3\r\nABC\r\n", b"set set 1 0 3\r\nnew\r\n",
            b"replace replace 0 0 3\r\nnew\r\n", b"cas cas 0 0 3 %d\r\nnew\r\n" % cas,
            b"delete delete\r\n", b"touch touch 5000\r\n", b"gat 6000 gat\r\n",
            b"gets gets\r\n", b"ms ms 3 T9000\r\nnew\r\n", b"md md\r\n", b"ma ma D9\r\n",
            b"mg mgT T7000 v\r\n", b"add created 0 0 1\r\nx\r\n", b"set created2 0 0 1\r\ny\r\n"]
    replies = cow.bgsave_and(lambda: mc_batch(mport, muts))
    assert b"ERROR" not in replies and b"NOT_" not in replies and b"EXISTS" not in replies, replies
    after = cow.dump()
    assert_changed(before, after, [k for k in before if k[1] not in (b"untouched", b"gets")])
    assert after[(0, b"incr")][1] == b"105"
    cow.check(before)


def test_memcached_flush_all_keeps_everything(cow):
    mport = free_port()
    s = cow.server("--memcache-port", mport)
    wait_mc_port(mport, s.proc)
    data = {(0, b"k%d" % i): S("v%d" % i, NEVER if i % 2 else -1) for i in range(50)}
    data[(1, b"other-db")] = S("x")
    before = cow.write(data)
    replies = cow.bgsave_and(lambda: mc_batch(mport, [
        b"append k0 0 0 1\r\nX\r\n", b"flush_all\r\n",
        b"set k1 0 0 3\r\nnew\r\n"]))
    assert replies == b"STORED\r\nOK\r\nSTORED\r\n", replies
    assert s.client().dbsize() == 1
    cow.check(before)


# --------------------------------------------------------------------------
# 4. A seeded random mix of everything above

RAND_DBS = (0, 1, 2)


def random_dataset(rng, n, big=0.0):
    """About n keys of every type over RAND_DBS, a third with a TTL; a
    fraction `big` of the collections has 2,500 elements (saved in parts)."""
    data = {}
    for i in range(n):
        db = rng.choice(RAND_DBS)
        kind = rng.choice("sssihlz")
        exp = NEVER - rng.randrange(10 ** 9) if rng.random() < 0.33 else -1
        size = 2500 if big and rng.random() < big else rng.choice((1, 3, 10, 200))
        key = b"r:%d" % rng.randrange(n)
        if kind == "s":
            v = S(rng.randbytes(rng.choice((1, 10, 50, 300))), exp)
        elif kind == "i":
            v = S(rng.randrange(-1000, 1000), exp)
        elif kind == "h":
            v = H({"f%d" % j: rng.randrange(100) for j in range(size)}, exp)
        elif kind == "l":
            v = L([rng.randrange(100) for _ in range(size)], exp)
        elif kind == "z":
            v = Z({"m%d" % j: rng.randrange(100) for j in range(size)}, exp)
        data[(db, key)] = v
        if rng.random() < 0.15:
            data[(db, b"set:%d" % i)] = SET([rng.randrange(50) for _ in range(size)], exp)
    return data


def random_commands(rng, n, nkeys):
    """n random writes (and some reads) over keys r:<0..nkeys> in RAND_DBS,
    with SELECT, MULTI/EXEC, SWAPDB and bursts of new keys (tables grow
    while they are swept).  Errors (WRONGTYPE, ...) are part of the mix."""
    def key():
        return ("r:%d" if rng.random() < 0.9 else "set:%d") % rng.randrange(nkeys)

    def val():
        return rng.choice((str(rng.randrange(-50, 50)), "v" * rng.choice((1, 20, 100))))

    gens = [
        lambda: ("SET", key(), val()), lambda: ("SET", key(), val(), "PX", 10 ** 9),
        lambda: ("SET", key(), val(), "KEEPTTL"), lambda: ("APPEND", key(), val()),
        lambda: ("INCRBY", key(), rng.randrange(-5, 5)),
        lambda: ("SETRANGE", key(), rng.randrange(20), "R"),
        lambda: ("GETDEL", key()), lambda: ("GETEX", key(), "PERSIST"),
        lambda: ("GETEX", key(), "PX", 10 ** 8), lambda: ("DEL", key(), key()),
        lambda: ("UNLINK", key()), lambda: ("EXPIRE", key(), 10 ** 5),
        lambda: ("PEXPIREAT", key(), NEVER + rng.randrange(1000)), lambda: ("PERSIST", key()),
        lambda: ("EXPIRE", key(), -1), lambda: ("RENAME", key(), key()),
        lambda: ("MOVE", key(), rng.choice(RAND_DBS)),
        lambda: ("COPY", key(), key(), "DB", rng.choice(RAND_DBS), "REPLACE"),
        lambda: ("HSET", key(), "f%d" % rng.randrange(20), val()),
        lambda: ("HINCRBY", key(), "f%d" % rng.randrange(20), 3),
        lambda: ("HDEL", key(), "f%d" % rng.randrange(20), "f%d" % rng.randrange(20)),
        lambda: ("LPUSH", key(), val()), lambda: ("RPUSH", key(), val(), val()),
        lambda: ("LPOP", key()), lambda: ("RPOP", key(), 2), lambda: ("LSET", key(), 0, val()),
        lambda: ("LTRIM", key(), 1, rng.randrange(-3, 100)),
        lambda: ("LMOVE", key(), key(), "LEFT", "RIGHT"),
        lambda: ("SADD", key(), rng.randrange(60), val()),
        lambda: ("SREM", key(), rng.randrange(50)),
        lambda: ("SPOP", key()), lambda: ("SMOVE", key(), key(), rng.randrange(50)),
        lambda: ("SINTERSTORE", key(), key(), key()),
        lambda: ("ZADD", key(), rng.randrange(100), "m%d" % rng.randrange(20)),
        lambda: ("ZINCRBY", key(), 1.5, "m%d" % rng.randrange(20)),
        lambda: ("ZREM", key(), "m%d" % rng.randrange(20)), lambda: ("ZPOPMIN", key()),
        lambda: ("ZUNIONSTORE", key(), 2, key(), key()),
        lambda: ("GET", key()), lambda: ("HGETALL", key()),
    ]
    cmds, fresh = [], 0
    for _ in range(n):
        r = rng.random()
        if r < 0.08:
            cmds.append(("SELECT", rng.choice(RAND_DBS)))
        elif r < 0.11:
            cmds.append(("MULTI",))
            cmds += [("SELECT", rng.choice(RAND_DBS)) if rng.random() < 0.2 else rng.choice(gens)()
                     for _ in range(rng.randrange(1, 6))]
            cmds.append(("EXEC",))
        elif r < 0.113:
            cmds.append(("SWAPDB", *rng.sample(RAND_DBS, 2)))
        elif r < 0.13:
            cmds.append(("MSET", *[x for j in range(200) for x in ("new:%d" % (fresh + j), j)]))
            fresh += 200
        else:
            cmds.append(rng.choice(gens)())
    return cmds


@pytest.mark.slow
@pytest.mark.parametrize("seed_", [1, 2, 3])
def test_random_writes_during_a_save(cow, seed_):
    """Seed 3 makes 4% of the collections big enough to be saved in parts."""
    rng = random.Random(seed_)
    cow.server()
    before = cow.write(random_dataset(rng, 2000, big=0.04 if seed_ == 3 else 0))
    assert len(before) > 1500
    cmds = random_commands(rng, 3000, 2000)
    cow.bgsave_with(cmds, errors_ok=True, min_during=len(cmds) // 3)
    after = cow.dump()
    changed = [k for k in before if after.get(k) != before[k]]
    assert len(changed) > 300, "the random writes changed too little: %d" % len(changed)
    assert len(diff_datasets(after, before, limit=10 ** 6)) > len(changed)  # and created keys
    cow.check(before, redis_too=seed_ != 2)
    if seed_ == 3:
        print("random writes: %d values saved in parts, %d of them first by a writer"
              % walk_stats(cow.s))


# --------------------------------------------------------------------------
# 5. Eight writers, three snapshots, invariants

THREADS = 8
LISTLEN = 10


class Hammer(threading.Thread):
    """Writes as fast as it can, each batch keeping these invariants true
    in every state a snapshot may catch (thread i, round n):
      - MULTI/EXEC across db 1 and 2: c:i:a (db 1) = c:i:b (db 2) =
        field n of h:i (db 1);
      - MSET in db 0: x:i = y:i;
      - RENAME in db 0: exactly one of p:i:L and p:i:R exists, = "tok:i";
      - LMOVE in db 0: l:i:A and l:i:B together hold 0..LISTLEN-1."""

    def __init__(self, port, i):
        super().__init__(daemon=True)
        self.port, self.i = port, i
        self.stop_ev = threading.Event()
        self.rounds = 0
        self.error = None

    def run(self):
        i = self.i
        w = Wire(self.port, timeout=60)
        try:
            left = True
            while not self.stop_ev.is_set():
                cmds = []
                for k in range(10):
                    n = self.rounds + k + 1
                    src, dst = ("p:%d:L" % i, "p:%d:R" % i)[::1 if left else -1]
                    left = not left
                    cmds += [("MULTI",), ("SELECT", 1), ("INCR", "c:%d:a" % i),
                             ("HSET", "h:%d" % i, "n", n), ("SELECT", 2), ("INCR", "c:%d:b" % i),
                             ("SELECT", 0), ("EXEC",),
                             ("MSET", "x:%d" % i, n, "y:%d" % i, n), ("RENAME", src, dst),
                             ("LMOVE", "l:%d:A" % i, "l:%d:B" % i, "LEFT", "RIGHT") if n % 3 else
                             ("LMOVE", "l:%d:B" % i, "l:%d:A" % i, "RIGHT", "LEFT")]
                w.sendall(b"".join(encode(*c) for c in cmds))
                for c in cmds:
                    r = w.read()
                    if isinstance(r, str) and r[:1] == "-":
                        raise AssertionError("%r: %r" % (c, r))
                self.rounds += 10
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            w.close()


def hammer_invariants(port, what):
    """Check every thread's invariants on a loaded snapshot; returns the
    per-thread counters."""
    counters = []
    for i in range(THREADS):
        c0, c1, c2 = (client_for_port(port, db) for db in (0, 1, 2))
        a, b = c1.get("c:%d:a" % i), c2.get("c:%d:b" % i)
        h = c1.hget("h:%d" % i, "n")
        assert a == b == h, "%s: thread %d: c:a=%r c:b=%r h.n=%r" % (what, i, a, b, h)
        x, y = c0.get("x:%d" % i), c0.get("y:%d" % i)
        assert x == y, "%s: thread %d: x=%r y=%r" % (what, i, x, y)
        held = [v for v in c0.mget("p:%d:L" % i, "p:%d:R" % i) if v is not None]
        assert held == [b"tok:%d" % i], "%s: thread %d: renamed key %r" % (what, i, held)
        la, lb = c0.lrange("l:%d:A" % i, 0, -1), c0.lrange("l:%d:B" % i, 0, -1)
        assert sorted(la + lb) == sorted(b"%d" % j for j in range(LISTLEN)), \
            "%s: thread %d: lists %r %r" % (what, i, la, lb)
        counters.append(int(a))
        for cl in (c0, c1, c2):
            cl.connection_pool.disconnect()
    return counters


def client_for_port(port, db):
    return redis.Redis(host="127.0.0.1", port=port, db=db, socket_timeout=60)


@pytest.mark.slow
def test_eight_writers_three_snapshots_all_consistent(cow):
    s = cow.server()
    c0 = s.client()
    p = c0.pipeline(transaction=False)
    for i in range(THREADS):
        p.mset({"x:%d" % i: 0, "y:%d" % i: 0, "p:%d:L" % i: "tok:%d" % i})
        p.rpush("l:%d:A" % i, *range(LISTLEN))
    p.execute()
    for db in (1, 2):
        c = s.client(db=db)
        for i in range(THREADS):
            c.set("c:%d:%s" % (i, "a" if db == 1 else "b"), 0)
            if db == 1:
                c.hset("h:%d" % i, "n", 0)
    hammers = [Hammer(s.port, i) for i in range(THREADS)]
    for h in hammers:
        h.start()
    names = []
    try:
        wait_for(lambda: all(h.rounds >= 50 for h in hammers), 30, "the writers to get going")
        for k in range(3):
            def during():
                n0 = sum(h.rounds for h in hammers)
                # rounds sent wholly after the reply, done while the save runs
                wait_for(lambda: sum(h.rounds for h in hammers) >= n0 + 20 * THREADS, 60,
                         "writes during the save")
            cow.bgsave_and(during)
            names.append(cow.take())
    finally:
        for h in hammers:
            h.stop_ev.set()
        for h in hammers:
            h.join(30)
    for h in hammers:
        assert not h.is_alive() and h.error is None, h.error
    live = hammer_invariants(s.port, "the live server")
    c0.flushall()  # keep the exit short
    seen = []
    for k, name in enumerate(names):
        ours = cow.start("--dbfilename", name, dir=cow.snaps)
        try:
            counters = hammer_invariants(ours.port, "our server loading " + name)
            c = ours.client()
            assert c.dbsize() - len(list(c.scan_iter(match=NOT_FILLER, count=20000))) == FILLER
        finally:
            ours.client().flushall()
            ours.stop()
        if k == 0:
            with RefRedis(cow.snaps, dbfilename=name) as ref:
                assert hammer_invariants(ref.port, "redis-server loading " + name) == counters
        seen.append(counters)
    for i in range(THREADS):
        column = [cnt[i] for cnt in seen] + [live[i]]
        assert column == sorted(column), "thread %d went back in time: %r" % (i, column)
        assert column[0] < column[-1]
    assert seen[0] != seen[2], "no writes between the first and the last snapshot"
