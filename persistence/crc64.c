/* crc64.c - slice-by-8 CRC-64 (Jones, reflected); see crc64.h.
 *
 * Slice-by-8 folds eight input bytes per step through eight 256-entry
 * tables (crc64_table.h, constant, generated): about 1 byte per cycle,
 * several GB/s, so checksumming never shows next to the disk write.  The
 * tables are const data, not initialised at run time, so there is no
 * first-use race and nothing mutable.
 */
#include "persistence/crc64.h"

#include <string.h>

#include "persistence/crc64_table.h"

static inline uint64_t load64_le(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

uint64_t crc64(uint64_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;

    /* Byte at a time up to 8-byte alignment, so the wide loads are aligned. */
    while (n && ((uintptr_t)s & 7)) {
        crc = crc64_table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
        n--;
    }
    while (n >= 8) {
        crc ^= load64_le(s);
        crc = crc64_table[7][crc & 0xff] ^
              crc64_table[6][(crc >> 8) & 0xff] ^
              crc64_table[5][(crc >> 16) & 0xff] ^
              crc64_table[4][(crc >> 24) & 0xff] ^
              crc64_table[3][(crc >> 32) & 0xff] ^
              crc64_table[2][(crc >> 40) & 0xff] ^
              crc64_table[1][(crc >> 48) & 0xff] ^
              crc64_table[0][crc >> 56];
        s += 8;
        n -= 8;
    }
    while (n--)
        crc = crc64_table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
    return crc;
}
