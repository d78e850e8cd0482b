# shellcheck shell=bash
# The globals below are assigned here and read by the sourcing scripts:
# shellcheck disable=SC2034
#
# Helpers shared by throughput.sh and memcache_throughput.sh; sourced, not run.
#
# The sourcing script defines, before it calls them:
#   ME              its own name, the prefix of every message
#   HOST            address the servers listen on (127.0.0.1)
#   CACHET_BIN, CACHET_ARGS, START_TIMEOUT, BENCH_TIMEOUT, MD_OUT, PY
#   WORK            temp dir: server cwd, logs, scratch files (removed on exit)
#   CLK_TCK         clock ticks per second (getconf CLK_TCK)
#   NAMES PIDS PORTS ALIVE CMDS IDLE_TICKS
#                   parallel arrays indexed by server number, one entry each
#   FAILED NOTES    exit status so far, failure notes (repeated in the markdown)
#   SWEEP_START     $SECONDS when the measured sweep began
#   HDR ROWS        table header and rows ('|'-separated cells), for the report

die() { echo "$ME: $*" >&2; exit 2; }

# require_executables BIN... -- die unless every BIN is executable.
require_executables() {
    local b
    for b in "$@"; do
        [ -x "$b" ] || die "missing executable: $b"
    done
}

# Die unless CACHET_BIN is executable, then make it an absolute path.
resolve_cachet_bin() {
    if [ ! -x "$CACHET_BIN" ]; then
        die "cachet binary not found or not executable: $CACHET_BIN (build it with 'make', or set CACHET_BIN)"
    fi
    CACHET_BIN=$(cd "$(dirname "$CACHET_BIN")" && pwd)/$(basename "$CACHET_BIN")
}

# ---------------------------------------------------------------- servers
# Stop every started server (TERM, up to 5 s, then KILL) and remove $WORK.
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
        PIDS[i]=""
    done
    rm -rf "$WORK"
}

install_cleanup() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# free_ports N -- N distinct free 127.0.0.1 ports on one line (all sockets
# held open until all are chosen).
free_ports() {
    "$PY" -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss: s.close()' "$1"
}

# Append the words of CACHET_ARGS to the global array ARGV.
add_cachet_args() {
    # shellcheck disable=SC2206
    [ -n "$CACHET_ARGS" ] && ARGV+=($CACHET_ARGS)
}

quote_argv() {
    local out="" a
    for a in "$@"; do
        if [ -z "$a" ]; then out+=' ""'; else out+=" $(printf '%q' "$a")"; fi
    done
    echo "${out# }"
}

# launch_server IDX PORT READY WHAT -- start ARGV as server IDX (cwd $WORK,
# output in $WORK/<name>.log) and wait up to START_TIMEOUT seconds until the
# command `READY PORT` succeeds. WHAT names the awaited reply in the failure
# note. Returns 1 (server stopped, FAILED=1) if it never did.
launch_server() {
    local idx=$1 port=$2 ready=$3 what=$4 pid
    CMDS[idx]=$(quote_argv "${ARGV[@]}")
    (cd "$WORK" && exec "${ARGV[@]}") >"$WORK/${NAMES[$idx]}.log" 2>&1 &
    pid=$!
    PIDS[idx]=$pid
    PORTS[idx]=$port
    local deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -le $deadline ]; do
        kill -0 "$pid" 2>/dev/null || break
        if "$ready" "$port"; then
            ALIVE[idx]=1
            return 0
        fi
        sleep 0.1
    done
    echo "$ME: ${NAMES[$idx]} failed to start: ${CMDS[$idx]}" >&2
    NOTES+=("${NAMES[$idx]} failed to start (no $what within ${START_TIMEOUT}s)")
    sed 's/^/    | /' "$WORK/${NAMES[$idx]}.log" | tail -n 20 >&2
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    PIDS[idx]=""
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
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# over_budget BUDGET ROUND ROUNDS VARNAME -- true (after saying so and adding a
# note) when BUDGET > 0 and the rounds so far suggest that round ROUND would
# end more than BUDGET seconds after SWEEP_START. VARNAME names the knob.
over_budget() {
    local budget=$1 round=$2 rounds=$3 var=$4 elapsed per_round
    { [ "$budget" -gt 0 ] && [ "$round" -gt 1 ]; } || return 1
    elapsed=$((SECONDS - SWEEP_START))
    per_round=$((elapsed / (round - 1)))
    [ $((elapsed + per_round)) -gt "$budget" ] || return 1
    echo "$ME: $var=${budget}s: stopping after $((round - 1)) of $rounds rounds (${elapsed}s so far)" >&2
    NOTES+=("time budget ${budget}s reached: medians over $((round - 1)) of $rounds rounds")
    return 0
}

