/* vkw_guest_sanitize — see vkw_guest_sanitize.h. */
#include "vkw_guest_sanitize.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vkw_guest_entry.h"
#include "vkw_icd.h"
#include "vkw_vulkan_util.h"

/* Whether cleaning would change `info` (one rule: the cleaning's). */
static bool image_info_dirty(VkDescriptorType type, const VkDescriptorImageInfo *info)
{
    VkDescriptorImageInfo clean = *info;
    vkw_guest_clean_image_info(type, &clean);
    return clean.sampler != info->sampler || clean.imageView != info->imageView ||
           clean.imageLayout != info->imageLayout;
}

/* Descriptor writes as the host may see them: image infos cleaned by their
 * type, and with `pushed` (vkCmdPushDescriptorSet*, which ignores dstSet)
 * no set.  `writes` is the application's array when nothing needs
 * cleaning (or no memory is left for a copy: these commands cannot report
 * it, and the writes are sent as given, as a driver would use them), else
 * a copy that clean_writes_fini frees. */
struct clean_writes {
    const VkWriteDescriptorSet *writes;
    VkWriteDescriptorSet *copy;
    VkDescriptorImageInfo *infos;
};

static void clean_writes(uint32_t count, const VkWriteDescriptorSet *in, bool pushed,
                         struct clean_writes *c)
{
    /* Copies only when something must change: the common update goes
     * straight through. */
    *c = (struct clean_writes){.writes = in};
    size_t infos = 0;
    bool dirty = false;
    for (uint32_t i = 0; i < count; i++) {
        const VkWriteDescriptorSet *w = &in[i];
        dirty |= pushed && w->dstSet != VK_NULL_HANDLE;
        if (!vkw_descriptor_type_uses_image(w->descriptorType) || !w->pImageInfo)
            continue;
        infos += w->descriptorCount;
        for (uint32_t j = 0; j < w->descriptorCount && !dirty; j++)
            dirty = image_info_dirty(w->descriptorType, &w->pImageInfo[j]);
    }
    if (!dirty)
        return;
    c->copy = malloc((count ? count : 1) * sizeof(*c->copy));
    c->infos = malloc((infos ? infos : 1) * sizeof(*c->infos));
    if (!c->copy || !c->infos) {
        free(c->copy), free(c->infos);
        c->copy = NULL, c->infos = NULL;
        return;
    }
    memcpy(c->copy, in, count * sizeof(*c->copy));
    size_t used = 0;
    for (uint32_t i = 0; i < count; i++) {
        VkWriteDescriptorSet *w = &c->copy[i];
        if (pushed)
            w->dstSet = VK_NULL_HANDLE;
        if (!vkw_descriptor_type_uses_image(w->descriptorType) || !w->pImageInfo)
            continue;
        memcpy(c->infos + used, w->pImageInfo, w->descriptorCount * sizeof(*c->infos));
        for (uint32_t j = 0; j < w->descriptorCount; j++)
            vkw_guest_clean_image_info(w->descriptorType, &c->infos[used + j]);
        w->pImageInfo = c->infos + used;
        used += w->descriptorCount;
    }
    c->writes = c->copy;
}

