/*
 * hitratio - cache-aside replay driver for the Cachet hit-ratio benchmark.
 *
 * Replays a deterministic key stream against a RESP server (raw RESP over
 * TCP) the way a cache-aside client would: for every request, GET key; if the
 * reply is nil (a miss), SET key value (100-byte value).  Prints the hit
 * ratio (hits / GETs after the warm-up), misses, errors and ops/s.
 *
 * Key streams (--trace), over --keys N distinct keys (default 1,000,000),
 * fully determined by --seed and the parameters below:
 *   zipf99  Zipf, alpha 0.99
 *   zipf07  Zipf, alpha 0.7
 *   scan    Zipf 0.99, plus after every --scan-every Zipf requests (default
 *           9 * scan-len) a one-pass sequential scan of --scan-len keys
 *           (default N/20, half of a 10 % cache) that are requested nowhere
 *           else: every scan uses fresh keys (ids N, N+1, ...), pure cache
 *           pollution, 10 % of all requests with the defaults
 *   shift   Zipf 0.99 whose ranks are rotated every --shift-every requests
 *           (default N/2): in phase k (k = request index / shift-every),
 *           rank r is served by the key of rank (r + k * shift-by) mod N of
 *           phase 0 (default shift-by N/2), so each phase's hot set is keys
 *           that were cold in the previous phase, and the old hot set goes cold
 * Zipf ranks are drawn by inversion of a precomputed CDF (N doubles, binary
 * search); rank r is the key id (r * 2654435761 + 12345) mod N, so hot keys
 * are spread over the id space (and over the connections).  --alpha
 * overrides the exponent of any trace.  The first --warmup-pct percent of
 * the requests (default 20) are sent but not counted.
 *
 * Ordering (cache-aside correctness with pipelining).  Every key is owned by
 * one of the -c connections (a hash of its id), so all requests for a key
 * travel, in trace order, on one connection.  Connection k belongs to driver
 * thread k mod T (-T, default 2); each thread generates the whole trace and
 * keeps the requests of its own connections.  A thread works in rounds: it
 * takes the next requests of the trace in order and appends each to its
 * connection's batch, until one would overflow a batch (-P GETs); that
 * request opens the next round.  Each connection then writes, in one send:
 * the SETs for the misses of its previous round, then its GETs; then the
 * thread reads all replies.  So a miss's SET reaches the server before any
 * later GET of that key.  A hot key can appear twice in one batch: if its
 * first GET misses, the later GETs of that batch were sent before the SET
 * they should have followed, so their nil is not counted: they are sent
 * again next round, right after the SET, and counted then ("retried_gets";
 * a GET of an absent key changes no eviction state in Redis).
 * --strict-rounds instead ends the round before a repeated key (exact, but
 * 2-3x slower with Zipf 0.99).  The threads stay within --max-skew trace
 * positions (2048) of each other.  Only the order among *different* keys
 * within a round, and between the threads, depends on scheduling;
 * -T 1 -c 1 -P 1 is the strict unpipelined replay (one request in flight).
 * --rate R paces the replay (request i is not sent before start + i/R):
 * Redis's LRU clock has a 1 s resolution, so its LRU hit ratio depends on the
 * request rate, and servers are best compared at the same rate.
 *
 * Keys are exactly 16 bytes ("key:%012u"), values exactly 100 bytes and a
 * function of the key; every hit is checked byte for byte, every SET must
 * answer +OK.  Anything else (error replies such as -OOM, wrong values,
 * protocol errors, a closed connection, --timeout seconds without a reply)
 * counts as an error; a connection-level error ends that thread's run.
 *
 * Modes:
 *   default          replay the trace against -p PORT
 *   --load K         SET keys with ids 0..K-1 once (same key/value format),
 *                    pipelined; used by hitratio.sh to calibrate maxmemory
 *   --simulate-lru K no server: replay the trace through an exact LRU cache
 *                    of K keys and print the same fields (a reference point)
 *
 * Output: one line of key=value fields on stdout (hit_ratio, hits, misses,
 * errors, ops_per_sec, ...).  Exit status 0 only if errors=0 and every
 * request was answered; 1 otherwise; 2 on usage / connect failure.
 *
 * Build: cc -O2 -o hitratio hitratio.c -lm -pthread   (no other dependencies)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define KEY_LEN 16
#define VAL_LEN 100
#define MAX_CONNS 64
#define MAX_DEPTH 1024
#define MAX_ERR_PRINT 5
#define SCRAMBLE_MUL 2654435761ull     /* prime > any allowed N: a bijection mod N */
#define SCRAMBLE_ADD 12345ull

