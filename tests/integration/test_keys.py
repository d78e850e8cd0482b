"""KEY commands: exact Redis 7.0 replies and error texts.

Every expectation here was checked against redis-server 7.0.15
(CACHET_BIN=/usr/bin/redis-server).

Replies are read with resp.Wire (the `w` fixture, as in test_strings.py)
so that reply types and full error texts are visible: "+OK" for a simple
string, "-ERR no such key" for an error, bytes for a bulk string.
"""
import time

import pytest

from resp import NOT_INT, SYNTAX, Wire, arity, invalid_expire

NO_SUCH_KEY = "-ERR no such key"
SAME_OBJECT = "-ERR source and destination objects are the same"
DB_RANGE = "-ERR DB index is out of range"
NX_XX_GT_LT = "-ERR NX and XX, GT or LT options at the same time are not compatible"
GT_LT = "-ERR GT and LT options at the same time are not compatible"


def scan_all(w, *opts, between=None, max_calls=100000):
    """Iterate SCAN until cursor 0; return (list of keys seen, number of calls).

    `between(call_no)` is invoked after every call, e.g. to add keys."""
    cursor = b"0"
    seen = []
    calls = 0
    while True:
        reply = w("SCAN", cursor, *opts)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, keys = reply
        assert isinstance(cursor, bytes), "cursor must be a bulk string: %r" % (cursor,)
        assert isinstance(keys, list)
        seen.extend(keys)
        calls += 1
        if between is not None:
            between(calls)
        if cursor == b"0":
            return seen, calls
        assert calls < max_calls, "SCAN did not terminate"


# --------------------------------------------------------------------------
# DEL UNLINK

def test_del_counts_deleted_keys(w):
    w("MSET", "a", "1", "b", "2", "c", "3")
    assert w("DEL", "a", "b", "nokey") == 2
    assert w("EXISTS", "a", "b", "c") == 1


def test_del_missing_key_returns_0(w):
    assert w("DEL", "nokey") == 0


def test_del_duplicate_key_counted_once(w):
    w("SET", "a", "1")
    assert w("DEL", "a", "a") == 1


def test_del_removes_ttl_too(w):
    w("SET", "a", "1", "EX", 100)
    w("DEL", "a")
    w("SET", "a", "2")
    assert w("TTL", "a") == -1


def test_del_wrong_arity(w):
    assert w("DEL") == arity("del")


def test_unlink_counts_deleted_keys(w):
    w("MSET", "a", "1", "b", "2")
    assert w("UNLINK", "a", "nokey", "a", "b") == 2
    assert w("DBSIZE") == 0


def test_unlink_large_value(w):
    w("SETRANGE", "big", 5 * 1024 * 1024, "x")
    assert w("UNLINK", "big") == 1
    assert w("GET", "big") is None


def test_unlink_wrong_arity(w):
    assert w("UNLINK") == arity("unlink")


# --------------------------------------------------------------------------
# EXISTS TYPE DBSIZE

def test_exists_counts_each_argument_including_duplicates(w):
    w("SET", "a", "1")
    assert w("EXISTS", "a", "a", "nokey", "a") == 3


def test_exists_missing_key(w):
    assert w("EXISTS", "nokey") == 0


def test_exists_wrong_arity(w):
    assert w("EXISTS") == arity("exists")


def test_type_of_string_is_simple_string(w):
    w("SET", "a", "1")
    assert w("TYPE", "a") == "+string"


def test_type_of_missing_key_is_none(w):
    assert w("TYPE", "nokey") == "+none"


def test_type_wrong_arity(w):
    assert w("TYPE") == arity("type")
    assert w("TYPE", "a", "b") == arity("type")


def test_dbsize_counts_keys(w):
    assert w("DBSIZE") == 0
    w("MSET", "a", "1", "b", "2", "c", "3")
    assert w("DBSIZE") == 3
    w("DEL", "b")
    assert w("DBSIZE") == 2


def test_dbsize_wrong_arity(w):
    assert w("DBSIZE", "x") == arity("dbsize")


# --------------------------------------------------------------------------
# EXPIRE PEXPIRE EXPIREAT PEXPIREAT

def test_expire_sets_ttl(w):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100) == 1
    assert w("TTL", "a") == 100
    assert 99000 < w("PTTL", "a") <= 100000


def test_expire_missing_key_returns_0(w):
    assert w("EXPIRE", "nokey", 100) == 0
    assert w("EXISTS", "nokey") == 0


def test_expire_replaces_existing_ttl(w):
    w("SET", "a", "1", "EX", 100)
    assert w("EXPIRE", "a", 500) == 1
    assert w("TTL", "a") == 500


