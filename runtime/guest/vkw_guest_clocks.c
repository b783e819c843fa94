/* vkw_guest_clocks — see vkw_guest_clocks.h. */
#define _GNU_SOURCE /* CLOCK_MONOTONIC_RAW */
#include "vkw_guest_clocks.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "vkw_guest_conn.h"
#include "vkw_guest_entry.h"
#include "vkw_handshake.h"
#include "vkw_icd.h"

#define PROBES 3

static uint64_t now_ns(clockid_t clock)
{
    struct timespec t;
    if (clock_gettime(clock, &t) != 0)
        return UINT64_MAX; /* no such clock here: never between */
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* CLOCK_PROBE, PROBES times: which host clocks read between the guest's
 * own two readings every time.  VKW_CLOCKS_* bits; 0 when the host cannot
 * say (no feature) or the connection fails. */
static unsigned probe(struct vkw_guest_conn *conn)
{
    if (!(conn->agreed_features & VKW_FEATURE_CLOCK_PROBE))
        return 0;
    unsigned same = VKW_CLOCKS_MONOTONIC | VKW_CLOCKS_MONOTONIC_RAW;
    for (int i = 0; i < PROBES && same; i++) {
        struct vkw_call call;
        struct vkw_writer *w = vkw_call_begin(conn, &call);
        const size_t at = vkw_begin_command(w, VKW_MSG_CLOCK_PROBE, VKW_COMMAND_FLAG_REPLY,
                                            call.serial);
        vkw_end_message(w, at);
        const uint64_t mono0 = now_ns(CLOCK_MONOTONIC), raw0 = now_ns(CLOCK_MONOTONIC_RAW);
        struct vkw_reader *r = vkw_call_wait(&call, false);
        const uint64_t mono1 = now_ns(CLOCK_MONOTONIC), raw1 = now_ns(CLOCK_MONOTONIC_RAW);
        const uint64_t mono = r ? vkw_read_u64(r) : 0, raw = r ? vkw_read_u64(r) : 0;
        if (!vkw_call_end(&call, r))
            return 0;
        if (mono < mono0 || mono > mono1)
            same &= ~VKW_CLOCKS_MONOTONIC;
        if (raw < raw0 || raw > raw1)
            same &= ~VKW_CLOCKS_MONOTONIC_RAW;
    }
    return same;
}

/* The connection's answer, found on first use. */
static unsigned same_clocks(struct vkw_guest_conn *conn)
{
    unsigned c = atomic_load(&conn->clocks);
    if (c & VKW_CLOCKS_KNOWN)
        return c;
    c = probe(conn) | VKW_CLOCKS_KNOWN;
    atomic_store(&conn->clocks, c); /* two threads may both probe: the same answer */
    return c;
}

static bool meaningful(unsigned same, VkTimeDomainKHR domain)
{
    switch (domain) {
    case VK_TIME_DOMAIN_DEVICE_KHR:
        return true;
    case VK_TIME_DOMAIN_CLOCK_MONOTONIC_KHR:
        return same & VKW_CLOCKS_MONOTONIC;
    case VK_TIME_DOMAIN_CLOCK_MONOTONIC_RAW_KHR:
        return same & VKW_CLOCKS_MONOTONIC_RAW;
    default:
        return false; /* QUERY_PERFORMANCE_COUNTER, or one vkwire does not know */
    }
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetPhysicalDeviceCalibrateableTimeDomainsKHR(
    VkPhysicalDevice physicalDevice, uint32_t *pTimeDomainCount, VkTimeDomainKHR *pTimeDomains)
{
    uint32_t n = 0;
    VkResult r = vkw_forward_vkGetPhysicalDeviceCalibrateableTimeDomainsKHR(physicalDevice, &n,
                                                                            NULL);
    VkTimeDomainKHR *all = r >= 0 ? calloc(n ? n : 1, sizeof(*all)) : NULL;
    if (r >= 0 && !all)
        r = VK_ERROR_OUT_OF_HOST_MEMORY;
    if (r >= 0)
        r = vkw_forward_vkGetPhysicalDeviceCalibrateableTimeDomainsKHR(physicalDevice, &n, all);
    if (r < 0) {
        free(all);
        return r;
    }
    const unsigned same = same_clocks(vkw_guest_conn_of(physicalDevice));
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++)
        if (meaningful(same, all[i]))
            all[kept++] = all[i];
    if (!pTimeDomains) {
        *pTimeDomainCount = kept;
        r = VK_SUCCESS;
    } else {
        const uint32_t copy = *pTimeDomainCount < kept ? *pTimeDomainCount : kept;
        for (uint32_t i = 0; i < copy; i++)
            pTimeDomains[i] = all[i];
        *pTimeDomainCount = copy;
        r = copy < kept ? VK_INCOMPLETE : VK_SUCCESS;
    }
    free(all);
    return r;
}
