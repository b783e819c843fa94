/* Host dispatch with a fake driver: the generated encoders feed the real
 * command loop (vkw_host_context_execute), the fake driver records what it
 * was given, and the replies are decoded by the generated guest decoders.
 * Covers id binding, destruction and its children, hand-written commands,
 * batching, and every protocol error the loop can report; the memory
 * messages' decoding, checks and fd handling, and host-pointer import as
 * the host drives it.  No GPU needed. */
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS; before any include */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "vkw_guest_encode.h"
#include "vkw_guest_handles.h"
#include "vkw_guest_images.h"
#include "vkw_guest_lengths.h"
#include "vkw_handles.h"
#include "vkw_handshake.h"
#include "vkw_sync_page.h"
#include "vkw_host_context.h"
#include "vkw_host_track.h"
#include "vkw_vulkan_util.h"
#include "vkw_accel.h"
#include "memory_messages_test.h"

/* ---- the fake driver ---- */

#define FAKE_INSTANCE 0x1000u
#define FAKE_PHYSICAL_DEVICE 0x2000u
#define FAKE_DEVICE 0x3000u
#define FAKE_QUEUE 0x4000u

static struct {
    int creates, destroys, maps, unmaps, allocations;
    uint64_t next_handle;
    uint64_t last_destroyed;
    VkDeviceSize last_buffer_size;
    char app_name[64];
    /* memory: what the last vkAllocateMemory imported, and how import goes */
    const void *last_import;
    VkDeviceSize last_allocation_size;
    bool device_got_import_extension;
    uint32_t import_type_bits; /* vkGetMemoryHostPointerPropertiesEXT's answer */
    bool refuse_import;        /* vkAllocateMemory fails an import */
    /* descriptor buffers: whether vkGetPhysicalDeviceProperties2 fills
     * their properties, the capture data length it gives, and the capture
     * data the last vkCreateBuffer saw */
    bool descriptor_buffer;
    size_t capture_size;
    uint8_t last_capture[32];
} fake;

static VkResult fake_CreateInstance(const VkInstanceCreateInfo *ci, const VkAllocationCallbacks *a,
                                    VkInstance *out)
{
    (void)a;
    snprintf(fake.app_name, sizeof(fake.app_name), "%s",
             ci->pApplicationInfo && ci->pApplicationInfo->pApplicationName
                 ? ci->pApplicationInfo->pApplicationName
                 : "");
    *out = VKW_U64_HANDLE(VkInstance, FAKE_INSTANCE);
    return VK_SUCCESS;
}

static VkResult fake_EnumeratePhysicalDevices(VkInstance instance, uint32_t *count,
                                              VkPhysicalDevice *devices)
{
    if (VKW_HANDLE_U64(instance) != FAKE_INSTANCE)
        return VK_ERROR_INITIALIZATION_FAILED;
    if (!devices) {
        *count = 1;
        return VK_SUCCESS;
    }
    if (*count < 1)
        return VK_INCOMPLETE;
    devices[0] = VKW_U64_HANDLE(VkPhysicalDevice, FAKE_PHYSICAL_DEVICE);
    *count = 1;
    return VK_SUCCESS;
}

static void fake_GetPhysicalDeviceProperties2(VkPhysicalDevice pd, VkPhysicalDeviceProperties2 *p)
{
    if (VKW_HANDLE_U64(pd) != FAKE_PHYSICAL_DEVICE)
        return;
    p->properties.apiVersion = VK_API_VERSION_1_3;
    p->properties.limits.maxImageDimension2D = 16384;
    snprintf(p->properties.deviceName, sizeof(p->properties.deviceName), "fake device");
    VkPhysicalDeviceDriverProperties *drv = (VkPhysicalDeviceDriverProperties *)vkw_chain_find(
        p->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES);
    if (drv) {
        drv->driverID = VK_DRIVER_ID_MESA_LLVMPIPE;
        snprintf(drv->driverName, sizeof(drv->driverName), "fake driver");
    }
    VkPhysicalDeviceDescriptorBufferPropertiesEXT *db = (void *)vkw_chain_find(
        p->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_PROPERTIES_EXT);
    if (db && fake.descriptor_buffer)
        db->bufferCaptureReplayDescriptorDataSize = fake.capture_size;
    VkPhysicalDeviceRayTracingPipelinePropertiesKHR *rt =
        (VkPhysicalDeviceRayTracingPipelinePropertiesKHR *)vkw_chain_find(
            p->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_PROPERTIES_KHR);
    if (rt)
        rt->shaderGroupHandleCaptureReplaySize = 24;
}

static VkResult fake_CreateDevice(VkPhysicalDevice pd, const VkDeviceCreateInfo *ci,
                                  const VkAllocationCallbacks *a, VkDevice *out)
{
    (void)a;
    if (VKW_HANDLE_U64(pd) != FAKE_PHYSICAL_DEVICE)
        return VK_ERROR_INITIALIZATION_FAILED;
    fake.device_got_import_extension = false;
    for (uint32_t i = 0; i < ci->enabledExtensionCount; i++)
        if (strcmp(ci->ppEnabledExtensionNames[i], VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME) == 0)
            fake.device_got_import_extension = true;
    *out = VKW_U64_HANDLE(VkDevice, FAKE_DEVICE);
    return VK_SUCCESS;
}

static void fake_GetDeviceQueue(VkDevice d, uint32_t family, uint32_t index, VkQueue *q)
{
    (void)d, (void)family, (void)index;
    *q = VKW_U64_HANDLE(VkQueue, FAKE_QUEUE);
}

static VkResult fake_CreateBuffer(VkDevice d, const VkBufferCreateInfo *ci,
                                  const VkAllocationCallbacks *a, VkBuffer *out)
{
    (void)a;
    if (VKW_HANDLE_U64(d) != FAKE_DEVICE)
        return VK_ERROR_DEVICE_LOST;
    fake.creates++;
    fake.last_buffer_size = ci->size;
    const VkOpaqueCaptureDescriptorDataCreateInfoEXT *capture = (const void *)vkw_chain_find(
        (void *)ci->pNext, VK_STRUCTURE_TYPE_OPAQUE_CAPTURE_DESCRIPTOR_DATA_CREATE_INFO_EXT);
    if (capture && fake.capture_size <= sizeof fake.last_capture) /* the driver reads its size */
        memcpy(fake.last_capture, capture->opaqueCaptureDescriptorData, fake.capture_size);
    *out = VKW_U64_HANDLE(VkBuffer, fake.next_handle++);
    return VK_SUCCESS;
}

static void fake_DestroyBuffer(VkDevice d, VkBuffer b, const VkAllocationCallbacks *a)
{
    (void)d, (void)a;
    fake.destroys++;
    fake.last_destroyed = VKW_HANDLE_U64(b);
}

static VkResult fake_CreateCommandPool(VkDevice d, const VkCommandPoolCreateInfo *ci,
                                       const VkAllocationCallbacks *a, VkCommandPool *out)
{
    (void)d, (void)ci, (void)a;
    *out = VKW_U64_HANDLE(VkCommandPool, fake.next_handle++);
    return VK_SUCCESS;
}

static void fake_DestroyCommandPool(VkDevice d, VkCommandPool p, const VkAllocationCallbacks *a)
{
    (void)d, (void)a;
    fake.destroys++;
    fake.last_destroyed = VKW_HANDLE_U64(p);
}

static VkResult fake_AllocateCommandBuffers(VkDevice d, const VkCommandBufferAllocateInfo *ai,
                                            VkCommandBuffer *out)
{
    (void)d;
    fake.creates++;
    for (uint32_t i = 0; i < ai->commandBufferCount; i++)
        out[i] = VKW_U64_HANDLE(VkCommandBuffer, fake.next_handle++);
    return VK_SUCCESS;
}

static VkResult fake_AllocateMemory(VkDevice d, const VkMemoryAllocateInfo *ai,
                                    const VkAllocationCallbacks *a, VkDeviceMemory *out)
{
    (void)d, (void)a;
    const VkImportMemoryHostPointerInfoEXT *import = (const void *)vkw_chain_find(
        (void *)ai->pNext, VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT);
    fake.allocations++;
    fake.last_import = import ? import->pHostPointer : NULL;
    fake.last_allocation_size = ai->allocationSize;
    if (import && fake.refuse_import)
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    *out = VKW_U64_HANDLE(VkDeviceMemory, fake.next_handle++);
    return VK_SUCCESS;
}

/* Type 0 host-visible and coherent, type 1 device-local only. */
static void fake_GetPhysicalDeviceMemoryProperties(VkPhysicalDevice pd,
                                                   VkPhysicalDeviceMemoryProperties *p)
{
    (void)pd;
    memset(p, 0, sizeof(*p));
    p->memoryTypeCount = 2;
    p->memoryTypes[0].propertyFlags =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    p->memoryTypes[1].propertyFlags = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    p->memoryHeapCount = 1;
    p->memoryHeaps[0].size = 1u << 30;
}

/* Every memory maps here: room for memory 303 of the tracked-range tests. */
static char fake_memory[32768];

static VkResult fake_MapMemory(VkDevice d, VkDeviceMemory m, VkDeviceSize offset, VkDeviceSize size,
                               VkMemoryMapFlags flags, void **data)
{
    (void)d, (void)m, (void)size, (void)flags;
    fake.maps++;
    *data = fake_memory + offset;
    return VK_SUCCESS;
}

static void fake_UnmapMemory(VkDevice d, VkDeviceMemory m)
{
    (void)d, (void)m;
    fake.unmaps++;
}

static void fake_FreeMemory(VkDevice d, VkDeviceMemory m, const VkAllocationCallbacks *a)
{
    (void)d, (void)m, (void)a;
    fake.destroys++;
}

/* ---- harness ---- */

static struct vkw_host_context ctx;
static struct vkw_writer cmds, replies;
static struct vkw_reader reply_stream;
static uint32_t serial;

/* Guest-side dispatchable objects with the ids the host will learn. */
static struct vkw_dispatchable instance_obj = {0, 1}, physical_obj = {0, 2}, device_obj = {0, 3},
                               queue_obj = {0, 4};
#define INSTANCE ((VkInstance)&instance_obj)
#define PHYSICAL ((VkPhysicalDevice)&physical_obj)
#define DEVICE ((VkDevice)&device_obj)

uint64_t vkw_guest_handle_from_id(struct vkw_reader *r, uint32_t type, uint64_t id)
{
    if (type == VKW_HANDLE_VkPhysicalDevice && id == 2)
        return VKW_HANDLE_U64(PHYSICAL);
    vkw_reader_fail(r, VKW_ERROR_BAD_HANDLE, id);
    return 0;
}

/* The length the guest side of these tests says blobs of device lengths
 * have (test_device_lengths sets it). */
static uint64_t guest_device_length;

uint64_t vkw_guest_device_length(const void *device, uint32_t opcode, uint32_t what)
{
    (void)device, (void)opcode, (void)what;
    return guest_device_length;
}

static void new_context(size_t max_objects)
{
    struct vkw_host_limits limits = {.max_objects = max_objects, .max_decode_bytes = 1u << 20};
    vkw_host_context_fini(&ctx);
    vkw_host_context_init(&ctx, &limits);
    ctx.vk.vkCreateInstance = fake_CreateInstance;
    ctx.vk.vkEnumeratePhysicalDevices = fake_EnumeratePhysicalDevices;
    ctx.vk.vkGetPhysicalDeviceProperties2 = fake_GetPhysicalDeviceProperties2;
    ctx.vk.vkCreateDevice = fake_CreateDevice;
    ctx.vk.vkGetDeviceQueue = fake_GetDeviceQueue;
    ctx.vk.vkCreateBuffer = fake_CreateBuffer;
    ctx.vk.vkDestroyBuffer = fake_DestroyBuffer;
    ctx.vk.vkCreateCommandPool = fake_CreateCommandPool;
    ctx.vk.vkDestroyCommandPool = fake_DestroyCommandPool;
    ctx.vk.vkAllocateCommandBuffers = fake_AllocateCommandBuffers;
    ctx.vk.vkAllocateMemory = fake_AllocateMemory;
    ctx.vk.vkMapMemory = fake_MapMemory;
    ctx.vk.vkUnmapMemory = fake_UnmapMemory;
    ctx.vk.vkFreeMemory = fake_FreeMemory;
    ctx.vk.vkGetPhysicalDeviceMemoryProperties = fake_GetPhysicalDeviceMemoryProperties;
    memset(&fake, 0, sizeof(fake));
    fake.next_handle = 0xb000;
    fake.import_type_bits = 0x1;
}

/* File descriptors the next run() hands over with its batch. */
static const int *run_fds;
static size_t run_nfds;

/* Run what was encoded; the replies are then read with next_reply. */
static enum vkw_error run(void)
{
    vkw_writer_reset(&replies);
    enum vkw_error e =
        vkw_host_context_execute_fds(&ctx, cmds.data, cmds.size, run_fds, run_nfds, &replies);
    run_fds = NULL;
    run_nfds = 0;
    vkw_writer_reset(&cmds);
    vkw_reader_init(&reply_stream, replies.data, replies.size, NULL);
    return e;
}

/* The next reply's header; `payload` reads its body. */
static bool next_reply(struct vkw_reply_header *h, struct vkw_reader *payload)
{
    if (!vkw_read_reply_header(&reply_stream, h) || h->size > vkw_reader_remaining(&reply_stream))
        return false;
    vkw_reader_init(payload, reply_stream.cur, h->size, NULL);
    reply_stream.cur += h->size;
    return true;
}

static bool table_has(uint64_t id, uint32_t type)
{
    uint64_t host;
    return vkw_object_table_lookup(&ctx.objects, id, type, &host);
}

/* instance 1, physical device 2, device 3 */
static void bring_up(void)
{
    VkInstance instance = INSTANCE;
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "dispatch-test",
                             .apiVersion = VK_API_VERSION_1_3};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    vkw_encode_vkCreateInstance(&cmds, ++serial, &ici, NULL, &instance);
    uint32_t count = 1;
    VkPhysicalDevice pd = PHYSICAL;
    vkw_encode_vkEnumeratePhysicalDevices(&cmds, ++serial, INSTANCE, &count, &pd);
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice device = DEVICE;
    vkw_encode_vkCreateDevice(&cmds, ++serial, PHYSICAL, &dci, NULL, &device);
    run();
}

static void encode_create_buffer(uint64_t id, VkDevice device, VkDeviceSize size)
{
    VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, id);
    const size_t at = cmds.size;
    vkw_encode_vkCreateBuffer(&cmds, ++serial, device, &ci, NULL, &buffer);
    /* vkCreateBuffer is asynchronous: the REPLY flag makes it answer its
     * VkResult, which these tests check */
    const uint32_t flags = VKW_COMMAND_FLAG_REPLY;
    memcpy(cmds.data + at + 4, &flags, 4);
}

/* The context must have died with `error` naming `value`, answer the
 * command with that error, and refuse everything after. */
static void expect_death(enum vkw_error error, uint64_t value, const char *what)
{
    const uint32_t failing_serial = serial;
    enum vkw_error e = run();
    struct vkw_reply_header h = {0};
    struct vkw_reader payload;
    bool found = false;
    while (next_reply(&h, &payload))
        if (h.status != VKW_OK) {
            found = true;
            break;
        }
    uint64_t got_value = found ? vkw_read_u64(&payload) : 0;
    ok(e == error && found && h.status == (uint32_t)error && got_value == value &&
           h.serial == failing_serial,
       "%s: %s (value %llu, serial %u)", what, vkw_error_name(error), (unsigned long long)value,
       failing_serial);
    if (e != error || !found || got_value != value)
        diag("got %s status %u value %llu serial %u", vkw_error_name(e), h.status,
             (unsigned long long)got_value, h.serial);
    /* A dead context refuses later work without touching the driver. */
    const int creates = fake.creates;
    encode_create_buffer(0x777, DEVICE, 16);
    ok(run() == error && fake.creates == creates, "%s: later commands refused", what);
}

/* ---- tests ---- */

static void test_bring_up(void)
{
    new_context(1000);
    bring_up();
    struct vkw_reply_header h;
    struct vkw_reader r;
    ok(next_reply(&h, &r) && h.status == VKW_OK && h.opcode == VKW_CMD_vkCreateInstance,
       "vkCreateInstance answered");
    VkInstance instance = INSTANCE;
    ok(vkw_decode_reply_vkCreateInstance(&r, NULL, NULL, &instance) == VK_SUCCESS &&
           vkw_reader_ok(&r),
       "vkCreateInstance result decoded");
    is_str(fake.app_name, "dispatch-test", "the driver saw the application's name");
    ok(table_has(1, VKW_HANDLE_VkInstance), "instance id 1 bound");

    uint32_t count = 1;
    VkPhysicalDevice pd = PHYSICAL;
    ok(next_reply(&h, &r) && vkw_decode_reply_vkEnumeratePhysicalDevices(&r, INSTANCE, &count, &pd) ==
                                 VK_SUCCESS && count == 1,
       "vkEnumeratePhysicalDevices: one device");
    ok(table_has(2, VKW_HANDLE_VkPhysicalDevice), "physical device id 2 bound");
    VkDevice device = DEVICE;
    ok(next_reply(&h, &r) && h.serial == serial &&
           vkw_decode_reply_vkCreateDevice(&r, PHYSICAL, NULL, NULL, &device) == VK_SUCCESS,
       "vkCreateDevice answered in order, serial echoed");
    ok(!next_reply(&h, &r), "three commands, three replies");

    /* Physical devices and queues are handed out again: same id is fine. */
    vkw_encode_vkEnumeratePhysicalDevices(&cmds, ++serial, INSTANCE, &count, &pd);
    VkQueue q = (VkQueue)&queue_obj;
    vkw_encode_vkGetDeviceQueue(&cmds, ++serial, DEVICE, 0, 0, &q);
    vkw_encode_vkGetDeviceQueue(&cmds, ++serial, DEVICE, 0, 0, &q);
    ok(run() == VKW_OK && table_has(4, VKW_HANDLE_VkQueue),
       "re-enumerating and re-getting a queue under the same id is accepted");
}

