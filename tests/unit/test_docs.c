/* test_docs.c - unit tests for server/commands/docs.
 *
 * SET (RESP2), EXPIRE (RESP3) and GET are compared byte for byte with what
 * Redis 7.0.15 sends for COMMAND DOCS, minus the "since" fields we do not
 * keep.  The other commands are decoded into a compact text form that
 * still tells simple strings (+x) from bulk strings (x), integers (:n),
 * RESP3 maps ({...}) and sets (~[...]), so the shape is checked exactly
 * without pages of bytes.  Malformed syntaxes must return -1 and write
 * nothing.
 */
#include "tests/unit/unit.h"

#include "protocol/resp_write.h"
#include "server/commands/docs.h"

#include <stdlib.h>
#include <string.h>

#define F(lit) (lit), sizeof(lit) - 1

/* Render a syntax; the caller frees b with obuf_deinit. */
static int render(struct obuf *b, int proto, const char *syntax)
{
    obuf_init(b);
    struct resp_writer w = {b, proto};
    return docs_write_arguments(&w, syntax);
}

/* ---- a compact decoder -------------------------------------------------- */

struct dec {
    const char *p, *end;
    char out[8192];
    size_t n;
    int bad;
};

static void put(struct dec *d, const char *s, size_t n)
{
    if (d->n + n >= sizeof(d->out)) {
        d->bad = 1;
        return;
    }
    memcpy(d->out + d->n, s, n);
    d->n += n;
    d->out[d->n] = '\0';
}

static void puts_(struct dec *d, const char *s)
{
    put(d, s, strlen(s));
}

/* One value: bulk -> text, +s -> +s, :n -> :n, *n -> [..], %n -> {..},
 * ~n -> ~[..]; elements separated by one space. */
static void dec_value(struct dec *d)
{
    if (d->bad || d->p >= d->end) {
        d->bad = 1;
        return;
    }
    const char *crlf = memmem(d->p, (size_t)(d->end - d->p), "\r\n", 2);
    if (!crlf) {
        d->bad = 1;
        return;
    }
    char type = *d->p;
    const char *line = d->p + 1;
    size_t linelen = (size_t)(crlf - line);
    d->p = crlf + 2;
    long n = strtol(line, NULL, 10);
    switch (type) {
    case '+':
        put(d, "+", 1);
        put(d, line, linelen);
        return;
    case ':':
        put(d, ":", 1);
        put(d, line, linelen);
        return;
    case '$':
        if (n < 0 || d->end - d->p < n + 2) {
            d->bad = 1;
            return;
        }
        put(d, d->p, (size_t)n);
        d->p += n + 2;
        return;
    case '*':
    case '%':
    case '~': {
        puts_(d, type == '*' ? "[" : type == '%' ? "{" : "~[");
        long items = type == '%' ? 2 * n : n;
        for (long i = 0; i < items && !d->bad; i++) {
            if (i)
                put(d, " ", 1);
            dec_value(d);
        }
        puts_(d, type == '%' ? "}" : "]");
        return;
    }
    default:
        d->bad = 1;
    }
}

/* Render and decode; returns the decoded text (static; "" on failure). */
static const char *shape(int proto, const char *syntax)
{
    static struct dec d;
    struct obuf b;
    memset(&d, 0, sizeof(d));
    if (!CHECK_EQ_INT(render(&b, proto, syntax), 0)) {
        obuf_deinit(&b);
        return "";
    }
    d.p = b.data;
    d.end = b.data + b.len;
    dec_value(&d);
    int trailing = d.p != d.end;
    obuf_deinit(&b);
    if (!CHECK(!d.bad && !trailing))
        return "";
    return d.out;
}

/* ---- exact bytes -------------------------------------------------------- */

static const char *const SET_SYNTAX =
    "key value [NX | XX] [GET] [EX seconds | PX milliseconds | "
    "EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]";

TEST(get_bytes_resp2)
{
    struct obuf b;
    CHECK_EQ_INT(render(&b, 2, "key"), 0);
    CHECK_MEM_STR(b.data, b.len,
                  "*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n"
                  "$14\r\nkey_spec_index\r\n:0\r\n");
    obuf_deinit(&b);
}

