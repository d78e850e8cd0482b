"""Server commands: COMMAND *, INFO, CONFIG *, DBSIZE, TIME, FLUSHDB/FLUSHALL,
SWAPDB, SHUTDOWN.

Every expectation was checked against Redis 7.0.15
(CACHET_BIN=/usr/bin/redis-server).  redis-py 4.3's reply callbacks for
COMMAND/INFO hide the wire format, so most checks use a small raw RESP reader.
Tests that change server-wide state (CONFIG SET, SHUTDOWN, stats) use their
own server from server_factory so the shared one is left alone.
"""
import os
import re
import socket
import subprocess
import time

import pytest
import redis

from conftest import BIN, IS_REDIS, raw_command
from resp import Err, RawConn, wait_for


def info_text(conn, *sections):
    reply = conn.cmd("INFO", *sections)
    assert isinstance(reply, (bytes, str)), reply
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def parse_info(text):
    """{section name: {field: value}} from an INFO reply."""
    sections = {}
    cur = None
    for line in text.split("\r\n"):
        if line.startswith("# "):
            cur = line[2:]
            sections[cur] = {}
        elif line:
            k, sep, v = line.partition(":")
            assert sep, "INFO line without ':' %r" % line
            assert cur is not None, "INFO field before any section header: %r" % line
            sections[cur][k] = v
    return sections


def info_fields(conn, *sections):
    out = {}
    for fields in parse_info(info_text(conn, *sections)).values():
        out.update(fields)
    return out


@pytest.fixture
def own(server_factory):
    """A private server and a raw connection to it."""
    s = server_factory()
    conn = RawConn(s.port)
    conn.server = s
    yield conn
    conn.close()


# --------------------------------------------------------------------------
# COMMAND
# --------------------------------------------------------------------------

def test_command_count(c):
    n = c.cmd("COMMAND", "COUNT")
    assert c.raw.startswith(b":")
    assert isinstance(n, int) and n > 50
    # COUNT counts the same top-level commands that COMMAND lists
    assert len(c.cmd("COMMAND")) == n


def test_command_count_arity(c):
    assert c.cmd("COMMAND", "COUNT", "x") == Err(
        "ERR wrong number of arguments for 'command|count' command")


def test_command_lists_basic_commands(c):
    names = {entry[0] for entry in c.cmd("COMMAND")}
    for name in (b"get", b"set", b"mset", b"mget", b"ping", b"echo", b"select",
                 b"info", b"config", b"client", b"command", b"multi", b"exec",
                 b"watch", b"dbsize", b"flushall", b"flushdb", b"swapdb", b"time"):
        assert name in names, name


def _command_info(c, name):
    reply = c.cmd("COMMAND", "INFO", name)
    assert isinstance(reply, list) and len(reply) == 1
    return reply[0]


@pytest.mark.parametrize("name,arity,first,last,step", [
    ("get", 2, 1, 1, 1),
    ("set", -3, 1, 1, 1),
    ("mset", -3, 1, -1, 2),
    ("mget", -2, 1, -1, 1),
    ("incr", 2, 1, 1, 1),
    ("del", -2, 1, -1, 1),
    ("ping", -1, 0, 0, 0),
    ("echo", 2, 0, 0, 0),
    ("dbsize", 1, 0, 0, 0),
    ("select", 2, 0, 0, 0),
    ("multi", 1, 0, 0, 0),
    ("watch", -2, 1, -1, 1),
    ("swapdb", 3, 0, 0, 0),
])
def test_command_info_key_positions(c, name, arity, first, last, step):
    entry = _command_info(c, name)
    assert entry[0] == name.encode()
    assert entry[1] == arity
    assert isinstance(entry[2], list)
    assert entry[3:6] == [first, last, step]
    assert len(entry) == 10   # Redis 7 format: ... acl categories, tips, key specs, subcommands
    assert all(cat.startswith("@") for cat in entry[6])


def test_command_info_flags_and_categories(c):
    get = _command_info(c, "get")
    assert set(get[2]) >= {"readonly", "fast"}
    assert set(get[6]) >= {"@read", "@string", "@fast"}
    set_ = _command_info(c, "set")
    assert set(set_[2]) >= {"write", "denyoom"}
    assert "readonly" not in set_[2]
    assert set(set_[6]) >= {"@write", "@string", "@slow"}
    mset = _command_info(c, "mset")
    assert set(mset[2]) >= {"write", "denyoom"}


