/* roundtrip_special — round-trip fill and compare for the parameters whose
 * wire form is hand-written (encode-with in gen/annotations.conf): the
 * generated test calls rt_fill_<command>_<param> and rt_cmp_<command>_<param>,
 * and rt_roundtrip_<command> for a command whose custom parameter another
 * parameter's length names (the whole round trip is hand-written).  The
 * acceleration-structure ones are in roundtrip_accel.c. */
#ifndef VKW_ROUNDTRIP_SPECIAL_H
#define VKW_ROUNDTRIP_SPECIAL_H

#include <vulkan/vulkan.h>

#include "roundtrip_forms.h"
#include "roundtrip_support.h"
#include "vkw_host_decode.h"

/* Random template entries (registered with the guest runtime) and the
 * application bytes they describe. */
const void *rt_fill_vkUpdateDescriptorSetWithTemplate_pData(struct rt *t, VkDevice device,
                                                           VkDescriptorSet set,
                                                           VkDescriptorUpdateTemplate tmpl);
/* The host must hold exactly the writes those bytes stand for. */
void rt_cmp_vkUpdateDescriptorSetWithTemplate_pData(
    struct rt *t, const void *data, const struct vkw_args_vkUpdateDescriptorSetWithTemplate *a);

/* Host image copies (PROTOCOL 19): a random image recorded with the guest
 * runtime, regions inside it with random row lengths and image heights,
 * and the application's bytes. */
const VkCopyMemoryToImageInfo *rt_fill_vkCopyMemoryToImage_pCopyMemoryToImageInfo(
    struct rt *t, VkDevice device);
/* The host must hold each region's texels, tightly packed, as many as the
 * image says. */
void rt_cmp_vkCopyMemoryToImage_pCopyMemoryToImageInfo(
    struct rt *t, const VkCopyMemoryToImageInfo *info, const struct vkw_args_vkCopyMemoryToImage *a);
const VkCopyImageToMemoryInfo *rt_fill_vkCopyImageToMemory_pCopyImageToMemoryInfo(
    struct rt *t, VkDevice device);
void rt_cmp_vkCopyImageToMemory_pCopyImageToMemoryInfo(
    struct rt *t, const VkCopyImageToMemoryInfo *info, const struct vkw_args_vkCopyImageToMemory *a);
/* The host's side of the reply: each region's bytes, as the driver would
 * have written them. */
void rt_answer_vkCopyImageToMemory_pCopyImageToMemoryInfo(
    struct rt *t, struct vkw_args_vkCopyImageToMemory *a);
/* The application's memory holds them at its row length and image height,
 * and nothing between the rows changed; every shorter reply is refused. */
void rt_cmp_reply_vkCopyImageToMemory_pCopyImageToMemoryInfo(
    struct rt *t, const VkCopyImageToMemoryInfo *info, const struct vkw_args_vkCopyImageToMemory *a);
/* Host acceleration-structure commands (doc/PROTOCOL.md 22). */
void rt_roundtrip_vkBuildAccelerationStructuresKHR(struct rt *t);
const VkCopyAccelerationStructureToMemoryInfoKHR *rt_fill_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, VkDevice device, VkDeferredOperationKHR deferredOperation);
void rt_cmp_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, const VkCopyAccelerationStructureToMemoryInfoKHR *info,
    const struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a);
void rt_answer_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a);
void rt_cmp_reply_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, const VkCopyAccelerationStructureToMemoryInfoKHR *info,
    const struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a);
const VkCopyMemoryToAccelerationStructureInfoKHR *rt_fill_vkCopyMemoryToAccelerationStructureKHR_pInfo(
    struct rt *t, VkDevice device, VkDeferredOperationKHR deferredOperation);
void rt_cmp_vkCopyMemoryToAccelerationStructureKHR_pInfo(
    struct rt *t, const VkCopyMemoryToAccelerationStructureInfoKHR *info,
    const struct vkw_args_vkCopyMemoryToAccelerationStructureKHR *a);

/* vkGetDeviceFaultInfoEXT (doc/PROTOCOL.md 25): tests/roundtrip_fault.c. */
VkDeviceFaultInfoEXT *rt_fill_vkGetDeviceFaultInfoEXT_pFaultInfo(
    struct rt *t, VkDevice device, VkDeviceFaultCountsEXT *pFaultCounts);
void rt_cmp_vkGetDeviceFaultInfoEXT_pFaultInfo(struct rt *t, const VkDeviceFaultInfoEXT *info,
                                               const struct vkw_args_vkGetDeviceFaultInfoEXT *a);
void rt_answer_vkGetDeviceFaultInfoEXT_pFaultInfo(struct rt *t,
                                                  struct vkw_args_vkGetDeviceFaultInfoEXT *a);
void rt_cmp_reply_vkGetDeviceFaultInfoEXT_pFaultInfo(
    struct rt *t, const VkDeviceFaultInfoEXT *info, const struct vkw_args_vkGetDeviceFaultInfoEXT *a);

#endif /* VKW_ROUNDTRIP_SPECIAL_H */