static void test_properties_chain(void)
{
    VkPhysicalDeviceDriverProperties drv = {.sType =
                                                VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &drv};
    vkw_encode_vkGetPhysicalDeviceProperties2(&cmds, ++serial, PHYSICAL, &props);
    struct vkw_reply_header h;
    struct vkw_reader r;
    ok(run() == VKW_OK && next_reply(&h, &r), "vkGetPhysicalDeviceProperties2 answered");
    vkw_decode_reply_vkGetPhysicalDeviceProperties2(&r, PHYSICAL, &props);
    ok(vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0, "reply fully consumed");
    is_str(props.properties.deviceName, "fake device", "deviceName came back");
    is_int(props.properties.limits.maxImageDimension2D, 16384, "a limit came back");
    is_str(drv.driverName, "fake driver", "the chained driver properties came back");
    is_int(drv.driverID, VK_DRIVER_ID_MESA_LLVMPIPE, "driverID came back");
    ok(props.pNext == &drv && drv.pNext == NULL, "the application's chain is untouched");
}

static void test_create_destroy(void)
{
    encode_create_buffer(100, DEVICE, 4096);
    struct vkw_reply_header h;
    struct vkw_reader r;
    ok(run() == VKW_OK && next_reply(&h, &r) && vkw_read_i32(&r) == VK_SUCCESS,
       "vkCreateBuffer succeeded");
    is_int(fake.last_buffer_size, 4096, "the driver saw the create info");
    uint64_t host = 0;
    ok(vkw_object_table_lookup(&ctx.objects, 100, VKW_HANDLE_VkBuffer, &host) && host == 0xb000,
       "buffer id 100 names the driver's handle");
    ok(!vkw_object_table_lookup(&ctx.objects, 100, VKW_HANDLE_VkImage, &host),
       "the id does not answer as another type");

    vkw_encode_vkDestroyBuffer(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkBuffer, 100), NULL);
    ok(run() == VKW_OK && replies.size == 0, "vkDestroyBuffer sends no reply");
    ok(fake.last_destroyed == 0xb000 && !table_has(100, VKW_HANDLE_VkBuffer),
       "the driver destroyed it and the id is gone");
}

static void test_children(void)
{
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool = VKW_U64_HANDLE(VkCommandPool, 200);
    vkw_encode_vkCreateCommandPool(&cmds, ++serial, DEVICE, &pci, NULL, &pool);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 2};
    struct vkw_dispatchable cb_obj[2] = {{0, 201}, {0, 202}};
    VkCommandBuffer cbs[2] = {(VkCommandBuffer)&cb_obj[0], (VkCommandBuffer)&cb_obj[1]};
    vkw_encode_vkAllocateCommandBuffers(&cmds, ++serial, DEVICE, &ai, cbs);
    ok(run() == VKW_OK && table_has(201, VKW_HANDLE_VkCommandBuffer) &&
           table_has(202, VKW_HANDLE_VkCommandBuffer),
       "two command buffers bound");
    const struct vkw_object *o = vkw_object_table_find(&ctx.objects, 201);
    ok(o && o->parent_id == 200, "their parent is the pool");
    vkw_encode_vkDestroyCommandPool(&cmds, ++serial, DEVICE, pool, NULL);
    ok(run() == VKW_OK && !table_has(200, VKW_HANDLE_VkCommandPool) &&
           !table_has(201, VKW_HANDLE_VkCommandBuffer) && !table_has(202, VKW_HANDLE_VkCommandBuffer),
       "destroying the pool drops its command buffers' ids");
    ok(table_has(3, VKW_HANDLE_VkDevice), "the device stays");
}

static void test_map_memory(void)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 256};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, 300);
    vkw_encode_vkAllocateMemory(&cmds, ++serial, DEVICE, &ai, NULL, &mem);
    vkw_encode_vkMapMemory(&cmds, ++serial, DEVICE, mem, 16, 64, 0, NULL);
    ok(run() == VKW_OK, "allocate and map");
    uint64_t host = 0;
    vkw_object_table_lookup(&ctx.objects, 300, VKW_HANDLE_VkDeviceMemory, &host);
    const struct vkw_host_memory *rec = vkw_host_memory_find(&ctx.memory, 300);
    ok(rec && rec->size == 256 && rec->type_index == 0 && rec->host_visible && rec->device_id == 3,
       "the host records the memory: size, type, host-visible, device");
    ok(vkw_host_mapping_of(&ctx, host) == fake_memory && fake.maps == 1,
       "the host maps the whole allocation (offset 0), whatever range the guest asked for");
    vkw_encode_vkMapMemory(&cmds, ++serial, DEVICE, mem, 0, 64, 0, NULL);
    struct vkw_reply_header h;
    struct vkw_reader r;
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkMapMemory(&r, DEVICE, mem, 0, 64, 0, NULL) ==
               VK_ERROR_MEMORY_MAP_FAILED &&
           fake.maps == 1,
       "mapping twice fails without reaching the driver");
    vkw_encode_vkUnmapMemory(&cmds, ++serial, DEVICE, mem);
    vkw_encode_vkUnmapMemory(&cmds, ++serial, DEVICE, mem);
    ok(run() == VKW_OK && fake.unmaps == 0 && vkw_host_mapping_of(&ctx, host) == fake_memory,
       "unmap ends the guest's mapping only: the host keeps its own (and the driver's)");
    vkw_encode_vkMapMemory(&cmds, ++serial, DEVICE, mem, 0, 64, 0, NULL);
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkMapMemory(&r, DEVICE, mem, 0, 64, 0, NULL) == VK_SUCCESS &&
           fake.maps == 1,
       "mapping again succeeds on the host's mapping, without the driver");
    vkw_encode_vkFreeMemory(&cmds, ++serial, DEVICE, mem, NULL);
    ok(run() == VKW_OK && !vkw_host_mapping_of(&ctx, host) &&
           !table_has(300, VKW_HANDLE_VkDeviceMemory) && !vkw_host_memory_find(&ctx.memory, 300),
       "freeing mapped memory drops the mapping, the record and the id");

    ai.memoryTypeIndex = 1; /* device-local only */
    mem = VKW_U64_HANDLE(VkDeviceMemory, 301);
    vkw_encode_vkAllocateMemory(&cmds, ++serial, DEVICE, &ai, NULL, &mem);
    vkw_encode_vkMapMemory(&cmds, ++serial, DEVICE, mem, 0, VK_WHOLE_SIZE, 0, NULL);
    ok(run() == VKW_OK && next_reply(&h, &r) && next_reply(&h, &r) &&
           vkw_decode_reply_vkMapMemory(&r, DEVICE, mem, 0, VK_WHOLE_SIZE, 0, NULL) ==
               VK_ERROR_MEMORY_MAP_FAILED &&
           fake.maps == 1,
       "memory that is not host-visible is never mapped: the driver does not see it");
    vkw_encode_vkFreeMemory(&cmds, ++serial, DEVICE, mem, NULL);
    ok(run() == VKW_OK && ctx.memory.count == 0, "no memory record left");
}

/* ---- the memory messages (runtime/common/vkw_memory_messages.h) ---- */

static void alloc_memory(uint64_t id, VkDeviceSize size, uint32_t type)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = size,
                               .memoryTypeIndex = type};
    VkDeviceMemory mem = VKW_U64_HANDLE(VkDeviceMemory, id);
    vkw_encode_vkAllocateMemory(&cmds, ++serial, DEVICE, &ai, NULL, &mem);
}

/* A fresh context with instance, device and memory 300 (256 bytes,
 * host-visible), 301 (64 bytes, device-local), 302 (1 GiB, host-visible). */
static void fresh_with_memory(void)
{
    new_context(1000);
    bring_up();
    alloc_memory(300, 256, 0);
    alloc_memory(301, 64, 1);
    alloc_memory(302, (VkDeviceSize)1 << 30, 0);
    run();
}

static bool fd_closed(int fd)
{
    return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

/* A memfd of `size` bytes named "vkw-dispatch-test", sealed against
 * shrinking when `seal`. */
static int make_memfd(off_t size, bool seal)
{
    int fd = memfd_create("vkw-dispatch-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, size) != 0 || (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0))
        tm_bail_out("memfd");
    return fd;
}

/* Mappings of our memfds in this process (/proc/self/maps). */
static int memfd_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, "vkw-dispatch-test"))
            n++;
    fclose(f);
    return n;
}

/* The reply of an ALLOCATE_SHARED: result and imported. */
static bool shared_reply(VkResult *result, uint32_t *imported)
{
    struct vkw_reply_header h;
    struct vkw_reader r;
    if (!next_reply(&h, &r) || h.opcode != VKW_MSG_ALLOCATE_SHARED || h.status != VKW_OK)
        return false;
    *result = (VkResult)vkw_read_i32(&r);
    *imported = vkw_read_u32(&r);
    return vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0;
}

static void test_write_read_memory(void)
{
    fresh_with_memory();
    memset(fake_memory, 0, sizeof(fake_memory));
    const char pattern[8] = "vkwire!";
    tm_write_memory(&cmds, ++serial, 0, 300, 16, pattern, 8);
    tm_read_memory(&cmds, ++serial, 300, 16, 8);
    tm_write_memory(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, 300, 253, "xyz", 3);
    tm_read_memory(&cmds, ++serial, 300, 256, 0);
    tm_write_memory(&cmds, ++serial, 0, 300, 0, NULL, 0);
    ok(run() == VKW_OK, "writes and reads inside the allocation run");
    ok(memcmp(fake_memory + 16, pattern, 8) == 0 && memcmp(fake_memory + 253, "xyz", 3) == 0,
       "WRITE_MEMORY put the bytes at their offsets in the host's mapping");
    struct vkw_reply_header h;
    struct vkw_reader r;
    char got[8] = "";
    ok(next_reply(&h, &r) && h.opcode == VKW_MSG_READ_MEMORY && h.status == VKW_OK &&
           h.size == 16 && vkw_read_u64(&r) == 8 && vkw_read_bytes(&r, got, 8) &&
           memcmp(got, pattern, 8) == 0,
       "READ_MEMORY answers the count and the bytes");
    ok(next_reply(&h, &r) && h.opcode == VKW_MSG_WRITE_MEMORY && h.size == 0,
       "a WRITE_MEMORY sent with the REPLY flag gets an empty reply");
    ok(next_reply(&h, &r) && h.opcode == VKW_MSG_READ_MEMORY && h.size == 8 &&
           vkw_read_u64(&r) == 0 && !next_reply(&h, &r),
       "an empty read at the very end is allowed (count 0); no other reply");
    ok(fake.maps == 1, "one mapping serves them all (made on first need)");
    const struct vkw_host_memory *rec = vkw_host_memory_find(&ctx.memory, 300);
    ok(rec && rec->mapped == fake_memory && !rec->guest_mapped,
       "the host's mapping is its own: the guest has not mapped the memory");

    /* The guest's vkMapMemory shares it. */
    vkw_encode_vkMapMemory(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkDeviceMemory, 300), 0,
                           VK_WHOLE_SIZE, 0, NULL);
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkMapMemory(&r, DEVICE, VKW_U64_HANDLE(VkDeviceMemory, 300), 0,
                                        VK_WHOLE_SIZE, 0, NULL) == VK_SUCCESS &&
           fake.maps == 1,
       "a guest vkMapMemory after them succeeds on the same mapping");
}

static void test_memory_message_errors(void)
{
    const char bytes[8] = "12345678";
    fresh_with_memory();
    tm_write_memory(&cmds, ++serial, 0, 300, 250, bytes, 8);
    expect_death(VKW_ERROR_BAD_RANGE, 258, "WRITE_MEMORY past the end of the allocation");

    fresh_with_memory();
    tm_read_memory(&cmds, ++serial, 300, 200, 57);
    expect_death(VKW_ERROR_BAD_RANGE, 257, "READ_MEMORY past the end of the allocation");

    fresh_with_memory();
    tm_read_memory(&cmds, ++serial, 300, UINT64_MAX, 2);
    expect_death(VKW_ERROR_BAD_RANGE, UINT64_MAX, "an offset + size that overflows");

    fresh_with_memory();
    tm_write_memory(&cmds, ++serial, 0, 300, 257, NULL, 0);
    expect_death(VKW_ERROR_BAD_RANGE, 257, "an empty write that starts past the end");

    fresh_with_memory();
    tm_write_memory(&cmds, ++serial, 0, 301, 0, bytes, 8);
    expect_death(VKW_ERROR_UNSUPPORTED, 301, "WRITE_MEMORY to memory that is not host-visible");
    ok(fake.maps == 0, "... which the driver was never asked to map");

    fresh_with_memory();
    tm_read_memory(&cmds, ++serial, 301, 0, 8);
    expect_death(VKW_ERROR_UNSUPPORTED, 301, "READ_MEMORY of memory that is not host-visible");

    fresh_with_memory();
    tm_read_memory(&cmds, ++serial, 302, 0, 300u << 20);
    expect_death(VKW_ERROR_BAD_COUNT, 300u << 20, "a read too big for one reply");

    fresh_with_memory();
    tm_write_memory(&cmds, ++serial, 0, 3, 0, bytes, 8);
    expect_death(VKW_ERROR_BAD_HANDLE, 3, "WRITE_MEMORY naming a device");

    fresh_with_memory();
    tm_read_memory(&cmds, ++serial, 999, 0, 8);
    expect_death(VKW_ERROR_BAD_HANDLE, 999, "READ_MEMORY naming an unknown id");

    fresh_with_memory();
    tm_write_memory(&cmds, ++serial, 0, 300, 0, bytes, 8);
    {
        const uint64_t lie = 100; /* the blob's count, after id and offset */
        memcpy(cmds.data + VKW_HEADER_BYTES + 16, &lie, 8);
    }
    expect_death(VKW_ERROR_TRUNCATED, 100, "a blob count past the end of the message");
    ok(fake.maps == 0, "... found before anything was mapped");

    fresh_with_memory();
    tm_read_memory(&cmds, ++serial, 300, 0, 8);
    vkw_write_u32(&cmds, 0);
    {
        uint32_t size = (uint32_t)(cmds.size - VKW_HEADER_BYTES);
        memcpy(cmds.data + 8, &size, 4);
    }
    expect_death(VKW_ERROR_TRAILING_BYTES, 4, "READ_MEMORY with a word too many");

    fresh_with_memory();
    tm_write_memory(&cmds, ++serial, 0, 300, 0, bytes, 3);
    {
        uint32_t size = (uint32_t)(cmds.size - VKW_HEADER_BYTES) - 4; /* the padded bytes go */
        memcpy(cmds.data + 8, &size, 4);
        cmds.size -= 4;
    }
    expect_death(VKW_ERROR_TRUNCATED, 3, "a blob without its bytes");

    fresh_with_memory();
    {
        size_t at = vkw_begin_command(&cmds, VKW_MSG_HELLO, VKW_COMMAND_FLAG_REPLY, ++serial);
        vkw_end_message(&cmds, at);
    }
    expect_death(VKW_ERROR_BAD_OPCODE, VKW_MSG_HELLO, "a HELLO inside a batch");

    fresh_with_memory();
    {
        size_t at = vkw_begin_command(&cmds, 0x10020u, 0, ++serial);
        vkw_end_message(&cmds, at);
    }
    expect_death(VKW_ERROR_BAD_OPCODE, 0x10020u, "a private opcode no one defined");
}

static void test_allocate_shared_errors(void)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 4096};
    const int open_before = tm_open_fds();

    fresh_with_memory();
    tm_allocate_shared(&cmds, ++serial, 3, &ai, 310, 0);
    expect_death(VKW_ERROR_BAD_FD, 0, "ALLOCATE_SHARED naming an fd the batch does not carry");

    fresh_with_memory();
    int fd = make_memfd(4096, true);
    tm_allocate_shared(&cmds, ++serial, 3, &ai, 310, 1);
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_BAD_FD, 1, "an fd index past the batch's fds");
    ok(fd_closed(fd), "the unused fd was closed all the same");

    fresh_with_memory();
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        tm_bail_out("pipe");
    tm_allocate_shared(&cmds, ++serial, 3, &ai, 310, 0);
    run_fds = &pipe_fds[0];
    run_nfds = 1;
    expect_death(VKW_ERROR_BAD_FD, 0, "an fd that is not a memfd (a pipe)");
    ok(fd_closed(pipe_fds[0]), "the pipe was closed");
    close(pipe_fds[1]);

    fresh_with_memory();
    fd = make_memfd(100, true);
    tm_allocate_shared(&cmds, ++serial, 3, &ai, 310, 0);
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_BAD_FD, 0, "a memfd shorter than allocationSize");
    ok(fd_closed(fd) && fake.allocations == 3, "closed; nothing allocated");

    fresh_with_memory();
    int two[2] = {make_memfd(4096, true), make_memfd(4096, true)};
    tm_allocate_shared(&cmds, ++serial, 3, &ai, 310, 0);
    tm_allocate_shared(&cmds, ++serial, 3, &ai, 311, 0);
    run_fds = two;
    run_nfds = 2;
    expect_death(VKW_ERROR_BAD_FD, 0, "one fd taken by two messages");
    ok(fd_closed(two[0]) && fd_closed(two[1]) && table_has(310, VKW_HANDLE_VkDeviceMemory),
       "both closed once; the first message's memory was made");

    fresh_with_memory();
    fd = make_memfd(4096, true);
    tm_allocate_shared(&cmds, ++serial, 3, &ai, 300, 0);
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_ID_IN_USE, 300, "ALLOCATE_SHARED with an id in use");
    ok(fd_closed(fd), "its fd closed");

    fresh_with_memory();
    fd = make_memfd(4096, true);
    tm_allocate_shared(&cmds, ++serial, 300, &ai, 310, 0);
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_BAD_HANDLE, 300, "ALLOCATE_SHARED naming memory as its device");
    ok(fd_closed(fd), "its fd closed");

    fresh_with_memory();
    tm_allocate_shared(&cmds, ++serial, 3, NULL, 310, 0);
    expect_death(VKW_ERROR_BAD_POINTER, 0, "ALLOCATE_SHARED without its allocate info");

    fresh_with_memory();
    fd = make_memfd(4096, true);
    tm_allocate_shared(&cmds, ++serial, 3, &ai, 310, 0);
    vkw_write_u32(&cmds, 0);
    {
        uint32_t size = (uint32_t)(cmds.size - VKW_HEADER_BYTES);
        memcpy(cmds.data + 8, &size, 4);
    }
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_TRAILING_BYTES, 4, "ALLOCATE_SHARED with a word too many");
    ok(fd_closed(fd), "its fd closed");

    /* More than the host takes with one batch: all closed, context ends. */
    fresh_with_memory();
    int many[VKW_HOST_MAX_FDS + 1];
    for (size_t i = 0; i < VKW_HOST_MAX_FDS + 1; i++)
        many[i] = make_memfd(0, false);
    encode_create_buffer(100, DEVICE, 16);
    run_fds = many;
    run_nfds = VKW_HOST_MAX_FDS + 1;
    struct vkw_reply_header h = {0};
    struct vkw_reader r;
    bool all_closed = true;
    const enum vkw_error e = run();
    const bool replied = next_reply(&h, &r);
    const uint64_t value = replied ? vkw_read_u64(&r) : 0;
    ok(e == VKW_ERROR_BAD_FD && replied && h.status == VKW_ERROR_BAD_FD &&
           value == VKW_HOST_MAX_FDS + 1 && fake.creates == 0,
       "%u fds with one batch: bad_fd %llu, nothing runs", VKW_HOST_MAX_FDS + 1,
       (unsigned long long)value);
    for (size_t i = 0; i < VKW_HOST_MAX_FDS + 1; i++)
        all_closed = all_closed && fd_closed(many[i]);
    ok(all_closed, "and every one of them is closed");

    /* A dead context still closes what comes with later batches. */
    fd = make_memfd(4096, true);
    encode_create_buffer(100, DEVICE, 16);
    run_fds = &fd;
    run_nfds = 1;
    ok(run() == VKW_ERROR_BAD_FD && fd_closed(fd), "a dead context closes a later batch's fd");

    /* Fds that no message uses are closed. */
    fresh_with_memory();
    int unused[3] = {make_memfd(4096, true), make_memfd(64, false), make_memfd(0, false)};
    encode_create_buffer(100, DEVICE, 16);
    run_fds = unused;
    run_nfds = 3;
    ok(run() == VKW_OK && fd_closed(unused[0]) && fd_closed(unused[1]) && fd_closed(unused[2]),
       "fds a batch carried but no message used are closed");
    is_int(tm_open_fds(), open_before, "no descriptor left open by the whole series");
}