def test_command_info_raw_shape(c):
    raw = c.cmd_raw("COMMAND", "INFO", "get")
    assert raw.startswith(b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n")


def test_command_info_unknown_and_case(c):
    reply = c.cmd("COMMAND", "INFO", "nosuchcommand", "GET")
    assert reply[0] is None
    assert reply[1][0] == b"get"     # names are reported in lower case
    assert c.raw.startswith(b"*2\r\n$-1\r\n")


def test_command_info_subcommand(c):
    entry = _command_info(c, "config|get")
    assert entry[0] == b"config|get"
    assert entry[1] == -3


def test_command_docs_get(c):
    reply = c.cmd("COMMAND", "DOCS", "get")
    # RESP2: a flat array [name, [field, value, ...]]
    assert len(reply) == 2 and reply[0] == b"get"
    doc = dict(zip(reply[1][0::2], reply[1][1::2]))
    assert set(doc) >= {b"summary", b"since", b"group", b"complexity", b"arguments"}
    assert isinstance(doc[b"summary"], bytes) and doc[b"summary"]
    assert doc[b"since"] == b"1.0.0"
    assert doc[b"group"] == b"string"
    assert doc[b"complexity"] == b"O(1)"
    args = doc[b"arguments"]
    assert len(args) == 1
    arg = dict(zip(args[0][0::2], args[0][1::2]))
    assert arg[b"name"] == b"key"
    assert arg[b"type"] == b"key"


def test_command_docs_set_arguments(c):
    reply = c.cmd("COMMAND", "DOCS", "set")
    doc = dict(zip(reply[1][0::2], reply[1][1::2]))
    assert doc[b"group"] == b"string"
    names = [dict(zip(a[0::2], a[1::2]))[b"name"] for a in doc[b"arguments"]]
    assert names[:2] == [b"key", b"value"]


def test_command_docs_resp3_is_map(c):
    c.cmd("HELLO", "3")
    reply = c.cmd("COMMAND", "DOCS", "get")
    assert c.raw.startswith(b"%1\r\n$3\r\nget\r\n%")
    doc = reply[b"get"]
    assert doc[b"group"] == b"string"
    assert doc[b"arguments"][0][b"name"] == b"key"


def test_command_docs_unknown_and_all(c):
    assert c.cmd_raw("COMMAND", "DOCS", "nosuchcommand") == b"*0\r\n"
    every = c.cmd("COMMAND", "DOCS")
    names = every[0::2]
    assert b"get" in names and b"set" in names and b"ping" in names
    assert len(names) >= c.cmd("COMMAND", "COUNT")


def test_command_list(c):
    names = c.cmd("COMMAND", "LIST")
    assert all(isinstance(n, bytes) for n in names)
    for n in (b"get", b"set", b"mset", b"ping", b"client", b"config"):
        assert n in names
    assert len(names) >= c.cmd("COMMAND", "COUNT")
    assert len(set(names)) == len(names)


def test_command_list_filterby_pattern(c):
    names = c.cmd("COMMAND", "LIST", "FILTERBY", "PATTERN", "ge*")
    assert b"get" in names and b"getrange" in names
    assert all(n.startswith(b"ge") for n in names)
    assert c.cmd("COMMAND", "LIST", "FILTERBY", "PATTERN", "echo") == [b"echo"]


def test_command_list_syntax_error(c):
    assert c.cmd("COMMAND", "LIST", "foo") == Err("ERR syntax error")


@pytest.mark.parametrize("args,keys", [
    (("set", "a", "b"), [b"a"]),
    (("set", "a", "b", "EX", "10"), [b"a"]),
    (("mset", "a", "1", "b", "2"), [b"a", b"b"]),
    (("mget", "a", "b", "c"), [b"a", b"b", b"c"]),
    (("get", "k"), [b"k"]),
    (("del", "x", "y"), [b"x", b"y"]),
    (("incr", "n"), [b"n"]),
    (("GET", "upper"), [b"upper"]),
])
def test_command_getkeys(c, args, keys):
    assert c.cmd("COMMAND", "GETKEYS", *args) == keys


def test_command_getkeys_raw(c):
    assert c.cmd_raw("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2") == \
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"


def test_command_getkeys_errors(c):
    assert c.cmd_raw("COMMAND", "GETKEYS", "echo", "x") == \
        b"-ERR The command has no key arguments\r\n"
    assert c.cmd("COMMAND", "GETKEYS", "ping", "x") == Err("ERR The command has no key arguments")
    assert c.cmd("COMMAND", "GETKEYS", "flushall", "async") == Err(
        "ERR The command has no key arguments")
    assert c.cmd("COMMAND", "GETKEYS", "nosuchcmd", "a") == Err("ERR Invalid command specified")
    assert c.cmd("COMMAND", "GETKEYS", "set", "a") == Err(
        "ERR Invalid number of arguments specified for command")
    assert c.cmd("COMMAND", "GETKEYS", "get", "a", "b") == Err(
        "ERR Invalid number of arguments specified for command")
    # Redis 7.0 declares COMMAND GETKEYS with arity -4: a command name alone
    # is an arity error of COMMAND GETKEYS itself.
    assert c.cmd("COMMAND", "GETKEYS", "get") == Err(
        "ERR wrong number of arguments for 'command|getkeys' command")
    assert c.cmd("COMMAND", "GETKEYS") == Err(
        "ERR wrong number of arguments for 'command|getkeys' command")


def test_command_unknown_subcommand(c):
    assert c.cmd("COMMAND", "FOO") == Err("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")


# --------------------------------------------------------------------------
# INFO
# --------------------------------------------------------------------------

def test_info_default_sections(c):
    text = info_text(c)
    assert c.raw.startswith(b"$")
    assert text.startswith("# Server\r\n")
    assert text.endswith("\r\n")
    headers = [l[2:] for l in text.split("\r\n") if l.startswith("# ")]
    for name in ("Server", "Clients", "Memory", "Persistence", "Stats", "CPU", "Keyspace"):
        assert name in headers, headers
    assert "Commandstats" not in headers
    # sections are separated by an empty line
    assert "\r\n\r\n# Clients\r\n" in text
    assert len(headers) == len(set(headers))
    assert parse_info(info_text(c, "default")).keys() == parse_info(text).keys()


@pytest.mark.parametrize("arg", ["all", "everything"])
def test_info_all_includes_commandstats(c, arg):
    headers = parse_info(info_text(c, arg)).keys()
    for name in ("Server", "Clients", "Memory", "Persistence", "Stats", "CPU",
                 "Commandstats", "Errorstats", "Keyspace"):
        assert name in headers


@pytest.mark.parametrize("section,header", [
    ("server", "Server"), ("clients", "Clients"), ("memory", "Memory"),
    ("persistence", "Persistence"), ("stats", "Stats"), ("cpu", "CPU"),
    ("keyspace", "Keyspace"), ("commandstats", "Commandstats"),
    ("errorstats", "Errorstats"), ("SERVER", "Server"),
])
def test_info_single_section(c, section, header):
    text = info_text(c, section)
    assert text.startswith("# %s\r\n" % header)
    assert list(parse_info(text).keys()) == [header]


def test_info_several_sections(c):
    assert list(parse_info(info_text(c, "server", "clients")).keys()) == ["Server", "Clients"]


def test_info_unknown_section_is_empty(c):
    assert c.cmd_raw("INFO", "nosuchsection") == b"$0\r\n\r\n"


def test_info_server_fields(server, c):
    f = info_fields(c, "server")
    assert re.match(r"^\d+\.\d+\.\d+$", f["redis_version"])
    assert int(f["process_id"]) == server.proc.pid
    assert int(f["tcp_port"]) == server.port
    assert int(f["uptime_in_seconds"]) >= 0
    assert int(f["uptime_in_days"]) == 0
    assert f["redis_mode"] == "standalone"
    assert re.match(r"^[0-9a-f]{40}$", f["run_id"])


def test_info_clients_connected_clients(server_factory):
    s = server_factory()
    main = RawConn(s.port)
    extra = []
    try:
        count = lambda: int(info_fields(main, "clients")["connected_clients"])
        wait_for(lambda: count() == 1, what="connected_clients == 1")
        extra = [RawConn(s.port) for _ in range(3)]
        for e in extra:
            assert e.cmd("PING") == "PONG"
        assert count() == 4
        extra.pop().close()
        wait_for(lambda: count() == 3, what="connected_clients == 3")
        assert int(info_fields(main, "clients")["maxclients"]) > 0
    finally:
        for e in extra:
            e.close()
        main.close()


def test_info_memory_fields(c):
    f = info_fields(c, "memory")
    assert int(f["used_memory"]) > 0
    assert re.match(r"^\d+(\.\d\d)?[BKMGTPE]$", f["used_memory_human"]), f["used_memory_human"]


def test_info_persistence_section_exists(c):
    f = info_fields(c, "persistence")
    assert f["loading"] == "0"


def test_info_cpu_fields(c):
    f = info_fields(c, "cpu")
    for k in ("used_cpu_sys", "used_cpu_user"):
        assert re.match(r"^\d+\.\d{6}$", f[k]), (k, f[k])


def test_info_stats_commands_processed(c):
    before = int(info_fields(c, "stats")["total_commands_processed"])
    for _ in range(5):
        c.cmd("PING")
    after = int(info_fields(c, "stats")["total_commands_processed"])
    assert after == before + 6   # 5 PINGs + the first INFO


def test_info_stats_after_resetstat(server, c):
    assert c.cmd_raw("CONFIG", "RESETSTAT") == b"+OK\r\n"
    c.cmd("SET", "k", "v")
    c.cmd("GET", "k")
    c.cmd("GET", "k")
    c.cmd("GET", "missing")
    other = RawConn(server.port)
    try:
        other.cmd("PING")
        f = info_fields(c, "stats")
        assert int(f["keyspace_hits"]) == 2
        assert int(f["keyspace_misses"]) == 1
        assert int(f["total_connections_received"]) == 1
        # CONFIG RESETSTAT counts itself (the counter is bumped after the command
        # runs), then set get get get ping; this INFO is not counted yet.
        assert int(f["total_commands_processed"]) == 6
        assert int(f["expired_keys"]) == 0
        assert int(f["total_error_replies"]) == 0
    finally:
        other.close()


def test_info_expired_keys(c):
    c.cmd("CONFIG", "RESETSTAT")
    assert c.cmd("SET", "shortlived", "v", "PX", "30") == "OK"
    time.sleep(0.2)
    assert c.cmd("GET", "shortlived") is None
    assert int(info_fields(c, "stats")["expired_keys"]) == 1


def test_info_keyspace(c):
    assert parse_info(info_text(c, "keyspace")) == {"Keyspace": {}}
    c.cmd("SET", "a", "1")
    c.cmd("SET", "b", "2")
    c.cmd("SET", "c", "3", "EX", "1000")
    c.cmd("SELECT", 3)
    c.cmd("SET", "x", "1")
    text = info_text(c, "keyspace")
    f = parse_info(text)["Keyspace"]
    assert set(f) == {"db0", "db3"}
    m = re.match(r"^keys=3,expires=1,avg_ttl=(\d+)$", f["db0"])
    assert m, f["db0"]
    # avg_ttl is an estimate updated by the expire cycle; it may still be 0
    assert int(m.group(1)) <= 1000 * 1000
    assert f["db3"] == "keys=1,expires=0,avg_ttl=0"
    assert "\r\ndb0:keys=3,expires=1,avg_ttl=" in text


def test_info_commandstats(c):
    c.cmd("CONFIG", "RESETSTAT")
    c.cmd("SET", "k", "notanumber")
    c.cmd("GET", "k")
    c.cmd("GET", "k")
    assert isinstance(c.cmd("INCR", "k"), Err)
    assert isinstance(c.cmd("GET"), Err)          # arity error: a rejected call
    text = info_text(c, "commandstats")
    lines = dict(l.split(":", 1) for l in text.split("\r\n")[1:] if l)
    pat = (r"^calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),"
           r"rejected_calls=(\d+),failed_calls=(\d+)$")
    m = re.match(pat, lines["cmdstat_get"])
    assert m, lines["cmdstat_get"]
    assert (m.group(1), m.group(4), m.group(5)) == ("2", "1", "0")
    m = re.match(pat, lines["cmdstat_incr"])
    assert m and (m.group(1), m.group(4), m.group(5)) == ("1", "0", "1")
    m = re.match(pat, lines["cmdstat_set"])
    assert m and (m.group(1), m.group(4), m.group(5)) == ("1", "0", "0")
    # subcommands are reported as parent|sub
    assert "cmdstat_config|resetstat" in lines
    assert "cmdstat_ping" not in lines


def test_info_commandstats_unknown_command_not_listed(c):
    c.cmd("CONFIG", "RESETSTAT")
    c.cmd("NOSUCHCOMMAND")
    text = info_text(c, "commandstats")
    assert "nosuchcommand" not in text.lower()


def test_info_errorstats(c):
    c.cmd("CONFIG", "RESETSTAT")
    assert parse_info(info_text(c, "errorstats")) == {"Errorstats": {}}
    c.cmd("SET", "k", "v")
    c.cmd("INCR", "k")
    assert "errorstat_ERR:count=1\r\n" in info_text(c, "errorstats")
    c.cmd("NOSUCHCOMMAND")
    c.cmd("SELECT", 99)
    assert parse_info(info_text(c, "errorstats"))["Errorstats"] == {"errorstat_ERR": "count=3"}
    assert int(info_fields(c, "stats")["total_error_replies"]) == 3


def test_info_errorstats_execabort(c):
    c.cmd("CONFIG", "RESETSTAT")
    c.cmd("MULTI")
    c.cmd("NOSUCHCOMMAND")
    assert c.cmd("EXEC") == Err("EXECABORT Transaction discarded because of previous errors.")
    f = parse_info(info_text(c, "errorstats"))["Errorstats"]
    assert f == {"errorstat_ERR": "count=1", "errorstat_EXECABORT": "count=1"}


def test_config_resetstat_clears_stats(c):
    c.cmd("GET", "missing")
    c.cmd("INCR", "x")
    c.cmd("SET", "x", "y")
    c.cmd("INCR", "x")
    assert c.cmd("CONFIG", "RESETSTAT") == "OK"
    f = info_fields(c, "stats")
    assert f["keyspace_misses"] == "0"
    assert f["keyspace_hits"] == "0"
    assert f["total_error_replies"] == "0"
    assert parse_info(info_text(c, "errorstats")) == {"Errorstats": {}}
    assert "cmdstat_incr" not in info_text(c, "commandstats")


def test_config_resetstat_arity(c):
    assert c.cmd("CONFIG", "RESETSTAT", "x") == Err(
        "ERR wrong number of arguments for 'config|resetstat' command")


def test_info_redis_py_parses(r):
    info = r.info()
    assert "redis_version" in info
    assert info["connected_clients"] >= 1


# --------------------------------------------------------------------------
# CONFIG GET / SET
# --------------------------------------------------------------------------

def _config_get(conn, *patterns):
    reply = conn.cmd("CONFIG", "GET", *patterns)
    assert isinstance(reply, list), reply
    return dict(zip([k.decode() for k in reply[0::2]], [v.decode() for v in reply[1::2]]))


def test_config_get_basic(server, c):
    assert c.cmd_raw("CONFIG", "GET", "port") == \
        b"*2\r\n$4\r\nport\r\n$%d\r\n%d\r\n" % (len(str(server.port)), server.port)
    assert _config_get(c, "databases") == {"databases": "16"}
    assert _config_get(c, "timeout") == {"timeout": "0"}
    mc = _config_get(c, "maxclients")
    assert list(mc) == ["maxclients"] and int(mc["maxclients"]) > 0
    assert _config_get(c, "proto-max-bulk-len") == {"proto-max-bulk-len": "536870912"}
    assert _config_get(c, "bind") == {"bind": "127.0.0.1"}
    assert _config_get(c, "requirepass") == {"requirepass": ""}


def test_config_get_glob(c):
    assert _config_get(c, "proto*") == {"proto-max-bulk-len": "536870912"}
    assert _config_get(c, "Time*") == {"timeout": "0"}
    assert _config_get(c, "maxclient?") == _config_get(c, "maxclients")
    assert _config_get(c, "data[bc]ases") == {"databases": "16"}
    everything = _config_get(c, "*")
    for k in ("port", "bind", "databases", "timeout", "maxclients", "requirepass",
              "proto-max-bulk-len", "client-query-buffer-limit", "loglevel", "dir"):
        assert k in everything, k


def test_config_get_several_patterns(server, c):
    got = _config_get(c, "port", "databases", "timeout")
    assert got == {"port": str(server.port), "databases": "16", "timeout": "0"}


def test_config_get_unknown_is_empty(c):
    assert c.cmd_raw("CONFIG", "GET", "nosuchparameter") == b"*0\r\n"


def test_config_get_exact_name_echoes_requested_case(c):
    # Redis 7.0 quirk: a non-glob name is matched case-insensitively and the
    # reply repeats the name as the client spelled it.
    assert c.cmd("CONFIG", "GET", "TIMEOUT") == [b"TIMEOUT", b"0"]


def test_config_get_arity(c):
    assert c.cmd("CONFIG", "GET") == Err("ERR wrong number of arguments for 'config|get' command")
    assert c.cmd("CONFIG") == Err("ERR wrong number of arguments for 'config' command")
    assert c.cmd("CONFIG", "FOO") == Err("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")


def test_config_set_single(own):
    assert own.cmd_raw("CONFIG", "SET", "timeout", "300") == b"+OK\r\n"
    assert _config_get(own, "timeout") == {"timeout": "300"}
    assert own.cmd("CONFIG", "SET", "TIMEOUT", "301") == "OK"   # names are case-insensitive
    assert _config_get(own, "timeout") == {"timeout": "301"}


def test_config_set_multiple(own):
    assert own.cmd("CONFIG", "SET", "timeout", "5", "maxclients", "100") == "OK"
    assert _config_get(own, "timeout", "maxclients") == {"timeout": "5", "maxclients": "100"}


def test_config_set_is_atomic(own):
    own.cmd("CONFIG", "SET", "timeout", "7")
    assert own.cmd("CONFIG", "SET", "timeout", "5", "maxclients", "abc") == Err(
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
        "argument couldn't be parsed into an integer")
    assert _config_get(own, "timeout") == {"timeout": "7"}


@pytest.mark.skipif(IS_REDIS, reason="Redis has an AOF")
def test_appendonly_is_no_and_yes_is_refused(own):
    # tools such as redis-benchmark ask for it; there is no AOF, so "yes"
    # is refused instead of silently not persisting
    assert _config_get(own, "appendonly") == {"appendonly": "no"}
    assert own.cmd("CONFIG", "SET", "appendonly", "no") == "OK"
    r = own.cmd("CONFIG", "SET", "appendonly", "yes")
    assert isinstance(r, Err) and "appendonly yes is not supported" in str(r), r
    assert _config_get(own, "appendonly") == {"appendonly": "no"}


def test_config_set_memory_units(own):
    assert own.cmd("CONFIG", "SET", "proto-max-bulk-len", "2mb") == "OK"
    assert _config_get(own, "proto-max-bulk-len") == {"proto-max-bulk-len": "2097152"}


def test_config_set_unknown_parameter(own):
    assert own.cmd_raw("CONFIG", "SET", "foo", "bar") == \
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"


@pytest.mark.parametrize("param,value,msg", [
    ("maxclients", "abc",
     "ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
     "argument couldn't be parsed into an integer"),
    ("timeout", "-1",
     "ERR CONFIG SET failed (possibly related to argument 'timeout') - "
     "argument must be between 0 and 2147483647 inclusive"),
    ("port", "abc",
     "ERR CONFIG SET failed (possibly related to argument 'port') - "
     "argument couldn't be parsed into an integer"),
    ("databases", "4",
     "ERR CONFIG SET failed (possibly related to argument 'databases') - "
     "can't set immutable config"),
    ("loglevel", "loud",
     "ERR CONFIG SET failed (possibly related to argument 'loglevel') - "
     "argument(s) must be one of the following: debug, verbose, notice, warning"),
    ("proto-max-bulk-len", "1k",
     "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
     "argument must be between 1048576 and 9223372036854775807 inclusive"),
])
def test_config_set_invalid_value(own, param, value, msg):
    before = _config_get(own, param)
    assert own.cmd("CONFIG", "SET", param, value) == Err(msg)
    assert _config_get(own, param) == before


def test_config_set_duplicate_and_arity(own):
    assert own.cmd("CONFIG", "SET", "timeout", "5", "timeout", "6") == Err(
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter")
    assert own.cmd("CONFIG", "SET", "timeout") == Err(
        "ERR wrong number of arguments for 'config|set' command")
    # an odd number of name/value arguments (beyond the first pair)
    assert own.cmd("CONFIG", "SET", "timeout", "5", "maxclients") == Err("ERR syntax error")
    assert _config_get(own, "timeout") == {"timeout": "0"}


def test_config_set_maxclients_takes_effect(own):
    assert own.cmd("CONFIG", "SET", "maxclients", "3") == "OK"
    conns = [RawConn(own.server.port) for _ in range(3)]
    try:
        assert conns[0].cmd("PING") == "PONG"
        assert conns[1].cmd("PING") == "PONG"
        # `own` + 2 = 3 clients: the next one is refused, then closed
        assert conns[2].cmd_raw("PING") == b"-ERR max number of clients reached\r\n"
        conns[2].assert_closed()
    finally:
        for x in conns:
            x.close()


def test_config_set_timeout_closes_idle_clients(own):
    assert own.cmd("CONFIG", "SET", "timeout", "1") == "OK"
    idle = RawConn(own.server.port)
    try:
        assert idle.cmd("PING") == "PONG"
        idle.assert_closed(timeout=15)
    finally:
        idle.close()


def test_config_set_requirepass_at_runtime(own):
    assert own.cmd("CONFIG", "SET", "requirepass", "pw") == "OK"
    fresh = RawConn(own.server.port)
    try:
        assert fresh.cmd("PING") == Err("NOAUTH Authentication required.")
        assert fresh.cmd("AUTH", "pw") == "OK"
        assert fresh.cmd("CONFIG", "SET", "requirepass", "") == "OK"
    finally:
        fresh.close()


def test_config_set_redis_py(server_factory):
    s = server_factory()
    cl = s.client(decode_responses=True)
    try:
        assert cl.config_set("timeout", 42) is True
        assert cl.config_get("timeout") == {"timeout": "42"}
    finally:
        cl.close()


# --------------------------------------------------------------------------
# CONFIG REWRITE
# --------------------------------------------------------------------------

@pytest.fixture
def conf_server(server_factory):
    """A server started with a config file as its first argument (the only
    place redis-server accepts one); the harness puts it first."""
    def make(conf_path):
        return server_factory(config_file=conf_path)
    return make


def test_config_rewrite_without_config_file(c):
    assert c.cmd("CONFIG", "REWRITE") == Err("ERR The server is running without a config file")


def test_config_rewrite(conf_server, tmp_path):
    conf = tmp_path / "cachet.conf"
    conf.write_text("# my settings\ntimeout 7\nmaxclients 50\n")
    s = conf_server(conf)
    conn = RawConn(s.port)
    try:
        assert _config_get(conn, "timeout", "maxclients") == {"timeout": "7", "maxclients": "50"}
        assert conn.cmd("CONFIG", "SET", "timeout", "9", "loglevel", "warning") == "OK"
        assert conn.cmd_raw("CONFIG", "REWRITE") == b"+OK\r\n"
    finally:
        conn.close()
    lines = [l.strip() for l in conf.read_text().splitlines()]
    assert "# my settings" in lines        # comments are kept
    assert "timeout 9" in lines            # changed value rewritten in place
    assert "timeout 7" not in lines
    assert lines.index("timeout 9") < lines.index("maxclients 50")
    assert "maxclients 50" in lines        # untouched value kept
    assert "loglevel warning" in lines     # value not in the file is appended
    s.stop()

    s2 = conf_server(conf)                 # the rewritten file loads
    conn = RawConn(s2.port)
    try:
        assert _config_get(conn, "timeout", "maxclients", "loglevel") == {
            "timeout": "9", "maxclients": "50", "loglevel": "warning"}
    finally:
        conn.close()


def test_config_file_is_reported_in_info(conf_server, tmp_path):
    conf = tmp_path / "c2.conf"
    conf.write_text("timeout 11\n")
    s = conf_server(conf)
    conn = RawConn(s.port)
    try:
        assert _config_get(conn, "timeout") == {"timeout": "11"}
        assert info_fields(conn, "server")["config_file"] == str(conf)
    finally:
        conn.close()


# --------------------------------------------------------------------------
# DBSIZE / TIME / FLUSHDB / FLUSHALL / SWAPDB
# --------------------------------------------------------------------------

def test_dbsize(c):
    assert c.cmd_raw("DBSIZE") == b":0\r\n"
    for i in range(10):
        c.cmd("SET", "k%d" % i, i)
    assert c.cmd("DBSIZE") == 10
    c.cmd("DEL", "k0")
    assert c.cmd("DBSIZE") == 9
    c.cmd("SELECT", 1)
    assert c.cmd("DBSIZE") == 0
    assert c.cmd("DBSIZE", "x") == Err("ERR wrong number of arguments for 'dbsize' command")


def test_time(c):
    reply = c.cmd("TIME")
    assert re.match(br"^\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n$", c.raw), c.raw
    secs, usecs = int(reply[0]), int(reply[1])
    assert abs(secs - time.time()) < 5
    assert 0 <= usecs < 1000000
    again = c.cmd("TIME")
    assert (int(again[0]), int(again[1])) >= (secs, usecs)
    assert c.cmd("TIME", "x") == Err("ERR wrong number of arguments for 'time' command")


def test_time_redis_py(r):
    secs, usecs = r.time()
    assert abs(secs - time.time()) < 5 and 0 <= usecs < 1000000


def test_flushdb_only_current_db(c):
    c.cmd("SET", "a", "1")
    c.cmd("SELECT", 1)
    c.cmd("SET", "b", "1")
    assert c.cmd_raw("FLUSHDB") == b"+OK\r\n"
    assert c.cmd("DBSIZE") == 0
    c.cmd("SELECT", 0)
    assert c.cmd("GET", "a") == b"1"


@pytest.mark.parametrize("mode", ["ASYNC", "SYNC", "async"])
def test_flushdb_modes(c, mode):
    c.cmd("MSET", "a", "1", "b", "2")
    assert c.cmd("FLUSHDB", mode) == "OK"
    assert c.cmd("DBSIZE") == 0


def test_flushall_all_dbs(c):
    for db in (0, 5, 15):
        c.cmd("SELECT", db)
        c.cmd("SET", "k", db)
    assert c.cmd_raw("FLUSHALL") == b"+OK\r\n"
    for db in (0, 5, 15):
        c.cmd("SELECT", db)
        assert c.cmd("DBSIZE") == 0


@pytest.mark.parametrize("mode", ["ASYNC", "SYNC"])
def test_flushall_modes(c, mode):
    c.cmd("SET", "a", "1")
    c.cmd("SELECT", 2)
    c.cmd("SET", "b", "1")
    assert c.cmd("FLUSHALL", mode) == "OK"
    assert c.cmd("DBSIZE") == 0
    c.cmd("SELECT", 0)
    assert c.cmd("DBSIZE") == 0


def test_flush_syntax_errors(c):
    assert c.cmd("FLUSHALL", "foo") == Err("ERR syntax error")
    assert c.cmd("FLUSHDB", "foo") == Err("ERR syntax error")
    assert c.cmd("FLUSHDB", "ASYNC", "SYNC") == Err("ERR syntax error")


def test_swapdb(server, c):
    c.cmd("SET", "in0", "zero")
    c.cmd("SELECT", 1)
    c.cmd("SET", "in1", "one")
    c.cmd("SELECT", 0)
    watcher = RawConn(server.port)     # a client already sitting in db 1
    try:
        watcher.cmd("SELECT", 1)
        assert c.cmd_raw("SWAPDB", 0, 1) == b"+OK\r\n"
        assert c.cmd("GET", "in1") == b"one"
        assert c.cmd("GET", "in0") is None
        assert watcher.cmd("GET", "in0") == b"zero"
        assert watcher.cmd("GET", "in1") is None
    finally:
        watcher.close()
    assert c.cmd("SWAPDB", 1, 1) == "OK"       # swapping a db with itself is fine
    assert c.cmd("GET", "in1") == b"one"


def test_swapdb_errors(c):
    assert c.cmd("SWAPDB", "x", 0) == Err("ERR invalid first DB index")
    assert c.cmd("SWAPDB", 0, "x") == Err("ERR invalid second DB index")
    assert c.cmd("SWAPDB", 16, 0) == Err("ERR DB index is out of range")
    assert c.cmd("SWAPDB", 0, 16) == Err("ERR DB index is out of range")
    assert c.cmd("SWAPDB", 0, -1) == Err("ERR DB index is out of range")
    assert c.cmd("SWAPDB", 0) == Err("ERR wrong number of arguments for 'swapdb' command")


# --------------------------------------------------------------------------
# SHUTDOWN
# --------------------------------------------------------------------------

def test_shutdown_nosave(server_factory):
    s = server_factory()
    conn = RawConn(s.port)
    try:
        conn.send("SHUTDOWN", "NOSAVE")
        conn.assert_closed(timeout=10)   # no reply: the connection just closes
    finally:
        conn.close()
    assert s.proc.wait(timeout=10) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s.port), timeout=2).close()


def test_shutdown_syntax_error(own):
    assert own.cmd("SHUTDOWN", "FOO") == Err("ERR syntax error")
    assert own.cmd("SHUTDOWN", "NOSAVE", "SAVE") == Err("ERR syntax error")
    assert own.cmd("PING") == "PONG"
    assert own.server.alive()
