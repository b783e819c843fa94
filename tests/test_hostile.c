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
 * bytes, flags, retired opcodes, memory ranges and fds;
 * shader objects, indirect commands layouts and execution sets destroyed
 * or named by ids of other types (each context ending with such objects
 * alive);
 * host acceleration-structure commands whose bytes disagree with their
 * ranges, indices past maxVertex, instances naming other objects, guest
 * pointers, lying serialized headers, properties past their data, and a
 * capture-replay handle the device does not size;
 * video parameters objects of another session or of a destroyed one (on
 * the fake driver); ids that never existed in a recording while destroyed
 * objects are kept for it, a kept object destroyed again, a command buffer
 * that skipped a command naming a freed set submitted (PROTOCOL 28); and,
 * not errors, a device destroyed with children alive, a video session
 * destroyed before its parameters. */
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
#include "tests/vkw_cmdtest_spirv.h"
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
    VkPhysicalDeviceVulkan13Features f13 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES, .privateData = VK_TRUE};
    tg_bring_up_device(g, VK_API_VERSION_1_3, &f13, 0, NULL);
    tg_get_queue(g);
}

/* The same for Vulkan 1.4 with host image copy, and a second device (id
 * DEVICE_2_ID) beside the first. */
#define DEVICE_2_ID 0x700u
static struct vkw_dispatchable device_2 = {0, DEVICE_2_ID};

static void bring_up_14(struct tg_guest *g)
{
    VkPhysicalDeviceVulkan14Features f14 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_4_FEATURES, .hostImageCopy = VK_TRUE};
    tg_bring_up_device(g, VK_API_VERSION_1_4, &f14, 0, NULL);
    tg_get_queue(g);
}

/* tg_bring_up for a Vulkan 1.4 application whose device has shader
 * objects and device-generated commands. */
static void bring_up_shaders(struct tg_guest *g)
{
    VkPhysicalDeviceDeviceGeneratedCommandsFeaturesEXT dgc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DEVICE_GENERATED_COMMANDS_FEATURES_EXT,
        .deviceGeneratedCommands = VK_TRUE};
    VkPhysicalDeviceShaderObjectFeaturesEXT objects = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_OBJECT_FEATURES_EXT,
        .pNext = &dgc,
        .shaderObject = VK_TRUE};
    VkPhysicalDeviceVulkan12Features f12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .pNext = &objects,
        .bufferDeviceAddress = VK_TRUE};
    const char *extensions[2] = {VK_EXT_SHADER_OBJECT_EXTENSION_NAME,
                                 VK_EXT_DEVICE_GENERATED_COMMANDS_EXTENSION_NAME};
    tg_bring_up_device(g, VK_API_VERSION_1_4, &f12, 2, extensions);
    tg_get_queue(g);
}

static bool open_side_up(struct side *s, void (*bring_up)(struct tg_guest *g))
{
    memset(s, 0, sizeof(*s));
    s->ctx = vkw_renderer_context_create(renderer);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    if (run(s) != VKW_RENDERER_OK)
        return false;
    bring_up(&s->g);
    tg_create_buffer(&s->g, 100, 256);
    tg_command_buffers(&s->g); /* pool 200, command buffers 201 and 202 */
    return run(s) == VKW_RENDERER_OK && tg_count_ok(s->reply, s->reply_size, true, NULL) == 6;
}

static bool open_side(struct side *s) { return open_side_up(s, tg_bring_up); }

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

/* A command the guest now answers itself (private data, PROTOCOL 27)
 * keeps its number reserved: the host's table has no entry for it. */
static void opcode_retired(struct tg_guest *g, struct expect *e)
{
    tg_create_buffer(g, 150, 16);
    raw_command(&g->w, 179, VKW_COMMAND_FLAG_REPLY, 0, ++g->serial); /* was vkSetPrivateData */
    *e = (struct expect){VKW_ERROR_BAD_OPCODE, 179, 1};
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

/* VkDevicePrivateDataCreateInfo is the guest's (PROTOCOL 27): the host
 * makes no slots, and the struct is no element of vkCreateDevice's chain.
 * Encoded as a struct of its shape (sType, one u32) whose sType is then
 * changed. */
static void stype_private_data_reserve(struct tg_guest *g, struct expect *e)
{
    const float priority = 1.0f;
    const VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority};
    VkPhysicalDevicePrivateDataFeatures shape = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRIVATE_DATA_FEATURES, .privateData = 4};
    const VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .pNext = &shape,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci};
    const size_t at = g->w.size;
    VkDevice device = (VkDevice)&device_2;
    vkw_encode_vkCreateDevice(&g->w, ++g->serial, TG_PHYSICAL(g), &dci, NULL, &device);
    const uint32_t stype = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRIVATE_DATA_FEATURES;
    put_u32(&g->w, find(&g->w, at, &stype, sizeof stype),
            VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO);
    *e = (struct expect){VKW_ERROR_BAD_STYPE, VK_STRUCTURE_TYPE_DEVICE_PRIVATE_DATA_CREATE_INFO, 0};
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

/* A descriptor write into no set: vk.xml lets dstSet be anything (pushes
 * ignore it), and lavapipe would write through NULL. */
static void descriptor_write_without_set(struct tg_guest *g, struct expect *e)
{
    VkDescriptorBufferInfo info = {VKW_U64_HANDLE(VkBuffer, 100), 0, 16};
    VkWriteDescriptorSet write = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                  .descriptorCount = 1,
                                  .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
                                  .pBufferInfo = &info};
    vkw_encode_vkUpdateDescriptorSets(&g->w, ++g->serial, TG_DEVICE(g), 1, &write, 0, NULL);
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

/* A Vulkan 1.3 command on the device of a 1.1 application: the loader's
 * trampoline would jump through a NULL entry of the device's table. */
static void command_the_device_lacks(struct tg_guest *g, struct expect *e)
{
    tg_create_buffer(g, 150, 16);
    const VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                    .size = 16,
                                    .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT};
    const VkDeviceBufferMemoryRequirements info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_BUFFER_MEMORY_REQUIREMENTS, .pCreateInfo = &bci};
    VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
    vkw_encode_vkGetDeviceBufferMemoryRequirements(&g->w, ++g->serial, TG_DEVICE(g), &info,
                                                   &req);
    *e = (struct expect){VKW_ERROR_UNSUPPORTED, VKW_CMD_vkGetDeviceBufferMemoryRequirements, 1};
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

/* ---- host image copy (PROTOCOL 19): 16x16 RGBA8 images ---- */

#define HC_IMAGE_BYTES (16u * 16u * 4u)

static void hc_image(struct tg_guest *g, VkDevice device, uint64_t id, VkImageUsageFlags usage)
{
    VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                            .imageType = VK_IMAGE_TYPE_2D,
                            .format = VK_FORMAT_R8G8B8A8_UNORM,
                            .extent = {16, 16, 1},
                            .mipLevels = 1,
                            .arrayLayers = 1,
                            .samples = VK_SAMPLE_COUNT_1_BIT,
                            .usage = usage};
    VkImage image = VKW_U64_HANDLE(VkImage, id);
    vkw_encode_vkCreateImage(&g->w, ++g->serial, device, &ci, NULL, &image);
}

static VkMemoryToImageCopy hc_region(void)
{
    return (VkMemoryToImageCopy){.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY,
                                 .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                 .imageExtent = {16, 16, 1}};
}

