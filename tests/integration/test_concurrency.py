"""Concurrency: many clients hammering shared keys through a multi-threaded
server must see exactly what one Redis would give them.

Every test starts its own server with several worker threads (ignored for
Redis, which is how the same assertions are checked against Redis itself).
Clients talk RESP over raw pipelined sockets so that Python is not the
bottleneck; under sanitizers the counts are scaled down, never the checks.
"""
import random
import re
import threading
import time

from conftest import SANITIZER
from resp import BytesConn, enc
from resp import ErrBytes as Err  # the assertions below say Err

THREADS = 4          # server worker threads (Cachet only)
JOIN_TIMEOUT = 120   # hard bound on any one test's client threads


def run_threads(targets, timeout=JOIN_TIMEOUT):
    """Run callables in threads released together; re-raise the first error."""
    errors = []
    barrier = threading.Barrier(len(targets))

    def wrap(fn):
        try:
            barrier.wait(timeout=30)
            fn()
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(e)
            barrier.abort()

    ts = [threading.Thread(target=wrap, args=(fn,), daemon=True) for fn in targets]
    for t in ts:
        t.start()
    deadline = time.time() + timeout
    for t in ts:
        t.join(max(0.1, deadline - time.time()))
    assert not any(t.is_alive() for t in ts), "client threads hung past %ss" % timeout
    if errors:
        raise errors[0]


def threaded_server(server_factory):
    return server_factory(threads=THREADS)


# ---------------------------------------------------------------------------
# (1) INCR from many clients on shared keys: exact totals, no duplicates.
# ---------------------------------------------------------------------------
def test_concurrent_incr_exact_totals(server_factory):
    srv = threaded_server(server_factory)
    nclients, per_client, nkeys, batch = 16, 10000, 100, 500
    if SANITIZER:
        per_client = 2000
    keys = [b"ctr:%d" % i for i in range(nkeys)]
    # Deterministic, different spread per client.
    plans = []
    for t in range(nclients):
        rng = random.Random(1000 + t)
        plans.append([rng.randrange(nkeys) for _ in range(per_client)])
    expected = [0] * nkeys
    for plan in plans:
        for k in plan:
            expected[k] += 1
    results = [None] * nclients

    def client(t):
        c = BytesConn(srv.port)
        seen = []
        plan = plans[t]
        for start in range(0, len(plan), batch):
            chunk = plan[start:start + batch]
            c.send(b"".join(enc(b"INCR", keys[k]) for k in chunk))
            for k in chunk:
                v = c.read()
                assert isinstance(v, int), "INCR reply %r" % (v,)
                seen.append((k, v))
        c.close()
        results[t] = seen

    run_threads([lambda t=t: client(t) for t in range(nclients)])

    # Every INCR returned a distinct value: per key the union of replies is
    # exactly 1..total, and each client saw its own replies strictly rising.
    per_key = [[] for _ in range(nkeys)]
    for seen in results:
        last = {}
        for k, v in seen:
            assert v > last.get(k, 0), "INCR %s went backwards" % keys[k]
            last[k] = v
            per_key[k].append(v)
    for k in range(nkeys):
        assert sorted(per_key[k]) == list(range(1, expected[k] + 1)), \
            "key %s: duplicate or lost INCR replies" % keys[k]

    c = srv.client()
    got = c.mget(keys)
    assert [int(x) for x in got] == expected
    assert sum(expected) == nclients * per_client
    assert c.dbsize() == nkeys
    c.close()


