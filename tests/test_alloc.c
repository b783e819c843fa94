/* The application's allocation callbacks, through the guest ICD on
 * lavapipe (a private vkwire-server).
 *
 * The ICD (libvulkan_vkwire.so, loaded directly: the loader would add
 * allocations of its own) creates each kind of object with a counting
 * allocator that refuses every allocation after the first N, for N = 0, 1,
 * 2, ... until the creation succeeds, as dEQP-VK's
 * api.object_management.alloc_callback_fail does.  Each attempt must
 * succeed or fail with VK_ERROR_OUT_OF_HOST_MEMORY and nothing else, set
 * the handles of failed multiple-object commands to VK_NULL_HANDLE, and
 * leave the allocator balanced once what it made is destroyed: every
 * allocation freed, through the same callbacks, on the calling thread,
 * with a valid scope and alignment, and reallocations that keep theirs.
 * An object the guest keeps memory for must call the allocator at all
 * (N = 0 fails); the ones it keeps nothing for (doc/CONFORMANCE.md lists
 * them) must not.
 *
 * Every wait is bounded; alarm() ends a hung run. */
#define _GNU_SOURCE /* mkdtemp, setenv, kill, prctl */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vulkan/vulkan.h>

#include "proc_util.h"
#include "tap.h"
#include "tests/vkw_cmdtest_spirv.h" /* built from tests/shaders */

#define MAX_PASSING 400u /* no creation needs this many allocations */

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

/* ---- the counting allocator ---- */

struct block {
    void *p;
    size_t size, align;
};

struct counter {
    unsigned passing;          /* allocations that succeed before it refuses */
    unsigned calls;            /* allocation and reallocation calls */
    unsigned scopes;           /* bit s: scope s asked for */
    unsigned violations;       /* what Vulkan's rules forbid (each said in a diag) */
    struct block *live;        /* not freed yet */
    size_t nlive, cap;
    pthread_t thread;          /* the only one that may call */
};

static void violation(struct counter *c, const char *what, const void *p)
{
    c->violations++;
    diag("allocator: %s (%p)", what, p);
}

static void check_call(struct counter *c, size_t align, VkSystemAllocationScope scope)
{
    if (!pthread_equal(pthread_self(), c->thread))
        violation(c, "called from another thread", NULL);
    if (align == 0 || (align & (align - 1)) != 0)
        violation(c, "alignment not a power of two", NULL);
    if ((unsigned)scope > VK_SYSTEM_ALLOCATION_SCOPE_INSTANCE)
        violation(c, "invalid scope", NULL);
    else
        c->scopes |= 1u << scope;
}

static struct block *find_block(struct counter *c, void *p)
{
    for (size_t i = 0; i < c->nlive; i++)
        if (c->live[i].p == p)
            return &c->live[i];
    return NULL;
}

static void *take(struct counter *c, size_t size, size_t align)
{
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1))
        return NULL;
    if (c->nlive == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct block *grown = realloc(c->live, cap * sizeof(*grown));
        if (!grown)
            abort();
        c->live = grown;
        c->cap = cap;
    }
    c->live[c->nlive++] = (struct block){p, size, align};
    return p;
}

static void give_back(struct counter *c, struct block *b)
{
    free(b->p);
    *b = c->live[--c->nlive];
}

static VKAPI_ATTR void *VKAPI_CALL counted_alloc(void *user, size_t size, size_t align,
                                                 VkSystemAllocationScope scope)
{
    struct counter *c = user;
    check_call(c, align, scope);
    if (c->calls++ >= c->passing)
        return NULL;
    return take(c, size, align);
}

