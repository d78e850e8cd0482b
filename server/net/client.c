/* client.c - client lifetime, the registry, CLIENT LIST/INFO/KILL.
 * Ownership rules are in client.h. */
#include "server/net/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/mc_parse.h"
#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/keyspace/shard.h"
#include "server/net/worker.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct client *registry;
/* Connections accepted and not yet closed, counted from accept() so that
 * maxclients holds even while fds wait in a worker's inbox. */
static long nopen;
static uint64_t next_id = 1;

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
    }
    snprintf(buf, cap, "%s:%d", ip, port);
}

struct client *client_create(int fd, struct worker *wk, int64_t now_ms)
{
    struct client *c = xcalloc(1, sizeof(*c));
    c->fd = fd;
    c->wk = wk;
    c->resp = 2;
    c->authenticated = !config_auth_required();
    c->ctime_ms = now_ms;
    c->last_ms = now_ms;
    c->last_cmd = "NULL";
    c->pub_resp = 2;
    c->pub_multi = -1;
    resp_parser_init(&c->parser);
    obuf_init(&c->out);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
        format_addr(&ss, c->addr, sizeof(c->addr));
    sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        format_addr(&ss, c->laddr, sizeof(c->laddr));
    pthread_mutex_lock(&registry_lock);
    c->id = next_id++;
    c->reg_next = registry;
    if (registry)
        registry->reg_prev = c;
    registry = c;
    pthread_mutex_unlock(&registry_lock);
    return c;
}

void client_destroy(struct client *c)
{
    STAT_ADD(c->wk->stats.client_mem, 0 - (uint64_t)c->mem_accounted);
    mem_account(-(long long)c->mem_accounted);
    client_unwatch_all(c);
    client_discard_multi(c);
    pthread_mutex_lock(&registry_lock);
    if (c->reg_prev)
        c->reg_prev->reg_next = c->reg_next;
    else
        registry = c->reg_next;
    if (c->reg_next)
        c->reg_next->reg_prev = c->reg_prev;
    pthread_mutex_unlock(&registry_lock);
    client_release_slot();
    resp_parser_deinit(&c->parser);
    if (c->mcp) {
        mc_parser_deinit(c->mcp);
        free(c->mcp);
    }
    obuf_deinit(&c->out);
    free(c->qbuf);
    free(c->name);
    free(c->lib_name);
    free(c->lib_ver);
    free(c->watched);
    free(c);
}

void client_discard_multi(struct client *c)
{
    for (int i = 0; i < c->mq_n; i++) {
        for (int j = 0; j < c->mq[i].argc; j++)
            free(c->mq[i].argv[j]);
        free(c->mq[i].argv);
        free(c->mq[i].argl);
    }
    free(c->mq);
    c->mq = NULL;
    c->mq_n = c->mq_cap = 0;
    c->flags &= ~(CL_MULTI | CL_EXEC_ABORT);
}

void client_unwatch_all(struct client *c)
{
    for (int i = 0; i < c->nwatched; i++) {
        struct shard *s = ks_shard(ks_shard_index(c->watched[i].hash));
        shard_lock(s);
        shard_watch_remove(s, &c->watch_dirty);
        shard_unlock(s);
        free(c->watched[i].key);
    }
    c->nwatched = 0;
    __atomic_store_n(&c->watch_dirty, 0, __ATOMIC_RELAXED);
}

long client_count(void)
{
    return __atomic_load_n(&nopen, __ATOMIC_RELAXED);
}

int client_reserve_slot(long max)
{
    long n = __atomic_add_fetch(&nopen, 1, __ATOMIC_RELAXED);
    if (n > max) {
        __atomic_sub_fetch(&nopen, 1, __ATOMIC_RELAXED);
        return 0;
    }
    return 1;
}

void client_release_slot(void)
{
    __atomic_sub_fetch(&nopen, 1, __ATOMIC_RELAXED);
}

void client_set_name(struct client *c, const char *name, size_t len)
{
    char *n = (name && len) ? xmemdup(name, len) : NULL;
    pthread_mutex_lock(&registry_lock);
    char *old = c->name;
    c->name = n;
    pthread_mutex_unlock(&registry_lock);
    free(old);
}

void client_set_lib(struct client *c, int ver, const char *val, size_t len)
{
    char *n = xmemdup(val, len);
    pthread_mutex_lock(&registry_lock);
    char **slot = ver ? &c->lib_ver : &c->lib_name;
    char *old = *slot;
    *slot = n;
    pthread_mutex_unlock(&registry_lock);
    free(old);
}

/* One CLIENT LIST line, Redis 7's field order.  Caller holds registry_lock
 * (or is the owner reading itself). */