/* vkCopyMemoryToImage as a hostile guest writes it: the info, then each
 * region's count and that many bytes, whatever the image says. */
static void hc_memory_to_image(struct tg_guest *g, uint64_t image, uint32_t count,
                               const VkMemoryToImageCopy *regions, const uint64_t *bytes)
{
    static const uint8_t texels[4 * HC_IMAGE_BYTES];
    const VkCopyMemoryToImageInfo info = {.sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_IMAGE_INFO,
                                          .dstImage = VKW_U64_HANDLE(VkImage, image),
                                          .dstImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                          .regionCount = count,
                                          .pRegions = regions};
    const size_t h = vkw_begin_command(&g->w, VKW_CMD_vkCopyMemoryToImage, VKW_COMMAND_FLAG_REPLY,
                                       ++g->serial);
    vkw_write_u64(&g->w, TG_DEVICE_ID);
    vkw_write_u32(&g->w, 1);
    vkw_encode_VkCopyMemoryToImageInfo(&g->w, &info);
    for (uint32_t i = 0; i < count; i++) {
        vkw_write_u64(&g->w, bytes[i]);
        vkw_write_bytes(&g->w, texels, (size_t)bytes[i]);
    }
    vkw_end_message(&g->w, h);
}

static void hc_count_wrong(struct tg_guest *g, struct expect *e)
{
    hc_image(g, TG_DEVICE(g), 0x710, VK_IMAGE_USAGE_HOST_TRANSFER_BIT);
    const VkMemoryToImageCopy r = hc_region();
    const uint64_t bytes = HC_IMAGE_BYTES + 4;
    hc_memory_to_image(g, 0x710, 1, &r, &bytes);
    *e = (struct expect){VKW_ERROR_BAD_COUNT, HC_IMAGE_BYTES + 4, 0};
}

static void hc_other_device(struct tg_guest *g, struct expect *e)
{
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkPhysicalDeviceVulkan14Features f14 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_4_FEATURES, .hostImageCopy = VK_TRUE};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = &f14,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice second = (VkDevice)&device_2;
    vkw_encode_vkCreateDevice(&g->w, ++g->serial, TG_PHYSICAL(g), &dci, NULL, &second);
    hc_image(g, second, 0x710, VK_IMAGE_USAGE_HOST_TRANSFER_BIT); /* the other device's */
    const VkMemoryToImageCopy r = hc_region();
    const uint64_t bytes = HC_IMAGE_BYTES;
    hc_memory_to_image(g, 0x710, 1, &r, &bytes); /* through the first device */
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 0x710, 1};
}

static void hc_destroyed(struct tg_guest *g, struct expect *e)
{
    hc_image(g, TG_DEVICE(g), 0x710, VK_IMAGE_USAGE_HOST_TRANSFER_BIT);
    vkw_encode_vkDestroyImage(&g->w, ++g->serial, TG_DEVICE(g), VKW_U64_HANDLE(VkImage, 0x710),
                              NULL);
    const VkMemoryToImageCopy r = hc_region();
    const uint64_t bytes = HC_IMAGE_BYTES;
    hc_memory_to_image(g, 0x710, 1, &r, &bytes);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 0x710, 0};
}

/* Rows 2^32-1 texels apart: the region spans about 256 GiB of memory, which
 * the 1 KiB sent are not. */
static void hc_huge_row_length(struct tg_guest *g, struct expect *e)
{
    hc_image(g, TG_DEVICE(g), 0x710, VK_IMAGE_USAGE_HOST_TRANSFER_BIT);
    VkMemoryToImageCopy r = hc_region();
    r.memoryRowLength = UINT32_MAX;
    const uint64_t bytes = HC_IMAGE_BYTES;
    hc_memory_to_image(g, 0x710, 1, &r, &bytes);
    *e = (struct expect){VKW_ERROR_BAD_COUNT, HC_IMAGE_BYTES, 0};
}

/* The same from the image: the host would need that much room for the
 * driver, past its decode limit. */
static void hc_huge_row_length_out(struct tg_guest *g, struct expect *e)
{
    hc_image(g, TG_DEVICE(g), 0x710, VK_IMAGE_USAGE_HOST_TRANSFER_BIT);
    const VkImageToMemoryCopy r = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY,
                                   .memoryRowLength = UINT32_MAX,
                                   .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                   .imageExtent = {16, 16, 1}};
    const VkCopyImageToMemoryInfo info = {.sType = VK_STRUCTURE_TYPE_COPY_IMAGE_TO_MEMORY_INFO,
                                          .srcImage = VKW_U64_HANDLE(VkImage, 0x710),
                                          .srcImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                          .regionCount = 1,
                                          .pRegions = &r};
    const size_t h = vkw_begin_command(&g->w, VKW_CMD_vkCopyImageToMemory, VKW_COMMAND_FLAG_REPLY,
                                       ++g->serial);
    vkw_write_u64(&g->w, TG_DEVICE_ID);
    vkw_write_u32(&g->w, 1);
    vkw_encode_VkCopyImageToMemoryInfo(&g->w, &info);
    vkw_end_message(&g->w, h);
    /* 15 rows of (2^32-1) * 4 bytes, and the last row's 64 */
    *e = (struct expect){VKW_ERROR_NO_MEMORY, 15 * ((uint64_t)UINT32_MAX * 4) + 64, 0};
}

/* The second region names a level the image lacks. */
static void hc_outside(struct tg_guest *g, struct expect *e)
{
    hc_image(g, TG_DEVICE(g), 0x710, VK_IMAGE_USAGE_HOST_TRANSFER_BIT);
    VkMemoryToImageCopy r[2] = {hc_region(), hc_region()};
    r[1].imageSubresource.mipLevel = 1;
    const uint64_t bytes[2] = {HC_IMAGE_BYTES, HC_IMAGE_BYTES / 4};
    hc_memory_to_image(g, 0x710, 2, r, bytes);
    *e = (struct expect){VKW_ERROR_BAD_RANGE, 1, 0};
}

/* An image not made for host transfers (a driver may keep it where the
 * host cannot reach). */
static void hc_not_for_host(struct tg_guest *g, struct expect *e)
{
    hc_image(g, TG_DEVICE(g), 0x710, VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    const VkMemoryToImageCopy r = hc_region();
    const uint64_t bytes = HC_IMAGE_BYTES;
    hc_memory_to_image(g, 0x710, 1, &r, &bytes);
    *e = (struct expect){VKW_ERROR_BAD_RANGE, 0, 0};
}

/* ---- shader objects and device-generated commands: ids of the new types ---- */

enum { SO_SET_LAYOUT = 600, SO_PIPELINE_LAYOUT, SO_MODULE, SO_PIPELINE, SO_SHADER = 610,
       SO_COMMANDS_LAYOUT = 620, SO_EXECUTION_SET = 630 };

/* A set layout and a pipeline layout for cmd_push.comp (asked to reply). */
static void so_layouts(struct tg_guest *g)
{
    VkDescriptorSetLayoutBinding binding = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                            VK_SHADER_STAGE_COMPUTE_BIT, NULL};
    VkDescriptorSetLayoutCreateInfo slci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 1,
        .pBindings = &binding};
    VkDescriptorSetLayout set = VKW_U64_HANDLE(VkDescriptorSetLayout, SO_SET_LAYOUT);
    size_t at = g->w.size;
    vkw_encode_vkCreateDescriptorSetLayout(&g->w, ++g->serial, TG_DEVICE(g), &slci, NULL, &set);
    tg_ask_reply(g, at);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &set,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &range};
    VkPipelineLayout layout = VKW_U64_HANDLE(VkPipelineLayout, SO_PIPELINE_LAYOUT);
    at = g->w.size;
    vkw_encode_vkCreatePipelineLayout(&g->w, ++g->serial, TG_DEVICE(g), &plci, NULL, &layout);
    tg_ask_reply(g, at);
}

