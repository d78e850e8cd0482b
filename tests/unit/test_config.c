/* test_config.c - unit tests for server/core/config (loading from argv and
 * files, CONFIG GET formatting, all-or-nothing CONFIG SET, REWRITE round
 * trips) and the pure helpers of server/core/util (glob, strict integer
 * parsing, memory units, long double formatting). */
#include "tests/unit/unit.h"

#include "server/core/config.h"
#include "server/core/util.h"

#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct got {
    int n;
    char names[64][64];
    char values[64][256];
};

static void emit_cb(void *arg, const char *name, const char *value)
{
    struct got *g = arg;
    if (g->n >= 64)
        return;
    snprintf(g->names[g->n], sizeof(g->names[0]), "%s", name);
    snprintf(g->values[g->n], sizeof(g->values[0]), "%s", value);
    g->n++;
}

static struct got get_pat(const char *pattern)
{
    struct got g;
    memset(&g, 0, sizeof(g));
    config_get(pattern, strlen(pattern), emit_cb, &g);
    return g;
}

/* CONFIG GET of one option: its value, or "(none)" / "(several)". */
static const char *get1(const char *name)
{
    static char buf[256];
    struct got g = get_pat(name);
    if (g.n != 1)
        return g.n ? "(several)" : "(none)";
    snprintf(buf, sizeof(buf), "%s", g.values[0]);
    return buf;
}

/* CONFIG SET of n name/value pairs; returns NULL or the error text. */
static const char *set_pairs(int n, const char **nv, char *err, size_t errcap)
{
    const char *names[16], *values[16];
    size_t nl[16], vl[16];
    for (int i = 0; i < n; i++) {
        names[i] = nv[2 * i];
        values[i] = nv[2 * i + 1];
        nl[i] = strlen(names[i]);
        vl[i] = strlen(values[i]);
    }
    return config_set(n, names, nl, values, vl, err, errcap);
}

static const char *set1(const char *name, const char *value, char *err, size_t errcap)
{
    const char *nv[2] = {name, value};
    return set_pairs(1, nv, err, errcap);
}

static int starts_with(const char *s, const char *prefix)
{
    return s && !strncmp(s, prefix, strlen(prefix));
}

static int load_defaults(void)
{
    return config_load(NULL, 0, NULL);
}

/* Run config_load with stderr captured into buf. */
static int load_capture(const char *path, int argc, char **argv, char *buf, size_t cap)
{
    char tmpl[] = "/tmp/cachet-stderr-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return -100;
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    int rc = config_load(path, argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(tmpl);
    return rc;
}

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char p[2][128];
    static int which;
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/cachet-cfgtest-XXXXXX");
        if (!mkdtemp(tmpdir))
            abort();
    }
    which ^= 1;
    snprintf(p[which], sizeof(p[which]), "%s/%s", tmpdir, name);
    return p[which];
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

/* The whole file, NUL-terminated (caller frees). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = malloc(65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* How many lines of text begin with prefix. */
static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, prefix, pl))
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

/* ---- tests that need no config file yet (they run first) --------------------- */

