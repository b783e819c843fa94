/* Mapped memory on the host, in-process on lavapipe: the renderer library
 * driven by a raw guest (tests/host_test_guest.h) that sends vkwire's
 * memory messages (tests/memory_messages_test.h) and file descriptors.
 *
 * Copied mode: WRITE_MEMORY then READ_MEMORY give back the exact bytes,
 * sharing the host's one mapping with the guest's vkMapMemory.  Shared
 * mode: a memfd the test writes into is imported (imported=1), READ_MEMORY
 * through the host returns what the test wrote, a WRITE_MEMORY shows up in
 * the test's own mapping, and a vkCmdFillBuffer the device runs lands in
 * it too: one set of pages.  Every fd given to the renderer is closed, and
 * teardown leaves no mapping of the memfd behind.  Errors end the context
 * with the documented code: ranges past the allocation, a bad fd index.
 * Tracked ranges with the real device: READ_CHANGED returns exactly the
 * page a fill wrote, then nothing; a reply sent as pieces is the same
 * bytes as in one buffer; with shared shadows PUSH/PULL_CHANGED move only
 * what changed, leave memory the device did not touch alone, and follow
 * the documented rule when the guest and the device write one page. */
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS, setenv, RTLD_NODELETE; before any include */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_test_guest.h"
#include "memory_messages_test.h"
#include "tap.h"
#include "vkwire/renderer.h"

#define MEMFD_NAME "vkw-test-memory"
#define SIZE 65536u
#define COPIED_ID 300u
#define SHARED_ID 310u
#define BUFFER_ID 100u

struct side {
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
    uint32_t type; /* a HOST_VISIBLE | HOST_COHERENT memory type */
};

static struct vkw_renderer *renderer;

/* Hand the batch built in s->g.w (and `nfds` fds) to the context. */
static enum vkw_renderer_status run_fds(struct side *s, const int *fds, size_t nfds)
{
    enum vkw_renderer_status st = vkw_renderer_context_process_fds(
        s->ctx, s->g.w.data, s->g.w.size, fds, nfds, &s->reply, &s->reply_size);
    vkw_writer_reset(&s->g.w);
    return st;
}

static enum vkw_renderer_status run(struct side *s)
{
    return run_fds(s, NULL, 0);
}

/* The index of a memory type with `flags`, or UINT32_MAX. */
static uint32_t memory_type(struct side *s, VkMemoryPropertyFlags flags)
{
    VkPhysicalDeviceMemoryProperties mp;
    memset(&mp, 0, sizeof(mp));
    vkw_encode_vkGetPhysicalDeviceMemoryProperties(&s->g.w, ++s->g.serial, TG_PHYSICAL(&s->g),
                                                   &mp);
    if (run(s) != VKW_RENDERER_OK)
        return UINT32_MAX;
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, s->reply, s->reply_size);
    if (!tg_next_reply(&rs, &h, &p) || h.status != VKW_OK)
        return UINT32_MAX;
    vkw_decode_reply_vkGetPhysicalDeviceMemoryProperties(&p, TG_PHYSICAL(&s->g), &mp);
    for (uint32_t i = 0; vkw_reader_ok(&p) && i < mp.memoryTypeCount; i++)
        if ((mp.memoryTypes[i].propertyFlags & flags) == flags)
            return i;
    return UINT32_MAX;
}

/* A context past the handshake with instance, device and queue. */
static bool open_side(struct side *s)
{
    memset(s, 0, sizeof(*s));
    s->ctx = vkw_renderer_context_create(renderer);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    struct vkw_welcome wl;
    if (!s->ctx || run(s) != VKW_RENDERER_OK || !tg_welcome(s->reply, s->reply_size, &wl) ||
        !wl.accepted)
        return false;
    tg_bring_up(&s->g);
    if (run(s) != VKW_RENDERER_OK || tg_count_ok(s->reply, s->reply_size, true, NULL) != 3)
        return false;
    s->type = memory_type(s, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                 VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    return s->type != UINT32_MAX;
}

static void close_side(struct side *s)
{
    vkw_renderer_context_destroy(s->ctx);
    tg_fini(&s->g);
}

static void allocate(struct side *s, uint64_t id, VkDeviceSize size)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = size,
                               .memoryTypeIndex = s->type};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, id);
    vkw_encode_vkAllocateMemory(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &ai, NULL, &mem);
}