# rotate_order CELL -- ORDER = all server numbers, rotated by one per cell so
# no server always runs first (right after a quiet period) or last (after the
# most heat/drift).
rotate_order() {
    local k n=${#NAMES[@]}
    ORDER=()
    for ((k = 0; k < n; k++)); do ORDER+=( $(( (k + $1 - 1) % n )) ); done
}

# The names of the servers in ORDER, each followed by a space.
order_names() {
    local s
    for s in "${ORDER[@]}"; do printf '%s ' "${NAMES[$s]}"; done
}

# run_measured S CMD... -- run `timeout BENCH_TIMEOUT CMD...` against server S:
# OUT = its stdout, RC = its exit status, stderr in $WORK/bench.err, DTICKS =
# CPU ticks server S used meanwhile. What every other server burnt meanwhile
# is added to its IDLE_TICKS.
run_measured() {
    local s=$1 k
    shift
    local -a before=() after=()
    for k in "${!PIDS[@]}"; do before[k]=$(cpu_ticks "${PIDS[$k]:-0}"); done
    OUT=$(timeout "$BENCH_TIMEOUT" "$@" 2>"$WORK/bench.err")
    RC=$?
    for k in "${!PIDS[@]}"; do after[k]=$(cpu_ticks "${PIDS[$k]:-0}"); done
    for k in "${!PIDS[@]}"; do
        [ "$k" = "$s" ] && continue
        [ -n "${before[$k]}" ] && [ -n "${after[$k]}" ] &&
            IDLE_TICKS[k]=$(( IDLE_TICKS[k] + after[k] - before[k] ))
    done
    DTICKS=$(( ${after[s]:-0} - ${before[s]:-0} ))
}

# died S WHAT NOTE -- true (after showing its log tail and adding the note
# "<name> died during NOTE; later cells are n/a") if server S is gone.
died() {
    local s=$1
    kill -0 "${PIDS[$s]}" 2>/dev/null && return 1
    echo "$ME: ${NAMES[$s]} DIED during $2 (see log below)" >&2
    tail -n 20 "$WORK/${NAMES[$s]}.log" | sed 's/^/    | /' >&2
    NOTES+=("${NAMES[$s]} died during $3; later cells are n/a")
    ALIVE[s]=0; FAILED=1
    return 0
}

# cpu_per_mop TICKS N -- server CPU seconds per million requests, "%.3f".
cpu_per_mop() {
    awk -v d="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN{printf "%.3f", d / hz / n * 1e6}'
}

# ---------------------------------------------------------------- report
# median KEY ARRAY ROUNDS -- median of ARRAY[KEY|1] .. ARRAY[KEY|ROUNDS]
# (the rounds that have a value); "n/a" if none.
median() {
    local key=$1 arr=$2 rounds=$3 r vals=()
    local -n ref=$arr
    for r in $(seq 1 "$rounds"); do
        [ -n "${ref[$key|$r]:-}" ] && vals+=("${ref[$key|$r]}")
    done
    [ ${#vals[@]} -eq 0 ] && { echo "n/a"; return; }
    printf '%s\n' "${vals[@]}" | sort -g | awk '{a[NR]=$1} END{
        if (NR % 2) m = a[(NR+1)/2]; else m = (a[NR/2] + a[NR/2+1]) / 2; print m}'
}
ratio() { if [ "$1" = n/a ] || [ "$2" = n/a ]; then echo n/a; else awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a"}'; fi; }
fmt_int() { if [ "$1" = n/a ]; then echo n/a; else awk -v x="$1" 'BEGIN{printf "%.0f", x}'; fi; }
fmt_cpu() { if [ "$1" = n/a ]; then echo n/a; else awk -v x="$1" 'BEGIN{printf "%.2f", x}'; fi; }

# idle_s K -- seconds of CPU server K burnt while another one was benchmarked.
idle_s() { awk -v d="${IDLE_TICKS[$1]}" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d / hz}'; }

# HDR and ROWS as an aligned plain-text table.
text_table() {
    printf '%s\n' "$(IFS='|'; echo "${HDR[*]}")" "${ROWS[@]}" | column -t -s '|'
}

# The NOTE lines of the plain-text report (nothing if there are no notes).
text_notes() {
    if [ ${#NOTES[@]} -gt 0 ]; then printf 'NOTE: %s\n' "${NOTES[@]}"; fi
}

text_idle() {
    local k
    for k in "${!NAMES[@]}"; do
        echo "${NAMES[$k]}: CPU burnt while other servers were benchmarked: $(idle_s "$k")s"
    done
}

# HDR and ROWS as a markdown table (first column left-aligned, others right).
md_table() {
    local row i
    printf '| %s ' "${HDR[@]}"; echo "|"
    printf '|---|'
    for ((i = 1; i < ${#HDR[@]}; i++)); do printf -- '--:|'; done
    echo
    for row in "${ROWS[@]}"; do echo "| ${row//|/ | } |"; done
}

md_idle() {
    local k
    echo "Idle CPU (burnt while another server was under load):"
    for k in "${!NAMES[@]}"; do echo "${NAMES[$k]} $(idle_s "$k")s;"; done | paste -sd' ' | sed 's/;$/./'
}

md_notes() {
    if [ ${#NOTES[@]} -gt 0 ]; then
        echo
        printf -- '- **%s**\n' "${NOTES[@]}"
    fi
}

# The "Servers:" block: the command line of every server.
md_servers() {
    local k
    echo
    echo "Servers:"
    echo
    echo '```'
    for k in "${!NAMES[@]}"; do echo "${CMDS[$k]:-(not started)}   # ${NAMES[$k]}"; done
    echo '```'
}

# emit_markdown TEXT -- print the markdown section, and write it to MD_OUT if set.
emit_markdown() {
    echo
    echo "== Markdown"
    echo "$1"
    if [ -n "$MD_OUT" ]; then printf '%s\n' "$1" >"$MD_OUT"; fi
}
