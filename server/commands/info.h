/* info.h - INFO's metrics: sums of per-thread stats, instantaneous rates and
 * the RESETSTAT baseline. */
#ifndef CACHET_INFO_H
#define CACHET_INFO_H

#include <stddef.h>
#include <stdint.h>

void info_init(void);
/* Called by worker 0's housekeeping timer: samples ops and bytes for the
 * instantaneous_* rates and tracks the memory peak. */
void info_sample(int64_t now_ms);
void info_reset_stats(void);
/* used_memory as INFO reports it. */
size_t info_used_memory(void);

#endif
