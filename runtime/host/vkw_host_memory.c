/* vkw_host_memory — see vkw_host_memory.h. */
#define _GNU_SOURCE /* F_GET_SEALS, MAP_ANONYMOUS; before any include */

#include "vkw_host_memory.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vkw_detach.h"
#include "vkw_handles.h"
#include "vkw_host_clock.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"
#include "vkw_host_track.h"
#include "vkw_memory_messages.h"
#include "vkw_handshake.h"
#include "vkw_sync_page.h"
#include "vkw_vulkan_util.h"

/* ---- memory records: open addressing on id, backward-shift deletion ---- */

static size_t home_slot(uint64_t id, size_t capacity)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (capacity - 1);
}

struct vkw_host_memory *vkw_host_memory_find(const struct vkw_host_memory_state *m, uint64_t id)
{
    if (id == 0 || m->capacity == 0)
        return NULL;
    for (size_t i = home_slot(id, m->capacity);; i = (i + 1) & (m->capacity - 1)) {
        if (m->slots[i].id == id)
            return &m->slots[i];
        if (m->slots[i].id == 0)
            return NULL;
    }
}

static void place(struct vkw_host_memory *slots, size_t capacity, const struct vkw_host_memory *rec)
{
    size_t i = home_slot(rec->id, capacity);
    while (slots[i].id != 0)
        i = (i + 1) & (capacity - 1);
    slots[i] = *rec;
}

/* Room for one more record (load at most 1/2), so that adding it after the
 * driver made the object cannot fail. */
static bool memory_reserve(struct vkw_host_memory_state *m)
{
    if (m->count + 1 <= m->capacity / 2)
        return true;
    const size_t capacity = m->capacity ? m->capacity * 2 : 64;
    if (capacity > SIZE_MAX / sizeof(*m->slots))
        return false;
    struct vkw_host_memory *slots = calloc(capacity, sizeof(*slots));
    if (!slots)
        return false;
    for (size_t i = 0; i < m->capacity; i++)
        if (m->slots[i].id != 0)
            place(slots, capacity, &m->slots[i]);
    free(m->slots);
    m->slots = slots;
    m->capacity = capacity;
    return true;
}

static void memory_add(struct vkw_host_memory_state *m, const struct vkw_host_memory *rec)
{
    place(m->slots, m->capacity, rec); /* memory_reserve made room */
    m->count++;
    m->bytes += rec->size;
}

/* What a record holds beyond the driver's object: imported pages, its
 * tracked range. */
static void release_record(struct vkw_host_memory *rec)
{
    vkw_host_track_free(rec->track);
    rec->track = NULL;
    if (rec->imported)
        munmap(rec->imported, rec->imported_size);
    rec->imported = NULL;
}

/* Remove the record of `id` (the driver freed its memory: the imported
 * pages can go). */
static void memory_remove(struct vkw_host_memory_state *m, uint64_t id)
{
    struct vkw_host_memory *rec = vkw_host_memory_find(m, id);
    if (!rec)
        return;
    release_record(rec);
    m->bytes -= rec->size;
    size_t hole = (size_t)(rec - m->slots);
    m->slots[hole].id = 0;
    m->count--;
    /* Pull later members of the probe run back over the hole. */
    for (size_t i = (hole + 1) & (m->capacity - 1); m->slots[i].id != 0;
         i = (i + 1) & (m->capacity - 1)) {
        const size_t home = home_slot(m->slots[i].id, m->capacity);
        /* Movable when its home is not in (hole, i], cyclically. */
        const bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!stays) {
            m->slots[hole] = m->slots[i];
            m->slots[i].id = 0;
            hole = i;
        }
    }
}

/* ---- devices and instances: a few per context, kept in arrays ---- */

struct vkw_host_device *vkw_host_device_find(const struct vkw_host_memory_state *m, uint64_t id)
{
    for (size_t i = 0; id != 0 && i < m->device_count; i++)
        if (m->devices[i].id == id)
            return &m->devices[i];
    return NULL;
}

struct vkw_host_device *vkw_host_device_of_handle(const struct vkw_host_memory_state *m,
                                                  VkDevice device)
{
    for (size_t i = 0; device != VK_NULL_HANDLE && i < m->device_count; i++)
        if (m->devices[i].device == device)
            return &m->devices[i];
    return NULL;
}

