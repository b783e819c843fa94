/* vkw_depends — vk.xml's depends expressions, evaluated at run time.
 *
 * Owns: the evaluation of the conditions generated into the guest's entry
 * table (generated/vkw_guest_entry.c: "VK_VERSION_1_4",
 * "(VK_KHR_push_descriptor),(VK_KHR_descriptor_update_template+(VK_KHR_push_descriptor))").
 * The grammar is the registry's: names joined by '+' (and) and ',' (or),
 * both of one precedence and left-associative, with parentheses.  A
 * version name (VK_VERSION_1_3) holds when the version asked about is at
 * least that; a feature name (Struct::member) holds (whether a device has
 * a feature is the application's business, not the entry point's); any
 * other name holds when `has_extension` says so.
 */
#ifndef VKW_DEPENDS_H
#define VKW_DEPENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef bool (*vkw_has_extension_fn)(void *user, const char *name, size_t length);

/* Whether `expr` holds for `api_version` (VK_MAKE_API_VERSION) and the
 * extensions `has_extension` knows.  A malformed expression is false. */
bool vkw_depends_hold(const char *expr, uint32_t api_version, vkw_has_extension_fn has_extension,
                      void *user);

#endif /* VKW_DEPENDS_H */
