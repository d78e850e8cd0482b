"""STRING commands: exact Redis 7.0 replies and error texts.

Every expectation here was checked against redis-server 7.0.15
(CACHET_BIN=/usr/bin/redis-server).

Replies are read with the RESP2 reader resp.Wire (the `w` fixture) instead
of redis-py, so that the reply *type* is visible and error texts are seen
verbatim, including the "ERR " prefix that redis-py strips:

    simple string  -> str  starting with "+"   e.g. "+OK"
    error          -> str  starting with "-"   e.g. "-ERR syntax error"
    integer        -> int
    bulk string    -> bytes, or None for the nil bulk ($-1)
    array          -> list, or NIL_ARRAY for the nil array (*-1)
"""
import time

import pytest

from resp import NOT_INT, SYNTAX, arity, invalid_expire

NOT_FLOAT = "-ERR value is not a valid float"
TOO_BIG = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"
MAX_I64 = 9223372036854775807
MIN_I64 = -9223372036854775808


# --------------------------------------------------------------------------
# GET / SET basics

def test_set_replies_simple_string_ok(w):
    assert w("SET", "k", "v") == "+OK"


def test_get_returns_value_as_bulk_string(w):
    w("SET", "k", "hello")
    assert w("GET", "k") == b"hello"


def test_get_missing_key_returns_nil_bulk(w):
    assert w("GET", "nokey") is None


def test_set_overwrites_existing_value(w):
    w("SET", "k", "one")
    assert w("SET", "k", "two") == "+OK"
    assert w("GET", "k") == b"two"


def test_set_empty_value(w):
    assert w("SET", "k", "") == "+OK"
    assert w("GET", "k") == b""
    assert w("EXISTS", "k") == 1
    assert w("STRLEN", "k") == 0


def test_command_names_are_case_insensitive(w):
    assert w("sEt", "k", "v") == "+OK"
    assert w("get", "k") == b"v"


def test_keys_are_case_sensitive(w):
    w("SET", "key", "lower")
    w("SET", "KEY", "upper")
    assert w("GET", "key") == b"lower"
    assert w("GET", "KEY") == b"upper"


# --------------------------------------------------------------------------
# SET options: EX PX EXAT PXAT KEEPTTL

def test_set_ex_sets_ttl_in_seconds(w):
    assert w("SET", "k", "v", "EX", 100) == "+OK"
    assert w("TTL", "k") == 100
    assert w("GET", "k") == b"v"


def test_set_px_sets_ttl_in_milliseconds(w):
    assert w("SET", "k", "v", "PX", 100000) == "+OK"
    assert 99000 < w("PTTL", "k") <= 100000


def test_set_exat_sets_absolute_unix_time_in_seconds(w):
    at = int(time.time()) + 100
    assert w("SET", "k", "v", "EXAT", at) == "+OK"
    assert w("EXPIRETIME", "k") == at
    assert 98 <= w("TTL", "k") <= 100


def test_set_pxat_sets_absolute_unix_time_in_milliseconds(w):
    at = int(time.time() * 1000) + 100000
    assert w("SET", "k", "v", "PXAT", at) == "+OK"
    assert w("PEXPIRETIME", "k") == at
    assert 98000 < w("PTTL", "k") <= 100000


def test_set_options_are_case_insensitive(w):
    assert w("SET", "k", "v", "eX", 100) == "+OK"
    assert w("TTL", "k") == 100


def test_set_without_options_clears_existing_ttl(w):
    w("SET", "k", "v", "EX", 100)
    assert w("SET", "k", "v2") == "+OK"
    assert w("TTL", "k") == -1


def test_set_keepttl_keeps_existing_ttl(w):
    w("SET", "k", "v", "EX", 100)
    assert w("SET", "k", "v2", "KEEPTTL") == "+OK"
    assert w("GET", "k") == b"v2"
    assert 99 <= w("TTL", "k") <= 100


def test_set_keepttl_on_key_without_ttl_stays_persistent(w):
    assert w("SET", "k", "v", "KEEPTTL") == "+OK"
    assert w("TTL", "k") == -1


def test_set_repeating_the_same_option_is_accepted_last_wins(w):
    assert w("SET", "k", "v", "EX", 10, "EX", 200) == "+OK"
    assert w("TTL", "k") == 200


# --------------------------------------------------------------------------
# SET options: NX XX GET

def test_set_nx_on_missing_key_sets(w):
    assert w("SET", "k", "v", "NX") == "+OK"
    assert w("GET", "k") == b"v"


def test_set_nx_on_existing_key_returns_nil_and_keeps_value(w):
    w("SET", "k", "old")
    assert w("SET", "k", "new", "NX") is None
    assert w("GET", "k") == b"old"


def test_set_xx_on_missing_key_returns_nil_and_does_not_create(w):
    assert w("SET", "k", "v", "XX") is None
    assert w("EXISTS", "k") == 0


def test_set_xx_on_existing_key_overwrites(w):
    w("SET", "k", "old")
    assert w("SET", "k", "new", "XX") == "+OK"
    assert w("GET", "k") == b"new"


