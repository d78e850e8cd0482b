"""Debian's libmemcached-tools against the memcached port (ASCII protocol).

memccp/memccat/memcrm/memcflush/memcstat/memcexist/memctouch/memcping,
memcslap and memcaslap (bounded runs) and memccapable -a, the ASCII
protocol conformance tester.  Against memcached 1.6.18 every memccapable
ASCII subtest passes; the same set is required here.  No rates are
checked.
"""
import os
import re
import shutil
import subprocess

import pytest

from mc_support import mc, mc_factory, requires_mc, value_block  # noqa: F401

TOOLS = ["memccp", "memccat", "memcrm", "memcflush", "memcstat", "memcexist",
         "memctouch", "memcping", "memcslap", "memcaslap", "memccapable"]

pytestmark = [requires_mc,
              pytest.mark.skipif(not all(shutil.which(t) for t in TOOLS),
                                 reason="libmemcached-tools not installed")]

TIMEOUT = 30

# Every ASCII subtest of memccapable (libmemcached 1.1.4); all pass against
# memcached 1.6.18.
MEMCCAPABLE_ASCII = [
    "ascii version", "ascii quit", "ascii verbosity", "ascii set",
    "ascii set noreply", "ascii get", "ascii gets", "ascii mget", "ascii flush",
    "ascii flush noreply", "ascii add", "ascii add noreply", "ascii replace",
    "ascii replace noreply", "ascii cas", "ascii cas noreply", "ascii delete",
    "ascii delete noreply", "ascii incr", "ascii incr noreply", "ascii decr",
    "ascii decr noreply", "ascii append", "ascii append noreply",
    "ascii prepend", "ascii prepend noreply", "ascii stat",
]

ERROR_RE = re.compile(r"(?i)error|fail|refused|timeout|timed out|disabled")


def run(args, cwd=None, timeout=TIMEOUT):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       cwd=cwd, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def servers(mc):
    return "--servers=127.0.0.1:%d" % mc.port


def test_memccp_memccat_roundtrip(mc, tmp_path):
    blob = bytes(range(256)) * 64 + b"\r\nEND\r\n" + os.urandom(30000)
    src = tmp_path / "blob.bin"
    src.write_bytes(blob)
    rc, out, err = run(["memccp", servers(mc), "--flags=77", "--expire=1000", "blob.bin"],
                       cwd=tmp_path)
    assert rc == 0, err
    # memccat --file writes the value byte for byte
    rc, out, err = run(["memccat", servers(mc), "--file=copy.bin", "blob.bin"], cwd=tmp_path)
    assert rc == 0, err
    assert (tmp_path / "copy.bin").read_bytes() == blob
    # on stdout it adds one newline
    rc, out, err = run(["memccat", servers(mc), "blob.bin"], cwd=tmp_path)
    assert rc == 0 and out == blob + b"\n"
    with mc.raw() as c:
        c.send(b"get blob.bin\r\n")
        want = value_block(b"blob.bin", blob, 77) + b"END\r\n"
        assert c.read_exact(len(want)) == want
        assert 990 <= int(c.req(b"mg blob.bin t\r\n").split(b"t")[-1]) <= 1000


def test_memcexist_memcrm_memctouch(mc, tmp_path):
    (tmp_path / "f").write_bytes(b"data")
    assert run(["memccp", servers(mc), "f"], cwd=tmp_path)[0] == 0
    assert run(["memcexist", servers(mc), "f"])[0] == 0
    assert run(["memctouch", servers(mc), "--expire=300", "f"])[0] == 0
    with mc.raw() as c:
        ttl = int(c.req(b"mg f t\r\n").split(b"t")[-1])
        assert 298 <= ttl <= 300
    assert run(["memcrm", servers(mc), "f"])[0] == 0
    assert run(["memcexist", servers(mc), "f"])[0] != 0
    rc, out, err = run(["memccat", servers(mc), "f"])
    assert rc != 0 and out == b""
    assert run(["memcrm", servers(mc), "f"])[0] != 0        # NOT_FOUND
    assert run(["memctouch", servers(mc), "--expire=10", "f"])[0] != 0


