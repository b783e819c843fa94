/* host_test_guest.h — a raw guest for the host tests (test_renderer,
 * test_server): encodes the HELLO and command batches with the generated
 * guest encoders, reads replies, and points the Vulkan loader at lavapipe.
 *
 * Header-only: each test program is one translation unit that includes it
 * once (it defines vkw_guest_handle_from_id and vkw_guest_device_length,
 * which the generated guest code calls).
 *
 * Object ids a guest uses here: instance 1, physical device 2, device 3,
 * queue 4, buffers from 100, command pool 200 and its command buffers
 * 201.., memory 300.
 */
#ifndef HOST_TEST_GUEST_H
#define HOST_TEST_GUEST_H

#include <dlfcn.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_util.h"
#include "tap.h"
#include "vkw_guest_encode.h"
#include "vkw_guest_handles.h"
#include "vkw_guest_lengths.h"
#include "vkw_handles.h"
#include "vkw_handshake.h"
#include "vkw_vulkan_util.h"
#include "vkw_wire.h"

#define TG_INSTANCE_ID 1u
#define TG_PHYSICAL_ID 2u
#define TG_DEVICE_ID 3u
#define TG_QUEUE_ID 4u
#define TG_POOL_ID 200u
#define TG_MEMORY_ID 300u

/* One guest's dispatchable objects and its serial counter. */
struct tg_guest {
    struct vkw_dispatchable instance, physical, device, queue, cbs[2];
    uint32_t serial;
    struct vkw_writer w; /* the batch being built */
};

static inline void tg_init(struct tg_guest *g)
{
    memset(g, 0, sizeof(*g));
    g->instance.id = TG_INSTANCE_ID;
    g->physical.id = TG_PHYSICAL_ID;
    g->device.id = TG_DEVICE_ID;
    g->queue.id = TG_QUEUE_ID;
    g->cbs[0].id = TG_POOL_ID + 1;
    g->cbs[1].id = TG_POOL_ID + 2;
    vkw_writer_init(&g->w);
}

static inline void tg_fini(struct tg_guest *g) { vkw_writer_fini(&g->w); }

#define TG_INSTANCE(g) ((VkInstance)&(g)->instance)
#define TG_PHYSICAL(g) ((VkPhysicalDevice)&(g)->physical)
#define TG_DEVICE(g) ((VkDevice)&(g)->device)

/* The generated decoders ask for the guest object of an id (physical
 * devices of a group); these tests never need one. */
uint64_t vkw_guest_handle_from_id(struct vkw_reader *r, uint32_t type, uint64_t id)
{
    (void)type;
    vkw_reader_fail(r, VKW_ERROR_BAD_HANDLE, id);
    return 0;
}

/* The generated encoders ask how long a blob whose length is a property
 * of the device is (opaque capture data): whatever a test sets here, so
 * that it can send the wrong length on purpose. */
static uint64_t tg_device_length;

uint64_t vkw_guest_device_length(const void *device, uint32_t opcode, uint32_t what)
{
    (void)device, (void)opcode, (void)what;
    return tg_device_length;
}

/* Point the loader at lavapipe alone; its manifest path, or NULL when this
 * machine has none (the caller skips). */
static inline const char *tg_use_lavapipe(void)
{
    static char path[4096];
    static const char *const patterns[] = {
        "/usr/share/vulkan/icd.d/lvp_icd*.json",
        "/usr/local/share/vulkan/icd.d/lvp_icd*.json",
        "/etc/vulkan/icd.d/lvp_icd*.json",
    };
    const char *given = getenv("VKW_TEST_LAVAPIPE_ICD");
    if (given && *given) {
        snprintf(path, sizeof(path), "%s", given);
    } else {
        path[0] = '\0';
        for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]) && !path[0]; i++) {
            glob_t gl;
            if (glob(patterns[i], 0, NULL, &gl) == 0 && gl.gl_pathc > 0)
                snprintf(path, sizeof(path), "%s", gl.gl_pathv[0]);
            globfree(&gl);
        }
        if (!path[0])
            return NULL;
    }
    /* VK_DRIVER_FILES for current loaders, VK_ICD_FILENAMES for old ones. */
    setenv("VK_DRIVER_FILES", path, 1);
    setenv("VK_ICD_FILENAMES", path, 1);
    return path;
}

