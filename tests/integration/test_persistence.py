"""RDB snapshots (issue 6): SAVE/BGSAVE/LASTSAVE and INFO persistence, round
trips of every type and encoding (through our loader and through Debian's
redis-server, both ways), save points, SIGTERM and SHUTDOWN, kill -9 during
a BGSAVE under load, a full disk (a tmpfs made by the test), corrupt and
truncated files, -LOADING while a big file loads, and MULTI/EXEC never
half-applied in a snapshot.

Every snapshot any test writes is checked with Debian's redis-check-rdb.
Every expectation about replies, INFO fields, files and exit codes is
Redis's (checked with CACHET_BIN=/usr/bin/redis-server); the few lines that
are Cachet's alone (the loader's error naming an offset) are marked.  All
servers run on 127.0.0.1 in the test's own tmp dir and are stopped by PID;
every wait is bounded.
"""
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis

from conftest import IS_REDIS, Server
from rdb_support import (RefRedis, assert_same, check_rdb, dump_all, fill_strings,
                         kill9, make_dataset, read_bytes, temp_files, write_dataset)
from resp import Wire, encode, wait_for, wait_until

MISCONF = ("-MISCONF Redis is configured to save RDB snapshots, but it's currently unable "
           "to persist to disk. Commands that may modify the data set are disabled, because "
           "this instance is configured to report errors during writes if RDB snapshotting "
           "fails (stop-writes-on-bgsave-error option). Please check the Redis logs for "
           "details about the RDB error.")
LOADING = "-LOADING Redis is loading the dataset in memory"


# --------------------------------------------------------------------------
# Fixtures and helpers

@pytest.fixture
def start(tmp_path):
    """start(*args, dir=None, logdir=None): a server of the binary under test.

    Data and log go to `dir` (default tmp_path/"data", the same for every
    server of the test, so a restart finds the snapshot).  With `logdir`
    the log and cwd go there and `--dir dir` is passed last (a later --dir
    wins, for Redis too): a full disk must not swallow the log.  Servers the
    test killed (kill9) are not expected to exit cleanly."""
    started = []
    default = tmp_path / "data"
    default.mkdir()

    def make(*args, dir=None, logdir=None, threads=2, cls=Server):
        d = dir or default
        if logdir is not None:
            s = cls(args=tuple(args) + ("--dir", str(d)), threads=threads, tmpdir=logdir)
        else:
            s = cls(args=args, threads=threads, tmpdir=d)
        s.killed = False
        s.datadir = d
        started.append(s)
        return s

    make.dir = default
    yield make
    for s in started:
        if s.killed:
            if not s.log.closed:
                s.log.close()
        else:
            s.check_clean_exit()
    # every snapshot left behind (saves at SIGTERM included) is valid
    for d in {str(default)} | {str(s.datadir) for s in started}:
        if os.path.isdir(d):
            for name in os.listdir(d):
                if name.endswith(".rdb") and not name.startswith("temp-"):
                    check_rdb(os.path.join(d, name))


class EarlyServer(Server):
    """A Server that counts as started once its port accepts connections:
    the harness's own wait (PING answering, which redis-py retries through
    -LOADING) would wait out the load."""

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited at start (rc=%s): %s" %
                                   (self.proc.returncode, self.read_log()))
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.005)
        raise RuntimeError("server did not come up: " + self.read_log())


def next_second(t):
    """Sleep until well into the second after unix time t."""
    time.sleep(max(0.0, t + 1.3 - time.time()))


def pinfo(c):
    return c.info("persistence")


def wait_bgsave_done(c, before, timeout=60):
    """Wait for the end of a BGSAVE asked for after INFO persistence said
    `before`; return INFO persistence.  It has ended when none is in
    progress and rdb_saves (Redis counts saves as they start, failed ones
    too), rdb_last_save_time or rdb_last_bgsave_status moved."""
    last = {}

    def done():
        last.update(pinfo(c))
        if last["rdb_bgsave_in_progress"]:
            return False
        return any(last[f] != before[f] for f in
                   ("rdb_saves", "rdb_last_save_time", "rdb_last_bgsave_status"))

    assert wait_until(done, timeout), "the background save did not end: %r" % last
    return last


def exit_code(server, timeout=30):
    """Wait for a server that was told to exit; its exit status."""
    try:
        rc = server.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("server did not exit within %ss" % timeout)
    return rc


def shutdown(server, *args):
    """SHUTDOWN [args] on the wire: the connection closes, the server exits 0."""
    w = Wire(server.port)
    try:
        w.sendall(encode("SHUTDOWN", *args))
        w.assert_closed(timeout=60)
    finally:
        w.close()
    return exit_code(server)