/* ---- host-pointer import, as the host drives it ---- */

static VkResult fake_EnumerateImportExtension(VkPhysicalDevice pd, const char *layer,
                                              uint32_t *count, VkExtensionProperties *p)
{
    (void)pd, (void)layer;
    if (p && *count >= 1) {
        memset(p, 0, sizeof(*p));
        snprintf(p->extensionName, sizeof(p->extensionName), "%s",
                 VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
        p->specVersion = 1;
    }
    if (p && *count < 1)
        return VK_INCOMPLETE;
    *count = 1;
    return VK_SUCCESS;
}

static void fake_GetPhysicalDeviceProperties(VkPhysicalDevice pd, VkPhysicalDeviceProperties *p)
{
    (void)pd;
    memset(p, 0, sizeof(*p));
    p->apiVersion = VK_API_VERSION_1_3;
}

static void fake_GetPhysicalDeviceProperties2Import(VkPhysicalDevice pd,
                                                    VkPhysicalDeviceProperties2 *p)
{
    fake_GetPhysicalDeviceProperties2(pd, p);
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT *host = (void *)vkw_chain_find(
        p->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT);
    if (host)
        host->minImportedHostPointerAlignment = 4096;
}

static VkResult fake_GetMemoryHostPointerProperties(VkDevice d,
                                                    VkExternalMemoryHandleTypeFlagBits type,
                                                    const void *p,
                                                    VkMemoryHostPointerPropertiesEXT *props)
{
    (void)d;
    if (type != VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT || ((uintptr_t)p & 4095))
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    props->memoryTypeBits = fake.import_type_bits;
    return VK_SUCCESS;
}

static void fake_any_command(void) {}

/* This device has every command (the host only asks whether it has one
 * before calling it through ctx.vk), and the import function. */
static PFN_vkVoidFunction fake_GetDeviceProcAddr(VkDevice d, const char *name)
{
    (void)d;
    if (strcmp(name, "vkGetMemoryHostPointerPropertiesEXT") == 0)
        return (PFN_vkVoidFunction)fake_GetMemoryHostPointerProperties;
    return (PFN_vkVoidFunction)fake_any_command;
}

/* ALLOCATE_SHARED of `size` bytes of type `type` as memory `id`, with one
 * memfd of `fd_size` bytes; the reply's result and imported flag. */
static bool allocate_shared(uint64_t id, VkDeviceSize size, uint32_t type, int fd,
                            VkResult *result, uint32_t *imported)
{
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = size,
                               .memoryTypeIndex = type};
    tm_allocate_shared(&cmds, ++serial, 3, &ai, id, 0);
    run_fds = &fd;
    run_nfds = 1;
    return run() == VKW_OK && shared_reply(result, imported) && fd_closed(fd);
}

static void test_allocate_shared_fake(void)
{
    VkResult result = VK_ERROR_UNKNOWN;
    uint32_t imported = 9;

    /* A driver without the extension: ordinary memory, imported 0. */
    fresh_with_memory();
    ok(!fake.device_got_import_extension, "no import extension: none added to the device");
    int fd = make_memfd(4096, true);
    ok(allocate_shared(310, 4000, 0, fd, &result, &imported) && result == VK_SUCCESS &&
           imported == 0,
       "without import the host allocates ordinary memory: VK_SUCCESS, imported 0, fd closed");
    const struct vkw_host_memory *rec = vkw_host_memory_find(&ctx.memory, 310);
    ok(table_has(310, VKW_HANDLE_VkDeviceMemory) && rec && !rec->imported && !fake.last_import &&
           fake.last_allocation_size == 4000,
       "bound as VkDeviceMemory of the device; the driver saw no import");
    tm_write_memory(&cmds, ++serial, 0, 310, 0, "abc", 3);
    tm_read_memory(&cmds, ++serial, 310, 0, 10); /* (the fake maps 256 bytes) */
    ok(run() == VKW_OK && memcmp(fake_memory, "abc", 3) == 0,
       "and it takes WRITE_MEMORY and READ_MEMORY (copied mode)");

    /* A driver with it. */
    new_context(1000);
    ctx.vk.vkEnumerateDeviceExtensionProperties = fake_EnumerateImportExtension;
    ctx.vk.vkGetPhysicalDeviceProperties = fake_GetPhysicalDeviceProperties;
    ctx.vk.vkGetPhysicalDeviceProperties2 = fake_GetPhysicalDeviceProperties2Import;
    ctx.vk.vkGetDeviceProcAddr = fake_GetDeviceProcAddr;
    bring_up();
    ok(fake.device_got_import_extension, "the host enables VK_EXT_external_memory_host");
    const struct vkw_host_device *dev = vkw_host_device_find(&ctx.memory, 3);
    ok(dev && dev->get_host_pointer_properties && dev->import_alignment == 4096 &&
           dev->memory_known,
       "and records the device: import function, alignment 4096, memory types");

    const int maps_before = memfd_mappings();
    fd = make_memfd(8192, true);
    void *mine = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mine == MAP_FAILED)
        tm_bail_out("mmap");
    ok(allocate_shared(320, 5000, 0, fd, &result, &imported) && result == VK_SUCCESS &&
           imported == 1,
       "a sealed memfd of the rounded size is imported: imported 1");
    rec = vkw_host_memory_find(&ctx.memory, 320);
    ok(rec && rec->imported && fake.last_import == rec->imported && rec->imported_size == 8192 &&
           fake.last_allocation_size == 8192 && rec->size == 5000,
       "the driver got the host's mapping of the pages, size rounded to 8192");
    memcpy((char *)mine + 4000, "shared", 6);
    ok(rec && memcmp((char *)rec->imported + 4000, "shared", 6) == 0,
       "the host's mapping shows what the guest wrote");

    int unsealed = make_memfd(8192, false);
    ok(allocate_shared(321, 5000, 0, unsealed, &result, &imported) && result == VK_SUCCESS &&
           imported == 0 && !fake.last_import,
       "a memfd that may shrink is not imported (imported 0)");
    int short_fd = make_memfd(5000, true);
    ok(allocate_shared(322, 5000, 0, short_fd, &result, &imported) && result == VK_SUCCESS &&
           imported == 0 && !fake.last_import,
       "a memfd shorter than the rounded size is not imported");
    fake.import_type_bits = 0x2;
    ok(allocate_shared(323, 4096, 0, make_memfd(4096, true), &result, &imported) &&
           result == VK_SUCCESS && imported == 0 && !fake.last_import,
       "a type the pointer cannot be imported into: ordinary memory");
    fake.import_type_bits = 0x1;
    fake.refuse_import = true;
    const int allocations = fake.allocations;
    ok(allocate_shared(324, 4096, 0, make_memfd(4096, true), &result, &imported) &&
           result == VK_SUCCESS && imported == 0 && fake.allocations == allocations + 2,
       "a driver that refuses the import: the host allocates again, imported 0");
    fake.refuse_import = false;
    {
        /* A buffer the host knows as id 330 (the guest's handle is its id). */
        vkw_object_table_insert(&ctx.objects, 330, VKW_HANDLE_VkBuffer, 0xe000, 3);
        VkMemoryDedicatedAllocateInfo dedicated = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
            .buffer = VKW_U64_HANDLE(VkBuffer, 330)};
        VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                   .pNext = &dedicated,
                                   .allocationSize = 4096};
        int dfd = make_memfd(4096, true);
        tm_allocate_shared(&cmds, ++serial, 3, &ai, 325, 0);
        run_fds = &dfd;
        run_nfds = 1;
        ok(run() == VKW_OK && shared_reply(&result, &imported) && result == VK_SUCCESS &&
               imported == 0 && !fake.last_import,
           "a dedicated allocation is never imported");
    }
    is_int(memfd_mappings(), maps_before + 2,
           "the host holds one mapping of the imported pages (beside the test's own)");

    vkw_encode_vkFreeMemory(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkDeviceMemory, 320), NULL);
    ok(run() == VKW_OK && !vkw_host_memory_find(&ctx.memory, 320) &&
           memfd_mappings() == maps_before + 1,
       "freeing the imported memory unmaps the host's view of the pages");
    munmap(mine, 8192);

    /* A device destroyed with imported memory still alive: the records go
     * with it, after the driver. */
    fd = make_memfd(4096, true);
    ok(allocate_shared(326, 4096, 0, fd, &result, &imported) && imported == 1 &&
           memfd_mappings() == maps_before + 1,
       "another import");
    vkw_host_forget(&ctx, VKW_HANDLE_VkDevice, 3);
    ok(ctx.memory.count == 0 && !vkw_host_device_find(&ctx.memory, 3) &&
           memfd_mappings() == maps_before,
       "forgetting the device drops its memory records and unmaps the pages");
    vkw_host_forget(&ctx, VKW_HANDLE_VkInstance, 1);
    ok(ctx.memory.instance_count == 0, "forgetting the instance drops its record");
}

/* The driver offers more than vkwire forwards: the host narrows the list. */
static VkResult fake_EnumerateDeviceExtensionProperties(VkPhysicalDevice pd, const char *layer,
                                                        uint32_t *count, VkExtensionProperties *p)
{
    static const char *names[] = {VK_KHR_SWAPCHAIN_EXTENSION_NAME, "VK_KHR_maintenance4",
                                  "VK_KHR_external_memory_win32", "VK_EXT_robustness2"};
    (void)pd, (void)layer;
    if (!p) {
        *count = 4;
        return VK_SUCCESS;
    }
    uint32_t n = *count < 4 ? *count : 4;
    for (uint32_t i = 0; i < n; i++) {
        memset(&p[i], 0, sizeof(p[i]));
        snprintf(p[i].extensionName, sizeof(p[i].extensionName), "%s", names[i]);
        p[i].specVersion = 1 + i;
    }
    *count = n;
    return n < 4 ? VK_INCOMPLETE : VK_SUCCESS;
}

static void test_extension_narrowing(void)
{
    ctx.vk.vkEnumerateDeviceExtensionProperties = fake_EnumerateDeviceExtensionProperties;
    uint32_t count = 0;
    vkw_encode_vkEnumerateDeviceExtensionProperties(&cmds, ++serial, PHYSICAL, NULL, &count, NULL);
    struct vkw_reply_header h;
    struct vkw_reader r;
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkEnumerateDeviceExtensionProperties(&r, PHYSICAL, NULL, &count,
                                                                 NULL) == VK_SUCCESS &&
           count == 2,
       "the host counts only the 2 forwarded extensions of the driver's 4");
    VkExtensionProperties props[2];
    count = 1;
    vkw_encode_vkEnumerateDeviceExtensionProperties(&cmds, ++serial, PHYSICAL, NULL, &count, props);
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkEnumerateDeviceExtensionProperties(&r, PHYSICAL, NULL, &count,
                                                                 props) == VK_INCOMPLETE &&
           count == 1 && strcmp(props[0].extensionName, "VK_KHR_maintenance4") == 0,
       "room for one: VK_INCOMPLETE with the first forwarded one");
    count = 2;
    vkw_encode_vkEnumerateDeviceExtensionProperties(&cmds, ++serial, PHYSICAL, NULL, &count, props);
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkEnumerateDeviceExtensionProperties(&r, PHYSICAL, NULL, &count,
                                                                 props) == VK_SUCCESS &&
           count == 2 && strcmp(props[1].extensionName, "VK_EXT_robustness2") == 0 &&
           props[1].specVersion == 4,
       "both, in the driver's order, with its spec versions; swapchain and win32 handles are not offered");
}

/* Vulkan lets non-dispatchable handles repeat; ids stay distinct. */
static void test_repeated_handle_values(void)
{
    fake.next_handle = 0xc000;
    encode_create_buffer(600, DEVICE, 16);
    fake.next_handle = 0xc000; /* the driver hands out the same value again */
    encode_create_buffer(601, DEVICE, 16);
    ok(run() == VKW_OK && table_has(600, VKW_HANDLE_VkBuffer) && table_has(601, VKW_HANDLE_VkBuffer),
       "two ids may name equal handle values");
    vkw_encode_vkDestroyBuffer(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkBuffer, 601), NULL);
    ok(run() == VKW_OK && table_has(600, VKW_HANDLE_VkBuffer) && !table_has(601, VKW_HANDLE_VkBuffer),
       "destroying one drops the id the guest named, not its twin");
}

/* Asynchronous submissions: no reply; a failure comes back from the next
 * wait, once, and the wait does not reach the driver then. */
static VkResult fake_submit_result;
static int fake_waits;

static VkResult fake_QueueSubmit(VkQueue q, uint32_t n, const VkSubmitInfo *s, VkFence f)
{
    (void)q, (void)n, (void)s, (void)f;
    return fake_submit_result;
}

static VkResult fake_QueueWaitIdle(VkQueue q)
{
    (void)q;
    fake_waits++;
    return VK_SUCCESS;
}

/* One vkQueueWaitIdle: its result, or 1 if the reply is missing. */
static int wait_idle_result(void)
{
    vkw_encode_vkQueueWaitIdle(&cmds, ++serial, (VkQueue)&queue_obj);
    struct vkw_reply_header h;
    struct vkw_reader r;
    if (run() != VKW_OK || !next_reply(&h, &r) || h.opcode != VKW_CMD_vkQueueWaitIdle)
        return 1;
    return vkw_read_i32(&r);
}

/* Only for SYNC_PAGE's check that the driver can watch work; never called
 * here (no queue gets a slot). */
static VkResult fake_fence_any(void) { return VK_SUCCESS; }

/* The flags word of the sync page the guest sees. */
static uint32_t page_flags(const volatile uint32_t *page)
{
    return page[VKW_SYNC_FLAGS_OFFSET / 4];
}

static void test_deferred_failures(void)
{
    ctx.vk.vkQueueSubmit = fake_QueueSubmit;
    ctx.vk.vkQueueWaitIdle = fake_QueueWaitIdle;
    fake_waits = 0;
    const VkSubmitInfo none = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO};
    struct vkw_reply_header h;
    struct vkw_reader r;

    /* A sync page, so that the guest learns of a kept failure without
     * asking (doc/PROTOCOL.md, "Sync status"). */
    int fd = memfd_create("sync", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, VKW_SYNC_PAGE_BYTES) != 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
        tm_bail_out("memfd");
    const volatile uint32_t *page =
        mmap(NULL, VKW_SYNC_PAGE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED)
        tm_bail_out("mmap");
    ctx.vk.vkWaitForFences = (PFN_vkWaitForFences)(void (*)(void))fake_fence_any;
    ctx.vk.vkCreateFence = (PFN_vkCreateFence)(void (*)(void))fake_fence_any;
    ctx.vk.vkGetFenceStatus = (PFN_vkGetFenceStatus)(void (*)(void))fake_fence_any;
    ctx.vk.vkResetFences = (PFN_vkResetFences)(void (*)(void))fake_fence_any;
    ctx.vk.vkDestroyFence = (PFN_vkDestroyFence)(void (*)(void))fake_fence_any;
    size_t at = vkw_begin_command(&cmds, VKW_MSG_SYNC_PAGE, VKW_COMMAND_FLAG_REPLY, ++serial);
    vkw_write_u32(&cmds, 0);
    vkw_end_message(&cmds, at);
    run_fds = &fd;
    run_nfds = 1;
    ok(run() == VKW_OK && next_reply(&h, &r) && vkw_read_i32(&r) == VK_SUCCESS,
       "SYNC_PAGE accepted");
    ctx.vk.vkWaitForFences = NULL;
    ctx.vk.vkCreateFence = NULL; /* the submissions below are not tracked */
    ctx.vk.vkGetFenceStatus = NULL;
    ctx.vk.vkResetFences = NULL;
    ctx.vk.vkDestroyFence = NULL;
    is_int(page_flags(page), 0, "the page says: nothing kept");

    fake_submit_result = VK_SUCCESS;
    vkw_encode_vkQueueSubmit(&cmds, ++serial, (VkQueue)&queue_obj, 1, &none, VK_NULL_HANDLE);
    ok(run() == VKW_OK && !next_reply(&h, &r), "vkQueueSubmit gets no reply");
    is_int(wait_idle_result(), VK_SUCCESS, "after a good submission the wait reports success");
    is_int(fake_waits, 1, "and reached the driver");

    fake_submit_result = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    vkw_encode_vkQueueSubmit(&cmds, ++serial, (VkQueue)&queue_obj, 1, &none, VK_NULL_HANDLE);
    ok(run() == VKW_OK && !next_reply(&h, &r), "a failed submission gets no reply either");
    is_int(page_flags(page), VKW_SYNC_FLAG_DEFERRED,
           "the page says a failure is kept: the guest's next wait must ask");
    fake_submit_result = VK_ERROR_DEVICE_LOST; /* a second failure is not the one told */
    vkw_encode_vkQueueSubmit(&cmds, ++serial, (VkQueue)&queue_obj, 1, &none, VK_NULL_HANDLE);
    ok(run() == VKW_OK && !next_reply(&h, &r), "nor a second one");
    is_int(wait_idle_result(), VK_ERROR_OUT_OF_DEVICE_MEMORY,
           "the next wait reports the first failed submission's result");
    is_int(fake_waits, 1, "without reaching the driver");
    is_int(page_flags(page), 0, "once reported, the page says nothing is kept");
    is_int(wait_idle_result(), VK_SUCCESS, "it is reported once");
    is_int(fake_waits, 2, "and the wait after it reaches the driver again");
    ctx.vk.vkQueueSubmit = NULL;
    ctx.vk.vkQueueWaitIdle = NULL;
    vkw_host_syncfb_free(&ctx);
    ok((page_flags(page) & VKW_SYNC_FLAG_STOPPED) != 0, "a page let go of says: ask the host");
    munmap((void *)page, VKW_SYNC_PAGE_BYTES);
    close(fd);
}

