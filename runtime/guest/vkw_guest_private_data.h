/* vkw_guest_private_data — private data (Vulkan 1.3, VK_EXT_private_data)
 * answered in the guest.
 *
 * Owns: every private data slot the application makes and what it stores
 * in them, per device.  Private data is the application's own bookkeeping
 * (a u64 per slot and object): nothing of it needs the host, so nothing of
 * it crosses the wire (gen/annotations.conf: guest-only, local;
 * doc/PROTOCOL.md section 27).  An object is named by its type and the
 * handle value the application passes, which is never dereferenced: a
 * dispatchable handle, a non-dispatchable one, one the host never saw or
 * one of another device's objects are all just keys.  Handles of objects
 * that are gone must not keep data a new object at the same address would
 * read: vkw_guest_private_data_forget_object drops them.
 *
 * A slot's handle is its record's address.  Slots reserved at vkCreateDevice
 * (VkDevicePrivateDataCreateInfo, summed over the chain as the spec says)
 * are made then, so creating that many slots allocates nothing and cannot
 * fail.  Memory comes from the application's allocation callbacks: a
 * slot's from vkCreatePrivateDataSlot's, else its device's; the device's
 * record and reserve from the device's (the tables inside a slot's maps,
 * vkw_idmap, still from the C library).
 *
 * Thread-safe.  vk.xml synchronizes only vkDestroyPrivateDataSlot's slot
 * externally: vkSetPrivateData and vkGetPrivateData may run on one slot
 * from many threads at once, so each slot has a lock.  A registry lock
 * guards the devices and their slot lists; lock order: registry, then slot.
 */
#ifndef VKW_GUEST_PRIVATE_DATA_H
#define VKW_GUEST_PRIVATE_DATA_H

#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_guest_alloc.h"

/* The most slots one device keeps made in advance; a larger request is
 * honoured up to this many (a hint: the spec says reserving "may improve
 * performance", and the rest are made when asked). */
#define VKW_PRIVATE_DATA_MAX_RESERVED 1024u

/* `device` was just made with `info` and keeps `alloc` (NULL: the C
 * library): make its record and the slots its chain reserves.
 * VK_ERROR_OUT_OF_HOST_MEMORY when they cannot be (the device should then
 * not be made). */
VkResult vkw_guest_private_data_device_made(VkDevice device, const VkDeviceCreateInfo *info,
                                            const struct vkw_alloc *alloc);
/* `device` is being destroyed: its slots, and what they hold, go. */
void vkw_guest_private_data_forget_device(VkDevice device);
/* The object (`type`, `handle`) is gone: no slot keeps data for it, so an
 * object made later with the same handle value reads 0.  Cheap when no
 * slot exists. */
void vkw_guest_private_data_forget_object(VkObjectType type, uint64_t handle);

#endif /* VKW_GUEST_PRIVATE_DATA_H */
