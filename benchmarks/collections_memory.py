#!/usr/bin/python3
"""Memory per collection element: Debian redis-server vs cachet-server (--threads 1).

One line per (type, collection size): hash fields, set members (strings and
integers), sorted-set members and list items, N elements in total (default
1,000,000) split into collections of S elements (default 100 -> 10,000 keys,
and 100,000 -> 10 keys). For every line and each server: start a fresh server
on a free 127.0.0.1 port, read VmRSS (/proc/PID/status) and INFO memory
used_memory, load the elements with pipelined one-element commands over a raw
socket (HSET/SADD/ZADD/RPUSH), read both again, check the data, read OBJECT
ENCODING of one collection, stop the server. Prints bytes per element for both
servers and the cachet/redis ratios (target: <= 1.00 on every line; reported,
never enforced -- the exit status only reflects whether the measurement worked).

A server that answers "unknown command" to a type's write command gets
"n/a (not supported)" on that line; that is not a failure.

Usage: benchmarks/collections_memory.py [--elems N] [--sizes "100 100000"]
                                        [--types "..."] [--batch N] [--markdown FILE]
Env:   COLL_MEM_ELEMS (default 1000000), COLL_MEM_SIZES (default "100 100000"),
       COLL_MEM_TYPES (default "hash set set-int zset list"),
       COLL_MEM_ORDER ("key": fill one collection after the other, default;
       "interleaved": element j of every collection, then j+1),
       MEM_QUICK=1 (smoke run: 100,000 elements, sizes "100 10000", unless set),
       MEM_BATCH (commands per pipelined batch, default 10000),
       CACHET_BIN (default <script dir>/../cachet-server), CACHET_ARGS,
       REDIS_BIN (default /usr/bin/redis-server), START_TIMEOUT (default 10 s),
       IO_TIMEOUT (socket timeout, default 30 s).
"""

import argparse
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import fmt, free_ports, print_table, rss_bytes, run_server, settings, workdir  # noqa: E402
from memory import Conn, info_field, server_argv  # noqa: E402


def _cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def zscore_of(i):
    """A float score (3 decimals, 0 <= s < 100000), scattered over i."""
    return ((i * 2654435761) % 100000000) / 1000.0


# Per type: the element in words, the raw payload bytes per element, the command
# that adds element i (j-th of collection key), the length command, and a check
# of element (key, j, i) -> (command args, expected reply).
TYPES = {
    "hash": {
        "what": "HSET key f:%06d v:%06d (8 B field, 8 B value)",
        "payload": 16,
        "add": lambda key, j, i: _cmd(b"HSET", key, b"f:%06d" % j, b"v:%06d" % (i % 1000000)),
        "len": b"HLEN",
        "check": lambda key, j, i: ((b"HGET", key, b"f:%06d" % j), b"v:%06d" % (i % 1000000)),
    },
    "set": {
        "what": "SADD key m:%08d (10 B string member)",
        "payload": 10,
        "add": lambda key, j, i: _cmd(b"SADD", key, b"m:%08d" % i),
        "len": b"SCARD",
        "check": lambda key, j, i: ((b"SISMEMBER", key, b"m:%08d" % i), 1),
    },
    "set-int": {
        "what": "SADD key <10-digit integer> (1000000000 + i)",
        "payload": 10,
        "add": lambda key, j, i: _cmd(b"SADD", key, b"%d" % (1000000000 + i)),
        "len": b"SCARD",
        "check": lambda key, j, i: ((b"SISMEMBER", key, b"%d" % (1000000000 + i)), 1),
    },
    "zset": {
        "what": "ZADD key <float score, 3 decimals> m:%08d (10 B member)",
        "payload": 18,  # 10 B member + 8 B double
        "add": lambda key, j, i: _cmd(b"ZADD", key, b"%.3f" % zscore_of(i), b"m:%08d" % i),
        "len": b"ZCARD",
        "check": lambda key, j, i: ((b"ZSCORE", key, b"m:%08d" % i), zscore_of(i)),
    },
    "list": {
        "what": "RPUSH key i:%08d (10 B item)",
        "payload": 10,
        "add": lambda key, j, i: _cmd(b"RPUSH", key, b"i:%08d" % i),
        "len": b"LLEN",
        "check": lambda key, j, i: ((b"LINDEX", key, b"%d" % j), b"i:%08d" % i),
    },
}


