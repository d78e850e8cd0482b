/* cmd_conn.c - connection commands: PING ECHO QUIT SELECT AUTH HELLO RESET
 * and the CLIENT family. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/commands/command.h"
#include "server/core/config.h"
#include "server/core/lifecycle.h"
#include "server/core/util.h"
#include "server/net/client.h"

void cmd_ping(struct cmd_ctx *c)
{
    if (c->argc > 2) {
        ctx_arity_error(c);
        return;
    }
    if (c->argc == 2)
        resp_bulk(c->w, c->argv[1], c->argl[1]);
    else
        resp_simple_len(c->w, "PONG", 4);
}

void cmd_echo(struct cmd_ctx *c)
{
    resp_bulk(c->w, c->argv[1], c->argl[1]);
}

void cmd_quit(struct cmd_ctx *c)
{
    ctx_ok(c);
    c->cl->flags |= CL_CLOSE_AFTER_REPLY;
}

void cmd_select(struct cmd_ctx *c)
{
    long long id;
    if (!ctx_get_ll(c, 1, &id))
        return;
    if (id < INT_MIN || id > INT_MAX) { /* Redis parses an int */
        ctx_error(c, ERR_INT_RANGE);
        return;
    }
    if (id < 0 || id >= ks_ndb()) {
        ctx_error(c, ERR_DB_RANGE);
        return;
    }
    c->cl->db = (int)id;
    c->db = (int)id;
    ctx_ok(c);
}

/* Check credentials for user "default"; sends the error on failure. */
static int check_auth(struct cmd_ctx *c, const char *user, size_t ulen, const char *pass,
                      size_t plen)
{
    int user_ok = !user || (ulen == 7 && !memcmp(user, "default", 7));
    if (!config_auth_required() && user_ok) { /* default user is "nopass" */
        c->cl->authenticated = 1;
        return 1;
    }
    if (user_ok && config_check_password(pass, plen)) {
        c->cl->authenticated = 1;
        return 1;
    }
    ctx_error(c, ERR_WRONGPASS);
    return 0;
}

void cmd_auth(struct cmd_ctx *c)
{
    if (c->argc > 3) {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 2) {
        if (!config_auth_required()) {
            ctx_error(c, ERR_AUTH_NOPASS);
            return;
        }
        if (check_auth(c, NULL, 0, c->argv[1], c->argl[1]))
            ctx_ok(c);
        return;
    }
    if (check_auth(c, c->argv[1], c->argl[1], c->argv[2], c->argl[2]))
        ctx_ok(c);
}

static int valid_name(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '!' || p[i] > '~')
            return 0;
    return 1;
}

