/* The renderer library in-process, on lavapipe: the public API of
 * include/vkwire/renderer.h driven by a raw guest (tests/host_test_guest.h).
 *
 * Two contexts side by side make objects; destroying one context's objects
 * leaves its table empty, destroys what it made (and says how many), and
 * the other context goes on.  Also: the reason string of a protocol error,
 * a refused handshake, commands before the handshake, garbage, misaligned
 * messages, and options checking.  Leaks are for the sanitizer build to
 * find. */
#define _GNU_SOURCE /* setenv, RTLD_NODELETE (host_test_guest.h); before any include */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_test_guest.h"
#include "tap.h"
#include "vkwire/renderer.h"

struct side {
    const char *name;
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
};

/* Hand the batch built in s->g.w to the context. */
static enum vkw_renderer_status run(struct side *s)
{
    enum vkw_renderer_status st = vkw_renderer_context_process(s->ctx, s->g.w.data, s->g.w.size,
                                                               &s->reply, &s->reply_size);
    vkw_writer_reset(&s->g.w);
    return st;
}

static void handshake(struct side *s)
{
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    enum vkw_renderer_status st = run(s);
    struct vkw_welcome wl;
    ok(st == VKW_RENDERER_OK && tg_welcome(s->reply, s->reply_size, &wl) && wl.accepted,
       "%s: HELLO answered with an accepting WELCOME", s->name);
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

/* Instance, device, buffers 100 and 101, a pool with two command buffers,
 * and (with `memory`) mapped host-visible memory. */
static void populate(struct side *s, bool memory)
{
    tg_bring_up(&s->g);
    tg_create_buffer(&s->g, 100, 4096);
    tg_create_buffer(&s->g, 101, 65536);
    tg_command_buffers(&s->g);
    uint32_t bad = 0;
    ok(run(s) == VKW_RENDERER_OK &&
           tg_count_ok(s->reply, s->reply_size, true, &bad) == 7,
       "%s: instance, device, queue, 2 buffers, a pool and 2 command buffers made", s->name);
    if (bad)
        diag("the first failing reply: opcode %u (%s); context says '%s'", bad,
             vkw_opcode_name(bad), vkw_renderer_context_error(s->ctx));

    VkPhysicalDeviceProperties props;
    tg_get_properties(&s->g, &props);
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE] = "";
    ok(run(s) == VKW_RENDERER_OK &&
           tg_device_name(s->reply, s->reply_size, &s->g, name, sizeof(name)) &&
           strstr(name, "llvmpipe"),
       "%s: the device is lavapipe ('%s')", s->name, name);

    if (!memory)
        return;
    const uint32_t type = memory_type(s, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
    ok(type != UINT32_MAX, "%s: a host-visible memory type (%u)", s->name, type);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 65536,
                               .memoryTypeIndex = type};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, TG_MEMORY_ID);
    vkw_encode_vkAllocateMemory(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), &ai, NULL, &mem);
    vkw_encode_vkMapMemory(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), mem, 0, VK_WHOLE_SIZE, 0,
                           NULL);
    ok(run(s) == VKW_RENDERER_OK && tg_count_ok(s->reply, s->reply_size, true, NULL) == 2,
       "%s: memory allocated and mapped (torn down while mapped)", s->name);
}

static void test_options(void)
{
    struct vkw_renderer *r = (struct vkw_renderer *)&r;
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.size = 3;
    is_int(vkw_renderer_create(&o, &r), -EINVAL, "options with an impossible size are refused");
    ok(r == NULL, "and no renderer is returned");
    o.size = sizeof(o) + 8;
    is_int(vkw_renderer_create(&o, &r), -EINVAL, "options from a newer header are refused");
    is_int(vkw_renderer_create(NULL, NULL), -EINVAL, "a NULL out pointer is refused");
}

