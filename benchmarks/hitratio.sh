#!/usr/bin/env bash
# Cache hit-ratio comparison: Debian redis-server (allkeys-lru, allkeys-lfu)
# vs cachet-server under each of its maxmemory policies, all sized to hold
# ~10 % of the working set, driven by benchmarks/hitratio.c (cache-aside
# replay: GET, and SET on a miss).
#
# See benchmarks/README.md ("Hit ratio") for the traces, the maxmemory
# calibration and how to read the output.
#
# Environment overrides (all optional):
#   CACHET_BIN       cachet binary               (default: <script dir>/../cachet-server)
#   CACHET_ARGS      extra args for cachet       (default: none)
#   CACHET_POLICIES  cachet policies             (default: "allkeys-lru allkeys-lfu allkeys-random
#                                                 allkeys-fifo allkeys-s3fifo allkeys-sieve")
#   REDIS_BIN        reference server            (default: /usr/bin/redis-server)
#   REDIS_POLICIES   redis policies              (default: "allkeys-lru allkeys-lfu")
#   CLI_BIN          redis-cli                   (default: /usr/bin/redis-cli)
#   HITRATIO         prebuilt driver             (default: compile hitratio.c with $CC -O2)
#   CC               compiler for hitratio.c     (default: cc)
#   QUICK=1          ~1 minute smoke run: HR_KEYS=200000 HR_REQUESTS=600000 HR_RATE=300000
#   HR_TRACES        traces to run               (default: "zipf99 zipf07 scan shift")
#   HR_KEYS          distinct keys of the Zipf traces (default: 1000000)
#   HR_REQUESTS      requests per run            (default: 3000000)
#   HR_RATE          requests/s per run, 0 = as fast as possible (default: 200000)
#   HR_CACHE_PCT     cache size, % of HR_KEYS    (default: 10)
#   HR_WARMUP_PCT    requests not counted        (default: 20)
#   HR_CONNS         connections                 (default: 4)
#   HR_THREADS       driver threads              (default: 2)
#   HR_PIPELINE      GETs per connection batch   (default: 32)
#   HR_SEED          trace seed                  (default: 1)
#   HR_ARGS          extra hitratio args, e.g. "--scan-len 20000" (default: none)
#   SIM_LRU          1 = add an exact-LRU simulation column (default: 1)
#   BENCH_TIMEOUT    timeout(1) seconds per hitratio run (default: 300)
#   START_TIMEOUT    seconds to wait for a server to answer PING (default: 10)
#   MD_OUT           also write the markdown section to this file
#
# Validation mode: CACHET_BIN=/usr/bin/redis-server (any basename starting
# with "redis") starts the "cachet" servers as Redis too (--save "" --appendonly
# no, no --threads / --memcache-port); the policies Redis lacks then show
# "n/a (policy not supported)", and the cachet lru/lfu cells should match the
# redis ones.
#
# Exit status: 0 if every started server survived and every run finished
# with errors=0; 1 otherwise (a policy the server refuses at startup is not
# a failure).  No thresholds on hit ratio or throughput.

set -u -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHET_BIN=${CACHET_BIN:-$SCRIPT_DIR/../cachet-server}
CACHET_ARGS=${CACHET_ARGS:-}
CACHET_POLICIES=${CACHET_POLICIES:-allkeys-lru allkeys-lfu allkeys-random allkeys-fifo allkeys-s3fifo allkeys-sieve}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
REDIS_POLICIES=${REDIS_POLICIES:-allkeys-lru allkeys-lfu}
CLI_BIN=${CLI_BIN:-/usr/bin/redis-cli}
HITRATIO=${HITRATIO:-}
CC=${CC:-cc}
PY=/usr/bin/python3
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    HR_KEYS=${HR_KEYS:-200000}
    HR_REQUESTS=${HR_REQUESTS:-600000}
    HR_RATE=${HR_RATE:-300000}
fi
HR_TRACES=${HR_TRACES:-zipf99 zipf07 scan shift}
HR_KEYS=${HR_KEYS:-1000000}
HR_REQUESTS=${HR_REQUESTS:-3000000}
HR_RATE=${HR_RATE:-200000}
HR_CACHE_PCT=${HR_CACHE_PCT:-10}
HR_WARMUP_PCT=${HR_WARMUP_PCT:-20}
HR_CONNS=${HR_CONNS:-4}
HR_THREADS=${HR_THREADS:-2}
HR_PIPELINE=${HR_PIPELINE:-32}
HR_SEED=${HR_SEED:-1}
HR_ARGS=${HR_ARGS:-}
SIM_LRU=${SIM_LRU:-1}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-300}
START_TIMEOUT=${START_TIMEOUT:-10}
MD_OUT=${MD_OUT:-}
HOST=127.0.0.1
ME=hitratio.sh

# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_executables "$REDIS_BIN" "$CLI_BIN" "$PY"
resolve_cachet_bin
CACHE_KEYS=$(( HR_KEYS * HR_CACHE_PCT / 100 ))
[ "$CACHE_KEYS" -ge 1 ] || die "HR_KEYS * HR_CACHE_PCT / 100 must be >= 1"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cachet-hitratio.XXXXXX")

# ---------------------------------------------------------------- servers
# One server runs at a time: every (trace, server, policy) run gets a fresh,
# empty server, so no run inherits another's cache contents or counters.
# PIDS[0] is its PID (lib.sh's EXIT trap stops it).
PIDS=("")
FAILED=0
NOTES=()
install_cleanup

# Stop the running server: TERM, up to 5 s, then KILL.
stop_server() {
    local pid=${PIDS[0]}
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    PIDS[0]=""
}

is_redis() { [[ $(basename "$1") == redis* ]]; }

# server_argv ROLE PORT [MAXMEMORY POLICY] -> fills global array ARGV.
# ROLE is redis or cachet; without MAXMEMORY the server has no limit.
server_argv() {
    local role=$1 port=$2 bin
    if [ "$role" = redis ]; then bin=$REDIS_BIN; else bin=$CACHET_BIN; fi
    ARGV=("$bin" --port "$port" --bind "$HOST")
    if is_redis "$bin"; then
        # Real Redis (or validation mode): no persistence, no --threads.
        ARGV+=(--save "" --appendonly no --dir "$WORK")
    else
        ARGV+=(--memcache-port 0 --threads 1 --save "")
        add_cachet_args
    fi
    if [ $# -ge 4 ]; then ARGV+=(--maxmemory "$3" --maxmemory-policy "$4"); fi
}

redis_ready() { [ "$(timeout 2 "$CLI_BIN" -h "$HOST" -p "$1" ping 2>/dev/null)" = "PONG" ]; }

# start_server NAME -- start ARGV (log $WORK/NAME.log), wait for PING.
# Returns 0 when ready, 3 when the server exited complaining about
# maxmemory-policy (a policy it does not support), 1 on any other failure.
START_CMD=""
start_server() {
    local name=$1 port=${ARGV[2]} pid log="$WORK/$1.log"
    START_CMD=$(quote_argv "${ARGV[@]}")
    (cd "$WORK" && exec "${ARGV[@]}") >"$log" 2>&1 &
    pid=$!
    PIDS[0]=$pid
    local deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -le $deadline ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            PIDS[0]=""
            if grep -qi 'maxmemory-policy' "$log"; then return 3; fi
            break
        fi
        redis_ready "$port" && return 0
        sleep 0.1
    done
    echo "$ME: $name failed to start: $START_CMD" >&2
    sed 's/^/    | /' "$log" | tail -n 20 >&2
    stop_server
    return 1
}

# info_field PORT SECTION FIELD -- one field of INFO SECTION, or empty.
info_field() {
    timeout 5 "$CLI_BIN" -h "$HOST" -p "$1" info "$2" 2>/dev/null | tr -d '\r' |
        awk -F: -v f="$3" '$1 == f {print $2; exit}'
}

# ---------------------------------------------------------------- driver
if [ -z "$HITRATIO" ]; then
    HITRATIO=$WORK/hitratio
    "$CC" -O2 -Wall -o "$HITRATIO" "$SCRIPT_DIR/hitratio.c" -lm -pthread ||
        die "could not compile $SCRIPT_DIR/hitratio.c with $CC"
fi
[ -x "$HITRATIO" ] || die "missing executable: $HITRATIO"

# Arguments shared by every replay and the simulation (the trace itself).
# shellcheck disable=SC2206
TRACE_ARGS=(--keys "$HR_KEYS" -n "$HR_REQUESTS" --warmup-pct "$HR_WARMUP_PCT" --seed "$HR_SEED" $HR_ARGS)
DRIVE_ARGS=(-c "$HR_CONNS" -T "$HR_THREADS" -P "$HR_PIPELINE")
[ "$HR_RATE" != 0 ] && DRIVE_ARGS+=(--rate "$HR_RATE")

# field NAME LINE -- value of NAME=... in a hitratio output line.
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k {print $2; exit}'; }

# ---------------------------------------------------------------- calibration
# maxmemory for ROLE: start the server without a limit, read used_memory
# (baseline), store CACHE_KEYS keys exactly as the replay does (16-byte keys,
# 100-byte values), read used_memory again; maxmemory = baseline + growth =
# the used_memory of a server holding CACHE_KEYS such keys.
declare -A MAXMEM CAL
calibrate() {
    local role=$1 port before after rc
    port=$(free_ports 1) || die "no free port"
    server_argv "$role" "$port"
    start_server "$role-calibration"; rc=$?
    if [ $rc -ne 0 ]; then
        NOTES+=("$role: calibration server failed to start; its cells are n/a")
        FAILED=1; return 1
    fi
    CAL[$role.cmd]=$START_CMD
    before=$(info_field "$port" memory used_memory)
    if ! out=$(timeout "$BENCH_TIMEOUT" "$HITRATIO" -p "$port" --load "$CACHE_KEYS" -c "$HR_CONNS" -P "$HR_PIPELINE" 2>"$WORK/load.err"); then
        echo "$ME: $role: calibration load failed: $out" >&2; head -c 2000 "$WORK/load.err" >&2
        NOTES+=("$role: calibration load failed; its cells are n/a")
        FAILED=1; stop_server; return 1
    fi
    sleep 0.5
    after=$(info_field "$port" memory used_memory)
    stop_server
    if ! [[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] || [ "$after" -le "$before" ]; then
        NOTES+=("$role: no usable used_memory in INFO memory (before='$before' after='$after'); its cells are n/a")
        FAILED=1; return 1
    fi
    MAXMEM[$role]=$after
    CAL[$role]="baseline $before B, after $CACHE_KEYS keys $after B: growth $((after - before)) B ($(awk -v g=$((after - before)) -v n="$CACHE_KEYS" 'BEGIN{printf "%.1f", g / n}') B/key) -> --maxmemory $after"
    echo "$ME: calibration $role: ${CAL[$role]}" >&2
}

# ---------------------------------------------------------------- runs
# Configurations: "role policy" (the column order of the tables).
CONFIGS=()
for p in $REDIS_POLICIES; do CONFIGS+=("redis $p"); done
for p in $CACHET_POLICIES; do CONFIGS+=("cachet $p"); done
NCONF=${#CONFIGS[@]}
conf_name() { local r=${1% *} p=${1#* }; echo "$r ${p#allkeys-}"; }

declare -A HIT MISS OPS KEYS EVICT ERRS STATUS UNSUPPORTED
COMMAND_LOG=()
CMDS=()          # per configuration: its first server command line
TRACE_LINE=()    # per trace: hitratio's description of it
LOAD_START=$(loadavg)
T0=$SECONDS

for role in redis cachet; do calibrate "$role"; done

read -r -a TRACES <<<"$HR_TRACES"
ntr=${#TRACES[@]}
for ((ti = 0; ti < ntr; ti++)); do
    t=${TRACES[$ti]}
    if [ "$SIM_LRU" = 1 ]; then
        out=$(timeout "$BENCH_TIMEOUT" "$HITRATIO" --simulate-lru "$CACHE_KEYS" --trace "$t" "${TRACE_ARGS[@]}" 2>&1)
        HIT[$t.sim]=$(field hit_ratio "$out"); MISS[$t.sim]=$(field misses "$out")
        echo "[$t] exact LRU of $CACHE_KEYS keys (simulated): hit_ratio=${HIT[$t.sim]}" >&2
        TRACE_LINE[ti]=$(sed 's/ capacity=.*//; s/^mode=simulate-lru //' <<<"$out")
    fi
    # Rotate the order per trace so no server always runs first or last.
    for ((k = 0; k < NCONF; k++)); do
        c=$(( (k + ti) % NCONF ))
        conf=${CONFIGS[$c]}; role=${conf% *}; pol=${conf#* }; key="$t|$c"
        if [ -n "${UNSUPPORTED[$c]:-}" ]; then STATUS[$key]="n/a (policy not supported)"; continue; fi
        if [ -z "${MAXMEM[$role]:-}" ]; then STATUS[$key]="n/a (no calibration)"; continue; fi
        port=$(free_ports 1) || die "no free port"
        server_argv "$role" "$port" "${MAXMEM[$role]}" "$pol"
        start_server "$role-$pol"; rc=$?
        if [ $rc -eq 3 ]; then
            UNSUPPORTED[$c]=1
            STATUS[$key]="n/a (policy not supported)"
            echo "[$t] $(conf_name "$conf"): refused --maxmemory-policy $pol: $(grep -i -m1 'maxmemory-policy\|must be one of\|bad directive' "$WORK/$role-$pol.log" | cut -c1-160)" >&2
            continue
        elif [ $rc -ne 0 ]; then
            STATUS[$key]="n/a (failed to start)"
            NOTES+=("$(conf_name "$conf") failed to start for trace $t")
            FAILED=1; continue
        fi
        [ -z "${CMDS[$c]:-}" ] && CMDS[c]=$START_CMD
        cmd=("$HITRATIO" -p "$port" --trace "$t" "${TRACE_ARGS[@]}" "${DRIVE_ARGS[@]}")
        [ "$c" = 0 ] && COMMAND_LOG+=("timeout $BENCH_TIMEOUT $(quote_argv "${cmd[@]}")")
        out=$(timeout "$BENCH_TIMEOUT" "${cmd[@]}" 2>"$WORK/run.err"); rc=$?
        if ! kill -0 "${PIDS[0]}" 2>/dev/null; then
            echo "$ME: $(conf_name "$conf") DIED during trace $t" >&2
            tail -n 20 "$WORK/$role-$pol.log" | sed 's/^/    | /' >&2
            STATUS[$key]="n/a (server died)"
            NOTES+=("$(conf_name "$conf") died during trace $t")
            FAILED=1; PIDS[0]=""; continue
        fi
        KEYS[$key]=$(timeout 5 "$CLI_BIN" -h "$HOST" -p "$port" dbsize 2>/dev/null | tr -d '\r')
        EVICT[$key]=$(info_field "$port" stats evicted_keys)
        stop_server
        HIT[$key]=$(field hit_ratio "$out"); MISS[$key]=$(field misses "$out")
        OPS[$key]=$(field ops_per_sec "$out"); ERRS[$key]=$(field errors "$out")
        if [ $rc -ne 0 ] || [ -z "${HIT[$key]}" ]; then
            echo "$ME: hitratio rc=$rc against $(conf_name "$conf") ($t): $out" >&2
            head -c 2000 "$WORK/run.err" >&2
            STATUS[$key]="error (rc $rc, errors ${ERRS[$key]:-?})"
            NOTES+=("hitratio exit $rc against $(conf_name "$conf") for trace $t (errors=${ERRS[$key]:-?}; 124 = timeout)")
            FAILED=1; continue
        fi
        STATUS[$key]=ok
        [ -z "${TRACE_LINE[$ti]:-}" ] && TRACE_LINE[ti]=${out#mode=replay }
        printf '[%s] %-16s hit_ratio=%s misses=%s ops/s=%s keys=%s evicted=%s retried_gets=%s\n' "$t" \
            "$(conf_name "$conf")" "${HIT[$key]}" "${MISS[$key]}" "${OPS[$key]}" "${KEYS[$key]}" \
            "${EVICT[$key]}" "$(field retried_gets "$out")" >&2
    done
done
LOAD_END=$(loadavg)
ELAPSED=$((SECONDS - T0))

# ---------------------------------------------------------------- report
cell() {   # cell KEY -- hit ratio or the status text
    if [ "${STATUS[$1]:-}" = ok ]; then echo "${HIT[$1]}"; else echo "${STATUS[$1]:-n/a}"; fi
}
# The redis allkeys-lru configuration (the baseline), if it is in the list.
BASE=""
for ((c = 0; c < NCONF; c++)); do [ "${CONFIGS[$c]}" = "redis allkeys-lru" ] && BASE=$c; done

# Matrix: trace x server/policy -> hit ratio.
MHDR=(trace)
[ "$SIM_LRU" = 1 ] && MHDR+=("exact LRU (sim)")
for ((c = 0; c < NCONF; c++)); do MHDR+=("$(conf_name "${CONFIGS[$c]}")"); done
MROWS=()
for t in "${TRACES[@]}"; do
    row=$t
    [ "$SIM_LRU" = 1 ] && row+="|${HIT[$t.sim]:-n/a}"
    for ((c = 0; c < NCONF; c++)); do row+="|$(cell "$t|$c")"; done
    MROWS+=("$row")
done

# Detail: one row per (trace, server/policy).
DHDR=(trace server policy "hit ratio" misses "misses vs redis-lru" "ops/s" "keys held" evicted)
DROWS=()
for t in "${TRACES[@]}"; do
    base_miss=""
    [ -n "$BASE" ] && [ "${STATUS[$t|$BASE]:-}" = ok ] && base_miss=${MISS[$t|$BASE]}
    if [ "$SIM_LRU" = 1 ]; then
        r=n/a; [ -n "$base_miss" ] && r=$(ratio "${MISS[$t.sim]:-0}" "$base_miss")
        DROWS+=("$t|exact LRU (sim)|lru, $CACHE_KEYS keys|${HIT[$t.sim]:-n/a}|${MISS[$t.sim]:-n/a}|$r|-|$CACHE_KEYS|-")
    fi
    for ((c = 0; c < NCONF; c++)); do
        conf=${CONFIGS[$c]}; key="$t|$c"
        if [ "${STATUS[$key]:-}" = ok ]; then
            r=n/a; [ -n "$base_miss" ] && r=$(ratio "${MISS[$key]}" "$base_miss")
            DROWS+=("$t|${conf% *}|${conf#* }|${HIT[$key]}|${MISS[$key]}|$r|${OPS[$key]}|${KEYS[$key]:-n/a}|${EVICT[$key]:-n/a}")
        else
            DROWS+=("$t|${conf% *}|${conf#* }|$(cell "$key")|-|-|-|-|-")
        fi
    done
done

# lib.sh's text_table / md_table print HDR and ROWS.
matrix() { HDR=("${MHDR[@]}"); ROWS=("${MROWS[@]}"); }
detail() { HDR=("${DHDR[@]}"); ROWS=("${DROWS[@]}"); }

validation=""
is_redis "$CACHET_BIN" && validation=" -- VALIDATION MODE: the cachet columns are $CACHET_BIN"
rate_desc="as fast as possible"; [ "$HR_RATE" != 0 ] && rate_desc="paced at $HR_RATE requests/s"
SETUP="$HR_KEYS keys, $HR_REQUESTS requests per run ($HR_WARMUP_PCT % warm-up not counted), cache = $HR_CACHE_PCT % = $CACHE_KEYS keys, $HR_CONNS connections, $HR_THREADS driver threads, pipeline $HR_PIPELINE, $rate_desc, seed $HR_SEED"

{
    echo
    echo "== Hit ratio (hits / GETs after warm-up; higher is better)$validation"
    echo "== $SETUP"
    matrix; text_table
    echo
    echo "== Detail (misses vs redis-lru = misses / redis allkeys-lru misses on the same trace; < 1 = fewer misses)"
    detail; text_table
    echo
    echo "calibration: redis: ${CAL[redis]:-n/a}"
    echo "calibration: cachet: ${CAL[cachet]:-n/a}"
    echo "elapsed ${ELAPSED}s; load average start: $LOAD_START, end: $LOAD_END ($(nproc) CPUs)"
    text_notes
}

MD=$(
    echo "### Hit ratio (cache-aside replay, cache = $HR_CACHE_PCT % of the keys)$validation"
    echo
    echo "$SETUP. Load average (1/5/15 min) at start: $LOAD_START; at end: $LOAD_END ($(nproc) CPUs); ${ELAPSED} s."
    echo
    echo "Hit ratio (hits / GETs after the warm-up; higher is better):"
    echo
    matrix; md_table
    echo
    echo "Detail (misses vs redis-lru: misses / redis allkeys-lru misses on the same trace, < 1 = fewer misses;"
    echo "ops/s = GETs + SETs per second; keys held / evicted: DBSIZE and evicted_keys at the end of the run):"
    echo
    detail; md_table
    md_notes
    echo
    echo "maxmemory calibration (used_memory of an unlimited server before / after storing $CACHE_KEYS keys):"
    echo
    echo "- redis: ${CAL[redis]:-n/a}"
    echo "- cachet: ${CAL[cachet]:-n/a}"
    echo
    echo "Traces (hitratio's own description of each):"
    echo
    echo '```'
    for ((ti = 0; ti < ntr; ti++)); do echo "${TRACE_LINE[$ti]:-${TRACES[$ti]}}"; done | sed 's/ gets=.*//'
    echo '```'
    echo
    echo "Servers (first trace; port and policy vary per run):"
    echo
    echo '```'
    for ((c = 0; c < NCONF; c++)); do echo "${CMDS[$c]:-(not started)}   # $(conf_name "${CONFIGS[$c]}")"; done
    echo '```'
    echo
    echo "hitratio invocations (against $(conf_name "${CONFIGS[0]}"); every server gets the same ones):"
    echo
    echo '```'
    printf '%s\n' "${COMMAND_LOG[@]}"
    echo '```'
)
emit_markdown "$MD"

exit $FAILED
