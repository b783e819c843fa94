/* The per-client limits (doc/PROTOCOL.md, "Limits"), through the public
 * renderer API: on the fake driver (tests/fake_driver.h), whose books show
 * exactly what reached the driver, and on lavapipe for device memory and
 * queue work in flight.
 *
 * For each limit: a guest may go up to it; one step past ends the context
 * with a `limit` error reply naming that limit, before the driver sees the
 * step, and the context's reason gives the limit's value; what the guest
 * gives back (a destroyed object, freed memory, finished work) is room
 * again; another context of the same renderer goes on.  Also: the defaults
 * and how options resolve, and the stats API. */
#define _GNU_SOURCE /* setenv, memfd_create (host_test_guest.h); before any include */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_driver.h"
#include "host_test_guest.h"
#include "memory_messages_test.h"
#include "tap.h"
#include "vkw_host_limits.h"
#include "vkwire/renderer.h"

#define TG_EVENT_ID 400u
#define TG_FENCE_ID 401u

struct side {
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
    uint32_t last_status;
    uint64_t last_value;
};

static enum vkw_renderer_status run_fds(struct side *s, int *fds, size_t nfds)
{
    enum vkw_renderer_status st = vkw_renderer_context_process_fds(
        s->ctx, s->g.w.data, s->g.w.size, fds, nfds, &s->reply, &s->reply_size);
    vkw_writer_reset(&s->g.w);
    s->last_status = 0;
    s->last_value = 0;
    tg_error_reply(s->reply, s->reply_size, &s->last_status, &s->last_value);
    return st;
}

static enum vkw_renderer_status run(struct side *s) { return run_fds(s, NULL, 0); }

static struct vkw_renderer *renderer(bool fake, struct vkw_renderer_options o)
{
    struct vkw_renderer *r = NULL;
    o.get_instance_proc_addr = fake ? vkw_fake_get_instance_proc_addr : NULL;
    if (vkw_renderer_create(&o, &r) != 0)
        tm_bail_out("vkw_renderer_create");
    return r;
}

/* A context with instance, physical device, device and queue (4 ids). */
static bool open_side(struct side *s, struct vkw_renderer *r)
{
    memset(s, 0, sizeof(*s));
    s->ctx = vkw_renderer_context_create(r);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    if (run(s) != VKW_RENDERER_OK)
        return false;
    tg_bring_up(&s->g);
    return run(s) == VKW_RENDERER_OK && tg_count_ok(s->reply, s->reply_size, true, NULL) == 3;
}

static void close_side(struct side *s)
{
    vkw_renderer_context_destroy(s->ctx);
    tg_fini(&s->g);
}

/* The context ended on `limit` with an error reply saying so, and its
 * reason names the limit and its value. */
static void expect_limit(struct side *s, enum vkw_renderer_status st, enum vkw_limit limit,
                         uint64_t value, const char *what)
{
    char want[96];
    snprintf(want, sizeof(want), "limit %s (%llu) in ", vkw_limit_name(limit),
             (unsigned long long)value);
    ok(st == VKW_RENDERER_PROTOCOL_ERROR && s->last_status == VKW_ERROR_LIMIT &&
           s->last_value == limit,
       "%s: ended with a limit error naming %s (status %u, value %llu)", what,
       vkw_limit_name(limit), s->last_status, (unsigned long long)s->last_value);
    ok(strncmp(vkw_renderer_context_error(s->ctx), want, strlen(want)) == 0,
       "%s: the reason names the limit: %s", what, vkw_renderer_context_error(s->ctx));
    tg_create_buffer(&s->g, 999, 16);
    ok(run(s) == VKW_RENDERER_PROTOCOL_ERROR && s->last_status == VKW_ERROR_LIMIT,
       "%s: and every later batch gets the same answer", what);
}

static struct vkw_renderer_context_stats stats_of(struct side *s)
{
    struct vkw_renderer_context_stats st = {.size = sizeof(st)};
    if (vkw_renderer_context_get_stats(s->ctx, &st) != 0)
        memset(&st, 0xff, sizeof(st));
    return st;
}

/* ---- objects ---- */

