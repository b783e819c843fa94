/* vkw_host_fault — see vkw_host_fault.h. */
#include "vkw_host_fault.h"

/* The room the guest asked for, kept for the reply: the driver overwrites
 * the counts with what it wrote. */
struct fault_room {
    uint32_t addresses, vendors;
    uint64_t bytes;
};

void vkw_decode_fault_info(struct vkw_host_decoder *d,
                           struct vkw_args_vkGetDeviceFaultInfoEXT *a)
{
    if (!vkw_read_presence(&d->r))
        return;
    struct fault_room *room = vkw_reader_alloc(&d->r, 1, sizeof(*room));
    VkDeviceFaultInfoEXT *info = vkw_reader_alloc(&d->r, 1, sizeof(*info));
    if (!room || !info)
        return;
    room->addresses = vkw_read_u32(&d->r);
    room->vendors = vkw_read_u32(&d->r);
    room->bytes = vkw_read_u64(&d->r);
    /* Zeroed room in the arena (vkw_reader_alloc), bounded as any decoded
     * array is (a count past the decode limit fails the reader): whatever
     * the driver leaves unwritten goes back as zeroes, never as an earlier
     * command's bytes. */
    info->sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_INFO_EXT;
    if (room->addresses)
        info->pAddressInfos = vkw_reader_alloc(&d->r, room->addresses, sizeof(*info->pAddressInfos));
    if (room->vendors)
        info->pVendorInfos = vkw_reader_alloc(&d->r, room->vendors, sizeof(*info->pVendorInfos));
    if (room->bytes)
        info->pVendorBinaryData = vkw_reader_alloc(&d->r, room->bytes, 1);
    if (!vkw_reader_ok(&d->r))
        return;
    if (!a->pFaultCounts) /* refused already (required) */
        return;
    a->pFaultCounts->addressInfoCount = room->addresses;
    a->pFaultCounts->vendorInfoCount = room->vendors;
    a->pFaultCounts->vendorBinarySize = room->bytes;
    a->pFaultInfo = info;
    d->hand_written = room;
}

static uint64_t at_most(uint64_t written, uint64_t room) { return written < room ? written : room; }

void vkw_encode_reply_fault_info(struct vkw_host_decoder *d, struct vkw_writer *w,
                                 const struct vkw_args_vkGetDeviceFaultInfoEXT *a)
{
    const struct fault_room *room = d->hand_written;
    const VkDeviceFaultInfoEXT *info = a->pFaultInfo;
    if (!vkw_write_presence(w, a->result >= 0 && room && info && a->pFaultCounts ? info : NULL))
        return;
    vkw_write_string_fixed(w, info->description, VK_MAX_DESCRIPTION_SIZE);
    const uint64_t addresses = at_most(a->pFaultCounts->addressInfoCount, room->addresses);
    vkw_write_u64(w, addresses);
    for (uint64_t i = 0; i < addresses; i++) {
        vkw_write_i32(w, (int32_t)info->pAddressInfos[i].addressType);
        vkw_write_u64(w, info->pAddressInfos[i].reportedAddress);
        vkw_write_u64(w, info->pAddressInfos[i].addressPrecision);
    }
    const uint64_t vendors = at_most(a->pFaultCounts->vendorInfoCount, room->vendors);
    vkw_write_u64(w, vendors);
    for (uint64_t i = 0; i < vendors; i++) {
        vkw_write_string_fixed(w, info->pVendorInfos[i].description, VK_MAX_DESCRIPTION_SIZE);
        vkw_write_u64(w, info->pVendorInfos[i].vendorFaultCode);
        vkw_write_u64(w, info->pVendorInfos[i].vendorFaultData);
    }
    const uint64_t bytes = at_most(a->pFaultCounts->vendorBinarySize, room->bytes);
    vkw_write_u64(w, bytes);
    if (bytes)
        vkw_write_bytes(w, info->pVendorBinaryData, (size_t)bytes);
}
