/* vkw_guest_write_watch — see vkw_guest_write_watch.h. */
#define _GNU_SOURCE /* memfd_create, syscall */
#include "vkw_guest_write_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Kernel ABI newer than some distributions' headers (Linux 6.7 uapi:
 * linux/userfaultfd.h and linux/fs.h); the values are fixed by the ABI. */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define WATCH_UFFD_FEATURE_WP_HUGETLBFS_SHMEM ((uint64_t)1 << 12)
#define WATCH_UFFD_FEATURE_WP_UNPOPULATED ((uint64_t)1 << 13)
#define WATCH_UFFD_FEATURE_WP_ASYNC ((uint64_t)1 << 15)

struct watch_page_region {
    uint64_t start, end, categories;
};
struct watch_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define WATCH_PAGEMAP_SCAN _IOWR('f', 16, struct watch_scan_arg)
#define WATCH_PAGE_IS_WRITTEN ((uint64_t)1 << 1)
#define WATCH_PM_SCAN_WP_MATCHING ((uint64_t)1 << 0)
#define WATCH_PM_SCAN_CHECK_WPASYNC ((uint64_t)1 << 1)

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int uffd = -1, pagemap = -1;
static bool available;

static bool env_off(void)
{
    const char *v = getenv("VKWIRE_WRITE_WATCH");
    return v && strcmp(v, "0") == 0;
}

struct probe_result {
    size_t runs, offset, length;
};

static void probe_run(size_t offset, size_t length, void *user)
{
    struct probe_result *p = user;
    if (p->runs++ == 0) {
        p->offset = offset;
        p->length = length;
    }
}

/* Two pages of a memfd, watched; a write to the second must be listed,
 * exactly, once. */
static bool probe_scratch(void)
{
    const long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return false;
    const size_t len = 2 * (size_t)page;
    const int fd = memfd_create("vkwire-probe", MFD_CLOEXEC);
    if (fd < 0)
        return false;
    void *p = ftruncate(fd, (off_t)len) == 0
                  ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                  : MAP_FAILED;
    close(fd);
    if (p == MAP_FAILED)
        return false;
    memset(p, 0, len);
    bool good = false;
    if (vkw_write_watch_start(p, len)) {
        ((volatile unsigned char *)p)[page] = 1;
        struct probe_result first = {0}, second = {0};
        good = vkw_write_watch_scan(p, len, true, probe_run, &first) &&
               vkw_write_watch_scan(p, len, true, probe_run, &second) && first.runs == 1 &&
               first.offset == (size_t)page && first.length == (size_t)page && second.runs == 0;
        vkw_write_watch_stop(p, len);
    }
    munmap(p, len);
    return good;
}

static void probe(void)
{
    if (env_off())
        return;
    uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (uffd < 0)
        return;
    const uint64_t want = WATCH_UFFD_FEATURE_WP_ASYNC | WATCH_UFFD_FEATURE_WP_HUGETLBFS_SHMEM |
                          WATCH_UFFD_FEATURE_WP_UNPOPULATED;
    struct uffdio_api api = {.api = UFFD_API, .features = want};
    pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    available = ioctl(uffd, UFFDIO_API, &api) == 0 && (api.features & want) == want &&
                pagemap >= 0;
    available = available && probe_scratch();
    if (!available) {
        close(uffd);
        if (pagemap >= 0)
            close(pagemap);
        uffd = pagemap = -1;
    }
}

bool vkw_write_watch_available(void)
{
    pthread_once(&probe_once, probe);
    return available;
}

bool vkw_write_watch_start(void *addr, size_t len)
{
    if (uffd < 0)
        return false;
    struct uffdio_register reg = {.range = {.start = (uintptr_t)addr, .len = len},
                                  .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0)
        return false;
    struct uffdio_writeprotect wp = {.range = {.start = (uintptr_t)addr, .len = len},
                                     .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) != 0) {
        vkw_write_watch_stop(addr, len);
        return false;
    }
    return true;
}

void vkw_write_watch_stop(void *addr, size_t len)
{
    if (uffd < 0)
        return;
    struct uffdio_range range = {.start = (uintptr_t)addr, .len = len};
    (void)ioctl(uffd, UFFDIO_UNREGISTER, &range);
}

bool vkw_write_watch_scan(void *addr, size_t len, bool protect,
                          void (*fn)(size_t offset, size_t length, void *user), void *user)
{
    if (pagemap < 0)
        return false;
    struct watch_page_region runs[64];
    const uint64_t base = (uintptr_t)addr, end = base + len;
    for (uint64_t at = base; at < end;) {
        struct watch_scan_arg arg = {
            .size = sizeof(arg),
            .flags = WATCH_PM_SCAN_CHECK_WPASYNC | (protect ? WATCH_PM_SCAN_WP_MATCHING : 0),
            .start = at,
            .end = end,
            .vec = (uintptr_t)runs,
            .vec_len = sizeof(runs) / sizeof(runs[0]),
            .category_mask = WATCH_PAGE_IS_WRITTEN,
            .return_mask = WATCH_PAGE_IS_WRITTEN,
        };
        const long n = ioctl(pagemap, WATCH_PAGEMAP_SCAN, &arg);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || arg.walk_end <= at || arg.walk_end > end)
            return false;
        for (long i = 0; i < n; i++)
            fn((size_t)(runs[i].start - base), (size_t)(runs[i].end - runs[i].start), user);
        at = arg.walk_end;
    }
    return true;
}
