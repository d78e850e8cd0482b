#!/usr/bin/env bash
# Memcached-protocol throughput + CPU-efficiency comparison: Debian memcached
# (-t 1 and -t 2) vs cachet-server (--threads 1 and --threads 2) on its
# --memcache-port, driven by benchmarks/mcload.c (text protocol, 1:10 set:get).
#
# See benchmarks/README.md ("Memcached protocol") for what is measured and how
# to read the output.
#
# Environment overrides (all optional):
#   CACHET_BIN        cachet binary              (default: <script dir>/../cachet-server)
#   CACHET_ARGS       extra args for cachet      (default: none)
#   MEMCACHED_BIN     reference server           (default: /usr/bin/memcached)
#   MEMCACHED_MEM     memcached -m, megabytes    (default: 1024)
#   MCLOAD            prebuilt mcload binary     (default: compile mcload.c with $CC -O2)
#   CC                compiler for mcload.c      (default: cc)
#   MC_MODES          modes to run               (default: "single pipelined multiget")
#   MC_N_SINGLE       requests, mode single      (default: 200000)
#   MC_N_PIPELINED    requests, mode pipelined   (default: 1000000)
#   MC_N_MULTIGET     requests, mode multiget    (default: 100000)
#   MC_DEPTH          pipeline depth (pipelined) (default: 16)
#   MC_MGET           keys per get (multiget)    (default: 16)
#   MC_CLIENTS        connections                (default: 50)
#   MC_KEYSPACE       keys (all preloaded)       (default: 100000)
#   MC_RATIO          gets per set               (default: 10)
#   MC_DRIVER_THREADS mcload -T                  (default: 1)
#   MC_ROUNDS         repeat every cell, report the median (default: 1)
#   MC_TIME_BUDGET    seconds; no new round if it would likely end past this (default: none)
#   BENCH_TIMEOUT     timeout(1) seconds per mcload run (default: 120)
#   START_TIMEOUT     seconds to wait for a server to answer "version" (default: 10)
#   MD_OUT            also write the markdown section to this file
#
# Validation mode: CACHET_BIN=/usr/bin/memcached (any basename starting with
# "memcached") starts the "cachet" servers as memcached too; all ratios should
# then be ~1.00 and their spread is the noise floor.
#
# Exit status: 0 if every server started and survived and every reply was as
# expected (errors = 0); 1 otherwise. No thresholds on throughput or CPU.

set -u -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHET_BIN=${CACHET_BIN:-$SCRIPT_DIR/../cachet-server}
CACHET_ARGS=${CACHET_ARGS:-}
MEMCACHED_BIN=${MEMCACHED_BIN:-/usr/bin/memcached}
MEMCACHED_MEM=${MEMCACHED_MEM:-1024}
MCLOAD=${MCLOAD:-}
CC=${CC:-cc}
PY=/usr/bin/python3
MC_MODES=${MC_MODES:-single pipelined multiget}
MC_N_SINGLE=${MC_N_SINGLE:-200000}
MC_N_PIPELINED=${MC_N_PIPELINED:-1000000}
MC_N_MULTIGET=${MC_N_MULTIGET:-100000}
MC_DEPTH=${MC_DEPTH:-16}
MC_MGET=${MC_MGET:-16}
MC_CLIENTS=${MC_CLIENTS:-50}
MC_KEYSPACE=${MC_KEYSPACE:-100000}
MC_RATIO=${MC_RATIO:-10}
MC_DRIVER_THREADS=${MC_DRIVER_THREADS:-1}
MC_ROUNDS=${MC_ROUNDS:-1}
MC_TIME_BUDGET=${MC_TIME_BUDGET:-0}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-120}
START_TIMEOUT=${START_TIMEOUT:-10}
MD_OUT=${MD_OUT:-}
HOST=127.0.0.1
ME=memcache_throughput.sh

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_executables "$MEMCACHED_BIN" "$PY"
resolve_cachet_bin
CLK_TCK=$(getconf CLK_TCK)
for m in $MC_MODES; do
    case $m in single|pipelined|multiget) ;; *) die "unknown mode '$m' in MC_MODES" ;; esac
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cachet-mcbench.XXXXXX")

