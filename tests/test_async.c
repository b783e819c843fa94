/* Asynchronous creation (doc/PROTOCOL.md, "Asynchronous commands" and
 * "Handles and ids"), through the public renderer API on the fake driver
 * (tests/fake_driver.h), which can be told to fail creations and whose books
 * show exactly what reached the driver.
 *
 * An async vkCreate* sent without the REPLY flag gets no reply and binds its
 * id when the driver made the object.  When the driver fails it: the
 * failure is kept and reported once, by the next reports-deferred command;
 * the id names a failed object, so a command that uses it ends the context
 * with BAD_HANDLE (value: the id), a child made from it likewise, while
 * destroying it is fine (the driver sees nothing) and frees the id; teardown
 * leaves nothing alive and the driver is never handed a failed object.  The
 * same command sent with the REPLY flag is synchronous: its reply carries
 * the failure, nothing is deferred and the id stays free. */
#define _GNU_SOURCE /* setenv, memfd_create (host_test_guest.h); before any include */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_driver.h"
#include "host_test_guest.h"
#include "tap.h"
#include "vkwire/renderer.h"

#define FENCE_ID 401u
#define EVENT_ID 402u

struct side {
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
};

static struct vkw_renderer *renderer;

static enum vkw_renderer_status run(struct side *s)
{
    enum vkw_renderer_status st = vkw_renderer_context_process(s->ctx, s->g.w.data, s->g.w.size,
                                                               &s->reply, &s->reply_size);
    vkw_writer_reset(&s->g.w);
    return st;
}

/* Instance, physical device, device, queue, and a fence (created without
 * reply, as a guest does). */
static bool open_side(struct side *s)
{
    memset(s, 0, sizeof(*s));
    s->ctx = vkw_renderer_context_create(renderer);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    if (!s->ctx || run(s) != VKW_RENDERER_OK)
        return false;
    tg_bring_up(&s->g);
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VKW_U64_HANDLE(VkFence, FENCE_ID);
    vkw_encode_vkCreateFence(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &fci, NULL, &fence);
    return run(s) == VKW_RENDERER_OK && tg_count_ok(s->reply, s->reply_size, true, NULL) == 3;
}

/* Close the context: nothing may be alive at the driver afterwards, and the
 * driver saw no contract violation all along. */
static void close_side(struct side *s, const char *what)
{
    vkw_renderer_context_destroy(s->ctx);
    tg_fini(&s->g);
    ok(vkw_fake_live_objects() == 0 && vkw_fake_problem()[0] == '\0',
       "%s: torn down, nothing alive at the driver (%zu), no contract broken (%s)", what,
       vkw_fake_live_objects(), vkw_fake_problem());
    vkw_fake_reset();
}

/* A buffer created the way the ICD creates it: no REPLY flag. */
static void create_buffer_async(struct tg_guest *g, uint64_t id)
{
    VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 256,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, id);
    vkw_encode_vkCreateBuffer(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &buffer);
}

static void get_requirements(struct tg_guest *g, uint64_t id)
{
    VkMemoryRequirements req;
    vkw_encode_vkGetBufferMemoryRequirements(&g->w, ++g->serial, TG_DEVICE(g),
                                             VKW_U64_HANDLE(VkBuffer, id), &req);
}

static void fence_status(struct tg_guest *g)
{
    vkw_encode_vkGetFenceStatus(&g->w, ++g->serial, TG_DEVICE(g),
                                VKW_U64_HANDLE(VkFence, FENCE_ID));
}

/* The answer holds exactly one reply, of `opcode`, status ok, and its
 * first word (the VkResult) is `result`. */
static bool one_result(const struct side *s, uint32_t opcode, VkResult result)
{
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, s->reply, s->reply_size);
    if (!tg_next_reply(&rs, &h, &p) || h.opcode != opcode || h.status != VKW_OK)
        return false;
    const VkResult got = (VkResult)vkw_read_i32(&p);
    return got == result && !tg_next_reply(&rs, &h, &p);
}

