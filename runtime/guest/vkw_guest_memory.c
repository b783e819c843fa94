/* vkw_guest_memory — see vkw_guest_memory.h. */
#define _GNU_SOURCE /* clock_gettime */
#include "vkw_guest_memory.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vkw_guest_buffers.h"
#include "vkw_guest_conn.h"
#include "vkw_guest_encode.h"
#include "vkw_guest_entry.h"
#include "vkw_guest_shadow.h"
#include "vkw_handshake.h"
#include "vkw_icd.h"
#include "vkw_memory_messages.h"
#include "vkw_vulkan_util.h"

/* The unit of shared allocations. */
#define PAGE ((VkDeviceSize)4096)
#define BUCKETS 1024

struct record {
    struct record *next;
    uint64_t handle; /* the VkDeviceMemory, which is its id */
    struct vkw_guest_conn *conn;
    VkDeviceSize size;
    bool coherent;
    bool imported;      /* shared mode: the host imported `pages` */
    bool share_shadow;  /* copied: its shadow may be a memfd the host maps */
    bool device_writes; /* an image, or a buffer the device may write, was bound to it */
    bool host_pointer;  /* imported: `pages` are the application's (VK_EXT_external_memory_host) */
    unsigned char *pages;  /* imported: the whole allocation */
    size_t pages_bytes;    /* imported: the length of the memfd mapping */
    bool mapped;
    VkDeviceSize map_offset, map_size;
    void *placed;        /* mapped at the application's address (VK_EXT_map_memory_placed) */
    size_t placed_bytes; /* imported: the length of the pages' second mapping there */
    struct vkw_guest_shadow shadow; /* copied and mapped */
    /* The memory's allocator (its own, else its device's): the record and
     * its shadow's heap memory come from it. */
    struct vkw_alloc alloc;
};

/* A record for memory of `device`, through its allocator; NULL when out
 * of memory. */
static struct record *new_record(VkDevice device, const VkAllocationCallbacks *pAllocator,
                                 VkDeviceSize size, VkMemoryPropertyFlags flags)
{
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
    struct record *rec = vkw_zalloc(&alloc, sizeof(*rec), VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
    if (!rec)
        return NULL;
    rec->alloc = alloc;
    rec->conn = vkw_guest_conn_of(device);
    rec->size = size;
    rec->coherent = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    return rec;
}

static void free_record(struct record *rec)
{
    const struct vkw_alloc alloc = rec->alloc;
    vkw_free(&alloc, rec);
}

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
    return r->mapped && !r->imported && r->coherent;
}

void vkw_guest_memory_before_submit(struct vkw_guest_conn *conn)
{
    pthread_mutex_lock(&memory.lock);
    for (size_t b = 0; memory.coherent_shadows && b < BUCKETS; b++)
        for (struct record *r = memory.buckets[b]; r; r = r->next)
            if (r->conn == conn && copied_coherent_mapped(r))
                vkw_guest_shadow_push(&r->shadow);
    pthread_mutex_unlock(&memory.lock);
}

void vkw_guest_memory_after_wait(struct vkw_guest_conn *conn)
{
    pthread_mutex_lock(&memory.lock);
    for (size_t b = 0; memory.coherent_shadows && b < BUCKETS; b++)
        for (struct record *r = memory.buckets[b]; r; r = r->next)
            if (r->conn == conn && copied_coherent_mapped(r))
                vkw_guest_shadow_pull(&r->shadow); /* nothing where the device cannot write */
    pthread_mutex_unlock(&memory.lock);
}

/* ---- allocation ---- */

/* VKWIRE_MEMORY: unset (or anything else) shares pages where the host can
 * import them; "copy" always copies, through a shared shadow where the
 * transport allows; "copy-socket" copies every byte over the socket. */
enum memory_mode { MODE_SHARED, MODE_COPY, MODE_COPY_SOCKET };

static enum memory_mode memory_mode(void)
{
    const char *mode = getenv("VKWIRE_MEMORY");
    if (mode && strcmp(mode, "copy") == 0)
        return MODE_COPY;
    if (mode && strcmp(mode, "copy-socket") == 0)
        return MODE_COPY_SOCKET;
    return MODE_SHARED;
}

/* Shared mode: the guest's memfd, imported by the host.  Returns the
 * result; rec->imported says whether the pages are shared (the memory
 * exists on the host either way when the result is not negative). */
