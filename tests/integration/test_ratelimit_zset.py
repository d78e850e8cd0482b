"""The sliding-window rate limiter from the common Redis guides (issue 3),
unchanged: per request, one MULTI/EXEC pipeline of

    ZREMRANGEBYSCORE key 0 now-window   (forget requests older than the window)
    ZADD key now member                 (record this one; members are unique)
    ZCARD key                           (requests in the window, this one included)
    EXPIRE key window                   (let an idle key go)

and the request is admitted when the ZCARD result is <= the limit.  Because
EXEC runs the four commands atomically, the n-th request of a window sees
ZCARD == n, so exactly `limit` requests get in however many clients race.

Passes against redis-server 7.0.15 too (CACHET_BIN=/usr/bin/redis-server).
"""
import threading
import time

LIMIT = 100
THREADS = 8


def request(client, key, member, window_ms, limit=LIMIT):
    now = int(time.time() * 1000)
    pipe = client.pipeline(transaction=True)
    pipe.zremrangebyscore(key, 0, now - window_ms)
    pipe.zadd(key, {member: now})
    pipe.zcard(key)
    pipe.expire(key, max(1, window_ms // 1000))
    _, added, card, _ = pipe.execute()
    assert added == 1  # every member is new
    return card <= limit


def test_sliding_window_admits_exactly_the_limit(server, r):
    key = "ratelimit:user:42"
    window_ms = 10000
    run_for = 2.0  # well inside one window
    admitted = [0] * THREADS
    attempts = [0] * THREADS
    errors = []
    barrier = threading.Barrier(THREADS)

    def client_thread(i):
        c = server.client()  # each thread its own connection
        try:
            barrier.wait()
            deadline = time.monotonic() + run_for
            n = 0
            while time.monotonic() < deadline:
                if request(c, key, "t%d-req%d" % (i, n), window_ms):
                    admitted[i] += 1
                attempts[i] += 1
                n += 1
        except Exception as e:  # surfaced below, not lost in the thread
            errors.append(e)
        finally:
            c.connection_pool.disconnect()

    started = time.time()
    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.time() - started
    assert not errors, errors
    assert elapsed * 1000 < window_ms, "the run must fit in one window"
    assert sum(attempts) > 2 * LIMIT, attempts  # the limit was really contended
    assert all(a > 0 for a in attempts), attempts
    assert sum(admitted) == LIMIT, (admitted, attempts)
    # every request was recorded, admitted or not
    assert r.zcard(key) == sum(attempts)
    assert 0 < r.ttl(key) <= window_ms // 1000


def test_window_slides(server, r):
    """Once the window has passed, the old requests are trimmed and new ones
    are admitted again."""
    key = "ratelimit:slide"
    window_ms, limit = 1000, 5
    c = server.client()
    try:
        got = [request(c, key, "a%d" % i, window_ms, limit) for i in range(limit + 3)]
        assert got == [True] * limit + [False] * 3
        time.sleep(window_ms / 1000.0 + 0.1)
        assert request(c, key, "b0", window_ms, limit)
        assert r.zcard(key) == 1
    finally:
        c.connection_pool.disconnect()
