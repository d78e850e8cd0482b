/* mc_parse.h - pure, resumable memcached text and meta protocol parser.
 *
 * Owns: turning bytes into memcached requests, with memcached 1.6.18's
 * exact error replies and its continue / swallow / close decisions.  Must
 * not: do I/O, touch server state, or reply to anyone.  Errors are state
 * (a reply text in req->err), never aborts, so it is testable and fuzzable
 * alone.  Nothing here includes server/.
 *
 * Usage (one parser per connection; buf is the start of the unconsumed
 * input, which may move or grow between calls):
 *
 *     for (;;) {
 *         st = mc_parse(&p, buf, len, &lim, &req);
 *         if (st == MC_NEED_MORE) break;            // read more, call again
 *         if (st == MC_CLOSE) { close it; break; }  // no reply at all
 *         if (st == MC_OK) execute(&req, buf);      // req->cmd, spans into buf
 *         else if (st == MC_ERROR && !req.noreply)
 *             reply(req.err + "\r\n");
 *         // MC_SWALLOW: nothing to do
 *         consume(req.frame_len);                   // then buf/len move on
 *     }
 *
 * Statuses:
 *   MC_OK        a complete request; consume req->frame_len bytes (the
 *                command line plus, for storage commands and ms, the data
 *                block and its "\r\n").
 *   MC_NEED_MORE nothing consumed.  Call again with the same frame start
 *                and more bytes; the parser resumes where it stopped (a
 *                line is never rescanned, a data block never rescanned).
 *                p->need is then the total frame length needed when known
 *                (data blocks), else 0.
 *   MC_ERROR     send req->err (the reply line without "\r\n") unless
 *                req->noreply, consume req->frame_len, and go on with the
 *                next command (memcached never closes on these).
 *                If req->swallow > 0 the client's data block for a refused
 *                store follows: the parser then discards exactly that many
 *                bytes itself (see MC_SWALLOW), never buffering them.
 *   MC_SWALLOW   the parser is discarding a refused data block: consume
 *                req->frame_len bytes (all or part of what was given, never
 *                0) and call again; p->swallow bytes remain to discard.
 *                Nothing to execute or reply.
 *   MC_CLOSE     memcached closes the connection here without replying (a
 *                command line too long without a newline, see below).  The
 *                parser stays closed until mc_parser_reset().
 *
 * After MC_OK / MC_ERROR / MC_SWALLOW the parser is ready for the next
 * frame by itself (no reset call needed).  The arrays req points to (keys,
 * args, meta flags, the decoded binary key) live in the parser and stay
 * valid until the next mc_parse() call.  All spans are offsets from the
 * frame start (the buf of the call that returned the request).
 *
 * What memcached 1.6.18 does, and so what this parser reports (verified
 * against /usr/bin/memcached 1.6.18 with raw sockets):
 *
 * Lines.  A command line ends at '\n'; one '\r' before it is stripped when
 * the line has at least 2 bytes; a NUL byte ends the line early (memcached
 * treats the line as a C string).  Tokens are separated by ' ' only: tabs,
 * '\r' and other control bytes are part of tokens (and of keys).  Command
 * names are case-sensitive.  An empty line, a command name shorter than 2
 * bytes, an unknown command or a wrong argument count -> "ERROR" (continue).
 * Memcached splits at most 23 tokens (the rest stays one "token"), which is
 * what its argument-count checks see; this parser counts the same way.
 *
 * Line length.  If more than lim->max_line_len (memcached: 2048) bytes are
 * buffered without a '\n', memcached closes the connection with no reply
 * -> MC_CLOSE, e.g. for a 100 KB line without newline.  Exception: a line
 * starting, after at most 100 spaces, with "get " or "gets " (not gat) may
 * grow; memcached does not bound it, Cachet closes beyond
 * lim->max_get_line_len.  Like memcached, the check looks only at bytes
 * buffered without a newline: a longer line whose '\n' arrived in the same
 * read is processed (memcached reads up to 16 KB at a time), so the close
 * depends on how the bytes arrive, as it does in memcached.
 *
 * Keys.  At most 250 bytes, else "CLIENT_ERROR bad command line format"
 * (get: the whole command fails, no VALUE is sent for earlier keys).
 * Memcached accepts control characters in keys (only ' ' splits);
 * lim->reject_ctrl_keys makes bytes < 0x20 and 0x7f fail the same way.
 * A get may have any number of keys in memcached; Cachet fails a get with
 * more than lim->max_keys keys with "CLIENT_ERROR bad command line format"
 * (the whole line has been consumed, so the connection stays in sync).
 *
 * Numbers are parsed exactly like memcached's safe_strto* helpers on a
 * 64-bit host: strtol/strtoul/strtoull rules (leading whitespace other than
 * ' ', a '+' or '-' sign and leading zeros are fine; trailing junk after a
 * whitespace byte such as '\t' is ignored; overflow of the 64-bit type
 * fails; a '-' is refused by the unsigned parsers only when the result
 * would be negative as a signed value), then truncated to 32 bits where
 * memcached stores 32 bits.  So flags "4294967296" is 0, exptime
 * "2147483648" is -2147483648, and bytes "4294967297" is 1.
 *
 * Noreply.  For text commands memcached suppresses every reply, errors
 * included, once it has seen "noreply" as the last token (set/add/replace/
 * append/prepend/cas, incr/decr, touch, delete with 3+ tokens, verbosity,
 * flush_all), even when the command then fails; req->noreply says so on
 * MC_OK and MC_ERROR.  Errors found before that ("ERROR" for a wrong
 * argument count) are always sent.  Meta commands never suppress errors:
 * req->noreply is 0 for them and the q flag is just a flag.
 *
 * Storage commands: "<cmd> <key> <flags> <exptime> <bytes> [noreply]" and
 * "cas <key> <flags> <exptime> <bytes> <cas> [noreply]"; a 6th (7th for cas)
 * token that is not "noreply" is ignored.  Bad numbers, or bytes < 0 or
 * > INT_MAX - 2 -> "CLIENT_ERROR bad command line format" WITHOUT swallowing
 * (memcached then parses the data block as the next command line, which
 * typically answers "ERROR").  A too-large item -> "SERVER_ERROR object too
 * large for cache" and the bytes + 2 that follow are swallowed unread; for
 * set (and every ms mode) memcached also deletes the existing item:
 * req->drop_key.  The data block is exactly bytes + 2 bytes after the line;
 * if its last two bytes are not "\r\n" -> "CLIENT_ERROR bad data chunk",
 * those bytes + 2 are consumed all the same and parsing continues right
 * after them (memcached does not look for a newline).
 *
 * Meta commands (mg ms md ma mn me): "<cm> <key> [<datalen> for ms]
 * <flags>*".  Each flag token is one flag character plus an optional token
 * (req->mflags, in request order); the parser validates them the way
 * memcached's flag pre-parse does (duplicate flag, byte >= 127 -> "duplicate
 * flag"; unknown -> "invalid flag"; bad numeric N/T/R/C tokens -> "bad token
 * in command line format"; M token not 2 bytes; J/D not unsigned 64-bit;
 * b key not base64 -> "error decoding key"; later errors overwrite earlier
 * ones except duplicate/invalid, which stop the scan), then per command: md
 * and ma answer any flag error with "CLIENT_ERROR invalid or duplicate flag";
 * an O token longer than 32 bytes (with the 'O') -> "opaque token too
 * long"; ms/ma M modes are checked.  More than 17 flags (16 for ms) ->
 * "options flags are too long" (mg) / "options flags too long".  ms errors
 * found after its datalen was read swallow datalen + 2 bytes.  The decoded
 * meta values are in req->meta; the b flag's key is decoded into req->bkey.
 *
 * Differences kept on purpose (where memcached has side effects before an
 * error): ma with a too-long opaque applies the delta before failing and
 * mg with N/T touches the item before failing on the opaque; gat touches
 * the keys before a too-long one.  Here the request just fails.  The binary
 * protocol (first byte 0x80) is not supported: it reads as a text line.
 *
 * Two memcached output quirks are the caller's business, not the parser's
 * (and are best not copied): memcached holds queued replies while it waits
 * for a data block or swallows one (so "SERVER_ERROR object too large"
 * arrives after the swallowed bytes), and a get failing on a too-long key
 * discards the not-yet-written replies of earlier pipelined commands.
 */
