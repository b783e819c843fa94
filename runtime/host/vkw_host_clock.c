/* vkw_host_clock — see vkw_host_clock.h. */
#define _GNU_SOURCE /* CLOCK_MONOTONIC_RAW */
#include "vkw_host_clock.h"

#include <time.h>

#include "vkw_host_context.h"

static uint64_t now_ns(clockid_t clock)
{
    struct timespec t;
    if (clock_gettime(clock, &t) != 0)
        return 0; /* a clock this kernel lacks: no guest's clock is 0 */
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void vkw_host_clock_probe(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          struct vkw_writer *reply)
{
    (void)ctx;
    if (!vkw_host_memory_decoded(d) || !reply)
        return;
    vkw_write_u64(reply, now_ns(CLOCK_MONOTONIC));
    vkw_write_u64(reply, now_ns(CLOCK_MONOTONIC_RAW));
}