static void so_shader(struct tg_guest *g)
{
    VkDescriptorSetLayout set = VKW_U64_HANDLE(VkDescriptorSetLayout, SO_SET_LAYOUT);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkShaderCreateInfoEXT info = {.sType = VK_STRUCTURE_TYPE_SHADER_CREATE_INFO_EXT,
                                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                                  .codeType = VK_SHADER_CODE_TYPE_SPIRV_EXT,
                                  .codeSize = sizeof cmd_push_comp_spv,
                                  .pCode = cmd_push_comp_spv,
                                  .pName = "main",
                                  .setLayoutCount = 1,
                                  .pSetLayouts = &set,
                                  .pushConstantRangeCount = 1,
                                  .pPushConstantRanges = &range};
    VkShaderEXT shader = VKW_U64_HANDLE(VkShaderEXT, SO_SHADER);
    vkw_encode_vkCreateShadersEXT(&g->w, ++g->serial, TG_DEVICE(g), 1, &info, NULL, &shader);
}

static void so_commands_layout(struct tg_guest *g)
{
    VkIndirectCommandsLayoutTokenEXT token = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_COMMANDS_LAYOUT_TOKEN_EXT,
        .type = VK_INDIRECT_COMMANDS_TOKEN_TYPE_DISPATCH_EXT};
    VkIndirectCommandsLayoutCreateInfoEXT ci = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_COMMANDS_LAYOUT_CREATE_INFO_EXT,
        .shaderStages = VK_SHADER_STAGE_COMPUTE_BIT,
        .indirectStride = sizeof(VkDispatchIndirectCommand),
        .pipelineLayout = VKW_U64_HANDLE(VkPipelineLayout, SO_PIPELINE_LAYOUT),
        .tokenCount = 1,
        .pTokens = &token};
    VkIndirectCommandsLayoutEXT layout =
        VKW_U64_HANDLE(VkIndirectCommandsLayoutEXT, SO_COMMANDS_LAYOUT);
    vkw_encode_vkCreateIndirectCommandsLayoutEXT(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL,
                                                 &layout);
}

/* A pipeline bindable from an execution set, and the set. */
static void so_execution_set(struct tg_guest *g)
{
    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = sizeof cmd_push_comp_spv,
                                     .pCode = cmd_push_comp_spv};
    VkShaderModule module = VKW_U64_HANDLE(VkShaderModule, SO_MODULE);
    const size_t at = g->w.size;
    vkw_encode_vkCreateShaderModule(&g->w, ++g->serial, TG_DEVICE(g), &smci, NULL, &module);
    tg_ask_reply(g, at);
    VkPipelineCreateFlags2CreateInfo flags = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_CREATE_FLAGS_2_CREATE_INFO,
        .flags = VK_PIPELINE_CREATE_2_INDIRECT_BINDABLE_BIT_EXT};
    VkComputePipelineCreateInfo cpci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .pNext = &flags,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = VKW_U64_HANDLE(VkPipelineLayout, SO_PIPELINE_LAYOUT)};
    VkPipeline pipeline = VKW_U64_HANDLE(VkPipeline, SO_PIPELINE);
    vkw_encode_vkCreateComputePipelines(&g->w, ++g->serial, TG_DEVICE(g), VK_NULL_HANDLE, 1,
                                        &cpci, NULL, &pipeline);
    VkIndirectExecutionSetPipelineInfoEXT pipelines = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_PIPELINE_INFO_EXT,
        .initialPipeline = pipeline,
        .maxPipelineCount = 2};
    VkIndirectExecutionSetCreateInfoEXT ci = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_CREATE_INFO_EXT,
        .type = VK_INDIRECT_EXECUTION_SET_INFO_TYPE_PIPELINES_EXT,
        .info.pPipelineInfo = &pipelines};
    VkIndirectExecutionSetEXT set = VKW_U64_HANDLE(VkIndirectExecutionSetEXT, SO_EXECUTION_SET);
    vkw_encode_vkCreateIndirectExecutionSetEXT(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &set);
}

static void so_requirements(struct tg_guest *g, uint64_t layout)
{
    VkGeneratedCommandsMemoryRequirementsInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_GENERATED_COMMANDS_MEMORY_REQUIREMENTS_INFO_EXT,
        .indirectCommandsLayout = VKW_U64_HANDLE(VkIndirectCommandsLayoutEXT, layout),
        .maxSequenceCount = 1};
    VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
    vkw_encode_vkGetGeneratedCommandsMemoryRequirementsEXT(&g->w, ++g->serial, TG_DEVICE(g), &info,
                                                           &req);
}

static void shader_used_after_destroy(struct tg_guest *g, struct expect *e)
{
    so_layouts(g);
    so_shader(g);
    vkw_encode_vkDestroyShaderEXT(&g->w, ++g->serial, TG_DEVICE(g),
                                  VKW_U64_HANDLE(VkShaderEXT, SO_SHADER), NULL);
    const VkShaderStageFlagBits stage = VK_SHADER_STAGE_COMPUTE_BIT;
    const VkShaderEXT shader = VKW_U64_HANDLE(VkShaderEXT, SO_SHADER);
    vkw_encode_vkCmdBindShadersEXT(&g->w, ++g->serial, (VkCommandBuffer)&g->cbs[0], 1, &stage,
                                   &shader);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, SO_SHADER, 3};
}

static void buffer_as_shader(struct tg_guest *g, struct expect *e)
{
    vkw_encode_vkDestroyShaderEXT(&g->w, ++g->serial, TG_DEVICE(g), VKW_U64_HANDLE(VkShaderEXT, 100),
                                  NULL);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 100, 0};
}

/* A shader object outlives nothing it names: its set layout destroyed
 * first, the shader goes on (Vulkan allows it) and teardown takes both. */
static void shader_named_after_its_set_layout(struct tg_guest *g, struct expect *e)
{
    so_layouts(g);
    so_shader(g);
    vkw_encode_vkDestroyDescriptorSetLayout(&g->w, ++g->serial, TG_DEVICE(g),
                                            VKW_U64_HANDLE(VkDescriptorSetLayout, SO_SET_LAYOUT),
                                            NULL);
    vkw_encode_vkDestroyShaderEXT(&g->w, ++g->serial, TG_DEVICE(g),
                                  VKW_U64_HANDLE(VkShaderEXT, SO_SET_LAYOUT), NULL);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, SO_SET_LAYOUT, 3};
}

static void commands_layout_used_after_destroy(struct tg_guest *g, struct expect *e)
{
    so_layouts(g);
    so_commands_layout(g);
    vkw_encode_vkDestroyIndirectCommandsLayoutEXT(
        &g->w, ++g->serial, TG_DEVICE(g),
        VKW_U64_HANDLE(VkIndirectCommandsLayoutEXT, SO_COMMANDS_LAYOUT), NULL);
    so_requirements(g, SO_COMMANDS_LAYOUT);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, SO_COMMANDS_LAYOUT, 3};
}

