/* vkw_guest_forms — see vkw_guest_forms.h.  The byte layouts are
 * doc/PROTOCOL.md section 23.2. */
#include "vkw_guest_forms.h"

#include <string.h>

#include "vkw_vulkan_util.h"

/* ---- vkCreatePipelineBinariesKHR.pBinaries ---- */

void vkw_encode_pipeline_binary_handles(struct vkw_writer *w, VkDevice device,
                                        const VkPipelineBinaryCreateInfoKHR *pCreateInfo,
                                        VkPipelineBinaryHandlesInfoKHR *pBinaries)
{
    (void)device;
    (void)pCreateInfo;
    if (!vkw_write_presence(w, pBinaries))
        return;
    vkw_write_u32(w, 0); /* no forwarded struct extends it: the chain is dropped */
    vkw_write_u32(w, pBinaries->pipelineBinaryCount);
    if (vkw_write_presence(w, pBinaries->pPipelineBinaries)) {
        vkw_write_u64(w, pBinaries->pipelineBinaryCount);
        for (uint32_t i = 0; i < pBinaries->pipelineBinaryCount; i++)
            vkw_write_u64(w, VKW_HANDLE_U64(pBinaries->pPipelineBinaries[i]));
    }
}

void vkw_decode_reply_pipeline_binary_handles(struct vkw_reader *r, VkDevice device,
                                              const VkPipelineBinaryCreateInfoKHR *pCreateInfo,
                                              VkPipelineBinaryHandlesInfoKHR *pBinaries)
{
    (void)device;
    (void)pCreateInfo;
    if (!vkw_read_presence(r))
        return;
    if (!pBinaries) {
        vkw_reader_fail(r, VKW_ERROR_BAD_POINTER, 1); /* never asked for */
        return;
    }
    const uint32_t chain = vkw_read_u32(r);
    if (chain != 0)
        vkw_reader_fail(r, VKW_ERROR_BAD_STYPE, chain);
    const uint32_t count = vkw_read_u32(r);
    const uint64_t capacity = pBinaries->pPipelineBinaries ? pBinaries->pipelineBinaryCount : 0;
    if (vkw_read_presence(r)) {
        const uint64_t n = vkw_read_count(r, 4);
        if (!pBinaries->pPipelineBinaries || n > capacity) {
            vkw_reader_fail(r, VKW_ERROR_BAD_COUNT, n);
            return;
        }
        for (uint64_t i = 0; i < n && vkw_reader_ok(r); i++)
            if (!vkw_read_presence(r)) /* not made: its id names nothing */
                pBinaries->pPipelineBinaries[i] = VK_NULL_HANDLE;
        for (uint64_t i = n; i < capacity; i++) /* the driver wrote none there */
            pBinaries->pPipelineBinaries[i] = VK_NULL_HANDLE;
    } else if (pBinaries->pPipelineBinaries) {
        vkw_reader_fail(r, VKW_ERROR_BAD_POINTER, 0);
    }
    if (vkw_reader_ok(r))
        pBinaries->pipelineBinaryCount = count;
}

/* ---- vkGetPipelinePropertiesEXT.pPipelineProperties ---- */

void vkw_encode_pipeline_properties(struct vkw_writer *w, VkDevice device,
                                    const VkPipelineInfoEXT *pPipelineInfo,
                                    VkBaseOutStructure *pPipelineProperties)
{
    (void)device;
    (void)pPipelineInfo;
    if (vkw_write_presence(w, pPipelineProperties))
        vkw_write_i32(w, (int32_t)pPipelineProperties->sType);
}