def start_refused(tmpdir, *args, timeout=60):
    """Start the binary under test expecting it to refuse: (exit status, log).
    A server that comes up (or keeps -LOADING) and does not exit fails."""
    try:
        s = Server(args=args, tmpdir=tmpdir)
    except RuntimeError as e:
        m = re.search(r"exited at start \(rc=(-?\d+)\)", str(e))
        assert m, "server neither started nor exited: %s" % e
        return int(m.group(1)), str(e)
    try:
        rc = s.proc.wait(timeout=timeout)  # up while loading (-LOADING), then refusing
    except subprocess.TimeoutExpired:
        s.stop()
        raise AssertionError("server started with a bad snapshot:\n" + s.read_log()[-3000:])
    s.log.close()
    return rc, s.read_log()


# --------------------------------------------------------------------------
# 1. SAVE, BGSAVE, LASTSAVE, INFO persistence

def test_save_and_bgsave_write_dbfilename_in_dir(start):
    s = start("--dbfilename", "snap.rdb")
    c = s.client()
    d = start.dir
    assert not os.path.exists(d / "snap.rdb")
    c.mset({"a": "1", "b": "2"})
    assert c.save() is True
    assert os.path.exists(d / "snap.rdb") and not os.path.exists(d / "dump.rdb")
    assert check_rdb(d / "snap.rdb")["keys"] == 2

    c.set("c", "3")
    before = pinfo(c)
    assert c.execute_command("BGSAVE") in (b"Background saving started", True)
    info = wait_bgsave_done(c, before)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert check_rdb(d / "snap.rdb")["keys"] == 3
    assert temp_files(d) == []


def test_dir_and_dbfilename_are_protected_configs(start, tmp_path):
    """Redis 7 refuses CONFIG SET dir and dbfilename (protected configs,
    enable-protected-configs no): with them settable, CONFIG SET + SAVE
    writes a file of chosen name wherever the server may write."""
    s = start()
    c = s.client()
    c.set("k", "v")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    w = Wire(s.port)
    for name, value in (("dbfilename", "other.rdb"), ("dir", str(elsewhere))):
        assert w("CONFIG", "SET", name, value) == (
            "-ERR CONFIG SET failed (possibly related to argument '%s') - can't set "
            "protected config" % name)
    w.close()
    assert c.config_get("dbfilename") == {"dbfilename": "dump.rdb"}
    assert c.config_get("dir") == {"dir": str(start.dir)}
    assert c.save() is True
    assert check_rdb(start.dir / "dump.rdb")["keys"] == 1
    assert os.listdir(elsewhere) == []
    assert not os.path.exists(start.dir / "other.rdb")


def test_info_persistence_and_lastsave(start):
    s = start()
    c = s.client()
    w = Wire(s.port)
    info = pinfo(c)
    assert info["loading"] == 0
    assert info["rdb_bgsave_in_progress"] == 0
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_saves"] == 0
    assert info["rdb_changes_since_last_save"] == 0
    # before any save, LASTSAVE and rdb_last_save_time are the start time
    t_start = info["rdb_last_save_time"]
    assert abs(t_start - time.time()) < 30
    assert c.lastsave().timestamp() == t_start

    c.set("k1", "v")
    c.set("k2", "v")
    c.mset({"k3": "v", "k4": "v"})
    assert pinfo(c)["rdb_changes_since_last_save"] == 4
    c.get("k1")  # reads change nothing
    assert pinfo(c)["rdb_changes_since_last_save"] == 4

    # LASTSAVE has one-second resolution (and Redis's clock is cached for
    # up to 100 ms): let a second and a bit pass
    next_second(t_start)
    before = int(time.time())
    assert w("SAVE") == "+OK"
    info = pinfo(c)
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_saves"] == 1
    assert info["rdb_last_bgsave_status"] == "ok"
    assert before - 1 <= info["rdb_last_save_time"] <= time.time() + 1
    assert info["rdb_last_save_time"] > t_start
    assert w("LASTSAVE") == info["rdb_last_save_time"]
    check_rdb(start.dir / "dump.rdb")

    c.incr("n")
    c.delete("k1")
    c.delete("nokey")  # deletes nothing: not a change
    assert pinfo(c)["rdb_changes_since_last_save"] == 2

    t_first = info["rdb_last_save_time"]
    next_second(t_first)
    before = pinfo(c)
    assert w("BGSAVE") == "+Background saving started"
    info = wait_bgsave_done(c, before)
    assert info["rdb_saves"] == 2
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_last_save_time"] > t_first
    assert info["rdb_last_bgsave_time_sec"] >= 0
    assert w("LASTSAVE") == info["rdb_last_save_time"]
    assert check_rdb(start.dir / "dump.rdb")["keys"] == 4
    w.close()


