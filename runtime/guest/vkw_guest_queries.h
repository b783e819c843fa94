/* vkw_guest_queries — vkGetQueryPoolResults without holding the connection.
 *
 * Owns: how a query wait (VK_QUERY_RESULT_WAIT_BIT) is carried out.  The
 * host's driver would block inside the call for as long as the queries
 * take, and with it every other thread's call on the connection; the guest
 * instead asks without WAIT until every query is available, sleeping a
 * little longer between looks each time (at most 1 ms), so other threads'
 * calls go through in between.
 */
#ifndef VKW_GUEST_QUERIES_H
#define VKW_GUEST_QUERIES_H

#include <stddef.h>
#include <vulkan/vulkan.h>

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetQueryPoolResults(
    VkDevice device, VkQueryPool queryPool, uint32_t firstQuery, uint32_t queryCount,
    size_t dataSize, void *pData, VkDeviceSize stride, VkQueryResultFlags flags);

#endif /* VKW_GUEST_QUERIES_H */