static VKAPI_ATTR void *VKAPI_CALL counted_realloc(void *user, void *old, size_t size,
                                                   size_t align, VkSystemAllocationScope scope)
{
    struct counter *c = user;
    if (!old)
        return counted_alloc(user, size, align, scope);
    struct block *b = find_block(c, old);
    if (!b) {
        violation(c, "reallocation of memory it did not allocate", old);
        return NULL;
    }
    if (size == 0) {
        give_back(c, b);
        return NULL;
    }
    check_call(c, align, scope);
    if (align != b->align)
        violation(c, "reallocation with another alignment", old);
    if (c->calls++ >= c->passing)
        return NULL; /* the original stays */
    const size_t old_size = b->size;
    void *p = take(c, size, align);
    if (!p)
        return NULL;
    b = find_block(c, old); /* take may have moved the list */
    memcpy(p, old, old_size < size ? old_size : size);
    give_back(c, b);
    return p;
}

static VKAPI_ATTR void VKAPI_CALL counted_free(void *user, void *p)
{
    struct counter *c = user;
    if (!p)
        return;
    if (!pthread_equal(pthread_self(), c->thread))
        violation(c, "freed from another thread", p);
    struct block *b = find_block(c, p);
    if (!b)
        violation(c, "free of memory it did not allocate (or freed twice)", p);
    else
        give_back(c, b);
}

static void counter_start(struct counter *c, unsigned passing, VkAllocationCallbacks *cb)
{
    free(c->live);
    *c = (struct counter){.passing = passing, .thread = pthread_self()};
    *cb = (VkAllocationCallbacks){.pUserData = c,
                                  .pfnAllocation = counted_alloc,
                                  .pfnReallocation = counted_realloc,
                                  .pfnFree = counted_free};
}

/* ---- the server and the ICD ---- */

static char tmp_dir[256], socket_path[400], server_log[400];
static pid_t server_pid;

static PFN_vkGetInstanceProcAddr gipa;

static const char *lavapipe_manifest(void)
{
    static char path[4096];
    const char *given = getenv("VKW_TEST_LAVAPIPE_ICD");
    if (given && *given)
        return given;
    static const char *const patterns[] = {"/usr/share/vulkan/icd.d/lvp_icd*.json",
                                           "/usr/local/share/vulkan/icd.d/lvp_icd*.json",
                                           "/etc/vulkan/icd.d/lvp_icd*.json"};
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        glob_t gl;
        if (glob(patterns[i], 0, NULL, &gl) == 0 && gl.gl_pathc > 0) {
            snprintf(path, sizeof(path), "%s", gl.gl_pathv[0]);
            globfree(&gl);
            return path;
        }
        globfree(&gl);
    }
    return NULL;
}

static bool start_server(const char *builddir, const char *manifest)
{
    char server[1024], address[512], preload[4096] = "";
    snprintf(server, sizeof(server), "%s/vkwire-server", builddir);
    snprintf(socket_path, sizeof(socket_path), "%s/s/socket", tmp_dir);
    snprintf(server_log, sizeof(server_log), "%s/server.log", tmp_dir);
    snprintf(address, sizeof(address), "unix:%s", socket_path);
    if (ASAN && !manifest_library(manifest, preload, sizeof(preload)))
        preload[0] = '\0';
    server_pid = fork();
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("VK_DRIVER_FILES", manifest, 1);
        setenv("VK_ICD_FILENAMES", manifest, 1);
        if (preload[0]) {
            setenv("LD_PRELOAD", preload, 1);
            setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
        }
        int fd = open(server_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execl(server, server, "--listen", address, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        struct stat st;
        if (stat(socket_path, &st) == 0)
            return setenv("VKWIRE_SERVER", address, 1) == 0;
        struct timespec t = {0, 50 * 1000000L};
        nanosleep(&t, NULL);
    }
    return false;
}

static void stop_server(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
}

#define FN(instance, name) ((PFN_##name)gipa(instance, #name))

/* ---- what the cases share ---- */

static VkInstance base_instance;
static VkPhysicalDevice physical;
static VkDevice device;
static uint32_t host_visible_type;

static VkResult make_instance(const VkAllocationCallbacks *cb, const char *extension,
                              VkInstance *out)
{
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .pApplicationName = "vkwire-test-alloc",
                                   .apiVersion = VK_API_VERSION_1_3};
    const VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                     .pApplicationInfo = &app,
                                     .enabledExtensionCount = extension ? 1 : 0,
                                     .ppEnabledExtensionNames = &extension};
    *out = VK_NULL_HANDLE;
    return FN(NULL, vkCreateInstance)(&ci, cb, out);
}