static struct vkw_host_instance *instance_find(const struct vkw_host_memory_state *m, uint64_t id)
{
    for (size_t i = 0; id != 0 && i < m->instance_count; i++)
        if (m->instances[i].id == id)
            return &m->instances[i];
    return NULL;
}

/* Grow `*array` (of `count` elements of `size`) to room for one more. */
static bool array_reserve(void **array, size_t count, size_t *capacity, size_t size)
{
    if (count < *capacity)
        return true;
    const size_t cap = *capacity ? *capacity * 2 : 4;
    void *p = realloc(*array, cap * size);
    if (!p)
        return false;
    *array = p;
    *capacity = cap;
    return true;
}

void vkw_host_memory_init(struct vkw_host_memory_state *m)
{
    memset(m, 0, sizeof(*m));
}

void vkw_host_memory_release_all(struct vkw_host_memory_state *m)
{
    for (size_t i = 0; i < m->capacity; i++)
        if (m->slots[i].id != 0)
            release_record(&m->slots[i]);
    free(m->slots);
    free(m->devices);
    free(m->instances);
    vkw_host_memory_init(m);
}

void vkw_host_memory_forget(struct vkw_host_context *ctx, uint32_t type, uint64_t id)
{
    struct vkw_host_memory_state *m = &ctx->memory;
    if (type == VKW_HANDLE_VkDeviceMemory) {
        memory_remove(m, id);
    } else if (type == VKW_HANDLE_VkDevice) {
        struct vkw_host_device *dev = vkw_host_device_find(m, id);
        if (dev)
            *dev = m->devices[--m->device_count];
    } else if (type == VKW_HANDLE_VkInstance) {
        struct vkw_host_instance *in = instance_find(m, id);
        if (in)
            *in = m->instances[--m->instance_count];
    }
}

bool vkw_host_memory_note_instance(struct vkw_host_context *ctx, uint64_t id,
                                   const VkInstanceCreateInfo *ci)
{
    struct vkw_host_memory_state *m = &ctx->memory;
    if (!array_reserve((void **)&m->instances, m->instance_count, &m->instance_capacity,
                       sizeof(*m->instances)))
        return false;
    uint32_t api = VK_API_VERSION_1_0;
    if (ci && ci->pApplicationInfo && ci->pApplicationInfo->apiVersion != 0)
        api = ci->pApplicationInfo->apiVersion;
    m->instances[m->instance_count++] = (struct vkw_host_instance){id, api};
    return true;
}

void *vkw_host_mapping_of(const struct vkw_host_context *ctx, uint64_t memory)
{
    const uint64_t id = memory ? vkw_object_table_id_of(&ctx->objects, VKW_HANDLE_VkDeviceMemory,
                                                        memory)
                               : 0;
    const struct vkw_host_memory *rec = vkw_host_memory_find(&ctx->memory, id);
    return rec ? rec->mapped : NULL;
}

/* ---- vkCreateDevice ---- */

static uint32_t version_of(uint32_t api)
{
    return VK_MAKE_API_VERSION(0, VK_API_VERSION_MAJOR(api), VK_API_VERSION_MINOR(api), 0);
}

static bool device_has_extension(struct vkw_host_context *ctx, VkPhysicalDevice pd,
                                 const char *name)
{
    uint32_t n = 0;
    if (ctx->vk.vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) < 0 || n == 0)
        return false;
    VkExtensionProperties *list = calloc(n, sizeof(*list));
    if (!list)
        return false;
    bool found = false;
    if (ctx->vk.vkEnumerateDeviceExtensionProperties(pd, NULL, &n, list) >= 0)
        for (uint32_t i = 0; i < n && !found; i++)
            found = strcmp(list[i].extensionName, name) == 0;
    free(list);
    return found;
}

/* Whether devices of `pd` can import host pointers: the extension is
 * there, the instance and the device speak 1.1 (which holds its
 * dependencies), and the alignment is a power of two.  Its alignment goes
 * to `*alignment`. */
