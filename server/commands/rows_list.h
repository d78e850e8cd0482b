/* rows_list.h - command rows of the list family, included inside the
 * command table's initializer (command_table.c); no include guard on
 * purpose.  Group "list". */
