/* rdb.h - constants of Redis's RDB file format, shared by rdb_write.c and
 * rdb_read.c.
 *
 * Owns: the numbers on disk, as Redis 7.0 defines them (src/rdb.h), and
 * nothing else.  A file is
 *
 *   "REDIS" + 4 ASCII digits of version
 *   { opcode fields | [EXPIRETIME(_MS)] [IDLE] [FREQ] type key value }*
 *   EOF opcode, then (version >= 5) the CRC-64 of everything before, as
 *   8 bytes little endian (0 when the writer had rdbchecksum off).
 */
#ifndef CACHET_RDB_H
#define CACHET_RDB_H

#include <stdint.h>

#define RDB_VERSION_WRITE 9   /* what we write: Redis 5.0+ reads it */
#define RDB_VERSION_MAX 10    /* newest we read: Redis 7.0 */
#define RDB_CHECKSUM_VERSION 5 /* files from this version on carry the footer */

/* Value types (the byte before a key). */
enum rdb_type {
    RDB_TYPE_STRING = 0,
    RDB_TYPE_LIST = 1,              /* plain: count, then strings */
    RDB_TYPE_SET = 2,
    RDB_TYPE_ZSET = 3,              /* scores as length-prefixed text */
    RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5,            /* scores as binary doubles (RDB 8+) */
    RDB_TYPE_MODULE_PRE_GA = 6,
    RDB_TYPE_MODULE_2 = 7,
    RDB_TYPE_HASH_ZIPMAP = 9,       /* a string holding a blob: */
    RDB_TYPE_LIST_ZIPLIST = 10,
    RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13,
    RDB_TYPE_LIST_QUICKLIST = 14,   /* count, then ziplist blobs */
    RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16,
    RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18, /* count, then (container, blob) */
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
    RDB_TYPE_SET_LISTPACK = 20,     /* Redis 7.2 */
    RDB_TYPE_STREAM_LISTPACKS_3 = 21,
};

/* Opcodes (in the same byte position as a type). */
enum rdb_opcode {
    RDB_OPCODE_FUNCTION2 = 245,       /* a function library: one string */
    RDB_OPCODE_FUNCTION_PRE_GA = 246, /* 7.0 release candidates */
    RDB_OPCODE_MODULE_AUX = 247,
    RDB_OPCODE_IDLE = 248,            /* LRU idle seconds: a length */
    RDB_OPCODE_FREQ = 249,            /* LFU counter: one byte */
    RDB_OPCODE_AUX = 250,             /* two strings */
    RDB_OPCODE_RESIZEDB = 251,        /* two lengths */
    RDB_OPCODE_EXPIRETIME_MS = 252,   /* int64 little endian, ms */
    RDB_OPCODE_EXPIRETIME = 253,      /* int32 little endian, seconds */
    RDB_OPCODE_SELECTDB = 254,        /* a length */
    RDB_OPCODE_EOF = 255,
};

/* Length encoding: the top two bits of the first byte. */
#define RDB_6BITLEN 0    /* 00xxxxxx */
#define RDB_14BITLEN 1   /* 01xxxxxx xxxxxxxx (big endian) */
#define RDB_32BITLEN 0x80 /* then 4 bytes big endian */
#define RDB_64BITLEN 0x81 /* then 8 bytes big endian */
#define RDB_ENCVAL 3     /* 11xxxxxx: a specially encoded string */

/* Special string encodings (the low 6 bits after 11). */
#define RDB_ENC_INT8 0   /* then 1 byte, signed */
#define RDB_ENC_INT16 1  /* then 2 bytes little endian */
#define RDB_ENC_INT32 2  /* then 4 bytes little endian */
#define RDB_ENC_LZF 3    /* then compressed len, plain len, data */

/* Quicklist 2 node containers. */
#define RDB_QUICKLIST_PLAIN 1  /* the node is one element */
#define RDB_QUICKLIST_PACKED 2 /* the node is a listpack */

/* No expiry, in the expire_ms fields of both directions. */
#define RDB_NO_EXPIRE INT64_MIN

#endif
