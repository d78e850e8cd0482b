/* unit.h - a tiny header-only unit test runner.
 *
 * Each tests/unit/test_*.c is one program that includes this header once:
 *
 *     #include "tests/unit/unit.h"
 *     TEST(adds) { CHECK_EQ_INT(1 + 1, 2); }
 *
 * TEST() registers the function before main() runs (a constructor), and the
 * main() defined here runs every test (in definition order with gcc and
 * clang), or only those whose names contain argv[1].  A failed check prints
 * file:line and the values, and the test goes on (so one run shows every
 * failure); main returns 1 if any check failed.  Checks are expressions
 * yielding 1 or 0, so `if (!CHECK(x)) return;` guards what follows.  Define UNIT_NO_MAIN to supply your own
 * main() and call unit_run(argc, argv) from it.
 */
#ifndef CACHET_UNIT_H
#define CACHET_UNIT_H

#include <stdio.h>
#include <string.h>

#define UNIT_MAX_TESTS 512

struct unit_test {
    const char *name;
    void (*fn)(void);
};

static struct unit_test unit_tests_[UNIT_MAX_TESTS];
static int unit_ntests_;
static long unit_checks_;
static long unit_failures_;
static const char *unit_current_ = "";
static const char *unit_via_file_;
static int unit_via_line_;

static inline void unit_register_(const char *name, void (*fn)(void))
{
    if (unit_ntests_ >= UNIT_MAX_TESTS) {
        fprintf(stderr, "unit.h: too many tests (raise UNIT_MAX_TESTS)\n");
        return;
    }
    unit_tests_[unit_ntests_].name = name;
    unit_tests_[unit_ntests_].fn = fn;
    unit_ntests_++;
}

static inline int unit_fail_(const char *file, int line)
{
    unit_failures_++;
    fprintf(stderr, "%s:%d: FAIL in %s: ", file, line, unit_current_);
    if (unit_via_file_)
        fprintf(stderr, "(via %s:%d) ", unit_via_file_, unit_via_line_);
    return 0;
}

/* Print n bytes with non-printables escaped, for CHECK_MEM failures. */
static inline void unit_print_mem_(const void *p, size_t n)
{
    const unsigned char *s = p;
    fputc('"', stderr);
    for (size_t i = 0; i < n && i < 200; i++) {
        if (s[i] == '\r')
            fputs("\\r", stderr);
        else if (s[i] == '\n')
            fputs("\\n", stderr);
        else if (s[i] == '"' || s[i] == '\\')
            fprintf(stderr, "\\%c", s[i]);
        else if (s[i] < 0x20 || s[i] >= 0x7f)
            fprintf(stderr, "\\x%02x", s[i]);
        else
            fputc(s[i], stderr);
    }
    fputs(n > 200 ? "\"..." : "\"", stderr);
}

#define TEST(name)                                                          \
    static void test_##name(void);                                          \
    __attribute__((constructor)) static void unit_reg_##name(void)          \
    {                                                                       \
        unit_register_(#name, test_##name);                                 \
    }                                                                       \
    static void test_##name(void)

/* Run a statement (typically a call of a checking helper) so that failures
 * inside it also name the line of the VIA: `VIA(check_frame(buf, len));` */
#define VIA(stmt)                                                           \
    do {                                                                    \
        unit_via_file_ = __FILE__;                                          \
        unit_via_line_ = __LINE__;                                          \
        stmt;                                                               \
        unit_via_file_ = NULL;                                              \
    } while (0)

/* Each check evaluates its arguments once and yields 1 (pass) or 0. */
#define CHECK(cond)                                                         \
    (unit_checks_++, (cond) ? 1                                             \
                            : (unit_fail_(__FILE__, __LINE__),              \
                               fprintf(stderr, "CHECK(%s)\n", #cond), 0))

#define CHECK_EQ_INT(a, b)                                                  \
    __extension__({                                                         \
        long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);       \
        unit_checks_++;                                                     \
        int unit_ok_ = unit_a_ == unit_b_;                                  \
        if (!unit_ok_) {                                                    \
            unit_fail_(__FILE__, __LINE__);                                 \
            fprintf(stderr, "%s == %s: %lld != %lld\n", #a, #b, unit_a_,    \
                    unit_b_);                                               \
        }                                                                   \
        unit_ok_;                                                           \
    })

/* Compare a string (e.g. an error text) with a NUL-terminated expectation;
 * a NULL actual fails. */
#define CHECK_EQ_STR(a, b)                                                  \
    __extension__({                                                         \
        const char *unit_sa_ = (a), *unit_sb_ = (b);                        \
        unit_checks_++;                                                     \
        int unit_ok_ = unit_sa_ && unit_sb_ && strcmp(unit_sa_, unit_sb_) == 0; \
        if (!unit_ok_) {                                                    \
            unit_fail_(__FILE__, __LINE__);                                 \
            fprintf(stderr, "%s == %s: \"%s\" != \"%s\"\n", #a, #b,         \
                    unit_sa_ ? unit_sa_ : "(null)",                         \
                    unit_sb_ ? unit_sb_ : "(null)");                        \
        }                                                                   \
        unit_ok_;                                                           \
    })

/* Compare memory: actual (pa, na) against expected (pb, nb). */
#define CHECK_MEM(pa, na, pb, nb)                                           \
    __extension__({                                                         \
        const void *unit_pa_ = (pa), *unit_pb_ = (pb);                      \
        size_t unit_na_ = (size_t)(na), unit_nb_ = (size_t)(nb);            \
        unit_checks_++;                                                     \
        int unit_ok_ = unit_na_ == unit_nb_ &&                              \
                       (unit_na_ == 0 || memcmp(unit_pa_, unit_pb_, unit_na_) == 0); \
        if (!unit_ok_) {                                                    \
            unit_fail_(__FILE__, __LINE__);                                 \
            fprintf(stderr, "%s (%zu bytes) == %s (%zu bytes):\n    got  ",  \
                    #pa, unit_na_, #pb, unit_nb_);                          \
            unit_print_mem_(unit_pa_, unit_na_);                            \
            fputs("\n    want ", stderr);                                   \
            unit_print_mem_(unit_pb_, unit_nb_);                            \
            fputc('\n', stderr);                                            \
        }                                                                   \
        unit_ok_;                                                           \
    })

/* CHECK_MEM against a string literal or C string. */
#define CHECK_MEM_STR(pa, na, s) CHECK_MEM(pa, na, s, strlen(s))

static inline int unit_run(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int ran = 0;
    for (int i = 0; i < unit_ntests_; i++) {
        if (filter && !strstr(unit_tests_[i].name, filter))
            continue;
        long before = unit_failures_;
        unit_current_ = unit_tests_[i].name;
        unit_tests_[i].fn();
        ran++;
        if (unit_failures_ != before)
            fprintf(stderr, "  test %s FAILED\n", unit_tests_[i].name);
    }
    printf("%s: %d tests, %ld checks, %ld failures\n", argv[0], ran, unit_checks_,
           unit_failures_);
    return unit_failures_ ? 1 : 0;
}

#ifndef UNIT_NO_MAIN
int main(int argc, char **argv)
{
    return unit_run(argc, argv);
}
#endif

#endif
