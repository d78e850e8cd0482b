/* snapshot.c - the snapshot thread, shard capture and save bookkeeping;
 * see snapshot.h for the consistency argument. */
#include "persistence/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "persistence/crc64.h"
#include "persistence/rdb_dump.h"
#include "persistence/snapshot_pace.h"
#include "server/commands/info.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/mem.h"
#include "server/keyspace/htable.h"

/* Old versions saved by writers in one shard, waiting for the snapshot
 * thread: RDB bytes, every run of keys opened by its SELECTDB. */
struct snap_capture {
    char *p;
    size_t len, cap;
    int db; /* database of the last key appended; -1: none yet */
};

/* The thread holds a shard lock for at most about this long per slice,
 * and hands the file at most about this many bytes per slice. */
#define SLICE_US 250
#define SLICE_BYTES (256 * 1024)
/* A collection of more elements than WALK_ELEMENTS is saved in parts of
 * WALK_STEP elements, the slice's time checked after each, so that no
 * value holds its shard lock for much longer than a slice (one step of
 * big hash fields is about 0.2 ms). */
#define WALK_ELEMENTS 1024
#define WALK_STEP 256

/* A big value being saved in parts by the snapshot thread.  Each slice's
 * bytes go to `part`, which the thread moves to `spill` after releasing
 * the lock (so no big buffer grows under it); they reach the file only
 * once the value is complete.  The entry stays unsettled until then, so a
 * writer that changes it first saves it whole (snapshot_keep_locked) and
 * sets `taken`: the thread then drops what it has. */
struct snap_walk {
    struct rdb_dump_walk w;
    int db;
    int active, taken; /* taken: set by a writer, under the shard lock */
    int complete, dropped; /* for the thread once the lock is released */
    struct rdb_buf part;
    struct { unsigned char *p; size_t len; } *spill;
    size_t nspill, spill_cap;
    uint64_t walks, taken_over; /* this save's walks, and those writers ended */
};

/* After the slice's lock is released: keep the slice's part aside. */
static void walk_spill(struct snap_walk *sw)
{
    if (!sw->part.len)
        return;
    if (sw->nspill == sw->spill_cap) {
        sw->spill_cap = sw->spill_cap ? 2 * sw->spill_cap : 64;
        sw->spill = xrealloc(sw->spill, sw->spill_cap * sizeof(*sw->spill));
    }
    unsigned char *p = xmalloc(sw->part.len);
    memcpy(p, sw->part.p, sw->part.len);
    sw->spill[sw->nspill].p = p;
    sw->spill[sw->nspill++].len = sw->part.len;
    sw->part.len = 0;
}

static void walk_drop(struct snap_walk *sw)
{
    for (size_t i = 0; i < sw->nspill; i++)
        free(sw->spill[i].p);
    sw->nspill = 0;
    sw->part.len = 0;
}

/* A table FLUSHDB/FLUSHALL emptied during the save (snapshot_adopt_locked):
 * nobody else can reach its entries any more, so the thread saves the
 * unsettled ones and frees them all without any lock. */
struct snap_orphan {
    struct snap_orphan *next;
    struct shard *s;
    int db;
    uint8_t mark; /* the shard's mark when it was emptied */
    struct htable ht;
};
/* Pushed by writers, taken all at once by the thread: lock-free, so the
 * thread never holds a lock a writer waits for outside the shard locks. */
static struct snap_orphan *orphans;

#define MAX_SAVEPOINTS 16
#define RETRY_DELAY_MS 5000 /* after a failed save, as Redis's CONFIG_BGSAVE_RETRY_DELAY */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER; /* the thread: work to do */
static pthread_cond_t done = PTHREAD_COND_INITIALIZER; /* SAVE callers: a save ended */
static pthread_t thread;
static int thread_running, stopping;
static int requested, in_progress;
static int premarked; /* the requester marked the start itself (BGSAVE) */
static int64_t mark_us; /* how long the last start held every shard lock */
static uint64_t finished; /* saves ended (ok or not), for SAVE waiters */
static int last_ok = 1;
static char last_err[256];
static int64_t start_ms, last_save_s, last_try_ms, last_duration_s = -1;
static uint64_t saves, dirty_at_start, dirty_at_save;
int snapshot_sweeping;
/* The save's instant (wall ms); keys expired by then are left out.
 * Written under every shard lock, read under one. */
