/* worker.c - worker threads and their event loops.
 *
 * Each iteration: wait for events (sleeping in the kernel; never a busy
 * poll), read and run every ready connection's commands, then flush each
 * connection with replies once.  A housekeeping tick (hz times a second)
 * closes idle clients and runs bounded active-expiry slices over the
 * shards this worker is responsible for (shard i belongs to worker
 * i % nworkers for housekeeping only; any worker may run commands on any
 * shard).
 */
#include "server/net/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eviction/maxmemory.h"
#include "persistence/snapshot.h"
#include "server/commands/blocking.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/info.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/mem.h"
#include "server/keyspace/keyspace.h"
#include "server/memcache/mc_dispatch.h"
#include "server/net/client.h"
#include "server/net/conn.h"

#define MAX_EVENTS 256
#define SHARED_RBUF (64 * 1024)
/* Active expiry may use at most a quarter of each tick, like Redis's
 * ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC, and ~1 ms per shard visit. */
#define EXPIRE_TICK_SHARE 4
#define EXPIRE_SHARD_BUDGET_US 1000

static struct worker *workers;
static int nworkers;
static int stopping;
static int pausing, exiting;

int worker_count(void) { return nworkers; }
struct worker *worker_get(int i) { return &workers[i]; }

void worker_wake(struct worker *w)
{
    uint64_t one = 1;
    if (write(w->wakefd, &one, sizeof(one)) < 0) {
        /* counter saturated: the worker is already due to wake */
    }
}

static __thread char *shared_rbuf;

char *worker_read_buffer(struct worker *w, size_t *room)
{
    (void)w;
    if (!shared_rbuf)
        shared_rbuf = xmalloc(SHARED_RBUF);
    *room = SHARED_RBUF;
    return shared_rbuf;
}

void worker_scratch_reserve(struct worker *w, int n)
{
    if (n <= w->argcap)
        return;
    int cap = w->argcap ? w->argcap : 64;
    while (cap < n)
        cap *= 2;
    w->argv = xrealloc(w->argv, sizeof(*w->argv) * (size_t)cap);
    w->argl = xrealloc(w->argl, sizeof(*w->argl) * (size_t)cap);
    w->shard_idx = xrealloc(w->shard_idx, sizeof(*w->shard_idx) * (size_t)cap);
    w->key_hash = xrealloc(w->key_hash, sizeof(*w->key_hash) * (size_t)cap);
    w->argcap = cap;
}

static void set_socket_options(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    long long ka = CFG(tcp_keepalive);
    if (ka > 0) {
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        int idle = (int)ka, intvl = (int)(ka / 3 > 0 ? ka / 3 : 1), cnt = 3;
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    }
}

/* Adopt an accepted fd on this worker (inbox entries are fd * 2 + proto). */
static void adopt(struct worker *w, int fd, int proto)
{
    set_socket_options(fd);
    struct client *c = client_create(fd, w, w->now_ms);
    c->proto = proto;
    c->next = w->clients;
    if (w->clients)
        w->clients->prev = c;
    w->clients = c;
    w->nclients++;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        log_warning("epoll_ctl: %s", strerror(errno));
        conn_close(c);
    }
}

static void accept_ready(struct worker *w, int lfd, int proto)
{
    for (int i = 0; i < 1000; i++) { /* bounded: one listener can't starve the loop */
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_warning("Accepting client connection: %s", strerror(errno));
            return;
        }
        STAT_INC(w->stats.conns_received);
        if (!client_reserve_slot(CFG(maxclients))) {
            static const char msg[] = "-" ERR_MAXCLIENTS "\r\n";
            if (write(fd, msg, sizeof(msg) - 1) < 0) {
                /* the client is turned away either way */
            }
            close(fd);
            STAT_INC(w->stats.conns_rejected);
            continue;
        }
        struct worker *t = &workers[w->next_target++ % (unsigned)nworkers];
        if (t == w) {
            adopt(w, fd, proto);
        } else {
            pthread_mutex_lock(&t->inbox_lock);
            if (t->inbox_n == t->inbox_cap) {
                t->inbox_cap = t->inbox_cap ? t->inbox_cap * 2 : 64;
                t->inbox = xrealloc(t->inbox, sizeof(int) * (size_t)t->inbox_cap);
            }
            t->inbox[t->inbox_n++] = fd * 2 + proto;
            pthread_mutex_unlock(&t->inbox_lock);
            worker_wake(t);
        }
    }
}

