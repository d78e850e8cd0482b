"""TTL expiry: lazy expiry on access, active expiry in the background,
expire times in the past, millisecond precision, INFO keyspace/stats.

Every expectation here was checked against redis-server 7.0.15
(CACHET_BIN=/usr/bin/redis-server).  Waits poll with a bounded deadline
instead of sleeping a fixed time where the outcome allows it.

Replies are read with resp.Wire (the `w` fixture, as in test_strings.py).
"""
import re
import time

import pytest

from resp import wait_until


def info_section(w, section):
    """INFO <section> as a list of lines (bytes), without the trailing CRLF."""
    text = w("INFO", section)
    assert isinstance(text, bytes), text
    assert text.endswith(b"\r\n"), text
    return text[:-2].split(b"\r\n")


def expired_keys(w):
    for line in info_section(w, "stats"):
        if line.startswith(b"expired_keys:"):
            return int(line.split(b":", 1)[1])
    raise AssertionError("INFO stats has no expired_keys field")


def set_volatile_keys(r, prefix, count, ms_low, ms_high, db=None):
    """SET `count` keys with PX spread over [ms_low, ms_high] (pipelined)."""
    if db is not None:
        r.execute_command("SELECT", db)
    p = r.pipeline(transaction=False)
    span = ms_high - ms_low + 1
    for i in range(count):
        p.execute_command("SET", "%s:%d" % (prefix, i), "x", "PX", ms_low + i % span)
    assert all(p.execute())
    if db is not None:
        r.execute_command("SELECT", 0)


# --------------------------------------------------------------------------
# lazy expiry: a key past its TTL is gone as soon as it is looked at

def test_get_after_px_expiry_is_nil(w):
    assert w("SET", "k", "v", "PX", 100) == "+OK"
    assert w("GET", "k") == b"v"
    time.sleep(0.2)
    assert w("GET", "k") is None


def test_exists_after_expiry_is_0(w):
    w("SET", "k", "v", "PX", 100)
    time.sleep(0.2)
    assert w("EXISTS", "k") == 0


def test_ttl_and_pttl_after_expiry_are_minus_2(w):
    w("SET", "k", "v", "PX", 100)
    time.sleep(0.2)
    assert w("TTL", "k") == -2
    assert w("PTTL", "k") == -2
    assert w("EXPIRETIME", "k") == -2


def test_type_after_expiry_is_none(w):
    w("SET", "k", "v", "PX", 100)
    time.sleep(0.2)
    assert w("TYPE", "k") == "+none"


def test_mget_after_expiry(w):
    w("SET", "gone", "1", "PX", 100)
    w("SET", "kept", "2")
    time.sleep(0.2)
    assert w("MGET", "gone", "kept") == [None, b"2"]


def test_keys_does_not_list_expired_keys(w):
    w("SET", "gone", "1", "PX", 100)
    w("SET", "kept", "2")
    time.sleep(0.2)
    assert w("KEYS", "*") == [b"kept"]


def test_scan_does_not_return_expired_keys(w):
    w("SET", "gone", "1", "PX", 100)
    w("SET", "kept", "2")
    time.sleep(0.2)
    assert w("SCAN", 0) == [b"0", [b"kept"]]


def test_setnx_on_expired_key_succeeds(w):
    w("SET", "k", "old", "PX", 100)
    time.sleep(0.2)
    assert w("SETNX", "k", "new") == 1
    assert w("GET", "k") == b"new"
    assert w("TTL", "k") == -1


def test_set_xx_on_expired_key_does_nothing(w):
    w("SET", "k", "old", "PX", 100)
    time.sleep(0.2)
    assert w("SET", "k", "new", "XX") is None
    assert w("EXISTS", "k") == 0


def test_incr_on_expired_key_starts_from_zero(w):
    w("SET", "n", "41", "PX", 100)
    time.sleep(0.2)
    assert w("INCR", "n") == 1
    assert w("TTL", "n") == -1


def test_append_on_expired_key_starts_empty(w):
    w("SET", "k", "old", "PX", 100)
    time.sleep(0.2)
    assert w("APPEND", "k", "new") == 3
    assert w("GET", "k") == b"new"


def test_rename_of_expired_key_is_no_such_key(w):
    w("SET", "k", "v", "PX", 100)
    time.sleep(0.2)
    assert w("RENAME", "k", "k2") == "-ERR no such key"


def test_persist_on_expired_key_returns_0(w):
    w("SET", "k", "v", "PX", 100)
    time.sleep(0.2)
    assert w("PERSIST", "k") == 0
    assert w("EXISTS", "k") == 0


def test_expire_on_expired_key_returns_0(w):
    w("SET", "k", "v", "PX", 100)
    time.sleep(0.2)
    assert w("EXPIRE", "k", 100) == 0
    assert w("EXISTS", "k") == 0