/* The next reply of the answer in `rs`, which must be a READ_MEMORY reply
 * of `n` bytes: copied to `out`. */
static bool read_reply(struct tg_replies *rs, void *out, size_t n)
{
    struct vkw_reply_header h;
    struct vkw_reader p;
    return tg_next_reply(rs, &h, &p) && h.opcode == VKW_MSG_READ_MEMORY && h.status == VKW_OK &&
           vkw_read_u64(&p) == n && vkw_read_bytes(&p, out, n) && vkw_reader_remaining(&p) == 0;
}

/* READ_MEMORY of [offset, offset + n) alone in a batch, into `out`. */
static bool read_memory(struct side *s, uint64_t id, uint64_t offset, void *out, size_t n)
{
    tm_read_memory(&s->g.w, ++s->g.serial, id, offset, n);
    if (run(s) != VKW_RENDERER_OK)
        return false;
    struct tg_replies rs;
    tg_replies_init(&rs, s->reply, s->reply_size);
    return read_reply(&rs, out, n);
}

/* The error the context ended with, from its answer. */
static bool ended_with(struct side *s, enum vkw_renderer_status st, uint32_t status,
                       uint64_t value)
{
    uint32_t got_status = 0;
    uint64_t got_value = 0;
    const bool found = tg_error_reply(s->reply, s->reply_size, &got_status, &got_value);
    if (!found || got_status != status || got_value != value)
        diag("got status %u value %llu (%s)", got_status, (unsigned long long)got_value,
             vkw_renderer_context_error(s->ctx));
    return st == VKW_RENDERER_PROTOCOL_ERROR && found && got_status == status && got_value == value;
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7u + seed);
}

static int memfd_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, MEMFD_NAME))
            n++;
    fclose(f);
    return n;
}

static int make_memfd(off_t size, bool seal)
{
    int fd = memfd_create(MEMFD_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, size) != 0 || (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0))
        tm_bail_out("memfd");
    return fd;
}

static void test_copied(void)
{
    struct side s;
    const bool opened = open_side(&s);
    ok(opened, "a context with instance, device and a coherent type (%u)", s.type);
    allocate(&s, COPIED_ID, SIZE);
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, true, NULL) == 1,
       "vkAllocateMemory: 64 KiB host-visible");

    static uint8_t pattern[3001], got[3001];
    fill_pattern(pattern, sizeof(pattern), 3);
    tm_write_memory(&s.g.w, ++s.g.serial, 0, COPIED_ID, 999, "Z", 1);
    tm_write_memory(&s.g.w, ++s.g.serial, 0, COPIED_ID, 1000, pattern, sizeof(pattern));
    tm_write_memory(&s.g.w, ++s.g.serial, 0, COPIED_ID, SIZE - 5, "tail!", 5);
    tm_read_memory(&s.g.w, ++s.g.serial, COPIED_ID, 1000, sizeof(pattern));
    tm_read_memory(&s.g.w, ++s.g.serial, COPIED_ID, 999, 3);
    tm_read_memory(&s.g.w, ++s.g.serial, COPIED_ID, SIZE - 5, 5);
    ok(run(&s) == VKW_RENDERER_OK, "three writes and three reads in one batch");
    struct tg_replies rs;
    tg_replies_init(&rs, s.reply, s.reply_size);
    ok(read_reply(&rs, got, sizeof(pattern)) && memcmp(got, pattern, sizeof(pattern)) == 0,
       "READ_MEMORY gives back the 3001 bytes written at offset 1000, exactly");
    uint8_t edge[3];
    ok(read_reply(&rs, edge, 3) && edge[0] == 'Z' && edge[1] == pattern[0] && edge[2] == pattern[1],
       "the byte written before them is untouched");
    char tail[5];
    ok(read_reply(&rs, tail, 5) && memcmp(tail, "tail!", 5) == 0,
       "the last 5 bytes of the allocation can be written and read");

    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, COPIED_ID);
    vkw_encode_vkMapMemory(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g), mem, 0, VK_WHOLE_SIZE, 0, NULL);
    vkw_encode_vkUnmapMemory(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g), mem);
    vkw_encode_vkMapMemory(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g), mem, 4096, 4096, 0, NULL);
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, true, NULL) == 2,
       "the guest's vkMapMemory, unmap, map again: all succeed on the host's one mapping");
    ok(read_memory(&s, COPIED_ID, 1000, got, sizeof(pattern)) &&
           memcmp(got, pattern, sizeof(pattern)) == 0,
       "and the bytes are still there");
    close_side(&s);

    ok(open_side(&s), "a fresh context");
    allocate(&s, COPIED_ID, SIZE);
    tm_write_memory(&s.g.w, ++s.g.serial, 0, COPIED_ID, SIZE - 4, pattern, 5);
    uint32_t serial = s.g.serial;
    enum vkw_renderer_status st = run(&s);
    ok(ended_with(&s, st, VKW_ERROR_BAD_RANGE, SIZE + 1), "a write one byte past the end: bad_range");
    char want[96];
    snprintf(want, sizeof(want), "bad_range %u in WRITE_MEMORY (serial %u)", SIZE + 1, serial);
    is_str(vkw_renderer_context_error(s.ctx), want, "the reason names the message");
    close_side(&s);

    ok(open_side(&s), "a fresh context");
    allocate(&s, COPIED_ID, SIZE);
    tm_read_memory(&s.g.w, ++s.g.serial, COPIED_ID, 1, SIZE);
    st = run(&s);
    ok(ended_with(&s, st, VKW_ERROR_BAD_RANGE, SIZE + 1), "a read one byte past the end: bad_range");
    tm_read_memory(&s.g.w, ++s.g.serial, COPIED_ID, 0, 4);
    ok(run(&s) == VKW_RENDERER_PROTOCOL_ERROR, "the context stays ended");
    close_side(&s);
}