/* A created array reports which objects the driver made. */
static VkResult fake_CreateComputePipelines(VkDevice d, VkPipelineCache cache, uint32_t n,
                                            const VkComputePipelineCreateInfo *ci,
                                            const VkAllocationCallbacks *a, VkPipeline *out)
{
    (void)d, (void)cache, (void)ci, (void)a;
    for (uint32_t i = 0; i < n; i++)
        out[i] = i == 1 ? VK_NULL_HANDLE : VKW_U64_HANDLE(VkPipeline, fake.next_handle++);
    return VK_PIPELINE_COMPILE_REQUIRED;
}

static void test_partial_creation(void)
{
    ctx.vk.vkCreateComputePipelines = fake_CreateComputePipelines;
    /* vk.xml requires a shader module and a layout: ones the host knows */
    vkw_object_table_insert(&ctx.objects, 650, VKW_HANDLE_VkShaderModule, 0xd000, 3);
    vkw_object_table_insert(&ctx.objects, 651, VKW_HANDLE_VkPipelineLayout, 0xd001, 3);
    VkComputePipelineCreateInfo ci[3];
    for (int i = 0; i < 3; i++)
        ci[i] = (VkComputePipelineCreateInfo){
            .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
            .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                      .module = VKW_U64_HANDLE(VkShaderModule, 650),
                      .pName = "main"},
            .layout = VKW_U64_HANDLE(VkPipelineLayout, 651),
            .basePipelineIndex = -1};
    VkPipeline pipelines[3] = {VKW_U64_HANDLE(VkPipeline, 700), VKW_U64_HANDLE(VkPipeline, 701),
                               VKW_U64_HANDLE(VkPipeline, 702)};
    vkw_encode_vkCreateComputePipelines(&cmds, ++serial, DEVICE, VK_NULL_HANDLE, 3, ci, NULL,
                                        pipelines);
    struct vkw_reply_header h;
    struct vkw_reader r;
    ok(run() == VKW_OK && next_reply(&h, &r), "vkCreateComputePipelines answered");
    if (ctx.error)
        diag("context died: %s %llu", vkw_error_name(ctx.error), (unsigned long long)ctx.error_value);
    VkResult result = vkw_decode_reply_vkCreateComputePipelines(&r, DEVICE, VK_NULL_HANDLE, 3, ci,
                                                                NULL, pipelines);
    ok(result == VK_PIPELINE_COMPILE_REQUIRED && vkw_reader_ok(&r), "its result came back");
    ok(pipelines[0] == VKW_U64_HANDLE(VkPipeline, 700) && pipelines[1] == VK_NULL_HANDLE &&
           pipelines[2] == VKW_U64_HANDLE(VkPipeline, 702),
       "the pipeline the driver did not make is VK_NULL_HANDLE for the guest");
    ok(table_has(700, VKW_HANDLE_VkPipeline) && !table_has(701, VKW_HANDLE_VkPipeline) &&
           table_has(702, VKW_HANDLE_VkPipeline),
       "only made pipelines are bound");
}

/* vkCreateBuffer with opaque capture data: its count must be the length
 * the driver gives for the device, which a driver that does not know the
 * properties gives for none. */
static void encode_create_buffer_captured(uint64_t id, const void *data, uint64_t length)
{
    VkOpaqueCaptureDescriptorDataCreateInfoEXT capture = {
        .sType = VK_STRUCTURE_TYPE_OPAQUE_CAPTURE_DESCRIPTOR_DATA_CREATE_INFO_EXT,
        .opaqueCaptureDescriptorData = data};
    VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .pNext = &capture,
                             .size = 64,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, id);
    guest_device_length = length;
    vkw_encode_vkCreateBuffer(&cmds, ++serial, DEVICE, &ci, NULL, &buffer);
    guest_device_length = 0;
}

static void test_device_lengths(void)
{
    static const uint8_t data[12] = "capture-ab1";
    new_context(1000);
    bring_up();
    encode_create_buffer_captured(100, data, 0);
    expect_death(VKW_ERROR_BAD_POINTER, 0,
                 "capture data where the driver gives no length (no descriptor buffers)");

    new_context(1000);
    fake.descriptor_buffer = true;
    fake.capture_size = sizeof data;
    bring_up();
    encode_create_buffer_captured(100, data, sizeof data);
    ok(run() == VKW_OK && table_has(100, VKW_HANDLE_VkBuffer) &&
           memcmp(fake.last_capture, data, sizeof data) == 0,
       "capture data of the device's length reaches the driver whole");
    encode_create_buffer_captured(101, data, 8);
    expect_death(VKW_ERROR_BAD_COUNT, 8, "capture data shorter than the device's length");

    new_context(1000);
    fake.descriptor_buffer = true;
    fake.capture_size = sizeof data;
    bring_up();
    VkOpaqueCaptureDescriptorDataCreateInfoEXT capture = {
        .sType = VK_STRUCTURE_TYPE_OPAQUE_CAPTURE_DESCRIPTOR_DATA_CREATE_INFO_EXT};
    VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .pNext = &capture,
                             .size = 64,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VKW_U64_HANDLE(VkBuffer, 100);
    vkw_encode_vkCreateBuffer(&cmds, ++serial, DEVICE, &ci, NULL, &buffer);
    expect_death(VKW_ERROR_BAD_POINTER, 0, "capture data left out where the device has some");
}

static void test_errors(void)
{
    /* Each case needs a fresh context: the first error ends one. */
    new_context(1000);
    bring_up();
    vkw_encode_vkDestroyBuffer(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkBuffer, 100), NULL);
    expect_death(VKW_ERROR_BAD_HANDLE, 100, "an id that names nothing");

    new_context(1000);
    bring_up();
    encode_create_buffer(100, DEVICE, 64);
    vkw_encode_vkDestroyBuffer(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkBuffer, 100), NULL);
    vkw_encode_vkDestroyBuffer(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkBuffer, 100), NULL);
    expect_death(VKW_ERROR_BAD_HANDLE, 100, "use after destroy");

    new_context(1000);
    bring_up();
    encode_create_buffer(3, DEVICE, 64);
    const int creates = fake.creates;
    expect_death(VKW_ERROR_ID_IN_USE, 3, "a new object under an id in use");
    ok(fake.creates == creates, "the driver never saw it");

    new_context(1000);
    bring_up();
    {
        VkBuffer b = VKW_U64_HANDLE(VkBuffer, 100);
        vkw_encode_vkCreateBuffer(&cmds, ++serial, DEVICE, NULL, NULL, &b);
        expect_death(VKW_ERROR_BAD_POINTER, 0, "a required pointer left out");
    }

    new_context(1000);
    bring_up();
    {
        VkMemoryRequirements req;
        vkw_encode_vkGetBufferMemoryRequirements(&cmds, ++serial, DEVICE, VK_NULL_HANDLE, &req);
        expect_death(VKW_ERROR_BAD_HANDLE, 0, "VK_NULL_HANDLE where vk.xml requires a handle");
    }

    new_context(1000);
    bring_up();
    encode_create_buffer(0, DEVICE, 64);
    expect_death(VKW_ERROR_BAD_HANDLE, 0, "a new object under id 0");

    new_context(1000);
    bring_up();
    {
        VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        VkCommandPool pool = VKW_U64_HANDLE(VkCommandPool, 200);
        vkw_encode_vkCreateCommandPool(&cmds, ++serial, DEVICE, &pci, NULL, &pool);
        VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                          .commandPool = pool,
                                          .commandBufferCount = 2};
        struct vkw_dispatchable same[2] = {{0, 500}, {0, 500}};
        VkCommandBuffer cbs[2] = {(VkCommandBuffer)&same[0], (VkCommandBuffer)&same[1]};
        vkw_encode_vkAllocateCommandBuffers(&cmds, ++serial, DEVICE, &ai, cbs);
        expect_death(VKW_ERROR_ID_IN_USE, 500, "two new objects under one id");
    }

    new_context(1000);
    bring_up();
    encode_create_buffer(100, (VkDevice)&instance_obj, 64);
    expect_death(VKW_ERROR_BAD_HANDLE, 1, "an instance id where a device belongs");

    new_context(1000);
    bring_up();
    {
        VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                 .size = 64,
                                 .sharingMode = (VkSharingMode)77};
        VkBuffer b = VKW_U64_HANDLE(VkBuffer, 100);
        vkw_encode_vkCreateBuffer(&cmds, ++serial, DEVICE, &ci, NULL, &b);
        expect_death(VKW_ERROR_BAD_ENUM, 77, "an enum value outside the API");
    }

    new_context(1000);
    bring_up();
    {
        encode_create_buffer(100, DEVICE, 64);
        /* After the header: device id (2 words), presence (1 word), then the
         * chain's end marker, here replaced by an sType this chain forbids. */
        const uint32_t forbidden = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
        memcpy(cmds.data + VKW_HEADER_BYTES + 12, &forbidden, 4);
        expect_death(VKW_ERROR_BAD_STYPE, forbidden, "an sType the chain does not allow");
    }

    new_context(1000);
    bring_up();
    {
        /* Two queue family indices on the wire, but the struct's count says
         * three: the driver would read past the array. (Every array's check
         * comes from the one check_count macro in templates/macros/host.j2.) */
        const uint32_t families[2] = {0, 1};
        VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                 .size = 64,
                                 .sharingMode = VK_SHARING_MODE_CONCURRENT,
                                 .queueFamilyIndexCount = 2,
                                 .pQueueFamilyIndices = families};
        VkBuffer b = VKW_U64_HANDLE(VkBuffer, 100);
        vkw_encode_vkCreateBuffer(&cmds, ++serial, DEVICE, &ci, NULL, &b);
        /* device (8) presence (4) chain end (4) flags (4) size (8) usage (4)
         * sharingMode (4), then queueFamilyIndexCount. */
        const uint32_t lie = 3;
        memcpy(cmds.data + VKW_HEADER_BYTES + 36, &lie, 4);
        expect_death(VKW_ERROR_BAD_COUNT, 2, "an array count that disagrees with its len");
    }

    new_context(1000);
    bring_up();
    {
        size_t at = vkw_begin_command(&cmds, 9999, VKW_COMMAND_FLAG_REPLY, ++serial);
        vkw_end_message(&cmds, at);
        expect_death(VKW_ERROR_BAD_OPCODE, 9999, "an unknown opcode");
    }

    new_context(1000);
    bring_up();
    {
        encode_create_buffer(100, DEVICE, 64);
        vkw_write_u32(&cmds, 0); /* one word more than the decoder uses */
        uint32_t size = (uint32_t)(cmds.size - VKW_HEADER_BYTES);
        memcpy(cmds.data + 8, &size, 4);
        expect_death(VKW_ERROR_TRAILING_BYTES, 4, "bytes the command does not use");
    }

    new_context(1000);
    bring_up();
    {
        encode_create_buffer(100, DEVICE, 64);
        uint32_t size = (uint32_t)(cmds.size - VKW_HEADER_BYTES) + 400;
        memcpy(cmds.data + 8, &size, 4);
        expect_death(VKW_ERROR_BAD_SIZE, size, "a size past the end of the batch");
    }

    new_context(1000);
    bring_up();
    {
        encode_create_buffer(100, DEVICE, 64);
        uint32_t flags = 0x80;
        memcpy(cmds.data + 4, &flags, 4);
        expect_death(VKW_ERROR_BAD_FLAGS, 0x80, "unknown flag bits");
    }

    new_context(1000);
    bring_up();
    {
        encode_create_buffer(100, DEVICE, 64);
        cmds.size = 10; /* not even a header */
        serial = 0;     /* nothing to echo */
        expect_death(VKW_ERROR_TRUNCATED, 10, "half a header");
    }

    new_context(1000);
    bring_up();
    ctx.vk.vkCreateBuffer = NULL;
    encode_create_buffer(100, DEVICE, 64);
    expect_death(VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCreateBuffer, "a command the driver lacks");

    new_context(3);
    bring_up();
    encode_create_buffer(100, DEVICE, 64);
    expect_death(VKW_ERROR_LIMIT, VKW_LIMIT_OBJECTS, "the per-client object limit");
}

/* ---- tracked ranges (TRACK_MEMORY, UNTRACK_MEMORY, READ_CHANGED, SYNC_SHARED) ---- */

#define PAGE 4096u
#define TRACKED 303u
#define TRACKED_SIZE (5u * PAGE + 100u) /* five pages and a short one */

/* fresh_with_memory, plus memory 303 (TRACKED_SIZE bytes, host-visible),
 * and the fake mapping filled with a pattern. */
static void fresh_with_tracked_memory(void)
{
    fresh_with_memory();
    alloc_memory(TRACKED, TRACKED_SIZE, 0);
    run();
    for (size_t i = 0; i < sizeof(fake_memory); i++)
        fake_memory[i] = (char)(i * 13u + 5u);
}

/* The next reply: a TRACK_MEMORY's VkResult. */
static VkResult track_reply(void)
{
    struct vkw_reply_header h;
    struct vkw_reader r;
    if (!next_reply(&h, &r) || h.opcode != VKW_MSG_TRACK_MEMORY || h.status != VKW_OK)
        return VK_ERROR_UNKNOWN;
    VkResult result = (VkResult)vkw_read_i32(&r);
    return vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0 ? result : VK_ERROR_UNKNOWN;
}

/* READ_CHANGED of [offset, offset + size) alone in a batch: its runs. */
static int read_changed(uint64_t offset, uint64_t size, struct tm_run *runs, int max)
{
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, offset, size);
    struct vkw_reply_header h;
    struct vkw_reader r;
    if (run() != VKW_OK || !next_reply(&h, &r) || h.opcode != VKW_MSG_READ_CHANGED)
        return -1;
    return tm_changed_runs(&r, runs, max);
}

/* A run that names [offset, offset + count) and carries the mapping's bytes. */
static bool run_is(const struct tm_run *r, uint64_t offset, uint64_t count)
{
    return r->offset == offset && r->count == count &&
           memcmp(r->bytes, fake_memory + offset, count) == 0;
}

static void test_read_changed(void)
{
    struct tm_run runs[8];
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_COHERENT, 0);
    ok(run() == VKW_OK && track_reply() == VK_SUCCESS, "TRACK_MEMORY of a coherent range: VK_SUCCESS");
    const struct vkw_host_memory *rec = vkw_host_memory_find(&ctx.memory, TRACKED);
    ok(rec && rec->track && rec->track->mirror && !rec->track->shadow &&
           memcmp(rec->track->mirror, fake_memory, TRACKED_SIZE) == 0,
       "the host keeps a mirror of the range, equal to the mapping");
    is_int(read_changed(0, TRACKED_SIZE, runs, 8), 0, "nothing changed: READ_CHANGED has no run");

    fake_memory[PAGE + 7] ^= 1;     /* the device writes pages 1 and 2 ... */
    fake_memory[2 * PAGE + 99] ^= 1;
    fake_memory[5 * PAGE + 50] ^= 1; /* ... and the short last page */
    ok(read_changed(0, TRACKED_SIZE, runs, 8) == 2 && run_is(&runs[0], PAGE, 2 * PAGE) &&
           run_is(&runs[1], 5 * PAGE, 100),
       "changed pages come back as runs of whole pages, the short last page as its 100 bytes");
    is_int(read_changed(0, TRACKED_SIZE, runs, 8), 0, "once sent they are the guest's: no run");

    fake_memory[0] ^= 1;
    fake_memory[2 * PAGE] ^= 1;
    ok(read_changed(PAGE, 2 * PAGE, runs, 8) == 1 && run_is(&runs[0], 2 * PAGE, PAGE),
       "a READ_CHANGED of part of the range looks at that part only");
    ok(read_changed(0, TRACKED_SIZE, runs, 8) == 1 && run_is(&runs[0], 0, PAGE),
       "the change outside it is still there for the next one");

    static char bytes[700];
    memset(bytes, 0x42, sizeof(bytes));
    tm_write_memory(&cmds, ++serial, 0, TRACKED, 3 * PAGE - 200, bytes, sizeof(bytes));
    ok(run() == VKW_OK && memcmp(fake_memory + 3 * PAGE - 200, bytes, sizeof(bytes)) == 0,
       "WRITE_MEMORY into the range reaches the mapping");
    is_int(read_changed(0, TRACKED_SIZE, runs, 8), 0, "and the mirror: the guest wrote it, nothing comes back");

    fake_memory[4 * PAGE + 1] ^= 1;
    tm_read_memory(&cmds, ++serial, TRACKED, 4 * PAGE, 16);
    ok(run() == VKW_OK, "READ_MEMORY of bytes the device changed");
    is_int(read_changed(0, TRACKED_SIZE, runs, 8), 0,
           "the mirror took what READ_MEMORY sent: nothing comes back");

    fake_memory[PAGE] ^= 1;
    tm_read_changed(&cmds, ++serial, 0, TRACKED, 0, TRACKED_SIZE);
    ok(run() == VKW_OK && replies.size == 0, "READ_CHANGED without the REPLY flag says nothing");
    ok(read_changed(0, TRACKED_SIZE, runs, 8) == 1 && run_is(&runs[0], PAGE, PAGE),
       "and compared nothing: the change comes with the next");

    /* Reply pieces: only a batch's last command, and only big runs. */
    memset(fake_memory, 0x11, TRACKED_SIZE);
    ctx.gather = true;
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, TRACKED_SIZE);
    ok(run() == VKW_OK && ctx.piece_count == 1 && ctx.pieces[0].data == rec->track->mirror &&
           ctx.pieces[0].size == 5 * PAGE + 100 && ctx.pieces[0].at == replies.size,
       "gathering: the run's bytes are one piece pointing into the mirror, after the writer");
    {
        struct vkw_reply_header h;
        struct vkw_reader r;
        next_reply(&h, &r);
        ok(h.size == 8 + 16 + (5 * PAGE + 100) && replies.size == VKW_HEADER_BYTES + 8 + 16,
           "the reply's size counts the piece; the writer holds the rest");
    }
    memset(fake_memory, 0x22, TRACKED_SIZE);
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, TRACKED_SIZE);
    tm_read_memory(&cmds, ++serial, TRACKED, 0, 8);
    ok(run() == VKW_OK && ctx.piece_count == 0, "not the batch's last command: bytes copied");
    ctx.gather = false;

    tm_untrack_memory(&cmds, ++serial, TRACKED);
    tm_untrack_memory(&cmds, ++serial, TRACKED);
    ok(run() == VKW_OK && !rec->track, "UNTRACK_MEMORY ends it (twice is harmless)");
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE);
    expect_death(VKW_ERROR_UNSUPPORTED, TRACKED, "READ_CHANGED of memory no longer tracked");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 1000, 2 * PAGE, VKW_TRACK_COHERENT, 0);
    run();
    fake_memory[1000 + PAGE] ^= 1;
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 1000 + PAGE, PAGE);
    {
        struct vkw_reply_header h;
        struct vkw_reader r;
        ok(run() == VKW_OK && next_reply(&h, &r) && tm_changed_runs(&r, runs, 8) == 1 &&
               run_is(&runs[0], 1000 + PAGE, PAGE),
           "a range at offset 1000: its pages count from its start");
    }
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_COHERENT, 0);
    vkw_encode_vkFreeMemory(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkDeviceMemory, TRACKED), NULL);
    ok(run() == VKW_OK && !vkw_host_memory_find(&ctx.memory, TRACKED),
       "freeing tracked memory drops its range with its record");
}

