/* vkw_guest_fault — see vkw_guest_fault.h. */
#include "vkw_guest_fault.h"

void vkw_encode_fault_info(struct vkw_writer *w, VkDevice device,
                           VkDeviceFaultCountsEXT *pFaultCounts, VkDeviceFaultInfoEXT *pFaultInfo)
{
    (void)device;
    /* Without counts the command is refused anyway (vk.xml: required);
     * the info then asks for no room. */
    if (!vkw_write_presence(w, pFaultInfo))
        return;
    vkw_write_u32(w, pFaultCounts && pFaultInfo->pAddressInfos ? pFaultCounts->addressInfoCount : 0);
    vkw_write_u32(w, pFaultCounts && pFaultInfo->pVendorInfos ? pFaultCounts->vendorInfoCount : 0);
    vkw_write_u64(w, pFaultCounts && pFaultInfo->pVendorBinaryData ? pFaultCounts->vendorBinarySize
                                                                    : 0);
}

void vkw_decode_reply_fault_info(struct vkw_reader *r, VkDevice device,
                                 VkDeviceFaultCountsEXT *pFaultCounts,
                                 VkDeviceFaultInfoEXT *pFaultInfo)
{
    (void)device, (void)pFaultCounts;
    if (!vkw_read_presence(r))
        return;
    if (!pFaultInfo) {
        vkw_reader_fail(r, VKW_ERROR_BAD_POINTER, 1);
        return;
    }
    vkw_read_string_fixed(r, pFaultInfo->description, VK_MAX_DESCRIPTION_SIZE);
    /* The host sends no more than the room the command asked for, which is
     * what the application's arrays hold. */
    const uint64_t addresses = vkw_read_count(r, 20);
    for (uint64_t i = 0; i < addresses && vkw_reader_ok(r); i++) {
        VkDeviceFaultAddressInfoEXT *a = &pFaultInfo->pAddressInfos[i];
        a->addressType = (VkDeviceFaultAddressTypeEXT)vkw_read_i32(r);
        a->reportedAddress = vkw_read_u64(r);
        a->addressPrecision = vkw_read_u64(r);
    }
    const uint64_t vendors = vkw_read_count(r, 24);
    for (uint64_t i = 0; i < vendors && vkw_reader_ok(r); i++) {
        VkDeviceFaultVendorInfoEXT *v = &pFaultInfo->pVendorInfos[i];
        vkw_read_string_fixed(r, v->description, VK_MAX_DESCRIPTION_SIZE);
        v->vendorFaultCode = vkw_read_u64(r);
        v->vendorFaultData = vkw_read_u64(r);
    }
    const uint64_t bytes = vkw_read_count(r, 1);
    if (bytes)
        vkw_read_bytes(r, pFaultInfo->pVendorBinaryData, (size_t)bytes);
}