/* Buffer BUFFER_ID (4096 bytes) bound to memory `id` at 0, and the command
 * buffers device_fill_with records into. */
static void fill_setup(struct side *s, uint64_t id)
{
    struct tg_guest *g = &s->g;
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = 4096,
                              .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, BUFFER_ID);
    size_t at = g->w.size;
    vkw_encode_vkCreateBuffer(&g->w, ++g->serial, TG_DEVICE(g), &bci, NULL, &buffer);
    tg_ask_reply(g, at); /* asynchronous commands: their results are checked here */
    at = g->w.size;
    vkw_encode_vkBindBufferMemory(&g->w, ++g->serial, TG_DEVICE(g), buffer,
                                  VKW_U64_HANDLE(VkDeviceMemory, id), 0);
    tg_ask_reply(g, at);
    tg_command_buffers(g);
}

/* vkCmdFillBuffer of 256 bytes at `offset` of buffer BUFFER_ID, recorded
 * into command buffer `cb` (0 or 1, once each), submitted and waited for. */
static void device_fill_with(struct side *s, int cb_index, VkDeviceSize offset, uint32_t value)
{
    struct tg_guest *g = &s->g;
    VkCommandBuffer cb = (VkCommandBuffer)&g->cbs[cb_index];
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    vkw_encode_vkBeginCommandBuffer(&g->w, ++g->serial, cb, &bi);
    vkw_encode_vkCmdFillBuffer(&g->w, ++g->serial, cb, VKW_U64_HANDLE(VkBuffer, BUFFER_ID), offset,
                               256, value);
    vkw_encode_vkEndCommandBuffer(&g->w, ++g->serial, cb);
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cb};
    vkw_encode_vkQueueSubmit(&g->w, ++g->serial, (VkQueue)&g->queue, 1, &si, VK_NULL_HANDLE);
    vkw_encode_vkQueueWaitIdle(&g->w, ++g->serial, (VkQueue)&g->queue);
}

/* vkCmdFillBuffer over buffer BUFFER_ID bound to memory `id`, submitted
 * and waited for. */
static void device_fill(struct side *s, uint64_t id, VkDeviceSize offset, uint32_t value)
{
    fill_setup(s, id);
    device_fill_with(s, 0, offset, value);
}

