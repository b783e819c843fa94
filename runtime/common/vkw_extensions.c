/* vkw_extensions — see vkw_extensions.h. */
#include "vkw_extensions.h"

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
