/* vkw_guest_memory — see vkw_guest_memory.h. */
#define _GNU_SOURCE /* memfd_create, clock_gettime */
#include "vkw_guest_memory.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vkw_guest_conn.h"
#include "vkw_guest_encode.h"
#include "vkw_guest_entry.h"
#include "vkw_handshake.h"
#include "vkw_icd.h"
#include "vkw_memory_messages.h"
#include "vkw_vulkan_util.h"

/* The unit of dirty tracking and of shared allocations. */
#define PAGE ((VkDeviceSize)4096)
/* Bytes per WRITE/READ message: far below the message limit. */
#define CHUNK ((VkDeviceSize)64 << 20)
#define BUCKETS 1024

struct record {
    struct record *next;
    uint64_t handle; /* the VkDeviceMemory, which is its id */
    struct vkw_guest_conn *conn;
    VkDeviceSize size;
    bool coherent;
    bool shared;
    unsigned char *pages;      /* shared: the whole allocation; copied: the mapped range */
    unsigned char *clean;      /* copied and coherent: the host's bytes at the last sync */
    size_t shared_bytes;       /* shared: the length of the memfd mapping */
    bool mapped;
    VkDeviceSize map_offset, map_size;
};

static struct {
    pthread_mutex_t lock;
    struct record *buckets[BUCKETS];
    unsigned coherent_shadows; /* mapped copied coherent records: a fast "nothing to do" */
} memory = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};

static struct record **slot(uint64_t handle)
{
    struct record **p = &memory.buckets[(handle * 0x9E3779B97F4A7C15ull) >> 54];
    while (*p && (*p)->handle != handle)
        p = &(*p)->next;
    return p;
}

static struct record *find(VkDeviceMemory handle)
{
    return *slot(VKW_HANDLE_U64(handle));
}

static bool copied_coherent_mapped(const struct record *r)
{
    return r->mapped && !r->shared && r->coherent;
}

/* ---- moving bytes ---- */

static bool write_memory(struct vkw_guest_conn *conn, uint64_t id, VkDeviceSize offset,
                         const unsigned char *bytes, VkDeviceSize n)
{
    for (VkDeviceSize done = 0; done < n; done += CHUNK) {
        const VkDeviceSize part = n - done < CHUNK ? n - done : CHUNK;
        struct vkw_call call;
        struct vkw_writer *w = vkw_call_begin(conn, &call);
        size_t at = vkw_begin_command(w, VKW_MSG_WRITE_MEMORY, 0, call.serial);
        vkw_write_u64(w, id);
        vkw_write_u64(w, offset + done);
        vkw_write_u64(w, part);
        vkw_write_bytes(w, bytes + done, (size_t)part);
        vkw_end_message(w, at);
        vkw_call_send(&call);
    }
    return !conn->lost;
}

static bool read_memory(struct vkw_guest_conn *conn, uint64_t id, VkDeviceSize offset,
                        unsigned char *dst, VkDeviceSize n)
{
    for (VkDeviceSize done = 0; done < n; done += CHUNK) {
        const VkDeviceSize part = n - done < CHUNK ? n - done : CHUNK;
        struct vkw_call call;
        struct vkw_writer *w = vkw_call_begin(conn, &call);
        size_t at = vkw_begin_command(w, VKW_MSG_READ_MEMORY, VKW_COMMAND_FLAG_REPLY, call.serial);
        vkw_write_u64(w, id);
        vkw_write_u64(w, offset + done);
        vkw_write_u64(w, part);
        vkw_end_message(w, at);
        struct vkw_reader *r = vkw_call_wait(&call, false);
        if (r) {
            if (vkw_read_count(r, 1) != part)
                vkw_reader_fail(r, VKW_ERROR_BAD_COUNT, part);
            else
                vkw_read_bytes(r, dst + done, (size_t)part);
        }
        if (!vkw_call_end(&call, r))
            return false;
    }
    return true;
}

