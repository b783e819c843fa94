/* vkw_guest_sanitize — see vkw_guest_sanitize.h. */
#include "vkw_guest_sanitize.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vkw_guest_entry.h"
#include "vkw_vulkan_util.h"

/* Whether cleaning would change `info` (one rule: the cleaning's). */
static bool image_info_dirty(VkDescriptorType type, const VkDescriptorImageInfo *info)
{
    VkDescriptorImageInfo clean = *info;
    vkw_guest_clean_image_info(type, &clean);
    return clean.sampler != info->sampler || clean.imageView != info->imageView ||
           clean.imageLayout != info->imageLayout;
}

/* The writes with what they ignore cleared (`push`: dstSet too, which
 * push descriptors ignore), in one malloc'd block to free; NULL when
 * nothing needs it (the common case goes straight through) or memory ran
 * out (then the application's go as given, as a driver would take them). */
static VkWriteDescriptorSet *clean_writes(uint32_t count, const VkWriteDescriptorSet *in,
                                          bool push)
{
    size_t infos = 0;
    bool dirty = false;
    for (uint32_t i = 0; i < count; i++) {
        const VkWriteDescriptorSet *w = &in[i];
        dirty |= push && w->dstSet != VK_NULL_HANDLE;
        if (!vkw_descriptor_type_uses_image(w->descriptorType) || !w->pImageInfo)
            continue;
        infos += w->descriptorCount;
        for (uint32_t j = 0; j < w->descriptorCount && !dirty; j++)
            dirty = image_info_dirty(w->descriptorType, &w->pImageInfo[j]);
    }
    if (!dirty)
        return NULL;
    VkWriteDescriptorSet *writes =
        malloc(count * sizeof(*writes) + infos * sizeof(VkDescriptorImageInfo));
    if (!writes)
        return NULL;
    VkDescriptorImageInfo *clean = (VkDescriptorImageInfo *)(writes + count);
    memcpy(writes, in, count * sizeof(*writes));
    for (uint32_t i = 0; i < count; i++) {
        VkWriteDescriptorSet *w = &writes[i];
        if (push)
            w->dstSet = VK_NULL_HANDLE; /* a set the host may never have known, or freed */
        if (!vkw_descriptor_type_uses_image(w->descriptorType) || !w->pImageInfo)
            continue;
        memcpy(clean, w->pImageInfo, w->descriptorCount * sizeof(*clean));
        for (uint32_t j = 0; j < w->descriptorCount; j++)
            vkw_guest_clean_image_info(w->descriptorType, &clean[j]);
        w->pImageInfo = clean;
        clean += w->descriptorCount;
    }
    return writes;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkUpdateDescriptorSets(
    VkDevice device, uint32_t descriptorWriteCount, const VkWriteDescriptorSet *pDescriptorWrites,
    uint32_t descriptorCopyCount, const VkCopyDescriptorSet *pDescriptorCopies)
{
    VkWriteDescriptorSet *clean = clean_writes(descriptorWriteCount, pDescriptorWrites, false);
    vkw_forward_vkUpdateDescriptorSets(device, descriptorWriteCount,
                                       clean ? clean : pDescriptorWrites, descriptorCopyCount,
                                       pDescriptorCopies);
    free(clean);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPushDescriptorSet(
    VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint, VkPipelineLayout layout,
    uint32_t set, uint32_t descriptorWriteCount, const VkWriteDescriptorSet *pDescriptorWrites)
{
    VkWriteDescriptorSet *clean = clean_writes(descriptorWriteCount, pDescriptorWrites, true);
    vkw_forward_vkCmdPushDescriptorSet(commandBuffer, pipelineBindPoint, layout, set,
                                       descriptorWriteCount, clean ? clean : pDescriptorWrites);
    free(clean);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPushDescriptorSet2(
    VkCommandBuffer commandBuffer, const VkPushDescriptorSetInfo *pPushDescriptorSetInfo)
{
    VkWriteDescriptorSet *clean =
        clean_writes(pPushDescriptorSetInfo->descriptorWriteCount,
                     pPushDescriptorSetInfo->pDescriptorWrites, true);
    VkPushDescriptorSetInfo info = *pPushDescriptorSetInfo;
    if (clean)
        info.pDescriptorWrites = clean;
    vkw_forward_vkCmdPushDescriptorSet2(commandBuffer, &info);
    free(clean);
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
 * stages go into c as well (c->stages is malloc'd, or NULL).  False when
 * out of memory. */
static bool clean_graphics(struct vkw_clean_graphics *c)
{
    VkGraphicsPipelineCreateInfo *ci = &c->info;
    c->stages = NULL;
    const VkPipelineCreateFlags2 flags = pipeline_flags(ci->pNext, ci->flags);
    if (!(flags & VK_PIPELINE_CREATE_2_DERIVATIVE_BIT))
        ci->basePipelineHandle = VK_NULL_HANDLE;
    if (from_binaries(ci->pNext) && ci->stageCount && ci->pStages) {
        c->stages = malloc(ci->stageCount * sizeof(*c->stages));
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
                                    struct vkw_clean_pipeline *c)
{
    c->graphics.stages = NULL;
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
    free(c->graphics.stages);
    c->graphics.stages = NULL;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateGraphicsPipelines(
    VkDevice device, VkPipelineCache pipelineCache, uint32_t createInfoCount,
    const VkGraphicsPipelineCreateInfo *pCreateInfos, const VkAllocationCallbacks *pAllocator,
    VkPipeline *pPipelines)
{
    const size_t n = createInfoCount ? createInfoCount : 1;
    struct vkw_clean_graphics *clean = calloc(n, sizeof(*clean));
    VkGraphicsPipelineCreateInfo *infos = malloc(n * sizeof(*infos));
    bool ok = clean && infos;
    for (uint32_t i = 0; ok && i < createInfoCount; i++) {
        clean[i].info = pCreateInfos[i];
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
        free(clean[i].stages);
    free(infos);
    free(clean);
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
    VkComputePipelineCreateInfo *infos = malloc(createInfoCount * sizeof(*infos));
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
    free(infos);
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
    if (!vkw_guest_clean_pipeline_chain(pPipelineCreateInfo, &clean))
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    VkResult r = vkw_forward_vkGetPipelineKeyKHR(device, &clean.head, pPipelineKey);
    vkw_guest_clean_pipeline_fini(&clean);
    return r;
}
