/* errors.h - every error text the command layer sends, byte-identical to
 * Redis 7.0 (they are part of the interface: clients match on them).
 * Protocol-level texts live with the parser in protocol/resp_parse.c. */
#ifndef CACHET_ERRORS_H
#define CACHET_ERRORS_H

#define ERR_SYNTAX "ERR syntax error"
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"
#define ERR_NAN_INF "ERR increment would produce NaN or Infinity"
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_NO_SUCH_KEY "ERR no such key"
#define ERR_DB_RANGE "ERR DB index is out of range"
#define ERR_SAME_OBJECT "ERR source and destination objects are the same"
#define ERR_OFFSET_RANGE "ERR offset is out of range"
#define ERR_STRING_TOO_BIG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
#define ERR_NOAUTH "NOAUTH Authentication required."
#define ERR_WRONGPASS "WRONGPASS invalid username-password pair or user is disabled."
#define ERR_AUTH_NOPASS \
    "ERR AUTH <password> called without any password configured for the default user. " \
    "Are you sure your configuration is correct?"
#define ERR_NOPROTO "NOPROTO unsupported protocol version"
#define ERR_MULTI_NESTED "ERR MULTI calls can not be nested"
#define ERR_EXEC_NO_MULTI "ERR EXEC without MULTI"
#define ERR_DISCARD_NO_MULTI "ERR DISCARD without MULTI"
#define ERR_WATCH_IN_MULTI "ERR WATCH inside MULTI is not allowed"
#define ERR_EXECABORT "EXECABORT Transaction discarded because of previous errors."
#define ERR_MAXCLIENTS "ERR max number of clients reached"
#define ERR_CLIENT_NAME "ERR Client names cannot contain spaces, newlines or special characters."
#define ERR_NO_SUCH_CLIENT "ERR No such client"
#define ERR_EXPIRE_INVALID_FMT "ERR invalid expire time in '%s' command"
#define ERR_NXXX_GTLT "ERR NX and XX, GT or LT options at the same time are not compatible"
#define ERR_GT_LT "ERR GT and LT options at the same time are not compatible"
#define ERR_INVALID_CURSOR "ERR invalid cursor"
#define ERR_LFU_NOT_SELECTED \
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note " \
    "that when switching between policies at runtime LRU and LFU data will take some time to adjust."
#define ERR_INT_RANGE "ERR value is out of range, value must between -2147483648 and 2147483647"
#define ERR_LRU_NOT_SELECTED \
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when " \
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
/* Ours: SIEVE and S3-FIFO keep queue positions, not access times. */
#define ERR_IDLE_NOT_TRACKED                                                                    \
    "ERR A queue-based maxmemory policy (allkeys-s3fifo, allkeys-sieve) is selected, idle "   \
    "time not tracked."
#define ERR_TIMEOUT_NEG "ERR timeout is negative"
#define ERR_MISCONF                                                                             \
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "  \
    "to disk. Commands that may modify the data set are disabled, because this instance is "    \
    "configured to report errors during writes if RDB snapshotting fails "                      \
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "  \
    "RDB error."

/* shared by the collection families */
#define ERR_POSITIVE "ERR value is out of range, must be positive"
#define ERR_NUMKEYS_GT0 "ERR numkeys should be greater than 0"
#define ERR_LONG_RANGE \
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"

/* list (cmd_list.c) */
#define ERR_LIST_INDEX "ERR index out of range"
#define ERR_LIST_RANK_ZERO \
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or " \
    "use negative to start from the end of the list"
#define ERR_LIST_COUNT_NEG "ERR COUNT can't be negative"
#define ERR_LIST_MAXLEN_NEG "ERR MAXLEN can't be negative"
#define ERR_LIST_COUNT_GT0 "ERR count should be greater than 0"

/* hash (cmd_hash.c) */
#define ERR_HASH_NOT_INT "ERR hash value is not an integer"
#define ERR_HASH_NOT_FLOAT "ERR hash value is not a float"
#define ERR_VALUE_NAN_INF "ERR value is NaN or Infinity"
#define ERR_OUT_OF_RANGE "ERR value is out of range"

/* sets (cmd_set.c) */
#define ERR_SET_NUMKEYS_TOO_MANY "ERR Number of keys can't be greater than number of args"
#define ERR_SET_LIMIT_NEGATIVE "ERR LIMIT can't be negative"


/* sorted sets (cmd_zset*.c) */
#define ERR_ZADD_NX_XX "ERR XX and NX options at the same time are not compatible"
#define ERR_ZADD_GT_LT_NX "ERR GT, LT, and/or NX options at the same time are not compatible"
#define ERR_ZADD_INCR_PAIR "ERR INCR option supports a single increment-element pair"
#define ERR_ZSCORE_NAN "ERR resulting score is not a number (NaN)"
#define ERR_ZRANGE_NOT_FLOAT "ERR min or max is not a float"
#define ERR_ZRANGE_NOT_LEX "ERR min or max not valid string range item"
#define ERR_ZRANGE_LIMIT_RANK \
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
#define ERR_ZRANGE_WITHSCORES_LEX \
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
#define ERR_ZWEIGHT_NOT_FLOAT "ERR weight value is not a float"
#define ERR_ZSETOP_NO_KEYS_FMT "ERR at least 1 input key is needed for '%s' command"

#endif
