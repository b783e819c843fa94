/* roundtrip_forms — round-trip fill, answer and compare for the shader and
 * pipeline parameters whose wire form is hand-written (runtime/guest/
 * vkw_guest_forms.c, runtime/host/vkw_host_forms.c).  The generated test
 * calls, per parameter: rt_fill_<command>_<param> (the application's
 * value), rt_cmp_<command>_<param> (what the host decoded), and for those
 * with a reply part rt_answer_<command>_<param> (what a driver writes) and
 * rt_cmp_reply_<command>_<param> (what the application got back). */
#ifndef VKW_ROUNDTRIP_FORMS_H
#define VKW_ROUNDTRIP_FORMS_H

#include <vulkan/vulkan.h>

#include "roundtrip_support.h"
#include "vkw_host_decode.h"

VkPipelineBinaryHandlesInfoKHR *rt_fill_vkCreatePipelineBinariesKHR_pBinaries(
    struct rt *t, VkDevice device, const VkPipelineBinaryCreateInfoKHR *pCreateInfo);
void rt_cmp_vkCreatePipelineBinariesKHR_pBinaries(
    struct rt *t, const VkPipelineBinaryHandlesInfoKHR *v,
    const struct vkw_args_vkCreatePipelineBinariesKHR *a);
void rt_answer_vkCreatePipelineBinariesKHR_pBinaries(
    struct rt *t, struct vkw_args_vkCreatePipelineBinariesKHR *a);
void rt_cmp_reply_vkCreatePipelineBinariesKHR_pBinaries(
    struct rt *t, const VkPipelineBinaryHandlesInfoKHR *v,
    const struct vkw_args_vkCreatePipelineBinariesKHR *a);

VkBaseOutStructure *rt_fill_vkGetPipelinePropertiesEXT_pPipelineProperties(
    struct rt *t, VkDevice device, const VkPipelineInfoEXT *pPipelineInfo);
void rt_cmp_vkGetPipelinePropertiesEXT_pPipelineProperties(
    struct rt *t, const VkBaseOutStructure *v, const struct vkw_args_vkGetPipelinePropertiesEXT *a);
void rt_answer_vkGetPipelinePropertiesEXT_pPipelineProperties(
    struct rt *t, struct vkw_args_vkGetPipelinePropertiesEXT *a);
void rt_cmp_reply_vkGetPipelinePropertiesEXT_pPipelineProperties(
    struct rt *t, const VkBaseOutStructure *v, const struct vkw_args_vkGetPipelinePropertiesEXT *a);

const VkConvertCooperativeVectorMatrixInfoNV *rt_fill_vkConvertCooperativeVectorMatrixNV_pInfo(
    struct rt *t, VkDevice device);
void rt_cmp_vkConvertCooperativeVectorMatrixNV_pInfo(
    struct rt *t, const VkConvertCooperativeVectorMatrixInfoNV *v,
    const struct vkw_args_vkConvertCooperativeVectorMatrixNV *a);
void rt_answer_vkConvertCooperativeVectorMatrixNV_pInfo(
    struct rt *t, struct vkw_args_vkConvertCooperativeVectorMatrixNV *a);
void rt_cmp_reply_vkConvertCooperativeVectorMatrixNV_pInfo(
    struct rt *t, const VkConvertCooperativeVectorMatrixInfoNV *v,
    const struct vkw_args_vkConvertCooperativeVectorMatrixNV *a);

const VkConvertCooperativeVectorMatrixInfoNV *rt_fill_vkCmdConvertCooperativeVectorMatrixNV_pInfos(
    struct rt *t, VkCommandBuffer commandBuffer, uint32_t infoCount);
void rt_cmp_vkCmdConvertCooperativeVectorMatrixNV_pInfos(
    struct rt *t, const VkConvertCooperativeVectorMatrixInfoNV *v,
    const struct vkw_args_vkCmdConvertCooperativeVectorMatrixNV *a);

#endif /* VKW_ROUNDTRIP_FORMS_H */