def test_bgsave_while_one_runs(start):
    """A second BGSAVE, a SAVE, and (with no other child process running:
    Cachet never has one) BGSAVE SCHEDULE are all refused while a
    background save runs."""
    s = start()
    c = s.client()
    fill_strings(s.port, 300000)  # a save of some 100 ms or more
    before = pinfo(c)
    w = Wire(s.port)
    w.sendall(encode("BGSAVE") + encode("BGSAVE") + encode("SAVE") +
              encode("BGSAVE", "SCHEDULE"))
    assert w.read() == "+Background saving started"
    assert w.read() == "-ERR Background save already in progress"
    assert w.read() == "-ERR Background save already in progress"
    # Redis answers SCHEDULE with "scheduled" only while another kind of
    # child (an AOF rewrite) blocks the save; during an RDB save it errs
    assert w.read() == "-ERR Background save already in progress"
    info = wait_bgsave_done(c, before)
    assert info["rdb_saves"] == 1 and info["rdb_last_bgsave_status"] == "ok"
    assert check_rdb(start.dir / "dump.rdb")["keys"] == 300000
    # nothing running: SCHEDULE starts one at once
    before = info
    assert w("BGSAVE", "SCHEDULE") == "+Background saving started"
    info = wait_bgsave_done(c, before)
    assert info["rdb_saves"] == 2
    check_rdb(start.dir / "dump.rdb")
    w.close()


def test_info_shows_the_bgsave_in_progress_once_bgsave_answered(start):
    """The usual script - BGSAVE, then poll INFO until
    rdb_bgsave_in_progress:0 - must not see 0 before the save even began."""
    s = start()
    c = s.client()
    fill_strings(s.port, 300000)  # a save of some 100 ms or more
    before = pinfo(c)
    w = Wire(s.port)
    w.sendall(encode("BGSAVE") + encode("INFO", "persistence") + encode("LASTSAVE"))
    assert w.read() == "+Background saving started"
    early = w.read().decode()
    assert w.read() == before["rdb_last_save_time"]
    info = wait_bgsave_done(c, before)  # (even if the check below fails)
    assert info["rdb_last_bgsave_status"] == "ok"
    check_rdb(start.dir / "dump.rdb")
    assert "\nrdb_bgsave_in_progress:1\r\n" in early, early
    w.close()


def test_save_inside_multi_is_refused(start):
    s = start()
    w = Wire(s.port)
    assert w("MULTI") == "+OK"
    assert w("SET", "k", "v") == "+QUEUED"
    assert w("SAVE") == "-ERR Command not allowed inside a transaction"
    assert w("EXEC") == "-EXECABORT Transaction discarded because of previous errors."
    assert w("EXISTS", "k") == 0
    assert not os.path.exists(start.dir / "dump.rdb")
    assert pinfo(s.client())["rdb_saves"] == 0
    w.close()


def test_bgsave_inside_multi_is_scheduled(start):
    """Redis runs a BGSAVE queued in MULTI after the EXEC ("scheduled")."""
    s = start()
    c = s.client()
    w = Wire(s.port)
    assert w("MULTI") == "+OK"
    assert w("SET", "k", "v") == "+QUEUED"
    assert w("BGSAVE") == "+QUEUED"
    assert w("EXEC") == ["+OK", "+Background saving scheduled"]
    # rdb_saves counts a save as it starts: wait for its end too
    wait_for(lambda: (lambda i: i["rdb_saves"] == 1 and not i["rdb_bgsave_in_progress"])(
        pinfo(c)), 10, "the scheduled save")
    assert pinfo(c)["rdb_last_bgsave_status"] == "ok"
    assert check_rdb(start.dir / "dump.rdb")["keys"] == 1
    w.close()


# --------------------------------------------------------------------------
# 2. Round trips

def client_for(server):
    return lambda db: redis.Redis(host="127.0.0.1", port=server.port, db=db, socket_timeout=60)


def test_round_trip_every_type_and_encoding(start):
    s = start()
    data = make_dataset(20240601)
    write_dataset(client_for(s), data)
    before = dump_all(s.port)
    assert_same(before, data, "the server's view of the written dataset")
    # a key saved with its TTL still ahead, and past it at the restart, is
    # dropped at load
    s.client().set("db0:short-lived", "x", px=1000)
    t_set = time.monotonic()
    assert s.client().save() is True
    info = check_rdb(start.dir / "dump.rdb")
    assert time.monotonic() - t_set < 1, "too slow to catch the short-lived key in the file"
    assert info["keys"] == len(data) + 1
    assert info["expires"] == sum(1 for v in data.values() if v[2] != -1) + 1
    assert s.stop() in (0, -15)

    time.sleep(max(0.0, t_set + 1.1 - time.monotonic()))
    s2 = start()
    after = dump_all(s2.port)
    assert_same(after, before, "the dataset after a restart")
    for db in range(16):
        want = sum(1 for d, _ in data if d == db)
        assert s2.client(db=db).dbsize() == want, db
    # and it saves again exactly the same data
    assert s2.client().save() is True
    assert check_rdb(start.dir / "dump.rdb")["keys"] == len(data)


