/* vkw_host_video — the host's part of Vulkan video sessions.
 *
 * Owns: the hand-written vkDestroyVideoSessionKHR (gen/annotations.conf).
 * Vulkan does not make an application destroy a session's parameters
 * objects (vk.xml: made from the session) before the session, yet a
 * parameters object is of use only with its session, and the object table
 * records the session as its parent, so forgetting the session would drop
 * their ids and leave the driver's objects behind.  The host destroys them
 * first, in dependency order, and keeps each id as a failed object
 * (vkw_object_table.h) under the session's device: a later
 * vkDestroyVideoSessionParametersKHR of it hands the driver VK_NULL_HANDLE,
 * and any other use is refused (BAD_HANDLE).  doc/PROTOCOL.md section 24.
 */
#ifndef VKW_HOST_VIDEO_H
#define VKW_HOST_VIDEO_H

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_args_vkDestroyVideoSessionKHR;

void vkw_host_vkDestroyVideoSessionKHR(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                       struct vkw_args_vkDestroyVideoSessionKHR *a);

#endif /* VKW_HOST_VIDEO_H */