if [ -z "$MCLOAD" ]; then
    MCLOAD=$WORK/mcload
    "$CC" -O2 -Wall -o "$MCLOAD" "$SCRIPT_DIR/mcload.c" -pthread ||
        { rm -rf "$WORK"; die "could not build $SCRIPT_DIR/mcload.c with $CC"; }
fi
[ -x "$MCLOAD" ] || { rm -rf "$WORK"; die "mcload not executable: $MCLOAD"; }

# ---------------------------------------------------------------- servers
NAMES=(memcached-t1 memcached-t2 cachet-t1 cachet-t2)
THREADS=(1 2 1 2)
PIDS=("" "" "" "")
PORTS=("" "" "" "")      # memcache-protocol port of each server
ALIVE=(0 0 0 0)
CMDS=("" "" "" "")
FAILED=0
NOTES=()
install_cleanup

is_memcached() { [[ $(basename "$1") == memcached* ]]; }

memcached_user=()
[ "$(id -u)" = 0 ] && memcached_user=(-u nobody)

# server_argv IDX MCPORT REDISPORT -> fills global array ARGV
server_argv() {
    local idx=$1 mcport=$2 rport=$3 bin threads=${THREADS[$1]}
    if [ "$idx" -lt 2 ]; then bin=$MEMCACHED_BIN; else bin=$CACHET_BIN; fi
    if is_memcached "$bin"; then
        ARGV=("$bin" "${memcached_user[@]}" -U 0 -l "$HOST" -p "$mcport" -t "$threads" -m "$MEMCACHED_MEM")
    else
        ARGV=("$bin" --port "$rport" --bind "$HOST" --threads "$threads" --memcache-port "$mcport" --save "")
        add_cachet_args
    fi
}

# "version" over the memcached text protocol; prints the reply line.
# shellcheck disable=SC2317  # called via mc_ready, by launch_server
mc_version() {
    # shellcheck disable=SC2016  # expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "version\r\n" >&3; IFS= read -r line <&3 && printf "%s\n" "${line%$'\''\r'\''}"' \
        "$HOST" "$1" 2>/dev/null
}

# shellcheck disable=SC2317  # called by launch_server
mc_ready() { [[ $(mc_version "$1") == VERSION* ]]; }

start_server() {
    local idx=$1 mcport=$2 rport=$3
    server_argv "$idx" "$mcport" "$rport"
    launch_server "$idx" "$mcport" mc_ready "VERSION reply"
}

field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2" | head -n1; }

mode_args() {   # mode -> mcload arguments (without -p/-n)
    case $1 in
        single)    echo "-P 1 -g 1" ;;
        pipelined) echo "-P $MC_DEPTH -g 1" ;;
        multiget)  echo "-P 1 -g $MC_MGET" ;;
    esac
}
mode_n() {
    case $1 in
        single) echo "$MC_N_SINGLE" ;; pipelined) echo "$MC_N_PIPELINED" ;; multiget) echo "$MC_N_MULTIGET" ;;
    esac
}
mode_label() {
    case $1 in
        single) echo "(a) no pipelining" ;; pipelined) echo "(b) pipelined P=$MC_DEPTH" ;;
        multiget) echo "(c) multi-get $MC_MGET keys" ;;
    esac
}

# ---------------------------------------------------------------- start + preload
read -r -a P <<<"$(free_ports 6)" || die "could not pick free ports"
start_server 0 "${P[0]}" ""
start_server 1 "${P[1]}" ""
start_server 2 "${P[2]}" "${P[3]}"
start_server 3 "${P[4]}" "${P[5]}"

# Every key of the keyspace is stored once before measuring, so gets hit;
# this also warms up each server (not measured).
PRELOAD_CMD="$MCLOAD -p PORT -L -k $MC_KEYSPACE -P 64 -c 4"
for i in 0 1 2 3; do
    [ "${ALIVE[$i]}" = 1 ] || continue
    out=$(timeout "$BENCH_TIMEOUT" "$MCLOAD" -p "${PORTS[$i]}" -L -k "$MC_KEYSPACE" -P 64 -c 4 2>"$WORK/load.err")
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "$ME: preload of ${NAMES[$i]} failed (rc=$rc): $out" >&2
        head -c 2000 "$WORK/load.err" >&2
        NOTES+=("preload of ${NAMES[$i]} failed (mcload exit $rc); its cells are n/a")
        ALIVE[i]=0; FAILED=1
    fi
