/* docs.c - COMMAND DOCS "arguments" from a syntax string.  See docs.h.
 *
 * Two stages, both into scratch arrays freed before returning:
 *   1. parse the syntax into a tree of words, [optional] and <required>
 *      groups, "..." and alternations (pnode);
 *   2. convert that tree into Redis's argument tree (anode): collapse
 *      "x [x ...]" into one repeated unit, attach literal tokens to the
 *      values that follow them, turn alternations into oneofs and
 *      multi-item groups into blocks.
 * Only a fully converted tree is written, so a malformed syntax writes
 * nothing.
 */
#include "server/commands/docs.h"

#include "protocol/resp_write.h"

#include <stdlib.h>
#include <string.h>

#define DOCS_MAX_DEPTH 32   /* nesting of [ ] and < > */
#define DOCS_MAX_JOINED 40  /* longer joined block/oneof names -> "arguments" */

/* ---- scratch state ------------------------------------------------------ */

enum pkind { P_WORD, P_OPT, P_REQ, P_ELLIPSIS, P_ALT, P_SEQ };

struct pnode {
    int kind;
    int off, len;           /* P_WORD: the word in the syntax string */
    int first, last, next;  /* children (linked by next), -1 = none */
    int n;                  /* number of children */
};

enum atype {
    T_STRING,
    T_INTEGER,
    T_DOUBLE,
    T_KEY,
    T_PATTERN,
    T_UNIX_TIME,
    T_PURE_TOKEN,
    T_ONEOF,
    T_BLOCK,
};

static const char *const type_names[] = {
    "string", "integer", "double", "key", "pattern", "unix-time",
    "pure-token", "oneof", "block",
};

#define F_OPTIONAL 1
#define F_MULTIPLE 2
#define F_MULTIPLE_TOKEN 4

struct anode {
    int type;
    size_t name_off, name_len; /* in ctx.str */
    int tok_off, tok_len;      /* in the syntax; tok_off < 0: no token */
    int flags;
    int key_spec;              /* < 0: none */
    int first, last, next, n;  /* sub-arguments of a oneof / block */
};

struct alist {
    int first, last, n;
};

struct ctx {
    const char *src;
    size_t pos; /* lexer position */
    struct pnode *p;
    int np, cap_p;
    struct anode *a;
    int na, cap_a;
    char *str;
    size_t ns, cap_s;
    int next_key;
};

static void *grow(void *ptr, int *cap, size_t elem)
{
    int ncap = *cap ? *cap * 2 : 32;
    void *n = realloc(ptr, (size_t)ncap * elem);
    if (!n)
        abort(); /* as obuf: out of memory with nothing sane left to do */
    *cap = ncap;
    return n;
}

static int new_pnode(struct ctx *c, int kind)
{
    if (c->np == c->cap_p)
        c->p = grow(c->p, &c->cap_p, sizeof(*c->p));
    struct pnode *p = &c->p[c->np];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->first = p->last = p->next = -1;
    return c->np++;
}

static void padd(struct ctx *c, int parent, int child)
{
    struct pnode *p = &c->p[parent];
    if (p->last >= 0)
        c->p[p->last].next = child;
    else
        p->first = child;
    p->last = child;
    p->n++;
}

static int new_arg(struct ctx *c, int type)
{
    if (c->na == c->cap_a)
        c->a = grow(c->a, &c->cap_a, sizeof(*c->a));
    struct anode *a = &c->a[c->na];
    memset(a, 0, sizeof(*a));
    a->type = type;
    a->tok_off = -1;
    a->key_spec = -1;
    a->first = a->last = a->next = -1;
    return c->na++;
}

static void list_push(struct ctx *c, struct alist *l, int arg)
{
    c->a[arg].next = -1;
    if (l->last >= 0)
        c->a[l->last].next = arg;
    else
        l->first = arg;
    l->last = arg;
    l->n++;
}

static void str_reserve(struct ctx *c, size_t extra)
{
    if (c->ns + extra <= c->cap_s)
        return;
    size_t ncap = c->cap_s ? c->cap_s : 256;
    while (ncap < c->ns + extra)
        ncap *= 2;
    char *m = realloc(c->str, ncap);
    if (!m)
        abort();
    c->str = m;
    c->cap_s = ncap;
}

/* Append bytes (not from the arena itself) to the string arena; returns
 * their offset. */