static void test_objects(void)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.max_objects = 10;
    struct vkw_renderer *r = renderer(true, o);
    struct side a, b;
    ok(open_side(&a, r) && open_side(&b, r), "objects: two guests with 4 ids each");
    for (uint64_t i = 0; i < 6; i++)
        tg_create_buffer(&a.g, 100 + i, 64);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 6 &&
           vkw_renderer_context_object_count(a.ctx) == 10,
       "objects: up to the limit (10 ids) is fine");
    tg_destroy_buffer(&a.g, 100);
    tg_create_buffer(&a.g, 106, 64);
    ok(run(&a) == VKW_RENDERER_OK && vkw_renderer_context_object_count(a.ctx) == 10,
       "objects: a destroyed buffer is room for a new one");
    const size_t buffers = vkw_fake_live_of_type(VK_OBJECT_TYPE_BUFFER);
    tg_create_buffer(&a.g, 107, 64);
    expect_limit(&a, run(&a), VKW_LIMIT_OBJECTS, 10, "objects");
    is_int(vkw_fake_live_of_type(VK_OBJECT_TYPE_BUFFER), buffers,
           "objects: the driver never saw the buffer past the limit");

    /* Several new ids in one command count together: a pool (5 ids), then
     * 6 command buffers at once, with room for 5. */
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool = VKW_U64_HANDLE(VkCommandPool, TG_POOL_ID);
    vkw_encode_vkCreateCommandPool(&b.g.w, ++b.g.serial, TG_DEVICE(&b.g), &pci, NULL, &pool);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 6};
    struct vkw_dispatchable cbo[6];
    VkCommandBuffer cbs[6];
    for (int i = 0; i < 6; i++) {
        cbo[i] = (struct vkw_dispatchable){0, 600 + (uint64_t)i};
        cbs[i] = (VkCommandBuffer)&cbo[i];
    }
    vkw_encode_vkAllocateCommandBuffers(&b.g.w, ++b.g.serial, TG_DEVICE(&b.g), &ai, cbs);
    expect_limit(&b, run(&b), VKW_LIMIT_OBJECTS, 10, "objects (6 at once)");
    is_int(vkw_fake_live_of_type(VK_OBJECT_TYPE_COMMAND_BUFFER), 0,
           "objects: none of the 6 command buffers was made");
    close_side(&b);

    ok(open_side(&b, r), "objects: a new guest of the same renderer starts fresh");
    for (uint64_t i = 0; i < 6; i++)
        tg_create_buffer(&b.g, 100 + i, 64);
    ok(run(&b) == VKW_RENDERER_OK && vkw_renderer_context_object_count(b.ctx) == 10,
       "objects: and has its own 10");
    close_side(&a);
    close_side(&b);
    is_int(vkw_fake_live_objects(), 0, "objects: nothing left at the driver");
    vkw_renderer_destroy(r);
    vkw_fake_reset();
}

/* ---- device memory ---- */

static void allocate(struct side *s, uint64_t id, VkDeviceSize size, uint32_t type)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = size,
                               .memoryTypeIndex = type};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, id);
    vkw_encode_vkAllocateMemory(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &ai, NULL, &mem);
}

static void free_memory(struct side *s, uint64_t id)
{
    vkw_encode_vkFreeMemory(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g),
                            VKW_U64_HANDLE(VkDeviceMemory, id), NULL);
}

