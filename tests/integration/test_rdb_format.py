"""test_rdb_format.py - RDB files from our writer (persistence/rdb_write.c,
driven by the test program build/unit/rdb_tool) pass Debian's
redis-check-rdb, and Debian's redis-server loads them holding exactly the
keys, elements, scores and TTLs we wrote.

Redis is the judge of the format here, so this does not use CACHET_BIN:
Cachet's own SAVE / restart tests come with the snapshot writer.  The
reverse direction (files Redis wrote, read by our reader) is
tests/unit/test_rdb_golden.c.
"""
import importlib.util
import os
import random
import shutil
import subprocess
import time

import pytest
import redis

from conftest import ROOT, free_port

TOOL = os.path.join(ROOT, "build", "unit", "rdb_tool")
FIXDIR = os.path.join(ROOT, "tests", "unit", "rdb_fixtures")
FIXTURES = ["redis70_types", "redis70_lru", "redis70_lfu"]
TTL = 4102444800000  # 2100-01-01: never expires during the test

pytestmark = pytest.mark.skipif(not shutil.which("redis-server") or
                                not shutil.which("redis-check-rdb"),
                                reason="needs Debian's redis-server and redis-tools")


def _fixture_module():
    """make_fixtures.py owns the text format's escaping and the dump of a
    live server into it; reuse both."""
    spec = importlib.util.spec_from_file_location(
        "make_fixtures", os.path.join(FIXDIR, "make_fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


mf = _fixture_module()


@pytest.fixture(scope="module")
def tool():
    subprocess.run(["make", "-s", "build/unit/rdb_tool"], cwd=ROOT, check=True)
    return TOOL


def parse(path):
    """Dataset text -> {(db, name): (kind, expire, elements)}; lists keep
    their order, other kinds compare as sorted lines; the encoding column is
    left out (Redis re-encodes on load as it likes)."""
    data, cur = {}, None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            tok = line.split(" ")
            if tok[0] == "key":
                cur = (int(tok[1]), tok[3])
                data[cur] = [tok[2], tok[4], []]
            elif tok[0] == "z":
                data[cur][2].append("z %s %r" % (tok[1], float(tok[2])))
            else:
                data[cur][2].append(line)
    return {k: (kind, exp, els if kind == "list" else sorted(els))
            for k, (kind, exp, els) in data.items()}


def random_dataset(rnd):
    """Every type, binary and integer-looking strings around the int-encoding
    limits, compressible and incompressible values, special scores, TTLs,
    several databases."""
    esc = mf.esc
    lines = []

    def blob():
        c = rnd.random()
        if c < 0.2:
            return str(rnd.choice([0, -1, 127, 128, -129, 32767, 32768, -32769, 2**31 - 1,
                                   2**31, -2**31, -2**31 - 1, 2**63 - 1,
                                   rnd.randrange(-10**6, 10**6)])).encode()
        if c < 0.3:
            return b""
        if c < 0.5:
            return (b"pattern-%d-" % rnd.randrange(10)) * rnd.randrange(1, 200)
        return bytes(rnd.getrandbits(8) for _ in range(rnd.choice([1, 5, 20, 21, 64, 300])))

    for db in (0, 1, 7, 15):
        for i in range(40):
            kind = rnd.choice(["string", "list", "set", "zset", "hash"])
            name = esc(b"%s:%d:" % (kind.encode(), i) + bytes([rnd.getrandbits(8)]))
            exp = TTL + rnd.randrange(10**6) if rnd.random() < 0.3 else "-"
            lines.append("key %d %s %s %s -" % (db, kind, name, exp))
            n = rnd.choice([1, 2, 10, 130, 600])
            if kind == "string":
                lines.append("v " + esc(blob()))
            elif kind == "list":
                lines += ["v " + esc(blob()) for _ in range(n)]
            elif kind == "set":
                lines += ["v " + esc(m) for m in {blob() + b"%d" % j for j in range(n)}]
            elif kind == "zset":
                for j in range(n):
                    # (no -0.0: Redis turns it into 0 when it re-encodes small zsets)
                    s = rnd.choice([float("inf"), float("-inf"), 0.0, 1e-300, 1.5e300,
                                    rnd.randrange(-1000, 1000), rnd.random() * 1e6 - 5e5])
                    lines.append("z %s %r" % (esc(b"m%d-" % j + blob()), float(s)))
            else:
                lines += ["h %s %s" % (esc(b"f%d-" % j + blob()), esc(blob()))
                          for j in range(n)]
    return "\n".join(lines) + "\n"


class Redis:
    """Debian's redis-server loading one file; stopped by PID."""

    def __init__(self, tmp_path, filename):
        self.port = free_port()
        self.log = open(os.path.join(str(tmp_path), "redis-%d.log" % self.port), "wb")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path), "--dbfilename", filename],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.r = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)
        deadline = time.time() + 30
        while True:
            try:
                self.r.ping()
                return
            except (redis.ConnectionError, redis.BusyLoadingError):
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not load %s: %s" % (
                        filename, open(self.log.name, "rb").read()[-2000:]))
                time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


def judge(tool, tmp_path, txt, *flags):
    """Encode txt with our writer; redis-check-rdb must accept it and
    redis-server must load exactly the same data."""
    rdb = os.path.join(str(tmp_path), "ours.rdb")
    subprocess.run([tool, "encode", txt, rdb, *flags], check=True)
    chk = subprocess.run(["redis-check-rdb", rdb], capture_output=True, text=True)
    assert chk.returncode == 0 and "RDB looks OK" in chk.stdout, chk.stdout + chk.stderr
    srv = Redis(tmp_path, "ours.rdb")
    try:
        back = os.path.join(str(tmp_path), "back.txt")
        mf.dump(srv.r, back)
    finally:
        srv.stop()
    want, got = parse(txt), parse(back)
    assert sorted(got) == sorted(want)
    for k in want:
        assert got[k] == want[k], k
    # And our reader reads our file back to the same data.
    dec = subprocess.run([tool, "decode", rdb], capture_output=True, text=True)
    assert dec.returncode == 0, dec.stderr
    return len(want)


@pytest.mark.parametrize("flags", [(), ("--no-compress",), ("--no-checksum",)])
def test_random_dataset_loads_in_redis(tool, tmp_path, flags):
    txt = os.path.join(str(tmp_path), "data.txt")
    with open(txt, "w") as f:
        f.write(random_dataset(random.Random(42)))
    assert judge(tool, tmp_path, txt, *flags) == 160


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_contents_rewritten_load_in_redis(tool, tmp_path, name):
    assert judge(tool, tmp_path, os.path.join(FIXDIR, name + ".txt")) > 0


def test_decode_reports_corruption(tool, tmp_path):
    src = os.path.join(FIXDIR, "redis70_types.rdb")
    data = bytearray(open(src, "rb").read())
    cut = os.path.join(str(tmp_path), "cut.rdb")
    with open(cut, "wb") as f:
        f.write(data[:5000])
    dec = subprocess.run([tool, "decode", cut], capture_output=True, text=True)
    assert dec.returncode == 1
    assert "offset " in dec.stderr and ("end of file" in dec.stderr or "left" in dec.stderr)