static VkResult make_device(VkPhysicalDevice pd, const VkAllocationCallbacks *cb, VkDevice *out)
{
    const float priority = 1.0f;
    const VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                        .queueFamilyIndex = 0,
                                        .queueCount = 1,
                                        .pQueuePriorities = &priority};
    const VkPhysicalDeviceVulkan13Features v13 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES,
        .privateData = VK_TRUE};
    const VkDeviceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                   .pNext = &v13,
                                   .queueCreateInfoCount = 1,
                                   .pQueueCreateInfos = &qi};
    *out = VK_NULL_HANDLE;
    return FN(base_instance, vkCreateDevice)(pd, &ci, cb, out);
}

/* The one physical device (lavapipe's) of `instance`. */
static VkResult first_physical(VkInstance instance, VkPhysicalDevice *out)
{
    uint32_t n = 0;
    VkResult r = FN(instance, vkEnumeratePhysicalDevices)(instance, &n, NULL);
    if (r != VK_SUCCESS)
        return r;
    n = 1;
    *out = VK_NULL_HANDLE;
    r = FN(instance, vkEnumeratePhysicalDevices)(instance, &n, out);
    return r == VK_INCOMPLETE ? VK_SUCCESS : r;
}

/* One attempt: create (with `cb`), and destroy what it made with `cb`;
 * the first failure, or VK_SUCCESS.  `bad` counts wrong outputs. */
typedef VkResult (*attempt_fn)(const VkAllocationCallbacks *cb, unsigned *bad);

static bool acceptable(VkResult r)
{
    return r == VK_SUCCESS || r == VK_ERROR_OUT_OF_HOST_MEMORY;
}

/* Run `attempt` with N = 0, 1, ... allocations passing until it succeeds;
 * `allocates`: the guest keeps memory for the object, so N = 0 fails.
 * Returns the allocator's scopes seen over all attempts. */
static unsigned run_case(const char *name, attempt_fn attempt, bool allocates)
{
    struct counter c = {0};
    VkAllocationCallbacks cb;
    unsigned wrong_result = 0, unbalanced = 0, violations = 0, bad = 0, scopes = 0;
    unsigned calls_at_zero = 0, n;
    VkResult r = VK_ERROR_OUT_OF_HOST_MEMORY;
    for (n = 0; n < MAX_PASSING; n++) {
        counter_start(&c, n, &cb);
        r = attempt(&cb, &bad);
        if (!acceptable(r)) {
            wrong_result++;
            diag("%s, %u allocations passing: %d", name, n, (int)r);
        }
        if (c.nlive) {
            unbalanced++;
            diag("%s, %u allocations passing: %zu allocations left", name, n, c.nlive);
            for (size_t i = 0; i < c.nlive; i++) /* the next attempt starts clean */
                free(c.live[i].p);
        }
        violations += c.violations;
        scopes |= c.scopes;
        if (n == 0)
            calls_at_zero = c.calls;
        if (r != VK_ERROR_OUT_OF_HOST_MEMORY)
            break;
    }
    free(c.live);
    ok(r == VK_SUCCESS,
       "%s: made once %u allocations pass, VK_ERROR_OUT_OF_HOST_MEMORY with fewer", name, n);
    ok(wrong_result == 0 && bad == 0, "%s: no other error, failed handles VK_NULL_HANDLE", name);
    ok(unbalanced == 0 && violations == 0,
       "%s: every allocation freed through the callbacks, on the calling thread, scopes and "
       "alignments valid", name);
    if (allocates)
        ok(calls_at_zero > 0, "%s: the allocation callbacks are called", name);
    else
        ok(calls_at_zero == 0,
           "%s: keeps nothing in the guest: no callback (a documented exception)", name);
    return scopes;
}