done

# ---------------------------------------------------------------- run
# shellcheck disable=SC2034  # OPS/CPU are read via a nameref in median()
declare -A OPS CPU ERRS   # OPS/CPU key: "mode|server|round"; ERRS key: "mode|server"
COMMAND_LOG=()
IDLE_TICKS=(0 0 0 0)
SERVER_ERRS=(0 0 0 0)
cell=0
total_cells=$(( $(wc -w <<<"$MC_MODES") * MC_ROUNDS ))
LOAD_START=$(loadavg)
SWEEP_START=$SECONDS
ROUNDS_DONE=0
for round in $(seq 1 "$MC_ROUNDS"); do
over_budget "$MC_TIME_BUDGET" "$round" "$MC_ROUNDS" MC_TIME_BUDGET && break
for mode in $MC_MODES; do
    cell=$((cell + 1))
    N=$(mode_n "$mode")
    # shellcheck disable=SC2207
    margs=($(mode_args "$mode"))
    rotate_order "$cell"
    printf '[%d/%d] round %d: %-9s n=%-8s order: %s\n' "$cell" "$total_cells" "$round" "$mode" "$N" \
        "$(order_names)" >&2
    for s in "${ORDER[@]}"; do
        [ "${ALIVE[$s]}" = 1 ] || continue
        cmd=("$MCLOAD" -p "${PORTS[$s]}" -c "$MC_CLIENTS" -n "$N" -k "$MC_KEYSPACE" -r "$MC_RATIO"
             -T "$MC_DRIVER_THREADS" -s "$round" "${margs[@]}")
        [ "$round" = 1 ] && COMMAND_LOG+=("timeout $BENCH_TIMEOUT $(quote_argv "${cmd[@]}")   # ${NAMES[$s]}")
        run_measured "$s" "${cmd[@]}"
        died "$s" "$mode" "$mode (round $round)" && continue
        errs=$(field errors "$OUT"); lost=$(field unanswered "$OUT"); ops=$(field ops_per_sec "$OUT")
        # errors = unexpected replies / dropped connections counted by mcload;
        # a failed run without any (timeout, crash, no summary) counts as one.
        nerr=${errs:-0}
        [ "$nerr" = 0 ] && { [ "$RC" -ne 0 ] || [ "${lost:-0}" != 0 ] || [ -z "$errs" ]; } && nerr=1
        ERRS["$mode|$s"]=$(( ${ERRS["$mode|$s"]:-0} + nerr ))
        SERVER_ERRS[s]=$(( SERVER_ERRS[s] + nerr ))
        if [ "$RC" -ne 0 ] || [ -z "$ops" ]; then
            echo "$ME: mcload rc=$RC against ${NAMES[$s]} ($mode): $OUT" >&2
            head -c 2000 "$WORK/bench.err" >&2
            NOTES+=("mcload exit $RC against ${NAMES[$s]} for $mode (round $round; 124 = timeout, 1 = unexpected replies): errors=${errs:-?} unanswered=${lost:-?}")
            FAILED=1; continue
        fi
        completed=$(field completed "$OUT")
        # shellcheck disable=SC2034  # read via nameref in median()
        OPS["$mode|$s|$round"]=$ops
        CPU["$mode|$s|$round"]=$(cpu_per_mop "$DTICKS" "$completed")
        printf '      %-13s %10.0f ops/s  %6.2f CPU s/Mop  hits=%s misses=%s errors=%s\n' "${NAMES[$s]}" "$ops" \
            "${CPU["$mode|$s|$round"]}" "$(field hits "$OUT")" "$(field misses "$OUT")" "$errs" >&2
    done
done
ROUNDS_DONE=$round
done
LOAD_END=$(loadavg)

# ---------------------------------------------------------------- report