static bool import_possible(struct vkw_host_context *ctx, uint64_t pd_id, VkPhysicalDevice pd,
                            VkDeviceSize *alignment)
{
    if (!ctx->vk.vkEnumerateDeviceExtensionProperties || !ctx->vk.vkGetPhysicalDeviceProperties ||
        !ctx->vk.vkGetPhysicalDeviceProperties2 || !ctx->vk.vkGetDeviceProcAddr)
        return false;
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, pd_id);
    const struct vkw_host_instance *in = o ? instance_find(&ctx->memory, o->parent_id) : NULL;
    if (!in || version_of(in->api_version) < VK_API_VERSION_1_1)
        return false;
    VkPhysicalDeviceProperties props;
    memset(&props, 0, sizeof(props));
    ctx->vk.vkGetPhysicalDeviceProperties(pd, &props);
    if (version_of(props.apiVersion) < VK_API_VERSION_1_1 ||
        !device_has_extension(ctx, pd, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME))
        return false;
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &host};
    ctx->vk.vkGetPhysicalDeviceProperties2(pd, &p2);
    const VkDeviceSize a = host.minImportedHostPointerAlignment;
    if (a == 0 || (a & (a - 1)) != 0 || a > ((VkDeviceSize)1 << 30))
        return false;
    *alignment = a;
    return true;
}

static bool names_extension(const VkDeviceCreateInfo *ci, const char *name)
{
    for (uint32_t i = 0; ci->ppEnabledExtensionNames && i < ci->enabledExtensionCount; i++)
        if (ci->ppEnabledExtensionNames[i] && strcmp(ci->ppEnabledExtensionNames[i], name) == 0)
            return true;
    return false;
}

void vkw_host_vkCreateDevice(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                             struct vkw_args_vkCreateDevice *a)
{
    struct vkw_host_memory_state *m = &ctx->memory;
    if (!ctx->vk.vkCreateDevice) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCreateDevice);
        return;
    }
    if (!array_reserve((void **)&m->devices, m->device_count, &m->device_capacity,
                       sizeof(*m->devices))) {
        vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, m->device_count + 1);
        return;
    }
    struct vkw_host_device dev = {.id = a->pDevice_ids[0], .physical = a->physicalDevice};
    if (ctx->vk.vkGetPhysicalDeviceMemoryProperties) {
        ctx->vk.vkGetPhysicalDeviceMemoryProperties(a->physicalDevice, &dev.memory_properties);
        dev.memory_known = dev.memory_properties.memoryTypeCount <= VK_MAX_MEMORY_TYPES;
    }

    /* The guest's create info, plus the extension import needs. */
    const VkDeviceCreateInfo *ci = a->pCreateInfo;
    VkDeviceCreateInfo with_import;
    VkDeviceSize alignment = 0;
    const bool import = import_possible(ctx, a->physicalDevice_id, a->physicalDevice, &alignment);
    if (import && !names_extension(ci, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME)) {
        const uint32_t n = ci->ppEnabledExtensionNames ? ci->enabledExtensionCount : 0;
        const char **names = vkw_reader_alloc(&d->r, (uint64_t)n + 1, sizeof(*names));
        if (!names)
            return;
        if (n)
            memcpy(names, ci->ppEnabledExtensionNames, n * sizeof(*names));
        names[n] = VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME;
        with_import = *ci;
        with_import.enabledExtensionCount = n + 1;
        with_import.ppEnabledExtensionNames = names;
        ci = &with_import;
    }
    a->result = ctx->vk.vkCreateDevice(a->physicalDevice, ci, NULL, a->pDevice);
    if (a->result == VK_ERROR_EXTENSION_NOT_PRESENT && ci == &with_import)
        a->result = ctx->vk.vkCreateDevice(a->physicalDevice, a->pCreateInfo, NULL, a->pDevice);
    else if (a->result == VK_SUCCESS && import) {
        dev.get_host_pointer_properties = (PFN_vkGetMemoryHostPointerPropertiesEXT)
            ctx->vk.vkGetDeviceProcAddr(*a->pDevice, "vkGetMemoryHostPointerPropertiesEXT");
        dev.import_alignment = alignment;
    }
    if (a->result == VK_SUCCESS) {
        dev.device = *a->pDevice;
        m->devices[m->device_count++] = dev;
    }
}

/* ---- memory objects ---- */

