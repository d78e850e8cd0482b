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

die() { echo "throughput.sh: $*" >&2; exit 2; }

for b in "$REDIS_BIN" "$BENCH_BIN" "$CLI_BIN" "$PY"; do
    [ -x "$b" ] || die "missing executable: $b"
done
if [ ! -x "$CACHET_BIN" ]; then
    die "cachet binary not found or not executable: $CACHET_BIN (build it with 'make', or set CACHET_BIN)"
fi
CACHET_BIN=$(cd "$(dirname "$CACHET_BIN")" && pwd)/$(basename "$CACHET_BIN")
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

cleanup() {
    local i pid
    for i in "${!PIDS[@]}"; do
        pid=${PIDS[$i]}
        [ -n "$pid" ] || continue
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
        PIDS[$i]=""
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

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
        ARGV+=(--threads "$threads" --memcache-port 0)
        # shellcheck disable=SC2206
        [ -n "$CACHET_ARGS" ] && ARGV+=($CACHET_ARGS)
    fi
}

quote_argv() {
    local out="" a
    for a in "$@"; do
        if [ -z "$a" ]; then out+=' ""'; else out+=" $(printf '%q' "$a")"; fi
    done
    echo "${out# }"
}

start_server() {
    local idx=$1 port pid
    port=$(free_port) || return 1
    server_argv "$idx" "$port"
    CMDS[$idx]=$(quote_argv "${ARGV[@]}")
    (cd "$WORK" && exec "${ARGV[@]}") >"$WORK/${NAMES[$idx]}.log" 2>&1 &
    pid=$!
    PIDS[$idx]=$pid
    PORTS[$idx]=$port
    local deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -le $deadline ]; do
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        if [ "$(timeout 2 "$CLI_BIN" -h "$HOST" -p "$port" ping 2>/dev/null)" = "PONG" ]; then
            ALIVE[$idx]=1
            return 0
        fi
        sleep 0.1
    done
    echo "throughput.sh: ${NAMES[$idx]} failed to start: ${CMDS[$idx]}" >&2
    NOTES+=("${NAMES[$idx]} failed to start (no PONG within ${START_TIMEOUT}s)")
    sed 's/^/    | /' "$WORK/${NAMES[$idx]}.log" | tail -n 20 >&2
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    PIDS[$idx]=""
    FAILED=1
    return 1
}

