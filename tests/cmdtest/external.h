/* vkw_cmdtest family: external objects (doc/PROTOCOL.md, "External
 * objects").  Memory exported as an fd and imported into a second device
 * and into a second allocation of the same device, written and read
 * through each (mappings and the device); fences and semaphores moved
 * through fds.  Every fd the application got is handed back to Vulkan or
 * closed, and the process holds as many fds at the end as before. */

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */


/* The descriptors this process has open now. */
static unsigned open_fd_count(void)
{
    unsigned n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* Forget a tracked object the scenario destroyed itself. */
static void untrack(struct ctx *c, uint64_t handle)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = c->object_count; i-- > 0;)
        if (c->objects[i].handle == handle) {
            memmove(&c->objects[i], &c->objects[i + 1],
                    (c->object_count - i - 1) * sizeof c->objects[0]);
            c->object_count--;
            break;
        }
    pthread_mutex_unlock(&c->lock);
}

#define EXT_MEMORY_TYPE VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT
#define EXT_BYTES ((VkDeviceSize)64 << 10)

/* What the driver says of OPAQUE_FD buffers for transfers. */
static VkExternalMemoryFeatureFlags external_buffer_features(struct ctx *c)
{
    const VkPhysicalDeviceExternalBufferInfo info = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .handleType = EXT_MEMORY_TYPE};
    VkExternalBufferProperties props = {.sType = VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES};
    vkGetPhysicalDeviceExternalBufferProperties(c->physical, &info, &props);
    return props.externalMemoryProperties.externalMemoryFeatures;
}

static void needs_external_memory(struct ctx *c, struct device_needs *n)
{
    const VkExternalMemoryFeatureFlags want =
        VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT | VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT;
    if (!device_offers(c, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no VK_KHR_external_memory_fd");
        return;
    }
    if ((external_buffer_features(c) & want) != want) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why,
                 "OPAQUE_FD buffers are not both exportable and importable");
        return;
    }
    n->extensions[n->extension_count++] = VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME;
}

/* A transfer buffer in host-visible memory of its own that an fd can carry:
 * exported (fd < 0) or imported from `fd` (which the import then owns),
 * mapped.  `*type` is the memory type: chosen on export, given on import. */
struct ext_buffer {
    VkDevice device;
    VkBuffer buffer;
    VkDeviceMemory memory;
    uint8_t *map;
};

static struct ext_buffer ext_buffer_new(struct ctx *c, VkDevice device, int fd, uint32_t *type)
{
    struct ext_buffer b = {.device = device};
    const VkExternalMemoryBufferCreateInfo external = {
        .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
        .handleTypes = EXT_MEMORY_TYPE};
    const VkBufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .pNext = &external,
        .size = EXT_BYTES,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VK(vkCreateBuffer(device, &info, NULL, &b.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, b.buffer, &req);
    if (fd < 0)
        *type = memory_type(c, req.memoryTypeBits,
                            VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                            0);
    const bool dedicated = (external_buffer_features(c) &
                            VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT) != 0;
    VkMemoryDedicatedAllocateInfo only = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
                                          .buffer = b.buffer};
    VkExportMemoryAllocateInfo export_info = {.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
                                              .pNext = dedicated ? &only : NULL,
                                              .handleTypes = EXT_MEMORY_TYPE};
    VkImportMemoryFdInfoKHR import_info = {.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
                                           .pNext = dedicated ? &only : NULL,
                                           .handleType = EXT_MEMORY_TYPE,
                                           .fd = fd};
    const VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = fd < 0 ? (const void *)&export_info : (const void *)&import_info,
        .allocationSize = req.size,
        .memoryTypeIndex = *type};
    VkResult r = vkAllocateMemory(device, &mai, NULL, &b.memory);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(device, b.buffer, NULL);
        VK(r);
    }
    VK(vkBindBufferMemory(device, b.buffer, b.memory, 0));
    void *map;
    VK(vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &map));
    b.map = map;
    return b;
}

