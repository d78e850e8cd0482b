/* cmd_command.c - COMMAND and its subcommands, all derived from the command
 * table (command_table.c) so introspection can never disagree with
 * dispatch. */
#include <string.h>
#include <strings.h>

#include "server/commands/command.h"
#include "server/commands/docs.h"
#include "server/core/util.h"

static const struct {
    uint32_t flag;
    const char *name;
} flag_names[] = {
    {CMD_WRITE, "write"},     {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},     {CMD_NOSCRIPT, "noscript"}, {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"},     {CMD_FAST, "fast"},         {CMD_NOAUTH, "no_auth"},
    {CMD_NO_MULTI, "no_multi"}, {CMD_BLOCKING, "blocking"},
};

static int count_flags(const struct command *cmd)
{
    int n = 0;
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
        n += (cmd->flags & flag_names[i].flag) != 0;
    return n;
}

/* ACL categories: the implicit ones Redis derives from flags, plus the
 * group's, listed in Redis's category-table order. */
static int acl_categories(const struct command *cmd, const char **out)
{
    static const char *const order[] = {
        "@keyspace", "@read",  "@write",     "@set",     "@sortedset",   "@list",
        "@hash",     "@string", "@admin",    "@fast",    "@slow",        "@blocking",
        "@dangerous", "@connection", "@transaction",
    };
    enum { NCAT = sizeof(order) / sizeof(order[0]) };
    int want[NCAT] = {0};
    const char *g = cmd->group;
    want[0] = !strcmp(g, "generic") ||
              ((cmd->flags & (CMD_ALL_SHARDS | CMD_SELF_LOCK)) && (cmd->flags & (CMD_WRITE | CMD_READONLY)));
    want[1] = (cmd->flags & CMD_READONLY) != 0;
    want[2] = (cmd->flags & CMD_WRITE) != 0;
    want[3] = !strcmp(g, "set");
    want[4] = !strcmp(g, "sorted-set");
    want[5] = !strcmp(g, "list");
    want[6] = !strcmp(g, "hash");
    want[7] = !strcmp(g, "string");
    want[8] = (cmd->flags & CMD_ADMIN) != 0;
    want[9] = (cmd->flags & CMD_FAST) != 0;
    want[10] = !(cmd->flags & CMD_FAST);
    want[11] = (cmd->flags & CMD_BLOCKING) != 0;
    want[12] = (cmd->flags & CMD_ADMIN) != 0;
    want[13] = !strcmp(g, "connection");
    want[14] = !strcmp(g, "transactions");
    int n = 0;
    for (int i = 0; i < NCAT; i++)
        if (want[i])
            out[n++] = order[i];
    return n;
}

static int has_keys(const struct command *cmd)
{
    return cmd->first > 0;
}

static void reply_key_specs(struct resp_writer *w, const struct command *cmd)
{
    if (!has_keys(cmd)) {
        resp_array(w, 0);
        return;
    }
    resp_array(w, 1);
    resp_map(w, 3);
    resp_bulk_cstr(w, "flags");
    resp_set(w, 2);
    if (cmd->flags & CMD_WRITE) {
        resp_simple(w, "RW");
        resp_simple(w, "UPDATE");
    } else {
        resp_simple(w, "RO");
        resp_simple(w, "ACCESS");
    }
    resp_bulk_cstr(w, "begin_search");
    resp_map(w, 2);
    resp_bulk_cstr(w, "type");
    resp_bulk_cstr(w, "index");
    resp_bulk_cstr(w, "spec");
    resp_map(w, 1);
    resp_bulk_cstr(w, "index");
    resp_int(w, cmd->first);
    resp_bulk_cstr(w, "find_keys");
    resp_map(w, 2);
    resp_bulk_cstr(w, "type");
    resp_bulk_cstr(w, "range");
    resp_bulk_cstr(w, "spec");
    resp_map(w, 3);
    resp_bulk_cstr(w, "lastkey");
    resp_int(w, cmd->last < 0 ? cmd->last : cmd->last - cmd->first);
    resp_bulk_cstr(w, "keystep");
    resp_int(w, cmd->step);
    resp_bulk_cstr(w, "limit");
    resp_int(w, 0);
}

static int count_subs(const struct command *cmd)
{
    int n = 0;
    for (const struct command *s = cmd->subs; s && s->name; s++)
        n++;
    return n;
}

static void reply_info(struct resp_writer *w, const struct command *cmd)
{
    resp_array(w, 10);
    resp_bulk_cstr(w, cmd->name);
    resp_int(w, cmd->arity);
    resp_set(w, count_flags(cmd) + (cmd->keys != NULL));
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
        if (cmd->flags & flag_names[i].flag)
            resp_simple(w, flag_names[i].name);
    if (cmd->keys)
        resp_simple(w, "movablekeys");
    resp_int(w, cmd->first);
    resp_int(w, cmd->last);
    resp_int(w, cmd->step);
    const char *cats[10];
    int ncat = acl_categories(cmd, cats);
    resp_set(w, ncat);
    for (int i = 0; i < ncat; i++)
        resp_simple(w, cats[i]);
    resp_set(w, 0); /* tips */
    reply_key_specs(w, cmd);
    resp_array(w, count_subs(cmd));
    for (const struct command *s = cmd->subs; s && s->name; s++)
        reply_info(w, s);
}

static void reply_docs(struct resp_writer *w, const struct command *cmd)
{
    int nargs = cmd->syntax ? docs_count_arguments(cmd->syntax) : 0;
    int nsubs = count_subs(cmd);
    resp_map(w, 4 + (nargs > 0) + (nsubs > 0));
    resp_bulk_cstr(w, "summary");
    resp_bulk_cstr(w, cmd->summary);
    resp_bulk_cstr(w, "since");
    resp_bulk_cstr(w, cmd->since);
    resp_bulk_cstr(w, "group");
    resp_bulk_cstr(w, cmd->group);
    resp_bulk_cstr(w, "complexity");
    resp_bulk_cstr(w, cmd->complexity);
    if (nargs > 0) {
        resp_bulk_cstr(w, "arguments");
        if (docs_write_arguments(w, cmd->syntax) != 0)
            resp_array(w, 0);
    }
    if (nsubs > 0) {
        resp_bulk_cstr(w, "subcommands");
        resp_map(w, nsubs);
        for (const struct command *s = cmd->subs; s && s->name; s++) {
            resp_bulk_cstr(w, s->name);
            reply_docs(w, s);
        }
    }
}

/* A command named by a user: "get", or "config|get" for a subcommand. */
static const struct command *lookup_fullname(const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    if (!bar)
        return command_lookup(name, len);
    const struct command *parent = command_lookup(name, (size_t)(bar - name));
    if (!parent || !parent->subs)
        return NULL;
    return command_lookup_sub(parent, bar + 1, len - (size_t)(bar - name) - 1);
}

void cmd_command(struct cmd_ctx *c)
{
    int n = command_top_count();
    resp_array(c->w, n);
    for (int i = 0; i < n; i++)
        reply_info(c->w, command_at(i));
}

void cmd_command_count(struct cmd_ctx *c)
{
    resp_int(c->w, command_top_count());
}

void cmd_command_info(struct cmd_ctx *c)
{
    if (c->argc == 2) {
        cmd_command(c);
        return;
    }
    resp_array(c->w, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const struct command *cmd = lookup_fullname(c->argv[i], c->argl[i]);
        if (cmd)
            reply_info(c->w, cmd);
        else
            resp_null(c->w);
    }
}

void cmd_command_docs(struct cmd_ctx *c)
{
    if (c->argc == 2) {
        int n = command_top_count();
        resp_map(c->w, n);
        for (int i = 0; i < n; i++) {
            resp_bulk_cstr(c->w, command_at(i)->name);
            reply_docs(c->w, command_at(i));
        }
        return;
    }
    size_t mark = resp_defer(c->w);
    long long found = 0;
    for (int i = 2; i < c->argc; i++) {
        const struct command *cmd = lookup_fullname(c->argv[i], c->argl[i]);
        if (!cmd)
            continue;
        resp_bulk_cstr(c->w, cmd->name);
        reply_docs(c->w, cmd);
        found++;
    }
    resp_defer_map(c->w, mark, found);
}

static int list_match(struct cmd_ctx *c, const struct command *cmd, int filter)
{
    if (!filter)
        return 1;
    const char *what = c->argv[4];
    size_t wl = c->argl[4];
    if (ctx_arg_is(c, 3, "pattern"))
        return util_glob(what, wl, cmd->name, strlen(cmd->name), 1);
    if (ctx_arg_is(c, 3, "aclcat")) {
        const char *cats[10];
        int n = acl_categories(cmd, cats);
        for (int i = 0; i < n; i++)
            if (strlen(cats[i] + 1) == wl && !strncasecmp(cats[i] + 1, what, wl))
                return 1;
        return 0;
    }
    return 0; /* FILTERBY MODULE: no modules */
}

void cmd_command_list(struct cmd_ctx *c)
{
    int filter = 0;
    if (c->argc != 2) {
        if (c->argc != 5 || !ctx_arg_is(c, 2, "filterby") ||
            !(ctx_arg_is(c, 3, "module") || ctx_arg_is(c, 3, "aclcat") ||
              ctx_arg_is(c, 3, "pattern"))) {
            ctx_error(c, ERR_SYNTAX);
            return;
        }
        filter = 1;
    }
    size_t mark = resp_defer(c->w);
    long long n = 0;
    for (int i = 0; i < command_top_count(); i++) {
        const struct command *cmd = command_at(i);
        if (list_match(c, cmd, filter)) {
            resp_bulk_cstr(c->w, cmd->name);
            n++;
        }
        for (const struct command *s = cmd->subs; s && s->name; s++) {
            if (list_match(c, s, filter)) {
                resp_bulk_cstr(c->w, s->name);
                n++;
            }
        }
    }
    resp_defer_array(c->w, mark, n);
}

void cmd_command_getkeys(struct cmd_ctx *c)
{
    const struct command *cmd = command_lookup(c->argv[2], c->argl[2]);
    int argc = c->argc - 2;
    if (cmd && cmd->subs && argc >= 2)
        cmd = command_lookup_sub(cmd, c->argv[3], c->argl[3]);
    if (!cmd) {
        ctx_error(c, "ERR Invalid command specified");
        return;
    }
    if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
        ctx_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    int idx[1024];
    int n = command_keys(cmd, argc, c->argv + 2, c->argl + 2, idx, 1024);
    if (n == 0) {
        ctx_error(c, "ERR The command has no key arguments");
        return;
    }
    resp_array(c->w, n);
    for (int i = 0; i < n; i++)
        resp_bulk(c->w, c->argv[2 + idx[i]], c->argl[2 + idx[i]]);
}

void cmd_command_help(struct cmd_ctx *c)
{
    static const char *lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "HELP",
        "    Prints this help.",
    };
    int n = (int)(sizeof(lines) / sizeof(lines[0]));
    resp_array(c->w, n);
    for (int i = 0; i < n; i++)
        resp_simple(c->w, lines[i]);
}
