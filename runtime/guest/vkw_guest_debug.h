/* vkw_guest_debug — VK_EXT_debug_utils and VK_EXT_debug_report messengers.
 *
 * Owns: the messengers and report callbacks applications make, per
 * instance (each a record made through its allocator, else its
 * instance's), and the messages the ICD itself sends them.  They are the
 * guest's: a callback is an address in the application, so nothing of them
 * crosses the wire (gen/annotations.conf: guest-only, local).  An
 * application's own messages (vkSubmitDebugUtilsMessageEXT,
 * vkDebugReportMessageEXT) reach its callbacks here, as a driver delivers
 * them; object names, tags and labels do travel, so that the host's driver
 * and tools see them, except names and tags of objects only the guest makes
 * (private data slots, messengers), which the host never has.  Messages of the host's driver do not reach the
 * guest (doc/PROTOCOL.md, "Debug utilities").  Thread-safe: one mutex
 * guards the lists; callbacks run without it.
 */
#ifndef VKW_GUEST_DEBUG_H
#define VKW_GUEST_DEBUG_H

#include <vulkan/vulkan.h>

/* What vkCreateInstance's chain asked for (messengers and callbacks for the
 * creation itself): called with vkwire's own error, e.g. no server. */
void vkw_guest_debug_instance_message(const VkInstanceCreateInfo *info, const char *message);
/* The instance is gone: its messengers and callbacks too. */
void vkw_guest_debug_forget_instance(VkInstance instance);

#endif /* VKW_GUEST_DEBUG_H */