static int64_t snap_start_ms;
static struct { int64_t secs; uint64_t changes; } points[MAX_SAVEPOINTS];
static int npoints;

static uint64_t total_dirty(void)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < ks_nshards(); i++)
        n += __atomic_load_n(&ks_shard(i)->dirty, __ATOMIC_RELAXED);
    return n;
}

/* ---- copy-on-write ---- */

/* The calling thread's encoder, reused for every old version it saves (its
 * LZF table is allocated once per thread). */
static pthread_key_t scratch_key; /* freed with its thread */
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
    rdb_buf_deinit(p);
    free(p);
}

static void scratch_key_init(void)
{
    if (pthread_key_create(&scratch_key, scratch_free) != 0)
        abort(); /* only at the first save; no key means no per-thread encoder */
}

static struct rdb_buf *scratch_buf(void)
{
    pthread_once(&scratch_once, scratch_key_init);
    struct rdb_buf *b = pthread_getspecific(scratch_key);
    if (!b) {
        b = xmalloc(sizeof(*b));
        rdb_buf_init(b, 0);
        pthread_setspecific(scratch_key, b);
    }
    b->flags = CFG(rdbcompression) ? RDB_COMPRESS : 0;
    b->len = 0;
    return b;
}

static void scratch_done(struct rdb_buf *b)
{
    if (b->cap > 4 * SLICE_BYTES) { /* after a big value saved whole */
        free(b->p);
        b->p = NULL;
        b->cap = b->len = 0;
    }
}

/* Settle e and, if it was live at the save's instant, append it to b
 * (after a SELECTDB when *cur_db is another database). */
static void save_entry(struct rdb_buf *b, int *cur_db, int db, struct entry *e, uint8_t mark)
{
    e->flags = (uint8_t)((e->flags & ~E_SNAP) | mark);
    if (!b)
        return;
    int64_t exp = entry_expire(e);
    if (exp >= 0 && exp <= snap_start_ms)
        return;
    if (*cur_db != db) {
        rdb_put_select_db(b, (uint64_t)db);
        *cur_db = db;
    }
    rdb_dump_entry(b, e);
}

static void capture_append(struct shard *s, const struct rdb_buf *b, int db)
{
    struct snap_capture *c = s->snap_cap;
    if (!c) {
        c = xcalloc(1, sizeof(*c));
        c->db = -1;
        s->snap_cap = c;
    }
    if (c->cap - c->len < b->len) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap - c->len < b->len)
            cap *= 2;
        c->p = xrealloc(c->p, cap);
        c->cap = cap;
    }
    memcpy(c->p + c->len, b->p, b->len);
    c->len += b->len;
    c->db = db;
}

/* A writer is saving e itself: the thread's walk over it, if any, is
 * void. */
static void end_walk_of(struct shard *s, const struct entry *e)
{
    struct snap_walk *sw = s->snap_walk;
    if (sw && sw->w.e == e) {
        sw->taken = 1;
        s->snap_walk = NULL;
    }
}

void snapshot_keep_locked(struct shard *s, int db, struct entry *e)
{
    db = s->db[db].snap_db;
    end_walk_of(s, e);
    struct rdb_buf *b = scratch_buf();
    int cur = s->snap_cap ? s->snap_cap->db : -1;
    save_entry(b, &cur, db, e, s->snap_mark);
    if (b->len)
        capture_append(s, b, cur);
    scratch_done(b);
}

void snapshot_guard_key(struct shard *s, int db, const char *key, size_t klen, uint64_t hash)
{
    struct ht_pos pos;
    if (s->snap_pending && ht_find(&s->db[db].ht, key, klen, hash, &pos))
        snapshot_keep(s, db, *pos.link);
}

/* A sweep of one shard: where it is, and where its output goes. */
struct sweep {
    int db;          /* database slot being swept */
    int save_db;     /* the database its table was at the instant */
    uint64_t cursor; /* its table's SCAN cursor */
    struct rdb_buf *b; /* NULL: settle without saving (the save failed) */
    int cur_db;      /* database of the last key put in b */
    uint8_t mark;
    struct shard *s;
    struct snap_walk *walk; /* the thread's sweep: big values in parts; NULL: whole */
    int skipped;     /* big values passed over while another was walked */
    uint64_t saved;  /* keys the thread saved (for rdb-key-save-delay) */
};