static void test_track_errors(void)
{
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, 0x4, 0);
    expect_death(VKW_ERROR_BAD_FLAGS, 4, "TRACK_MEMORY with an unknown flag");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, VKW_TRACK_COHERENT, 3);
    expect_death(VKW_ERROR_BAD_FD, 3, "TRACK_MEMORY naming an fd without SHARED");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 64, 0, VKW_TRACK_COHERENT, 0);
    expect_death(VKW_ERROR_BAD_RANGE, 64, "TRACK_MEMORY of 0 bytes");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, PAGE, TRACKED_SIZE, VKW_TRACK_COHERENT, 0);
    expect_death(VKW_ERROR_BAD_RANGE, PAGE + TRACKED_SIZE, "TRACK_MEMORY past the allocation");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, 301, 0, 16, VKW_TRACK_COHERENT, 0);
    expect_death(VKW_ERROR_UNSUPPORTED, 301, "TRACK_MEMORY of memory that is not host-visible");
    ok(fake.maps == 0, "... which the driver was never asked to map");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, 3, 0, 16, VKW_TRACK_COHERENT, 0);
    expect_death(VKW_ERROR_BAD_HANDLE, 3, "TRACK_MEMORY naming a device");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, VKW_TRACK_COHERENT, 0);
    vkw_write_u32(&cmds, 0);
    {
        uint32_t size = (uint32_t)(cmds.size - VKW_HEADER_BYTES);
        memcpy(cmds.data + 8, &size, 4);
    }
    expect_death(VKW_ERROR_TRAILING_BYTES, 4, "TRACK_MEMORY with a word too many");

    fresh_with_tracked_memory();
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE);
    expect_death(VKW_ERROR_UNSUPPORTED, TRACKED, "READ_CHANGED of memory never tracked");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, 0, 0);
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE);
    expect_death(VKW_ERROR_UNSUPPORTED, TRACKED, "READ_CHANGED of a range without a mirror");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_COHERENT, 0);
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 100, PAGE);
    expect_death(VKW_ERROR_BAD_RANGE, 100 + PAGE, "READ_CHANGED that does not start on a page");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, PAGE, 2 * PAGE, VKW_TRACK_COHERENT, 0);
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE);
    expect_death(VKW_ERROR_BAD_RANGE, PAGE, "READ_CHANGED before the tracked range");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, 2 * PAGE, VKW_TRACK_COHERENT, 0);
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, PAGE, PAGE + 1);
    expect_death(VKW_ERROR_BAD_RANGE, 2 * PAGE + 1, "READ_CHANGED past the tracked range");

    fresh_with_tracked_memory();
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, 302, 0, (128u << 20) + 1);
    expect_death(VKW_ERROR_BAD_COUNT, (128u << 20) + 1, "READ_CHANGED of more than 128 MiB");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, VKW_TRACK_COHERENT, 0);
    tm_read_changed(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, UINT64_MAX - 2, 8);
    expect_death(VKW_ERROR_BAD_RANGE, UINT64_MAX, "READ_CHANGED whose end overflows");

    fresh_with_tracked_memory();
    tm_untrack_memory(&cmds, ++serial, 999);
    expect_death(VKW_ERROR_BAD_HANDLE, 999, "UNTRACK_MEMORY of an unknown id");

    fresh_with_tracked_memory();
    tm_sync_shared(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE, 9);
    expect_death(VKW_ERROR_BAD_ENUM, 9, "SYNC_SHARED with an unknown op");

    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_COHERENT, 0);
    tm_sync_shared(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE, VKW_SYNC_PULL_CHANGED);
    expect_death(VKW_ERROR_UNSUPPORTED, TRACKED, "SYNC_SHARED of a range without a shared shadow");
}

/* Run the batch; the bytes its one SYNC_SHARED reply says it moved (-1:
 * no such reply). */
static int64_t sync_moved(void)
{
    struct vkw_reply_header h;
    struct vkw_reader r;
    if (run() != VKW_OK || !next_reply(&h, &r) || h.opcode != VKW_MSG_SYNC_SHARED ||
        h.status != VKW_OK)
        return -1;
    const uint64_t moved = vkw_read_u64(&r);
    return vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0 ? (int64_t)moved : -1;
}

static void test_sync_shared(void)
{
    const int open_before = tm_open_fds();
    const int maps_before = memfd_mappings();
    fresh_with_tracked_memory();
    int fd = make_memfd(6 * PAGE, true);
    uint8_t *shadow = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shadow == MAP_FAILED)
        tm_bail_out("mmap");
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE,
                    VKW_TRACK_COHERENT | VKW_TRACK_SHARED, 0);
    run_fds = &fd;
    run_nfds = 1;
    ok(run() == VKW_OK && track_reply() == VK_SUCCESS && fd_closed(fd),
       "TRACK_MEMORY with a shared shadow: VK_SUCCESS, the fd closed");
    ok(memcmp(shadow, fake_memory, TRACKED_SIZE) == 0 && memfd_mappings() == maps_before + 2,
       "the host filled the shadow from the mapping and maps it");

    /* Sync and report the bytes moved. */
#define SYNC(op, offset, size)                                                                 \
    (tm_sync_shared(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, (offset), (size), (op)),  \
     sync_moved())

    shadow[PAGE + 3] ^= 0xff; /* the guest writes page 1 */
    is_int((int)SYNC(VKW_SYNC_PUSH_CHANGED, 0, TRACKED_SIZE), (int)PAGE,
           "PUSH_CHANGED moves the one page the guest changed");
    ok(memcmp(fake_memory + PAGE, shadow + PAGE, PAGE) == 0, "into the mapping");
    is_int((int)SYNC(VKW_SYNC_PUSH_CHANGED, 0, TRACKED_SIZE), 0, "again: nothing left to move");
    is_int((int)SYNC(VKW_SYNC_PULL_CHANGED, 0, TRACKED_SIZE), 0,
           "PULL_CHANGED with the mapping untouched moves nothing");

    fake_memory[3 * PAGE + 9] ^= 0xff;  /* the device writes page 3 ... */
    fake_memory[PAGE + 100] ^= 0xff;    /* ... and page 1 ... */
    shadow[PAGE + 200] ^= 0xff;         /* ... which the guest writes too */
    fake_memory[5 * PAGE + 99] ^= 0xff; /* ... and the last byte */
    uint8_t guest_page[PAGE];
    memcpy(guest_page, shadow + PAGE, PAGE);
    is_int((int)SYNC(VKW_SYNC_PULL_CHANGED, 0, TRACKED_SIZE), (int)(PAGE + 100),
           "PULL_CHANGED moves the device's pages the guest left alone");
    ok(memcmp(shadow + 3 * PAGE, fake_memory + 3 * PAGE, PAGE) == 0 &&
           shadow[5 * PAGE + 99] == (uint8_t)fake_memory[5 * PAGE + 99],
       "the shadow has the device's bytes there");
    ok(memcmp(shadow + PAGE, guest_page, PAGE) == 0,
       "a page both changed keeps the guest's bytes (documented rule)");
    is_int((int)SYNC(VKW_SYNC_PUSH_CHANGED, 0, TRACKED_SIZE), (int)PAGE,
           "the next PUSH_CHANGED sends the guest's page");
    ok(memcmp(fake_memory + PAGE, guest_page, PAGE) == 0, "whole: the guest's page won");

    memset(shadow + 10, 0x77, 50);
    is_int((int)SYNC(VKW_SYNC_FLUSH, 10, 50), 50, "FLUSH of 50 bytes at 10 (no page needed)");
    ok(memcmp(fake_memory + 10, shadow + 10, 50) == 0, "reach the mapping");
    is_int((int)SYNC(VKW_SYNC_PUSH_CHANGED, 0, TRACKED_SIZE), 0, "and the mirror: no push after");
    memset(fake_memory + 4 * PAGE + 1, 0x66, 30);
    is_int((int)SYNC(VKW_SYNC_INVALIDATE, 4 * PAGE + 1, 30), 30, "INVALIDATE of 30 bytes");
    ok(memcmp(shadow + 4 * PAGE + 1, fake_memory + 4 * PAGE + 1, 30) == 0, "reach the shadow");
    is_int((int)SYNC(VKW_SYNC_PULL_CHANGED, 0, TRACKED_SIZE), 0, "and the mirror: no pull after");

    tm_sync_shared(&cmds, ++serial, 0, TRACKED, 0, PAGE, VKW_SYNC_FLUSH);
    ok(run() == VKW_OK && replies.size == 0, "SYNC_SHARED without the REPLY flag: no reply");

    tm_sync_shared(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 1, PAGE, VKW_SYNC_PUSH_CHANGED);
    expect_death(VKW_ERROR_BAD_RANGE, PAGE + 1, "PUSH_CHANGED that does not start on a page");
    munmap(shadow, 6 * PAGE);

    /* UNWRITTEN: the guest says the device never writes the range. */
    fresh_with_tracked_memory();
    fd = make_memfd(6 * PAGE, true);
    shadow = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shadow == MAP_FAILED)
        tm_bail_out("mmap");
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE,
                    VKW_TRACK_COHERENT | VKW_TRACK_SHARED | VKW_TRACK_UNWRITTEN, 0);
    run_fds = &fd;
    run_nfds = 1;
    ok(run() == VKW_OK && track_reply() == VK_SUCCESS,
       "TRACK_MEMORY of a range the device does not write (UNWRITTEN)");
    const struct vkw_host_memory *unwritten = vkw_host_memory_find(&ctx.memory, TRACKED);
    ok(unwritten && unwritten->track && unwritten->track->coherent && !unwritten->track->mirror &&
           memcmp(shadow, fake_memory, TRACKED_SIZE) == 0,
       "no mirror is kept; the shadow is filled");
    shadow[2 * PAGE] ^= 0xff;
    is_int((int)SYNC(VKW_SYNC_PUSH_CHANGED, 0, TRACKED_SIZE), (int)PAGE,
           "PUSH_CHANGED compares the shadow with the mapping: the page the guest wrote");
    ok(memcmp(fake_memory + 2 * PAGE, shadow + 2 * PAGE, PAGE) == 0, "reaches the mapping");
    fake_memory[4 * PAGE] ^= 0xff; /* the device breaks the guest's word */
    is_int((int)SYNC(VKW_SYNC_PUSH_CHANGED, 0, TRACKED_SIZE), (int)PAGE,
           "a page changed in the mapping anyway is pushed over from the shadow");
    ok(memcmp(fake_memory + 4 * PAGE, shadow + 4 * PAGE, PAGE) == 0,
       "(the mapping is the mirror: the guest's word is taken)");
    tm_sync_shared(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE, VKW_SYNC_PULL_CHANGED);
    expect_death(VKW_ERROR_UNSUPPORTED, TRACKED, "PULL_CHANGED of an UNWRITTEN range");
    munmap(shadow, 6 * PAGE);
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, VKW_TRACK_COHERENT | VKW_TRACK_UNWRITTEN, 0);
    expect_death(VKW_ERROR_BAD_FLAGS, 5, "UNWRITTEN without SHARED");
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, VKW_TRACK_SHARED | VKW_TRACK_UNWRITTEN, 0);
    expect_death(VKW_ERROR_BAD_FLAGS, 6, "UNWRITTEN without COHERENT");

    /* A non-coherent shared range: flush and invalidate only. */
    fresh_with_tracked_memory();
    fd = make_memfd(6 * PAGE, true);
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_SHARED, 0);
    run_fds = &fd;
    run_nfds = 1;
    ok(run() == VKW_OK && track_reply() == VK_SUCCESS, "a shared range without COHERENT");
    const struct vkw_host_memory *rec = vkw_host_memory_find(&ctx.memory, TRACKED);
    ok(rec && rec->track && rec->track->shadow && !rec->track->mirror, "has no mirror");
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, VKW_TRACK_COHERENT, 0);
    ok(run() == VKW_OK && track_reply() == VK_SUCCESS && rec->track && !rec->track->shadow &&
           memfd_mappings() == maps_before,
       "a new TRACK_MEMORY replaces the range: the shadow is unmapped");
    tm_sync_shared(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE, VKW_SYNC_FLUSH);
    expect_death(VKW_ERROR_UNSUPPORTED, TRACKED, "SYNC_SHARED once the range is not shared");

    fresh_with_tracked_memory();
    fd = make_memfd(6 * PAGE, true);
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_SHARED, 0);
    tm_sync_shared(&cmds, ++serial, VKW_COMMAND_FLAG_REPLY, TRACKED, 0, PAGE, VKW_SYNC_PUSH_CHANGED);
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_UNSUPPORTED, TRACKED, "PUSH_CHANGED of a shared range without COHERENT");

    /* Fds that will not do: refused, and closed all the same. */
    fd = make_memfd(6 * PAGE, false);
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_SHARED, 0);
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_BAD_FD, 0, "a shadow memfd not sealed against shrinking");
    ok(fd_closed(fd), "... closed");
    fd = make_memfd(5 * PAGE, true);
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_SHARED, 0);
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_BAD_FD, 0, "a shadow memfd shorter than the range's whole pages");
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        tm_bail_out("pipe");
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, VKW_TRACK_SHARED, 0);
    run_fds = &pipe_fds[0];
    run_nfds = 1;
    expect_death(VKW_ERROR_BAD_FD, 0, "a shadow that is a pipe");
    close(pipe_fds[1]);
    fd = make_memfd(6 * PAGE, true);
    fresh_with_tracked_memory();
    tm_track_memory(&cmds, ++serial, TRACKED, 0, PAGE, VKW_TRACK_SHARED, 1);
    run_fds = &fd;
    run_nfds = 1;
    expect_death(VKW_ERROR_BAD_FD, 1, "fd index 1 of a batch that carried 1");
    ok(fd_closed(fd) && fd_closed(pipe_fds[0]), "every fd given was closed");

    fresh_with_tracked_memory();
    fd = make_memfd(6 * PAGE, true);
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE,
                    VKW_TRACK_COHERENT | VKW_TRACK_SHARED, 0);
    run_fds = &fd;
    run_nfds = 1;
    run();
    vkw_encode_vkFreeMemory(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkDeviceMemory, TRACKED), NULL);
    ok(run() == VKW_OK && memfd_mappings() == maps_before,
       "freeing the memory unmaps its shared shadow");
    fresh_with_tracked_memory();
    fd = make_memfd(6 * PAGE, true);
    tm_track_memory(&cmds, ++serial, TRACKED, 0, TRACKED_SIZE, VKW_TRACK_SHARED, 0);
    run_fds = &fd;
    run_nfds = 1;
    run();
    vkw_host_context_destroy_objects(&ctx);
    ok(memfd_mappings() == maps_before, "so does teardown");
    is_int(tm_open_fds(), open_before, "no descriptor left open");
#undef SYNC
}

/* ---- host image copy (PROTOCOL 19) with a fake driver ---- */

static struct {
    uint8_t got[512];        /* what vkCopyMemoryToImage read */
    size_t got_size;         /* how much it read: the region as the driver sees it */
    uint32_t row_length;     /* the region's memoryRowLength as the driver got it */
    size_t write_size;       /* vkCopyImageToMemory writes this many bytes of 0x40, 0x41.. */
    bool room_clean;         /* and found them all zero first: room the host cleared, not
                              * what an earlier command left in the arena */
    VkResult copy_result;
    VkDeviceSize memcpy_size; /* VkSubresourceHostMemcpySize's answer */
    int layout_queries;
} hic;

static VkResult fake_CreateImage(VkDevice d, const VkImageCreateInfo *ci,
                                 const VkAllocationCallbacks *a, VkImage *out)
{
    (void)d, (void)ci, (void)a;
    fake.creates++;
    *out = VKW_U64_HANDLE(VkImage, fake.next_handle++);
    return VK_SUCCESS;
}

static void fake_DestroyImage(VkDevice d, VkImage image, const VkAllocationCallbacks *a)
{
    (void)d, (void)a;
    fake.destroys++;
    fake.last_destroyed = VKW_HANDLE_U64(image);
}

static VkResult fake_CopyMemoryToImage(VkDevice d, const VkCopyMemoryToImageInfo *info)
{
    (void)d;
    const VkMemoryToImageCopy *r = &info->pRegions[0];
    hic.row_length = r->memoryRowLength;
    memcpy(hic.got, r->pHostPointer, hic.got_size); /* ASan: past the room, it reports */
    return hic.copy_result;
}

