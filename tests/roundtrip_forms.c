/* roundtrip_forms — see roundtrip_forms.h. */
#include "roundtrip_forms.h"

#include <string.h>

#include "vkw_handles.h"
#include "vkw_vulkan_util.h"

/* What the last fill made, for the compares that follow it: the reply
 * overwrites the application's values. */
static struct {
    uint32_t capacity;          /* pipeline binaries the application has room for */
    VkPipelineBinaryKHR ids[8]; /* the ids the guest gave them */
    size_t room;                /* a conversion's destination room */
} last;

/* ---- vkCreatePipelineBinariesKHR.pBinaries ---- */

VkPipelineBinaryHandlesInfoKHR *rt_fill_vkCreatePipelineBinariesKHR_pBinaries(
    struct rt *t, VkDevice device, const VkPipelineBinaryCreateInfoKHR *pCreateInfo)
{
    (void)device;
    (void)pCreateInfo;
    VkPipelineBinaryHandlesInfoKHR *v = rt_alloc(t, 1, sizeof(*v));
    v->sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR;
    last.capacity = rt_below(t, 8);
    v->pipelineBinaryCount = last.capacity;
    if (rt_below(t, 4) != 0) { /* else: how many would there be? */
        v->pPipelineBinaries = rt_alloc(t, last.capacity + 1, sizeof(VkPipelineBinaryKHR));
        for (uint32_t i = 0; i < last.capacity; i++)
            last.ids[i] = v->pPipelineBinaries[i] =
                VKW_U64_HANDLE(VkPipelineBinaryKHR, rt_new_handle(t, false));
    }
    return v;
}

void rt_cmp_vkCreatePipelineBinariesKHR_pBinaries(
    struct rt *t, const VkPipelineBinaryHandlesInfoKHR *v,
    const struct vkw_args_vkCreatePipelineBinariesKHR *a)
{
    const VkPipelineBinaryHandlesInfoKHR *h = a->pBinaries;
    if (!h || h->sType != VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR ||
        h->pipelineBinaryCount != v->pipelineBinaryCount ||
        !h->pPipelineBinaries != !v->pPipelineBinaries)
        rt_mismatch(t, "pipeline binary handles: count or array");
    /* the ids live beside the driver's array: the reply's made-flags and
     * the guest's NULLs are compared after the answer */
}

void rt_answer_vkCreatePipelineBinariesKHR_pBinaries(
    struct rt *t, struct vkw_args_vkCreatePipelineBinariesKHR *a)
{
    VkPipelineBinaryHandlesInfoKHR *h = a->pBinaries;
    if (!h->pPipelineBinaries) {
        h->pipelineBinaryCount = rt_below(t, 9);
        return;
    }
    h->pipelineBinaryCount = rt_below(t, last.capacity + 1);
    for (uint32_t i = 0; i < h->pipelineBinaryCount; i++)
        h->pPipelineBinaries[i] =
            rt_below(t, 3) == 0 ? VK_NULL_HANDLE : VKW_U64_HANDLE(VkPipelineBinaryKHR, 0x7000 + i);
}

void rt_cmp_reply_vkCreatePipelineBinariesKHR_pBinaries(
    struct rt *t, const VkPipelineBinaryHandlesInfoKHR *v,
    const struct vkw_args_vkCreatePipelineBinariesKHR *a)
{
    const VkPipelineBinaryHandlesInfoKHR *h = a->pBinaries;
    if (v->pipelineBinaryCount != h->pipelineBinaryCount) {
        rt_mismatch(t, "pipeline binary handles: count (reply)");
        return;
    }
    for (uint32_t i = 0; v->pPipelineBinaries && i < last.capacity; i++) {
        const bool made = i < h->pipelineBinaryCount && h->pPipelineBinaries[i] != VK_NULL_HANDLE;
        if (v->pPipelineBinaries[i] != (made ? last.ids[i] : VK_NULL_HANDLE))
            rt_mismatch(t, "pipeline binary handles: which were made (reply)");
    }
}

/* ---- vkGetPipelinePropertiesEXT.pPipelineProperties ---- */

