/*
 * mcload - memcached text-protocol load driver for the Cachet benchmarks.
 *
 * N connections (non-blocking, one epoll loop per driver thread) send a
 * 1:R set:get mix (default 1:10) over a keyspace of K keys.  Keys are exactly
 * 16 bytes ("key:%012u"), values exactly 32 bytes and a function of the key
 * ("value-%010u-%015u"), flags 0, exptime 0.  Each connection sends a batch of
 * P requests in one write and waits for all P replies before the next batch
 * (P = 1: one request in flight; like redis-benchmark -P).  With -g G a get is
 * "get k1 ... kG" (multi-get).  Every reply is checked: a set must answer
 * "STORED", a get "VALUE <key> 0 32" + the expected 32 bytes for each hit (hits
 * in request order, only requested keys) and then "END".  Anything else is an
 * error; the connection is then dropped.
 *
 * Usage: mcload -p PORT [-h 127.0.0.1] [-c 50] [-n 100000 | -d SECONDS]
 *               [-k 100000] [-P 1] [-g 1] [-r 10] [-T 1] [-L] [-s SEED]
 *               [-S 10]
 *   -n  total requests (a multi-get counts as one request)
 *   -d  run for this many seconds instead of -n
 *   -L  load mode: set every key 0..K-1 exactly once (pipelined by -P), then exit
 *   -S  abort a driver thread if no reply arrives for this many seconds
 * Output: one line of key=value fields (ops_per_sec, keys_per_sec, errors,
 * hits, misses, ...).  Exit status 0 only if errors=0 and every request issued
 * got its reply; 1 otherwise; 2 on usage / connect failure.
 *
 * Build: cc -O2 -o mcload mcload.c -lpthread   (no other dependencies)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KEY_LEN 16
#define VAL_LEN 32
#define MAX_MGET 100
#define MAX_INBUF (64u << 20)
#define MAX_ERR_PRINT 5

typedef struct { uint8_t is_set, nkeys; uint32_t keys[MAX_MGET]; } req_t;

struct thread;
typedef struct conn {
    int fd, id, open;
    struct thread *th;
    req_t *reqs;
    int nreq, done;                 /* current batch: sent / answered */
    char *out; size_t outlen, outoff;
    char *in; size_t inlen, inpos, incap;
    uint64_t rng, seq;
    uint64_t budget, issued;        /* requests this connection sends (-n / -L) */
    uint64_t load_next;             /* -L: next key this connection stores */
} conn_t;

typedef struct thread {
    int idx, epfd, nconns, active;
    pthread_t tid;
    conn_t *conns;
    uint64_t issued, completed;
    uint64_t sets, gets, keys_asked, hits, misses, errors;
    double t_end;
} thread_t;

static const char *host = "127.0.0.1";
static int port, nconns = 50, depth = 1, mget = 1, ratio = 10, nthreads = 1;
static int load_mode, stall_s = 10;
static uint64_t nreq_total = 100000, keyspace = 100000, seed = 1;
static double duration, t_start, deadline;
static pthread_barrier_t barrier;
static int err_printed;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return *s = x;
}

static void fmt_key(char *b, uint32_t k) { snprintf(b, KEY_LEN + 1, "key:%012u", k); }
static void fmt_val(char *b, uint32_t k) { snprintf(b, VAL_LEN + 1, "value-%010u-%015u", k, k); }

static void conn_error(conn_t *c, const char *what, const char *at, size_t len) {
    thread_t *th = c->th;
    th->errors++;
    pthread_mutex_lock(&err_lock);
    if (err_printed++ < MAX_ERR_PRINT) {
        fprintf(stderr, "mcload: conn %d: %s", c->id, what);
        if (at) {
            fprintf(stderr, ": \"");
            for (size_t i = 0; i < len && i < 120; i++)
                fputc(at[i] >= 32 && at[i] < 127 ? at[i] : '.', stderr);
            fprintf(stderr, "\"");
        }
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&err_lock);
}

