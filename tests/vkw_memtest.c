/* vkw_memtest — mapped memory seen from an application, public API only,
 * so the same binary runs natively and through vkwire in each memory mode.
 * TAP on stdout.  Every case is one a real application relies on:
 *   - the guest writes coherent memory, the device copies it, the guest
 *     reads the copy after waiting (no flush, no invalidate);
 *   - the device fills memory the guest keeps mapped (persistent mapping);
 *   - explicit flush and invalidate of sub-ranges;
 *   - a mapping at an offset, of part of the allocation;
 *   - two allocations mapped at once;
 *   - memory freed while mapped;
 *   - a staging buffer (transfer source only, which the device cannot
 *     write): the application's bytes reach the device and stay;
 *   - memory first bound only to such a buffer, then also to one the
 *     device writes (aliasing): the device's writes come back;
 *   - while the device works, the application writes other pages of a
 *     coherent mapping: after the wait they are intact, next to what the
 *     device wrote; a mapping the device did not touch keeps every byte;
 *   - the application and the device write different bytes of one page
 *     while the device works: the application's bytes are there after the
 *     wait.  Natively (and with shared memory) the device's bytes are there
 *     too; with --copied the test expects copied mode's documented rule
 *     instead (doc/PROTOCOL.md, "Mapped memory"): that page keeps the
 *     application's bytes whole, on both sides;
 *   - a large mapping written sparsely by both, never whole: each page
 *     has its last writer's bytes;
 *   - a 1 GiB allocation (first and last pages) unless --small.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

static int tap_n, tap_failed;

static void ok(bool pass, const char *what)
{
    printf("%sok %d - %s\n", pass ? "" : "not ", ++tap_n, what);
    fflush(stdout);
    tap_failed += !pass;
}

#define CHECK(call)                                                                  \
    do {                                                                             \
        VkResult r_ = (call);                                                        \
        if (r_ != VK_SUCCESS) {                                                      \
            printf("Bail out! %s failed: %d\n", #call, (int)r_);                     \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

static VkDevice device;
static VkQueue queue;
static VkCommandPool pool;
static VkPhysicalDeviceMemoryProperties mem_props;

struct buf {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;
    uint32_t type; /* memory type index */
};

static uint32_t host_visible_type(uint32_t bits, VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < mem_props.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (mem_props.memoryTypes[i].propertyFlags & want) == want)
            return i;
    printf("Bail out! no memory type with flags 0x%x\n", want);
    exit(1);
}

static VkBuffer new_buffer(VkDeviceSize size, VkBufferUsageFlags usage)
{
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = size,
                              .usage = usage,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer;
    CHECK(vkCreateBuffer(device, &bci, NULL, &buffer));
    return buffer;
}

static struct buf make_buffer_for(VkDeviceSize size, VkMemoryPropertyFlags want,
                                  VkBufferUsageFlags usage)
{
    struct buf b = {.size = size};
    b.buffer = new_buffer(size, usage);
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, b.buffer, &req);
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = host_visible_type(req.memoryTypeBits, want)};
    b.type = mai.memoryTypeIndex;
    CHECK(vkAllocateMemory(device, &mai, NULL, &b.memory));
    CHECK(vkBindBufferMemory(device, b.buffer, b.memory, 0));
    return b;
}

static struct buf make_buffer(VkDeviceSize size, VkMemoryPropertyFlags want)
{
    return make_buffer_for(size, want,
                           VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT);
}

static void free_buffer(struct buf *b)
{
    vkDestroyBuffer(device, b->buffer, NULL);
    vkFreeMemory(device, b->memory, NULL);
}

/* Record `fn`, submit with a fence, call `meanwhile` (if any) while the
 * device may still be working, wait. */
static void run_commands_while(void (*fn)(VkCommandBuffer, void *), void *user,
                               void (*meanwhile)(void *), void *meanwhile_user)
{
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(device, &cai, &cmd));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    fn(cmd, user);
    VkMemoryBarrier to_host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &to_host, 0, NULL, 0, NULL);
    CHECK(vkEndCommandBuffer(cmd));
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    CHECK(vkCreateFence(device, &fci, NULL, &fence));
    VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                           .commandBufferCount = 1,
                           .pCommandBuffers = &cmd};
    CHECK(vkQueueSubmit(queue, 1, &submit, fence));
    if (meanwhile)
        meanwhile(meanwhile_user);
    CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
    vkDestroyFence(device, fence, NULL);
    vkFreeCommandBuffers(device, pool, 1, &cmd);
}