static void sweep_entry(struct entry *e, void *arg)
{
    struct sweep *w = arg;
    if ((e->flags & E_SNAP) == w->mark)
        return;
    if (w->walk && w->b && rdb_dump_elements(e) > WALK_ELEMENTS) {
        int64_t exp = entry_expire(e);
        if (exp < 0 || exp > snap_start_ms) { /* live at the instant: save in parts */
            struct snap_walk *sw = w->walk;
            if (sw->active) {
                w->skipped++; /* one walk at a time; the next pass takes it */
                return;
            }
            sw->active = 1;
            sw->taken = 0;
            sw->walks++;
            sw->db = w->save_db;
            sw->part.len = 0;
            sw->part.ndefer = 0;
            rdb_dump_begin(&sw->w, &sw->part, e);
            w->s->snap_walk = sw;
            return;
        }
    }
    save_entry(w->b, &w->cur_db, w->save_db, e, w->mark);
    w->saved++;
}

/* Go on with the thread's walk over a big value until it is complete or
 * the slice's time is up; returns 1 when no walk is left. */
static int walk_on(struct sweep *w, int64_t t0, int64_t budget_us)
{
    struct snap_walk *sw = w->walk;
    if (!sw || !sw->active)
        return 1;
    /* Each way out but "more to do" ends the slice, so that the thread
     * writes or drops the walk's bytes before it starts another walk. */
    if (sw->taken) { /* a writer saved it first */
        sw->active = 0;
        sw->dropped = 1;
        sw->taken_over++;
        return 0;
    }
    if (!w->b) { /* the save failed meanwhile: settle it unsaved */
        save_entry(NULL, &w->cur_db, sw->db, sw->w.e, w->mark);
        w->s->snap_walk = NULL;
        sw->active = 0;
        sw->dropped = 1;
        return 0;
    }
    for (;;) {
        int r = rdb_dump_step(&sw->w, &sw->part, WALK_STEP);
        if (r < 0) { /* cannot happen: any change ends the walk; save it whole */
            struct entry *e = sw->w.e;
            w->s->snap_walk = NULL;
            sw->active = 0;
            sw->dropped = 1;
            save_entry(w->b, &w->cur_db, sw->db, e, w->mark);
            return 0;
        }
        if (r == 1) { /* complete: the slice ends, and the part goes out after it */
            struct entry *e = sw->w.e;
            e->flags = (uint8_t)((e->flags & ~E_SNAP) | w->mark);
            w->s->snap_walk = NULL;
            sw->active = 0;
            sw->complete = 1;
            return 0;
        }
        if (budget_us >= 0 && clock_mono_us() - t0 > budget_us)
            return 0;
    }
}

/* Sweep s (locked) from where w stands, for at most budget_us (< 0: no
 * limit); returns 1 when every database has been swept. */
static int sweep_shard(struct shard *s, struct sweep *w, int64_t budget_us)
{
    int64_t t0 = budget_us >= 0 ? clock_mono_us() : 0;
    w->mark = s->snap_mark;
    w->s = s;
    if (s->snap_rescan) { /* SWAPDB moved the tables under the cursor */
        s->snap_rescan = 0;
        w->db = 0;
        w->cursor = 0;
        w->skipped = 0;
    }
    for (;;) {
        if (!walk_on(w, t0, budget_us))
            return 0;
        if (w->db >= ks_ndb()) {
            if (!w->skipped)
                return 1;
            w->skipped = 0; /* another pass for the big values passed over */
            w->db = 0;
            w->cursor = 0;
        }
        struct htable *h = &s->db[w->db].ht;
        w->save_db = s->db[w->db].snap_db;
        w->cursor = ht_scan_n(h, w->cursor, 256, sweep_entry, w);
        if (!w->cursor)
            w->db++;
        if (budget_us >= 0 &&
            (clock_mono_us() - t0 > budget_us || (w->b && w->b->len >= SLICE_BYTES)))
            return w->db >= ks_ndb() && !w->skipped && !(w->walk && w->walk->active) ? 1 : 0;
    }
}

