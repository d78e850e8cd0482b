"""Stock Redis tools against the server: redis-benchmark (pipelined, plain and
--csv) and redis-cli, including its --pipe mass-insertion mode.

Only string commands and PING are benchmarked: redis-benchmark's default test
list includes list/hash/set/zset commands that Cachet does not implement.
Rates are only checked to be positive; there are no performance thresholds.
"""
import csv
import io
import os
import re
import subprocess

import pytest

from conftest import SANITIZER

BENCH = "/usr/bin/redis-benchmark"
CLI = "/usr/bin/redis-cli"

pytestmark = pytest.mark.skipif(not (os.path.exists(BENCH) and os.path.exists(CLI)),
                                reason="redis-tools not installed")

N = 5000 if SANITIZER else 20000
TIMEOUT = 300

# redis-benchmark asks CONFIG GET save and appendonly first, and warns
# "Could not fetch server CONFIG" if either has no value: that counts as an
# error here too.

RATE_RE = re.compile(r"^\s*(.+?): ([0-9.]+) requests per second")


def run(args, input_data=None):
    p = subprocess.run(args, input=input_data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check_no_errors(out, err):
    for line in re.split(r"[\r\n]+", out + "\n" + err):
        assert not re.search(r"(?i:error)|\bERR\b|(?i:refused|denied|connection (closed|reset))"
                             r"|Could not fetch",
                             line), \
            "redis-benchmark reported: %r" % line


def quiet_rates(out):
    """Parse -q output ('\\r'-separated progress lines, final rate lines)."""
    rates = {}
    for seg in re.split(r"[\r\n]+", out):
        m = RATE_RE.match(seg)
        if m:
            rates[m.group(1).strip()] = float(m.group(2))
    return rates


STRING_TESTS = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]


def bench(server, *extra):
    return run([BENCH, "-h", "127.0.0.1", "-p", str(server.port)] + [str(a) for a in extra])


def test_benchmark_pipelined(server, r):
    rc, out, err = bench(server, "-t", "set,get,incr,mset,ping",
                         "-n", N, "-c", 20, "-P", 16, "-q")
    assert rc == 0, (out[-2000:], err[-2000:])
    check_no_errors(out, err)
    rates = quiet_rates(out)
    assert sorted(rates) == sorted(STRING_TESTS), rates
    assert all(v > 0 for v in rates.values()), rates
    # Without -r every request hits the same literal key.  With 20 clients x 16
    # a few extra requests may be issued past -n, never fewer.
    ctr = int(r.get("counter:__rand_int__"))
    assert N <= ctr < N + 20 * 16, ctr
    assert len(r.get("key:__rand_int__")) == 3          # default -d 3
    assert sorted(r.keys("*")) == [b"counter:__rand_int__", b"key:__rand_int__"]


def test_benchmark_not_pipelined(server, r):
    n = N // 4
    rc, out, err = bench(server, "-t", "set,get,incr,mset,ping", "-n", n, "-c", 10, "-q")
    assert rc == 0, (out[-2000:], err[-2000:])
    check_no_errors(out, err)
    rates = quiet_rates(out)
    assert sorted(rates) == sorted(STRING_TESTS), rates
    assert all(v > 0 for v in rates.values()), rates
    assert int(r.get("counter:__rand_int__")) == n       # no pipeline: exact


def test_benchmark_csv(server, r):
    rc, out, err = bench(server, "-t", "set,get,incr,ping", "-n", N // 4, "-c", 10,
                         "-P", 4, "--csv")
    assert rc == 0, (out[-2000:], err[-2000:])
    check_no_errors(out, err)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["test", "rps", "avg_latency_ms"], rows[0]
    body = {row[0]: row for row in rows[1:] if row}
    assert sorted(body) == sorted(["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"]), body
    for name, row in body.items():
        assert len(row) == len(rows[0]), row
        assert float(row[1]) > 0, row
        assert all(float(x) >= 0 for x in row[2:]), row


def test_benchmark_random_keys_and_bigger_values(server, r):
    rc, out, err = bench(server, "-t", "set,get", "-r", 1000, "-d", 256, "-n", N // 2,
                         "-c", 16, "-P", 8, "-q")
    assert rc == 0, (out[-2000:], err[-2000:])
    check_no_errors(out, err)
    assert sorted(quiet_rates(out)) == ["GET", "SET"]
    keys = r.keys("*")
    assert 1 <= len(keys) <= 1000 and r.dbsize() == len(keys)
    for k in keys[:50]:
        assert re.match(rb"key:\d{12}$", k), k
        assert r.strlen(k) == 256


def test_redis_cli_pipe_mass_insert(server, r):
    n = N // 2
    data = "".join("SET pipe:%d %d\r\n" % (i, i) for i in range(n))
    data += "".join("*3\r\n$6\r\nINCRBY\r\n$7\r\npipectr\r\n$1\r\n%d\r\n" % (i % 10)
                    for i in range(n))
    rc, out, err = run([CLI, "-h", "127.0.0.1", "-p", str(server.port), "--pipe"],
                       input_data=data.encode())
    assert rc == 0, (out, err)
    assert "errors: 0, replies: %d" % (2 * n) in out, out
    assert r.dbsize() == n + 1
    assert r.get("pipe:%d" % (n - 1)) == str(n - 1).encode()
    assert int(r.get("pipectr")) == sum(i % 10 for i in range(n))


def test_redis_cli_pipe_counts_errors(server, r):
    data = b"SET a 1\r\nINCR a b\r\nGET a\r\n"
    rc, out, err = run([CLI, "-h", "127.0.0.1", "-p", str(server.port), "--pipe"],
                       input_data=data)
    assert rc != 0
    assert "errors: 1, replies: 3" in out, out


def test_redis_cli_commands(server, r):
    base = [CLI, "-h", "127.0.0.1", "-p", str(server.port)]
    assert run(base + ["PING"])[1] == "PONG\n"
    assert run(base + ["SET", "cli", "hello world"])[1] == "OK\n"
    assert run(base + ["GET", "cli"])[1] == "hello world\n"
    assert run(base + ["--raw", "INCRBY", "n", "41"])[1] == "41\n"
    assert run(base + ["MGET", "cli", "nokey"])[1] == "hello world\n\n"
    rc, out, _ = run(base + ["-r", "5", "INCR", "n"])
    assert rc == 0 and out.split() == ["42", "43", "44", "45", "46"]