static void info_line_locked(struct client *c, char *buf, size_t cap, int64_t now_ms)
{
    int64_t last = __atomic_load_n(&c->last_ms, __ATOMIC_RELAXED);
    const char *cmd = __atomic_load_n(&c->last_cmd, __ATOMIC_RELAXED);
    int db = __atomic_load_n(&c->pub_db, __ATOMIC_RELAXED);
    uint32_t flags = __atomic_load_n(&c->pub_flags, __ATOMIC_RELAXED);
    int resp = __atomic_load_n(&c->pub_resp, __ATOMIC_RELAXED);
    int multi = __atomic_load_n(&c->pub_multi, __ATOMIC_RELAXED);
    size_t qbuf = __atomic_load_n(&c->pub_qbuf, __ATOMIC_RELAXED);
    size_t omem = __atomic_load_n(&c->pub_omem, __ATOMIC_RELAXED);
    snprintf(buf, cap,
             "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=0 "
             "psub=0 ssub=0 multi=%d qbuf=%zu qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 "
             "obl=0 oll=0 omem=%zu tot-mem=%zu events=r cmd=%s user=default redir=-1 resp=%d "
             "lib-name=%s lib-ver=%s",
             (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
             (long long)((now_ms - c->ctime_ms) / 1000), (long long)((now_ms - last) / 1000),
             (flags & CL_MULTI) ? "x" : (flags & CL_BLOCKED) ? "b" : "N", db, multi, qbuf, omem, qbuf + omem, cmd, resp,
             c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "");
}

void client_account_mem(struct client *c)
{
    size_t now = c->qcap + c->out.cap;
    if (now != c->mem_accounted) {
        STAT_ADD(c->wk->stats.client_mem, (uint64_t)now - (uint64_t)c->mem_accounted);
        mem_account((long long)now - (long long)c->mem_accounted);
        c->mem_accounted = now;
    }
}

void client_publish(struct client *c, int64_t now_ms)
{
    client_account_mem(c);
    __atomic_store_n(&c->last_ms, now_ms, __ATOMIC_RELAXED);
    __atomic_store_n(&c->pub_flags, c->flags, __ATOMIC_RELAXED);
    __atomic_store_n(&c->pub_db, c->db, __ATOMIC_RELAXED);
    __atomic_store_n(&c->pub_resp, c->resp, __ATOMIC_RELAXED);
    __atomic_store_n(&c->pub_multi, (c->flags & CL_MULTI) ? c->mq_n : -1, __ATOMIC_RELAXED);
    __atomic_store_n(&c->pub_qbuf, c->qlen - c->qpos, __ATOMIC_RELAXED);
    __atomic_store_n(&c->pub_omem, c->out.cap, __ATOMIC_RELAXED);
}

void client_info_line(struct client *c, char *buf, size_t cap, int64_t now_ms)
{
    client_publish(c, now_ms); /* the caller is c's owner: show its current state */
    pthread_mutex_lock(&registry_lock);
    info_line_locked(c, buf, cap, now_ms);
    pthread_mutex_unlock(&registry_lock);
}

char *client_list_string(const uint64_t *ids, int nids, int64_t now_ms)
{
    size_t cap = 4096, len = 0;
    char *out = xmalloc(cap);
    out[0] = '\0';
    char line[1024];
    pthread_mutex_lock(&registry_lock);
    /* oldest first, as Redis lists them: walk to the tail, then back */
    struct client *c = registry;
    while (c && c->reg_next)
        c = c->reg_next;
    for (; c; c = c->reg_prev) {
        if (nids > 0) {
            int hit = 0;
            for (int i = 0; i < nids; i++)
                hit |= ids[i] == c->id;
            if (!hit)
                continue;
        }
        info_line_locked(c, line, sizeof(line) - 1, now_ms);
        size_t l = strlen(line);
        line[l++] = '\n';
        if (len + l + 1 > cap) {
            cap = (len + l + 1) * 2;
            out = xrealloc(out, cap);
        }
        memcpy(out + len, line, l);
        len += l;
        out[len] = '\0';
    }
    pthread_mutex_unlock(&registry_lock);
    return out;
}

long client_kill(const struct kill_filter *f)
{
    long n = 0;
    pthread_mutex_lock(&registry_lock);
    for (struct client *c = registry; c; c = c->reg_next) {
        if (f->have_id && c->id != f->id)
            continue;
        if (f->addr && strcmp(f->addr, c->addr))
            continue;
        if (f->laddr && strcmp(f->laddr, c->laddr))
            continue;
        if (f->user && strcmp(f->user, "default"))
            continue;
        if (f->type && strcasecmp(f->type, "normal"))
            continue;
        if (f->skipme && c == f->me)
            continue;
        if (__atomic_load_n(&c->kill, __ATOMIC_RELAXED))
            continue; /* already being closed: not counted twice */
        if (c == f->me) {
            c->flags |= CL_CLOSE_AFTER_REPLY; /* our own thread: after this reply */
        } else {
            __atomic_store_n(&c->kill, 1, __ATOMIC_RELAXED);
            worker_wake(c->wk);
        }
        n++;
    }
    pthread_mutex_unlock(&registry_lock);
    return n;
}