static size_t str_add(struct ctx *c, const char *s, size_t n)
{
    str_reserve(c, n);
    if (n)
        memcpy(c->str + c->ns, s, n);
    size_t off = c->ns;
    c->ns += n;
    return off;
}

static void set_name(struct ctx *c, int arg, const char *s, size_t n)
{
    size_t off = str_add(c, s, n);
    c->a[arg].name_off = off;
    c->a[arg].name_len = n;
}

static void set_name_lower(struct ctx *c, int arg, const char *s, size_t n)
{
    size_t off = str_add(c, s, n);
    for (size_t i = 0; i < n; i++) {
        char ch = c->str[off + i];
        if (ch >= 'A' && ch <= 'Z')
            c->str[off + i] = (char)(ch - 'A' + 'a');
    }
    c->a[arg].name_off = off;
    c->a[arg].name_len = n;
}

static int name_is(const struct ctx *c, int arg, const char *s)
{
    const struct anode *a = &c->a[arg];
    return a->name_len == strlen(s) && memcmp(c->str + a->name_off, s, a->name_len) == 0;
}

/* Name a block / oneof after its members, joined by "_" ("key_value"),
 * or "arguments" when that would be long or nested (HELLO's outer block). */
static void name_joined(struct ctx *c, int arg)
{
    size_t n = 0;
    int nested = 0;
    for (int m = c->a[arg].first; m >= 0; m = c->a[m].next) {
        n += c->a[m].name_len + (n ? 1 : 0);
        nested |= c->a[m].type == T_ONEOF || c->a[m].type == T_BLOCK;
    }
    if (n > DOCS_MAX_JOINED || nested) {
        set_name(c, arg, "arguments", 9);
        return;
    }
    str_reserve(c, n); /* members' names live in the arena too */
    size_t off = c->ns;
    for (int m = c->a[arg].first; m >= 0; m = c->a[m].next) {
        if (c->ns > off)
            c->str[c->ns++] = '_';
        memcpy(c->str + c->ns, c->str + c->a[m].name_off, c->a[m].name_len);
        c->ns += c->a[m].name_len;
    }
    c->a[arg].name_off = off;
    c->a[arg].name_len = n;
}

/* ---- words -------------------------------------------------------------- */

/* A word with a lowercase letter names an argument; any other word (NX,
 * $, *, "") is a literal token. */
static int is_arg_word(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] >= 'a' && s[i] <= 'z')
            return 1;
    return 0;
}

static int word_is_arg(const struct ctx *c, int pn)
{
    const struct pnode *p = &c->p[pn];
    return p->kind == P_WORD && is_arg_word(c->src + p->off, p->len);
}

static int word_is_literal(const struct ctx *c, int pn)
{
    const struct pnode *p = &c->p[pn];
    return p->kind == P_WORD && !is_arg_word(c->src + p->off, p->len);
}

static int word_eq(const char *s, int n, const char *lit)
{
    return (size_t)n == strlen(lit) && memcmp(s, lit, (size_t)n) == 0;
}

static int ends_with(const char *s, int n, const char *suffix)
{
    int k = (int)strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, (size_t)k) == 0;
}

static int contains(const char *s, int n, const char *needle)
{
    int k = (int)strlen(needle);
    for (int i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, (size_t)k) == 0)
            return 1;
    return 0;
}

static const char *const integer_names[] = {
    "seconds", "milliseconds", "count", "cursor", "numkeys", "offset", "start",
    "end", "stop", "index", "db", "destination-db", "protover", "client-id",
    "increment", "decrement", "timeout", "port", "rank", "len", "num-matches",
    "numreplicas", "numlocal", "weight", "integer",
};

static const char *const double_names[] = {
    "score", "longitude", "latitude", "radius", "width", "height",
};

static int infer_type(const char *s, int n)
{
    if (word_eq(s, n, "key") || word_eq(s, n, "source") ||
        word_eq(s, n, "destination") || ends_with(s, n, "key"))
        return T_KEY;
    if (word_eq(s, n, "pattern"))
        return T_PATTERN;
    if (word_eq(s, n, "unix-time-seconds") || word_eq(s, n, "unix-time-milliseconds"))
        return T_UNIX_TIME;
    if (contains(s, n, "float"))
        return T_DOUBLE;
    for (size_t i = 0; i < sizeof(integer_names) / sizeof(*integer_names); i++)
        if (word_eq(s, n, integer_names[i]))
            return T_INTEGER;
    for (size_t i = 0; i < sizeof(double_names) / sizeof(*double_names); i++)
        if (word_eq(s, n, double_names[i]))
            return T_DOUBLE;
    return T_STRING;
}