enum trace { T_ZIPF99, T_ZIPF07, T_SCAN, T_SHIFT };
static const char *trace_names[] = {"zipf99", "zipf07", "scan", "shift"};

/* ---------------------------------------------------------------- options */
static const char *host = "127.0.0.1";
static int port, nconns = 4, nthreads = 2, depth = 16, timeout_s = 10;
static enum trace trace = T_ZIPF99;
static double alpha = -1;                      /* -1: the trace's own */
static uint64_t nkeys = 1000000, nreq = 5000000, seed = 1;
static double warmup_pct = 20;
static uint64_t scan_every, scan_len;          /* 0: defaults, see main() */
static uint64_t shift_every, shift_by;         /* 0: defaults, see main() */
static uint64_t load_keys, sim_lru;
static int strict;                             /* --strict-rounds */
static uint64_t max_skew = 2048;               /* --max-skew */
static double rate;                            /* --rate: requests/s, 0 = as fast as possible */
static double t_start;

/* ---------------------------------------------------------------- trace */
static double *cdf;                            /* cdf[r] = P(rank <= r) */

typedef struct {
    uint64_t rng;                              /* splitmix64 state */
    uint64_t index;                            /* requests generated so far */
    uint64_t zipf_since_scan, scan_left, scan_next_id;
} gen_t;

typedef struct { uint32_t id; uint8_t scan; } req_t;

static uint64_t rng_next(gen_t *g) {
    uint64_t z = (g->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void gen_init(gen_t *g) {
    memset(g, 0, sizeof *g);
    g->rng = seed * 0x2545F4914F6CDD1Dull + (uint64_t)trace;
}

static void zipf_init(double a) {
    cdf = malloc(nkeys * sizeof *cdf);
    if (!cdf) { perror("malloc"); exit(2); }
    double sum = 0;
    for (uint64_t r = 0; r < nkeys; r++) { sum += pow((double)(r + 1), -a); cdf[r] = sum; }
    for (uint64_t r = 0; r < nkeys; r++) cdf[r] /= sum;
    cdf[nkeys - 1] = 1.0;
}

/* Smallest r with cdf[r] > u, u uniform in [0, 1). */
static uint64_t zipf_rank(gen_t *g) {
    double u = (double)(rng_next(g) >> 11) * 0x1.0p-53;
    uint64_t lo = 0, hi = nkeys - 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u) hi = mid; else lo = mid + 1;
    }
    return lo;
}

static uint32_t scramble(uint64_t r) { return (uint32_t)((r * SCRAMBLE_MUL + SCRAMBLE_ADD) % nkeys); }

static req_t trace_next(gen_t *g) {
    req_t q = {0, 0};
    uint64_t i = g->index++;
    if (trace == T_SCAN) {
        if (g->scan_left == 0 && g->zipf_since_scan == scan_every) {
            g->scan_left = scan_len;
            g->zipf_since_scan = 0;
        }
        if (g->scan_left > 0) {
            g->scan_left--;
            q.id = (uint32_t)(nkeys + g->scan_next_id++);
            q.scan = 1;
            return q;
        }
        g->zipf_since_scan++;
    }
    uint64_t r = zipf_rank(g);
    if (trace == T_SHIFT) r = (r + (i / shift_every) * shift_by) % nkeys;
    q.id = scramble(r);
    return q;
}

/* Largest key id the trace can produce, + 1. */
static uint64_t trace_id_bound(void) {
    if (trace != T_SCAN) return nkeys;
    uint64_t scans = nreq / (scan_every + scan_len) + 1;
    return nkeys + scans * scan_len;
}

static void make_key(char *buf, uint32_t id) {       /* "key:%012u", no NUL */
    memcpy(buf, "key:", 4);
    for (int i = KEY_LEN - 1; i >= 4; i--) { buf[i] = (char)('0' + id % 10); id /= 10; }
}