/* The record of new memory (room reserved). */
static struct vkw_host_memory new_record(struct vkw_host_context *ctx, uint64_t id,
                                         uint64_t device_id, VkDevice device,
                                         VkDeviceMemory memory, const VkMemoryAllocateInfo *ai)
{
    struct vkw_host_memory rec = {.id = id,
                                  .device_id = device_id,
                                  .device = device,
                                  .memory = memory,
                                  .size = ai->allocationSize,
                                  .type_index = ai->memoryTypeIndex};
    const struct vkw_host_device *dev = vkw_host_device_find(&ctx->memory, device_id);
    if (dev && dev->memory_known && ai->memoryTypeIndex < dev->memory_properties.memoryTypeCount)
        rec.host_visible = (dev->memory_properties.memoryTypes[ai->memoryTypeIndex].propertyFlags &
                            VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0;
    return rec;
}

/* An fd the guest imports as memory (VkImportMemoryFdInfoKHR), as the
 * driver will map it: a regular file (a memfd) must be sealed against
 * shrinking and hold the allocation (the driver maps it, and a file cut
 * short under its mapping would fault the host); a directory, pipe or
 * socket is no memory at all.  Other kinds (a dma-buf, a GPU driver's
 * object) are the kernel driver's to check. */
bool vkw_host_memory_import_fd_ok(const VkMemoryAllocateInfo *ai)
{
    const VkImportMemoryFdInfoKHR *import =
        (const void *)vkw_chain_find((void *)ai->pNext, VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR);
    if (!import || !import->handleType)
        return true;
    struct stat st;
    if (import->fd < 0 || fstat(import->fd, &st) != 0)
        return false;
    if (S_ISDIR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        return false;
    if (!S_ISREG(st.st_mode))
        return true;
    const int seals = fcntl(import->fd, F_GET_SEALS);
    return seals >= 0 && (seals & F_SEAL_SHRINK) && st.st_size >= 0 &&
           (uint64_t)st.st_size >= ai->allocationSize;
}

void vkw_host_vkAllocateMemory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkAllocateMemory *a)
{
    if (!ctx->vk.vkAllocateMemory) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkAllocateMemory);
        return;
    }
    if (!memory_reserve(&ctx->memory)) {
        vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, ctx->memory.count + 1);
        return;
    }
    if (!vkw_host_within_memory_limit(ctx, d, a->pAllocateInfo->allocationSize))
        return;
    if (!vkw_host_memory_import_fd_ok(a->pAllocateInfo)) {
        a->result = VK_ERROR_INVALID_EXTERNAL_HANDLE; /* the driver never sees it */
        return;
    }
    a->result = ctx->vk.vkAllocateMemory(a->device, a->pAllocateInfo, NULL, a->pMemory);
    if (a->result == VK_SUCCESS) {
        const struct vkw_host_memory rec = new_record(ctx, a->pMemory_ids[0], a->device_id,
                                                      a->device, *a->pMemory, a->pAllocateInfo);
        memory_add(&ctx->memory, &rec);
    }
}

/* The host's one mapping of the whole allocation, made on first need. */
static VkResult ensure_mapped(struct vkw_host_context *ctx, struct vkw_host_memory *rec)
{
    if (rec->mapped)
        return VK_SUCCESS;
    void *data = NULL;
    VkResult r = ctx->vk.vkMapMemory(rec->device, rec->memory, 0, VK_WHOLE_SIZE, 0, &data);
    if (r == VK_SUCCESS && !data)
        r = VK_ERROR_MEMORY_MAP_FAILED;
    if (r == VK_SUCCESS)
        rec->mapped = data;
    return r;
}

static struct vkw_host_memory *record_of_handle(struct vkw_host_context *ctx, VkDeviceMemory memory)
{
    const uint64_t host = VKW_HANDLE_U64(memory);
    if (!host)
        return NULL;
    return vkw_host_memory_find(
        &ctx->memory, vkw_object_table_id_of(&ctx->objects, VKW_HANDLE_VkDeviceMemory, host));
}

void vkw_host_vkMapMemory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          struct vkw_args_vkMapMemory *a)
{
    if (!ctx->vk.vkMapMemory) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkMapMemory);
        return;
    }
    struct vkw_host_memory *rec = record_of_handle(ctx, a->memory);
    const struct vkw_host_device *dev = rec ? vkw_host_device_find(&ctx->memory, rec->device_id)
                                            : NULL;
    if (!rec || rec->guest_mapped || (dev && dev->memory_known && !rec->host_visible)) {
        /* Mapped already (the spec forbids it), or memory no one can map:
         * the driver never sees it. */
        a->result = VK_ERROR_MEMORY_MAP_FAILED;
        return;
    }
    a->result = ensure_mapped(ctx, rec);
    if (a->result == VK_SUCCESS)
        rec->guest_mapped = true;
}