/* Send the pages of a coherent shadow that differ from the clean copy. */
static void push_dirty(struct record *r)
{
    for (VkDeviceSize at = 0; at < r->map_size;) {
        VkDeviceSize len = r->map_size - at < PAGE ? r->map_size - at : PAGE;
        if (memcmp(r->pages + at, r->clean + at, (size_t)len) == 0) {
            at += len;
            continue;
        }
        VkDeviceSize end = at + len; /* extend over the following dirty pages */
        while (end < r->map_size) {
            VkDeviceSize next = r->map_size - end < PAGE ? r->map_size - end : PAGE;
            if (memcmp(r->pages + end, r->clean + end, (size_t)next) == 0)
                break;
            end += next;
        }
        write_memory(r->conn, r->handle, r->map_offset + at, r->pages + at, end - at);
        memcpy(r->clean + at, r->pages + at, (size_t)(end - at));
        at = end;
    }
}

/* Bring back what the device wrote; pages the guest changed since the last
 * sync keep the guest's bytes (they travel at the next submission). */
static void pull(struct record *r)
{
    const size_t pages = (size_t)((r->map_size + PAGE - 1) / PAGE);
    unsigned char *dirty = calloc(pages ? pages : 1, 1);
    if (!dirty)
        return;
    for (size_t p = 0; p < pages; p++) {
        VkDeviceSize at = p * PAGE, len = r->map_size - at < PAGE ? r->map_size - at : PAGE;
        dirty[p] = memcmp(r->pages + at, r->clean + at, (size_t)len) != 0;
    }
    if (read_memory(r->conn, r->handle, r->map_offset, r->clean, r->map_size))
        for (size_t p = 0; p < pages; p++) {
            VkDeviceSize at = p * PAGE, len = r->map_size - at < PAGE ? r->map_size - at : PAGE;
            if (!dirty[p])
                memcpy(r->pages + at, r->clean + at, (size_t)len);
        }
    free(dirty);
}

void vkw_guest_memory_before_submit(struct vkw_guest_conn *conn)
{
    pthread_mutex_lock(&memory.lock);
    for (size_t b = 0; memory.coherent_shadows && b < BUCKETS; b++)
        for (struct record *r = memory.buckets[b]; r; r = r->next)
            if (r->conn == conn && copied_coherent_mapped(r))
                push_dirty(r);
    pthread_mutex_unlock(&memory.lock);
}

void vkw_guest_memory_after_wait(struct vkw_guest_conn *conn)
{
    pthread_mutex_lock(&memory.lock);
    for (size_t b = 0; memory.coherent_shadows && b < BUCKETS; b++)
        for (struct record *r = memory.buckets[b]; r; r = r->next)
            if (r->conn == conn && copied_coherent_mapped(r))
                pull(r);
    pthread_mutex_unlock(&memory.lock);
}

/* ---- allocation ---- */

static bool copy_mode_forced(void)
{
    const char *mode = getenv("VKWIRE_MEMORY");
    return mode && strcmp(mode, "copy") == 0;
}

/* Shared mode: the guest's memfd, imported by the host.  Returns the
 * result; *imported says whether the pages are shared (the memory exists on
 * the host either way when the result is not negative). */
