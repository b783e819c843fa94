/* proc_util.h — what the tests read back from the system: a whole file (a
 * server's log), a process's children (its workers and spare workers) and
 * the driver library a loader manifest names (preloaded under ASan), for
 * the server tests, the host tests (host_test_guest.h) and test_alloc. */
#ifndef VKW_TEST_PROC_UTIL_H
#define VKW_TEST_PROC_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The whole file as a string (malloc'ed; empty when it cannot be read),
 * or NULL when out of memory. */
static inline char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    while (f && s) {
        if (n + 4096 > cap) {
            char *bigger = realloc(s, cap *= 2);
            if (!bigger) {
                free(s);
                s = NULL;
                break;
            }
            s = bigger;
        }
        size_t r = fread(s + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    if (f)
        fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

/* vkwire-server's default --spare-workers: an idle server has this many
 * children. */
#define VKW_TEST_SPARES 2

/* Processes whose parent is `pid` (zombies included), or -1 without /proc;
 * the first `max` of their pids go to `out` (may be NULL). */
static inline int children_list(pid_t pid, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t r = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (r <= 0)
            continue;
        buf[r] = '\0';
        /* pid (comm) state ppid ...: comm may hold spaces, so go from
         * the last ')'. */
        char *paren = strrchr(buf, ')');
        char state;
        int ppid;
        if (paren && sscanf(paren + 1, " %c %d", &state, &ppid) == 2 && ppid == pid) {
            if (out && n < max)
                out[n] = (pid_t)atol(e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

static inline int children_of(pid_t pid) { return children_list(pid, NULL, 0); }

/* Wait (up to `ms`) until `pid` has exactly `n` children; their count then. */
static inline int wait_children(pid_t pid, int n, int ms)
{
    int have = children_of(pid);
    for (int waited = 0; have != n && waited < ms; waited += 10) {
        usleep(10000);
        have = children_of(pid);
    }
    return have;
}

/* The driver library a loader manifest names ("library_path"), into
 * `out`; false if the manifest cannot be read. */
static inline bool manifest_library(const char *manifest, char *out, size_t size)
{
    FILE *f = fopen(manifest, "r");
    if (!f)
        return false;
    char text[8192];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *key = strstr(text, "\"library_path\"");
    const char *open = key ? strchr(key + 14, '"') : NULL;
    const char *close = open ? strchr(open + 1, '"') : NULL;
    if (!close || (size_t)(close - open - 1) >= size)
        return false;
    memcpy(out, open + 1, (size_t)(close - open - 1));
    out[close - open - 1] = '\0';
    return true;
}

#endif /* VKW_TEST_PROC_UTIL_H */