def test_set_nx_does_not_touch_ttl_of_existing_key(w):
    w("SET", "k", "v", "EX", 100)
    assert w("SET", "k", "v2", "NX", "EX", 5) is None
    assert 99 <= w("TTL", "k") <= 100


def test_set_get_returns_old_value_as_bulk(w):
    w("SET", "k", "old")
    assert w("SET", "k", "new", "GET") == b"old"
    assert w("GET", "k") == b"new"


def test_set_get_on_missing_key_returns_nil_and_sets(w):
    assert w("SET", "k", "v", "GET") is None
    assert w("GET", "k") == b"v"


def test_set_get_with_ex_sets_ttl(w):
    w("SET", "k", "old")
    assert w("SET", "k", "new", "EX", 100, "GET") == b"old"
    assert w("TTL", "k") == 100


def test_set_get_nx_is_allowed_and_returns_old_value_without_setting(w):
    # Redis 7.0 allows GET together with NX.
    w("SET", "k", "old")
    assert w("SET", "k", "new", "NX", "GET") == b"old"
    assert w("GET", "k") == b"old"


def test_set_get_nx_on_missing_key_returns_nil_and_sets(w):
    assert w("SET", "k", "v", "GET", "NX") is None
    assert w("GET", "k") == b"v"


def test_set_get_xx_on_missing_key_returns_nil_and_does_not_create(w):
    assert w("SET", "k", "v", "XX", "GET") is None
    assert w("EXISTS", "k") == 0


# --------------------------------------------------------------------------
# SET errors

@pytest.mark.parametrize("opts", [
    ["NX", "XX"],
    ["XX", "NX"],
    ["EX", "10", "PX", "10"],
    ["EX", "10", "EXAT", "10"],
    ["EXAT", "10", "PXAT", "10"],
    ["PX", "10", "PXAT", "10"],
    ["EX", "10", "KEEPTTL"],
    ["KEEPTTL", "PX", "10"],
    ["EX"],
    ["PX"],
    ["EXAT"],
    ["PXAT"],
    ["FOO"],
    ["EX", "10", "FOO"],
    ["EX", "abc", "FOO"],   # syntax is checked before the number
    ["EX", "0", "FOO"],
    ["NX", "XX", "GET"],
], ids=lambda o: " ".join(o))
def test_set_syntax_errors(w, opts):
    assert w("SET", "k", "v", *opts) == SYNTAX


@pytest.mark.parametrize("opts", [
    ["EX", "0"],
    ["EX", "-1"],
    ["PX", "0"],
    ["PX", "-5"],
    ["EXAT", "0"],
    ["EXAT", "-1"],
    ["PXAT", "0"],
    ["EX", "9223372036854775"],          # overflows when converted to ms
    ["EX", "4611686018427387904"],
    ["PX", "9223372036854775806"],       # overflows when now is added
    ["EX", "-9223372036854775808"],
], ids=lambda o: " ".join(o))
def test_set_invalid_expire_time(w, opts):
    assert w("SET", "k", "v", *opts) == invalid_expire("set")


@pytest.mark.parametrize("value", [
    "abc", "1.5", "", " 10", "10 ", "+10", "010", "10junk",
    "9223372036854775808",
])
def test_set_non_integer_expire_time(w, value):
    assert w("SET", "k", "v", "EX", value) == NOT_INT


def test_set_invalid_expire_time_is_reported_before_nx_check(w):
    w("SET", "k", "old")
    assert w("SET", "k", "v", "NX", "EX", "0") == invalid_expire("set")


def test_set_error_leaves_existing_value_and_ttl_alone(w):
    w("SET", "k", "old", "EX", 100)
    assert w("SET", "k", "new", "EX", "0") == invalid_expire("set")
    assert w("SET", "k", "new", "NX", "XX") == SYNTAX
    assert w("GET", "k") == b"old"
    assert 99 <= w("TTL", "k") <= 100


@pytest.mark.parametrize("args", [["SET"], ["SET", "k"]], ids=["none", "key-only"])
def test_set_wrong_arity(w, args):
    assert w(*args) == arity("set")


@pytest.mark.parametrize("args", [["GET"], ["GET", "a", "b"]], ids=["none", "two"])
def test_get_wrong_arity(w, args):
    assert w(*args) == arity("get")


# --------------------------------------------------------------------------
# SETNX SETEX PSETEX

def test_setnx_on_missing_key_returns_1(w):
    assert w("SETNX", "k", "v") == 1
    assert w("GET", "k") == b"v"


def test_setnx_on_existing_key_returns_0_and_keeps_value_and_ttl(w):
    w("SET", "k", "old", "EX", 100)
    assert w("SETNX", "k", "new") == 0
    assert w("GET", "k") == b"old"
    assert 99 <= w("TTL", "k") <= 100


def test_setnx_wrong_arity(w):
    assert w("SETNX", "k") == arity("setnx")


