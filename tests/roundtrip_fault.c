/* roundtrip_fault — vkGetDeviceFaultInfoEXT's hand-written fault info in
 * the generated round trip (doc/PROTOCOL.md 25; declared in
 * roundtrip_special.h).  The generated test makes pFaultCounts as output
 * room after pFaultInfo, so the room the command asks for is always 0
 * here: what is checked is the info's presence, that no count the driver
 * claims beyond the room travels, and the description.  Room that is not
 * 0 is tests/test_dispatch.c's (a fake driver behind a whole host). */
#include <string.h>

#include "roundtrip_special.h"
#include "vkw_host_decode.h"

#define FAULT_ROOM 3

VkDeviceFaultInfoEXT *rt_fill_vkGetDeviceFaultInfoEXT_pFaultInfo(
    struct rt *t, VkDevice device, VkDeviceFaultCountsEXT *pFaultCounts)
{
    (void)device, (void)pFaultCounts;
    if (rt_below(t, 4) == 0)
        return NULL; /* the first call: counts only */
    VkDeviceFaultInfoEXT *info = rt_alloc(t, 1, sizeof(*info));
    info->sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_INFO_EXT;
    info->pAddressInfos = rt_alloc(t, FAULT_ROOM, sizeof(*info->pAddressInfos));
    info->pVendorInfos = rt_alloc(t, FAULT_ROOM, sizeof(*info->pVendorInfos));
    info->pVendorBinaryData = rt_alloc(t, FAULT_ROOM, 1);
    memset(info->pVendorBinaryData, 0x5a, FAULT_ROOM);
    return info;
}

void rt_cmp_vkGetDeviceFaultInfoEXT_pFaultInfo(struct rt *t, const VkDeviceFaultInfoEXT *info,
                                               const struct vkw_args_vkGetDeviceFaultInfoEXT *a)
{
    if (!info != !a->pFaultInfo)
        rt_mismatch(t, "vkGetDeviceFaultInfoEXT.pFaultInfo presence");
    else if (info && (a->pFaultCounts->addressInfoCount || a->pFaultCounts->vendorInfoCount ||
                      a->pFaultCounts->vendorBinarySize))
        rt_mismatch(t, "vkGetDeviceFaultInfoEXT: room the application did not give");
}

void rt_answer_vkGetDeviceFaultInfoEXT_pFaultInfo(struct rt *t,
                                                  struct vkw_args_vkGetDeviceFaultInfoEXT *a)
{
    if (!a->pFaultInfo)
        return;
    VkDeviceFaultInfoEXT *info = (VkDeviceFaultInfoEXT *)a->pFaultInfo;
    const uint32_t n = rt_below(t, VK_MAX_DESCRIPTION_SIZE);
    for (uint32_t i = 0; i < n; i++)
        info->description[i] = (char)('a' + rt_below(t, 26));
    info->description[n] = 0;
}

void rt_cmp_reply_vkGetDeviceFaultInfoEXT_pFaultInfo(
    struct rt *t, const VkDeviceFaultInfoEXT *info, const struct vkw_args_vkGetDeviceFaultInfoEXT *a)
{
    if (!info)
        return;
    if (a->result >= 0 && strcmp(info->description, a->pFaultInfo->description) != 0)
        rt_mismatch(t, "vkGetDeviceFaultInfoEXT: the description");
    const uint8_t *bytes = info->pVendorBinaryData;
    for (int i = 0; i < FAULT_ROOM; i++)
        if (bytes[i] != 0x5a || info->pAddressInfos[i].reportedAddress ||
            info->pVendorInfos[i].vendorFaultCode)
            rt_mismatch(t, "vkGetDeviceFaultInfoEXT: arrays written without room");
}