def test_pexpire_sets_ttl_in_ms(w):
    w("SET", "a", "1")
    assert w("PEXPIRE", "a", 100000) == 1
    assert 99000 < w("PTTL", "a") <= 100000


def test_expireat_sets_absolute_time(w):
    w("SET", "a", "1")
    at = int(time.time()) + 1000
    assert w("EXPIREAT", "a", at) == 1
    assert w("EXPIRETIME", "a") == at
    assert 998 <= w("TTL", "a") <= 1000


def test_pexpireat_sets_absolute_time(w):
    w("SET", "a", "1")
    at = int(time.time() * 1000) + 1000000
    assert w("PEXPIREAT", "a", at) == 1
    assert w("PEXPIRETIME", "a") == at


@pytest.mark.parametrize("args", [
    ["EXPIRE", "a", "9223372036854775807"],
    ["EXPIRE", "a", "9223372036854775"],
    ["EXPIRE", "a", "-9223372036854775808"],
    ["EXPIREAT", "a", "9223372036854775807"],
    ["PEXPIRE", "a", "9223372036854775807"],
    ["PEXPIRE", "a", "9223372036854775000"],
], ids=lambda a: " ".join(a))
def test_expire_overflow_is_invalid_expire_time(w, args):
    w("SET", "a", "1")
    assert w(*args) == invalid_expire(args[0].lower())
    assert w("TTL", "a") == -1


def test_pexpireat_far_future_is_accepted(w):
    w("SET", "a", "1")
    assert w("PEXPIREAT", "a", 9223372036854775807) == 1
    assert w("PEXPIRETIME", "a") == 9223372036854775807


@pytest.mark.parametrize("value", ["abc", "1.5", "", " 10", "+10", "010"])
def test_expire_non_integer(w, value):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", value) == NOT_INT


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_family_wrong_arity(w, cmd):
    assert w(cmd, "a") == arity(cmd.lower())
    assert w(cmd) == arity(cmd.lower())


# NX XX GT LT

def test_expire_nx_only_when_no_ttl(w):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100, "NX") == 1
    assert w("EXPIRE", "a", 200, "NX") == 0
    assert w("TTL", "a") == 100


def test_expire_xx_only_when_ttl_exists(w):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100, "XX") == 0
    assert w("TTL", "a") == -1
    w("EXPIRE", "a", 100)
    assert w("EXPIRE", "a", 200, "XX") == 1
    assert w("TTL", "a") == 200


def test_expire_gt_only_when_greater(w):
    w("SET", "a", "1", "EX", 100)
    assert w("EXPIRE", "a", 50, "GT") == 0
    assert w("TTL", "a") == 100
    assert w("EXPIRE", "a", 300, "GT") == 1
    assert w("TTL", "a") == 300


def test_expire_gt_and_lt_with_equal_time_do_nothing(w):
    w("SET", "a", "1", "PXAT", 4000000000123)
    assert w("PEXPIREAT", "a", 4000000000123, "GT") == 0
    assert w("PEXPIREAT", "a", 4000000000123, "LT") == 0
    assert w("PEXPIRETIME", "a") == 4000000000123


def test_expire_lt_only_when_less(w):
    w("SET", "a", "1", "EX", 100)
    assert w("EXPIRE", "a", 400, "LT") == 0
    assert w("TTL", "a") == 100
    assert w("EXPIRE", "a", 50, "LT") == 1
    assert w("TTL", "a") == 50


def test_expire_gt_on_persistent_key_fails(w):
    # a key without TTL counts as an infinite TTL
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100, "GT") == 0
    assert w("TTL", "a") == -1


def test_expire_lt_on_persistent_key_succeeds(w):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100, "LT") == 1
    assert w("TTL", "a") == 100


def test_expire_xx_gt_combination_is_allowed(w):
    w("SET", "a", "1", "EX", 100)
    assert w("EXPIRE", "a", 200, "XX", "GT") == 1
    assert w("TTL", "a") == 200


def test_expire_options_are_case_insensitive(w):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100, "nX") == 1


def test_expire_repeated_option_is_allowed(w):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100, "NX", "NX") == 1


def test_pexpire_with_gt(w):
    w("SET", "a", "1", "PX", 100000)
    assert w("PEXPIRE", "a", 200000, "GT") == 1
    assert 199000 < w("PTTL", "a") <= 200000


def test_expireat_with_gt_on_persistent_key(w):
    w("SET", "a", "1")
    assert w("EXPIREAT", "a", 4000000000, "GT") == 0
    assert w("TTL", "a") == -1


