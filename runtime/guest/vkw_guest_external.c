/* vkw_guest_external — see vkw_guest_external.h. */
#include "vkw_guest_external.h"

#include <stdbool.h>
#include <string.h>

#include "vkw_guest_conn.h"
#include "vkw_guest_entry.h"
#include "vkw_guest_sync.h"
#include "vkw_handshake.h"
#include "vkw_icd.h"
#include "vkw_vulkan_util.h"

/* The handle types whose payload is an fd vkwire moves. */
#define FD_MEMORY_TYPES \
    (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT | VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT)
#define FD_SEMAPHORE_TYPES \
    (VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT | VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT)
#define FD_FENCE_TYPES \
    (VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT | VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT)

static bool fds_travel(const struct vkw_guest_conn *conn)
{
    return conn->fds_travel && (conn->agreed_features & VKW_FEATURE_EXTERNAL_FDS);
}

VkExternalMemoryHandleTypeFlags vkw_guest_external_memory_types(const struct vkw_guest_conn *conn)
{
    return fds_travel(conn) ? FD_MEMORY_TYPES : 0;
}

static VkExternalSemaphoreHandleTypeFlags semaphore_types(const struct vkw_guest_conn *conn)
{
    return fds_travel(conn) ? FD_SEMAPHORE_TYPES : 0;
}

static VkExternalFenceHandleTypeFlags fence_types(const struct vkw_guest_conn *conn)
{
    return fds_travel(conn) ? FD_FENCE_TYPES : 0;
}

/* An extension whose whole point is a handle this connection cannot carry. */
static bool carried(const struct vkw_guest_conn *conn, const char *name)
{
    static const char *const fd_extensions[] = {
        VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
        VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME, VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME};
    for (size_t i = 0; i < sizeof(fd_extensions) / sizeof(fd_extensions[0]); i++)
        if (strcmp(name, fd_extensions[i]) == 0)
            return fds_travel(conn);
    return true;
}

uint32_t vkw_guest_external_keep_extensions(const struct vkw_guest_conn *conn,
                                            VkExtensionProperties *list, uint32_t n)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++)
        if (carried(conn, list[i].extensionName))
            list[kept++] = list[i];
    return kept;
}

/* What the driver says of a memory handle type, less the types that
 * cannot travel (features too: nothing can be exported or imported). */
