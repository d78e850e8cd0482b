#!/usr/bin/env bash
# Run every Cachet benchmark and write benchmarks/results/latest.md
# (raw console output goes to benchmarks/results/latest.log).
#
# All knobs of throughput.sh, memory.py, memcache_throughput.sh,
# memcache_memory.py, collections_throughput.sh, collections_memory.py,
# hitratio.sh, policy_cost.sh and snapshot.py pass through the
# environment (CACHET_BIN, N_P1, N_P16, ROUNDS, MEM_KEYS, MC_ROUNDS,
# MC_MEM_ITEMS, COLL_*, MEM_QUICK, HR_*, PC_*, SNAP_*, QUICK, ...; QUICK=1 makes
# hitratio.sh, policy_cost.sh, collections_memory.py and snapshot.py smoke
# runs). Extra ones here:
#   THROUGHPUT_TIMEOUT  wall-clock bound for throughput.sh (default 600 s)
#   MEMORY_TIMEOUT      wall-clock bound for memory.py     (default 300 s)
#   MC_THROUGHPUT_TIMEOUT  bound for memcache_throughput.sh (default 300 s)
#   MC_MEMORY_TIMEOUT      bound for memcache_memory.py     (default 300 s)
#   COLL_THROUGHPUT_TIMEOUT bound for collections_throughput.sh (default 480 s)
#   COLL_MEMORY_TIMEOUT     bound for collections_memory.py     (default 420 s)
#   HITRATIO_TIMEOUT    wall-clock bound for hitratio.sh    (default 900 s)
#   POLICY_TIMEOUT      wall-clock bound for policy_cost.sh (default 480 s)
#   SNAPSHOT_TIMEOUT    wall-clock bound for snapshot.py    (default 600 s)
#   RESULTS_MD          output file (default benchmarks/results/latest.md)
#
# Exit status: 0 if all nine benchmarks completed, 1 otherwise (the report is
# written either way). No thresholds are applied to any number.

