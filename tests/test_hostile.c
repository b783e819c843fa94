/* Malformed streams from a hostile guest, on lavapipe, through the public
 * renderer API (doc/PROTOCOL.md sections 4-11).
 *
 * Each case opens a guest A (handshake, instance, device, queue), sends it
 * one bad batch built on purpose, and checks: the exact documented error
 * code and value, the serial of the failing command, the replies of the
 * batch's good commands before it, that the context has ended (a later
 * batch is refused the same way, nothing runs), that A's teardown leaves
 * nothing (stats back to zero, no descriptor left open), and that guest B,
 * alive throughout on the same renderer with ids of its own that overlap
 * A's, goes on working and keeps exactly its objects.
 *
 * The cases: truncated commands and headers, impossible sizes, oversized
 * and overflowing counts, counts that disagree with their length, unknown
 * opcodes and sTypes, presence words, required pointers and handles,
 * handles in required arrays, ids that do not exist, ids of the wrong type,
 * ids of another client, objects used after destruction (directly and
 * with their parent), strings without their end or with a NUL, enums that
 * would make the driver index out of bounds, new ids in use, trailing
 * bytes, flags, private data naming a raw handle, memory ranges and fds;
 * video parameters objects of another session or of a destroyed one (on
 * the fake driver); and, not errors, a device destroyed with children
 * alive, a video session destroyed before its parameters. */
#define _GNU_SOURCE /* setenv, memfd_create; before any include */

#include <dirent.h>
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
#include "vkw_sync_page.h"
#include "vkwire/renderer.h"

#define B_BUFFER_ONLY_B 0x500u /* an id only guest B has */

struct side {
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
};

static struct vkw_renderer *renderer;
static struct side b;
static size_t b_objects;

static enum vkw_renderer_status run_fds(struct side *s, int *fds, size_t nfds)
{
    enum vkw_renderer_status st = vkw_renderer_context_process_fds(
        s->ctx, s->g.w.data, s->g.w.size, fds, nfds, &s->reply, &s->reply_size);
    vkw_writer_reset(&s->g.w);
    return st;
}

static enum vkw_renderer_status run(struct side *s) { return run_fds(s, NULL, 0); }

/* tg_bring_up for a Vulkan 1.3 application whose device enables private
 * data. */
static void bring_up_13(struct tg_guest *g)
{
    VkInstance instance = TG_INSTANCE(g);
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_3};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    vkw_encode_vkCreateInstance(&g->w, ++g->serial, &ici, NULL, &instance);
    uint32_t count = 1;
    VkPhysicalDevice pd = TG_PHYSICAL(g);
    vkw_encode_vkEnumeratePhysicalDevices(&g->w, ++g->serial, TG_INSTANCE(g), &count, &pd);
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkPhysicalDeviceVulkan13Features f13 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES, .privateData = VK_TRUE};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = &f13,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice device = TG_DEVICE(g);
    vkw_encode_vkCreateDevice(&g->w, ++g->serial, TG_PHYSICAL(g), &dci, NULL, &device);
    VkQueue queue = (VkQueue)&g->queue;
    vkw_encode_vkGetDeviceQueue(&g->w, ++g->serial, TG_DEVICE(g), 0, 0, &queue);
}

static bool open_side_as(struct side *s, bool vulkan13)
{
    memset(s, 0, sizeof(*s));
    s->ctx = vkw_renderer_context_create(renderer);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    if (run(s) != VKW_RENDERER_OK)
        return false;
    if (vulkan13)
        bring_up_13(&s->g);
    else
        tg_bring_up(&s->g);
    tg_create_buffer(&s->g, 100, 256);
    tg_command_buffers(&s->g); /* pool 200, command buffers 201 and 202 */
    return run(s) == VKW_RENDERER_OK && tg_count_ok(s->reply, s->reply_size, true, NULL) == 6;
}

static bool open_side(struct side *s) { return open_side_as(s, false); }

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* ---- raw bytes ---- */

static void put_u32(struct vkw_writer *w, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w->data[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(struct vkw_writer *w, size_t at, uint64_t v)
{
    put_u32(w, at, (uint32_t)v);
    put_u32(w, at + 4, (uint32_t)(v >> 32));
}

static size_t find(const struct vkw_writer *w, size_t from, const void *bytes, size_t n)
{
    for (size_t i = from; i + n <= w->size; i++)
        if (memcmp(w->data + i, bytes, n) == 0)
            return i;
    tm_bail_out("a pattern the test encoded is not in its batch");
    return 0;
}

/* A command whose header the test writes itself. */
static void raw_command(struct vkw_writer *w, uint32_t opcode, uint32_t flags, uint32_t size,
                        uint32_t serial)
{
    vkw_write_u32(w, opcode);
    vkw_write_u32(w, flags);
    vkw_write_u32(w, size);
    vkw_write_u32(w, serial);
}

/* ---- the cases ---- */

struct expect {
    enum vkw_error code;
    uint64_t value;
    int good_replies; /* of the batch's commands before the bad one */
};

/* vkCreateBuffer as PROTOCOL.md 12.1 lays it out: buffer `id`, sharing
 * CONCURRENT over families 0 and 1.  Returns the command's offset. */
static size_t create_buffer_concurrent(struct tg_guest *g, uint64_t id)
{
    const uint32_t families[2] = {0, 1};
    VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 65536,
                             .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_CONCURRENT,
                             .queueFamilyIndexCount = 2,
                             .pQueueFamilyIndices = families};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, id);
    const size_t at = g->w.size;
    vkw_encode_vkCreateBuffer(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &buffer);
    return at;
}

static void truncated_command(struct tg_guest *g, struct expect *e)
{
    const size_t at = create_buffer_concurrent(g, 150);
    /* Cut the new id (8 bytes) off the end; the header says so. */
    g->w.size -= 8;
    put_u32(&g->w, at + 8, 0x48 - 8);
    *e = (struct expect){VKW_ERROR_TRUNCATED, 8, 0};
}

static void truncated_header(struct tg_guest *g, struct expect *e)
{
    tg_create_buffer(g, 150, 16);
    vkw_write_u32(&g->w, VKW_CMD_vkDestroyBuffer);
    vkw_write_u32(&g->w, 0);
    vkw_write_bytes(&g->w, "\x10\x00", 2); /* 10 bytes of a header */
    g->w.size -= 2;
    *e = (struct expect){VKW_ERROR_TRUNCATED, 10, 1};
}

static void size_not_words(struct tg_guest *g, struct expect *e)
{
    raw_command(&g->w, VKW_CMD_vkDestroyBuffer, 0, 15, ++g->serial);
    vkw_write_u64(&g->w, TG_DEVICE_ID);
    vkw_write_u64(&g->w, 0);
    *e = (struct expect){VKW_ERROR_BAD_SIZE, 15, 0};
}