/* Woken: adopt handed-over fds, close killed clients. */
static void on_wake(struct worker *w)
{
    uint64_t v;
    if (read(w->wakefd, &v, sizeof(v)) < 0) {
        /* spurious wake: nothing to drain */
    }
    pthread_mutex_lock(&w->inbox_lock);
    int n = w->inbox_n;
    int *fds = w->inbox;
    w->inbox = NULL;
    w->inbox_n = w->inbox_cap = 0;
    pthread_mutex_unlock(&w->inbox_lock);
    for (int i = 0; i < n; i++)
        adopt(w, fds[i] / 2, fds[i] % 2);
    free(fds);
    blocking_deliver(w);
    for (struct client *c = w->clients, *next; c; c = next) {
        next = c->next;
        if (__atomic_load_n(&c->kill, __ATOMIC_RELAXED))
            conn_close(c);
    }
}

static void housekeeping(struct worker *w)
{
    for (struct client *c = w->clients, *next; c; c = next) {
        next = c->next;
        conn_check_timeout(c, w->now_ms);
    }
    int hz = (int)CFG(hz);
    int64_t deadline = clock_mono_us() + 1000000 / hz / EXPIRE_TICK_SHARE;
    uint32_t nsh = ks_nshards();
    uint64_t expired = 0;
    /* resume where the last tick stopped, walking only our shards */
    for (uint32_t visited = 0; visited < nsh; visited++) {
        uint32_t i = w->expire_shard_cursor;
        w->expire_shard_cursor = (i + 1) % nsh;
        if (i % (uint32_t)nworkers != (uint32_t)w->id)
            continue;
        expired += ks_expire_slice(ks_shard(i), w->now_ms, EXPIRE_SHARD_BUDGET_US, hz);
        if (clock_mono_us() > deadline)
            break;
    }
    if (expired)
        STAT_ADD(w->stats.expired, expired);
    if (w->id == 0) {
        info_sample(w->now_ms);
        mc_flush_due(w->now_ms);
        snapshot_tick(w->now_ms);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event events[MAX_EVENTS];
    char name[16];
    snprintf(name, sizeof(name), "worker-%d", w->id);
    pthread_setname_np(pthread_self(), name); /* top -H, perf, /proc/PID/task */
    int64_t tick_ms = 1000 / CFG(hz);
    int64_t next_tick = clock_wall_ms() + tick_ms;
    while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
        int64_t now = clock_wall_ms();
        int64_t wake_at = next_tick;
        if (w->bw_next_deadline) { /* blocked clients time out on time, not per tick */
            int64_t d = blocking_expire(w, now);
            if (d && d < wake_at)
                wake_at = d;
        }
        int timeout = wake_at > now ? (int)(wake_at - now) : 0;
        int n = epoll_wait(w->epfd, events, MAX_EVENTS, timeout);
        w->now_ms = clock_wall_ms();
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            if (p == &w->wakefd) {
                on_wake(w);
                continue;
            }
            int is_listener = 0;
            for (int j = 0; j < w->nlisten; j++) {
                if (p == &w->listen_fds[j]) {
                    accept_ready(w, w->listen_fds[j], w->listen_proto[j]);
                    is_listener = 1;
                }
            }
            if (is_listener)
                continue;
            struct client *c = p;
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                conn_on_readable(c);
            else if (events[i].events & EPOLLOUT)
                conn_schedule_flush(c);
        }
        /* one write per connection per iteration */
        for (int i = 0; i < w->nflush; i++) {
            struct client *c = w->flush[i];
            if (!c)
                continue; /* closed earlier in this iteration */
            c->flags &= ~CL_IN_FLUSH;
            conn_flush(c);
        }
        w->nflush = 0;
        if (w->now_ms >= next_tick) {
            housekeeping(w);
            tick_ms = 1000 / CFG(hz);
            next_tick = w->now_ms + tick_ms;
        }
    }
    while (w->clients)
        conn_close(w->clients);
    blocking_deliver(w); /* drop replies for clients now gone */
    free(shared_rbuf);
    shared_rbuf = NULL;
    maxmemory_thread_exit();
    return NULL;
}

