"""Big collections are freed off the request path: DEL, UNLINK, FLUSHALL
(ASYNC or not), FLUSHDB, overwrite and expiry hand a value of more than 64
elements to the background thread (INFO lazyfreed_objects counts them),
while small ones are freed inline; memory is given back either way.
Cachet-only: Redis frees DEL synchronously (lazyfree-lazy-user-del no).
"""
import time

import pytest

from conftest import IS_REDIS

pytestmark = pytest.mark.skipif(IS_REDIS, reason="Cachet's lazyfree accounting")


def lazyfreed(r):
    return int(r.info("memory")["lazyfreed_objects"])


def wait_freed(r, want, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if lazyfreed(r) >= want and int(r.info("memory")["lazyfree_pending_objects"]) == 0:
            return
        time.sleep(0.01)
    raise AssertionError("lazyfreed_objects stayed below %d" % want)


def fill(r, kind, key, n):
    p = r.pipeline(transaction=False)
    for i in range(0, n, 1000):
        chunk = range(i, min(n, i + 1000))
        if kind == "hash":
            p.hset(key, mapping={"f%d" % j: "v" for j in chunk})
        elif kind == "list":
            p.rpush(key, *["e%d" % j for j in chunk])
        elif kind == "set":
            p.sadd(key, *["m%d" % j for j in chunk])
    p.execute()


@pytest.mark.parametrize("kind", ["hash", "list", "set"])
@pytest.mark.parametrize("how", ["del", "unlink", "flushall", "flushall_async", "flushdb",
                                 "overwrite", "expire"])
def test_big_values_are_freed_in_the_background(r, kind, how):
    base_mem = int(r.info("memory")["used_memory"])
    before = lazyfreed(r)
    fill(r, kind, "big", 200000)
    fill(r, kind, "small", 10)
    assert int(r.info("memory")["used_memory"]) > base_mem + 1000000
    if how == "del":
        assert r.delete("big", "small") == 2
    elif how == "unlink":
        assert r.unlink("big", "small") == 2
    elif how == "flushall":
        r.flushall()
    elif how == "flushall_async":
        r.flushall(asynchronous=True)
    elif how == "flushdb":
        r.flushdb()
    elif how == "overwrite":
        r.set("big", "now a string")
        r.delete("small")
    elif how == "expire":
        r.pexpire("big", 1)
        r.delete("small")
        time.sleep(0.01)
        assert r.exists("big") == 0  # lazily expired on access
    wait_freed(r, before + 1)
    assert lazyfreed(r) == before + 1  # the small one was freed inline
    r.delete("big")
    assert int(r.info("memory")["used_memory"]) < base_mem + 200000


def test_the_server_answers_while_a_huge_value_is_freed(r):
    fill(r, "hash", "huge", 1000000)
    r.delete("huge")
    assert r.ping()  # answered without waiting for the free
    wait_freed(r, 1)