#ifndef CACHET_MC_PARSE_H
#define CACHET_MC_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define MC_KEY_MAX 250       /* KEY_MAX_LENGTH */
#define MC_MAX_TOKENS 24     /* memcached's MAX_TOKENS: 23 tokens + the rest */
#define MC_OPAQUE_MAX 32     /* an O token, 'O' included, may be this long */

enum mc_status {
    MC_OK = 0,
    MC_NEED_MORE = 1,
    MC_ERROR = 2,
    MC_SWALLOW = 3,
    MC_CLOSE = 4,
};

enum mc_cmd {
    MC_CMD_NONE = 0, /* MC_ERROR for an unknown command, MC_SWALLOW */
    MC_CMD_GET,      /* also memcached's undocumented "bget" */
    MC_CMD_GETS,
    MC_CMD_GAT,
    MC_CMD_GATS,
    MC_CMD_SET,
    MC_CMD_ADD,
    MC_CMD_REPLACE,
    MC_CMD_APPEND,
    MC_CMD_PREPEND,
    MC_CMD_CAS,
    MC_CMD_DELETE,
    MC_CMD_INCR,
    MC_CMD_DECR,
    MC_CMD_TOUCH,
    MC_CMD_FLUSH_ALL,
    MC_CMD_VERSION,   /* any arguments are ignored */
    MC_CMD_VERBOSITY,
    MC_CMD_QUIT,      /* any arguments are ignored; close after replies */
    MC_CMD_STATS,     /* args: the tokens after "stats" (of the first 23) */
    /* memcached's admin commands, passed through for the caller: shutdown,
     * slabs, lru, lru_crawler, watch, cache_memlimit.  args: the first 23
     * tokens, the name first.  (memcached 1.6.18 defaults: "shutdown" ->
     * "ERROR: shutdown not enabled"; "watch" -> "OK" then log lines.) */
    MC_CMD_OTHER,
    MC_CMD_MG,
    MC_CMD_MS,
    MC_CMD_MD,
    MC_CMD_MA,
    MC_CMD_MN,        /* any arguments are ignored */
    MC_CMD_ME,
};