def test_redis_server_loads_our_file(start, tmp_path):
    s = start()
    data = make_dataset(777)
    write_dataset(client_for(s), data)
    ours = dump_all(s.port)
    assert_same(ours, data, "the server's view of the written dataset")
    assert s.client().save() is True
    check_rdb(start.dir / "dump.rdb")
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    shutil.copy(start.dir / "dump.rdb", ref_dir / "dump.rdb")
    with RefRedis(ref_dir) as ref:
        assert_same(dump_all(ref.port), ours, "the dataset as Debian's redis-server loaded it")
        assert "DB loaded from disk" in ref.read_log()


def redis_encodings(port, data):
    seen = set()
    for db in sorted({d for d, _ in data}):
        c = redis.Redis(host="127.0.0.1", port=port, db=db)
        p = c.pipeline(transaction=False)
        keys = [k for d, k in data if d == db]
        for k in keys:
            p.object("encoding", k)
        for k, enc in zip(keys, p.execute()):
            seen.add((data[(db, k)][0], enc.decode()))
        c.connection_pool.disconnect()
    return seen


def test_we_load_a_file_written_by_redis(start, tmp_path):
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    data = make_dataset(4242)
    with RefRedis(ref_dir) as ref:
        write_dataset(client_for(ref), data)
        # the file holds every encoding Redis 7.0 writes for these types
        assert redis_encodings(ref.port, data) >= {
            ("string", "int"), ("string", "embstr"), ("string", "raw"),
            ("hash", "listpack"), ("hash", "hashtable"), ("list", "quicklist"),
            ("set", "intset"), ("set", "hashtable"), ("zset", "listpack"),
            ("zset", "skiplist")}
        theirs = dump_all(ref.port)
        assert_same(theirs, data, "Redis's view of the written dataset")
        assert ref.client().save() is True
    check_rdb(ref_dir / "dump.rdb")
    shutil.copy(ref_dir / "dump.rdb", start.dir / "dump.rdb")
    s = start()
    assert_same(dump_all(s.port), theirs, "Redis's file as we loaded it")
    # what we write back from it, Redis reads back the same
    assert s.client().save() is True
    check_rdb(start.dir / "dump.rdb")
    back = tmp_path / "back"
    back.mkdir()
    shutil.copy(start.dir / "dump.rdb", back / "dump.rdb")
    with RefRedis(back) as ref:
        assert_same(dump_all(ref.port), theirs, "our re-save as Redis loaded it")


# --------------------------------------------------------------------------
# 3. Save points, SIGTERM, SHUTDOWN

def test_save_point_triggers_a_snapshot(start):
    s = start("--save", "1 1")
    c = s.client()
    assert c.save() is True  # the last save is now
    check_rdb(start.dir / "dump.rdb")
    before = pinfo(c)
    c.set("k", "v")
    wait_for(lambda: pinfo(c)["rdb_saves"] > before["rdb_saves"], 15,
             "a save point to trigger a snapshot")
    info = wait_bgsave_done(c, before)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == 0
    assert check_rdb(start.dir / "dump.rdb")["keys"] == 1
    assert "1 changes in 1 seconds. Saving..." in s.read_log()
    # Redis saves once *more than* <seconds> have passed since the last save
    assert info["rdb_last_save_time"] >= before["rdb_last_save_time"] + 2, \
        (before["rdb_last_save_time"], info["rdb_last_save_time"])


def test_no_save_points_never_save_not_even_at_sigterm(start):
    s = start()  # the harness passes --save "" (no save points)
    c = s.client()
    assert c.config_get("save") == {"save": ""}
    for i in range(50):
        c.set("k%d" % i, "v")
    time.sleep(2.5)  # several save-point checks pass
    assert pinfo(c)["rdb_saves"] == 0
    assert not os.path.exists(start.dir / "dump.rdb")
    s.proc.send_signal(signal.SIGTERM)
    assert exit_code(s) == 0
    assert not os.path.exists(start.dir / "dump.rdb")
    assert temp_files(start.dir) == []