# ---------------------------------------------------------------------------
# (2) MSET is atomic with respect to MGET.
# ---------------------------------------------------------------------------
def test_mset_mget_never_torn(server_factory):
    srv = threaded_server(server_factory)
    keys = [b"m:k%d" % i for i in range(1, 11)]
    duration = 3.0
    nwriters, nreaders, batch = 4, 4, 20
    c = srv.client()
    c.mset({k: b"init" for k in keys})
    stop = time.time() + duration
    reads = [0] * nreaders
    writes = [0] * nwriters

    def writer(w):
        conn = BytesConn(srv.port)
        n = 0
        while time.time() < stop:
            frames = []
            for _ in range(batch):
                n += 1
                # Varying lengths so a torn write cannot look consistent.
                v = b"w%d-%d-" % (w, n) + b"x" * (n % 64)
                args = [b"MSET"]
                for k in keys:
                    args += [k, v]
                frames.append(enc(*args))
            conn.send(b"".join(frames))
            for _ in range(batch):
                assert conn.read() == b"OK"
            writes[w] += batch
        conn.close()

    def reader(i):
        conn = BytesConn(srv.port)
        frame = enc(b"MGET", *keys)
        while time.time() < stop:
            conn.send(frame * batch)
            for _ in range(batch):
                vals = conn.read()
                assert isinstance(vals, list) and len(vals) == 10
                assert vals[0] is not None
                assert all(v == vals[0] for v in vals), "torn MSET seen: %r" % (vals,)
                reads[i] += 1
        conn.close()

    run_threads([lambda w=w: writer(w) for w in range(nwriters)] +
                [lambda i=i: reader(i) for i in range(nreaders)])
    assert all(n > 0 for n in reads) and all(n > 0 for n in writes)
    final = c.mget(keys)
    assert len(set(final)) == 1 and re.match(rb"w\d-\d+-x*$", final[0])
    c.close()


# ---------------------------------------------------------------------------
# (3) DEL/SET/EXPIRE/RENAME storm: server survives with a consistent keyspace.
# ---------------------------------------------------------------------------
VALUE_RE = re.compile(rb"t\d+-\d+$")


def test_keyspace_storm_consistent(server_factory):
    srv = threaded_server(server_factory)
    nthreads, nkeys, batch = 8, 16, 16
    duration = 3.0
    names = [b"st:%d" % i for i in range(nkeys)]
    stop = time.time() + duration
    counts = [0] * nthreads

    def stormer(t):
        rng = random.Random(77 + t)
        conn = BytesConn(srv.port)
        n = 0
        while time.time() < stop:
            frames, kinds = [], []
            for _ in range(batch):
                n += 1
                k, k2 = rng.choice(names), rng.choice(names)
                op = rng.randrange(9)
                if op == 0:
                    frames.append(enc(b"SET", k, b"t%d-%d" % (t, n)))
                elif op == 1:
                    frames.append(enc(b"SET", k, b"t%d-%d" % (t, n), b"PX", rng.randint(1, 200)))
                elif op == 2:
                    frames.append(enc(b"DEL", k, k2))
                elif op == 3:
                    frames.append(enc(b"PEXPIRE", k, rng.randint(1, 200)))
                elif op == 4:
                    frames.append(enc(b"RENAME", k, k2))
                elif op == 5:
                    frames.append(enc(b"GET", k))
                elif op == 6:
                    frames.append(enc(b"PERSIST", k))
                elif op == 7:
                    frames.append(enc(b"MGET", k, k2))
                else:
                    frames.append(enc(b"SET", k, b"t%d-%d" % (t, n)))
                kinds.append(op)
            conn.send(b"".join(frames))
            for op in kinds:
                v = conn.read()
                if op == 4:
                    # RENAME of a missing (deleted or expired) source key.
                    assert v == b"OK" or v == Err(b"ERR no such key"), v
                else:
                    assert not isinstance(v, Err), "op %d: %r" % (op, v)
                if op == 5:
                    assert v is None or VALUE_RE.match(v), v
                if op == 7:
                    assert all(x is None or VALUE_RE.match(x) for x in v), v
            counts[t] += batch
        conn.close()

    run_threads([lambda t=t: stormer(t) for t in range(nthreads)])
    assert all(n > 0 for n in counts)
    assert srv.alive()

    c = srv.client()
    assert c.ping()
    # Every TTL set in the storm was <= 200 ms: after waiting, touching each
    # possible name removes whatever expired, so DBSIZE must agree with KEYS.
    time.sleep(0.6)
    for k in names:
        c.exists(k)
    keys = sorted(c.keys("*"))
    assert c.dbsize() == len(keys)
    assert set(keys) <= set(names)
    for k in keys:
        v = c.get(k)
        assert v is not None and VALUE_RE.match(v), (k, v)
        assert c.ttl(k) == -1, k
    c.close()


