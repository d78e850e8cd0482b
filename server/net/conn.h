/* conn.h - one connection's I/O on its worker: read, parse, dispatch,
 * batch replies, write, enforce buffer limits, close. */
#ifndef CACHET_CONN_H
#define CACHET_CONN_H

#include <stdint.h>

struct client;
struct worker;

/* Readable: read what is available, run every complete command. */
void conn_on_readable(struct client *c);
/* Put c on its worker's list of connections to flush this iteration. */
void conn_schedule_flush(struct client *c);
/* Send pending replies (the worker calls this once per iteration). */
void conn_flush(struct client *c);
/* Remove from the loop and free. */
void conn_close(struct client *c);
/* A blocked client was answered: run the commands it sent meanwhile. */
void conn_resume(struct client *c);
/* Close if idle past `timeout`; returns 1 if closed. */
int conn_check_timeout(struct client *c, int64_t now_ms);

#endif