int snapshot_adopt_locked(struct shard *s, int db, struct htable *ht)
{
    if (!s->snap_pending || !ht_count(ht))
        return 0;
    struct snap_walk *sw = s->snap_walk;
    if (sw && sw->db == s->db[db].snap_db) { /* its value is in the table: saved from there */
        sw->taken = 1;
        s->snap_walk = NULL;
    }
    struct snap_orphan *o = xmalloc(sizeof(*o));
    o->s = s;
    o->db = s->db[db].snap_db;
    o->mark = s->snap_mark;
    o->ht = *ht;
    o->next = __atomic_load_n(&orphans, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&orphans, &o->next, o, 1, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
        ;
    return 1;
}

void snapshot_swapped_locked(struct shard *s, int a, int b)
{
    if (s->snap_pending) {
        s->snap_rescan = 1; /* the sweep's cursor was over one of those tables */
    } else {
        s->db[a].snap_db = a;
        s->db[b].snap_db = b;
    }
}

/* The sweep has saved all of s (locked): no database is remembered under
 * another number any more. */
static void shard_done_locked(struct shard *s)
{
    s->snap_pending = 0;
    s->snap_rescan = 0;
    for (int d = 0; d < ks_ndb(); d++)
        s->db[d].snap_db = d;
}


/* ---- the file ---- */

struct out {
    int fd;
    uint64_t crc;
    int err; /* errno of the first failure */
};

static void out_write(struct out *o, const char *p, size_t n)
{
    o->crc = crc64(o->crc, p, n);
    while (n && !o->err) {
        ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            if (errno != EINTR)
                o->err = errno;
            continue;
        }
        p += w;
        n -= (size_t)w;
    }
}

static void out_capture(struct out *o, struct snap_capture *c)
{
    if (!c)
        return;
    if (!o->err)
        out_write(o, c->p, c->len);
    free(c->p);
    free(c);
}