static void size_past_batch(struct tg_guest *g, struct expect *e)
{
    raw_command(&g->w, VKW_CMD_vkDestroyBuffer, 0, 0xfffffff0u, ++g->serial);
    vkw_write_u64(&g->w, TG_DEVICE_ID);
    vkw_write_u64(&g->w, 0);
    *e = (struct expect){VKW_ERROR_BAD_SIZE, 0xfffffff0u, 0};
}

static void count_oversized(struct tg_guest *g, struct expect *e)
{
    const size_t at = create_buffer_concurrent(g, 150);
    put_u64(&g->w, at + 0x3c, (uint64_t)1 << 62);
    *e = (struct expect){VKW_ERROR_BAD_COUNT, (uint64_t)1 << 62, 0};
}

/* A count whose bytes (count x 4) wrap to a small number in 64 bits. */
static void count_overflows(struct tg_guest *g, struct expect *e)
{
    const size_t at = create_buffer_concurrent(g, 150);
    const uint64_t wraps = ((uint64_t)1 << 62) + 2; /* x 4 = 8 mod 2^64 */
    put_u64(&g->w, at + 0x3c, wraps);
    *e = (struct expect){VKW_ERROR_BAD_COUNT, wraps, 0};
}

static void count_disagrees(struct tg_guest *g, struct expect *e)
{
    const size_t at = create_buffer_concurrent(g, 150);
    put_u32(&g->w, at + 0x34, 1); /* queueFamilyIndexCount 1, array of 2 */
    *e = (struct expect){VKW_ERROR_BAD_COUNT, 2, 0};
}

static void opcode_unknown(struct tg_guest *g, struct expect *e)
{
    tg_create_buffer(g, 150, 16);
    raw_command(&g->w, 9999, 0, 0, ++g->serial);
    *e = (struct expect){VKW_ERROR_BAD_OPCODE, 9999, 1};
}

static void opcode_zero(struct tg_guest *g, struct expect *e)
{
    raw_command(&g->w, 0, VKW_COMMAND_FLAG_REPLY, 0, ++g->serial);
    *e = (struct expect){VKW_ERROR_BAD_OPCODE, 0, 0};
}

static void opcode_hello_in_batch(struct tg_guest *g, struct expect *e)
{
    g->serial++;
    tg_hello(g, VKW_PROTOCOL_MAJOR);
    put_u32(&g->w, 12, g->serial);
    *e = (struct expect){VKW_ERROR_BAD_OPCODE, VKW_MSG_HELLO, 0};
}

static void stype_unknown(struct tg_guest *g, struct expect *e)
{
    const size_t at = create_buffer_concurrent(g, 150);
    /* The chain's end word becomes an sType no one defined. */
    put_u32(&g->w, at + 0x1c, 0x7ffffff0u);
    *e = (struct expect){VKW_ERROR_BAD_STYPE, 0x7ffffff0u, 0};
}

static void stype_of_another_base(struct tg_guest *g, struct expect *e)
{
    const size_t at = create_buffer_concurrent(g, 150);
    put_u32(&g->w, at + 0x1c, VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    *e = (struct expect){VKW_ERROR_BAD_STYPE, VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, 0};
}

static void presence_two(struct tg_guest *g, struct expect *e)
{
    const size_t at = create_buffer_concurrent(g, 150);
    put_u32(&g->w, at + 0x18, 2);
    *e = (struct expect){VKW_ERROR_BAD_POINTER, 2, 0};
}

static void required_pointer_absent(struct tg_guest *g, struct expect *e)
{
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, 150);
    vkw_encode_vkCreateBuffer(&g->w, ++g->serial, TG_DEVICE(g), NULL, NULL, &buffer);
    *e = (struct expect){VKW_ERROR_BAD_POINTER, 0, 0};
}

static void required_handle_zero(struct tg_guest *g, struct expect *e)
{
    vkw_encode_vkGetBufferMemoryRequirements(&g->w, ++g->serial, TG_DEVICE(g), VK_NULL_HANDLE,
                                             &(VkMemoryRequirements){0});
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 0, 0};
}

/* lavapipe would dereference the NULL command buffer in the submit. */
static void null_in_required_array(struct tg_guest *g, struct expect *e)
{
    VkCommandBuffer cbs[2] = {(VkCommandBuffer)&g->cbs[0], VK_NULL_HANDLE};
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 2,
                       .pCommandBuffers = cbs};
    /* (encoders write a NULL handle as id 0, as a hostile guest would) */
    vkw_encode_vkQueueSubmit(&g->w, ++g->serial, (VkQueue)&g->queue, 1, &si, VK_NULL_HANDLE);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 0, 0};
}

static void id_unknown(struct tg_guest *g, struct expect *e)
{
    tg_destroy_buffer(g, 12345);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 12345, 0};
}

static void id_wrong_type(struct tg_guest *g, struct expect *e)
{
    /* The pool's id where a buffer belongs. */
    tg_destroy_buffer(g, TG_POOL_ID);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, TG_POOL_ID, 0};
}

static void id_dispatchable_wrong_type(struct tg_guest *g, struct expect *e)
{
    /* A command buffer's id as the device the command goes through. */
    vkw_encode_vkDestroyBuffer(&g->w, ++g->serial, (VkDevice)&g->cbs[0],
                               VKW_U64_HANDLE(VkBuffer, 100), NULL);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, TG_POOL_ID + 1, 0};
}

/* B has buffer 0x500; A never made one.  A cannot name it. */
static void id_of_another_client(struct tg_guest *g, struct expect *e)
{
    tg_destroy_buffer(g, B_BUFFER_ONLY_B);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, B_BUFFER_ONLY_B, 0};
}

static void used_after_destroy(struct tg_guest *g, struct expect *e)
{
    tg_create_buffer(g, 150, 16);
    tg_destroy_buffer(g, 150);
    vkw_encode_vkGetBufferMemoryRequirements(&g->w, ++g->serial, TG_DEVICE(g),
                                             VKW_U64_HANDLE(VkBuffer, 150),
                                             &(VkMemoryRequirements){0});
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 150, 1};
}

/* Command buffers go with their pool: using one afterwards. */
static void used_after_parent_destroyed(struct tg_guest *g, struct expect *e)
{
    vkw_encode_vkDestroyCommandPool(&g->w, ++g->serial, TG_DEVICE(g),
                                    VKW_U64_HANDLE(VkCommandPool, TG_POOL_ID), NULL);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vkw_encode_vkBeginCommandBuffer(&g->w, ++g->serial, (VkCommandBuffer)&g->cbs[0], &bi);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, TG_POOL_ID + 1, 0};
}

/* A buffer after its device was destroyed (with the buffer alive: the
 * host destroyed the buffer first). */
