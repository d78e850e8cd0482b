/* rdb_tool.c - test driver for the RDB library (not a unit test: built on
 * demand as build/unit/rdb_tool, run by tests/integration/test_rdb_format.py).
 *
 *   rdb_tool encode IN.txt OUT.rdb [--no-compress] [--no-checksum]
 *       write the dataset IN.txt (tests/unit/rdb_text.h format) with our
 *       writer, streaming 64 KB chunks to OUT.rdb as the snapshot writer
 *       will; then redis-check-rdb and redis-server can judge the file.
 *   rdb_tool decode IN.rdb
 *       read a file with our reader (in 64 KB reads from the file) and
 *       print its canonical text, or the reader's error (exit 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "persistence/rdb_read.h"
#include "persistence/rdb_write.h"
#include "tests/unit/rdb_text.h"

static ssize_t file_write(void *ctx, const void *p, size_t n)
{
    size_t w = fwrite(p, 1, n, ctx);
    return w ? (ssize_t)w : -1;
}

static void flush(struct rdb_buf *b, void *ctx)
{
    if (rdb_buf_drain(b, file_write, ctx) < 0) {
        perror("write");
        exit(1);
    }
}

static ssize_t file_read(void *ctx, void *buf, size_t n)
{
    size_t r = fread(buf, 1, n, ctx);
    if (r == 0 && ferror((FILE *)ctx)) {
        errno = EIO;
        return -1;
    }
    return (ssize_t)r;
}

static int encode(int argc, char **argv)
{
    int flags = RDB_COMPRESS | RDB_CHECKSUM;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--no-compress") == 0)
            flags &= ~RDB_COMPRESS;
        else if (strcmp(argv[i], "--no-checksum") == 0)
            flags &= ~RDB_CHECKSUM;
        else
            return fprintf(stderr, "unknown option %s\n", argv[i]), 2;
    }
    struct rt_set set = {0};
    if (rt_parse_file(argv[2], &set) < 0)
        return fprintf(stderr, "%s\n", set.err), 1;
    FILE *out = fopen(argv[3], "wb");
    if (!out)
        return perror(argv[3]), 1;
    struct rdb_buf b;
    rdb_buf_init(&b, flags);
    rdb_put_header(&b, RDB_VERSION_WRITE);
    rdb_put_aux_std(&b, "7.0.15", 1700000000, 1 << 20, 0);
    rt_encode(&set, &b, flush, out);
    rdb_put_eof(&b);
    flush(&b, out);
    rdb_buf_deinit(&b);
    rt_free(&set);
    if (fclose(out) != 0)
        return perror(argv[3]), 1;
    return 0;
}

static int decode(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return perror(path), 1;
    struct stat st;
    struct rdb_read_opts opts = {0};
    if (fstat(fileno(in), &st) == 0)
        opts.input_size = (uint64_t)st.st_size;
    struct rt_set set = {0};
    struct rdb_read_result res;
    int rc = rdb_read(file_read, in, &rt_sink, &set, &opts, &res);
    fclose(in);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", path, res.err.msg);
        rt_free(&set);
        return 1;
    }
    char *text = rt_render(&set, 1);
    fputs(text, stdout);
    free(text);
    rt_free(&set);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "encode") == 0)
        return encode(argc, argv);
    if (argc == 3 && strcmp(argv[1], "decode") == 0)
        return decode(argv[2]);
    fprintf(stderr, "usage: %s encode IN.txt OUT.rdb [--no-compress] [--no-checksum]\n"
                    "       %s decode IN.rdb\n",
            argv[0], argv[0]);
    return 2;
}
