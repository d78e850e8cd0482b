/* listener.h - listening sockets for the `bind` addresses. */
#ifndef CACHET_LISTENER_H
#define CACHET_LISTENER_H

/* Open a non-blocking listener for each address in `bind` ("-" prefix =
 * optional, skipped if unavailable).  Returns the count, or -1 after
 * logging why (Redis's wording). */
int listeners_open(const char *bind, int port, int backlog, int *fds, int max);
void listeners_close(const int *fds, int n);

#endif
