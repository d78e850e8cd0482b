/* prio.h - one background thread at idle priority, raised while it holds a
 * lock someone is waiting for.
 *
 * A thread under SCHED_IDLE gives up its core the moment any other thread
 * of the machine wakes there, so work it does (a save's sweep) costs the
 * workers no wait for the CPU: it runs on what the rest leave idle.  The
 * danger is a lock.  Preempted while it holds one, the idle thread would
 * keep whoever needs that lock waiting for as long as the machine stays
 * busy.  So a thread that finds such a lock taken calls prio_boost(),
 * which puts the idle thread back at normal priority at once; the idle
 * thread calls prio_settle() after each release and drops back to idle.
 *
 * Leaving SCHED_IDLE needs CAP_SYS_NICE or an RLIMIT_NICE that allows
 * nice 0 (sched(7)).  prio_init() tries it once in a throwaway thread;
 * where it is refused, prio_idle_usable() is 0 and nothing here changes
 * any thread's priority (a caller then paces its work some other way).
 */
#ifndef CACHET_PRIO_H
#define CACHET_PRIO_H

/* Probe once, at start: may this process raise a thread out of idle? */
void prio_init(void);
int prio_idle_usable(void);

/* The calling thread becomes the idle thread (prio_idle_enter) or goes
 * back to normal priority for good (prio_idle_leave).  Only one thread at
 * a time is the idle thread.  No-ops unless prio_idle_usable(). */
void prio_idle_enter(void);
void prio_idle_leave(void);
/* 1 while the calling thread is the idle thread at idle priority. */
int prio_idle_now(void);

/* Any thread: raise the idle thread to normal priority now (it holds a
 * lock the caller waits for). */
void prio_boost(void);
/* The idle thread, after releasing a lock: back to idle if it was raised. */
void prio_settle(void);

#endif