def test_memcflush(mc):
    with mc.raw() as c:
        c.req(b"set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\n")
    rc, out, err = run(["memcflush", servers(mc)])
    assert rc == 0, err
    with mc.raw() as c:
        assert c.req(b"get a b\r\n") == b"END\r\n"


def test_memcping(mc):
    rc, out, err = run(["memcping", servers(mc)])
    assert rc == 0, err


def test_memcstat(mc):
    with mc.raw() as c:
        c.req(b"set a 0 0 1\r\n1\r\n")
    rc, out, err = run(["memcstat", servers(mc)])
    assert rc == 0, err
    text = out.decode()
    assert "Server: 127.0.0.1 (%d)" % mc.port in text
    st = dict(re.findall(r"^\s+(\w+): (.*)$", text, re.M))
    for name in ("pid", "uptime", "time", "version", "curr_items", "total_items",
                 "cmd_get", "cmd_set", "get_hits", "get_misses", "curr_connections",
                 "total_connections", "bytes", "limit_maxbytes", "threads", "evictions"):
        assert name in st, (name, text)
    assert int(st["pid"]) == mc.pid
    assert int(st["curr_items"]) == 1


def test_memcslap_set_get_mget(mc):
    s0 = mc.stats()
    for test, line in (("set", r"Time to set\s+4000 keys by\s+4 threads"),
                       ("get", r"Time to get\s+4000 keys by\s+4 threads"),
                       ("mget", r"Time to mget\s+4000 keys by\s+4 threads")):
        rc, out, err = run(["memcslap", servers(mc), "--concurrency=4",
                            "--execute-number=1000", "--test=" + test])
        text = out.decode("utf-8", "replace")
        assert rc == 0, err
        assert not ERROR_RE.search(err), err[:2000]
        assert re.search(line, text), text
    s1 = mc.stats()
    # set: 4x1000 sets; get and mget each preload 1000 keys, then read 4x1000
    assert int(s1["cmd_set"]) - int(s0["cmd_set"]) == 4000 + 1000 + 1000
    assert int(s1["get_hits"]) - int(s0["get_hits"]) == 8000
    assert int(s1["get_misses"]) == int(s0["get_misses"])
    mc.assert_healthy()


def test_memcaslap_bounded(mc):
    rc, out, err = run(["memcaslap", "-s", "127.0.0.1:%d" % mc.port, "-x", "20000",
                        "-T", "2", "-c", "8", "-v", "0.2"])
    text = out.decode("utf-8", "replace") + err
    assert rc == 0, text[-2000:]
    stats = dict(re.findall(r"^(\w+): (\d+)$", text, re.M))
    assert stats.get("verify_failed") == "0", text[-2000:]
    assert stats.get("verify_misses") == "0", text[-2000:]
    assert stats.get("get_misses") == "0", text[-2000:]
    assert int(stats["cmd_get"]) + int(stats["cmd_set"]) >= 20000
    assert re.search(r"Ops: 20000\b", text), text[-2000:]
    mc.assert_healthy()


def test_memccapable_ascii(mc):
    rc, out, err = run(["memccapable", "-a", "-h", "127.0.0.1", "-p", str(mc.port),
                        "-t", "5"], timeout=60)
    text = out.decode("utf-8", "replace") + err
    results = dict(re.findall(r"^(ascii [\w ]+?)\s+\[(\w+)\]", text, re.M))
    failed = {n: results.get(n) for n in MEMCCAPABLE_ASCII if results.get(n) != "pass"}
    assert not failed, "memccapable subtests not passing: %r\n%s" % (failed, text[-3000:])
    assert "All tests passed" in text, text[-3000:]
    assert rc == 0, text[-3000:]
    mc.assert_healthy()
