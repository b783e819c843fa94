/* vkw_host_private_data — see vkw_host_private_data.h. */
#include "vkw_host_private_data.h"

#include <stdbool.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"

/* The host handle of guest id `id` as an object of `type`, which must be a
 * device or made from one (Vulkan's rule for private data); 0 and a failed
 * decoder otherwise. */
static uint64_t object_of(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          VkObjectType type, uint64_t id)
{
    uint32_t t = VKW_HANDLE_NONE;
    for (uint32_t i = 1; i < VKW_HANDLE_TYPE_COUNT && t == VKW_HANDLE_NONE; i++)
        if (vkw_handle_types[i].object_type == type)
            t = i;
    bool under_device = false;
    for (uint32_t up = t, depth = 0; up != VKW_HANDLE_NONE && depth < VKW_HANDLE_TYPE_COUNT;
         up = vkw_handle_types[up].parent, depth++)
        under_device |= up == VKW_HANDLE_VkDevice;
    uint64_t host = 0;
    if (!under_device || !vkw_object_table_lookup(&ctx->objects, id, t, &host)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
        return 0;
    }
    return host;
}

void vkw_host_vkSetPrivateData(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkSetPrivateData *a)
{
    if (!ctx->vk.vkSetPrivateData) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkSetPrivateData);
        return;
    }
    const uint64_t object = object_of(ctx, d, a->objectType, a->objectHandle);
    if (!vkw_reader_ok(&d->r))
        return;
    a->result =
        ctx->vk.vkSetPrivateData(a->device, a->objectType, object, a->privateDataSlot, a->data);
}

void vkw_host_vkGetPrivateData(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkGetPrivateData *a)
{
    if (!ctx->vk.vkGetPrivateData) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkGetPrivateData);
        return;
    }
    const uint64_t object = object_of(ctx, d, a->objectType, a->objectHandle);
    if (!vkw_reader_ok(&d->r))
        return;
    ctx->vk.vkGetPrivateData(a->device, a->objectType, object, a->privateDataSlot, a->pData);
}