static void clean_writes_fini(struct clean_writes *c)
{
    free(c->copy);
    free(c->infos);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkUpdateDescriptorSets(
    VkDevice device, uint32_t descriptorWriteCount, const VkWriteDescriptorSet *pDescriptorWrites,
    uint32_t descriptorCopyCount, const VkCopyDescriptorSet *pDescriptorCopies)
{
    struct clean_writes c;
    clean_writes(descriptorWriteCount, pDescriptorWrites, false, &c);
    vkw_forward_vkUpdateDescriptorSets(device, descriptorWriteCount, c.writes, descriptorCopyCount,
                                       pDescriptorCopies);
    clean_writes_fini(&c);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPushDescriptorSet(
    VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint, VkPipelineLayout layout,
    uint32_t set, uint32_t descriptorWriteCount, const VkWriteDescriptorSet *pDescriptorWrites)
{
    struct clean_writes c;
    clean_writes(descriptorWriteCount, pDescriptorWrites, true, &c);
    vkw_forward_vkCmdPushDescriptorSet(commandBuffer, pipelineBindPoint, layout, set,
                                       descriptorWriteCount, c.writes);
    clean_writes_fini(&c);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPushDescriptorSet2(
    VkCommandBuffer commandBuffer, const VkPushDescriptorSetInfo *pPushDescriptorSetInfo)
{
    struct clean_writes c;
    clean_writes(pPushDescriptorSetInfo->descriptorWriteCount,
                 pPushDescriptorSetInfo->pDescriptorWrites, true, &c);
    VkPushDescriptorSetInfo info = *pPushDescriptorSetInfo;
    info.pDescriptorWrites = c.writes;
    vkw_forward_vkCmdPushDescriptorSet2(commandBuffer, &info);
    clean_writes_fini(&c);
}

/* The image info a descriptor-buffer query points at, by its type. */
static const VkDescriptorImageInfo *const *image_info_of(const VkDescriptorGetInfoEXT *info)
{
    switch (info->type) {
    case VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER:
        return &info->data.pCombinedImageSampler;
    case VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT:
        return &info->data.pInputAttachmentImage;
    case VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE:
        return &info->data.pSampledImage;
    case VK_DESCRIPTOR_TYPE_STORAGE_IMAGE:
        return &info->data.pStorageImage;
    default:
        return NULL;
    }
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetDescriptorEXT(VkDevice device,
                                                      const VkDescriptorGetInfoEXT *pDescriptorInfo,
                                                      size_t dataSize, void *pDescriptor)
{
    const VkDescriptorImageInfo *const *image = image_info_of(pDescriptorInfo);
    if (!image || !*image || !image_info_dirty(pDescriptorInfo->type, *image)) {
        vkw_forward_vkGetDescriptorEXT(device, pDescriptorInfo, dataSize, pDescriptor);
        return;
    }
    VkDescriptorImageInfo clean = **image;
    vkw_guest_clean_image_info(pDescriptorInfo->type, &clean);
    VkDescriptorGetInfoEXT info = *pDescriptorInfo;
    /* every image member of the union is the same pointer */
    info.data.pSampledImage = &clean;
    vkw_forward_vkGetDescriptorEXT(device, &info, dataSize, pDescriptor);
}

/* ---- acceleration structures ---- */

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetAccelerationStructureBuildSizesKHR(
    VkDevice device, VkAccelerationStructureBuildTypeKHR buildType,
    const VkAccelerationStructureBuildGeometryInfoKHR *pBuildInfo,
    const uint32_t *pMaxPrimitiveCounts, VkAccelerationStructureBuildSizesInfoKHR *pSizeInfo)
{
    /* Sizes ignore the structures, the mode and the scratch address: an
     * application may leave them unset. */
    VkAccelerationStructureBuildGeometryInfoKHR info = *pBuildInfo;
    info.srcAccelerationStructure = VK_NULL_HANDLE;
    info.dstAccelerationStructure = VK_NULL_HANDLE;
    info.mode = VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR;
    info.scratchData.deviceAddress = 0;
    vkw_forward_vkGetAccelerationStructureBuildSizesKHR(device, buildType, &info,
                                                        pMaxPrimitiveCounts, pSizeInfo);
}

/* ---- pipelines ---- */

/* The flags Vulkan goes by: a VkPipelineCreateFlags2CreateInfo in the
 * chain replaces `flags`, which is then ignored (maintenance5). */
static VkPipelineCreateFlags2 pipeline_flags(const void *pnext, VkPipelineCreateFlags flags)
{
    const VkPipelineCreateFlags2CreateInfo *f2 = (const void *)vkw_chain_find(
        (void *)pnext, VK_STRUCTURE_TYPE_PIPELINE_CREATE_FLAGS_2_CREATE_INFO);
    return f2 ? f2->flags : flags;
}

static bool has_dynamic(const VkPipelineDynamicStateCreateInfo *d, VkDynamicState state)
{
    for (uint32_t i = 0; d && i < d->dynamicStateCount; i++)
        if (d->pDynamicStates[i] == state)
            return true;
    return false;
}

/* Tessellation state without tessellation shaders is ignored. */
static void clean_tessellation(VkGraphicsPipelineCreateInfo *ci)
{
    bool tessellation = false;
    const VkShaderStageFlags stages =
        VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT | VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT;
    for (uint32_t i = 0; ci->pStages && i < ci->stageCount; i++)
        tessellation |= (ci->pStages[i].stage & stages) != 0;
    if (!tessellation)
        ci->pTessellationState = NULL;
}

/* Viewports and scissors that are dynamic state are ignored; `viewport`
 * is where a cleaned viewport state goes. */
static void clean_viewport(VkGraphicsPipelineCreateInfo *ci,
                           VkPipelineViewportStateCreateInfo *viewport)
{
    const VkPipelineDynamicStateCreateInfo *dyn = ci->pDynamicState;
    if (!ci->pViewportState)
        return;
    const bool viewports = has_dynamic(dyn, VK_DYNAMIC_STATE_VIEWPORT) ||
                           has_dynamic(dyn, VK_DYNAMIC_STATE_VIEWPORT_WITH_COUNT);
    const bool scissors = has_dynamic(dyn, VK_DYNAMIC_STATE_SCISSOR) ||
                          has_dynamic(dyn, VK_DYNAMIC_STATE_SCISSOR_WITH_COUNT);
    if (!viewports && !scissors)
        return;
    *viewport = *ci->pViewportState;
    if (viewports)
        viewport->pViewports = NULL;
    if (has_dynamic(dyn, VK_DYNAMIC_STATE_VIEWPORT_WITH_COUNT))
        viewport->viewportCount = 0;
    if (scissors)
        viewport->pScissors = NULL;
    if (has_dynamic(dyn, VK_DYNAMIC_STATE_SCISSOR_WITH_COUNT))
        viewport->scissorCount = 0;
    ci->pViewportState = viewport;
}

#define VERTEX_INPUT VK_GRAPHICS_PIPELINE_LIBRARY_VERTEX_INPUT_INTERFACE_BIT_EXT
#define PRE_RASTERIZATION VK_GRAPHICS_PIPELINE_LIBRARY_PRE_RASTERIZATION_SHADERS_BIT_EXT
#define FRAGMENT_SHADER VK_GRAPHICS_PIPELINE_LIBRARY_FRAGMENT_SHADER_BIT_EXT
#define FRAGMENT_OUTPUT VK_GRAPHICS_PIPELINE_LIBRARY_FRAGMENT_OUTPUT_INTERFACE_BIT_EXT
#define ALL_SUBSETS (VERTEX_INPUT | PRE_RASTERIZATION | FRAGMENT_SHADER | FRAGMENT_OUTPUT)

/* The state subsets (VK_EXT_graphics_pipeline_library) the create info
 * itself describes: a library's flags; none for a library without them or
 * a pipeline linked from libraries alone; all four for a whole pipeline. */
static VkGraphicsPipelineLibraryFlagsEXT own_subsets(const VkGraphicsPipelineCreateInfo *ci,
                                                     VkPipelineCreateFlags2 flags, bool linked)
{
    const VkGraphicsPipelineLibraryCreateInfoEXT *gpl = (const void *)vkw_chain_find(
        (void *)ci->pNext, VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_LIBRARY_CREATE_INFO_EXT);
    if (gpl)
        return gpl->flags;
    return (flags & VK_PIPELINE_CREATE_2_LIBRARY_BIT_KHR) || linked ? 0 : ALL_SUBSETS;
}

/* A library or a link reads only the state of the subsets it includes
 * (Vulkan asks for the rest nowhere): the rest is cleared. */
static void clean_subsets(VkGraphicsPipelineCreateInfo *ci, VkGraphicsPipelineLibraryFlagsEXT own)
{
    if (!(own & VERTEX_INPUT)) {
        ci->pVertexInputState = NULL;
        ci->pInputAssemblyState = NULL;
    }
    if (!(own & PRE_RASTERIZATION)) {
        ci->pViewportState = NULL;
        ci->pRasterizationState = NULL;
        ci->pTessellationState = NULL;
    }
    if (!(own & FRAGMENT_SHADER))
        ci->pDepthStencilState = NULL;
    if (!(own & FRAGMENT_OUTPUT))
        ci->pColorBlendState = NULL;
    if (!(own & (FRAGMENT_SHADER | FRAGMENT_OUTPUT)))
        ci->pMultisampleState = NULL;
    if (!(own & (PRE_RASTERIZATION | FRAGMENT_SHADER))) {
        ci->stageCount = 0;
        ci->pStages = NULL;
    }
}

/* Pipeline binaries stand in for the shaders: a stage's module is then
 * ignored (VkPipelineBinaryInfoKHR) and may be a stale handle. */
static bool from_binaries(const void *pnext)
{
    const VkPipelineBinaryInfoKHR *b = (const void *)vkw_chain_find(
        (void *)pnext, VK_STRUCTURE_TYPE_PIPELINE_BINARY_INFO_KHR);
    return b && b->binaryCount > 0;
}

/* Clean c->info, a copy of a create info; the cleaned viewport state and
 * stages go into c as well (c->stages from c->alloc, or NULL).  False when
 * out of memory. */
static bool clean_graphics(struct vkw_clean_graphics *c)
{
    VkGraphicsPipelineCreateInfo *ci = &c->info;
    c->stages = NULL;
    const VkPipelineCreateFlags2 flags = pipeline_flags(ci->pNext, ci->flags);
    if (!(flags & VK_PIPELINE_CREATE_2_DERIVATIVE_BIT))
        ci->basePipelineHandle = VK_NULL_HANDLE;
    if (from_binaries(ci->pNext) && ci->stageCount && ci->pStages) {
        c->stages = vkw_alloc(c->alloc, ci->stageCount * sizeof(*c->stages),
                              VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
        if (!c->stages)
            return false;
        memcpy(c->stages, ci->pStages, ci->stageCount * sizeof(*c->stages));
        for (uint32_t i = 0; i < ci->stageCount; i++)
            c->stages[i].module = VK_NULL_HANDLE;
        ci->pStages = c->stages;
    }
    const VkPipelineLibraryCreateInfoKHR *libraries = (const void *)vkw_chain_find(
        (void *)ci->pNext, VK_STRUCTURE_TYPE_PIPELINE_LIBRARY_CREATE_INFO_KHR);
    const bool linked = libraries && libraries->libraryCount > 0;
    const VkGraphicsPipelineLibraryFlagsEXT own = own_subsets(ci, flags, linked);
    if (own != ALL_SUBSETS || linked) {
        /* Parts of a pipeline: what another part brings is no state to
         * judge here, so only the subsets' own rules apply. */
        clean_subsets(ci, own);
        if (!linked && !(own & (PRE_RASTERIZATION | FRAGMENT_SHADER)))
            ci->layout = VK_NULL_HANDLE; /* no shaders: nothing uses it */
        if (!linked && !(own & (PRE_RASTERIZATION | FRAGMENT_SHADER | FRAGMENT_OUTPUT)))
            ci->renderPass = VK_NULL_HANDLE; /* vertex input alone renders nothing */
        if (own & PRE_RASTERIZATION) {
            clean_tessellation(ci);
            clean_viewport(ci, &c->viewport);
        }
        return true;
    }
    clean_tessellation(ci);
    bool mesh = false;
    for (uint32_t i = 0; ci->pStages && i < ci->stageCount; i++)
        mesh |= (ci->pStages[i].stage & VK_SHADER_STAGE_MESH_BIT_EXT) != 0;
    if (mesh) { /* mesh shaders make their own primitives: no vertex input or assembly */
        ci->pVertexInputState = NULL;
        ci->pInputAssemblyState = NULL;
    }
    const VkPipelineDynamicStateCreateInfo *dyn = ci->pDynamicState;
    if (has_dynamic(dyn, VK_DYNAMIC_STATE_VERTEX_INPUT_EXT))
        ci->pVertexInputState = NULL;
    if (ci->pRasterizationState && ci->pRasterizationState->rasterizerDiscardEnable &&
        !has_dynamic(dyn, VK_DYNAMIC_STATE_RASTERIZER_DISCARD_ENABLE)) {
        /* no rasterization: no viewport, multisample, depth or blend state */
        ci->pViewportState = NULL;
        ci->pMultisampleState = NULL;
        ci->pDepthStencilState = NULL;
        ci->pColorBlendState = NULL;
        return true;
    }
    if (ci->renderPass == VK_NULL_HANDLE) { /* dynamic rendering: the formats say what is used */
        const VkPipelineRenderingCreateInfo *r = (const void *)vkw_chain_find(
            (void *)ci->pNext, VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO);
        if (!r || r->colorAttachmentCount == 0)
            ci->pColorBlendState = NULL;
        if (!r || (r->depthAttachmentFormat == VK_FORMAT_UNDEFINED &&
                   r->stencilAttachmentFormat == VK_FORMAT_UNDEFINED))
            ci->pDepthStencilState = NULL;
    }
    clean_viewport(ci, &c->viewport);
    return true;
}

static void clean_compute(VkComputePipelineCreateInfo *ci)
{
    if (!(pipeline_flags(ci->pNext, ci->flags) & VK_PIPELINE_CREATE_2_DERIVATIVE_BIT))
        ci->basePipelineHandle = VK_NULL_HANDLE;
    if (from_binaries(ci->pNext))
        ci->stage.module = VK_NULL_HANDLE;
}

static bool compute_dirty(const VkComputePipelineCreateInfo *ci)
{
    VkComputePipelineCreateInfo clean = *ci;
    clean_compute(&clean);
    return clean.basePipelineHandle != ci->basePipelineHandle ||
           clean.stage.module != ci->stage.module;
}

bool vkw_guest_clean_pipeline_chain(const VkPipelineCreateInfoKHR *in,
                                    struct vkw_clean_pipeline *c, const struct vkw_alloc *alloc)
{
    c->graphics.stages = NULL;
    c->graphics.alloc = alloc;
    c->head = *in;
    const VkBaseInStructure *first = in->pNext;
    if (first && first->sType == VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO) {
        c->graphics.info = *(const VkGraphicsPipelineCreateInfo *)first;
        if (!clean_graphics(&c->graphics))
            return false;
        c->head.pNext = &c->graphics.info;
    } else if (first && first->sType == VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO) {
        c->compute = *(const VkComputePipelineCreateInfo *)first;
        clean_compute(&c->compute);
        c->head.pNext = &c->compute;
    }
    return true;
}

void vkw_guest_clean_pipeline_fini(struct vkw_clean_pipeline *c)
{
    vkw_free(c->graphics.alloc, c->graphics.stages);
    c->graphics.stages = NULL;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateGraphicsPipelines(
    VkDevice device, VkPipelineCache pipelineCache, uint32_t createInfoCount,
    const VkGraphicsPipelineCreateInfo *pCreateInfos, const VkAllocationCallbacks *pAllocator,
    VkPipeline *pPipelines)
{
    /* Copies for this command alone: its allocator, COMMAND scope. */
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
    const size_t n = createInfoCount ? createInfoCount : 1;
    struct vkw_clean_graphics *clean =
        vkw_zalloc_array(&alloc, n, sizeof(*clean), VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
    VkGraphicsPipelineCreateInfo *infos =
        vkw_zalloc_array(&alloc, n, sizeof(*infos), VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
    bool ok = clean && infos;
    for (uint32_t i = 0; ok && i < createInfoCount; i++) {
        clean[i].info = pCreateInfos[i];
        clean[i].alloc = &alloc;
        ok = clean_graphics(&clean[i]);
        infos[i] = clean[i].info;
    }
    VkResult r = VK_ERROR_OUT_OF_HOST_MEMORY;
    if (ok)
        r = vkw_forward_vkCreateGraphicsPipelines(device, pipelineCache, createInfoCount, infos,
                                                  pAllocator, pPipelines);
    else
        for (uint32_t i = 0; i < createInfoCount; i++)
            pPipelines[i] = VK_NULL_HANDLE;
    for (uint32_t i = 0; clean && i < createInfoCount; i++)
        vkw_free(&alloc, clean[i].stages);
    vkw_free(&alloc, infos);
    vkw_free(&alloc, clean);
    return r;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateComputePipelines(
    VkDevice device, VkPipelineCache pipelineCache, uint32_t createInfoCount,
    const VkComputePipelineCreateInfo *pCreateInfos, const VkAllocationCallbacks *pAllocator,
    VkPipeline *pPipelines)
{
    bool dirty = false;
    for (uint32_t i = 0; i < createInfoCount && !dirty; i++)
        dirty = compute_dirty(&pCreateInfos[i]);
    if (!dirty)
        return vkw_forward_vkCreateComputePipelines(device, pipelineCache, createInfoCount,
                                                    pCreateInfos, pAllocator, pPipelines);
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
    VkComputePipelineCreateInfo *infos = vkw_zalloc_array(&alloc, createInfoCount, sizeof(*infos),
                                                          VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
    if (!infos) {
        for (uint32_t i = 0; i < createInfoCount; i++)
            pPipelines[i] = VK_NULL_HANDLE;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (uint32_t i = 0; i < createInfoCount; i++) {
        infos[i] = pCreateInfos[i];
        clean_compute(&infos[i]);
    }
    VkResult r = vkw_forward_vkCreateComputePipelines(device, pipelineCache, createInfoCount,
                                                      infos, pAllocator, pPipelines);
    vkw_free(&alloc, infos);
    return r;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPipelineIndirectMemoryRequirementsNV(
    VkDevice device, const VkComputePipelineCreateInfo *pCreateInfo,
    VkMemoryRequirements2 *pMemoryRequirements)
{
    VkComputePipelineCreateInfo info = *pCreateInfo;
    clean_compute(&info);
    vkw_forward_vkGetPipelineIndirectMemoryRequirementsNV(device, &info, pMemoryRequirements);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetPipelineKeyKHR(
    VkDevice device, const VkPipelineCreateInfoKHR *pPipelineCreateInfo,
    VkPipelineBinaryKeyKHR *pPipelineKey)
{
    if (!pPipelineCreateInfo) /* the global key */
        return vkw_forward_vkGetPipelineKeyKHR(device, NULL, pPipelineKey);
    struct vkw_clean_pipeline clean;
    if (!vkw_guest_clean_pipeline_chain(pPipelineCreateInfo, &clean, NULL))
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    VkResult r = vkw_forward_vkGetPipelineKeyKHR(device, &clean.head, pPipelineKey);
    vkw_guest_clean_pipeline_fini(&clean);
    return r;
}