static void make_val(char *buf, uint32_t id) {       /* "val:%012u:" + letters */
    make_key(buf, id);
    memcpy(buf, "val:", 4);
    buf[KEY_LEN] = ':';
    for (int i = KEY_LEN + 1; i < VAL_LEN; i++) buf[i] = (char)('a' + (id + (uint32_t)i) % 26);
}

/* ---------------------------------------------------------------- stats */
typedef struct {
    uint64_t gets, hits, misses, scan_gets, scan_hits;    /* after the warm-up */
    uint64_t all_gets, sets, errors, retries;
} stats_t;

static uint64_t warmup_n;
static int err_printed;

static void count_get(stats_t *st, uint64_t idx, int scan, int hit) {
    st->all_gets++;
    if (idx < warmup_n) return;
    st->gets++;
    if (hit) st->hits++; else st->misses++;
    if (scan) { st->scan_gets++; if (hit) st->scan_hits++; }
}

static void report_error(stats_t *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report_error(stats_t *st, const char *fmt, ...) {
    st->errors++;
    if (__atomic_fetch_add(&err_printed, 1, __ATOMIC_RELAXED) >= MAX_ERR_PRINT) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "hitratio: error: %s\n", msg);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- connections */
typedef struct { uint32_t id; uint8_t scan, missed; uint64_t idx; } get_t;

typedef struct {
    int fd;
    stats_t *st;
    char *out; size_t outlen, outcap;
    char *in; size_t inlen, inpos, incap;
    get_t gets[MAX_DEPTH]; int ngets;          /* this round's GETs */
    get_t retry[MAX_DEPTH]; int nretry;        /* GETs to send again next round */
    uint32_t *sets, *sets_next;                /* SETs sent this round / queued for next */
    int nsets, nsets_next;
} conn_t;

static conn_t conns[MAX_CONNS];

static void out_reserve(conn_t *c, size_t n) {
    if (c->outlen + n <= c->outcap) return;
    while (c->outlen + n > c->outcap) c->outcap = c->outcap ? c->outcap * 2 : 65536;
    c->out = realloc(c->out, c->outcap);
    if (!c->out) { perror("realloc"); exit(2); }
}

static void out_get(conn_t *c, uint32_t id) {
    out_reserve(c, 64);
    char *p = c->out + c->outlen;
    memcpy(p, "*2\r\n$3\r\nGET\r\n$16\r\n", 18);
    make_key(p + 18, id);
    memcpy(p + 18 + KEY_LEN, "\r\n", 2);
    c->outlen += 18 + KEY_LEN + 2;
}

static void out_set(conn_t *c, uint32_t id) {
    out_reserve(c, 64 + VAL_LEN);
    char *p = c->out + c->outlen;
    memcpy(p, "*3\r\n$3\r\nSET\r\n$16\r\n", 18);
    make_key(p + 18, id);
    memcpy(p + 18 + KEY_LEN, "\r\n$100\r\n", 8);
    make_val(p + 26 + KEY_LEN, id);
    memcpy(p + 26 + KEY_LEN + VAL_LEN, "\r\n", 2);
    c->outlen += 28 + KEY_LEN + VAL_LEN;
}

static int conn_open(conn_t *c, stats_t *st) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) { fprintf(stderr, "hitratio: bad host %s\n", host); return -1; }
    c->st = st;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) { perror("socket"); return -1; }
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "hitratio: connect %s:%d: %s\n", host, port, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = timeout_s};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    c->incap = 1 << 16;
    c->in = malloc(c->incap);
    c->sets = malloc(MAX_DEPTH * sizeof *c->sets);
    c->sets_next = malloc(MAX_DEPTH * sizeof *c->sets_next);
    if (!c->in || !c->sets || !c->sets_next) { perror("malloc"); exit(2); }
    return 0;
}

static int conn_flush(conn_t *c) {
    size_t off = 0;
    while (off < c->outlen) {
        ssize_t n = send(c->fd, c->out + off, c->outlen - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            report_error(c->st, "send: %s", errno == EAGAIN ? "timed out" : strerror(errno));
            return -1;
        }
        off += (size_t)n;
    }
    c->outlen = 0;
    return 0;
}

