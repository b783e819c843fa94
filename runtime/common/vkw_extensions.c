/* vkw_extensions — see vkw_extensions.h. */
#include "vkw_extensions.h"

#include <stdlib.h>
#include <string.h>

#include "vkw_handles.h"

bool vkw_extension_forwarded(const char *name, bool device)
{
    for (unsigned i = 0; i < vkw_forwarded_extension_count; i++)
        if (vkw_forwarded_extensions[i].device == device &&
            strcmp(vkw_forwarded_extensions[i].name, name) == 0)
            return true;
    return false;
}

uint32_t vkw_keep_forwarded_extensions(VkExtensionProperties *list, uint32_t n, bool device)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++)
        if (vkw_extension_forwarded(list[i].extensionName, device))
            list[kept++] = list[i];
    return kept;
}

VkResult vkw_collect_extensions(vkw_ask_extensions_fn ask, void *user,
                                VkExtensionProperties **out, uint32_t *n)
{
    VkResult result = VK_INCOMPLETE;
    *out = NULL;
    for (int tries = 0; result == VK_INCOMPLETE && tries < 4; tries++) {
        uint32_t count = 0;
        result = ask(user, &count, NULL);
        free(*out);
        *out = result < 0 ? NULL : calloc(count ? count : 1, sizeof(**out));
        if (!*out)
            return result < 0 ? result : VK_ERROR_OUT_OF_HOST_MEMORY;
        result = ask(user, &count, *out);
        *n = count;
    }
    if (result < 0) {
        free(*out);
        *out = NULL;
    }
    return result < 0 ? result : VK_SUCCESS;
}

VkResult vkw_answer_extensions(const VkExtensionProperties *have, uint32_t n,
                               uint32_t *pPropertyCount, VkExtensionProperties *pProperties)
{
    if (!pProperties) {
        *pPropertyCount = n;
        return VK_SUCCESS;
    }
    uint32_t copy = *pPropertyCount < n ? *pPropertyCount : n;
    if (copy)
        memcpy(pProperties, have, copy * sizeof(*have));
    *pPropertyCount = copy;
    return copy < n ? VK_INCOMPLETE : VK_SUCCESS;
}