static void used_after_device_destroyed(struct tg_guest *g, struct expect *e)
{
    vkw_encode_vkDestroyDevice(&g->w, ++g->serial, TG_DEVICE(g), NULL);
    vkw_encode_vkDestroyBuffer(&g->w, ++g->serial, TG_DEVICE(g), VKW_U64_HANDLE(VkBuffer, 100),
                               NULL);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, TG_DEVICE_ID, 0};
}

static void memory_used_after_free(struct tg_guest *g, struct expect *e)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 4096,
                               .memoryTypeIndex = 0};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, TG_MEMORY_ID);
    vkw_encode_vkAllocateMemory(&g->w, ++g->serial, TG_DEVICE(g), &ai, NULL, &mem);
    vkw_encode_vkFreeMemory(&g->w, ++g->serial, TG_DEVICE(g), mem, NULL);
    tm_write_memory(&g->w, ++g->serial, 0, TG_MEMORY_ID, 0, "abcd", 4);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, TG_MEMORY_ID, 1};
}

static void string_without_end(struct tg_guest *g, struct expect *e)
{
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vkwAPPnm"};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    struct vkw_dispatchable obj = {0, 50};
    VkInstance instance = (VkInstance)&obj;
    vkw_encode_vkCreateInstance(&g->w, ++g->serial, &ici, NULL, &instance);
    const size_t at = find(&g->w, 0, "vkwAPPnm", 8);
    put_u64(&g->w, at - 8, 1000); /* 1000 bytes announced, the message has fewer */
    *e = (struct expect){VKW_ERROR_TRUNCATED, 1000, 0};
}

static void string_with_nul(struct tg_guest *g, struct expect *e)
{
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vkwAPPnm"};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    struct vkw_dispatchable obj = {0, 50};
    VkInstance instance = (VkInstance)&obj;
    vkw_encode_vkCreateInstance(&g->w, ++g->serial, &ici, NULL, &instance);
    const size_t at = find(&g->w, 0, "vkwAPPnm", 8);
    g->w.data[at + 3] = 0; /* C would cut the name here */
    *e = (struct expect){VKW_ERROR_BAD_STRING, 3, 0};
}

/* Enums lavapipe uses as array indices or switch keys without a default. */
static void enum_image_type(struct tg_guest *g, struct expect *e)
{
    VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                            .imageType = (VkImageType)7,
                            .format = VK_FORMAT_R8G8B8A8_UNORM,
                            .extent = {16, 16, 1},
                            .mipLevels = 1,
                            .arrayLayers = 1,
                            .samples = VK_SAMPLE_COUNT_1_BIT,
                            .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT};
    VkImage image = VKW_U64_HANDLE(VkImage, 160);
    vkw_encode_vkCreateImage(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &image);
    *e = (struct expect){VKW_ERROR_BAD_ENUM, 7, 0};
}

static void enum_format(struct tg_guest *g, struct expect *e)
{
    VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                            .imageType = VK_IMAGE_TYPE_2D,
                            .format = (VkFormat)0x7ffffff0,
                            .extent = {16, 16, 1},
                            .mipLevels = 1,
                            .arrayLayers = 1,
                            .samples = VK_SAMPLE_COUNT_1_BIT,
                            .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT};
    VkImage image = VKW_U64_HANDLE(VkImage, 160);
    vkw_encode_vkCreateImage(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &image);
    *e = (struct expect){VKW_ERROR_BAD_ENUM, 0x7ffffff0u, 0};
}

static void enum_bind_point(struct tg_guest *g, struct expect *e)
{
    vkw_encode_vkCmdBindPipeline(&g->w, ++g->serial, (VkCommandBuffer)&g->cbs[0],
                                 (VkPipelineBindPoint)99, VK_NULL_HANDLE);
    *e = (struct expect){VKW_ERROR_BAD_ENUM, 99, 0};
}

static void enum_negative(struct tg_guest *g, struct expect *e)
{
    VkDescriptorSetLayoutBinding binding = {.binding = 0,
                                            .descriptorType = (VkDescriptorType)-5,
                                            .descriptorCount = 1,
                                            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo ci = {.sType =
                                              VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = 1,
                                          .pBindings = &binding};
    VkDescriptorSetLayout layout = VKW_U64_HANDLE(VkDescriptorSetLayout, 170);
    vkw_encode_vkCreateDescriptorSetLayout(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &layout);
    *e = (struct expect){VKW_ERROR_BAD_ENUM, (uint32_t)-5, 0};
}

static void new_id_in_use(struct tg_guest *g, struct expect *e)
{
    tg_create_buffer(g, TG_DEVICE_ID, 16); /* the device's id for a buffer */
    *e = (struct expect){VKW_ERROR_ID_IN_USE, TG_DEVICE_ID, 0};
}

static void new_id_zero(struct tg_guest *g, struct expect *e)
{
    tg_create_buffer(g, 0, 16);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 0, 0};
}

static void trailing_bytes(struct tg_guest *g, struct expect *e)
{
    const size_t at = g->w.size;
    tg_destroy_buffer(g, 100);
    vkw_write_u32(&g->w, 0);
    put_u32(&g->w, at + 8, 16 + 4);
    *e = (struct expect){VKW_ERROR_TRAILING_BYTES, 4, 0};
}

static void flags_unknown(struct tg_guest *g, struct expect *e)
{
    const size_t at = g->w.size;
    tg_destroy_buffer(g, 100);
    put_u32(&g->w, at + 4, 0x80000001u);
    *e = (struct expect){VKW_ERROR_BAD_FLAGS, 0x80000001u, 0};
}

/* objectHandle is a bare u64: a guest id, never passed on as it came. */
static void private_data_raw_handle(struct tg_guest *g, struct expect *e)
{
    VkPrivateDataSlotCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PRIVATE_DATA_SLOT_CREATE_INFO};
    VkPrivateDataSlot slot = VKW_U64_HANDLE(VkPrivateDataSlot, 180);
    vkw_encode_vkCreatePrivateDataSlot(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &slot);
    vkw_encode_vkSetPrivateData(&g->w, ++g->serial, TG_DEVICE(g), VK_OBJECT_TYPE_BUFFER, 100,
                                slot, 42); /* a real buffer id: fine */
    uint64_t data = 0;
    vkw_encode_vkGetPrivateData(&g->w, ++g->serial, TG_DEVICE(g), VK_OBJECT_TYPE_BUFFER, 100,
                                slot, &data);
    /* An address where a driver would write. */
    vkw_encode_vkSetPrivateData(&g->w, ++g->serial, TG_DEVICE(g), VK_OBJECT_TYPE_BUFFER,
                                0x7fff0000dead0000ull, slot, 42);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 0x7fff0000dead0000ull, 2}; /* the slot's creation has no reply */
}