def test_randomkey_when_every_key_has_expired_is_nil(w):
    for i in range(5):
        w("SET", "k%d" % i, "v", "PX", 100)
    time.sleep(0.2)
    assert w("RANDOMKEY") is None


def test_lazy_expiry_counts_in_expired_keys(w):
    before = expired_keys(w)
    w("SET", "k", "v", "PX", 50)
    time.sleep(0.15)
    assert w("GET", "k") is None
    assert expired_keys(w) >= before + 1


# --------------------------------------------------------------------------
# expire times that are already in the past

@pytest.mark.parametrize("args", [
    ["EXPIRE", "k", "0"],
    ["EXPIRE", "k", "-1"],
    ["EXPIRE", "k", "-100000"],
    ["PEXPIRE", "k", "0"],
    ["PEXPIRE", "k", "-100"],
    ["EXPIREAT", "k", "0"],
    ["EXPIREAT", "k", "1"],
    ["PEXPIREAT", "k", "1"],
], ids=lambda a: " ".join(a))
def test_expire_in_the_past_deletes_key_and_returns_1(w, args):
    w("SET", "k", "v")
    assert w(*args) == 1
    assert w("EXISTS", "k") == 0
    assert w("GET", "k") is None
    assert w("DBSIZE") == 0


def test_expire_in_the_past_on_missing_key_returns_0(w):
    assert w("EXPIRE", "nokey", -1) == 0
    assert w("EXPIRE", "nokey", 0) == 0


def test_expireat_past_time_relative_to_now(w):
    w("SET", "k", "v")
    assert w("EXPIREAT", "k", int(time.time()) - 10) == 1
    assert w("EXISTS", "k") == 0


@pytest.mark.parametrize("opt, at", [("EXAT", 1), ("PXAT", 1)])
def test_set_with_past_absolute_time_replies_ok_and_stores_nothing(w, opt, at):
    assert w("SET", "k", "v", opt, at) == "+OK"
    assert w("EXISTS", "k") == 0
    assert w("GET", "k") is None


def test_set_with_past_exat_removes_existing_key(w):
    w("SET", "k", "old")
    assert w("SET", "k", "new", "EXAT", int(time.time()) - 10) == "+OK"
    assert w("EXISTS", "k") == 0


def test_set_get_with_past_pxat_returns_old_value_and_deletes(w):
    w("SET", "k", "old")
    assert w("SET", "k", "new", "PXAT", 1, "GET") == b"old"
    assert w("EXISTS", "k") == 0


def test_getex_with_past_pxat_returns_value_and_deletes(w):
    w("SET", "k", "v")
    assert w("GETEX", "k", "PXAT", 1) == b"v"
    assert w("EXISTS", "k") == 0


# --------------------------------------------------------------------------
# millisecond precision

def test_pttl_counts_down_in_milliseconds(w):
    w("SET", "k", "v", "PX", 1500)
    first = w("PTTL", "k")
    assert 1000 < first <= 1500
    time.sleep(0.3)
    second = w("PTTL", "k")
    assert 0 < second <= first - 290


def test_pexpire_key_lives_until_its_deadline_then_goes(w):
    t0 = time.monotonic()
    w("SET", "k", "v", "PX", 1000)
    time.sleep(0.5)
    assert w("EXISTS", "k") == 1                       # not expired early
    gone = wait_until(lambda: w("EXISTS", "k") == 0, timeout=3)
    assert gone
    assert time.monotonic() - t0 >= 0.99               # ... nor before 1000 ms


def test_pexpireat_in_near_future(w):
    w("SET", "k", "v")
    at = int(time.time() * 1000) + 1500
    assert w("PEXPIREAT", "k", at) == 1
    assert 1000 < w("PTTL", "k") <= 1500
    assert w("PEXPIRETIME", "k") == at


# --------------------------------------------------------------------------
# commands that keep or drop a TTL, observed through actual expiry

def test_getex_persist_keeps_key_past_its_old_deadline(w):
    w("SET", "k", "v", "PX", 100)
    assert w("GETEX", "k", "PERSIST") == b"v"
    time.sleep(0.25)
    assert w("GET", "k") == b"v"


def test_persist_keeps_key_past_its_old_deadline(w):
    w("SET", "k", "v", "PX", 100)
    assert w("PERSIST", "k") == 1
    time.sleep(0.25)
    assert w("GET", "k") == b"v"


def test_set_keepttl_value_still_expires(w):
    w("SET", "k", "v1", "PX", 150)
    w("SET", "k", "v2", "KEEPTTL")
    assert wait_until(lambda: w("GET", "k") is None, timeout=3)


def test_plain_set_drops_pending_expiry(w):
    w("SET", "k", "v1", "PX", 100)
    w("SET", "k", "v2")
    time.sleep(0.25)
    assert w("GET", "k") == b"v2"