void vkw_host_vkUnmapMemory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            struct vkw_args_vkUnmapMemory *a)
{
    (void)d;
    struct vkw_host_memory *rec = record_of_handle(ctx, a->memory);
    if (rec)
        rec->guest_mapped = false; /* the host's mapping stays until the memory is freed */
}

/* ---- the messages ---- */

static uint64_t padded(uint64_t n)
{
    return (n + 3) & ~(uint64_t)3;
}

/* A blob's bytes where they lie in the message (u64 count, bytes, padding
 * to a word): no copy.  NULL on error. */
static const uint8_t *read_blob_in_place(struct vkw_reader *r, uint64_t *count)
{
    *count = vkw_read_u64(r);
    return vkw_read_bytes_in_place(r, *count);
}

bool vkw_host_memory_decoded(struct vkw_host_decoder *d)
{
    if (vkw_reader_ok(&d->r) && vkw_reader_remaining(&d->r) != 0)
        vkw_reader_fail(&d->r, VKW_ERROR_TRAILING_BYTES, vkw_reader_remaining(&d->r));
    return vkw_reader_ok(&d->r);
}

struct vkw_host_memory *vkw_host_memory_reach(struct vkw_host_context *ctx,
                                              struct vkw_host_decoder *d, uint64_t id,
                                              uint64_t offset, uint64_t count, uint8_t **at)
{
    struct vkw_host_memory *rec = vkw_host_memory_find(&ctx->memory, id);
    if (!rec) { /* an id the table knows always has a record */
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
        return NULL;
    }
    if (!rec->host_visible) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, id);
        return NULL;
    }
    if (offset > rec->size || count > rec->size - offset) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_RANGE,
                        offset > UINT64_MAX - count ? UINT64_MAX : offset + count);
        return NULL;
    }
    if (!ctx->vk.vkMapMemory || ensure_mapped(ctx, rec) != VK_SUCCESS) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, id);
        return NULL;
    }
    *at = (uint8_t *)rec->mapped + offset;
    return rec;
}

static void handle_write_memory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                struct vkw_writer *reply)
{
    (void)reply; /* none: an empty one when asked */
    uint64_t id = 0, count = 0;
    vkw_host_decode_handle(d, VKW_HANDLE_VkDeviceMemory, true, &id);
    const uint64_t offset = vkw_read_u64(&d->r);
    const uint8_t *bytes = read_blob_in_place(&d->r, &count);
    if (!vkw_host_memory_decoded(d))
        return;
    uint8_t *dst = NULL;
    struct vkw_host_memory *rec = vkw_host_memory_reach(ctx, d, id, offset, count, &dst);
    if (!rec || !count)
        return;
    memcpy(dst, bytes, count);
    vkw_host_track_written(rec, offset, bytes, count); /* the guest's clean copy has them too */
}

/* The most bytes one READ_MEMORY reply can carry: a message holds its
 * header and the blob's count. */
#define VKW_MAX_READ_BYTES (VKW_MAX_MESSAGE_BYTES - VKW_HEADER_BYTES - 8u)

static void handle_read_memory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_writer *reply)
{
    uint64_t id = 0;
    vkw_host_decode_handle(d, VKW_HANDLE_VkDeviceMemory, true, &id);
    const uint64_t offset = vkw_read_u64(&d->r);
    const uint64_t size = vkw_read_u64(&d->r);
    if (!vkw_host_memory_decoded(d))
        return;
    uint8_t *src = NULL;
    struct vkw_host_memory *rec = vkw_host_memory_reach(ctx, d, id, offset, size, &src);
    if (!rec)
        return;
    if (size > VKW_MAX_READ_BYTES) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, size);
        return;
    }
    if (!reply)
        return; /* no REPLY flag: nothing to say */
    vkw_write_u64(reply, size);
    vkw_host_track_reply_read(ctx, rec, offset, size, reply);
    static const uint8_t zeros[4];
    vkw_host_reply_bulk(ctx, reply, zeros, (size_t)(padded(size) - size));
}

