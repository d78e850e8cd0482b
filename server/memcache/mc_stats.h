/* mc_stats.h - memcached's `stats` and `stats settings` replies. */
#ifndef CACHET_MC_STATS_H
#define CACHET_MC_STATS_H

#include "protocol/resp_write.h"

/* Append the reply to out.  section: NULL/"" for general stats,
 * "settings"; returns 0, or -1 for a section we do not have (the caller
 * answers "ERROR" as memcached does). */
int mc_stats_reply(struct obuf *out, const char *section, size_t slen, int64_t now_ms);

#endif