static void run_commands(void (*fn)(VkCommandBuffer, void *), void *user)
{
    run_commands_while(fn, user, NULL, NULL);
}

struct copy {
    VkBuffer src, dst;
    VkBufferCopy region;
};

static void record_copy(VkCommandBuffer cmd, void *user)
{
    struct copy *c = user;
    vkCmdCopyBuffer(cmd, c->src, c->dst, 1, &c->region);
}

struct fill {
    VkBuffer dst;
    VkDeviceSize offset, size;
    uint32_t value;
};

static void record_fill(VkCommandBuffer cmd, void *user)
{
    struct fill *f = user;
    vkCmdFillBuffer(cmd, f->dst, f->offset, f->size, f->value);
}

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

static bool has_pattern(const uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)((i * 2654435761u + seed) >> 13))
            return false;
    return true;
}

static bool all_words(const uint8_t *p, size_t n, uint32_t value)
{
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t v;
        memcpy(&v, p + i, 4);
        if (v != value)
            return false;
    }
    return true;
}

/* Application writes made while the device works: `n` bytes of `seed`'s
 * pattern at `at`, and the same at `at2` (n2 bytes). */
struct writes {
    uint8_t *at, *at2;
    size_t n, n2;
    uint32_t seed;
};

static void write_meanwhile(void *user)
{
    struct writes *w = user;
    pattern(w->at, w->n, w->seed);
    if (w->at2)
        pattern(w->at2, w->n2, w->seed + 1);
}

/* Copy `n` bytes of `from` at `offset` into `into` and map it: what the
 * device holds there, seen through a fresh mapping. */
static bool device_holds(VkBuffer from, VkDeviceSize offset, struct buf *into, const uint8_t *want,
                         size_t n)
{
    struct copy c = {from, into->buffer, {offset, 0, n}};
    run_commands(record_copy, &c);
    uint8_t *p;
    CHECK(vkMapMemory(device, into->memory, 0, n, 0, (void **)&p));
    const bool same = memcmp(p, want, n) == 0;
    vkUnmapMemory(device, into->memory);
    return same;
}