int vkw_host_memory_take_fd(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            uint32_t index)
{
    const int fd = vkw_fd_set_take(&ctx->fds.in, index);
    if (fd < 0)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_FD, index);
    return fd;
}

void *vkw_host_memory_map_fd(int fd, size_t size, size_t alignment)
{
    const long page = sysconf(_SC_PAGESIZE);
    if (page > 0 && alignment <= (size_t)page) {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    /* Reserve room for an aligned start, map there, give back the rest. */
    if (size > SIZE_MAX - alignment)
        return NULL;
    uint8_t *room = mmap(NULL, size + alignment, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (room == MAP_FAILED)
        return NULL;
    uint8_t *at = (uint8_t *)(((uintptr_t)room + alignment - 1) & ~(uintptr_t)(alignment - 1));
    if (mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) ==
        MAP_FAILED) {
        munmap(room, size + alignment);
        return NULL;
    }
    if (at > room)
        munmap(room, (size_t)(at - room));
    const size_t tail = (size_t)((room + size + alignment) - (at + size));
    if (tail)
        munmap(at + size, tail);
    return at;
}

/* What an import needs, all checked: the guest's pages mapped at `*pages`
 * (`*pages_size` bytes: the allocation size rounded up to the import
 * alignment and to whole pages), in a memory type that can import them.
 * False (nothing left mapped) when this memory cannot be imported and is
 * to be allocated the ordinary way instead. */
static bool prepare_import(const struct vkw_host_device *dev, const VkMemoryAllocateInfo *ai,
                           int fd, const struct stat *st, void **pages, size_t *pages_size)
{
    if (!dev || !dev->get_host_pointer_properties || ai->memoryTypeIndex >= 32 ||
        ai->allocationSize == 0)
        return false;
    /* Chained structs an import may not carry. */
    void *chain = (void *)ai->pNext;
    const VkMemoryDedicatedAllocateInfo *dedicated =
        (const void *)vkw_chain_find(chain, VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO);
    const VkMemoryOpaqueCaptureAddressAllocateInfo *capture = (const void *)vkw_chain_find(
        chain, VK_STRUCTURE_TYPE_MEMORY_OPAQUE_CAPTURE_ADDRESS_ALLOCATE_INFO);
    const VkImportMemoryFdInfoKHR *import_fd =
        (const void *)vkw_chain_find(chain, VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR);
    if ((dedicated && (dedicated->image || dedicated->buffer)) ||
        (capture && capture->opaqueCaptureAddress) || (import_fd && import_fd->handleType) ||
        vkw_chain_find(chain, VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO))
        return false;
    const long page = sysconf(_SC_PAGESIZE);
    VkDeviceSize align = dev->import_alignment;
    if (page > 0 && (VkDeviceSize)page > align)
        align = (VkDeviceSize)page; /* both powers of two */
    if (ai->allocationSize > UINT64_MAX - (align - 1))
        return false;
    const VkDeviceSize size = (ai->allocationSize + align - 1) & ~(align - 1);
    if (size > (VkDeviceSize)st->st_size || size > SIZE_MAX / 2)
        return false; /* the guest's memfd does not reach that far */
    /* The pages must stay: a memfd that could shrink would fault the host. */
    const int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK))
        return false;
    void *p = vkw_host_memory_map_fd(fd, (size_t)size, (size_t)align);
    if (!p)
        return false;
    VkMemoryHostPointerPropertiesEXT props = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
    if (dev->get_host_pointer_properties(dev->device,
                                         VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, p,
                                         &props) != VK_SUCCESS ||
        !(props.memoryTypeBits & (1u << ai->memoryTypeIndex))) {
        munmap(p, (size_t)size);
        return false;
    }
    *pages = p;
    *pages_size = (size_t)size;
    return true;
}

/* ALLOCATE_SHARED: u64 device id, VkMemoryAllocateInfo (presence, struct),
 * u64 new memory id, u32 fd index.  Reply: i32 VkResult, u32 imported.
 * IMPORT_HOST_POINTER (`must_import`): the same, but memory the host
 * cannot import is not allocated at all.  Reply: i32 VkResult. */