static int fsync_dir(void)
{
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* rdb-key-save-delay: sleep for the keys swept since the last call, off the
 * locks (Redis sleeps per key in its child). */
static void key_save_delay(struct sweep *w, struct pace *p)
{
    long long d = CFG(rdb_key_save_delay);
    uint64_t n = w->saved;
    w->saved = 0;
    if (d && n) {
        uint64_t us = d > 0 ? n * (uint64_t)d : n / (uint64_t)-d;
        if (us > 1000000)
            us = 1000000;
        int64_t t0 = clock_mono_us();
        if (us)
            usleep((useconds_t)us);
        pace_slept(p, clock_mono_us() - t0);
    }
}


/* Hand a slice to the file: b as swept (its deferred strings compressed
 * into z first), then empty both. */
static void out_slice(struct out *o, struct rdb_buf *b, struct rdb_buf *z)
{
    if (!o->err && b->ndefer) {
        rdb_buf_compress(b, z);
        out_write(o, (const char *)z->p, z->len);
        z->len = 0;
    } else if (!o->err) {
        out_write(o, (const char *)b->p, b->len);
    }
    b->len = 0;
    b->ndefer = 0;
}

static void orphan_free_entry(struct entry *e, void *arg)
{
    *(size_t *)arg -= entry_mem(e);
    entry_free(e);
}

/* Save and free every table flushed during the save so far (no lock is
 * needed for their entries), slice by slice like the sweep; each one's
 * memory comes off its shard once it is freed.  Returns how many. */
static uint64_t save_orphans(struct out *o, struct rdb_buf *b, struct rdb_buf *z,
                             struct pace *pace)
{
    uint64_t n = 0;
    struct snap_orphan *list = NULL;
    for (;;) {
        if (!list)
            list = __atomic_exchange_n(&orphans, NULL, __ATOMIC_ACQUIRE);
        struct snap_orphan *t = list;
        if (!t)
            return n;
        list = t->next;
        n++;
        struct sweep w = {.db = t->db, .save_db = t->db, .cur_db = -1, .mark = t->mark,
                          .s = t->s};
        do {
            int64_t t0 = clock_mono_us();
            w.b = o->err ? NULL : b;
            w.cur_db = -1;
            do
                w.cursor = ht_scan_n(&t->ht, w.cursor, 256, sweep_entry, &w);
            while (w.cursor && clock_mono_us() - t0 < SLICE_US && b->len < SLICE_BYTES);
            out_slice(o, b, z);
            pace_slice(pace, t0);
        } while (w.cursor);
        size_t acct = 0; /* what the entries and buckets held, as a negative delta */
        t->ht.memctr = &acct;
        ht_deinit(&t->ht, orphan_free_entry, &acct);
        pace_lock(t->s);
        shard_mem_add(t->s, (long long)acct);
        pace_unlock(t->s);
        free(t);
    }
}

/* Write the snapshot marked at the start instant; 0 or -1 (err set). */
static int write_snapshot(char *err, size_t cap)
{
    static uint64_t seq;
    char tmp[64], target[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "temp-%d-%llu.rdb", (int)getpid(), (unsigned long long)++seq);
    config_copy_string("dbfilename", target, sizeof(target));
    struct out o = {open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 0, 0};
    if (o.fd < 0)
        o.err = errno;
    if (!o.err) {
        struct rdb_buf b;
        rdb_buf_init(&b, CFG(rdbcompression) ? RDB_COMPRESS : 0);
        rdb_dump_header(&b, info_used_memory());
        out_write(&o, (const char *)b.p, b.len);
        rdb_buf_deinit(&b);
    }
    /* Sweep every shard in slices, writing each slice and what writers
     * saved meanwhile.  After a failure keep sweeping without saving, so
     * every entry is settled for the next save. */
    struct rdb_buf b, z; /* a slice as copied under the lock; compressed after */
    rdb_buf_init(&b, CFG(rdbcompression) ? RDB_COMPRESS | RDB_DEFER : 0);
    rdb_buf_init(&z, RDB_COMPRESS);
    struct snap_walk walk = {0}; /* the big value being saved in parts */
    rdb_buf_init(&walk.part, CFG(rdbcompression) ? RDB_COMPRESS : 0);
    /* How long the sweep held shard locks: in all, the longest hold, and
     * the most CPU one hold took (a hold outlasts its CPU time when the
     * kernel preempts the thread holding it). */
    uint64_t slices = 0, flushed = 0;
    int64_t held_us = 0, held_max_us = 0, held_cpu_max_us = 0;
    struct pace pace;
    pace_begin(&pace);
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        struct sweep w = {.cur_db = -1, .s = s, .walk = &walk};
        int swept = 0;
        while (!swept) {
            if (__atomic_load_n(&orphans, __ATOMIC_RELAXED)) /* free flushed memory first */
                flushed += save_orphans(&o, &b, &z, &pace);
            w.b = o.err ? NULL : &b;
            w.cur_db = -1;
            int64_t t0 = clock_mono_us();
            pace_lock(s);
            int64_t locked = clock_mono_us(), locked_cpu = clock_thread_cpu_us();
            swept = !s->snap_pending || sweep_shard(s, &w, SLICE_US);
            if (swept)
                shard_done_locked(s);
            struct snap_capture *c = s->snap_cap;
            s->snap_cap = NULL;
            int64_t held = clock_mono_us() - locked, held_cpu = clock_thread_cpu_us() - locked_cpu;
            pace_unlock(s);
            slices++;
            held_us += held;
            if (held > held_max_us)
                held_max_us = held;
            if (held_cpu > held_cpu_max_us)
                held_cpu_max_us = held_cpu;
            key_save_delay(&w, &pace);
            out_slice(&o, &b, &z);
            walk_spill(&walk);
            if (walk.complete) {
                if (!o.err) {
                    rdb_put_select_db(&z, (uint64_t)walk.db);
                    out_write(&o, (const char *)z.p, z.len);
                    z.len = 0;
                    for (size_t k = 0; k < walk.nspill; k++)
                        out_write(&o, (const char *)walk.spill[k].p, walk.spill[k].len);
                }
                walk.complete = 0;
                walk_drop(&walk);
            }
            if (walk.dropped) {
                walk.dropped = 0;
                walk_drop(&walk);
            }
            out_capture(&o, c);
            pace_slice(&pace, t0);
        }
    }
    /* Every table flushed during the save is queued by now: a flush hands
     * one over only while its shard is pending, under that shard's lock,
     * and the sweep has since taken each shard's lock to finish it. */
    flushed += save_orphans(&o, &b, &z, &pace);
    pace_end(&pace);
    char pace_note[96];
    pace_describe(&pace, pace_note, sizeof(pace_note));
    if (walk.active && walk.taken) /* ended by a writer after its shard's last slice */
        walk.taken_over++;
    walk_drop(&walk);
    free(walk.spill);
    rdb_buf_deinit(&b);
    rdb_buf_deinit(&z);
    rdb_buf_deinit(&walk.part);
    log_notice("Snapshot swept in %llu slices: shard locks held %.1f ms in all, "
               "%lld us at most (%lld us of CPU at most); %llu big values saved in parts, "
               "%llu of them saved whole first by writers; %llu flushed tables saved "
               "off the locks; %s",
               (unsigned long long)slices, (double)held_us / 1000, (long long)held_max_us,
               (long long)held_cpu_max_us, (unsigned long long)walk.walks,
               (unsigned long long)walk.taken_over, (unsigned long long)flushed, pace_note);
    __atomic_store_n(&snapshot_sweeping, 0, __ATOMIC_RELAXED); /* nothing is pending */
    if (!o.err) { /* EOF, then the CRC-64 of everything before it (0: off) */
        const unsigned char eof = RDB_OPCODE_EOF;
        out_write(&o, (const char *)&eof, 1);
        uint64_t crc = CFG(rdbchecksum) ? o.crc : 0;
        unsigned char footer[8];
        for (int i = 0; i < 8; i++)
            footer[i] = (unsigned char)(crc >> (8 * i));
        out_write(&o, (const char *)footer, 8);
    }
    if (!o.err && fsync(o.fd) != 0)
        o.err = errno;
    if (o.fd >= 0 && close(o.fd) != 0 && !o.err)
        o.err = errno;
    if (!o.err && rename(tmp, target) != 0)
        o.err = errno;
    if (!o.err && fsync_dir() != 0)
        o.err = errno;
    if (o.err) {
        snprintf(err, cap, "Failed saving the DB: %s", strerror(o.err));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Mark every shard pending at one instant (all locks held together). */
static void mark_start(void)
{
    int64_t t0 = clock_mono_us();
    shard_lock_all();
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        s->snap_pending = 1;
        s->snap_mark ^= E_SNAP; /* every entry is now unsettled */
    }
    snap_start_ms = clock_wall_ms();
    __atomic_store_n(&snapshot_sweeping, 1, __ATOMIC_RELAXED);
    uint64_t d = total_dirty();
    shard_unlock_all();
    int64_t took = clock_mono_us() - t0;
    pthread_mutex_lock(&lock);
    dirty_at_start = d;
    mark_us = took;
    pthread_mutex_unlock(&lock);
}

static void *snapshot_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "snapshot");
    mem_thread_own_arena(); /* see mem.h: it may be preempted at idle priority */
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!requested && !stopping)
            pthread_cond_wait(&wake, &lock);
        if (!requested)
            break;
        requested = 0;
        in_progress = 1;
        start_ms = clock_wall_ms();
        saves++; /* counted when started, as Redis counts rdb_saves */
        pthread_mutex_unlock(&lock);

        pthread_mutex_lock(&lock);
        int marked = premarked;
        premarked = 0;
        pthread_mutex_unlock(&lock);
        if (!marked)
            mark_start();
        pthread_mutex_lock(&lock);
        int64_t held = mark_us;
        pthread_mutex_unlock(&lock);
        log_notice("Background saving started (every shard lock held for %lld us)",
                   (long long)held);
        char err[256] = "";
        int rc = write_snapshot(err, sizeof(err));
        int64_t end = clock_wall_ms();

        pthread_mutex_lock(&lock);
        in_progress = 0;
        last_ok = rc == 0;
        last_try_ms = end;
        last_duration_s = (end - start_ms + 500) / 1000;
        if (rc == 0) {
            last_save_s = end / 1000;
            dirty_at_save = dirty_at_start;
        } else {
            snprintf(last_err, sizeof(last_err), "%s", err);
        }
        finished++;
        pthread_cond_broadcast(&done);
        pthread_mutex_unlock(&lock);
        if (rc == 0)
            log_notice("DB saved on disk");
        else
            log_warning("%s", err);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