static void execution_set_as_commands_layout(struct tg_guest *g, struct expect *e)
{
    so_layouts(g);
    so_execution_set(g);
    so_requirements(g, SO_EXECUTION_SET);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, SO_EXECUTION_SET, 5};
}

static void execution_set_written_after_destroy(struct tg_guest *g, struct expect *e)
{
    so_layouts(g);
    so_execution_set(g);
    const VkIndirectExecutionSetEXT set =
        VKW_U64_HANDLE(VkIndirectExecutionSetEXT, SO_EXECUTION_SET);
    vkw_encode_vkDestroyIndirectExecutionSetEXT(&g->w, ++g->serial, TG_DEVICE(g), set, NULL);
    VkWriteIndirectExecutionSetPipelineEXT write = {
        .sType = VK_STRUCTURE_TYPE_WRITE_INDIRECT_EXECUTION_SET_PIPELINE_EXT,
        .index = 1,
        .pipeline = VKW_U64_HANDLE(VkPipeline, SO_PIPELINE)};
    vkw_encode_vkUpdateIndirectExecutionSetPipelineEXT(&g->w, ++g->serial, TG_DEVICE(g), set, 1,
                                                       &write);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, SO_EXECUTION_SET, 5};
}

static void pipeline_binary_never_made(struct tg_guest *g, struct expect *e)
{
    vkw_encode_vkDestroyPipelineBinaryKHR(&g->w, ++g->serial, TG_DEVICE(g),
                                          VKW_U64_HANDLE(VkPipelineBinaryKHR, 640), NULL);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 640, 0};
}

/* Opaque capture data whose length is the guest's word, not the device's
 * (lavapipe's capture data is 0 bytes long): refused, never read past. */
static void capture_data_length(struct tg_guest *g, struct expect *e)
{
    static const uint8_t data[1000];
    VkOpaqueCaptureDescriptorDataCreateInfoEXT capture = {
        .sType = VK_STRUCTURE_TYPE_OPAQUE_CAPTURE_DESCRIPTOR_DATA_CREATE_INFO_EXT,
        .opaqueCaptureDescriptorData = data};
    VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .pNext = &capture,
                             .size = 256,
                             .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, 150);
    tg_device_length = sizeof data;
    vkw_encode_vkCreateBuffer(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &buffer);
    tg_device_length = 0;
    *e = (struct expect){VKW_ERROR_BAD_COUNT, sizeof data, 0};
}

/* Room for the capture data the driver writes, of the guest's size. */
static void capture_data_room(struct tg_guest *g, struct expect *e)
{
    uint8_t room[1000];
    VkBufferCaptureDescriptorDataInfoEXT info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CAPTURE_DESCRIPTOR_DATA_INFO_EXT,
        .buffer = VKW_U64_HANDLE(VkBuffer, 100)};
    tg_device_length = sizeof room;
    vkw_encode_vkGetBufferOpaqueCaptureDescriptorDataEXT(&g->w, ++g->serial, TG_DEVICE(g), &info,
                                                         room);
    tg_device_length = 0;
    *e = (struct expect){VKW_ERROR_BAD_COUNT, sizeof room, 0};
}

/* ---- ray tracing: host acceleration-structure commands and capture-replay
 * handles (doc/PROTOCOL.md 22).  A's second device has the extensions; on
 * lavapipe it has no host commands, so a well-formed host build is
 * UNSUPPORTED, and every check of what came runs before that one. */

#define RT_DEVICE_ID 170u
#define RT_BUFFER_ID 171u
#define RT_MEMORY_ID 172u
#define RT_BLAS_ID 173u
#define RT_LAYOUT_ID 174u
#define RT_PIPELINE_ID 175u
#define RT_POOL_ID 176u
#define RT_CB_ID 177u
#define RT_REPLIES 3 /* vkCreateDevice, vkAllocateMemory, vkCreateAccelerationStructureKHR */

static struct vkw_dispatchable rt_device_obj = {0, RT_DEVICE_ID};
#define RT_DEVICE ((VkDevice)&rt_device_obj)
static struct vkw_dispatchable rt_cb_obj = {0, RT_CB_ID};

/* A device with acceleration structures and ray tracing pipelines, and a
 * BLAS in memory of its own. */
static void ray_tracing_device(struct tg_guest *g)
{
    static const char *const extensions[] = {VK_KHR_DEFERRED_HOST_OPERATIONS_EXTENSION_NAME,
                                             VK_KHR_ACCELERATION_STRUCTURE_EXTENSION_NAME,
                                             VK_KHR_RAY_TRACING_PIPELINE_EXTENSION_NAME};
    VkPhysicalDeviceRayTracingPipelineFeaturesKHR rtf = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_FEATURES_KHR,
        .rayTracingPipeline = VK_TRUE};
    VkPhysicalDeviceAccelerationStructureFeaturesKHR asf = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR,
        .pNext = &rtf,
        .accelerationStructure = VK_TRUE};
    VkPhysicalDeviceVulkan12Features f12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .pNext = &asf,
        .bufferDeviceAddress = VK_TRUE};
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = &f12,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = 3,
                              .ppEnabledExtensionNames = extensions};
    VkDevice device = RT_DEVICE;
    vkw_encode_vkCreateDevice(&g->w, ++g->serial, TG_PHYSICAL(g), &dci, NULL, &device);
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = 65536,
                              .usage = VK_BUFFER_USAGE_ACCELERATION_STRUCTURE_STORAGE_BIT_KHR,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, RT_BUFFER_ID);
    vkw_encode_vkCreateBuffer(&g->w, ++g->serial, RT_DEVICE, &bci, NULL, &buffer);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 65536};
    VkDeviceMemory memory = VKW_U64_HANDLE(VkDeviceMemory, RT_MEMORY_ID);
    vkw_encode_vkAllocateMemory(&g->w, ++g->serial, RT_DEVICE, &ai, NULL, &memory);
    vkw_encode_vkBindBufferMemory(&g->w, ++g->serial, RT_DEVICE, buffer, memory, 0);
    VkAccelerationStructureCreateInfoKHR aci = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_CREATE_INFO_KHR,
        .buffer = buffer,
        .size = 4096,
        .type = VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR};
    VkAccelerationStructureKHR as = VKW_U64_HANDLE(VkAccelerationStructureKHR, RT_BLAS_ID);
    vkw_encode_vkCreateAccelerationStructureKHR(&g->w, ++g->serial, RT_DEVICE, &aci, NULL, &as);
}

static const float rt_vertices[9] = {0, 0, 0, 1, 0, 0, 0, 1, 0};