/* Two contexts of one renderer, and a third of another renderer. */
static void test_side_by_side(void)
{
    struct vkw_renderer *r1 = NULL, *r2 = NULL;
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = vkGetInstanceProcAddr;
    o.max_objects = 1000;
    ok(vkw_renderer_create(&o, &r1) == 0 && r1, "renderer with explicit options");
    ok(vkw_renderer_create(NULL, &r2) == 0 && r2, "a second renderer with the defaults");

    struct side a = {.name = "A"}, b = {.name = "B"}, c = {.name = "C"};
    a.ctx = vkw_renderer_context_create(r1);
    b.ctx = vkw_renderer_context_create(r1);
    c.ctx = vkw_renderer_context_create(r2);
    ok(a.ctx && b.ctx && c.ctx, "three contexts");
    tg_init(&a.g);
    tg_init(&b.g);
    tg_init(&c.g);
    /* The same ids in every context: each has its own table. */
    handshake(&a);
    handshake(&b);
    handshake(&c);
    populate(&a, true);
    populate(&b, false);
    populate(&c, false);
    is_str(vkw_renderer_context_error(a.ctx), "", "a healthy context has no error");

    /* instance, physical device, device, queue, 2 buffers, pool, 2
     * command buffers, memory */
    is_int(vkw_renderer_context_object_count(a.ctx), 10, "A knows 10 ids");
    is_int(vkw_renderer_context_object_count(b.ctx), 9, "B knows 9 ids");

    /* The driver destroys: 2 buffers, the pool (with its command
     * buffers), the memory (unmapping it), the device (with its queue),
     * the instance (with its physical device). */
    is_int(vkw_renderer_context_destroy_objects(a.ctx), 6, "A's teardown destroyed 6 objects");
    is_int(vkw_renderer_context_object_count(a.ctx), 0, "A's table is empty");
    is_int(vkw_renderer_context_destroy_objects(a.ctx), 0, "a second teardown finds nothing");

    /* B is untouched: its device works and its ids stand. */
    tg_create_buffer(&b.g, 102, 256);
    tg_destroy_buffer(&b.g, 100);
    VkPhysicalDeviceProperties props;
    tg_get_properties(&b.g, &props);
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE] = "";
    ok(run(&b) == VKW_RENDERER_OK && tg_count_ok(b.reply, b.reply_size, true, NULL) == 2 &&
           tg_device_name(b.reply, b.reply_size, &b.g, name, sizeof(name)),
       "B still works after A's teardown (new buffer, destroy, properties)");
    is_int(vkw_renderer_context_object_count(b.ctx), 9, "B still knows 9 ids");

    /* A's ids are gone, its device's (3) first: using one ends A. */
    tg_destroy_buffer(&a.g, 100);
    uint32_t serial = a.g.serial;
    ok(run(&a) == VKW_RENDERER_PROTOCOL_ERROR, "A: using a torn-down device is an error");
    char want[128];
    snprintf(want, sizeof(want), "bad_handle 0x3 in vkDestroyBuffer (serial %u)", serial);
    is_str(vkw_renderer_context_error(a.ctx), want, "A: the reason names the device id");
    uint32_t status = 0;
    uint64_t value = 0;
    ok(tg_error_reply(a.reply, a.reply_size, &status, &value) && status == VKW_ERROR_BAD_HANDLE &&
           value == TG_DEVICE_ID,
       "A: the guest got an error reply naming the id");
    tg_create_buffer(&a.g, 103, 16);
    ok(run(&a) == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(a.reply, a.reply_size, &status, &value) && value == TG_DEVICE_ID,
       "A: an ended context answers every later batch with the same error");

    /* B and C still fine. */
    tg_create_buffer(&b.g, 104, 16);
    tg_create_buffer(&c.g, 104, 16);
    ok(run(&b) == VKW_RENDERER_OK && run(&c) == VKW_RENDERER_OK,
       "B and C are unaffected by A's error");

    /* B's buffer 100 was destroyed above: a second destroy ends B, with
     * a reason a person can read; the replies of the batch's earlier
     * commands still come first. */
    tg_create_buffer(&b.g, 105, 16);
    tg_destroy_buffer(&b.g, 100);
    serial = b.g.serial;
    ok(run(&b) == VKW_RENDERER_PROTOCOL_ERROR, "B: destroying a buffer twice is an error");
    snprintf(want, sizeof(want), "bad_handle 0x64 in vkDestroyBuffer (serial %u)", serial);
    is_str(vkw_renderer_context_error(b.ctx), want, "B: the reason names error, id, command, serial");
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, b.reply, b.reply_size);
    ok(tg_next_reply(&rs, &h, &p) && h.opcode == VKW_CMD_vkCreateBuffer && h.status == VKW_OK &&
           tg_next_reply(&rs, &h, &p) && h.status == VKW_ERROR_BAD_HANDLE &&
           h.serial == serial && vkw_read_u64(&p) == 100 && !tg_next_reply(&rs, &h, &p),
       "B: vkCreateBuffer's reply, then the error reply naming id 100 and its serial");
    tg_create_buffer(&c.g, 106, 16);
    ok(run(&c) == VKW_RENDERER_OK, "C is unaffected by B's error");

    /* Destroying a context with live objects tears them down. */
    vkw_renderer_context_destroy(b.ctx);
    vkw_renderer_context_destroy(c.ctx);
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    tg_fini(&b.g);
    tg_fini(&c.g);
    vkw_renderer_destroy(r1);
    vkw_renderer_destroy(r2);
    ok(1, "contexts with live objects destroyed (the sanitizer build checks for leaks)");
}