void snapshot_init(void)
{
    pace_init();
    pthread_mutex_lock(&lock);
    last_save_s = clock_wall_ms() / 1000;
    stopping = 0;
    thread_running = pthread_create(&thread, NULL, snapshot_main, NULL) == 0;
    pthread_mutex_unlock(&lock);
}

void snapshot_deinit(void)
{
    pthread_mutex_lock(&lock);
    int running = thread_running;
    stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    if (running)
        pthread_join(thread, NULL);
    thread_running = 0;
}

int snapshot_bgsave(int in_transaction, char *err, size_t cap)
{
    pthread_mutex_lock(&lock);
    if (in_progress || requested) { /* SCHEDULE too: no other kind of child could be in the way */
        snprintf(err, cap, "ERR Background save already in progress");
        pthread_mutex_unlock(&lock);
        return -1;
    }
    in_progress = 1; /* INFO shows it from the reply on; no other save starts */
    start_ms = clock_wall_ms();
    pthread_mutex_unlock(&lock);
    /* The snapshot is the dataset as of the reply, as with Redis's fork:
     * mark the start here, unless inside EXEC, which holds shard locks -
     * then the thread marks it once EXEC lets go ("scheduled"). */
    if (!in_transaction)
        mark_start();
    pthread_mutex_lock(&lock);
    requested = 1;
    premarked = !in_transaction;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    return in_transaction;
}

