#!/usr/bin/env bash
# Collection-command throughput + CPU-efficiency comparison: Debian redis-server
# vs cachet-server --threads 1, driven by Debian's redis-benchmark with raw
# commands (HSET/HGET, LPUSH/LPOP, SADD/SISMEMBER, ZADD/ZRANGE).
#
# See benchmarks/README.md ("Collections") for what is measured and how to read
# the output. Same structure as throughput.sh: both servers run side by side,
# each cell alternates between them (rotating order), ROUNDS -> median per cell,
# server CPU from /proc/PID/stat.
#
# Environment overrides (all optional):
#   CACHET_BIN        cachet binary              (default: <script dir>/../cachet-server)
#   CACHET_ARGS       extra args for cachet      (default: none)
#   REDIS_BIN         reference server           (default: /usr/bin/redis-server)
#   BENCH_BIN         load generator             (default: /usr/bin/redis-benchmark)
#   COLL_TESTS        tests, comma-separated     (default: hset,hget,lpush,lpop,sadd,sismember,zadd,zrange)
#   COLL_PIPELINES    pipeline depths            (default: "1 16")
#   COLL_N_P1         -n for -P 1                (default: 100000)
#   COLL_N_P16        -n for -P 16               (default: 500000)
#   COLL_N_P<k>       -n for any other depth k   (default: COLL_N_P16)
#   COLL_CLIENTS      -c                         (default: 50)
#   COLL_RANGE        -r of the small-collection tests: that many keys of up to
#                     that many elements (default: 100)
#   COLL_ZADD_RANGE   -r of zadd: one sorted set of up to that many members (default: 100000)
#   COLL_ZRANGE_SIZE  members of the sorted set ZRANGE reads (default: 100)
#   COLL_LIST_PREFILL items per list before lpush/lpop, so LPOP never finds an
#                     empty list (default: 2000)
#   COLL_ROUNDS       repeat every cell, report the median (default: 1)
#   COLL_TIME_BUDGET  seconds; no new round if it would likely end past this (default: none)
#   WARMUP_N          -n of a PING warm-up per server, 0 = none (default: 20000)
#   BENCH_TIMEOUT     timeout(1) seconds per redis-benchmark run (default: 120)
#   START_TIMEOUT     seconds to wait for a server to answer PING (default: 10)
#   MD_OUT            also write the markdown section to this file
#
# Validation mode: CACHET_BIN=/usr/bin/redis-server (any basename starting with
# "redis") starts the "cachet" server as Redis too; every ratio should be ~1.00.
#
# A server that answers "unknown command" gets "n/a (not supported)" for that
# test; that alone is not a failure. Exit status: 0 if every server started and
# survived and every supported run succeeded, 1 otherwise. No thresholds.

