/* vkw_guest_write_watch — which pages of a mapping the application wrote,
 * told by the kernel (copied mode's shadows, doc/PROTOCOL.md §17.10).
 *
 * Owns: the process's one userfaultfd in asynchronous write-protect mode
 * and its /proc/self/pagemap fd.  A watched range is write-protected; the
 * first write to a page is resolved by the kernel itself (no handler
 * thread, no signal) and marks the page written; a scan (PAGEMAP_SCAN)
 * lists the written pages and may protect them again in the same step.
 *
 * Why: without it, copied mode must compare every mapped page against a
 * clean copy at every submission and wait to find what the application
 * changed.  With it, finding out costs a walk of the page table, and a
 * page the application never writes costs nothing.  The price is one
 * kernel fault (~1 µs) per page at its first write after a scan, so a
 * shadow the application rewrites wholesale is better compared (the
 * caller decides).
 *
 * Needs Linux 6.7 (UFFD_FEATURE_WP_ASYNC, PAGEMAP_SCAN) and userfaultfd
 * for user-mode faults, which unprivileged processes may use
 * (UFFD_USER_MODE_ONLY).  Where anything is missing,
 * vkw_write_watch_available() is false and callers compare instead.
 * VKWIRE_WRITE_WATCH=0 turns it off (to compare the two ways).
 * Thread-safe: the kernel serialises the ioctls.
 */
#ifndef VKW_GUEST_WRITE_WATCH_H
#define VKW_GUEST_WRITE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Whether watching works in this process (probed once, on a scratch
 * mapping, the first time it is asked). */
bool vkw_write_watch_available(void);

/* Watch [addr, addr + len) (page-aligned, a shared mapping of a memfd,
 * its pages present): from now on its pages count as not written.  False
 * when the kernel refuses (then nothing is watched). */
bool vkw_write_watch_start(void *addr, size_t len);
/* Stop watching (before unmapping, or to compare instead). */
void vkw_write_watch_stop(void *addr, size_t len);

/* Call `fn(offset, length, user)` for each run of pages of [addr, addr +
 * len) written since they were last protected, in increasing order,
 * offsets from `addr`.  `protect`: they count as not written again once
 * listed (atomically: a write after its page was listed counts for the
 * next scan).  False when the scan failed: then treat every page as
 * written. */
bool vkw_write_watch_scan(void *addr, size_t len, bool protect,
                          void (*fn)(size_t offset, size_t length, void *user), void *user);

#endif /* VKW_GUEST_WRITE_WATCH_H */
