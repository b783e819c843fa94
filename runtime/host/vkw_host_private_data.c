/* vkw_host_private_data — see vkw_host_private_data.h. */
#include "vkw_host_private_data.h"

#include <stdbool.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"

/* Vulkan's rule for private data: the object is a device or made from one.
 * The decoder already translated the id (objecttype=); a driver that
 * trusts the rule would take an instance for a device child. */
static bool made_from_device(struct vkw_host_decoder *d, VkObjectType type)
{
    bool under_device = false;
    for (uint32_t up = vkw_handle_type_of_object(type), depth = 0;
         up != VKW_HANDLE_NONE && depth < VKW_HANDLE_TYPE_COUNT;
         up = vkw_handle_types[up].parent, depth++)
        under_device |= up == VKW_HANDLE_VkDevice;
    if (!under_device)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, (uint64_t)(uint32_t)type);
    return under_device;
}

void vkw_host_vkSetPrivateData(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkSetPrivateData *a)
{
    if (!ctx->vk.vkSetPrivateData) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkSetPrivateData);
        return;
    }
    if (made_from_device(d, a->objectType))
        a->result = ctx->vk.vkSetPrivateData(a->device, a->objectType, a->objectHandle,
                                             a->privateDataSlot, a->data);
}

void vkw_host_vkGetPrivateData(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkGetPrivateData *a)
{
    if (!ctx->vk.vkGetPrivateData) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkGetPrivateData);
        return;
    }
    if (made_from_device(d, a->objectType))
        ctx->vk.vkGetPrivateData(a->device, a->objectType, a->objectHandle, a->privateDataSlot,
                                 a->pData);
}
