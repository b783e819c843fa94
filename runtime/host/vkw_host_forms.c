/* vkw_host_forms — see vkw_host_forms.h.  The byte layouts are
 * doc/PROTOCOL.md section 23.2. */
#include "vkw_host_forms.h"

#include <stddef.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_vulkan_util.h"

#define CONTAINER_OF(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* ---- vkCreatePipelineBinariesKHR.pBinaries ---- */

/* The output struct and the ids its elements get. */
struct binary_handles {
    VkPipelineBinaryHandlesInfoKHR info;
    uint64_t *ids;     /* NULL when the guest only asks how many */
    uint64_t capacity; /* elements of info.pPipelineBinaries and ids */
};

void vkw_decode_pipeline_binary_handles(struct vkw_host_decoder *d,
                                        struct vkw_args_vkCreatePipelineBinariesKHR *a)
{
    if (!vkw_read_presence(&d->r)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    struct binary_handles *b = vkw_reader_alloc(&d->r, 1, sizeof(*b));
    const uint32_t chain = vkw_read_u32(&d->r);
    if (chain != 0)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_STYPE, chain); /* nothing may extend it */
    const uint32_t count = vkw_read_u32(&d->r);
    if (!b)
        return;
    b->info.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR;
    b->info.pipelineBinaryCount = count;
    if (vkw_read_presence(&d->r)) {
        const uint64_t n = vkw_read_count(&d->r, 8);
        if (n != count)
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, n);
        b->ids = vkw_reader_alloc(&d->r, n, sizeof(*b->ids));
        b->info.pPipelineBinaries = vkw_reader_alloc(&d->r, n, sizeof(VkPipelineBinaryKHR));
        for (uint64_t i = 0; b->ids && vkw_reader_ok(&d->r) && i < n; i++)
            b->ids[i] = vkw_read_u64(&d->r);
        b->capacity = vkw_reader_ok(&d->r) ? n : 0;
    }
    a->pBinaries = &b->info;
}

void vkw_host_vkCreatePipelineBinariesKHR(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                          struct vkw_args_vkCreatePipelineBinariesKHR *a)
{
    if (!ctx->vk.vkCreatePipelineBinariesKHR) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCreatePipelineBinariesKHR);
        return;
    }
    struct binary_handles *b = CONTAINER_OF(a->pBinaries, struct binary_handles, info);
    if (b->ids && !vkw_host_check_new_ids(ctx, d, VKW_HANDLE_VkPipelineBinaryKHR, b->ids,
                                          b->capacity))
        return;
    a->result = ctx->vk.vkCreatePipelineBinariesKHR(a->device, a->pCreateInfo, NULL, &b->info);
    if (!b->ids)
        return;
    uint64_t n = b->info.pipelineBinaryCount;
    if (n > b->capacity)
        n = b->capacity;
    const uint64_t device = vkw_host_parent_id(ctx, VKW_HANDLE_VkDevice, VKW_HANDLE_U64(a->device));
    for (uint64_t i = 0; i < n; i++) /* NULL: not made (the reply says so) */
        if (b->info.pPipelineBinaries[i] != VK_NULL_HANDLE)
            vkw_host_bind(ctx, d, VKW_HANDLE_VkPipelineBinaryKHR, b->ids[i],
                          VKW_HANDLE_U64(b->info.pPipelineBinaries[i]), device);
}

void vkw_encode_reply_pipeline_binary_handles(struct vkw_host_decoder *d, struct vkw_writer *w,
                                              const struct vkw_args_vkCreatePipelineBinariesKHR *a)
{
    (void)d;
    if (!vkw_write_presence(w, a->pBinaries))
        return;
    const struct binary_handles *b = CONTAINER_OF(a->pBinaries, const struct binary_handles, info);
    vkw_write_u32(w, 0);
    vkw_write_u32(w, b->info.pipelineBinaryCount);
    if (vkw_write_presence(w, b->ids)) {
        uint64_t n = b->info.pipelineBinaryCount;
        if (n > b->capacity)
            n = b->capacity; /* never past what the guest has room for */
        vkw_write_u64(w, n);
        for (uint64_t i = 0; i < n; i++)
            vkw_write_u32(w, b->info.pPipelineBinaries[i] != VK_NULL_HANDLE);
    }
}

/* ---- vkGetPipelinePropertiesEXT.pPipelineProperties ---- */

void vkw_decode_pipeline_properties(struct vkw_host_decoder *d,
                                    struct vkw_args_vkGetPipelinePropertiesEXT *a)
{
    if (!vkw_read_presence(&d->r)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    const int32_t stype = vkw_read_i32(&d->r);
    if (!vkw_reader_ok(&d->r))
        return;
    /* The driver writes the whole struct its sType names: the host must
     * hold one of exactly that type, so only known types are taken. */
    if (stype != VK_STRUCTURE_TYPE_PIPELINE_PROPERTIES_IDENTIFIER_EXT) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_STYPE, (uint32_t)stype);
        return;
    }
    VkPipelinePropertiesIdentifierEXT *e = vkw_reader_alloc(&d->r, 1, sizeof(*e));
    if (e)
        e->sType = VK_STRUCTURE_TYPE_PIPELINE_PROPERTIES_IDENTIFIER_EXT;
    a->pPipelineProperties = (VkBaseOutStructure *)e;
}

