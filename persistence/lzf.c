/* lzf.c - LZF codec compatible with liblzf (and so with Redis); see lzf.h.
 *
 * The compressor is the classic greedy LZF: hash the next 3 bytes, look up
 * the last position with the same hash, and if the bytes really match
 * within the 8 KB window emit a back reference of up to 264 bytes, else a
 * literal.  Table slots hold input offsets, not pointers, so a stale slot
 * from an earlier call is harmless: it is used only if it lies before the
 * current position, inside the window, and its bytes compare equal.  That
 * lets the caller keep one table for a whole save without clearing 64 KB
 * per string.
 *
 * The decompressor works on indices and checks every item against both
 * buffer ends before copying, so any byte string is safe to feed it.
 */
#include "persistence/lzf.h"

#include <string.h>

#define LZF_MAX_LIT 32               /* literal run: 1..32 bytes */
#define LZF_MAX_OFF (1u << 13)       /* window: 8 KB back */
#define LZF_MAX_REF (2 + 7 + 255)    /* longest back reference */

static inline uint32_t lzf_hash(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return (v * 2654435761u) >> (32 - LZF_HTAB_BITS);
}

size_t lzf_compress(const void *in_data, size_t in_len, void *out_data, size_t out_len,
                    uint32_t *htab)
{
    const unsigned char *in = in_data;
    unsigned char *out = out_data;
    size_t ip = 0, op = 0;
    size_t lit = 0;     /* bytes in the open literal run */
    size_t lit_ctrl = 0; /* where that run's control byte goes */

    if (in_len == 0 || in_len > UINT32_MAX)
        return 0;

    while (ip < in_len) {
        if (ip + 2 < in_len) {
            uint32_t h = lzf_hash(in + ip);
            size_t cand = htab[h];
            htab[h] = (uint32_t)ip;
            if (cand < ip && ip - cand - 1 < LZF_MAX_OFF && in[cand] == in[ip] &&
                in[cand + 1] == in[ip + 1] && in[cand + 2] == in[ip + 2]) {
                size_t off = ip - cand - 1;
                size_t maxlen = in_len - ip;
                if (maxlen > LZF_MAX_REF)
                    maxlen = LZF_MAX_REF;
                size_t len = 3;
                while (len < maxlen && in[cand + len] == in[ip + len])
                    len++;
                if (lit) {
                    out[lit_ctrl] = (unsigned char)(lit - 1);
                    lit = 0;
                }
                size_t code = len - 2; /* 1..262 */
                if (out_len - op < (code >= 7 ? 3u : 2u))
                    return 0;
                if (code < 7) {
                    out[op++] = (unsigned char)((off >> 8) + (code << 5));
                } else {
                    out[op++] = (unsigned char)((off >> 8) + (7 << 5));
                    out[op++] = (unsigned char)(code - 7);
                }
                out[op++] = (unsigned char)(off & 0xff);
                /* Remember the position just before the next one too: runs
                 * of repeated data then keep matching across references. */
                if (ip + len + 1 < in_len)
                    htab[lzf_hash(in + ip + len - 1)] = (uint32_t)(ip + len - 1);
                ip += len;
                continue;
            }
        }
        /* One more literal byte. */
        if (!lit) {
            if (out_len - op < 2)
                return 0;
            lit_ctrl = op++;
        } else if (op >= out_len) {
            return 0;
        }
        out[op++] = in[ip++];
        if (++lit == LZF_MAX_LIT) {
            out[lit_ctrl] = LZF_MAX_LIT - 1;
            lit = 0;
        }
    }
    if (lit)
        out[lit_ctrl] = (unsigned char)(lit - 1);
    return op;
}

ssize_t lzf_decompress(const void *in_data, size_t in_len, void *out_data, size_t out_len)
{
    const unsigned char *in = in_data;
    unsigned char *out = out_data;
    size_t ip = 0, op = 0;

    while (ip < in_len) {
        unsigned ctrl = in[ip++];
        if (ctrl < LZF_MAX_LIT) {
            size_t n = (size_t)ctrl + 1;
            if (in_len - ip < n || out_len - op < n)
                return -1;
            memcpy(out + op, in + ip, n);
            ip += n;
            op += n;
        } else {
            size_t len = ctrl >> 5;
            if (ip >= in_len)
                return -1;
            if (len == 7) {
                len += in[ip++];
                if (ip >= in_len)
                    return -1;
            }
            size_t back = ((size_t)(ctrl & 0x1f) << 8) + in[ip++] + 1;
            len += 2;
            if (back > op || out_len - op < len)
                return -1;
            size_t ref = op - back;
            if (back >= len) {
                memcpy(out + op, out + ref, len);
                op += len;
            } else {
                /* Overlapping: a run repeating the last `back` bytes. */
                while (len--)
                    out[op++] = out[ref++];
            }
        }
    }
    return (ssize_t)op;
}