TEST(set_bytes_resp2)
{
    struct obuf b;
    CHECK_EQ_INT(render(&b, 2, SET_SYNTAX), 0);
    CHECK_MEM_STR(b.data, b.len,
    "*5\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n"
    "$14\r\nkey_spec_index\r\n:0\r\n*4\r\n$4\r\nname\r\n$5\r\nvalue\r\n"
    "$4\r\ntype\r\n$6\r\nstring\r\n*8\r\n$4\r\nname\r\n$9\r\n"
    "condition\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n"
    "+optional\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$2\r\n"
    "nx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nNX\r\n"
    "*6\r\n$4\r\nname\r\n$2\r\nxx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n"
    "$5\r\ntoken\r\n$2\r\nXX\r\n*8\r\n$4\r\nname\r\n$3\r\nget\r\n$4\r\n"
    "type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nGET\r\n$5\r\n"
    "flags\r\n*1\r\n+optional\r\n*8\r\n$4\r\nname\r\n$10\r\n"
    "expiration\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n"
    "+optional\r\n$9\r\narguments\r\n*5\r\n*6\r\n$4\r\nname\r\n$7\r\n"
    "seconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\n"
    "EX\r\n*6\r\n$4\r\nname\r\n$12\r\nmilliseconds\r\n$4\r\ntype\r\n"
    "$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nPX\r\n*6\r\n$4\r\nname\r\n"
    "$17\r\nunix-time-seconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\n"
    "token\r\n$4\r\nEXAT\r\n*6\r\n$4\r\nname\r\n$22\r\n"
    "unix-time-milliseconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\n"
    "token\r\n$4\r\nPXAT\r\n*6\r\n$4\r\nname\r\n$7\r\nkeepttl\r\n$4\r\n"
    "type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$7\r\nKEEPTTL\r\n");
    obuf_deinit(&b);
}

TEST(expire_bytes_resp3)
{
    struct obuf b;
    CHECK_EQ_INT(render(&b, 3, "key seconds [NX | XX | GT | LT]"), 0);
    CHECK_MEM_STR(b.data, b.len,
    "*3\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n"
    "$14\r\nkey_spec_index\r\n:0\r\n%2\r\n$4\r\nname\r\n$7\r\nseconds\r\n"
    "$4\r\ntype\r\n$7\r\ninteger\r\n%4\r\n$4\r\nname\r\n$9\r\n"
    "condition\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n~1\r\n"
    "+optional\r\n$9\r\narguments\r\n*4\r\n%3\r\n$4\r\nname\r\n$2\r\n"
    "nx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nNX\r\n"
    "%3\r\n$4\r\nname\r\n$2\r\nxx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n"
    "$5\r\ntoken\r\n$2\r\nXX\r\n%3\r\n$4\r\nname\r\n$2\r\ngt\r\n$4\r\n"
    "type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nGT\r\n%3\r\n$4\r\n"
    "name\r\n$2\r\nlt\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\n"
    "token\r\n$2\r\nLT\r\n");
    obuf_deinit(&b);
}

/* ---- shapes ------------------------------------------------------------- */

TEST(set_shape_resp3)
{
    CHECK_EQ_STR(shape(3, SET_SYNTAX),
                 "[{name key type key key_spec_index :0} {name value type string} "
                 "{name condition type oneof flags ~[+optional] arguments "
                 "[{name nx type pure-token token NX} {name xx type pure-token token XX}]} "
                 "{name get type pure-token token GET flags ~[+optional]} "
                 "{name expiration type oneof flags ~[+optional] arguments "
                 "[{name seconds type integer token EX} "
                 "{name milliseconds type integer token PX} "
                 "{name unix-time-seconds type unix-time token EXAT} "
                 "{name unix-time-milliseconds type unix-time token PXAT} "
                 "{name keepttl type pure-token token KEEPTTL}]}]");
}

TEST(mset)
{
    CHECK_EQ_STR(shape(2, "key value [key value ...]"),
                 "[[name key_value type block flags [+multiple] arguments "
                 "[[name key type key key_spec_index :0] [name value type string]]]]");
}

TEST(del)
{
    CHECK_EQ_STR(shape(2, "key [key ...]"),
                 "[[name key type key key_spec_index :0 flags [+multiple]]]");
    /* the bare "x ..." form means the same */
    CHECK_EQ_STR(shape(2, "key ..."),
                 "[[name key type key key_spec_index :0 flags [+multiple]]]");
}