static void test_concurrent_writes(bool copied, const VkMemoryPropertyFlags coherent)
{
    const size_t page = 4096, n = 16 * page;
    struct buf a = make_buffer(n, coherent), b = make_buffer(n, coherent),
               probe = make_buffer(n, coherent);
    uint8_t *pa, *pb;
    CHECK(vkMapMemory(device, a.memory, 0, VK_WHOLE_SIZE, 0, (void **)&pa));
    CHECK(vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, (void **)&pb));
    pattern(pa, n, 21);
    pattern(pb, n, 22);

    /* The device fills pages 1 and 2 of A; meanwhile the application
     * writes page 0 and page 3 of A and all of B. */
    uint8_t *expect = malloc(n);
    if (!expect) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    struct fill f = {a.buffer, page, 2 * page, 0xD00DFEEDu};
    struct writes w = {pa, pa + 3 * page, page, page, 23};
    run_commands_while(record_fill, &f, write_meanwhile, &w);
    bool intact = has_pattern(pa, page, 23) && has_pattern(pa + 3 * page, page, 24);
    pattern(expect, n, 21);
    ok(intact && all_words(pa + page, 2 * page, 0xD00DFEEDu) &&
           memcmp(pa + 4 * page, expect + 4 * page, n - 4 * page) == 0,
       "the application writes other pages while the device fills two: both are there");
    pattern(expect, n, 22);
    struct writes wb = {pb + 5 * page, NULL, page, 0, 25};
    run_commands_while(record_fill, &f, write_meanwhile, &wb);
    pattern(expect + 5 * page, page, 25);
    ok(memcmp(pb, expect, n) == 0,
       "a coherent mapping the device did not touch keeps every byte, also those written "
       "while it worked");
    ok(device_holds(b.buffer, 0, &probe, expect, n), "and the device sees exactly those");

    /* One page, both writers: the application's 64 bytes at its start,
     * the device's 256 at 1024. */
    pattern(expect, page, 21);
    memcpy(expect, pa + 8 * page, page); /* the page before either writes */
    struct fill g = {a.buffer, 8 * page + 1024, 256, 0xABCDABCDu};
    struct writes wa = {pa + 8 * page, NULL, 64, 0, 26};
    run_commands_while(record_fill, &g, write_meanwhile, &wa);
    pattern(expect, 64, 26);
    ok(has_pattern(pa + 8 * page, 64, 26),
       "the application and the device write one page: the application's bytes are there");
    if (copied) {
        /* Submission does not wait for the host, so the application's write
         * may still travel with the submission (then both writers' bytes
         * are there) or only after it (then the rule keeps its page whole). */
        uint8_t *both = malloc(page);
        if (!both) {
            printf("Bail out! out of memory\n");
            exit(1);
        }
        memcpy(both, expect, page);
        for (size_t i = 1024; i < 1024 + 256; i += 4)
            memcpy(both + i, &(uint32_t){0xABCDABCDu}, 4);
        const bool whole = memcmp(pa + 8 * page, expect, page) == 0;
        ok(whole || memcmp(pa + 8 * page, both, page) == 0,
           "copied mode: the page keeps the application's bytes whole (documented rule), "
           "or has both writers' bytes when the write travelled with the submission");
        VkSubmitInfo none = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO};
        CHECK(vkQueueSubmit(queue, 1, &none, VK_NULL_HANDLE)); /* the page travels */
        CHECK(vkQueueWaitIdle(queue));
        ok(device_holds(a.buffer, 8 * page, &probe, whole ? expect : both, page),
           "... and so does the device's memory after the next submission");
        free(both);
    } else {
        ok(all_words(pa + 8 * page + 1024, 256, 0xABCDABCDu),
           "natively (and with shared memory): the device's bytes too");
        memcpy(expect, pa + 8 * page, page);
        ok(device_holds(a.buffer, 8 * page, &probe, expect, page),
           "and the device's memory holds the same page");
    }
    free(expect);
    vkUnmapMemory(device, a.memory);
    vkUnmapMemory(device, b.memory);
    free_buffer(&a);
    free_buffer(&b);
    free_buffer(&probe);
}

/* A large mapping written sparsely, by the application and by the device,
 * never whole: in copied mode a watched shadow (doc/PROTOCOL.md §17.10)
 * stays watched here, so what a wait brings back is decided page by page
 * from what the kernel says the application wrote. */
static void test_sparse_writes(const VkMemoryPropertyFlags coherent)
{
    const size_t page = 4096, n = 64 * page;
    struct buf a = make_buffer(n, coherent), probe = make_buffer(n, coherent);
    uint8_t *pa, *expect = malloc(n);
    if (!expect) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    CHECK(vkMapMemory(device, a.memory, 0, VK_WHOLE_SIZE, 0, (void **)&pa));
    struct fill all = {a.buffer, 0, n, 0x11223344u};
    run_commands(record_fill, &all);
    ok(all_words(pa, n, 0x11223344u),
       "sparse: a device fill of a mapping the application never wrote comes back whole");

    /* Before the submission: page 5 and 100 bytes of page 40.  While the
     * device fills pages 10 and 11: page 20 and the last 96 bytes. */
    pattern(pa + 5 * page, page, 41);
    pattern(pa + 40 * page, 100, 42);
    struct fill two = {a.buffer, 10 * page, 2 * page, 0x55667788u};
    struct writes w = {pa + 20 * page, pa + n - 96, page, 96, 43};
    run_commands_while(record_fill, &two, write_meanwhile, &w);
    for (size_t i = 0; i < n; i += 4)
        memcpy(expect + i, &(uint32_t){i >= 10 * page && i < 12 * page ? 0x55667788u : 0x11223344u},
               4);
    pattern(expect + 5 * page, page, 41);
    pattern(expect + 40 * page, 100, 42);
    pattern(expect + 20 * page, page, 43);
    pattern(expect + n - 96, 96, 44);
    ok(memcmp(pa, expect, n) == 0,
       "sparse: the application's pages and the device's fill are both there, every other "
       "byte unchanged");
    ok(device_holds(a.buffer, 0, &probe, expect, n),
       "sparse: and the device holds the same bytes after the next submission");
    free(expect);
    vkUnmapMemory(device, a.memory);
    free_buffer(&a);
    free_buffer(&probe);
}

