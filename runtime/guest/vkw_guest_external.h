/* vkw_guest_external — external objects as the guest can carry them
 * (doc/PROTOCOL.md, "External objects").
 *
 * Owns: which external handle types this connection can carry (fds only
 * where they travel: feature bit 6, a transport that passes them and not
 * VKWIRE_MEMORY=copy-socket), and so which of the extensions that bring
 * them the application is offered; the capability queries, answered as
 * the host's driver answers them less the handle types that cannot travel;
 * the fence and semaphore fd commands, after which the guest stops
 * answering that object's status itself (vkw_guest_sync.h: the payload may
 * be signalled where it cannot see); and which host pointers an
 * application may import (vkw_guest_memory.c moves their pages).
 */
#ifndef VKW_GUEST_EXTERNAL_H
#define VKW_GUEST_EXTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vkw_guest_conn;

/* Keep the entries of `list` whose extension this connection can carry
 * (in order, in place), and add those the guest carries out itself
 * whatever the host's driver offers (VK_EXT_map_memory_placed: mappings
 * are the guest's); `list` has room for VKW_GUEST_EXTENSIONS_ADDED more.
 * The new count. */
#define VKW_GUEST_EXTENSIONS_ADDED 1u
uint32_t vkw_guest_external_keep_extensions(const struct vkw_guest_conn *conn,
                                            VkExtensionProperties *list, uint32_t n);
/* The extensions the application enabled, less those the guest carries out
 * itself (the host's driver may not know them): a list in `room` (of
 * `enabled` entries) or the application's own.  Their feature structs are
 * never sent (vkwire does not forward them). */
const char *const *vkw_guest_external_device_extensions(const VkDeviceCreateInfo *info,
                                                        const char **room, uint32_t *count);
/* The memory handle types this connection carries. */
VkExternalMemoryHandleTypeFlags vkw_guest_external_memory_types(const struct vkw_guest_conn *conn);

/* ---- host pointers (VK_EXT_external_memory_host) ----
 * The application's pages are moved into a memfd mapped at the same
 * address (the bytes copied once), which the host imports; freeing the
 * memory moves them back into private pages (copied again).  Only pages a
 * process owns alone can move that way without changing what they mean:
 * private anonymous read-write mappings (malloc, the heap, anonymous mmap).
 * A file or shared mapping, the stack, or pages already imported, are
 * refused with VK_ERROR_INVALID_EXTERNAL_HANDLE. */
/* Whether this connection imports host pointers (feature bit 7, fds travel). */
bool vkw_guest_external_host_pointers(const struct vkw_guest_conn *conn);
/* The alignment of imported host pointers and sizes: the page size, or the
 * host driver's minImportedHostPointerAlignment if larger. */
VkDeviceSize vkw_guest_external_host_alignment(VkPhysicalDevice physicalDevice);
/* Whether [p, p + size) lies wholly in private anonymous read-write pages. */
bool vkw_guest_external_pages_movable(const void *p, size_t size);
/* What the guest answers in properties: the host pointer alignment it
 * needs (VkPhysicalDeviceExternalMemoryHostPropertiesEXT), and the
 * alignment of placed mappings (VkPhysicalDeviceMapMemoryPlacedPropertiesEXT:
 * the page). */
void vkw_guest_external_properties(VkPhysicalDevice physicalDevice,
                                   VkPhysicalDeviceProperties2 *pProperties);

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetMemoryHostPointerPropertiesEXT(
    VkDevice device, VkExternalMemoryHandleTypeFlagBits handleType, const void *pHostPointer,
    VkMemoryHostPointerPropertiesEXT *pMemoryHostPointerProperties);

/* The feature structs of what the guest carries out itself. */
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceFeatures2(VkPhysicalDevice physicalDevice,
                                                               VkPhysicalDeviceFeatures2 *pFeatures);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceExternalBufferProperties(
    VkPhysicalDevice physicalDevice, const VkPhysicalDeviceExternalBufferInfo *pExternalBufferInfo,
    VkExternalBufferProperties *pExternalBufferProperties);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetPhysicalDeviceImageFormatProperties2(
    VkPhysicalDevice physicalDevice, const VkPhysicalDeviceImageFormatInfo2 *pImageFormatInfo,
    VkImageFormatProperties2 *pImageFormatProperties);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceExternalSemaphoreProperties(
    VkPhysicalDevice physicalDevice,
    const VkPhysicalDeviceExternalSemaphoreInfo *pExternalSemaphoreInfo,
    VkExternalSemaphoreProperties *pExternalSemaphoreProperties);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceExternalFenceProperties(
    VkPhysicalDevice physicalDevice, const VkPhysicalDeviceExternalFenceInfo *pExternalFenceInfo,
    VkExternalFenceProperties *pExternalFenceProperties);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkImportSemaphoreFdKHR(
    VkDevice device, const VkImportSemaphoreFdInfoKHR *pImportSemaphoreFdInfo);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetSemaphoreFdKHR(VkDevice device,
                                                          const VkSemaphoreGetFdInfoKHR *pGetFdInfo,
                                                          int *pFd);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkImportFenceFdKHR(
    VkDevice device, const VkImportFenceFdInfoKHR *pImportFenceFdInfo);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetFenceFdKHR(VkDevice device,
                                                      const VkFenceGetFdInfoKHR *pGetFdInfo,
                                                      int *pFd);

#endif /* VKW_GUEST_EXTERNAL_H */