static void ext_buffer_free(struct ext_buffer *b)
{
    vkUnmapMemory(b->device, b->memory);
    vkDestroyBuffer(b->device, b->buffer, NULL);
    vkFreeMemory(b->device, b->memory, NULL);
}

static void ext_range(struct ctx *c, const struct ext_buffer *b, bool flush)
{
    const VkMappedMemoryRange range = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                       .memory = b->memory,
                                       .size = VK_WHOLE_SIZE};
    if (flush)
        VK(vkFlushMappedMemoryRanges(b->device, 1, &range));
    else
        VK(vkInvalidateMappedMemoryRanges(b->device, 1, &range));
}

static int export_fd(struct ctx *c, const struct ext_buffer *b)
{
    PFN_vkGetMemoryFdKHR get_fd =
        (PFN_vkGetMemoryFdKHR)vkGetDeviceProcAddr(b->device, "vkGetMemoryFdKHR");
    EXPECT(get_fd, "no vkGetMemoryFdKHR");
    const VkMemoryGetFdInfoKHR info = {.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
                                       .memory = b->memory,
                                       .handleType = EXT_MEMORY_TYPE};
    int fd = -1;
    VK(get_fd(b->device, &info, &fd));
    EXPECT(fd >= 0 && fcntl(fd, F_GETFD) >= 0, "vkGetMemoryFdKHR gave %d, not an open fd", fd);
    return fd;
}

static uint32_t ext_pattern(size_t i)
{
    return (uint32_t)(i * 2654435761u) ^ 0x1234abcdu;
}

/* A second device on the same GPU, with a queue and a pool. */
struct other_device {
    VkDevice device;
    VkQueue queue;
    VkCommandPool pool;
};

static struct other_device other_device_new(struct ctx *c, const char *extension)
{
    struct other_device o = {0};
    float priority = 1.0f;
    const VkDeviceQueueCreateInfo queue = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                           .queueFamilyIndex = c->family,
                                           .queueCount = 1,
                                           .pQueuePriorities = &priority};
    const VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                     .queueCreateInfoCount = 1,
                                     .pQueueCreateInfos = &queue,
                                     .enabledExtensionCount = 1,
                                     .ppEnabledExtensionNames = &extension};
    VK(vkCreateDevice(c->physical, &info, NULL, &o.device));
    TRACK(DEVICE, o.device); /* destroyed by the runner if the scenario fails */
    vkGetDeviceQueue(o.device, c->family, 0, &o.queue);
    const VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                          .queueFamilyIndex = c->family};
    VK(vkCreateCommandPool(o.device, &pool, NULL, &o.pool));
    return o;
}

static void other_device_free(struct ctx *c, struct other_device *o)
{
    vkDestroyCommandPool(o->device, o->pool, NULL);
    vkDestroyDevice(o->device, NULL);
    untrack(c, (uint64_t)(uintptr_t)o->device);
}

/* Record `record(cb, user)` on the other device, submit it and wait. */
static void other_run(struct ctx *c, struct other_device *o,
                      void (*record)(VkCommandBuffer, void *), void *user)
{
    const VkCommandBufferAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = o->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1};
    VkCommandBuffer cb;
    VK(vkAllocateCommandBuffers(o->device, &alloc, &cb));
    const VkCommandBufferBeginInfo begin_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VK(vkBeginCommandBuffer(cb, &begin_info));
    record(cb, user);
    VK(vkEndCommandBuffer(cb));
    const VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    VK(vkCreateFence(o->device, &fence_info, NULL, &fence));
    const VkSubmitInfo submit_info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                      .commandBufferCount = 1,
                                      .pCommandBuffers = &cb};
    VkResult r = vkQueueSubmit(o->queue, 1, &submit_info, fence);
    if (r == VK_SUCCESS)
        r = vkWaitForFences(o->device, 1, &fence, VK_TRUE, WAIT_NS);
    vkDestroyFence(o->device, fence, NULL);
    vkFreeCommandBuffers(o->device, o->pool, 1, &cb);
    VK(r);
}

static void record_fill_quarter(VkCommandBuffer cb, void *user)
{
    const struct ext_buffer *b = user;
    vkCmdFillBuffer(cb, b->buffer, 0, EXT_BYTES / 4, 0x5a5a5a5au);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
}