static VkResult fake_CopyImageToMemory(VkDevice d, const VkCopyImageToMemoryInfo *info)
{
    (void)d;
    uint8_t *room = info->pRegions[0].pHostPointer;
    hic.room_clean = true;
    for (size_t i = 0; i < hic.write_size; i++) {
        hic.room_clean = hic.room_clean && room[i] == 0;
        room[i] = (uint8_t)(0x40 + i);
    }
    return hic.copy_result;
}

static void fake_GetImageSubresourceLayout2(VkDevice d, VkImage image,
                                            const VkImageSubresource2 *sub, VkSubresourceLayout2 *l)
{
    (void)d, (void)image, (void)sub;
    hic.layout_queries++;
    VkSubresourceHostMemcpySize *size = (VkSubresourceHostMemcpySize *)vkw_chain_find(
        l->pNext, VK_STRUCTURE_TYPE_SUBRESOURCE_HOST_MEMCPY_SIZE);
    if (size)
        size->size = hic.memcpy_size;
}

static void hic_create(uint64_t id, VkFormat format, uint32_t w, uint32_t h, uint32_t layers)
{
    VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                            .imageType = VK_IMAGE_TYPE_2D,
                            .format = format,
                            .extent = {w, h, 1},
                            .mipLevels = 1,
                            .arrayLayers = layers,
                            .samples = VK_SAMPLE_COUNT_1_BIT,
                            .usage = VK_IMAGE_USAGE_HOST_TRANSFER_BIT};
    VkImage image = VKW_U64_HANDLE(VkImage, id);
    vkw_encode_vkCreateImage(&cmds, ++serial, DEVICE, &ci, NULL, &image);
    struct vkw_guest_image *rec = vkw_guest_image_make(DEVICE, &ci, NULL);
    if (rec)
        vkw_guest_image_add(rec, image);
}

/* The reply of the one vkCopyImageToMemory just run, into `info`'s memory. */
static VkResult hic_reply(const VkCopyImageToMemoryInfo *info, bool *decoded)
{
    struct vkw_reply_header h;
    struct vkw_reader r;
    *decoded = false;
    if (!next_reply(&h, &r) || h.status != VKW_OK)
        return VK_ERROR_UNKNOWN;
    const VkResult result = vkw_decode_reply_vkCopyImageToMemory(&r, DEVICE, info);
    *decoded = vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0;
    return result;
}

static void test_host_image_copy(void)
{
    new_context(1000);
    ctx.vk.vkCreateImage = fake_CreateImage;
    ctx.vk.vkDestroyImage = fake_DestroyImage;
    ctx.vk.vkCopyMemoryToImage = fake_CopyMemoryToImage;
    ctx.vk.vkCopyImageToMemory = fake_CopyImageToMemory;
    ctx.vk.vkGetImageSubresourceLayout2 = fake_GetImageSubresourceLayout2;
    memset(&hic, 0, sizeof(hic));
    bring_up();
    hic_create(0x800, VK_FORMAT_R8G8B8A8_UNORM, 8, 4, 2);
    hic_create(0x801, VK_FORMAT_D24_UNORM_S8_UINT, 4, 4, 1);
    ok(run() == VKW_OK && vkw_idmap_find(&ctx.images.records, 0x800) &&
           vkw_idmap_find(&ctx.images.records, 0x801),
       "host image copy: the host recorded both images");

    /* To the image: 3x2 texels of 2 layers from rows 5 texels apart; the
     * driver gets them tightly packed, row length 0. */
    uint8_t app[5 * 4 * 2 * 4];
    for (size_t i = 0; i < sizeof(app); i++)
        app[i] = (uint8_t)i;
    VkMemoryToImageCopy up = {.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY,
                              .pHostPointer = app,
                              .memoryRowLength = 5,
                              .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2},
                              .imageOffset = {1, 1, 0},
                              .imageExtent = {3, 2, 1}};
    VkCopyMemoryToImageInfo to_image = {.sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_IMAGE_INFO,
                                        .dstImage = VKW_U64_HANDLE(VkImage, 0x800),
                                        .dstImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                        .regionCount = 1,
                                        .pRegions = &up};
    hic.got_size = 3 * 4 * 2 * 2;
    vkw_encode_vkCopyMemoryToImage(&cmds, ++serial, DEVICE, &to_image);
    bool packed = run() == VKW_OK && hic.row_length == 0;
    for (uint32_t l = 0; l < 2; l++)
        for (uint32_t y = 0; y < 2; y++)
            packed = packed && memcmp(&hic.got[(l * 2 + y) * 12], &app[(l * 2 + y) * 20], 12) == 0;
    ok(packed, "host image copy: the driver read the rows, packed, none of what lay between");

    /* From the image into rows 4 texels apart: the gaps keep their 0x77. */
    uint8_t out[4 * 4 * 2];
    memset(out, 0x77, sizeof(out));
    VkImageToMemoryCopy down = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY,
                                .pHostPointer = out,
                                .memoryRowLength = 4,
                                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 1},
                                .imageExtent = {3, 2, 1}};
    VkCopyImageToMemoryInfo to_memory = {.sType = VK_STRUCTURE_TYPE_COPY_IMAGE_TO_MEMORY_INFO,
                                         .srcImage = VKW_U64_HANDLE(VkImage, 0x800),
                                         .srcImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                         .regionCount = 1,
                                         .pRegions = &down};
    hic.write_size = 3 * 2 * 4;
    vkw_encode_vkCopyImageToMemory(&cmds, ++serial, DEVICE, &to_memory);
    bool decoded;
    ok(run() == VKW_OK && hic_reply(&to_memory, &decoded) == VK_SUCCESS && decoded,
       "host image copy: the reply decodes");
    bool placed = true;
    for (uint32_t y = 0; y < 2; y++)
        for (uint32_t x = 0; x < 16; x++)
            placed = placed && out[y * 16 + x] == (x < 12 ? (uint8_t)(0x40 + y * 12 + x) : 0x77);
    ok(placed, "host image copy: each row at its place, the bytes between kept");

    /* A failing driver: count 0, the application's memory untouched. */
    memset(out, 0x77, sizeof(out));
    hic.copy_result = VK_ERROR_MEMORY_MAP_FAILED;
    vkw_encode_vkCopyImageToMemory(&cmds, ++serial, DEVICE, &to_memory);
    ok(run() == VKW_OK && hic_reply(&to_memory, &decoded) == VK_ERROR_MEMORY_MAP_FAILED &&
           decoded && out[0] == 0x77 && out[sizeof(out) - 1] == 0x77,
       "host image copy: a driver failure comes back, and no bytes with it");
    hic.copy_result = VK_SUCCESS;

    /* Stencil of D24S8: 1 byte a texel on the wire, but the driver may move
     * whole 4-byte texels (as lavapipe does from the image): it gets room
     * for them, and zeros after the guest's bytes. */
    uint8_t stencil[16];
    for (size_t i = 0; i < sizeof(stencil); i++)
        stencil[i] = (uint8_t)(0x90 + i);
    VkMemoryToImageCopy s_up = {.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY,
                                .pHostPointer = stencil,
                                .imageSubresource = {VK_IMAGE_ASPECT_STENCIL_BIT, 0, 0, 1},
                                .imageExtent = {4, 4, 1}};
    to_image.dstImage = VKW_U64_HANDLE(VkImage, 0x801);
    to_image.pRegions = &s_up;
    hic.got_size = 64;
    vkw_encode_vkCopyMemoryToImage(&cmds, ++serial, DEVICE, &to_image);
    static const uint8_t zeros[48];
    ok(run() == VKW_OK && memcmp(hic.got, stencil, 16) == 0 && memcmp(hic.got + 16, zeros, 48) == 0,
       "host image copy: a stencil copy's bytes, then zeros up to whole texels");
    uint8_t s_out[16];
    VkImageToMemoryCopy s_down = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY,
                                  .pHostPointer = s_out,
                                  .imageSubresource = {VK_IMAGE_ASPECT_STENCIL_BIT, 0, 0, 1},
                                  .imageExtent = {4, 4, 1}};
    to_memory.srcImage = VKW_U64_HANDLE(VkImage, 0x801);
    to_memory.pRegions = &s_down;
    hic.write_size = 64;
    vkw_encode_vkCopyImageToMemory(&cmds, ++serial, DEVICE, &to_memory);
    ok(run() == VKW_OK && hic_reply(&to_memory, &decoded) == VK_SUCCESS && decoded &&
           hic.room_clean && s_out[0] == 0x40 && s_out[15] == 0x4f,
       "host image copy: a driver writing whole texels for the stencil stays in its room");

    /* MEMCPY: the size is the driver's, asked by the host too. */
    hic.memcpy_size = 100;
    vkw_guest_image_note_memcpy_size(VKW_U64_HANDLE(VkImage, 0x800), VK_IMAGE_ASPECT_COLOR_BIT, 0,
                                     0, 100);
    uint8_t opaque[200];
    memset(opaque, 0, sizeof(opaque));
    VkImageToMemoryCopy m_down = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY,
                                  .pHostPointer = opaque,
                                  .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2},
                                  .imageExtent = {8, 4, 1}};
    to_memory.flags = VK_HOST_IMAGE_COPY_MEMCPY;
    to_memory.srcImage = VKW_U64_HANDLE(VkImage, 0x800);
    to_memory.pRegions = &m_down;
    hic.write_size = 200;
    vkw_encode_vkCopyImageToMemory(&cmds, ++serial, DEVICE, &to_memory);
    ok(run() == VKW_OK && hic_reply(&to_memory, &decoded) == VK_SUCCESS && decoded &&
           hic.layout_queries == 1 && opaque[0] == 0x40 && opaque[199] == (uint8_t)(0x40 + 199),
       "host image copy: MEMCPY moves the driver's size per layer, 2 layers");

    /* The records go with the ids. */
    vkw_encode_vkDestroyImage(&cmds, ++serial, DEVICE, VKW_U64_HANDLE(VkImage, 0x800), NULL);
    ok(run() == VKW_OK && !vkw_idmap_find(&ctx.images.records, 0x800) &&
           vkw_idmap_find(&ctx.images.records, 0x801),
       "host image copy: a destroyed image's record is gone");
    vkw_host_context_destroy_objects(&ctx);
    ok(ctx.images.records.count == 0, "host image copy: teardown drops every record");
    vkw_guest_image_forget(VKW_U64_HANDLE(VkImage, 0x800));
    vkw_guest_image_forget(VKW_U64_HANDLE(VkImage, 0x801));
}

/* ---- host acceleration-structure commands (doc/PROTOCOL.md 22) ----
 *
 * The fake driver knows the application's data below and reads every byte
 * a build reads through the host addresses the host rebuilt: the bytes must
 * be the application's (and under ASan, a copy too short is a crash), the
 * instance references host handles, the scratch as large as the sizes it
 * gave.  A deferred build reads its data only when joined. */

#define AS_BLAS 900u
#define AS_TLAS 901u
#define AS_OTHER 902u
#define AS_HOST(id) (0xa000u + (id))
#define DEFERRED_OP 910u
#define SCRATCH_BYTES 4099u

static struct {
    bool host_commands;
    int builds, joins, sizes_asked;
    uint32_t counts_seen[4];
    const VkAccelerationStructureBuildGeometryInfoKHR *pending; /* a deferred build's */
    uint32_t pending_count;
    bool joined;
    char problem[200];
} accel;

static void accel_problem(const char *what)
{
    if (!accel.problem[0])
        snprintf(accel.problem, sizeof(accel.problem), "%s", what);
}

/* The application's data. */
static float app_vertices[6][4];           /* stride 16, xyz read */
static uint16_t app_indices[2 + 6];        /* primitiveOffset 4 */
static uint8_t app_transform[16 + 48];     /* transformOffset 16 */
static uint8_t app_aabbs[8 + 32 + 24];     /* primitiveOffset 8, stride 32, 2 boxes */
static uint8_t app_plain[12 + 12 + 24 + 8]; /* R32G32, stride 12, firstVertex 1, offset 12 */
static uint8_t app_instances[64 + 2 * 64];  /* primitiveOffset 64 */
static uint8_t app_instance_bytes[2][64];   /* what the pointers point at */
static const void *app_pointers[8 + 2];     /* primitiveOffset 64: 8 pointers in */

static void fill_app_data(void)
{
    uint8_t *all[] = {(uint8_t *)app_vertices, app_transform, app_aabbs, app_plain,
                      app_instances, app_instance_bytes[0], app_instance_bytes[1]};
    const size_t sizes[] = {sizeof(app_vertices), sizeof(app_transform), sizeof(app_aabbs),
                            sizeof(app_plain), sizeof(app_instances), 64, 64};
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
        for (size_t i = 0; i < sizes[k]; i++)
            all[k][i] = (uint8_t)(i * 7 + k * 31 + 1);
    static const uint16_t order[6] = {5, 0, 3, 1, 4, 2};
    memcpy(app_indices + 2, order, sizeof(order));
    for (int m = 0; m < 2; m++) {
        const uint64_t ref = m ? AS_OTHER : AS_BLAS; /* the guest's handles are its ids */
        memcpy(app_instances + 64 + 64 * m + VKW_ACCEL_INSTANCE_REFERENCE, &ref, 8);
        memcpy(app_instance_bytes[m] + VKW_ACCEL_INSTANCE_REFERENCE, &ref, 8);
        app_pointers[8 + m] = app_instance_bytes[m];
    }
}

/* A BLAS of indexed triangles with a transform, boxes, and plain triangles. */
static VkAccelerationStructureGeometryKHR blas_geometries[3];
static const VkAccelerationStructureBuildRangeInfoKHR blas_ranges[3] = {
    {2, 4, 0, 16}, {2, 8, 0, 0}, {1, 12, 1, 0}};
static VkAccelerationStructureGeometryKHR tlas_geometry;
static const VkAccelerationStructureBuildRangeInfoKHR tlas_range = {2, 64, 0, 0};

static void make_geometries(bool pointers)
{
    blas_geometries[0] = (VkAccelerationStructureGeometryKHR){
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR,
        .geometryType = VK_GEOMETRY_TYPE_TRIANGLES_KHR,
        .geometry.triangles = {
            .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_TRIANGLES_DATA_KHR,
            .vertexFormat = VK_FORMAT_R32G32B32_SFLOAT,
            .vertexData.hostAddress = app_vertices,
            .vertexStride = 16,
            .maxVertex = 5,
            .indexType = VK_INDEX_TYPE_UINT16,
            .indexData.hostAddress = app_indices,
            .transformData.hostAddress = app_transform}};
    blas_geometries[1] = (VkAccelerationStructureGeometryKHR){
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR,
        .geometryType = VK_GEOMETRY_TYPE_AABBS_KHR,
        .geometry.aabbs = {.sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_AABBS_DATA_KHR,
                           .data.hostAddress = app_aabbs,
                           .stride = 32}};
    blas_geometries[2] = (VkAccelerationStructureGeometryKHR){
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR,
        .geometryType = VK_GEOMETRY_TYPE_TRIANGLES_KHR,
        .geometry.triangles = {
            .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_TRIANGLES_DATA_KHR,
            .vertexFormat = VK_FORMAT_R32G32_SFLOAT,
            .vertexData.hostAddress = app_plain,
            .vertexStride = 12,
            .maxVertex = 3,
            .indexType = VK_INDEX_TYPE_NONE_KHR,
            .indexData.deviceAddress = 0xdead0}}; /* ignored: never read */
    tlas_geometry = (VkAccelerationStructureGeometryKHR){
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR,
        .geometryType = VK_GEOMETRY_TYPE_INSTANCES_KHR,
        .geometry.instances = {
            .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_INSTANCES_DATA_KHR,
            .arrayOfPointers = pointers,
            .data.hostAddress = pointers ? (const void *)app_pointers : (const void *)app_instances}};
}

/* What the driver reads, checked against the application's data. */
static void read_blas(const VkAccelerationStructureBuildGeometryInfoKHR *info,
                      const VkAccelerationStructureBuildRangeInfoKHR *ranges)
{
    if (info->geometryCount != 3 || memcmp(ranges, blas_ranges, sizeof(blas_ranges)) != 0) {
        accel_problem("BLAS: geometry count or ranges");
        return;
    }
    const VkAccelerationStructureGeometryTrianglesDataKHR *t =
        &vkw_accel_geometry(info, 0)->geometry.triangles;
    const uint8_t *indices = (const uint8_t *)t->indexData.hostAddress + ranges[0].primitiveOffset;
    for (int p = 0; p < 6; p++) {
        uint16_t index;
        memcpy(&index, indices + 2 * p, 2);
        if (index != app_indices[2 + p])
            accel_problem("BLAS: an index");
        else if (memcmp((const uint8_t *)t->vertexData.hostAddress + index * 16u,
                        app_vertices[index], 12) != 0)
            accel_problem("BLAS: a vertex fetched by index");
    }
    if (memcmp((const uint8_t *)t->transformData.hostAddress + 16, app_transform + 16, 48) != 0)
        accel_problem("BLAS: the transform");
    const VkAccelerationStructureGeometryAabbsDataKHR *b = &vkw_accel_geometry(info, 1)->geometry.aabbs;
    for (int m = 0; m < 2; m++)
        if (memcmp((const uint8_t *)b->data.hostAddress + 8 + 32 * m, app_aabbs + 8 + 32 * m, 24))
            accel_problem("BLAS: a box");
    const VkAccelerationStructureGeometryTrianglesDataKHR *u =
        &vkw_accel_geometry(info, 2)->geometry.triangles;
    for (int k = 0; k < 3; k++) {
        const size_t at = 12 + 12 * (1 + (size_t)k);
        if (memcmp((const uint8_t *)u->vertexData.hostAddress + at, app_plain + at, 8) != 0)
            accel_problem("BLAS: a vertex of plain triangles");
    }
    if (u->indexData.hostAddress != NULL)
        accel_problem("BLAS: an index address without indices");
}