static void test_shared(void)
{
    const int fds_before = tm_open_fds();
    const int maps_before = memfd_mappings();
    struct side s;
    ok(open_side(&s), "a context for shared memory");

    int fd = make_memfd(SIZE, true);
    uint8_t *mine = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mine == MAP_FAILED)
        tm_bail_out("mmap");
    fill_pattern(mine, SIZE, 11);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = SIZE,
                               .memoryTypeIndex = s.type};
    tm_allocate_shared(&s.g.w, ++s.g.serial, TG_DEVICE_ID, &ai, SHARED_ID, 0);
    enum vkw_renderer_status st = run_fds(&s, &fd, 1);
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, s.reply, s.reply_size);
    int32_t result = -1;
    uint32_t imported = 9;
    if (st == VKW_RENDERER_OK && tg_next_reply(&rs, &h, &p) &&
        h.opcode == VKW_MSG_ALLOCATE_SHARED && h.status == VKW_OK) {
        result = vkw_read_i32(&p);
        imported = vkw_read_u32(&p);
    }
    ok(result == VK_SUCCESS && imported == 1, "ALLOCATE_SHARED: VK_SUCCESS, imported 1 (got %d, %u)",
       result, imported);
    ok(fcntl(fd, F_GETFD) == -1 && errno == EBADF, "the renderer closed the memfd it was given");
    is_int(vkw_renderer_context_object_count(s.ctx), 5,
           "the memory is bound (instance, physical device, device, queue, memory)");

    static uint8_t got[SIZE];
    ok(read_memory(&s, SHARED_ID, 0, got, SIZE) && memcmp(got, mine, SIZE) == 0,
       "READ_MEMORY through the host returns what the test wrote into its own mapping");
    mine[12345] ^= 0xff;
    ok(read_memory(&s, SHARED_ID, 12345, got, 1) && got[0] == mine[12345],
       "a later change shows at once: the host maps the same pages");
    tm_write_memory(&s.g.w, ++s.g.serial, 0, SHARED_ID, 40000, "from the host", 13);
    ok(run(&s) == VKW_RENDERER_OK && memcmp(mine + 40000, "from the host", 13) == 0,
       "a WRITE_MEMORY shows in the test's mapping");

    device_fill(&s, SHARED_ID, 512, 0xa5a5a5a5u);
    uint32_t bad = 0;
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, true, &bad) == 7,
       "buffer bound to the imported memory, vkCmdFillBuffer submitted (no reply: "
       "asynchronous) and waited for");
    if (bad)
        diag("first failing reply: %s", vkw_opcode_name(bad));
    bool filled = true;
    for (size_t i = 512; i < 512 + 256; i++)
        filled = filled && mine[i] == 0xa5;
    ok(filled && mine[511] == (uint8_t)(511 * 7u + 11) && mine[768] == (uint8_t)(768 * 7u + 11),
       "the device's fill landed in the test's pages, exactly the 256 bytes");

    /* A memfd that may shrink: ordinary memory (copied mode) instead. */
    int unsealed = make_memfd(SIZE, false);
    tm_allocate_shared(&s.g.w, ++s.g.serial, TG_DEVICE_ID, &ai, SHARED_ID + 1, 0);
    st = run_fds(&s, &unsealed, 1);
    tg_replies_init(&rs, s.reply, s.reply_size);
    result = -1;
    imported = 9;
    if (st == VKW_RENDERER_OK && tg_next_reply(&rs, &h, &p) && h.status == VKW_OK) {
        result = vkw_read_i32(&p);
        imported = vkw_read_u32(&p);
    }
    ok(result == VK_SUCCESS && imported == 0 && fcntl(unsealed, F_GETFD) == -1,
       "an unsealed memfd is not imported: VK_SUCCESS, imported 0, fd closed");
    tm_write_memory(&s.g.w, ++s.g.serial, 0, SHARED_ID + 1, 8, "copied", 6);
    ok(run(&s) == VKW_RENDERER_OK && read_memory(&s, SHARED_ID + 1, 8, got, 6) &&
           memcmp(got, "copied", 6) == 0,
       "and it works in copied mode");

    munmap(mine, SIZE);
    is_int(memfd_mappings(), maps_before + 1, "the host holds one mapping of the imported memfd");
    ok(vkw_renderer_context_destroy_objects(s.ctx) >= 5 && memfd_mappings() == maps_before,
       "teardown with imported memory alive leaves no mapping of the memfd");
    close_side(&s);

    /* Errors that end the context; their fds are closed all the same. */
    ok(open_side(&s), "a fresh context");
    int two[2] = {make_memfd(SIZE, true), make_memfd(SIZE, true)};
    tm_allocate_shared(&s.g.w, ++s.g.serial, TG_DEVICE_ID, &ai, SHARED_ID, 2);
    st = run_fds(&s, two, 2);
    ok(ended_with(&s, st, VKW_ERROR_BAD_FD, 2), "fd index 2 of a message that carried 2: bad_fd");
    ok(fcntl(two[0], F_GETFD) == -1 && fcntl(two[1], F_GETFD) == -1, "both fds closed");
    fd = make_memfd(SIZE, true);
    tm_allocate_shared(&s.g.w, ++s.g.serial, TG_DEVICE_ID, &ai, SHARED_ID, 0);
    ok(run_fds(&s, &fd, 1) == VKW_RENDERER_PROTOCOL_ERROR && fcntl(fd, F_GETFD) == -1,
       "an ended context closes the fds of later messages");
    close_side(&s);

    ok(open_side(&s), "a fresh context");
    fd = make_memfd(SIZE / 2, true);
    tm_allocate_shared(&s.g.w, ++s.g.serial, TG_DEVICE_ID, &ai, SHARED_ID, 0);
    st = run_fds(&s, &fd, 1);
    ok(ended_with(&s, st, VKW_ERROR_BAD_FD, 0), "a memfd shorter than allocationSize: bad_fd");
    close_side(&s);

    /* Fds with a HELLO, and with a refused call. */
    struct vkw_renderer_context *ctx = vkw_renderer_context_create(renderer);
    struct tg_guest g;
    tg_init(&g);
    tg_hello(&g, VKW_PROTOCOL_MAJOR);
    fd = make_memfd(16, false);
    const void *reply;
    size_t reply_size;
    struct vkw_welcome wl;
    ok(vkw_renderer_context_process_fds(ctx, g.w.data, g.w.size, &fd, 1, &reply, &reply_size) ==
               VKW_RENDERER_OK &&
           tg_welcome(reply, reply_size, &wl) && wl.accepted &&
           (wl.host.features & VKW_FEATURE_MAPPED_MEMORY) && fcntl(fd, F_GETFD) == -1,
       "a HELLO with an fd: accepted (the host offers mapped memory), the fd closed");
    fd = make_memfd(16, false);
    ok(vkw_renderer_context_process_fds(ctx, NULL, 4, &fd, 1, &reply, &reply_size) ==
               VKW_RENDERER_INVALID_ARGUMENT &&
           fcntl(fd, F_GETFD) == -1,
       "a call refused as invalid still closes its fd");
    vkw_renderer_context_destroy(ctx);
    tg_fini(&g);

    is_int(tm_open_fds(), fds_before, "no descriptor left open");
}