def test_setex_sets_value_and_ttl(w):
    assert w("SETEX", "k", 100, "v") == "+OK"
    assert w("GET", "k") == b"v"
    assert w("TTL", "k") == 100


def test_setex_replaces_value_and_ttl(w):
    w("SET", "k", "old", "EX", 1000)
    assert w("SETEX", "k", 50, "new") == "+OK"
    assert w("GET", "k") == b"new"
    assert w("TTL", "k") == 50


@pytest.mark.parametrize("seconds", ["0", "-1", "9223372036854775"])
def test_setex_invalid_expire_time(w, seconds):
    assert w("SETEX", "k", seconds, "v") == invalid_expire("setex")
    assert w("EXISTS", "k") == 0


@pytest.mark.parametrize("seconds", ["abc", "1.5", ""])
def test_setex_non_integer_seconds(w, seconds):
    assert w("SETEX", "k", seconds, "v") == NOT_INT


def test_setex_wrong_arity(w):
    assert w("SETEX", "k", 10) == arity("setex")


def test_psetex_sets_value_and_ttl_in_ms(w):
    assert w("PSETEX", "k", 100000, "v") == "+OK"
    assert w("GET", "k") == b"v"
    assert 99000 < w("PTTL", "k") <= 100000


@pytest.mark.parametrize("ms", ["0", "-1"])
def test_psetex_invalid_expire_time(w, ms):
    assert w("PSETEX", "k", ms, "v") == invalid_expire("psetex")


def test_psetex_wrong_arity(w):
    assert w("PSETEX", "k", 10) == arity("psetex")


# --------------------------------------------------------------------------
# MGET MSET MSETNX

def test_mget_returns_values_and_nils_in_order(w):
    w("SET", "a", "1")
    w("SET", "c", "3")
    assert w("MGET", "a", "b", "c") == [b"1", None, b"3"]


def test_mget_repeated_key(w):
    w("SET", "a", "1")
    assert w("MGET", "a", "a") == [b"1", b"1"]


def test_mget_all_missing(w):
    assert w("MGET", "x", "y") == [None, None]


def test_mget_wrong_arity(w):
    assert w("MGET") == arity("mget")


def test_mset_sets_all_pairs(w):
    assert w("MSET", "a", "1", "b", "2") == "+OK"
    assert w("MGET", "a", "b") == [b"1", b"2"]


def test_mset_duplicate_key_last_wins(w):
    assert w("MSET", "a", "1", "a", "2") == "+OK"
    assert w("GET", "a") == b"2"


def test_mset_clears_ttl(w):
    w("SET", "a", "1", "EX", 100)
    w("MSET", "a", "2")
    assert w("TTL", "a") == -1


@pytest.mark.parametrize("args", [["MSET"], ["MSET", "a"], ["MSET", "a", "1", "b"]],
                         ids=["none", "one", "three"])
def test_mset_wrong_arity(w, args):
    assert w(*args) == arity("mset")
    assert w("EXISTS", "a") == 0


def test_msetnx_sets_all_when_none_exist(w):
    assert w("MSETNX", "a", "1", "b", "2") == 1
    assert w("MGET", "a", "b") == [b"1", b"2"]


def test_msetnx_sets_nothing_when_any_exists(w):
    w("SET", "b", "old")
    assert w("MSETNX", "a", "1", "b", "2", "c", "3") == 0
    assert w("MGET", "a", "b", "c") == [None, b"old", None]


def test_msetnx_duplicate_key_last_wins(w):
    assert w("MSETNX", "a", "1", "a", "2") == 1
    assert w("GET", "a") == b"2"


@pytest.mark.parametrize("args", [["MSETNX"], ["MSETNX", "a"], ["MSETNX", "a", "1", "b"]],
                         ids=["none", "one", "three"])
def test_msetnx_wrong_arity(w, args):
    assert w(*args) == arity("msetnx")


# --------------------------------------------------------------------------
# GETSET GETDEL

def test_getset_returns_old_value_and_sets_new(w):
    w("SET", "k", "old")
    assert w("GETSET", "k", "new") == b"old"
    assert w("GET", "k") == b"new"


def test_getset_on_missing_key_returns_nil_and_sets(w):
    assert w("GETSET", "k", "v") is None
    assert w("GET", "k") == b"v"


def test_getset_clears_ttl(w):
    w("SET", "k", "old", "EX", 100)
    w("GETSET", "k", "new")
    assert w("TTL", "k") == -1


def test_getset_wrong_arity(w):
    assert w("GETSET", "k") == arity("getset")


def test_getdel_returns_value_and_deletes(w):
    w("SET", "k", "v", "EX", 100)
    assert w("GETDEL", "k") == b"v"
    assert w("EXISTS", "k") == 0


def test_getdel_on_missing_key_returns_nil(w):
    assert w("GETDEL", "k") is None


@pytest.mark.parametrize("args", [["GETDEL"], ["GETDEL", "a", "b"]], ids=["none", "two"])
def test_getdel_wrong_arity(w, args):
    assert w(*args) == arity("getdel")


# --------------------------------------------------------------------------
# GETEX