/* Whether this program was built with AddressSanitizer (and so LeakSanitizer). */
#if defined(__SANITIZE_ADDRESS__)
#define TG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_ASAN 1
#endif
#endif
#ifndef TG_ASAN
#define TG_ASAN 0
#endif

/* Keep the driver's library mapped for the life of this process.  The
 * loader unloads a driver when its last instance goes; memory the driver
 * keeps for good then shows up in LeakSanitizer's report with no module
 * name, which tests/lsan.supp cannot match.  Resident, it is named (and
 * suppressed); vkwire's own leaks are still reported. */
static inline void tg_keep_driver_loaded(const char *manifest)
{
    char lib[4096];
    if (manifest_library(manifest, lib, sizeof(lib)) &&
        !dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))
        diag("cannot keep %s loaded: %s", lib, dlerror());
}

/* ---- encoding ---- */

static inline void tg_hello(struct tg_guest *g, uint32_t major)
{
    struct vkw_hello h;
    vkw_hello_local(&h);
    h.major = major;
    vkw_encode_hello(&g->w, &h);
}

/* Instance (Vulkan `api_version`), physical device (lavapipe has one) and
 * a device with one queue of family 0, whose create info chains `features`
 * and enables `extension_count` `extensions`; its queue is not fetched. */
static inline void tg_bring_up_device(struct tg_guest *g, uint32_t api_version,
                                      const void *features, uint32_t extension_count,
                                      const char *const *extensions)
{
    VkInstance instance = TG_INSTANCE(g);
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vkwire-host-test",
                             .apiVersion = api_version};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    vkw_encode_vkCreateInstance(&g->w, ++g->serial, &ici, NULL, &instance);
    uint32_t count = 1;
    VkPhysicalDevice pd = TG_PHYSICAL(g);
    vkw_encode_vkEnumeratePhysicalDevices(&g->w, ++g->serial, TG_INSTANCE(g), &count, &pd);
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = 0,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = features,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = extension_count,
                              .ppEnabledExtensionNames = extensions};
    VkDevice device = TG_DEVICE(g);
    vkw_encode_vkCreateDevice(&g->w, ++g->serial, TG_PHYSICAL(g), &dci, NULL, &device);
}

/* The device's queue 0 of family 0 (TG_QUEUE_ID). */
static inline void tg_get_queue(struct tg_guest *g)
{
    VkQueue queue = (VkQueue)&g->queue;
    vkw_encode_vkGetDeviceQueue(&g->w, ++g->serial, TG_DEVICE(g), 0, 0, &queue);
}

/* A Vulkan 1.1 application's instance, device and queue, no extensions. */
static inline void tg_bring_up(struct tg_guest *g)
{
    tg_bring_up_device(g, VK_API_VERSION_1_1, NULL, 0, NULL);
    tg_get_queue(g);
}

/* Set the REPLY flag of the command encoded at offset `at`: an asynchronous
 * command (vkCreateBuffer, vkCreateCommandPool, ...) then answers with its
 * VkResult like any other, so these tests count and check its reply. */
static inline void tg_ask_reply(struct tg_guest *g, size_t at)
{
    if (!g->w.failed && g->w.size >= at + 8) {
        const uint32_t flags = VKW_COMMAND_FLAG_REPLY;
        memcpy(g->w.data + at + 4, &flags, 4);
    }
}

static inline void tg_create_buffer(struct tg_guest *g, uint64_t id, VkDeviceSize size)
{
    const size_t at = g->w.size;
    VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, id);
    vkw_encode_vkCreateBuffer(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, &buffer);
    tg_ask_reply(g, at);
}

static inline void tg_destroy_buffer(struct tg_guest *g, uint64_t id)
{
    vkw_encode_vkDestroyBuffer(&g->w, ++g->serial, TG_DEVICE(g), VKW_U64_HANDLE(VkBuffer, id),
                               NULL);
}

