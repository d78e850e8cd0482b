#!/usr/bin/env bash
# Throughput + CPU-efficiency comparison: Debian redis-server vs cachet-server
# (--threads 1 and --threads 2), driven by Debian's redis-benchmark.
#
# See benchmarks/README.md for what is measured and how to read the output.
#
# Environment overrides (all optional):
#   CACHET_BIN      cachet binary              (default: <script dir>/../cachet-server)
#   CACHET_ARGS     extra args for cachet      (default: none)
#   REDIS_BIN       reference server           (default: /usr/bin/redis-server)
#   BENCH_BIN       load generator             (default: /usr/bin/redis-benchmark)
#   TESTS           redis-benchmark -t list    (default: set,get,incr,mset)
#   PIPELINES       pipeline depths            (default: "1 16")
#   N_P1            -n for -P 1                (default: 200000)
#   N_P16           -n for -P 16               (default: 1000000)
#   N_P<k>          -n for any other depth k   (default: N_P16)
#   CLIENTS         -c                         (default: 50)
#   KEYSPACE        -r                         (default: 100000)
#   ROUNDS          repeat every cell, report the median (default: 1)
#   WARMUP_N        -n of a PING warm-up per server, 0 = none (default: 20000)
#   BENCH_TIMEOUT   timeout(1) seconds per redis-benchmark run (default: 120)
#   START_TIMEOUT   seconds to wait for a server to answer PING (default: 10)
#   MD_OUT          also write the markdown section to this file
#   TIME_BUDGET     seconds; when set, no new round is started if the rounds
#                   so far suggest it would end past the budget (default: none)
#
# Exit status: 0 if every server started and survived all runs, 1 otherwise
# (the table is printed in both cases; dead/unstarted servers show "n/a").
# There are deliberately no pass/fail thresholds on throughput.

set -u -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHET_BIN=${CACHET_BIN:-$SCRIPT_DIR/../cachet-server}
CACHET_ARGS=${CACHET_ARGS:-}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
BENCH_BIN=${BENCH_BIN:-/usr/bin/redis-benchmark}
CLI_BIN=${CLI_BIN:-/usr/bin/redis-cli}
PY=/usr/bin/python3
TESTS=${TESTS:-set,get,incr,mset}
PIPELINES=${PIPELINES:-1 16}
N_P1=${N_P1:-200000}
N_P16=${N_P16:-1000000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
ROUNDS=${ROUNDS:-1}
WARMUP_N=${WARMUP_N:-20000}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-120}
START_TIMEOUT=${START_TIMEOUT:-10}
MD_OUT=${MD_OUT:-}
TIME_BUDGET=${TIME_BUDGET:-0}
HOST=127.0.0.1
ME=throughput.sh

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_executables "$REDIS_BIN" "$BENCH_BIN" "$CLI_BIN" "$PY"
resolve_cachet_bin
CLK_TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cachet-bench.XXXXXX")

# ---------------------------------------------------------------- servers
# Parallel arrays indexed by server number.
NAMES=(redis cachet-t1 cachet-t2)
PIDS=("" "" "")
PORTS=("" "" "")
ALIVE=(0 0 0)
CMDS=("" "" "")
FAILED=0
NOTES=()             # failures, repeated in the markdown
install_cleanup

# server_argv IDX PORT -> fills global array ARGV
server_argv() {
    local idx=$1 port=$2 bin threads
    case $idx in
        0) bin=$REDIS_BIN; threads="" ;;
        1) bin=$CACHET_BIN; threads=1 ;;
        2) bin=$CACHET_BIN; threads=2 ;;
    esac
    ARGV=("$bin" --port "$port" --bind "$HOST")
    if [[ $(basename "$bin") == redis* ]]; then
        # Real Redis (or validation mode with CACHET_BIN=redis-server):
        # no persistence, and redis-server has no --threads option.
        ARGV+=(--save "" --appendonly no --dir "$WORK")
    else
        # the memcached port is off: several servers run side by side
        ARGV+=(--threads "$threads" --memcache-port 0 --save "")
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

# ---------------------------------------------------------------- run
# shellcheck disable=SC2034  # OPS/CPU are read via a nameref in median()
declare -A OPS CPU   # key: "test|P|server|round" -> ops/s, cpu seconds / Mop
COMMAND_LOG=()
IDLE_TICKS=(0 0 0)   # CPU a server burnt while *another* server was benchmarked

for i in 0 1 2; do start_server "$i"; done