TEST(expire)
{
    CHECK_EQ_STR(shape(2, "key seconds [NX | XX | GT | LT]"),
                 "[[name key type key key_spec_index :0] [name seconds type integer] "
                 "[name condition type oneof flags [+optional] arguments "
                 "[[name nx type pure-token token NX] [name xx type pure-token token XX] "
                 "[name gt type pure-token token GT] [name lt type pure-token token LT]]]]");
}

TEST(scan)
{
    CHECK_EQ_STR(shape(2, "cursor [MATCH pattern] [COUNT count] [TYPE type]"),
                 "[[name cursor type integer] "
                 "[name pattern type pattern token MATCH flags [+optional]] "
                 "[name count type integer token COUNT flags [+optional]] "
                 "[name type type string token TYPE flags [+optional]]]");
}

TEST(hello)
{
    CHECK_EQ_STR(shape(2, "[protover [AUTH username password] [SETNAME clientname]]"),
                 "[[name arguments type block flags [+optional] arguments "
                 "[[name protover type integer] "
                 "[name username_password type block token AUTH flags [+optional] arguments "
                 "[[name username type string] [name password type string]]] "
                 "[name clientname type string token SETNAME flags [+optional]]]]]");
}

TEST(getex)
{
    CHECK_EQ_STR(shape(2, "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
                          "PXAT unix-time-milliseconds | PERSIST]"),
                 "[[name key type key key_spec_index :0] "
                 "[name expiration type oneof flags [+optional] arguments "
                 "[[name seconds type integer token EX] "
                 "[name milliseconds type integer token PX] "
                 "[name unix-time-seconds type unix-time token EXAT] "
                 "[name unix-time-milliseconds type unix-time token PXAT] "
                 "[name persist type pure-token token PERSIST]]]]");
}

TEST(copy_flushall_shutdown)
{
    CHECK_EQ_STR(shape(2, "source destination [DB destination-db] [REPLACE]"),
                 "[[name source type key key_spec_index :0] "
                 "[name destination type key key_spec_index :1] "
                 "[name destination-db type integer token DB flags [+optional]] "
                 "[name replace type pure-token token REPLACE flags [+optional]]]");
    CHECK_EQ_STR(shape(2, "[ASYNC | SYNC]"),
                 "[[name async type oneof flags [+optional] arguments "
                 "[[name async type pure-token token ASYNC] "
                 "[name sync type pure-token token SYNC]]]]");
    CHECK_EQ_STR(shape(2, "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"),
                 "[[name nosave_save type oneof flags [+optional] arguments "
                 "[[name nosave type pure-token token NOSAVE] "
                 "[name save type pure-token token SAVE]]] "
                 "[name now type pure-token token NOW flags [+optional]] "
                 "[name force type pure-token token FORCE flags [+optional]] "
                 "[name abort type pure-token token ABORT flags [+optional]]]");
}

TEST(client_kill)
{
    CHECK_EQ_STR(shape(2, "[ip:port] | [ID client-id] [TYPE NORMAL | MASTER | SLAVE | "
                          "REPLICA | PUBSUB] [USER username] [ADDR ip:port] "
                          "[LADDR ip:port] [SKIPME yes | no]"),
                 "[[name arguments type oneof arguments "
                 "[[name ip:port type string flags [+optional]] "
                 "[name arguments type block arguments "
                 "[[name client-id type integer token ID flags [+optional]] "
                 "[name normal_master_slave_replica_pubsub type oneof token TYPE "
                 "flags [+optional] arguments "
                 "[[name normal type pure-token token NORMAL] "
                 "[name master type pure-token token MASTER] "
                 "[name slave type pure-token token SLAVE] "
                 "[name replica type pure-token token REPLICA] "
                 "[name pubsub type pure-token token PUBSUB]]] "
                 "[name username type string token USER flags [+optional]] "
                 "[name ip:port type string token ADDR flags [+optional]] "
                 "[name ip:port type string token LADDR flags [+optional]] "
                 "[name yes/no type string token SKIPME flags [+optional]]]]]]]");
}

