/* docs.h - COMMAND DOCS "arguments" from a one-line syntax string.
 *
 * Owns: turning a command's syntax, written in Redis's documentation
 * notation (the part after the command name, e.g. for SET
 * "key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]"),
 * into the nested "arguments" reply Redis 7.0 gives for COMMAND DOCS:
 * an array of maps with "name", "type", and optionally "key_spec_index",
 * "token", "flags" (optional / multiple / multiple_token) and "arguments"
 * (members of a "oneof" or "block").  Must not: touch server state; it
 * keeps nothing between calls.
 *
 * Notation:
 *   UPPER        a literal token (any word without a lowercase letter:
 *                NX, GET, $, *, ""); alone it is a "pure-token"; followed
 *                by lowercase words it becomes their "token" ("EX seconds",
 *                "LIMIT offset count" -> a block with token LIMIT)
 *   lower        an argument; its type is inferred from the name (key,
 *                source, destination, *key -> key; seconds, count, ... ->
 *                integer; pattern -> pattern; default string), or given
 *                explicitly as name:type with type one of string, integer,
 *                double, key, pattern, unix-time (e.g. "increment:double")
 *   [ ... ]      optional;   < ... >  required grouping
 *   a | b        alternatives -> a "oneof" (| binds loosest inside a group)
 *   x [x ...]    one or more x (x may be several items -> a "block");
 *                "x ..." likewise
 *   T W | V ...  inside a group, a token followed by single-word
 *                alternatives ("[TYPE NORMAL | MASTER]") -> T applies to
 *                the whole oneof
 */
#ifndef CACHET_DOCS_H
#define CACHET_DOCS_H

struct resp_writer;

/* Write the RESP "arguments" array for a syntax string.  Returns 0, or -1
 * if the syntax string is malformed (then writes nothing).  "" (or only
 * blanks) writes an empty array. */
int docs_write_arguments(struct resp_writer *w, const char *syntax);

/* Count top-level arguments: 0 for "", -1 if the syntax is malformed.
 * Redis omits the "arguments" field for commands without arguments. */
int docs_count_arguments(const char *syntax);

#endif
