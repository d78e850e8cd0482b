/* lifecycle.c - process-wide facts (start time, run id, executable) and
 * the shutdown request flag.  main.c initializes and acts on them. */
#include "server/core/lifecycle.h"

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include "server/core/clock.h"
#include "server/core/util.h"

static int64_t start_ms;
static char run_id[41];
static char exe_path[PATH_MAX];
static int shutdown_requested;

void lifecycle_init(void)
{
    start_ms = clock_wall_ms();
    util_random_hex(run_id, 40);
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
    exe_path[n > 0 ? n : 0] = '\0';
}

void server_request_shutdown(void)
{
    __atomic_store_n(&shutdown_requested, 1, __ATOMIC_RELAXED);
    kill(getpid(), SIGTERM); /* blocked in every thread; main's sigwait takes it */
}

int server_shutdown_requested(void)
{
    return __atomic_load_n(&shutdown_requested, __ATOMIC_RELAXED);
}

int64_t server_start_ms(void) { return start_ms; }
const char *server_run_id(void) { return run_id; }
const char *server_executable(void) { return exe_path; }