/* ---- external_memory --------------------------------------------------- */

/* One export and two imports, written and read every way, then freed. */
static void external_memory_round(struct ctx *c)
{
    /* A's memory is exported; the application writes it. */
    uint32_t type = 0;
    struct ext_buffer a = ext_buffer_new(c, c->device, -1, &type);
    uint32_t *words = (uint32_t *)a.map;
    for (size_t i = 0; i < EXT_BYTES / 4; i++)
        words[i] = ext_pattern(i);
    ext_range(c, &a, true);

    /* A second device imports it and reads what A wrote. */
    struct other_device o = other_device_new(c, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
    struct ext_buffer b = ext_buffer_new(c, o.device, export_fd(c, &a), &type);
    ext_range(c, &b, false);
    EXPECT(memcmp(a.map, b.map, EXT_BYTES) == 0,
           "the second device's import does not hold what the first device's mapping wrote");
    digest(c, b.map, EXT_BYTES);

    /* The second device writes; the first device's mapping sees it. */
    other_run(c, &o, record_fill_quarter, &b);
    ext_range(c, &a, false);
    for (size_t i = 0; i < EXT_BYTES / 4; i++) {
        const uint32_t want = i < EXT_BYTES / 16 ? 0x5a5a5a5au : ext_pattern(i);
        EXPECT(words[i] == want, "word %zu through the exporter's mapping: 0x%08x, not 0x%08x",
               i, words[i], want);
    }
    digest(c, a.map, EXT_BYTES);

    /* A second allocation of the same device: it sees A, A sees its writes,
     * and the device copies from it. */
    struct ext_buffer a2 = ext_buffer_new(c, c->device, export_fd(c, &a), &type);
    ext_range(c, &a2, false);
    EXPECT(memcmp(a.map, a2.map, EXT_BYTES) == 0, "a second import of the same memory differs");
    for (size_t i = EXT_BYTES / 2; i < 3 * EXT_BYTES / 4; i += 4)
        *(uint32_t *)(a2.map + i) = (uint32_t)i;
    ext_range(c, &a2, true);
    ext_range(c, &a, false);
    EXPECT(memcmp(a.map, a2.map, EXT_BYTES) == 0,
           "writes through the second allocation do not reach the first");
    struct buffer copy = buffer_new(c, EXT_BYTES, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    const VkBufferCopy region = {.size = EXT_BYTES};
    vkCmdCopyBuffer(cb, a2.buffer, copy.buffer, 1, &region);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    EXPECT(memcmp(copy.map, a.map, EXT_BYTES) == 0,
           "the device's copy of the imported memory differs from it");
    digest(c, copy.map, EXT_BYTES);

    vkFreeCommandBuffers(c->device, c->pool, 1, &cb);
    untrack(c, (uint64_t)(uintptr_t)copy.buffer);
    untrack(c, (uint64_t)(uintptr_t)copy.memory);
    vkDestroyBuffer(c->device, copy.buffer, NULL);
    vkFreeMemory(c->device, copy.memory, NULL); /* and its mapping */
    ext_buffer_free(&b);
    other_device_free(c, &o);
    ext_buffer_free(&a2);
    ext_buffer_free(&a);
}

static void scenario_external_memory(struct ctx *c)
{
    /* The first round may open descriptors a driver (or vkwire) keeps for
     * the process; a second round must leave exactly as many open as it
     * found: every fd the application got went to an import, and the
     * imports are freed. */
    external_memory_round(c);
    const unsigned fds_before = open_fd_count();
    external_memory_round(c);
    const unsigned fds_after = open_fd_count();
    EXPECT(fds_after == fds_before, "%u fds open before a round, %u after it", fds_before,
           fds_after);
}

/* ---- external_sync ------------------------------------------------------- */

static VkExternalFenceHandleTypeFlagBits sync_fence_type;

static void needs_external_sync(struct ctx *c, struct device_needs *n)
{
    if (!device_offers(c, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME) ||
        !device_offers(c, VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why,
                 "no VK_KHR_external_semaphore_fd or VK_KHR_external_fence_fd");
        return;
    }
    const VkPhysicalDeviceExternalSemaphoreInfo si = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO,
        .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
    VkExternalSemaphoreProperties sp = {.sType = VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES};
    vkGetPhysicalDeviceExternalSemaphoreProperties(c->physical, &si, &sp);
    const VkExternalSemaphoreFeatureFlags both = VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT |
                                                 VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT;
    sync_fence_type = 0;
    const VkExternalFenceHandleTypeFlagBits fence_types[] = {
        VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT, VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT};
    for (int i = 0; i < 2 && !sync_fence_type; i++) {
        const VkPhysicalDeviceExternalFenceInfo fi = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_FENCE_INFO,
            .handleType = fence_types[i]};
        VkExternalFenceProperties fp = {.sType = VK_STRUCTURE_TYPE_EXTERNAL_FENCE_PROPERTIES};
        vkGetPhysicalDeviceExternalFenceProperties(c->physical, &fi, &fp);
        if ((fp.externalFenceFeatures & (VK_EXTERNAL_FENCE_FEATURE_EXPORTABLE_BIT |
                                         VK_EXTERNAL_FENCE_FEATURE_IMPORTABLE_BIT)) ==
            (VK_EXTERNAL_FENCE_FEATURE_EXPORTABLE_BIT | VK_EXTERNAL_FENCE_FEATURE_IMPORTABLE_BIT))
            sync_fence_type = fence_types[i];
    }
    if ((sp.externalSemaphoreFeatures & both) != both || !sync_fence_type) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why,
                 "OPAQUE_FD semaphores or fd fences are not both exportable and importable");
        return;
    }
    n->extensions[n->extension_count++] = VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME;
    n->extensions[n->extension_count++] = VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME;
}