static void private_data_wrong_type(struct tg_guest *g, struct expect *e)
{
    VkPrivateDataSlotCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PRIVATE_DATA_SLOT_CREATE_INFO};
    VkPrivateDataSlot slot = VKW_U64_HANDLE(VkPrivateDataSlot, 180);
    vkw_encode_vkCreatePrivateDataSlot(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &slot);
    /* the instance is not made from a device (a dispatchable object: the
     * encoder reads its id from the object, as the ICD's objects hold it) */
    struct vkw_dispatchable instance = {.id = TG_INSTANCE_ID};
    vkw_encode_vkSetPrivateData(&g->w, ++g->serial, TG_DEVICE(g), VK_OBJECT_TYPE_INSTANCE,
                                (uint64_t)(uintptr_t)&instance, slot, 42);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, VK_OBJECT_TYPE_INSTANCE, 0}; /* nor here */
}

/* A Vulkan 1.3 command on the device of a 1.1 application: the loader's
 * trampoline would jump through a NULL entry of the device's table. */
static void command_the_device_lacks(struct tg_guest *g, struct expect *e)
{
    tg_create_buffer(g, 150, 16);
    VkPrivateDataSlotCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PRIVATE_DATA_SLOT_CREATE_INFO};
    VkPrivateDataSlot slot = VKW_U64_HANDLE(VkPrivateDataSlot, 180);
    vkw_encode_vkCreatePrivateDataSlot(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &slot);
    *e = (struct expect){VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCreatePrivateDataSlot, 1};
}

static void command_the_queue_lacks(struct tg_guest *g, struct expect *e)
{
    VkSubmitInfo2 si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    vkw_encode_vkQueueSubmit2(&g->w, ++g->serial, (VkQueue)&g->queue, 1, &si, VK_NULL_HANDLE);
    *e = (struct expect){VKW_ERROR_UNSUPPORTED, VKW_CMD_vkQueueSubmit2, 0};
}

static void command_the_command_buffer_lacks(struct tg_guest *g, struct expect *e)
{
    vkw_encode_vkCmdSetCullMode(&g->w, ++g->serial, (VkCommandBuffer)&g->cbs[0],
                                VK_CULL_MODE_BACK_BIT);
    *e = (struct expect){VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCmdSetCullMode, 0};
}

static void memory_range(struct tg_guest *g, struct expect *e)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 4096,
                               .memoryTypeIndex = 0};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, TG_MEMORY_ID);
    vkw_encode_vkAllocateMemory(&g->w, ++g->serial, TG_DEVICE(g), &ai, NULL, &mem);
    tm_read_memory(&g->w, ++g->serial, TG_MEMORY_ID, UINT64_MAX - 2, 16); /* wraps */
    *e = (struct expect){VKW_ERROR_BAD_RANGE, UINT64_MAX, 1};
}

static void blob_count_huge(struct tg_guest *g, struct expect *e)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 4096,
                               .memoryTypeIndex = 0};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, TG_MEMORY_ID);
    vkw_encode_vkAllocateMemory(&g->w, ++g->serial, TG_DEVICE(g), &ai, NULL, &mem);
    const size_t at = g->w.size;
    tm_write_memory(&g->w, ++g->serial, 0, TG_MEMORY_ID, 0, "abcd", 4);
    put_u64(&g->w, at + 0x20, UINT64_MAX); /* the blob's count */
    *e = (struct expect){VKW_ERROR_TRUNCATED, UINT64_MAX, 1};
}

/* A codec pointer video.xml says must be there while a flag is set: an
 * H.264 SPS whose vui_parameters_present_flag is set, without its VUI (the
 * driver would read it).  Refused while decoding, before the session would
 * matter (lavapipe has no video). */
static void sps_without_vui(struct tg_guest *g, struct expect *e)
{
    const StdVideoH264SequenceParameterSet sps = {
        .flags = {.frame_mbs_only_flag = 1, .vui_parameters_present_flag = 1},
        .profile_idc = STD_VIDEO_H264_PROFILE_IDC_MAIN,
        .chroma_format_idc = STD_VIDEO_H264_CHROMA_FORMAT_IDC_420};
    const VkVideoDecodeH264SessionParametersAddInfoKHR add = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_SESSION_PARAMETERS_ADD_INFO_KHR,
        .stdSPSCount = 1,
        .pStdSPSs = &sps};
    const VkVideoDecodeH264SessionParametersCreateInfoKHR h264 = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_SESSION_PARAMETERS_CREATE_INFO_KHR,
        .maxStdSPSCount = 1,
        .pParametersAddInfo = &add};
    const VkVideoSessionParametersCreateInfoKHR ci = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_SESSION_PARAMETERS_CREATE_INFO_KHR,
        .pNext = &h264,
        .videoSession = VKW_U64_HANDLE(VkVideoSessionKHR, 100)};
    VkVideoSessionParametersKHR params = VKW_U64_HANDLE(VkVideoSessionParametersKHR, 150);
    vkw_encode_vkCreateVideoSessionParametersKHR(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL,
                                                 &params);
    *e = (struct expect){VKW_ERROR_BAD_POINTER, 0, 0};
}

static const struct hostile_case {
    const char *name;
    void (*build)(struct tg_guest *g, struct expect *e);
    bool vulkan13; /* the guest is a Vulkan 1.3 application (else 1.1) */
} cases[] = {
    {"a command cut short (its size says so)", truncated_command, false},
    {"half a header after a good command", truncated_header, false},
    {"a size that is not whole words", size_not_words, false},
    {"a size far past the batch (4 GiB)", size_past_batch, false},
    {"an array count of 2^62", count_oversized, false},
    {"an array count whose byte size wraps to 8", count_overflows, false},
    {"an array count that disagrees with its length member", count_disagrees, false},
    {"an unknown opcode after a good command", opcode_unknown, false},
    {"opcode 0", opcode_zero, false},
    {"a HELLO inside a batch", opcode_hello_in_batch, false},
    {"an sType no one defined", stype_unknown, false},
    {"an sType the chain does not take", stype_of_another_base, false},
    {"a presence word of 2", presence_two, false},
    {"a required pointer left out", required_pointer_absent, false},
    {"VK_NULL_HANDLE for a required handle", required_handle_zero, false},
    {"a NULL command buffer in a submit", null_in_required_array, false},
    {"an id that names nothing", id_unknown, false},
    {"a pool's id where a buffer belongs", id_wrong_type, false},
    {"a command buffer's id as the device", id_dispatchable_wrong_type, false},
    {"an id only another client has", id_of_another_client, false},
    {"a buffer used after its destroy", used_after_destroy, false},
    {"a command buffer used after its pool's destroy", used_after_parent_destroyed, false},
    {"a buffer used after its device's destroy", used_after_device_destroyed, false},
    {"memory written after its free", memory_used_after_free, false},
    {"a string longer than the message", string_without_end, false},
    {"a string with a NUL inside", string_with_nul, false},
    {"VkImageType 7", enum_image_type, false},
    {"a format no one defined", enum_format, false},
    {"VkPipelineBindPoint 99", enum_bind_point, false},
    {"a negative VkDescriptorType", enum_negative, false},
    {"a new buffer under the device's id", new_id_in_use, false},
    {"a new buffer under id 0", new_id_zero, false},
    {"a word after the last parameter", trailing_bytes, false},
    {"a flag bit no one defined", flags_unknown, false},
    {"private data on a raw address", private_data_raw_handle, true},
    {"private data on the instance", private_data_wrong_type, true},
    {"a 1.3 command on a 1.1 device", command_the_device_lacks, false},
    {"a 1.3 command on a 1.1 device's queue", command_the_queue_lacks, false},
    {"a 1.3 command on a 1.1 device's command buffer", command_the_command_buffer_lacks, false},
    {"READ_MEMORY whose range wraps", memory_range, false},
    {"WRITE_MEMORY whose blob count is 2^64-1", blob_count_huge, false},
    {"an H.264 SPS that says it has a VUI and has none", sps_without_vui, false},
};