/* A lowercase word -> a value argument ("name:type" forces the type). */
static int value_arg(struct ctx *c, int pn)
{
    const char *s = c->src + c->p[pn].off;
    int n = c->p[pn].len, type = -1;
    for (int i = n - 1; i > 0; i--) {
        if (s[i] != ':')
            continue;
        for (int t = T_STRING; t <= T_UNIX_TIME; t++)
            if (word_eq(s + i + 1, n - i - 1, type_names[t]))
                type = t;
        if (type >= 0)
            n = i;
        break;
    }
    if (type < 0)
        type = infer_type(s, n);
    int a = new_arg(c, type);
    set_name(c, a, s, (size_t)n);
    if (type == T_KEY)
        c->a[a].key_spec = c->next_key++;
    return a;
}

static int pure_token(struct ctx *c, int pn)
{
    int a = new_arg(c, T_PURE_TOKEN);
    set_name_lower(c, a, c->src + c->p[pn].off, (size_t)c->p[pn].len);
    c->a[a].tok_off = c->p[pn].off;
    c->a[a].tok_len = c->p[pn].len;
    return a;
}

/* ---- parsing ------------------------------------------------------------ */

enum ltok { L_EOF, L_WORD, L_ELLIPSIS, L_OPEN_OPT, L_CLOSE_OPT, L_OPEN_REQ, L_CLOSE_REQ, L_BAR };