/* A semaphore's payload and a fence's moved through fds: work that waits
 * on the importer runs after work that signalled the exporter, and a wait
 * on the imported fence ends when the exported one's work is done. */
static void scenario_external_sync(struct ctx *c)
{
    PFN_vkGetSemaphoreFdKHR get_sem =
        (PFN_vkGetSemaphoreFdKHR)vkGetDeviceProcAddr(c->device, "vkGetSemaphoreFdKHR");
    PFN_vkImportSemaphoreFdKHR import_sem =
        (PFN_vkImportSemaphoreFdKHR)vkGetDeviceProcAddr(c->device, "vkImportSemaphoreFdKHR");
    PFN_vkGetFenceFdKHR get_fence =
        (PFN_vkGetFenceFdKHR)vkGetDeviceProcAddr(c->device, "vkGetFenceFdKHR");
    PFN_vkImportFenceFdKHR import_fence =
        (PFN_vkImportFenceFdKHR)vkGetDeviceProcAddr(c->device, "vkImportFenceFdKHR");
    EXPECT(get_sem && import_sem && get_fence && import_fence, "an fd command is missing");
    const unsigned fds_before = open_fd_count();

    /* Semaphores: A exported, B imports A's payload. */
    const VkExportSemaphoreCreateInfo export_sem = {
        .sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
        .handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
    const VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                       .pNext = &export_sem};
    VkSemaphore a, b;
    VK(vkCreateSemaphore(c->device, &sci, NULL, &a));
    TRACK(SEMAPHORE, a);
    b = semaphore_new(c, false, 0);
    const VkSemaphoreGetFdInfoKHR sgi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR,
                                         .semaphore = a,
                                         .handleType =
                                             VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
    int fd = -1;
    VK(get_sem(c->device, &sgi, &fd));
    EXPECT(fd >= 0, "vkGetSemaphoreFdKHR gave %d", fd);
    const VkImportSemaphoreFdInfoKHR sii = {
        .sType = VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR,
        .semaphore = b,
        .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT,
        .fd = fd};
    VK(import_sem(c->device, &sii));

    struct buffer x = buffer_new(c, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    struct buffer y = buffer_new(c, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkCommandBuffer fill = primary_new(c), copy = primary_new(c);
    begin(c, fill, 0);
    vkCmdFillBuffer(fill, x.buffer, 0, VK_WHOLE_SIZE, 0x600dcafeu);
    end(c, fill);
    begin(c, copy, 0);
    const VkBufferCopy region = {.size = 4096};
    vkCmdCopyBuffer(copy, x.buffer, y.buffer, 1, &region);
    to_host(copy, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, copy);
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    const VkSubmitInfo first = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                .commandBufferCount = 1,
                                .pCommandBuffers = &fill,
                                .signalSemaphoreCount = 1,
                                .pSignalSemaphores = &a};
    const VkSubmitInfo second = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                 .waitSemaphoreCount = 1,
                                 .pWaitSemaphores = &b,
                                 .pWaitDstStageMask = &stage,
                                 .commandBufferCount = 1,
                                 .pCommandBuffers = &copy};
    submit(c, 1, &first, VK_NULL_HANDLE);

    /* Fences: G's payload exported while its work is pending, H imports it. */
    const VkExportFenceCreateInfo export_fence = {
        .sType = VK_STRUCTURE_TYPE_EXPORT_FENCE_CREATE_INFO, .handleTypes = sync_fence_type};
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
                                   .pNext = &export_fence};
    VkFence g;
    VK(vkCreateFence(c->device, &fci, NULL, &g));
    TRACK(FENCE, g);
    VkFence h = fence_new(c, false);
    submit(c, 1, &second, g);
    const VkFenceGetFdInfoKHR fgi = {.sType = VK_STRUCTURE_TYPE_FENCE_GET_FD_INFO_KHR,
                                     .fence = g,
                                     .handleType = sync_fence_type};
    fd = -1;
    VK(get_fence(c->device, &fgi, &fd));
    const VkImportFenceFdInfoKHR fii = {.sType = VK_STRUCTURE_TYPE_IMPORT_FENCE_FD_INFO_KHR,
                                        .fence = h,
                                        .flags = VK_FENCE_IMPORT_TEMPORARY_BIT,
                                        .handleType = sync_fence_type,
                                        .fd = fd};
    VK(import_fence(c->device, &fii)); /* -1 (a signalled SYNC_FD) too */
    wait_fence(c, h);
    const uint32_t *words = y.map;
    for (size_t i = 0; i < 1024; i++)
        EXPECT(words[i] == 0x600dcafeu,
               "word %zu: 0x%08x: the copy ran before the fill it waited for", i, words[i]);
    digest(c, y.map, 4096);
    /* A SYNC_FD export resets its fence (copy transference); an OPAQUE_FD
     * one shares the payload, which the wait saw signalled. */
    if (sync_fence_type == VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT)
        VK_EXPECT(VK_SUCCESS, vkGetFenceStatus(c->device, g));
    VK(vkResetFences(c->device, 1, &h)); /* back to its own payload */
    VK_EXPECT(VK_NOT_READY, vkGetFenceStatus(c->device, h));
    queue_wait_idle(c);
    const unsigned fds_after = open_fd_count();
    EXPECT(fds_after == fds_before, "%u fds open before, %u after: an import did not take its fd",
           fds_before, fds_after);
}

