/* log.c - see log.h.  Logging is rare (start-up, errors, client kills), so
 * one mutex serializes writers and keeps lines whole. */
#include "server/core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static FILE *log_fp;
static int log_level = LL_NOTICE;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

int log_open(const char *path)
{
    FILE *fp = stdout;
    if (path && path[0]) {
        fp = fopen(path, "a");
        if (!fp)
            return -1;
    }
    pthread_mutex_lock(&log_lock);
    if (log_fp && log_fp != stdout)
        fclose(log_fp);
    log_fp = fp;
    pthread_mutex_unlock(&log_lock);
    return 0;
}

void log_set_level(int level)
{
    __atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

void log_msg(int level, const char *fmt, ...)
{
    if (level < __atomic_load_n(&log_level, __ATOMIC_RELAXED))
        return;
    static const char marks[] = ".-*#";
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char ts[64];
    size_t off = strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S.", &tm);
    snprintf(ts + off, sizeof(ts) - off, "%03d", (int)(tv.tv_usec / 1000));

    pthread_mutex_lock(&log_lock);
    FILE *fp = log_fp ? log_fp : stdout;
    fprintf(fp, "%d:M %s %c %s\n", (int)getpid(), ts, marks[level > 3 ? 3 : level], msg);
    fflush(fp);
    pthread_mutex_unlock(&log_lock);
}