/* B is unaffected: its objects stand, and it can still work with its
 * buffer 100 and the buffer only it has. */
static bool b_still_fine(void)
{
    VkMemoryRequirements req;
    vkw_encode_vkGetBufferMemoryRequirements(&b.g.w, ++b.g.serial, TG_DEVICE(&b.g),
                                             VKW_U64_HANDLE(VkBuffer, 100), &req);
    vkw_encode_vkGetBufferMemoryRequirements(&b.g.w, ++b.g.serial, TG_DEVICE(&b.g),
                                             VKW_U64_HANDLE(VkBuffer, B_BUFFER_ONLY_B), &req);
    tg_create_buffer(&b.g, 0x600, 16);
    tg_destroy_buffer(&b.g, 0x600);
    return run(&b) == VKW_RENDERER_OK && tg_count_ok(b.reply, b.reply_size, false, NULL) == 3 &&
           vkw_renderer_context_object_count(b.ctx) == b_objects;
}

static void run_case(const struct hostile_case *c)
{
    const int fds_before = open_fds();
    struct side a;
    if (!open_side_as(&a, c->vulkan13)) {
        ok(0, "%s: guest A set up", c->name);
        return;
    }
    struct expect e = {0};
    const uint32_t first_serial = a.g.serial + 1;
    c->build(&a.g, &e);
    const uint32_t bad_serial = e.code == VKW_ERROR_TRUNCATED && e.value == 10 ? 0 : a.g.serial;
    const enum vkw_renderer_status st = run(&a);

    /* The replies: those of the good commands, then the error reply. */
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, a.reply, a.reply_size);
    int good = 0;
    uint64_t value = 0;
    bool error_reply = false;
    while (tg_next_reply(&rs, &h, &p)) {
        if (h.status == VKW_OK) {
            good++;
            continue;
        }
        value = vkw_read_u64(&p);
        error_reply = vkw_reader_ok(&p) && !tg_next_reply(&rs, &h, &p) &&
                      h.status == (uint32_t)e.code;
        break;
    }
    ok(st == VKW_RENDERER_PROTOCOL_ERROR && error_reply && value == e.value && good == e.good_replies,
       "%s: %s, value %#llx", c->name, vkw_error_name(e.code), (unsigned long long)e.value);
    if (!error_reply || value != e.value || good != e.good_replies)
        diag("got status %u value %#llx after %d good replies; %s", h.status,
             (unsigned long long)value, good, vkw_renderer_context_error(a.ctx));
    ok(h.serial == bad_serial || (bad_serial == 0 && h.serial == 0),
       "%s: the error reply names the failing command (serial %u, batch from %u)", c->name,
       h.serial, first_serial);
    ok(strncmp(vkw_renderer_context_error(a.ctx), vkw_error_name(e.code),
               strlen(vkw_error_name(e.code))) == 0,
       "%s: the reason says so: %s", c->name, vkw_renderer_context_error(a.ctx));

    /* Ended: a good command later gets the same error and runs nothing. */
    const size_t objects = vkw_renderer_context_object_count(a.ctx);
    tg_create_buffer(&a.g, 151, 16);
    uint32_t status = 0;
    uint64_t again = 0;
    ok(run(&a) == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(a.reply, a.reply_size, &status, &again) && status == (uint32_t)e.code &&
           again == e.value && vkw_renderer_context_object_count(a.ctx) == objects,
       "%s: the context has ended (same answer, nothing made)", c->name);

    /* It ends cleanly: everything A made goes, and nothing of B. */
    vkw_renderer_context_destroy_objects(a.ctx);
    struct vkw_renderer_context_stats s = {.size = sizeof(s)};
    vkw_renderer_context_get_stats(a.ctx, &s);
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    ok(s.objects == 0 && s.memory_bytes == 0 && s.host_mappings == 0 && s.host_fences == 0 &&
           open_fds() == fds_before,
       "%s: A's teardown leaves no object, memory, mapping, fence or fd", c->name);
    ok(b_still_fine(), "%s: B goes on, its %zu objects untouched", c->name, b_objects);
}

/* Not an error: a guest that destroys its device with children alive.
 * The host destroys the children first (lavapipe would otherwise be handed
 * a dead device's buffers at teardown), and their ids are gone. */
static void test_destroy_device_with_children(void)
{
    struct side a;
    ok(open_side(&a), "a guest with a buffer, a pool and command buffers");
    const size_t before = vkw_renderer_context_object_count(a.ctx);
    vkw_encode_vkDestroyDevice(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), NULL);
    ok(run(&a) == VKW_RENDERER_OK && a.reply_size == 0,
       "vkDestroyDevice with its buffer and pool alive is accepted");
    is_int(vkw_renderer_context_object_count(a.ctx), before - 6,
           "the device, its queue, buffer, pool and 2 command buffers are gone (%zu left)",
           before - 6);
    ok(vkw_renderer_context_destroy_objects(a.ctx) == 1, "teardown then has only the instance");
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    ok(b_still_fine(), "B goes on");
}

/* Two guests use the same ids; each names only its own objects. */
static void test_ids_are_per_client(void)
{
    struct side a;
    ok(open_side(&a), "A has buffer 100, as B does");
    tg_destroy_buffer(&a.g, 100);
    ok(run(&a) == VKW_RENDERER_OK, "A destroys its buffer 100");
    ok(b_still_fine(), "B's buffer 100 is still B's and still works");
    tg_destroy_buffer(&a.g, 100);
    uint32_t status = 0;
    uint64_t value = 0;
    ok(run(&a) == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(a.reply, a.reply_size, &status, &value) &&
           status == VKW_ERROR_BAD_HANDLE && value == 100,
       "A cannot destroy 100 again, though B has a 100");
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    ok(b_still_fine(), "B goes on");
}