def test_sigterm_with_save_points_saves_before_exit(start):
    s = start("--save", "3600 1")  # set, but never due within the test
    c = s.client()
    write_dataset(client_for(s), make_dataset(5))
    want = dump_all(s.port)
    assert pinfo(c)["rdb_saves"] == 0
    assert not os.path.exists(start.dir / "dump.rdb")
    s.proc.send_signal(signal.SIGTERM)
    assert exit_code(s) == 0
    assert check_rdb(start.dir / "dump.rdb")["keys"] == len(want)
    s2 = start()
    assert_same(dump_all(s2.port), want, "the dataset saved at SIGTERM")


def test_shutdown_save_and_nosave(start):
    d = start.dir
    # no save points: plain SHUTDOWN does not save, SHUTDOWN SAVE does
    s = start()
    s.client().set("gen", "0")
    assert shutdown(s) == 0
    assert not os.path.exists(d / "dump.rdb")
    s = start()
    s.client().set("gen", "1")
    assert shutdown(s, "SAVE") == 0
    assert check_rdb(d / "dump.rdb")["keys"] == 1
    saved = read_bytes(d / "dump.rdb")

    # save points set: SHUTDOWN NOSAVE leaves the file as it was
    s = start("--save", "3600 1")
    c = s.client()
    assert c.get("gen") == b"1"
    c.set("gen", "2")
    c.set("extra", "x")
    assert shutdown(s, "NOSAVE") == 0
    assert read_bytes(d / "dump.rdb") == saved

    # and plain SHUTDOWN saves
    s = start("--save", "3600 1")
    c = s.client()
    assert c.get("gen") == b"1" and c.exists("extra") == 0
    c.set("gen", "3")
    assert shutdown(s) == 0
    assert check_rdb(d / "dump.rdb")["keys"] == 1
    s = start()
    assert s.client().get("gen") == b"3"


class Counter(threading.Thread):
    """INCRs its own key until the server goes away; `acked` is the last
    value the server answered."""

    def __init__(self, port, key):
        super().__init__(daemon=True)
        self.port, self.key = port, key
        self.acked = 0

    def run(self):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=60)
        try:
            while True:
                self.acked = c.incr(self.key)
        except (redis.ConnectionError, redis.TimeoutError, ConnectionError):
            pass
        finally:
            c.connection_pool.disconnect()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sigterm", "shutdown"])
def test_no_write_is_acknowledged_after_the_final_save(start, how):
    """Redis runs nothing between its final save and its exit.  A write we
    answered while the final snapshot was being saved must be in it."""
    s = start("--save", "3600 1")
    fill_strings(s.port, 300000, prefix=b"filler:")  # the save takes a while
    counters = [Counter(s.port, "ctr:%d" % i) for i in range(6)]
    for t in counters:
        t.start()
    assert wait_until(lambda: all(t.acked > 100 for t in counters), 20)
    if how == "sigterm":
        s.proc.send_signal(signal.SIGTERM)
        assert exit_code(s, 120) == 0
    else:
        assert shutdown(s) == 0
    for t in counters:
        t.join(60)
    s2 = start()
    c2 = s2.client()
    assert c2.dbsize() == 300000 + len(counters)
    for t in counters:
        saved = int(c2.get(t.key))
        assert saved >= t.acked, "%s: acknowledged %d, saved %d" % (t.key, t.acked, saved)


# --------------------------------------------------------------------------
# 4. kill -9 during BGSAVE under write load