def test_getex_without_options_returns_value_and_keeps_ttl(w):
    w("SET", "k", "v", "EX", 100)
    assert w("GETEX", "k") == b"v"
    assert 99 <= w("TTL", "k") <= 100


def test_getex_without_options_keeps_key_persistent(w):
    w("SET", "k", "v")
    assert w("GETEX", "k") == b"v"
    assert w("TTL", "k") == -1


def test_getex_ex_sets_ttl(w):
    w("SET", "k", "v")
    assert w("GETEX", "k", "EX", 100) == b"v"
    assert w("TTL", "k") == 100


def test_getex_px_sets_ttl(w):
    w("SET", "k", "v")
    assert w("GETEX", "k", "PX", 50000) == b"v"
    assert 49000 < w("PTTL", "k") <= 50000


def test_getex_exat_sets_absolute_expire(w):
    w("SET", "k", "v")
    at = int(time.time()) + 1000
    assert w("GETEX", "k", "EXAT", at) == b"v"
    assert w("EXPIRETIME", "k") == at


def test_getex_pxat_sets_absolute_expire(w):
    w("SET", "k", "v")
    at = int(time.time() * 1000) + 1000000
    assert w("GETEX", "k", "PXAT", at) == b"v"
    assert w("PEXPIRETIME", "k") == at


def test_getex_persist_removes_ttl(w):
    w("SET", "k", "v", "EX", 100)
    assert w("GETEX", "k", "PERSIST") == b"v"
    assert w("TTL", "k") == -1


def test_getex_exat_in_the_past_returns_value_and_deletes_key(w):
    w("SET", "k", "v")
    assert w("GETEX", "k", "EXAT", 1) == b"v"
    assert w("EXISTS", "k") == 0


def test_getex_repeated_option_last_wins(w):
    w("SET", "k", "v")
    assert w("GETEX", "k", "EX", 10, "EX", 200) == b"v"
    assert w("TTL", "k") == 200


def test_getex_missing_key_returns_nil(w):
    assert w("GETEX", "nokey") is None
    assert w("GETEX", "nokey", "EX", 10) is None
    assert w("EXISTS", "nokey") == 0


@pytest.mark.parametrize("opts", [
    ["EX", "0"], ["EX", "-1"], ["PX", "0"], ["EXAT", "0"], ["PXAT", "0"],
    ["EX", "9223372036854775"],
], ids=lambda o: " ".join(o))
def test_getex_invalid_expire_time(w, opts):
    w("SET", "k", "v", "EX", 100)
    assert w("GETEX", "k", *opts) == invalid_expire("getex")
    assert 99 <= w("TTL", "k") <= 100


def test_getex_invalid_expire_time_on_missing_key_returns_nil(w):
    # Redis 7.0 looks the key up before validating the expire time.
    assert w("GETEX", "nokey", "EX", 0) is None


def test_getex_non_integer_expire(w):
    w("SET", "k", "v")
    assert w("GETEX", "k", "EX", "abc") == NOT_INT


@pytest.mark.parametrize("opts", [
    ["EX", "10", "PX", "10"],
    ["EX", "10", "PERSIST"],
    ["PERSIST", "EX", "10"],
    ["EX"],
    ["FOO"],
], ids=lambda o: " ".join(o))
def test_getex_syntax_errors(w, opts):
    w("SET", "k", "v")
    assert w("GETEX", "k", *opts) == SYNTAX


def test_getex_syntax_error_on_missing_key(w):
    assert w("GETEX", "nokey", "FOO") == SYNTAX


def test_getex_wrong_arity(w):
    assert w("GETEX") == arity("getex")


# --------------------------------------------------------------------------
# INCR DECR INCRBY DECRBY

def test_incr_missing_key_starts_at_zero(w):
    assert w("INCR", "n") == 1
    assert w("INCR", "n") == 2
    assert w("GET", "n") == b"2"


def test_decr_missing_key_starts_at_zero(w):
    assert w("DECR", "n") == -1
    assert w("GET", "n") == b"-1"


def test_incrby_and_decrby(w):
    w("SET", "n", "10")
    assert w("INCRBY", "n", 5) == 15
    assert w("INCRBY", "n", -20) == -5
    assert w("DECRBY", "n", 5) == -10
    assert w("DECRBY", "n", -3) == -7
    assert w("GET", "n") == b"-7"


def test_incr_on_existing_integer_string(w):
    w("SET", "n", "41")
    assert w("INCR", "n") == 42


def test_incr_keeps_ttl(w):
    w("SET", "n", "1", "EX", 100)
    assert w("INCR", "n") == 2
    assert 99 <= w("TTL", "n") <= 100


@pytest.mark.parametrize("value", [
    "abc", " 1", "1 ", "01", "+1", "-0", "", "1.0", "00", "1e3",
    "9223372036854775808", "-9223372036854775809",
])
def test_incr_on_non_integer_value(w, value):
    w("SET", "n", value)
    assert w("INCR", "n") == NOT_INT
    assert w("GET", "n") == value.encode()


