#!/usr/bin/python3
"""Snapshot benchmark: BGSAVE under a steady write load, Debian redis-server vs cachet-server.

Issue 6, "Performance (benchmarks/)". For each server -- Debian's redis-server
(`--save "" --appendonly no`), then cachet-server (`--threads 2 --memcache-port
0 --save ""`) -- in the same run:

1. start it on a free 127.0.0.1 port with its own `dir`, and load the dataset:
   N keys (SNAP_KEYS), seeded, byte-identical for both servers, pipelined over
   a raw socket. Mostly small strings (`s:%09d`, values of 8-64 bytes); by
   default 4 % of the keys are collections of 10-100 elements, a quarter each
   hashes (`h:`, HSET), lists (`l:`, RPUSH), sets (`S:`, SADD; every other
   one of integers) and sorted sets (`z:`, ZADD);
2. start SNAP_WORKERS load processes, each with SNAP_CONNS connections of
   its own, sending SETs of existing string keys and HSETs of existing hash
   fields (20 %) at a fixed total rate (SNAP_RATE/s, open loop: a request due
   while all connections wait waits in the client) and recording every
   request's scheduled start, send and reply time; after SNAP_WARMUP s,
   measure the latency over a SNAP_BASELINE s window without a save;
3. BGSAVE under the same load, polling INFO persistence every 50 ms until
   rdb_bgsave_in_progress:0: save duration, file size, MB/s, the latency of
   the requests scheduled meanwhile, and the RSS of the server's process tree
   (server + children, so Redis's forked child counts: VmRSS summed, sampled
   every 50 ms, plus the server's own exact VmHWM after a reset through
   /proc/PID/clear_refs) over the RSS just before; PSS (smaps_rollup, every
   2 s) is shown too, because summed VmRSS counts the pages the fork shares
   twice;
4. stop the server (SIGTERM; `save ""` means no save at exit) and start it
   again on the saved file: load time = from exec until PING answers PONG
   instead of -LOADING (polled every 10 ms), the server's own "DB loaded from
   disk" figure from its log, INFO loading fields, and DBSIZE = N.

Then a table per server and the cachet/redis ratios, each figure next to the
issue's targets (p99 during the save <= 1.5x baseline, peak RSS <= 1.1x the
RSS before, load at least as fast as Redis). Nothing is enforced: the exit
status is 1 only if a measurement failed.

Latency is measured two ways. "sched" = reply time - intended start (the
fixed-rate schedule), which charges a stall to every request that should have
been sent during it (no coordinated omission); "svc" = reply time - send time.
The headline ratios use "sched". Both windows run at the same rate on the same
2-core machine, so the client's own CPU noise is in both.

Size: the issue's 5,000,000 keys fit this 2-core, 24 GB machine, so that is
the default: a full run takes about 2 minutes (dataset built once, ~6 s; per
server: fill 12-20 s, 22 s of load before the save, the save (2.5-25 s), the
drain, the reload ~5-6 s) and needs ~1.7 GB for Redis during its fork plus
~1 GB for the prepared dataset in this process; SNAP_KEYS scales it.
SNAP_QUICK=1 is a ~20-30 s smoke run (200,000 keys, 5 s baseline): its save
windows are short (a few thousand requests), so its p99.9 is not fit for
conclusions.

The load generator shares the 2 cores with the server (~0.25 core per 10,000
writes/s, in Python), and so does Redis's forked child: figures from one run
move by tens of percent with whatever else runs on the machine (check the
load average printed with the table).

redis-py drives the control path (PING/-LOADING, INFO, BGSAVE, DBSIZE); the
bulk load and the write load use raw RESP sockets, because redis-py's
per-request overhead would make the Python client, not the server, the
bottleneck at these rates on 2 cores.

Usage: benchmarks/snapshot.py [--markdown FILE]
Env:   SNAP_KEYS (5000000), SNAP_QUICK (unset; 1 = smoke run), SNAP_RATE
       (20000 writes/s in total), SNAP_WORKERS (2 load processes),
       SNAP_CONNS (16 connections per load process),
       SNAP_HSET_PCT (20), SNAP_COLL_PCT (4), SNAP_SEED (1), SNAP_WARMUP (2 s),
       SNAP_BASELINE (20 s; QUICK 5), SNAP_TAIL (1 s of load after the save),
       SNAP_THREADS (cachet --threads, 2), SNAP_FILL_TIMEOUT (600 s),
       SNAP_SAVE_TIMEOUT (300 s), SNAP_LOAD_TIMEOUT (300 s, restart until
       PONG), CACHET_BIN (default <script dir>/../cachet-server), CACHET_ARGS,
       REDIS_BIN (/usr/bin/redis-server), START_TIMEOUT (10 s),
       IO_TIMEOUT (60 s), SNAP_A_BIN (another cachet-server build to run
       in Redis's place: an A/B comparison of two builds, ratios = B/A).
       Validation mode: CACHET_BIN=/usr/bin/redis-server
       starts the "cachet" server like Redis (ratios ~1.00 = noise floor).
"""

import argparse
import array
import collections
import ctypes
import math
import os
import pickle
import random
import re
import select as selectmod
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import HOST, fmt, free_ports, print_table, settings, workdir  # noqa: E402

import redis  # noqa: E402  (Debian python3-redis)

mono = time.monotonic
MB = 1e6
TOKENS = 1 << 14  # distinct pre-encoded values in the pools