TEST(rewrite_without_file)
{
    CHECK_EQ_INT(load_defaults(), 0);
    CHECK(config_file_path() == NULL);
    char err[256] = "";
    CHECK_EQ_INT(config_rewrite(err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "ERR The server is running without a config file");
}

/* ---- defaults and CONFIG GET formatting ---------------------------------------- */

TEST(defaults_formatted_as_redis)
{
    CHECK_EQ_INT(load_defaults(), 0);
    CHECK_EQ_STR(get1("port"), "6379");
    CHECK_EQ_STR(get1("bind"), "127.0.0.1 -::1");
    CHECK_EQ_STR(get1("tcp-backlog"), "511");
    CHECK_EQ_STR(get1("tcp-keepalive"), "300");
    CHECK_EQ_STR(get1("threads"), "0");
    CHECK_EQ_STR(get1("databases"), "16");
    CHECK_EQ_STR(get1("maxclients"), "10000");
    CHECK_EQ_STR(get1("timeout"), "0");
    CHECK_EQ_STR(get1("hz"), "10");
    /* memory in bytes */
    CHECK_EQ_STR(get1("proto-max-bulk-len"), "536870912");
    CHECK_EQ_STR(get1("client-query-buffer-limit"), "1073741824");
    CHECK_EQ_STR(get1("client-output-buffer-limit"),
                 "normal 536870912 134217728 60 slave 268435456 67108864 60 "
                 "pubsub 33554432 8388608 60");
    /* enums by name, bools yes/no, strings as is */
    CHECK_EQ_STR(get1("loglevel"), "notice");
    CHECK_EQ_STR(get1("daemonize"), "no");
    CHECK_EQ_STR(get1("requirepass"), "");
    CHECK_EQ_STR(get1("logfile"), "");
    /* dir is shown absolute, as Redis does */
    char cwd[PATH_MAX];
    if (CHECK(getcwd(cwd, sizeof(cwd)) != NULL))
        CHECK_EQ_STR(get1("dir"), cwd);
    /* the struct agrees */
    CHECK_EQ_INT(cfg.port, 6379);
    CHECK_EQ_INT(CFG(hz), 10);
    CHECK_EQ_INT(cfg.obuf_pubsub.soft, 8 * 1024 * 1024);
    CHECK_EQ_INT(cfg.loglevel, 2);
    CHECK_EQ_INT(config_auth_required(), 0);
    CHECK_EQ_INT(config_check_password("", 0), 0); /* no password: AUTH fails */
}

TEST(get_patterns)
{
    CHECK_EQ_INT(load_defaults(), 0);
    struct got g = get_pat("*");
    CHECK(g.n >= 19);
    int ports = 0;
    for (int i = 0; i < g.n; i++)
        ports += !strcmp(g.names[i], "port");
    CHECK_EQ_INT(ports, 1);
    /* case-insensitive, glob */
    CHECK_EQ_STR(get1("PORT"), "6379");
    CHECK_EQ_STR(get1("P?rt"), "6379");
    g = get_pat("*max*");
    CHECK_EQ_INT(g.n, 14); /* 6 below and 8 *-max-listpack/intset-* */
    CHECK_EQ_STR(g.names[0], "maxclients");
    CHECK_EQ_STR(g.names[1], "proto-max-bulk-len");
    CHECK_EQ_STR(g.names[2], "max-item-size");
    CHECK_EQ_STR(g.names[3], "maxmemory");
    CHECK_EQ_STR(g.names[4], "maxmemory-policy");
    CHECK_EQ_STR(g.names[5], "maxmemory-samples");
    g = get_pat("client-*-limit");
    CHECK_EQ_INT(g.n, 2);
    g = get_pat("nosuch*");
    CHECK_EQ_INT(g.n, 0);
    /* an alias answers under its own name */
    g = get_pat("io-threads-cachet");
    if (CHECK_EQ_INT(g.n, 1)) {
        CHECK_EQ_STR(g.names[0], "io-threads-cachet");
        CHECK_EQ_STR(g.values[0], "0");
    }
}

/* ---- command-line overrides ------------------------------------------------ */

TEST(load_argv_overrides)
{
    char *argv[] = {"--port", "7000", "--threads", "4", "--client-output-buffer-limit",
                    "normal", "1mb", "2mb", "3"};
    CHECK_EQ_INT(config_load(NULL, ARGC(argv), argv), 0);
    CHECK_EQ_STR(get1("port"), "7000");
    CHECK_EQ_STR(get1("threads"), "4");
    CHECK_EQ_STR(get1("io-threads-cachet"), "4");
    CHECK_EQ_INT(cfg.port, 7000);
    CHECK_EQ_INT(cfg.threads, 4);
    /* only the named class changes */
    CHECK_EQ_STR(get1("client-output-buffer-limit"),
                 "normal 1048576 2097152 3 slave 268435456 67108864 60 "
                 "pubsub 33554432 8388608 60");
    CHECK_EQ_INT(cfg.obuf_normal.hard, 1048576);
    CHECK_EQ_INT(cfg.obuf_normal.soft, 2097152);
    CHECK_EQ_INT(cfg.obuf_normal.soft_secs, 3);

    /* a later load starts from the defaults again */
    CHECK_EQ_INT(load_defaults(), 0);
    CHECK_EQ_STR(get1("port"), "6379");
    CHECK_EQ_INT(cfg.obuf_normal.hard, 512LL * 1024 * 1024);

    /* more kinds: memory units, bools, enums, multi-word bind, aliases,
     * values with spaces and quotes */
    char *argv2[] = {"--proto-max-bulk-len", "2mb",       "--daemonize", "yes",
                     "--loglevel",           "WARNING",   "--bind",      "10.0.0.1",
                     "::1",                  "--io-threads-cachet",      "2",
                     "--requirepass",        "a b\"c\\d", "--client-output-buffer-limit",
                     "pubsub 1kb 2kb 5 replica 0 0 0"};
    CHECK_EQ_INT(config_load(NULL, ARGC(argv2), argv2), 0);
    CHECK_EQ_STR(get1("proto-max-bulk-len"), "2097152");
    CHECK_EQ_STR(get1("daemonize"), "yes");
    CHECK_EQ_STR(get1("loglevel"), "warning");
    CHECK_EQ_STR(get1("bind"), "10.0.0.1 ::1");
    CHECK_EQ_STR(get1("threads"), "2");
    CHECK_EQ_STR(get1("requirepass"), "a b\"c\\d");
    CHECK_EQ_STR(get1("client-output-buffer-limit"),
                 "normal 536870912 134217728 60 slave 0 0 0 pubsub 1024 2048 5");
    CHECK_EQ_INT(config_auth_required(), 1);
    CHECK_EQ_INT(config_check_password("a b\"c\\d", 7), 1);
    CHECK_EQ_INT(config_check_password("a b\"c\\e", 7), 0);
    CHECK_EQ_INT(config_check_password("a b\"c\\", 6), 0);
    CHECK_EQ_INT(config_check_password("a b\"c\\dd", 8), 0);
    CHECK_EQ_INT(config_check_password("", 0), 0);
    char *s = config_get_string("requirepass");
    CHECK_EQ_STR(s, "a b\"c\\d");
    free(s);
    CHECK(config_get_string("port") == NULL); /* not a string option */
    CHECK(config_get_string("nosuch") == NULL);
    CHECK_EQ_INT(load_defaults(), 0);
}

TEST(load_argv_errors)
{
    char out[4096];
    char *bad_value[] = {"--port", "70000"};
    CHECK_EQ_INT(load_capture(NULL, 2, bad_value, out, sizeof(out)), -1);
    CHECK(strstr(out, "(command line)") != NULL);
    CHECK(strstr(out, "argument must be between 0 and 65535 inclusive") != NULL);

    char *missing[] = {"--port"};
    CHECK_EQ_INT(load_capture(NULL, 1, missing, out, sizeof(out)), -1);
    char *unknown[] = {"--nosuch", "1"};
    CHECK_EQ_INT(load_capture(NULL, 2, unknown, out, sizeof(out)), -1);
    CHECK(strstr(out, "Bad directive") != NULL);
    char *stray[] = {"port", "1"};
    CHECK_EQ_INT(load_capture(NULL, 2, stray, out, sizeof(out)), -1);
    CHECK(strstr(out, "unexpected argument 'port'") != NULL);
    char *two[] = {"--port", "1", "2"};
    CHECK_EQ_INT(load_capture(NULL, 3, two, out, sizeof(out)), -1);
    char *badbool[] = {"--daemonize", "maybe"};
    CHECK_EQ_INT(load_capture(NULL, 2, badbool, out, sizeof(out)), -1);
    CHECK(strstr(out, "argument must be 'yes' or 'no'") != NULL);
    char *badenum[] = {"--loglevel", "loud"};
    CHECK_EQ_INT(load_capture(NULL, 2, badenum, out, sizeof(out)), -1);
    char *badmem[] = {"--proto-max-bulk-len", "1x"};
    CHECK_EQ_INT(load_capture(NULL, 2, badmem, out, sizeof(out)), -1);
    char *shards[] = {"--shards", "1000"};
    CHECK_EQ_INT(load_capture(NULL, 2, shards, out, sizeof(out)), -1);
    CHECK(strstr(out, "power of two") != NULL);
    char *obuf[] = {"--client-output-buffer-limit", "normal", "1", "2"};
    CHECK_EQ_INT(load_capture(NULL, 4, obuf, out, sizeof(out)), -1);
    char *obuf2[] = {"--client-output-buffer-limit", "bogus", "1", "2", "3"};
    CHECK_EQ_INT(load_capture(NULL, 5, obuf2, out, sizeof(out)), -1);
    CHECK(strstr(out, "Invalid client class") != NULL);
    CHECK_EQ_INT(load_capture("/nonexistent/dir/cachet.conf", 0, NULL, out, sizeof(out)), -1);
    CHECK(strstr(out, "/nonexistent/dir/cachet.conf") != NULL);
    CHECK_EQ_INT(load_defaults(), 0);
}

/* ---- CONFIG SET -------------------------------------------------------------- */

TEST(set_several_pairs)
{
    CHECK_EQ_INT(load_defaults(), 0);
    char err[512] = "";
    const char *ok[] = {"maxclients", "500", "HZ", "20", "tcp-keepalive", "0",
                        "proto-max-bulk-len", "4mb", "timeout", "30"};
    CHECK(set_pairs(5, ok, err, sizeof(err)) == NULL);
    CHECK_EQ_STR(get1("maxclients"), "500");
    CHECK_EQ_STR(get1("hz"), "20");
    CHECK_EQ_STR(get1("tcp-keepalive"), "0");
    CHECK_EQ_STR(get1("proto-max-bulk-len"), "4194304");
    CHECK_EQ_STR(get1("timeout"), "30");
    CHECK_EQ_INT(CFG(maxclients), 500);
    CHECK_EQ_INT(CFG(hz), 20);

    CHECK(set1("loglevel", "verbose", err, sizeof(err)) == NULL);
    CHECK_EQ_STR(get1("loglevel"), "verbose");
    CHECK(set1("loglevel", "notice", err, sizeof(err)) == NULL);

    CHECK(set1("client-output-buffer-limit", "pubsub 1kb 2kb 5", err, sizeof(err)) == NULL);
    CHECK_EQ_STR(get1("client-output-buffer-limit"),
                 "normal 536870912 134217728 60 slave 268435456 67108864 60 pubsub 1024 2048 5");
    CHECK(set1("client-output-buffer-limit", "normal 0 0 0 slave 1mb 1mb 1", err, sizeof(err)) ==
          NULL);
    CHECK_EQ_STR(get1("client-output-buffer-limit"),
                 "normal 0 0 0 slave 1048576 1048576 1 pubsub 1024 2048 5");

    CHECK(set1("requirepass", "hunter2", err, sizeof(err)) == NULL);
    CHECK_EQ_INT(config_auth_required(), 1);
    CHECK_EQ_INT(config_check_password("hunter2", 7), 1);
    CHECK(set1("requirepass", "", err, sizeof(err)) == NULL);
    CHECK_EQ_INT(config_auth_required(), 0);
    CHECK_EQ_INT(config_check_password("", 0), 0);
    CHECK_EQ_INT(load_defaults(), 0);
}

TEST(set_is_all_or_nothing)
{
    CHECK_EQ_INT(load_defaults(), 0);
    char err[512] = "";
    const char *prefix = "ERR CONFIG SET failed (possibly related to argument '";

    /* the bad pair is last: the earlier ones must not have been applied */
    const char *bad1[] = {"maxclients", "600", "timeout", "5", "hz", "abc"};
    const char *r = set_pairs(3, bad1, err, sizeof(err));
    CHECK(r == err);
    CHECK(starts_with(r, prefix));
    CHECK_EQ_STR(r, "ERR CONFIG SET failed (possibly related to argument 'hz') - argument "
                    "couldn't be parsed into an integer");
    CHECK_EQ_STR(get1("maxclients"), "10000");
    CHECK_EQ_STR(get1("timeout"), "0");
    CHECK_EQ_STR(get1("hz"), "10");

    /* the bad pair is first */
    const char *bad2[] = {"hz", "501", "maxclients", "600"};
    r = set_pairs(2, bad2, err, sizeof(err));
    CHECK_EQ_STR(r, "ERR CONFIG SET failed (possibly related to argument 'hz') - argument must "
                    "be between 1 and 500 inclusive");
    CHECK_EQ_STR(get1("maxclients"), "10000");

    /* each kind of invalid value */
    const char *cases[][2] = {
        {"proto-max-bulk-len", "1x"},
        {"proto-max-bulk-len", "1000"}, /* below the 1mb minimum */
        {"maxclients", "0"},
        {"maxclients", "+1"},
        {"maxclients", "01"},
        {"maxclients", " 1"},
        {"maxclients", ""},
        {"loglevel", "loud"},
        {"client-output-buffer-limit", "normal 1 2"},
        {"client-output-buffer-limit", "bogus 1 2 3"},
        {"client-output-buffer-limit", "normal 1x 2 3"},
        {"client-output-buffer-limit", "normal -1 2 3"},
        {"client-output-buffer-limit", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *pairs[] = {"timeout", "77", cases[i][0], cases[i][1]};
        r = set_pairs(2, pairs, err, sizeof(err));
        if (!CHECK(starts_with(r, prefix)))
            fprintf(stderr, "    %s '%s' -> %s\n", cases[i][0], cases[i][1], r ? r : "(ok)");
        char want[128];
        snprintf(want, sizeof(want), "%s%s') - ", prefix, cases[i][0]);
        CHECK(starts_with(r, want));
        CHECK_EQ_STR(get1("timeout"), "0");
    }
    CHECK_EQ_STR(get1("loglevel"), "notice");
    CHECK_EQ_STR(get1("proto-max-bulk-len"), "536870912");
    CHECK_EQ_STR(get1("client-output-buffer-limit"),
                 "normal 536870912 134217728 60 slave 268435456 67108864 60 "
                 "pubsub 33554432 8388608 60");
    CHECK_EQ_STR(get1("maxclients"), "10000");

    /* unknown option */
    const char *unk[] = {"timeout", "5", "no-such-option", "1"};
    r = set_pairs(2, unk, err, sizeof(err));
    CHECK_EQ_STR(r, "ERR Unknown option or number of arguments for CONFIG SET - "
                    "'no-such-option'");
    CHECK_EQ_STR(get1("timeout"), "0");

    /* immutable options */
    static const char *const immutable[] = {"port", "bind", "threads", "io-threads-cachet",
                                            "shards", "databases", "daemonize", "logfile",
                                            "pidfile", "tcp-backlog"};
    for (size_t i = 0; i < sizeof(immutable) / sizeof(immutable[0]); i++) {
        const char *imm[] = {"timeout", "5", immutable[i], "1"};
        r = set_pairs(2, imm, err, sizeof(err));
        char want[200];
        snprintf(want, sizeof(want), "%s%s') - can't set immutable config", prefix, immutable[i]);
        CHECK_EQ_STR(r, want);
    }
    CHECK_EQ_STR(get1("timeout"), "0");
    CHECK_EQ_STR(get1("port"), "6379");

    /* the same option twice */
    const char *dup[] = {"hz", "5", "HZ", "6"};
    r = set_pairs(2, dup, err, sizeof(err));
    CHECK(starts_with(r, prefix));
    CHECK(r && strstr(r, "duplicate parameter") != NULL);
    CHECK_EQ_STR(get1("hz"), "10");
}

/* ---- config files -------------------------------------------------------------- */

TEST(file_rewrite_round_trip)
{
    const char *path = tmp_path("cachet.conf");
    write_file(path, "# Cachet test configuration\n"
                     "# with \"quotes\" and 'apostrophes' in comments\n"
                     "\n"
                     "port 7001\n"
                     "   # an indented comment\n"
                     "timeout 30\n"
                     "hz 15\n"
                     "client-output-buffer-limit normal 0 0 0\n"
                     "maxclients 100\n"
                     "maxclients 200\n"
                     "loglevel warning\n"
                     "# trailing comment\n");
    CHECK_EQ_INT(config_load(path, 0, NULL), 0);
    const char *abs = config_file_path();
    CHECK(abs && abs[0] == '/');
    CHECK_EQ_STR(get1("port"), "7001");
    CHECK_EQ_STR(get1("timeout"), "30");
    CHECK_EQ_STR(get1("hz"), "15");
    CHECK_EQ_STR(get1("maxclients"), "200"); /* the last one wins */
    CHECK_EQ_STR(get1("loglevel"), "warning");
    CHECK_EQ_STR(get1("client-output-buffer-limit"),
                 "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");

    char err[512] = "";
    CHECK(set1("hz", "25", err, sizeof(err)) == NULL);
    CHECK(set1("tcp-keepalive", "60", err, sizeof(err)) == NULL); /* not in the file */
    CHECK(set1("requirepass", "pa\"ss\\wo rd", err, sizeof(err)) == NULL);
    CHECK(set1("maxclients", "300", err, sizeof(err)) == NULL);
    CHECK(set1("loglevel", "notice", err, sizeof(err)) == NULL); /* back to the default */
    CHECK_EQ_INT(config_rewrite(err, sizeof(err)), 0);

    char *text = read_file(path);
    if (!CHECK(text != NULL))
        return;
    /* comments and blank lines survive, in place */
    CHECK(strstr(text, "# Cachet test configuration\n"
                       "# with \"quotes\" and 'apostrophes' in comments\n"
                       "\n"
                       "port 7001\n"
                       "   # an indented comment\n"
                       "timeout 30\n"
                       "hz 25\n") == text);
    CHECK(strstr(text, "# trailing comment\n") != NULL);
    /* one line per option; the duplicate is gone */
    CHECK_EQ_INT(count_lines(text, "maxclients "), 1);
    CHECK(strstr(text, "maxclients 300\n") != NULL);
    CHECK_EQ_INT(count_lines(text, "hz "), 1);
    /* loglevel was in the file: it keeps its line, with the current value */
    CHECK(strstr(text, "loglevel notice\n") != NULL);
    /* new non-default options are appended */
    CHECK(strstr(text, "tcp-keepalive 60\n") != NULL);
    CHECK(strstr(text, "requirepass ") != NULL);
    CHECK(strstr(text, "# Generated by CONFIG REWRITE\n") != NULL);
    /* untouched defaults are not written */
    CHECK(strstr(text, "databases") == NULL);
    CHECK(strstr(text, "proto-max-bulk-len") == NULL);
    /* no temporary file left behind */
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s.rewrite-%d", path, (int)getpid());
    CHECK(access(tmp, F_OK) != 0);
    free(text);

    /* reload the rewritten file: the same values */
    CHECK_EQ_INT(load_defaults(), 0);
    CHECK_EQ_STR(get1("hz"), "10");
    CHECK_EQ_INT(config_load(path, 0, NULL), 0);
    CHECK_EQ_STR(get1("port"), "7001");
    CHECK_EQ_STR(get1("timeout"), "30");
    CHECK_EQ_STR(get1("hz"), "25");
    CHECK_EQ_STR(get1("tcp-keepalive"), "60");
    CHECK_EQ_STR(get1("maxclients"), "300");
    CHECK_EQ_STR(get1("loglevel"), "notice");
    CHECK_EQ_STR(get1("requirepass"), "pa\"ss\\wo rd");
    CHECK_EQ_STR(get1("client-output-buffer-limit"),
                 "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");

    /* a second rewrite with nothing changed is stable */
    text = read_file(path);
    CHECK_EQ_INT(config_rewrite(err, sizeof(err)), 0);
    char *again = read_file(path);
    CHECK_EQ_STR(again, text);
    free(text);
    free(again);

    /* command-line overrides beat the file */
    char *argv[] = {"--hz", "40"};
    CHECK_EQ_INT(config_load(path, 2, argv), 0);
    CHECK_EQ_STR(get1("hz"), "40");
    CHECK_EQ_STR(get1("port"), "7001");

    unlink(path);
    CHECK_EQ_INT(load_defaults(), 0);
}

TEST(file_invalid_directive)
{
    const char *path = tmp_path("bad.conf");
    char out[4096];
    write_file(path, "# ok so far\n"
                     "port 7002\n"
                     "no-such-directive 5\n"
                     "hz 12\n");
    CHECK_EQ_INT(load_capture(path, 0, NULL, out, sizeof(out)), -1);
    char want[256];
    snprintf(want, sizeof(want), "%s:3:", path);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "no-such-directive") != NULL);

    /* wrong argument count, bad value, unbalanced quotes: each names its line */
    write_file(path, "port 1 2\n");
    CHECK_EQ_INT(load_capture(path, 0, NULL, out, sizeof(out)), -1);
    snprintf(want, sizeof(want), "%s:1:", path);
    CHECK(strstr(out, want) != NULL);

    write_file(path, "\n\nhz 0\n");
    CHECK_EQ_INT(load_capture(path, 0, NULL, out, sizeof(out)), -1);
    snprintf(want, sizeof(want), "%s:3:", path);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "argument must be between 1 and 500 inclusive") != NULL);

    write_file(path, "port 7000\nrequirepass \"abc\n");
    CHECK_EQ_INT(load_capture(path, 0, NULL, out, sizeof(out)), -1);
    snprintf(want, sizeof(want), "%s:2:", path);
    CHECK(strstr(out, want) != NULL);
    CHECK(strstr(out, "Unbalanced quotes") != NULL);

    write_file(path, "daemonize perhaps\n");
    CHECK_EQ_INT(load_capture(path, 0, NULL, out, sizeof(out)), -1);

    /* a valid file with CRLF line ends, quoted values and odd spacing */
    write_file(path, "# comment\r\n"
                     "  port   7003  \r\n"
                     "requirepass 'it\\'s'\r\n"
                     "logfile \"\"\r\n"
                     "BIND 127.0.0.2 ::1\r\n"
                     "\t\r\n");
    int rc = load_capture(path, 0, NULL, out, sizeof(out));
    CHECK_EQ_INT(rc, 0);
    if (rc)
        fprintf(stderr, "    stderr: %s\n", out);
    CHECK_EQ_STR(get1("port"), "7003");
    CHECK_EQ_STR(get1("requirepass"), "it's");
    CHECK_EQ_STR(get1("logfile"), "");
    CHECK_EQ_STR(get1("bind"), "127.0.0.2 ::1");
    unlink(path);
    CHECK_EQ_INT(load_defaults(), 0);
}

