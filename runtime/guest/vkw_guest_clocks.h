/* vkw_guest_clocks — which of the host's time domains mean something to
 * the guest (VK_EXT_calibrated_timestamps, VK_KHR_calibrated_timestamps;
 * doc/PROTOCOL.md, "External objects").
 *
 * Owns: per connection, whether the host's CLOCK_MONOTONIC and
 * CLOCK_MONOTONIC_RAW are the guest's own, found once with CLOCK_PROBE
 * (the guest reads its clock, the host its own, the guest its own again:
 * three times, the host's always between the guest's two); and the time
 * domains offered, which are the driver's less the host clocks that are
 * not the guest's (another machine, a time namespace) and
 * QUERY_PERFORMANCE_COUNTER (Windows').  The device's domain means the
 * same wherever it is read.  Timestamps themselves travel unchanged
 * (vkGetCalibratedTimestampsKHR is forwarded): a clock offered is the
 * guest's, so no translation is needed.
 */
#ifndef VKW_GUEST_CLOCKS_H
#define VKW_GUEST_CLOCKS_H

#include <stdint.h>
#include <vulkan/vulkan.h>

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetPhysicalDeviceCalibrateableTimeDomainsKHR(
    VkPhysicalDevice physicalDevice, uint32_t *pTimeDomainCount, VkTimeDomainKHR *pTimeDomains);

#endif /* VKW_GUEST_CLOCKS_H */