set -u -o pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
export CACHET_BIN=${CACHET_BIN:-$REPO_DIR/cachet-server}
# Inside run_all the throughput sweep is repeated 3 times (median per cell) with
# half the standalone -n, so it costs ~1.5x a single standalone sweep but is far
# less sensitive to a noisy moment on the 2-core machine. Override as usual.
export ROUNDS=${ROUNDS:-3}
export N_P1=${N_P1:-100000}
export N_P16=${N_P16:-500000}
# Stop adding rounds once the next one would likely end past this many seconds
# (keeps run_all around 5 minutes even if cachet is much slower than redis).
export TIME_BUDGET=${TIME_BUDGET:-240}
THROUGHPUT_TIMEOUT=${THROUGHPUT_TIMEOUT:-600}
MEMORY_TIMEOUT=${MEMORY_TIMEOUT:-300}
# memcached-protocol sweep: 3 rounds of half the standalone request counts,
# median per cell (a round takes ~15-25 s here). Unless MC_TIME_BUDGET is set,
# no new round starts past 90 s, nor past ~280 s since run_all started (so a
# slow Redis-side sweep costs memcached rounds, not the 5-minute budget).
export MC_ROUNDS=${MC_ROUNDS:-3}
export MC_N_SINGLE=${MC_N_SINGLE:-100000}
export MC_N_PIPELINED=${MC_N_PIPELINED:-500000}
export MC_N_MULTIGET=${MC_N_MULTIGET:-50000}
MC_BUDGET_SET=${MC_TIME_BUDGET:+1}
MC_THROUGHPUT_TIMEOUT=${MC_THROUGHPUT_TIMEOUT:-300}
MC_MEMORY_TIMEOUT=${MC_MEMORY_TIMEOUT:-300}
# Collections (hash/list/set/zset): the throughput sweep as above, 3 rounds of
# half the standalone -n (~1 min per round on a busy 2-core machine), no new
# round past 240 s; memory: 10 lines x 2 fresh servers, ~1.5-2.5 min.
export COLL_ROUNDS=${COLL_ROUNDS:-3}
export COLL_N_P1=${COLL_N_P1:-50000}
export COLL_N_P16=${COLL_N_P16:-250000}
export COLL_TIME_BUDGET=${COLL_TIME_BUDGET:-240}
COLL_THROUGHPUT_TIMEOUT=${COLL_THROUGHPUT_TIMEOUT:-480}
COLL_MEMORY_TIMEOUT=${COLL_MEMORY_TIMEOUT:-420}
[ -n "${QUICK:-}" ] && [ -z "${MEM_QUICK+x}" ] && export MEM_QUICK=$QUICK
# Eviction: hitratio.sh (~8.5 min with all six cachet policies) and
# policy_cost.sh (~5 min, its own PC_TIME_BUDGET of 330 s). Their knobs are
# HR_- / PC_-prefixed, so the throughput settings above do not reach them.
HITRATIO_TIMEOUT=${HITRATIO_TIMEOUT:-900}
POLICY_TIMEOUT=${POLICY_TIMEOUT:-480}
# Snapshots: BGSAVE of 5 M keys under a write load, Redis then cachet (~2-3 min;
# QUICK=1 makes it a ~20-30 s smoke run unless SNAP_QUICK is set).
SNAPSHOT_TIMEOUT=${SNAPSHOT_TIMEOUT:-600}
[ -n "${QUICK:-}" ] && [ -z "${SNAP_QUICK+x}" ] && export SNAP_QUICK=$QUICK
# Validation mode (CACHET_BIN=redis-server*): the memcached-protocol scripts
# then compare memcached against memcached instead.
MC_CACHET_BIN=$CACHET_BIN
[[ $(basename "$CACHET_BIN") == redis* ]] && MC_CACHET_BIN=${MEMCACHED_BIN:-/usr/bin/memcached}
RESULTS_DIR=$SCRIPT_DIR/results
RESULTS_MD=${RESULTS_MD:-$RESULTS_DIR/latest.md}
RESULTS_LOG=${RESULTS_MD%.md}.log

mkdir -p "$(dirname "$RESULTS_MD")"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cachet-runall.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

: >"$RESULTS_LOG"
log() { echo "$*" | tee -a "$RESULTS_LOG"; }

# Record the knobs that were set, so the "exact commands" below reproduce the run.
env_prefix() {
    local v out=""
    for v in CACHET_BIN CACHET_ARGS REDIS_BIN TESTS PIPELINES N_P1 N_P16 CLIENTS KEYSPACE \
             ROUNDS TIME_BUDGET WARMUP_N BENCH_TIMEOUT MEM_KEYS MEM_BATCH \
             MEMCACHED_BIN MEMCACHED_MEM MC_MODES MC_N_SINGLE MC_N_PIPELINED MC_N_MULTIGET \
             MC_DEPTH MC_MGET MC_CLIENTS MC_KEYSPACE MC_RATIO MC_DRIVER_THREADS MC_ROUNDS \
             MC_TIME_BUDGET MC_MEM_ITEMS MC_MEM_BATCH QUICK CACHET_POLICIES REDIS_POLICIES \
             HR_TRACES HR_KEYS HR_REQUESTS HR_RATE HR_CACHE_PCT HR_WARMUP_PCT HR_CONNS HR_THREADS \
             HR_PIPELINE HR_SEED HR_ARGS SIM_LRU HITRATIO PC_POLICIES PC_REDIS_POLICIES PC_SCENARIOS \
             PC_PIPELINES PC_N_P1 PC_N_P16 PC_CLIENTS PC_KEYSPACE PC_VALUE_SIZE PC_TTL PC_EVICT_PCT \
             PC_BOOK_PCT PC_WARMUP_N PC_ROUNDS PC_TIME_BUDGET \
             COLL_TESTS COLL_PIPELINES COLL_N_P1 COLL_N_P16 COLL_CLIENTS COLL_RANGE COLL_ZADD_RANGE \
             COLL_ZRANGE_SIZE COLL_LIST_PREFILL COLL_ROUNDS COLL_TIME_BUDGET MEM_QUICK \
             COLL_MEM_ELEMS COLL_MEM_SIZES COLL_MEM_TYPES COLL_MEM_ORDER \
             SNAP_QUICK SNAP_KEYS SNAP_RATE SNAP_WORKERS SNAP_CONNS SNAP_HSET_PCT SNAP_COLL_PCT \
             SNAP_SEED SNAP_WARMUP SNAP_BASELINE SNAP_TAIL SNAP_THREADS SNAP_FILL_TIMEOUT \
             SNAP_SAVE_TIMEOUT SNAP_LOAD_TIMEOUT; do
        [ -n "${!v+x}" ] && out+="$v=$(printf '%q' "${!v}") "
    done
    echo "$out"
}