/* Make at least `need` unread bytes available in c->in. */
static int conn_fill(conn_t *c, size_t need) {
    while (c->inlen - c->inpos < need) {
        if (c->inpos > 0) {                     /* compact */
            memmove(c->in, c->in + c->inpos, c->inlen - c->inpos);
            c->inlen -= c->inpos;
            c->inpos = 0;
        }
        if (c->incap < need + 4096) {
            while (c->incap < need + 4096) c->incap *= 2;
            c->in = realloc(c->in, c->incap);
            if (!c->in) { perror("realloc"); exit(2); }
        }
        ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            report_error(c->st, "recv: %s", n == 0 ? "connection closed by server"
                         : errno == EAGAIN ? "no reply within timeout" : strerror(errno));
            return -1;
        }
        c->inlen += (size_t)n;
    }
    return 0;
}

/* Next CRLF-terminated line (without CRLF) -> *line, *len. */
static int conn_line(conn_t *c, const char **line, size_t *len) {
    for (size_t scanned = 0;;) {
        char *start = c->in + c->inpos;
        size_t avail = c->inlen - c->inpos;
        char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
        if (nl) {
            if (nl == start || nl[-1] != '\r') { report_error(c->st, "protocol: bare LF in reply"); return -1; }
            *line = start;
            *len = (size_t)(nl - start) - 1;
            c->inpos += (size_t)(nl - start) + 1;
            return 0;
        }
        scanned = avail;
        if (avail > (1u << 20)) { report_error(c->st, "protocol: reply line too long"); return -1; }
        if (conn_fill(c, avail + 1) < 0) return -1;
    }
}

#define SHOW(n) (int)((n) > 200 ? 200 : (n))

/* Read one SET reply.  Returns -1 on a connection-level failure. */
static int read_set_reply(conn_t *c, uint32_t id) {
    const char *l; size_t n;
    if (conn_line(c, &l, &n) < 0) return -1;
    c->st->sets++;
    if (n == 3 && memcmp(l, "+OK", 3) == 0) return 0;
    if (n > 0 && l[0] == '-') { report_error(c->st, "SET key:%012u: %.*s", id, SHOW(n), l); return 0; }
    report_error(c->st, "SET key:%012u: unexpected reply %.*s", id, SHOW(n), l);
    return -1;
}

/* Read one GET reply: *hit = 1 (the right value) or 0 (nil); -1 on a
 * connection-level failure.  An error reply or a wrong value counts as an
 * error and as a miss (so the key is SET again). */
static int read_get_reply(conn_t *c, uint32_t id, int *hit) {
    const char *l; size_t n;
    *hit = 0;
    if (conn_line(c, &l, &n) < 0) return -1;
    if (n == 3 && memcmp(l, "$-1", 3) == 0) return 0;
    if (n > 0 && l[0] == '-') { report_error(c->st, "GET key:%012u: %.*s", id, SHOW(n), l); return 0; }
    if (n < 2 || l[0] != '$') {
        report_error(c->st, "GET key:%012u: unexpected reply %.*s", id, SHOW(n), l);
        return -1;
    }
    char numbuf[24];
    size_t m = n - 1 < sizeof numbuf - 1 ? n - 1 : sizeof numbuf - 1;
    memcpy(numbuf, l + 1, m);
    numbuf[m] = 0;
    char *end;
    long len = strtol(numbuf, &end, 10);
    if (*end || len < 0 || len > (64 << 20)) {
        report_error(c->st, "GET key:%012u: bad bulk length %s", id, numbuf);
        return -1;
    }
    if (conn_fill(c, (size_t)len + 2) < 0) return -1;
    const char *body = c->in + c->inpos;
    c->inpos += (size_t)len + 2;
    if (body[len] != '\r' || body[len + 1] != '\n') {
        report_error(c->st, "GET key:%012u: bulk not CRLF-terminated", id);
        return -1;
    }
    char want[VAL_LEN];
    make_val(want, id);
    if (len != VAL_LEN || memcmp(body, want, VAL_LEN) != 0) {
        report_error(c->st, "GET key:%012u: wrong value (%ld bytes)", id, len);
        return 0;
    }
    *hit = 1;
    return 0;
}

static unsigned conn_of(uint32_t id) {
    uint32_t h = id * 0x9E3779B1u;
    return (unsigned)(((uint64_t)(h ^ (h >> 16)) * (uint64_t)nconns) >> 32);
}

