/* vkw_guest_external — see vkw_guest_external.h. */
#define _GNU_SOURCE /* getline */
#include "vkw_guest_external.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vkw_guest_conn.h"
#include "vkw_guest_entry.h"
#include "vkw_guest_sync.h"
#include "vkw_handshake.h"
#include "vkw_icd.h"
#include "vkw_memory_messages.h"
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

bool vkw_guest_external_host_pointers(const struct vkw_guest_conn *conn)
{
    return conn->fds_travel && (conn->agreed_features & VKW_FEATURE_HOST_POINTER);
}

VkExternalMemoryHandleTypeFlags vkw_guest_external_memory_types(const struct vkw_guest_conn *conn)
{
    return (fds_travel(conn) ? FD_MEMORY_TYPES : 0) |
           (vkw_guest_external_host_pointers(conn)
                ? VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT
                : 0);
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
    if (strcmp(name, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME) == 0)
        return vkw_guest_external_host_pointers(conn);
    return true;
}

uint32_t vkw_guest_external_keep_extensions(const struct vkw_guest_conn *conn,
                                            VkExtensionProperties *list, uint32_t n)
{
    uint32_t kept = 0;
    bool map2 = false, placed = false;
    for (uint32_t i = 0; i < n; i++) {
        map2 |= strcmp(list[i].extensionName, VK_KHR_MAP_MEMORY_2_EXTENSION_NAME) == 0;
        placed |= strcmp(list[i].extensionName, VK_EXT_MAP_MEMORY_PLACED_EXTENSION_NAME) == 0;
        if (carried(conn, list[i].extensionName))
            list[kept++] = list[i];
    }
    /* Placed mappings need vkMapMemory2 (the extension, or Vulkan 1.4,
     * which promoted it: offered with it). */
    if (map2 && !placed) {
        memset(&list[kept], 0, sizeof(list[kept]));
        snprintf(list[kept].extensionName, sizeof(list[kept].extensionName), "%s",
                 VK_EXT_MAP_MEMORY_PLACED_EXTENSION_NAME);
        list[kept++].specVersion = VK_EXT_MAP_MEMORY_PLACED_SPEC_VERSION;
    }
    return kept;
}

const char *const *vkw_guest_external_device_extensions(const VkDeviceCreateInfo *info,
                                                        const char **room, uint32_t *count)
{
    const char *const *names = info->ppEnabledExtensionNames;
    *count = names ? info->enabledExtensionCount : 0;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < *count; i++)
        if (strcmp(names[i], VK_EXT_MAP_MEMORY_PLACED_EXTENSION_NAME) != 0)
            room[kept++] = names[i];
    if (kept == *count)
        return names;
    *count = kept;
    return room;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceFeatures2(VkPhysicalDevice physicalDevice,
                                                               VkPhysicalDeviceFeatures2 *pFeatures)
{
    vkw_forward_vkGetPhysicalDeviceFeatures2(physicalDevice, pFeatures);
    VkPhysicalDeviceMapMemoryPlacedFeaturesEXT *placed = (void *)vkw_chain_find(
        pFeatures->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAP_MEMORY_PLACED_FEATURES_EXT);
    if (placed) /* all three: runtime/guest/vkw_guest_memory.c maps */
        placed->memoryMapPlaced = placed->memoryMapRangePlaced = placed->memoryUnmapReserve =
            VK_TRUE;
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

/* ---- host pointers ---- */

static VkDeviceSize page_size(void)
{
    const long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (VkDeviceSize)page : 4096;
}

VkDeviceSize vkw_guest_external_host_alignment(VkPhysicalDevice physicalDevice)
{
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &host};
    vkw_forward_vkGetPhysicalDeviceProperties2(physicalDevice, &props); /* cached */
    const VkDeviceSize page = page_size(), a = host.minImportedHostPointerAlignment;
    /* A power of two the host can use, or the page: the memfd is whole pages. */
    return a > page && (a & (a - 1)) == 0 && a <= ((VkDeviceSize)1 << 30) ? a : page;
}

void vkw_guest_external_properties(VkPhysicalDevice physicalDevice,
                                   VkPhysicalDeviceProperties2 *pProperties)
{
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT *host = (void *)vkw_chain_find(
        pProperties->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT);
    if (host)
        host->minImportedHostPointerAlignment = vkw_guest_external_host_alignment(physicalDevice);
    VkPhysicalDeviceMapMemoryPlacedPropertiesEXT *placed = (void *)vkw_chain_find(
        pProperties->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAP_MEMORY_PLACED_PROPERTIES_EXT);
    if (placed)
        placed->minPlacedMemoryMapAlignment = page_size();
}

bool vkw_guest_external_pages_movable(const void *p, size_t size)
{
    uintptr_t at = (uintptr_t)p;
    const uintptr_t end = at + size;
    if (size == 0 || end < at)
        return false;
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps)
        return false;
    char *line = NULL;
    size_t cap = 0;
    /* The lines come in address order: walk them, covering [at, end). */
    while (at < end && getline(&line, &cap, maps) > 0) {
        uintptr_t lo, hi;
        char perms[8] = "";
        unsigned long long inode = 0;
        int path_at = 0;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %*s %*s %llu %n", &lo, &hi, perms,
                   &inode, &path_at) < 4)
            break;
        if (hi <= at)
            continue;
        if (lo > at)
            break; /* a hole */
        const char *path = line + path_at;
        const bool anonymous = inode == 0 && (path[0] == '\n' || path[0] == '\0' ||
                                              strncmp(path, "[heap]", 6) == 0 ||
                                              strncmp(path, "[anon:", 6) == 0);
        if (!anonymous || strncmp(perms, "rw", 2) != 0 || perms[3] != 'p')
            break; /* a file, the stack, shared or read-only pages */
        at = hi;
    }
    free(line);
    fclose(maps);
    return at >= end;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetMemoryHostPointerPropertiesEXT(
    VkDevice device, VkExternalMemoryHandleTypeFlagBits handleType, const void *pHostPointer,
    VkMemoryHostPointerPropertiesEXT *pMemoryHostPointerProperties)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(device);
    pMemoryHostPointerProperties->memoryTypeBits = 0;
    const VkDeviceSize align = vkw_guest_external_host_alignment(vkw_guest_device_physical(device));
    /* Only the guest's own pages it can move: HOST_MAPPED_FOREIGN_MEMORY
     * (device memory mapped into the process) cannot travel. */
    if (!vkw_guest_external_host_pointers(conn) ||
        handleType != VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT ||
        (uintptr_t)pHostPointer % align != 0 ||
        !vkw_guest_external_pages_movable(pHostPointer, (size_t)align))
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    const size_t at = vkw_begin_command(w, VKW_MSG_HOST_POINTER_TYPES, VKW_COMMAND_FLAG_REPLY,
                                        call.serial);
    vkw_write_u64(w, vkw_guest_id_of(device));
    vkw_end_message(w, at);
    struct vkw_reader *r = vkw_call_wait(&call, false);
    VkResult result = r ? (VkResult)vkw_read_i32(r) : VK_ERROR_DEVICE_LOST;
    const uint32_t bits = r ? vkw_read_u32(r) : 0;
    if (!vkw_call_end(&call, r))
        result = VK_ERROR_DEVICE_LOST;
    if (result == VK_SUCCESS)
        pMemoryHostPointerProperties->memoryTypeBits = bits;
    return result == VK_ERROR_DEVICE_LOST ? VK_ERROR_OUT_OF_HOST_MEMORY : result;
}