VkBaseOutStructure *rt_fill_vkGetPipelinePropertiesEXT_pPipelineProperties(
    struct rt *t, VkDevice device, const VkPipelineInfoEXT *pPipelineInfo)
{
    (void)device;
    (void)pPipelineInfo;
    VkPipelinePropertiesIdentifierEXT *v = rt_alloc(t, 1, sizeof(*v));
    v->sType = VK_STRUCTURE_TYPE_PIPELINE_PROPERTIES_IDENTIFIER_EXT;
    return (VkBaseOutStructure *)v;
}

void rt_cmp_vkGetPipelinePropertiesEXT_pPipelineProperties(
    struct rt *t, const VkBaseOutStructure *v, const struct vkw_args_vkGetPipelinePropertiesEXT *a)
{
    if (!a->pPipelineProperties || a->pPipelineProperties->sType != v->sType ||
        a->pPipelineProperties->pNext)
        rt_mismatch(t, "pipeline properties: sType");
}

void rt_answer_vkGetPipelinePropertiesEXT_pPipelineProperties(
    struct rt *t, struct vkw_args_vkGetPipelinePropertiesEXT *a)
{
    VkPipelinePropertiesIdentifierEXT *e = (void *)a->pPipelineProperties;
    rt_bytes(t, e->pipelineIdentifier, sizeof(e->pipelineIdentifier));
}

void rt_cmp_reply_vkGetPipelinePropertiesEXT_pPipelineProperties(
    struct rt *t, const VkBaseOutStructure *v, const struct vkw_args_vkGetPipelinePropertiesEXT *a)
{
    const VkPipelinePropertiesIdentifierEXT *got = (const void *)v;
    const VkPipelinePropertiesIdentifierEXT *want = (const void *)a->pPipelineProperties;
    if (memcmp(got->pipelineIdentifier, want->pipelineIdentifier, VK_UUID_SIZE) != 0)
        rt_mismatch(t, "pipeline properties: identifier (reply)");
}

/* ---- cooperative vector matrix conversions ---- */

static void fill_convert(struct rt *t, VkConvertCooperativeVectorMatrixInfoNV *v, bool host)
{
    static const VkComponentTypeKHR types[] = {
        VK_COMPONENT_TYPE_FLOAT16_KHR, VK_COMPONENT_TYPE_FLOAT32_KHR,
        VK_COMPONENT_TYPE_FLOAT_E4M3_NV, VK_COMPONENT_TYPE_FLOAT_E5M2_NV};
    v->sType = VK_STRUCTURE_TYPE_CONVERT_COOPERATIVE_VECTOR_MATRIX_INFO_NV;
    v->srcSize = rt_below(t, 64);
    size_t *dst_size = rt_alloc(t, 1, sizeof(*dst_size));
    *dst_size = rt_below(t, 64);
    v->pDstSize = dst_size;
    if (host) {
        if (rt_below(t, 4) != 0) {
            void *src = rt_alloc(t, v->srcSize + 1, 1);
            rt_bytes(t, src, v->srcSize);
            v->srcData.hostAddress = src;
        }
        if (rt_below(t, 4) != 0)
            v->dstData.hostAddress = rt_alloc(t, *dst_size + 1, 1);
    } else {
        v->srcData.deviceAddress = rt_u64(t);
        v->dstData.deviceAddress = rt_u64(t);
    }
    v->srcComponentType = types[rt_below(t, 4)];
    v->dstComponentType = types[rt_below(t, 4)];
    v->numRows = rt_u32(t);
    v->numColumns = rt_u32(t);
    v->srcLayout = (VkCooperativeVectorMatrixLayoutNV)rt_below(t, 4);
    v->srcStride = rt_u64(t);
    v->dstLayout = (VkCooperativeVectorMatrixLayoutNV)rt_below(t, 4);
    v->dstStride = rt_u64(t);
}

/* The fields both forms carry alike. */
static bool same_convert(const VkConvertCooperativeVectorMatrixInfoNV *v,
                         const VkConvertCooperativeVectorMatrixInfoNV *h)
{
    return h->sType == v->sType && !h->pNext && h->srcSize == v->srcSize && h->pDstSize &&
           *h->pDstSize == *v->pDstSize && h->srcComponentType == v->srcComponentType &&
           h->dstComponentType == v->dstComponentType && h->numRows == v->numRows &&
           h->numColumns == v->numColumns && h->srcLayout == v->srcLayout &&
           h->srcStride == v->srcStride && h->dstLayout == v->dstLayout &&
           h->dstStride == v->dstStride;
}