/* ALLOCATE_SHARED with a descriptor that is not a memfd. */
static void test_bad_fd(void)
{
    struct side a;
    const int fds_before = open_fds();
    ok(open_side(&a), "a guest for the fd case");
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        tm_bail_out("pipe");
    close(pipe_fds[1]);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 4096,
                               .memoryTypeIndex = 0};
    tm_allocate_shared(&a.g.w, ++a.g.serial, TG_DEVICE_ID, &ai, TG_MEMORY_ID, 0);
    uint32_t status = 0;
    uint64_t value = 9;
    ok(run_fds(&a, &pipe_fds[0], 1) == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(a.reply, a.reply_size, &status, &value) && status == VKW_ERROR_BAD_FD &&
           value == 0,
       "ALLOCATE_SHARED with a pipe for its memfd: bad_fd, value 0 (its index)");
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    is_int(open_fds(), fds_before, "the pipe was closed by the host");
    ok(b_still_fine(), "B goes on");
}

/* ---- the sync status page ---- */

static void sync_page_message(struct tg_guest *g, uint32_t fd_index)
{
    size_t at = vkw_begin_command(&g->w, VKW_MSG_SYNC_PAGE, VKW_COMMAND_FLAG_REPLY, ++g->serial);
    vkw_write_u32(&g->w, fd_index);
    vkw_end_message(&g->w, at);
}

static void sync_queue_message(struct tg_guest *g, uint64_t queue, uint32_t slot)
{
    size_t at = vkw_begin_command(&g->w, VKW_MSG_SYNC_QUEUE, 0, ++g->serial);
    vkw_write_u64(&g->w, queue);
    vkw_write_u32(&g->w, slot);
    vkw_end_message(&g->w, at);
}

/* A sealed memfd of one page, mapped into `*page`. */
static int sync_memfd(bool sealed, volatile uint64_t **page)
{
    int fd = memfd_create("sync", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, VKW_SYNC_PAGE_BYTES) != 0 ||
        (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0))
        tm_bail_out("memfd");
    void *p = mmap(NULL, VKW_SYNC_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        tm_bail_out("mmap");
    *page = p;
    return fd;
}

static uint64_t completed_of(volatile uint64_t *page, uint32_t slot)
{
    return page[VKW_SYNC_COMPLETED_OFFSET / 8 + slot];
}

/* Wait (at most 5 s) for the host to publish `want` finished submissions
 * on `slot`. */
static bool published(volatile uint64_t *page, uint32_t slot, uint64_t want)
{
    for (int i = 0; i < 5000 && completed_of(page, slot) != want; i++)
        usleep(1000);
    return completed_of(page, slot) == want;
}

static void test_sync_page(void)
{
    const int fds_before = open_fds();
    struct side a;
    uint32_t status = 0;
    uint64_t value = 0;
    volatile uint64_t *page = NULL;

    ok(open_side(&a), "a guest for the sync page");
    int fd = sync_memfd(false, &page);
    sync_page_message(&a.g, 0);
    ok(run_fds(&a, &fd, 1) == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(a.reply, a.reply_size, &status, &value) && status == VKW_ERROR_BAD_FD &&
           value == 0,
       "SYNC_PAGE with a memfd that may shrink: bad_fd (the host would map it)");
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    munmap((void *)page, VKW_SYNC_PAGE_BYTES);

    ok(open_side(&a), "a guest that names a queue without a page");
    sync_queue_message(&a.g, TG_QUEUE_ID, 0);
    ok(run(&a) == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(a.reply, a.reply_size, &status, &value) &&
           status == VKW_ERROR_UNSUPPORTED && value == VKW_MSG_SYNC_QUEUE,
       "SYNC_QUEUE before SYNC_PAGE: unsupported");
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);

    ok(open_side(&a), "a guest with a sync page");
    fd = sync_memfd(true, &page);
    sync_page_message(&a.g, 0);
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    bool accepted = run_fds(&a, &fd, 1) == VKW_RENDERER_OK;
    tg_replies_init(&rs, a.reply, a.reply_size);
    accepted = accepted && tg_next_reply(&rs, &h, &p) && h.opcode == VKW_MSG_SYNC_PAGE &&
               vkw_read_i32(&p) == VK_SUCCESS;
    ok(accepted, "SYNC_PAGE with a sealed memfd: VK_SUCCESS");
    sync_queue_message(&a.g, TG_QUEUE_ID, 7);
    for (int i = 0; i < 3; i++)
        vkw_encode_vkQueueSubmit(&a.g.w, ++a.g.serial, (VkQueue)&a.g.queue, 0, NULL,
                                 VK_NULL_HANDLE);
    ok(run(&a) == VKW_RENDERER_OK && a.reply_size == 0, "SYNC_QUEUE slot 7, then 3 submissions");
    ok(published(page, 7, 3), "the host publishes 3 finished submissions on slot 7 (%llu)",
       (unsigned long long)completed_of(page, 7));
    /* The guest scribbles on the page: the host reads nothing back. */
    page[VKW_SYNC_COMPLETED_OFFSET / 8 + 7] = 1000;
    ((volatile uint32_t *)page)[VKW_SYNC_WAKE_OFFSET / 4] = ~0u;
    vkw_encode_vkQueueSubmit(&a.g.w, ++a.g.serial, (VkQueue)&a.g.queue, 0, NULL, VK_NULL_HANDLE);
    ok(run(&a) == VKW_RENDERER_OK && published(page, 7, 4),
       "after the guest wrote 1000 there, the 4th submission publishes 4: its own count");
    sync_queue_message(&a.g, TG_QUEUE_ID, 7);
    ok(run(&a) == VKW_RENDERER_OK, "the same queue and slot again: accepted, nothing changes");
    sync_queue_message(&a.g, TG_QUEUE_ID, 8);
    ok(run(&a) == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(a.reply, a.reply_size, &status, &value) &&
           status == VKW_ERROR_ID_IN_USE && value == 8,
       "the queue in a second slot: id_in_use, value the slot");
    ok((((volatile uint32_t *)page)[VKW_SYNC_FLAGS_OFFSET / 4] & VKW_SYNC_FLAG_STOPPED) != 0,
       "the ended context says on the page that it publishes no more");
    /* Ended with its completion thread alive: destroying the context joins
     * it (LSan and valgrind see the rest). */
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    munmap((void *)page, VKW_SYNC_PAGE_BYTES);

    /* Teardown while a completion thread is in the driver's wait: the
     * work waits for an event nobody sets until teardown sets it. */
    ok(open_side(&a), "a guest whose work waits for an event");
    fd = sync_memfd(true, &page);
    sync_page_message(&a.g, 0);
    sync_queue_message(&a.g, TG_QUEUE_ID, 0);
    VkEventCreateInfo eci = {.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    VkEvent event = VKW_U64_HANDLE(VkEvent, 0x700);
    vkw_encode_vkCreateEvent(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &eci, NULL, &event);
    VkCommandBuffer cb = (VkCommandBuffer)&a.g.cbs[0];
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vkw_encode_vkBeginCommandBuffer(&a.g.w, ++a.g.serial, cb, &bi);
    vkw_encode_vkCmdWaitEvents(&a.g.w, 0, cb, 1, &event, VK_PIPELINE_STAGE_HOST_BIT,
                               VK_PIPELINE_STAGE_TRANSFER_BIT, 0, NULL, 0, NULL, 0, NULL);
    vkw_encode_vkEndCommandBuffer(&a.g.w, ++a.g.serial, cb);
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cb};
    vkw_encode_vkQueueSubmit(&a.g.w, ++a.g.serial, (VkQueue)&a.g.queue, 1, &si, VK_NULL_HANDLE);
    /* Replies: the page, Begin and End (the event's creation is async). */
    ok(run_fds(&a, &fd, 1) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 3,
       "page, queue slot, event, a command buffer waiting for it, submitted");
    usleep(50 * 1000);
    is_int((int)completed_of(page, 0), 0, "held back by the event, nothing is published");
    ok(vkw_renderer_context_destroy_objects(a.ctx) > 0,
       "teardown sets the event, waits, and joins the thread that was in the driver's wait");
    ok(completed_of(page, 0) <= 1 &&
           (((volatile uint32_t *)page)[VKW_SYNC_FLAGS_OFFSET / 4] & VKW_SYNC_FLAG_STOPPED),
       "the page says it publishes no more");
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    munmap((void *)page, VKW_SYNC_PAGE_BYTES);

    ok(open_side(&a), "a guest for the slot bound");
    fd = sync_memfd(true, &page);
    sync_page_message(&a.g, 0);
    sync_queue_message(&a.g, TG_QUEUE_ID, VKW_SYNC_QUEUE_SLOTS);
    ok(run_fds(&a, &fd, 1) == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(a.reply, a.reply_size, &status, &value) &&
           status == VKW_ERROR_BAD_COUNT && value == VKW_SYNC_QUEUE_SLOTS,
       "SYNC_QUEUE slot 64: bad_count");
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    munmap((void *)page, VKW_SYNC_PAGE_BYTES);
    is_int(open_fds(), fds_before, "every memfd was closed by the host");
    ok(b_still_fine(), "B goes on");
}

