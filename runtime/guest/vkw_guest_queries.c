/* vkw_guest_queries — see vkw_guest_queries.h. */
#include "vkw_guest_queries.h"

#include "vkw_guest_entry.h"
#include "vkw_guest_sync.h"
#include "vkw_icd.h"

/* The first look again after 20 us, then each wait twice the last, to 1 ms:
 * short queries answer fast, long ones cost few round trips.  With a sync
 * page a look comes sooner when the host publishes that work finished. */
#define FIRST_PAUSE_NS 20000L
#define LONGEST_PAUSE_NS 1000000L

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetQueryPoolResults(
    VkDevice device, VkQueryPool queryPool, uint32_t firstQuery, uint32_t queryCount,
    size_t dataSize, void *pData, VkDeviceSize stride, VkQueryResultFlags flags)
{
    if (!(flags & VK_QUERY_RESULT_WAIT_BIT))
        return vkw_forward_vkGetQueryPoolResults(device, queryPool, firstQuery, queryCount,
                                                 dataSize, pData, stride, flags);
    /* Without WAIT the driver answers VK_NOT_READY until every query is
     * available, and VK_SUCCESS with every result written from then on:
     * what WAIT gives.  PARTIAL is dropped: a waited result is final. */
    const VkQueryResultFlags look =
        flags & ~(VkQueryResultFlags)(VK_QUERY_RESULT_WAIT_BIT | VK_QUERY_RESULT_PARTIAL_BIT);
    long pause = FIRST_PAUSE_NS;
    for (;;) {
        VkResult r = vkw_forward_vkGetQueryPoolResults(device, queryPool, firstQuery, queryCount,
                                                       dataSize, pData, stride, look);
        if (r != VK_NOT_READY)
            return r;
        vkw_guest_sync_pause(vkw_guest_conn_of(device), (uint64_t)pause);
        pause = pause * 2 < LONGEST_PAUSE_NS ? pause * 2 : LONGEST_PAUSE_NS;
    }
}
