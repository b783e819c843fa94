/* vkw_guest_commands — the guest's command buffers, their pools and their
 * recorded streams.  See vkw_guest_commands.h. */
#include "vkw_guest_commands.h"

#include <pthread.h>
#include <stdlib.h>

#include "vkw_guest_conn.h"
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
    struct vkw_writer stream;               /* recorded, not yet sent */
    struct vkw_writer_memory stream_memory; /* the stream's buffer: the pool's allocator */
    VkResult recording;                     /* the first failure since Begin: End returns it */
};

/* Pools are few: a list of (pool, its command buffers) under one mutex.
 * A pool's record is made with it, through its allocator, which its
 * command buffers (objects and streams) come from too. */
struct pool_record {
    uint64_t pool;
    struct vkw_guest_command_buffer *buffers;
    struct pool_record *next;
    struct vkw_alloc alloc;
};

static struct {
    pthread_mutex_t lock;
    struct pool_record *pools;
} commands = {PTHREAD_MUTEX_INITIALIZER, NULL};

static struct pool_record *pool_of(uint64_t pool)
{
    for (struct pool_record *p = commands.pools; p; p = p->next)
        if (p->pool == pool)
            return p;
    return NULL;
}

size_t vkw_guest_command_buffer_size(void)
{
    return sizeof(struct vkw_guest_command_buffer);
}

void vkw_guest_command_buffer_release(void *command_buffer)
{
    struct vkw_guest_command_buffer *cb = command_buffer;
    vkw_writer_fini(&cb->stream);
}

/* Forget what was recorded and not sent (reset, Begin, pool reset). */
static void drop_stream(struct vkw_guest_command_buffer *cb)
{
    vkw_writer_reset(&cb->stream);
    cb->recording = VK_SUCCESS;
}

/* Send what was recorded.  After a failure the rest of the recording is
 * dropped: End reports it, and the host never runs a stream with a hole. */
static void send_stream(struct vkw_guest_command_buffer *cb)
{
    if (cb->recording == VK_SUCCESS && cb->stream.failed)
        cb->recording = VK_ERROR_OUT_OF_HOST_MEMORY;
    if (cb->recording == VK_SUCCESS &&
        !vkw_guest_conn_send_recorded(cb->obj.conn, cb->stream.data, cb->stream.size))
        cb->recording = VK_ERROR_DEVICE_LOST;
    vkw_writer_reset(&cb->stream);
}

struct vkw_writer *vkw_guest_record(VkCommandBuffer command_buffer, uint32_t opcode)
{
    struct vkw_guest_command_buffer *cb = (void *)command_buffer;
    if (cb->recording != VK_SUCCESS)
        return NULL;
    if (opcode > cb->obj.conn->agreed_minor) { /* fixed at connect: no lock needed */
        vkw_guest_conn_fail(cb->obj.conn,
                            "the host is older and does not know a command the application recorded");
        cb->recording = VK_ERROR_DEVICE_LOST;
        return NULL;
    }
    return &cb->stream;
}

