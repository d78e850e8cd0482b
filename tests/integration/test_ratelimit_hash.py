"""The token-bucket rate limiter from common Redis guides, run unchanged.

A bucket is a hash {tokens, ts}.  Each request does, on its own connection:

    WATCH bucket
    HMGET bucket tokens ts              -> refill in the client:
                                           tokens = min(cap, tokens + elapsed * rate)
    MULTI
    HSET bucket tokens <t - 1 or t> ts <now>
    EXPIRE bucket <ttl>
    EXEC                                -> nil: someone else won, retry

Eight client threads (eight connections, so several server workers) hammer
the same buckets; the admitted total must be exactly the bucket's capacity
per window: WATCH/EXEC must make the read-compute-write atomic.  The clock
is the client's (as in the guides); one test uses the real clock with a
refill too slow to matter, the other a shared fake clock so whole and half
windows can be crossed exactly.
"""
import threading
import time

import redis

THREADS = 8


class TokenBucket(object):
    """The guide's limiter: `capacity` requests per `window_ms`."""

    def __init__(self, client, capacity, window_ms, clock):
        self.r = client
        self.capacity = capacity
        self.rate = capacity / window_ms  # tokens per ms
        self.ttl = max(1, window_ms * 2 // 1000)
        self.clock = clock
        self.retries = 0

    def allow(self, key):
        with self.r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    tokens, ts = pipe.hmget(key, "tokens", "ts")
                    now = self.clock()
                    if tokens is None:
                        tokens, ts = float(self.capacity), now
                    else:
                        tokens, ts = float(tokens), int(ts)
                    tokens = min(self.capacity, tokens + (now - ts) * self.rate)
                    allowed = tokens >= 1
                    if allowed:
                        tokens -= 1
                    pipe.multi()
                    pipe.hset(key, mapping={"tokens": repr(tokens), "ts": now})
                    pipe.expire(key, self.ttl)
                    pipe.execute()
                    return allowed
                except redis.WatchError:
                    self.retries += 1


def hammer(server, keys, attempts_per_thread, capacity, window_ms, clock):
    """Run THREADS threads, each with its own connection, making
    attempts_per_thread requests round-robin over keys; return the admitted
    count per key and the number of WATCH retries."""
    admitted = {k: 0 for k in keys}
    lock = threading.Lock()
    retries = [0]
    start = threading.Barrier(THREADS)
    errors = []

    def worker(n):
        client = server.client()
        bucket = TokenBucket(client, capacity, window_ms, clock)
        mine = {k: 0 for k in keys}
        try:
            start.wait()
            for i in range(attempts_per_thread):
                key = keys[(i + n) % len(keys)]
                if bucket.allow(key):
                    mine[key] += 1
        except Exception as e:  # surfaced by the main thread
            errors.append(e)
        finally:
            client.connection_pool.disconnect()
        with lock:
            for k in keys:
                admitted[k] += mine[k]
            retries[0] += bucket.retries

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errors, errors
    return admitted, retries[0]


def test_token_bucket_admits_exactly_capacity_real_clock(server, r):
    # 50 per hour: the refill during a test of a few seconds is < 0.1 token
    capacity, window_ms = 50, 3600 * 1000
    keys = ["rl:user:1", "rl:user:2", "rl:user:3"]
    admitted, retries = hammer(server, keys, 60, capacity, window_ms,
                               lambda: int(time.time() * 1000))
    assert admitted == {k: capacity for k in keys}
    assert retries > 0  # the threads really did contend
    for k in keys:
        assert 0 < r.ttl(k) <= 7200
        assert float(r.hget(k, "tokens")) < 1


def test_token_bucket_refills_per_window(server, r):
    capacity, window_ms = 20, 10000
    now = [1000000]
    clock = lambda: now[0]  # noqa: E731 - the shared fake clock
    keys = ["rl:a", "rl:b"]

    # a fresh bucket: exactly `capacity` of 8 x 15 attempts per key
    admitted, _ = hammer(server, keys, 30, capacity, window_ms, clock)
    assert admitted == {k: capacity for k in keys}

    # a whole window later the bucket is full again, and no fuller
    now[0] += window_ms * 3
    admitted, _ = hammer(server, keys, 30, capacity, window_ms, clock)
    assert admitted == {k: capacity for k in keys}

    # half a window refills half the bucket
    now[0] += window_ms // 2
    admitted, _ = hammer(server, keys, 30, capacity, window_ms, clock)
    assert admitted == {k: capacity // 2 for k in keys}

    # no time passes: nothing more
    admitted, _ = hammer(server, keys, 10, capacity, window_ms, clock)
    assert admitted == {k: 0 for k in keys}
    for k in keys:
        assert r.type(k) == b"hash"
        assert r.ttl(k) > 0