static bool ended_with(const struct side *s, enum vkw_renderer_status st, uint32_t status,
                       uint64_t value)
{
    uint32_t got_status = 0;
    uint64_t got_value = 0;
    return st == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(s->reply, s->reply_size, &got_status, &got_value) &&
           got_status == status && got_value == value;
}

static size_t objects_of(const struct side *s)
{
    struct vkw_renderer_context_stats st = {.size = sizeof(st)};
    return vkw_renderer_context_get_stats(s->ctx, &st) == 0 ? st.objects : SIZE_MAX;
}

static void test_success(void)
{
    struct side a;
    ok(open_side(&a), "success: a guest whose fence was made without a reply");
    create_buffer_async(&a.g, 100);
    ok(run(&a) == VKW_RENDERER_OK && a.reply_size == 0,
       "success: vkCreateBuffer without the REPLY flag gets no reply");
    ok(vkw_fake_live_of_type(VK_OBJECT_TYPE_BUFFER) == 1 && objects_of(&a) == 6,
       "success: the driver made the buffer and id 100 is bound (6 ids)");
    get_requirements(&a.g, 100);
    fence_status(&a.g);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, false, NULL) == 2,
       "success: the buffer and the fence are usable at once");
    close_side(&a, "success");
}

static void test_failure_deferred(void)
{
    struct side a;
    ok(open_side(&a), "deferred: a guest");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_BUFFER, VK_ERROR_OUT_OF_DEVICE_MEMORY);
    create_buffer_async(&a.g, 101);
    ok(run(&a) == VKW_RENDERER_OK && a.reply_size == 0,
       "deferred: a failing async creation gets no reply and the context lives");
    ok(vkw_fake_live_of_type(VK_OBJECT_TYPE_BUFFER) == 0 && objects_of(&a) == 6,
       "deferred: the driver made nothing; id 101 is held (6 ids)");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_BUFFER, VK_SUCCESS);
    fence_status(&a.g);
    ok(run(&a) == VKW_RENDERER_OK &&
           one_result(&a, VKW_CMD_vkGetFenceStatus, VK_ERROR_OUT_OF_DEVICE_MEMORY),
       "deferred: the next reports-deferred command (vkGetFenceStatus) returns the failure");
    fence_status(&a.g);
    ok(run(&a) == VKW_RENDERER_OK && one_result(&a, VKW_CMD_vkGetFenceStatus, VK_NOT_READY),
       "deferred: ... once; the next one answers for the fence again");

    /* Destroying the failed object is fine and frees its id. */
    tg_destroy_buffer(&a.g, 101);
    ok(run(&a) == VKW_RENDERER_OK && a.reply_size == 0 && objects_of(&a) == 5 &&
           vkw_fake_problem()[0] == '\0',
       "deferred: destroying the failed buffer is accepted, the driver sees no handle, id freed");
    tg_create_buffer(&a.g, 101, 64);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 1 &&
           vkw_fake_live_of_type(VK_OBJECT_TYPE_BUFFER) == 1,
       "deferred: id 101 names a new buffer afterwards");
    close_side(&a, "deferred");
}

