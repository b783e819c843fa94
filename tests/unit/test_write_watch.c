/* test_write_watch — the kernel's account of written pages
 * (runtime/guest/vkw_guest_write_watch): exact runs, protection again
 * after a scan, a scan without protecting, a range it does not watch.
 * Skipped where the kernel cannot watch (before Linux 6.7): then copied
 * mode compares pages, which the memory tests cover. */
#define _GNU_SOURCE /* memfd_create */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "vkw_guest_write_watch.h"

#define PAGES 64

struct runs {
    size_t n;
    size_t offset[PAGES], length[PAGES];
};

static void note(size_t offset, size_t length, void *user)
{
    struct runs *r = user;
    if (r->n < PAGES) {
        r->offset[r->n] = offset;
        r->length[r->n] = length;
    }
    r->n++;
}

static struct runs scan(void *p, size_t len, bool protect)
{
    struct runs r = {0};
    if (!vkw_write_watch_scan(p, len, protect, note, &r))
        r.n = (size_t)-1;
    return r;
}

int main(void)
{
    if (!vkw_write_watch_available()) {
        printf("1..0 # SKIP the kernel cannot report written pages (needs Linux 6.7 and "
               "userfaultfd for user-mode faults)\n");
        return 0;
    }
    plan(9);
    const size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page;
    const int fd = memfd_create("test-write-watch", MFD_CLOEXEC);
    unsigned char *p = fd >= 0 && ftruncate(fd, (off_t)len) == 0
                           ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                           : MAP_FAILED;
    if (p == MAP_FAILED) {
        printf("Bail out! no memfd mapping\n");
        return 1;
    }
    memset(p, 0, len);
    ok(vkw_write_watch_start(p, len), "a populated memfd mapping can be watched");
    struct runs r = scan(p, len, true);
    ok(r.n == 0, "nothing counts as written when watching starts (%zu runs)", r.n);

    p[3 * page + 17] = 1;              /* one byte of page 3 */
    memset(p + 10 * page, 2, 3 * page); /* pages 10-12 */
    p[len - 1] = 3;                    /* the last page */
    (void)p[20 * page];                /* a read is no write */
    r = scan(p, len, false);
    ok(r.n == 3 && r.offset[0] == 3 * page && r.length[0] == page && r.offset[1] == 10 * page &&
           r.length[1] == 3 * page && r.offset[2] == len - page && r.length[2] == page,
       "written pages come as exact runs, reads do not count (%zu runs)", r.n);
    r = scan(p, len, true);
    ok(r.n == 3, "a scan without protecting left them written; this one protects them");
    r = scan(p, len, true);
    ok(r.n == 0, "once protected, nothing is written (%zu runs)", r.n);
    p[5 * page] = 4;
    r = scan(p + 4 * page, 4 * page, true);
    ok(r.n == 1 && r.offset[0] == page && r.length[0] == page,
       "a scan of part of the range: offsets from its start");
    ok(p[3 * page + 17] == 1 && p[11 * page] == 2 && p[len - 1] == 3 && p[5 * page] == 4,
       "protection never loses a byte");
    vkw_write_watch_stop(p, len);
    p[7 * page] = 5;
    ok(!vkw_write_watch_scan(p, len, false, note, &(struct runs){0}),
       "a range no longer watched cannot be scanned (the caller then assumes all written)");
    munmap(p, len);
    close(fd);
    unsigned char anon[64];
    ok(!vkw_write_watch_start(anon, sizeof(anon)), "an unaligned range is refused");
    return done_testing();
}
