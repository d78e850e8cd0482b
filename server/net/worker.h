/* worker.h - worker threads: one event loop each, run-to-completion.
 *
 * Each worker owns an epoll instance, the clients handed to it, its stats
 * and scratch space.  Cross-thread hand-off happens only through the inbox
 * (new fds, under inbox_lock) and the wake eventfd; a client never moves
 * between workers.  Worker 0 also owns the listening sockets and deals new
 * connections round-robin.
 */
#ifndef CACHET_WORKER_H
#define CACHET_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "server/core/stats.h"

struct client;
struct bwaiter;

struct worker {
    struct wstats stats; /* first: aligned, written only by this worker */
    int id;
    pthread_t thread;
    int epfd, wakefd;
    struct client *clients;
    long nclients;

    pthread_mutex_t inbox_lock;
    int *inbox;
    int inbox_n, inbox_cap;
    struct bwaiter *bw_inbox; /* served blocked clients to answer (blocking.c) */
    /* Held while the worker runs its clients' commands (conn.c); a final
     * save at shutdown takes it to hold them (workers_pause). */
    pthread_mutex_t run_lock;
    struct bwaiter *bw_list;  /* this worker's blocked clients */
    int64_t bw_next_deadline; /* earliest blocking timeout, 0 = none */

    struct client **flush; /* clients with replies to send this iteration */
    int nflush, flush_cap;

    /* dispatch scratch, reused across commands */
    const char **argv;
    size_t *argl;
    int argcap;
    uint32_t *shard_idx;
    uint64_t *key_hash; /* by argument position */
    size_t shard_cap;

    int64_t now_ms;
    uint64_t rnd;
    int listen_fds[16];
    int listen_proto[16]; /* PROTO_RESP or PROTO_MEMCACHE */
    int nlisten;
    unsigned next_target;
    uint32_t expire_shard_cursor;
};

#define PROTO_RESP 0
#define PROTO_MEMCACHE 1

int workers_start(int n, const int *listen_fds, const int *listen_proto, int nlisten);
/* Ask every worker to finish its loop, then join them. */
void workers_stop(void);
/* Shutdown's final save: let every worker but self finish the commands it
 * is running, then hold it off running more, so nothing is acknowledged
 * after the snapshot's instant.  -1 if another pause is in progress. */
int workers_pause(const struct worker *self);
/* Let them go again: to carry on (the save failed, the server keeps
 * running, as Redis does) or, with exiting, to run nothing more. */
void workers_resume(const struct worker *self, int exiting);
/* 1 once a shutdown's final save succeeded: run no more commands. */
int workers_exiting(void);
/* Commands run by all workers so far (relaxed reads: a moment stale). */
uint64_t workers_commands(void);
int worker_count(void);
struct worker *worker_get(int i);
void worker_wake(struct worker *w);
/* The worker's shared read buffer (reads land here first; conn.c). */
char *worker_read_buffer(struct worker *w, size_t *room);
/* Grow the dispatch scratch arrays to hold n arguments. */
void worker_scratch_reserve(struct worker *w, int n);

#endif