/* ---- video sessions, on the fake driver (lavapipe has no video) ----
 *
 * A parameters object is made from a session (vk.xml parent=): the host
 * refuses one named with another session, and one whose session is gone;
 * a session destroyed before its parameters objects takes them down first
 * (the fake driver reports a session destroyed with one alive, and any
 * handle it is given that is not live). */

#define V_SESSION_1 0x700u
#define V_SESSION_2 0x701u
#define V_PARAMS_1 0x702u /* made from session 1 */
#define V_PARAMS_NEW 0x703u

static struct vkw_renderer *fake_renderer;

static void video_session(struct tg_guest *g, uint64_t id)
{
    const VkVideoDecodeH264ProfileInfoKHR h264 = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_DECODE_H264_PROFILE_INFO_KHR,
        .stdProfileIdc = STD_VIDEO_H264_PROFILE_IDC_MAIN,
        .pictureLayout = VK_VIDEO_DECODE_H264_PICTURE_LAYOUT_PROGRESSIVE_KHR};
    const VkVideoProfileInfoKHR profile = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_PROFILE_INFO_KHR,
        .pNext = &h264,
        .videoCodecOperation = VK_VIDEO_CODEC_OPERATION_DECODE_H264_BIT_KHR,
        .chromaSubsampling = VK_VIDEO_CHROMA_SUBSAMPLING_420_BIT_KHR,
        .lumaBitDepth = VK_VIDEO_COMPONENT_BIT_DEPTH_8_BIT_KHR,
        .chromaBitDepth = VK_VIDEO_COMPONENT_BIT_DEPTH_8_BIT_KHR};
    const VkExtensionProperties header = {VK_STD_VULKAN_VIDEO_CODEC_H264_DECODE_EXTENSION_NAME,
                                          VK_STD_VULKAN_VIDEO_CODEC_H264_DECODE_SPEC_VERSION};
    const VkVideoSessionCreateInfoKHR ci = {.sType = VK_STRUCTURE_TYPE_VIDEO_SESSION_CREATE_INFO_KHR,
                                            .pVideoProfile = &profile,
                                            .pictureFormat = VK_FORMAT_G8_B8R8_2PLANE_420_UNORM,
                                            .maxCodedExtent = {176, 144},
                                            .referencePictureFormat = VK_FORMAT_G8_B8R8_2PLANE_420_UNORM,
                                            .maxDpbSlots = 2,
                                            .maxActiveReferencePictures = 1,
                                            .pStdHeaderVersion = &header};
    VkVideoSessionKHR session = VKW_U64_HANDLE(VkVideoSessionKHR, id);
    vkw_encode_vkCreateVideoSessionKHR(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &session);
}

static void video_parameters(struct tg_guest *g, uint64_t id, uint64_t session, uint64_t template)
{
    const VkVideoSessionParametersCreateInfoKHR ci = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_SESSION_PARAMETERS_CREATE_INFO_KHR,
        .videoSessionParametersTemplate = VKW_U64_HANDLE(VkVideoSessionParametersKHR, template),
        .videoSession = VKW_U64_HANDLE(VkVideoSessionKHR, session)};
    VkVideoSessionParametersKHR params = VKW_U64_HANDLE(VkVideoSessionParametersKHR, id);
    vkw_encode_vkCreateVideoSessionParametersKHR(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL,
                                                 &params);
}

static void video_begin(struct tg_guest *g, uint64_t session, uint64_t params)
{
    const VkVideoBeginCodingInfoKHR bi = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_BEGIN_CODING_INFO_KHR,
        .videoSession = VKW_U64_HANDLE(VkVideoSessionKHR, session),
        .videoSessionParameters = VKW_U64_HANDLE(VkVideoSessionParametersKHR, params)};
    vkw_encode_vkCmdBeginVideoCodingKHR(&g->w, ++g->serial, (VkCommandBuffer)&g->cbs[0], &bi);
}

static void video_destroy_session(struct tg_guest *g, uint64_t session)
{
    vkw_encode_vkDestroyVideoSessionKHR(&g->w, ++g->serial, TG_DEVICE(g),
                                        VKW_U64_HANDLE(VkVideoSessionKHR, session), NULL);
}

/* A guest on the fake driver: two sessions, parameters made from the
 * first, a pool with two command buffers. */