# ---------------------------------------------------------------------------
# (4) MULTI/EXEC transfers are atomic: a+b is constant in every read.
# ---------------------------------------------------------------------------
def test_multi_exec_transfer_atomic(server_factory):
    srv = threaded_server(server_factory)
    ntransfer, nreaders, per, batch = 4, 4, 5000, 50
    if SANITIZER:
        per = 1000
    total = 1000000
    c = srv.client()
    c.mset({"acct:a": total, "acct:b": 0})
    done = threading.Event()
    reads = [0] * nreaders
    tx = (enc(b"MULTI") + enc(b"DECRBY", b"acct:a", 1) +
          enc(b"INCRBY", b"acct:b", 1) + enc(b"EXEC"))

    def transferer():
        conn = BytesConn(srv.port)
        for _ in range(per // batch):
            conn.send(tx * batch)
            for _ in range(batch):
                assert conn.read() == b"OK"
                assert conn.read() == b"QUEUED"
                assert conn.read() == b"QUEUED"
                res = conn.read()
                assert isinstance(res, list) and len(res) == 2, res
                assert res[0] + res[1] == total, "non-atomic EXEC result %r" % (res,)
        conn.close()

    def reader(i):
        conn = BytesConn(srv.port)
        frame = enc(b"MGET", b"acct:a", b"acct:b")
        while True:
            finished = done.is_set()
            conn.send(frame * batch)
            for _ in range(batch):
                a, b = conn.read()
                assert int(a) + int(b) == total, "saw a=%s b=%s mid-transaction" % (a, b)
                reads[i] += 1
            if finished:
                break
        conn.close()

    tthreads = [lambda: transferer() for _ in range(ntransfer)]

    def transfers_then_signal():
        try:
            run_threads(tthreads)
        finally:
            done.set()

    run_threads([transfers_then_signal] + [lambda i=i: reader(i) for i in range(nreaders)])
    assert all(n > 0 for n in reads)
    moved = ntransfer * (per // batch) * batch
    assert int(c.get("acct:a")) == total - moved
    assert int(c.get("acct:b")) == moved
    c.close()


# ---------------------------------------------------------------------------
# (5) WATCH-based optimistic increments: exact total, no lost update.
# ---------------------------------------------------------------------------
def test_watch_optimistic_increments(server_factory):
    srv = threaded_server(server_factory)
    nthreads, per = 8, 150
    if SANITIZER:
        per = 40
    key = b"opt:counter"
    c = srv.client()
    c.set(key, 0)
    committed = [[] for _ in range(nthreads)]
    aborted = [0] * nthreads

    def worker(t):
        conn = BytesConn(srv.port)
        attempts = 0
        while len(committed[t]) < per:
            attempts += 1
            assert attempts < per * 200, "no progress under WATCH contention"
            assert conn.call(b"WATCH", key) == b"OK"
            v = int(conn.call(b"GET", key))
            conn.send(enc(b"MULTI") + enc(b"SET", key, v + 1) + enc(b"EXEC"))
            assert conn.read() == b"OK"
            assert conn.read() == b"QUEUED"
            res = conn.read()
            if res is None:          # someone else wrote the key: retry
                aborted[t] += 1
                continue
            assert res == [b"OK"], res
            committed[t].append(v)
        conn.close()

    run_threads([lambda t=t: worker(t) for t in range(nthreads)])
    total = nthreads * per
    assert int(c.get(key)) == total
    # Each committed transaction read a distinct value: 0..total-1 once each.
    allv = sorted(v for lst in committed for v in lst)
    assert allv == list(range(total))
    c.close()


def test_watch_abort_is_deterministic(server_factory):
    """Single-threaded WATCH sanity, so (5) cannot pass by never aborting."""
    srv = threaded_server(server_factory)
    a, b = BytesConn(srv.port), BytesConn(srv.port)
    assert a.call(b"SET", b"wk", b"1") == b"OK"
    assert a.call(b"WATCH", b"wk") == b"OK"
    assert b.call(b"SET", b"wk", b"2") == b"OK"
    a.send(enc(b"MULTI") + enc(b"SET", b"wk", b"3") + enc(b"EXEC"))
    assert a.read() == b"OK"
    assert a.read() == b"QUEUED"
    assert a.read() is None
    assert a.call(b"GET", b"wk") == b"2"
    # Without a conflicting write the same sequence commits.
    assert a.call(b"WATCH", b"wk") == b"OK"
    a.send(enc(b"MULTI") + enc(b"SET", b"wk", b"4") + enc(b"EXEC"))
    assert [a.read(), a.read(), a.read()] == [b"OK", b"QUEUED", [b"OK"]]
    assert b.call(b"GET", b"wk") == b"4"
    a.close()
    b.close()