/* ---- the cases ---- */

static VkResult instance_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    (void)bad;
    VkInstance instance;
    VkResult r = make_instance(cb, NULL, &instance);
    if (r != VK_SUCCESS)
        return r;
    VkPhysicalDevice pd;
    r = first_physical(instance, &pd); /* the instance's allocator pays for them */
    FN(instance, vkDestroyInstance)(instance, cb);
    return r;
}

static VkResult device_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    VkDevice dev;
    VkResult r = make_device(physical, cb, &dev);
    if (r != VK_SUCCESS)
        return r;
    VkQueue queue = VK_NULL_HANDLE;
    FN(base_instance, vkGetDeviceQueue)(dev, 0, 0, &queue);
    *bad += queue == VK_NULL_HANDLE;
    FN(base_instance, vkDestroyDevice)(dev, cb);
    return r;
}

/* A device made without callbacks of its own falls back on its
 * instance's. */
static VkResult inherited_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    VkInstance instance;
    VkResult r = make_instance(cb, NULL, &instance);
    if (r != VK_SUCCESS)
        return r;
    VkPhysicalDevice pd;
    VkDevice dev = VK_NULL_HANDLE;
    r = first_physical(instance, &pd);
    if (r == VK_SUCCESS)
        r = make_device(pd, NULL, &dev);
    if (r == VK_SUCCESS) {
        VkQueue queue = VK_NULL_HANDLE;
        FN(instance, vkGetDeviceQueue)(dev, 0, 0, &queue);
        *bad += queue == VK_NULL_HANDLE;
        FN(instance, vkDestroyDevice)(dev, NULL);
    }
    FN(instance, vkDestroyInstance)(instance, cb);
    return r;
}

#define COMMAND_BUFFERS 4

static VkResult command_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    const VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                        .queueFamilyIndex = 0};
    VkCommandPool pool;
    VkResult r = FN(base_instance, vkCreateCommandPool)(device, &pi, cb, &pool);
    if (r != VK_SUCCESS)
        return r;
    const VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = COMMAND_BUFFERS};
    VkCommandBuffer cbs[COMMAND_BUFFERS];
    memset(cbs, 0xa5, sizeof(cbs)); /* garbage: each must become a handle or NULL */
    r = FN(base_instance, vkAllocateCommandBuffers)(device, &ai, cbs);
    for (unsigned i = 0; r != VK_SUCCESS && i < COMMAND_BUFFERS; i++)
        *bad += cbs[i] != VK_NULL_HANDLE;
    /* Recording grows each command buffer's stream (the pool's allocator). */
    const VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    for (unsigned i = 0; r == VK_SUCCESS && i < COMMAND_BUFFERS; i++) {
        r = FN(base_instance, vkBeginCommandBuffer)(cbs[i], &bi);
        const VkMemoryBarrier barrier = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                                         .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                         .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
        for (unsigned k = 0; r == VK_SUCCESS && k < 64; k++)
            FN(base_instance, vkCmdPipelineBarrier)(cbs[i], VK_PIPELINE_STAGE_TRANSFER_BIT,
                                                    VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier,
                                                    0, NULL, 0, NULL);
        if (r == VK_SUCCESS)
            r = FN(base_instance, vkEndCommandBuffer)(cbs[i]);
    }
    if (cbs[0] != VK_NULL_HANDLE) {
        /* Two freed one by one, the rest with their pool. */
        FN(base_instance, vkFreeCommandBuffers)(device, pool, 2, cbs);
    }
    FN(base_instance, vkDestroyCommandPool)(device, pool, cb);
    return r;
}

static VkDescriptorSetLayout layout;

