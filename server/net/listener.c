/* listener.c - see listener.h. */
#include "server/net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/core/log.h"

static int open_one(const char *addr, int port, int backlog, char *err, size_t errcap)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    int family;
    if (!strcmp(addr, "*") || !strcmp(addr, "0.0.0.0")) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_ANY);
        a->sin_port = htons((uint16_t)port);
        family = AF_INET;
        len = sizeof(*a);
    } else if (strchr(addr, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        if (!strcmp(addr, "::*"))
            a->sin6_addr = in6addr_any;
        else if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1) {
            snprintf(err, errcap, "invalid address");
            return -1;
        }
        a->sin6_port = htons((uint16_t)port);
        family = AF_INET6;
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        if (inet_pton(AF_INET, addr, &a->sin_addr) != 1) {
            snprintf(err, errcap, "invalid address");
            return -1;
        }
        a->sin_port = htons((uint16_t)port);
        family = AF_INET;
        len = sizeof(*a);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        snprintf(err, errcap, "bind: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, backlog) < 0) {
        snprintf(err, errcap, "listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int listeners_open(const char *bind, int port, int backlog, int *fds, int max)
{
    char *copy = strdup(bind);
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok && n < max; tok = strtok_r(NULL, " ", &save)) {
        int optional = tok[0] == '-';
        const char *addr = optional ? tok + 1 : tok;
        char err[128];
        int fd = open_one(addr, port, backlog, err, sizeof(err));
        if (fd < 0) {
            if (optional)
                continue;
            log_warning("Warning: Could not create server TCP listening socket %s:%d: %s", addr,
                        port, err);
            listeners_close(fds, n);
            free(copy);
            return -1;
        }
        fds[n++] = fd;
    }
    free(copy);
    if (n == 0)
        log_warning("Failed listening on port %d (tcp), aborting.", port);
    return n ? n : -1;
}

void listeners_close(const int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
}