/* Memory the device can only read, then also write. */
static void test_read_only(const VkMemoryPropertyFlags coherent)
{
    const size_t n = 65536;
    struct buf staging = make_buffer_for(n, coherent, VK_BUFFER_USAGE_TRANSFER_SRC_BIT),
               dst = make_buffer(n, coherent);
    uint8_t *p, *q;
    CHECK(vkMapMemory(device, staging.memory, 0, VK_WHOLE_SIZE, 0, (void **)&p));
    CHECK(vkMapMemory(device, dst.memory, 0, VK_WHOLE_SIZE, 0, (void **)&q));
    pattern(p, n, 31);
    struct copy c = {staging.buffer, dst.buffer, {0, 0, n}};
    run_commands(record_copy, &c);
    ok(has_pattern(q, n, 31) && has_pattern(p, n, 31),
       "a staging buffer (transfer source only): its bytes reach the device and stay");

    /* Alias the staging memory with a buffer the device writes. */
    VkBuffer writer = new_buffer(n, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, writer, &req);
    const char *what = "the same memory bound to a transfer-destination buffer too: the "
                       "device's writes through it come back";
    if (!(req.memoryTypeBits & (1u << staging.type)) || req.size > staging.size) {
        printf("ok %d - %s # SKIP the memory does not take that buffer here\n", ++tap_n, what);
    } else {
        CHECK(vkBindBufferMemory(device, writer, staging.memory, 0));
        struct fill f = {writer, 4096, 8192, 0xFACEB00Cu};
        run_commands(record_fill, &f);
        ok(all_words(p + 4096, 8192, 0xFACEB00Cu) && has_pattern(p, 4096, 31), what);
    }
    vkDestroyBuffer(device, writer, NULL);
    vkUnmapMemory(device, staging.memory);
    vkUnmapMemory(device, dst.memory);
    free_buffer(&staging);
    free_buffer(&dst);
}