def key_of(tname, k):
    return b"%s:%06d" % (tname.replace("-", "").encode()[:4], k)


def element_order(nkeys, size, order):
    """(k, j) pairs in load order; element number i = k * size + j."""
    if order == "interleaved":
        for j in range(size):
            for k in range(nkeys):
                yield k, j
    else:
        for k in range(nkeys):
            for j in range(size):
                yield k, j


def build_batches(tname, nkeys, size, batch, order):
    """The whole load as a list of (payload, count), built once per line and
    sent unchanged to both servers."""
    add = TYPES[tname]["add"]
    keys = [key_of(tname, k) for k in range(nkeys)]
    out, parts = [], []
    for k, j in element_order(nkeys, size, order):
        parts.append(add(keys[k], j, k * size + j))
        if len(parts) == batch:
            out.append((b"".join(parts), len(parts)))
            parts = []
    if parts:
        out.append((b"".join(parts), len(parts)))
    return out


class Unsupported(Exception):
    pass


def pipeline(conn, payload, count):
    """Send a batch, read its replies. Returns (error replies, first error text)."""
    conn.sock.sendall(payload)
    errors, first = 0, None
    for _ in range(count):
        r = conn.read_reply()
        if isinstance(r, Exception):
            errors += 1
            if first is None:
                first = str(r)
    return errors, first


def measure(name, argv, tname, nkeys, size, batches, wd, start_timeout, io_timeout):
    port = int(argv[argv.index("--port") + 1])
    t = TYPES[tname]

    def body(proc, conn, res):
        time.sleep(0.2)  # let startup allocations settle
        res["rss0"] = rss_bytes(proc.pid)
        res["um0"] = info_field(conn, "memory", "used_memory")

        t0 = time.monotonic()
        errors, first_err = 0, None
        for payload, count in batches:
            e, first = pipeline(conn, payload, count)
            if e and first_err is None:
                first_err = first
            errors += e
            if e == count and "unknown command" in (first or "").lower():
                res["unsupported"] = first
                raise Unsupported(first)
            if proc.poll() is not None:
                raise RuntimeError(f"died while loading (status {proc.returncode})")
        res["load_s"] = time.monotonic() - t0
        if errors:
            raise RuntimeError(f"{errors} commands returned an error, first: {first_err}")

        time.sleep(0.5)  # let background threads/allocator/rehashing settle
        res["rss1"] = rss_bytes(proc.pid)
        res["um1"] = info_field(conn, "memory", "used_memory")

        # Checks: key count, length of one collection, one element.
        probe_k = nkeys // 2
        probe_key = key_of(tname, probe_k)
        try:
            enc = conn.call("OBJECT", "ENCODING", probe_key)
            res["enc"] = enc.decode() if isinstance(enc, bytes) else str(enc)
        except Exception as e:  # reported in the table, not a failure
            res["enc"] = "n/a (" + str(e).split(" ")[0] + ")"
        try:
            dbsize = conn.call("DBSIZE")
        except Exception:
            dbsize = None
        if dbsize is not None and dbsize != nkeys:
            raise RuntimeError(f"DBSIZE is {dbsize}, expected {nkeys}")
        length = conn.call(t["len"], probe_key)
        if length != size:
            raise RuntimeError(f"{t['len'].decode()} {probe_key.decode()} is {length!r}, expected {size}")
        j = size // 3
        args, want = t["check"](probe_key, j, probe_k * size + j)
        got = conn.call(*args)
        if isinstance(want, float):
            ok = got is not None and abs(float(got) - want) < 1e-6
        else:
            ok = got == want
        if not ok:
            raise RuntimeError(f"{b' '.join(args).decode()} returned {got!r}, expected {want!r}")

    res = run_server(name, argv, wd, start_timeout, lambda: Conn(port, io_timeout),
                     lambda conn: conn.call("PING") == "PONG", "PING", body)
    if "unsupported" in res:
        res["ok"] = True  # measured fine: the server just lacks the type
    return res