/* ---------------------------------------------------------------- replay */
typedef struct {
    int idx, rc;
    pthread_t tid;
    gen_t gen;
    stats_t st;
    uint64_t pos;                   /* trace index before which all is answered */
} thread_t;

static thread_t threads[MAX_CONNS];

/* Lockstep: a thread does not send a request more than max_skew trace
 * positions ahead of the slowest thread.  Without it, the thread that owns
 * the hottest keys falls behind, the others finish early, and the tail of the
 * run sees only part of the key space (a higher, wrong hit ratio). */
static pthread_mutex_t pos_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pos_cond = PTHREAD_COND_INITIALIZER;

static void publish_pos(thread_t *th, uint64_t pos) {
    pthread_mutex_lock(&pos_lock);
    th->pos = pos;
    pthread_cond_broadcast(&pos_cond);
    pthread_mutex_unlock(&pos_lock);
}

/* The highest trace index this thread may send now; waits (if `wait`) until
 * it is above `from`. */
static uint64_t send_limit(thread_t *th, uint64_t from, int wait) {
    pthread_mutex_lock(&pos_lock);
    uint64_t lim;
    for (;;) {
        uint64_t min = UINT64_MAX;
        for (int t = 0; t < nthreads; t++)
            if (t != th->idx && threads[t].pos < min) min = threads[t].pos;
        lim = min == UINT64_MAX ? UINT64_MAX : min + max_skew;
        if (!wait || lim > from) break;
        pthread_cond_wait(&pos_cond, &pos_lock);
    }
    pthread_mutex_unlock(&pos_lock);
    return lim;
}

