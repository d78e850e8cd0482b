/* conn.c - see conn.h.
 *
 * Syscalls are the budget: a readiness event gets one read() into the
 * worker's shared 64 KB buffer, every complete command in it runs, and all
 * replies for the connection leave in one write() at the end of the loop
 * iteration (worker.c flushes).  Only a partial frame is copied into the
 * client's own buffer, so idle connections hold no input memory.
 */
#include "server/net/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server/commands/blocking.h"
#include "server/commands/dispatch.h"
#include "server/memcache/mc_dispatch.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/mem.h"
#include "server/net/client.h"
#include "server/net/worker.h"

#define READ_CHUNK (16 * 1024)

void conn_schedule_flush(struct client *c)
{
    if (c->flags & CL_IN_FLUSH)
        return;
    struct worker *wk = c->wk;
    if (wk->nflush == wk->flush_cap) {
        wk->flush_cap = wk->flush_cap ? wk->flush_cap * 2 : 64;
        wk->flush = xrealloc(wk->flush, sizeof(*wk->flush) * (size_t)wk->flush_cap);
    }
    wk->flush[wk->nflush++] = c;
    c->flags |= CL_IN_FLUSH;
}

/* Output limits of the normal class: hard closes at once, soft after it
 * has been exceeded continuously for soft_secs (Redis's semantics). */
static int over_output_limit(struct client *c)
{
    size_t pending = c->out.len - c->out.sent;
    long long hard = CFG(obuf_normal.hard), soft = CFG(obuf_normal.soft);
    if (hard > 0 && (long long)pending > hard)
        return 1;
    if (soft > 0 && (long long)pending > soft) {
        if (!c->obuf_soft_since_ms)
            c->obuf_soft_since_ms = c->wk->now_ms;
        else if (c->wk->now_ms - c->obuf_soft_since_ms > CFG(obuf_normal.soft_secs) * 1000)
            return 1;
    } else {
        c->obuf_soft_since_ms = 0;
    }
    return 0;
}

static void protocol_error(struct client *c, const char *err)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "ERR %s", err);
    struct resp_writer w = {&c->out, c->resp};
    resp_error(&w, msg);
    stats_count_error(&c->wk->stats, msg);
    log_verbose("Protocol error (%s) from client: id=%llu addr=%s", err,
                (unsigned long long)c->id, c->addr);
    c->flags |= CL_CLOSE_AFTER_REPLY;
}

/* Run every complete command in buf[0..len); returns bytes consumed. */
static size_t process_buffer(struct client *c, const char *buf, size_t len)
{
    if (c->proto == PROTO_MEMCACHE)
        return mc_process_buffer(c, buf, len);
    struct worker *wk = c->wk;
    const struct resp_limits lim = {
        .max_bulk_len = CFG(proto_max_bulk_len),
        .max_multibulk_len = 2147483647LL,
        .max_inline_len = 64 * 1024,
    };
    size_t pos = 0;
    while (pos < len && !(c->flags & (CL_CLOSE_AFTER_REPLY | CL_CLOSE_ASAP | CL_BLOCKED))) {
        enum resp_status st = resp_parse(&c->parser, buf + pos, len - pos, &lim);
        if (st == RESP_NEED_MORE)
            break;
        if (st == RESP_ERROR) {
            protocol_error(c, c->parser.err);
            pos = len;
            break;
        }
        int argc = (int)c->parser.nargs;
        if (argc > 0) {
            worker_scratch_reserve(wk, argc);
            for (int i = 0; i < argc; i++) {
                wk->argv[i] = resp_arg_ptr(&c->parser, buf + pos, (size_t)i);
                wk->argl[i] = c->parser.argv[i].len;
            }
            dispatch_command(c, argc, wk->argv, wk->argl);
            if (over_output_limit(c)) {
                log_warning("Client id=%llu addr=%s scheduled to be closed ASAP for overcoming "
                            "of output buffer limits.",
                            (unsigned long long)c->id, c->addr);
                c->flags |= CL_CLOSE_ASAP;
            }
        }
        pos += c->parser.frame_len;
        resp_parser_reset(&c->parser);
    }
    return pos;
}

static void reserve_qbuf(struct client *c, size_t want)
{
    if (c->qcap >= want)
        return;
    size_t ncap = c->qcap ? c->qcap : READ_CHUNK;
    while (ncap < want)
        ncap *= 2;
    c->qbuf = xrealloc(c->qbuf, ncap);
    c->qcap = ncap;
}

static int query_limit_exceeded(struct client *c, size_t pending)
{
    if ((long long)pending <= CFG(client_query_buffer_limit))
        return 0;
    log_warning("Closing client that reached max query buffer length: id=%llu addr=%s "
                "(qbuf initial bytes: %zu)", (unsigned long long)c->id, c->addr, pending);
    return 1;
}