def test_pexpireat_with_lt_on_persistent_key(w):
    w("SET", "a", "1")
    assert w("PEXPIREAT", "a", 4000000000000, "LT") == 1
    assert w("PEXPIRETIME", "a") == 4000000000000


def test_expire_lt_in_the_past_deletes(w):
    w("SET", "a", "1", "EX", 100)
    assert w("EXPIRE", "a", -1, "LT") == 1
    assert w("EXISTS", "a") == 0


def test_expire_gt_in_the_past_does_nothing(w):
    w("SET", "a", "1", "EX", 100)
    assert w("EXPIRE", "a", -1, "GT") == 0
    assert w("EXISTS", "a") == 1


@pytest.mark.parametrize("opts", [
    ["NX", "XX"], ["NX", "GT"], ["NX", "LT"], ["nx", "xx"], ["GT", "LT", "NX"],
], ids=lambda o: " ".join(o))
@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_nx_with_other_option_is_incompatible(w, cmd, opts):
    w("SET", "a", "1")
    assert w(cmd, "a", 100, *opts) == NX_XX_GT_LT
    assert w("TTL", "a") == -1


@pytest.mark.parametrize("opts", [["GT", "LT"], ["LT", "GT"], ["XX", "GT", "LT"]],
                         ids=lambda o: " ".join(o))
def test_expire_gt_with_lt_is_incompatible(w, opts):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100, *opts) == GT_LT


def test_expire_incompatible_options_checked_on_missing_key(w):
    assert w("EXPIRE", "nokey", 100, "NX", "XX") == NX_XX_GT_LT


def test_expire_options_checked_before_the_number(w):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", "abc", "NX", "XX") == NX_XX_GT_LT


def test_expire_unsupported_option(w):
    w("SET", "a", "1")
    assert w("EXPIRE", "a", 100, "FOO") == "-ERR Unsupported option FOO"
    assert w("EXPIRE", "a", 100, "foo") == "-ERR Unsupported option foo"


# --------------------------------------------------------------------------
# TTL PTTL EXPIRETIME PEXPIRETIME PERSIST

def test_ttl_missing_key_is_minus_2(w):
    assert w("TTL", "nokey") == -2
    assert w("PTTL", "nokey") == -2


def test_ttl_persistent_key_is_minus_1(w):
    w("SET", "a", "1")
    assert w("TTL", "a") == -1
    assert w("PTTL", "a") == -1


def test_ttl_rounds_to_nearest_second(w):
    w("SET", "a", "1", "PX", 1800)
    w("SET", "b", "1", "PX", 1200)
    assert w("TTL", "a") == 2
    assert w("TTL", "b") == 1


def test_ttl_wrong_arity(w):
    assert w("TTL") == arity("ttl")
    assert w("PTTL") == arity("pttl")


def test_expiretime_missing_and_persistent(w):
    w("SET", "a", "1")
    assert w("EXPIRETIME", "nokey") == -2
    assert w("PEXPIRETIME", "nokey") == -2
    assert w("EXPIRETIME", "a") == -1
    assert w("PEXPIRETIME", "a") == -1


def test_expiretime_reports_seconds_and_ms(w):
    w("SET", "a", "1")
    w("EXPIREAT", "a", 4000000000)
    assert w("EXPIRETIME", "a") == 4000000000
    assert w("PEXPIRETIME", "a") == 4000000000000


def test_expiretime_rounds_to_nearest_second(w):
    w("SET", "a", "1", "PXAT", 4000000000499)
    w("SET", "b", "1", "PXAT", 4000000000500)
    assert w("EXPIRETIME", "a") == 4000000000
    assert w("EXPIRETIME", "b") == 4000000001
    assert w("PEXPIRETIME", "b") == 4000000000500


def test_expiretime_wrong_arity(w):
    assert w("EXPIRETIME") == arity("expiretime")
    assert w("PEXPIRETIME") == arity("pexpiretime")


def test_persist_removes_ttl(w):
    w("SET", "a", "1", "EX", 100)
    assert w("PERSIST", "a") == 1
    assert w("TTL", "a") == -1


def test_persist_on_persistent_key_returns_0(w):
    w("SET", "a", "1")
    assert w("PERSIST", "a") == 0


def test_persist_on_missing_key_returns_0(w):
    assert w("PERSIST", "nokey") == 0


def test_persist_wrong_arity(w):
    assert w("PERSIST") == arity("persist")


# --------------------------------------------------------------------------
# RENAME RENAMENX

def test_rename_moves_value(w):
    w("SET", "a", "1")
    assert w("RENAME", "a", "b") == "+OK"
    assert w("EXISTS", "a") == 0
    assert w("GET", "b") == b"1"