static int is_special(char ch)
{
    return ch == '[' || ch == ']' || ch == '<' || ch == '>' || ch == '|';
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Next token; a word's extent goes to *off / *len.  Only advances when
 * consume is set. */
static int lex(struct ctx *c, int consume, int *off, int *len)
{
    size_t i = c->pos;
    while (is_blank(c->src[i]))
        i++;
    int t;
    size_t end = i + 1;
    switch (c->src[i]) {
    case '\0': t = L_EOF; end = i; break;
    case '[': t = L_OPEN_OPT; break;
    case ']': t = L_CLOSE_OPT; break;
    case '<': t = L_OPEN_REQ; break;
    case '>': t = L_CLOSE_REQ; break;
    case '|': t = L_BAR; break;
    default:
        end = i;
        while (c->src[end] && !is_blank(c->src[end]) && !is_special(c->src[end]))
            end++;
        t = (end - i == 3 && memcmp(c->src + i, "...", 3) == 0) ? L_ELLIPSIS : L_WORD;
        if (off) {
            *off = (int)i;
            *len = (int)(end - i);
        }
    }
    if (consume)
        c->pos = end;
    return t;
}

static int parse_alt(struct ctx *c, int depth, int closer);

static int parse_seq(struct ctx *c, int depth)
{
    int seq = new_pnode(c, P_SEQ);
    for (;;) {
        int off = 0, len = 0, t = lex(c, 0, &off, &len);
        int item;
        if (t == L_OPEN_OPT || t == L_OPEN_REQ) {
            lex(c, 1, NULL, NULL);
            if (depth >= DOCS_MAX_DEPTH)
                return -1;
            int alt = parse_alt(c, depth + 1, t == L_OPEN_OPT ? L_CLOSE_OPT : L_CLOSE_REQ);
            if (alt < 0)
                return -1;
            item = new_pnode(c, t == L_OPEN_OPT ? P_OPT : P_REQ);
            padd(c, item, alt);
        } else if (t == L_WORD || t == L_ELLIPSIS) {
            lex(c, 1, NULL, NULL);
            item = new_pnode(c, t == L_WORD ? P_WORD : P_ELLIPSIS);
            c->p[item].off = off;
            c->p[item].len = len;
        } else {
            break;
        }
        padd(c, seq, item);
    }
    return c->p[seq].n ? seq : -1; /* "[]", "a |", "| a" */
}

static int parse_alt(struct ctx *c, int depth, int closer)
{
    int alt = new_pnode(c, P_ALT);
    for (;;) {
        int seq = parse_seq(c, depth);
        if (seq < 0)
            return -1;
        padd(c, alt, seq);
        if (lex(c, 0, NULL, NULL) != L_BAR)
            break;
        lex(c, 1, NULL, NULL);
    }
    return lex(c, 1, NULL, NULL) == closer ? alt : -1;
}

static int pnode_eq(const struct ctx *c, int x, int y)
{
    const struct pnode *a = &c->p[x], *b = &c->p[y];
    if (a->kind != b->kind || a->n != b->n)
        return 0;
    if (a->kind == P_WORD)
        return a->len == b->len && memcmp(c->src + a->off, c->src + b->off, (size_t)a->len) == 0;
    for (int i = a->first, j = b->first; i >= 0; i = c->p[i].next, j = c->p[j].next)
        if (!pnode_eq(c, i, j))
            return 0;
    return 1;
}

/* ---- conversion --------------------------------------------------------- */

enum ukind { U_ITEM, U_REPEAT };

/* A unit of a sequence: one item, or items[lo..hi) repeated ("x [x ...]"). */
struct unit {
    int kind;
    int lo, hi;
};

static int conv_alt(struct ctx *c, int alt, struct alist *out);
static int conv_units(struct ctx *c, const int *items, const struct unit *u, int nu,
                      struct alist *out);

static int block_of(struct ctx *c, struct alist l, int flags)
{
    int b = new_arg(c, T_BLOCK);
    c->a[b].first = l.first;
    c->a[b].last = l.last;
    c->a[b].n = l.n;
    c->a[b].flags = flags;
    name_joined(c, b);
    return b;
}

static int conv_item(struct ctx *c, int pn)
{
    const struct pnode *p = &c->p[pn];
    if (p->kind == P_WORD)
        return is_arg_word(c->src + p->off, p->len) ? value_arg(c, pn) : pure_token(c, pn);
    if (p->kind == P_OPT || p->kind == P_REQ) {
        int opt = p->kind == P_OPT;
        struct alist l = {-1, -1, 0};
        if (conv_alt(c, p->first, &l) < 0)
            return -1;
        if (l.n != 1)
            return block_of(c, l, opt ? F_OPTIONAL : 0);
        if (opt)
            c->a[l.first].flags |= F_OPTIONAL;
        return l.first;
    }
    return -1; /* a "..." with nothing before it to repeat */
}

static int conv_unit(struct ctx *c, const int *items, const struct unit *u)
{
    if (u->kind == U_ITEM)
        return conv_item(c, items[u->lo]);
    int n = u->hi - u->lo;
    struct unit *sub = malloc((size_t)n * sizeof(*sub));
    if (!sub)
        abort();
    for (int i = 0; i < n; i++)
        sub[i] = (struct unit){U_ITEM, u->lo + i, u->lo + i + 1};
    struct alist l = {-1, -1, 0};
    int rc = conv_units(c, items, sub, n, &l);
    free(sub);
    if (rc < 0)
        return -1;
    if (l.n != 1)
        return block_of(c, l, F_MULTIPLE);
    int a = l.first;
    c->a[a].flags |= F_MULTIPLE;
    if (c->a[a].tok_off >= 0)
        c->a[a].flags |= F_MULTIPLE_TOKEN;
    return a;
}

/* Can this unit take the literal token before it ("EX seconds")? */
static int takes_token(const struct ctx *c, const int *items, const struct unit *u)
{
    int first = items[u->lo];
    return word_is_arg(c, first) || (u->kind == U_ITEM && c->p[first].kind == P_REQ);
}

/* Second pass over a sequence: literal tokens attach to the run of values
 * after them; everything else converts on its own. */
static int conv_units(struct ctx *c, const int *items, const struct unit *u, int nu,
                      struct alist *out)
{
    for (int i = 0; i < nu;) {
        if (u[i].kind != U_ITEM || !word_is_literal(c, items[u[i].lo])) {
            int a = conv_unit(c, items, &u[i]);
            if (a < 0)
                return -1;
            list_push(c, out, a);
            i++;
            continue;
        }
        int tok = items[u[i].lo], j = i + 1;
        while (j < nu && takes_token(c, items, &u[j]))
            j++;
        int a;
        if (j == i + 1) {
            a = pure_token(c, tok);
        } else {
            struct alist l = {-1, -1, 0};
            for (int k = i + 1; k < j; k++) {
                int v = conv_unit(c, items, &u[k]);
                if (v < 0)
                    return -1;
                list_push(c, &l, v);
            }
            a = (l.n == 1 && c->a[l.first].tok_off < 0) ? l.first : block_of(c, l, 0);
            c->a[a].tok_off = c->p[tok].off;
            c->a[a].tok_len = c->p[tok].len;
        }
        list_push(c, out, a);
        i = j;
    }
    return 0;
}

/* First pass over a sequence: find repeats, then convert. */
static int conv_seq(struct ctx *c, int seq, struct alist *out)
{
    int m = c->p[seq].n;
    int *items = malloc((size_t)m * sizeof(*items));
    struct unit *u = malloc((size_t)m * sizeof(*u));
    if (!items || !u)
        abort();
    int k = 0, nu = 0, rc = -1;
    for (int i = c->p[seq].first; i >= 0; i = c->p[i].next)
        items[k++] = i;

    for (int i = 0; i < m; i++) {
        const struct pnode *p = &c->p[items[i]];
        if (p->kind == P_ELLIPSIS) { /* "x ..." */
            if (nu == 0 || u[nu - 1].kind == U_REPEAT)
                goto out;
            u[nu - 1].kind = U_REPEAT;
            continue;
        }
        if (p->kind == P_OPT && c->p[p->first].n == 1) {
            /* "x y [x y ...]": the bracket repeats the items before it. */
            const struct pnode *inner = &c->p[c->p[p->first].first];
            int r = inner->n - 1;
            if (r >= 1 && c->p[inner->last].kind == P_ELLIPSIS && r <= nu) {
                int ok = 1, q = inner->first;
                for (int j = nu - r; ok && j < nu; j++, q = c->p[q].next)
                    ok = u[j].kind == U_ITEM && pnode_eq(c, items[u[j].lo], q);
                if (ok) {
                    u[nu - r].kind = U_REPEAT;
                    u[nu - r].hi = u[nu - 1].hi;
                    nu -= r - 1;
                    continue;
                }
            }
        }
        u[nu++] = (struct unit){U_ITEM, i, i + 1};
    }
    rc = conv_units(c, items, u, nu, out);
out:
    free(items);
    free(u);
    return rc;
}

static const struct {
    const char *joined, *name;
} oneof_names[] = {
    {"nx_xx", "condition"},
    {"nx_xx_gt_lt", "condition"},
    {"gt_lt", "comparison"},
    {"async_sync", "async"},
    {"asc_desc", "order"},
};

static void name_oneof(struct ctx *c, int arg)
{
    int first = c->a[arg].first;
    if (first >= 0 && c->a[first].tok_off >= 0 &&
        word_eq(c->src + c->a[first].tok_off, c->a[first].tok_len, "EX")) {
        set_name(c, arg, "expiration", 10);
        return;
    }
    name_joined(c, arg);
    for (size_t i = 0; i < sizeof(oneof_names) / sizeof(*oneof_names); i++)
        if (name_is(c, arg, oneof_names[i].joined)) {
            set_name(c, arg, oneof_names[i].name, strlen(oneof_names[i].name));
            return;
        }
}

/* "T W | V | ...": a token then single-word alternatives (all literal, or
 * all arguments).  Returns the token's pnode, or -1. */
static int token_then_words(const struct ctx *c, int alt)
{
    int s0 = c->p[alt].first;
    if (c->p[s0].n != 2)
        return -1;
    int t = c->p[s0].first, w = c->p[t].next;
    if (!word_is_literal(c, t) || c->p[w].kind != P_WORD)
        return -1;
    int want = word_is_arg(c, w);
    for (int s = c->p[s0].next; s >= 0; s = c->p[s].next) {
        int x = c->p[s].first;
        if (c->p[s].n != 1 || c->p[x].kind != P_WORD || word_is_arg(c, x) != want)
            return -1;
    }
    return t;
}

static int conv_alt(struct ctx *c, int alt, struct alist *out)
{
    int s0 = c->p[alt].first;
    if (c->p[alt].n == 1)
        return conv_seq(c, s0, out);

    int tok = token_then_words(c, alt), a;
    if (tok >= 0 && word_is_arg(c, c->p[tok].next)) {
        /* "SKIPME yes | no" -> a string named "yes/no" with token SKIPME */
        a = new_arg(c, T_STRING);
        size_t off = c->ns, n = 0;
        for (int s = s0; s >= 0; s = c->p[s].next) {
            const struct pnode *x = &c->p[c->p[s].last];
            if (n) {
                str_add(c, "/", 1);
                n++;
            }
            str_add(c, c->src + x->off, (size_t)x->len);
            n += (size_t)x->len;
        }
        c->a[a].name_off = off;
        c->a[a].name_len = n;
    } else {
        struct alist members = {-1, -1, 0};
        for (int s = s0; s >= 0; s = c->p[s].next) {
            int m;
            if (tok >= 0) { /* "TYPE NORMAL | MASTER" -> pure tokens */
                m = pure_token(c, c->p[s].last);
            } else {
                struct alist l = {-1, -1, 0};
                if (conv_seq(c, s, &l) < 0)
                    return -1;
                m = l.n == 1 ? l.first : block_of(c, l, 0);
            }
            list_push(c, &members, m);
        }
        a = new_arg(c, T_ONEOF);
        c->a[a].first = members.first;
        c->a[a].last = members.last;
        c->a[a].n = members.n;
        name_oneof(c, a);
    }
    if (tok >= 0) {
        c->a[a].tok_off = c->p[tok].off;
        c->a[a].tok_len = c->p[tok].len;
    }
    list_push(c, out, a);
    return 0;
}

/* ---- entry points ------------------------------------------------------- */

static int build(struct ctx *c, const char *syntax, struct alist *out)
{
    memset(c, 0, sizeof(*c));
    c->src = syntax ? syntax : "";
    *out = (struct alist){-1, -1, 0};
    if (lex(c, 0, NULL, NULL) == L_EOF)
        return 0;
    int root = parse_alt(c, 0, L_EOF);
    if (root < 0)
        return -1;
    return conv_alt(c, root, out);
}

static void ctx_free(struct ctx *c)
{
    free(c->p);
    free(c->a);
    free(c->str);
}

static void write_list(struct resp_writer *w, const struct ctx *c, int first, int n);

static void write_arg(struct resp_writer *w, const struct ctx *c, int i)
{
    const struct anode *a = &c->a[i];
    int nested = a->type == T_ONEOF || a->type == T_BLOCK;
    resp_map(w, 2 + (a->key_spec >= 0) + (a->tok_off >= 0) + (a->flags != 0) + nested);
    resp_bulk_cstr(w, "name");
    resp_bulk(w, c->str + a->name_off, a->name_len);
    resp_bulk_cstr(w, "type");
    resp_bulk_cstr(w, type_names[a->type]);
    if (a->key_spec >= 0) {
        resp_bulk_cstr(w, "key_spec_index");
        resp_int(w, a->key_spec);
    }
    if (a->tok_off >= 0) {
        resp_bulk_cstr(w, "token");
        resp_bulk(w, c->src + a->tok_off, (size_t)a->tok_len);
    }
    if (a->flags) {
        resp_bulk_cstr(w, "flags");
        resp_set(w, !!(a->flags & F_OPTIONAL) + !!(a->flags & F_MULTIPLE) +
                        !!(a->flags & F_MULTIPLE_TOKEN));
        if (a->flags & F_OPTIONAL)
            resp_simple(w, "optional");
        if (a->flags & F_MULTIPLE)
            resp_simple(w, "multiple");
        if (a->flags & F_MULTIPLE_TOKEN)
            resp_simple(w, "multiple_token");
    }
    if (nested) {
        resp_bulk_cstr(w, "arguments");
        write_list(w, c, a->first, a->n);
    }
}

static void write_list(struct resp_writer *w, const struct ctx *c, int first, int n)
{
    resp_array(w, n);
    for (int i = first; i >= 0; i = c->a[i].next)
        write_arg(w, c, i);
}

int docs_write_arguments(struct resp_writer *w, const char *syntax)
{
    struct ctx c;
    struct alist l;
    int rc = build(&c, syntax, &l);
    if (rc == 0)
        write_list(w, &c, l.first, l.n);
    ctx_free(&c);
    return rc < 0 ? -1 : 0;
}

int docs_count_arguments(const char *syntax)
{
    struct ctx c;
    struct alist l;
    int rc = build(&c, syntax, &l);
    ctx_free(&c);
    return rc < 0 ? -1 : l.n;
}