static VkResult allocate_shared(VkDevice device, const VkMemoryAllocateInfo *info, uint64_t id,
                                struct record *rec, bool *imported)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(device);
    const size_t bytes = (size_t)((info->allocationSize + PAGE - 1) / PAGE * PAGE);
    *imported = false;
    int fd = memfd_create("vkwire-memory", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    /* Sealed against shrinking: the host maps these pages, and a file cut
     * short under it would fault the host (it refuses unsealed memfds). */
    if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
        if (fd >= 0)
            close(fd);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    void *pages = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (pages == MAP_FAILED) {
        close(fd);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    size_t at = vkw_begin_command(w, VKW_MSG_ALLOCATE_SHARED, VKW_COMMAND_FLAG_REPLY, call.serial);
    vkw_write_u64(w, vkw_guest_id_of(device));
    if (vkw_write_presence(w, info))
        vkw_encode_VkMemoryAllocateInfo(w, info);
    vkw_write_u64(w, id);
    vkw_write_u32(w, 0); /* the fd's index among the message's fds */
    vkw_end_message(w, at);
    call.fds = &fd;
    call.nfds = 1;
    struct vkw_reader *r = vkw_call_wait(&call, false);
    VkResult result = r ? (VkResult)vkw_read_i32(r) : VK_ERROR_DEVICE_LOST;
    const bool shared = r && vkw_read_u32(r) == 1;
    if (!vkw_call_end(&call, r))
        result = VK_ERROR_DEVICE_LOST;
    close(fd); /* the host has its own */
    if (result >= 0 && shared) {
        rec->pages = pages;
        rec->shared_bytes = bytes;
        rec->shared = *imported = true;
    } else {
        munmap(pages, bytes);
    }
    return result;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkAllocateMemory(VkDevice device,
                                                       const VkMemoryAllocateInfo *pAllocateInfo,
                                                       const VkAllocationCallbacks *pAllocator,
                                                       VkDeviceMemory *pMemory)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(device);
    VkPhysicalDeviceMemoryProperties props;
    vkw_forward_vkGetPhysicalDeviceMemoryProperties(vkw_guest_device_physical(device), &props);
    const uint32_t type = pAllocateInfo->memoryTypeIndex;
    const VkMemoryPropertyFlags flags =
        type < props.memoryTypeCount ? props.memoryTypes[type].propertyFlags : 0;
    if (!(flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) ||
        !(conn->agreed_features & VKW_FEATURE_MAPPED_MEMORY))
        return vkw_forward_vkAllocateMemory(device, pAllocateInfo, pAllocator, pMemory);

    struct record *rec = calloc(1, sizeof(*rec));
    if (!rec)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    rec->conn = conn;
    rec->size = pAllocateInfo->allocationSize;
    rec->coherent = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    VkResult result;
    bool imported = false;
    if (!copy_mode_forced()) {
        const uint64_t id = vkw_guest_new_id(conn);
        result = allocate_shared(device, pAllocateInfo, id, rec, &imported);
        if (result >= 0)
            *pMemory = VKW_U64_HANDLE(VkDeviceMemory, id);
    } else {
        result = vkw_forward_vkAllocateMemory(device, pAllocateInfo, pAllocator, pMemory);
    }
    if (result < 0) {
        free(rec);
        return result;
    }
    rec->handle = VKW_HANDLE_U64(*pMemory);
    pthread_mutex_lock(&memory.lock);
    *slot(rec->handle) = rec;
    pthread_mutex_unlock(&memory.lock);
    return result;
}

static void drop_mapping(struct record *r)
{
    if (!r->mapped)
        return;
    if (copied_coherent_mapped(r))
        memory.coherent_shadows--;
    if (!r->shared) {
        free(r->pages);
        free(r->clean);
        r->pages = r->clean = NULL;
    }
    r->mapped = false;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkFreeMemory(VkDevice device, VkDeviceMemory memory_,
                                               const VkAllocationCallbacks *pAllocator)
{
    vkw_forward_vkFreeMemory(device, memory_, pAllocator);
    pthread_mutex_lock(&memory.lock);
    struct record **p = slot(VKW_HANDLE_U64(memory_));
    struct record *r = *p;
    if (r) {
        *p = r->next;
        drop_mapping(r);
        if (r->shared)
            munmap(r->pages, r->shared_bytes);
        free(r);
    }
    pthread_mutex_unlock(&memory.lock);
}

/* ---- mapping ---- */

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkMapMemory(VkDevice device, VkDeviceMemory memory_,
                                                  VkDeviceSize offset, VkDeviceSize size,
                                                  VkMemoryMapFlags flags, void **ppData)
{
    (void)device, (void)flags;
    *ppData = NULL;
    pthread_mutex_lock(&memory.lock);
    struct record *r = find(memory_);
    if (size == VK_WHOLE_SIZE && r && offset < r->size)
        size = r->size - offset;
    if (!r || r->mapped || offset >= r->size || size == 0 || size > r->size - offset) {
        pthread_mutex_unlock(&memory.lock);
        return VK_ERROR_MEMORY_MAP_FAILED; /* not host-visible, mapped twice, or out of range */
    }
    if (!r->shared) {
        r->pages = malloc((size_t)size);
        r->clean = r->coherent ? malloc((size_t)size) : NULL;
        if (!r->pages || (r->coherent && !r->clean) ||
            !read_memory(r->conn, r->handle, offset, r->pages, size)) {
            free(r->pages), free(r->clean);
            r->pages = r->clean = NULL;
            pthread_mutex_unlock(&memory.lock);
            return VK_ERROR_MEMORY_MAP_FAILED;
        }
        if (r->clean)
            memcpy(r->clean, r->pages, (size_t)size);
    }
    r->mapped = true;
    r->map_offset = offset;
    r->map_size = size;
    if (copied_coherent_mapped(r))
        memory.coherent_shadows++;
    *ppData = r->shared ? r->pages + offset : r->pages;
    pthread_mutex_unlock(&memory.lock);
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkUnmapMemory(VkDevice device, VkDeviceMemory memory_)
{
    (void)device;
    pthread_mutex_lock(&memory.lock);
    struct record *r = find(memory_);
    if (r && copied_coherent_mapped(r))
        push_dirty(r); /* coherent: what was written must not be lost */
    if (r)
        drop_mapping(r);
    pthread_mutex_unlock(&memory.lock);
}

/* The part of a range that the mapping covers, as offsets into the shadow. */
static bool clip(const struct record *r, const VkMappedMemoryRange *range, VkDeviceSize *from,
                 VkDeviceSize *len)
{
    const VkDeviceSize map_end = r->map_offset + r->map_size;
    VkDeviceSize start = range->offset < r->map_offset ? r->map_offset : range->offset;
    VkDeviceSize end = range->size == VK_WHOLE_SIZE || range->size > map_end - range->offset
                           ? map_end
                           : range->offset + range->size;
    if (range->offset >= map_end || end <= start)
        return false;
    *from = start - r->map_offset;
    *len = end - start;
    return true;
}

/* Flush (to_host) or invalidate the parts of `ranges` a shadow covers;
 * shared pages need neither. */
static VkResult move_ranges(uint32_t count, const VkMappedMemoryRange *ranges, bool to_host)
{
    VkResult result = VK_SUCCESS;
    pthread_mutex_lock(&memory.lock);
    for (uint32_t i = 0; i < count; i++) {
        struct record *r = find(ranges[i].memory);
        VkDeviceSize from, len;
        if (!r || !r->mapped || r->shared || !clip(r, &ranges[i], &from, &len))
            continue;
        const uint64_t at = r->map_offset + from;
        if (!(to_host ? write_memory(r->conn, r->handle, at, r->pages + from, len)
                      : read_memory(r->conn, r->handle, at, r->pages + from, len)))
            result = VK_ERROR_DEVICE_LOST;
        else if (r->clean)
            memcpy(r->clean + from, r->pages + from, (size_t)len);
    }
    pthread_mutex_unlock(&memory.lock);
    return result;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkFlushMappedMemoryRanges(
    VkDevice device, uint32_t memoryRangeCount, const VkMappedMemoryRange *pMemoryRanges)
{
    (void)device;
    return move_ranges(memoryRangeCount, pMemoryRanges, true);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkInvalidateMappedMemoryRanges(
    VkDevice device, uint32_t memoryRangeCount, const VkMappedMemoryRange *pMemoryRanges)
{
    (void)device;
    return move_ranges(memoryRangeCount, pMemoryRanges, false);
}

/* ---- where coherent shadows sync ---- */

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueSubmit(VkQueue queue, uint32_t submitCount,
                                                    const VkSubmitInfo *pSubmits, VkFence fence)
{
    vkw_guest_memory_before_submit(vkw_guest_conn_of(queue));
    return vkw_forward_vkQueueSubmit(queue, submitCount, pSubmits, fence);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueSubmit2(VkQueue queue, uint32_t submitCount,
                                                     const VkSubmitInfo2 *pSubmits, VkFence fence)
{
    vkw_guest_memory_before_submit(vkw_guest_conn_of(queue));
    return vkw_forward_vkQueueSubmit2(queue, submitCount, pSubmits, fence);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueBindSparse(VkQueue queue, uint32_t bindInfoCount,
                                                        const VkBindSparseInfo *pBindInfo,
                                                        VkFence fence)
{
    vkw_guest_memory_before_submit(vkw_guest_conn_of(queue));
    return vkw_forward_vkQueueBindSparse(queue, bindInfoCount, pBindInfo, fence);
}

/* A wait holds the connection only a slice at a time, so the application's
 * other threads keep going through vkwire while one of them waits. */
#define WAIT_SLICE_NS 1000000ull

static uint64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Call `wait(slice)` until it stops timing out or `timeout` has passed. */
static VkResult sliced(VkResult (*wait)(void *args, uint64_t slice), void *args, uint64_t timeout)
{
    const uint64_t start = monotonic_ns();
    for (;;) {
        const uint64_t spent = monotonic_ns() - start;
        const uint64_t left = timeout > spent ? timeout - spent : 0;
        const VkResult r = wait(args, left < WAIT_SLICE_NS ? left : WAIT_SLICE_NS);
        if (r != VK_TIMEOUT || left <= WAIT_SLICE_NS)
            return r;
    }
}

struct fence_wait {
    VkDevice device;
    uint32_t count;
    const VkFence *fences;
    VkBool32 all;
};

static VkResult wait_fences(void *args, uint64_t slice)
{
    const struct fence_wait *w = args;
    return vkw_forward_vkWaitForFences(w->device, w->count, w->fences, w->all, slice);
}

struct semaphore_wait {
    VkDevice device;
    const VkSemaphoreWaitInfo *info;
};

static VkResult wait_semaphores(void *args, uint64_t slice)
{
    const struct semaphore_wait *w = args;
    return vkw_forward_vkWaitSemaphores(w->device, w->info, slice);
}

static VkResult after_wait(void *dispatchable, VkResult result)
{
    if (result == VK_SUCCESS)
        vkw_guest_memory_after_wait(vkw_guest_conn_of(dispatchable));
    return result;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkWaitForFences(VkDevice device, uint32_t fenceCount,
                                                      const VkFence *pFences, VkBool32 waitAll,
                                                      uint64_t timeout)
{
    struct fence_wait w = {device, fenceCount, pFences, waitAll};
    return after_wait(device, sliced(wait_fences, &w, timeout));
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetFenceStatus(VkDevice device, VkFence fence)
{
    return after_wait(device, vkw_forward_vkGetFenceStatus(device, fence));
}

/* vkQueueWaitIdle as a fence the queue signals once all its earlier work
 * is done (an empty submission), waited in slices like any fence: a host
 * vkQueueWaitIdle would hold the connection for the whole wait. */
static VkResult wait_queue_idle(VkQueue queue)
{
    const VkDevice device = vkw_guest_queue_device(queue);
    VkFence fence;
    VkResult r = vkw_guest_queue_idle_fence(queue, &fence);
    if (r == VK_SUCCESS)
        r = vkw_forward_vkQueueSubmit(queue, 0, NULL, fence);
    if (r != VK_SUCCESS)
        return r;
    struct fence_wait w = {device, 1, &fence, VK_TRUE};
    r = sliced(wait_fences, &w, UINT64_MAX);
    const VkResult reset = vkw_forward_vkResetFences(device, 1, &fence);
    return r != VK_SUCCESS ? r : reset;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueWaitIdle(VkQueue queue)
{
    return after_wait(queue, wait_queue_idle(queue));
}

/* Every queue the application has: no other queue can hold its work. */
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkDeviceWaitIdle(VkDevice device)
{
    VkResult r = VK_SUCCESS;
    VkQueue queue;
    for (size_t i = 0; r == VK_SUCCESS && (queue = vkw_guest_device_queue_at(device, i)); i++)
        r = wait_queue_idle(queue);
    return after_wait(device, r);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkWaitSemaphores(VkDevice device,
                                                       const VkSemaphoreWaitInfo *pWaitInfo,
                                                       uint64_t timeout)
{
    struct semaphore_wait w = {device, pWaitInfo};
    return after_wait(device, sliced(wait_semaphores, &w, timeout));
}
