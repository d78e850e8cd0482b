#!/usr/bin/env bash
# Run every Cachet benchmark and write benchmarks/results/latest.md
# (raw console output goes to benchmarks/results/latest.log).
#
# All knobs of throughput.sh and memory.py pass through the environment
# (CACHET_BIN, N_P1, N_P16, ROUNDS, MEM_KEYS, ...). Extra ones here:
#   THROUGHPUT_TIMEOUT  wall-clock bound for throughput.sh (default 600 s)
#   MEMORY_TIMEOUT      wall-clock bound for memory.py     (default 300 s)
#   RESULTS_MD          output file (default benchmarks/results/latest.md)
#
# Exit status: 0 if both benchmarks completed, 1 otherwise (the report is
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
             ROUNDS TIME_BUDGET WARMUP_N BENCH_TIMEOUT MEM_KEYS MEM_BATCH; do
        [ -n "${!v+x}" ] && out+="$v=$(printf '%q' "${!v}") "
    done
    echo "$out"
}

cd "$REPO_DIR" || exit 2
ENVP=$(env_prefix)
THR_CMD="timeout -k 10 $THROUGHPUT_TIMEOUT benchmarks/throughput.sh"
MEM_CMD="timeout -k 10 $MEMORY_TIMEOUT benchmarks/memory.py --markdown <file>"

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

status_word() {
    case $1 in
        0) echo "ok" ;;
        124|137) echo "TIMED OUT (exit $1)" ;;
        *) echo "FAILED (exit $1; see $(basename "$RESULTS_LOG"))" ;;
    esac
}

cachet_desc=$CACHET_BIN
if [[ $(basename "$CACHET_BIN") == redis* ]]; then
    cachet_desc="$CACHET_BIN (VALIDATION MODE: the 'cachet' columns are Redis too; --threads not passed)"
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
    echo "- Cachet binary: $cachet_desc"
    echo "- Repository commit: $git_rev"
    echo "- Throughput: $(status_word "$thr_rc"), ${thr_s}s; memory: $(status_word "$mem_rc"), ${mem_s}s"
    echo
    echo "Commands (from the repository root):"
    echo
    echo '```'
    echo "${ENVP}benchmarks/run_all.sh"
    echo "  # which ran:"
    echo "  ${ENVP}${THR_CMD}"
    echo "  ${ENVP}${MEM_CMD}"
    echo '```'
    echo
    if [ -s "$TMP/throughput.md" ]; then cat "$TMP/throughput.md"
    else echo "### Throughput"; echo; echo "No result: $(status_word "$thr_rc")."; fi
    echo
    if [ -s "$TMP/memory.md" ]; then cat "$TMP/memory.md"
    else echo "### Memory"; echo; echo "No result: $(status_word "$mem_rc")."; fi
} >"$RESULTS_MD"

log ""
log "== wrote $RESULTS_MD (throughput ${thr_s}s, memory ${mem_s}s)"
[ "$thr_rc" = 0 ] && [ "$mem_rc" = 0 ]