class Writer(threading.Thread):
    """Writes as fast as it can until stopped or the server goes away."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop_ev = threading.Event()
        self.n = 0
        self.error = None

    def run(self):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)
        rng = random.Random(self.port)
        try:
            while not self.stop_ev.is_set():
                p = c.pipeline(transaction=False)
                for _ in range(50):
                    p.set(b"w:%d" % rng.randrange(100000), b"x" * rng.randrange(200))
                    p.incr(b"w:count")
                p.execute()
                self.n += 50
        except (redis.ConnectionError, redis.TimeoutError, ConnectionError) as e:
            self.error = e
        finally:
            c.connection_pool.disconnect()


@pytest.mark.slow
def test_kill_9_during_bgsave_keeps_the_previous_snapshot(start):
    d = start.dir
    rng = random.Random(99)
    for attempt in range(3):
        s = start()
        c = s.client()
        c.flushall()
        # ~80 MB of incompressible values: the save takes a second or more
        p = c.pipeline(transaction=False)
        for i in range(40):
            p.set(b"big:%d" % i, rng.randbytes(2 << 20))
        p.execute()
        fill_strings(s.port, 200000)
        c.set("gen", "1")
        assert c.save() is True
        old = read_bytes(d / "dump.rdb")
        old_ino = os.stat(d / "dump.rdb").st_ino
        nkeys = c.dbsize()

        c.set("gen", "2")
        # the save would otherwise end in a blink (Redis's forked child) or
        # on a free core (Cachet's idle-priority sweep)
        c.config_set("rdb-key-save-delay", 100)
        writer = Writer(s.port)
        writer.start()
        wait_for(lambda: writer.n > 1000, 10, "the writer to get going")
        assert c.execute_command("BGSAVE") in (b"Background saving started", True)
        wait_for(lambda: pinfo(c)["rdb_bgsave_in_progress"] == 1, 10, "the save to start")
        n0 = writer.n
        wait_for(lambda: writer.n > n0 + 500, 10, "writes to go on during the save")
        kill9(s)
        writer.stop_ev.set()
        writer.join(20)
        assert not writer.is_alive()
        if os.stat(d / "dump.rdb").st_ino != old_ino:
            # the save got to its rename before the kill: no crash mid-save
            check_rdb(d / "dump.rdb")
            os.unlink(d / "dump.rdb")
            continue
        # the previous snapshot is exactly as it was, and loads
        assert read_bytes(d / "dump.rdb") == old
        assert check_rdb(d / "dump.rdb")["keys"] == nkeys
        s2 = start()
        c2 = s2.client()
        assert c2.get("gen") == b"1"
        assert c2.dbsize() == nkeys
        assert c2.get("key:199999") == b"v199999"
        s2.client().flushall()  # keep teardown short
        return
    pytest.fail("every BGSAVE finished before the kill; make the dataset bigger")


# --------------------------------------------------------------------------
# 5. A full disk

def mount_small_tmpfs(path, size):
    """Mount a tmpfs of `size` at path; False if this host cannot."""
    path.mkdir()
    try:
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", str(path)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    except OSError:  # no mount(8)
        return False
    return p.returncode == 0


def unmount(path):
    p = subprocess.run(["umount", str(path)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    if p.returncode != 0:
        subprocess.run(["umount", "-l", str(path)], timeout=30)


def test_disk_full_fails_the_save_keeps_the_old_file_and_stops_writes(start, tmp_path,
                                                                      monkeypatch):
    limit = 8 << 20
    small = tmp_path / "small"
    # CACHET_TEST_NO_TMPFS=1 forces the RLIMIT_FSIZE fallback (to test it)
    if os.environ.get("CACHET_TEST_NO_TMPFS"):
        small.mkdir()
        mounted = False
    else:
        mounted = mount_small_tmpfs(small, "8m")
    servers = []
    try:
        if mounted:
            s = start("--save", "3600 1", dir=small, logdir=tmp_path)
            reason = "No space left on device"
        else:
            # No tmpfs here (not root?): the server runs with RLIMIT_FSIZE
            # instead (SIGXFSZ ignored), so a write past 8 MB fails (EFBIG).
            def limit_fsize():
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            real_popen = subprocess.Popen
            monkeypatch.setattr(subprocess, "Popen",
                                lambda *a, **kw: real_popen(*a, preexec_fn=limit_fsize, **kw))
            try:
                s = start("--save", "3600 1", dir=small, logdir=tmp_path)
            finally:
                monkeypatch.setattr(subprocess, "Popen", real_popen)
            reason = "File too large"
        servers.append(s)
        c = s.client()
        w = Wire(s.port)
        fill_strings(s.port, 1000)
        assert c.save() is True
        old = read_bytes(small / "dump.rdb")
        assert check_rdb(small / "dump.rdb")["keys"] == 1000
        lastsave = c.lastsave()

        # 12 MB of random bytes cannot fit in 8 MB
        rng = random.Random(7)
        p = c.pipeline(transaction=False)
        for i in range(12):
            p.set(b"big:%d" % i, rng.randbytes(1 << 20))
        p.execute()
        before = pinfo(c)
        assert w("BGSAVE") == "+Background saving started"
        info = wait_bgsave_done(c, before)
        assert info["rdb_last_bgsave_status"] == "err"
        saves_after_failure = info["rdb_saves"]
        assert c.lastsave() == lastsave
        assert read_bytes(small / "dump.rdb") == old
        assert check_rdb(small / "dump.rdb")["keys"] == 1000
        assert temp_files(small) == []
        assert reason in s.read_log(), s.read_log()[-3000:]

        # stop-writes-on-bgsave-error: writes and PING answer MISCONF
        assert w("SET", "k", "v") == MISCONF
        assert w("DEL", "key:1") == MISCONF
        assert w("PING") == MISCONF
        assert w("GET", "key:1") == b"v1"
        assert w("DBSIZE") == 1012
        assert w("EXISTS", "k") == 0

        # the operator lets writes through to delete the big keys ...
        assert w("CONFIG", "SET", "stop-writes-on-bgsave-error", "no") == "+OK"
        assert w("DEL", *["big:%d" % i for i in range(12)]) == 12
        assert w("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes") == "+OK"
        assert w("SET", "k", "v") == MISCONF  # still: the last save failed
        # ... and once a save fits, writes are accepted again
        before = pinfo(c)
        assert w("BGSAVE") == "+Background saving started"
        info = wait_bgsave_done(c, before)
        assert info["rdb_last_bgsave_status"] == "ok"
        assert check_rdb(small / "dump.rdb")["keys"] == 1000
        assert w("SET", "k", "v") == "+OK"
        assert w("PING") == "+PONG"
        w.close()
        assert shutdown(s, "NOSAVE") == 0
        # rdb_saves counts saves as they start: the failed one too
        assert (saves_after_failure, info["rdb_saves"]) == (2, 3)
    finally:
        for s in servers:
            if s.alive():
                kill9(s)
        if mounted:
            unmount(small)


# --------------------------------------------------------------------------
# 6. Corrupt and truncated files

@pytest.fixture(scope="module")
def good_snapshot(tmp_path_factory):
    """The bytes of a valid snapshot of a mixed dataset (~600 KB)."""
    d = tmp_path_factory.mktemp("good")
    s = Server(tmpdir=d)
    try:
        write_dataset(lambda db: redis.Redis(host="127.0.0.1", port=s.port, db=db),
                      make_dataset(31337))
        assert s.client().save() is True
    finally:
        s.check_clean_exit()
    check_rdb(d / "dump.rdb")
    return read_bytes(d / "dump.rdb")


def flip_middle(b):
    i = len(b) // 2
    return b[:i] + bytes([b[i] ^ 0x5A]) + b[i + 1:]


@pytest.mark.parametrize("damage", [
    ("flip a byte in the middle", flip_middle),
    ("cut the checksum", lambda b: b[:-4]),
    ("cut the tail", lambda b: b[:len(b) * 2 // 3]),
    ("cut to the header", lambda b: b[:9]),
], ids=lambda d: d[0].replace(" ", "-"))
def test_damaged_file_refuses_start_and_is_left_alone(tmp_path, good_snapshot, damage):
    name, fn = damage
    bad = fn(good_snapshot)
    assert bad != good_snapshot
    path = tmp_path / "dump.rdb"
    path.write_bytes(bad)
    # redis-check-rdb rejects it too: the damage is real
    p = subprocess.run(["/usr/bin/redis-check-rdb", str(path)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    assert p.returncode != 0
    rc, log = start_refused(tmp_path)
    assert rc not in (0, None) and rc > 0, "exit status %s\n%s" % (rc, log[-3000:])
    assert read_bytes(path) == bad, "the damaged file was changed"
    assert temp_files(tmp_path) == []
    if not IS_REDIS:
        # Cachet names where and what: "offset N: expected ..., found ...",
        # "offset N: checksum mismatch: ...", "offset N: key 'k' (string):
        # a string value claims N bytes, only M are left in the file"
        m = re.search(r"offset (\d+): ([^\n]*)", log)
        assert m, log[-3000:]
        assert int(m.group(1)) <= len(bad), m.group(0)
        assert re.search(r"expected|mismatch|claims|end of file", m.group(2)), m.group(0)


# --------------------------------------------------------------------------
# 7. LOADING

@pytest.mark.slow
def test_clients_get_loading_while_a_big_file_loads(start):
    n = 2000000
    s = start()
    fill_strings(s.port, n)
    c = s.client()
    c.set("last", "here")
    assert c.save() is True
    assert check_rdb(start.dir / "dump.rdb")["keys"] == n + 1
    assert s.stop() in (0, -15)

    # Redis serves clients between 2 MB reads of the file; every 64 KB here
    args = ("--loading-process-events-interval-bytes", "65536") if IS_REDIS else ()
    s = start(*args, cls=EarlyServer)
    w = Wire(s.port)
    seen = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = w("INFO", "persistence").decode()
        if "\nloading:0\r\n" in info:
            break
        assert "\nloading:1\r\n" in info, info
        seen["info"] = info
        for cmd in (("GET", "key:1"), ("SET", "x", "y"), ("DBSIZE",), ("PING",)):
            reply = w(*cmd)
            if reply == LOADING:
                seen[cmd[0]] = reply
            elif "\nloading:1\r\n" in w("INFO", "persistence").decode():
                raise AssertionError("%s answered %r while loading" % (cmd, reply))
        if len(seen) == 5:
            break
        time.sleep(0.01)
    assert seen.get("info"), "the load ended before a client could see it; make it bigger"
    assert set(seen) == {"info", "GET", "SET", "DBSIZE", "PING"}, seen.keys()
    assert re.search(r"loading_loaded_perc:[\d.]+", seen["info"])
    assert "loading_total_bytes:%d\r\n" % os.path.getsize(start.dir / "dump.rdb") in seen["info"]

    wait_for(lambda: b"\nloading:0\r\n" in w("INFO", "persistence"), 120, "the load to end")
    assert w("DBSIZE") == n + 1
    assert w("GET", "last") == b"here"
    rng = random.Random(3)
    for i in [0, n - 1] + [rng.randrange(n) for _ in range(200)]:
        assert w("GET", "key:%d" % i) == b"v%d" % i
    assert w("SET", "x", "y") == "+OK"
    w.close()
    s.client().flushall()  # keep teardown short


# --------------------------------------------------------------------------
# 8. MULTI/EXEC is never half-applied in a snapshot

PAIRS = 1000
START = 1000


class Mover(threading.Thread):
    """MULTI; DECRBY a:<i> 1; INCRBY b:<j> 1; INCR txns; EXEC, over and over:
    sum(a) + sum(b) and sum(b) == txns hold in every consistent state."""

    def __init__(self, port, seed):
        super().__init__(daemon=True)
        self.port, self.rng = port, random.Random(seed)
        self.stop_ev = threading.Event()
        self.n = 0
        self.error = None

    def run(self):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30)
        try:
            while not self.stop_ev.is_set():
                i, j = self.rng.randrange(PAIRS), self.rng.randrange(PAIRS)
                p = c.pipeline(transaction=True)
                p.decrby("a:%d" % i, 1)
                p.incrby("b:%d" % j, 1)
                p.incr("txns")
                p.execute()
                self.n += 1
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            c.connection_pool.disconnect()


@pytest.mark.slow
def test_multi_exec_is_never_half_applied_in_a_snapshot(start, tmp_path):
    s = start()
    c = s.client()
    fill_strings(s.port, 300000, prefix=b"filler:")  # saves last a while
    p = c.pipeline(transaction=False)
    p.mset({"a:%d" % i: START for i in range(PAIRS)})
    p.mset({"b:%d" % i: 0 for i in range(PAIRS)})
    p.set("txns", 0)
    p.execute()
    movers = [Mover(s.port, k) for k in range(3)]
    for m in movers:
        m.start()
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    during = 0  # transactions that ran while a save was going on
    try:
        wait_for(lambda: all(m.n > 50 for m in movers), 10, "the transactions to run")
        for k in range(6):
            before = pinfo(c)
            n0 = sum(m.n for m in movers)
            assert c.execute_command("BGSAVE") in (b"Background saving started", True)
            info = wait_bgsave_done(c, before)
            during += sum(m.n for m in movers) - n0
            assert info["rdb_last_bgsave_status"] == "ok"
            shutil.copy(start.dir / "dump.rdb", snaps / ("snap%d.rdb" % k))
    finally:
        for m in movers:
            m.stop_ev.set()
        for m in movers:
            m.join(30)
    for m in movers:
        assert m.error is None, m.error
    assert during > 100, "too few transactions overlapped the saves (%d)" % during
    c.flushall()

    def invariants(client, name):
        a = [int(x) for x in client.mget(["a:%d" % i for i in range(PAIRS)])]
        b = [int(x) for x in client.mget(["b:%d" % i for i in range(PAIRS)])]
        txns = int(client.get("txns"))
        assert sum(b) == txns, "%s: sum(b)=%d but txns=%d" % (name, sum(b), txns)
        assert sum(a) == PAIRS * START - txns, "%s: sum(a)=%d, txns=%d" % (name, sum(a), txns)
        return txns

    # each snapshot loaded by Debian's redis-server (the reference reader)
    # and by a server of the binary under test
    seen_txns = []
    for k in range(6):
        name = "snap%d.rdb" % k
        assert check_rdb(snaps / name)["keys"] == 300000 + 2 * PAIRS + 1
        with RefRedis(snaps, dbfilename=name) as ref:
            txns = invariants(ref.client(), "Redis loading " + name)
        ours = start("--dbfilename", name, dir=snaps)
        assert invariants(ours.client(), "our server loading " + name) == txns
        ours.client().flushall()  # keep its exit short
        ours.stop()
        seen_txns.append(txns)
    assert seen_txns == sorted(seen_txns)
    assert seen_txns[-1] > seen_txns[0], "no transaction ran between the snapshots"
