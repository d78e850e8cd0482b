/* main.c - start-up and shutdown: configuration, logging, pidfile,
 * signals, keyspace, listeners, workers.  The main thread only waits for
 * SIGTERM/SIGINT (or a SHUTDOWN command) and then stops everything in
 * order; all request work happens on the workers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/commands/command.h"
#include "server/commands/info.h"
#include "server/core/config.h"
#include "persistence/snapshot.h"
#include "server/core/lazyfree.h"
#include "server/core/lifecycle.h"
#include "server/core/log.h"
#include "server/keyspace/shard.h"
#include "server/net/listener.h"
#include "server/net/worker.h"

static void usage(void)
{
    fprintf(stderr,
            "Usage: ./cachet-server [/path/to/cache.conf] [options]\n"
            "       ./cachet-server -v or --version\n"
            "       ./cachet-server -h or --help\n\n"
            "Examples:\n"
            "       ./cachet-server (run with the default configuration)\n"
            "       ./cachet-server cache.conf\n"
            "       ./cachet-server cache.conf --port 7000 --threads 4\n");
}

/* Let the process hold maxclients sockets plus room for listeners and
 * files, as Redis's adjustOpenFilesLimit does. */
static void adjust_open_files(void)
{
    rlim_t want = (rlim_t)CFG(maxclients) + 64;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rlim_t target = want < rl.rlim_max ? want : rl.rlim_max;
    rl.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || target < want)
        log_warning("Current maximum open files is %llu. maxclients has been reduced-equivalent: "
                    "connections beyond that will fail to be accepted.",
                    (unsigned long long)target);
}

static int write_pidfile(void)
{
    if (!cfg.pidfile || !cfg.pidfile[0])
        return 0;
    FILE *f = fopen(cfg.pidfile, "w");
    if (!f) {
        log_warning("Failed to write PID file: %s", strerror(errno));
        return -1;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    return 0;
}

static void daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid > 0)
        exit(0);
    setsid();
    /* Redis sends a daemon's stdio to /dev/null; the log goes to logfile. */
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        if (!cfg.logfile || !cfg.logfile[0]) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

int main(int argc, char **argv)
{
    const char *conf = NULL;
    int first_opt = 1;
    if (argc >= 2) {
        if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")) {
            printf("Cachet server v=%s (redis compatibility %s)\n", CACHET_VERSION,
                   CACHET_REDIS_COMPAT_VERSION);
            return 0;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            usage();
            return 0;
        }
        if (strncmp(argv[1], "--", 2)) {
            conf = argv[1];
            first_opt = 2;
        }
    }
    if (config_load(conf, argc - first_opt, argv + first_opt) != 0)
        return 1;
    if (cfg.daemonize)
        daemonize();
    if (log_open(cfg.logfile) != 0) {
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        return 1;
    }
    log_set_level((int)cfg.loglevel);
    lifecycle_init();

    signal(SIGPIPE, SIG_IGN);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* threads inherit the mask */

    long threads = CFG(threads);
    if (threads <= 0)
        threads = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    adjust_open_files();
    if (keyspace_init((int)cfg.shards, (int)cfg.databases) != 0) {
        log_warning("Invalid shards setting %lld (must be a power of two)", cfg.shards);
        return 1;
    }
    command_table_init();
    info_init();
    lazyfree_start();
    snapshot_init();

    int lfds[16], protos[16];
    int nl = listeners_open(cfg.bind, (int)cfg.port, (int)cfg.tcp_backlog, lfds, 8);
    if (nl < 0)
        return 1;
    for (int i = 0; i < nl; i++)
        protos[i] = PROTO_RESP;
    if (cfg.memcache_port > 0) {
        int nm = listeners_open(cfg.bind, (int)cfg.memcache_port, (int)cfg.tcp_backlog,
                                lfds + nl, 8);
        if (nm < 0)
            return 1;
        for (int i = nl; i < nl + nm; i++)
            protos[i] = PROTO_MEMCACHE;
        nl += nm;
    }
    write_pidfile();
    log_notice("Cachet %s starting: pid=%d, port=%lld, threads=%ld, shards=%lld", CACHET_VERSION,
               (int)getpid(), cfg.port, threads, cfg.shards);
    snapshot_loading_begin();
    if (workers_start((int)threads, lfds, protos, nl) != 0) {
        log_warning("Failed to start worker threads: %s", strerror(errno));
        return 1;
    }
    log_notice("Ready to accept connections tcp");
    if (cfg.memcache_port > 0)
        log_notice("Serving the memcached protocol on port %lld", cfg.memcache_port);

    /* Clients connecting while the snapshot loads get -LOADING. */
    char path[4096], err[512];
    config_copy_string("dbfilename", path, sizeof(path));
    if (snapshot_load(path, err, sizeof(err)) != 0) {
        log_warning("Fatal error loading the DB (%s): %s. Exiting.", path, err);
        workers_stop();
        snapshot_deinit();
        return 1;
    }

    for (;;) {
        int sig = 0;
        sigwait(&sigs, &sig);
        if (server_shutdown_requested()) { /* SHUTDOWN saved already if it had to */
            log_warning("Shutdown requested by a client.");
            break;
        }
        log_warning("Received %s scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
        if (!snapshot_has_savepoints())
            break;
        while (workers_pause(NULL) != 0) /* a SHUTDOWN is saving */
            usleep(1000);
        log_notice("Saving the final RDB snapshot before exiting.");
        int rc = snapshot_save_sync(1, err, sizeof(err));
        workers_resume(NULL, rc == 0); /* held commands: dropped, or run after all */
        if (rc == 0)
            break;
        log_warning("Error trying to save the DB, can't exit.");
    }
    workers_stop();
    snapshot_deinit();
    lazyfree_stop();
    listeners_close(lfds, nl);
    if (cfg.pidfile && cfg.pidfile[0])
        unlink(cfg.pidfile);
    keyspace_deinit();
    log_warning("Cachet is now ready to exit, bye bye...");
    return 0;
}