static void read_tlas(const VkAccelerationStructureBuildGeometryInfoKHR *info,
                      const VkAccelerationStructureBuildRangeInfoKHR *ranges)
{
    const VkAccelerationStructureGeometryInstancesDataKHR *in =
        &vkw_accel_geometry(info, 0)->geometry.instances;
    if (info->geometryCount != 1 || ranges[0].primitiveCount != 2) {
        accel_problem("TLAS: geometry count or range");
        return;
    }
    for (int m = 0; m < 2; m++) {
        const uint8_t *got =
            in->arrayOfPointers
                ? ((const uint8_t *const *)((const uint8_t *)in->data.hostAddress + 64))[m]
                : (const uint8_t *)in->data.hostAddress + 64 + 64 * m;
        const uint8_t *want = in->arrayOfPointers ? app_instance_bytes[m] : app_instances + 64 + 64 * m;
        uint64_t ref;
        memcpy(&ref, got + VKW_ACCEL_INSTANCE_REFERENCE, 8);
        if (memcmp(got, want, VKW_ACCEL_INSTANCE_REFERENCE) != 0)
            accel_problem("TLAS: an instance");
        if (ref != AS_HOST(m ? AS_OTHER : AS_BLAS))
            accel_problem("TLAS: a reference is not the host's handle");
    }
}

static void read_builds(uint32_t n, const VkAccelerationStructureBuildGeometryInfoKHR *infos,
                        const VkAccelerationStructureBuildRangeInfoKHR *const *ranges)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!infos[i].scratchData.hostAddress)
            accel_problem("no scratch");
        else
            memset(infos[i].scratchData.hostAddress, 0x5a, SCRATCH_BYTES); /* ASan: long enough */
        if (infos[i].type == VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR)
            read_blas(&infos[i], ranges[i]);
        else
            read_tlas(&infos[i], ranges[i]);
    }
}

static void fake_GetPhysicalDeviceFeatures2(VkPhysicalDevice pd, VkPhysicalDeviceFeatures2 *f)
{
    (void)pd;
    VkPhysicalDeviceAccelerationStructureFeaturesKHR *as = (void *)vkw_chain_find(
        f->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR);
    if (as)
        as->accelerationStructureHostCommands = accel.host_commands;
}

static void fake_GetAccelerationStructureBuildSizes(
    VkDevice d, VkAccelerationStructureBuildTypeKHR type,
    const VkAccelerationStructureBuildGeometryInfoKHR *info, const uint32_t *counts,
    VkAccelerationStructureBuildSizesInfoKHR *sizes)
{
    (void)d;
    if (type != VK_ACCELERATION_STRUCTURE_BUILD_TYPE_HOST_KHR)
        accel_problem("sizes asked for a device build");
    for (uint32_t j = 0; j < info->geometryCount && accel.sizes_asked < 4; j++)
        accel.counts_seen[accel.sizes_asked] += counts[j]; /* the primitives, added up */
    accel.sizes_asked++;
    sizes->accelerationStructureSize = 1 << 16;
    sizes->buildScratchSize = SCRATCH_BYTES;
    sizes->updateScratchSize = 16;
}

static const VkAccelerationStructureBuildRangeInfoKHR *const *deferred_ranges;

static VkResult fake_BuildAccelerationStructures(
    VkDevice d, VkDeferredOperationKHR op, uint32_t n,
    const VkAccelerationStructureBuildGeometryInfoKHR *infos,
    const VkAccelerationStructureBuildRangeInfoKHR *const *ranges)
{
    (void)d;
    accel.builds++;
    if (op == VK_NULL_HANDLE) {
        read_builds(n, infos, ranges);
        return VK_SUCCESS;
    }
    if (VKW_HANDLE_U64(op) != 0xd000 + DEFERRED_OP)
        accel_problem("not the host's deferred operation");
    /* Read at the join: the host's copies must still be there. */
    accel.pending = infos;
    accel.pending_count = n;
    deferred_ranges = ranges;
    accel.joined = false;
    return VK_OPERATION_DEFERRED_KHR;
}

static VkResult fake_DeferredOperationJoin(VkDevice d, VkDeferredOperationKHR op)
{
    (void)d, (void)op;
    if (accel.joins++ == 0)
        return VK_THREAD_IDLE_KHR; /* no work yet: the host must come back */
    if (!accel.joined && accel.pending)
        read_builds(accel.pending_count, accel.pending, deferred_ranges);
    accel.joined = true;
    return VK_SUCCESS;
}

static VkResult fake_GetDeferredOperationResult(VkDevice d, VkDeferredOperationKHR op)
{
    (void)d, (void)op;
    return accel.joined ? VK_SUCCESS : VK_NOT_READY;
}

static void accel_context(bool host_commands)
{
    new_context(1000);
    bring_up();
    memset(&accel, 0, sizeof(accel));
    accel.host_commands = host_commands;
    ctx.vk.vkGetPhysicalDeviceFeatures2 = fake_GetPhysicalDeviceFeatures2;
    ctx.vk.vkGetAccelerationStructureBuildSizesKHR = fake_GetAccelerationStructureBuildSizes;
    ctx.vk.vkBuildAccelerationStructuresKHR = fake_BuildAccelerationStructures;
    ctx.vk.vkDeferredOperationJoinKHR = fake_DeferredOperationJoin;
    ctx.vk.vkGetDeferredOperationResultKHR = fake_GetDeferredOperationResult;
    for (uint32_t id = AS_BLAS; id <= AS_OTHER; id++)
        vkw_object_table_insert(&ctx.objects, id, VKW_HANDLE_VkAccelerationStructureKHR,
                                AS_HOST(id), 3);
    vkw_object_table_insert(&ctx.objects, DEFERRED_OP, VKW_HANDLE_VkDeferredOperationKHR,
                            0xd000 + DEFERRED_OP, 3);
    fill_app_data();
}

/* Builds the BLAS and the TLAS in one call; the reply's result. */
static VkResult host_build(bool pointers, bool pp, VkDeferredOperationKHR op)
{
    make_geometries(pointers);
    const VkAccelerationStructureGeometryKHR *pp_blas[3] = {&blas_geometries[0],
                                                            &blas_geometries[1],
                                                            &blas_geometries[2]};
    const VkAccelerationStructureGeometryKHR *pp_tlas[1] = {&tlas_geometry};
    VkAccelerationStructureBuildGeometryInfoKHR infos[2] = {
        {.sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
         .type = VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
         .mode = VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR,
         .dstAccelerationStructure = VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_BLAS),
         .geometryCount = 3,
         .pGeometries = pp ? NULL : blas_geometries,
         .ppGeometries = pp ? pp_blas : NULL,
         .scratchData.hostAddress = (void *)(uintptr_t)0xdead0},
        {.sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
         .type = VK_ACCELERATION_STRUCTURE_TYPE_TOP_LEVEL_KHR,
         .mode = VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR,
         .dstAccelerationStructure = VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_TLAS),
         .geometryCount = 1,
         .pGeometries = pp ? NULL : &tlas_geometry,
         .ppGeometries = pp ? pp_tlas : NULL}};
    const VkAccelerationStructureBuildRangeInfoKHR *ranges[2] = {blas_ranges, &tlas_range};
    vkw_encode_vkBuildAccelerationStructuresKHR(&cmds, ++serial, DEVICE, op, 2, infos, ranges);
    struct vkw_reply_header h;
    struct vkw_reader r;
    if (run() != VKW_OK || !next_reply(&h, &r)) {
        diag("context died: %s %llu", vkw_error_name(ctx.error), (unsigned long long)ctx.error_value);
        return VK_ERROR_DEVICE_LOST;
    }
    return vkw_decode_reply_vkBuildAccelerationStructuresKHR(&r, DEVICE, op, 2, infos, ranges);
}

static void test_accel_build(void)
{
    accel_context(true);
    ok(host_build(false, false, VK_NULL_HANDLE) == VK_SUCCESS && accel.builds == 1,
       "host build of a BLAS and a TLAS answered");
    is_str(accel.problem, "", "the driver read the application's bytes, through host addresses "
                              "the host rebuilt, and host handles in the instances");
    ok(accel.sizes_asked == 2 && accel.counts_seen[0] == 2 + 2 + 1 && accel.counts_seen[1] == 2,
       "scratch sized by the driver for the primitive counts");

    accel_context(true);
    ok(host_build(true, true, VK_NULL_HANDLE) == VK_SUCCESS, "ppGeometries, instances by pointer");
    is_str(accel.problem, "", "the pointers to instances rebuilt over the host's copies");
}

static void test_accel_build_deferred(void)
{
    accel_context(true);
    const VkDeferredOperationKHR op = VKW_U64_HANDLE(VkDeferredOperationKHR, DEFERRED_OP);
    ok(host_build(false, false, op) == VK_OPERATION_DEFERRED_KHR,
       "a deferred build answers VK_OPERATION_DEFERRED_KHR");
    ok(accel.joins == 2 && accel.joined, "the host joined it (again after THREAD_IDLE) before answering");
    is_str(accel.problem, "", "what the driver read at the join was the application's");
}

/* Copies: serialization comes back in the reply, deserialization takes the
 * header's size. */
static uint8_t serialized[200];

static VkResult fake_WriteProperties(VkDevice d, uint32_t n, const VkAccelerationStructureKHR *as,
                                     VkQueryType type, size_t size, void *data, size_t stride)
{
    (void)d;
    for (uint32_t i = 0; i < n; i++) {
        if (VKW_HANDLE_U64(as[i]) != AS_HOST(AS_BLAS) && VKW_HANDLE_U64(as[i]) != AS_HOST(AS_TLAS))
            accel_problem("properties of an unknown structure");
        const uint64_t v = type == VK_QUERY_TYPE_ACCELERATION_STRUCTURE_SERIALIZATION_SIZE_KHR
                               ? sizeof(serialized)
                               : 1000 + i;
        if (i * stride + 8 > size)
            accel_problem("properties written past dataSize");
        else
            memcpy((uint8_t *)data + i * stride, &v, 8);
    }
    return VK_SUCCESS;
}

static VkResult fake_CopyToMemory(VkDevice d, VkDeferredOperationKHR op,
                                  const VkCopyAccelerationStructureToMemoryInfoKHR *info)
{
    (void)d, (void)op;
    if (VKW_HANDLE_U64(info->src) != AS_HOST(AS_BLAS) || !info->dst.hostAddress)
        accel_problem("serialize: src or dst");
    else
        memcpy(info->dst.hostAddress, serialized, sizeof(serialized)); /* ASan: room enough */
    return VK_SUCCESS;
}

static VkResult fake_CopyFromMemory(VkDevice d, VkDeferredOperationKHR op,
                                    const VkCopyMemoryToAccelerationStructureInfoKHR *info)
{
    (void)d, (void)op;
    if (VKW_HANDLE_U64(info->dst) != AS_HOST(AS_TLAS) ||
        memcmp(info->src.hostAddress, serialized, sizeof(serialized)) != 0)
        accel_problem("deserialize: dst or the bytes");
    return VK_SUCCESS;
}

static VkResult fake_CopyAccelerationStructure(VkDevice d, VkDeferredOperationKHR op,
                                               const VkCopyAccelerationStructureInfoKHR *info)
{
    (void)d;
    if (VKW_HANDLE_U64(info->src) != AS_HOST(AS_BLAS) || VKW_HANDLE_U64(info->dst) != AS_HOST(AS_TLAS))
        accel_problem("copy: src or dst");
    if (op == VK_NULL_HANDLE)
        return VK_SUCCESS;
    accel.joined = false; /* completes at the join */
    return VK_OPERATION_DEFERRED_KHR;
}

static void test_accel_copies(void)
{
    accel_context(true);
    ctx.vk.vkWriteAccelerationStructuresPropertiesKHR = fake_WriteProperties;
    ctx.vk.vkCopyAccelerationStructureToMemoryKHR = fake_CopyToMemory;
    ctx.vk.vkCopyMemoryToAccelerationStructureKHR = fake_CopyFromMemory;
    ctx.vk.vkCopyAccelerationStructureKHR = fake_CopyAccelerationStructure;
    const uint64_t size = sizeof(serialized), handles = 2;
    for (size_t i = 0; i < size; i++)
        serialized[i] = (uint8_t)(i * 13 + 5);
    memcpy(serialized + VKW_ACCEL_SERIAL_SIZE_AT, &size, 8);
    memcpy(serialized + VKW_ACCEL_SERIAL_HANDLES_AT, &handles, 8);

    /* Serialize: the guest's dst gets the driver's bytes from the reply. */
    static uint8_t dst[256];
    memset(dst, 0xee, sizeof(dst));
    VkCopyAccelerationStructureToMemoryInfoKHR to = {
        .sType = VK_STRUCTURE_TYPE_COPY_ACCELERATION_STRUCTURE_TO_MEMORY_INFO_KHR,
        .src = VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_BLAS),
        .dst.hostAddress = dst,
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_SERIALIZE_KHR};
    vkw_encode_vkCopyAccelerationStructureToMemoryKHR(&cmds, ++serial, DEVICE, VK_NULL_HANDLE, &to);
    struct vkw_reply_header h;
    struct vkw_reader r;
    /* The reply's reader (vkw_decode_reply_host_to_memory_info) writes
     * them at dst. */
    const bool got = run() == VKW_OK && next_reply(&h, &r) &&
                     vkw_decode_reply_vkCopyAccelerationStructureToMemoryKHR(
                         &r, DEVICE, VK_NULL_HANDLE, &to) == VK_SUCCESS &&
                     vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0;
    ok(got && memcmp(dst, serialized, size) == 0 && dst[size] == 0xee,
       "serialized bytes come back after the result, as many as the driver says");

    /* Deserialize: the header's size of bytes reaches the driver. */
    VkCopyMemoryToAccelerationStructureInfoKHR from = {
        .sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_ACCELERATION_STRUCTURE_INFO_KHR,
        .src.hostAddress = serialized,
        .dst = VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_TLAS),
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_DESERIALIZE_KHR};
    vkw_encode_vkCopyMemoryToAccelerationStructureKHR(&cmds, ++serial, DEVICE, VK_NULL_HANDLE,
                                                      &from);
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkCopyMemoryToAccelerationStructureKHR(&r, DEVICE, VK_NULL_HANDLE,
                                                                   &from) == VK_SUCCESS,
       "deserialization answered");

    /* A deferred copy is joined before the answer. */
    VkCopyAccelerationStructureInfoKHR copy = {
        .sType = VK_STRUCTURE_TYPE_COPY_ACCELERATION_STRUCTURE_INFO_KHR,
        .src = VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_BLAS),
        .dst = VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_TLAS),
        .mode = VK_COPY_ACCELERATION_STRUCTURE_MODE_CLONE_KHR};
    const VkDeferredOperationKHR op = VKW_U64_HANDLE(VkDeferredOperationKHR, DEFERRED_OP);
    vkw_encode_vkCopyAccelerationStructureKHR(&cmds, ++serial, DEVICE, op, &copy);
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkCopyAccelerationStructureKHR(&r, DEVICE, op, &copy) ==
               VK_OPERATION_DEFERRED_KHR &&
           accel.joined,
       "a deferred copy: VK_OPERATION_DEFERRED_KHR, joined by the host");
    is_str(accel.problem, "", "copies: the driver got the host's handles and the bytes");
}

static void test_accel_properties(void)
{
    accel_context(true);
    ctx.vk.vkWriteAccelerationStructuresPropertiesKHR = fake_WriteProperties;
    const VkAccelerationStructureKHR as[2] = {VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_BLAS),
                                              VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_TLAS)};
    uint8_t data[24];
    memset(data, 0x77, sizeof(data));
    vkw_encode_vkWriteAccelerationStructuresPropertiesKHR(
        &cmds, ++serial, DEVICE, 2, as, VK_QUERY_TYPE_ACCELERATION_STRUCTURE_COMPACTED_SIZE_KHR,
        sizeof(data), data, 16);
    struct vkw_reply_header h;
    struct vkw_reader r;
    uint64_t v0 = 0, v1 = 0;
    ok(run() == VKW_OK && next_reply(&h, &r) &&
           vkw_decode_reply_vkWriteAccelerationStructuresPropertiesKHR(
               &r, DEVICE, 2, as, VK_QUERY_TYPE_ACCELERATION_STRUCTURE_COMPACTED_SIZE_KHR,
               sizeof(data), data, 16) == VK_SUCCESS,
       "properties answered");
    memcpy(&v0, data, 8);
    memcpy(&v1, data + 16, 8);
    ok(v0 == 1000 && v1 == 1001 && data[8] == 0x77 && data[15] == 0x77,
       "one value per structure at the stride; the bytes between as the application left them");
    is_str(accel.problem, "", "the driver wrote inside dataSize");
}

static void test_accel_refused(void)
{
    /* A device without host commands: the driver is never called. */
    accel_context(false);
    make_geometries(false);
    VkAccelerationStructureBuildGeometryInfoKHR info = {
        .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR,
        .type = VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR,
        .dstAccelerationStructure = VKW_U64_HANDLE(VkAccelerationStructureKHR, AS_BLAS),
        .geometryCount = 3,
        .pGeometries = blas_geometries};
    const VkAccelerationStructureBuildRangeInfoKHR *ranges[1] = {blas_ranges};
    vkw_encode_vkBuildAccelerationStructuresKHR(&cmds, ++serial, DEVICE, VK_NULL_HANDLE, 1, &info,
                                                ranges);
    expect_death(VKW_ERROR_UNSUPPORTED, VKW_CMD_vkBuildAccelerationStructuresKHR,
                 "a host build where the device has no host commands");
    ok(accel.builds == 0, "the driver never saw it");

    /* An index past maxVertex would make the driver read past the vertices. */
    accel_context(true);
    app_indices[2 + 3] = 6;
    vkw_encode_vkBuildAccelerationStructuresKHR(&cmds, ++serial, DEVICE, VK_NULL_HANDLE, 1, &info,
                                                ranges);
    expect_death(VKW_ERROR_BAD_RANGE, 6, "an index past maxVertex");
    ok(accel.builds == 0, "the driver never saw it");

    /* Fewer bytes than the range reads (a guest that lies about its size). */
    accel_context(true);
    make_geometries(false);
    const size_t at = cmds.size;
    vkw_encode_vkBuildAccelerationStructuresKHR(&cmds, ++serial, DEVICE, VK_NULL_HANDLE, 1, &info,
                                                ranges);
    /* the AABBs' size word (56 = 32 + 24): make it 52 and drop 4 bytes of theirs */
    static const uint8_t aabb_range[16] = {8, 0, 0, 0, 0, 0, 0, 0, 56, 0, 0, 0, 0, 0, 0, 0};
    size_t i = at;
    while (i + 16 <= cmds.size && memcmp(cmds.data + i, aabb_range, 16) != 0)
        i += 4;
    if (i + 16 <= cmds.size) {
        cmds.data[i + 8] = 52;
        memmove(cmds.data + i + 16 + 52, cmds.data + i + 16 + 56, cmds.size - (i + 16 + 56));
        cmds.size -= 4;
        uint32_t size;
        memcpy(&size, cmds.data + at + 8, 4);
        size -= 4;
        memcpy(cmds.data + at + 8, &size, 4);
    }
    expect_death(VKW_ERROR_BAD_COUNT, 52, "bytes fewer than the build reads");
    ok(accel.builds == 0, "the driver never saw it");
}

