/* rows_zset.h - command rows of the sorted-set family, included inside the
 * command table's initializer (command_table.c); no include guard on
 * purpose.  Group "sorted-set". */
