"""Loading hand-made RDB files at start-up: what the loader builds and what it
refuses (issue 6, "load at least as fast as Redis").

The loader checks duplicate members and fields through a table of element
hashes (persistence/rdb_restore.c) and adds the rest without the types' own
linear search; pre-sizes the keyspace from RESIZEDB; and inserts each key
with one table walk.  These tests pin what must not change with that:
duplicates within a key and duplicate keys are refused with the offset and
the key named, a lying RESIZEDB costs nothing, and collections come back
whole and in order whatever order their elements arrive in.

Files are written here byte by byte (RDB 9, checksum 0 = not checked), so
each test says exactly what the file holds.
"""
import re
import struct

import pytest

from conftest import IS_REDIS, Server
from test_persistence import start_refused

RDB_STRING, RDB_LIST, RDB_SET, RDB_ZSET_2, RDB_HASH = 0, 1, 2, 5, 4
OP_RESIZEDB, OP_SELECTDB, OP_EOF = 0xFB, 0xFE, 0xFF


def length(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | n >> 8, n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def string(s):
    s = s if isinstance(s, bytes) else str(s).encode()
    return length(len(s)) + s


def rdb(*records, resize=None):
    """An RDB 9 file: db 0, an optional RESIZEDB (keys, expires), records."""
    out = b"REDIS0009" + bytes([OP_SELECTDB]) + length(0)
    if resize is not None:
        out += bytes([OP_RESIZEDB]) + length(resize[0]) + length(resize[1])
    return out + b"".join(records) + bytes([OP_EOF]) + b"\0" * 8


def set_rec(key, members):
    return bytes([RDB_SET]) + string(key) + length(len(members)) + \
        b"".join(string(m) for m in members)


def hash_rec(key, pairs):
    return bytes([RDB_HASH]) + string(key) + length(len(pairs)) + \
        b"".join(string(f) + string(v) for f, v in pairs)


def zset_rec(key, pairs):
    """ZSET_2: member then the score as a little-endian double."""
    return bytes([RDB_ZSET_2]) + string(key) + length(len(pairs)) + \
        b"".join(string(m) + struct.pack("<d", sc) for m, sc in pairs)


def str_rec(key, val):
    return bytes([RDB_STRING]) + string(key) + string(val)


def load(tmp_path, data):
    (tmp_path / "dump.rdb").write_bytes(data)
    return Server(tmpdir=tmp_path)


def refused(tmp_path, data):
    (tmp_path / "dump.rdb").write_bytes(data)
    rc, log = start_refused(tmp_path)
    assert rc not in (0, None) and rc > 0, "exit status %s\n%s" % (rc, log[-3000:])
    return log


# Duplicates early (the hash table catches them), late in a collection past
# the listpack limit (the type's own lookup does), and in each type.
DUPS = [
    ("set", lambda: set_rec("s", ["a", "b", "c", "b"]), "set", "duplicate set member"),
    ("set-of-ints", lambda: set_rec("s", ["1", "2", "3", "1"]), "set", "duplicate set member"),
    ("big-set", lambda: set_rec("s", ["m%d" % i for i in range(3000)] + ["m2999"]), "set",
     "duplicate set member"),
    ("hash", lambda: hash_rec("h", [("f1", "x"), ("f2", "y"), ("f1", "z")]), "hash",
     "duplicate hash field"),
    ("big-hash", lambda: hash_rec("h", [("f%d" % i, "v") for i in range(2000)] + [("f5", "w")]),
     "hash", "duplicate hash field"),
    ("zset", lambda: zset_rec("z", [("a", 1.0), ("b", 2.0), ("a", 3.0)]), "zset",
     "duplicate sorted set member"),
    ("big-zset", lambda: zset_rec("z", [("m%d" % i, float(i)) for i in range(1500)] + [("m0", 9.0)]),
     "zset", "duplicate sorted set member"),
]
# each case's repeated (last) element
LAST = {"set": ["b"], "set-of-ints": ["1"], "big-set": ["m2999"], "hash": ["f1", "z"],
        "big-hash": ["f5", "w"], "zset": ["a"], "big-zset": ["m0"]}


@pytest.mark.skipif(IS_REDIS, reason="Redis loads some of these unchecked (sanitize-dump-payload no)")
@pytest.mark.parametrize("case", DUPS, ids=lambda c: c[0])
def test_duplicate_elements_refuse_the_file(tmp_path, case):
    _, make, kind, msg = case
    make_last = LAST[case[0]]
    data = rdb(str_rec("before", "1"), make())
    log = refused(tmp_path, data)
    m = re.search(r"offset (\d+): key '(\w+)' \((\w+)\): (.*?)\. Exiting\.", log)
    assert m, log[-3000:]
    assert m.group(3) == kind
    assert m.group(4) == msg
    # the offset is where the repeated element starts: the record's last one
    last = {"set": lambda: string(make_last[0]),
            "hash": lambda: string(make_last[0]) + string(make_last[1]),
            "zset": lambda: string(make_last[0]) + b"\0" * 8}[kind]()
    assert int(m.group(1)) == len(data) - 9 - len(last)


@pytest.mark.skipif(IS_REDIS, reason="Cachet's message")
@pytest.mark.parametrize("between,after", [(1, 0), (1, 40), (40, 0), (40, 40)])
def test_duplicate_key_refuses_the_file(tmp_path, between, after):
    # keys are stored a few keys after they are read: the repeat is caught
    # near or far from the first, in the middle of the file or at its end
    data = rdb(str_rec("k", "1"), *[set_rec("b%d" % i, ["x"]) for i in range(between)],
               str_rec("k", "2"), *[str_rec("a%d" % i, "y") for i in range(after)])
    log = refused(tmp_path, data)
    m = re.search(r"offset (\d+): key 'k' \(string\): duplicate key", log)
    assert m, log[-3000:]
    assert int(m.group(1)) == data.rindex(string("k")) - 1


def test_collections_come_back_whole_in_any_arrival_order(tmp_path):
    # zset members arrive out of order, in order, and tied on score; sets of
    # integers and strings; a hash and a set past the listpack limits
    zs = [("c", 3.0), ("a", 1.0), ("b", 2.0), ("e", 2.0), ("d", 2.0), ("f", 10.0)]
    big = ["x%d" % i for i in range(1500)]
    data = rdb(zset_rec("z", zs),
               zset_rec("zin", [("m%03d" % i, float(i)) for i in range(100)]),
               set_rec("si", ["5", "-3", "100", "0"]),
               set_rec("ss", ["b", "a", "7"]),
               set_rec("sbig", big),
               hash_rec("h", [("f2", "2"), ("f1", "one")]),
               hash_rec("hbig", [("f%d" % i, "v%d" % i) for i in range(1000)]),
               str_rec("n", "12345"), str_rec("t", "text"),
               resize=(9, 0))
    s = load(tmp_path, data)
    try:
        c = s.client()
        assert c.dbsize() == 9
        assert c.zrange("z", 0, -1, withscores=True) == [
            (b"a", 1.0), (b"b", 2.0), (b"d", 2.0), (b"e", 2.0), (b"c", 3.0), (b"f", 10.0)]
        assert c.zrange("zin", 0, -1) == [b"m%03d" % i for i in range(100)]
        assert c.smembers("si") == {b"5", b"-3", b"100", b"0"}
        assert c.object("encoding", "si") == b"intset"
        assert c.smembers("ss") == {b"a", b"b", b"7"}
        assert c.smembers("sbig") == {m.encode() for m in big}
        assert c.object("encoding", "sbig") == b"hashtable"
        assert c.hgetall("h") == {b"f1": b"one", b"f2": b"2"}
        assert c.hlen("hbig") == 1000 and c.hget("hbig", "f999") == b"v999"
        assert c.object("encoding", "hbig") == b"hashtable"
        assert c.get("n") == b"12345" and c.get("t") == b"text"
    finally:
        s.stop()


def test_a_resizedb_hint_that_lies_is_harmless(tmp_path):
    # claims 2^32-1 keys in a file of a few hundred bytes, then holds 50
    data = rdb(*[str_rec("k%d" % i, "v%d" % i) for i in range(50)],
               resize=(0xFFFFFFFF, 0xFFFFFFFF))
    s = load(tmp_path, data)
    try:
        c = s.client()
        assert c.dbsize() == 50
        assert c.get("k49") == b"v49"
        if not IS_REDIS:
            # the tables were not sized for the claim
            assert int(c.info("memory")["used_memory"]) < 64 * 1024 * 1024
    finally:
        s.stop()
