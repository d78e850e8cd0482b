"""What memtier_benchmark does to a server, without memtier (not packaged in
Debian): per connection it sends AUTH and SELECT, then pipelined SET/GET
traffic over a key range with a fixed value size, and it reads INFO to
report the server.  Several such connections run at once; every reply must
be the right one, in order, with zero errors.
"""
import socket
import threading

from conftest import SANITIZER
from resp import LineReader, enc

CONNS = 4 if SANITIZER else 8
REQUESTS = 2000 if SANITIZER else 20000
PIPELINE = 32
VALUE = b"v" * 32


def memtier_session(port, idx, errors):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        rd = LineReader(sock=s)
        s.sendall(enc("AUTH", "secret") + enc("SELECT", 3))
        assert rd.reply() == b"+OK"
        assert rd.reply() == b"+OK"
        sent = 0
        while sent < REQUESTS:
            batch, expect = [], []
            for j in range(PIPELINE):
                key = b"memtier-%d" % ((sent + j) * 7 % 1000)
                if (sent + j) % 10 == 0:  # memtier's default ratio is 1:10 SET:GET
                    batch.append(enc("SET", key, VALUE))
                    expect.append(b"+OK")
                else:
                    batch.append(enc("GET", key))
                    expect.append("get")
            s.sendall(b"".join(batch))
            for e in expect:
                got = rd.reply()
                if e == "get":
                    assert got is None or got == VALUE, got
                else:
                    assert got == e, got
            sent += PIPELINE
        s.close()
    except Exception as exc:  # reported by the main thread
        errors.append((idx, repr(exc)))


def test_memtier_style_load(server_factory):
    srv = server_factory("--requirepass", "secret", threads=2)
    errors = []
    threads = [threading.Thread(target=memtier_session, args=(srv.port, i, errors))
               for i in range(CONNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads), "a session hung"
    assert errors == []
    c = srv.client(password="secret")
    info = c.info()  # memtier reads INFO; it must parse
    assert info["redis_version"]
    assert int(info["total_commands_processed"]) >= CONNS * (REQUESTS + 2)
    assert "errorstat_ERR" not in c.info("errorstats")
    c.select(3)
    assert c.dbsize() == 100  # keys written: every 10th of 1000 key slots
    assert c.get("memtier-0") == VALUE
    c.connection_pool.disconnect()