static void conn_close(conn_t *c) {
    if (!c->open) return;
    epoll_ctl(c->th->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->open = 0;
    if (--c->th->active == 0) c->th->t_end = now();
}

static void want_out(conn_t *c, int on) {
    struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
    epoll_ctl(c->th->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static int flush_out(conn_t *c) {
    while (c->outoff < c->outlen) {
        ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (w > 0) { c->outoff += (size_t)w; continue; }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) { want_out(c, 1); return 0; }
        conn_error(c, "send failed", NULL, 0);
        conn_close(c);
        return -1;
    }
    return 0;
}

/* Build and send the next batch, or close the connection when the run is over. */
static void start_batch(conn_t *c) {
    thread_t *th = c->th;
    uint64_t left;
    if (duration > 0 && !load_mode) left = now() < deadline ? (uint64_t)depth : 0;
    else left = c->budget - c->issued;
    if (left == 0) { conn_close(c); return; }
    int nb = left < (uint64_t)depth ? (int)left : depth;
    char *p = c->out;
    for (int i = 0; i < nb; i++) {
        req_t *r = &c->reqs[i];
        if (load_mode || c->seq++ % (uint64_t)(ratio + 1) == 0) {
            uint32_t k = load_mode ? (uint32_t)c->load_next++ : (uint32_t)(xorshift(&c->rng) % keyspace);
            r->is_set = 1; r->nkeys = 1; r->keys[0] = k;
            memcpy(p, "set ", 4); fmt_key(p + 4, k); p += 4 + KEY_LEN;
            p += sprintf(p, " 0 0 %d\r\n", VAL_LEN);
            fmt_val(p, k); p += VAL_LEN;
            memcpy(p, "\r\n", 2); p += 2;
            th->sets++;
        } else {
            r->is_set = 0; r->nkeys = (uint8_t)mget;
            memcpy(p, "get", 3); p += 3;
            for (int j = 0; j < mget; j++) {
                uint32_t k = (uint32_t)(xorshift(&c->rng) % keyspace);
                r->keys[j] = k;
                *p++ = ' '; fmt_key(p, k); p += KEY_LEN;
            }
            memcpy(p, "\r\n", 2); p += 2;
            th->gets++; th->keys_asked += (uint64_t)mget;
        }
    }
    th->issued += (uint64_t)nb;
    c->issued += (uint64_t)nb;
    c->nreq = nb; c->done = 0;
    c->outlen = (size_t)(p - c->out); c->outoff = 0;
    c->inlen = c->inpos = 0;
    flush_out(c);
}

/* Find "\r\n" in [s, e): returns the line length, or -1 if not complete. */
static long line_len(const char *s, const char *e) {
    const char *q = memchr(s, '\n', (size_t)(e - s));
    if (!q) return -1;
    return (q > s && q[-1] == '\r') ? q - s - 1 : -2;
}

/* Parse one reply for r at c->in + c->inpos.  >0: bytes consumed; 0: need
 * more data; -1: protocol error (already reported). */
static long parse_reply(conn_t *c, const req_t *r, uint64_t *hits) {
    const char *s = c->in + c->inpos, *e = c->in + c->inlen, *p = s;
    char kbuf[KEY_LEN + 1], vbuf[VAL_LEN + 1];
    int j = 0;
    *hits = 0;
    for (;;) {
        long n = line_len(p, e);
        if (n == -1) {
            if (e - p > 4096) { conn_error(c, "overlong reply line", p, 80); return -1; }
            return 0;
        }
        if (n == -2) { conn_error(c, "line not ended by CRLF", p, 80); return -1; }
        if (r->is_set) {
            if (n == 6 && !memcmp(p, "STORED", 6)) return n + 2;
            conn_error(c, "set: expected STORED, got", p, (size_t)n);
            return -1;
        }
        if (n == 3 && !memcmp(p, "END", 3)) return (p - s) + 5;
        /* VALUE <16-byte key> 0 32 */
        if (n != 6 + KEY_LEN + 5 || memcmp(p, "VALUE ", 6) || memcmp(p + 6 + KEY_LEN, " 0 32", 5)) {
            conn_error(c, "get: expected 'VALUE <key> 0 32' or END, got", p, (size_t)n);
            return -1;
        }
        int found = -1;
        for (; j < r->nkeys; j++) {
            fmt_key(kbuf, r->keys[j]);
            if (!memcmp(p + 6, kbuf, KEY_LEN)) { found = j++; break; }
        }
        if (found < 0) { conn_error(c, "get: VALUE for a key not asked (or out of order)", p, (size_t)n); return -1; }
        p += n + 2;
        if (e - p < VAL_LEN + 2) return 0;
        fmt_val(vbuf, r->keys[found]);
        if (memcmp(p, vbuf, VAL_LEN) || p[VAL_LEN] != '\r' || p[VAL_LEN + 1] != '\n') {
            conn_error(c, "get: wrong data block", p, VAL_LEN + 2);
            return -1;
        }
        p += VAL_LEN + 2;
        (*hits)++;
    }
}

static void on_readable(conn_t *c) {
    thread_t *th = c->th;
    if (c->incap - c->inlen < 4096) {
        size_t ncap = c->incap * 2;
        char *nb = ncap <= MAX_INBUF ? realloc(c->in, ncap) : NULL;
        if (!nb) { conn_error(c, "reply buffer limit", NULL, 0); conn_close(c); return; }
        c->in = nb; c->incap = ncap;
    }
    ssize_t rd = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
    if (rd < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (rd <= 0) {
        conn_error(c, rd == 0 ? "server closed the connection" : "recv failed", NULL, 0);
        conn_close(c);
        return;
    }
    c->inlen += (size_t)rd;
    while (c->done < c->nreq) {
        const req_t *r = &c->reqs[c->done];
        uint64_t h;
        long used = parse_reply(c, r, &h);
        if (used == 0) return;
        if (used < 0) { conn_close(c); return; }
        c->inpos += (size_t)used;
        c->done++;
        th->completed++;
        if (!r->is_set) { th->hits += h; th->misses += r->nkeys - h; }
    }
    if (c->inpos != c->inlen) {
        conn_error(c, "unexpected extra bytes after the last reply", c->in + c->inpos, c->inlen - c->inpos);
        conn_close(c);
        return;
    }
    start_batch(c);
}

static void *thread_main(void *arg) {
    thread_t *th = arg;
    struct epoll_event evs[256];
    th->epfd = epoll_create1(0);
    for (int i = 0; i < th->nconns; i++) {
        conn_t *c = &th->conns[i];
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        inet_pton(AF_INET, host, &sa.sin_addr);
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            fprintf(stderr, "mcload: connect %s:%d: %s\n", host, port, strerror(errno));
            exit(2);
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(th->epfd, EPOLL_CTL_ADD, c->fd, &ev);
        c->open = 1;
    }
    th->active = th->nconns;
    pthread_barrier_wait(&barrier);   /* main sets t_start / deadline */
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < th->nconns; i++) start_batch(&th->conns[i]);
    double last = now();
    while (th->active > 0) {
        int n = epoll_wait(th->epfd, evs, 256, 1000);
        if (n < 0 && errno != EINTR) { perror("mcload: epoll_wait"); break; }
        if (n > 0) last = now();
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (c->open && (evs[i].events & EPOLLOUT) && flush_out(c) == 0 && c->outoff == c->outlen)
                want_out(c, 0);
            if (c->open && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(c);
        }
        if (n == 0 && now() - last > stall_s) {
            for (int i = 0; i < th->nconns; i++)
                if (th->conns[i].open) {
                    conn_error(&th->conns[i], "no reply within the stall timeout", NULL, 0);
                    conn_close(&th->conns[i]);
                }
        }
    }
    if (th->t_end == 0) th->t_end = now();
    close(th->epfd);
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: mcload -p PORT [-h 127.0.0.1] [-c conns] [-n requests | -d seconds] "
                    "[-k keyspace] [-P depth] [-g keys-per-get] [-r gets-per-set] [-T threads] "
                    "[-L] [-s seed] [-S stall-seconds]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int o;
    while ((o = getopt(argc, argv, "h:p:c:n:d:k:P:g:r:T:Ls:S:")) != -1) {
        switch (o) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': nconns = atoi(optarg); break;
        case 'n': nreq_total = strtoull(optarg, NULL, 10); break;
        case 'd': duration = atof(optarg); break;
        case 'k': keyspace = strtoull(optarg, NULL, 10); break;
        case 'P': depth = atoi(optarg); break;
        case 'g': mget = atoi(optarg); break;
        case 'r': ratio = atoi(optarg); break;
        case 'T': nthreads = atoi(optarg); break;
        case 'L': load_mode = 1; break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'S': stall_s = atoi(optarg); break;
        default: usage();
        }
    }
    struct in_addr tmp;
    if (port <= 0 || port > 65535 || nconns < 1 || depth < 1 || mget < 1 || mget > MAX_MGET ||
        ratio < 0 || nthreads < 1 || keyspace < 1 || keyspace > UINT32_MAX || stall_s < 1 ||
        inet_pton(AF_INET, host, &tmp) != 1)
        usage();
    if (nthreads > nconns) nthreads = nconns;
    if (load_mode) { nreq_total = keyspace; duration = 0; }

    thread_t *ths = calloc((size_t)nthreads, sizeof(*ths));
    conn_t *conns = calloc((size_t)nconns, sizeof(*conns));
    size_t outcap = (size_t)depth * (8 + MAX_MGET * (KEY_LEN + 1) + VAL_LEN + 32);
    /* Every connection gets a fixed share of -n (and, with -L, a fixed key
     * range) and its own seeded key sequence, so each server sees exactly the
     * same requests whatever the timing. */
    uint64_t key_at = 0;
    for (int t = 0, ci = 0; t < nthreads; t++) {
        thread_t *th = &ths[t];
        th->idx = t;
        th->nconns = nconns / nthreads + (t < nconns % nthreads);
        th->conns = &conns[ci];
        for (int i = 0; i < th->nconns; i++, ci++) {
            conn_t *c = &conns[ci];
            c->id = ci; c->th = th;
            c->budget = nreq_total / (uint64_t)nconns + ((uint64_t)ci < nreq_total % (uint64_t)nconns);
            c->load_next = key_at;    /* -L: this connection stores [key_at, key_at + budget) */
            key_at += c->budget;
            c->reqs = calloc((size_t)depth, sizeof(req_t));
            c->out = malloc(outcap);
            c->incap = 16384; c->in = malloc(c->incap);
            c->rng = (seed * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)(ci + 1) * 0xD1B54A32D192ED03ull);
            if (!c->rng) c->rng = 1;
            c->seq = (uint64_t)ci;    /* spread the sets across connections */
            if (!c->reqs || !c->out || !c->in) { perror("mcload: malloc"); return 2; }
        }
    }
    pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
    for (int t = 0; t < nthreads; t++) pthread_create(&ths[t].tid, NULL, thread_main, &ths[t]);
    pthread_barrier_wait(&barrier);
    t_start = now();
    deadline = t_start + duration;
    pthread_barrier_wait(&barrier);

    thread_t tot = {0};
    double t_end = t_start;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(ths[t].tid, NULL);
        thread_t *th = &ths[t];
        tot.issued += th->issued; tot.completed += th->completed;
        tot.sets += th->sets; tot.gets += th->gets; tot.keys_asked += th->keys_asked;
        tot.hits += th->hits; tot.misses += th->misses; tot.errors += th->errors;
        if (th->t_end > t_end) t_end = th->t_end;
    }
    double el = t_end - t_start;
    if (el <= 0) el = 1e-9;
    uint64_t lost = tot.issued - tot.completed;
    /* keys touched = sets + keys asked by the gets that completed */
    double keys_done = (double)(tot.sets) + (double)(tot.hits + tot.misses);
    printf("mode=%s port=%d conns=%d threads=%d depth=%d mget=%d set:get=1:%d keyspace=%llu "
           "requests=%llu completed=%llu sets=%llu gets=%llu hits=%llu misses=%llu "
           "errors=%llu unanswered=%llu elapsed_s=%.3f ops_per_sec=%.0f keys_per_sec=%.0f\n",
           load_mode ? "load" : (mget > 1 ? "multiget" : (depth > 1 ? "pipelined" : "single")),
           port, nconns, nthreads, depth, mget, ratio, (unsigned long long)keyspace,
           (unsigned long long)tot.issued, (unsigned long long)tot.completed,
           (unsigned long long)tot.sets, (unsigned long long)tot.gets,
           (unsigned long long)tot.hits, (unsigned long long)tot.misses,
           (unsigned long long)tot.errors, (unsigned long long)lost, el,
           tot.completed / el, keys_done / el);
    int ok = tot.errors == 0 && lost == 0 && (duration > 0 || tot.completed == nreq_total);
    return ok ? 0 : 1;
}
