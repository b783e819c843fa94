/* TODO(host image copy helper): placeholder so the tree builds. */
#include "vkw_host_context.h"
#include "vkw_host_decode.h"

void vkw_host_vkCopyMemoryToImage(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  struct vkw_args_vkCopyMemoryToImage *a)
{
    (void)ctx, (void)a;
    vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCopyMemoryToImage);
}

void vkw_host_vkCopyImageToMemory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  struct vkw_args_vkCopyImageToMemory *a)
{
    (void)ctx, (void)a;
    vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCopyImageToMemory);
}