static int sealed_memfd(size_t size)
{
    int fd = memfd_create("vkw-limits", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
        tm_bail_out("memfd");
    return fd;
}

static void test_memory(bool fake)
{
    const char *d = fake ? "memory (fake)" : "memory (lavapipe)";
    const VkDeviceSize mib = 1u << 20;
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.max_memory_bytes = 4 * mib;
    struct vkw_renderer *r = renderer(fake, o);
    struct side a, b;
    ok(open_side(&a, r) && open_side(&b, r), "%s: two guests", d);
    /* type 0 is host-visible on both drivers */
    allocate(&a, 300, 2 * mib, 0);
    allocate(&a, 301, mib, 0);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 2,
       "%s: 3 MiB of a 4 MiB limit", d);
    int fd = sealed_memfd(mib);
    tm_allocate_shared(&a.g.w, ++a.g.serial, TG_DEVICE_ID,
                       &(VkMemoryAllocateInfo){.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                               .allocationSize = mib,
                                               .memoryTypeIndex = 0},
                       302, 0);
    ok(run_fds(&a, &fd, 1) == VKW_RENDERER_OK && a.last_status == 0,
       "%s: shared memory counts too: the fourth MiB (ALLOCATE_SHARED)", d);
    struct vkw_renderer_context_stats st = stats_of(&a);
    ok(st.memory_bytes == 4 * mib && st.memory_objects == 3,
       "%s: stats: 4 MiB in 3 objects (%llu, %zu)", d, (unsigned long long)st.memory_bytes,
       st.memory_objects);
    free_memory(&a, 301);
    allocate(&a, 303, mib, 0);
    ok(run(&a) == VKW_RENDERER_OK && stats_of(&a).memory_bytes == 4 * mib,
       "%s: freed memory is room again", d);
    const VkDeviceSize at_driver = fake ? vkw_fake_live_memory_bytes() : 0;
    allocate(&a, 304, 1, 0);
    expect_limit(&a, run(&a), VKW_LIMIT_MEMORY_BYTES, 4 * mib, d);
    if (fake)
        ok(vkw_fake_live_memory_bytes() == at_driver, "%s: the driver never saw the byte too many",
           d);

    /* A single allocation bigger than the limit, and one that would wrap
     * the count: both refused. */
    allocate(&b, 300, 4 * mib + 1, 0);
    expect_limit(&b, run(&b), VKW_LIMIT_MEMORY_BYTES, 4 * mib, d);
    close_side(&b);
    ok(open_side(&b, r), "%s: another guest", d);
    allocate(&b, 300, mib, 1);
    allocate(&b, 301, UINT64_MAX - mib / 2, 1);
    expect_limit(&b, run(&b), VKW_LIMIT_MEMORY_BYTES, 4 * mib, d);
    close_side(&b);

    ok(open_side(&b, r), "%s: a guest after them gets its own 4 MiB", d);
    allocate(&b, 300, 4 * mib, 1);
    ok(run(&b) == VKW_RENDERER_OK && tg_count_ok(b.reply, b.reply_size, true, NULL) == 1, "%s: yes",
       d);
    close_side(&a);
    close_side(&b);
    if (fake)
        is_int(vkw_fake_live_objects(), 0, "%s: nothing left at the driver", d);
    vkw_renderer_destroy(r);
    vkw_fake_reset();
}

/* ---- queue work in flight ---- */

static void submit(struct side *s, uint32_t batches, bool with_cb)
{
    VkSubmitInfo infos[8];
    VkCommandBuffer cb = (VkCommandBuffer)&s->g.cbs[0];
    for (uint32_t i = 0; i < batches && i < 8; i++)
        infos[i] = (VkSubmitInfo){.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                  .commandBufferCount = with_cb ? 1 : 0,
                                  .pCommandBuffers = with_cb ? &cb : NULL};
    vkw_encode_vkQueueSubmit(&s->g.w, ++s->g.serial, (VkQueue)&s->g.queue, batches,
                             batches ? infos : NULL, VK_NULL_HANDLE);
}

static void test_in_flight_fake(void)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.max_in_flight = 4;
    struct vkw_renderer *r = renderer(true, o);
    struct side a;
    ok(open_side(&a, r), "in flight (fake): a guest with a queue");
    vkw_fake_hold_work(true); /* nothing finishes until the test says so */
    submit(&a, 2, false);
    submit(&a, 0, false); /* a fence-only submission counts as one */
    submit(&a, 1, false);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 0, /* submissions have no reply */
       "in flight (fake): 4 batches, none finished: at the limit");
    struct vkw_renderer_context_stats st = stats_of(&a);
    ok(st.in_flight == 4 && st.host_fences == 3,
       "in flight (fake): stats: 4 batches watched by 3 host fences (%zu, %zu)", st.in_flight,
       st.host_fences);
    vkw_fake_complete_work();
    submit(&a, 3, false);
    ok(run(&a) == VKW_RENDERER_OK && stats_of(&a).in_flight == 3 && stats_of(&a).host_fences == 3,
       "in flight (fake): finished work is room again (fences reused: still 3)");
    const size_t pending = vkw_fake_pending_work();
    submit(&a, 2, false);
    expect_limit(&a, run(&a), VKW_LIMIT_IN_FLIGHT, 4, "in flight (fake)");
    is_int(vkw_fake_pending_work(), pending, "in flight (fake): the driver never saw it");
    close_side(&a);
    is_int(vkw_fake_live_objects(), 0, "in flight (fake): the host's fences went with the context");

    ok(open_side(&a, r), "in flight (fake): a guest that destroys its device while work runs");
    submit(&a, 1, false);
    vkw_encode_vkDestroyDevice(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), NULL);
    ok(run(&a) == VKW_RENDERER_OK && vkw_fake_live_of_type(VK_OBJECT_TYPE_FENCE) == 0 &&
           vkw_fake_live_of_type(VK_OBJECT_TYPE_DEVICE) == 0,
       "in flight (fake): the device's fences are destroyed before it (the driver checks)");
    ok(vkw_fake_problem()[0] == '\0', "in flight (fake): no contract broken%s%s",
       vkw_fake_problem()[0] ? ": " : "", vkw_fake_problem());
    close_side(&a);
    vkw_renderer_destroy(r);
    vkw_fake_reset();
}

