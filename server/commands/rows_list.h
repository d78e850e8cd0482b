/* rows_list.h - command rows of the list family, included inside the
 * command table's initializer (command_table.c); no include guard on
 * purpose.  Group "list". */
ROW("lpush", cmd_lpush, -3, W | M | F, 1, 1, 1, "list", "1.0.0",
    "O(1) for each element added, so O(N) to add N elements when the command is called with "
    "multiple arguments.",
    "Prepend one or multiple elements to a list", "key element [element ...]"),
ROW("rpush", cmd_rpush, -3, W | M | F, 1, 1, 1, "list", "1.0.0",
    "O(1) for each element added, so O(N) to add N elements when the command is called with "
    "multiple arguments.",
    "Append one or multiple elements to a list", "key element [element ...]"),
ROW("lpushx", cmd_lpushx, -3, W | M | F, 1, 1, 1, "list", "2.2.0",
    "O(1) for each element added, so O(N) to add N elements when the command is called with "
    "multiple arguments.",
    "Prepend an element to a list, only if the list exists", "key element [element ...]"),
ROW("rpushx", cmd_rpushx, -3, W | M | F, 1, 1, 1, "list", "2.2.0",
    "O(1) for each element added, so O(N) to add N elements when the command is called with "
    "multiple arguments.",
    "Append an element to a list, only if the list exists", "key element [element ...]"),
ROW("lpop", cmd_lpop, -2, W | F, 1, 1, 1, "list", "1.0.0",
    "O(N) where N is the number of elements returned",
    "Remove and get the first elements in a list", "key [count]"),
ROW("rpop", cmd_rpop, -2, W | F, 1, 1, 1, "list", "1.0.0",
    "O(N) where N is the number of elements returned",
    "Remove and get the last elements in a list", "key [count]"),
ROW("llen", cmd_llen, 2, R | F, 1, 1, 1, "list", "1.0.0", "O(1)", "Get the length of a list",
    "key"),
ROW("lrange", cmd_lrange, 4, R, 1, 1, 1, "list", "1.0.0",
    "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end "
    "(HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
    "Get a range of elements from a list", "key start stop"),
ROW("lindex", cmd_lindex, 3, R, 1, 1, 1, "list", "1.0.0",
    "O(N) where N is the number of elements to traverse to get to the element at index. This "
    "makes asking for the first or the last element of the list O(1).",
    "Get an element from a list by its index", "key index"),
ROW("lset", cmd_lset, 4, W | M, 1, 1, 1, "list", "1.0.0",
    "O(N) where N is the length of the list. Setting either the first or the last element of "
    "the list is O(1).",
    "Set the value of an element in a list by its index", "key index element"),
ROW("linsert", cmd_linsert, 5, W | M, 1, 1, 1, "list", "2.2.0",
    "O(N) where N is the number of elements to traverse before seeing the value pivot. This "
    "means that inserting somewhere on the left end on the list (head) can be considered O(1) "
    "and inserting somewhere on the right end (tail) is O(N).",
    "Insert an element before or after another element in a list",
    "key <BEFORE | AFTER> pivot element"),
ROW("lrem", cmd_lrem, 4, W, 1, 1, 1, "list", "1.0.0",
    "O(N+M) where N is the length of the list and M is the number of elements removed.",
    "Remove elements from a list", "key count element"),
ROW("ltrim", cmd_ltrim, 4, W, 1, 1, 1, "list", "1.0.0",
    "O(N) where N is the number of elements to be removed by the operation.",
    "Trim a list to the specified range", "key start stop"),
ROW("lpos", cmd_lpos, -3, R, 1, 1, 1, "list", "6.0.6",
    "O(N) where N is the number of elements in the list, for the average case. When searching "
    "for elements near the head or the tail of the list, or when the MAXLEN option is "
    "provided, the command may run in constant time.",
    "Return the index of matching elements on a list",
    "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"),
ROW("lmove", cmd_lmove, 5, W | M, 1, 2, 1, "list", "6.2.0", "O(1)",
    "Pop an element from a list, push it to another list and return it",
    "source destination <LEFT | RIGHT> <LEFT | RIGHT>"),
ROW("rpoplpush", cmd_rpoplpush, 3, W | M, 1, 2, 1, "list", "1.2.0", "O(1)",
    "Remove the last element in a list, prepend it to another list and return it",
    "source destination"),
ROWK("lmpop", cmd_lmpop, -4, W, 0, 0, 0, "list", "7.0.0",
     "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
     "Pop elements from a list", "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]",
     keys_numkeys_at1),
/* blocking (cmd_list_blocking.c) */
ROW("blpop", cmd_blpop, -3, W | CMD_NOSCRIPT | BL, 1, -2, 1, "list", "2.0.0",
    "O(N) where N is the number of provided keys.",
    "Remove and get the first element in a list, or block until one is available",
    "key [key ...] timeout"),
ROW("brpop", cmd_brpop, -3, W | CMD_NOSCRIPT | BL, 1, -2, 1, "list", "2.0.0",
    "O(N) where N is the number of provided keys.",
    "Remove and get the last element in a list, or block until one is available",
    "key [key ...] timeout"),
ROW("brpoplpush", cmd_brpoplpush, 4, W | M | CMD_NOSCRIPT | BL, 1, 2, 1, "list", "2.2.0",
    "O(1)",
    "Pop an element from a list, push it to another list and return it; or block until one is "
    "available",
    "source destination timeout"),
ROW("blmove", cmd_blmove, 6, W | M | CMD_NOSCRIPT | BL, 1, 2, 1, "list", "6.2.0", "O(1)",
    "Pop an element from a list, push it to another list and return it; or block until one is "
    "available",
    "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout"),
ROWK("blmpop", cmd_blmpop, -5, W | BL, 0, 0, 0, "list", "7.0.0",
     "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
     "Pop elements from a list, or block until one is available",
     "timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]", keys_numkeys_at2),
