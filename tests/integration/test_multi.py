"""Transactions: MULTI / EXEC / DISCARD / WATCH / UNWATCH.

Every expectation was checked against Redis 7.0.15
(CACHET_BIN=/usr/bin/redis-server).  Raw RESP is used where the exact reply
matters (+QUEUED, *-1 for an aborted EXEC); redis-py's pipeline and
transaction helpers are exercised at the end.
"""
import threading
import time

import pytest
import redis

from conftest import raw_command
from resp import Err, RawConn


EXECABORT = "EXECABORT Transaction discarded because of previous errors."


@pytest.fixture
def other(server, r):
    """A second raw connection: the "other client" that touches watched keys."""
    conn = RawConn(server.port)
    yield conn
    conn.close()


# --------------------------------------------------------------------------
# MULTI / EXEC / DISCARD
# --------------------------------------------------------------------------

def test_multi_exec_basic(c):
    assert c.cmd_raw("MULTI") == b"+OK\r\n"
    assert c.cmd_raw("SET", "a", "1") == b"+QUEUED\r\n"
    assert c.cmd_raw("INCR", "a") == b"+QUEUED\r\n"
    assert c.cmd_raw("GET", "a") == b"+QUEUED\r\n"
    assert c.cmd_raw("GET", "missing") == b"+QUEUED\r\n"
    assert c.cmd_raw("EXEC") == b"*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n"
    assert c.cmd("GET", "a") == b"2"