/* Connections k with k % nthreads == th->idx, driven in rounds (see top). */
static void *replay_thread(void *arg) {
    thread_t *th = arg;
    gen_t *g = &th->gen;
    int have_next = 0;
    req_t next = {0, 0};
    uint64_t next_idx = 0;
    gen_init(g);
    th->rc = -1;
    for (;;) {
        /* First, on each connection: the SETs for its misses of the last
         * round, then the GETs that round sent too early. */
        int pending = 0;
        for (int k = th->idx; k < nconns; k += nthreads) {
            conn_t *c = &conns[k];
            uint32_t *t = c->sets; c->sets = c->sets_next; c->sets_next = t;
            c->nsets = c->nsets_next; c->nsets_next = 0;
            for (int j = 0; j < c->nsets; j++) out_set(c, c->sets[j]);
            c->ngets = 0;
            for (int j = 0; j < c->nretry; j++) {
                c->gets[c->ngets] = c->retry[j];
                c->gets[c->ngets++].missed = 0;
                out_get(c, c->retry[j].id);
            }
            c->nretry = 0;
            pending += c->nsets + c->ngets;
        }
        /* Then this thread's part of the next segment of the trace, up to
         * max_skew positions past the slowest other thread. */
        uint64_t pos = have_next ? next_idx : g->index;
        uint64_t limit = send_limit(th, pos, pending == 0 && pos < nreq);
        if (rate > 0 && pos < nreq) {  /* --rate: request i is due at t_start + i / rate */
            double wait = t_start + (double)pos / rate - now_s();
            if (wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
        for (;;) {
            if (!have_next) {
                while (g->index < nreq) {
                    next_idx = g->index;
                    next = trace_next(g);
                    if (conn_of(next.id) % (unsigned)nthreads == (unsigned)th->idx) { have_next = 1; break; }
                }
                if (!have_next) break;
            }
            if (next_idx >= limit) break;
            conn_t *c = &conns[conn_of(next.id)];
            if (c->ngets == depth) break;
            if (strict) {
                int dup = 0;
                for (int j = 0; j < c->ngets && !dup; j++) dup = c->gets[j].id == next.id;
                if (dup) break;
            }
            c->gets[c->ngets++] = (get_t){next.id, next.scan, 0, next_idx};
            out_get(c, next.id);
            have_next = 0;
            pending++;
        }
        if (pending == 0) break;
        for (int k = th->idx; k < nconns; k += nthreads)
            if (conns[k].outlen && conn_flush(&conns[k]) < 0) goto fail;
        for (int k = th->idx; k < nconns; k += nthreads) {
            conn_t *c = &conns[k];
            for (int j = 0; j < c->nsets; j++)
                if (read_set_reply(c, c->sets[j]) < 0) goto fail;
            for (int j = 0; j < c->ngets; j++) {
                get_t *gt = &c->gets[j];
                int hit;
                if (read_get_reply(c, gt->id, &hit) < 0) goto fail;
                if (!hit) {
                    /* A nil for a key whose earlier GET in this batch already
                     * missed: in request order, that miss's SET comes first.
                     * Not counted; sent again next round, after the SET. */
                    int early = 0;
                    for (int e = 0; e < j && !early; e++)
                        early = c->gets[e].id == gt->id && c->gets[e].missed;
                    gt->missed = 1;
                    if (early) { c->retry[c->nretry++] = *gt; th->st.retries++; continue; }
                    c->sets_next[c->nsets_next++] = gt->id;
                }
                count_get(&th->st, gt->idx, gt->scan, hit);
            }
        }
        publish_pos(th, have_next ? next_idx : g->index);
    }
    th->rc = 0;
fail:
    publish_pos(th, UINT64_MAX);    /* never hold the others back */
    return NULL;
}

/* --load: SET ids 0..load_keys-1 over all connections, -P per batch. */
static int load(void) {
    uint64_t next_id = 0;
    while (next_id < load_keys) {
        for (int k = 0; k < nconns; k++) {
            conn_t *c = &conns[k];
            c->nsets = 0;
            while (c->nsets < depth && next_id < load_keys) {
                c->sets[c->nsets++] = (uint32_t)next_id;
                out_set(c, (uint32_t)next_id++);
            }
            if (c->outlen && conn_flush(c) < 0) return -1;
        }
        for (int k = 0; k < nconns; k++)
            for (int j = 0; j < conns[k].nsets; j++)
                if (read_set_reply(&conns[k], conns[k].sets[j]) < 0) return -1;
    }
    return 0;
}

/* --simulate-lru: exact LRU of `sim_lru` keys, a doubly linked list over ids. */
static void simulate_lru(stats_t *st) {
    uint64_t bound = trace_id_bound();
    const uint32_t NIL = UINT32_MAX;
    uint32_t *prev = malloc(bound * sizeof *prev), *nxt = malloc(bound * sizeof *nxt);
    uint8_t *in = calloc(bound, 1);
    if (!prev || !nxt || !in) { perror("malloc"); exit(2); }
    uint32_t head = NIL, tail = NIL;           /* head = most recent */
    uint64_t size = 0;
    gen_t g;
    gen_init(&g);
    for (uint64_t i = 0; i < nreq; i++) {
        req_t q = trace_next(&g);
        uint32_t id = q.id;
        int hit = in[id];
        count_get(st, i, q.scan, hit);
        if (hit) {                               /* unlink */
            if (prev[id] != NIL) nxt[prev[id]] = nxt[id]; else head = nxt[id];
            if (nxt[id] != NIL) prev[nxt[id]] = prev[id]; else tail = prev[id];
        } else {
            st->sets++;
            if (size == sim_lru) {               /* evict the tail */
                uint32_t v = tail;
                tail = prev[v];
                if (tail != NIL) nxt[tail] = NIL; else head = NIL;
                in[v] = 0;
                size--;
            }
            in[id] = 1;
            size++;
        }
        prev[id] = NIL;                          /* push front */
        nxt[id] = head;
        if (head != NIL) prev[head] = id; else tail = id;
        head = id;
    }
    free(prev); free(nxt); free(in);
}

/* ---------------------------------------------------------------- main */
static void usage(void) {
    fprintf(stderr,
        "usage: hitratio -p PORT [-h 127.0.0.1] [-c 4] [-T 2] [-P 16] [--trace zipf99|zipf07|scan|shift]\n"
        "                [-n requests=5000000] [--keys 1000000] [--warmup-pct 20] [--seed 1]\n"
        "                [--alpha A] [--scan-len keys/20] [--scan-every 9*scan-len]\n"
        "                [--shift-every keys/2] [--shift-by keys/2] [--timeout 10] [--strict-rounds]\n"
        "                [--max-skew 2048] [--rate requests_per_s]\n"
        "       hitratio -p PORT --load K [-c 4] [-P 16]        store keys 0..K-1 once\n"
        "       hitratio --simulate-lru K [trace options]       exact LRU of K keys, no server\n");
    exit(2);
}

static uint64_t parse_u64(const char *s, const char *what) {
    char *end;
    errno = 0;
    double d = strtod(s, &end);     /* accepts 5e6 */
    if (errno || end == s || *end || d < 0 || d > 1e15) {
        fprintf(stderr, "hitratio: bad %s: %s\n", what, s);
        exit(2);
    }
    return (uint64_t)d;
}

static void add_stats(stats_t *a, const stats_t *b) {
    a->gets += b->gets; a->hits += b->hits; a->misses += b->misses;
    a->scan_gets += b->scan_gets; a->scan_hits += b->scan_hits;
    a->all_gets += b->all_gets; a->sets += b->sets; a->errors += b->errors; a->retries += b->retries;
}

int main(int argc, char **argv) {
    enum { O_TRACE = 256, O_KEYS, O_WARM, O_SEED, O_ALPHA, O_SCAN_EVERY, O_SCAN_LEN,
           O_SHIFT_EVERY, O_SHIFT_BY, O_LOAD, O_SIM, O_TIMEOUT, O_STRICT, O_SKEW, O_RATE };
    static const struct option opts[] = {
        {"trace", 1, 0, O_TRACE}, {"keys", 1, 0, O_KEYS}, {"warmup-pct", 1, 0, O_WARM},
        {"seed", 1, 0, O_SEED}, {"alpha", 1, 0, O_ALPHA}, {"scan-every", 1, 0, O_SCAN_EVERY},
        {"scan-len", 1, 0, O_SCAN_LEN}, {"shift-every", 1, 0, O_SHIFT_EVERY},
        {"shift-by", 1, 0, O_SHIFT_BY}, {"load", 1, 0, O_LOAD}, {"simulate-lru", 1, 0, O_SIM},
        {"timeout", 1, 0, O_TIMEOUT}, {"strict-rounds", 0, 0, O_STRICT},
        {"max-skew", 1, 0, O_SKEW}, {"rate", 1, 0, O_RATE}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h:p:c:T:P:n:", opts, NULL)) != -1) {
        switch (o) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': nconns = atoi(optarg); break;
        case 'T': nthreads = atoi(optarg); break;
        case 'P': depth = atoi(optarg); break;
        case 'n': nreq = parse_u64(optarg, "-n"); break;
        case O_TRACE: {
            int t = -1;
            for (int k = 0; k < 4; k++) if (strcmp(optarg, trace_names[k]) == 0) t = k;
            if (t < 0) { fprintf(stderr, "hitratio: unknown trace %s\n", optarg); usage(); }
            trace = (enum trace)t;
            break;
        }
        case O_KEYS: nkeys = parse_u64(optarg, "--keys"); break;
        case O_WARM: warmup_pct = atof(optarg); break;
        case O_SEED: seed = parse_u64(optarg, "--seed"); break;
        case O_ALPHA: alpha = atof(optarg); break;
        case O_SCAN_EVERY: scan_every = parse_u64(optarg, "--scan-every"); break;
        case O_SCAN_LEN: scan_len = parse_u64(optarg, "--scan-len"); break;
        case O_SHIFT_EVERY: shift_every = parse_u64(optarg, "--shift-every"); break;
        case O_SHIFT_BY: shift_by = parse_u64(optarg, "--shift-by"); break;
        case O_LOAD: load_keys = parse_u64(optarg, "--load"); break;
        case O_SIM: sim_lru = parse_u64(optarg, "--simulate-lru"); break;
        case O_TIMEOUT: timeout_s = atoi(optarg); break;
        case O_STRICT: strict = 1; break;
        case O_SKEW: max_skew = parse_u64(optarg, "--max-skew"); break;
        case O_RATE: rate = (double)parse_u64(optarg, "--rate"); break;
        default: usage();
        }
    }
    if (optind != argc || (!sim_lru && (port <= 0 || port > 65535)) || nconns < 1 || nconns > MAX_CONNS ||
        nthreads < 1 || nthreads > nconns || depth < 1 || depth > MAX_DEPTH || nkeys < 1 ||
        nkeys >= (1ull << 31) || nreq < 1 || max_skew < 1 || warmup_pct < 0 || warmup_pct >= 100 || timeout_s < 1 ||
        (load_keys && sim_lru))
        usage();
    if (alpha < 0) alpha = (trace == T_ZIPF07) ? 0.7 : 0.99;
    if (!shift_every) shift_every = nkeys / 2 ? nkeys / 2 : 1;
    if (!shift_by) shift_by = nkeys / 2 ? nkeys / 2 : 1;
    if (!scan_len) scan_len = nkeys / 20 ? nkeys / 20 : 1;
    if (!scan_every) scan_every = 9 * scan_len;
    if (trace_id_bound() >= (1ull << 32) || load_keys >= (1ull << 32)) {
        fprintf(stderr, "hitratio: too many keys\n");
        return 2;
    }
    warmup_n = (uint64_t)((double)nreq * warmup_pct / 100.0);
    if (!load_keys) zipf_init(alpha);

    stats_t st = {0};
    double t0 = now_s();
    int rc = 0;
    if (sim_lru) {
        simulate_lru(&st);
    } else {
        for (int k = 0; k < nconns; k++)
            if (conn_open(&conns[k], load_keys ? &st : &threads[k % nthreads].st) < 0) return 2;
        t0 = t_start = now_s();
        if (load_keys) {
            rc = load();
        } else {
            for (int t = 0; t < nthreads; t++) {
                threads[t].idx = t;
                if (pthread_create(&threads[t].tid, NULL, replay_thread, &threads[t]) != 0) {
                    perror("pthread_create");
                    return 2;
                }
            }
            for (int t = 0; t < nthreads; t++) {
                pthread_join(threads[t].tid, NULL);
                if (threads[t].rc != 0) rc = -1;
                add_stats(&st, &threads[t].st);
            }
        }
    }
    double secs = now_s() - t0;
    if (secs <= 0) secs = 1e-9;

    if (load_keys) {
        printf("mode=load keys=%llu sets=%llu errors=%llu seconds=%.3f ops_per_sec=%.0f\n",
               (unsigned long long)load_keys, (unsigned long long)st.sets, (unsigned long long)st.errors,
               secs, (double)st.sets / secs);
        return (rc == 0 && st.errors == 0 && st.sets == load_keys) ? 0 : 1;
    }
    uint64_t ops = st.all_gets + st.retries + st.sets;
    uint64_t zg = st.gets - st.scan_gets, zh = st.hits - st.scan_hits;
    printf("mode=%s trace=%s keys=%llu alpha=%.2f requests=%llu warmup=%llu seed=%llu",
           sim_lru ? "simulate-lru" : "replay", trace_names[trace], (unsigned long long)nkeys, alpha,
           (unsigned long long)nreq, (unsigned long long)warmup_n, (unsigned long long)seed);
    if (!sim_lru) printf(" conns=%d threads=%d pipeline=%d%s", nconns, nthreads, depth, strict ? " strict=1" : "");
    if (!sim_lru && rate > 0) printf(" rate=%.0f", rate);
    if (trace == T_SCAN)
        printf(" scan_every=%llu scan_len=%llu", (unsigned long long)scan_every, (unsigned long long)scan_len);
    if (trace == T_SHIFT)
        printf(" shift_every=%llu shift_by=%llu", (unsigned long long)shift_every, (unsigned long long)shift_by);
    if (sim_lru) printf(" capacity=%llu", (unsigned long long)sim_lru);
    printf(" gets=%llu hits=%llu misses=%llu hit_ratio=%.4f scan_gets=%llu hit_ratio_noscan=%.4f"
           " sets=%llu retried_gets=%llu errors=%llu completed=%llu ops=%llu seconds=%.3f ops_per_sec=%.0f\n",
           (unsigned long long)st.gets, (unsigned long long)st.hits, (unsigned long long)st.misses,
           st.gets ? (double)st.hits / (double)st.gets : 0.0, (unsigned long long)st.scan_gets,
           zg ? (double)zh / (double)zg : 0.0, (unsigned long long)st.sets, (unsigned long long)st.retries,
           (unsigned long long)st.errors, (unsigned long long)st.all_gets, (unsigned long long)ops, secs,
           (double)ops / secs);
    return (rc == 0 && st.errors == 0 && st.all_gets == nreq) ? 0 : 1;
}