void vkw_encode_reply_pipeline_properties(struct vkw_host_decoder *d, struct vkw_writer *w,
                                          const struct vkw_args_vkGetPipelinePropertiesEXT *a)
{
    (void)d;
    if (!vkw_write_presence(w, a->pPipelineProperties))
        return;
    const VkPipelinePropertiesIdentifierEXT *e = (const void *)a->pPipelineProperties;
    vkw_write_i32(w, (int32_t)e->sType);
    vkw_write_u32(w, 0); /* its chain: nothing extends it */
    vkw_write_bytes(w, e->pipelineIdentifier, sizeof(e->pipelineIdentifier));
}

/* ---- cooperative vector matrix conversions ---- */

/* The info and the room its destination has. */
struct convert {
    VkConvertCooperativeVectorMatrixInfoNV info;
    uint64_t room;
};

/* The struct as generated, then *pDstSize's value. */
static void decode_convert_info(struct vkw_host_decoder *d, VkConvertCooperativeVectorMatrixInfoNV *v)
{
    vkw_decode_VkConvertCooperativeVectorMatrixInfoNV(d, v);
    if (v->pDstSize)
        *v->pDstSize = (size_t)vkw_read_u64(&d->r);
}

void vkw_decode_coopvec_convert(struct vkw_host_decoder *d,
                                struct vkw_args_vkConvertCooperativeVectorMatrixNV *a)
{
    if (!vkw_read_presence(&d->r)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    struct convert *c = vkw_reader_alloc(&d->r, 1, sizeof(*c));
    if (!c)
        return;
    decode_convert_info(d, &c->info);
    c->info.srcData.hostAddress = NULL; /* what travelled there was 0 */
    c->info.dstData.hostAddress = NULL;
    if (vkw_read_presence(&d->r)) {
        const uint64_t n = vkw_read_count(&d->r, 1);
        if (n != c->info.srcSize)
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, n);
        void *src = vkw_reader_alloc(&d->r, n, 1);
        if (src && vkw_read_bytes(&d->r, src, n))
            c->info.srcData.hostAddress = src;
    }
    if (vkw_read_presence(&d->r) && c->info.pDstSize) {
        c->room = *c->info.pDstSize;
        c->info.dstData.hostAddress = vkw_reader_alloc(&d->r, c->room, 1);
    }
    a->pInfo = &c->info;
}

void vkw_host_vkConvertCooperativeVectorMatrixNV(struct vkw_host_context *ctx,
                                                 struct vkw_host_decoder *d,
                                                 struct vkw_args_vkConvertCooperativeVectorMatrixNV *a)
{
    if (!ctx->vk.vkConvertCooperativeVectorMatrixNV) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkConvertCooperativeVectorMatrixNV);
        return;
    }
    const VkConvertCooperativeVectorMatrixInfoNV *info = a->pInfo;
    if (info->dstData.hostAddress && !info->srcData.hostAddress) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* a conversion needs a source */
        return;
    }
    if (info->srcData.hostAddress) {
        /* The size of a matrix in the source's layout, asked the way the
         * spec gives: as the destination of a size query. */
        size_t need = 0;
        VkConvertCooperativeVectorMatrixInfoNV q = *info;
        q.srcData.hostAddress = NULL;
        q.dstData.hostAddress = NULL;
        q.pDstSize = &need;
        q.dstComponentType = info->srcComponentType;
        q.dstLayout = info->srcLayout;
        q.dstStride = info->srcStride;
        const VkResult r = ctx->vk.vkConvertCooperativeVectorMatrixNV(a->device, &q);
        if (r != VK_SUCCESS) {
            a->result = r;
            return;
        }
        if (need > info->srcSize) {
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, info->srcSize);
            return;
        }
    }
    a->result = ctx->vk.vkConvertCooperativeVectorMatrixNV(a->device, info);
}

void vkw_encode_reply_coopvec_convert(struct vkw_host_decoder *d, struct vkw_writer *w,
                                      const struct vkw_args_vkConvertCooperativeVectorMatrixNV *a)
{
    if (!vkw_write_presence(w, a->pInfo))
        return;
    const struct convert *c = CONTAINER_OF(a->pInfo, const struct convert, info);
    vkw_encode_reply_inner_VkConvertCooperativeVectorMatrixInfoNV(d, w, &c->info);
    if (vkw_write_presence(w, c->info.dstData.hostAddress)) {
        uint64_t n = c->info.pDstSize ? *c->info.pDstSize : 0;
        if (n > c->room)
            n = c->room; /* never past what the guest has room for */
        if (a->result != VK_SUCCESS)
            n = 0; /* too small a destination gets nothing (VK_INCOMPLETE) */
        vkw_write_u64(w, n);
        vkw_write_bytes(w, c->info.dstData.hostAddress, n);
    }
}

void vkw_decode_coopvec_convert_cmd(struct vkw_host_decoder *d,
                                    struct vkw_args_vkCmdConvertCooperativeVectorMatrixNV *a)
{
    if (!vkw_read_presence(&d->r)) {
        if (a->infoCount != 0)
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    const uint64_t n = vkw_read_count(&d->r, 4);
    if (n != a->infoCount)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, n);
    VkConvertCooperativeVectorMatrixInfoNV *infos = vkw_reader_alloc(&d->r, n, sizeof(*infos));
    for (uint64_t i = 0; infos && vkw_reader_ok(&d->r) && i < n; i++)
        decode_convert_info(d, &infos[i]);
    a->pInfos = infos;
}
