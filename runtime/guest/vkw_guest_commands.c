/* vkw_guest_commands — the guest's command buffers and their pools.
 * See vkw_guest_commands.h. */
#include "vkw_guest_commands.h"

#include <pthread.h>
#include <stdlib.h>

#include "vkw_guest_entry.h"
#include "vkw_handles.h"
#include "vkw_icd.h"
#include "vkw_vulkan_util.h"

/* A command buffer as the guest keeps it: the loader-visible object, plus
 * what Vulkan lets a driver rely on that the wire does not carry. */
struct vkw_guest_command_buffer {
    struct vkw_guest_object obj;
    VkCommandBufferLevel level;
    uint64_t pool;                          /* the VkCommandPool, as an integer */
    struct vkw_guest_command_buffer *next;  /* the pool's list */
};

/* Pools are few: a list of (pool, its command buffers) under one mutex. */
struct pool_record {
    uint64_t pool;
    struct vkw_guest_command_buffer *buffers;
    struct pool_record *next;
};

static struct {
    pthread_mutex_t lock;
    struct pool_record *pools;
} commands = {PTHREAD_MUTEX_INITIALIZER, NULL};

static struct pool_record *pool_of(uint64_t pool, bool create)
{
    for (struct pool_record *p = commands.pools; p; p = p->next)
        if (p->pool == pool)
            return p;
    if (!create)
        return NULL;
    struct pool_record *p = calloc(1, sizeof(*p));
    if (p) {
        p->pool = pool;
        p->next = commands.pools;
        commands.pools = p;
    }
    return p;
}

size_t vkw_guest_command_buffer_size(void)
{
    return sizeof(struct vkw_guest_command_buffer);
}

static void unlink_buffer(struct vkw_guest_command_buffer *cb)
{
    struct pool_record *p = pool_of(cb->pool, false);
    for (struct vkw_guest_command_buffer **b = p ? &p->buffers : NULL; b && *b; b = &(*b)->next)
        if (*b == cb) {
            *b = cb->next;
            return;
        }
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkAllocateCommandBuffers(
    VkDevice device, const VkCommandBufferAllocateInfo *pAllocateInfo,
    VkCommandBuffer *pCommandBuffers)
{
    VkResult result = vkw_forward_vkAllocateCommandBuffers(device, pAllocateInfo, pCommandBuffers);
    if (result < 0)
        return result;
    pthread_mutex_lock(&commands.lock);
    struct pool_record *p = pool_of(VKW_HANDLE_U64(pAllocateInfo->commandPool), true);
    for (uint32_t i = 0; i < pAllocateInfo->commandBufferCount; i++) {
        struct vkw_guest_command_buffer *cb = (void *)pCommandBuffers[i];
        if (!cb)
            continue;
        cb->level = pAllocateInfo->level;
        cb->pool = VKW_HANDLE_U64(pAllocateInfo->commandPool);
        if (p) {
            cb->next = p->buffers;
            p->buffers = cb;
        }
    }
    pthread_mutex_unlock(&commands.lock);
    return result;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkFreeCommandBuffers(VkDevice device, VkCommandPool commandPool,
                                                       uint32_t commandBufferCount,
                                                       const VkCommandBuffer *pCommandBuffers)
{
    pthread_mutex_lock(&commands.lock);
    for (uint32_t i = 0; i < commandBufferCount; i++)
        if (pCommandBuffers[i])
            unlink_buffer((struct vkw_guest_command_buffer *)pCommandBuffers[i]);
    pthread_mutex_unlock(&commands.lock);
    /* sends the command, then frees the objects */
    vkw_forward_vkFreeCommandBuffers(device, commandPool, commandBufferCount, pCommandBuffers);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyCommandPool(VkDevice device, VkCommandPool commandPool,
                                                       const VkAllocationCallbacks *pAllocator)
{
    vkw_forward_vkDestroyCommandPool(device, commandPool, pAllocator);
    /* Destroying a pool frees its command buffers: so are the guest's objects. */
    pthread_mutex_lock(&commands.lock);
    for (struct pool_record **p = &commands.pools; *p; p = &(*p)->next) {
        if ((*p)->pool != VKW_HANDLE_U64(commandPool))
            continue;
        struct pool_record *dead = *p;
        *p = dead->next;
        for (struct vkw_guest_command_buffer *cb = dead->buffers, *next; cb; cb = next) {
            next = cb->next;
            vkw_guest_free_object(cb);
        }
        free(dead);
        break;
    }
    pthread_mutex_unlock(&commands.lock);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBeginCommandBuffer(VkCommandBuffer commandBuffer,
                                                           const VkCommandBufferBeginInfo *pBeginInfo)
{
    const struct vkw_guest_command_buffer *cb = (const void *)commandBuffer;
    if (cb->level == VK_COMMAND_BUFFER_LEVEL_PRIMARY && pBeginInfo->pInheritanceInfo) {
        /* Vulkan says a primary command buffer ignores pInheritanceInfo, so
         * it may point anywhere: it must not be read, let alone sent. */
        VkCommandBufferBeginInfo primary = *pBeginInfo;
        primary.pInheritanceInfo = NULL;
        return vkw_forward_vkBeginCommandBuffer(commandBuffer, &primary);
    }
    return vkw_forward_vkBeginCommandBuffer(commandBuffer, pBeginInfo);
}