TEST(zz_cleanup_tmpdir)
{
    if (tmpdir[0])
        CHECK_EQ_INT(rmdir(tmpdir), 0);
}

/* ---- util_glob ----------------------------------------------------------------- */

static int glob(const char *p, const char *s, int nocase)
{
    return util_glob(p, strlen(p), s, strlen(s), nocase);
}

TEST(glob_redis_semantics)
{
    static const struct {
        const char *pat, *str;
        int nocase, want;
    } cases[] = {
        {"", "", 0, 1},
        {"", "a", 0, 0},
        {"a", "", 0, 0},
        {"*", "anything", 0, 1},
        {"*", "x", 0, 1},
        {"**", "abc", 0, 1},
        {"a*", "a", 0, 1},
        {"a*", "abc", 0, 1},
        {"a*", "ba", 0, 0},
        {"*a", "", 0, 0},
        {"*a", "bca", 0, 1},
        {"*a", "bcab", 0, 0},
        {"a*b*c", "aXXbYYc", 0, 1},
        {"a*b*c", "aXXbYY", 0, 0},
        {"a*b*c", "abc", 0, 1},
        {"*.*", "file.txt", 0, 1},
        {"*.*", "file", 0, 0},
        /* ? */
        {"h?llo", "hello", 0, 1},
        {"h?llo", "hallo", 0, 1},
        {"h?llo", "hllo", 0, 0},
        {"h?llo", "heello", 0, 0},
        {"???", "abc", 0, 1},
        {"???", "ab", 0, 0},
        {"h*llo", "hllo", 0, 1},
        {"h*llo", "heeeello", 0, 1},
        /* classes */
        {"h[ae]llo", "hello", 0, 1},
        {"h[ae]llo", "hallo", 0, 1},
        {"h[ae]llo", "hillo", 0, 0},
        {"h[^e]llo", "hallo", 0, 1},
        {"h[^e]llo", "hello", 0, 0},
        {"h[a-c]llo", "hbllo", 0, 1},
        {"h[a-c]llo", "hcllo", 0, 1},
        {"h[a-c]llo", "hdllo", 0, 0},
        {"h[^a-c]llo", "hdllo", 0, 1},
        {"h[^a-c]llo", "hbllo", 0, 0},
        {"[c-a]", "b", 0, 1}, /* reversed range */
        {"[a-c]", "-", 0, 0},
        {"[-a]", "-", 0, 1},
        {"[abc]", "", 0, 0},
        {"[\\]]", "]", 0, 1},
        {"[\\^]", "^", 0, 1},
        {"[abc", "b", 0, 1}, /* unterminated class ends at the pattern end */
        {"[a-z][0-9]", "q7", 0, 1},
        {"[a-z][0-9]", "q", 0, 0},
        /* escapes */
        {"\\*", "*", 0, 1},
        {"\\*", "a", 0, 0},
        {"a\\?b", "a?b", 0, 1},
        {"a\\?b", "axb", 0, 0},
        {"\\[a]", "[a]", 0, 1},
        {"\\[a]", "a", 0, 0},
        {"\\\\", "\\", 0, 1},
        {"a\\", "a\\", 0, 1}, /* trailing backslash is literal */
        {"\\a", "a", 0, 1},
        /* case */
        {"HELLO", "hello", 0, 0},
        {"HELLO", "hello", 1, 1},
        {"h*O", "hello", 1, 1},
        {"[A-C]x", "bX", 1, 1},
        {"[A-C]x", "bX", 0, 0},
        {"[^A]", "a", 1, 0},
        {"maxmemory*", "MAXMEMORY-policy", 1, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = glob(cases[i].pat, cases[i].str, cases[i].nocase);
        if (!CHECK_EQ_INT(got, cases[i].want))
            fprintf(stderr, "    glob(\"%s\", \"%s\", nocase=%d)\n", cases[i].pat, cases[i].str,
                    cases[i].nocase);
    }
    /* binary-safe: lengths, not NULs */
    CHECK_EQ_INT(util_glob("a?c", 3, "a\0c", 3, 0), 1);
    CHECK_EQ_INT(util_glob("a\0*", 3, "a\0xyz", 5, 0), 1);
    CHECK_EQ_INT(util_glob("abc", 2, "ab", 2, 0), 1);
    /* a pathological run of stars is refused, not a stack overflow */
    static char stars[5000];
    memset(stars, '*', sizeof(stars));
    CHECK_EQ_INT(util_glob(stars, sizeof(stars), "abc", 3, 0), 1);
}

/* ---- util_str2ll ----------------------------------------------------------------- */

TEST(str2ll_strict)
{
    static const struct {
        const char *s;
        long long v;
    } ok[] = {
        {"0", 0},
        {"1", 1},
        {"-1", -1},
        {"123", 123},
        {"9223372036854775807", LLONG_MAX},
        {"-9223372036854775808", LLONG_MIN},
        {"-9223372036854775807", -LLONG_MAX},
        {"10", 10},
        {"100000000000000000", 100000000000000000LL},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long long v = 42;
        if (!CHECK_EQ_INT(util_str2ll(ok[i].s, strlen(ok[i].s), &v), 1))
            fprintf(stderr, "    \"%s\"\n", ok[i].s);
        CHECK_EQ_INT(v, ok[i].v);
    }
    static const char *const bad[] = {
        "+1", "01", "-0", " 1", "1 ", "", "-", "+", "00", "-01", "1a", "a1", "0x1", "1.0",
        "1e3", "--1", "9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999",
        "123456789012345678901", "-123456789012345678901", "\t1", "1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long v = 42;
        if (!CHECK_EQ_INT(util_str2ll(bad[i], strlen(bad[i]), &v), 0))
            fprintf(stderr, "    \"%s\" accepted as %lld\n", bad[i], v);
        CHECK_EQ_INT(v, 42); /* untouched on failure */
    }
    /* length-delimited: trailing bytes past len are ignored, NULs inside are not */
    long long v = 0;
    CHECK_EQ_INT(util_str2ll("123abc", 3, &v), 1);
    CHECK_EQ_INT(v, 123);
    CHECK_EQ_INT(util_str2ll("1\0" "2", 3, &v), 0);
}

/* ---- util_mem_parse ------------------------------------------------------------- */

TEST(mem_parse_units)
{
    static const struct {
        const char *s;
        long long v;
    } ok[] = {
        {"0", 0},
        {"100", 100},
        {"100b", 100},
        {"1k", 1000},
        {"1kb", 1024},
        {"1KB", 1024},
        {"1Kb", 1024},
        {"1m", 1000000},
        {"5mb", 5LL * 1024 * 1024},
        {"1g", 1000000000},
        {"2gb", 2LL * 1024 * 1024 * 1024},
        {"2GB", 2LL * 1024 * 1024 * 1024},
        {"0kb", 0},
        {"8589934591gb", 8589934591LL * 1024 * 1024 * 1024},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long long v = -42;
        if (!CHECK_EQ_INT(util_mem_parse(ok[i].s, &v), 1))
            fprintf(stderr, "    \"%s\"\n", ok[i].s);
        CHECK_EQ_INT(v, ok[i].v);
    }
    static const char *const bad[] = {
        "1x", "", "kb", "mb", "1.5mb", "1 kb", " 1", "1kbb", "1t", "1tb", "01k", "+1k",
        "9223372036854775807kb", "8589934593gb", "99999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long v = -42;
        if (!CHECK_EQ_INT(util_mem_parse(bad[i], &v), 0))
            fprintf(stderr, "    \"%s\" accepted as %lld\n", bad[i], v);
        CHECK_EQ_INT(v, -42);
    }
}

/* ---- util_ld2str ---------------------------------------------------------------- */

static const char *ld(long double v)
{
    static char buf[512];
    int l = util_ld2str(buf, sizeof(buf), v);
    if (l <= 0 || (size_t)l != strlen(buf))
        return "(error)";
    return buf;
}

TEST(ld2str_format)
{
    CHECK_EQ_STR(ld(0.1L + 0.2L), "0.3");
    CHECK_EQ_STR(ld(-0.0L), "0");
    CHECK_EQ_STR(ld(0.0L), "0");
    CHECK_EQ_STR(ld(-1e-30L), "0"); /* rounds to -0 */
    CHECK_EQ_STR(ld(1e-30L), "0");
    CHECK_EQ_STR(ld(3.0L), "3");
    CHECK_EQ_STR(ld(100.0L), "100");
    CHECK_EQ_STR(ld(-100.0L), "-100");
    CHECK_EQ_STR(ld(1.5L), "1.5");
    CHECK_EQ_STR(ld(-2.25L), "-2.25");
    CHECK_EQ_STR(ld(10.5L + 0.1L), "10.6"); /* Redis's INCRBYFLOAT example */
    CHECK_EQ_STR(ld(5.0e3L + 2.0e2L), "5200");
    CHECK_EQ_STR(ld(1.0L / 3.0L), "0.33333333333333333");
    CHECK_EQ_STR(ld(1e20L), "100000000000000000000");
    CHECK_EQ_STR(ld(1.0L / 0.0L), "inf");
    CHECK_EQ_STR(ld(-1.0L / 0.0L), "-inf");
    /* round trip through the parser */
    long double v;
    CHECK_EQ_INT(util_str2ld("10.50", 5, &v), 1);
    CHECK_EQ_STR(ld(v + 0.1L), "10.6");
    CHECK_EQ_INT(util_str2ld("3.0e3", 5, &v), 1);
    CHECK_EQ_STR(ld(v), "3000");
    /* too small a buffer fails instead of truncating */
    char small[4];
    CHECK_EQ_INT(util_ld2str(small, sizeof(small), 12345.0L), 0);
}

TEST(str2ld_and_str2d)
{
    long double v;
    double d;
    CHECK_EQ_INT(util_str2ld("1.5", 3, &v), 1);
    CHECK(v == 1.5L);
    CHECK_EQ_INT(util_str2ld("-0.25e2", 7, &v), 1);
    CHECK(v == -25.0L);
    CHECK_EQ_INT(util_str2ld(" 1", 2, &v), 0);
    CHECK_EQ_INT(util_str2ld("1 ", 2, &v), 0);
    CHECK_EQ_INT(util_str2ld("", 0, &v), 0);
    CHECK_EQ_INT(util_str2ld("nan", 3, &v), 0);
    CHECK_EQ_INT(util_str2ld("1x", 2, &v), 0);
    CHECK_EQ_INT(util_str2d("2.5", 3, &d), 1);
    CHECK(d == 2.5);
    CHECK_EQ_INT(util_str2d("1e400", 5, &d), 0); /* overflows a double */
    CHECK_EQ_INT(util_str2d("NaN", 3, &d), 0);
    CHECK_EQ_INT(util_str2d("\n1", 2, &d), 0);
    CHECK_EQ_INT(util_str2d("1.5abc", 3, &d), 1); /* length-delimited */
    CHECK(d == 1.5);
}

TEST(bytes_human)
{
    char b[32];
    util_bytes_human(b, sizeof(b), 0);
    CHECK_EQ_STR(b, "0B");
    util_bytes_human(b, sizeof(b), 1023);
    CHECK_EQ_STR(b, "1023B");
    util_bytes_human(b, sizeof(b), 1024);
    CHECK_EQ_STR(b, "1.00K");
    util_bytes_human(b, sizeof(b), 1536);
    CHECK_EQ_STR(b, "1.50K");
    util_bytes_human(b, sizeof(b), 1048576);
    CHECK_EQ_STR(b, "1.00M");
    util_bytes_human(b, sizeof(b), 3ULL << 30);
    CHECK_EQ_STR(b, "3.00G");
    char hex[41];
    util_random_hex(hex, 40);
    CHECK_EQ_INT(strlen(hex), 40);
    CHECK_EQ_INT(strspn(hex, "0123456789abcdef"), 40);
}

/* Regression (found by the unit-test pass, same bug as Redis's
 * CVE-2022-36021): star-heavy patterns made the matcher exponential, so
 * `KEYS *a*a*a*a*a*a*a*a*a*a*b` could pin a worker while it held shard
 * locks.  Run before the fix, this test does not finish. */
TEST(glob_many_stars_is_not_exponential)
{
    char s[64];
    memset(s, 'a', 40);
    const char *pat = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
    CHECK(!util_glob(pat, strlen(pat), s, 40, 0));
    s[40] = 'b';
    CHECK(util_glob(pat, strlen(pat), s, 41, 0));
}