int snapshot_save_sync(int wait_running, char *err, size_t cap)
{
    pthread_mutex_lock(&lock);
    while (wait_running && (in_progress || requested))
        pthread_cond_wait(&done, &lock);
    if (in_progress || requested) {
        pthread_mutex_unlock(&lock);
        snprintf(err, cap, "ERR Background save already in progress");
        return -1;
    }
    requested = 1;
    uint64_t target = finished + 1;
    pthread_cond_signal(&wake);
    while (finished < target)
        pthread_cond_wait(&done, &lock);
    int ok = last_ok;
    if (!ok)
        snprintf(err, cap, "ERR %s", last_err);
    pthread_mutex_unlock(&lock);
    return ok ? 0 : -1;
}

int snapshot_has_savepoints(void)
{
    pthread_mutex_lock(&lock);
    int n = npoints;
    pthread_mutex_unlock(&lock);
    return n > 0;
}

void snapshot_tick(int64_t now_ms)
{
    pthread_mutex_lock(&lock);
    int busy = in_progress || requested;
    int64_t since_s = now_ms / 1000 - last_save_s;
    /* after a failure, retry only after a delay, as Redis does */
    int may_retry = last_ok || now_ms - last_try_ms >= RETRY_DELAY_MS;
    uint64_t at = dirty_at_save;
    int np = npoints;
    pthread_mutex_unlock(&lock);
    if (busy || !may_retry || !np)
        return;
    uint64_t changes = total_dirty() - at;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < npoints; i++) {
        if (changes >= points[i].changes && since_s > points[i].secs && !in_progress &&
            !requested) {
            log_notice("%llu changes in %lld seconds. Saving...",
                       (unsigned long long)points[i].changes, (long long)points[i].secs);
            requested = 1;
            pthread_cond_signal(&wake);
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

int snapshot_writes_refused(void)
{
    if (!CFG(stop_writes_on_bgsave_error))
        return 0;
    pthread_mutex_lock(&lock);
    int refused = !last_ok && npoints > 0;
    pthread_mutex_unlock(&lock);
    return refused;
}

const char *snapshot_set_savepoints(const char *spec)
{
    long long v[2 * MAX_SAVEPOINTS];
    int n = 0;
    const char *p = spec;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (end == p || errno || x < 0 || (*end && *end != ' '))
            return "Invalid save parameters";
        if (n == 2 * MAX_SAVEPOINTS)
            return "Too many save points";
        v[n++] = x;
        p = end;
    }
    if (n % 2)
        return "Invalid save parameters";
    pthread_mutex_lock(&lock);
    npoints = n / 2;
    for (int i = 0; i < npoints; i++) {
        points[i].secs = v[2 * i];
        points[i].changes = (uint64_t)v[2 * i + 1];
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

void snapshot_mark_clean(void)
{
    uint64_t d = total_dirty();
    pthread_mutex_lock(&lock);
    dirty_at_save = d;
    last_save_s = clock_wall_ms() / 1000;
    pthread_mutex_unlock(&lock);
}

void snapshot_status(struct snapshot_status *out)
{
    uint64_t d = total_dirty();
    pthread_mutex_lock(&lock);
    out->in_progress = in_progress;
    out->current_start_ms = start_ms;
    out->last_save_s = last_save_s;
    out->last_ok = last_ok;
    out->last_duration_s = last_duration_s;
    out->saves = saves;
    out->changes_since_save = d - dirty_at_save;
    pthread_mutex_unlock(&lock);
}