int workers_start(int n, const int *listen_fds, const int *listen_proto, int nlisten)
{
    nworkers = n;
    workers = NULL;
    if (posix_memalign((void **)&workers, 64, sizeof(*workers) * (size_t)n))
        return -1;
    memset(workers, 0, sizeof(*workers) * (size_t)n);
    for (int i = 0; i < n; i++) {
        struct worker *w = &workers[i];
        w->id = i;
        w->rnd = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) ^ (uint64_t)clock_wall_us();
        w->stats.cmds = xcalloc((size_t)command_count(), sizeof(struct cmd_stat));
        w->now_ms = clock_wall_ms();
        pthread_mutex_init(&w->inbox_lock, NULL);
        pthread_mutex_init(&w->run_lock, NULL);
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (w->epfd < 0 || w->wakefd < 0)
            return -1;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->wakefd};
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev);
        worker_scratch_reserve(w, 64);
    }
    struct worker *w0 = &workers[0]; /* worker 0 accepts and deals */
    for (int j = 0; j < nlisten && j < 16; j++) {
        w0->listen_fds[j] = listen_fds[j];
        w0->listen_proto[j] = listen_proto[j];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w0->listen_fds[j]};
        epoll_ctl(w0->epfd, EPOLL_CTL_ADD, listen_fds[j], &ev);
        w0->nlisten++;
    }
    for (int i = 0; i < n; i++)
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
            return -1;
    return 0;
}

/* A pauser holds only its own run lock (a worker running SHUTDOWN) or none
 * (main), and only one pause runs at a time, so two pausers never wait
 * for each other's run locks. */
int workers_pause(const struct worker *self)
{
    int idle = 0;
    if (!__atomic_compare_exchange_n(&pausing, &idle, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return -1;
    for (int i = 0; i < nworkers; i++)
        if (&workers[i] != self)
            pthread_mutex_lock(&workers[i].run_lock);
    return 0;
}

void workers_resume(const struct worker *self, int exit_now)
{
    if (exit_now)
        __atomic_store_n(&exiting, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < nworkers; i++)
        if (&workers[i] != self)
            pthread_mutex_unlock(&workers[i].run_lock);
    __atomic_store_n(&pausing, 0, __ATOMIC_RELEASE);
}

int workers_exiting(void) { return __atomic_load_n(&exiting, __ATOMIC_ACQUIRE); }

uint64_t workers_commands(void)
{
    uint64_t n = 0;
    for (int i = 0; i < nworkers; i++)
        n += __atomic_load_n(&workers[i].stats.commands, __ATOMIC_RELAXED);
    return n;
}

void workers_stop(void)
{
    __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < nworkers; i++)
        worker_wake(&workers[i]);
    for (int i = 0; i < nworkers; i++)
        pthread_join(workers[i].thread, NULL);
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        for (int j = 0; j < w->inbox_n; j++) {
            close(w->inbox[j] / 2);
            client_release_slot();
        }
        free(w->inbox);
        free(w->flush);
        free(w->argv);
        free(w->argl);
        free(w->shard_idx);
        free(w->key_hash);
        free(w->stats.cmds);
        close(w->epfd);
        close(w->wakefd);
        pthread_mutex_destroy(&w->inbox_lock);
        pthread_mutex_destroy(&w->run_lock);
    }
    free(workers);
    workers = NULL;
    nworkers = 0;
}
