/* rows_set.h - command rows of the set family, included inside the
 * command table's initializer (command_table.c); no include guard on
 * purpose.  Group "set". */