static void allocate_with_pages(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                struct vkw_writer *reply, bool host_pointer)
{
    uint64_t device_id = 0;
    const VkDevice device =
        VKW_U64_HANDLE(VkDevice, vkw_host_decode_handle(d, VKW_HANDLE_VkDevice, true, &device_id));
    VkMemoryAllocateInfo *ai = NULL;
    if (vkw_read_presence(&d->r)) {
        ai = vkw_reader_alloc(&d->r, 1, sizeof(*ai));
        if (ai)
            vkw_decode_VkMemoryAllocateInfo(d, ai);
    } else {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* required */
    }
    uint64_t memory_id = vkw_read_u64(&d->r);
    const uint32_t index = vkw_read_u32(&d->r);
    if (!vkw_host_memory_decoded(d) ||
        !vkw_host_check_new_ids(ctx, d, VKW_HANDLE_VkDeviceMemory, &memory_id, 1))
        return;
    const int fd = vkw_host_memory_take_fd(ctx, d, index);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (uint64_t)st.st_size < ai->allocationSize) {
        close(fd);
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_FD, index); /* not a memfd that long */
        return;
    }
    if (!ctx->vk.vkAllocateMemory || !ctx->vk.vkFreeMemory) {
        close(fd);
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED,
                        host_pointer ? VKW_MSG_IMPORT_HOST_POINTER : VKW_MSG_ALLOCATE_SHARED);
        return;
    }
    if (!memory_reserve(&ctx->memory)) {
        close(fd);
        vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, ctx->memory.count + 1);
        return;
    }
    if (!vkw_host_within_memory_limit(ctx, d, ai->allocationSize)) {
        close(fd);
        return;
    }
    void *pages = NULL;
    size_t pages_size = 0;
    bool imported = false;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkResult result = VK_ERROR_INVALID_EXTERNAL_HANDLE;
    /* Ordinary memory where the pages cannot be imported, except for an
     * application's host pointer (its pages or nothing) and a chain whose fd
     * import the host refuses, as vkAllocateMemory does. */
    bool plain = !host_pointer;
    if (vkw_host_memory_import_fd_ok(ai))
        imported = prepare_import(vkw_host_device_find(&ctx->memory, device_id), ai, fd, &st,
                                  &pages, &pages_size);
    else
        plain = false;
    close(fd); /* the mapping keeps the pages */

    if (imported) {
        VkImportMemoryHostPointerInfoEXT import = {
            .sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
            .pNext = ai->pNext,
            .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
            .pHostPointer = pages};
        VkMemoryAllocateInfo with_import = *ai;
        with_import.pNext = &import;
        with_import.allocationSize = pages_size;
        result = ctx->vk.vkAllocateMemory(device, &with_import, NULL, &memory);
        if (result != VK_SUCCESS) {
            munmap(pages, pages_size);
            pages = NULL;
            pages_size = 0;
            imported = false;
        }
    }
    if (!imported && plain)
        result = ctx->vk.vkAllocateMemory(device, ai, NULL, &memory);
    vkw_host_fds_imported(d, result == VK_SUCCESS); /* an fd its chain imported */
    if (result == VK_SUCCESS) {
        struct vkw_host_memory rec = new_record(ctx, memory_id, device_id, device, memory, ai);
        rec.imported = pages;
        rec.imported_size = pages_size;
        memory_add(&ctx->memory, &rec);
        vkw_host_bind(ctx, d, VKW_HANDLE_VkDeviceMemory, memory_id, VKW_HANDLE_U64(memory),
                      device_id);
        if (!vkw_reader_ok(&d->r)) { /* not bound: nothing may keep it */
            ctx->vk.vkFreeMemory(device, memory, NULL);
            memory_remove(&ctx->memory, memory_id);
            return;
        }
    }
    if (reply) {
        vkw_write_i32(reply, (int32_t)result);
        if (!host_pointer)
            vkw_write_u32(reply, imported ? 1u : 0u);
    }
}

static void handle_allocate_shared(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                   struct vkw_writer *reply)
{
    allocate_with_pages(ctx, d, reply, false);
}

static void handle_import_host_pointer(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                       struct vkw_writer *reply)
{
    allocate_with_pages(ctx, d, reply, true);
}

/* The memory types a guest memfd the host maps may be imported as: the
 * driver's answer for one alignment unit of a memfd of the host's own,
 * mapped as the guest's would be. */