static VkResult allocate_shared(VkDevice device, const VkMemoryAllocateInfo *info, uint64_t id,
                                struct record *rec)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(device);
    const size_t bytes = (size_t)((info->allocationSize + PAGE - 1) / PAGE * PAGE);
    void *pages = NULL;
    int fd = vkw_guest_memfd(bytes, &pages);
    if (fd < 0)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
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
        rec->pages_bytes = bytes;
        rec->imported = true;
    } else {
        munmap(pages, bytes);
    }
    return result;
}

/* ---- budgets (VK_EXT_memory_budget) ---- */

/* A physical device's answers are kept (the reply cache), but a budget is
 * the memory in use now: a chain that asks for one goes to the host every
 * time. */
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceMemoryProperties2(
    VkPhysicalDevice physicalDevice, VkPhysicalDeviceMemoryProperties2 *pMemoryProperties)
{
    if (!vkw_chain_find(pMemoryProperties->pNext,
                        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT)) {
        vkw_forward_vkGetPhysicalDeviceMemoryProperties2(physicalDevice, pMemoryProperties);
        return;
    }
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(vkw_guest_conn_of(physicalDevice), &call);
    vkw_encode_vkGetPhysicalDeviceMemoryProperties2(w, call.serial, physicalDevice,
                                                    pMemoryProperties);
    struct vkw_reader *r = vkw_call_wait(&call, false);
    if (r)
        vkw_decode_reply_vkGetPhysicalDeviceMemoryProperties2(r, physicalDevice,
                                                              pMemoryProperties);
    vkw_call_end(&call, r); /* a lost connection answers nothing: Vulkan has no error here */
}

/* ---- host pointers (VK_EXT_external_memory_host) ---- */

/* One import at a time: the check of the application's pages, their move
 * and the answer go together. */
static pthread_mutex_t host_pointer_lock = PTHREAD_MUTEX_INITIALIZER;

/* Give [p, p + size) back to the application as private pages holding
 * what they hold now: built aside, then moved over in one step. */
static bool pages_to_private(void *p, size_t size)
{
    void *aside = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (aside == MAP_FAILED)
        return false;
    memcpy(aside, p, size);
    if (mremap(aside, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, p) == MAP_FAILED) {
        munmap(aside, size);
        return false;
    }
    return true;
}

/* The application's pages become a memfd's, at the same address, with the
 * same bytes; the host imports the memfd or nothing (IMPORT_HOST_POINTER).
 * On any failure the pages are the application's private ones again. */