/* On lavapipe: work that waits for an event stays in flight until the
 * host sets it. */
static void test_in_flight_lavapipe(void)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.max_in_flight = 4;
    struct vkw_renderer *r = renderer(false, o);
    struct side a;
    ok(open_side(&a, r), "in flight (lavapipe): a guest with a queue");
    tg_command_buffers(&a.g);
    VkEvent event = VKW_U64_HANDLE(VkEvent, TG_EVENT_ID);
    VkEventCreateInfo eci = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    vkw_encode_vkCreateEvent(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &eci, NULL, &event);
    VkCommandBuffer cb = (VkCommandBuffer)&a.g.cbs[0];
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vkw_encode_vkBeginCommandBuffer(&a.g.w, ++a.g.serial, cb, &bi);
    vkw_encode_vkCmdWaitEvents(&a.g.w, ++a.g.serial, cb, 1, &event, VK_PIPELINE_STAGE_HOST_BIT,
                               VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, NULL, 0, NULL, 0, NULL);
    vkw_encode_vkEndCommandBuffer(&a.g.w, ++a.g.serial, cb);
    submit(&a, 1, true);
    submit(&a, 3, false);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 4, /* submissions and vkCreateEvent have no reply */
       "in flight (lavapipe): a batch waiting for an event, and 3 more: at the limit");
    ok(stats_of(&a).in_flight == 4, "in flight (lavapipe): 4 in flight");
    vkw_encode_vkSetEvent(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), event);
    VkQueue queue = (VkQueue)&a.g.queue;
    vkw_encode_vkQueueWaitIdle(&a.g.w, ++a.g.serial, queue);
    submit(&a, 4, false);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 1, /* vkSetEvent has none */
       "in flight (lavapipe): once the event is set and the queue idle, 4 more fit");
    vkw_encode_vkResetEvent(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), event);
    vkw_encode_vkQueueWaitIdle(&a.g.w, ++a.g.serial, queue);
    submit(&a, 1, true);
    submit(&a, 3, false);
    submit(&a, 1, false);
    expect_limit(&a, run(&a), VKW_LIMIT_IN_FLIGHT, 4, "in flight (lavapipe)");
    /* Its queue still waits for the event: teardown sets it, or the wait
     * for the device to go idle would never end. */
    close_side(&a);
    ok(1, "in flight (lavapipe): the context with a waiting queue was torn down");
    vkw_renderer_destroy(r);
}

/* ---- message size ---- */