static void test_failed_id_used(void)
{
    struct side a;
    ok(open_side(&a), "used: a guest");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_BUFFER, VK_ERROR_OUT_OF_HOST_MEMORY);
    create_buffer_async(&a.g, 102);
    get_requirements(&a.g, 102);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, 102),
       "used: a command naming the failed buffer ends the context with BAD_HANDLE 102");
    close_side(&a, "used");

    ok(open_side(&a), "child: a guest");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_IMAGE, VK_ERROR_OUT_OF_DEVICE_MEMORY);
    VkImageCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                             .imageType = VK_IMAGE_TYPE_2D,
                             .format = VK_FORMAT_R8G8B8A8_UNORM,
                             .extent = {16, 16, 1},
                             .mipLevels = 1,
                             .arrayLayers = 1,
                             .samples = VK_SAMPLE_COUNT_1_BIT,
                             .usage = VK_IMAGE_USAGE_SAMPLED_BIT};
    VkImage image = VKW_U64_HANDLE(VkImage, 120);
    vkw_encode_vkCreateImage(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &ici, NULL, &image);
    VkImageViewCreateInfo vci = {.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                 .image = image,
                                 .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                 .format = VK_FORMAT_R8G8B8A8_UNORM,
                                 .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    VkImageView view = VKW_U64_HANDLE(VkImageView, 121);
    vkw_encode_vkCreateImageView(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &vci, NULL, &view);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, 120),
       "child: a view of the failed image ends the context with BAD_HANDLE 120");
    ok(vkw_fake_live_of_type(VK_OBJECT_TYPE_IMAGE_VIEW) == 0, "child: the driver made no view");
    close_side(&a, "child");
}

static void test_teardown(void)
{
    struct side a;
    ok(open_side(&a), "teardown: a guest");
    create_buffer_async(&a.g, 100);
    vkw_fake_fail_creation(VK_OBJECT_TYPE_EVENT, VK_ERROR_OUT_OF_HOST_MEMORY);
    VkEventCreateInfo eci = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    VkEvent event = VKW_U64_HANDLE(VkEvent, EVENT_ID);
    vkw_encode_vkCreateEvent(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &eci, NULL, &event);
    vkw_fake_fail_creation(VK_OBJECT_TYPE_BUFFER, VK_ERROR_OUT_OF_DEVICE_MEMORY);
    ok(run(&a) == VKW_RENDERER_OK && objects_of(&a) == 7,
       "teardown: a buffer made, an event failed (7 ids)");
    create_buffer_async(&a.g, 103);
    ok(run(&a) == VKW_RENDERER_OK && objects_of(&a) == 8, "teardown: and a buffer failed (8 ids)");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_EVENT, VK_SUCCESS);
    /* Teardown sets every event and destroys every object: a failed one
     * handed to the driver would be a NULL event it must not be given. */
    const size_t destroyed = vkw_renderer_context_destroy_objects(a.ctx);
    ok(destroyed == 4 && objects_of(&a) == 0,
       "teardown: the driver was asked to destroy the 4 real objects (%zu), no id left",
       destroyed);
    close_side(&a, "teardown");
}

static void test_reply_flag_is_synchronous(void)
{
    struct side a;
    ok(open_side(&a), "synchronous: a guest");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_BUFFER, VK_ERROR_OUT_OF_DEVICE_MEMORY);
    tg_create_buffer(&a.g, 104, 64); /* with the REPLY flag */
    ok(run(&a) == VKW_RENDERER_OK &&
           one_result(&a, VKW_CMD_vkCreateBuffer, VK_ERROR_OUT_OF_DEVICE_MEMORY) &&
           objects_of(&a) == 5,
       "synchronous: with the REPLY flag the failure comes back at once; id 104 stays free");
    vkw_fake_fail_creation(VK_OBJECT_TYPE_BUFFER, VK_SUCCESS);
    fence_status(&a.g);
    ok(run(&a) == VKW_RENDERER_OK && one_result(&a, VKW_CMD_vkGetFenceStatus, VK_NOT_READY),
       "synchronous: nothing was deferred");
    tg_create_buffer(&a.g, 104, 64);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 1 &&
           vkw_fake_live_of_type(VK_OBJECT_TYPE_BUFFER) == 1,
       "synchronous: id 104 can be used again");
    close_side(&a, "synchronous");
}

int main(void)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = vkw_fake_get_instance_proc_addr;
    if (vkw_renderer_create(&o, &renderer) != 0)
        BAIL_OUT("vkw_renderer_create");
    test_success();
    test_failure_deferred();
    test_failed_id_used();
    test_teardown();
    test_reply_flag_is_synchronous();
    vkw_renderer_destroy(renderer);
    return done_testing();
}