static VkResult import_host_pointer(VkDevice device, const VkMemoryAllocateInfo *info,
                                    const VkImportMemoryHostPointerInfoEXT *import, uint64_t id,
                                    struct record *rec)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(device);
    const VkDeviceSize align = vkw_guest_external_host_alignment(vkw_guest_device_physical(device));
    void *p = import->pHostPointer;
    const VkDeviceSize size = info->allocationSize;
    if (!vkw_guest_external_host_pointers(conn) ||
        import->handleType != VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT || !p ||
        (uintptr_t)p % align != 0 || size == 0 || size % align != 0 || size > SIZE_MAX / 2)
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    pthread_mutex_lock(&host_pointer_lock);
    /* Pages already imported are a memfd's, no longer private: refused too. */
    if (!vkw_guest_external_pages_movable(p, (size_t)size)) {
        pthread_mutex_unlock(&host_pointer_lock);
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    void *aside = NULL;
    const int fd = vkw_guest_memfd((size_t)size, &aside);
    if (fd < 0) {
        pthread_mutex_unlock(&host_pointer_lock);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    memcpy(aside, p, (size_t)size);
    munmap(aside, (size_t)size);
    if (mmap(p, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
        close(fd);
        pthread_mutex_unlock(&host_pointer_lock);
        return VK_ERROR_OUT_OF_HOST_MEMORY; /* the application's pages are untouched */
    }
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    size_t at = vkw_begin_command(w, VKW_MSG_IMPORT_HOST_POINTER, VKW_COMMAND_FLAG_REPLY,
                                  call.serial);
    vkw_write_u64(w, vkw_guest_id_of(device));
    if (vkw_write_presence(w, info))
        vkw_encode_VkMemoryAllocateInfo(w, info); /* the pointer's struct is never sent */
    vkw_write_u64(w, id);
    vkw_write_u32(w, 0); /* the fd's index among the message's fds */
    vkw_end_message(w, at);
    call.fds = &fd;
    call.nfds = 1;
    struct vkw_reader *r = vkw_call_wait(&call, false);
    VkResult result = r ? (VkResult)vkw_read_i32(r) : VK_ERROR_DEVICE_LOST;
    if (!vkw_call_end(&call, r))
        result = VK_ERROR_DEVICE_LOST;
    close(fd); /* the host has its own; the mapping keeps the pages */
    if (result == VK_SUCCESS) {
        rec->pages = p;
        rec->pages_bytes = (size_t)size;
        rec->imported = true;
        rec->host_pointer = true;
    } else if (!pages_to_private(p, (size_t)size)) {
        /* The pages stay the memfd's: the bytes are right, only private
         * becomes shared (the memfd is the process's alone).  Tell once. */
        fprintf(stderr, "vkwire: could not give host pointer %p its private pages back\n", p);
    }
    pthread_mutex_unlock(&host_pointer_lock);
    return result == VK_ERROR_DEVICE_LOST ? VK_ERROR_OUT_OF_HOST_MEMORY : result;
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
    const VkImportMemoryHostPointerInfoEXT *host_pointer = (const void *)vkw_chain_find(
        (void *)pAllocateInfo->pNext, VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT);
    if (host_pointer && host_pointer->handleType) {
        /* The application's pages, whatever the type: it maps them itself. */
        struct record *rec = new_record(device, pAllocator, pAllocateInfo->allocationSize, flags);
        if (!rec)
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        const uint64_t id = vkw_guest_new_id(conn);
        const VkResult result = import_host_pointer(device, pAllocateInfo, host_pointer, id, rec);
        if (result != VK_SUCCESS) {
            free_record(rec);
            return result;
        }
        *pMemory = VKW_U64_HANDLE(VkDeviceMemory, id);
        rec->handle = id;
        pthread_mutex_lock(&memory.lock);
        *slot(rec->handle) = rec;
        pthread_mutex_unlock(&memory.lock);
        return VK_SUCCESS;
    }
    if (!(flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) ||
        !(conn->agreed_features & VKW_FEATURE_MAPPED_MEMORY))
        return vkw_forward_vkAllocateMemory(device, pAllocateInfo, pAllocator, pMemory);

    struct record *rec = new_record(device, pAllocator, pAllocateInfo->allocationSize, flags);
    if (!rec)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    const enum memory_mode mode = memory_mode();
    rec->share_shadow = mode != MODE_COPY_SOCKET;
    /* Memory exported or imported through an fd is the driver's own (the
     * guest's pages cannot be both imported and exported), and whatever
     * else holds it may write it, like the device. */
    void *chain = (void *)pAllocateInfo->pNext;
    const VkImportMemoryFdInfoKHR *import_fd =
        (const void *)vkw_chain_find(chain, VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR);
    const bool external = vkw_chain_find(chain, VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO) ||
                          (import_fd && import_fd->handleType);
    rec->device_writes = external;
    VkResult result;
    if (mode == MODE_SHARED && !external && vkw_conn_passes_fds(conn->transport)) {
        const uint64_t id = vkw_guest_new_id(conn);
        result = allocate_shared(device, pAllocateInfo, id, rec);
        if (result >= 0)
            *pMemory = VKW_U64_HANDLE(VkDeviceMemory, id);
    } else {
        result = vkw_forward_vkAllocateMemory(device, pAllocateInfo, pAllocator, pMemory);
    }
    if (result < 0) {
        free_record(rec);
        return result;
    }
    rec->handle = VKW_HANDLE_U64(*pMemory);
    pthread_mutex_lock(&memory.lock);
    *slot(rec->handle) = rec;
    pthread_mutex_unlock(&memory.lock);
    return result;
}

/* End the application's mapping; `alive`: the memory still exists (a
 * coherent shadow sends what was written, the host stops tracking).
 * `reserve`: a placed mapping's range stays the application's, reserved
 * (VK_MEMORY_UNMAP_RESERVE_BIT_EXT); otherwise it is unmapped. */
static void drop_mapping(struct record *r, bool alive, bool reserve)
{
    if (!r->mapped)
        return;
    if (copied_coherent_mapped(r))
        memory.coherent_shadows--;
    size_t placed_bytes = r->placed_bytes;
    if (!r->imported) {
        placed_bytes = r->shadow.placed_bytes;
        if (alive)
            vkw_guest_shadow_close(&r->shadow); /* unmaps a placed shadow */
        else
            vkw_guest_shadow_drop(&r->shadow);
    } else if (r->placed) {
        munmap(r->placed, placed_bytes); /* the pages' second mapping */
    }
    if (r->placed && reserve &&
        mmap(r->placed, placed_bytes, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
        fprintf(stderr, "vkwire: could not keep %p reserved after vkUnmapMemory2\n", r->placed);
    r->placed = NULL;
    r->placed_bytes = 0;
    r->mapped = false;
}

/* The memory is gone (freed, or its connection closed): its mapping, its
 * pages and the record.  Under the lock, unlinked. */
static void forget_record(struct record *r)
{
    drop_mapping(r, false, false); /* freeing ended the host's tracking too */
    if (r->host_pointer && !pages_to_private(r->pages, r->pages_bytes))
        fprintf(stderr, "vkwire: could not give host pointer %p its private pages back\n",
                (void *)r->pages);
    else if (r->imported && !r->host_pointer)
        munmap(r->pages, r->pages_bytes);
    free_record(r);
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
        forget_record(r);
    }
    pthread_mutex_unlock(&memory.lock);
}

void vkw_guest_memory_forget_conn(struct vkw_guest_conn *conn)
{
    pthread_mutex_lock(&memory.lock);
    for (size_t b = 0; b < BUCKETS; b++)
        for (struct record **p = &memory.buckets[b]; *p;) {
            struct record *r = *p;
            if (r->conn != conn) {
                p = &r->next;
                continue;
            }
            *p = r->next;
            forget_record(r);
        }
    pthread_mutex_unlock(&memory.lock);
}

/* ---- what the device can write ---- */

/* `memory` had something bound to it; `writable`: the device may write
 * through it.  Once set, the mark stays (the resource may go, its writes
 * may still be on the way). */
static void note_bound(VkDeviceMemory memory_, bool writable)
{
    if (!writable || memory_ == VK_NULL_HANDLE)
        return;
    pthread_mutex_lock(&memory.lock);
    struct record *r = find(memory_);
    if (r && !r->device_writes) {
        r->device_writes = true;
        if (r->mapped && !r->imported) /* its shadow must now be pulled too */
            vkw_guest_shadow_device_writes(&r->shadow);
    }
    pthread_mutex_unlock(&memory.lock);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBindBufferMemory(VkDevice device, VkBuffer buffer,
                                                         VkDeviceMemory memory_,
                                                         VkDeviceSize memoryOffset)
{
    note_bound(memory_, !vkw_guest_buffer_read_only(buffer));
    return vkw_forward_vkBindBufferMemory(device, buffer, memory_, memoryOffset);
}

/* VkBindMemoryStatus (maintenance6): binding is asynchronous, so each
 * bind's status is the call's own answer (a host failure is exhaustion,
 * reported at the next wait, PROTOCOL "Asynchronous commands"). */
static void report_bind_status(const void *chain, VkResult result)
{
    const VkBindMemoryStatus *status =
        (const VkBindMemoryStatus *)vkw_chain_find((void *)chain, VK_STRUCTURE_TYPE_BIND_MEMORY_STATUS);
    if (status && status->pResult)
        *status->pResult = result;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBindBufferMemory2(
    VkDevice device, uint32_t bindInfoCount, const VkBindBufferMemoryInfo *pBindInfos)
{
    for (uint32_t i = 0; pBindInfos && i < bindInfoCount; i++)
        note_bound(pBindInfos[i].memory, !vkw_guest_buffer_read_only(pBindInfos[i].buffer));
    VkResult result = vkw_forward_vkBindBufferMemory2(device, bindInfoCount, pBindInfos);
    for (uint32_t i = 0; pBindInfos && i < bindInfoCount; i++)
        report_bind_status(pBindInfos[i].pNext, result);
    return result;
}

/* Images count as writable whatever their usage: a layout transition may
 * rewrite their memory. */
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBindImageMemory(VkDevice device, VkImage image,
                                                        VkDeviceMemory memory_,
                                                        VkDeviceSize memoryOffset)
{
    note_bound(memory_, true);
    return vkw_forward_vkBindImageMemory(device, image, memory_, memoryOffset);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkBindImageMemory2(VkDevice device, uint32_t bindInfoCount,
                                                         const VkBindImageMemoryInfo *pBindInfos)
{
    for (uint32_t i = 0; pBindInfos && i < bindInfoCount; i++)
        note_bound(pBindInfos[i].memory, true);
    VkResult result = vkw_forward_vkBindImageMemory2(device, bindInfoCount, pBindInfos);
    for (uint32_t i = 0; pBindInfos && i < bindInfoCount; i++)
        report_bind_status(pBindInfos[i].pNext, result);
    return result;
}

/* Sparse bindings: every memory named may be written. */
static void note_sparse(uint32_t count, const VkBindSparseInfo *infos)
{
    for (uint32_t i = 0; infos && i < count; i++) {
        const VkBindSparseInfo *b = &infos[i];
        for (uint32_t j = 0; b->pBufferBinds && j < b->bufferBindCount; j++)
            for (uint32_t k = 0; k < b->pBufferBinds[j].bindCount; k++)
                note_bound(b->pBufferBinds[j].pBinds[k].memory, true);
        for (uint32_t j = 0; b->pImageOpaqueBinds && j < b->imageOpaqueBindCount; j++)
            for (uint32_t k = 0; k < b->pImageOpaqueBinds[j].bindCount; k++)
                note_bound(b->pImageOpaqueBinds[j].pBinds[k].memory, true);
        for (uint32_t j = 0; b->pImageBinds && j < b->imageBindCount; j++)
            for (uint32_t k = 0; k < b->pImageBinds[j].bindCount; k++)
                note_bound(b->pImageBinds[j].pBinds[k].memory, true);
    }
}

/* ---- mapping ---- */

/* Map [offset, offset + size) of the memory for the application: its
 * pages, or a shadow; at `placed` when it is not NULL (the application
 * reserved that range: VK_EXT_map_memory_placed, which the guest carries
 * out whatever the host's driver offers, since mappings are the guest's). */
static VkResult map_memory(VkDeviceMemory memory_, VkDeviceSize offset, VkDeviceSize size,
                           void *placed, void **ppData)
{
    *ppData = NULL;
    pthread_mutex_lock(&memory.lock);
    struct record *r = find(memory_);
    if (size == VK_WHOLE_SIZE && r && offset < r->size)
        size = r->size - offset;
    if (!r || r->mapped || offset >= r->size || size == 0 || size > r->size - offset ||
        (placed && ((uintptr_t)placed % PAGE != 0 || offset % PAGE != 0 ||
                    size > SIZE_MAX - PAGE))) {
        pthread_mutex_unlock(&memory.lock);
        return VK_ERROR_MEMORY_MAP_FAILED; /* not host-visible, mapped twice, or out of range */
    }
    const size_t whole = (size_t)((size + PAGE - 1) / PAGE * PAGE);
    if (r->imported && placed) {
        /* A second mapping of the same shared pages, over the reservation. */
        if (offset + whole > r->pages_bytes ||
            mremap(r->pages + offset, 0, whole, MREMAP_MAYMOVE | MREMAP_FIXED, placed) ==
                MAP_FAILED) {
            pthread_mutex_unlock(&memory.lock);
            return VK_ERROR_MEMORY_MAP_FAILED;
        }
        r->placed_bytes = whole;
    }
    const VkResult opened =
        r->imported ? VK_SUCCESS
                    : vkw_guest_shadow_open_at(&r->shadow, r->conn, r->handle, offset, size,
                                               r->coherent, r->share_shadow, r->device_writes,
                                               placed, &r->alloc);
    if (opened != VK_SUCCESS) {
        pthread_mutex_unlock(&memory.lock);
        return opened;
    }
    r->mapped = true;
    r->placed = placed;
    r->map_offset = offset;
    r->map_size = size;
    if (copied_coherent_mapped(r))
        memory.coherent_shadows++;
    *ppData = placed ? placed : r->imported ? r->pages + offset : r->shadow.bytes;
    pthread_mutex_unlock(&memory.lock);
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkMapMemory(VkDevice device, VkDeviceMemory memory_,
                                                  VkDeviceSize offset, VkDeviceSize size,
                                                  VkMemoryMapFlags flags, void **ppData)
{
    (void)device, (void)flags;
    return map_memory(memory_, offset, size, NULL, ppData);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkUnmapMemory(VkDevice device, VkDeviceMemory memory_)
{
    (void)device;
    pthread_mutex_lock(&memory.lock);
    struct record *r = find(memory_);
    if (r)
        drop_mapping(r, true, false);
    pthread_mutex_unlock(&memory.lock);
}

/* vkMapMemory2 and vkUnmapMemory2 (Vulkan 1.4, VK_KHR_map_memory2): the
 * same mapping, described by a struct, and placed mappings. */
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkMapMemory2(VkDevice device,
                                                   const VkMemoryMapInfo *pMemoryMapInfo,
                                                   void **ppData)
{
    (void)device;
    void *placed = NULL;
    if (pMemoryMapInfo->flags & VK_MEMORY_MAP_PLACED_BIT_EXT) {
        const VkMemoryMapPlacedInfoEXT *info = (const void *)vkw_chain_find(
            (void *)pMemoryMapInfo->pNext, VK_STRUCTURE_TYPE_MEMORY_MAP_PLACED_INFO_EXT);
        if (!info || !info->pPlacedAddress)
            return VK_ERROR_MEMORY_MAP_FAILED;
        placed = info->pPlacedAddress;
    }
    return map_memory(pMemoryMapInfo->memory, pMemoryMapInfo->offset, pMemoryMapInfo->size,
                      placed, ppData);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkUnmapMemory2(VkDevice device,
                                                     const VkMemoryUnmapInfo *pMemoryUnmapInfo)
{
    (void)device;
    pthread_mutex_lock(&memory.lock);
    struct record *r = find(pMemoryUnmapInfo->memory);
    if (r)
        drop_mapping(r, true, (pMemoryUnmapInfo->flags & VK_MEMORY_UNMAP_RESERVE_BIT_EXT) != 0);
    pthread_mutex_unlock(&memory.lock);
    return VK_SUCCESS;
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
 * imported pages need neither. */
static VkResult move_ranges(uint32_t count, const VkMappedMemoryRange *ranges, bool to_host)
{
    VkResult result = VK_SUCCESS;
    pthread_mutex_lock(&memory.lock);
    for (uint32_t i = 0; i < count; i++) {
        struct record *r = find(ranges[i].memory);
        VkDeviceSize from, len;
        if (!r || !r->mapped || r->imported || !clip(r, &ranges[i], &from, &len))
            continue;
        if (!(to_host ? vkw_guest_shadow_flush(&r->shadow, from, len)
                      : vkw_guest_shadow_invalidate(&r->shadow, from, len)))
            result = VK_ERROR_DEVICE_LOST;
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
    vkw_guest_sync_submit(queue, 1, submitCount, pSubmits, fence);
    return vkw_forward_vkQueueSubmit(queue, submitCount, pSubmits, fence);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueSubmit2(VkQueue queue, uint32_t submitCount,
                                                     const VkSubmitInfo2 *pSubmits, VkFence fence)
{
    vkw_guest_memory_before_submit(vkw_guest_conn_of(queue));
    vkw_guest_sync_submit(queue, 2, submitCount, pSubmits, fence);
    return vkw_forward_vkQueueSubmit2(queue, submitCount, pSubmits, fence);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkQueueBindSparse(VkQueue queue, uint32_t bindInfoCount,
                                                        const VkBindSparseInfo *pBindInfo,
                                                        VkFence fence)
{
    note_sparse(bindInfoCount, pBindInfo);
    vkw_guest_memory_before_submit(vkw_guest_conn_of(queue));
    vkw_guest_sync_submit(queue, 3, bindInfoCount, pBindInfo, fence);
    return vkw_forward_vkQueueBindSparse(queue, bindInfoCount, pBindInfo, fence);
}

/* Waits: from the sync page where it can tell, else from the host in
 * slices (vkw_guest_sync.c). */

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
    return after_wait(device,
                      vkw_guest_sync_wait_fences(device, fenceCount, pFences, waitAll, timeout));
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetFenceStatus(VkDevice device, VkFence fence)
{
    return after_wait(device, vkw_guest_sync_fence_status(device, fence));
}

/* vkQueueWaitIdle as a fence the queue signals once all its earlier work
 * is done (an empty submission), waited in slices like any fence: a host
 * vkQueueWaitIdle would hold the connection for the whole wait. */
static VkResult wait_queue_idle(VkQueue queue)
{
    const VkDevice device = vkw_guest_queue_device(queue);
    VkFence fence;
    VkResult r = vkw_guest_queue_idle_fence(queue, &fence);
    if (r == VK_SUCCESS) {
        vkw_guest_sync_submit(queue, 1, 0, NULL, fence);
        r = vkw_forward_vkQueueSubmit(queue, 0, NULL, fence);
    }
    if (r != VK_SUCCESS)
        return r;
    r = vkw_guest_sync_wait_fences(device, 1, &fence, VK_TRUE, UINT64_MAX);
    const VkResult reset = vkw_icd_vkResetFences(device, 1, &fence);
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
    return after_wait(device, vkw_guest_sync_wait_semaphores(device, pWaitInfo, timeout));
}
