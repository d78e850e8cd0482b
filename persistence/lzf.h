/* lzf.h - LZF compression in liblzf's format, as Redis uses for RDB strings.
 *
 * Owns: the LZF codec only.  Output of lzf_compress() is readable by Redis's
 * lzf_decompress() and the other way round (byte-identical compressed output
 * is not a goal).  lzf_decompress() takes hostile input: it never reads
 * outside [in, in+in_len) nor writes outside [out, out+out_len).
 *
 * Format: a sequence of items.  Control byte c < 32: a literal run of c+1
 * bytes follows.  Otherwise a back reference: length L = c >> 5 (when 7, a
 * second byte adds 0..255), offset = ((c & 31) << 8 | next byte) + 1 bytes
 * back from the output end, copying L + 2 bytes (possibly overlapping).
 * So one input byte yields at most 88 output bytes (3 bytes -> 264).
 */
#ifndef CACHET_LZF_H
#define CACHET_LZF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most output one byte of LZF input can produce; a claimed
 * uncompressed length above in_len * LZF_MAX_RATIO is certainly corrupt. */
#define LZF_MAX_RATIO 88

/* Hash table for the compressor: LZF_HTAB_SIZE uint32_t slots.  Its contents
 * need not be cleared between calls (stale slots are checked against the
 * input), but it must be initialised once (xcalloc) so no slot is read
 * uninitialised. */
#define LZF_HTAB_BITS 14
#define LZF_HTAB_SIZE (1u << LZF_HTAB_BITS)

/* Compress in_len bytes into out (out_len bytes of room).  Returns the
 * compressed length, or 0 when the result would not fit in out_len (the
 * caller then stores the data uncompressed), or in_len is 0 or over 4 GB. */
size_t lzf_compress(const void *in, size_t in_len, void *out, size_t out_len,
                    uint32_t *htab);

/* Decompress in_len bytes into out (at most out_len bytes).  Returns the
 * number of bytes written, or -1 when the input is corrupt (an item runs
 * past the input, a reference points before the start of the output) or
 * the output would exceed out_len. */
ssize_t lzf_decompress(const void *in, size_t in_len, void *out, size_t out_len);

#endif