if [ "$WARMUP_N" -gt 0 ]; then
    for i in 0 1 2; do
        [ "${ALIVE[$i]}" = 1 ] || continue
        timeout "$BENCH_TIMEOUT" "$BENCH_BIN" -h "$HOST" -p "${PORTS[$i]}" -c "$CLIENTS" \
            -n "$WARMUP_N" -t ping --csv >/dev/null 2>&1
    done
fi

IFS=',' read -r -a TEST_LIST <<<"$TESTS"
cell=0
total_cells=$(( ${#TEST_LIST[@]} * $(wc -w <<<"$PIPELINES") * ROUNDS ))

LOAD_START=$(loadavg)
SWEEP_START=$SECONDS
ROUNDS_DONE=0
for round in $(seq 1 "$ROUNDS"); do
over_budget "$TIME_BUDGET" "$round" "$ROUNDS" TIME_BUDGET && break
for P in $PIPELINES; do
    nvar="N_P$P"; N=${!nvar:-$N_P16}
    for t in "${TEST_LIST[@]}"; do
        cell=$((cell + 1))
        rotate_order "$cell"
        printf '[%d/%d] round %d: %-5s P=%-3s n=%-8s order: %s\n' "$cell" "$total_cells" "$round" "$t" "$P" "$N" \
            "$(order_names)" >&2
        for s in "${ORDER[@]}"; do
            [ "${ALIVE[$s]}" = 1 ] || continue
            cmd=("$BENCH_BIN" -h "$HOST" -p "${PORTS[$s]}" -c "$CLIENTS" -n "$N"
                 -r "$KEYSPACE" -P "$P" -t "$t" --csv)
            [ "$round" = 1 ] && COMMAND_LOG+=("timeout $BENCH_TIMEOUT $(quote_argv "${cmd[@]}")   # ${NAMES[$s]}")
            run_measured "$s" "${cmd[@]}"
            died "$s" "'$t' P=$P" "$t -P $P (round $round)" && continue
            if [ "$RC" -ne 0 ]; then
                echo "$ME: redis-benchmark rc=$RC against ${NAMES[$s]} ($t P=$P)" >&2
                head -c 2000 "$WORK/bench.err" >&2
                NOTES+=("redis-benchmark exit $RC against ${NAMES[$s]} for $t -P $P (round $round; 124 = timeout)")
                FAILED=1; continue
            fi
            # Data line: "TEST","rps",...  (header starts with "test")
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
    done
done
ROUNDS_DONE=$round
done
LOAD_END=$(loadavg)

# ---------------------------------------------------------------- report

HDR=(test P "redis ops/s" "cachet-t1 ops/s" "t1/redis" "cachet-t2 ops/s" "t2/redis"
     "redis CPU s/Mop" "t1 CPU s/Mop" "t2 CPU s/Mop")
ROWS=()
for P in $PIPELINES; do
    for t in "${TEST_LIST[@]}"; do
        r0=$(median "$t|$P|0" OPS "$ROUNDS"); r1=$(median "$t|$P|1" OPS "$ROUNDS"); r2=$(median "$t|$P|2" OPS "$ROUNDS")
        c0=$(median "$t|$P|0" CPU "$ROUNDS"); c1=$(median "$t|$P|1" CPU "$ROUNDS"); c2=$(median "$t|$P|2" CPU "$ROUNDS")
        ROWS+=("$t|$P|$(fmt_int "$r0")|$(fmt_int "$r1")|$(ratio "$r1" "$r0")|$(fmt_int "$r2")|$(ratio "$r2" "$r0")|$(fmt_cpu "$c0")|$(fmt_cpu "$c1")|$(fmt_cpu "$c2")")
    done
done

{
    echo
    echo "== Throughput (ops/s = redis-benchmark requests/s; ratio = cachet / redis, >1 means cachet is faster)"
    echo "== CPU s/Mop = server CPU seconds (user+sys, all threads) per million requests; lower is better"
    text_table
    echo "rounds: $ROUNDS_DONE of $ROUNDS (median per cell); load average start: $LOAD_START, end: $LOAD_END"
    text_notes
    echo
    text_idle
}

MD=$(
    echo "### Throughput (redis-benchmark, -c $CLIENTS -r $KEYSPACE, $(nproc) CPUs, rounds=$ROUNDS_DONE)"
    echo
    echo "Load average (1/5/15 min) at start: $LOAD_START; at end: $LOAD_END ($(nproc) CPUs; near or above that means other work shared the machine)."
    echo
    md_table
    echo
    echo "Ratios are cachet ops/s divided by redis ops/s (>1 = cachet faster). CPU columns are server"
    echo "CPU seconds (utime+stime from /proc/PID/stat, all threads) per million requests (lower = cheaper)."
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
