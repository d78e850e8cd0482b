/* dispatch.h - from an argument vector to a reply: command lookup, arity,
 * auth and MULTI checks, shard locking, the handler, per-command stats. */
#ifndef CACHET_DISPATCH_H
#define CACHET_DISPATCH_H

#include <stddef.h>

#include "server/commands/command.h"

struct client;

/* Run (or queue, inside MULTI) one command; replies go to the client's
 * output buffer. */
void dispatch_command(struct client *cl, int argc, const char **argv, const size_t *argl);

/* Run a resolved command with its context ready.  Locks the command's
 * shards unless c->in_exec.  Used by dispatch and by EXEC. */
void dispatch_execute(struct cmd_ctx *c);

/* Shard indexes the command line's keys live in, appended to out (which
 * must hold argc entries); returns the count, or -1 if every shard is
 * needed (CMD_ALL_SHARDS / CMD_SELF_LOCK).  If hashes is not NULL, the
 * hash of the key at argument i is stored in hashes[i], so handlers do not
 * hash a key a second time. */
int dispatch_command_shards(const struct command *cmd, int argc, const char **argv,
                            const size_t *argl, uint32_t *out, uint64_t *hashes);

/* Before a write command runs (its shards locked): a save in progress
 * keeps the old version of each key it names in db (persistence/snapshot.h). */
void dispatch_guard_keys(const struct command *cmd, int argc, const char **argv,
                         const size_t *argl, int db);

#endif