@pytest.mark.parametrize("cmd", ["INCRBY", "DECRBY"])
@pytest.mark.parametrize("amount", ["abc", "1.5", "", " 1", "01", "9223372036854775808"])
def test_incrby_non_integer_increment(w, cmd, amount):
    w("SET", "n", "1")
    assert w(cmd, "n", amount) == NOT_INT
    assert w("GET", "n") == b"1"


def test_incr_overflow(w):
    w("SET", "n", str(MAX_I64 - 1))
    assert w("INCR", "n") == MAX_I64
    assert w("INCR", "n") == "-ERR increment or decrement would overflow"
    assert w("GET", "n") == str(MAX_I64).encode()


def test_decr_underflow(w):
    w("SET", "n", str(MIN_I64 + 1))
    assert w("DECR", "n") == MIN_I64
    assert w("DECR", "n") == "-ERR increment or decrement would overflow"
    assert w("GET", "n") == str(MIN_I64).encode()


def test_incrby_overflow(w):
    w("SET", "n", "10")
    assert w("INCRBY", "n", MAX_I64) == "-ERR increment or decrement would overflow"
    assert w("GET", "n") == b"10"


def test_decrby_overflow(w):
    w("SET", "n", "-10")
    assert w("DECRBY", "n", MAX_I64) == "-ERR increment or decrement would overflow"


def test_decrby_min_int64_has_its_own_error(w):
    # -LLONG_MIN cannot be negated; Redis reports a different text for it.
    w("SET", "n", "0")
    assert w("DECRBY", "n", MIN_I64) == "-ERR decrement would overflow"
    assert w("GET", "n") == b"0"


def test_incrby_min_int64_is_fine(w):
    assert w("INCRBY", "n", MIN_I64) == MIN_I64


@pytest.mark.parametrize("args, name", [
    (["INCR"], "incr"), (["INCR", "a", "b"], "incr"),
    (["DECR"], "decr"), (["INCRBY", "a"], "incrby"),
    (["DECRBY", "a"], "decrby"), (["INCRBY", "a", "1", "2"], "incrby"),
])
def test_incr_family_wrong_arity(w, args, name):
    assert w(*args) == arity(name)


# --------------------------------------------------------------------------
# INCRBYFLOAT

def test_incrbyfloat_missing_key_starts_at_zero(w):
    assert w("INCRBYFLOAT", "f", "1.5") == b"1.5"
    assert w("GET", "f") == b"1.5"


def test_incrbyfloat_reply_is_bulk_string(w):
    w("SET", "f", "1")
    assert w("INCRBYFLOAT", "f", "1") == b"2"


@pytest.mark.parametrize("start, incr, expected", [
    ("10.50", "0.1", b"10.6"),
    ("0.1", "0.2", b"0.3"),            # long double precision, trailing zeros trimmed
    ("3.0", "0", b"3"),
    ("5.0e3", "2.0e2", b"5200"),
    ("1.5e1", "0", b"15"),
    ("1", "-1", b"0"),
    ("1", "-1.5", b"-0.5"),
    ("1", "1.1", b"2.1"),
    ("0", "1e20", b"100000000000000000000"),   # never exponent notation
    ("0", "1e-5", b"0.00001"),
    ("0", "1.5E2", b"150"),
    ("0", "-0", b"0"),
    (".5", "5.", b"5.5"),
    ("7", "0x10", b"23"),               # strtold accepts hex
])
def test_incrbyfloat_formatting(w, start, incr, expected):
    w("SET", "f", start)
    assert w("INCRBYFLOAT", "f", incr) == expected
    assert w("GET", "f") == expected


@pytest.mark.parametrize("incr", ["inf", "+inf", "-inf", "infinity", "-infinity"])
def test_incrbyfloat_infinite_increment(w, incr):
    w("SET", "f", "1")
    assert w("INCRBYFLOAT", "f", incr) == "-ERR increment would produce NaN or Infinity"
    assert w("GET", "f") == b"1"


def test_incrbyfloat_on_stored_inf(w):
    w("SET", "f", "inf")
    assert w("INCRBYFLOAT", "f", "1") == "-ERR increment would produce NaN or Infinity"


@pytest.mark.parametrize("incr", ["nan", "NaN", "abc", "", " 1", "1 ", "1e", "e1", "1,5"])
def test_incrbyfloat_invalid_increment(w, incr):
    w("SET", "f", "1")
    assert w("INCRBYFLOAT", "f", incr) == NOT_FLOAT
    assert w("GET", "f") == b"1"


@pytest.mark.parametrize("value", ["abc", " 1", "", "1.2.3"])
def test_incrbyfloat_on_non_float_value(w, value):
    w("SET", "f", value)
    assert w("INCRBYFLOAT", "f", "1") == NOT_FLOAT
    assert w("GET", "f") == value.encode()


def test_incrbyfloat_keeps_ttl(w):
    w("SET", "f", "1", "EX", 100)
    w("INCRBYFLOAT", "f", "0.5")
    assert 99 <= w("TTL", "f") <= 100