static VkResult template_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    (void)bad;
    const VkDescriptorUpdateTemplateEntry entries[2] = {
        {.dstBinding = 0, .descriptorCount = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, .offset = 0,
         .stride = sizeof(VkDescriptorBufferInfo)},
        {.dstBinding = 1, .descriptorCount = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
         .offset = sizeof(VkDescriptorBufferInfo), .stride = sizeof(VkDescriptorBufferInfo)}};
    const VkDescriptorUpdateTemplateCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_UPDATE_TEMPLATE_CREATE_INFO,
        .descriptorUpdateEntryCount = 2,
        .pDescriptorUpdateEntries = entries,
        .templateType = VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_DESCRIPTOR_SET,
        .descriptorSetLayout = layout};
    VkDescriptorUpdateTemplate t;
    VkResult r = FN(base_instance, vkCreateDescriptorUpdateTemplate)(device, &ci, cb, &t);
    if (r == VK_SUCCESS)
        FN(base_instance, vkDestroyDescriptorUpdateTemplate)(device, t, cb);
    return r;
}

/* Host-visible memory, mapped, written, unmapped, mapped again. */
static VkResult memory_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    (void)bad;
    const VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                     .allocationSize = 65536,
                                     .memoryTypeIndex = host_visible_type};
    VkDeviceMemory memory;
    VkResult r = FN(base_instance, vkAllocateMemory)(device, &ai, cb, &memory);
    if (r != VK_SUCCESS)
        return r;
    for (int round = 0; r == VK_SUCCESS && round < 2; round++) {
        void *p = NULL;
        r = FN(base_instance, vkMapMemory)(device, memory, 0, VK_WHOLE_SIZE, 0, &p);
        if (r == VK_SUCCESS) {
            memset(p, round + 1, 4096);
            FN(base_instance, vkUnmapMemory)(device, memory);
        }
    }
    FN(base_instance, vkFreeMemory)(device, memory, cb);
    return r;
}

static VkResult copied_memory_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    setenv("VKWIRE_MEMORY", "copy-socket", 1); /* a shadow on the heap */
    const VkResult r = memory_attempt(cb, bad);
    unsetenv("VKWIRE_MEMORY");
    return r;
}

static VkResult buffer_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    (void)bad;
    const VkBufferCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                   .size = 4096,
                                   .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT};
    VkBuffer buffer;
    VkResult r = FN(base_instance, vkCreateBuffer)(device, &ci, cb, &buffer);
    if (r == VK_SUCCESS)
        FN(base_instance, vkDestroyBuffer)(device, buffer, cb);
    return r;
}

static VkResult image_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    (void)bad;
    const VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                  .imageType = VK_IMAGE_TYPE_2D,
                                  .format = VK_FORMAT_R8G8B8A8_UNORM,
                                  .extent = {64, 64, 1},
                                  .mipLevels = 1,
                                  .arrayLayers = 1,
                                  .samples = VK_SAMPLE_COUNT_1_BIT,
                                  .tiling = VK_IMAGE_TILING_OPTIMAL,
                                  .usage = VK_IMAGE_USAGE_SAMPLED_BIT};
    VkImage image;
    VkResult r = FN(base_instance, vkCreateImage)(device, &ci, cb, &image);
    if (r == VK_SUCCESS)
        FN(base_instance, vkDestroyImage)(device, image, cb);
    return r;
}

static VkInstance debug_instance;

static VKAPI_ATTR VkBool32 VKAPI_CALL quiet(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                           VkDebugUtilsMessageTypeFlagsEXT types,
                                           const VkDebugUtilsMessengerCallbackDataEXT *data,
                                           void *user)
{
    (void)severity, (void)types, (void)data, (void)user;
    return VK_FALSE;
}

static VkResult messenger_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    (void)bad;
    const VkDebugUtilsMessengerCreateInfoEXT ci = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT,
        .pfnUserCallback = quiet};
    VkDebugUtilsMessengerEXT m;
    VkResult r = FN(debug_instance, vkCreateDebugUtilsMessengerEXT)(debug_instance, &ci, cb, &m);
    if (r == VK_SUCCESS)
        FN(debug_instance, vkDestroyDebugUtilsMessengerEXT)(debug_instance, m, cb);
    return r;
}

static VkPipelineLayout pipeline_layout;
static VkShaderModule vertex_shader;