HDR=(mode "mc-t1 ops/s" "mc-t2 ops/s" "cachet-t1 ops/s" "cachet-t2 ops/s" "t1/mc-t1" "t2/mc-t2"
     "mc-t1 CPU s/Mop" "mc-t2 CPU s/Mop" "cachet-t1 CPU s/Mop" "cachet-t2 CPU s/Mop"
     "t1 CPU/op vs mc" "t2 CPU/op vs mc" errors)
ROWS=()
for mode in $MC_MODES; do
    r=(); c=()
    for k in 0 1 2 3; do r[k]=$(median "$mode|$k" OPS "$MC_ROUNDS"); c[k]=$(median "$mode|$k" CPU "$MC_ROUNDS"); done
    e=0; for k in 0 1 2 3; do e=$(( e + ${ERRS["$mode|$k"]:-0} )); done
    ROWS+=("$(mode_label "$mode")|$(fmt_int "${r[0]}")|$(fmt_int "${r[1]}")|$(fmt_int "${r[2]}")|$(fmt_int "${r[3]}")|$(ratio "${r[2]}" "${r[0]}")|$(ratio "${r[3]}" "${r[1]}")|$(fmt_cpu "${c[0]}")|$(fmt_cpu "${c[1]}")|$(fmt_cpu "${c[2]}")|$(fmt_cpu "${c[3]}")|$(ratio "${c[2]}" "${c[0]}")|$(ratio "${c[3]}" "${c[1]}")|$e")
done

{
    echo
    echo "== Memcached protocol throughput (ops/s = requests/s, a multi-get is one request; t1/mc-t1 = cachet-t1 / memcached-t1, >1 means cachet is faster)"
    echo "== CPU s/Mop = server CPU seconds (user+sys, all threads) per million requests; 'CPU/op vs mc' = cachet / memcached CPU s/Mop (target, not enforced: <= 1.00)"
    text_table
    echo "rounds: $ROUNDS_DONE of $MC_ROUNDS (median per cell); load average start: $LOAD_START, end: $LOAD_END"
    echo "errors (unexpected/missing replies, all rounds): $(for k in 0 1 2 3; do printf '%s %s; ' "${NAMES[$k]}" "${SERVER_ERRS[$k]}"; done)"
    text_notes
    echo
    text_idle
}

validation=""
is_memcached "$CACHET_BIN" && validation=" -- VALIDATION MODE: the cachet columns are memcached too"
MD=$(
    echo "### Memcached protocol throughput (mcload, -c $MC_CLIENTS, 1:$MC_RATIO set:get, $MC_KEYSPACE keys, $(nproc) CPUs, rounds=$ROUNDS_DONE)$validation"
    echo
    echo "Load average (1/5/15 min) at start: $LOAD_START; at end: $LOAD_END ($(nproc) CPUs)."
    echo
    md_table
    echo
    echo "ops/s are requests/s (a ${MC_MGET}-key multi-get is one request). \`t1/mc-t1\`, \`t2/mc-t2\`: cachet ops/s"
    echo "divided by memcached ops/s at the same thread count (>1 = cachet faster). CPU columns are server CPU"
    echo "seconds (utime+stime from /proc/PID/stat, all threads) per million requests; \`CPU/op vs mc\` is"
    echo "cachet's divided by memcached's (target, not enforced: <= 1.00, i.e. cachet serves at least as"
    echo "many requests per CPU-second). \`errors\`: unexpected or missing replies, all four servers (must be 0)."
    md_idle
    md_notes
    md_servers
    echo
    echo "mcload invocations (round 1; each server gets the same requests, ports differ; \`-s\` is the round):"
    echo
    echo '```'
    echo "cc -O2 -o mcload benchmarks/mcload.c -pthread"
    echo "${PRELOAD_CMD/$MCLOAD/mcload}   # preload, every server"
    printf '%s\n' "${COMMAND_LOG[@]//$MCLOAD/mcload}"
    echo '```'
)
emit_markdown "$MD"

for k in 0 1 2 3; do [ "${SERVER_ERRS[$k]}" -gt 0 ] && FAILED=1; done
exit $FAILED