def test_rename_missing_key(w):
    assert w("RENAME", "nokey", "b") == NO_SUCH_KEY
    assert w("EXISTS", "b") == 0


def test_rename_missing_key_to_itself(w):
    assert w("RENAME", "nokey", "nokey") == NO_SUCH_KEY


def test_rename_to_itself_is_ok_and_keeps_ttl(w):
    w("SET", "a", "1", "PXAT", 4000000000123)
    assert w("RENAME", "a", "a") == "+OK"
    assert w("GET", "a") == b"1"
    assert w("PEXPIRETIME", "a") == 4000000000123


def test_rename_carries_ttl(w):
    w("SET", "a", "1", "PXAT", 4000000000123)
    w("RENAME", "a", "b")
    assert w("PEXPIRETIME", "b") == 4000000000123


def test_rename_overwrites_destination_and_its_ttl(w):
    w("SET", "a", "1")
    w("SET", "b", "2", "EX", 100)
    assert w("RENAME", "a", "b") == "+OK"
    assert w("GET", "b") == b"1"
    assert w("TTL", "b") == -1
    assert w("DBSIZE") == 1


def test_rename_wrong_arity(w):
    assert w("RENAME", "a") == arity("rename")
    assert w("RENAME", "a", "b", "c") == arity("rename")


def test_renamenx_to_missing_key(w):
    w("SET", "a", "1", "EX", 100)
    assert w("RENAMENX", "a", "b") == 1
    assert w("EXISTS", "a") == 0
    assert w("GET", "b") == b"1"
    assert 99 <= w("TTL", "b") <= 100


def test_renamenx_to_existing_key_does_nothing(w):
    w("SET", "a", "1")
    w("SET", "b", "2")
    assert w("RENAMENX", "a", "b") == 0
    assert w("MGET", "a", "b") == [b"1", b"2"]


def test_renamenx_to_itself_returns_0(w):
    w("SET", "a", "1")
    assert w("RENAMENX", "a", "a") == 0
    assert w("GET", "a") == b"1"


def test_renamenx_missing_key(w):
    assert w("RENAMENX", "nokey", "b") == NO_SUCH_KEY
    assert w("RENAMENX", "nokey", "nokey") == NO_SUCH_KEY


def test_renamenx_wrong_arity(w):
    assert w("RENAMENX", "a") == arity("renamenx")


# --------------------------------------------------------------------------
# SELECT and databases

def test_select_replies_ok(w):
    assert w("SELECT", 1) == "+OK"
    assert w("SELECT", 15) == "+OK"
    assert w("SELECT", 0) == "+OK"


@pytest.mark.parametrize("db", ["16", "-1"])
def test_select_out_of_range(w, db):
    assert w("SELECT", db) == DB_RANGE


def test_select_non_integer(w):
    assert w("SELECT", "abc") == NOT_INT


def test_select_wrong_arity(w):
    assert w("SELECT") == arity("select")


def test_keys_in_other_db_are_invisible(w):
    w("SELECT", 1)
    w("SET", "a", "in-db1")
    w("SELECT", 0)
    assert w("GET", "a") is None
    assert w("EXISTS", "a") == 0
    assert w("DBSIZE") == 0
    assert w("KEYS", "*") == []
    assert w("RANDOMKEY") is None
    assert w("SCAN", 0) == [b"0", []]


def test_same_key_name_in_two_dbs_is_independent(w):
    w("SET", "a", "zero")
    w("SELECT", 1)
    w("SET", "a", "one", "EX", 100)
    w("SELECT", 0)
    assert w("GET", "a") == b"zero"
    assert w("TTL", "a") == -1
    w("DEL", "a")
    w("SELECT", 1)
    assert w("GET", "a") == b"one"


def test_selected_db_is_per_connection(w, server):
    other = Wire(server.port)
    try:
        assert other("SELECT", 3) == "+OK"
        assert other("SET", "a", "db3") == "+OK"
        assert w("GET", "a") is None
        w("SET", "a", "db0")
        assert other("GET", "a") == b"db3"
        assert w("DBSIZE") == 1
        assert other("DBSIZE") == 1
    finally:
        other.close()


# --------------------------------------------------------------------------
# MOVE

def test_move_to_other_db(w):
    w("SET", "a", "1")
    assert w("MOVE", "a", 1) == 1
    assert w("EXISTS", "a") == 0
    w("SELECT", 1)
    assert w("GET", "a") == b"1"


def test_move_carries_ttl(w):
    w("SET", "a", "1", "PXAT", 4000000000123)
    w("MOVE", "a", 2)
    w("SELECT", 2)
    assert w("PEXPIRETIME", "a") == 4000000000123