static void mask_memory(VkExternalMemoryProperties *p, VkExternalMemoryHandleTypeFlags carry)
{
    p->exportFromImportedHandleTypes &= carry;
    p->compatibleHandleTypes &= carry;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceExternalBufferProperties(
    VkPhysicalDevice physicalDevice, const VkPhysicalDeviceExternalBufferInfo *pExternalBufferInfo,
    VkExternalBufferProperties *pExternalBufferProperties)
{
    const VkExternalMemoryHandleTypeFlags carry =
        vkw_guest_external_memory_types(vkw_guest_conn_of(physicalDevice));
    if (!(pExternalBufferInfo->handleType & carry)) {
        /* Vulkan's answer for a type the implementation does not know. */
        memset(&pExternalBufferProperties->externalMemoryProperties, 0,
               sizeof(pExternalBufferProperties->externalMemoryProperties));
        return;
    }
    vkw_forward_vkGetPhysicalDeviceExternalBufferProperties(physicalDevice, pExternalBufferInfo,
                                                            pExternalBufferProperties);
    mask_memory(&pExternalBufferProperties->externalMemoryProperties, carry);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetPhysicalDeviceImageFormatProperties2(
    VkPhysicalDevice physicalDevice, const VkPhysicalDeviceImageFormatInfo2 *pImageFormatInfo,
    VkImageFormatProperties2 *pImageFormatProperties)
{
    const VkExternalMemoryHandleTypeFlags carry =
        vkw_guest_external_memory_types(vkw_guest_conn_of(physicalDevice));
    const VkPhysicalDeviceExternalImageFormatInfo *external = (const void *)vkw_chain_find(
        (void *)pImageFormatInfo->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO);
    if (external && external->handleType && !(external->handleType & carry))
        return VK_ERROR_FORMAT_NOT_SUPPORTED; /* the spec's answer for an unsupported type */
    const VkResult result = vkw_forward_vkGetPhysicalDeviceImageFormatProperties2(
        physicalDevice, pImageFormatInfo, pImageFormatProperties);
    VkExternalImageFormatProperties *props = (void *)vkw_chain_find(
        pImageFormatProperties->pNext, VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES);
    if (result == VK_SUCCESS && props)
        mask_memory(&props->externalMemoryProperties, carry);
    return result;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceExternalSemaphoreProperties(
    VkPhysicalDevice physicalDevice,
    const VkPhysicalDeviceExternalSemaphoreInfo *pExternalSemaphoreInfo,
    VkExternalSemaphoreProperties *pExternalSemaphoreProperties)
{
    const VkExternalSemaphoreHandleTypeFlags carry =
        semaphore_types(vkw_guest_conn_of(physicalDevice));
    if (pExternalSemaphoreInfo->handleType & carry) {
        vkw_forward_vkGetPhysicalDeviceExternalSemaphoreProperties(
            physicalDevice, pExternalSemaphoreInfo, pExternalSemaphoreProperties);
    } else {
        pExternalSemaphoreProperties->externalSemaphoreFeatures = 0;
        pExternalSemaphoreProperties->exportFromImportedHandleTypes = 0;
        pExternalSemaphoreProperties->compatibleHandleTypes = 0;
    }
    pExternalSemaphoreProperties->exportFromImportedHandleTypes &= carry;
    pExternalSemaphoreProperties->compatibleHandleTypes &= carry;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceExternalFenceProperties(
    VkPhysicalDevice physicalDevice, const VkPhysicalDeviceExternalFenceInfo *pExternalFenceInfo,
    VkExternalFenceProperties *pExternalFenceProperties)
{
    const VkExternalFenceHandleTypeFlags carry = fence_types(vkw_guest_conn_of(physicalDevice));
    if (pExternalFenceInfo->handleType & carry) {
        vkw_forward_vkGetPhysicalDeviceExternalFenceProperties(physicalDevice, pExternalFenceInfo,
                                                               pExternalFenceProperties);
    } else {
        pExternalFenceProperties->externalFenceFeatures = 0;
        pExternalFenceProperties->exportFromImportedHandleTypes = 0;
        pExternalFenceProperties->compatibleHandleTypes = 0;
    }
    pExternalFenceProperties->exportFromImportedHandleTypes &= carry;
    pExternalFenceProperties->compatibleHandleTypes &= carry;
}

/* ---- fences and semaphores whose payload crosses an fd ---- */

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkImportSemaphoreFdKHR(
    VkDevice device, const VkImportSemaphoreFdInfoKHR *pImportSemaphoreFdInfo)
{
    const VkResult r = vkw_forward_vkImportSemaphoreFdKHR(device, pImportSemaphoreFdInfo);
    if (r == VK_SUCCESS)
        vkw_guest_sync_foreign(device, VKW_HANDLE_U64(pImportSemaphoreFdInfo->semaphore), true);
    return r;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetSemaphoreFdKHR(VkDevice device,
                                                          const VkSemaphoreGetFdInfoKHR *pGetFdInfo,
                                                          int *pFd)
{
    /* Whoever imports the fd may signal the semaphore from now on. */
    vkw_guest_sync_foreign(device, VKW_HANDLE_U64(pGetFdInfo->semaphore), true);
    return vkw_forward_vkGetSemaphoreFdKHR(device, pGetFdInfo, pFd);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkImportFenceFdKHR(VkDevice device,
                                                         const VkImportFenceFdInfoKHR *pImportFenceFdInfo)
{
    const VkResult r = vkw_forward_vkImportFenceFdKHR(device, pImportFenceFdInfo);
    if (r == VK_SUCCESS)
        vkw_guest_sync_foreign(device, VKW_HANDLE_U64(pImportFenceFdInfo->fence), false);
    return r;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetFenceFdKHR(VkDevice device,
                                                      const VkFenceGetFdInfoKHR *pGetFdInfo,
                                                      int *pFd)
{
    /* Exporting may reset it (copy transference), and whoever imports the
     * fd shares its payload: the host knows, the guest no longer does. */
    vkw_guest_sync_foreign(device, VKW_HANDLE_U64(pGetFdInfo->fence), false);
    return vkw_forward_vkGetFenceFdKHR(device, pGetFdInfo, pFd);
}