/* A command pool (id 200) with two command buffers (201, 202). */
static inline void tg_command_buffers(struct tg_guest *g)
{
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .queueFamilyIndex = 0};
    VkCommandPool pool = VKW_U64_HANDLE(VkCommandPool, TG_POOL_ID);
    const size_t at = g->w.size;
    vkw_encode_vkCreateCommandPool(&g->w, ++g->serial, TG_DEVICE(g), &pci, NULL, &pool);
    tg_ask_reply(g, at);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 2};
    VkCommandBuffer cbs[2] = {(VkCommandBuffer)&g->cbs[0], (VkCommandBuffer)&g->cbs[1]};
    vkw_encode_vkAllocateCommandBuffers(&g->w, ++g->serial, TG_DEVICE(g), &ai, cbs);
}

static inline void tg_get_properties(struct tg_guest *g, VkPhysicalDeviceProperties *props)
{
    vkw_encode_vkGetPhysicalDeviceProperties(&g->w, ++g->serial, TG_PHYSICAL(g), props);
}

/* ---- replies ---- */

/* Walks the replies of one answer. */
struct tg_replies {
    struct vkw_reader stream;
};

static inline void tg_replies_init(struct tg_replies *rs, const void *data, size_t size)
{
    vkw_reader_init(&rs->stream, data, size, NULL);
}

/* The next reply's header; `payload` reads its body.  False at the end or
 * on a malformed reply. */
static inline bool tg_next_reply(struct tg_replies *rs, struct vkw_reply_header *h,
                                 struct vkw_reader *payload)
{
    if (vkw_reader_remaining(&rs->stream) == 0 || !vkw_read_reply_header(&rs->stream, h) ||
        h->size > vkw_reader_remaining(&rs->stream))
        return false;
    vkw_reader_init(payload, rs->stream.cur, h->size, NULL);
    rs->stream.cur += h->size;
    return true;
}

/* Count the replies of an answer and check every one has status ok and,
 * for commands that return a VkResult (the first word), VK_SUCCESS;
 * `first_bad` gets the opcode of the first that does not. */
static inline int tg_count_ok(const void *data, size_t size, bool results, uint32_t *first_bad)
{
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    int n = 0;
    tg_replies_init(&rs, data, size);
    while (tg_next_reply(&rs, &h, &p)) {
        bool good = h.status == VKW_OK;
        if (good && results && h.opcode != VKW_CMD_vkGetDeviceQueue &&
            h.opcode != VKW_CMD_vkGetPhysicalDeviceProperties)
            good = vkw_read_i32(&p) == VK_SUCCESS;
        if (!good) {
            if (first_bad)
                *first_bad = h.opcode;
            return -1;
        }
        n++;
    }
    return vkw_reader_remaining(&rs.stream) == 0 ? n : -1;
}

/* Decode a WELCOME answer (one reply). */
static inline bool tg_welcome(const void *data, size_t size, struct vkw_welcome *wl)
{
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, data, size);
    return tg_next_reply(&rs, &h, &p) && h.opcode == VKW_MSG_HELLO && h.status == VKW_OK &&
           vkw_decode_welcome(&p, wl);
}

/* The first reply with a status other than ok: its status and value. */
static inline bool tg_error_reply(const void *data, size_t size, uint32_t *status,
                                  uint64_t *value)
{
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, data, size);
    while (tg_next_reply(&rs, &h, &p)) {
        if (h.status != VKW_OK) {
            *status = h.status;
            *value = vkw_read_u64(&p);
            return vkw_reader_ok(&p);
        }
    }
    return false;
}

/* The deviceName a vkGetPhysicalDeviceProperties reply carries (the last
 * reply of the answer with that opcode). */
static inline bool tg_device_name(const void *data, size_t size, struct tg_guest *g,
                                  char *name, size_t name_size)
{
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    bool found = false;
    tg_replies_init(&rs, data, size);
    while (tg_next_reply(&rs, &h, &p)) {
        if (h.opcode != VKW_CMD_vkGetPhysicalDeviceProperties || h.status != VKW_OK)
            continue;
        VkPhysicalDeviceProperties props;
        memset(&props, 0, sizeof(props));
        vkw_decode_reply_vkGetPhysicalDeviceProperties(&p, TG_PHYSICAL(g), &props);
        if (vkw_reader_ok(&p)) {
            snprintf(name, name_size, "%s", props.deviceName);
            found = true;
        }
    }
    return found;
}

#endif /* HOST_TEST_GUEST_H */
