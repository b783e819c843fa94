/* vkw_extensions — narrowing extension lists to what vkwire forwards.
 *
 * Owns: the one filter both ends apply.  The host narrows its driver's
 * lists before answering, the guest narrows the host's answer again, so an
 * extension is offered only when both ends forward it (doc/PROTOCOL.md,
 * "Extensions").
 */
#ifndef VKW_EXTENSIONS_H
#define VKW_EXTENSIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

/* Whether `name` is a forwarded extension of that kind. */
bool vkw_extension_forwarded(const char *name, bool device);
/* Keep the forwarded entries of `list` (in order, in place); the new count. */
uint32_t vkw_keep_forwarded_extensions(VkExtensionProperties *list, uint32_t n, bool device);
/* One enumeration call (a driver's, or a round trip to the host). */
typedef VkResult (*vkw_ask_extensions_fn)(void *user, uint32_t *count,
                                          VkExtensionProperties *props);
/* A whole list through `ask` with the two-call idiom, again if it grew in
 * between.  *out is malloc'd (the caller frees it); NULL on failure. */
VkResult vkw_collect_extensions(vkw_ask_extensions_fn ask, void *user,
                                VkExtensionProperties **out, uint32_t *n);
/* Answer from `have` (n entries) with Vulkan's two-call rules. */
VkResult vkw_answer_extensions(const VkExtensionProperties *have, uint32_t n,
                               uint32_t *pPropertyCount, VkExtensionProperties *pProperties);

#endif /* VKW_EXTENSIONS_H */