def test_move_missing_key_returns_0(w):
    assert w("MOVE", "nokey", 1) == 0


def test_move_when_target_exists_returns_0_and_changes_nothing(w):
    w("SELECT", 1)
    w("SET", "a", "target")
    w("SELECT", 0)
    w("SET", "a", "source")
    assert w("MOVE", "a", 1) == 0
    assert w("GET", "a") == b"source"
    w("SELECT", 1)
    assert w("GET", "a") == b"target"


def test_move_to_same_db(w):
    w("SET", "a", "1")
    assert w("MOVE", "a", 0) == SAME_OBJECT
    assert w("MOVE", "nokey", 0) == SAME_OBJECT


def test_move_to_same_db_after_select(w):
    w("SELECT", 4)
    w("SET", "a", "1")
    assert w("MOVE", "a", 4) == SAME_OBJECT
    assert w("MOVE", "a", 0) == 1


@pytest.mark.parametrize("db", ["16", "-1", "100"])
def test_move_db_out_of_range(w, db):
    w("SET", "a", "1")
    assert w("MOVE", "a", db) == DB_RANGE


def test_move_db_not_integer(w):
    w("SET", "a", "1")
    assert w("MOVE", "a", "abc") == NOT_INT


def test_move_wrong_arity(w):
    assert w("MOVE", "a") == arity("move")


# --------------------------------------------------------------------------
# COPY

def test_copy_to_new_key(w):
    w("SET", "a", "1")
    assert w("COPY", "a", "b") == 1
    assert w("MGET", "a", "b") == [b"1", b"1"]


def test_copy_is_independent_of_source(w):
    w("SET", "a", "hello")
    w("COPY", "a", "b")
    w("APPEND", "a", " world")
    w("SETRANGE", "b", 0, "J")
    assert w("GET", "a") == b"hello world"
    assert w("GET", "b") == b"Jello"


def test_copy_carries_ttl(w):
    w("SET", "a", "1", "PXAT", 4000000000123)
    w("COPY", "a", "b")
    assert w("PEXPIRETIME", "b") == 4000000000123
    assert w("PEXPIRETIME", "a") == 4000000000123


def test_copy_to_existing_key_without_replace_returns_0(w):
    w("SET", "a", "1")
    w("SET", "b", "2")
    assert w("COPY", "a", "b") == 0
    assert w("GET", "b") == b"2"


def test_copy_replace_overwrites_value_and_ttl(w):
    w("SET", "a", "1")
    w("SET", "b", "2", "EX", 100)
    assert w("COPY", "a", "b", "REPLACE") == 1
    assert w("GET", "b") == b"1"
    assert w("TTL", "b") == -1


def test_copy_missing_source_returns_0(w):
    assert w("COPY", "nokey", "b") == 0
    assert w("EXISTS", "b") == 0


def test_copy_to_other_db(w):
    w("SET", "a", "1", "EX", 100)
    assert w("COPY", "a", "b", "DB", 3) == 1
    assert w("EXISTS", "b") == 0
    w("SELECT", 3)
    assert w("GET", "b") == b"1"
    assert 99 <= w("TTL", "b") <= 100


def test_copy_same_name_to_other_db(w):
    w("SET", "a", "1")
    assert w("COPY", "a", "a", "DB", 3) == 1
    w("SELECT", 3)
    assert w("GET", "a") == b"1"


def test_copy_to_other_db_existing_key(w):
    w("SELECT", 3)
    w("SET", "b", "old")
    w("SELECT", 0)
    w("SET", "a", "new")
    assert w("COPY", "a", "b", "DB", 3) == 0
    assert w("COPY", "a", "b", "DB", 3, "REPLACE") == 1
    w("SELECT", 3)
    assert w("GET", "b") == b"new"


def test_copy_to_itself(w):
    w("SET", "a", "1")
    assert w("COPY", "a", "a") == SAME_OBJECT
    assert w("COPY", "a", "a", "DB", 0) == SAME_OBJECT
    assert w("COPY", "nokey", "nokey") == SAME_OBJECT


@pytest.mark.parametrize("db", ["16", "-1"])
def test_copy_db_out_of_range(w, db):
    w("SET", "a", "1")
    assert w("COPY", "a", "b", "DB", db) == DB_RANGE


def test_copy_db_not_integer(w):
    w("SET", "a", "1")
    assert w("COPY", "a", "b", "DB", "abc") == NOT_INT


@pytest.mark.parametrize("opts", [["FOO"], ["DB"], ["REPLACE", "FOO"]],
                         ids=lambda o: " ".join(o))