void vkw_guest_recorded(VkCommandBuffer command_buffer)
{
    struct vkw_guest_command_buffer *cb = (void *)command_buffer;
    if (cb->stream.size >= VKW_RECORD_CHUNK_BYTES || cb->stream.failed)
        send_stream(cb);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPreprocessGeneratedCommandsEXT(
    VkCommandBuffer commandBuffer, const VkGeneratedCommandsInfoEXT *pGeneratedCommandsInfo,
    VkCommandBuffer stateCommandBuffer)
{
    /* The driver takes stateCommandBuffer's state as it stands when this is
     * recorded; the host records each stream as it arrives, so what the
     * state buffer recorded so far goes first, and this command right after,
     * before the state buffer records anything else (both are the
     * application's to synchronise, as Vulkan says). */
    struct vkw_guest_command_buffer *state = (void *)stateCommandBuffer;
    if (state && state != (void *)commandBuffer && state->stream.size)
        send_stream(state);
    vkw_forward_vkCmdPreprocessGeneratedCommandsEXT(commandBuffer, pGeneratedCommandsInfo,
                                                    stateCommandBuffer);
    send_stream((struct vkw_guest_command_buffer *)commandBuffer);
}

static void unlink_buffer(struct vkw_guest_command_buffer *cb)
{
    struct pool_record *p = pool_of(cb->pool);
    for (struct vkw_guest_command_buffer **b = p ? &p->buffers : NULL; b && *b; b = &(*b)->next)
        if (*b == cb) {
            *b = cb->next;
            return;
        }
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateCommandPool(
    VkDevice device, const VkCommandPoolCreateInfo *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkCommandPool *pCommandPool)
{
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
    struct pool_record *p = vkw_zalloc(&alloc, sizeof(*p), VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
    if (!p)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    p->alloc = alloc;
    const VkResult result = vkw_forward_vkCreateCommandPool(device, pCreateInfo, pAllocator,
                                                            pCommandPool);
    if (result != VK_SUCCESS) {
        vkw_free(&alloc, p);
        return result;
    }
    p->pool = VKW_HANDLE_U64(*pCommandPool);
    pthread_mutex_lock(&commands.lock);
    p->next = commands.pools;
    commands.pools = p;
    pthread_mutex_unlock(&commands.lock);
    return result;
}

/* The command buffers are made through their pool's allocator before the
 * command is sent; when any cannot be, or the host fails, none is, and
 * every handle is VK_NULL_HANDLE, as Vulkan says. */
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkAllocateCommandBuffers(
    VkDevice device, const VkCommandBufferAllocateInfo *pAllocateInfo,
    VkCommandBuffer *pCommandBuffers)
{
    const uint32_t n = pAllocateInfo->commandBufferCount;
    const uint64_t pool = VKW_HANDLE_U64(pAllocateInfo->commandPool);
    pthread_mutex_lock(&commands.lock);
    /* The application synchronises the pool: its record stays while this runs. */
    struct pool_record *p = pool_of(pool);
    pthread_mutex_unlock(&commands.lock);
    VkResult result = p ? VK_SUCCESS : VK_ERROR_OUT_OF_HOST_MEMORY; /* a pool vkwire never made */
    struct vkw_guest_command_buffer *made = NULL; /* the objects, last first */
    for (uint32_t i = 0; i < n; i++) {
        struct vkw_guest_command_buffer *cb =
            result == VK_SUCCESS
                ? vkw_guest_new_object(vkw_guest_conn_of(device), VKW_HANDLE_VkCommandBuffer,
                                       &p->alloc, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT)
                : NULL;
        if (cb) {
            cb->level = pAllocateInfo->level;
            cb->pool = pool;
            vkw_alloc_writer(&cb->stream, &cb->stream_memory, &p->alloc); /* else zeroed */
            cb->next = made;
            made = cb;
        } else {
            result = VK_ERROR_OUT_OF_HOST_MEMORY;
        }
        pCommandBuffers[i] = (VkCommandBuffer)cb;
    }
    if (result == VK_SUCCESS)
        result = vkw_forward_vkAllocateCommandBuffers(device, pAllocateInfo, pCommandBuffers);
    /* The objects go to the pool's list; on failure they go (the reply
     * may have cleared handles, so the list is what is freed). */
    pthread_mutex_lock(&commands.lock);
    for (struct vkw_guest_command_buffer *cb = made, *next; cb; cb = next) {
        next = cb->next;
        if (result < 0) {
            vkw_guest_free_object(cb);
        } else {
            cb->next = p->buffers;
            p->buffers = cb;
        }
    }
    pthread_mutex_unlock(&commands.lock);
    for (uint32_t i = 0; result < 0 && i < n; i++)
        pCommandBuffers[i] = VK_NULL_HANDLE;
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
    vkw_forward_vkFreeCommandBuffers(device, commandPool, commandBufferCount, pCommandBuffers);
    for (uint32_t i = 0; i < commandBufferCount; i++)
        vkw_guest_free_object(pCommandBuffers[i]);
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
        const struct vkw_alloc alloc = dead->alloc;
        vkw_free(&alloc, dead);
        break;
    }
    pthread_mutex_unlock(&commands.lock);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkResetCommandPool(VkDevice device,
                                                         VkCommandPool commandPool,
                                                         VkCommandPoolResetFlags flags)
{
    pthread_mutex_lock(&commands.lock);
    struct pool_record *p = pool_of(VKW_HANDLE_U64(commandPool));
    for (struct vkw_guest_command_buffer *cb = p ? p->buffers : NULL; cb; cb = cb->next)
        drop_stream(cb);
    pthread_mutex_unlock(&commands.lock);
    return vkw_forward_vkResetCommandPool(device, commandPool, flags);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBeginCommandBuffer(VkCommandBuffer commandBuffer,
                                                           const VkCommandBufferBeginInfo *pBeginInfo)
{
    struct vkw_guest_command_buffer *cb = (void *)commandBuffer;
    drop_stream(cb); /* Begin resets a command buffer implicitly */
    const VkCommandBufferInheritanceInfo *inherit = pBeginInfo->pInheritanceInfo;
    if (cb->level == VK_COMMAND_BUFFER_LEVEL_PRIMARY && inherit) {
        /* Vulkan says a primary command buffer ignores pInheritanceInfo, so
         * it may point anywhere: it must not be read, let alone sent. */
        VkCommandBufferBeginInfo primary = *pBeginInfo;
        primary.pInheritanceInfo = NULL;
        return vkw_forward_vkBeginCommandBuffer(commandBuffer, &primary);
    }
    if (inherit && !(pBeginInfo->flags & VK_COMMAND_BUFFER_USAGE_RENDER_PASS_CONTINUE_BIT) &&
        (inherit->renderPass || inherit->framebuffer)) {
        /* Outside a render pass a secondary's render pass and framebuffer
         * are ignored, so they may be stale handles the host would refuse. */
        VkCommandBufferInheritanceInfo outside = *inherit;
        outside.renderPass = VK_NULL_HANDLE;
        outside.framebuffer = VK_NULL_HANDLE;
        VkCommandBufferBeginInfo secondary = *pBeginInfo;
        secondary.pInheritanceInfo = &outside;
        return vkw_forward_vkBeginCommandBuffer(commandBuffer, &secondary);
    }
    return vkw_forward_vkBeginCommandBuffer(commandBuffer, pBeginInfo);
}

/* A stream this large is freed at End rather than kept for the next
 * recording: many idle command buffers must not hold a chunk each. */
#define KEEP_STREAM_BYTES ((size_t)64 << 10)

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEndCommandBuffer(VkCommandBuffer commandBuffer)
{
    struct vkw_guest_command_buffer *cb = (void *)commandBuffer;
    send_stream(cb);
    const VkResult recorded = cb->recording;
    cb->recording = VK_SUCCESS;
    if (cb->stream.capacity > KEEP_STREAM_BYTES)
        vkw_writer_fini(&cb->stream); /* leaves an empty writer */
    const VkResult ended = vkw_forward_vkEndCommandBuffer(commandBuffer);
    return recorded != VK_SUCCESS ? recorded : ended;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkResetCommandBuffer(VkCommandBuffer commandBuffer,
                                                           VkCommandBufferResetFlags flags)
{
    drop_stream((struct vkw_guest_command_buffer *)commandBuffer);
    return vkw_forward_vkResetCommandBuffer(commandBuffer, flags);
}
