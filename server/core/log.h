/* log.h - leveled logging in Redis's line format
 * ("pid:role dd Mon yyyy hh:mm:ss.mmm <level-char> message"). */
#ifndef CACHET_LOG_H
#define CACHET_LOG_H

enum log_level { LL_DEBUG = 0, LL_VERBOSE = 1, LL_NOTICE = 2, LL_WARNING = 3, LL_NOTHING = 4 };

/* Open logfile ("" = stdout).  Returns 0, or -1 with errno set. */
int log_open(const char *path);
void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LL_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LL_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LL_WARNING, __VA_ARGS__)

#endif