def test_copy_syntax_error(w, opts):
    w("SET", "a", "1")
    assert w("COPY", "a", "b", *opts) == SYNTAX
    assert w("EXISTS", "b") == 0


def test_copy_wrong_arity(w):
    assert w("COPY", "a") == arity("copy")


# --------------------------------------------------------------------------
# KEYS

GLOB_KEYS = [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"hillo",
             b"hbllo", b"h-llo", b"h*llo", b"h?llo", b"h[a]llo", b"h\\llo"]


@pytest.mark.parametrize("pattern, expected", [
    ("*", GLOB_KEYS),
    ("h?llo", [b"hello", b"hallo", b"hxllo", b"hillo", b"hbllo", b"h-llo",
               b"h*llo", b"h?llo", b"h\\llo"]),
    ("h*llo", GLOB_KEYS),
    ("h*", GLOB_KEYS),
    ("*ll*", GLOB_KEYS),
    ("he*", [b"hello", b"heeeello"]),
    ("h[ae]llo", [b"hello", b"hallo"]),
    ("h[^e]llo", [b"hallo", b"hxllo", b"hillo", b"hbllo", b"h-llo",
                  b"h*llo", b"h?llo", b"h\\llo"]),
    ("h[a-c]llo", [b"hallo", b"hbllo"]),
    ("h[c-a]llo", [b"hallo", b"hbllo"]),          # reversed range still works
    ("h[!e]llo", [b"hello"]),                       # '!' is not negation
    ("h[\\-]llo", [b"h-llo"]),
    ("h\\*llo", [b"h*llo"]),
    ("h\\?llo", [b"h?llo"]),
    ("h\\[a\\]llo", [b"h[a]llo"]),
    ("h\\\\llo", [b"h\\llo"]),
    ("hello", [b"hello"]),
    ("HELLO", []),
    ("nomatch*", []),
    ("h???llo", [b"h[a]llo"]),
])
def test_keys_glob_patterns(w, pattern, expected):
    w("MSET", *[x for k in GLOB_KEYS for x in (k, "1")])
    assert sorted(w("KEYS", pattern)) == sorted(expected)


def test_keys_on_empty_db(w):
    assert w("KEYS", "*") == []


def test_keys_wrong_arity(w):
    assert w("KEYS") == arity("keys")
    assert w("KEYS", "a", "b") == arity("keys")


# --------------------------------------------------------------------------
# SCAN

def test_scan_empty_db(w):
    assert w("SCAN", 0) == [b"0", []]


def test_scan_returns_every_key_at_least_once(w):
    keys = {b"key:%d" % i for i in range(1000)}
    w("MSET", *[x for k in sorted(keys) for x in (k, "v")])
    seen, calls = scan_all(w, "COUNT", 10)
    assert set(seen) == keys
    assert calls > 1   # COUNT 10 over 1000 keys cannot be one call


def test_scan_default_count_covers_all_keys(w):
    keys = {b"k%d" % i for i in range(100)}
    w("MSET", *[x for k in sorted(keys) for x in (k, "v")])
    seen, _ = scan_all(w)
    assert set(seen) == keys


def test_scan_keys_added_during_iteration_do_not_hide_existing_ones(w):
    original = {b"old:%d" % i for i in range(500)}
    w("MSET", *[x for k in sorted(original) for x in (k, "v")])

    def add_keys(call_no):
        if call_no <= 5:   # grow the table while the scan is running
            w("MSET", *[x for i in range(300) for x in (b"new:%d:%d" % (call_no, i), "v")])

    seen, _ = scan_all(w, "COUNT", 20, between=add_keys)
    assert original <= set(seen)
    added = {b"new:%d:%d" % (c, i) for c in range(1, 6) for i in range(300)}
    assert set(seen) <= original | added


def test_scan_keys_deleted_during_iteration_do_not_hide_others(w):
    keep = {b"keep:%d" % i for i in range(300)}
    drop = [b"drop:%d" % i for i in range(700)]
    w("MSET", *[x for k in sorted(keep) + drop for x in (k, "v")])

    def delete_keys(call_no):
        if call_no <= 7:   # shrink the table while the scan is running
            w("DEL", *drop[(call_no - 1) * 100:call_no * 100])

    seen, _ = scan_all(w, "COUNT", 20, between=delete_keys)
    assert keep <= set(seen)


def test_scan_match(w):
    w("MSET", "user:1", "a", "user:2", "b", "order:1", "c", "user:10", "d")
    seen, _ = scan_all(w, "MATCH", "user:?")
    assert sorted(seen) == [b"user:1", b"user:2"]


