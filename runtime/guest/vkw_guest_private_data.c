/* vkw_guest_private_data — see vkw_guest_private_data.h.
 *
 * A slot holds one map per object type it has seen (vkw_idmap: handle ->
 * data), so that handles of two types never meet, whatever their values.
 * Data 0 is never stored: Vulkan answers 0 for an object nothing was set
 * on, so setting 0 removes the entry (and never fails).  VK_NULL_HANDLE
 * names no object: nothing is kept for it.
 */
#include "vkw_guest_private_data.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "vkw_guest_alloc.h"
#include "vkw_guest_entry.h"
#include "vkw_idmap.h"
#include "vkw_vulkan_util.h"

struct typed {
    VkObjectType type;
    struct vkw_idmap data; /* handle -> uint64_t */
};

struct device_record;

struct slot {
    pthread_mutex_t lock; /* guards maps and map_count */
    struct typed *maps;
    uint32_t map_count;
    bool reserved; /* lives in its device's reserve block */
    struct vkw_alloc alloc; /* the slot's own (its maps come from it), else its device's */
    struct device_record *dev;
    struct slot *prev, *next; /* the device's live slots, or its spare ones */
};

struct device_record {
    VkDevice device;
    struct slot *live;  /* made by the application, not destroyed */
    struct slot *spare; /* reserved and free */
    struct slot *block; /* the reserved slots, made at vkCreateDevice */
    uint32_t reserved;
    struct vkw_alloc alloc; /* the device's: the record, its block */
    struct device_record *next;
};

static struct {
    pthread_mutex_t lock; /* guards devices and every slot list */
    struct device_record *devices;
    atomic_uint live_slots; /* read without the lock: forget_object's quick "none" */
} registry = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

/* ---- a slot's maps (its lock held) ---- */

static struct vkw_idmap *map_of(const struct slot *s, VkObjectType type)
{
    for (uint32_t i = 0; i < s->map_count; i++)
        if (s->maps[i].type == type)
            return &s->maps[i].data;
    return NULL;
}

static void remove_entry(struct slot *s, VkObjectType type, uint64_t handle)
{
    struct vkw_idmap *m = map_of(s, type);
    if (m)
        vkw_idmap_remove(m, handle);
}