void cmd_hello(struct cmd_ctx *c)
{
    long long ver = 0;
    int j = 1;
    if (c->argc >= 2) {
        if (!util_str2ll(c->argv[1], c->argl[1], &ver)) {
            ctx_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        j = 2;
        if (ver < 2 || ver > 3) {
            ctx_error(c, ERR_NOPROTO);
            return;
        }
    }
    int auth_at = 0, name_at = 0;
    for (; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (ctx_arg_is(c, j, "auth") && more >= 2) {
            auth_at = j;
            j += 2;
        } else if (ctx_arg_is(c, j, "setname") && more >= 1) {
            name_at = j;
            j += 1;
        } else {
            ctx_errorf(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argl[j], c->argv[j]);
            return;
        }
    }
    if (auth_at && !check_auth(c, c->argv[auth_at + 1], c->argl[auth_at + 1],
                               c->argv[auth_at + 2], c->argl[auth_at + 2]))
        return;
    if (!c->cl->authenticated) {
        ctx_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                     "otherwise the HELLO AUTH <user> <pass> option can be used to "
                     "authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if (name_at) {
        if (!valid_name(c->argv[name_at + 1], c->argl[name_at + 1])) {
            ctx_error(c, ERR_CLIENT_NAME);
            return;
        }
        client_set_name(c->cl, c->argv[name_at + 1], c->argl[name_at + 1]);
    }
    if (ver)
        c->cl->resp = (int)ver;
    c->w->proto = c->cl->resp;
    resp_map(c->w, 7);
    resp_bulk_cstr(c->w, "server");
    resp_bulk_cstr(c->w, "redis");
    resp_bulk_cstr(c->w, "version");
    resp_bulk_cstr(c->w, CACHET_REDIS_COMPAT_VERSION);
    resp_bulk_cstr(c->w, "proto");
    resp_int(c->w, c->cl->resp);
    resp_bulk_cstr(c->w, "id");
    resp_int(c->w, (long long)c->cl->id);
    resp_bulk_cstr(c->w, "mode");
    resp_bulk_cstr(c->w, "standalone");
    resp_bulk_cstr(c->w, "role");
    resp_bulk_cstr(c->w, "master");
    resp_bulk_cstr(c->w, "modules");
    resp_array(c->w, 0);
}

void cmd_reset(struct cmd_ctx *c)
{
    struct client *cl = c->cl;
    client_discard_multi(cl);
    client_unwatch_all(cl);
    cl->db = 0;
    cl->resp = 2;
    c->w->proto = 2;
    client_set_name(cl, NULL, 0);
    cl->authenticated = !config_auth_required();
    resp_simple(c->w, "RESET");
}

/* ---- CLIENT ---- */

void cmd_client_id(struct cmd_ctx *c)
{
    resp_int(c->w, (long long)c->cl->id);
}

void cmd_client_setname(struct cmd_ctx *c)
{
    if (!valid_name(c->argv[2], c->argl[2])) {
        ctx_error(c, ERR_CLIENT_NAME);
        return;
    }
    client_set_name(c->cl, c->argv[2], c->argl[2]);
    ctx_ok(c);
}

void cmd_client_getname(struct cmd_ctx *c)
{
    char *name = c->cl->name; /* only this thread writes our own name */
    if (name && name[0])
        resp_bulk_cstr(c->w, name);
    else
        resp_null(c->w);
}

void cmd_client_list(struct cmd_ctx *c)
{
    uint64_t *ids = NULL;
    int nids = -1;
    for (int j = 2; j < c->argc; j++) {
        if (ctx_arg_is(c, j, "type") && j + 1 < c->argc) {
            j++;
            if (ctx_arg_is(c, j, "normal"))
                continue;
            if (ctx_arg_is(c, j, "master") || ctx_arg_is(c, j, "replica") ||
                ctx_arg_is(c, j, "slave") || ctx_arg_is(c, j, "pubsub")) {
                nids = 0; /* no such clients here */
                continue;
            }
            ctx_errorf(c, "ERR Unknown client type '%.*s'", (int)c->argl[j], c->argv[j]);
            free(ids);
            return;
        } else if (ctx_arg_is(c, j, "id") && j + 1 < c->argc) {
            ids = malloc(sizeof(*ids) * (size_t)(c->argc - j));
            nids = 0;
            for (j++; j < c->argc; j++) {
                long long id;
                if (!util_str2ll(c->argv[j], c->argl[j], &id) || id <= 0) {
                    ctx_error(c, "ERR Invalid client ID");
                    free(ids);
                    return;
                }
                ids[nids++] = (uint64_t)id;
            }
        } else {
            ctx_error(c, ERR_SYNTAX);
            free(ids);
            return;
        }
    }
    char *s = nids == 0 && !ids ? strdup("") : client_list_string(ids, nids, c->env.now_ms);
    resp_verbatim(c->w, s, strlen(s));
    free(s);
    free(ids);
}

void cmd_client_info(struct cmd_ctx *c)
{
    char line[1024];
    client_info_line(c->cl, line, sizeof(line) - 1, c->env.now_ms);
    size_t n = strlen(line);
    line[n++] = '\n';
    resp_verbatim(c->w, line, n);
}

void cmd_client_kill(struct cmd_ctx *c)
{
    struct kill_filter f = {.skipme = 1, .me = c->cl};
    char *addr = NULL, *laddr = NULL, *user = NULL, *type = NULL;
    if (c->argc == 3) { /* old form: CLIENT KILL addr */
        addr = strndup(c->argv[2], c->argl[2]);
        f.addr = addr;
        f.skipme = 0;
        long n = client_kill(&f);
        free(addr);
        if (n)
            ctx_ok(c);
        else
            ctx_error(c, ERR_NO_SUCH_CLIENT);
        return;
    }
    int ok = 1;
    for (int j = 2; j < c->argc && ok; j += 2) {
        if (j + 1 >= c->argc) {
            ok = 0;
            break;
        }
        const char *v = c->argv[j + 1];
        size_t vl = c->argl[j + 1];
        if (ctx_arg_is(c, j, "id")) {
            long long id;
            if (!util_str2ll(v, vl, &id) || id <= 0) {
                ctx_error(c, "ERR client-id should be greater than 0");
                goto out;
            }
            f.id = (uint64_t)id;
            f.have_id = 1;
        } else if (ctx_arg_is(c, j, "addr")) {
            free(addr);
            f.addr = addr = strndup(v, vl);
        } else if (ctx_arg_is(c, j, "laddr")) {
            free(laddr);
            f.laddr = laddr = strndup(v, vl);
        } else if (ctx_arg_is(c, j, "user")) {
            free(user);
            f.user = user = strndup(v, vl);
        } else if (ctx_arg_is(c, j, "type")) {
            free(type);
            f.type = type = strndup(v, vl);
            if (strcasecmp(type, "normal") && strcasecmp(type, "master") &&
                strcasecmp(type, "replica") && strcasecmp(type, "slave") &&
                strcasecmp(type, "pubsub")) {
                ctx_errorf(c, "ERR Unknown client type '%s'", type);
                goto out;
            }
        } else if (ctx_arg_is(c, j, "skipme")) {
            if (ctx_arg_is(c, j + 1, "yes"))
                f.skipme = 1;
            else if (ctx_arg_is(c, j + 1, "no"))
                f.skipme = 0;
            else
                ok = 0;
        } else {
            ok = 0;
        }
    }
    if (!ok)
        ctx_error(c, ERR_SYNTAX);
    else
        resp_int(c->w, client_kill(&f));
out:
    free(addr);
    free(laddr);
    free(user);
    free(type);
}

void cmd_client_setinfo(struct cmd_ctx *c)
{
    int ver;
    if (ctx_arg_is(c, 2, "lib-name"))
        ver = 0;
    else if (ctx_arg_is(c, 2, "lib-ver"))
        ver = 1;
    else {
        ctx_errorf(c, "ERR Unrecognized option '%.*s'", (int)c->argl[2], c->argv[2]);
        return;
    }
    if (!valid_name(c->argv[3], c->argl[3])) {
        ctx_errorf(c, "ERR %s cannot contain spaces, newlines or special characters.",
                   ver ? "lib-ver" : "lib-name");
        return;
    }
    client_set_lib(c->cl, ver, c->argv[3], c->argl[3]);
    ctx_ok(c);
}

void cmd_client_help(struct cmd_ctx *c)
{
    static const char *lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "    * ID <client-id> [<client-id> ...]",
        "      Return clients of specified IDs only.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "HELP",
        "    Prints this help.",
    };
    int n = (int)(sizeof(lines) / sizeof(lines[0]));
    resp_array(c->w, n);
    for (int i = 0; i < n; i++)
        resp_simple(c->w, lines[i]);
}
