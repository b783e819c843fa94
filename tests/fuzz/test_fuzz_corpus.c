/* The fuzzer's corpus and its regression inputs, replayed in make check
 * (any compiler): every stream under tests/fuzz/corpus and
 * tests/fuzz/regressions runs through the host on the fake driver with all
 * of fuzz_host's checks.  A regression input is one the fuzzer once broke
 * the host with; its file name says what it was. */
#define _GNU_SOURCE /* before any include */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_host.h"
#include "tap.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *data = malloc(cap);
    for (size_t r; data && (r = fread(data + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap) {
            unsigned char *bigger = realloc(data, cap *= 2);
            if (!bigger)
                free(data);
            data = bigger;
        }
    }
    fclose(f);
    *size = n;
    return data;
}

/* Replay every file of `dir`; the number replayed. */
static int replay_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        ok(0, "cannot read %s", dir);
        return 0;
    }
    int replayed = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            size_t size = 0;
            unsigned char *data = slurp(path, &size);
            char why[512] = "cannot read it";
            ok(data && vkw_fuzz_run(data, size, why, sizeof(why)), "%s (%zu bytes)",
               names[i]->d_name, size);
            if (why[0])
                diag("%s", why);
            free(data);
            replayed++;
        }
        free(names[i]);
    }
    free(names);
    return replayed;
}

int main(void)
{
    alarm(300);
    const char *src = getenv("top_srcdir");
    char dir[4096];
    vkw_fuzz_init(false);
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", src ? src : ".");
    int corpus = replay_dir(dir);
    ok(corpus >= 10, "the corpus holds %d streams", corpus);
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/regressions", src ? src : ".");
    replay_dir(dir);
    vkw_fuzz_fini();
    return done_testing();
}
