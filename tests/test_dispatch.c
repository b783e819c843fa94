/* Host dispatch with a fake driver: the generated encoders feed the real
 * command loop (vkw_host_context_execute), the fake driver records what it
 * was given, and the replies are decoded by the generated guest decoders.
 * Covers id binding, destruction and its children, hand-written commands,
 * batching, and every protocol error the loop can report.  No GPU needed. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkw_guest_encode.h"
#include "vkw_guest_handles.h"
#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_vulkan_util.h"

/* ---- the fake driver ---- */

#define FAKE_INSTANCE 0x1000u
#define FAKE_PHYSICAL_DEVICE 0x2000u
#define FAKE_DEVICE 0x3000u
#define FAKE_QUEUE 0x4000u

static struct {
    int creates, destroys, maps, unmaps;
    uint64_t next_handle;
    uint64_t last_destroyed;
    VkDeviceSize last_buffer_size;
    char app_name[64];
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
}

static VkResult fake_CreateDevice(VkPhysicalDevice pd, const VkDeviceCreateInfo *ci,
                                  const VkAllocationCallbacks *a, VkDevice *out)
{
    (void)ci, (void)a;
    if (VKW_HANDLE_U64(pd) != FAKE_PHYSICAL_DEVICE)
        return VK_ERROR_INITIALIZATION_FAILED;
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
    (void)d, (void)ai, (void)a;
    *out = VKW_U64_HANDLE(VkDeviceMemory, fake.next_handle++);
    return VK_SUCCESS;
}

static char fake_memory[256];

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

static void new_context(size_t max_objects)
{
    struct vkw_host_limits limits = {max_objects, 1u << 20};
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
    memset(&fake, 0, sizeof(fake));
    fake.next_handle = 0xb000;
}

/* Run what was encoded; the replies are then read with next_reply. */
static enum vkw_error run(void)
{
    vkw_writer_reset(&replies);
    enum vkw_error e = vkw_host_context_execute(&ctx, cmds.data, cmds.size, &replies);
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
    vkw_encode_vkCreateBuffer(&cmds, ++serial, device, &ci, NULL, &buffer);
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
    ok(vkw_host_mapping_of(&ctx, host) == fake_memory + 16, "the host keeps the mapping");
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
    ok(run() == VKW_OK && fake.unmaps == 1 && !vkw_host_mapping_of(&ctx, host),
       "unmap reaches the driver once; a second unmap is ignored");
    vkw_encode_vkMapMemory(&cmds, ++serial, DEVICE, mem, 0, 64, 0, NULL);
    vkw_encode_vkFreeMemory(&cmds, ++serial, DEVICE, mem, NULL);
    ok(run() == VKW_OK && !vkw_host_mapping_of(&ctx, host) &&
           !table_has(300, VKW_HANDLE_VkDeviceMemory),
       "freeing mapped memory drops the mapping and the id");
}

/* The driver offers more than vkwire forwards: the host narrows the list. */
static VkResult fake_EnumerateDeviceExtensionProperties(VkPhysicalDevice pd, const char *layer,
                                                        uint32_t *count, VkExtensionProperties *p)
{
    static const char *names[] = {VK_KHR_SWAPCHAIN_EXTENSION_NAME, "VK_KHR_maintenance4",
                                  VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME, "VK_EXT_robustness2"};
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
       "both, in the driver's order, with its spec versions; swapchain and fds are not offered");
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
    expect_death(VKW_ERROR_NO_MEMORY, 1, "the per-client object limit");
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
    test_partial_creation();
    test_errors();
    vkw_host_context_fini(&ctx);
    vkw_writer_fini(&cmds);
    vkw_writer_fini(&replies);
    return done_testing();
}
