#!/bin/sh
# make_fixtures.sh - regenerate the golden RDB files test_rdb_golden.c reads.
#
# For each variant, starts Debian's redis-server (7.0.x) on a free loopback
# port with its own temporary --dir and save points off, fills it with
# make_fixtures.py (which also writes <name>.txt, the expected contents as
# read back from the server), SAVEs, copies dump.rdb to <name>.rdb and
# stops the server by PID.  Run from anywhere:
#     tests/unit/rdb_fixtures/make_fixtures.sh
# Then commit the .rdb and .txt files.
set -eu
PY=${PY:-/usr/bin/python3}  # Debian's python3-redis, as the Makefile uses
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# variant name, then redis-server options
make_one() {
    name=$1
    shift
    port=$(free_port)
    mkdir -p "$tmp/$name"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$tmp/$name" --dbfilename dump.rdb --enable-debug-command yes \
        --logfile "$tmp/$name/log" "$@" &
    pid=$!
    i=0
    until redis-cli -p "$port" ping >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "redis-server did not start" >&2; exit 1; }
        sleep 0.1
    done
    "$PY" "$here/make_fixtures.py" "$name" "$port" "$here/$name.txt"
    redis-cli -p "$port" save >/dev/null
    cp "$tmp/$name/dump.rdb" "$here/$name.rdb"
    kill "$pid"
    wait "$pid" || true
    pid=""
    echo "$name.rdb: $(wc -c <"$here/$name.rdb") bytes"
}

# Every type and encoding, small and large, TTLs, three databases, a
# function library; quicklist nodes of 16 items, inner ones LZF-compressed.
make_one redis70_types --list-max-listpack-size 16 --list-compress-depth 1
# IDLE opcodes (LRU policy) and a zero checksum footer.
make_one redis70_lru --maxmemory-policy allkeys-lru --rdbchecksum no
# FREQ opcodes (LFU policy) and no string compression.
make_one redis70_lfu --maxmemory-policy allkeys-lfu --rdbcompression no