TEST(repeats_and_tokens)
{
    /* the token repeats too -> multiple_token */
    CHECK_EQ_STR(shape(2, "[GET pattern [GET pattern ...]]"),
                 "[[name pattern type pattern token GET "
                 "flags [+optional +multiple +multiple_token]]]");
    /* only the value repeats */
    CHECK_EQ_STR(shape(2, "[WEIGHTS weight [weight ...]]"),
                 "[[name weight type integer token WEIGHTS flags [+optional +multiple]]]");
    /* key_spec_index counts keys in order; numkeys is not a key */
    CHECK_EQ_STR(shape(2, "destination numkeys key [key ...]"),
                 "[[name destination type key key_spec_index :0] "
                 "[name numkeys type integer] "
                 "[name key type key key_spec_index :1 flags [+multiple]]]");
    CHECK_EQ_STR(shape(2, "script numkeys [key [key ...]] [arg [arg ...]]"),
                 "[[name script type string] [name numkeys type integer] "
                 "[name key type key key_spec_index :0 flags [+optional +multiple]] "
                 "[name arg type string flags [+optional +multiple]]]");
    /* a token with several values -> a block carrying the token */
    CHECK_EQ_STR(shape(2, "[LIMIT offset count]"),
                 "[[name offset_count type block token LIMIT flags [+optional] arguments "
                 "[[name offset type integer] [name count type integer]]]]");
    /* <required> groups, a token applied to a oneof, explicit types */
    CHECK_EQ_STR(shape(2, "<ON | OFF> [OVERFLOW <WRAP | SAT>] key increment:double"),
                 "[[name on_off type oneof arguments "
                 "[[name on type pure-token token ON] [name off type pure-token token OFF]]] "
                 "[name wrap_sat type oneof token OVERFLOW flags [+optional] arguments "
                 "[[name wrap type pure-token token WRAP] "
                 "[name sat type pure-token token SAT]]] "
                 "[name key type key key_spec_index :0] [name increment type double]]");
    CHECK_EQ_STR(shape(2, "ip:port"), "[[name ip:port type string]]");
}

TEST(counts)
{
    CHECK_EQ_INT(docs_count_arguments(""), 0);
    CHECK_EQ_INT(docs_count_arguments("  "), 0);
    CHECK_EQ_INT(docs_count_arguments("key"), 1);
    CHECK_EQ_INT(docs_count_arguments(SET_SYNTAX), 5);
    CHECK_EQ_INT(docs_count_arguments("key value [key value ...]"), 1);
    CHECK_EQ_INT(docs_count_arguments("key seconds [NX | XX | GT | LT]"), 3);
    CHECK_EQ_INT(docs_count_arguments("cursor [MATCH pattern] [COUNT count] [TYPE type]"), 4);
    CHECK_EQ_INT(docs_count_arguments("[protover [AUTH username password] [SETNAME clientname]]"), 1);
    CHECK_EQ_INT(docs_count_arguments("[key"), -1);

    struct obuf b;
    CHECK_EQ_INT(render(&b, 2, ""), 0);
    CHECK_MEM_STR(b.data, b.len, "*0\r\n");
    obuf_deinit(&b);
}

TEST(malformed)
{
    static const char *const bad[] = {
        "[key", "a | ", "]", "[]", "| a", "a || b", "...", "a ... ...", "[...]",
        "<a]", "[a>", "a >", "<>", "[a | ]", "key [value", "key value]",
        "[[[a]]", "<ON | OFF",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct obuf b;
        obuf_init(&b);
        obuf_append(&b, F("+prefix\r\n"));
        struct resp_writer w = {&b, 2};
        if (!CHECK_EQ_INT(docs_write_arguments(&w, bad[i]), -1))
            fprintf(stderr, "    syntax: \"%s\"\n", bad[i]);
        CHECK_MEM_STR(b.data, b.len, "+prefix\r\n"); /* nothing written */
        CHECK_EQ_INT(docs_count_arguments(bad[i]), -1);
        obuf_deinit(&b);
    }
}

TEST(nesting_limit)
{
    char deep[256];
    size_t n = 0;
    for (int i = 0; i < 32; i++)
        deep[n++] = '[';
    deep[n++] = 'a';
    for (int i = 0; i < 32; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    CHECK_EQ_INT(docs_count_arguments(deep), 1);

    n = 0;
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    deep[n++] = 'a';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    CHECK_EQ_INT(docs_count_arguments(deep), -1);
}