#define PIPELINES 4

/* Four graphics pipelines in one call (a vertex shader, rasterization
 * discarded, dynamic rendering): the guest keeps nothing for them, but its
 * cleaned copies of their create infos come from the command's allocator
 * (COMMAND scope); on failure every handle is VK_NULL_HANDLE. */
static VkResult pipelines_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    const VkPipelineShaderStageCreateInfo stage = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_VERTEX_BIT,
        .module = vertex_shader,
        .pName = "main"};
    const VkPipelineVertexInputStateCreateInfo vertex = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    const VkPipelineInputAssemblyStateCreateInfo assembly = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
        .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST};
    const VkPipelineRasterizationStateCreateInfo raster = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
        .rasterizerDiscardEnable = VK_TRUE,
        .lineWidth = 1.0f};
    const VkPipelineRenderingCreateInfo rendering = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO};
    VkGraphicsPipelineCreateInfo infos[PIPELINES];
    for (unsigned i = 0; i < PIPELINES; i++)
        infos[i] = (VkGraphicsPipelineCreateInfo){
            .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
            .pNext = &rendering,
            .stageCount = 1,
            .pStages = &stage,
            .pVertexInputState = &vertex,
            .pInputAssemblyState = &assembly,
            .pRasterizationState = &raster,
            .layout = pipeline_layout};
    VkPipeline pipelines[PIPELINES];
    memset(pipelines, 0xa5, sizeof(pipelines)); /* garbage: each must become a handle or NULL */
    VkResult r = FN(base_instance, vkCreateGraphicsPipelines)(device, VK_NULL_HANDLE, PIPELINES,
                                                              infos, cb, pipelines);
    for (unsigned i = 0; i < PIPELINES; i++) {
        if (r != VK_SUCCESS)
            *bad += pipelines[i] != VK_NULL_HANDLE;
        else
            FN(base_instance, vkDestroyPipeline)(device, pipelines[i], cb);
    }
    return r;
}

/* A private data slot (made by the guest alone) holding data for a few
 * objects: the slot and its tables come from its callbacks (OBJECT
 * scope); what was set reads back. */
static VkResult private_data_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    const VkPrivateDataSlotCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PRIVATE_DATA_SLOT_CREATE_INFO};
    VkPrivateDataSlot slot = VK_NULL_HANDLE;
    VkResult r = FN(base_instance, vkCreatePrivateDataSlot)(device, &ci, cb, &slot);
    if (r != VK_SUCCESS)
        return r;
    for (uint64_t i = 1; i <= 3 && r == VK_SUCCESS; i++)
        r = FN(base_instance, vkSetPrivateData)(device, (VkObjectType)(VK_OBJECT_TYPE_BUFFER + i),
                                                 0x1000 * i, slot, 70 + i);
    for (uint64_t i = 1; i <= 3 && r == VK_SUCCESS; i++) {
        uint64_t data = 0;
        FN(base_instance, vkGetPrivateData)(device, (VkObjectType)(VK_OBJECT_TYPE_BUFFER + i),
                                            0x1000 * i, slot, &data);
        *bad += data != 70 + i;
    }
    FN(base_instance, vkDestroyPrivateDataSlot)(device, slot, cb);
    return r;
}

/* The documented exceptions: objects the guest keeps nothing for. */
static VkResult fence_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    (void)bad;
    const VkFenceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    VkResult r = FN(base_instance, vkCreateFence)(device, &ci, cb, &fence);
    if (r == VK_SUCCESS)
        FN(base_instance, vkDestroyFence)(device, fence, cb);
    return r;
}

static VkResult sampler_attempt(const VkAllocationCallbacks *cb, unsigned *bad)
{
    (void)bad;
    const VkSamplerCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                                    .maxLod = 1.0f};
    VkSampler sampler;
    VkResult r = FN(base_instance, vkCreateSampler)(device, &ci, cb, &sampler);
    if (r == VK_SUCCESS)
        FN(base_instance, vkDestroySampler)(device, sampler, cb);
    return r;
}