/* ---- tracked ranges on lavapipe ---- */

#define PAGE 4096u
#define OTHER_ID 320u

/* The next reply, which must be `opcode` with status 0; its payload in *p. */
static bool next_ok(struct tg_replies *rs, uint32_t opcode, struct vkw_reader *p)
{
    struct vkw_reply_header h;
    return tg_next_reply(rs, &h, p) && h.opcode == opcode && h.status == VKW_OK;
}

/* SYNC_SHARED alone in a batch: the bytes it moved, or -1. */
static int64_t sync_shared(struct side *s, uint64_t id, uint32_t op)
{
    tm_sync_shared(&s->g.w, ++s->g.serial, VKW_COMMAND_FLAG_REPLY, id, 0, SIZE, op);
    struct tg_replies rs;
    struct vkw_reader p;
    if (run(s) != VKW_RENDERER_OK)
        return -1;
    tg_replies_init(&rs, s->reply, s->reply_size);
    if (!next_ok(&rs, VKW_MSG_SYNC_SHARED, &p))
        return -1;
    const uint64_t moved = vkw_read_u64(&p);
    return vkw_reader_ok(&p) ? (int64_t)moved : -1;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t value)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != value)
            return false;
    return true;
}

static void test_tracked(void)
{
    struct side s;
    ok(open_side(&s), "a context for tracked ranges");
    allocate(&s, COPIED_ID, SIZE);
    static uint8_t zeros[SIZE];
    tm_write_memory(&s.g.w, ++s.g.serial, 0, COPIED_ID, 0, zeros, SIZE);
    tm_track_memory(&s.g.w, ++s.g.serial, COPIED_ID, 0, SIZE, VKW_TRACK_COHERENT, 0);
    struct tg_replies rs;
    struct vkw_reader p;
    bool good = run(&s) == VKW_RENDERER_OK;
    tg_replies_init(&rs, s.reply, s.reply_size);
    ok(good && next_ok(&rs, VKW_CMD_vkAllocateMemory, &p) &&
           next_ok(&rs, VKW_MSG_TRACK_MEMORY, &p) && vkw_read_i32(&p) == VK_SUCCESS,
       "copied memory, zeroed, tracked (socket way)");

    device_fill(&s, COPIED_ID, 512, 0x5a5a5a5au);
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, true, NULL) == 7,
       "the device fills 256 bytes at 512");
    tm_read_changed(&s.g.w, ++s.g.serial, VKW_COMMAND_FLAG_REPLY, COPIED_ID, 0, SIZE);
    struct tm_run runs[4];
    good = run(&s) == VKW_RENDERER_OK;
    tg_replies_init(&rs, s.reply, s.reply_size);
    ok(good && next_ok(&rs, VKW_MSG_READ_CHANGED, &p) && tm_changed_runs(&p, runs, 4) == 1 &&
           runs[0].offset == 0 && runs[0].count == PAGE && all_bytes(runs[0].bytes, 512, 0) &&
           all_bytes(runs[0].bytes + 512, 256, 0x5a) && all_bytes(runs[0].bytes + 768, PAGE - 768, 0),
       "READ_CHANGED returns the one page the device wrote, with exactly its fill");
    tm_read_changed(&s.g.w, ++s.g.serial, VKW_COMMAND_FLAG_REPLY, COPIED_ID, 0, SIZE);
    good = run(&s) == VKW_RENDERER_OK;
    tg_replies_init(&rs, s.reply, s.reply_size);
    ok(good && next_ok(&rs, VKW_MSG_READ_CHANGED, &p) && tm_changed_runs(&p, runs, 4) == 0,
       "asked again: nothing");

    /* The reply as pieces is the same bytes as the reply in one buffer. */
    static uint8_t pattern[SIZE];
    fill_pattern(pattern, SIZE, 5);
    tm_write_memory(&s.g.w, ++s.g.serial, 0, COPIED_ID, 0, pattern, SIZE);
    run(&s);
    const uint32_t serial = ++s.g.serial;
    tm_read_memory(&s.g.w, serial, COPIED_ID, 0, SIZE);
    const struct vkw_writer read = s.g.w;
    uint8_t *whole = NULL;
    size_t whole_size = 0;
    if (vkw_renderer_context_process(s.ctx, read.data, read.size, &s.reply, &s.reply_size) ==
            VKW_RENDERER_OK &&
        (whole = malloc(s.reply_size)) != NULL) {
        memcpy(whole, s.reply, s.reply_size);
        whole_size = s.reply_size;
    }
    const struct vkw_renderer_piece *pieces;
    size_t count = 0, total = 0;
    bool same = whole != NULL;
    if (vkw_renderer_context_process_pieces(s.ctx, read.data, read.size, NULL, 0, &pieces,
                                            &count) == VKW_RENDERER_OK) {
        for (size_t i = 0; same && i < count; i++) {
            same = total + pieces[i].size <= whole_size &&
                   memcmp(whole + total, pieces[i].data, pieces[i].size) == 0;
            total += pieces[i].size;
        }
    }
    vkw_writer_reset(&s.g.w);
    ok(same && total == whole_size && count >= 2,
       "a 64 KiB READ_MEMORY as %zu pieces: the same bytes as in one buffer", count);
    free(whole);
    close_side(&s);

    /* A shared shadow: the host compares and copies; the documented rule. */
    const int maps_before = memfd_mappings();
    ok(open_side(&s), "a context for a shared shadow");
    allocate(&s, COPIED_ID, SIZE);
    allocate(&s, OTHER_ID, SIZE);
    run(&s);
    int fds[2] = {make_memfd(SIZE, true), make_memfd(SIZE, true)};
    uint8_t *shadow = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
    uint8_t *other = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[1], 0);
    if (shadow == MAP_FAILED || other == MAP_FAILED)
        tm_bail_out("mmap");
    tm_write_memory(&s.g.w, ++s.g.serial, 0, COPIED_ID, 0, zeros, SIZE);
    tm_write_memory(&s.g.w, ++s.g.serial, 0, OTHER_ID, 0, pattern, SIZE);
    tm_track_memory(&s.g.w, ++s.g.serial, COPIED_ID, 0, SIZE,
                    VKW_TRACK_COHERENT | VKW_TRACK_SHARED, 0);
    tm_track_memory(&s.g.w, ++s.g.serial, OTHER_ID, 0, SIZE,
                    VKW_TRACK_COHERENT | VKW_TRACK_SHARED, 1);
    good = run_fds(&s, fds, 2) == VKW_RENDERER_OK;
    tg_replies_init(&rs, s.reply, s.reply_size);
    ok(good && next_ok(&rs, VKW_MSG_TRACK_MEMORY, &p) && vkw_read_i32(&p) == VK_SUCCESS &&
           next_ok(&rs, VKW_MSG_TRACK_MEMORY, &p) && vkw_read_i32(&p) == VK_SUCCESS &&
           all_bytes(shadow, SIZE, 0) && memcmp(other, pattern, SIZE) == 0,
       "two memories tracked with shared shadows, filled by the host");

    shadow[5 * PAGE] = 1; /* the guest writes pages 0 and 5 */
    shadow[0] = 2;
    ok(sync_shared(&s, COPIED_ID, VKW_SYNC_PUSH_CHANGED) == 2 * PAGE,
       "PUSH_CHANGED sends the two pages the guest wrote");
    fill_setup(&s, COPIED_ID);
    device_fill_with(&s, 0, 1024, 0x77777777u);
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, true, NULL) == 7,
       "the device fills 256 bytes at 1024, after the push: page 0");
    ok(sync_shared(&s, COPIED_ID, VKW_SYNC_PULL_CHANGED) == PAGE && shadow[0] == 2 &&
           all_bytes(shadow + 1024, 256, 0x77) && shadow[5 * PAGE] == 1,
       "PULL_CHANGED brings the page back with the guest's earlier byte and the fill");
    ok(sync_shared(&s, OTHER_ID, VKW_SYNC_PULL_CHANGED) == 0 && memcmp(other, pattern, SIZE) == 0,
       "memory the device did not touch: nothing moved, the shadow undisturbed");

    shadow[2048] = 3;                              /* the guest writes page 0 again ... */
    device_fill_with(&s, 1, 3072, 0x99999999u);    /* ... and the device too */
    ok(run(&s) == VKW_RENDERER_OK && tg_count_ok(s.reply, s.reply_size, true, NULL) == 3,
       "the guest and the device both write page 0 (other bytes)");
    ok(sync_shared(&s, COPIED_ID, VKW_SYNC_PULL_CHANGED) == 0 && shadow[2048] == 3 &&
           all_bytes(shadow + 3072, 256, 0),
       "PULL_CHANGED keeps the guest's page: the device's bytes in it are not taken");
    ok(sync_shared(&s, COPIED_ID, VKW_SYNC_PUSH_CHANGED) == PAGE,
       "the next PUSH_CHANGED sends that page");
    static uint8_t got[PAGE];
    ok(read_memory(&s, COPIED_ID, 0, got, PAGE) && memcmp(got, shadow, PAGE) == 0,
       "the device's memory now holds the guest's page whole: the guest's page won");
    munmap(shadow, SIZE);
    munmap(other, SIZE);
    close_side(&s);
    is_int(memfd_mappings(), maps_before, "no shadow mapping left after the context");
}

int main(void)
{
    alarm(120); /* a hang fails the test instead of blocking make check */
    const char *icd = tg_use_lavapipe();
    if (!icd) {
        printf("1..0 # SKIP no lavapipe ICD manifest (lvp_icd*.json) on this machine\n");
        return 0;
    }
    diag("driver: %s", icd);
    tg_keep_driver_loaded(icd);
    if (vkw_renderer_create(NULL, &renderer) != 0)
        tm_bail_out("vkw_renderer_create");
    test_copied();
    test_shared();
    test_tracked();
    vkw_renderer_destroy(renderer);
    return done_testing();
}