void conn_on_readable(struct client *c)
{
    struct worker *wk = c->wk;
    char *buf;
    size_t have, room;
    int shared = c->qlen == c->qpos; /* nothing pending: use the worker's buffer */
    if (shared) {
        c->qlen = c->qpos = 0;
        buf = worker_read_buffer(wk, &room);
        have = 0;
    } else {
        if (c->qpos > 0) { /* keep the pending frame at the start */
            memmove(c->qbuf, c->qbuf + c->qpos, c->qlen - c->qpos);
            c->qlen -= c->qpos;
            c->qpos = 0;
        }
        size_t want = c->qlen + READ_CHUNK;
        size_t need = c->proto == PROTO_MEMCACHE ? (c->mcp ? c->mcp->need : 0) : c->parser.need;
        if (need > want)
            want = need; /* a big value: make room for all of it */
        reserve_qbuf(c, want);
        buf = c->qbuf;
        have = c->qlen;
        room = c->qcap - c->qlen;
    }
    ssize_t n = read(c->fd, buf + have, room);
    if (n == 0) {
        conn_close(c);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            conn_close(c);
        return;
    }
    STAT_INC(wk->stats.reads);
    STAT_ADD(wk->stats.net_in, (uint64_t)n);
    have += (size_t)n;

    pthread_mutex_lock(&wk->run_lock); /* workers_pause waits for this batch */
    if (workers_exiting()) { /* after the final save: run nothing more */
        pthread_mutex_unlock(&wk->run_lock);
        return;
    }
    size_t used = process_buffer(c, buf, have);
    pthread_mutex_unlock(&wk->run_lock);
    if (shared) {
        if (used < have && !(c->flags & (CL_CLOSE_AFTER_REPLY | CL_CLOSE_ASAP))) {
            size_t rest = have - used; /* a partial frame: the client keeps it */
            reserve_qbuf(c, rest > READ_CHUNK ? rest : READ_CHUNK);
            memcpy(c->qbuf, buf + used, rest);
            c->qlen = rest;
            c->qpos = 0;
        }
    } else {
        c->qlen = have;
        c->qpos = used;
        if (c->qpos == c->qlen) {
            c->qpos = c->qlen = 0;
            if (c->qcap > 4 * READ_CHUNK) { /* a burst is over: give memory back */
                free(c->qbuf);
                c->qbuf = NULL;
                c->qcap = 0;
            }
        }
    }
    if (query_limit_exceeded(c, c->qlen - c->qpos)) {
        conn_close(c);
        return;
    }
    client_publish(c, wk->now_ms);
    if (c->flags & CL_CLOSE_ASAP) {
        conn_close(c);
        return;
    }
    if (c->out.len > c->out.sent || (c->flags & CL_CLOSE_AFTER_REPLY))
        conn_schedule_flush(c);
}

static void set_want_write(struct client *c, int on)
{
    if (!!(c->flags & CL_WANT_WRITE) == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(c->wk->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    if (on)
        c->flags |= CL_WANT_WRITE;
    else
        c->flags &= ~CL_WANT_WRITE;
}

void conn_flush(struct client *c)
{
    struct worker *wk = c->wk;
    while (c->out.sent < c->out.len) {
        ssize_t n = write(c->fd, c->out.data + c->out.sent, c->out.len - c->out.sent);
        if (n > 0) {
            c->out.sent += (size_t)n;
            STAT_INC(wk->stats.writes);
            STAT_ADD(wk->stats.net_out, (uint64_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_want_write(c, 1);
            if (over_output_limit(c))
                conn_close(c);
            return;
        }
        conn_close(c); /* peer gone */
        return;
    }
    obuf_compact(&c->out);
    client_account_mem(c);
    c->obuf_soft_since_ms = 0;
    if (c->flags & CL_CLOSE_AFTER_REPLY) {
        conn_close(c);
        return;
    }
    set_want_write(c, 0);
}

void conn_resume(struct client *c)
{
    if (c->qlen > c->qpos && !(c->flags & CL_BLOCKED)) {
        c->qpos += process_buffer(c, c->qbuf + c->qpos, c->qlen - c->qpos);
        if (c->qpos == c->qlen)
            c->qpos = c->qlen = 0;
    }
    client_publish(c, c->wk->now_ms);
    if (c->flags & CL_CLOSE_ASAP) {
        conn_close(c);
        return;
    }
    if (c->out.len > c->out.sent || (c->flags & CL_CLOSE_AFTER_REPLY))
        conn_schedule_flush(c);
}

void conn_close(struct client *c)
{
    struct worker *wk = c->wk;
    int fd = c->fd;
    blocking_client_closed(c);
    epoll_ctl(wk->epfd, EPOLL_CTL_DEL, fd, NULL);
    if (c->flags & CL_IN_FLUSH) /* drop it from this iteration's flush list */
        for (int i = 0; i < wk->nflush; i++)
            if (wk->flush[i] == c)
                wk->flush[i] = NULL;
    if (c->prev)
        c->prev->next = c->next;
    else
        wk->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    wk->nclients--;
    client_destroy(c); /* leaves CLIENT LIST before the peer sees the close */
    close(fd);
}

int conn_check_timeout(struct client *c, int64_t now_ms)
{
    long long t = CFG(timeout);
    if (t <= 0 || now_ms - c->last_ms <= t * 1000 || (c->flags & CL_BLOCKED))
        return 0;
    log_verbose("Closing idle client id=%llu", (unsigned long long)c->id);
    conn_close(c);
    return 1;
}
