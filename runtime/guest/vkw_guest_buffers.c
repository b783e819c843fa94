/* vkw_guest_buffers — see vkw_guest_buffers.h. */
#include "vkw_guest_buffers.h"

#include <pthread.h>
#include <stdlib.h>

#include "vkw_guest_entry.h"
#include "vkw_guest_idtable.h"
#include "vkw_icd.h"
#include "vkw_vulkan_util.h"

/* Buffer usage through which the device can only read: memory bound to
 * nothing else is never written by the device, so a wait need not look
 * at its coherent shadow.  Every other bit (transfer dst, storage,
 * device address, ...) may write. */
#define READ_ONLY_USAGE                                                                   \
    (VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |        \
     VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_INDEX_BUFFER_BIT |              \
     VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT)

struct record {
    struct vkw_guest_idlink link; /* first: the table's; its id is the VkBuffer */
    struct vkw_guest_buffer_info info;
    struct vkw_alloc alloc;
};

static struct {
    pthread_mutex_t lock;
    struct vkw_guest_idtable records;
} buffers = {PTHREAD_MUTEX_INITIALIZER, {0}};

static void free_record(struct record *rec)
{
    const struct vkw_alloc alloc = rec->alloc;
    vkw_free(&alloc, rec);
}

/* The loader unloads drivers (dlclose): records of buffers the application
 * never destroyed, made with the C library, must not stay behind (the
 * application's allocator may not be called outside a Vulkan command). */
static bool from_libc(const struct vkw_guest_idlink *l, const void *user)
{
    (void)user;
    return ((const struct record *)l)->alloc.allocate == NULL;
}

static void drop(struct vkw_guest_idlink *l)
{
    free_record((struct record *)l);
}

__attribute__((destructor)) static void forget_leftovers(void)
{
    vkw_guest_idtable_remove_if(&buffers.records, from_libc, drop, NULL);
}

static bool worth_a_record(const VkBufferCreateInfo *ci)
{
    return !ci->pNext && (ci->sharingMode == VK_SHARING_MODE_EXCLUSIVE ||
                          !(ci->usage & ~(VkBufferUsageFlags)READ_ONLY_USAGE));
}

bool vkw_guest_buffer_info(VkBuffer buffer, struct vkw_guest_buffer_info *out)
{
    pthread_mutex_lock(&buffers.lock);
    const struct record *rec =
        (const struct record *)vkw_guest_idtable_find(&buffers.records, VKW_HANDLE_U64(buffer));
    if (rec)
        *out = rec->info;
    pthread_mutex_unlock(&buffers.lock);
    return rec != NULL;
}

bool vkw_guest_buffer_read_only(VkBuffer buffer)
{
    struct vkw_guest_buffer_info info;
    return buffer != VK_NULL_HANDLE && vkw_guest_buffer_info(buffer, &info) &&
           !(info.usage & ~(VkBufferUsageFlags)READ_ONLY_USAGE);
}

static bool of_device(const struct vkw_guest_idlink *l, const void *device)
{
    return ((const struct record *)l)->info.device == device;
}

void vkw_guest_buffers_forget_device(VkDevice device)
{
    pthread_mutex_lock(&buffers.lock);
    vkw_guest_idtable_remove_if(&buffers.records, of_device, drop, device);
    pthread_mutex_unlock(&buffers.lock);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateBuffer(VkDevice device,
                                                     const VkBufferCreateInfo *pCreateInfo,
                                                     const VkAllocationCallbacks *pAllocator,
                                                     VkBuffer *pBuffer)
{
    struct record *rec = NULL;
    if (worth_a_record(pCreateInfo)) {
        const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
        rec = vkw_alloc(&alloc, sizeof(*rec), VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
        if (!rec)
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        *rec = (struct record){.info = {device, pCreateInfo->flags, pCreateInfo->usage,
                                        pCreateInfo->size, pCreateInfo->sharingMode},
                               .alloc = alloc};
    }
    const VkResult result = vkw_forward_vkCreateBuffer(device, pCreateInfo, pAllocator, pBuffer);
    if (rec && result != VK_SUCCESS) {
        free_record(rec);
    } else if (rec) {
        rec->link.id = VKW_HANDLE_U64(*pBuffer);
        pthread_mutex_lock(&buffers.lock);
        vkw_guest_idtable_add(&buffers.records, &rec->link);
        pthread_mutex_unlock(&buffers.lock);
    }
    return result;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyBuffer(VkDevice device, VkBuffer buffer,
                                                  const VkAllocationCallbacks *pAllocator)
{
    pthread_mutex_lock(&buffers.lock);
    struct vkw_guest_idlink *rec =
        buffer ? vkw_guest_idtable_remove(&buffers.records, VKW_HANDLE_U64(buffer)) : NULL;
    pthread_mutex_unlock(&buffers.lock);
    if (rec)
        free_record((struct record *)rec);
    vkw_forward_vkDestroyBuffer(device, buffer, pAllocator);
}
