/* tap.h — a tiny Test Anything Protocol producer for the C tests.
 *
 * Owns: the TAP lines the unit tests print for Automake's tap-driver.sh:
 * the plan ("1..N", first via plan() or last via done_testing()), "ok N - "
 * and "not ok N - " lines, "# " diagnostics, skips and the exit status.
 *
 *     ok(x == 1, "x is %d", 1);  is_int(got, want, "count");
 *     is_mem(buf, expected, sizeof expected, "wire bytes");
 *     return done_testing();   // prints the plan if none was; 0 iff all passed
 *
 * Every helper evaluates its arguments once, so is_u64(vkw_read_u64(&r), ...)
 * is safe.  Descriptions must not contain '#' (TAP would read a directive).
 * One test program is one translation unit, so the counters live at file scope.
 */
#ifndef VKW_TAP_H
#define VKW_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define TAP_PRINTF_(f, a) __attribute__((format(printf, f, a)))
#else
#define TAP_PRINTF_(f, a)
#endif

static struct { int planned, run, failed; } tap_;

static inline void plan(int n) { tap_.planned = n; printf("1..%d\n", n); fflush(stdout); }

static inline TAP_PRINTF_(1, 2) void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(ap);
}

/* Print one result; `ap` holds the description's arguments. */
static inline TAP_PRINTF_(4, 0) int tap_result_(int pass, const char *file, int line,
                                            const char *fmt, va_list ap)
{
    tap_.run++;
    tap_.failed += !pass;
    printf("%sok %d - ", pass ? "" : "not ", tap_.run);
    vprintf(fmt, ap);
    printf("\n");
    if (!pass)
        printf("#   Failed test at %s line %d\n", file, line);
    fflush(stdout); /* what passed stays visible if the next test crashes */
    return pass;
}
#define TAP_RESULT_(pass, file, line, fmt)                                  \
    do {                                                                    \
        va_list ap_;                                                        \
        va_start(ap_, fmt);                                                 \
        tap_result_(pass, file, line, fmt, ap_);                            \
        va_end(ap_);                                                        \
    } while (0)

static inline TAP_PRINTF_(4, 5) int tap_ok_(int pass, const char *file, int line,
                                            const char *fmt, ...)
{
    TAP_RESULT_(pass, file, line, fmt);
    return pass;
}

static inline TAP_PRINTF_(5, 6) int tap_is_int_(long long got, long long want,
                                                const char *file, int line, const char *fmt, ...)
{
    TAP_RESULT_(got == want, file, line, fmt);
    if (got != want)
        diag("      got: %lld\n#  expected: %lld", got, want);
    return got == want;
}

static inline TAP_PRINTF_(5, 6) int tap_is_u64_(uint64_t got, uint64_t want,
                                                const char *file, int line, const char *fmt, ...)
{
    TAP_RESULT_(got == want, file, line, fmt);
    if (got != want)
        diag("      got: %" PRIu64 " (0x%" PRIx64 ")\n#  expected: %" PRIu64 " (0x%" PRIx64 ")",
             got, got, want, want);
    return got == want;
}

static inline TAP_PRINTF_(5, 6) int tap_is_str_(const char *got, const char *want,
                                                const char *file, int line, const char *fmt, ...)
{
    int pass = got == want || (got && want && !strcmp(got, want));
    TAP_RESULT_(pass, file, line, fmt);
    if (!pass)
        diag("      got: %s\n#  expected: %s", got ? got : "(null)", want ? want : "(null)");
    return pass;
}

/* On failure shows the first differing byte and both runs (64 bytes max). */
static inline TAP_PRINTF_(6, 7) int tap_is_mem_(const void *got, const void *want, size_t n,
                                                const char *file, int line, const char *fmt, ...)
{
    const unsigned char *g = got, *w = want;
    size_t i = 0;
    while (i < n && g[i] == w[i])
        i++;
    TAP_RESULT_(i == n, file, line, fmt);
    if (i < n) {
        diag("first difference at byte %zu", i);
        for (int side = 0; side < 2; side++) {
            printf("# %9s:", side ? "expected" : "got");
            for (size_t j = 0; j < n && j < 64; j++)
                printf(" %02x", (side ? w : g)[j]);
            printf("%s\n", n > 64 ? " ..." : "");
        }
    }
    return i == n;
}

#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) tap_is_int_((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_u64(got, want, ...) tap_is_u64_((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str_((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_mem(got, want, n, ...) tap_is_mem_((got), (want), (n), __FILE__, __LINE__, __VA_ARGS__)

static inline void skip(int n, const char *reason)
{
    for (int i = 0; i < n; i++)
        printf("ok %d # SKIP %s\n", ++tap_.run, reason);
}

/* Give up on the whole program; the harness reports the reason. */
#define BAIL_OUT(...) (printf("Bail out! "), printf(__VA_ARGS__), printf("\n"), exit(255))

static inline int done_testing(void)
{
    if (!tap_.planned)
        printf("1..%d\n", tap_.run);
    else if (tap_.planned != tap_.run)
        diag("planned %d tests but ran %d", tap_.planned, tap_.run), tap_.failed++;
    if (tap_.failed)
        diag("failed %d of %d tests", tap_.failed, tap_.run);
    fflush(stdout);
    return tap_.failed ? 1 : 0;
}

#endif /* VKW_TAP_H */
