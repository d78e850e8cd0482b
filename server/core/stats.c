/* stats.c - see stats.h. */
#include "server/core/stats.h"

#include <string.h>

void stats_count_error(struct wstats *st, const char *msg)
{
    size_t n = strcspn(msg, " ");
    if (n >= sizeof(st->errs[0].name))
        n = sizeof(st->errs[0].name) - 1;
    STAT_INC(st->error_replies);
    for (int i = 0; i < st->nerrs; i++) {
        if (!strncmp(st->errs[i].name, msg, n) && st->errs[i].name[n] == '\0') {
            STAT_INC(st->errs[i].count);
            return;
        }
    }
    if (st->nerrs == MAX_ERR_STATS) /* Redis stops tracking new kinds at 128 too */
        return;
    struct err_stat *e = &st->errs[st->nerrs];
    memcpy(e->name, msg, n);
    e->name[n] = '\0';
    STAT_INC(e->count);
    __atomic_store_n(&st->nerrs, st->nerrs + 1, __ATOMIC_RELEASE);
}
