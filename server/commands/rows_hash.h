/* rows_hash.h - command rows of the hash family, included inside the
 * command table's initializer (command_table.c); no include guard on
 * purpose.  Group "hash". */