static void test_message_size(void)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.max_message_bytes = 4096;
    struct vkw_renderer *r = renderer(true, o);
    struct side a, b;
    ok(open_side(&a, r) && open_side(&b, r), "message size: two guests");
    /* A batch of exactly 4096 bytes is taken: 128 commands of 32 bytes
     * (vkDestroyBuffer of VK_NULL_HANDLE, which does nothing). */
    for (int i = 0; i < 128; i++)
        vkw_encode_vkDestroyBuffer(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), VK_NULL_HANDLE, NULL);
    const size_t n_ok = a.g.w.size;
    ok(n_ok == 4096 && run(&a) == VKW_RENDERER_OK && a.reply_size == 0,
       "message size: a %zu-byte batch is taken", n_ok);
    unsigned char big[4100];
    memset(big, 0, sizeof(big));
    const void *reply;
    size_t reply_size;
    enum vkw_renderer_status st =
        vkw_renderer_context_process(a.ctx, big, sizeof(big), &reply, &reply_size);
    a.last_status = 0;
    tg_error_reply(reply, reply_size, &a.last_status, &a.last_value);
    expect_limit(&a, st, VKW_LIMIT_MESSAGE_BYTES, 4096, "message size (in)");

    /* Replies: each vkGetPhysicalDeviceProperties answer is ~830 bytes;
     * 5 of them do not fit 4096 with room for an error reply. */
    VkPhysicalDeviceProperties props;
    for (int i = 0; i < 10; i++)
        tg_get_properties(&b.g, &props);
    st = run(&b);
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    int good = 0;
    tg_replies_init(&rs, b.reply, b.reply_size);
    while (tg_next_reply(&rs, &h, &p) && h.status == VKW_OK)
        good++;
    ok(b.reply_size <= 4096 && good >= 3 && good < 10,
       "message size (out): the answer stops at %d replies, %zu bytes, then the error", good,
       b.reply_size);
    expect_limit(&b, st, VKW_LIMIT_MESSAGE_BYTES, 4096, "message size (out)");
    close_side(&a);
    close_side(&b);
    vkw_renderer_destroy(r);
    vkw_fake_reset();
}

/* ---- defaults and options ---- */

static void test_defaults(void)
{
    const struct vkw_host_limits d = vkw_host_limits_resolve(NULL);
    ok(d.max_objects == VKW_HOST_DEFAULT_MAX_OBJECTS && d.max_objects == 1048576 &&
           d.max_memory_bytes == ((uint64_t)16 << 30) && d.max_in_flight == 4096 &&
           d.max_message_bytes == VKW_MAX_MESSAGE_BYTES && d.max_decode_bytes == (256u << 20),
       "defaults: 1048576 objects, 16 GiB, 4096 in flight, 256 MiB messages and decode");
    const struct vkw_host_limits big = {.max_message_bytes = (size_t)VKW_MAX_MESSAGE_BYTES + 1};
    ok(vkw_host_limits_resolve(&big).max_message_bytes == VKW_MAX_MESSAGE_BYTES,
       "a message limit above the protocol's is the protocol's");
    const struct vkw_host_limits tiny = {.max_message_bytes = 1, .max_objects = 7};
    const struct vkw_host_limits t = vkw_host_limits_resolve(&tiny);
    ok(t.max_message_bytes == 2 * (VKW_HEADER_BYTES + 8) && t.max_objects == 7,
       "a message limit has room for a reply and an error reply; other fields are kept");
    ok(vkw_host_limit_value(&t, VKW_LIMIT_OBJECTS) == 7 && vkw_host_limit_value(&t, 99) == 0,
       "limit values by number");

    /* An options struct from an older header (without the new fields)
     * still works. */
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.size = offsetof(struct vkw_renderer_options, max_memory_bytes);
    o.get_instance_proc_addr = vkw_fake_get_instance_proc_addr;
    struct vkw_renderer *r = NULL;
    ok(vkw_renderer_create(&o, &r) == 0 && r, "options of the older size are accepted");
    struct side a;
    ok(open_side(&a, r), "and serve a guest");
    struct vkw_renderer_context_stats st = {.size = offsetof(struct vkw_renderer_context_stats,
                                                             memory_objects)};
    st.memory_objects = 77;
    ok(vkw_renderer_context_get_stats(a.ctx, &st) == 0 && st.objects == 4 &&
           st.memory_objects == 77,
       "stats of an older size fill only what the caller has");
    st.size = 3;
    ok(vkw_renderer_context_get_stats(a.ctx, &st) == -EINVAL &&
           vkw_renderer_context_get_stats(NULL, &st) == -EINVAL,
       "stats with an impossible size or no context are refused");
    close_side(&a);
    vkw_renderer_destroy(r);
    vkw_fake_reset();
}

int main(void)
{
    alarm(120);
    vkw_fake_abort_on_problem(false);
    test_defaults();
    test_objects();
    test_memory(true);
    test_in_flight_fake();
    test_message_size();
    const char *icd = tg_use_lavapipe();
    if (!icd) {
        skip(1, "no lavapipe ICD manifest: the lavapipe cases");
    } else {
        tg_keep_driver_loaded(icd);
        test_memory(false);
        test_in_flight_lavapipe();
    }
    return done_testing();
}