const VkConvertCooperativeVectorMatrixInfoNV *rt_fill_vkConvertCooperativeVectorMatrixNV_pInfo(
    struct rt *t, VkDevice device)
{
    (void)device;
    VkConvertCooperativeVectorMatrixInfoNV *v = rt_alloc(t, 1, sizeof(*v));
    fill_convert(t, v, true);
    last.room = v->dstData.hostAddress ? *v->pDstSize : 0;
    return v;
}

void rt_cmp_vkConvertCooperativeVectorMatrixNV_pInfo(
    struct rt *t, const VkConvertCooperativeVectorMatrixInfoNV *v,
    const struct vkw_args_vkConvertCooperativeVectorMatrixNV *a)
{
    const VkConvertCooperativeVectorMatrixInfoNV *h = a->pInfo;
    if (!h || !same_convert(v, h) || !h->srcData.hostAddress != !v->srcData.hostAddress ||
        !h->dstData.hostAddress != !v->dstData.hostAddress ||
        (h->srcData.hostAddress && memcmp(h->srcData.hostAddress, v->srcData.hostAddress,
                                          v->srcSize) != 0))
        rt_mismatch(t, "cooperative vector conversion: info");
}

void rt_answer_vkConvertCooperativeVectorMatrixNV_pInfo(
    struct rt *t, struct vkw_args_vkConvertCooperativeVectorMatrixNV *a)
{
    const VkConvertCooperativeVectorMatrixInfoNV *h = a->pInfo;
    if (!h->dstData.hostAddress) { /* a size query */
        *h->pDstSize = rt_below(t, 1 << 20);
        return;
    }
    *h->pDstSize = rt_below(t, (uint32_t)last.room + 1); /* at most the room, as Vulkan says */
    rt_bytes(t, h->dstData.hostAddress, last.room);
}

void rt_cmp_reply_vkConvertCooperativeVectorMatrixNV_pInfo(
    struct rt *t, const VkConvertCooperativeVectorMatrixInfoNV *v,
    const struct vkw_args_vkConvertCooperativeVectorMatrixNV *a)
{
    const VkConvertCooperativeVectorMatrixInfoNV *h = a->pInfo;
    if (*v->pDstSize != *h->pDstSize) {
        rt_mismatch(t, "cooperative vector conversion: size (reply)");
        return;
    }
    if (!v->dstData.hostAddress)
        return;
    /* the bytes the driver wrote, and only with VK_SUCCESS; the rest untouched (zero) */
    const size_t n = a->result == VK_SUCCESS ? *h->pDstSize : 0;
    const unsigned char *got = v->dstData.hostAddress;
    if (memcmp(got, h->dstData.hostAddress, n) != 0)
        rt_mismatch(t, "cooperative vector conversion: bytes (reply)");
    for (size_t i = n; i < last.room; i++)
        if (got[i] != 0)
            rt_mismatch(t, "cooperative vector conversion: bytes past what was written (reply)");
}

const VkConvertCooperativeVectorMatrixInfoNV *rt_fill_vkCmdConvertCooperativeVectorMatrixNV_pInfos(
    struct rt *t, VkCommandBuffer commandBuffer, uint32_t infoCount)
{
    (void)commandBuffer;
    if (infoCount == 0 && rt_coin(t))
        return NULL;
    VkConvertCooperativeVectorMatrixInfoNV *v = rt_alloc(t, infoCount + 1, sizeof(*v));
    for (uint32_t i = 0; i < infoCount; i++)
        fill_convert(t, &v[i], false);
    return v;
}

void rt_cmp_vkCmdConvertCooperativeVectorMatrixNV_pInfos(
    struct rt *t, const VkConvertCooperativeVectorMatrixInfoNV *v,
    const struct vkw_args_vkCmdConvertCooperativeVectorMatrixNV *a)
{
    if (!v) {
        if (a->pInfos)
            rt_mismatch(t, "cooperative vector conversions: presence");
        return;
    }
    for (uint32_t i = 0; i < a->infoCount; i++)
        if (!a->pInfos || !same_convert(&v[i], &a->pInfos[i]) ||
            a->pInfos[i].srcData.deviceAddress != v[i].srcData.deviceAddress ||
            a->pInfos[i].dstData.deviceAddress != v[i].dstData.deviceAddress)
            rt_mismatch(t, "cooperative vector conversions: info");
}
