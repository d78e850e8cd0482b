#!/usr/bin/python3
"""make_fixtures.py VARIANT PORT OUT.txt - fill a fresh redis-server with the
data set of VARIANT, then write what the server holds (read back with
TYPE / OBJECT ENCODING / PEXPIRETIME and the type's read commands) to
OUT.txt in the format of tests/unit/rdb_text.h.  Called by make_fixtures.sh.

Data is deterministic (seeded), so regenerating gives the same contents;
the .rdb bytes still differ (ctime, used-mem aux fields).
"""
import random
import sys

import redis

TTL = 4102444800123  # 2100-01-01T00:00:00.123Z, absolute: deterministic


def esc(b):
    if not b:
        return "~"
    out = []
    for c in b:
        if c <= 0x20 or c >= 0x7F or c in b"%~":
            out.append("%%%02X" % c)
        else:
            out.append(chr(c))
    return "".join(out)


def fill_types(r, rnd):
    r.select(0)
    # strings: int encodings (8/16/32 bit, and too big for 32), embstr, raw,
    # LZF-compressible, incompressible, empty, binary key
    for k, v in [("s:int8", b"12"), ("s:intneg", b"-100"), ("s:int16", b"30000"),
                 ("s:int32", b"2000000000"), ("s:int64", b"9007199254740993"),
                 ("s:embstr", b"hello world"), ("s:empty", b""),
                 ("s:lzf", b"abcdefghij" * 30), ("s:lzfbig", b"0123456789abcdef" * 1200),
                 ("s:notcanon", b"007")]:
        r.set(k, v)
    r.set("s:rand", bytes(rnd.getrandbits(8) for _ in range(500)))
    r.set(b"bin\x00\xff\n key %~", b"\x00\x01\x02 value")
    r.set("s:ttl", "expiring")
    r.pexpireat("s:ttl", TTL)
    # lists: one small node; 200 items in 13 nodes (inner ones compressed);
    # plain nodes for elements over a 64-byte packed threshold
    r.rpush("l:small", "a", "1", "-2", "300000", "x" * 30)
    r.rpush("l:big", *[("item-%d-" % i) + "y" * (i % 40) if i % 3 else str(i * 7919)
                       for i in range(200)])
    r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "64")
    r.rpush("l:plain", "head", "P" * 100, "mid", "Q" * 200, "tail")
    r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1073741824")
    # sets: intsets of 16/32/64-bit integers, string set, large int set
    r.sadd("set:int16", 1, 2, 3, -5, 32767)
    r.sadd("set:int32", 100000, -7, 1)
    r.sadd("set:int64", 5000000000, 1, -9223372036854775808)
    r.sadd("set:str", "a", "b", "c", "")
    r.sadd("set:bigint", *range(0, 600 * 3, 3))
    r.sadd("set:bigstr", *["member:%d" % i for i in range(300)])
    # zsets: listpack (with integer-valued, fractional, infinite scores and
    # integer members) and skiplist
    r.zadd("z:small", {"one": 1, "half": 2.5, "neg": -3, "pinf": float("inf"),
                       "ninf": float("-inf"), "123": 0.1})
    r.zadd("z:big", {"m%03d" % i: i / 7 for i in range(150)})
    r.zadd("z:ttl", {"a": 1})
    r.pexpireat("z:ttl", TTL + 1)
    # hashes: listpack with every listpack integer width, big hashtable, big
    # listpack, and a hashtable because one value is over 64 bytes
    r.hset("h:small", mapping={"i7": 5, "i13": -4000, "i16": 30000, "i24": -8000000,
                               "i32": 2000000000, "i64": -9000000000000000000,
                               "str": "text", "empty": "", "007": "leading zero"})
    # 200 fields stay a (400-entry) listpack; over 512 make a hashtable
    r.hset("h:biglp", mapping={"field:%d" % i: "value:%d" % (i * i) for i in range(200)})
    r.hset("h:big", mapping={"f%d" % i: i * i for i in range(600)})
    r.hset("h:longval", "f", "v" * 100)
    r.pexpireat("h:longval", TTL + 2)
    r.function_load("#!lua name=fixturelib\n"
                    "redis.register_function('fixture_fn', function() return 1 end)\n")
    r.select(1)
    r.set("db1:str", "in db 1")
    r.pexpireat("db1:str", TTL + 3)
    r.rpush("db1:list", "x", "y")
    r.select(5)
    r.hset("db5:hash", "k", "v")


def fill_small(r, rnd):
    r.select(0)
    r.set("a", "1")
    r.set("long", "compressible " * 20)
    r.hset("h", mapping={"f": "v", "n": 42})
    r.sadd("s", "x", "y")
    r.zadd("z", {"m": 1.5})
    r.rpush("l", "1", "2", "three")
    r.pexpireat("l", TTL)


def dump(r, out):
    lines = []
    for db in range(16):
        r.select(db)
        for key in sorted(r.scan_iter(count=1000)):
            kind = r.type(key).decode()
            enc = r.object("encoding", key).decode()
            pexp = r.execute_command("PEXPIRETIME", key)
            lines.append("key %d %s %s %s %s" % (db, kind, esc(key),
                                                 "-" if pexp < 0 else pexp, enc))
            if kind == "string":
                lines.append("v " + esc(r.get(key)))
            elif kind == "list":
                lines += ["v " + esc(x) for x in r.lrange(key, 0, -1)]
            elif kind == "set":
                lines += ["v " + esc(x) for x in sorted(r.smembers(key))]
            elif kind == "zset":
                lines += ["z %s %r" % (esc(m), s)
                          for m, s in r.zrange(key, 0, -1, withscores=True)]
            elif kind == "hash":
                lines += ["h %s %s" % (esc(f), esc(v))
                          for f, v in sorted(r.hgetall(key).items())]
    info = r.info("server")
    cfg = {k: r.config_get(k)[k] for k in ("maxmemory-policy", "rdbcompression",
                                            "rdbchecksum", "list-max-listpack-size",
                                            "list-compress-depth")}
    with open(out, "w") as f:
        f.write("# Written by make_fixtures.py from redis-server %s (%s)\n"
                % (info["redis_version"], ", ".join("%s %s" % kv for kv in cfg.items())))
        f.write("\n".join(lines) + "\n")


def main():
    variant, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    r = redis.Redis(host="127.0.0.1", port=port)
    r.flushall()
    rnd = random.Random(6)
    if variant == "redis70_types":
        fill_types(r, rnd)
    else:
        fill_small(r, rnd)
    dump(r, out)


if __name__ == "__main__":
    main()