struct mc_limits {
    size_t max_line_len;     /* bytes without '\n' before closing (memcached: 2048);
                              * keep >= 106 so the get exemption can be judged */
    size_t max_get_line_len; /* the same for get/gets lines (memcached: unbounded) */
    size_t max_keys;         /* keys per get/gets/gat/gats (memcached: unbounded) */
    uint64_t max_item_size;  /* -I / item-size-max (memcached: 1 MB) */
    /* 0: an item is too large when bytes > max_item_size.  Otherwise
     * memcached's exact rule: item_overhead + nkey + 1 + (flags ? 4 : 0) +
     * bytes + 2 > max_item_size (item_overhead is 56 = 48-byte item header
     * + 8-byte CAS on 64-bit memcached 1.6 with CAS enabled). */
    uint64_t item_overhead;
    int reject_ctrl_keys;    /* 1: keys with bytes < 0x20 or 0x7f are bad */
};

/* memcached 1.6.18's defaults (max_keys and max_get_line_len are Cachet's). */
#define MC_LIMITS_DEFAULT                                                   \
    {                                                                       \
        .max_line_len = 2048, .max_get_line_len = 1024 * 1024,              \
        .max_keys = 65536, .max_item_size = 1024 * 1024,                    \
        .item_overhead = 56, .reject_ctrl_keys = 0,                         \
    }

struct mc_span {
    size_t off; /* from the frame start */
    size_t len;
};

/* One meta flag: its character and the token after it ("Oabc" -> 'O',
 * "abc"; "v" -> 'v', empty). */
struct mc_mflag {
    char flag;
    struct mc_span tok;
};

/* Values of the meta flags memcached parses; a value is meaningful only if
 * mc_meta_has() says the flag was given. */