/* Ray tracing pipelines: a capture-replay handle is as long as the device
 * says (24 here). */
static uint8_t replay_seen[24];
static int pipelines_made;

static VkResult fake_CreateRayTracingPipelines(VkDevice d, VkDeferredOperationKHR op,
                                               VkPipelineCache cache, uint32_t n,
                                               const VkRayTracingPipelineCreateInfoKHR *ci,
                                               const VkAllocationCallbacks *a, VkPipeline *out)
{
    (void)d, (void)op, (void)cache, (void)a;
    for (uint32_t i = 0; i < n; i++) {
        if (ci[i].groupCount == 2 && ci[i].pGroups[0].pShaderGroupCaptureReplayHandle &&
            !ci[i].pGroups[1].pShaderGroupCaptureReplayHandle)
            memcpy(replay_seen, ci[i].pGroups[0].pShaderGroupCaptureReplayHandle, 24);
        out[i] = VKW_U64_HANDLE(VkPipeline, fake.next_handle++);
        pipelines_made++;
    }
    return VK_SUCCESS;
}

static void encode_rt_pipeline(uint64_t length, uint64_t pipeline_id)
{
    static uint8_t handle[24];
    for (int i = 0; i < 24; i++)
        handle[i] = (uint8_t)(0x40 + i);
    VkPipelineShaderStageCreateInfo stage = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_RAYGEN_BIT_KHR,
        .module = VKW_U64_HANDLE(VkShaderModule, 650),
        .pName = "main"};
    VkRayTracingShaderGroupCreateInfoKHR groups[2] = {
        {.sType = VK_STRUCTURE_TYPE_RAY_TRACING_SHADER_GROUP_CREATE_INFO_KHR,
         .type = VK_RAY_TRACING_SHADER_GROUP_TYPE_GENERAL_KHR,
         .generalShader = 0,
         .closestHitShader = VK_SHADER_UNUSED_KHR,
         .anyHitShader = VK_SHADER_UNUSED_KHR,
         .intersectionShader = VK_SHADER_UNUSED_KHR,
         .pShaderGroupCaptureReplayHandle = handle},
        {.sType = VK_STRUCTURE_TYPE_RAY_TRACING_SHADER_GROUP_CREATE_INFO_KHR,
         .type = VK_RAY_TRACING_SHADER_GROUP_TYPE_GENERAL_KHR,
         .generalShader = 0,
         .closestHitShader = VK_SHADER_UNUSED_KHR,
         .anyHitShader = VK_SHADER_UNUSED_KHR,
         .intersectionShader = VK_SHADER_UNUSED_KHR}};
    VkRayTracingPipelineCreateInfoKHR ci = {
        .sType = VK_STRUCTURE_TYPE_RAY_TRACING_PIPELINE_CREATE_INFO_KHR,
        .stageCount = 1,
        .pStages = &stage,
        .groupCount = 2,
        .pGroups = groups,
        .maxPipelineRayRecursionDepth = 1,
        .layout = VKW_U64_HANDLE(VkPipelineLayout, 651),
        .basePipelineIndex = -1};
    VkPipeline pipeline = VKW_U64_HANDLE(VkPipeline, pipeline_id);
    guest_device_length = length; /* as the ICD knows it for this device */
    vkw_encode_vkCreateRayTracingPipelinesKHR(&cmds, ++serial, DEVICE, VK_NULL_HANDLE,
                                              VK_NULL_HANDLE, 1, &ci, NULL, &pipeline);
    guest_device_length = 0;
}

static void test_capture_replay_handles(void)
{
    new_context(1000);
    bring_up();
    ctx.vk.vkCreateRayTracingPipelinesKHR = fake_CreateRayTracingPipelines;
    vkw_object_table_insert(&ctx.objects, 650, VKW_HANDLE_VkShaderModule, 0xd000, 3);
    vkw_object_table_insert(&ctx.objects, 651, VKW_HANDLE_VkPipelineLayout, 0xd001, 3);
    memset(replay_seen, 0, sizeof(replay_seen));
    encode_rt_pipeline(24, 720); /* what the device says */
    struct vkw_reply_header h;
    struct vkw_reader r;
    ok(run() == VKW_OK && next_reply(&h, &r) && table_has(720, VKW_HANDLE_VkPipeline),
       "a ray tracing pipeline with a capture-replay handle made");
    ok(replay_seen[0] == 0x40 && replay_seen[23] == 0x40 + 23,
       "the driver got the handle's 24 bytes, and NULL for the group without one");

    /* Capture replay not enabled: the guest sends no handle, whatever the
     * application left there. */
    memset(replay_seen, 0, sizeof(replay_seen));
    encode_rt_pipeline(0, 721);
    ok(run() == VKW_OK && next_reply(&h, &r) && replay_seen[0] == 0,
       "without capture replay the handle does not travel");

    /* A guest that claims another length. */
    const int made = pipelines_made;
    encode_rt_pipeline(16, 722);
    expect_death(VKW_ERROR_BAD_COUNT, 16, "a capture-replay handle of another length");
    ok(pipelines_made == made, "the driver never saw it");
}

/* ---- device fault reports (doc/PROTOCOL.md 25) ----
 * The fake driver has 2 address records, 3 vendor records and 10 bytes of
 * vendor data; it writes as many as the room it is given and says so in
 * the counts (VK_INCOMPLETE when it had more). */
static struct {
    uint32_t room_addresses, room_vendors; /* what the driver was given */
    uint64_t room_bytes;
    bool info_given;
} fault;

static VkResult fake_GetDeviceFaultInfo(VkDevice d, VkDeviceFaultCountsEXT *counts,
                                        VkDeviceFaultInfoEXT *info)
{
    (void)d;
    fault.info_given = info != NULL;
    if (!info) {
        counts->addressInfoCount = 2;
        counts->vendorInfoCount = 3;
        counts->vendorBinarySize = 10;
        return VK_SUCCESS;
    }
    fault.room_addresses = counts->addressInfoCount;
    fault.room_vendors = counts->vendorInfoCount;
    fault.room_bytes = counts->vendorBinarySize;
    snprintf(info->description, sizeof(info->description), "page fault");
    const uint32_t na = counts->addressInfoCount < 2 ? counts->addressInfoCount : 2;
    const uint32_t nv = counts->vendorInfoCount < 3 ? counts->vendorInfoCount : 3;
    const uint64_t nb = counts->vendorBinarySize < 10 ? counts->vendorBinarySize : 10;
    for (uint32_t i = 0; i < na; i++)
        info->pAddressInfos[i] = (VkDeviceFaultAddressInfoEXT){
            VK_DEVICE_FAULT_ADDRESS_TYPE_READ_INVALID_EXT, 0x1000u * (i + 1), 0xfff};
    for (uint32_t i = 0; i < nv; i++) {
        snprintf(info->pVendorInfos[i].description, VK_MAX_DESCRIPTION_SIZE, "vendor %u", i);
        info->pVendorInfos[i].vendorFaultCode = 100 + i;
        info->pVendorInfos[i].vendorFaultData = 200 + i;
    }
    for (uint64_t i = 0; i < nb; i++)
        ((uint8_t *)info->pVendorBinaryData)[i] = (uint8_t)(0x70 + i);
    counts->addressInfoCount = na;
    counts->vendorInfoCount = nv;
    counts->vendorBinarySize = nb;
    return na < 2 || nv < 3 || nb < 10 ? VK_INCOMPLETE : VK_SUCCESS;
}

static VkResult fault_query(VkDeviceFaultCountsEXT *counts, VkDeviceFaultInfoEXT *info)
{
    vkw_encode_vkGetDeviceFaultInfoEXT(&cmds, ++serial, DEVICE, counts, info);
    struct vkw_reply_header h;
    struct vkw_reader r;
    if (run() != VKW_OK || !next_reply(&h, &r))
        return VK_ERROR_UNKNOWN;
    const VkResult result = vkw_decode_reply_vkGetDeviceFaultInfoEXT(&r, DEVICE, counts, info);
    return vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0 ? result : VK_ERROR_UNKNOWN;
}

static void test_device_fault(void)
{
    new_context(1000);
    bring_up();
    ctx.vk.vkGetDeviceFaultInfoEXT = fake_GetDeviceFaultInfo;

    VkDeviceFaultCountsEXT counts = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_COUNTS_EXT};
    ok(fault_query(&counts, NULL) == VK_SUCCESS && !fault.info_given &&
           counts.addressInfoCount == 2 && counts.vendorInfoCount == 3 &&
           counts.vendorBinarySize == 10,
       "device fault: the counts come back without an info");

    VkDeviceFaultAddressInfoEXT addresses[4];
    VkDeviceFaultVendorInfoEXT vendors[4];
    uint8_t bytes[16];
    memset(addresses, 0xee, sizeof(addresses));
    memset(vendors, 0xee, sizeof(vendors));
    memset(bytes, 0xee, sizeof(bytes));
    VkDeviceFaultInfoEXT info = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_INFO_EXT,
                                 .pAddressInfos = addresses,
                                 .pVendorInfos = vendors,
                                 .pVendorBinaryData = bytes};
    ok(fault_query(&counts, &info) == VK_SUCCESS && fault.room_addresses == 2 &&
           fault.room_vendors == 3 && fault.room_bytes == 10 &&
           strcmp(info.description, "page fault") == 0 &&
           addresses[1].reportedAddress == 0x2000 && addresses[1].addressPrecision == 0xfff &&
           addresses[1].addressType == VK_DEVICE_FAULT_ADDRESS_TYPE_READ_INVALID_EXT &&
           strcmp(vendors[2].description, "vendor 2") == 0 && vendors[2].vendorFaultCode == 102 &&
           vendors[2].vendorFaultData == 202 && bytes[9] == 0x79 && bytes[10] == 0xee &&
           addresses[2].reportedAddress == 0xeeeeeeeeeeeeeeeeu,
       "device fault: the records land in the application's arrays, nothing past them");

    /* Less room than the driver has: it writes that much, and says so. */
    memset(addresses, 0xee, sizeof(addresses));
    memset(bytes, 0xee, sizeof(bytes));
    counts = (VkDeviceFaultCountsEXT){.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_COUNTS_EXT,
                                      .addressInfoCount = 1,
                                      .vendorInfoCount = 0,
                                      .vendorBinarySize = 4};
    ok(fault_query(&counts, &info) == VK_INCOMPLETE && fault.room_addresses == 1 &&
           fault.room_vendors == 0 && fault.room_bytes == 4 && counts.addressInfoCount == 1 &&
           counts.vendorInfoCount == 0 && counts.vendorBinarySize == 4 &&
           addresses[0].reportedAddress == 0x1000 &&
           addresses[1].reportedAddress == 0xeeeeeeeeeeeeeeeeu && bytes[3] == 0x73 &&
           bytes[4] == 0xee,
       "device fault: less room, as much as fits and VK_INCOMPLETE");

    /* A guest asking for more room than a message may make the host hold. */
    counts = (VkDeviceFaultCountsEXT){.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_COUNTS_EXT,
                                      .vendorBinarySize = UINT64_MAX / 2};
    info.pAddressInfos = NULL;
    info.pVendorInfos = NULL;
    vkw_encode_vkGetDeviceFaultInfoEXT(&cmds, ++serial, DEVICE, &counts, &info);
    expect_death(VKW_ERROR_NO_MEMORY, UINT64_MAX / 2, "device fault: room past the decode limit");
}

/* ---- strided arrays (vk.xml stride="stride") ----
 * vkCmdDrawMultiEXT's draws lie `stride` bytes apart in the application's
 * memory; the guest sends them packed, so the host must hand the driver
 * the stride of its own packed copy, whatever stride the guest names (a
 * guest's stride over the host's copy made the driver read past it). */

#define MULTI_MAX 8u

static struct {
    uint32_t count, stride;
    VkMultiDrawInfoEXT draws[MULTI_MAX];
    VkMultiDrawIndexedInfoEXT indexed[MULTI_MAX];
    int32_t vertex_offset;
    bool offset_given;
} multi;

/* Reads every draw where the stride it was given says it is, as a driver
 * does: past the host's copy if that stride is not the host's. */
static void fake_CmdDrawMulti(VkCommandBuffer cb, uint32_t count, const VkMultiDrawInfoEXT *draws,
                              uint32_t instances, uint32_t first_instance, uint32_t stride)
{
    (void)cb, (void)instances, (void)first_instance;
    multi.count = count;
    multi.stride = stride;
    for (uint32_t i = 0; i < count && i < MULTI_MAX; i++)
        memcpy(&multi.draws[i], (const char *)draws + (size_t)i * stride, sizeof(*draws));
}

static void fake_CmdDrawMultiIndexed(VkCommandBuffer cb, uint32_t count,
                                     const VkMultiDrawIndexedInfoEXT *draws, uint32_t instances,
                                     uint32_t first_instance, uint32_t stride,
                                     const int32_t *vertex_offset)
{
    (void)cb, (void)instances, (void)first_instance;
    multi.count = count;
    multi.stride = stride;
    multi.offset_given = vertex_offset != NULL;
    multi.vertex_offset = vertex_offset ? *vertex_offset : 0;
    for (uint32_t i = 0; i < count && i < MULTI_MAX; i++)
        memcpy(&multi.indexed[i], (const char *)draws + (size_t)i * stride, sizeof(*draws));
}

/* The u32 `stride` parameter is the last word of the last message in
 * `cmds` for vkCmdDrawMultiEXT (before pVertexOffset for the indexed one):
 * what a hostile guest would set. */
static void patch_u32(size_t at, uint32_t v) { memcpy(cmds.data + at, &v, 4); }

static void test_strided_draws(void)
{
    new_context(1000);
    bring_up();
    ctx.vk.vkCmdDrawMultiEXT = fake_CmdDrawMulti;
    ctx.vk.vkCmdDrawMultiIndexedEXT = fake_CmdDrawMultiIndexed;
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool = VKW_U64_HANDLE(VkCommandPool, 200);
    vkw_encode_vkCreateCommandPool(&cmds, ++serial, DEVICE, &pci, NULL, &pool);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    struct vkw_dispatchable cb_obj = {0, 201};
    VkCommandBuffer cb = (VkCommandBuffer)&cb_obj;
    vkw_encode_vkAllocateCommandBuffers(&cmds, ++serial, DEVICE, &ai, &cb);
    ok(run() == VKW_OK && table_has(201, VKW_HANDLE_VkCommandBuffer), "strided draws: a command buffer");

    /* The application's draws 24 bytes apart, with other data between. */
    struct {
        VkMultiDrawInfoEXT draw;
        uint32_t other[4];
    } app[3];
    for (uint32_t i = 0; i < 3; i++)
        app[i] = (__typeof__(app[0])){{10u * i + 1, 10u * i + 2}, {0xdead, 0xdead, 0xdead, 0xdead}};
    memset(&multi, 0, sizeof(multi));
    vkw_encode_vkCmdDrawMultiEXT(&cmds, ++serial, cb, 3, &app[0].draw, 1, 0, sizeof(app[0]));
    enum vkw_error e = run();
    ok(e == VKW_OK && multi.count == 3 && multi.stride == sizeof(VkMultiDrawInfoEXT) &&
           multi.draws[0].firstVertex == 1 && multi.draws[1].firstVertex == 11 &&
           multi.draws[2].firstVertex == 21 && multi.draws[2].vertexCount == 22,
       "strided draws: 3 draws 24 bytes apart reach the driver in order, packed (stride %u)",
       multi.stride);

    /* A guest that names a stride far larger than what it sent. */
    memset(&multi, 0, sizeof(multi));
    vkw_encode_vkCmdDrawMultiEXT(&cmds, ++serial, cb, 3, &app[0].draw, 1, 0, sizeof(app[0]));
    patch_u32(cmds.size - 4, 1u << 20);
    e = run();
    ok(e == VKW_OK && multi.count == 3 && multi.stride == sizeof(VkMultiDrawInfoEXT) &&
           multi.draws[2].firstVertex == 21,
       "strided draws: a stride of 1 MiB from the guest: the driver still gets the host's (%u)",
       multi.stride);

    struct {
        uint32_t other;
        VkMultiDrawIndexedInfoEXT draw;
    } indexed[2] = {{7, {1, 2, 3}}, {7, {4, 5, -6}}};
    const int32_t offset = -40;
    memset(&multi, 0, sizeof(multi));
    vkw_encode_vkCmdDrawMultiIndexedEXT(&cmds, ++serial, cb, 2, &indexed[0].draw, 1, 0,
                                        sizeof(indexed[0]), &offset);
    /* the stride word sits before pVertexOffset's presence word and value */
    patch_u32(cmds.size - 12, 3u);
    e = run();
    ok(e == VKW_OK && multi.count == 2 && multi.stride == sizeof(VkMultiDrawIndexedInfoEXT) &&
           multi.indexed[1].vertexOffset == -6 && multi.indexed[1].firstIndex == 4 &&
           multi.offset_given && multi.vertex_offset == -40,
       "strided draws: indexed, a guest stride of 3 (less than a draw): the host's stride, "
       "draws and offset intact");
}

int main(void)
{
    vkw_writer_init(&cmds);
    vkw_writer_init(&replies);
    vkw_host_context_init(&ctx, NULL);
    test_bring_up();
    test_properties_chain();
    test_create_destroy();
    test_children();
    test_map_memory();
    test_extension_narrowing();
    test_repeated_handle_values();
    test_deferred_failures();
    test_partial_creation();
    test_errors();
    test_device_lengths();
    test_device_fault();
    test_strided_draws();
    test_write_read_memory();
    test_memory_message_errors();
    test_allocate_shared_errors();
    test_allocate_shared_fake();
    test_read_changed();
    test_track_errors();
    test_sync_shared();
    test_host_image_copy();
    test_accel_build();
    test_accel_build_deferred();
    test_accel_copies();
    test_accel_properties();
    test_accel_refused();
    test_capture_replay_handles();
    vkw_host_context_fini(&ctx);
    vkw_writer_fini(&cmds);
    vkw_writer_fini(&replies);
    return done_testing();
}