/* A host build of one geometry into the BLAS: the command's offset. */
static size_t host_build(struct tg_guest *g, const VkAccelerationStructureGeometryKHR *geometry,
                         const VkAccelerationStructureBuildRangeInfoKHR *range, bool both)
{
    const VkAccelerationStructureGeometryKHR *pp[1] = {geometry};
    VkAccelerationStructureBuildGeometryInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
        .type = geometry->geometryType == VK_GEOMETRY_TYPE_INSTANCES_KHR
                    ? VK_ACCELERATION_STRUCTURE_TYPE_TOP_LEVEL_KHR
                    : VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
        .mode = VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR,
        .dstAccelerationStructure = VKW_U64_HANDLE(VkAccelerationStructureKHR, RT_BLAS_ID),
        .geometryCount = 1,
        .pGeometries = geometry,
        .ppGeometries = both ? pp : NULL};
    const size_t at = g->w.size;
    vkw_encode_vkBuildAccelerationStructuresKHR(&g->w, ++g->serial, RT_DEVICE, VK_NULL_HANDLE, 1,
                                                &info, &range);
    return at;
}

static VkAccelerationStructureGeometryKHR triangles(const void *indices, VkIndexType type,
                                                    uint32_t max_vertex)
{
    return (VkAccelerationStructureGeometryKHR){
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR,
        .geometryType = VK_GEOMETRY_TYPE_TRIANGLES_KHR,
        .geometry.triangles = {
            .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_TRIANGLES_DATA_KHR,
            .vertexFormat = VK_FORMAT_R32G32B32_SFLOAT,
            .vertexData.hostAddress = rt_vertices,
            .vertexStride = 12,
            .maxVertex = max_vertex,
            .indexType = type,
            .indexData.hostAddress = indices}};
}

static void host_build_well_formed(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    const VkAccelerationStructureGeometryKHR geometry = triangles(NULL, VK_INDEX_TYPE_NONE_KHR, 2);
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = 1};
    host_build(g, &geometry, &range, false);
    *e = (struct expect){VKW_ERROR_UNSUPPORTED, VKW_CMD_vkBuildAccelerationStructuresKHR, RT_REPLIES};
}

/* The vertices' bytes 4 short of what the build reads (its size word and
 * the command's size say so). */
static void host_build_bytes_short(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    const VkAccelerationStructureGeometryKHR geometry = triangles(NULL, VK_INDEX_TYPE_NONE_KHR, 2);
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = 1};
    const size_t at = host_build(g, &geometry, &range, false);
    const uint8_t data[20] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 36}; /* presence, offset, size */
    const size_t i = find(&g->w, at, data, sizeof(data));
    put_u64(&g->w, i + 12, 32);
    memmove(g->w.data + i + 20 + 32, g->w.data + i + 20 + 36, g->w.size - (i + 20 + 36));
    g->w.size -= 4;
    put_u32(&g->w, at + 8, (uint32_t)(g->w.size - at - 16));
    *e = (struct expect){VKW_ERROR_BAD_COUNT, 32, RT_REPLIES};
}

static void host_build_index_past_max_vertex(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    static const uint32_t indices[3] = {0, 1, 3};
    const VkAccelerationStructureGeometryKHR geometry = triangles(indices, VK_INDEX_TYPE_UINT32, 2);
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = 1};
    host_build(g, &geometry, &range, false);
    *e = (struct expect){VKW_ERROR_BAD_RANGE, 3, RT_REPLIES};
}

static void host_build_both_geometry_arrays(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    const VkAccelerationStructureGeometryKHR geometry = triangles(NULL, VK_INDEX_TYPE_NONE_KHR, 2);
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = 1};
    host_build(g, &geometry, &range, true);
    *e = (struct expect){VKW_ERROR_BAD_POINTER, 1, RT_REPLIES};
}

/* A host build of one triangle in `mode` into `dst`, from no structure:
 * dstAccelerationStructure is optional in vk.xml (for the size query), so
 * a build into none, or an update from none, would have the driver use
 * NULL.  Found by make fuzz. */
static void host_build_nothing(struct tg_guest *g, struct expect *e,
                               VkBuildAccelerationStructureModeKHR mode, uint64_t dst)
{
    ray_tracing_device(g);
    const VkAccelerationStructureGeometryKHR geometry = triangles(NULL, VK_INDEX_TYPE_NONE_KHR, 2);
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = 1};
    const VkAccelerationStructureBuildRangeInfoKHR *ranges = &range;
    const VkAccelerationStructureBuildGeometryInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
        .type = VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
        .mode = mode,
        .dstAccelerationStructure = VKW_U64_HANDLE(VkAccelerationStructureKHR, dst),
        .geometryCount = 1,
        .pGeometries = &geometry};
    vkw_encode_vkBuildAccelerationStructuresKHR(&g->w, ++g->serial, RT_DEVICE, VK_NULL_HANDLE, 1,
                                                &info, &ranges);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 0, RT_REPLIES};
}

static void host_build_into_nothing(struct tg_guest *g, struct expect *e)
{
    host_build_nothing(g, e, VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR, 0);
}

static void host_update_from_nothing(struct tg_guest *g, struct expect *e)
{
    host_build_nothing(g, e, VK_BUILD_ACCELERATION_STRUCTURE_MODE_UPDATE_KHR, RT_BLAS_ID);
}

/* A device build with geometries but neither geometry array: the driver
 * would follow NULL while recording. */
static void device_build_without_geometries(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool = VKW_U64_HANDLE(VkCommandPool, RT_POOL_ID);
    vkw_encode_vkCreateCommandPool(&g->w, ++g->serial, RT_DEVICE, &pci, NULL, &pool);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkCommandBuffer cb = (VkCommandBuffer)&rt_cb_obj;
    vkw_encode_vkAllocateCommandBuffers(&g->w, ++g->serial, RT_DEVICE, &ai, &cb);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vkw_encode_vkBeginCommandBuffer(&g->w, ++g->serial, cb, &bi);
    VkAccelerationStructureBuildGeometryInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
        .type = VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
        .dstAccelerationStructure = VKW_U64_HANDLE(VkAccelerationStructureKHR, RT_BLAS_ID),
        .geometryCount = 1};
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = 1};
    const VkAccelerationStructureBuildRangeInfoKHR *ranges = &range;
    vkw_encode_vkCmdBuildAccelerationStructuresKHR(&g->w, ++g->serial, cb, 1, &info, &ranges);
    *e = (struct expect){VKW_ERROR_BAD_POINTER, 0, RT_REPLIES + 2}; /* + allocate, begin */
}

/* An instance naming a buffer's id where an acceleration structure goes:
 * the driver would follow it as a VkAccelerationStructureKHR. */
static void host_build_instance_not_a_structure(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    uint8_t instance[64] = {0};
    const uint64_t ref = RT_BUFFER_ID;
    memcpy(instance + 56, &ref, 8);
    const VkAccelerationStructureGeometryKHR geometry = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR,
        .geometryType = VK_GEOMETRY_TYPE_INSTANCES_KHR,
        .geometry.instances = {
            .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_INSTANCES_DATA_KHR,
            .data.hostAddress = instance}};
    const VkAccelerationStructureBuildRangeInfoKHR range = {.primitiveCount = 1};
    host_build(g, &geometry, &range, false);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, RT_BUFFER_ID, RT_REPLIES};
}

/* A guest pointer where the host makes its own (the scratch), sent by the
 * device form of the struct. */