static uint32_t probe_host_pointer_types(const struct vkw_host_device *dev)
{
    const size_t size = (size_t)dev->import_alignment > 4096 ? (size_t)dev->import_alignment : 4096;
    const int fd = memfd_create("vkwire-probe", MFD_CLOEXEC);
    uint32_t bits = 0;
    if (fd >= 0 && ftruncate(fd, (off_t)size) == 0) {
        void *p = vkw_host_memory_map_fd(fd, size, (size_t)dev->import_alignment);
        VkMemoryHostPointerPropertiesEXT props = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
        if (p && dev->get_host_pointer_properties(
                     dev->device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, p,
                     &props) == VK_SUCCESS)
            bits = props.memoryTypeBits;
        if (p)
            munmap(p, size);
    }
    if (fd >= 0)
        close(fd);
    return bits;
}

/* HOST_POINTER_TYPES: u64 device id.  Reply: i32 VkResult, u32 types. */
static void handle_host_pointer_types(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                      struct vkw_writer *reply)
{
    uint64_t device_id = 0;
    vkw_host_decode_handle(d, VKW_HANDLE_VkDevice, true, &device_id);
    if (!vkw_host_memory_decoded(d))
        return;
    struct vkw_host_device *dev = vkw_host_device_find(&ctx->memory, device_id);
    if (dev && dev->get_host_pointer_properties && !dev->host_pointer_types_known) {
        dev->host_pointer_types = probe_host_pointer_types(dev);
        dev->host_pointer_types_known = true;
    }
    const uint32_t bits = dev && dev->host_pointer_types_known ? dev->host_pointer_types : 0;
    if (reply) {
        vkw_write_i32(reply, bits ? VK_SUCCESS : VK_ERROR_INVALID_EXTERNAL_HANDLE);
        vkw_write_u32(reply, bits);
    }
}

vkw_host_message_fn vkw_host_private_handler(uint32_t opcode)
{
    switch (opcode) {
    case VKW_MSG_WRITE_MEMORY: return handle_write_memory;
    case VKW_MSG_READ_MEMORY: return handle_read_memory;
    case VKW_MSG_ALLOCATE_SHARED: return handle_allocate_shared;
    case VKW_MSG_IMPORT_HOST_POINTER: return handle_import_host_pointer;
    case VKW_MSG_HOST_POINTER_TYPES: return handle_host_pointer_types;
    case VKW_MSG_CLOCK_PROBE: return vkw_host_clock_probe;
    case VKW_MSG_TRACK_MEMORY: return vkw_host_track_memory;
    case VKW_MSG_UNTRACK_MEMORY: return vkw_host_untrack_memory;
    case VKW_MSG_READ_CHANGED: return vkw_host_read_changed;
    case VKW_MSG_SYNC_SHARED: return vkw_host_sync_shared;
    case VKW_MSG_SYNC_PAGE: return vkw_host_sync_page;
    case VKW_MSG_SYNC_QUEUE: return vkw_host_sync_queue;
    case VKW_MSG_COLLECT: return vkw_host_collect;
    default: return NULL;
    }
}

const char *vkw_host_private_name(uint32_t opcode)
{
    switch (opcode) {
    case VKW_MSG_WRITE_MEMORY: return "WRITE_MEMORY";
    case VKW_MSG_READ_MEMORY: return "READ_MEMORY";
    case VKW_MSG_ALLOCATE_SHARED: return "ALLOCATE_SHARED";
    case VKW_MSG_IMPORT_HOST_POINTER: return "IMPORT_HOST_POINTER";
    case VKW_MSG_HOST_POINTER_TYPES: return "HOST_POINTER_TYPES";
    case VKW_MSG_CLOCK_PROBE: return "CLOCK_PROBE";
    case VKW_MSG_TRACK_MEMORY: return "TRACK_MEMORY";
    case VKW_MSG_UNTRACK_MEMORY: return "UNTRACK_MEMORY";
    case VKW_MSG_READ_CHANGED: return "READ_CHANGED";
    case VKW_MSG_SYNC_SHARED: return "SYNC_SHARED";
    case VKW_MSG_SYNC_PAGE: return "SYNC_PAGE";
    case VKW_MSG_SYNC_QUEUE: return "SYNC_QUEUE";
    case VKW_MSG_COLLECT: return "COLLECT";
    default: return NULL;
    }
}