def test_renamed_key_expires_with_the_old_deadline(w):
    w("SET", "k", "v", "PX", 150)
    w("RENAME", "k", "k2")
    assert wait_until(lambda: w("EXISTS", "k2") == 0, timeout=3)
    assert w("EXISTS", "k") == 0


# --------------------------------------------------------------------------
# active expiry: keys nobody touches still go away

def test_active_expiry_removes_untouched_keys(w, r):
    before = expired_keys(w)
    set_volatile_keys(r, "vol", 200, 100, 200)
    assert w("DBSIZE") == 200
    # Only DBSIZE is used to watch: it does not look keys up, so it cannot
    # expire them lazily.
    assert wait_until(lambda: w("DBSIZE") == 0, timeout=5), w("DBSIZE")
    assert expired_keys(w) >= before + 200


def test_active_expiry_keeps_keys_without_ttl(w, r):
    set_volatile_keys(r, "vol", 300, 100, 300)
    w("MSET", *[x for i in range(50) for x in ("keep:%d" % i, "v")])
    w("SET", "long", "v", "EX", 1000)
    assert w("DBSIZE") == 351
    assert wait_until(lambda: w("DBSIZE") == 51, timeout=5), w("DBSIZE")
    assert sorted(w("KEYS", "keep:*")) == sorted(b"keep:%d" % i for i in range(50))
    assert w("TTL", "keep:7") == -1
    assert w("EXISTS", "long") == 1


def test_active_expiry_in_non_default_db(w, r):
    set_volatile_keys(r, "vol", 100, 100, 200, db=5)
    assert any(line.startswith(b"db5:") for line in info_section(w, "keyspace"))
    assert wait_until(lambda: not any(line.startswith(b"db5:")
                                      for line in info_section(w, "keyspace")),
                      timeout=5)
    w("SELECT", 5)
    assert w("DBSIZE") == 0


@pytest.mark.slow
def test_active_expiry_of_10000_keys(w, r):
    before = expired_keys(w)
    set_volatile_keys(r, "vol", 10000, 200, 500)
    assert w("DBSIZE") == 10000
    assert wait_until(lambda: w("DBSIZE") == 0, timeout=6, interval=0.1), w("DBSIZE")
    assert expired_keys(w) >= before + 10000
    assert info_section(w, "keyspace") == [b"# Keyspace"]


# --------------------------------------------------------------------------
# INFO keyspace / stats

KEYSPACE_LINE = re.compile(rb"^db(\d+):keys=(\d+),expires=(\d+),avg_ttl=(\d+)$")


def keyspace(w):
    """{db: (keys, expires)} parsed from INFO keyspace (format is checked)."""
    lines = info_section(w, "keyspace")
    assert lines[0] == b"# Keyspace"
    out = {}
    for line in lines[1:]:
        m = KEYSPACE_LINE.match(line)
        assert m, "bad keyspace line %r" % line
        out[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    return out


def test_info_keyspace_empty_server_has_only_header(w):
    assert w("INFO", "keyspace") == b"# Keyspace\r\n"


def test_info_keyspace_line_format(w):
    w("MSET", "a", "1", "b", "2", "c", "3")
    w("EXPIRE", "a", 100)
    lines = info_section(w, "keyspace")
    assert lines[0] == b"# Keyspace"
    assert len(lines) == 2
    assert re.match(rb"^db0:keys=3,expires=1,avg_ttl=\d+$", lines[1]), lines[1]


def test_info_keyspace_lists_each_non_empty_db(w):
    w("SET", "a", "1")
    w("SELECT", 2)
    w("SET", "x", "1", "EX", 100)
    w("SET", "y", "1")
    w("SELECT", 0)
    assert keyspace(w) == {0: (1, 0), 2: (2, 1)}


def test_info_keyspace_expires_follows_ttl_changes(w):
    w("MSET", "a", "1", "b", "2")
    assert keyspace(w) == {0: (2, 0)}
    w("EXPIRE", "a", 100)
    w("PEXPIRE", "b", 100000)
    assert keyspace(w) == {0: (2, 2)}
    w("PERSIST", "a")
    assert keyspace(w) == {0: (2, 1)}
    w("SET", "b", "new")
    assert keyspace(w) == {0: (2, 0)}


def test_info_keyspace_drops_db_line_when_db_becomes_empty(w):
    w("SET", "a", "1")
    w("DEL", "a")
    assert w("INFO", "keyspace") == b"# Keyspace\r\n"


def test_info_stats_has_expired_keys_field(w):
    lines = info_section(w, "stats")
    assert lines[0] == b"# Stats"
    assert any(re.match(rb"^expired_keys:\d+$", line) for line in lines)