static VkResult set_entry(struct slot *s, VkObjectType type, uint64_t handle, uint64_t data)
{
    if (data == 0 || handle == 0) {
        remove_entry(s, type, handle);
        return VK_SUCCESS;
    }
    struct vkw_idmap *m = map_of(s, type);
    if (!m) {
        struct typed *maps = vkw_realloc(&s->alloc, s->maps, (s->map_count + 1) * sizeof(*maps),
                                         VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
        if (!maps)
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        s->maps = maps;
        maps[s->map_count].type = type;
        vkw_idmap_init(&maps[s->map_count].data, sizeof(uint64_t));
        m = &maps[s->map_count++].data;
    }
    uint64_t *kept = vkw_idmap_put(m, handle);
    if (!kept)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    *kept = data;
    return VK_SUCCESS;
}

static uint64_t get_entry(const struct slot *s, VkObjectType type, uint64_t handle)
{
    const struct vkw_idmap *m = map_of(s, type);
    const uint64_t *kept = m ? vkw_idmap_find(m, handle) : NULL;
    return kept ? *kept : 0;
}

static void clear_entries(struct slot *s)
{
    for (uint32_t i = 0; i < s->map_count; i++)
        vkw_idmap_clear(&s->maps[i].data);
    vkw_free(&s->alloc, s->maps);
    s->maps = NULL;
    s->map_count = 0;
}

/* ---- devices and slot lists (registry lock held) ---- */

static void unlink_slot(struct slot **list, struct slot *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        *list = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static void push_slot(struct slot **list, struct slot *s)
{
    s->prev = NULL;
    s->next = *list;
    if (*list)
        (*list)->prev = s;
    *list = s;
}

static struct device_record **find_device(VkDevice device)
{
    struct device_record **p = &registry.devices;
    while (*p && (*p)->device != device)
        p = &(*p)->next;
    return p;
}

/* The device's record, made through `alloc` (NULL: the C library) if it
 * has none (a device this module was not told of uses the C library).
 * NULL: no memory. */
static struct device_record *device_record(VkDevice device, const struct vkw_alloc *alloc)
{
    struct device_record **p = find_device(device);
    if (*p)
        return *p;
    struct device_record *dev = vkw_zalloc(alloc, sizeof(*dev), VK_SYSTEM_ALLOCATION_SCOPE_DEVICE);
    if (dev) {
        dev->alloc = alloc ? *alloc : (struct vkw_alloc){0};
        dev->device = device;
        dev->next = registry.devices;
        registry.devices = dev;
    }
    return dev;
}

static void forget_in_all(VkObjectType type, uint64_t handle)
{
    for (struct device_record *dev = registry.devices; dev; dev = dev->next)
        for (struct slot *s = dev->live; s; s = s->next) {
            pthread_mutex_lock(&s->lock);
            remove_entry(s, type, handle);
            pthread_mutex_unlock(&s->lock);
        }
}

/* Frees the slot's table, and the slot unless it is a reserved one (which
 * its block holds; the caller puts it back or frees the block). */
static void free_slot(struct slot *s)
{
    clear_entries(s);
    if (s->reserved)
        return;
    pthread_mutex_destroy(&s->lock);
    const struct vkw_alloc alloc = s->alloc;
    vkw_free(&alloc, s);
}

/* ---- what the ICD tells this module ---- */

VkResult vkw_guest_private_data_device_made(VkDevice device, const VkDeviceCreateInfo *info,
                                            const struct vkw_alloc *alloc)
{
    uint64_t asked = 0;
    for (const VkBaseInStructure *p = info ? info->pNext : NULL; p; p = p->pNext)
        if (p->sType == VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO)
            asked += ((const VkDevicePrivateDataCreateInfo *)p)->privateDataSlotRequestCount;
    const uint32_t n = asked < VKW_PRIVATE_DATA_MAX_RESERVED ? (uint32_t)asked
                                                             : VKW_PRIVATE_DATA_MAX_RESERVED;
    pthread_mutex_lock(&registry.lock);
    /* The record now, so that slots without their own allocator use the
     * device's (and a device with no memory for it is not made). */
    struct device_record *dev = device_record(device, alloc);
    if (!dev || dev->block || !n) { /* no memory, told twice (kept the first), or no reserve */
        pthread_mutex_unlock(&registry.lock);
        return dev ? VK_SUCCESS : VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    struct slot *block =
        vkw_zalloc_array(&dev->alloc, n, sizeof(*block), VK_SYSTEM_ALLOCATION_SCOPE_DEVICE);
    if (!block) {
        pthread_mutex_unlock(&registry.lock);
        return VK_ERROR_OUT_OF_HOST_MEMORY; /* the caller forgets the device */
    }
    dev->block = block;
    dev->reserved = n;
    for (uint32_t i = n; i-- > 0;) {
        pthread_mutex_init(&block[i].lock, NULL);
        block[i].alloc = dev->alloc;
        block[i].reserved = true;
        block[i].dev = dev;
        push_slot(&dev->spare, &block[i]);
    }
    pthread_mutex_unlock(&registry.lock);
    return VK_SUCCESS;
}

void vkw_guest_private_data_forget_device(VkDevice device)
{
    pthread_mutex_lock(&registry.lock);
    struct device_record **p = find_device(device);
    struct device_record *dev = *p;
    if (dev) {
        *p = dev->next;
        /* Slots the application did not destroy go with their device. */
        while (dev->live) {
            struct slot *s = dev->live;
            unlink_slot(&dev->live, s);
            free_slot(s);
            atomic_fetch_sub(&registry.live_slots, 1);
        }
        for (uint32_t i = 0; i < dev->reserved; i++)
            pthread_mutex_destroy(&dev->block[i].lock);
        const struct vkw_alloc alloc = dev->alloc;
        vkw_free(&alloc, dev->block);
        vkw_free(&alloc, dev);
    }
    pthread_mutex_unlock(&registry.lock);
}

void vkw_guest_private_data_forget_object(VkObjectType type, uint64_t handle)
{
    if (atomic_load(&registry.live_slots) == 0)
        return;
    pthread_mutex_lock(&registry.lock);
    forget_in_all(type, handle);
    pthread_mutex_unlock(&registry.lock);
}

/* ---- entry points ---- */

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreatePrivateDataSlot(
    VkDevice device, const VkPrivateDataSlotCreateInfo *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkPrivateDataSlot *pPrivateDataSlot)
{
    (void)pCreateInfo; /* flags are reserved; nothing extends it */
    pthread_mutex_lock(&registry.lock);
    struct device_record *dev = device_record(device, NULL);
    struct slot *s = NULL;
    if (dev && dev->spare) {
        s = dev->spare; /* its maps come from the device's allocator */
        unlink_slot(&dev->spare, s);
    } else if (dev) {
        const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, &dev->alloc);
        s = vkw_zalloc(&alloc, sizeof(*s), VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
        if (s) {
            s->alloc = alloc;
            pthread_mutex_init(&s->lock, NULL);
        }
    }
    if (!s) {
        pthread_mutex_unlock(&registry.lock);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    s->dev = dev;
    push_slot(&dev->live, s);
    atomic_fetch_add(&registry.live_slots, 1);
    pthread_mutex_unlock(&registry.lock);
    *pPrivateDataSlot = VKW_U64_HANDLE(VkPrivateDataSlot, (uintptr_t)s);
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyPrivateDataSlot(VkDevice device,
                                                           VkPrivateDataSlot privateDataSlot,
                                                           const VkAllocationCallbacks *pAllocator)
{
    (void)device;
    (void)pAllocator;
    struct slot *s = (struct slot *)(uintptr_t)VKW_HANDLE_U64(privateDataSlot);
    if (!s)
        return;
    pthread_mutex_lock(&registry.lock);
    struct device_record *dev = s->dev;
    unlink_slot(&dev->live, s);
    atomic_fetch_sub(&registry.live_slots, 1);
    /* The slot is an object too: data other slots hold for it must not
     * reach the next slot made at this address. */
    forget_in_all(VK_OBJECT_TYPE_PRIVATE_DATA_SLOT, VKW_HANDLE_U64(privateDataSlot));
    const bool reserved = s->reserved;
    free_slot(s);
    if (reserved)
        push_slot(&dev->spare, s);
    pthread_mutex_unlock(&registry.lock);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkSetPrivateData(VkDevice device, VkObjectType objectType,
                                                       uint64_t objectHandle,
                                                       VkPrivateDataSlot privateDataSlot,
                                                       uint64_t data)
{
    (void)device; /* the slot knows its device */
    struct slot *s = (struct slot *)(uintptr_t)VKW_HANDLE_U64(privateDataSlot);
    pthread_mutex_lock(&s->lock);
    const VkResult r = set_entry(s, objectType, objectHandle, data);
    pthread_mutex_unlock(&s->lock);
    return r;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPrivateData(VkDevice device, VkObjectType objectType,
                                                   uint64_t objectHandle,
                                                   VkPrivateDataSlot privateDataSlot,
                                                   uint64_t *pData)
{
    (void)device;
    struct slot *s = (struct slot *)(uintptr_t)VKW_HANDLE_U64(privateDataSlot);
    pthread_mutex_lock(&s->lock);
    *pData = get_entry(s, objectType, objectHandle);
    pthread_mutex_unlock(&s->lock);
}