/* ---- external_host_memory ---------------------------------------------- */

static void needs_external_host_memory(struct ctx *c, struct device_needs *n)
{
    if (!device_offers(c, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no VK_EXT_external_memory_host");
        return;
    }
    n->extensions[n->extension_count++] = VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME;
}

#define HOST_BYTES ((size_t)256 << 10)

/* The application's own memory as device memory: the device reads what the
 * application wrote there and writes what the application then reads, with
 * no mapping at all; the pages keep their bytes after the memory is freed. */
static void scenario_external_host_memory(struct ctx *c)
{
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &host};
    vkGetPhysicalDeviceProperties2(c->physical, &props);
    const size_t align = (size_t)host.minImportedHostPointerAlignment;
    EXPECT(align && (align & (align - 1)) == 0 && align <= HOST_BYTES,
           "minImportedHostPointerAlignment %zu", align);
    uint32_t *words = aligned_alloc(align, HOST_BYTES);
    EXPECT(words, "out of memory");
    for (size_t i = 0; i < HOST_BYTES / 4; i++)
        words[i] = ext_pattern(i);

    PFN_vkGetMemoryHostPointerPropertiesEXT get_props =
        (PFN_vkGetMemoryHostPointerPropertiesEXT)vkGetDeviceProcAddr(
            c->device, "vkGetMemoryHostPointerPropertiesEXT");
    VkMemoryHostPointerPropertiesEXT pointer = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
    VkResult r = get_props ? get_props(c->device,
                                       VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
                                       words, &pointer)
                           : VK_ERROR_EXTENSION_NOT_PRESENT;
    if (r != VK_SUCCESS || !pointer.memoryTypeBits) {
        free(words);
        fail(c, "vkGetMemoryHostPointerPropertiesEXT on malloc'd memory: %s, types 0x%x",
             result_name(r), pointer.memoryTypeBits);
    }
    const VkExternalMemoryBufferCreateInfo external = {
        .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
        .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT};
    const VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .pNext = &external,
        .size = HOST_BYTES,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer;
    VK(vkCreateBuffer(c->device, &bci, NULL, &buffer));
    TRACK(BUFFER, buffer);
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, buffer, &req);
    const VkImportMemoryHostPointerInfoEXT import = {
        .sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
        .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
        .pHostPointer = words};
    const VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .pNext = &import,
        .allocationSize = HOST_BYTES,
        .memoryTypeIndex = memory_type(c, req.memoryTypeBits & pointer.memoryTypeBits,
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                           VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                       0)};
    VkDeviceMemory memory;
    r = vkAllocateMemory(c->device, &mai, NULL, &memory);
    if (r != VK_SUCCESS) {
        free(words);
        fail(c, "importing malloc'd memory: %s", result_name(r));
    }
    VK(vkBindBufferMemory(c->device, buffer, memory, 0));
    EXPECT(words[7] == ext_pattern(7), "the import changed the application's bytes");

    /* The device copies what the application wrote, and writes into it. */
    struct buffer copy = buffer_new(c, HOST_BYTES, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    const VkBufferCopy region = {.size = HOST_BYTES};
    vkCmdCopyBuffer(cb, buffer, copy.buffer, 1, &region);
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vkCmdFillBuffer(cb, buffer, HOST_BYTES / 4, HOST_BYTES / 4, 0x77777777u);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    bool copied = memcmp(copy.map, words, HOST_BYTES / 4) == 0;
    digest(c, copy.map, HOST_BYTES);
    bool filled = true; /* coherent: the device's writes are there after the wait */
    for (size_t i = HOST_BYTES / 16; i < HOST_BYTES / 8; i++)
        filled = filled && words[i] == 0x77777777u;
    digest(c, words, HOST_BYTES);

    /* Freed: the pages are the application's again, with the device's bytes. */
    vkDestroyBuffer(c->device, buffer, NULL);
    untrack(c, (uint64_t)(uintptr_t)buffer);
    vkFreeMemory(c->device, memory, NULL);
    const bool kept = words[HOST_BYTES / 16] == 0x77777777u && words[3] == ext_pattern(3);
    words[5] = 1; /* still writable */
    free(words);
    EXPECT(copied, "the device's copy differs from what the application wrote");
    EXPECT(filled, "the application does not see what the device wrote into its memory");
    EXPECT(kept, "after vkFreeMemory the application's memory lost its bytes");
}