static void host_build_guest_pointer(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    const size_t at = g->w.size;
    raw_command(&g->w, VKW_CMD_vkBuildAccelerationStructuresKHR, VKW_COMMAND_FLAG_REPLY, 0,
                ++g->serial);
    vkw_write_u64(&g->w, RT_DEVICE_ID);
    vkw_write_u64(&g->w, 0); /* no deferred operation */
    vkw_write_u32(&g->w, 1);
    vkw_write_presence(&g->w, &g->w);
    vkw_write_u64(&g->w, 1);
    VkAccelerationStructureBuildGeometryInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
        .type = VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
        .dstAccelerationStructure = VKW_U64_HANDLE(VkAccelerationStructureKHR, RT_BLAS_ID),
        .scratchData.deviceAddress = 0x7f0012345678u};
    vkw_encode_VkAccelerationStructureBuildGeometryInfoKHR(&g->w, &info);
    vkw_write_presence(&g->w, &g->w); /* ppBuildRangeInfos: one empty row */
    vkw_write_u64(&g->w, 1);
    vkw_write_presence(&g->w, NULL);
    put_u32(&g->w, at + 8, (uint32_t)(g->w.size - at - 16));
    *e = (struct expect){VKW_ERROR_BAD_POINTER, 0x7f0012345678u, RT_REPLIES};
}

/* Serialized data whose header states 8 bytes more than came. */
static void deserialize_header_lies(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    uint8_t data[64];
    memset(data, 0xa5, sizeof(data));
    const uint64_t size = sizeof(data), handles = 0;
    memcpy(data + 32, &size, 8);
    memcpy(data + 48, &handles, 8);
    VkCopyMemoryToAccelerationStructureInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_ACCELERATION_STRUCTURE_INFO_KHR,
        .src.hostAddress = data,
        .dst = VKW_U64_HANDLE(VkAccelerationStructureKHR, RT_BLAS_ID),
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_DESERIALIZE_KHR};
    const size_t at = g->w.size;
    vkw_encode_vkCopyMemoryToAccelerationStructureKHR(&g->w, ++g->serial, RT_DEVICE,
                                                      VK_NULL_HANDLE, &info);
    const size_t i = find(&g->w, at, data, 32); /* the UUIDs, then the size */
    put_u64(&g->w, i + 32, size + 8);
    *e = (struct expect){VKW_ERROR_BAD_COUNT, size, RT_REPLIES};
}

static void properties_past_data(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    const VkAccelerationStructureKHR as[2] = {
        VKW_U64_HANDLE(VkAccelerationStructureKHR, RT_BLAS_ID),
        VKW_U64_HANDLE(VkAccelerationStructureKHR, RT_BLAS_ID)};
    uint8_t data[16];
    vkw_encode_vkWriteAccelerationStructuresPropertiesKHR(
        &g->w, ++g->serial, RT_DEVICE, 2, as,
        VK_QUERY_TYPE_ACCELERATION_STRUCTURE_COMPACTED_SIZE_KHR, sizeof(data), data, 16);
    *e = (struct expect){VKW_ERROR_BAD_COUNT, sizeof(data), RT_REPLIES};
}

static void properties_of_another_query(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    const VkAccelerationStructureKHR as = VKW_U64_HANDLE(VkAccelerationStructureKHR, RT_BLAS_ID);
    uint8_t data[64];
    vkw_encode_vkWriteAccelerationStructuresPropertiesKHR(&g->w, ++g->serial, RT_DEVICE, 1, &as,
                                                          VK_QUERY_TYPE_PIPELINE_STATISTICS,
                                                          sizeof(data), data, 8);
    *e = (struct expect){VKW_ERROR_BAD_ENUM, VK_QUERY_TYPE_PIPELINE_STATISTICS, RT_REPLIES};
}

/* A capture-replay handle where the device's length is 0 (lavapipe has no
 * capture replay). */
static void capture_replay_handle_unsized(struct tg_guest *g, struct expect *e)
{
    ray_tracing_device(g);
    VkPipelineLayoutCreateInfo lci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    VkPipelineLayout layout = VKW_U64_HANDLE(VkPipelineLayout, RT_LAYOUT_ID);
    vkw_encode_vkCreatePipelineLayout(&g->w, ++g->serial, RT_DEVICE, &lci, NULL, &layout);
    static const uint8_t handle[32] = {1, 2, 3};
    VkRayTracingShaderGroupCreateInfoKHR group = {
        .sType = VK_STRUCTURE_TYPE_RAY_TRACING_SHADER_GROUP_CREATE_INFO_KHR,
        .type = VK_RAY_TRACING_SHADER_GROUP_TYPE_GENERAL_KHR,
        .closestHitShader = VK_SHADER_UNUSED_KHR,
        .anyHitShader = VK_SHADER_UNUSED_KHR,
        .intersectionShader = VK_SHADER_UNUSED_KHR,
        .pShaderGroupCaptureReplayHandle = handle};
    VkRayTracingPipelineCreateInfoKHR ci = {
        .sType = VK_STRUCTURE_TYPE_RAY_TRACING_PIPELINE_CREATE_INFO_KHR,
        .groupCount = 1,
        .pGroups = &group,
        .maxPipelineRayRecursionDepth = 1,
        .layout = layout,
        .basePipelineIndex = -1};
    VkPipeline pipeline = VKW_U64_HANDLE(VkPipeline, RT_PIPELINE_ID);
    tg_device_length = sizeof(handle); /* what the guest claims */
    vkw_encode_vkCreateRayTracingPipelinesKHR(&g->w, ++g->serial, RT_DEVICE, VK_NULL_HANDLE,
                                              VK_NULL_HANDLE, 1, &ci, NULL, &pipeline);
    tg_device_length = 0;
    *e = (struct expect){VKW_ERROR_BAD_COUNT, sizeof(handle), RT_REPLIES};
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

/* ---- objects destroyed while a command buffer records (PROTOCOL 28) ----
 * A set layout 160, a pipeline layout 161, a descriptor pool 162 (sets may
 * be freed) and its set 163; command buffer 201 recording. */
enum { R_SET_LAYOUT = 160, R_LAYOUT, R_POOL, R_SET };

static void recording_with_objects(struct tg_guest *g)
{
    VkDescriptorSetLayoutBinding binding = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                            VK_SHADER_STAGE_COMPUTE_BIT, NULL};
    VkDescriptorSetLayoutCreateInfo slci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 1,
        .pBindings = &binding};
    VkDescriptorSetLayout set_layout = VKW_U64_HANDLE(VkDescriptorSetLayout, R_SET_LAYOUT);
    vkw_encode_vkCreateDescriptorSetLayout(&g->w, ++g->serial, TG_DEVICE(g), &slci, NULL,
                                           &set_layout);
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &set_layout};
    VkPipelineLayout layout = VKW_U64_HANDLE(VkPipelineLayout, R_LAYOUT);
    vkw_encode_vkCreatePipelineLayout(&g->w, ++g->serial, TG_DEVICE(g), &plci, NULL, &layout);
    VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1};
    VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
                                       .maxSets = 1,
                                       .poolSizeCount = 1,
                                       .pPoolSizes = &size};
    VkDescriptorPool pool = VKW_U64_HANDLE(VkDescriptorPool, R_POOL);
    vkw_encode_vkCreateDescriptorPool(&g->w, ++g->serial, TG_DEVICE(g), &dpci, NULL, &pool);
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = pool,
                                      .descriptorSetCount = 1,
                                      .pSetLayouts = &set_layout};
    VkDescriptorSet set = VKW_U64_HANDLE(VkDescriptorSet, R_SET);
    vkw_encode_vkAllocateDescriptorSets(&g->w, ++g->serial, TG_DEVICE(g), &ai, &set);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vkw_encode_vkBeginCommandBuffer(&g->w, ++g->serial, (VkCommandBuffer)&g->cbs[0], &bi);
}