static bool instance_offers(const char *name)
{
    uint32_t n = 0;
    PFN_vkEnumerateInstanceExtensionProperties list =
        FN(NULL, vkEnumerateInstanceExtensionProperties);
    if (list(NULL, &n, NULL) != VK_SUCCESS || n == 0)
        return false;
    VkExtensionProperties *props = calloc(n, sizeof(*props));
    bool found = false;
    if (props && list(NULL, &n, props) >= 0)
        for (uint32_t i = 0; i < n && !found; i++)
            found = strcmp(props[i].extensionName, name) == 0;
    free(props);
    return found;
}

/* ---- main ---- */

static void remove_tree(const char *dir)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/server.log", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/s/socket", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/s", dir);
    rmdir(path);
    rmdir(dir);
}

/* The whole file as a string (malloc'ed), or NULL. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t r;
    while (s && (r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) {
            char *bigger = realloc(s, cap *= 2);
            if (!bigger)
                free(s);
            s = bigger;
        }
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

/* Every client's line says it left no object behind ("...; destroyed 0
 * objects"), and there are some. */
static bool nothing_left(const char *log)
{
    unsigned clients = 0;
    for (const char *p = log; (p = strstr(p, "; destroyed ")) != NULL; p++) {
        clients++;
        if (strtoul(p + strlen("; destroyed "), NULL, 10) != 0)
            return false;
    }
    return clients > 0;
}

static void dump_server_log(void)
{
    FILE *f = fopen(server_log, "r");
    char line[512];
    while (f && fgets(line, sizeof(line), f))
        printf("# server: %s", line);
    if (f)
        fclose(f);
}

static bool bring_up(void)
{
    if (make_instance(NULL, NULL, &base_instance) != VK_SUCCESS ||
        first_physical(base_instance, &physical) != VK_SUCCESS || !physical ||
        make_device(physical, NULL, &device) != VK_SUCCESS)
        return false;
    VkPhysicalDeviceMemoryProperties mp;
    FN(base_instance, vkGetPhysicalDeviceMemoryProperties)(physical, &mp);
    host_visible_type = UINT32_MAX;
    for (uint32_t i = 0; i < mp.memoryTypeCount && host_visible_type == UINT32_MAX; i++)
        if (mp.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)
            host_visible_type = i;
    const VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL}};
    const VkDescriptorSetLayoutCreateInfo li = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 2,
        .pBindings = bindings};
    const VkPipelineLayoutCreateInfo pli = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    const VkShaderModuleCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                         .codeSize = sizeof(cmd_fullscreen_vert_spv),
                                         .pCode = cmd_fullscreen_vert_spv};
    return host_visible_type != UINT32_MAX &&
           FN(base_instance, vkCreateDescriptorSetLayout)(device, &li, NULL, &layout) ==
               VK_SUCCESS &&
           FN(base_instance, vkCreatePipelineLayout)(device, &pli, NULL, &pipeline_layout) ==
               VK_SUCCESS &&
           FN(base_instance, vkCreateShaderModule)(device, &si, NULL, &vertex_shader) == VK_SUCCESS;
}