def per_elem(res, a, b, n):
    if not res.get("ok") or "unsupported" in res or res.get(a) is None or res.get(b) is None:
        return None
    return (res[b] - res[a]) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = os.environ.get("MEM_QUICK", "") not in ("", "0")
    ap.add_argument("--elems", type=int,
                    default=int(os.environ.get("COLL_MEM_ELEMS", "100000" if quick else "1000000")))
    ap.add_argument("--sizes", default=os.environ.get("COLL_MEM_SIZES",
                                                      "100 10000" if quick else "100 100000"))
    ap.add_argument("--types", default=os.environ.get("COLL_MEM_TYPES", " ".join(TYPES)))
    ap.add_argument("--order", choices=("key", "interleaved"),
                    default=os.environ.get("COLL_MEM_ORDER", "key"))
    ap.add_argument("--batch", type=int, default=int(os.environ.get("MEM_BATCH", "10000")))
    ap.add_argument("--markdown", metavar="FILE", help="also write a markdown section here")
    args = ap.parse_args()

    types = args.types.split()
    for tn in types:
        if tn not in TYPES:
            sys.exit(f"collections_memory.py: unknown type {tn!r} (known: {' '.join(TYPES)})")
    sizes = [int(s) for s in args.sizes.split()]
    for s in sizes:
        if s <= 0 or args.elems % s:
            sys.exit(f"collections_memory.py: collection size {s} does not divide {args.elems}")

    redis_bin = os.environ.get("REDIS_BIN", "/usr/bin/redis-server")
    cachet_bin, extra, start_timeout, io_timeout = settings("collections_memory.py", redis_bin)
    validation = os.path.basename(cachet_bin).startswith("redis")

    lines = []  # (type, size, nkeys, [redis result, cachet result])
    t_start = time.monotonic()
    with workdir("cachet-cmem.") as wd:
        for tn in types:
            for size in sizes:
                nkeys = args.elems // size
                batches = build_batches(tn, nkeys, size, args.batch, args.order)
                results = []
                for name, binary, threads in (("redis", redis_bin, None),
                                              ("cachet-t1", cachet_bin, 1)):
                    argv = server_argv(binary, free_ports(1)[0], threads, wd, extra)
                    print(f"[{tn} x{size}] {name}: {nkeys} keys x {size} elements "
                          f"({args.batch}/batch): {shlex.join(argv)}", file=sys.stderr)
                    r = measure(name, argv, tn, nkeys, size, batches, wd, start_timeout, io_timeout)
                    if not r["ok"]:
                        print(f"collections_memory.py: {name} FAILED on {tn} x{size}: {r['error']}",
                              file=sys.stderr)
                    elif "unsupported" in r:
                        print(f"collections_memory.py: {name}: {tn} not supported: {r['unsupported']}",
                              file=sys.stderr)
                    results.append(r)
                del batches
                lines.append((tn, size, nkeys, results))
    elapsed = time.monotonic() - t_start

    def cell(r, a, b):
        if "unsupported" in r:
            return "n/a (not supported)"
        return fmt(per_elem(r, a, b, args.elems))

    def ratio(rs, a, b):
        x = per_elem(rs[1], a, b, args.elems)
        y = per_elem(rs[0], a, b, args.elems)
        return fmt(None if x is None or y is None or y <= 0 else x / y, "{:.2f}")

    def enc(r):
        if "unsupported" in r:
            return "n/a"
        return r.get("enc", "n/a")

    hdr = ["type", "elems/coll", "keys", "payload B", "redis enc", "cachet enc",
           "redis used B/el", "cachet used B/el", "used cachet/redis",
           "redis RSS B/el", "cachet RSS B/el", "RSS cachet/redis"]
    rows = []
    for tn, size, nkeys, rs in lines:
        rows.append([tn, f"{size:,}", f"{nkeys:,}", TYPES[tn]["payload"], enc(rs[0]), enc(rs[1]),
                     cell(rs[0], "um0", "um1"), cell(rs[1], "um0", "um1"), ratio(rs, "um0", "um1"),
                     cell(rs[0], "rss0", "rss1"), cell(rs[1], "rss0", "rss1"),
                     ratio(rs, "rss0", "rss1")])

    dhdr = ["type", "elems/coll", "server", "RSS before", "RSS after", "used_memory before",
            "used_memory after", "load s", "status"]
    drows = []
    for tn, size, nkeys, rs in lines:
        for r in rs:
            status = ("ok" if r["ok"] and "unsupported" not in r else
                      "not supported" if "unsupported" in r else
                      "FAILED: " + r["error"].splitlines()[0])
            drows.append([tn, f"{size:,}", r["name"], fmt(r.get("rss0"), "{:,}"),
                          fmt(r.get("rss1"), "{:,}"), fmt(r.get("um0"), "{:,}"),
                          fmt(r.get("um1"), "{:,}"), fmt(r.get("load_s"), "{:.2f}"), status])

    n = args.elems
    print(f"\n== Memory per collection element: {n:,} elements per line, one-element commands "
          f"pipelined ({args.batch}/batch, order: {args.order}); fresh server per line and server")
    print("== B/el = (after - before) / elements; ratio = cachet / redis (target <= 1.00 on every line)")
    print_table(hdr, rows)
    print()
    print_table(dhdr, drows)
    print(f"\nelapsed: {elapsed:.0f}s")
    if validation:
        print("VALIDATION MODE: the cachet columns are Redis too; ratios should be ~1.00")
    failed = [(tn, size, r) for tn, size, _, rs in lines for r in rs if not r["ok"]]

    md = [f"### Memory per collection element ({n:,} elements per line, pipelined "
          f"one-element commands, {args.batch}/batch, order: {args.order})", ""]
    md += ["| " + " | ".join(hdr) + " |", "|---|" + "--:|" * (len(hdr) - 1)]
    md += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    md += ["", "Elements: " + "; ".join(f"{tn}: `{TYPES[tn]['what']}`" for tn in types) + ". "
           "B/el = growth of `used_memory` (INFO memory) or of VmRSS, divided by the number of "
           "elements (key overhead included, amortized over the collection); payload B = raw "
           "element bytes. Ratios are cachet / redis: **target <= 1.00 on every line**. "
           "`enc` = OBJECT ENCODING of one collection.", ""]
    md += ["<details><summary>absolute numbers</summary>", "",
           "| " + " | ".join(dhdr) + " |", "|---|" + "--:|" * (len(dhdr) - 1)]
    md += ["| " + " | ".join(str(c) for c in row) + " |" for row in drows]
    md += ["", "</details>", "", "Servers (ports differ per line):", "", "```"]
    if lines:
        md += [f"{r['cmd']}   # {r['name']}" for r in lines[0][3]]
    md += ["```"]
    if validation:
        md += ["", "- **VALIDATION MODE: the cachet columns are Redis too.**"]
    if failed:
        md += [""] + [f"- **{r['name']} failed on {tn} x{size}:** {r['error'].splitlines()[0]}"
                      for tn, size, r in failed]
    md_text = "\n".join(md) + "\n"
    print("\n== Markdown\n" + md_text, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md_text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