/* ---- placed_mapping ---------------------------------------------------- */

static VkPhysicalDeviceMapMemoryPlacedFeaturesEXT placed_features;

static void needs_placed_mapping(struct ctx *c, struct device_needs *n)
{
    placed_features = (VkPhysicalDeviceMapMemoryPlacedFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAP_MEMORY_PLACED_FEATURES_EXT};
    VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = &placed_features};
    if (!device_offers(c, VK_EXT_MAP_MEMORY_PLACED_EXTENSION_NAME)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no VK_EXT_map_memory_placed");
        return;
    }
    vkGetPhysicalDeviceFeatures2(c->physical, &f);
    if (!placed_features.memoryMapPlaced || !placed_features.memoryMapRangePlaced ||
        !placed_features.memoryUnmapReserve) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "placed mappings without ranges or reserve");
        return;
    }
    placed_features.pNext = NULL;
    n->extensions[n->extension_count++] = VK_EXT_MAP_MEMORY_PLACED_EXTENSION_NAME;
    n->features = &placed_features;
}

/* Whether anything is mapped at [p, p + n) (a reservation counts). */
static bool range_in_use(void *p, size_t n)
{
    void *q = mmap(p, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (q == MAP_FAILED)
        return true;
    munmap(q, n);
    return q != p; /* an old kernel ignores the flag: then it tells nothing */
}

#define PLACED_BYTES ((size_t)256 << 10)

/* vkMapMemory2 at the application's address, of the whole memory and of a
 * range; the device reads and writes through it; VK_MEMORY_UNMAP_RESERVE_BIT_EXT
 * leaves the range reserved, no flag gives it back. */
static void scenario_placed_mapping(struct ctx *c)
{
    VkPhysicalDeviceMapMemoryPlacedPropertiesEXT placed = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAP_MEMORY_PLACED_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &placed};
    vkGetPhysicalDeviceProperties2(c->physical, &props);
    const size_t align = (size_t)placed.minPlacedMemoryMapAlignment;
    EXPECT(align && (align & (align - 1)) == 0 && PLACED_BYTES % align == 0,
           "minPlacedMemoryMapAlignment %zu", align);
    /* (Vulkan 1.4 core; the loader may be older than that.) */
    PFN_vkMapMemory2 map2 = (PFN_vkMapMemory2)vkGetDeviceProcAddr(c->device, "vkMapMemory2");
    PFN_vkUnmapMemory2 unmap2 =
        (PFN_vkUnmapMemory2)vkGetDeviceProcAddr(c->device, "vkUnmapMemory2");
    EXPECT(map2 && unmap2, "no vkMapMemory2 on a Vulkan 1.4 device");

    const VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = PLACED_BYTES,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer;
    VK(vkCreateBuffer(c->device, &bci, NULL, &buffer));
    TRACK(BUFFER, buffer);
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, buffer, &req);
    const VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = (req.size + align - 1) / align * align,
        .memoryTypeIndex = memory_type(c, req.memoryTypeBits,
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                           VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                       0)};
    VkDeviceMemory memory;
    VK(vkAllocateMemory(c->device, &mai, NULL, &memory));
    TRACK(DEVICE_MEMORY, memory);
    VK(vkBindBufferMemory(c->device, buffer, memory, 0));

    /* The application's reservation, with a page on each side it keeps. */
    const size_t span = (size_t)mai.allocationSize + 2 * align;
    uint8_t *room = mmap(NULL, span + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                         -1, 0);
    EXPECT(room != MAP_FAILED, "no address space");
    uint8_t *at = (uint8_t *)(((uintptr_t)room + align - 1) & ~(uintptr_t)(align - 1)) + align;

    /* The whole memory, placed. */
    VkMemoryMapPlacedInfoEXT where = {.sType = VK_STRUCTURE_TYPE_MEMORY_MAP_PLACED_INFO_EXT,
                                      .pPlacedAddress = at};
    VkMemoryMapInfo map = {.sType = VK_STRUCTURE_TYPE_MEMORY_MAP_INFO,
                           .pNext = &where,
                           .flags = VK_MEMORY_MAP_PLACED_BIT_EXT,
                           .memory = memory,
                           .size = VK_WHOLE_SIZE};
    void *data = NULL;
    VkResult r = map2(c->device, &map, &data);
    if (r != VK_SUCCESS || data != at) {
        munmap(room, span + align);
        fail(c, "vkMapMemory2 placed: %s, at %p (asked %p)", result_name(r), data, (void *)at);
    }
    uint32_t *words = data;
    for (size_t i = 0; i < PLACED_BYTES / 4; i++)
        words[i] = ext_pattern(i);
    struct buffer copy = buffer_new(c, PLACED_BYTES, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    const VkBufferCopy region = {.size = PLACED_BYTES};
    vkCmdCopyBuffer(cb, buffer, copy.buffer, 1, &region);
    barrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vkCmdFillBuffer(cb, buffer, 0, PLACED_BYTES / 2, 0x31313131u);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    const bool copied = memcmp(copy.map, at, PLACED_BYTES / 2) != 0 &&
                        memcmp((uint8_t *)copy.map + PLACED_BYTES / 2, at + PLACED_BYTES / 2,
                               PLACED_BYTES / 2) == 0;
    bool filled = true;
    for (size_t i = 0; i < PLACED_BYTES / 8; i++)
        filled = filled && words[i] == 0x31313131u;
    digest(c, copy.map, PLACED_BYTES);
    digest(c, at, PLACED_BYTES);
    const VkMemoryUnmapInfo reserve = {.sType = VK_STRUCTURE_TYPE_MEMORY_UNMAP_INFO,
                                       .flags = VK_MEMORY_UNMAP_RESERVE_BIT_EXT,
                                       .memory = memory};
    r = unmap2(c->device, &reserve);
    const bool reserved = range_in_use(at, align);

    /* A range, placed at the start of the reservation. */
    map.offset = align;
    map.size = 2 * align;
    void *part = NULL;
    VkResult r2 = map2(c->device, &map, &part);
    const bool part_ok = r2 == VK_SUCCESS && part == at &&
                         ((uint32_t *)part)[0] == 0x31313131u &&
                         ((uint32_t *)part)[align / 4 + 1] == 0x31313131u;
    if (r2 == VK_SUCCESS)
        digest(c, part, 2 * align);
    const VkMemoryUnmapInfo give_back = {.sType = VK_STRUCTURE_TYPE_MEMORY_UNMAP_INFO,
                                         .memory = memory};
    VkResult r3 = r2 == VK_SUCCESS ? unmap2(c->device, &give_back) : VK_SUCCESS;
    const bool given_back = !range_in_use(at, 2 * align);
    const bool edges_kept = range_in_use(at - align, align);
    munmap(room, span + align);
    EXPECT(copied, "the device read something else than the application wrote at its address");
    EXPECT(filled, "the application does not see the device's writes at its address");
    EXPECT(r == VK_SUCCESS && reserved,
           "vkUnmapMemory2 with VK_MEMORY_UNMAP_RESERVE_BIT_EXT: %s, range %s", result_name(r),
           reserved ? "reserved" : "no longer reserved");
    EXPECT(part_ok, "vkMapMemory2 of a range, placed: %s at %p", result_name(r2), part);
    EXPECT(r3 == VK_SUCCESS && given_back && edges_kept,
           "vkUnmapMemory2 without flags: %s, the range %s, the application's pages around it %s",
           result_name(r3), given_back ? "unmapped" : "still mapped",
           edges_kept ? "kept" : "gone");
}

#define CMDTEST_EXTERNAL                                                                    \
    {"external_sync", scenario_external_sync,                                              \
     "a semaphore's payload and a fence's moved through fds: the importer's waits follow "  \
     "the exporter's signals, no fd left open",                                            \
     false, needs_external_sync, false},                                                   \
    {"placed_mapping", scenario_placed_mapping,                                            \
     "vkMapMemory2 at the application's address (whole and a range), device reads and "    \
     "writes there, VK_MEMORY_UNMAP_RESERVE_BIT_EXT keeps the range, no flag gives it back", \
     false, needs_placed_mapping, true},                                                   \
    {"external_host_memory", scenario_external_host_memory,                                \
     "malloc'd memory imported (VK_EXT_external_memory_host): the device copies and fills " \
     "it, the application sees the device's bytes in its own pages, before and after free", \
     false, needs_external_host_memory, false},                                            \
    {"external_memory", scenario_external_memory,                                          \
     "OPAQUE_FD memory exported, imported by a second device and a second allocation: "    \
     "mappings and devices see each other's writes, no fd left open",                     \
     false, needs_external_memory, false},