def test_scan_match_over_many_keys(w):
    w("MSET", *[x for i in range(500) for x in (b"k:%d" % i, "v")])
    seen, _ = scan_all(w, "MATCH", "k:1*", "COUNT", 25)
    assert set(seen) == {b"k:%d" % i for i in range(500) if str(i).startswith("1")}


def test_scan_type_string(w):
    w("MSET", "a", "1", "b", "2", "c", "3")
    seen, _ = scan_all(w, "TYPE", "string")
    assert sorted(seen) == [b"a", b"b", b"c"]


def test_scan_type_list_finds_nothing(w):
    w("MSET", *[x for i in range(200) for x in (b"k:%d" % i, "v")])
    seen, _ = scan_all(w, "TYPE", "list", "COUNT", 50)
    assert seen == []


def test_scan_all_options_together(w):
    w("MSET", "a1", "1", "a2", "2", "b1", "3")
    seen, _ = scan_all(w, "MATCH", "a*", "COUNT", 10, "TYPE", "string")
    assert sorted(seen) == [b"a1", b"a2"]


def test_scan_options_are_case_insensitive(w):
    w("MSET", "a1", "1", "b1", "2")
    seen, _ = scan_all(w, "match", "a*", "count", 5, "type", "STRING")
    assert seen == [b"a1"]


def test_scan_does_not_return_other_dbs_keys(w):
    w("SET", "zero", "1")
    w("SELECT", 1)
    w("SET", "one", "1")
    seen, _ = scan_all(w)
    assert seen == [b"one"]


@pytest.mark.parametrize("cursor", ["abc", "1.5", "18446744073709551616", " 1", "1 "])
def test_scan_invalid_cursor(w, cursor):
    assert w("SCAN", cursor) == "-ERR invalid cursor"


@pytest.mark.parametrize("cursor", ["-1", "+0", ""])
def test_scan_cursor_is_read_as_strtoul_does(w, cursor):
    """Redis parses the cursor with strtoul: a sign is accepted ("-1"
    wraps to the largest cursor) and the empty string reads as 0."""
    reply = w("SCAN", cursor)
    assert isinstance(reply, list) and len(reply) == 2


@pytest.mark.parametrize("opts", [
    ["COUNT", "0"], ["COUNT", "-1"], ["COUNT"], ["MATCH"], ["TYPE"], ["FOO"],
], ids=lambda o: " ".join(o))
def test_scan_syntax_errors(w, opts):
    assert w("SCAN", 0, *opts) == SYNTAX


def test_scan_count_not_integer(w):
    assert w("SCAN", 0, "COUNT", "abc") == NOT_INT


def test_scan_wrong_arity(w):
    assert w("SCAN") == arity("scan")


# --------------------------------------------------------------------------
# RANDOMKEY

def test_randomkey_on_empty_db_is_nil(w):
    assert w("RANDOMKEY") is None


def test_randomkey_single_key(w):
    w("SET", "only", "1")
    assert w("RANDOMKEY") == b"only"


def test_randomkey_returns_existing_keys(w):
    keys = {b"k%d" % i for i in range(20)}
    w("MSET", *[x for k in sorted(keys) for x in (k, "v")])
    for _ in range(50):
        assert w("RANDOMKEY") in keys


def test_randomkey_wrong_arity(w):
    assert w("RANDOMKEY", "x") == arity("randomkey")


# --------------------------------------------------------------------------
# TOUCH

def test_touch_counts_existing_keys_including_duplicates(w):
    w("SET", "a", "1")
    assert w("TOUCH", "a", "a", "nokey") == 2


def test_touch_missing_key(w):
    assert w("TOUCH", "nokey") == 0
    assert w("EXISTS", "nokey") == 0


def test_touch_wrong_arity(w):
    assert w("TOUCH") == arity("touch")


# --------------------------------------------------------------------------
# OBJECT

def test_object_encoding_missing_key_is_nil(w):
    assert w("OBJECT", "ENCODING", "nokey") is None


def test_object_encoding_reply_is_bulk(w):
    w("SET", "a", "hello")
    assert w("OBJECT", "ENCODING", "a") == b"embstr"


def test_object_subcommand_is_case_insensitive(w):
    w("SET", "a", "1")
    assert w("object", "encoding", "a") == b"int"


def test_object_refcount_of_plain_string_is_1(w):
    w("SET", "a", "hello")
    assert w("OBJECT", "REFCOUNT", "a") == 1


def test_object_refcount_missing_key_is_nil(w):
    assert w("OBJECT", "REFCOUNT", "nokey") is None


def test_object_idletime_of_fresh_key_is_small(w):
    # whole seconds; a clock tick between the two commands may make it 1
    w("SET", "a", "1")
    assert w("OBJECT", "IDLETIME", "a") in (0, 1)


