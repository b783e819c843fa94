/* vkw_host_device_commands — which commands each of a guest's devices can
 * take.
 *
 * Owns: per device the guest made, the answer of the driver's
 * vkGetDeviceProcAddr for each device-level command, asked the first time
 * the guest sends that command for that device, and the check the
 * generated dispatch makes before every device-level call.
 *
 * Why: the host calls device commands through entry points it loaded from
 * the instance, which the loader serves with trampolines that jump through
 * the device's own dispatch table.  For a command the device was not made
 * with (a Vulkan 1.3 command on a device of a 1.1 application, an
 * extension it did not enable) that table holds NULL, and the call jumps
 * to address 0.  A guest may send any opcode; the host refuses those its
 * device cannot take (UNSUPPORTED, value: the opcode) instead.
 *
 * Also the lengths of device-length members (vkw_host_device_lengths in
 * vkw_host_decoder.h): the properties of the device a command goes through,
 * asked of the driver while that command is decoded.
 */
#ifndef VKW_HOST_DEVICE_COMMANDS_H
#define VKW_HOST_DEVICE_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_handles.h"
#include "vkw_protocol.h"

struct vkw_host_context;
struct vkw_host_decoder;

#define VKW_OPCODE_WORDS ((VKW_OPCODE_LIMIT + 63) / 64)

struct vkw_device_commands {
    VkDevice device;
    uint64_t asked[VKW_OPCODE_WORDS]; /* bit per opcode: the driver was asked */
    uint64_t has[VKW_OPCODE_WORDS];   /* and said the device has it */
};

struct vkw_host_device_commands {
    struct vkw_device_commands *devices;
    size_t count, capacity;
    /* The last handle asked about and its device's entry: a recorded
     * stream names one command buffer thousands of times in a row, and
     * finding its device walks the object table (buffer, pool, device).
     * Valid while no object was removed since (`removals`: a handle value
     * can come back for another device only after a removal). */
    bool last_valid;
    uint32_t last_type;
    uint64_t last_host, last_removals;
    size_t last_index;
    /* The device lengths of the command being decoded (the decoder points
     * at them). */
    uint64_t lengths[VKW_DEVICE_LENGTH_COUNT ? VKW_DEVICE_LENGTH_COUNT : 1];
};

/* For generated dispatch: whether the device behind `host` (a VkDevice,
 * VkQueue or VkCommandBuffer of handle type `type`) can take `opcode`;
 * fails the decoder (UNSUPPORTED, the opcode) if not.  True for a NULL
 * handle and for a driver without vkGetDeviceProcAddr (nothing to ask). */
bool vkw_host_device_command(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                             uint32_t opcode, uint32_t type, uint64_t host);
/* The device is being destroyed: forget what was asked (its handle may
 * come back for another device). */
void vkw_host_device_commands_forget(struct vkw_host_context *ctx, VkDevice device);
/* The physical device a device of the context was made from, or NULL. */
VkPhysicalDevice vkw_host_device_physical(const struct vkw_host_context *ctx, VkDevice device);
/* Free everything (teardown, context end). */
void vkw_host_device_commands_release(struct vkw_host_device_commands *c);

#endif /* VKW_HOST_DEVICE_COMMANDS_H */
