/* lifecycle.h - process-wide facts and the shutdown request, owned by
 * main.c.  Commands ask for shutdown; only main.c performs it. */
#ifndef CACHET_LIFECYCLE_H
#define CACHET_LIFECYCLE_H

#include <stdint.h>

void lifecycle_init(void);
void server_request_shutdown(void);
int server_shutdown_requested(void);
int64_t server_start_ms(void);
const char *server_run_id(void);
const char *server_executable(void);

#define CACHET_VERSION "0.1.0"
/* The Redis version whose behaviour we match; INFO and HELLO report it so
 * clients enable the features they would with that Redis. */
#define CACHET_REDIS_COMPAT_VERSION "7.0.15"
/* The memcached version whose protocol we match (VERSION, stats). */
#define CACHET_MEMCACHED_COMPAT_VERSION "1.6.18"

#endif