def test_object_idletime_missing_key_is_nil(w):
    assert w("OBJECT", "IDLETIME", "nokey") is None


def test_object_idletime_grows_while_idle(w):
    w("SET", "a", "1")
    time.sleep(2.2)
    assert 2 <= w("OBJECT", "IDLETIME", "a") <= 4


def test_commands_that_do_not_count_as_access(w):
    # OBJECT, EXISTS, TYPE, TTL, PTTL do not reset the idle time
    w("SET", "a", "1")
    time.sleep(2.2)
    w("OBJECT", "ENCODING", "a")
    w("EXISTS", "a")
    w("TYPE", "a")
    w("TTL", "a")
    w("PTTL", "a")
    assert w("OBJECT", "IDLETIME", "a") >= 2


def test_touch_resets_idletime(w):
    w("SET", "a", "1")
    time.sleep(2.2)
    assert w("TOUCH", "a") == 1
    assert w("OBJECT", "IDLETIME", "a") <= 1


def test_get_resets_idletime(w):
    w("SET", "a", "1")
    time.sleep(2.2)
    w("GET", "a")
    assert w("OBJECT", "IDLETIME", "a") <= 1


LFU_NOT_SELECTED = ("-ERR An LFU maxmemory policy is not selected, access frequency "
                    "not tracked. Please note that when switching between policies at "
                    "runtime LRU and LFU data will take some time to adjust.")


def test_object_freq_without_lfu_policy_is_an_error(w):
    w("SET", "a", "1")
    assert w("OBJECT", "FREQ", "a") == LFU_NOT_SELECTED


def test_object_freq_missing_key_is_nil(w):
    # the key is looked up before the policy is checked
    assert w("OBJECT", "FREQ", "nokey") is None


def test_object_unknown_subcommand(w):
    assert w("OBJECT", "FOO", "a") == "-ERR unknown subcommand 'FOO'. Try OBJECT HELP."
    assert w("OBJECT", "foo") == "-ERR unknown subcommand 'foo'. Try OBJECT HELP."


@pytest.mark.parametrize("args, name", [
    (["OBJECT"], "object"),
    (["OBJECT", "ENCODING"], "object|encoding"),
    (["OBJECT", "encoding", "a", "b"], "object|encoding"),
    (["OBJECT", "IDLETIME"], "object|idletime"),
    (["OBJECT", "REFCOUNT"], "object|refcount"),
    (["OBJECT", "FREQ"], "object|freq"),
    (["OBJECT", "HELP", "x"], "object|help"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_object_wrong_arity(w, args, name):
    assert w(*args) == arity(name)


def test_object_help(w):
    assert w("OBJECT", "HELP") == [
        "+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "+ENCODING <key>",
        "+    Return the kind of internal representation used in order to store the value",
        "+    associated with a <key>.",
        "+FREQ <key>",
        "+    Return the access frequency index of the <key>. The returned integer is",
        "+    proportional to the logarithm of the recent access frequency of the key.",
        "+IDLETIME <key>",
        "+    Return the idle time of the <key>, that is the approximated number of",
        "+    seconds elapsed since the last access to the key.",
        "+REFCOUNT <key>",
        "+    Return the number of references of the value associated with the specified",
        "+    <key>.",
        "+HELP",
        "+    Prints this help.",
    ]


# --------------------------------------------------------------------------
# arity errors of key commands, in one place

@pytest.mark.parametrize("args, name", [
    (["DEL"], "del"), (["UNLINK"], "unlink"), (["EXISTS"], "exists"),
    (["TYPE"], "type"), (["EXPIRE", "a"], "expire"), (["PEXPIRE"], "pexpire"),
    (["EXPIREAT", "a"], "expireat"), (["PEXPIREAT", "a"], "pexpireat"),
    (["TTL"], "ttl"), (["PTTL", "a", "b"], "pttl"), (["EXPIRETIME"], "expiretime"),
    (["PEXPIRETIME"], "pexpiretime"), (["PERSIST"], "persist"),
    (["RENAME", "a"], "rename"), (["RENAMENX", "a"], "renamenx"),
    (["MOVE", "a"], "move"), (["COPY", "a"], "copy"), (["KEYS"], "keys"),
    (["SCAN"], "scan"), (["RANDOMKEY", "a"], "randomkey"), (["TOUCH"], "touch"),
    (["DBSIZE", "a"], "dbsize"), (["SELECT"], "select"),
    (["rename", "a"], "rename"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_key_commands_wrong_arity(w, args, name):
    assert w(*args) == arity(name)
