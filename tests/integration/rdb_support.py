"""Helpers for the persistence tests (test_persistence.py): Debian's
redis-check-rdb, a private reference redis-server, a seeded dataset of every
type and encoding, and a full dump of a server's keyspace to compare.

Everything talks to real processes on 127.0.0.1 and reads real files.
"""
import os
import random
import re
import signal
import subprocess
import time

import redis

from conftest import free_port

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CHECK_RDB = "/usr/bin/redis-check-rdb"
NDB = 16


# --------------------------------------------------------------------------
# Files

def check_rdb(path, timeout=120):
    """Run Debian's redis-check-rdb on `path`; it must say the file is OK.
    Returns {"keys": n, "expires": n, "already_expired": n} from its report."""
    p = subprocess.run([REDIS_CHECK_RDB, str(path)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0 and "RDB looks OK" in out, \
        "redis-check-rdb %s failed (rc=%d):\n%s" % (path, p.returncode, out[-3000:])
    info = {}
    for name, field in (("keys", "keys read"), ("expires", "expires"),
                        ("already_expired", "already expired")):
        m = re.search(r"\[info\] (\d+) %s" % field, out)
        info[name] = int(m.group(1)) if m else None
    return info


def read_bytes(path):
    with open(str(path), "rb") as f:
        return f.read()


def temp_files(d):
    """Snapshot temp files left in `d` (Redis: temp-<pid>.rdb, Cachet:
    temp-<pid>-<n>.rdb)."""
    return sorted(n for n in os.listdir(str(d)) if n.startswith("temp-") and n.endswith(".rdb"))


# --------------------------------------------------------------------------
# Processes

def children_of(pid):
    """PIDs of the direct children of `pid` (Redis's BGSAVE child)."""
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def kill9(server):
    """kill -9 the server and its children (a fork-based BGSAVE child too):
    what a power cut does.  Marks it so teardown does not expect a clean exit."""
    kids = children_of(server.proc.pid)
    server.proc.send_signal(signal.SIGKILL)
    for k in kids:
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.proc.wait(timeout=20)
    server.killed = True


class RefRedis(object):
    """A private Debian redis-server: the reference loader and writer.

    Runs in `d` with `dbfilename`, no save points, no AOF; waits until it
    has loaded (PING answers PONG).  Use as a context manager."""

    def __init__(self, d, dbfilename="dump.rdb", args=(), load_timeout=120):
        self.port = free_port()
        self.dir = str(d)
        self.logpath = os.path.join(self.dir, "ref-redis-%d.log" % self.port)
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--dbfilename", dbfilename]
            + [str(a) for a in args],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + load_timeout
        while True:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError("reference redis-server exited (rc=%s): %s"
                                   % (self.proc.returncode, self.read_log()[-3000:]))
            c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
            try:
                if c.ping():
                    break
            except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                pass
            finally:
                c.connection_pool.disconnect()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("reference redis-server never finished loading")
            time.sleep(0.05)

    def client(self, **kw):
        kw.setdefault("socket_timeout", 60)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def read_log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # no save points: exits without saving
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
# Datasets: {(db, key): (type, value, expire_at_ms or -1)}, values in the
# form dump_all() returns them: string -> bytes, list -> [bytes], set ->
# {bytes}, zset -> [(member, score)] in ZRANGE order, hash -> {field: value}.

DBS = (0, 1, 7, 15)


def _zsorted(pairs):
    return sorted(pairs.items(), key=lambda mv: (mv[1], mv[0]))


def make_dataset(seed, now_ms=None):
    """A seeded dataset of every type in every encoding Redis 7.0 uses (and
    so every one Cachet writes): int/embstr/raw strings (int-like, long
    compressible, random, binary, empty), listpack and hashtable hashes
    (by count and by value length), quicklists of one and many nodes,
    intsets and hashtable sets, listpack and skiplist sorted sets (by count
    and member length; scores incl. +-inf and extremes), in several
    databases, about a third of the keys with a millisecond TTL."""
    rng = random.Random(seed)
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    data = {}

    def ttl():
        if rng.random() < 0.35:
            return now_ms + rng.randint(3600 * 1000, 30 * 86400 * 1000)
        return -1

    def put(db, key, typ, val):
        data[(db, key)] = (typ, val, ttl())

    def word(lo=1, hi=12):
        return bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789:_-")
                     for _ in range(rng.randint(lo, hi)))

    for db in DBS:
        p = b"db%d:" % db
        # strings
        ints = [0, 1, -1, 12, -128, 255, 65535, 2 ** 31 - 1, -2 ** 31, 2 ** 63 - 1, -2 ** 63,
                rng.randint(-10 ** 12, 10 ** 12), rng.randint(0, 2 ** 63 - 1)]
        for i, v in enumerate(ints):
            put(db, p + b"int:%d" % i, "string", str(v).encode())
        for i, v in enumerate([b"007", b"1.5", b" 1", b"+1", b"-0", b"9223372036854775808",
                               b"-9223372036854775809", b"1e3", b"0x10"]):
            put(db, p + b"intlike:%d" % i, "string", v)
        put(db, p + b"empty", "string", b"")
        put(db, p + b"short", "string", b"hello world")
        put(db, p + b"embstr44", "string", b"e" * 44)
        put(db, p + b"raw45", "string", word(45, 45))
        put(db, p + b"compressible", "string", b"abcdefgh" * 3000 + word())
        put(db, p + b"compressible:x", "string", b"x" * 100000)
        put(db, p + b"random", "string", rng.randbytes(30000 + db))
        put(db, p + b"binary", "string", bytes(range(256)) * 4)
        put(db, p + b"crlf", "string", b"a\r\nb\x00c\r\n")
        put(db, p + b"\x00\xff\r\nbinkey", "string", b"v%d" % db)
        put(db, p + b"", "string", b"key is just the prefix")
        for i in range(40):
            put(db, p + b"s:%d" % i, "string", word(0, 60))
        # hashes
        put(db, p + b"hash:small", "hash", {b"f%d" % i: b"v%d" % i for i in range(5)})
        put(db, p + b"hash:ints", "hash", {b"1": b"2", b"-5": b"123456789012", b"big":
                                           str(2 ** 63 - 1).encode()})
        put(db, p + b"hash:many", "hash", {b"field:%d" % i: word(0, 20) for i in range(300)})
        put(db, p + b"hash:longval", "hash", {b"a": b"1", b"b": word(200, 300), b"c": b""})
        put(db, p + b"hash:empties", "hash", {b"": b"", b"f": b"", b"g": b"\x00"})
        put(db, p + b"hash:binary", "hash",
            {rng.randbytes(8): rng.randbytes(20) for _ in range(20)})
        # lists
        put(db, p + b"list:small", "list", [b"a", b"b", b"1", b"-2", b"", b"a"])
        put(db, p + b"list:big", "list",
            [str(rng.randint(-10 ** 6, 10 ** 6)).encode() if rng.random() < 0.5 else word(0, 30)
             for _ in range(5000)])
        put(db, p + b"list:bigelems", "list", [rng.randbytes(20000), b"x" * 10000, b"1", b""])
        put(db, p + b"list:ints", "list", [str(i * 7919 - 300000).encode() for i in range(600)])
        # sets
        put(db, p + b"set:intsmall", "set", {b"1", b"2", b"3", b"-4", str(2 ** 62).encode()})
        put(db, p + b"set:int16", "set", {str(i).encode() for i in range(-100, 100, 3)})
        put(db, p + b"set:intlarge", "set", {str(i * 31 - 5000).encode() for i in range(700)})
        put(db, p + b"set:int64", "set", {str(2 ** 63 - 1).encode(), str(-2 ** 63).encode(), b"0"})
        put(db, p + b"set:strsmall", "set", {word() for _ in range(10)} | {b""})
        put(db, p + b"set:strlarge", "set", {word(1, 40) for _ in range(400)})
        put(db, p + b"set:mixed", "set", {b"1", b"2", b"x", b"007"})
        # sorted sets
        put(db, p + b"zset:small", "zset",
            _zsorted({b"m%d" % i: float(rng.randint(-5, 5)) for i in range(10)}))
        put(db, p + b"zset:large", "zset",
            _zsorted({word(1, 20) + b"%d" % i: rng.uniform(-1e6, 1e6) for i in range(300)}))
        put(db, p + b"zset:longmember", "zset",
            _zsorted({b"a": 1.0, b"b" * 100: 2.5, b"c": -3.0}))
        put(db, p + b"zset:scores", "zset",
            _zsorted({b"inf": float("inf"), b"-inf": float("-inf"), b"zero": 0.0,
                      b"tiny": 1e-300, b"huge": 1.7976931348623157e308, b"pi": 3.141592653589793,
                      b"third": 1.0 / 3, b"neg": -2.5, b"tie1": 7.0, b"tie2": 7.0, b"": 7.0}))
        put(db, p + b"zset:int", "zset",
            _zsorted({str(i).encode(): float(i * i) for i in range(129)}))
    return data


def write_dataset(client_for_db, data):
    """Write `data` through real commands, pipelined per database."""
    for db in sorted({db for db, _ in data}):
        c = client_for_db(db)
        p = c.pipeline(transaction=False)
        for (d, key), (typ, val, exp) in sorted(data.items()):
            if d != db:
                continue
            p.delete(key)
            if typ == "string":
                p.set(key, val)
            elif typ == "hash":
                p.hset(key, mapping=val)
            elif typ == "list":
                for i in range(0, len(val), 1000):
                    p.rpush(key, *val[i:i + 1000])
            elif typ == "set":
                members = sorted(val)
                for i in range(0, len(members), 1000):
                    p.sadd(key, *members[i:i + 1000])
            elif typ == "zset":
                p.zadd(key, dict(val))
            if exp != -1:
                p.pexpireat(key, exp)
        p.execute()
        c.connection_pool.disconnect()


def _client(port, db):
    return redis.Redis(host="127.0.0.1", port=port, db=db, socket_timeout=60)


def dump_all(port, dbs=range(NDB), match=None):
    """Every key of every database: {(db, key): (type, value, pexpiretime)};
    with `match`, only the keys SCAN MATCH match finds (the server skips
    the rest: bulk filler stays out cheaply)."""
    out = {}
    for db in dbs:
        c = _client(port, db)
        keys = list(c.scan_iter(match=match, count=1000 if match is None else 20000))
        p = c.pipeline(transaction=False)
        for k in keys:
            p.type(k)
            p.execute_command("PEXPIRETIME", k)
        meta = p.execute()
        p = c.pipeline(transaction=False)
        types = []
        for i, k in enumerate(keys):
            typ = meta[2 * i].decode()
            types.append(typ)
            if typ == "string":
                p.get(k)
            elif typ == "hash":
                p.hgetall(k)
            elif typ == "list":
                p.lrange(k, 0, -1)
            elif typ == "set":
                p.smembers(k)
            elif typ == "zset":
                p.zrange(k, 0, -1, withscores=True)
            else:
                raise AssertionError("unexpected type %r of %r" % (typ, k))
        vals = p.execute()
        for i, k in enumerate(keys):
            v = vals[i]
            if types[i] == "zset":
                v = [(m, float(s)) for m, s in v]
            out[(db, k)] = (types[i], v, meta[2 * i + 1])
        c.connection_pool.disconnect()
    return out


def diff_datasets(got, want, limit=10):
    """Human-readable differences (empty list when identical)."""
    problems = []
    for k in sorted(set(want) - set(got)):
        problems.append("missing %r" % (k,))
    for k in sorted(set(got) - set(want)):
        problems.append("unexpected %r" % (k,))
    for k in sorted(set(got) & set(want)):
        g, w = got[k], want[k]
        if g[0] != w[0]:
            problems.append("%r: type %s, want %s" % (k, g[0], w[0]))
        elif g[1] != w[1]:
            problems.append("%r: %s contents differ (got %.200r, want %.200r)"
                            % (k, g[0], g[1], w[1]))
        elif g[2] != w[2]:
            problems.append("%r: pexpiretime %s, want %s" % (k, g[2], w[2]))
    if len(problems) > limit:
        problems = problems[:limit] + ["... %d more" % (len(problems) - limit)]
    return problems


def assert_same(got, want, what):
    problems = diff_datasets(got, want)
    assert not problems, "%s differs:\n  %s" % (what, "\n  ".join(problems))


def fill_strings(port, n, prefix=b"key:", batch=1000, value=b"v%d"):
    """n string keys prefix<i> = value % i, written with pipelined MSETs."""
    c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=120)
    p = c.pipeline(transaction=False)
    for i in range(0, n, batch):
        p.mset({prefix + b"%d" % j: value % j for j in range(i, min(n, i + batch))})
        if len(p) >= 100:
            p.execute()
    p.execute()
    c.connection_pool.disconnect()