def env_num(name, default, cast=int):
    v = os.environ.get(name, "")
    return cast(v) if v.strip() else default


def set_timer_slack_ns(ns):
    """Sleep precision: the default 50 us timer slack would blur the pacing."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(29, ctypes.c_ulong(ns), 0, 0, 0)  # PR_SET_TIMERSLACK
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------- dataset

ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def value_tokens(rng, lo, hi):
    """TOKENS pre-encoded RESP bulk strings of lo..hi random alphanumerics."""
    pool = bytes(rng.choices(ALPHABET, k=1 << 16))
    out = []
    for _ in range(TOKENS):
        n = rng.randint(lo, hi)
        off = rng.randrange(len(pool) - n)
        out.append(b"$%d\r\n%s\r\n" % (n, pool[off:off + n]))
    return out


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def layout(nkeys, coll_pct):
    """(strings, hashes, lists, sets, zsets) key counts."""
    per = int(nkeys * coll_pct / 100 / 4)
    return nkeys - 4 * per, per, per, per, per


def build_dataset(nkeys, coll_pct, seed, batch_bytes=1 << 20):
    """The whole load as [(payload, commands)], built once so both servers get
    the same bytes. Returns (batches, counts, elements)."""
    rng = random.Random(seed)
    svals = value_tokens(rng, 8, 64)
    evals = value_tokens(rng, 4, 16)
    fields = [bulk(b"f%d" % f) for f in range(100)]
    members = [bulk(b"m%d" % f) for f in range(100)]
    ns, nh, nl, nset, nz = layout(nkeys, coll_pct)
    batches, cur, cur_n, cur_len = [], [], 0, 0
    elements = 0
    rb = rng.getrandbits
    mask = TOKENS - 1

    def push(cmd):
        nonlocal cur, cur_n, cur_len
        cur.append(cmd)
        cur_n += 1
        cur_len += len(cmd)
        if cur_len >= batch_bytes:
            flush()

    def flush():
        nonlocal cur, cur_n, cur_len
        if cur:
            batches.append((b"".join(cur), cur_n))
        cur, cur_n, cur_len = [], 0, 0

    head = b"*3\r\n$3\r\nSET\r\n$11\r\ns:%09d\r\n"
    for i in range(ns):
        push(head % i + svals[rb(14) & mask])
    for j in range(nh):
        m = rng.randint(10, 100)
        elements += m
        parts = [b"*%d\r\n$4\r\nHSET\r\n$10\r\nh:%08d\r\n" % (2 + 2 * m, j)]
        for f in range(m):
            parts.append(fields[f])
            parts.append(evals[rb(14) & mask])
        push(b"".join(parts))
    for j in range(nl):
        m = rng.randint(10, 100)
        elements += m
        push(b"*%d\r\n$5\r\nRPUSH\r\n$10\r\nl:%08d\r\n" % (2 + m, j)
             + b"".join([evals[rb(14) & mask] for _ in range(m)]))
    for j in range(nset):
        m = rng.randint(10, 100)
        elements += m
        if j % 2:
            mem = [evals[rb(14) & mask] for _ in range(m)]
        else:
            mem = [bulk(b"%d" % rb(30)) for _ in range(m)]
        push(b"*%d\r\n$4\r\nSADD\r\n$10\r\nS:%08d\r\n" % (2 + m, j) + b"".join(mem))
    for j in range(nz):
        m = rng.randint(10, 100)
        elements += m
        parts = [b"*%d\r\n$4\r\nZADD\r\n$10\r\nz:%08d\r\n" % (2 + 2 * m, j)]
        for f in range(m):
            parts.append(bulk(b"%d" % rb(20)))
            parts.append(members[f])
        push(b"".join(parts))
    flush()
    return batches, (ns, nh, nl, nset, nz), elements


class RawConn:
    """A RESP connection for pipelines of commands with one-line replies."""

    def __init__(self, port, timeout):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        self.sock.close()

    def pipeline(self, payload, count):
        """Send payload (count commands, each answered by +, :, or - line),
        read count replies. Returns (errors, first error line)."""
        self.sock.sendall(payload)
        seen, errors, first, tail = 0, 0, None, b""
        while seen < count:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("server closed the connection")
            seen += chunk.count(b"\n")  # every reply is one line
            # look for "-ERR" lines among the complete ones
            buf = tail + chunk
            k = buf.rfind(b"\n") + 1
            tail = buf[k:]
            if b"-" in buf[:k]:
                for line in buf[:k].split(b"\r\n"):
                    if line.startswith(b"-"):
                        errors += 1
                        first = first or line[:200].decode(errors="replace")
        return errors, first


def fill(port, batches, io_timeout, deadline, proc):
    conn = RawConn(port, io_timeout)
    try:
        errors, first = 0, None
        for payload, n in batches:
            e, f = conn.pipeline(payload, n)
            errors += e
            first = first or f
            if proc.poll() is not None:
                raise RuntimeError(f"server exited while loading (status {proc.returncode})")
            if mono() > deadline:
                raise RuntimeError("dataset load timed out (SNAP_FILL_TIMEOUT)")
        return errors, first
    finally:
        conn.close()


# ---------------------------------------------------------------- write load (worker processes)

def worker_main(spec):
    """A load process: spec["conns"] connections, requests sent at a fixed
    rate on whichever connection is idle (open loop: a request due while all
    are busy waits in the client, and its wait counts), every request timed.
    Started by the main process with `--worker SPEC`; waits for "go T0" on
    stdin. SIGUSR1 ends the schedule: requests scheduled before it are still
    sent and answered (a backlog is drained, so no late request goes
    unrecorded), then it pickles its timings to spec["out"] and exits. It also
    stops at its deadline, on SIGTERM, or if its parent dies."""
    set_timer_slack_ns(1000)
    stop_at = [None]
    abort = [False]

    def on_usr1(*_):
        stop_at[0] = mono()

    def on_term(*_):
        abort[0] = True

    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGTERM, on_term)
    parent = os.getppid()
    rng = random.Random(spec["seed"])
    svals = value_tokens(rng, 8, 64)
    evals = value_tokens(rng, 4, 16)
    ns, nh = spec["ns"], spec["nh"]
    hset_p = spec["hset_pct"] / 100.0 if nh else 0.0
    conns = []
    for _ in range(spec["conns"]):
        c = socket.create_connection((HOST, spec["port"]), timeout=spec["io_timeout"])
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.setblocking(False)
        conns.append(c)
    print("ready", flush=True)
    line = sys.stdin.readline().split()
    if len(line) != 2 or line[0] != "go":
        return 2
    t0 = float(line[1])
    period = 1.0 / spec["rate"]
    deadline = t0 + spec["max_s"]
    io_timeout = spec["io_timeout"]
    scheds, sends, dones = array.array("d"), array.array("d"), array.array("d")
    errors, first_error, died = 0, None, None
    set_head = b"*3\r\n$3\r\nSET\r\n$11\r\ns:%09d\r\n"
    hset_head = b"*4\r\n$4\r\nHSET\r\n$10\r\nh:%08d\r\n$2\r\nf%d\r\n"
    rand, randrange, rb = rng.random, rng.randrange, rng.getrandbits
    mask = TOKENS - 1
    idle = collections.deque(conns)  # FIFO: spread requests over the connections
    busy = {}  # conn -> [scheduled, sent, reply so far]
    select = selectmod.select
    i, due, last_reply = 0, t0, mono()
    try:
        while not abort[0]:
            now = mono()
            if now > deadline:
                break
            if stop_at[0] is not None and due > stop_at[0]:
                if not busy:
                    break  # schedule ended and every request answered
                due = math.inf
            while idle and due <= now:
                c = idle.popleft()
                if rand() < hset_p:
                    cmd = hset_head % (randrange(nh), rb(3)) + evals[rb(14) & mask]
                else:
                    cmd = set_head % randrange(ns) + svals[rb(14) & mask]
                c.sendall(cmd)  # one small request per connection: fits the socket buffer
                busy[c] = [due, mono(), b""]
                i += 1
                due = t0 + i * period
            if not busy:
                wait = due - mono()
                if wait > 0:
                    time.sleep(min(wait, 0.05))
                continue
            wait = min(0.05, max(0.0, due - mono())) if idle else 0.05
            ready = select(list(busy), [], [], wait)[0]
            now = mono()
            for c in ready:
                data = c.recv(4096)
                if not data:
                    raise ConnectionError("server closed the connection")
                st = busy[c]
                st[2] += data
                if st[2].endswith(b"\r\n"):
                    if st[2][:1] == b"-":
                        errors += 1
                        first_error = first_error or st[2][:200].decode(errors="replace").strip()
                    scheds.append(st[0])
                    sends.append(st[1])
                    dones.append(now)
                    del busy[c]
                    idle.append(c)
                    last_reply = now
            if busy and now - last_reply > io_timeout:
                raise TimeoutError(f"no reply for {io_timeout:.0f}s")
            if not i & 1023 and os.getppid() != parent:
                break
    except OSError as e:  # the server died or hung: report what we have
        died = str(e) or type(e).__name__
    with open(spec["out"], "wb") as f:
        pickle.dump({"scheds": scheds, "sends": sends, "dones": dones,
                     "unsent": max(0, math.floor(((stop_at[0] or mono()) - t0) / period) + 1 - i),
                     "errors": errors, "first_error": first_error, "died": died}, f)
    return 0


class Load:
    """SNAP_WORKERS worker processes sharing the total rate."""

    def __init__(self, script, port, cfg, counts, wd, tag):
        self.procs, self.outs = [], []
        nw = cfg["workers"]
        t_first = mono()
        for k in range(nw):
            out = os.path.join(wd, f"{tag}-worker{k}.pickle")
            spec = {"port": port, "rate": cfg["rate"] / nw, "seed": cfg["seed"] * 1000 + k,
                    "ns": counts[0], "nh": counts[1], "hset_pct": cfg["hset_pct"], "conns": cfg["conns"],
                    "io_timeout": cfg["io_timeout"], "max_s": cfg["worker_max_s"], "out": out}
            p = subprocess.Popen([sys.executable, script, "--worker", repr(spec)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.procs.append(p)
            self.outs.append(out)
        for p in self.procs:
            line = p.stdout.readline().strip()
            if line != "ready":
                self.kill()
                raise RuntimeError(f"load worker did not start (said {line!r})")
        if mono() - t_first > 30:
            self.kill()
            raise RuntimeError("load workers took over 30 s to start")
        self.t0 = mono() + 0.2
        for k, p in enumerate(self.procs):  # interleave the workers' schedules
            p.stdin.write(f"go {self.t0 + k / cfg['rate']!r}\n")
            p.stdin.flush()

    def stop(self, timeout=120):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGUSR1)
        deadline = mono() + timeout
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - mono()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        res = []
        for out in self.outs:
            try:
                with open(out, "rb") as f:
                    res.append(pickle.load(f))
            except (OSError, EOFError, pickle.UnpicklingError):
                raise RuntimeError(f"a load worker left no timings ({out})") from None
        return res

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def window(results, t_from, t_to):
    """Latencies (seconds) of the requests scheduled in [t_from, t_to):
    (sched list, svc list, replies received in [t_from, t_to))."""
    sched, svc, done = [], [], 0
    for r in results:
        for s, t, d in zip(r["scheds"], r["sends"], r["dones"]):
            if t_from <= s < t_to:
                sched.append(d - s)
                svc.append(d - t)
            if t_from <= d < t_to:
                done += 1
    return sched, svc, done


def worst(results, t_from, t_to, ref, k=3):
    """The k slowest replies (send -> reply) of the requests scheduled in
    [t_from, t_to), one per stall, as "+T s: L ms" with T the send time
    relative to ref."""
    top = []
    for r in results:
        for s, t, d in zip(r["scheds"], r["sends"], r["dones"]):
            if t_from <= s < t_to:
                top.append((d - t, t))
    top.sort(reverse=True)
    picked = []  # one per stall: skip replies sent during one already picked
    for lat, t in top:
        if all(abs(t - t2) > max(0.005, lat2) for lat2, t2 in picked):
            picked.append((lat, t))
            if len(picked) == k:
                break
    return ", ".join(f"{t - ref:+.3f}s: {lat * 1e3:.1f}ms" for lat, t in picked) or "n/a"


def percentiles(xs):
    if not xs:
        return None
    xs = sorted(xs)
    n = len(xs)

    def q(p):
        return xs[min(n - 1, max(0, math.ceil(p * n) - 1))]
    return {"n": n, "p50": q(0.50), "p99": q(0.99), "p999": q(0.999), "max": xs[-1]}


# ---------------------------------------------------------------- process tree memory

def proc_field_kb(pid, field, name="status"):
    try:
        with open(f"/proc/{pid}/{name}") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        return int(st[st.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


class Descendants:
    """The descendants of pid, from /proc/*/stat; a process is looked at once
    (its parent does not change while ours lives), so a rescan costs one
    listdir plus the processes that appeared since the last one."""

    def __init__(self, pid):
        self.pid = pid
        self.seen = {}  # pid -> parent pid

    def __call__(self):
        live = set()
        for d in os.listdir("/proc"):
            if d.isdigit():
                p = int(d)
                live.add(p)
                if p not in self.seen:
                    self.seen[p] = parent_of(p)
        for p in list(self.seen):
            if p not in live:
                del self.seen[p]
        out, stack = [], [self.pid]
        while stack:
            q = stack.pop()
            kids = [c for c, pp in self.seen.items() if pp == q]
            out += kids
            stack += kids
        return out


def children_of(pid):
    return Descendants(pid)()


class TreeSampler(threading.Thread):
    """Samples the summed VmRSS of pid and its descendants every `interval`
    (descendants rescanned every 0.1 s), and the summed PSS every 2 s
    (reading smaps_rollup walks the page tables: ~15 ms per GB). It runs
    through the baseline window too, so both windows bear its (small) cost;
    reset() starts the peaks afresh, and PSS is then read 0.25, 0.5 and 1 s
    later before going back to every 2 s (so short saves get samples)."""

    def __init__(self, pid, interval=0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.halt = threading.Event()
        self.reset()

    def reset(self):
        self.peak_rss = self.peak_pss = 0
        self.max_procs = 1
        self.samples = 0
        self.pss_gaps = [0.25, 0.25, 0.5]  # after the immediate sample
        self.pss_now = True

    def run(self):
        kids, next_scan, next_pss = [], 0.0, 0.0
        descendants = Descendants(self.pid)
        while not self.halt.is_set():
            now = mono()
            if now >= next_scan:
                kids = descendants()
                next_scan = now + 0.1
            pids = [self.pid] + kids
            rss = [proc_field_kb(p, "VmRSS:") for p in pids]
            total = sum(x for x in rss if x) * 1024
            self.max_procs = max(self.max_procs, sum(1 for x in rss if x))
            self.peak_rss = max(self.peak_rss, total)
            self.samples += 1
            if now >= next_pss or self.pss_now:
                self.pss_now = False
                pss = [proc_field_kb(p, "Pss:", "smaps_rollup") for p in pids]
                self.peak_pss = max(self.peak_pss, sum(x for x in pss if x) * 1024)
                next_pss = now + (self.pss_gaps.pop(0) if self.pss_gaps else 2.0)
            self.halt.wait(self.interval)

    def stop(self):
        self.halt.set()
        self.join(5)


def tree_rss(pid):
    return sum((proc_field_kb(p, "VmRSS:") or 0) for p in [pid] + children_of(pid)) * 1024


def tree_pss(pid):
    return sum((proc_field_kb(p, "Pss:", "smaps_rollup") or 0)
               for p in [pid] + children_of(pid)) * 1024


# ---------------------------------------------------------------- servers

def is_redis(binary):
    return os.path.basename(binary).startswith("redis")


def server_argv(binary, port, threads, sdir, extra):
    argv = [binary, "--port", str(port), "--bind", HOST, "--dir", sdir,
            "--dbfilename", "dump.rdb"]
    if is_redis(binary):
        argv += ["--save", "", "--appendonly", "no"]
    else:
        argv += ["--threads", str(threads), "--memcache-port", "0", "--save", ""] + extra
    return argv


class Server:
    def __init__(self, argv, log_path):
        self.argv = argv
        self.port = int(argv[argv.index("--port") + 1])
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.t_exec = mono()
        self.proc = subprocess.Popen(argv, cwd=argv[argv.index("--dir") + 1],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid

    def client(self, timeout):
        return redis.Redis(host=HOST, port=self.port, socket_timeout=timeout,
                           socket_connect_timeout=timeout)

    def wait_ready(self, timeout, poll=0.01):
        """Poll PING until PONG; returns (seconds since exec, saw -LOADING,
        the last INFO persistence taken while loading)."""
        deadline = self.t_exec + timeout
        r = self.client(5)
        saw_loading, loading_info, next_info = False, None, 0.0
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"exited with status {self.proc.returncode} during startup")
                try:
                    if r.ping():
                        return mono() - self.t_exec, saw_loading, loading_info
                except redis.exceptions.BusyLoadingError:
                    saw_loading = True
                    if mono() >= next_info:
                        try:
                            loading_info = r.info("persistence")
                        except redis.exceptions.RedisError:
                            pass
                        next_info = mono() + 0.5
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
                    pass
                if mono() > deadline:
                    raise RuntimeError(f"did not answer PING with PONG within {timeout:.0f}s")
                time.sleep(poll)
        finally:
            r.close()

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def log_tail(self, n=15):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read()[-4000:].decode(errors="replace").strip().splitlines()
            return "\n    | " + "\n    | ".join(lines[-n:]) if lines else ""
        except OSError:
            return ""


LOADED_RE = re.compile(r"DB loaded from disk:.*?([0-9.]+) seconds")


def log_load_seconds(log_path, offset):
    """The last "DB loaded from disk: ... N seconds" after offset in the log."""
    try:
        with open(log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return None
    m = LOADED_RE.findall(text)
    return float(m[-1]) if m else None


def say(name, msg):
    print(f"[{name}] {msg}", file=sys.stderr, flush=True)


def measure(name, binary, threads, cfg, data, wd, script):
    """All phases for one server; returns the result dict (ok, error, ...)."""
    batches, counts, _elements = data
    sdir = os.path.join(wd, name)
    os.mkdir(sdir)
    log_path = os.path.join(wd, name + ".log")
    res = {"name": name, "ok": False, "cmd": None}
    srv = load = sampler = None
    try:
        # ---- 1. start and fill
        argv = server_argv(binary, free_ports(1)[0], threads, sdir, cfg["extra"])
        res["cmd"] = shlex.join(argv)
        say(name, res["cmd"])
        srv = Server(argv, log_path)
        srv.wait_ready(cfg["start_timeout"])
        r = srv.client(cfg["io_timeout"])
        say(name, f"loading {cfg['keys']:,} keys ({len(batches)} pipelined batches)")
        t = mono()
        errors, first = fill(srv.port, batches, cfg["io_timeout"], t + cfg["fill_timeout"], srv.proc)
        res["fill_s"] = mono() - t
        if errors:
            raise RuntimeError(f"{errors} load commands failed, first: {first}")
        res["dbsize"] = r.dbsize()
        if res["dbsize"] != cfg["keys"]:
            raise RuntimeError(f"DBSIZE is {res['dbsize']} after the load, expected {cfg['keys']}")
        res["used_memory"] = r.info("memory").get("used_memory")
        say(name, f"loaded in {res['fill_s']:.1f}s; RSS {tree_rss(srv.pid) / MB:.0f} MB; "
                  f"write load {cfg['rate']:,}/s for {cfg['warmup'] + cfg['baseline']:.0f}s, then BGSAVE")

        # ---- 2. write load, baseline window
        load = Load(script, srv.port, cfg, counts, wd, name)
        sampler = TreeSampler(srv.pid)
        sampler.start()
        t_bg = load.t0 + cfg["warmup"] + cfg["baseline"]
        while mono() < t_bg - 0.05:
            time.sleep(min(0.5, t_bg - 0.05 - mono()))
            if srv.proc.poll() is not None:
                raise RuntimeError(f"server exited during the baseline (status {srv.proc.returncode})")
            if any(p.poll() is not None for p in load.procs):
                raise RuntimeError("a load worker exited during the baseline")

        # ---- 3. BGSAVE under the same load
        res["rss_before"] = tree_rss(srv.pid)
        res["pss_before"] = tree_pss(srv.pid)
        try:  # reset the server's VmHWM to its current RSS (Linux >= 4.0)
            with open(f"/proc/{srv.pid}/clear_refs", "w") as f:
                f.write("5")
            hwm_reset = True
        except OSError:
            hwm_reset = False
        sampler.reset()
        while mono() < t_bg:
            time.sleep(0.001)
        t_save0 = mono()
        reply = r.execute_command("BGSAVE")
        save_deadline = t_save0 + cfg["save_timeout"]
        while True:
            info = r.info("persistence")
            if not info.get("rdb_bgsave_in_progress"):
                break
            if mono() > save_deadline:
                raise RuntimeError(f"BGSAVE still running after {cfg['save_timeout']:.0f}s")
            time.sleep(0.05)
        t_save1 = mono()
        sampler.stop()
        res["save_s"] = t_save1 - t_save0
        if not reply:
            raise RuntimeError(f"BGSAVE answered {reply!r}")
        res["bgsave_status"] = info.get("rdb_last_bgsave_status")
        hwm = proc_field_kb(srv.pid, "VmHWM:") if hwm_reset else None
        res["peak_rss"] = max(sampler.peak_rss, (hwm or 0) * 1024)
        res["peak_pss"] = sampler.peak_pss or None
        res["max_procs"] = sampler.max_procs
        res["samples"] = sampler.samples
        time.sleep(cfg["tail"])
        results = load.stop()
        load = None
        say(name, f"BGSAVE took {res['save_s']:.2f}s ({res['bgsave_status']}); "
                  f"peak tree RSS {res['peak_rss'] / MB:.0f} MB vs {res['rss_before'] / MB:.0f} MB before")
        if res["bgsave_status"] != "ok":
            raise RuntimeError(f"rdb_last_bgsave_status:{res['bgsave_status']}")
        res["write_errors"] = sum(x["errors"] for x in results)
        res["first_write_error"] = next((x["first_error"] for x in results if x["first_error"]), None)
        dead = [x["died"] for x in results if x["died"]]
        if dead:
            raise RuntimeError(f"a load worker lost its connection: {dead[0]}")
        res["requests"] = sum(len(x["dones"]) for x in results)
        res["unsent"] = sum(x["unsent"] for x in results)
        if res["unsent"]:
            raise RuntimeError(f"{res['unsent']} scheduled writes were never sent (client backlog not drained)")
        base = window(results, t_save0 - cfg["baseline"], t_save0)
        during = window(results, t_save0, t_save1)
        res["lat"] = {"baseline": (percentiles(base[0]), percentiles(base[1])),
                      "save": (percentiles(during[0]), percentiles(during[1]))}
        res["lat_s"] = {"baseline": cfg["baseline"], "save": res["save_s"]}
        res["served"] = {"baseline": base[2], "save": during[2]}
        res["worst_base"] = worst(results, t_save0 - cfg["baseline"], t_save0, t_save0)
        res["worst_save"] = worst(results, t_save0, t_save1, t_save0)
        rdb = os.path.join(sdir, "dump.rdb")
        st = os.stat(rdb)
        res["file_bytes"] = st.st_size
        res["mb_s"] = st.st_size / MB / res["save_s"]
        r.close()

        # ---- 4. stop, restart on the file
        srv.stop()
        st2 = os.stat(rdb)
        if (st2.st_size, st2.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
            raise RuntimeError("dump.rdb changed at shutdown (a save at exit?)")
        argv2 = list(argv)
        argv2[argv2.index("--port") + 1] = str(free_ports(1)[0])
        offset = os.path.getsize(log_path)
        say(name, f"restarting on dump.rdb ({st.st_size / MB:.0f} MB)")
        srv = Server(argv2, log_path)
        res["load_s"], res["saw_loading"], linfo = srv.wait_ready(cfg["load_timeout"])
        res["loading_total_bytes"] = (linfo or {}).get("loading_total_bytes")
        r = srv.client(cfg["io_timeout"])
        info = r.info("persistence")
        res["keys_loaded"] = info.get("rdb_last_load_keys_loaded")
        res["dbsize_after"] = r.dbsize()
        res["rss_reloaded"] = tree_rss(srv.pid)
        r.close()
        srv.stop()
        res["log_load_s"] = log_load_seconds(log_path, offset)
        say(name, f"loaded the file in {res['load_s']:.2f}s (log: {fmt(res['log_load_s'], '{:.2f}')}s), "
                  f"DBSIZE {res['dbsize_after']:,}")
        if res["dbsize_after"] != cfg["keys"]:
            raise RuntimeError(f"DBSIZE is {res['dbsize_after']} after the reload, expected {cfg['keys']}")
        res["ok"] = True
    except Exception as e:  # noqa: BLE001 -- report, carry on with the next server
        res["error"] = f"{type(e).__name__}: {e}" + (srv.log_tail() if srv else "")
    finally:
        if sampler and sampler.is_alive():
            sampler.stop()
        if load:
            load.kill()
        if srv:
            srv.stop()
    return res


# ---------------------------------------------------------------- report

def us(x):
    return "n/a" if x is None else f"{x * 1e6:,.0f}"


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def lat_rows(res):
    rows = []
    lat = res.get("lat") or {}
    for label, key in (("baseline (no save)", "baseline"), ("during BGSAVE", "save")):
        sched, svc = lat.get(key, (None, None))
        secs = (res.get("lat_s") or {}).get(key)
        served = (res.get("served") or {}).get(key)
        rows.append([label, fmt(sched and sched["n"], "{:,}"),
                     fmt(served is not None and secs and served / secs or None, "{:,.0f}"),
                     us(sched and sched["p50"]), us(sched and sched["p99"]),
                     us(sched and sched["p999"]), us(sched and sched["max"]),
                     us(svc and svc["p50"]), us(svc and svc["p99"]),
                     us(svc and svc["p999"]), us(svc and svc["max"])])
    b, s = lat.get("baseline", (None, None)), lat.get("save", (None, None))
    row = ["during / baseline", "", ""]
    for which in (0, 1):
        for q in ("p50", "p99", "p999", "max"):
            x = ratio(s[which] and s[which][q], b[which] and b[which][q])
            row.append(fmt(x, "{:.2f}x"))
    rows.append(row)
    return rows


LAT_HDR = ["window", "requests", "served/s", "sched p50 us", "sched p99 us", "sched p99.9 us", "sched max us",
           "svc p50 us", "svc p99 us", "svc p99.9 us", "svc max us"]


def lat_ratio(res, q, which=0):
    lat = res.get("lat") or {}
    b, s = lat.get("baseline", (None, None)), lat.get("save", (None, None))
    return ratio(s[which] and s[which][q], b[which] and b[which][q])


def summary(results, validation):
    """[metric, redis, cachet, cachet/redis, target note] rows."""
    rd = results[0] if results else {}
    ct = results[1] if len(results) > 1 else {}

    def g(r, k):
        return r.get(k)

    def meets(x, limit, le=True):
        if x is None:
            return ""
        ok = x <= limit if le else x >= limit
        return "meets" if ok else "MISSES"

    rows = []

    def add(metric, a, b, spec, target="", rat=None, note=""):
        rr = ratio(b, a) if rat is None else rat
        rows.append([metric, fmt(a, spec), fmt(b, spec), fmt(rr, "{:.2f}"), (target + " " + note).strip()])

    add("file MB", g(rd, "file_bytes") and rd["file_bytes"] / MB,
        g(ct, "file_bytes") and ct["file_bytes"] / MB, "{:.1f}")
    add("save s", g(rd, "save_s"), g(ct, "save_s"), "{:.2f}")
    add("save MB/s (file / duration)", g(rd, "mb_s"), g(ct, "mb_s"), "{:.1f}", "higher is better")
    add("RSS before MB", g(rd, "rss_before") and rd["rss_before"] / MB,
        g(ct, "rss_before") and ct["rss_before"] / MB, "{:.0f}")
    pr = [ratio(r.get("peak_rss"), r.get("rss_before")) for r in (rd, ct)]
    add("peak RSS during save / before (tree VmRSS)", pr[0], pr[1], "{:.2f}",
        "target cachet <= 1.10:", note=meets(pr[1], 1.10))
    pp = [ratio(r.get("peak_pss"), r.get("pss_before")) for r in (rd, ct)]
    add("peak PSS during save / before", pp[0], pp[1], "{:.2f}", "(shared fork pages counted once)")
    for q, label in (("p99", "p99"), ("p999", "p99.9")):
        a, b = lat_ratio(rd, q), lat_ratio(ct, q)
        add(f"{label} during save / baseline (sched)", a, b, "{:.2f}",
            "target cachet <= 1.50:" if q == "p99" else "(p99 target 1.5x)",
            note=meets(b, 1.50) if q == "p99" else "")
    for q, label in (("p99", "p99"), ("p999", "p99.9")):
        a, b = lat_ratio(rd, q, 1), lat_ratio(ct, q, 1)
        add(f"{label} during save / baseline (svc)", a, b, "{:.2f}")
    la, lb = g(rd, "load_s"), g(ct, "load_s")
    add("load s (exec -> PONG)", la, lb, "{:.2f}", "target cachet/redis <= 1.00:",
        note=meets(ratio(lb, la), 1.00))
    add("load s (server log)", g(rd, "log_load_s"), g(ct, "log_load_s"), "{:.2f}")
    add("RSS after reload MB", g(rd, "rss_reloaded") and rd["rss_reloaded"] / MB,
        g(ct, "rss_reloaded") and ct["rss_reloaded"] / MB, "{:.0f}")
    if validation:
        rows.append(["(validation mode: both columns are Redis)", "", "", "", ""])
    return rows


def server_rows(res):
    def mb(k):
        return fmt(res.get(k) and res[k] / MB, "{:,.1f}")
    return [
        ["dataset load (pipelined) s", fmt(res.get("fill_s"), "{:.1f}")],
        ["used_memory after load MB", mb("used_memory")],
        ["save duration s", fmt(res.get("save_s"), "{:.2f}")],
        ["dump.rdb MB", mb("file_bytes")],
        ["save MB/s", fmt(res.get("mb_s"), "{:.1f}")],
        ["RSS before save MB", mb("rss_before")],
        ["peak tree RSS during save MB", mb("peak_rss")],
        ["peak / before", fmt(ratio(res.get("peak_rss"), res.get("rss_before")), "{:.2f}x")],
        ["PSS before / peak MB", f"{mb('pss_before')} / {mb('peak_pss')}"],
        ["processes in tree (max)", fmt(res.get("max_procs"), "{:d}")],
        ["slowest replies, baseline (send time vs BGSAVE)", res.get("worst_base", "n/a")],
        ["slowest replies, during BGSAVE", res.get("worst_save", "n/a")],
        ["writes sent (all windows)", fmt(res.get("requests"), "{:,}")],
        ["write errors", fmt(res.get("write_errors"), "{:,}")
         + (f" (first: {res['first_write_error']})" if res.get("first_write_error") else "")],
        ["reload: exec -> PONG s", fmt(res.get("load_s"), "{:.2f}")],
        ["reload: server log s", fmt(res.get("log_load_s"), "{:.2f}")],
        ["reload: saw -LOADING / loading_total_bytes",
         f"{'yes' if res.get('saw_loading') else 'no'} / {fmt(res.get('loading_total_bytes'), '{:,}')}"],
        ["reload: rdb_last_load_keys_loaded / DBSIZE",
         f"{fmt(res.get('keys_loaded'), '{:,}')} / {fmt(res.get('dbsize_after'), '{:,}')}"],
        ["RSS after reload MB", mb("rss_reloaded")],
    ]


def md_table(hdr, rows):
    out = ["| " + " | ".join(hdr) + " |", "|---|" + "--:|" * (len(hdr) - 1)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        import ast
        return worker_main(ast.literal_eval(sys.argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", metavar="FILE", help="also write a markdown section here")
    args = ap.parse_args()

    quick = os.environ.get("SNAP_QUICK", "") not in ("", "0")
    redis_bin = os.environ.get("REDIS_BIN", "/usr/bin/redis-server")
    cachet_bin, extra, start_timeout, _ = settings("snapshot.py", redis_bin)
    cfg = {
        "keys": env_num("SNAP_KEYS", 200000 if quick else 5000000),
        "rate": env_num("SNAP_RATE", 20000),
        "workers": env_num("SNAP_WORKERS", 2),
        "conns": env_num("SNAP_CONNS", 16),
        "hset_pct": env_num("SNAP_HSET_PCT", 20, float),
        "coll_pct": env_num("SNAP_COLL_PCT", 4, float),
        "seed": env_num("SNAP_SEED", 1),
        "warmup": env_num("SNAP_WARMUP", 1 if quick else 2, float),
        "baseline": env_num("SNAP_BASELINE", 5 if quick else 20, float),
        "tail": env_num("SNAP_TAIL", 1, float),
        "threads": env_num("SNAP_THREADS", 2),
        "fill_timeout": env_num("SNAP_FILL_TIMEOUT", 600, float),
        "save_timeout": env_num("SNAP_SAVE_TIMEOUT", 300, float),
        "load_timeout": env_num("SNAP_LOAD_TIMEOUT", 300, float),
        "start_timeout": start_timeout,
        "io_timeout": env_num("IO_TIMEOUT", 60, float),
        "extra": extra,
    }
    cfg["worker_max_s"] = cfg["warmup"] + cfg["baseline"] + cfg["save_timeout"] + cfg["tail"] + 60
    validation = is_redis(cachet_bin)
    script = os.path.abspath(__file__)
    set_timer_slack_ns(1000)

    t = mono()
    data = build_dataset(cfg["keys"], cfg["coll_pct"], cfg["seed"])
    counts, elements = data[1], data[2]
    payload = sum(len(p) for p, _ in data[0])
    print(f"snapshot.py: dataset of {cfg['keys']:,} keys ({counts[0]:,} strings; {counts[1]:,} hashes, "
          f"{counts[2]:,} lists, {counts[3]:,} sets, {counts[4]:,} sorted sets; {elements:,} elements), "
          f"{payload / MB:.0f} MB of commands, built in {mono() - t:.1f}s; load average "
          f"{os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)

    results = []
    t_all = mono()
    with workdir("cachet-snap.") as wd:
        first = ("redis", redis_bin, None)
        if os.environ.get("SNAP_A_BIN"):  # A/B of two cachet builds: A takes Redis's column
            first = ("cachet-A", os.environ["SNAP_A_BIN"], cfg["threads"])
        for name, binary, threads in (first,
                                      ("cachet-t%d" % cfg["threads"], cachet_bin, cfg["threads"])):
            r = measure(name, binary, threads, cfg, data, wd, script)
            if not r["ok"]:
                print(f"snapshot.py: {name} FAILED: {r['error']}", file=sys.stderr)
            results.append(r)
    del data

    title = (f"Snapshot (BGSAVE) under load: {cfg['keys']:,} keys ({counts[0]:,} strings, "
             f"{4 * counts[1]:,} collections of 10-100 elements), {cfg['rate']:,} writes/s "
             f"({100 - cfg['hset_pct']:.0f} % SET, {cfg['hset_pct']:.0f} % HSET) from "
             f"{cfg['workers']} load processes")
    loadavg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n== {title}")
    print(f"   (load average now {loadavg}; run took {mono() - t_all:.0f}s; "
          f"sched = reply - scheduled start, svc = reply - send; us = microseconds)")
    if validation:
        print("   VALIDATION MODE: the 'cachet' server is", cachet_bin)
    for r in results:
        print(f"\n-- {r['name']}: {r['cmd']}")
        if not r["ok"]:
            print(f"   FAILED: {r['error'].splitlines()[0]}")
        print_table(LAT_HDR, lat_rows(r))
        print()
        print_table(["measure", "value"], server_rows(r))
    srows = summary(results, validation)
    shdr = ["metric", results[0]["name"], results[1]["name"], "cachet/redis", "target (issue 6)"]
    print("\n-- summary")
    print_table(shdr, srows)

    md = [f"### {title}", "",
          f"Load average at the end {loadavg}. `sched` = reply time - scheduled start "
          "(fixed-rate schedule, so a stall counts for every request it delays), "
          "`svc` = reply time - send time; microseconds.", ""]
    if validation:
        md += [f"**VALIDATION MODE**: the cachet column is `{cachet_bin}`.", ""]
    md += md_table(shdr, srows)
    for r in results:
        md += ["", f"{r['name']} latency:", ""] + md_table(LAT_HDR, lat_rows(r))
        md += ["", f"{r['name']} details:", ""] + md_table(["measure", "value"], server_rows(r))
    md += ["", "Servers:", "", "```"] + [f"{r['cmd']}   # {r['name']}" for r in results] + ["```"]
    failed = [r for r in results if not r["ok"]]
    if failed:
        md += [""] + [f"- **{r['name']} failed:** {r['error'].splitlines()[0]}" for r in failed]
    md_text = "\n".join(md) + "\n"
    print("\n== Markdown\n" + md_text, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md_text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
