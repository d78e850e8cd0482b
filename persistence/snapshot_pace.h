/* snapshot_pace.h - how the snapshot thread shares the CPU with the
 * workers: its priority, its sleeps between slices, and its shard locks.
 *
 * Where the process may leave idle priority (server/core/prio.h) the
 * sweep runs under SCHED_IDLE: a worker that wakes takes the core from it
 * at once, so the save uses only the CPU the machine leaves idle (a whole
 * core when that is free) and clients do not wait for it to yield.  A
 * worker that needs the shard the thread holds raises it first
 * (pace_lock).  With 20,000 writes/s on this 2-core machine
 * (benchmarks/snapshot.py), three runs of normal against idle priority
 * gave p99 during the save 3.15 / 0.72, 1.77 / 0.74 and 1.18 / 1.02 times
 * its baseline, at the same save speed; runs beside Redis gave 1.27-2.42
 * (README, "Snapshots": the save still adds 0.3-0.6 ms at p99).
 *
 * On a machine with no idle CPU that would starve the save, so each
 * PACE_WINDOW_US the thread checks what CPU it got: under PACE_MIN_PCT of
 * a core, it runs the next window at normal priority.
 *
 * At normal priority (such a window, or where idle priority cannot be
 * left), after a slice that began at t0: if the workers ran commands
 * meanwhile, sleep YIELD_FACTOR times as long as the slice took, so while
 * clients are being served a save takes at most 1/(1 + YIELD_FACTOR) of a
 * core.  Not nice 10 instead: preempted while holding a shard lock, the
 * thread stalled a worker waiting for that lock for tens of ms (max 40 ms
 * during a save at nice 10, 6.5 ms at nice 0).  Measured alternatives
 * that did not lower p99 on 2 cores: 50 us slices, sleeping twice the
 * slice (both only slowed the save), and workers asking EEVDF for 0.1 ms
 * slices so that they preempt the sweep (no consistent effect). */
#ifndef CACHET_SNAPSHOT_PACE_H
#define CACHET_SNAPSHOT_PACE_H

#include <stddef.h>
#include <stdint.h>

#include "server/keyspace/shard.h"

/* One save's pacing state (the snapshot thread's own). */
struct pace {
    int64_t win_us, win_cpu; /* the window's start: wall clock, thread CPU */
    int64_t slept_us;        /* slept on purpose in the window (rdb-key-save-delay) */
    int normal;              /* this window runs at normal priority */
    uint64_t starved;        /* windows run at normal priority after a starved one */
};

/* Once, at start: may the thread use idle priority (prio.h)? */
void pace_init(void);
/* Before the sweep: to idle priority where it may. */
void pace_begin(struct pace *p);
/* After each slice, begun at t0 (monotonic us): perhaps change priority
 * for the next window, perhaps sleep. */
void pace_slice(struct pace *p, int64_t t0);
/* The thread slept us on purpose: not a sign of starvation. */
void pace_slept(struct pace *p, int64_t us);
/* After the sweep: back to normal priority. */
void pace_end(struct pace *p);
/* How the save was paced, for its log line. */
void pace_describe(const struct pace *p, char *buf, size_t cap);

/* The snapshot thread's shard lock and unlock: at idle priority it marks
 * itself the holder, so that a thread waiting for the lock raises it. */
void pace_lock(struct shard *s);
void pace_unlock(struct shard *s);

#endif