set -u -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHET_BIN=${CACHET_BIN:-$SCRIPT_DIR/../cachet-server}
CACHET_ARGS=${CACHET_ARGS:-}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
BENCH_BIN=${BENCH_BIN:-/usr/bin/redis-benchmark}
CLI_BIN=${CLI_BIN:-/usr/bin/redis-cli}
PY=/usr/bin/python3
COLL_TESTS=${COLL_TESTS:-hset,hget,lpush,lpop,sadd,sismember,zadd,zrange}
COLL_PIPELINES=${COLL_PIPELINES:-1 16}
COLL_N_P1=${COLL_N_P1:-100000}
COLL_N_P16=${COLL_N_P16:-500000}
COLL_CLIENTS=${COLL_CLIENTS:-50}
COLL_RANGE=${COLL_RANGE:-100}
COLL_ZADD_RANGE=${COLL_ZADD_RANGE:-100000}
COLL_ZRANGE_SIZE=${COLL_ZRANGE_SIZE:-100}
COLL_LIST_PREFILL=${COLL_LIST_PREFILL:-2000}
COLL_ROUNDS=${COLL_ROUNDS:-1}
COLL_TIME_BUDGET=${COLL_TIME_BUDGET:-0}
WARMUP_N=${WARMUP_N:-20000}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-120}
START_TIMEOUT=${START_TIMEOUT:-10}
MD_OUT=${MD_OUT:-}
HOST=127.0.0.1
ME=collections_throughput.sh

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_executables "$REDIS_BIN" "$BENCH_BIN" "$CLI_BIN" "$PY"
resolve_cachet_bin
CLK_TCK=$(getconf CLK_TCK)
CPU_DESC="utime+stime ticks of /proc/PID/stat, all threads"
# Finer CPU accounting than lib.sh's 10 ms ticks (a 0.3 s run is ~30 ticks):
# nanoseconds on CPU (user + system) summed over /proc/PID/task/*/schedstat,
# when the kernel has schedstat. Same interface: run_measured, cpu_per_mop and
# idle_s divide by CLK_TCK, which becomes 1e9.
if [ -r /proc/self/schedstat ]; then
    CLK_TCK=1000000000
    CPU_DESC="on-CPU time of all threads, /proc/PID/task/*/schedstat"
    cpu_ticks() {
        local f v s=0
        [ -n "$1" ] && [ -d "/proc/$1/task" ] || return 0
        for f in /proc/"$1"/task/*/schedstat; do
            { read -r v _ <"$f"; } 2>/dev/null && s=$((s + v))
        done
        echo "$s"
    }
fi

# ---------------------------------------------------------------- tests
# test -> "-r value|raw command"
declare -A SPEC=(
    [hset]="$COLL_RANGE|HSET h:__rand_int__ f:__rand_int__ v:12345678"
    [hget]="$COLL_RANGE|HGET hr:__rand_int__ f:__rand_int__"
    [lpush]="$COLL_RANGE|LPUSH l:__rand_int__ i:__rand_int__"
    [lpop]="$COLL_RANGE|LPOP l:__rand_int__"
    [sadd]="$COLL_RANGE|SADD s:__rand_int__ m:__rand_int__"
    [sismember]="$COLL_RANGE|SISMEMBER sr:__rand_int__ m:__rand_int__"
    [zadd]="$COLL_ZADD_RANGE|ZADD z __rand_int__ m:__rand_int__"
    [zrange]="1|ZRANGE zr 0 9"
)
IFS=',' read -r -a TEST_LIST <<<"$COLL_TESTS"
for t in "${TEST_LIST[@]}"; do
    [ -n "${SPEC[$t]:-}" ] || die "unknown test '$t' in COLL_TESTS (known: ${!SPEC[*]})"
done
has_test() { [[ ",$COLL_TESTS," == *",$1,"* ]]; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cachet-collbench.XXXXXX")

# ---------------------------------------------------------------- servers
NAMES=(redis cachet-t1)
PIDS=("" "")
PORTS=("" "")
ALIVE=(0 0)
CMDS=("" "")
FAILED=0
NOTES=()
install_cleanup

# server_argv IDX PORT -> fills global array ARGV
server_argv() {
    local idx=$1 port=$2 bin
    if [ "$idx" = 0 ]; then bin=$REDIS_BIN; else bin=$CACHET_BIN; fi
    ARGV=("$bin" --port "$port" --bind "$HOST")
    if [[ $(basename "$bin") == redis* ]]; then
        # Real Redis (or validation mode): no persistence, no --threads option.
        ARGV+=(--save "" --appendonly no --dir "$WORK")
    else
        ARGV+=(--threads 1 --memcache-port 0 --save "")
        add_cachet_args
    fi
}

# shellcheck disable=SC2317  # called by launch_server
redis_ready() { [ "$(timeout 2 "$CLI_BIN" -h "$HOST" -p "$1" ping 2>/dev/null)" = "PONG" ]; }

start_server() {
    local idx=$1 port
    port=$(free_ports 1) || return 1
    server_argv "$idx" "$port"
    launch_server "$idx" "$port" redis_ready PONG
}

# ---------------------------------------------------------------- prefill
# The keys the read tests need, one element per command, in inline format
# (__rand_int__ is 12 zero-padded digits in redis-benchmark, so are these).
gen_prefill() {
    awk -v r="$COLL_RANGE" -v zs="$COLL_ZRANGE_SIZE" -v lp="$COLL_LIST_PREFILL" \
        -v hget="$(has_test hget && echo 1)" -v lists="$( (has_test lpush || has_test lpop) && echo 1)" \
        -v sis="$(has_test sismember && echo 1)" -v zr="$(has_test zrange && echo 1)" 'BEGIN {
        for (k = 0; k < r; k++) {
            if (hget) for (j = 0; j < r; j++) printf "HSET hr:%012d f:%012d v:12345678\r\n", k, j
            if (sis)  for (j = 0; j < r; j++) printf "SADD sr:%012d m:%012d\r\n", k, j
            if (lists) for (j = 0; j < lp; j++) printf "RPUSH l:%012d i:%012d\r\n", k, j % r
        }
        if (zr) for (j = 0; j < zs; j++) printf "ZADD zr %.3f m:%012d\r\n", ((j * 2654435761) % 100000000) / 1000, j
    }'
}

# One redis-cli reply per line of stdin, against server S.
cli_batch() { timeout 30 "$CLI_BIN" -h "$HOST" -p "${PORTS[$1]}" 2>&1; }

# Test T cannot be run against server S: "1" = not supported (unknown command),
# anything else = a reason for n/a.
declare -A SKIP

prefill() {
    local s=$1 out errs want got t
    out=$(gen_prefill | timeout 60 "$CLI_BIN" -h "$HOST" -p "${PORTS[$s]}" --pipe 2>&1)
    errs=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$out" | tail -n1)
    # Check one collection of each kind (their lengths must be exact).
    for t in hget sismember zrange lpop lpush; do
        has_test "$t" || continue
        case $t in
            hget)      got=$(echo "HLEN hr:000000000000" | cli_batch "$s"); want=$COLL_RANGE ;;
            sismember) got=$(echo "SCARD sr:000000000000" | cli_batch "$s"); want=$COLL_RANGE ;;
            zrange)    got=$(echo "ZCARD zr" | cli_batch "$s"); want=$COLL_ZRANGE_SIZE ;;
            lpush|lpop) got=$(echo "LLEN l:000000000000" | cli_batch "$s"); want=$COLL_LIST_PREFILL ;;
        esac
        [ "$got" = "$want" ] && continue
        if grep -qi "unknown command" <<<"$out $got"; then
            [ "$t" = lpush ] || SKIP["$t|$s"]=1   # lpush itself needs no prefill: let it tell
        else
            SKIP["$t|$s"]="prefill failed"
            NOTES+=("prefill for $t on ${NAMES[$s]} failed: expected length $want, got '${got:0:80}' (redis-cli --pipe: errors ${errs:-?})")
            FAILED=1
        fi
    done
}

# Smallest LLEN over the lists lpush/lpop use on server S.
min_list_len() {
    local k
    for ((k = 0; k < COLL_RANGE; k++)); do printf 'LLEN l:%012d\n' "$k"; done | cli_batch "$1" |
        awk '/^[0-9]+$/ { if (m == "" || $1 < m) m = $1 } END { print (m == "" ? "n/a" : m) }'
}

# ---------------------------------------------------------------- run
# shellcheck disable=SC2034  # OPS/CPU are read via a nameref in median()
declare -A OPS CPU   # key: "test|P|server|round" -> ops/s, cpu seconds / Mop
COMMAND_LOG=()
IDLE_TICKS=(0 0)
DRY=("" "")          # a list ran dry during lpop on this server (noted once)

for i in 0 1; do start_server "$i"; done
for i in 0 1; do [ "${ALIVE[$i]}" = 1 ] && prefill "$i"; done

if [ "$WARMUP_N" -gt 0 ]; then
    for i in 0 1; do
        [ "${ALIVE[$i]}" = 1 ] || continue
        timeout "$BENCH_TIMEOUT" "$BENCH_BIN" -h "$HOST" -p "${PORTS[$i]}" -c "$COLL_CLIENTS" \
            -n "$WARMUP_N" -t ping --csv >/dev/null 2>&1
    done
fi

cell=0
total_cells=$(( ${#TEST_LIST[@]} * $(wc -w <<<"$COLL_PIPELINES") * COLL_ROUNDS ))

LOAD_START=$(loadavg)
SWEEP_START=$SECONDS
ROUNDS_DONE=0
for round in $(seq 1 "$COLL_ROUNDS"); do
over_budget "$COLL_TIME_BUDGET" "$round" "$COLL_ROUNDS" COLL_TIME_BUDGET && break
for P in $COLL_PIPELINES; do
    nvar="COLL_N_P$P"; N=${!nvar:-$COLL_N_P16}
    for t in "${TEST_LIST[@]}"; do
        cell=$((cell + 1))
        rotate_order "$cell"
        printf '[%d/%d] round %d: %-9s P=%-3s n=%-8s order: %s\n' "$cell" "$total_cells" "$round" "$t" "$P" "$N" \
            "$(order_names)" >&2
        range=${SPEC[$t]%%|*}
        read -r -a rawcmd <<<"${SPEC[$t]#*|}"
        for s in "${ORDER[@]}"; do
            [ "${ALIVE[$s]}" = 1 ] || continue
            [ -n "${SKIP[$t|$s]:-}" ] && continue
            cmd=("$BENCH_BIN" -h "$HOST" -p "${PORTS[$s]}" -c "$COLL_CLIENTS" -n "$N"
                 -r "$range" -P "$P" --csv "${rawcmd[@]}")
            [ "$round" = 1 ] && COMMAND_LOG+=("timeout $BENCH_TIMEOUT $(quote_argv "${cmd[@]}")   # ${NAMES[$s]}")
            run_measured "$s" "${cmd[@]}"
            died "$s" "'$t' P=$P" "$t -P $P (round $round)" && continue
            if [ "$RC" -ne 0 ]; then
                if grep -qi "unknown command" "$WORK/bench.err"; then
                    echo "$ME: ${NAMES[$s]} does not support ${rawcmd[0]}: $(head -c 200 "$WORK/bench.err")" >&2
                    SKIP["$t|$s"]=1
                    continue
                fi
                echo "$ME: redis-benchmark rc=$RC against ${NAMES[$s]} ($t P=$P)" >&2
                head -c 2000 "$WORK/bench.err" >&2
                NOTES+=("redis-benchmark exit $RC against ${NAMES[$s]} for $t -P $P (round $round; 124 = timeout): $(head -n1 "$WORK/bench.err" | cut -c1-120)")
                FAILED=1; continue
            fi
            rps=$(awk -F'"' 'NR>1 && $2 != "test" && $4 != "" {print $4; exit}' <<<"$OUT")
            if [ -z "$rps" ]; then
                echo "$ME: could not parse output for ${NAMES[$s]} $t P=$P:" >&2
                echo "$OUT" | head -n 5 >&2
                NOTES+=("unparsable redis-benchmark output from ${NAMES[$s]} for $t -P $P (round $round)")
                FAILED=1; continue
            fi
            # shellcheck disable=SC2034  # read via nameref in median()
            OPS["$t|$P|$s|$round"]=$rps
            CPU["$t|$P|$s|$round"]=$(cpu_per_mop "$DTICKS" "$N")
            printf '      %-10s %10.0f ops/s  %6.2f CPU s/Mop\n' "${NAMES[$s]}" "$rps" \
                "${CPU["$t|$P|$s|$round"]}" >&2
        done
        # LPOP must have popped real items all along: no list may have run dry.
        if [ "$t" = lpop ]; then
            for s in 0 1; do
                if [ "${ALIVE[$s]}" != 1 ] || [ -n "${SKIP[lpop|$s]:-}" ]; then continue; fi
                m=$(min_list_len "$s")
                if [ "$m" = n/a ] || [ "$m" -le 0 ]; then
                    [ -z "${DRY[$s]:-}" ] && NOTES+=("${NAMES[$s]}: a list used by lpop was empty after lpop -P $P (round $round; min LLEN $m): some LPOPs may have returned nil; raise COLL_LIST_PREFILL")
                    DRY[s]=1
                fi
            done
        fi
    done
done
ROUNDS_DONE=$round
done
LOAD_END=$(loadavg)

for t in "${TEST_LIST[@]}"; do
    for s in 0 1; do
        [ "${SKIP[$t|$s]:-}" = 1 ] && NOTES+=("${NAMES[$s]} does not support ${SPEC[$t]#*|} (unknown command): n/a")
    done
done

# ---------------------------------------------------------------- report
cellval() {   # cellval TEST SERVER VALUE -- VALUE, or why the test did not run
    case ${SKIP[$1|$2]:-} in
        "") echo "$3" ;;
        1) echo "n/a (not supported)" ;;
        *) echo "n/a (${SKIP[$1|$2]})" ;;
    esac
}

HDR=(test P "redis ops/s" "cachet-t1 ops/s" "t1/redis" "redis CPU s/Mop" "t1 CPU s/Mop" "t1 CPU/op vs redis")
ROWS=()
for P in $COLL_PIPELINES; do
    for t in "${TEST_LIST[@]}"; do
        r0=$(median "$t|$P|0" OPS "$COLL_ROUNDS"); r1=$(median "$t|$P|1" OPS "$COLL_ROUNDS")
        c0=$(median "$t|$P|0" CPU "$COLL_ROUNDS"); c1=$(median "$t|$P|1" CPU "$COLL_ROUNDS")
        ROWS+=("$t|$P|$(cellval "$t" 0 "$(fmt_int "$r0")")|$(cellval "$t" 1 "$(fmt_int "$r1")")|$(ratio "$r1" "$r0")|$(cellval "$t" 0 "$(fmt_cpu "$c0")")|$(cellval "$t" 1 "$(fmt_cpu "$c1")")|$(ratio "$c1" "$c0")")
    done
done

legend() {
    local t
    for t in "${TEST_LIST[@]}"; do
        echo "$1$t: \`${SPEC[$t]#*|}\` -r ${SPEC[$t]%%|*}"
    done
}

{
    echo
    echo "== Collection throughput (ops/s = redis-benchmark requests/s; t1/redis > 1 means cachet is faster)"
    echo "== CPU s/Mop = server CPU seconds per million requests ($CPU_DESC); 'CPU/op vs redis' = cachet / redis (target, not enforced: <= 1.00)"
    text_table
    echo "rounds: $ROUNDS_DONE of $COLL_ROUNDS (median per cell); load average start: $LOAD_START, end: $LOAD_END"
    legend "  "
    text_notes
    echo
    text_idle
}

MD=$(
    echo "### Collection throughput (redis-benchmark raw commands, -c $COLL_CLIENTS, $(nproc) CPUs, rounds=$ROUNDS_DONE)"
    echo
    echo "Load average (1/5/15 min) at start: $LOAD_START; at end: $LOAD_END ($(nproc) CPUs; near or above that means other work shared the machine)."
    echo
    md_table
    echo
    echo "\`t1/redis\` = cachet ops/s / redis ops/s (>1 = cachet faster). CPU columns are server CPU seconds"
    echo "($CPU_DESC) per million requests; \`t1 CPU/op vs redis\` is"
    echo "cachet / redis: **target <= 1.00** (at or above Redis per server CPU-second). Commands:"
    echo
    legend "- "
    echo
    echo "Prefilled before measuring: $COLL_RANGE hashes \`hr:*\` and sets \`sr:*\` of $COLL_RANGE elements each,"
    echo "$COLL_RANGE lists \`l:*\` of $COLL_LIST_PREFILL items, sorted set \`zr\` of $COLL_ZRANGE_SIZE members (only those the selected tests use)."
    echo
    md_idle
    md_notes
    md_servers
    echo
    echo "redis-benchmark invocations (round 1; each server gets the same commands, ports differ):"
    echo
    echo '```'
    printf '%s\n' "${COMMAND_LOG[@]}"
    echo '```'
)
emit_markdown "$MD"

exit $FAILED