static bool open_video_side(struct side *s)
{
    memset(s, 0, sizeof(*s));
    s->ctx = vkw_renderer_context_create(fake_renderer);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    if (run(s) != VKW_RENDERER_OK)
        return false;
    tg_bring_up(&s->g);
    tg_command_buffers(&s->g);
    video_session(&s->g, V_SESSION_1);
    video_session(&s->g, V_SESSION_2);
    video_parameters(&s->g, V_PARAMS_1, V_SESSION_1, 0);
    uint32_t bad = 0;
    const enum vkw_renderer_status st = run(s);
    const int n = tg_count_ok(s->reply, s->reply_size, true, &bad);
    if (st != VKW_RENDERER_OK || n != 8)
        diag("video guest: status %d, %d good replies (first bad: opcode %u); %s", (int)st, n,
             bad, vkw_renderer_context_error(s->ctx));
    return st == VKW_RENDERER_OK && n == 8;
}

static void video_with_another_session(struct tg_guest *g, struct expect *e)
{
    video_begin(g, V_SESSION_2, V_PARAMS_1);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, V_PARAMS_1, 0};
}

static void video_template_of_another_session(struct tg_guest *g, struct expect *e)
{
    video_parameters(g, V_PARAMS_NEW, V_SESSION_2, V_PARAMS_1);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, V_PARAMS_1, 0};
}

static void video_destroyed_session(struct tg_guest *g, struct expect *e)
{
    video_destroy_session(g, V_SESSION_2);
    video_begin(g, V_SESSION_2, 0);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, V_SESSION_2, 0};
}

static void video_parameters_of_destroyed_session(struct tg_guest *g, struct expect *e)
{
    video_destroy_session(g, V_SESSION_1);
    const VkVideoSessionParametersUpdateInfoKHR ui = {
        .sType = VK_STRUCTURE_TYPE_VIDEO_SESSION_PARAMETERS_UPDATE_INFO_KHR,
        .updateSequenceCount = 1};
    vkw_encode_vkUpdateVideoSessionParametersKHR(
        &g->w, ++g->serial, TG_DEVICE(g), VKW_U64_HANDLE(VkVideoSessionParametersKHR, V_PARAMS_1),
        &ui);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, V_PARAMS_1, 0};
}

static const struct hostile_case video_cases[] = {
    {"video: parameters of another session begin coding", video_with_another_session, false},
    {"video: a template of another session", video_template_of_another_session, false},
    {"video: a destroyed session begins coding", video_destroyed_session, false},
    {"video: parameters updated after their session's destroy",
     video_parameters_of_destroyed_session, false},
};

/* The error, the context ended, and a teardown that leaves nothing at the
 * fake driver, which saw no handle it should not have. */
static void run_video_case(const struct hostile_case *c)
{
    vkw_fake_reset();
    struct side a;
    if (!open_video_side(&a)) {
        ok(0, "%s: guest set up on the fake driver", c->name);
        return;
    }
    struct expect e = {0};
    c->build(&a.g, &e);
    const enum vkw_renderer_status st = run(&a);
    uint32_t status = 0;
    uint64_t value = 0;
    ok(st == VKW_RENDERER_PROTOCOL_ERROR && tg_error_reply(a.reply, a.reply_size, &status, &value) &&
           status == (uint32_t)e.code && value == e.value,
       "%s: %s, value %#llx", c->name, vkw_error_name(e.code), (unsigned long long)e.value);
    if (status != (uint32_t)e.code || value != e.value)
        diag("got status %u value %#llx; %s", status, (unsigned long long)value,
             vkw_renderer_context_error(a.ctx));
    vkw_renderer_context_destroy_objects(a.ctx);
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    ok(!vkw_fake_problem()[0] && vkw_fake_live_objects() == 0,
       "%s: the driver saw only live objects, and teardown left none (%s)", c->name,
       vkw_fake_problem()[0] ? vkw_fake_problem() : "no problem");
}

/* Not an error: a session destroyed before its parameters object, whose
 * later destroy is accepted; teardown of a session with parameters alive
 * goes parameters first. */
static void test_video_session_first(void)
{
    vkw_fake_reset();
    struct side a;
    ok(open_video_side(&a), "video: two sessions and parameters of the first, on the fake driver");
    video_parameters(&a.g, V_PARAMS_NEW, V_SESSION_2, 0);
    video_destroy_session(&a.g, V_SESSION_1);
    video_begin(&a.g, V_SESSION_2, V_PARAMS_NEW);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 1,
       "video: session 1 destroyed with its parameters alive; session 2 begins coding");
    ok(vkw_fake_live_of_type(VK_OBJECT_TYPE_VIDEO_SESSION_PARAMETERS_KHR) == 1 &&
           vkw_fake_live_of_type(VK_OBJECT_TYPE_VIDEO_SESSION_KHR) == 1 && !vkw_fake_problem()[0],
       "video: the driver destroyed session 1's parameters before it (%s)",
       vkw_fake_problem()[0] ? vkw_fake_problem() : "no problem");
    vkw_encode_vkDestroyVideoSessionParametersKHR(
        &a.g.w, ++a.g.serial, TG_DEVICE(&a.g),
        VKW_U64_HANDLE(VkVideoSessionParametersKHR, V_PARAMS_1), NULL);
    ok(run(&a) == VKW_RENDERER_OK && !vkw_fake_problem()[0],
       "video: the guest's destroy of those parameters is accepted, the driver hears nothing of it");
    vkw_renderer_context_destroy_objects(a.ctx);
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    ok(!vkw_fake_problem()[0] && vkw_fake_live_objects() == 0,
       "video: teardown destroyed session 2's parameters before it, and left nothing (%s)",
       vkw_fake_problem()[0] ? vkw_fake_problem() : "no problem");
}

static void test_video(void)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = vkw_fake_get_instance_proc_addr;
    if (vkw_renderer_create(&o, &fake_renderer) != 0)
        tm_bail_out("vkw_renderer_create (fake driver)");
    for (size_t i = 0; i < sizeof(video_cases) / sizeof(video_cases[0]); i++)
        run_video_case(&video_cases[i]);
    test_video_session_first();
    vkw_renderer_destroy(fake_renderer);
    vkw_fake_reset();
}

int main(void)
{
    alarm(240);
    const char *icd = tg_use_lavapipe();
    if (!icd) {
        printf("1..0 # SKIP no lavapipe ICD manifest (lvp_icd*.json) on this machine\n");
        return 0;
    }
    tg_keep_driver_loaded(icd);
    if (vkw_renderer_create(NULL, &renderer) != 0)
        tm_bail_out("vkw_renderer_create");
    ok(open_side(&b), "guest B: instance, device, buffer 100, a pool with 2 command buffers");
    tg_create_buffer(&b.g, B_BUFFER_ONLY_B, 64);
    ok(run(&b) == VKW_RENDERER_OK, "guest B: and buffer 0x500, which A never has");
    b_objects = vkw_renderer_context_object_count(b.ctx);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    test_ids_are_per_client();
    test_destroy_device_with_children();
    test_bad_fd();
    test_sync_page();
    test_video();

    vkw_renderer_context_destroy(b.ctx);
    tg_fini(&b.g);
    vkw_renderer_destroy(renderer);
    return done_testing();
}
