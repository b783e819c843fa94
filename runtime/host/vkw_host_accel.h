/* vkw_host_accel — the host's half of the host acceleration-structure
 * commands and of the other commands that may be deferred
 * (doc/PROTOCOL.md 22).
 *
 * Owns: the encode-with decoders of vkBuildAccelerationStructuresKHR.pInfos,
 * vkCopyAccelerationStructureToMemoryKHR.pInfo and
 * vkCopyMemoryToAccelerationStructureKHR.pInfo (the bytes behind the
 * guest's host addresses land in the decode arena, and the host addresses
 * are rebuilt over them; instance references, guest ids, become host
 * handles); the hand-written host functions of those commands, of
 * vkCopyAccelerationStructureKHR, vkWriteAccelerationStructuresPropertiesKHR
 * and vkCreateRayTracingPipelinesKHR, which check what the driver will read
 * and write through host pointers against what arrived before calling it;
 * the join of a deferred operation; and the device builds' rule that a
 * build info gives its geometries by exactly one of its two arrays.
 *
 * Why the join: a command given a VkDeferredOperationKHR may return
 * VK_OPERATION_DEFERRED_KHR and let the driver read its arguments (here the
 * host's copies, in an arena reset after every command) until the operation
 * completes.  The host completes it itself before it answers, so the
 * answer is the driver's and the operation is complete when the guest
 * joins it.  That join blocks this guest's connection for the length of
 * the operation, like any long host command (doc/SECURITY.md 4).
 *
 * The prototypes of the functions gen/annotations.conf names are in
 * generated/vkw_host_decode.h.
 */
#ifndef VKW_HOST_ACCEL_H
#define VKW_HOST_ACCEL_H

#include <vulkan/vulkan.h>

struct vkw_host_context;

/* After a driver call that may have deferred `op` (which may be NULL):
 * join it until it completes.  Returns `result` unchanged. */
VkResult vkw_host_finish_deferred(struct vkw_host_context *ctx, VkDevice device,
                                  VkDeferredOperationKHR op, VkResult result);

#endif /* VKW_HOST_ACCEL_H */