cd "$REPO_DIR" || exit 2
ENVP=$(env_prefix)
THR_CMD="timeout -k 10 $THROUGHPUT_TIMEOUT benchmarks/throughput.sh"
MEM_CMD="timeout -k 10 $MEMORY_TIMEOUT benchmarks/memory.py --markdown <file>"
MC_ENV=""
[ "$MC_CACHET_BIN" != "$CACHET_BIN" ] && MC_ENV="CACHET_BIN=$(printf '%q' "$MC_CACHET_BIN") "
MCT_CMD="${MC_ENV}timeout -k 10 $MC_THROUGHPUT_TIMEOUT benchmarks/memcache_throughput.sh"
MCM_CMD="${MC_ENV}timeout -k 10 $MC_MEMORY_TIMEOUT benchmarks/memcache_memory.py --markdown <file>"
HR_CMD="timeout -k 10 $HITRATIO_TIMEOUT benchmarks/hitratio.sh"
CT_CMD="timeout -k 10 $COLL_THROUGHPUT_TIMEOUT benchmarks/collections_throughput.sh"
CM_CMD="timeout -k 10 $COLL_MEMORY_TIMEOUT benchmarks/collections_memory.py --markdown <file>"
PC_CMD="timeout -k 10 $POLICY_TIMEOUT benchmarks/policy_cost.sh"
SN_CMD="timeout -k 10 $SNAPSHOT_TIMEOUT benchmarks/snapshot.py --markdown <file>"

start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${THR_CMD}"
MD_OUT="$TMP/throughput.md" timeout -k 10 "$THROUGHPUT_TIMEOUT" "$SCRIPT_DIR/throughput.sh" 2>&1 \
    | tee -a "$RESULTS_LOG"
thr_rc=${PIPESTATUS[0]}
thr_s=$((SECONDS - start))

start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${MEM_CMD}"
timeout -k 10 "$MEMORY_TIMEOUT" /usr/bin/python3 "$SCRIPT_DIR/memory.py" --markdown "$TMP/memory.md" 2>&1 \
    | tee -a "$RESULTS_LOG"
mem_rc=${PIPESTATUS[0]}
mem_s=$((SECONDS - start))

if [ -z "$MC_BUDGET_SET" ]; then
    MC_TIME_BUDGET=$((280 - SECONDS))
    [ "$MC_TIME_BUDGET" -gt 90 ] && MC_TIME_BUDGET=90
    [ "$MC_TIME_BUDGET" -lt 25 ] && MC_TIME_BUDGET=25
    export MC_TIME_BUDGET
    MCT_CMD="MC_TIME_BUDGET=$MC_TIME_BUDGET $MCT_CMD"
fi
start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${MCT_CMD}"
CACHET_BIN=$MC_CACHET_BIN MD_OUT="$TMP/mc_throughput.md" timeout -k 10 "$MC_THROUGHPUT_TIMEOUT" \
    "$SCRIPT_DIR/memcache_throughput.sh" 2>&1 | tee -a "$RESULTS_LOG"