int main(int argc, char **argv)
{
    bool small = false, copied = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--small") == 0)
            small = true;
        else if (strcmp(argv[i], "--copied") == 0)
            copied = true;
    }
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vkw_memtest",
                             .apiVersion = VK_API_VERSION_1_3};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    VkInstance instance;
    CHECK(vkCreateInstance(&ici, NULL, &instance));
    uint32_t count = 1;
    VkPhysicalDevice physical;
    VkResult er = vkEnumeratePhysicalDevices(instance, &count, &physical);
    if ((er != VK_SUCCESS && er != VK_INCOMPLETE) || count == 0) {
        printf("Bail out! no physical device\n");
        return 1;
    }
    vkGetPhysicalDeviceMemoryProperties(physical, &mem_props);
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    CHECK(vkCreateDevice(physical, &dci, NULL, &device));
    vkGetDeviceQueue(device, 0, 0, &queue);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    CHECK(vkCreateCommandPool(device, &pci, NULL, &pool));
    const VkMemoryPropertyFlags coherent =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;

    /* 1. guest writes, device copies, guest reads the copy: coherence alone */
    const size_t n = 1 << 20;
    struct buf src = make_buffer(n, coherent), dst = make_buffer(n, coherent);
    uint8_t *s, *d;
    CHECK(vkMapMemory(device, src.memory, 0, VK_WHOLE_SIZE, 0, (void **)&s));
    CHECK(vkMapMemory(device, dst.memory, 0, VK_WHOLE_SIZE, 0, (void **)&d));
    ok(true, "two allocations mapped at once");
    pattern(s, n, 1);
    struct copy c = {src.buffer, dst.buffer, {0, 0, n}};
    run_commands(record_copy, &c);
    ok(has_pattern(d, n, 1), "coherent: guest writes reach the device and its copy comes back");

    /* 2. the mapping stays: the device fills part, the guest sees it */
    struct fill f = {dst.buffer, 4096, 8192, 0xC0FFEE11u};
    run_commands(record_fill, &f);
    ok(all_words(d + 4096, 8192, 0xC0FFEE11u) && has_pattern(d, 4096, 1),
       "persistent mapping: a device fill of a sub-range is visible, the rest untouched");
    ok(memcmp(d + 12288, s + 12288, n - 12288) == 0,
       "the bytes around the fill are still the copy");

    /* 3. explicit flush and invalidate of sub-ranges */
    pattern(s + 65536, 4096, 7);
    VkMappedMemoryRange range = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                 .memory = src.memory,
                                 .offset = 65536,
                                 .size = 4096};
    CHECK(vkFlushMappedMemoryRanges(device, 1, &range));
    c.region = (VkBufferCopy){65536, 65536, 4096};
    run_commands(record_copy, &c);
    range.memory = dst.memory;
    CHECK(vkInvalidateMappedMemoryRanges(device, 1, &range));
    ok(has_pattern(d + 65536, 4096, 7), "flush and invalidate of a 4 KiB range at 64 KiB");
    uint8_t *expect = malloc(n); /* what dst holds, for after the unmaps */
    if (!expect) {
        printf("Bail out! out of memory\n");
        return 1;
    }
    memcpy(expect, d, n);
    vkUnmapMemory(device, src.memory);
    vkUnmapMemory(device, dst.memory);

    /* 4. a mapping of part of an allocation, at an offset */
    uint8_t *part;
    CHECK(vkMapMemory(device, dst.memory, 8192, 16384, 0, (void **)&part));
    ok(all_words(part, 4096, 0xC0FFEE11u) && memcmp(part + 4096, expect + 12288, 12288) == 0,
       "a mapping at an offset sees what the device left there");
    pattern(part, 16384, 3);
    vkUnmapMemory(device, dst.memory);
    c = (struct copy){dst.buffer, src.buffer, {8192, 0, 16384}};
    run_commands(record_copy, &c);
    CHECK(vkMapMemory(device, src.memory, 0, 16384, 0, (void **)&s));
    ok(has_pattern(s, 16384, 3), "writes through an offset mapping reach the device");
    vkUnmapMemory(device, src.memory);

    /* 5. memory freed while mapped */
    struct buf gone = make_buffer(65536, coherent);
    void *g;
    CHECK(vkMapMemory(device, gone.memory, 0, VK_WHOLE_SIZE, 0, &g));
    memset(g, 0x11, 65536);
    free_buffer(&gone);
    ok(true, "memory freed while mapped");

    /* 6. memory the device can only read; writes while the device works */
    test_read_only(coherent);
    test_concurrent_writes(copied, coherent);
    test_sparse_writes(coherent);

    /* 7. a large allocation */
    if (!small) {
        const VkDeviceSize big = (VkDeviceSize)1 << 30;
        struct buf huge = make_buffer(big, coherent);
        uint8_t *h;
        CHECK(vkMapMemory(device, huge.memory, 0, VK_WHOLE_SIZE, 0, (void **)&h));
        pattern(h, 4096, 9);
        pattern(h + big - 4096, 4096, 10);
        c = (struct copy){huge.buffer, dst.buffer, {big - 4096, 0, 4096}};
        run_commands(record_copy, &c);
        f = (struct fill){huge.buffer, big / 2, 4096, 0x5EED5EEDu};
        run_commands(record_fill, &f);
        CHECK(vkMapMemory(device, dst.memory, 0, 4096, 0, (void **)&d));
        ok(has_pattern(d, 4096, 10) && has_pattern(h, 4096, 9) &&
               all_words(h + big / 2, 4096, 0x5EED5EEDu),
           "1 GiB allocation: last page reaches the device, a fill in the middle comes back");
        vkUnmapMemory(device, dst.memory);
        vkUnmapMemory(device, huge.memory);
        free_buffer(&huge);
    }

    free(expect);
    free_buffer(&src);
    free_buffer(&dst);
    vkDestroyCommandPool(device, pool, NULL);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