/* (Recorded commands carry serial 0; the tests give the one that fails a
 * serial of its own, which the host echoes.) */
static void recorded_bind(struct tg_guest *g, uint32_t serial, uint64_t layout, uint64_t set)
{
    const VkDescriptorSet s = VKW_U64_HANDLE(VkDescriptorSet, set);
    vkw_encode_vkCmdBindDescriptorSets(&g->w, serial, (VkCommandBuffer)&g->cbs[0],
                                       VK_PIPELINE_BIND_POINT_COMPUTE,
                                       VKW_U64_HANDLE(VkPipelineLayout, layout), 0, 1, &s, 0, NULL);
}

/* The layout is kept for the recording; an id that never existed is not. */
static void recorded_id_never_made(struct tg_guest *g, struct expect *e)
{
    recording_with_objects(g);
    vkw_encode_vkDestroyPipelineLayout(&g->w, ++g->serial, TG_DEVICE(g),
                                       VKW_U64_HANDLE(VkPipelineLayout, R_LAYOUT), NULL);
    recorded_bind(g, 0, R_LAYOUT, R_SET); /* fine: kept */
    recorded_bind(g, ++g->serial, 12345, R_SET);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, 12345, 2};
}

/* Kept for recorded commands only: destroying it again is refused. */
static void kept_destroyed_again(struct tg_guest *g, struct expect *e)
{
    recording_with_objects(g);
    for (int i = 0; i < 2; i++)
        vkw_encode_vkDestroyPipelineLayout(&g->w, ++g->serial, TG_DEVICE(g),
                                           VKW_U64_HANDLE(VkPipelineLayout, R_LAYOUT), NULL);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, R_LAYOUT, 2};
}

/* A recorded command naming a set freed meanwhile is skipped; the command
 * buffer is invalid, and submitting it ends the context. */
static void skipped_then_submitted(struct tg_guest *g, struct expect *e)
{
    recording_with_objects(g);
    const VkDescriptorSet set = VKW_U64_HANDLE(VkDescriptorSet, R_SET);
    vkw_encode_vkFreeDescriptorSets(&g->w, ++g->serial, TG_DEVICE(g),
                                    VKW_U64_HANDLE(VkDescriptorPool, R_POOL), 1, &set);
    recorded_bind(g, 0, R_LAYOUT, R_SET);
    vkw_encode_vkEndCommandBuffer(&g->w, ++g->serial, (VkCommandBuffer)&g->cbs[0]);
    VkCommandBuffer cb = (VkCommandBuffer)&g->cbs[0];
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cb};
    vkw_encode_vkQueueSubmit(&g->w, ++g->serial, (VkQueue)&g->queue, 1, &si, VK_NULL_HANDLE);
    *e = (struct expect){VKW_ERROR_BAD_HANDLE, TG_POOL_ID + 1, 3};
}

static const struct hostile_case {
    const char *name;
    void (*build)(struct tg_guest *g, struct expect *e);
    /* The guest application A brings up (NULL: tg_bring_up, Vulkan 1.1). */
    void (*bring_up)(struct tg_guest *g);
} cases[] = {
    {"a command cut short (its size says so)", truncated_command, NULL},
    {"half a header after a good command", truncated_header, NULL},
    {"a size that is not whole words", size_not_words, NULL},
    {"a size far past the batch (4 GiB)", size_past_batch, NULL},
    {"an array count of 2^62", count_oversized, NULL},
    {"an array count whose byte size wraps to 8", count_overflows, NULL},
    {"an array count that disagrees with its length member", count_disagrees, NULL},
    {"an unknown opcode after a good command", opcode_unknown, NULL},
    {"opcode 0", opcode_zero, NULL},
    {"a retired opcode (private data, answered by the guest)", opcode_retired, NULL},
    {"a HELLO inside a batch", opcode_hello_in_batch, NULL},
    {"an sType no one defined", stype_unknown, NULL},
    {"an sType the chain does not take", stype_of_another_base, NULL},
    {"the guest's private-data reserve in vkCreateDevice's chain", stype_private_data_reserve, NULL},
    {"a presence word of 2", presence_two, NULL},
    {"a required pointer left out", required_pointer_absent, NULL},
    {"VK_NULL_HANDLE for a required handle", required_handle_zero, NULL},
    {"a NULL command buffer in a submit", null_in_required_array, NULL},
    {"a descriptor write into no set", descriptor_write_without_set, NULL},
    {"an id that names nothing", id_unknown, NULL},
    {"a pool's id where a buffer belongs", id_wrong_type, NULL},
    {"a command buffer's id as the device", id_dispatchable_wrong_type, NULL},
    {"an id only another client has", id_of_another_client, NULL},
    {"a buffer used after its destroy", used_after_destroy, NULL},
    {"a command buffer used after its pool's destroy", used_after_parent_destroyed, NULL},
    {"a buffer used after its device's destroy", used_after_device_destroyed, NULL},
    {"memory written after its free", memory_used_after_free, NULL},
    {"a string longer than the message", string_without_end, NULL},
    {"a string with a NUL inside", string_with_nul, NULL},
    {"VkImageType 7", enum_image_type, NULL},
    {"a format no one defined", enum_format, NULL},
    {"VkPipelineBindPoint 99", enum_bind_point, NULL},
    {"a negative VkDescriptorType", enum_negative, NULL},
    {"a new buffer under the device's id", new_id_in_use, NULL},
    {"a new buffer under id 0", new_id_zero, NULL},
    {"a word after the last parameter", trailing_bytes, NULL},
    {"a flag bit no one defined", flags_unknown, NULL},
    {"a 1.3 command on a 1.1 device", command_the_device_lacks, NULL},
    {"a 1.3 command on a 1.1 device's queue", command_the_queue_lacks, NULL},
    {"a 1.3 command on a 1.1 device's command buffer", command_the_command_buffer_lacks, NULL},
    {"READ_MEMORY whose range wraps", memory_range, NULL},
    {"WRITE_MEMORY whose blob count is 2^64-1", blob_count_huge, NULL},
    {"host image copy: a byte count the image does not give", hc_count_wrong, bring_up_14},
    {"host image copy: an image of another device", hc_other_device, bring_up_14},
    {"host image copy: a destroyed image", hc_destroyed, bring_up_14},
    {"host image copy: a row length of 2^32-1", hc_huge_row_length, bring_up_14},
    {"host image copy: to memory with a row length of 2^32-1", hc_huge_row_length_out, bring_up_14},
    {"host image copy: a level the image lacks", hc_outside, bring_up_14},
    {"host image copy: an image not made for host transfers", hc_not_for_host, bring_up_14},
    {"a shader object bound after its destroy", shader_used_after_destroy, bring_up_shaders},
    {"a buffer's id as a shader object", buffer_as_shader, bring_up_shaders},
    {"a set layout's id as a shader object (the layout destroyed, the shader alive)",
     shader_named_after_its_set_layout, bring_up_shaders},
    {"an indirect commands layout used after its destroy", commands_layout_used_after_destroy,
     bring_up_shaders},
    {"an execution set's id as an indirect commands layout", execution_set_as_commands_layout,
     bring_up_shaders},
    {"an execution set written after its destroy", execution_set_written_after_destroy,
     bring_up_shaders},
    {"a pipeline binary no one made", pipeline_binary_never_made, NULL},
    {"opaque capture data longer than the device's", capture_data_length, NULL},
    {"room for opaque capture data the device does not write", capture_data_room, NULL},
    {"an H.264 SPS that says it has a VUI and has none", sps_without_vui, NULL},
    {"a host build where the device has no host commands", host_build_well_formed, bring_up_13},
    {"a host build's vertices 4 bytes short of its range", host_build_bytes_short, bring_up_13},
    {"a host build's index past maxVertex", host_build_index_past_max_vertex, bring_up_13},
    {"a host build with pGeometries and ppGeometries", host_build_both_geometry_arrays, bring_up_13},
    {"a device build with neither geometry array", device_build_without_geometries, bring_up_13},
    {"a host build into no acceleration structure", host_build_into_nothing, bring_up_13},
    {"a host update from no acceleration structure", host_update_from_nothing, bring_up_13},
    {"an instance naming a buffer", host_build_instance_not_a_structure, bring_up_13},
    {"a guest pointer as a host build's scratch", host_build_guest_pointer, bring_up_13},
    {"serialized data whose header states more than came", deserialize_header_lies, bring_up_13},
    {"structure properties past dataSize", properties_past_data, bring_up_13},
    {"structure properties of a pipeline-statistics query", properties_of_another_query, bring_up_13},
    {"a capture-replay handle the device does not size", capture_replay_handle_unsized, bring_up_13},
    {"an id that never existed, recorded while a destroyed layout is kept", recorded_id_never_made,
     NULL},
    {"a layout kept for a recording, destroyed again", kept_destroyed_again, NULL},
    {"a command buffer that skipped a freed set, submitted", skipped_then_submitted, NULL},
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
    if (!open_side_up(&a, c->bring_up ? c->bring_up : tg_bring_up)) {
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

/* Not an error: vkBindBufferMemory2 with a VkBindMemoryStatus, whose
 * pResult never crosses the wire.  The driver writes a result through it
 * all the same: the host gives it room (a worker crashed on the NULL). */
static void test_bind_status(void)
{
    struct side a;
    ok(open_side(&a), "a guest for vkBindBufferMemory2 with a status");
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 65536,
                               .memoryTypeIndex = 0};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, TG_MEMORY_ID);
    vkw_encode_vkAllocateMemory(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &ai, NULL, &mem);
    VkResult result = VK_ERROR_UNKNOWN;
    VkBindMemoryStatus status = {.sType = VK_STRUCTURE_TYPE_BIND_MEMORY_STATUS,
                                 .pResult = &result};
    VkBindBufferMemoryInfo bind = {.sType = VK_STRUCTURE_TYPE_BIND_BUFFER_MEMORY_INFO,
                                   .pNext = &status,
                                   .buffer = VKW_U64_HANDLE(VkBuffer, 100),
                                   .memory = mem};
    const size_t at = a.g.w.size;
    vkw_encode_vkBindBufferMemory2(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), 1, &bind);
    tg_ask_reply(&a.g, at);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 2,
       "vkBindBufferMemory2 with a VkBindMemoryStatus binds (VK_SUCCESS), the host lives");
    vkw_renderer_context_destroy(a.ctx);
    tg_fini(&a.g);
    ok(b_still_fine(), "B goes on");
}