static void test_handshake_errors(struct vkw_renderer *r)
{
    struct side s = {.name = "mismatch"};
    s.ctx = vkw_renderer_context_create(r);
    tg_init(&s.g);
    tg_hello(&s.g, 99);
    ok(run(&s) == VKW_RENDERER_HANDSHAKE_REFUSED, "HELLO with major 99: refused");
    struct vkw_welcome wl;
    ok(tg_welcome(s.reply, s.reply_size, &wl) && !wl.accepted,
       "the guest gets a WELCOME that refuses");
    char ours_named[32];
    snprintf(ours_named, sizeof(ours_named), "vkwire %u.", VKW_PROTOCOL_MAJOR);
    ok(strstr(wl.message, "vkwire 99.") && strstr(wl.message, ours_named),
       "its message names both versions: %s", wl.message);
    ok(strstr(vkw_renderer_context_error(s.ctx), wl.message) != NULL,
       "the context's reason carries the same sentence");
    tg_bring_up(&s.g);
    ok(run(&s) == VKW_RENDERER_HANDSHAKE_REFUSED && tg_welcome(s.reply, s.reply_size, &wl) &&
           !wl.accepted,
       "commands after a refusal get the refusal again");
    vkw_renderer_context_destroy(s.ctx);

    s.ctx = vkw_renderer_context_create(r);
    tg_bring_up(&s.g);
    ok(run(&s) == VKW_RENDERER_PROTOCOL_ERROR, "commands before HELLO: protocol error");
    ok(strncmp(vkw_renderer_context_error(s.ctx), "bad_opcode", 10) == 0,
       "reason: %s", vkw_renderer_context_error(s.ctx));
    uint32_t status = 0;
    uint64_t value = 0;
    ok(tg_error_reply(s.reply, s.reply_size, &status, &value) && status == VKW_ERROR_BAD_OPCODE &&
           value == VKW_CMD_vkCreateInstance,
       "the guest is told which opcode was not a HELLO");
    is_int(vkw_renderer_context_object_count(s.ctx), 0, "nothing was made");
    vkw_renderer_context_destroy(s.ctx);

    s.ctx = vkw_renderer_context_create(r);
    ok(vkw_renderer_context_process(NULL, "", 0, &s.reply, &s.reply_size) ==
               VKW_RENDERER_INVALID_ARGUMENT &&
           vkw_renderer_context_process(s.ctx, NULL, 4, &s.reply, &s.reply_size) ==
               VKW_RENDERER_INVALID_ARGUMENT &&
           vkw_renderer_context_process(s.ctx, "", 0, NULL, &s.reply_size) ==
               VKW_RENDERER_INVALID_ARGUMENT &&
           s.reply_size == 0,
       "the caller's mistakes are refused, with nothing to send");
    ok(vkw_renderer_context_process(s.ctx, "", 0, &s.reply, &s.reply_size) ==
               VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(s.reply, s.reply_size, &status, &value) &&
           status == VKW_ERROR_TRUNCATED,
       "an empty first message: truncated (%s)", vkw_renderer_context_error(s.ctx));
    vkw_renderer_context_destroy(s.ctx);

    /* A HELLO whose bytes sit at an odd address, then a batch likewise. */
    s.ctx = vkw_renderer_context_create(r);
    tg_hello(&s.g, VKW_PROTOCOL_MAJOR);
    unsigned char *odd = malloc(s.g.w.size + 1);
    memcpy(odd + 1, s.g.w.data, s.g.w.size);
    ok(vkw_renderer_context_process(s.ctx, odd + 1, s.g.w.size, &s.reply, &s.reply_size) ==
               VKW_RENDERER_OK &&
           tg_welcome(s.reply, s.reply_size, &wl) && wl.accepted,
       "a misaligned HELLO is accepted");
    free(odd);
    vkw_writer_reset(&s.g.w);

    /* Garbage after the handshake. */
    uint32_t junk[16];
    memset(junk, 0xab, sizeof(junk));
    ok(vkw_renderer_context_process(s.ctx, junk, sizeof(junk), &s.reply, &s.reply_size) ==
               VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(s.reply, s.reply_size, &status, &value),
       "garbage: protocol error %s, with an error reply (status %u)",
       vkw_renderer_context_error(s.ctx), status);
    vkw_renderer_context_destroy(s.ctx);
    tg_fini(&s.g);
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
    test_options();
    test_side_by_side();
    struct vkw_renderer *r = NULL;
    vkw_renderer_create(NULL, &r);
    test_handshake_errors(r);
    vkw_renderer_destroy(r);
    return done_testing();
}
