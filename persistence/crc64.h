/* crc64.h - Redis's CRC-64, the checksum in an RDB file's 8-byte footer.
 *
 * Owns: the checksum arithmetic only.  Jones polynomial, reflected, init 0,
 * no final xor, exactly as redis/src/crc64.c, so crc64(0, "123456789", 9)
 * is 0xe9c6d914c4b8d9ca.  Incremental: feed the running value back in, in
 * chunks of any size.  Pure, reentrant, no state.
 */
#ifndef CACHET_CRC64_H
#define CACHET_CRC64_H

#include <stddef.h>
#include <stdint.h>

uint64_t crc64(uint64_t crc, const void *p, size_t n);

#endif