/* tg_bring_up for a Vulkan 1.3 application whose device enables descriptor
 * buffers. */
static void bring_up_descriptor_buffer(struct tg_guest *g)
{
    VkPhysicalDeviceDescriptorBufferFeaturesEXT db = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_FEATURES_EXT,
        .descriptorBuffer = VK_TRUE};
    VkPhysicalDeviceVulkan12Features f12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .pNext = &db,
        .bufferDeviceAddress = VK_TRUE};
    const char *extensions[] = {VK_EXT_DESCRIPTOR_BUFFER_EXTENSION_NAME};
    tg_bring_up_device(g, VK_API_VERSION_1_3, &f12, 1, extensions);
}

/* The bytes of vkGetDescriptorEXT's reply (presence, count, bytes), or
 * NULL; `n` gets the count. */
static const uint8_t *descriptor_reply(struct vkw_reader *p, uint64_t *n)
{
    if (vkw_read_u32(p) != 1)
        return NULL;
    *n = vkw_read_u64(p);
    if (!vkw_reader_ok(p) || *n > vkw_reader_remaining(p))
        return NULL;
    return p->cur;
}

/* Not an error, but a driver would write a whole descriptor past a short
 * dataSize, and copy dataSize bytes out of one it made: the host gives it
 * room for the device's largest and no more than that to copy.  The guest
 * gets what it asked for, zeroes past the descriptor. */
static void test_descriptor_room(void)
{
    struct side a;
    memset(&a, 0, sizeof(a));
    a.ctx = vkw_renderer_context_create(renderer);
    tg_init(&a.g);
    tg_hello(&a.g, VKW_PROTOCOL_MAJOR);
    ok(run(&a) == VKW_RENDERER_OK, "a guest whose device enables descriptor buffers");
    bring_up_descriptor_buffer(&a.g);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 3,
       "its instance and device");
    VkDescriptorAddressInfoEXT address = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_ADDRESS_INFO_EXT,
                                          .address = 0x10000,
                                          .range = 256,
                                          .format = VK_FORMAT_UNDEFINED};
    VkDescriptorGetInfoEXT get = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_GET_INFO_EXT,
                                  .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                  .data.pStorageBuffer = &address};
    static uint8_t small[1], big[65536];
    vkw_encode_vkGetDescriptorEXT(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &get, sizeof small,
                                  small);
    vkw_encode_vkGetDescriptorEXT(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &get, sizeof big, big);
    const enum vkw_renderer_status st = run(&a);
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, a.reply, a.reply_size);
    uint64_t n = 0;
    const bool one = st == VKW_RENDERER_OK && tg_next_reply(&rs, &h, &p) && h.status == VKW_OK &&
                     descriptor_reply(&p, &n) && n == 1;
    ok(one, "a 1-byte dataSize: the host lives, and 1 byte comes back");
    const uint8_t *bytes = NULL;
    const bool many = one && tg_next_reply(&rs, &h, &p) && h.status == VKW_OK &&
                      (bytes = descriptor_reply(&p, &n)) != NULL && n == sizeof big;
    ok(many, "a 64 KiB dataSize: 64 KiB come back");
    size_t nonzero = 0;
    for (size_t i = 4096; bytes && i < sizeof big; i++)
        nonzero += bytes[i] != 0;
    ok(many && nonzero == 0, "past any descriptor they are zeroes, nothing of the host's");
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
    {"video: parameters of another session begin coding", video_with_another_session, NULL},
    {"video: a template of another session", video_template_of_another_session, NULL},
    {"video: a destroyed session begins coding", video_destroyed_session, NULL},
    {"video: parameters updated after their session's destroy",
     video_parameters_of_destroyed_session, NULL},
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
    test_bind_status();
    test_descriptor_room();
    test_sync_page();
    test_video();

    vkw_renderer_context_destroy(b.ctx);
    tg_fini(&b.g);
    vkw_renderer_destroy(renderer);
    return done_testing();
}