def test_incr_after_incrbyfloat_with_integral_result(w):
    w("INCRBYFLOAT", "f", "7")
    assert w("INCR", "f") == 8


def test_incr_after_incrbyfloat_with_fraction_fails(w):
    w("INCRBYFLOAT", "f", "7.5")
    assert w("INCR", "f") == NOT_INT


@pytest.mark.parametrize("args", [["INCRBYFLOAT", "f"], ["INCRBYFLOAT", "f", "1", "2"]],
                         ids=["one", "three"])
def test_incrbyfloat_wrong_arity(w, args):
    assert w(*args) == arity("incrbyfloat")


# --------------------------------------------------------------------------
# APPEND STRLEN

def test_append_to_missing_key_creates_it(w):
    assert w("APPEND", "k", "hello") == 5
    assert w("GET", "k") == b"hello"


def test_append_returns_new_length(w):
    w("SET", "k", "hello")
    assert w("APPEND", "k", " world") == 11
    assert w("GET", "k") == b"hello world"


def test_append_empty_string(w):
    w("SET", "k", "abc")
    assert w("APPEND", "k", "") == 3
    assert w("GET", "k") == b"abc"


def test_append_to_integer_value(w):
    w("SET", "k", "12")
    assert w("APPEND", "k", "3") == 3
    assert w("GET", "k") == b"123"
    assert w("INCR", "k") == 124


def test_append_keeps_ttl(w):
    w("SET", "k", "a", "EX", 100)
    w("APPEND", "k", "b")
    assert 99 <= w("TTL", "k") <= 100


def test_append_wrong_arity(w):
    assert w("APPEND", "k") == arity("append")


def test_strlen(w):
    w("SET", "k", "hello world")
    assert w("STRLEN", "k") == 11


def test_strlen_missing_key_is_zero(w):
    assert w("STRLEN", "nokey") == 0


def test_strlen_of_integer_value_counts_digits(w):
    w("SET", "k", "-12345")
    assert w("STRLEN", "k") == 6


def test_strlen_wrong_arity(w):
    assert w("STRLEN") == arity("strlen")
    assert w("STRLEN", "a", "b") == arity("strlen")


# --------------------------------------------------------------------------
# GETRANGE SUBSTR

@pytest.mark.parametrize("start, end, expected", [
    (0, 4, b"hello"),
    (-5, -1, b"world"),
    (6, 100, b"world"),
    (0, -1, b"hello world"),
    (-100, 2, b"hel"),
    (100, 200, b""),
    (5, 2, b""),
    (-1, -5, b""),
    (-1, 0, b""),
    (3, 3, b"l"),
    (MIN_I64, -1, b"hello world"),
])
def test_getrange(w, start, end, expected):
    w("SET", "k", "hello world")
    assert w("GETRANGE", "k", start, end) == expected


def test_getrange_missing_key_is_empty_string(w):
    assert w("GETRANGE", "nokey", 0, -1) == b""


@pytest.mark.parametrize("start, end", [(0, -1), (0, 0), (-1, -1)])
def test_getrange_of_empty_value(w, start, end):
    w("SET", "k", "")
    assert w("GETRANGE", "k", start, end) == b""


def test_getrange_on_integer_value(w):
    w("SET", "k", "12345")
    assert w("GETRANGE", "k", 1, 3) == b"234"


@pytest.mark.parametrize("start, end", [("x", "1"), ("0", "1.5"), ("0", "9223372036854775808")])
def test_getrange_non_integer_index(w, start, end):
    w("SET", "k", "hello")
    assert w("GETRANGE", "k", start, end) == NOT_INT


@pytest.mark.parametrize("args", [["GETRANGE", "k", "0"], ["GETRANGE", "k", "0", "1", "2"]],
                         ids=["two", "four"])
def test_getrange_wrong_arity(w, args):
    assert w(*args) == arity("getrange")


def test_substr_is_getrange(w):
    w("SET", "k", "hello world")
    assert w("SUBSTR", "k", 0, 4) == b"hello"
    assert w("SUBSTR", "k", -3, -1) == b"rld"


def test_substr_wrong_arity(w):
    assert w("SUBSTR", "k", 0) == arity("substr")


# --------------------------------------------------------------------------
# SETRANGE

def test_setrange_overwrites_in_place(w):
    w("SET", "k", "hello world")
    assert w("SETRANGE", "k", 6, "redis") == 11
    assert w("GET", "k") == b"hello redis"


def test_setrange_past_end_pads_with_zero_bytes(w):
    w("SET", "k", "abc")
    assert w("SETRANGE", "k", 6, "!") == 7
    assert w("GET", "k") == b"abc\x00\x00\x00!"


def test_setrange_on_missing_key_creates_padded_value(w):
    assert w("SETRANGE", "k", 3, "abc") == 6
    assert w("GET", "k") == b"\x00\x00\x00abc"


def test_setrange_empty_value_on_missing_key_does_not_create(w):
    assert w("SETRANGE", "k", 5, "") == 0
    assert w("EXISTS", "k") == 0