mct_rc=${PIPESTATUS[0]}
mct_s=$((SECONDS - start))

start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${MCM_CMD}"
CACHET_BIN=$MC_CACHET_BIN timeout -k 10 "$MC_MEMORY_TIMEOUT" /usr/bin/python3 "$SCRIPT_DIR/memcache_memory.py" \
    --markdown "$TMP/mc_memory.md" 2>&1 | tee -a "$RESULTS_LOG"
mcm_rc=${PIPESTATUS[0]}
mcm_s=$((SECONDS - start))

start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${CT_CMD}"
MD_OUT="$TMP/coll_throughput.md" timeout -k 10 "$COLL_THROUGHPUT_TIMEOUT" "$SCRIPT_DIR/collections_throughput.sh" 2>&1 \
    | tee -a "$RESULTS_LOG"
ct_rc=${PIPESTATUS[0]}
ct_s=$((SECONDS - start))

start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${CM_CMD}"
timeout -k 10 "$COLL_MEMORY_TIMEOUT" /usr/bin/python3 "$SCRIPT_DIR/collections_memory.py" \
    --markdown "$TMP/coll_memory.md" 2>&1 | tee -a "$RESULTS_LOG"
cm_rc=${PIPESTATUS[0]}
cm_s=$((SECONDS - start))

start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${HR_CMD}"
MD_OUT="$TMP/hitratio.md" timeout -k 10 "$HITRATIO_TIMEOUT" "$SCRIPT_DIR/hitratio.sh" 2>&1 \
    | tee -a "$RESULTS_LOG"
hr_rc=${PIPESTATUS[0]}
hr_s=$((SECONDS - start))

start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${PC_CMD}"
MD_OUT="$TMP/policy_cost.md" timeout -k 10 "$POLICY_TIMEOUT" "$SCRIPT_DIR/policy_cost.sh" 2>&1 \
    | tee -a "$RESULTS_LOG"
pc_rc=${PIPESTATUS[0]}
pc_s=$((SECONDS - start))

start=$SECONDS
log "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'): ${ENVP}${SN_CMD}"
timeout -k 10 "$SNAPSHOT_TIMEOUT" /usr/bin/python3 "$SCRIPT_DIR/snapshot.py" \
    --markdown "$TMP/snapshot.md" 2>&1 | tee -a "$RESULTS_LOG"
sn_rc=${PIPESTATUS[0]}
sn_s=$((SECONDS - start))

status_word() {
    case $1 in
        0) echo "ok" ;;
        124|137) echo "TIMED OUT (exit $1)" ;;
        *) echo "FAILED (exit $1; see $(basename "$RESULTS_LOG"))" ;;
    esac
}

cachet_desc=$CACHET_BIN
if [[ $(basename "$CACHET_BIN") == redis* ]]; then
    cachet_desc="$CACHET_BIN (VALIDATION MODE: the 'cachet' columns are Redis too; --threads not passed; in the memcached sections they are $MC_CACHET_BIN)"
fi
git_rev=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO_DIR" diff --quiet HEAD 2>/dev/null || git_rev="$git_rev (+ uncommitted changes)"