# CPU ticks (utime+stime, all threads) of a PID; empty if gone.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    # Strip "pid (comm) " -- comm may contain spaces/parens; cut at the last ')'.
    stat=${stat##*) }
    # Now field 1 is state (overall field 3); utime/stime are overall 14/15.
    # shellcheck disable=SC2086  # word splitting intended
    set -- $stat
    echo $(( ${12} + ${13} ))
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
N_SERVERS=3
cell=0
total_cells=$(( ${#TEST_LIST[@]} * $(wc -w <<<"$PIPELINES") * ROUNDS ))

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
SWEEP_START=$SECONDS
ROUNDS_DONE=0
for round in $(seq 1 "$ROUNDS"); do
if [ "$TIME_BUDGET" -gt 0 ] && [ "$round" -gt 1 ]; then
    elapsed=$((SECONDS - SWEEP_START))
    per_round=$((elapsed / (round - 1)))
    if [ $((elapsed + per_round)) -gt "$TIME_BUDGET" ]; then
        echo "throughput.sh: TIME_BUDGET=${TIME_BUDGET}s: stopping after $((round - 1)) of $ROUNDS rounds (${elapsed}s so far)" >&2
        NOTES+=("time budget ${TIME_BUDGET}s reached: medians over $((round - 1)) of $ROUNDS rounds")
        break
    fi
fi
for P in $PIPELINES; do
    nvar="N_P$P"; N=${!nvar:-$N_P16}
    for t in "${TEST_LIST[@]}"; do
        cell=$((cell + 1))
        # Rotate the server order every cell so no server always runs first
        # (right after a quiet period) or last (after the most heat/drift).
        order=()
        for k in 0 1 2; do order+=( $(( (k + cell - 1) % N_SERVERS )) ); done
        printf '[%d/%d] round %d: %-5s P=%-3s n=%-8s order: %s\n' "$cell" "$total_cells" "$round" "$t" "$P" "$N" \
            "$(for s in "${order[@]}"; do printf '%s ' "${NAMES[$s]}"; done)" >&2
        for s in "${order[@]}"; do
            [ "${ALIVE[$s]}" = 1 ] || continue
            cmd=("$BENCH_BIN" -h "$HOST" -p "${PORTS[$s]}" -c "$CLIENTS" -n "$N"
                 -r "$KEYSPACE" -P "$P" -t "$t" --csv)
            [ "$round" = 1 ] && COMMAND_LOG+=("timeout $BENCH_TIMEOUT $(quote_argv "${cmd[@]}")   # ${NAMES[$s]}")
            declare -a before=()
            for k in 0 1 2; do before[$k]=$(cpu_ticks "${PIDS[$k]:-0}"); done
            out=$(timeout "$BENCH_TIMEOUT" "${cmd[@]}" 2>"$WORK/bench.err")
            rc=$?
            declare -a after=()
            for k in 0 1 2; do after[$k]=$(cpu_ticks "${PIDS[$k]:-0}"); done
            for k in 0 1 2; do
                [ "$k" = "$s" ] && continue
                [ -n "${before[$k]}" ] && [ -n "${after[$k]}" ] &&
                    IDLE_TICKS[$k]=$(( IDLE_TICKS[k] + after[k] - before[k] ))
            done
            if ! kill -0 "${PIDS[$s]}" 2>/dev/null; then
                echo "throughput.sh: ${NAMES[$s]} DIED during '$t' P=$P (see log below)" >&2
                tail -n 20 "$WORK/${NAMES[$s]}.log" | sed 's/^/    | /' >&2
                NOTES+=("${NAMES[$s]} died during $t -P $P (round $round); later cells are n/a")
                ALIVE[$s]=0; FAILED=1; continue
            fi
            if [ $rc -ne 0 ]; then
                echo "throughput.sh: redis-benchmark rc=$rc against ${NAMES[$s]} ($t P=$P)" >&2
                head -c 2000 "$WORK/bench.err" >&2
                NOTES+=("redis-benchmark exit $rc against ${NAMES[$s]} for $t -P $P (round $round; 124 = timeout)")
                FAILED=1; continue
            fi
            # Data line: "TEST","rps",...  (header starts with "test")
            rps=$(awk -F'"' 'NR>1 && $2 != "test" && $4 != "" {print $4; exit}' <<<"$out")
            if [ -z "$rps" ]; then
                echo "throughput.sh: could not parse output for ${NAMES[$s]} $t P=$P:" >&2
                echo "$out" | head -n 5 >&2
                NOTES+=("unparsable redis-benchmark output from ${NAMES[$s]} for $t -P $P (round $round)")
                FAILED=1; continue
            fi
            dticks=$(( after[s] - before[s] ))
            # shellcheck disable=SC2034  # read via nameref in median()
            OPS["$t|$P|$s|$round"]=$rps
            CPU["$t|$P|$s|$round"]=$(awk -v d="$dticks" -v hz="$CLK_TCK" -v n="$N" \
                'BEGIN{printf "%.3f", d / hz / n * 1e6}')
            printf '      %-10s %10.0f ops/s  %6.2f CPU s/Mop\n' "${NAMES[$s]}" "$rps" \
                "${CPU["$t|$P|$s|$round"]}" >&2
        done
    done
done
ROUNDS_DONE=$round
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
# median of the per-round values for one cell; "n/a" if none.
median() {
    local key=$1 arr=$2 r vals=()
    local -n ref=$arr
    for r in $(seq 1 "$ROUNDS"); do
        [ -n "${ref[$key|$r]:-}" ] && vals+=("${ref[$key|$r]}")
    done
    [ ${#vals[@]} -eq 0 ] && { echo "n/a"; return; }
    printf '%s\n' "${vals[@]}" | sort -g | awk '{a[NR]=$1} END{
        if (NR % 2) m = a[(NR+1)/2]; else m = (a[NR/2] + a[NR/2+1]) / 2; print m}'
}
ratio() { if [ "$1" = n/a ] || [ "$2" = n/a ]; then echo n/a; else awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a"}'; fi; }
fmt_int() { [ "$1" = n/a ] && echo n/a || awk -v x="$1" 'BEGIN{printf "%.0f", x}'; }
fmt_cpu() { [ "$1" = n/a ] && echo n/a || awk -v x="$1" 'BEGIN{printf "%.2f", x}'; }

HDR=(test P "redis ops/s" "cachet-t1 ops/s" "t1/redis" "cachet-t2 ops/s" "t2/redis"
     "redis CPU s/Mop" "t1 CPU s/Mop" "t2 CPU s/Mop")
ROWS=()
for P in $PIPELINES; do
    for t in "${TEST_LIST[@]}"; do
        r0=$(median "$t|$P|0" OPS); r1=$(median "$t|$P|1" OPS); r2=$(median "$t|$P|2" OPS)
        c0=$(median "$t|$P|0" CPU); c1=$(median "$t|$P|1" CPU); c2=$(median "$t|$P|2" CPU)
        ROWS+=("$t|$P|$(fmt_int "$r0")|$(fmt_int "$r1")|$(ratio "$r1" "$r0")|$(fmt_int "$r2")|$(ratio "$r2" "$r0")|$(fmt_cpu "$c0")|$(fmt_cpu "$c1")|$(fmt_cpu "$c2")")
    done
done

hdr_line=$(IFS='|'; echo "${HDR[*]}")
{
    echo
    echo "== Throughput (ops/s = redis-benchmark requests/s; ratio = cachet / redis, >1 means cachet is faster)"
    echo "== CPU s/Mop = server CPU seconds (user+sys, all threads) per million requests; lower is better"
    printf '%s\n' "$hdr_line" "${ROWS[@]}" | column -t -s '|'
    echo "rounds: $ROUNDS_DONE of $ROUNDS (median per cell); load average start: $LOAD_START, end: $LOAD_END"
    [ ${#NOTES[@]} -gt 0 ] && printf 'NOTE: %s\n' "${NOTES[@]}"
    echo
    for k in 0 1 2; do
        idle=$(awk -v d="${IDLE_TICKS[$k]}" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')
        echo "${NAMES[$k]}: CPU burnt while other servers were benchmarked: ${idle}s"
    done
} 

MD=$(
    echo "### Throughput (redis-benchmark, -c $CLIENTS -r $KEYSPACE, $(nproc) CPUs, rounds=$ROUNDS_DONE)"
    echo
    echo "Load average (1/5/15 min) at start: $LOAD_START; at end: $LOAD_END ($(nproc) CPUs; near or above that means other work shared the machine)."
    echo
    echo "| ${HDR[0]} | ${HDR[1]} | ${HDR[2]} | ${HDR[3]} | ${HDR[4]} | ${HDR[5]} | ${HDR[6]} | ${HDR[7]} | ${HDR[8]} | ${HDR[9]} |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    for row in "${ROWS[@]}"; do echo "| ${row//|/ | } |"; done
    echo
    echo "Ratios are cachet ops/s divided by redis ops/s (>1 = cachet faster). CPU columns are server"
    echo "CPU seconds (utime+stime from /proc/PID/stat, all threads) per million requests (lower = cheaper)."
    echo "Idle CPU (burnt while another server was under load):"
    for k in 0 1 2; do
        echo "${NAMES[$k]} $(awk -v d="${IDLE_TICKS[$k]}" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}')s;"
    done | paste -sd' ' | sed 's/;$/./'
    if [ ${#NOTES[@]} -gt 0 ]; then
        echo
        printf -- '- **%s**\n' "${NOTES[@]}"
    fi
    echo
    echo "Servers:"
    echo
    echo '```'
    for k in 0 1 2; do echo "${CMDS[$k]:-(not started)}   # ${NAMES[$k]}"; done
    echo '```'
    echo
    echo "redis-benchmark invocations (round 1; each server gets the same commands, ports differ):"
    echo
    echo '```'
    printf '%s\n' "${COMMAND_LOG[@]}"
    echo '```'
)
echo
echo "== Markdown"
echo "$MD"
[ -n "$MD_OUT" ] && printf '%s\n' "$MD" >"$MD_OUT"

exit $FAILED