struct mc_meta {
    uint64_t seen[2];      /* bit c: flag character c was given */
    char mode;             /* M: its character (ms: E A P R S, ma: I + D -) */
    int32_t ttl;           /* T */
    int32_t vivify_ttl;    /* N */
    int32_t recache_ttl;   /* R */
    uint32_t client_flags; /* F (ms) */
    uint64_t cas;          /* C */
    uint64_t delta;        /* D (ma), 1 when not given */
    uint64_t initial;      /* J (ma), 0 when not given */
};

struct mc_request {
    enum mc_cmd cmd;
    size_t frame_len;     /* bytes to consume (OK, ERROR, SWALLOW) */
    const char *err;      /* MC_ERROR: the reply line, without "\r\n" */
    int noreply;          /* memcached sends nothing for this request, not even err */
    uint64_t swallow;     /* MC_ERROR: data bytes after the frame to discard */
    int drop_key;         /* MC_ERROR: memcached deletes the item under key */

    /* the key of single-key commands (as sent; for get the first key) */
    struct mc_span key;
    int key_binary;             /* meta b flag (me: second token "b"): */
    const unsigned char *bkey;  /* the decoded key, bkey_len bytes */
    size_t bkey_len;

    /* get gets gat gats: nkeys keys (gat with no key has 0) */
    const struct mc_span *keys;
    size_t nkeys;

    uint32_t flags;       /* storage commands */
    int32_t exptime;      /* storage, touch, gat/gats, flush_all (if has_exptime) */
    int has_exptime;      /* flush_all: a delay was given */
    uint32_t bytes;       /* storage commands and ms: data length */
    uint64_t cas;         /* cas */
    uint64_t delta;       /* incr, decr */
    uint32_t level;       /* verbosity */
    struct mc_span data;  /* storage commands and ms: the data block, no "\r\n" */

    const struct mc_mflag *mflags; /* mg ms md ma: the flags in order */
    size_t nmflags;
    struct mc_meta meta;

    const struct mc_span *args; /* stats, other */
    size_t nargs;
};

struct mc_parser {
    int state;            /* internal: line, data block, swallowing, closed */
    size_t scan;          /* line bytes already searched for '\n' */
    size_t data_off;      /* frame offset of the data block */
    uint64_t swallow;     /* bytes still to discard (MC_SWALLOW) */
    size_t need;          /* after NEED_MORE: total frame bytes needed, 0 if unknown */
    struct mc_request cur;
    struct mc_span tok[MC_MAX_TOKENS];
    struct mc_span *keys; /* get keys beyond what fits in tok (grown, reused) */
    size_t kcap;
    struct mc_mflag mflags[MC_MAX_TOKENS];
    unsigned char bkey[MC_KEY_MAX];
};

void mc_parser_init(struct mc_parser *p);
void mc_parser_deinit(struct mc_parser *p);
/* Forget any partial frame, swallow or close state (e.g. to reuse p). */
void mc_parser_reset(struct mc_parser *p);
enum mc_status mc_parse(struct mc_parser *p, const char *buf, size_t len,
                        const struct mc_limits *lim, struct mc_request *req);

/* The key to use: the decoded bytes for a binary (b) key, else the span. */
static inline const char *mc_req_key(const struct mc_request *r, const char *buf, size_t *len)
{
    if (r->key_binary) {
        *len = r->bkey_len;
        return (const char *)r->bkey;
    }
    *len = r->key.len;
    return buf + r->key.off;
}

static inline int mc_meta_has(const struct mc_request *r, char flag)
{
    unsigned char c = (unsigned char)flag;
    return c < 128 && ((r->meta.seen[c >> 6] >> (c & 63)) & 1);
}

/* memcached's safe_strtoull / safe_strtoul / safe_strtol on s[0..len) (a
 * token: it ends at len), with their 64-bit-host truncations. */
int mc_strtoull(const char *s, size_t len, uint64_t *out);
int mc_strtoul32(const char *s, size_t len, uint32_t *out);
int mc_strtol32(const char *s, size_t len, int32_t *out);

/* memcached's base64_decode: skips bytes outside the alphabet, needs a
 * multiple of 4 alphabet bytes, stops after the first padded block.
 * Returns the decoded length, 0 on failure (or empty result). */
size_t mc_base64_decode(const char *src, size_t len, unsigned char *out, size_t outcap);

#endif