{
    echo "# Cachet benchmark results"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Host: \`nproc\` = $(nproc); $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1); $(uname -sr)"
    echo "- Redis: $(/usr/bin/redis-server --version 2>&1 | head -n1)"
    echo "- redis-benchmark: $(/usr/bin/redis-benchmark --version 2>&1 | head -n1)"
    echo "- memcached: $("${MEMCACHED_BIN:-/usr/bin/memcached}" -V 2>&1 | head -n1)"
    echo "- Cachet binary: $cachet_desc"
    echo "- Repository commit: $git_rev"
    echo "- Throughput: $(status_word "$thr_rc"), ${thr_s}s; memory: $(status_word "$mem_rc"), ${mem_s}s"
    echo "- Memcached protocol: throughput $(status_word "$mct_rc"), ${mct_s}s; memory: $(status_word "$mcm_rc"), ${mcm_s}s"
    echo "- Collections: throughput $(status_word "$ct_rc"), ${ct_s}s; memory: $(status_word "$cm_rc"), ${cm_s}s"
    echo "- Eviction: hit ratio $(status_word "$hr_rc"), ${hr_s}s; policy cost: $(status_word "$pc_rc"), ${pc_s}s"
    echo "- Snapshots: $(status_word "$sn_rc"), ${sn_s}s"
    echo
    echo "Commands (from the repository root):"
    echo
    echo '```'
    echo "${ENVP}benchmarks/run_all.sh"
    echo "  # which ran:"
    echo "  ${ENVP}${THR_CMD}"
    echo "  ${ENVP}${MEM_CMD}"
    echo "  ${ENVP}${MCT_CMD}"
    echo "  ${ENVP}${MCM_CMD}"
    echo "  ${ENVP}${CT_CMD}"
    echo "  ${ENVP}${CM_CMD}"
    echo "  ${ENVP}${HR_CMD}"
    echo "  ${ENVP}${PC_CMD}"
    echo "  ${ENVP}${SN_CMD}"
    echo '```'
    echo
    if [ -s "$TMP/throughput.md" ]; then cat "$TMP/throughput.md"
    else echo "### Throughput"; echo; echo "No result: $(status_word "$thr_rc")."; fi
    echo
    if [ -s "$TMP/memory.md" ]; then cat "$TMP/memory.md"
    else echo "### Memory"; echo; echo "No result: $(status_word "$mem_rc")."; fi
    echo
    if [ -s "$TMP/mc_throughput.md" ]; then cat "$TMP/mc_throughput.md"
    else echo "### Memcached protocol throughput"; echo; echo "No result: $(status_word "$mct_rc")."; fi
    echo
    if [ -s "$TMP/mc_memory.md" ]; then cat "$TMP/mc_memory.md"
    else echo "### Memory over the memcached protocol"; echo; echo "No result: $(status_word "$mcm_rc")."; fi
    echo
    if [ -s "$TMP/coll_throughput.md" ]; then cat "$TMP/coll_throughput.md"
    else echo "### Collection throughput"; echo; echo "No result: $(status_word "$ct_rc")."; fi
    echo
    if [ -s "$TMP/coll_memory.md" ]; then cat "$TMP/coll_memory.md"
    else echo "### Memory per collection element"; echo; echo "No result: $(status_word "$cm_rc")."; fi
    echo
    if [ -s "$TMP/hitratio.md" ]; then cat "$TMP/hitratio.md"
    else echo "### Hit ratio"; echo; echo "No result: $(status_word "$hr_rc")."; fi
    echo
    if [ -s "$TMP/policy_cost.md" ]; then cat "$TMP/policy_cost.md"
    else echo "### Eviction policy cost vs noeviction"; echo; echo "No result: $(status_word "$pc_rc")."; fi
    echo
    if [ -s "$TMP/snapshot.md" ]; then cat "$TMP/snapshot.md"
    else echo "### Snapshot (BGSAVE) under load"; echo; echo "No result: $(status_word "$sn_rc")."; fi
} >"$RESULTS_MD"

log ""
log "== wrote $RESULTS_MD (throughput ${thr_s}s, memory ${mem_s}s, memcache throughput ${mct_s}s, memcache memory ${mcm_s}s, collections throughput ${ct_s}s, collections memory ${cm_s}s, hit ratio ${hr_s}s, policy cost ${pc_s}s, snapshots ${sn_s}s)"
[ "$thr_rc" = 0 ] && [ "$mem_rc" = 0 ] && [ "$mct_rc" = 0 ] && [ "$mcm_rc" = 0 ] && [ "$ct_rc" = 0 ] && [ "$cm_rc" = 0 ] && [ "$hr_rc" = 0 ] && [ "$pc_rc" = 0 ] && [ "$sn_rc" = 0 ]
