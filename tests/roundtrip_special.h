/* roundtrip_special — round-trip fill and compare for the parameters whose
 * wire form is hand-written (encode-with in gen/annotations.conf): the
 * generated test calls rt_fill_<command>_<param> and rt_cmp_<command>_<param>,
 * and rt_roundtrip_<command> for a command whose custom parameter another
 * parameter's length names (the whole round trip is hand-written).  The
 * acceleration-structure ones are in roundtrip_accel.c. */
#ifndef VKW_ROUNDTRIP_SPECIAL_H
#define VKW_ROUNDTRIP_SPECIAL_H

#include <vulkan/vulkan.h>

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

/* Host acceleration-structure commands (doc/PROTOCOL.md 22). */
void rt_roundtrip_vkBuildAccelerationStructuresKHR(struct rt *t);
const VkCopyAccelerationStructureToMemoryInfoKHR *rt_fill_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, VkDevice device, VkDeferredOperationKHR deferredOperation);
void rt_cmp_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, const VkCopyAccelerationStructureToMemoryInfoKHR *info,
    const struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a);
const VkCopyMemoryToAccelerationStructureInfoKHR *rt_fill_vkCopyMemoryToAccelerationStructureKHR_pInfo(
    struct rt *t, VkDevice device, VkDeferredOperationKHR deferredOperation);
void rt_cmp_vkCopyMemoryToAccelerationStructureKHR_pInfo(
    struct rt *t, const VkCopyMemoryToAccelerationStructureInfoKHR *info,
    const struct vkw_args_vkCopyMemoryToAccelerationStructureKHR *a);

#endif /* VKW_ROUNDTRIP_SPECIAL_H */
