/* vkw_server_log — vkwire-server's log lines on stderr.
 *
 * Each line is "2025-01-31T12:00:00.123Z vkwire-server: <text>" and goes out
 * in one write(2): the parent and every worker share stderr, and a line
 * written in pieces could be cut by another process's line.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, gmtime_r */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "vkw_server.h"

enum vkw_log_level vkw_log_threshold = VKW_LOG_INFO;

void vkw_log(enum vkw_log_level level, const char *fmt, ...)
{
    if (level > vkw_log_threshold)
        return;
    const int saved_errno = errno; /* callers log, then look at errno */
    char line[1024];
    size_t n = 0;

    struct timespec now;
    struct tm tm;
    if (clock_gettime(CLOCK_REALTIME, &now) == 0 && gmtime_r(&now.tv_sec, &tm)) {
        n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ ", now.tv_nsec / 1000000);
    }
    n += (size_t)snprintf(line + n, sizeof(line) - n, "vkwire-server: ");

    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2; /* cut long lines, keep the newline */
    line[n++] = '\n';

    for (size_t done = 0; done < n;) {
        ssize_t w = write(STDERR_FILENO, line + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere to log to: nothing better to do */
        done += (size_t)w;
    }
    errno = saved_errno;
}