def test_setrange_empty_value_on_existing_key_returns_length(w):
    w("SET", "k", "abc")
    assert w("SETRANGE", "k", 10, "") == 3
    assert w("GET", "k") == b"abc"


def test_setrange_on_integer_value(w):
    w("SET", "k", "123")
    assert w("SETRANGE", "k", 1, "9") == 3
    assert w("GET", "k") == b"193"
    assert w("INCR", "k") == 194


def test_setrange_keeps_ttl(w):
    w("SET", "k", "abc", "EX", 100)
    w("SETRANGE", "k", 0, "x")
    assert 99 <= w("TTL", "k") <= 100


def test_setrange_negative_offset(w):
    w("SET", "k", "abc")
    assert w("SETRANGE", "k", -1, "x") == "-ERR offset is out of range"
    assert w("GET", "k") == b"abc"


def test_setrange_negative_offset_on_missing_key(w):
    assert w("SETRANGE", "k", -1, "x") == "-ERR offset is out of range"


def test_setrange_beyond_512mb_on_missing_key(w):
    # Checked before allocating anything, so this is cheap.
    assert w("SETRANGE", "k", 536870912, "x") == TOO_BIG
    assert w("SETRANGE", "k", 536870911, "xy") == TOO_BIG
    assert w("EXISTS", "k") == 0


def test_setrange_beyond_512mb_on_existing_key(w):
    w("SET", "k", "abc")
    assert w("SETRANGE", "k", 536870912, "x") == TOO_BIG
    assert w("GET", "k") == b"abc"


def test_setrange_non_integer_offset(w):
    assert w("SETRANGE", "k", "x", "y") == NOT_INT


def test_setrange_wrong_arity(w):
    assert w("SETRANGE", "k", 1) == arity("setrange")


# --------------------------------------------------------------------------
# binary safety and large values

ALL_BYTES = bytes(range(256))


def test_value_with_all_256_byte_values(w):
    assert w("SET", "k", ALL_BYTES) == "+OK"
    assert w("GET", "k") == ALL_BYTES
    assert w("STRLEN", "k") == 256


def test_key_with_all_256_byte_values(w):
    assert w("SET", ALL_BYTES, "v") == "+OK"
    assert w("GET", ALL_BYTES) == b"v"
    assert w("KEYS", "*") == [ALL_BYTES]


def test_embedded_nul_in_value(w):
    w("SET", "k", b"a\x00b\x00")
    assert w("GET", "k") == b"a\x00b\x00"
    assert w("STRLEN", "k") == 4
    assert w("GETRANGE", "k", 1, 2) == b"\x00b"


def test_embedded_nul_in_key_is_distinct_from_prefix(w):
    w("SET", b"a\x00b", "1")
    w("SET", b"a", "2")
    assert w("GET", b"a\x00b") == b"1"
    assert w("GET", b"a") == b"2"
    assert w("GET", b"a\x00") is None


def test_crlf_inside_value(w):
    value = b"line1\r\nline2\r\n\r\n"
    w("SET", "k", value)
    assert w("GET", "k") == value


def test_value_that_looks_like_resp(w):
    value = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n-ERR x\r\n+OK\r\n"
    w("SET", "k", value)
    assert w("GET", "k") == value
    assert w("PING") == "+PONG"   # the connection is still in sync


def test_append_binary_data(w):
    w("APPEND", "k", b"\x00\xff")
    w("APPEND", "k", b"\r\n")
    assert w("GET", "k") == b"\x00\xff\r\n"


def test_incr_does_not_accept_value_with_embedded_nul(w):
    w("SET", "k", b"1\x002")
    assert w("INCR", "k") == NOT_INT


def test_large_value_10mb(w):
    value = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    assert w("SET", "big", value) == "+OK"
    assert w("STRLEN", "big") == len(value)
    assert w("GET", "big") == value


def test_append_grows_large_value(w):
    chunk = b"x" * (1024 * 1024)
    for i in range(10):
        assert w("APPEND", "big", chunk) == (i + 1) * len(chunk)
    assert w("STRLEN", "big") == 10 * len(chunk)
    assert w("GETRANGE", "big", 5 * len(chunk) - 2, 5 * len(chunk) + 1) == b"xxxx"


def test_setrange_creates_large_value(w):
    offset = 10 * 1024 * 1024
    assert w("SETRANGE", "big", offset, "end") == offset + 3
    assert w("GETRANGE", "big", offset - 2, -1) == b"\x00\x00end"


# --------------------------------------------------------------------------
# generic error texts

def test_unknown_command_with_args(w):
    assert w("foo", "a", "b") == \
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' "


def test_unknown_command_without_args(w):
    assert w("foo") == "-ERR unknown command 'foo', with args beginning with: "


def test_unknown_command_preserves_case(w):
    assert w("FoO", "X") == "-ERR unknown command 'FoO', with args beginning with: 'X' "