def test_empty_transaction(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd_raw("EXEC") == b"*0\r\n"


def test_queued_commands_not_visible_before_exec(c, other):
    c.cmd("MULTI")
    c.cmd("SET", "pending", "v")
    assert other.cmd("GET", "pending") is None
    assert c.cmd("EXEC") == ["OK"]
    assert other.cmd("GET", "pending") == b"v"


def test_exec_ends_transaction(c):
    c.cmd("MULTI")
    c.cmd("SET", "a", "1")
    c.cmd("EXEC")
    assert c.cmd_raw("SET", "b", "2") == b"+OK\r\n"     # not queued any more
    assert c.cmd("EXEC") == Err("ERR EXEC without MULTI")


def test_discard(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert c.cmd_raw("DISCARD") == b"+OK\r\n"
    assert c.cmd("GET", "a") is None                  # executed immediately, not queued
    assert c.cmd("EXEC") == Err("ERR EXEC without MULTI")


def test_exec_without_multi(c):
    assert c.cmd_raw("EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_discard_without_multi(c):
    assert c.cmd_raw("DISCARD") == b"-ERR DISCARD without MULTI\r\n"


def test_nested_multi(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert c.cmd_raw("MULTI") == b"-ERR MULTI calls can not be nested\r\n"
    # the nested MULTI is refused but does not poison the transaction
    assert c.cmd("EXEC") == ["OK"]
    assert c.cmd("GET", "a") == b"1"


def test_runtime_error_does_not_abort_other_commands(c):
    c.cmd("MULTI")
    c.cmd("SET", "a", "notanumber")
    c.cmd("INCR", "a")
    c.cmd("SET", "b", "2")
    c.cmd("SET", "k", "v", "EX", "0")
    c.cmd("SELECT", "99")
    c.cmd("INCR", "b")
    assert c.cmd_raw("EXEC") == (
        b"*6\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
        b"-ERR invalid expire time in 'set' command\r\n-ERR DB index is out of range\r\n:3\r\n")
    assert c.cmd("GET", "b") == b"3"
    assert c.cmd("GET", "a") == b"notanumber"


def test_unknown_command_aborts_transaction(c):
    c.cmd("MULTI")
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert c.cmd_raw("NOSUCHCMD", "x") == \
        b"-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n"
    assert c.cmd("SET", "b", "1") == "QUEUED"          # still queueing
    assert c.cmd_raw("EXEC") == b"-" + EXECABORT.encode() + b"\r\n"
    assert c.cmd("GET", "a") is None
    assert c.cmd("GET", "b") is None
    assert c.cmd("EXEC") == Err("ERR EXEC without MULTI")   # transaction is over


def test_arity_error_aborts_transaction(c):
    c.cmd("MULTI")
    c.cmd("SET", "a", "1")
    assert c.cmd("GET") == Err("ERR wrong number of arguments for 'get' command")
    assert c.cmd("EXEC") == Err(EXECABORT)
    assert c.cmd("GET", "a") is None


def test_discard_after_queue_error(c):
    c.cmd("MULTI")
    c.cmd("NOSUCHCMD")
    assert c.cmd("DISCARD") == "OK"
    assert c.cmd("PING") == "PONG"


def test_multi_arity(c):
    assert c.cmd("MULTI", "x") == Err("ERR wrong number of arguments for 'multi' command")


def test_exec_arity_error(c):
    # A rejected EXEC is reported as EXECABORT (even outside MULTI) ...
    assert c.cmd("EXEC", "x") == Err(
        "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")
    # ... and inside MULTI it discards the transaction.
    c.cmd("MULTI")
    c.cmd("SET", "a", "1")
    assert c.cmd("EXEC", "x") == Err(
        "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")
    assert c.cmd("EXEC") == Err("ERR EXEC without MULTI")
    assert c.cmd("GET", "a") is None


def test_discard_arity_error_inside_multi_poisons_transaction(c):
    c.cmd("MULTI")
    c.cmd("SET", "a", "1")
    assert c.cmd("DISCARD", "x") == Err("ERR wrong number of arguments for 'discard' command")
    assert c.cmd("EXEC") == Err(EXECABORT)
    assert c.cmd("GET", "a") is None


def test_select_inside_transaction_persists(c):
    c.cmd("MULTI")
    c.cmd("SELECT", 2)
    c.cmd("SET", "indb2", "v")
    assert c.cmd("EXEC") == ["OK", "OK"]
    assert c.cmd("GET", "indb2") == b"v"
    c.cmd("SELECT", 0)
    assert c.cmd("GET", "indb2") is None


def test_transaction_pipelined_in_one_write(server, r):
    data = (b"*1\r\n$5\r\nMULTI\r\n"
            b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n5\r\n"
            b"*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n"
            b"*1\r\n$4\r\nEXEC\r\n")
    assert raw_command(server.port, data) == \
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:6\r\n"
    assert r.get("x") == b"6"


def test_inline_transaction(server, r):
    out = raw_command(server.port, b"MULTI\r\nSET y 1\r\nEXEC\r\n")
    assert out == b"+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n"


# --------------------------------------------------------------------------
# WATCH / UNWATCH
# --------------------------------------------------------------------------

def _run_watched(c, key="k"):
    """MULTI; PING; EXEC on c, which has already WATCHed; return the EXEC reply."""
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("PING") == "QUEUED"
    return c.cmd("EXEC")


def test_watch_unchanged_key_executes(c, other):
    c.cmd("SET", "k", "v")
    assert c.cmd_raw("WATCH", "k") == b"+OK\r\n"
    other.cmd("GET", "k")                      # reads do not count
    other.cmd("SET", "unrelated", "1")
    assert _run_watched(c) == ["PONG"]


def test_watch_modified_key_aborts(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    other.cmd("SET", "k", "v2")
    c.cmd("MULTI")
    c.cmd("SET", "result", "1")
    assert c.cmd_raw("EXEC") == b"*-1\r\n"
    assert c.cmd("GET", "result") is None      # nothing from the transaction ran
    assert c.cmd("GET", "k") == b"v2"


def test_watch_same_value_still_aborts(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    other.cmd("SET", "k", "v")
    assert _run_watched(c) is None


def test_watch_missing_key_then_created(c, other):
    c.cmd("WATCH", "k")
    other.cmd("SET", "k", "v")
    assert _run_watched(c) is None


def test_watch_key_deleted(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    assert other.cmd("DEL", "k") == 1
    assert _run_watched(c) is None


def test_watch_del_of_missing_key_does_not_abort(c, other):
    c.cmd("WATCH", "k")
    assert other.cmd("DEL", "k") == 0
    assert _run_watched(c) == ["PONG"]


def test_watch_key_deleted_and_recreated(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    other.cmd("DEL", "k")
    other.cmd("SET", "k", "v")
    assert _run_watched(c) is None


def test_watch_key_expire_changed(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    assert other.cmd("EXPIRE", "k", 100) == 1
    assert _run_watched(c) is None


def test_watch_key_expires(c):
    c.cmd("SET", "k", "v", "PX", "100")
    c.cmd("WATCH", "k")
    time.sleep(0.4)
    assert _run_watched(c) is None


def test_watch_key_already_expired_before_watch(c):
    c.cmd("SET", "k", "v", "PX", "20")
    time.sleep(0.2)
    c.cmd("WATCH", "k")
    assert _run_watched(c) == ["PONG"]


def test_watch_flushall_aborts(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    other.cmd("FLUSHALL")
    assert _run_watched(c) is None


def test_watch_flushall_of_missing_key_does_not_abort(c, other):
    # FLUSHALL only touches watched keys that exist
    c.cmd("WATCH", "k")
    other.cmd("FLUSHALL")
    assert _run_watched(c) == ["PONG"]


def test_watch_flushdb_aborts(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    other.cmd("FLUSHDB")
    assert _run_watched(c) is None


def test_watch_swapdb_aborts(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    other.cmd("SWAPDB", 0, 1)
    assert _run_watched(c) is None


def test_watch_is_per_database(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")          # watches k in db 0
    other.cmd("SELECT", 1)
    other.cmd("SET", "k", "other-db")
    assert _run_watched(c) == ["PONG"]
    c.cmd("SELECT", 1)
    c.cmd("WATCH", "k")          # watches k in db 1
    other.cmd("SET", "k", "again")
    assert _run_watched(c) is None


def test_watch_own_modification_aborts(c):
    c.cmd("WATCH", "k")
    c.cmd("SET", "k", "mine")
    assert _run_watched(c) is None


def test_watch_several_keys_one_modified(c, other):
    c.cmd("MSET", "a", "1", "b", "2", "c", "3")
    assert c.cmd("WATCH", "a", "b", "c") == "OK"
    other.cmd("SET", "c", "changed")
    assert _run_watched(c) is None


def test_watch_multiple_calls_accumulate(c, other):
    c.cmd("WATCH", "a")
    c.cmd("WATCH", "b")
    other.cmd("SET", "a", "1")
    assert _run_watched(c) is None


def test_unwatch(c, other):
    c.cmd("SET", "k", "v")
    c.cmd("WATCH", "k")
    assert c.cmd_raw("UNWATCH") == b"+OK\r\n"
    other.cmd("SET", "k", "v2")
    assert _run_watched(c) == ["PONG"]


def test_unwatch_without_watch(c):
    assert c.cmd("UNWATCH") == "OK"
    assert c.cmd("UNWATCH", "x") == Err("ERR wrong number of arguments for 'unwatch' command")


def test_exec_clears_watches(c, other):
    c.cmd("WATCH", "k")
    assert _run_watched(c) == ["PONG"]
    other.cmd("SET", "k", "v")
    assert _run_watched(c) == ["PONG"]


def test_aborted_exec_clears_watches(c, other):
    c.cmd("WATCH", "k")
    other.cmd("SET", "k", "v")
    assert _run_watched(c) is None
    other.cmd("SET", "k", "v2")
    assert _run_watched(c) == ["PONG"]


def test_discard_clears_watches(c, other):
    c.cmd("WATCH", "k")
    c.cmd("MULTI")
    c.cmd("DISCARD")
    other.cmd("SET", "k", "v")
    assert _run_watched(c) == ["PONG"]


def test_watch_inside_multi(c, other):
    c.cmd("MULTI")
    c.cmd("SET", "a", "1")
    assert c.cmd_raw("WATCH", "k") == b"-ERR WATCH inside MULTI is not allowed\r\n"
    other.cmd("SET", "k", "v")           # k is not watched: the WATCH was refused
    assert c.cmd("EXEC") == ["OK"]        # and the refusal does not poison the transaction


def test_watch_arity(c):
    assert c.cmd("WATCH") == Err("ERR wrong number of arguments for 'watch' command")


def test_queue_error_wins_over_watch_abort(c, other):
    c.cmd("WATCH", "k")
    other.cmd("SET", "k", "v")
    c.cmd("MULTI")
    c.cmd("NOSUCHCMD")
    assert c.cmd("EXEC") == Err(EXECABORT)


def test_watch_is_per_connection(c, other, server):
    c.cmd("WATCH", "k")
    third = RawConn(server.port)
    try:
        third.cmd("MULTI")
        third.cmd("PING")
        other.cmd("SET", "k", "v")
        assert third.cmd("EXEC") == ["PONG"]     # third did not watch k
    finally:
        third.close()
    assert _run_watched(c) is None


def test_watch_optimistic_increment_concurrent(server, r):
    """Two clients doing WATCH/GET/MULTI/SET/EXEC retry loops never lose an update."""
    r.set("counter", 0)
    n_each = 100
    errors = []

    def worker():
        try:
            conn = RawConn(server.port)
            done = 0
            while done < n_each:
                conn.cmd("WATCH", "counter")
                val = int(conn.cmd("GET", "counter"))
                conn.cmd("MULTI")
                conn.cmd("SET", "counter", val + 1)
                if conn.cmd("EXEC") is not None:
                    done += 1
            conn.close()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert int(r.get("counter")) == 2 * n_each


# --------------------------------------------------------------------------
# redis-py pipeline / transaction helpers
# --------------------------------------------------------------------------

def test_redis_py_pipeline_transaction(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).incr("a").get("a").get("missing")
        assert pipe.execute() == [True, 2, b"2", None]
    assert r.get("a") == b"2"


def test_redis_py_pipeline_runtime_error(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", "x").incr("a").set("b", "y")
        results = pipe.execute(raise_on_error=False)
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], redis.ResponseError)
    assert "value is not an integer" in str(results[1])
    assert r.get("b") == b"y"


def test_redis_py_pipeline_runtime_error_raises(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", "x").incr("a").set("b", "y")
        with pytest.raises(redis.ResponseError):
            pipe.execute()
    assert r.get("b") == b"y"     # the other commands still ran


def test_redis_py_pipeline_queue_error_aborts(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1)
        pipe.execute_command("NOSUCHCMD")
        with pytest.raises(redis.ResponseError):
            pipe.execute()
    assert r.get("a") is None


def test_redis_py_pipeline_watch_error(server, r):
    r.set("k", "v")
    other = server.client()
    try:
        with r.pipeline(transaction=True) as pipe:
            pipe.watch("k")
            assert pipe.get("k") == b"v"          # immediate mode after WATCH
            other.set("k", "changed")
            pipe.multi()
            pipe.set("k", "mine")
            with pytest.raises(redis.WatchError):
                pipe.execute()
    finally:
        other.close()
    assert r.get("k") == b"changed"


def test_redis_py_transaction_helper(r):
    r.set("balance", 10)

    def debit(pipe):
        bal = int(pipe.get("balance"))
        pipe.multi()
        pipe.set("balance", bal - 3)

    assert r.transaction(debit, "balance") == [True]
    assert r.get("balance") == b"7"


def test_redis_py_transaction_helper_retries_after_conflict(server, r):
    r.set("counter", 0)
    other = server.client()
    attempts = []

    def incr(pipe):
        val = int(pipe.get("counter"))
        attempts.append(val)
        if len(attempts) == 1:
            other.incr("counter")                 # conflicting write on the first try
        pipe.multi()
        pipe.set("counter", val + 1)

    try:
        r.transaction(incr, "counter")
    finally:
        other.close()
    assert attempts == [0, 1]
    assert r.get("counter") == b"2"


def test_redis_py_transaction_value_from_callable(r):
    r.set("x", 5)

    def read_x(pipe):
        v = int(pipe.get("x"))
        pipe.multi()
        pipe.incr("x")
        return v * 10

    assert r.transaction(read_x, "x", value_from_callable=True) == 50
    assert r.get("x") == b"6"