int main(void)
{
    alarm(300); /* a hang fails the test instead of blocking make check */
    const char *manifest = lavapipe_manifest();
    if (!manifest) {
        printf("1..0 # SKIP no lavapipe ICD manifest (lvp_icd*.json) on this machine\n");
        return 0;
    }
    const char *builddir = getenv("top_builddir");
    builddir = builddir ? builddir : ".";
    char icd[1024];
    snprintf(icd, sizeof(icd), "%s/.libs/libvulkan_vkwire.so", builddir);
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/vkwire-alloc-test-XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        printf("Bail out! mkdtemp %s: %s\n", tmp_dir, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!start_server(builddir, manifest)) {
        printf("Bail out! vkwire-server did not start\n");
        dump_server_log();
        stop_server();
        return 1;
    }
    void *lib = dlopen(icd, RTLD_NOW | RTLD_LOCAL);
    typedef PFN_vkVoidFunction (*gipa_fn)(VkInstance, const char *);
    typedef VkResult (*negotiate_fn)(uint32_t *);
    gipa_fn icd_gipa = lib ? (gipa_fn)dlsym(lib, "vk_icdGetInstanceProcAddr") : NULL;
    negotiate_fn negotiate =
        lib ? (negotiate_fn)dlsym(lib, "vk_icdNegotiateLoaderICDInterfaceVersion") : NULL;
    uint32_t version = 7;
    if (!icd_gipa || !negotiate || negotiate(&version) != VK_SUCCESS) {
        printf("Bail out! cannot load the ICD %s: %s\n", icd,
               lib ? "no vk_icd entry points" : dlerror());
        stop_server();
        return 1;
    }
    gipa = (PFN_vkGetInstanceProcAddr)(void *)icd_gipa;
    if (!bring_up()) {
        printf("Bail out! no instance and device through vkwire on lavapipe\n");
        dump_server_log();
        stop_server();
        return 1;
    }

    run_case("instance and its physical devices", instance_attempt, true);
    run_case("device and its queue", device_attempt, true);
    const unsigned inherited = run_case("instance, and a device without callbacks of its own",
                                        inherited_attempt, true);
    ok(inherited & (1u << VK_SYSTEM_ALLOCATION_SCOPE_DEVICE),
       "a device without callbacks of its own allocates through its instance's (DEVICE scope)");
    const unsigned commands =
        run_case("command pool, 4 command buffers recorded", command_attempt, true);
    ok(commands & (1u << VK_SYSTEM_ALLOCATION_SCOPE_OBJECT),
       "command buffers allocate through their pool's callbacks (OBJECT scope)");
    run_case("descriptor update template", template_attempt, true);
    run_case("device memory, mapped (shared pages)", memory_attempt, true);
    run_case("device memory, mapped (a shadow copied over the socket)", copied_memory_attempt,
             true);
    run_case("buffer", buffer_attempt, true);
    run_case("image", image_attempt, true);
    if (instance_offers(VK_EXT_DEBUG_UTILS_EXTENSION_NAME) &&
        make_instance(NULL, VK_EXT_DEBUG_UTILS_EXTENSION_NAME, &debug_instance) == VK_SUCCESS) {
        run_case("debug utils messenger", messenger_attempt, true);
        FN(debug_instance, vkDestroyInstance)(debug_instance, NULL);
    } else {
        skip(4, "the host offers no VK_EXT_debug_utils");
    }
    const unsigned pipelines = run_case("4 graphics pipelines at once", pipelines_attempt, true);
    ok(pipelines == 1u << VK_SYSTEM_ALLOCATION_SCOPE_COMMAND,
       "pipelines' create infos are copied through the command's callbacks (COMMAND scope only)");
    run_case("private data slot", private_data_attempt, true);
    run_case("fence", fence_attempt, false);
    run_case("sampler", sampler_attempt, false);

    FN(base_instance, vkDestroyShaderModule)(device, vertex_shader, NULL);
    FN(base_instance, vkDestroyPipelineLayout)(device, pipeline_layout, NULL);
    FN(base_instance, vkDestroyDescriptorSetLayout)(device, layout, NULL);
    FN(base_instance, vkDestroyDevice)(device, NULL);
    FN(base_instance, vkDestroyInstance)(base_instance, NULL);
    stop_server();
    /* A failed creation sends nothing, or undoes what it sent: the host
     * saw no error, and no client left objects behind. */
    char *log = read_text(server_log);
    ok(log && nothing_left(log) && !strstr(log, "protocol error") && !strstr(log, "crashed") &&
           !strstr(log, "Sanitizer"),
       "the server saw no error, and every client left nothing behind");
    free(log);
    if (tap_.failed)
        dump_server_log();
    else
        remove_tree(tmp_dir);
    /* Not dlclose'd: the ICD's destructors run at exit, after the checks. */
    return done_testing();
}