def test_unknown_command_name_truncated_to_128_chars(w):
    assert w("x" * 200, "a") == \
        "-ERR unknown command '%s', with args beginning with: 'a' " % ("x" * 128)


def test_unknown_command_args_truncated_to_128_chars(w):
    # args are appended as "'arg' " while the list is shorter than 128 chars,
    # each one cut to what is left of the 128
    reply = w("foo", "a" * 100, "b" * 100, "c")
    assert reply == ("-ERR unknown command 'foo', with args beginning with: '%s' '%s' "
                     % ("a" * 100, "b" * 25))


def test_unknown_command_crlf_in_args_become_spaces(w):
    assert w("foo", "a\r\nb") == \
        "-ERR unknown command 'foo', with args beginning with: 'a  b' "


def test_unknown_command_exact_bytes_on_the_wire(server, r):
    from conftest import raw_command
    out = raw_command(server.port, b"*3\r\n$3\r\nfoo\r\n$1\r\na\r\n$1\r\nb\r\n")
    assert out == b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"


def test_connection_usable_after_errors(w):
    assert w("foo").startswith("-ERR unknown command")
    assert w("GET") == arity("get")
    assert w("SET", "k", "v") == "+OK"
    assert w("GET", "k") == b"v"


@pytest.mark.parametrize("args, name", [
    (["GET"], "get"),
    (["get", "a", "b"], "get"),
    (["Set", "k"], "set"),
    (["SETNX", "k"], "setnx"),
    (["SETEX", "k", "1"], "setex"),
    (["PSETEX", "k", "1"], "psetex"),
    (["MGET"], "mget"),
    (["MSET", "a"], "mset"),
    (["MSETNX"], "msetnx"),
    (["GETSET", "k"], "getset"),
    (["GETDEL"], "getdel"),
    (["GETEX"], "getex"),
    (["INCR"], "incr"),
    (["DECR"], "decr"),
    (["INCRBY", "k"], "incrby"),
    (["DECRBY", "k"], "decrby"),
    (["INCRBYFLOAT", "k"], "incrbyfloat"),
    (["APPEND", "k"], "append"),
    (["STRLEN"], "strlen"),
    (["GETRANGE", "k", "0"], "getrange"),
    (["SUBSTR", "k"], "substr"),
    (["SETRANGE", "k", "0"], "setrange"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_wrong_arity_names_command_in_lower_case(w, args, name):
    assert w(*args) == arity(name)


# --------------------------------------------------------------------------
# OBJECT ENCODING of strings

@pytest.mark.parametrize("value, encoding", [
    ("0", b"int"),
    ("12345", b"int"),
    ("-1", b"int"),
    ("9223372036854775807", b"int"),
    ("-9223372036854775808", b"int"),
    ("9223372036854775808", b"embstr"),   # does not fit in int64
    ("01", b"embstr"),
    ("-0", b"embstr"),
    ("+1", b"embstr"),
    (" 1", b"embstr"),
    ("1.5", b"embstr"),
    ("", b"embstr"),
    ("hello", b"embstr"),
    ("x" * 44, b"embstr"),
    ("x" * 45, b"raw"),
    ("x" * 10000, b"raw"),
], ids=lambda v: v if len(v) < 25 else "%d-bytes" % len(v))
def test_object_encoding_after_set(w, value, encoding):
    w("SET", "k", value)
    assert w("OBJECT", "ENCODING", "k") == encoding


def test_object_encoding_int_with_ttl(w):
    w("SET", "k", "123", "EX", 100)
    assert w("OBJECT", "ENCODING", "k") == b"int"


def test_object_encoding_int_after_incr(w):
    w("SET", "k", "x")
    w("SET", "k", "5")
    w("INCR", "k")
    assert w("OBJECT", "ENCODING", "k") == b"int"


def test_object_encoding_raw_after_append(w):
    w("SET", "k", "abc")
    assert w("OBJECT", "ENCODING", "k") == b"embstr"
    w("APPEND", "k", "d")
    assert w("OBJECT", "ENCODING", "k") == b"raw"


def test_object_encoding_raw_after_append_to_integer(w):
    w("SET", "k", "12")
    w("APPEND", "k", "3")
    assert w("OBJECT", "ENCODING", "k") == b"raw"


def test_object_encoding_append_to_missing_key_is_encoded_like_set(w):
    w("APPEND", "a", "xyz")
    w("APPEND", "b", "12")
    assert w("OBJECT", "ENCODING", "a") == b"embstr"
    assert w("OBJECT", "ENCODING", "b") == b"int"


def test_object_encoding_raw_after_setrange(w):
    w("SET", "k", "123")
    w("SETRANGE", "k", 0, "4")
    assert w("OBJECT", "ENCODING", "k") == b"raw"


def test_object_encoding_embstr_after_incrbyfloat(w):
    # INCRBYFLOAT stores its result as a string, even when it is integral
    w("SET", "k", "1")
    w("INCRBYFLOAT", "k", "6")
    assert w("GET", "k") == b"7"
    assert w("OBJECT", "ENCODING", "k") == b"embstr"