void vkw_decode_reply_pipeline_properties(struct vkw_reader *r, VkDevice device,
                                          const VkPipelineInfoEXT *pPipelineInfo,
                                          VkBaseOutStructure *pPipelineProperties)
{
    (void)device;
    (void)pPipelineInfo;
    if (!vkw_read_presence(r))
        return;
    const int32_t stype = vkw_read_i32(r);
    if (!vkw_reader_ok(r))
        return;
    if (!pPipelineProperties || stype != (int32_t)pPipelineProperties->sType ||
        stype != VK_STRUCTURE_TYPE_PIPELINE_PROPERTIES_IDENTIFIER_EXT) {
        vkw_reader_fail(r, VKW_ERROR_BAD_STYPE, (uint32_t)stype);
        return;
    }
    const uint32_t chain = vkw_read_u32(r);
    if (chain != 0) {
        vkw_reader_fail(r, VKW_ERROR_BAD_STYPE, chain);
        return;
    }
    VkPipelinePropertiesIdentifierEXT *id = (void *)pPipelineProperties;
    vkw_read_bytes(r, id->pipelineIdentifier, sizeof(id->pipelineIdentifier));
}

/* ---- cooperative vector matrix conversions ---- */

/* The struct as generated (section 5), without the host pointers, which
 * mean nothing to the host: they travel as 0. */
static void encode_convert_info(struct vkw_writer *w, const VkConvertCooperativeVectorMatrixInfoNV *v,
                                bool host_pointers)
{
    VkConvertCooperativeVectorMatrixInfoNV info = *v;
    if (host_pointers) {
        info.srcData.deviceAddress = 0;
        info.dstData.deviceAddress = 0;
    }
    vkw_encode_VkConvertCooperativeVectorMatrixInfoNV(w, &info);
    if (info.pDstSize) /* read, for the room or the device command's size */
        vkw_write_u64(w, *info.pDstSize);
}

void vkw_encode_coopvec_convert(struct vkw_writer *w, VkDevice device,
                                const VkConvertCooperativeVectorMatrixInfoNV *pInfo)
{
    (void)device;
    if (!vkw_write_presence(w, pInfo))
        return;
    encode_convert_info(w, pInfo, true);
    if (vkw_write_presence(w, pInfo->srcData.hostAddress)) {
        vkw_write_u64(w, pInfo->srcSize);
        vkw_write_bytes(w, pInfo->srcData.hostAddress, pInfo->srcSize);
    }
    vkw_write_presence(w, pInfo->dstData.hostAddress); /* its room is *pDstSize */
}

void vkw_decode_reply_coopvec_convert(struct vkw_reader *r, VkDevice device,
                                      const VkConvertCooperativeVectorMatrixInfoNV *pInfo)
{
    (void)device;
    if (!vkw_read_presence(r))
        return;
    if (!pInfo) {
        vkw_reader_fail(r, VKW_ERROR_BAD_POINTER, 1);
        return;
    }
    /* the room, before the reply overwrites *pDstSize */
    const uint64_t room = pInfo->pDstSize && pInfo->dstData.hostAddress ? *pInfo->pDstSize : 0;
    vkw_decode_reply_inner_VkConvertCooperativeVectorMatrixInfoNV(r, pInfo);
    if (vkw_read_presence(r)) {
        const uint64_t n = vkw_read_count(r, 1);
        if (!pInfo->dstData.hostAddress || n > room)
            vkw_reader_fail(r, VKW_ERROR_BAD_COUNT, n);
        else
            vkw_read_bytes(r, pInfo->dstData.hostAddress, n);
    } else if (pInfo->dstData.hostAddress && vkw_reader_ok(r)) {
        vkw_reader_fail(r, VKW_ERROR_BAD_POINTER, 0);
    }
}

void vkw_encode_coopvec_convert_cmd(struct vkw_writer *w, VkCommandBuffer commandBuffer,
                                    uint32_t infoCount,
                                    const VkConvertCooperativeVectorMatrixInfoNV *pInfos)
{
    (void)commandBuffer;
    if (!vkw_write_presence(w, pInfos))
        return;
    vkw_write_u64(w, infoCount);
    for (uint32_t i = 0; i < infoCount; i++)
        encode_convert_info(w, &pInfos[i], false);
}
