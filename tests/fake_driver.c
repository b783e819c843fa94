/* fake_driver — see fake_driver.h. */
#define _GNU_SOURCE /* memfd_create; before any include */
#include "fake_driver.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vkw_formats.h"
#include "vkw_handles.h"
#include "vkw_vulkan_util.h"

/* The one memory heap; bigger allocations fail as a real driver's would
 * (and keep a fuzzer's allocations bounded). */
#define FK_HEAP_BYTES ((VkDeviceSize)256 << 20)
#define FK_QUEUE_FAMILIES 2u

struct fk_object {
    VkObjectType type;
    bool live;
    uint64_t parent;     /* the handle it was made from; 0 for none */
    VkDeviceSize size;   /* buffers, images, memory */
    unsigned char *bytes; /* memory: calloc'ed at first map, or imported pages */
    bool imported;
    bool mapped;
    bool signaled;       /* fences */
    bool pending;        /* fences: a held submission signals it */
    uint64_t died;       /* when it was destroyed (a count of deaths), 0 while alive */
};

static struct {
    struct fk_object *objects;
    size_t count, capacity;
    size_t made;
    char problem[320];
    bool abort_on_problem, hold;
    VkObjectType fail_type; /* vkw_fake_fail_creation */
    VkResult fail_result;
    uint64_t deaths;
    size_t fds_taken, fds_exported; /* external fds */
} fk;

/* One thread at a time in the driver: the host makes the calls that may
 * block on threads of its own (doc/PROTOCOL.md section 29) while its worker
 * goes on.  Every entry point holds this (recursive: entry points call
 * each other) for its whole run; the fake's calls never block. */
static pthread_mutex_t fk_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static inline pthread_mutex_t *fk_enter(void)
{
    pthread_mutex_lock(&fk_mutex);
    return &fk_mutex;
}

static inline void fk_leave(pthread_mutex_t **m) { pthread_mutex_unlock(*m); }

#define FK_GUARD pthread_mutex_t *fk_guard_ __attribute__((cleanup(fk_leave), unused)) = fk_enter()

/* ---- the registry ---- */

static void problem(const char *fmt, ...)
{
    char text[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (!fk.problem[0])
        snprintf(fk.problem, sizeof(fk.problem), "%s", text);
    if (fk.abort_on_problem) {
        fprintf(stderr, "fake driver: contract broken: %s\n", text);
        abort();
    }
}

static uint64_t fk_new(VkObjectType type, uint64_t parent)
{
    if (fk.count == fk.capacity) {
        size_t cap = fk.capacity ? fk.capacity * 2 : 256;
        struct fk_object *o = realloc(fk.objects, cap * sizeof(*o));
        if (!o) {
            fprintf(stderr, "fake driver: out of memory\n");
            abort();
        }
        fk.objects = o;
        fk.capacity = cap;
    }
    fk.objects[fk.count] = (struct fk_object){.type = type, .live = true, .parent = parent};
    fk.made++;
    return (uint64_t)++fk.count << 4; /* non-zero, aligned, never reused */
}

static struct fk_object *fk_get(uint64_t h)
{
    const uint64_t i = (h >> 4) - 1;
    if (h == 0 || (h & 15u) != 0 || i >= fk.count)
        return NULL;
    return &fk.objects[i];
}

/* The live object `h` of `type`; NULL (and a problem, unless h is 0 and
 * optional) when it is not one. */
static struct fk_object *fk_use(VkObjectType type, uint64_t h, bool optional, const char *where)
{
    if (h == 0) {
        if (!optional)
            problem("%s: VK_NULL_HANDLE where an object of type %d is required", where,
                    (int)type);
        return NULL;
    }
    struct fk_object *o = fk_get(h);
    if (!o || !o->live || o->type != type) {
        problem("%s: handle 0x%llx is %s (wanted type %d)", where, (unsigned long long)h,
                !o ? "not one this driver made" : !o->live ? "destroyed" : "of another type",
                (int)type);
        return NULL;
    }
    return o;
}

#define USE(type, h, where) fk_use(VK_OBJECT_TYPE_##type, VKW_HANDLE_U64(h), false, where)
#define USE_OPT(type, h, where) fk_use(VK_OBJECT_TYPE_##type, VKW_HANDLE_U64(h), true, where)

static void fk_kill(struct fk_object *o)
{
    if (o->type == VK_OBJECT_TYPE_DEVICE_MEMORY && !o->imported)
        free(o->bytes);
    o->bytes = NULL;
    o->live = false;
    o->died = ++fk.deaths;
}

/* Free what `parent` frees with itself (pools' allocations, a device's
 * queues, an instance's physical devices); report anything else still
 * alive that was made from it. */
static void fk_release_children(uint64_t parent, VkObjectType implicit, const char *where)
{
    for (size_t i = 0; i < fk.count; i++) {
        struct fk_object *o = &fk.objects[i];
        if (!o->live || o->parent != parent)
            continue;
        if (o->type != implicit)
            problem("%s: an object of type %d made from it is still alive", where, (int)o->type);
        if (o->type == VK_OBJECT_TYPE_PHYSICAL_DEVICE || o->type == VK_OBJECT_TYPE_DEVICE)
            fk_release_children((uint64_t)(i + 1) << 4,
                                o->type == VK_OBJECT_TYPE_DEVICE ? VK_OBJECT_TYPE_QUEUE
                                                                 : VK_OBJECT_TYPE_UNKNOWN,
                                where);
        fk_kill(o);
    }
}

static void fk_destroy(VkObjectType type, uint64_t h, VkObjectType implicit, const char *where)
{
    struct fk_object *o = fk_use(type, h, true, where);
    if (!o)
        return;
    fk_release_children(h, implicit, where);
    fk_kill(o);
}

size_t vkw_fake_live_objects(void)
{
    FK_GUARD;
    size_t n = 0;
    for (size_t i = 0; i < fk.count; i++)
        n += fk.objects[i].live;
    return n;
}

size_t vkw_fake_live_of_type(VkObjectType type)
{
    FK_GUARD;
    size_t n = 0;
    for (size_t i = 0; i < fk.count; i++)
        n += fk.objects[i].live && fk.objects[i].type == type;
    return n;
}

size_t vkw_fake_objects_made(void) { return fk.made; }

bool vkw_fake_died_before(VkObjectType first, VkObjectType then)
{
    FK_GUARD;
    uint64_t last_first = 0, first_then = UINT64_MAX;
    for (size_t i = 0; i < fk.count; i++) {
        const struct fk_object *o = &fk.objects[i];
        if (o->died && o->type == first && o->died > last_first)
            last_first = o->died;
        if (o->died && o->type == then && o->died < first_then)
            first_then = o->died;
    }
    return last_first < first_then;
}

VkDeviceSize vkw_fake_live_memory_bytes(void)
{
    FK_GUARD;
    VkDeviceSize n = 0;
    for (size_t i = 0; i < fk.count; i++)
        if (fk.objects[i].live && fk.objects[i].type == VK_OBJECT_TYPE_DEVICE_MEMORY)
            n += fk.objects[i].size;
    return n;
}

size_t vkw_fake_pending_work(void)
{
    FK_GUARD;
    size_t n = 0;
    for (size_t i = 0; i < fk.count; i++)
        n += fk.objects[i].live && fk.objects[i].pending;
    return n;
}

const char *vkw_fake_problem(void) { return fk.problem; }
void vkw_fake_abort_on_problem(bool abort_on_problem) { fk.abort_on_problem = abort_on_problem; }
void vkw_fake_hold_work(bool hold) { fk.hold = hold; }

void vkw_fake_complete_work(void)
{
    FK_GUARD;
    for (size_t i = 0; i < fk.count; i++) {
        if (fk.objects[i].pending) {
            fk.objects[i].pending = false;
            fk.objects[i].signaled = true;
        }
    }
}

void vkw_fake_reset(void)
{
    FK_GUARD;
    for (size_t i = 0; i < fk.count; i++)
        if (fk.objects[i].live)
            fk_kill(&fk.objects[i]);
    free(fk.objects);
    fk.objects = NULL;
    fk.count = fk.capacity = fk.made = 0;
    fk.deaths = 0;
    fk.problem[0] = '\0';
    fk.hold = false;
    fk.fail_result = VK_SUCCESS;
}

void vkw_fake_fail_creation(VkObjectType type, VkResult result)
{
    FK_GUARD;
    fk.fail_type = type;
    fk.fail_result = result;
}


/* ---- external fds ---- */

/* An fd an import hands over: it must be open (the host passes only fds it
 * received); a pipe is refused, as a driver refuses what is not its kind
 * (the caller keeps it then).  Taken ones are closed at once: the driver
 * owns them. */
static bool fk_take_fd(int fd, const char *where)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        problem("%s: fd %d is not open", where, fd);
        return false;
    }
    if (S_ISFIFO(st.st_mode))
        return false;
    close(fd);
    fk.fds_taken++;
    return true;
}

/* A new fd for an export: a sealed memfd of `size` bytes (so that a host
 * takes it back as memory), or an eventfd for a fence or semaphore. */
static int fk_export_fd(VkDeviceSize size)
{
    int fd;
    if (size) {
        fd = memfd_create("fake-export", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd >= 0 && (ftruncate(fd, (off_t)size) != 0 ||
                        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)) {
            close(fd);
            fd = -1;
        }
    } else {
        fd = eventfd(0, EFD_CLOEXEC);
    }
    if (fd >= 0)
        fk.fds_exported++;
    return fd;
}

size_t vkw_fake_fds_taken(void) { return fk.fds_taken; }
size_t vkw_fake_fds_exported(void) { return fk.fds_exported; }

/* ---- instance and physical device ---- */

static const VkExtensionProperties fk_instance_extensions[] = {
    {VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME, 2},
    {VK_KHR_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME, 1},
};
static const VkExtensionProperties fk_device_extensions[] = {
    {VK_KHR_MAINTENANCE1_EXTENSION_NAME, 2},
    {VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME, 1},
    {VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME, 2},
    {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME, 1},
    {VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME, 1},
    {VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME, 1},
};
#define FK_DEVICE_EXTENSIONS (sizeof(fk_device_extensions) / sizeof(fk_device_extensions[0]))

static VkResult list_extensions(const VkExtensionProperties *list, uint32_t n, uint32_t *count,
                                VkExtensionProperties *out)
{
    if (!out) {
        *count = n;
        return VK_SUCCESS;
    }
    const uint32_t k = *count < n ? *count : n;
    memcpy(out, list, k * sizeof(*out));
    *count = k;
    return k < n ? VK_INCOMPLETE : VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkEnumerateInstanceExtensionProperties(
    const char *layer, uint32_t *count, VkExtensionProperties *out)
{
    FK_GUARD;
    if (layer)
        return VK_ERROR_LAYER_NOT_PRESENT;
    return list_extensions(fk_instance_extensions, 2, count, out);
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateInstance(const VkInstanceCreateInfo *ci,
                                                            const VkAllocationCallbacks *a,
                                                            VkInstance *out)
{
    FK_GUARD;
    (void)a;
    if (!ci)
        problem("vkCreateInstance: no create info");
    *out = VKW_U64_HANDLE(VkInstance, fk_new(VK_OBJECT_TYPE_INSTANCE, 0));
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyInstance(VkInstance instance,
                                                         const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    fk_destroy(VK_OBJECT_TYPE_INSTANCE, VKW_HANDLE_U64(instance), VK_OBJECT_TYPE_PHYSICAL_DEVICE,
               "vkDestroyInstance");
}

/* Each instance has one physical device, made when first enumerated. */
static uint64_t physical_of(uint64_t instance)
{
    for (size_t i = 0; i < fk.count; i++)
        if (fk.objects[i].live && fk.objects[i].type == VK_OBJECT_TYPE_PHYSICAL_DEVICE &&
            fk.objects[i].parent == instance)
            return (uint64_t)(i + 1) << 4;
    return fk_new(VK_OBJECT_TYPE_PHYSICAL_DEVICE, instance);
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkEnumeratePhysicalDevices(VkInstance instance,
                                                                      uint32_t *count,
                                                                      VkPhysicalDevice *out)
{
    FK_GUARD;
    if (!USE(INSTANCE, instance, "vkEnumeratePhysicalDevices"))
        return VK_ERROR_INITIALIZATION_FAILED;
    if (!out) {
        *count = 1;
        return VK_SUCCESS;
    }
    if (*count == 0)
        return VK_INCOMPLETE;
    out[0] = VKW_U64_HANDLE(VkPhysicalDevice, physical_of(VKW_HANDLE_U64(instance)));
    *count = 1;
    return VK_SUCCESS;
}

#define PD(where)                                                                               \
    do {                                                                                        \
        if (!USE(PHYSICAL_DEVICE, pd, where))                                                   \
            return;                                                                             \
    } while (0)

static void fill_properties(VkPhysicalDeviceProperties *p)
{
    memset(p, 0, sizeof(*p));
    p->apiVersion = VK_API_VERSION_1_3;
    p->driverVersion = 1;
    p->vendorID = 0x10005;
    p->deviceType = VK_PHYSICAL_DEVICE_TYPE_CPU;
    snprintf(p->deviceName, sizeof(p->deviceName), "vkwire fake driver");
    p->limits.maxImageDimension2D = 4096;
    p->limits.maxMemoryAllocationCount = 4096;
    p->limits.nonCoherentAtomSize = 64;
    p->limits.minMemoryMapAlignment = 64;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceProperties(VkPhysicalDevice pd,
                                                                     VkPhysicalDeviceProperties *p)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceProperties");
    fill_properties(p);
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceProperties2(
    VkPhysicalDevice pd, VkPhysicalDeviceProperties2 *p)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceProperties2");
    fill_properties(&p->properties);
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT *host = (void *)vkw_chain_find(
        p->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT);
    if (host)
        host->minImportedHostPointerAlignment = 4096;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceFeatures(VkPhysicalDevice pd,
                                                                   VkPhysicalDeviceFeatures *f)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceFeatures");
    memset(f, 0, sizeof(*f));
    f->robustBufferAccess = VK_TRUE;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceFeatures2(VkPhysicalDevice pd,
                                                                    VkPhysicalDeviceFeatures2 *f)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceFeatures2");
    memset(&f->features, 0, sizeof(f->features));
    VkPhysicalDeviceAccelerationStructureFeaturesKHR *as = (void *)vkw_chain_find(
        f->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR);
    if (as) /* so that the host commands reach this driver (and its reads) */
        as->accelerationStructureHostCommands = VK_TRUE;
}

static void fill_family(VkQueueFamilyProperties *q, uint32_t i)
{
    memset(q, 0, sizeof(*q));
    q->queueFlags = i == 0 ? VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT
                           : VK_QUEUE_SPARSE_BINDING_BIT;
    q->queueCount = 2;
    q->minImageTransferGranularity = (VkExtent3D){1, 1, 1};
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceQueueFamilyProperties(
    VkPhysicalDevice pd, uint32_t *count, VkQueueFamilyProperties *out)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceQueueFamilyProperties");
    if (!out) {
        *count = FK_QUEUE_FAMILIES;
        return;
    }
    if (*count > FK_QUEUE_FAMILIES)
        *count = FK_QUEUE_FAMILIES;
    for (uint32_t i = 0; i < *count; i++)
        fill_family(&out[i], i);
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceQueueFamilyProperties2(
    VkPhysicalDevice pd, uint32_t *count, VkQueueFamilyProperties2 *out)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceQueueFamilyProperties2");
    if (!out) {
        *count = FK_QUEUE_FAMILIES;
        return;
    }
    if (*count > FK_QUEUE_FAMILIES)
        *count = FK_QUEUE_FAMILIES;
    for (uint32_t i = 0; i < *count; i++)
        fill_family(&out[i].queueFamilyProperties, i);
}

/* Type 0 host-visible and coherent, type 1 device-local only. */
static void fill_memory_properties(VkPhysicalDeviceMemoryProperties *p)
{
    memset(p, 0, sizeof(*p));
    p->memoryTypeCount = 2;
    p->memoryTypes[0].propertyFlags =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    p->memoryTypes[1].propertyFlags = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    p->memoryHeapCount = 1;
    p->memoryHeaps[0].size = FK_HEAP_BYTES;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceMemoryProperties(
    VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties *p)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceMemoryProperties");
    fill_memory_properties(p);
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceMemoryProperties2(
    VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties2 *p)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceMemoryProperties2");
    fill_memory_properties(&p->memoryProperties);
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceFormatProperties(
    VkPhysicalDevice pd, VkFormat format, VkFormatProperties *p)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceFormatProperties");
    memset(p, 0, sizeof(*p));
    if (format != VK_FORMAT_UNDEFINED)
        p->optimalTilingFeatures = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceFormatProperties2(
    VkPhysicalDevice pd, VkFormat format, VkFormatProperties2 *p)
{
    FK_GUARD;
    PD("vkGetPhysicalDeviceFormatProperties2");
    memset(&p->formatProperties, 0, sizeof(p->formatProperties));
    if (format != VK_FORMAT_UNDEFINED)
        p->formatProperties.optimalTilingFeatures = VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetPhysicalDeviceImageFormatProperties(
    VkPhysicalDevice pd, VkFormat format, VkImageType type, VkImageTiling tiling,
    VkImageUsageFlags usage, VkImageCreateFlags flags, VkImageFormatProperties *p)
{
    FK_GUARD;
    (void)format, (void)type, (void)tiling, (void)usage, (void)flags;
    if (!USE(PHYSICAL_DEVICE, pd, "vkGetPhysicalDeviceImageFormatProperties"))
        return VK_ERROR_FORMAT_NOT_SUPPORTED;
    memset(p, 0, sizeof(*p));
    p->maxExtent = (VkExtent3D){4096, 4096, 1};
    p->maxMipLevels = 13;
    p->maxArrayLayers = 16;
    p->sampleCounts = VK_SAMPLE_COUNT_1_BIT;
    p->maxResourceSize = FK_HEAP_BYTES;
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetPhysicalDeviceSparseImageFormatProperties(
    VkPhysicalDevice pd, VkFormat format, VkImageType type, VkSampleCountFlagBits samples,
    VkImageUsageFlags usage, VkImageTiling tiling, uint32_t *count,
    VkSparseImageFormatProperties *out)
{
    FK_GUARD;
    (void)format, (void)type, (void)samples, (void)usage, (void)tiling, (void)out;
    PD("vkGetPhysicalDeviceSparseImageFormatProperties");
    *count = 0;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkEnumerateDeviceExtensionProperties(
    VkPhysicalDevice pd, const char *layer, uint32_t *count, VkExtensionProperties *out)
{
    FK_GUARD;
    if (!USE(PHYSICAL_DEVICE, pd, "vkEnumerateDeviceExtensionProperties"))
        return VK_ERROR_INITIALIZATION_FAILED;
    if (layer)
        return VK_ERROR_LAYER_NOT_PRESENT;
    return list_extensions(fk_device_extensions, FK_DEVICE_EXTENSIONS, count, out);
}

/* ---- device and queues ---- */

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateDevice(VkPhysicalDevice pd,
                                                          const VkDeviceCreateInfo *ci,
                                                          const VkAllocationCallbacks *a,
                                                          VkDevice *out)
{
    FK_GUARD;
    (void)a;
    if (!USE(PHYSICAL_DEVICE, pd, "vkCreateDevice"))
        return VK_ERROR_INITIALIZATION_FAILED;
    for (uint32_t i = 0; i < ci->enabledExtensionCount; i++) {
        bool known = false;
        for (size_t k = 0; k < FK_DEVICE_EXTENSIONS; k++)
            known |= strcmp(ci->ppEnabledExtensionNames[i], fk_device_extensions[k].extensionName) == 0;
        if (!known)
            return VK_ERROR_EXTENSION_NOT_PRESENT;
    }
    *out = VKW_U64_HANDLE(VkDevice, fk_new(VK_OBJECT_TYPE_DEVICE, VKW_HANDLE_U64(pd)));
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyDevice(VkDevice device,
                                                       const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    fk_destroy(VK_OBJECT_TYPE_DEVICE, VKW_HANDLE_U64(device), VK_OBJECT_TYPE_QUEUE,
               "vkDestroyDevice");
}

/* One queue object per (device, family, index), made on first request. */
static uint64_t queue_of(uint64_t device, uint32_t family, uint32_t index)
{
    const uint64_t key = (uint64_t)family << 32 | index;
    for (size_t i = 0; i < fk.count; i++)
        if (fk.objects[i].live && fk.objects[i].type == VK_OBJECT_TYPE_QUEUE &&
            fk.objects[i].parent == device && fk.objects[i].size == key)
            return (uint64_t)(i + 1) << 4;
    const uint64_t q = fk_new(VK_OBJECT_TYPE_QUEUE, device);
    fk_get(q)->size = key;
    return q;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetDeviceQueue(VkDevice device, uint32_t family,
                                                        uint32_t index, VkQueue *out)
{
    FK_GUARD;
    if (!USE(DEVICE, device, "vkGetDeviceQueue") || family >= FK_QUEUE_FAMILIES || index >= 2) {
        *out = VK_NULL_HANDLE;
        return;
    }
    *out = VKW_U64_HANDLE(VkQueue, queue_of(VKW_HANDLE_U64(device), family, index));
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetDeviceQueue2(VkDevice device,
                                                         const VkDeviceQueueInfo2 *info,
                                                         VkQueue *out)
{
    FK_GUARD;
    fake_vkGetDeviceQueue(device, info->queueFamilyIndex, info->queueIndex, out);
}

static void complete_work_of(uint64_t device)
{
    (void)device; /* every submission completes: good enough for a fake */
    vkw_fake_complete_work();
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkDeviceWaitIdle(VkDevice device)
{
    FK_GUARD;
    if (!USE(DEVICE, device, "vkDeviceWaitIdle"))
        return VK_ERROR_DEVICE_LOST;
    complete_work_of(VKW_HANDLE_U64(device));
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkQueueWaitIdle(VkQueue queue)
{
    FK_GUARD;
    struct fk_object *q = USE(QUEUE, queue, "vkQueueWaitIdle");
    if (!q)
        return VK_ERROR_DEVICE_LOST;
    complete_work_of(q->parent);
    return VK_SUCCESS;
}

static void submitted_fence(VkFence fence, const char *where)
{
    struct fk_object *f = USE_OPT(FENCE, fence, where);
    if (!f)
        return;
    f->pending = fk.hold;
    f->signaled = !fk.hold;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkQueueSubmit(VkQueue queue, uint32_t n,
                                                         const VkSubmitInfo *submits, VkFence fence)
{
    FK_GUARD;
    if (!USE(QUEUE, queue, "vkQueueSubmit"))
        return VK_ERROR_DEVICE_LOST;
    for (uint32_t i = 0; i < n; i++) {
        const VkSubmitInfo *s = &submits[i];
        for (uint32_t k = 0; k < s->waitSemaphoreCount; k++)
            USE(SEMAPHORE, s->pWaitSemaphores[k], "vkQueueSubmit wait");
        for (uint32_t k = 0; k < s->commandBufferCount; k++)
            USE(COMMAND_BUFFER, s->pCommandBuffers[k], "vkQueueSubmit");
        for (uint32_t k = 0; k < s->signalSemaphoreCount; k++)
            USE(SEMAPHORE, s->pSignalSemaphores[k], "vkQueueSubmit signal");
    }
    submitted_fence(fence, "vkQueueSubmit fence");
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkQueueSubmit2(VkQueue queue, uint32_t n,
                                                          const VkSubmitInfo2 *submits,
                                                          VkFence fence)
{
    FK_GUARD;
    if (!USE(QUEUE, queue, "vkQueueSubmit2"))
        return VK_ERROR_DEVICE_LOST;
    for (uint32_t i = 0; i < n; i++) {
        const VkSubmitInfo2 *s = &submits[i];
        for (uint32_t k = 0; k < s->waitSemaphoreInfoCount; k++)
            USE(SEMAPHORE, s->pWaitSemaphoreInfos[k].semaphore, "vkQueueSubmit2 wait");
        for (uint32_t k = 0; k < s->commandBufferInfoCount; k++)
            USE(COMMAND_BUFFER, s->pCommandBufferInfos[k].commandBuffer, "vkQueueSubmit2");
        for (uint32_t k = 0; k < s->signalSemaphoreInfoCount; k++)
            USE(SEMAPHORE, s->pSignalSemaphoreInfos[k].semaphore, "vkQueueSubmit2 signal");
    }
    submitted_fence(fence, "vkQueueSubmit2 fence");
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkQueueBindSparse(VkQueue queue, uint32_t n,
                                                             const VkBindSparseInfo *infos,
                                                             VkFence fence)
{
    FK_GUARD;
    (void)infos;
    if (!USE(QUEUE, queue, "vkQueueBindSparse"))
        return VK_ERROR_DEVICE_LOST;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < infos[i].bufferBindCount; k++)
            USE(BUFFER, infos[i].pBufferBinds[k].buffer, "vkQueueBindSparse");
    submitted_fence(fence, "vkQueueBindSparse fence");
    return VK_SUCCESS;
}

/* ---- memory ---- */

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkAllocateMemory(VkDevice device,
                                                            const VkMemoryAllocateInfo *ai,
                                                            const VkAllocationCallbacks *a,
                                                            VkDeviceMemory *out)
{
    FK_GUARD;
    (void)a;
    if (!USE(DEVICE, device, "vkAllocateMemory"))
        return VK_ERROR_DEVICE_LOST;
    if (ai->allocationSize == 0 || ai->allocationSize > FK_HEAP_BYTES || ai->memoryTypeIndex >= 2)
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    const VkImportMemoryHostPointerInfoEXT *import = (const void *)vkw_chain_find(
        (void *)ai->pNext, VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT);
    if (import && (!import->pHostPointer || ((uintptr_t)import->pHostPointer & 4095u) ||
                   (ai->allocationSize & 4095u)))
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    const VkImportMemoryFdInfoKHR *import_fd = (const void *)vkw_chain_find(
        (void *)ai->pNext, VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR);
    if (import_fd && import_fd->handleType && !fk_take_fd(import_fd->fd, "vkAllocateMemory"))
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    const uint64_t h = fk_new(VK_OBJECT_TYPE_DEVICE_MEMORY, VKW_HANDLE_U64(device));
    struct fk_object *o = fk_get(h);
    o->size = ai->allocationSize;
    if (import) {
        o->bytes = import->pHostPointer;
        o->imported = true;
        /* The host must have mapped every byte it promised: touch both ends. */
        volatile unsigned char *p = o->bytes;
        p[0] = p[0];
        p[o->size - 1] = p[o->size - 1];
    }
    *out = VKW_U64_HANDLE(VkDeviceMemory, h);
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkFreeMemory(VkDevice device, VkDeviceMemory memory,
                                                    const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkFreeMemory");
    fk_destroy(VK_OBJECT_TYPE_DEVICE_MEMORY, VKW_HANDLE_U64(memory), VK_OBJECT_TYPE_UNKNOWN,
               "vkFreeMemory");
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkMapMemory(VkDevice device, VkDeviceMemory memory,
                                                       VkDeviceSize offset, VkDeviceSize size,
                                                       VkMemoryMapFlags flags, void **data)
{
    FK_GUARD;
    (void)flags;
    USE(DEVICE, device, "vkMapMemory");
    struct fk_object *o = USE(DEVICE_MEMORY, memory, "vkMapMemory");
    if (!o)
        return VK_ERROR_MEMORY_MAP_FAILED;
    if (o->mapped)
        problem("vkMapMemory: memory 0x%llx is mapped already",
                (unsigned long long)VKW_HANDLE_U64(memory));
    if (offset >= o->size || (size != VK_WHOLE_SIZE && size > o->size - offset))
        problem("vkMapMemory: range outside the allocation");
    if (!o->bytes) {
        o->bytes = calloc(1, (size_t)o->size);
        if (!o->bytes)
            return VK_ERROR_MEMORY_MAP_FAILED;
    }
    o->mapped = true;
    *data = o->bytes + offset;
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkUnmapMemory(VkDevice device, VkDeviceMemory memory)
{
    FK_GUARD;
    USE(DEVICE, device, "vkUnmapMemory");
    struct fk_object *o = USE(DEVICE_MEMORY, memory, "vkUnmapMemory");
    if (o)
        o->mapped = false;
}

static VkResult check_ranges(uint32_t n, const VkMappedMemoryRange *ranges, const char *where)
{
    for (uint32_t i = 0; i < n; i++)
        USE(DEVICE_MEMORY, ranges[i].memory, where);
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkFlushMappedMemoryRanges(
    VkDevice device, uint32_t n, const VkMappedMemoryRange *ranges)
{
    FK_GUARD;
    USE(DEVICE, device, "vkFlushMappedMemoryRanges");
    return check_ranges(n, ranges, "vkFlushMappedMemoryRanges");
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkInvalidateMappedMemoryRanges(
    VkDevice device, uint32_t n, const VkMappedMemoryRange *ranges)
{
    FK_GUARD;
    USE(DEVICE, device, "vkInvalidateMappedMemoryRanges");
    return check_ranges(n, ranges, "vkInvalidateMappedMemoryRanges");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetDeviceMemoryCommitment(VkDevice device,
                                                                   VkDeviceMemory memory,
                                                                   VkDeviceSize *bytes)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetDeviceMemoryCommitment");
    struct fk_object *o = USE(DEVICE_MEMORY, memory, "vkGetDeviceMemoryCommitment");
    *bytes = o ? o->size : 0;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetMemoryHostPointerPropertiesEXT(
    VkDevice device, VkExternalMemoryHandleTypeFlagBits type, const void *pointer,
    VkMemoryHostPointerPropertiesEXT *p)
{
    FK_GUARD;
    (void)type;
    USE(DEVICE, device, "vkGetMemoryHostPointerPropertiesEXT");
    p->memoryTypeBits = pointer && !((uintptr_t)pointer & 4095u) ? 0x1u : 0;
    return VK_SUCCESS;
}

/* ---- device children made one at a time ---- */

static uint64_t child_of(VkDevice device, VkObjectType type, const char *where)
{
    return USE(DEVICE, device, where) ? fk_new(type, VKW_HANDLE_U64(device)) : 0;
}

#define FAKE_CREATE_DESTROY(Name, Type, TYPE)                                                   \
    static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreate##Name(                                  \
        VkDevice device, const Vk##Name##CreateInfo *ci, const VkAllocationCallbacks *a,        \
        Vk##Type *out)                                                                          \
    {                                                                                           \
        FK_GUARD;                                                                               \
        (void)a;                                                                                \
        check_##Name(ci);                                                                       \
        if (fk.fail_result < 0 && fk.fail_type == VK_OBJECT_TYPE_##TYPE)                        \
            return fk.fail_result;                                                              \
        const uint64_t h = child_of(device, VK_OBJECT_TYPE_##TYPE, "vkCreate" #Name);           \
        if (!h)                                                                                 \
            return VK_ERROR_DEVICE_LOST;                                                        \
        *out = VKW_U64_HANDLE(Vk##Type, h);                                                     \
        return VK_SUCCESS;                                                                      \
    }                                                                                           \
    static VKAPI_ATTR void VKAPI_CALL fake_vkDestroy##Name(VkDevice device, Vk##Type object,    \
                                                           const VkAllocationCallbacks *a)      \
    {                                                                                           \
        FK_GUARD;                                                                               \
        (void)a;                                                                                \
        USE(DEVICE, device, "vkDestroy" #Name);                                                 \
        fk_destroy(VK_OBJECT_TYPE_##TYPE, VKW_HANDLE_U64(object), (VkObjectType)implicit_of_##Name,         \
                   "vkDestroy" #Name);                                                          \
    }

/* What each create info names, checked; and what each destroy frees with
 * the object. */
static void check_Buffer(const VkBufferCreateInfo *ci) { (void)ci; }
static void check_BufferView(const VkBufferViewCreateInfo *ci)
{
    USE(BUFFER, ci->buffer, "vkCreateBufferView");
}
static void check_Image(const VkImageCreateInfo *ci) { (void)ci; }
static void check_ImageView(const VkImageViewCreateInfo *ci)
{
    USE(IMAGE, ci->image, "vkCreateImageView");
}
static void check_ShaderModule(const VkShaderModuleCreateInfo *ci) { (void)ci; }
static void check_PipelineCache(const VkPipelineCacheCreateInfo *ci) { (void)ci; }
static void check_PipelineLayout(const VkPipelineLayoutCreateInfo *ci)
{
    for (uint32_t i = 0; i < ci->setLayoutCount; i++)
        USE_OPT(DESCRIPTOR_SET_LAYOUT, ci->pSetLayouts[i], "vkCreatePipelineLayout");
}
static void check_Sampler(const VkSamplerCreateInfo *ci) { (void)ci; }
static void check_DescriptorSetLayout(const VkDescriptorSetLayoutCreateInfo *ci)
{
    for (uint32_t i = 0; i < ci->bindingCount; i++)
        for (uint32_t k = 0; ci->pBindings[i].pImmutableSamplers && k < ci->pBindings[i].descriptorCount; k++)
            USE_OPT(SAMPLER, ci->pBindings[i].pImmutableSamplers[k], "vkCreateDescriptorSetLayout");
}
static void check_DescriptorPool(const VkDescriptorPoolCreateInfo *ci) { (void)ci; }
static void check_Framebuffer(const VkFramebufferCreateInfo *ci)
{
    USE(RENDER_PASS, ci->renderPass, "vkCreateFramebuffer");
    for (uint32_t i = 0; ci->pAttachments && i < ci->attachmentCount; i++)
        USE_OPT(IMAGE_VIEW, ci->pAttachments[i], "vkCreateFramebuffer");
}
static void check_RenderPass(const VkRenderPassCreateInfo *ci) { (void)ci; }
static void check_CommandPool(const VkCommandPoolCreateInfo *ci) { (void)ci; }
static void check_Fence(const VkFenceCreateInfo *ci) { (void)ci; }
static void check_Semaphore(const VkSemaphoreCreateInfo *ci) { (void)ci; }
static void check_Event(const VkEventCreateInfo *ci) { (void)ci; }
static void check_QueryPool(const VkQueryPoolCreateInfo *ci) { (void)ci; }
static void check_SamplerYcbcrConversion(const VkSamplerYcbcrConversionCreateInfo *ci) { (void)ci; }
static void check_DescriptorUpdateTemplate(const VkDescriptorUpdateTemplateCreateInfo *ci)
{
    USE_OPT(DESCRIPTOR_SET_LAYOUT, ci->descriptorSetLayout, "vkCreateDescriptorUpdateTemplate");
}

enum {
    implicit_of_Buffer = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_BufferView = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_Image = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_ImageView = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_ShaderModule = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_PipelineCache = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_PipelineLayout = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_Sampler = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_DescriptorSetLayout = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_DescriptorPool = VK_OBJECT_TYPE_DESCRIPTOR_SET,
    implicit_of_Framebuffer = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_RenderPass = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_CommandPool = VK_OBJECT_TYPE_COMMAND_BUFFER,
    implicit_of_Fence = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_Semaphore = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_Event = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_QueryPool = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_SamplerYcbcrConversion = VK_OBJECT_TYPE_UNKNOWN,
    implicit_of_DescriptorUpdateTemplate = VK_OBJECT_TYPE_UNKNOWN,
};

FAKE_CREATE_DESTROY(Buffer, Buffer, BUFFER)
FAKE_CREATE_DESTROY(BufferView, BufferView, BUFFER_VIEW)
FAKE_CREATE_DESTROY(Image, Image, IMAGE)
FAKE_CREATE_DESTROY(ImageView, ImageView, IMAGE_VIEW)
FAKE_CREATE_DESTROY(ShaderModule, ShaderModule, SHADER_MODULE)
FAKE_CREATE_DESTROY(PipelineCache, PipelineCache, PIPELINE_CACHE)
FAKE_CREATE_DESTROY(PipelineLayout, PipelineLayout, PIPELINE_LAYOUT)
FAKE_CREATE_DESTROY(Sampler, Sampler, SAMPLER)
FAKE_CREATE_DESTROY(DescriptorSetLayout, DescriptorSetLayout, DESCRIPTOR_SET_LAYOUT)
FAKE_CREATE_DESTROY(DescriptorPool, DescriptorPool, DESCRIPTOR_POOL)
FAKE_CREATE_DESTROY(Framebuffer, Framebuffer, FRAMEBUFFER)
FAKE_CREATE_DESTROY(RenderPass, RenderPass, RENDER_PASS)
FAKE_CREATE_DESTROY(CommandPool, CommandPool, COMMAND_POOL)
FAKE_CREATE_DESTROY(Fence, Fence, FENCE)
FAKE_CREATE_DESTROY(Semaphore, Semaphore, SEMAPHORE)
FAKE_CREATE_DESTROY(Event, Event, EVENT)
FAKE_CREATE_DESTROY(QueryPool, QueryPool, QUERY_POOL)
FAKE_CREATE_DESTROY(SamplerYcbcrConversion, SamplerYcbcrConversion, SAMPLER_YCBCR_CONVERSION)
FAKE_CREATE_DESTROY(DescriptorUpdateTemplate, DescriptorUpdateTemplate, DESCRIPTOR_UPDATE_TEMPLATE)

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateRenderPass2(VkDevice device,
                                                               const VkRenderPassCreateInfo2 *ci,
                                                               const VkAllocationCallbacks *a,
                                                               VkRenderPass *out)
{
    FK_GUARD;
    (void)ci, (void)a;
    const uint64_t h = child_of(device, VK_OBJECT_TYPE_RENDER_PASS, "vkCreateRenderPass2");
    *out = VKW_U64_HANDLE(VkRenderPass, h);
    return h ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

/* Sizes recorded at creation answer the memory requirements. */
static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateBufferSized(VkDevice device,
                                                               const VkBufferCreateInfo *ci,
                                                               const VkAllocationCallbacks *a,
                                                               VkBuffer *out)
{
    FK_GUARD;
    VkResult r = fake_vkCreateBuffer(device, ci, a, out);
    if (r == VK_SUCCESS)
        fk_get(VKW_HANDLE_U64(*out))->size = ci->size;
    return r;
}

static void requirements(const struct fk_object *o, VkMemoryRequirements *req)
{
    req->size = o ? o->size : 0;
    req->alignment = 16;
    req->memoryTypeBits = 0x3;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetBufferMemoryRequirements(VkDevice device,
                                                                     VkBuffer buffer,
                                                                     VkMemoryRequirements *req)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetBufferMemoryRequirements");
    requirements(USE(BUFFER, buffer, "vkGetBufferMemoryRequirements"), req);
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetBufferMemoryRequirements2(
    VkDevice device, const VkBufferMemoryRequirementsInfo2 *info, VkMemoryRequirements2 *req)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetBufferMemoryRequirements2");
    requirements(USE(BUFFER, info->buffer, "vkGetBufferMemoryRequirements2"),
                 &req->memoryRequirements);
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetImageMemoryRequirements(VkDevice device,
                                                                    VkImage image,
                                                                    VkMemoryRequirements *req)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetImageMemoryRequirements");
    USE(IMAGE, image, "vkGetImageMemoryRequirements");
    req->size = 65536;
    req->alignment = 4096;
    req->memoryTypeBits = 0x3;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetImageMemoryRequirements2(
    VkDevice device, const VkImageMemoryRequirementsInfo2 *info, VkMemoryRequirements2 *req)
{
    FK_GUARD;
    fake_vkGetImageMemoryRequirements(device, info->image, &req->memoryRequirements);
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetImageSparseMemoryRequirements(
    VkDevice device, VkImage image, uint32_t *count, VkSparseImageMemoryRequirements *out)
{
    FK_GUARD;
    (void)out;
    USE(DEVICE, device, "vkGetImageSparseMemoryRequirements");
    USE(IMAGE, image, "vkGetImageSparseMemoryRequirements");
    *count = 0;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkGetImageSubresourceLayout(VkDevice device,
                                                                   VkImage image,
                                                                   const VkImageSubresource *sub,
                                                                   VkSubresourceLayout *layout)
{
    FK_GUARD;
    (void)sub;
    USE(DEVICE, device, "vkGetImageSubresourceLayout");
    USE(IMAGE, image, "vkGetImageSubresourceLayout");
    memset(layout, 0, sizeof(*layout));
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkBindBufferMemory(VkDevice device, VkBuffer buffer,
                                                              VkDeviceMemory memory,
                                                              VkDeviceSize offset)
{
    FK_GUARD;
    (void)offset;
    USE(DEVICE, device, "vkBindBufferMemory");
    USE(BUFFER, buffer, "vkBindBufferMemory");
    USE(DEVICE_MEMORY, memory, "vkBindBufferMemory");
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkBindImageMemory(VkDevice device, VkImage image,
                                                             VkDeviceMemory memory,
                                                             VkDeviceSize offset)
{
    FK_GUARD;
    (void)offset;
    USE(DEVICE, device, "vkBindImageMemory");
    USE(IMAGE, image, "vkBindImageMemory");
    USE(DEVICE_MEMORY, memory, "vkBindImageMemory");
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkBindBufferMemory2(VkDevice device, uint32_t n,
                                                               const VkBindBufferMemoryInfo *infos)
{
    FK_GUARD;
    for (uint32_t i = 0; i < n; i++)
        fake_vkBindBufferMemory(device, infos[i].buffer, infos[i].memory, infos[i].memoryOffset);
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkBindImageMemory2(VkDevice device, uint32_t n,
                                                              const VkBindImageMemoryInfo *infos)
{
    FK_GUARD;
    for (uint32_t i = 0; i < n; i++)
        fake_vkBindImageMemory(device, infos[i].image, infos[i].memory, infos[i].memoryOffset);
    return VK_SUCCESS;
}

static VKAPI_ATTR VkDeviceAddress VKAPI_CALL fake_vkGetBufferDeviceAddress(
    VkDevice device, const VkBufferDeviceAddressInfo *info)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetBufferDeviceAddress");
    USE(BUFFER, info->buffer, "vkGetBufferDeviceAddress");
    return VKW_HANDLE_U64(info->buffer) << 8;
}

/* ---- fences, semaphores, events, queries ---- */

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetMemoryFdKHR(VkDevice device,
                                                           const VkMemoryGetFdInfoKHR *info, int *fd)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetMemoryFdKHR");
    struct fk_object *m = USE(DEVICE_MEMORY, info->memory, "vkGetMemoryFdKHR");
    if (!m)
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    *fd = fk_export_fd(m->size);
    return *fd >= 0 ? VK_SUCCESS : VK_ERROR_TOO_MANY_OBJECTS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetMemoryFdPropertiesKHR(
    VkDevice device, VkExternalMemoryHandleTypeFlagBits type, int fd,
    VkMemoryFdPropertiesKHR *props)
{
    FK_GUARD;
    (void)type;
    USE(DEVICE, device, "vkGetMemoryFdPropertiesKHR");
    if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
        problem("vkGetMemoryFdPropertiesKHR: fd %d is not open", fd);
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    props->memoryTypeBits = 1; /* it only looks: the fd stays the caller's */
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkImportSemaphoreFdKHR(
    VkDevice device, const VkImportSemaphoreFdInfoKHR *info)
{
    FK_GUARD;
    USE(DEVICE, device, "vkImportSemaphoreFdKHR");
    USE(SEMAPHORE, info->semaphore, "vkImportSemaphoreFdKHR");
    if (info->fd == -1 && info->handleType == VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT)
        return VK_SUCCESS; /* signalled already */
    return fk_take_fd(info->fd, "vkImportSemaphoreFdKHR") ? VK_SUCCESS
                                                           : VK_ERROR_INVALID_EXTERNAL_HANDLE;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetSemaphoreFdKHR(VkDevice device,
                                                              const VkSemaphoreGetFdInfoKHR *info,
                                                              int *fd)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetSemaphoreFdKHR");
    USE(SEMAPHORE, info->semaphore, "vkGetSemaphoreFdKHR");
    *fd = fk_export_fd(0);
    return *fd >= 0 ? VK_SUCCESS : VK_ERROR_TOO_MANY_OBJECTS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkImportFenceFdKHR(VkDevice device,
                                                             const VkImportFenceFdInfoKHR *info)
{
    FK_GUARD;
    USE(DEVICE, device, "vkImportFenceFdKHR");
    struct fk_object *f = USE(FENCE, info->fence, "vkImportFenceFdKHR");
    if (info->fd == -1 && info->handleType == VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT) {
        if (f)
            f->signaled = true;
        return VK_SUCCESS;
    }
    if (!fk_take_fd(info->fd, "vkImportFenceFdKHR"))
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    if (f)
        f->signaled = false; /* the payload's: unknown, and not done */
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetFenceFdKHR(VkDevice device,
                                                          const VkFenceGetFdInfoKHR *info, int *fd)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetFenceFdKHR");
    struct fk_object *f = USE(FENCE, info->fence, "vkGetFenceFdKHR");
    /* A signalled fence's SYNC_FD may be -1, as Vulkan allows. */
    if (f && f->signaled && info->handleType == VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT) {
        *fd = -1;
        return VK_SUCCESS;
    }
    *fd = fk_export_fd(0);
    return *fd >= 0 ? VK_SUCCESS : VK_ERROR_TOO_MANY_OBJECTS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateFenceSignaled(VkDevice device,
                                                                 const VkFenceCreateInfo *ci,
                                                                 const VkAllocationCallbacks *a,
                                                                 VkFence *out)
{
    FK_GUARD;
    VkResult r = fake_vkCreateFence(device, ci, a, out);
    if (r == VK_SUCCESS)
        fk_get(VKW_HANDLE_U64(*out))->signaled = (ci->flags & VK_FENCE_CREATE_SIGNALED_BIT) != 0;
    return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetFenceStatus(VkDevice device, VkFence fence)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetFenceStatus");
    struct fk_object *f = USE(FENCE, fence, "vkGetFenceStatus");
    return f && f->signaled ? VK_SUCCESS : VK_NOT_READY;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkResetFences(VkDevice device, uint32_t n,
                                                         const VkFence *fences)
{
    FK_GUARD;
    USE(DEVICE, device, "vkResetFences");
    for (uint32_t i = 0; i < n; i++) {
        struct fk_object *f = USE(FENCE, fences[i], "vkResetFences");
        if (f)
            f->signaled = false;
    }
    return VK_SUCCESS;
}

/* Never blocks: what is not signalled times out at once. */
static VKAPI_ATTR VkResult VKAPI_CALL fake_vkWaitForFences(VkDevice device, uint32_t n,
                                                           const VkFence *fences, VkBool32 all,
                                                           uint64_t timeout)
{
    FK_GUARD;
    (void)timeout;
    USE(DEVICE, device, "vkWaitForFences");
    uint32_t signaled = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct fk_object *f = USE(FENCE, fences[i], "vkWaitForFences");
        signaled += f && f->signaled;
    }
    return (all ? signaled == n : signaled > 0) ? VK_SUCCESS : VK_TIMEOUT;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetSemaphoreCounterValue(VkDevice device,
                                                                      VkSemaphore semaphore,
                                                                      uint64_t *value)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetSemaphoreCounterValue");
    USE(SEMAPHORE, semaphore, "vkGetSemaphoreCounterValue");
    *value = 0;
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkWaitSemaphores(VkDevice device,
                                                            const VkSemaphoreWaitInfo *info,
                                                            uint64_t timeout)
{
    FK_GUARD;
    (void)timeout;
    USE(DEVICE, device, "vkWaitSemaphores");
    for (uint32_t i = 0; i < info->semaphoreCount; i++)
        USE(SEMAPHORE, info->pSemaphores[i], "vkWaitSemaphores");
    return VK_TIMEOUT;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkSignalSemaphore(VkDevice device,
                                                             const VkSemaphoreSignalInfo *info)
{
    FK_GUARD;
    USE(DEVICE, device, "vkSignalSemaphore");
    USE(SEMAPHORE, info->semaphore, "vkSignalSemaphore");
    return VK_SUCCESS;
}

static VkResult event_call(VkDevice device, VkEvent event, const char *where, VkResult r)
{
    USE(DEVICE, device, where);
    return USE(EVENT, event, where) ? r : VK_ERROR_DEVICE_LOST;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetEventStatus(VkDevice device, VkEvent event)
{
    FK_GUARD;
    return event_call(device, event, "vkGetEventStatus", VK_EVENT_RESET);
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkSetEvent(VkDevice device, VkEvent event)
{
    FK_GUARD;
    return event_call(device, event, "vkSetEvent", VK_SUCCESS);
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkResetEvent(VkDevice device, VkEvent event)
{
    FK_GUARD;
    return event_call(device, event, "vkResetEvent", VK_SUCCESS);
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetQueryPoolResults(VkDevice device, VkQueryPool pool,
                                                                 uint32_t first, uint32_t count,
                                                                 size_t size, void *data,
                                                                 VkDeviceSize stride,
                                                                 VkQueryResultFlags flags)
{
    FK_GUARD;
    (void)first, (void)count, (void)stride, (void)flags;
    USE(DEVICE, device, "vkGetQueryPoolResults");
    USE(QUERY_POOL, pool, "vkGetQueryPoolResults");
    if (data && size)
        memset(data, 0, size); /* every byte the host said it has room for */
    return VK_NOT_READY;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkResetQueryPool(VkDevice device, VkQueryPool pool,
                                                       uint32_t first, uint32_t count)
{
    FK_GUARD;
    (void)first, (void)count;
    USE(DEVICE, device, "vkResetQueryPool");
    USE(QUERY_POOL, pool, "vkResetQueryPool");
}

/* ---- pipelines, caches ---- */

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetPipelineCacheData(VkDevice device,
                                                                  VkPipelineCache cache,
                                                                  size_t *size, void *data)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetPipelineCacheData");
    USE(PIPELINE_CACHE, cache, "vkGetPipelineCacheData");
    if (!data) {
        *size = 32;
        return VK_SUCCESS;
    }
    const size_t n = *size < 32 ? *size : 32;
    memset(data, 0xcc, n);
    *size = n;
    return n < 32 ? VK_INCOMPLETE : VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkMergePipelineCaches(VkDevice device,
                                                                 VkPipelineCache dst, uint32_t n,
                                                                 const VkPipelineCache *srcs)
{
    FK_GUARD;
    USE(DEVICE, device, "vkMergePipelineCaches");
    USE(PIPELINE_CACHE, dst, "vkMergePipelineCaches");
    for (uint32_t i = 0; i < n; i++)
        USE(PIPELINE_CACHE, srcs[i], "vkMergePipelineCaches");
    return VK_SUCCESS;
}

/* Stage 0 of each pipeline names a shader module; a module called
 * 0x...f0 (every sixteenth) "fails to compile", so some pipelines of a
 * call are not made, as with VK_PIPELINE_COMPILE_REQUIRED. */
static VkResult make_pipelines(VkDevice device, VkPipelineCache cache, uint32_t n,
                               const VkPipelineShaderStageCreateInfo *const *stages,
                               const VkPipelineLayout *layouts, VkPipeline *out, const char *where)
{
    if (!USE(DEVICE, device, where))
        return VK_ERROR_DEVICE_LOST;
    USE_OPT(PIPELINE_CACHE, cache, where);
    VkResult result = VK_SUCCESS;
    for (uint32_t i = 0; i < n; i++) {
        USE_OPT(PIPELINE_LAYOUT, layouts[i], where);
        const VkShaderModule module = stages[i] ? stages[i]->module : VK_NULL_HANDLE;
        USE_OPT(SHADER_MODULE, module, where);
        if ((VKW_HANDLE_U64(module) & 0xf0u) == 0xf0u) {
            out[i] = VK_NULL_HANDLE;
            result = VK_PIPELINE_COMPILE_REQUIRED;
            continue;
        }
        out[i] = VKW_U64_HANDLE(VkPipeline, fk_new(VK_OBJECT_TYPE_PIPELINE, VKW_HANDLE_U64(device)));
    }
    return result;
}

#define FK_MAX_PIPELINES 4096u

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateComputePipelines(
    VkDevice device, VkPipelineCache cache, uint32_t n, const VkComputePipelineCreateInfo *infos,
    const VkAllocationCallbacks *a, VkPipeline *out)
{
    FK_GUARD;
    (void)a;
    static const VkPipelineShaderStageCreateInfo *stages[FK_MAX_PIPELINES];
    static VkPipelineLayout layouts[FK_MAX_PIPELINES];
    if (n > FK_MAX_PIPELINES)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    for (uint32_t i = 0; i < n; i++) {
        stages[i] = &infos[i].stage;
        layouts[i] = infos[i].layout;
    }
    return make_pipelines(device, cache, n, stages, layouts, out, "vkCreateComputePipelines");
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateGraphicsPipelines(
    VkDevice device, VkPipelineCache cache, uint32_t n, const VkGraphicsPipelineCreateInfo *infos,
    const VkAllocationCallbacks *a, VkPipeline *out)
{
    FK_GUARD;
    (void)a;
    static const VkPipelineShaderStageCreateInfo *stages[FK_MAX_PIPELINES];
    static VkPipelineLayout layouts[FK_MAX_PIPELINES];
    if (n > FK_MAX_PIPELINES)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    for (uint32_t i = 0; i < n; i++) {
        stages[i] = infos[i].stageCount ? &infos[i].pStages[0] : NULL;
        layouts[i] = infos[i].layout;
        USE_OPT(RENDER_PASS, infos[i].renderPass, "vkCreateGraphicsPipelines");
    }
    return make_pipelines(device, cache, n, stages, layouts, out, "vkCreateGraphicsPipelines");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyPipeline(VkDevice device, VkPipeline pipeline,
                                                         const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkDestroyPipeline");
    fk_destroy(VK_OBJECT_TYPE_PIPELINE, VKW_HANDLE_U64(pipeline), VK_OBJECT_TYPE_UNKNOWN,
               "vkDestroyPipeline");
}

/* ---- shader objects, generated commands, pipeline binaries, conversions ---- */

/* A shader binary whose first bytes say it is "BAD" is incompatible. */
static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateShadersEXT(VkDevice device, uint32_t n,
                                                              const VkShaderCreateInfoEXT *infos,
                                                              const VkAllocationCallbacks *a,
                                                              VkShaderEXT *out)
{
    FK_GUARD;
    (void)a;
    if (!USE(DEVICE, device, "vkCreateShadersEXT"))
        return VK_ERROR_DEVICE_LOST;
    VkResult result = VK_SUCCESS;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t k = 0; k < infos[i].setLayoutCount; k++)
            USE_OPT(DESCRIPTOR_SET_LAYOUT, infos[i].pSetLayouts[k], "vkCreateShadersEXT");
        if (infos[i].codeType == VK_SHADER_CODE_TYPE_BINARY_EXT && infos[i].codeSize >= 3 &&
            memcmp(infos[i].pCode, "BAD", 3) == 0) {
            out[i] = VK_NULL_HANDLE;
            result = VK_INCOMPATIBLE_SHADER_BINARY_EXT;
            continue;
        }
        out[i] = VKW_U64_HANDLE(VkShaderEXT,
                                fk_new(VK_OBJECT_TYPE_SHADER_EXT, VKW_HANDLE_U64(device)));
    }
    return result;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyShaderEXT(VkDevice device, VkShaderEXT shader,
                                                          const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkDestroyShaderEXT");
    fk_destroy(VK_OBJECT_TYPE_SHADER_EXT, VKW_HANDLE_U64(shader), VK_OBJECT_TYPE_UNKNOWN,
               "vkDestroyShaderEXT");
}

/* Binary data of `size` bytes, each the low byte of the handle plus its
 * index.  Too small a buffer: nothing written, and (as a careless driver
 * might) *size left as it was. */
static VkResult fake_binary(uint64_t h, size_t size, size_t *have, void *data, VkResult small)
{
    if (!data) {
        *have = size;
        return VK_SUCCESS;
    }
    if (*have < size)
        return small;
    for (size_t i = 0; i < size; i++)
        ((unsigned char *)data)[i] = (unsigned char)(h + i);
    *have = size;
    return VK_SUCCESS;
}

#define FK_SHADER_BINARY_BYTES 64u
#define FK_PIPELINE_BINARY_BYTES 48u

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetShaderBinaryDataEXT(VkDevice device,
                                                                    VkShaderEXT shader,
                                                                    size_t *size, void *data)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetShaderBinaryDataEXT");
    if (!USE(SHADER_EXT, shader, "vkGetShaderBinaryDataEXT"))
        return VK_ERROR_DEVICE_LOST;
    return fake_binary(VKW_HANDLE_U64(shader), FK_SHADER_BINARY_BYTES, size, data, VK_INCOMPLETE);
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateIndirectCommandsLayoutEXT(
    VkDevice device, const VkIndirectCommandsLayoutCreateInfoEXT *ci,
    const VkAllocationCallbacks *a, VkIndirectCommandsLayoutEXT *out)
{
    FK_GUARD;
    (void)a;
    USE_OPT(PIPELINE_LAYOUT, ci->pipelineLayout, "vkCreateIndirectCommandsLayoutEXT");
    const uint64_t h = child_of(device, VK_OBJECT_TYPE_INDIRECT_COMMANDS_LAYOUT_EXT,
                                "vkCreateIndirectCommandsLayoutEXT");
    *out = VKW_U64_HANDLE(VkIndirectCommandsLayoutEXT, h);
    return h ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyIndirectCommandsLayoutEXT(
    VkDevice device, VkIndirectCommandsLayoutEXT layout, const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkDestroyIndirectCommandsLayoutEXT");
    fk_destroy(VK_OBJECT_TYPE_INDIRECT_COMMANDS_LAYOUT_EXT, VKW_HANDLE_U64(layout),
               VK_OBJECT_TYPE_UNKNOWN, "vkDestroyIndirectCommandsLayoutEXT");
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateIndirectExecutionSetEXT(
    VkDevice device, const VkIndirectExecutionSetCreateInfoEXT *ci,
    const VkAllocationCallbacks *a, VkIndirectExecutionSetEXT *out)
{
    FK_GUARD;
    (void)a;
    if (ci->type == VK_INDIRECT_EXECUTION_SET_INFO_TYPE_PIPELINES_EXT)
        USE(PIPELINE, ci->info.pPipelineInfo->initialPipeline, "vkCreateIndirectExecutionSetEXT");
    else
        for (uint32_t i = 0; i < ci->info.pShaderInfo->shaderCount; i++)
            USE(SHADER_EXT, ci->info.pShaderInfo->pInitialShaders[i],
                "vkCreateIndirectExecutionSetEXT");
    const uint64_t h = child_of(device, VK_OBJECT_TYPE_INDIRECT_EXECUTION_SET_EXT,
                                "vkCreateIndirectExecutionSetEXT");
    *out = VKW_U64_HANDLE(VkIndirectExecutionSetEXT, h);
    return h ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyIndirectExecutionSetEXT(
    VkDevice device, VkIndirectExecutionSetEXT set, const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkDestroyIndirectExecutionSetEXT");
    fk_destroy(VK_OBJECT_TYPE_INDIRECT_EXECUTION_SET_EXT, VKW_HANDLE_U64(set),
               VK_OBJECT_TYPE_UNKNOWN, "vkDestroyIndirectExecutionSetEXT");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkUpdateIndirectExecutionSetPipelineEXT(
    VkDevice device, VkIndirectExecutionSetEXT set, uint32_t n,
    const VkWriteIndirectExecutionSetPipelineEXT *writes)
{
    FK_GUARD;
    USE(DEVICE, device, "vkUpdateIndirectExecutionSetPipelineEXT");
    USE(INDIRECT_EXECUTION_SET_EXT, set, "vkUpdateIndirectExecutionSetPipelineEXT");
    for (uint32_t i = 0; i < n; i++)
        USE(PIPELINE, writes[i].pipeline, "vkUpdateIndirectExecutionSetPipelineEXT");
}

/* Every source (a pipeline, a create info or keys and data) gives two
 * binaries. */
static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreatePipelineBinariesKHR(
    VkDevice device, const VkPipelineBinaryCreateInfoKHR *ci, const VkAllocationCallbacks *a,
    VkPipelineBinaryHandlesInfoKHR *binaries)
{
    FK_GUARD;
    (void)a;
    if (!USE(DEVICE, device, "vkCreatePipelineBinariesKHR"))
        return VK_ERROR_DEVICE_LOST;
    USE_OPT(PIPELINE, ci->pipeline, "vkCreatePipelineBinariesKHR");
    if (!binaries->pPipelineBinaries) {
        binaries->pipelineBinaryCount = 2;
        return VK_SUCCESS;
    }
    uint32_t n = binaries->pipelineBinaryCount < 2 ? binaries->pipelineBinaryCount : 2;
    for (uint32_t i = 0; i < n; i++)
        binaries->pPipelineBinaries[i] = VKW_U64_HANDLE(
            VkPipelineBinaryKHR, fk_new(VK_OBJECT_TYPE_PIPELINE_BINARY_KHR, VKW_HANDLE_U64(device)));
    binaries->pipelineBinaryCount = n;
    return n < 2 ? VK_INCOMPLETE : VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyPipelineBinaryKHR(VkDevice device,
                                                                 VkPipelineBinaryKHR binary,
                                                                 const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkDestroyPipelineBinaryKHR");
    fk_destroy(VK_OBJECT_TYPE_PIPELINE_BINARY_KHR, VKW_HANDLE_U64(binary), VK_OBJECT_TYPE_UNKNOWN,
               "vkDestroyPipelineBinaryKHR");
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetPipelineBinaryDataKHR(
    VkDevice device, const VkPipelineBinaryDataInfoKHR *info, VkPipelineBinaryKeyKHR *key,
    size_t *size, void *data)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetPipelineBinaryDataKHR");
    if (!USE(PIPELINE_BINARY_KHR, info->pipelineBinary, "vkGetPipelineBinaryDataKHR"))
        return VK_ERROR_DEVICE_LOST;
    key->keySize = 4;
    memset(key->key, 0, sizeof(key->key));
    memcpy(key->key, "KEY", 3);
    const VkResult r = fake_binary(VKW_HANDLE_U64(info->pipelineBinary), FK_PIPELINE_BINARY_BYTES,
                                   size, data, VK_ERROR_NOT_ENOUGH_SPACE_KHR);
    if (r == VK_ERROR_NOT_ENOUGH_SPACE_KHR)
        *size = FK_PIPELINE_BINARY_BYTES; /* what Vulkan says: the size needed */
    return r;
}

static size_t component_bytes(VkComponentTypeKHR type)
{
    return type == VK_COMPONENT_TYPE_FLOAT32_KHR ? 4 : type == VK_COMPONENT_TYPE_FLOAT16_KHR ? 2 : 1;
}

/* A matrix takes rows x columns elements in any layout; converting copies
 * the source's bytes round (all of them: an overread shows under ASan). */
static VKAPI_ATTR VkResult VKAPI_CALL fake_vkConvertCooperativeVectorMatrixNV(
    VkDevice device, const VkConvertCooperativeVectorMatrixInfoNV *info)
{
    FK_GUARD;
    USE(DEVICE, device, "vkConvertCooperativeVectorMatrixNV");
    const size_t elements = (size_t)info->numRows * info->numColumns;
    const size_t dst = elements * component_bytes(info->dstComponentType);
    const size_t src = elements * component_bytes(info->srcComponentType);
    if (!info->dstData.hostAddress) {
        *info->pDstSize = dst;
        return VK_SUCCESS;
    }
    if (*info->pDstSize < dst)
        return VK_INCOMPLETE;
    const unsigned char *from = info->srcData.hostAddress;
    unsigned sum = 0;
    for (size_t i = 0; i < src; i++)
        sum += from[i];
    for (size_t i = 0; i < dst; i++)
        ((unsigned char *)info->dstData.hostAddress)[i] = (unsigned char)(sum + i);
    *info->pDstSize = dst;
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetPipelinePropertiesEXT(
    VkDevice device, const VkPipelineInfoEXT *info, VkBaseOutStructure *properties)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetPipelinePropertiesEXT");
    if (!USE(PIPELINE, info->pipeline, "vkGetPipelinePropertiesEXT"))
        return VK_ERROR_DEVICE_LOST;
    if (properties->sType != VK_STRUCTURE_TYPE_PIPELINE_PROPERTIES_IDENTIFIER_EXT) {
        problem("vkGetPipelinePropertiesEXT: a struct of sType %d", (int)properties->sType);
        return VK_ERROR_UNKNOWN;
    }
    VkPipelinePropertiesIdentifierEXT *id = (void *)properties;
    for (uint32_t i = 0; i < VK_UUID_SIZE; i++)
        id->pipelineIdentifier[i] = (uint8_t)(VKW_HANDLE_U64(info->pipeline) >> 4) + (uint8_t)i;
    return VK_SUCCESS;
}

/* ---- pool allocations ---- */

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkAllocateCommandBuffers(
    VkDevice device, const VkCommandBufferAllocateInfo *ai, VkCommandBuffer *out)
{
    FK_GUARD;
    USE(DEVICE, device, "vkAllocateCommandBuffers");
    if (!USE(COMMAND_POOL, ai->commandPool, "vkAllocateCommandBuffers"))
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    for (uint32_t i = 0; i < ai->commandBufferCount; i++)
        out[i] = VKW_U64_HANDLE(VkCommandBuffer, fk_new(VK_OBJECT_TYPE_COMMAND_BUFFER,
                                                        VKW_HANDLE_U64(ai->commandPool)));
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkFreeCommandBuffers(VkDevice device, VkCommandPool pool,
                                                            uint32_t n, const VkCommandBuffer *cbs)
{
    FK_GUARD;
    USE(DEVICE, device, "vkFreeCommandBuffers");
    USE(COMMAND_POOL, pool, "vkFreeCommandBuffers");
    for (uint32_t i = 0; i < n; i++)
        fk_destroy(VK_OBJECT_TYPE_COMMAND_BUFFER, VKW_HANDLE_U64(cbs[i]), VK_OBJECT_TYPE_UNKNOWN,
                   "vkFreeCommandBuffers");
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkResetCommandPool(VkDevice device, VkCommandPool pool,
                                                              VkCommandPoolResetFlags flags)
{
    FK_GUARD;
    (void)flags;
    USE(DEVICE, device, "vkResetCommandPool");
    USE(COMMAND_POOL, pool, "vkResetCommandPool");
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkTrimCommandPool(VkDevice device, VkCommandPool pool,
                                                        VkCommandPoolTrimFlags flags)
{
    FK_GUARD;
    (void)flags;
    USE(DEVICE, device, "vkTrimCommandPool");
    USE(COMMAND_POOL, pool, "vkTrimCommandPool");
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkAllocateDescriptorSets(
    VkDevice device, const VkDescriptorSetAllocateInfo *ai, VkDescriptorSet *out)
{
    FK_GUARD;
    USE(DEVICE, device, "vkAllocateDescriptorSets");
    if (!USE(DESCRIPTOR_POOL, ai->descriptorPool, "vkAllocateDescriptorSets"))
        return VK_ERROR_OUT_OF_POOL_MEMORY;
    for (uint32_t i = 0; i < ai->descriptorSetCount; i++) {
        USE(DESCRIPTOR_SET_LAYOUT, ai->pSetLayouts[i], "vkAllocateDescriptorSets");
        out[i] = VKW_U64_HANDLE(VkDescriptorSet, fk_new(VK_OBJECT_TYPE_DESCRIPTOR_SET,
                                                        VKW_HANDLE_U64(ai->descriptorPool)));
    }
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkFreeDescriptorSets(VkDevice device,
                                                               VkDescriptorPool pool, uint32_t n,
                                                               const VkDescriptorSet *sets)
{
    FK_GUARD;
    USE(DEVICE, device, "vkFreeDescriptorSets");
    USE(DESCRIPTOR_POOL, pool, "vkFreeDescriptorSets");
    for (uint32_t i = 0; i < n; i++)
        fk_destroy(VK_OBJECT_TYPE_DESCRIPTOR_SET, VKW_HANDLE_U64(sets[i]), VK_OBJECT_TYPE_UNKNOWN,
                   "vkFreeDescriptorSets");
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkResetDescriptorPool(VkDevice device,
                                                                VkDescriptorPool pool,
                                                                VkDescriptorPoolResetFlags flags)
{
    FK_GUARD;
    (void)flags;
    USE(DEVICE, device, "vkResetDescriptorPool");
    if (USE(DESCRIPTOR_POOL, pool, "vkResetDescriptorPool"))
        fk_release_children(VKW_HANDLE_U64(pool), VK_OBJECT_TYPE_DESCRIPTOR_SET,
                            "vkResetDescriptorPool");
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkUpdateDescriptorSets(VkDevice device, uint32_t nw,
                                                             const VkWriteDescriptorSet *writes,
                                                             uint32_t nc,
                                                             const VkCopyDescriptorSet *copies)
{
    FK_GUARD;
    const char *where = "vkUpdateDescriptorSets";
    USE(DEVICE, device, where);
    for (uint32_t i = 0; i < nw; i++) {
        const VkWriteDescriptorSet *w = &writes[i];
        USE(DESCRIPTOR_SET, w->dstSet, where);
        for (uint32_t k = 0; w->pBufferInfo && k < w->descriptorCount; k++)
            USE_OPT(BUFFER, w->pBufferInfo[k].buffer, where);
        for (uint32_t k = 0; w->pImageInfo && k < w->descriptorCount; k++) {
            USE_OPT(IMAGE_VIEW, w->pImageInfo[k].imageView, where);
            USE_OPT(SAMPLER, w->pImageInfo[k].sampler, where);
        }
        for (uint32_t k = 0; w->pTexelBufferView && k < w->descriptorCount; k++)
            USE_OPT(BUFFER_VIEW, w->pTexelBufferView[k], where);
    }
    for (uint32_t i = 0; i < nc; i++) {
        USE(DESCRIPTOR_SET, copies[i].srcSet, where);
        USE(DESCRIPTOR_SET, copies[i].dstSet, where);
    }
}

/* ---- command buffers ---- */

#define CB(where) USE(COMMAND_BUFFER, cb, where)

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkBeginCommandBuffer(VkCommandBuffer cb,
                                                                const VkCommandBufferBeginInfo *bi)
{
    FK_GUARD;
    (void)bi;
    return CB("vkBeginCommandBuffer") ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkEndCommandBuffer(VkCommandBuffer cb)
{
    FK_GUARD;
    return CB("vkEndCommandBuffer") ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkResetCommandBuffer(VkCommandBuffer cb,
                                                                VkCommandBufferResetFlags flags)
{
    FK_GUARD;
    (void)flags;
    return CB("vkResetCommandBuffer") ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdBindPipeline(VkCommandBuffer cb,
                                                         VkPipelineBindPoint point,
                                                         VkPipeline pipeline)
{
    FK_GUARD;
    (void)point;
    CB("vkCmdBindPipeline");
    USE(PIPELINE, pipeline, "vkCmdBindPipeline");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdBindDescriptorSets(
    VkCommandBuffer cb, VkPipelineBindPoint point, VkPipelineLayout layout, uint32_t first,
    uint32_t n, const VkDescriptorSet *sets, uint32_t ndyn, const uint32_t *dyn)
{
    FK_GUARD;
    (void)point, (void)first, (void)ndyn, (void)dyn;
    CB("vkCmdBindDescriptorSets");
    USE(PIPELINE_LAYOUT, layout, "vkCmdBindDescriptorSets");
    for (uint32_t i = 0; i < n; i++)
        USE_OPT(DESCRIPTOR_SET, sets[i], "vkCmdBindDescriptorSets");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdPushConstants(VkCommandBuffer cb,
                                                          VkPipelineLayout layout,
                                                          VkShaderStageFlags stages,
                                                          uint32_t offset, uint32_t size,
                                                          const void *values)
{
    FK_GUARD;
    (void)stages, (void)offset;
    CB("vkCmdPushConstants");
    USE(PIPELINE_LAYOUT, layout, "vkCmdPushConstants");
    volatile const unsigned char *p = values; /* every byte the host said is there */
    for (uint32_t i = 0; i < size; i++)
        (void)p[i];
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdDispatch(VkCommandBuffer cb, uint32_t x, uint32_t y,
                                                     uint32_t z)
{
    FK_GUARD;
    (void)x, (void)y, (void)z;
    CB("vkCmdDispatch");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdDraw(VkCommandBuffer cb, uint32_t v, uint32_t i,
                                                 uint32_t fv, uint32_t fi)
{
    FK_GUARD;
    (void)v, (void)i, (void)fv, (void)fi;
    CB("vkCmdDraw");
}

/* Multi-draws: every draw read where `stride` says it is, as a driver
 * would, so a host that hands over a stride other than its copy's is
 * caught by AddressSanitizer (and by the fuzzer). */
static void read_strided(const void *draws, uint32_t count, uint32_t stride, size_t size)
{
    volatile const unsigned char *p = draws;
    for (uint32_t i = 0; draws && i < count; i++)
        for (size_t b = 0; b < size; b++)
            (void)p[(size_t)i * stride + b];
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdDrawMultiEXT(VkCommandBuffer cb, uint32_t count,
                                                         const VkMultiDrawInfoEXT *draws,
                                                         uint32_t instances, uint32_t first,
                                                         uint32_t stride)
{
    FK_GUARD;
    (void)instances, (void)first;
    CB("vkCmdDrawMultiEXT");
    read_strided(draws, count, stride, sizeof(*draws));
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdDrawMultiIndexedEXT(
    VkCommandBuffer cb, uint32_t count, const VkMultiDrawIndexedInfoEXT *draws, uint32_t instances,
    uint32_t first, uint32_t stride, const int32_t *vertex_offset)
{
    FK_GUARD;
    (void)instances, (void)first;
    CB("vkCmdDrawMultiIndexedEXT");
    read_strided(draws, count, stride, sizeof(*draws));
    if (vertex_offset)
        (void)*(volatile const int32_t *)vertex_offset;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdDrawIndexed(VkCommandBuffer cb, uint32_t n,
                                                        uint32_t instances, uint32_t first,
                                                        int32_t offset, uint32_t first_instance)
{
    FK_GUARD;
    (void)n, (void)instances, (void)first, (void)offset, (void)first_instance;
    CB("vkCmdDrawIndexed");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdCopyBuffer(VkCommandBuffer cb, VkBuffer src,
                                                       VkBuffer dst, uint32_t n,
                                                       const VkBufferCopy *regions)
{
    FK_GUARD;
    (void)n, (void)regions;
    CB("vkCmdCopyBuffer");
    USE(BUFFER, src, "vkCmdCopyBuffer");
    USE(BUFFER, dst, "vkCmdCopyBuffer");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdFillBuffer(VkCommandBuffer cb, VkBuffer dst,
                                                       VkDeviceSize offset, VkDeviceSize size,
                                                       uint32_t data)
{
    FK_GUARD;
    (void)offset, (void)size, (void)data;
    CB("vkCmdFillBuffer");
    USE(BUFFER, dst, "vkCmdFillBuffer");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdUpdateBuffer(VkCommandBuffer cb, VkBuffer dst,
                                                         VkDeviceSize offset, VkDeviceSize size,
                                                         const void *data)
{
    FK_GUARD;
    (void)offset;
    CB("vkCmdUpdateBuffer");
    USE(BUFFER, dst, "vkCmdUpdateBuffer");
    volatile const unsigned char *p = data;
    for (VkDeviceSize i = 0; i < size; i++)
        (void)p[i];
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdBindVertexBuffers(VkCommandBuffer cb, uint32_t first,
                                                              uint32_t n, const VkBuffer *buffers,
                                                              const VkDeviceSize *offsets)
{
    FK_GUARD;
    (void)first, (void)offsets;
    CB("vkCmdBindVertexBuffers");
    for (uint32_t i = 0; i < n; i++)
        USE_OPT(BUFFER, buffers[i], "vkCmdBindVertexBuffers");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdBindIndexBuffer(VkCommandBuffer cb, VkBuffer buffer,
                                                            VkDeviceSize offset, VkIndexType type)
{
    FK_GUARD;
    (void)offset, (void)type;
    CB("vkCmdBindIndexBuffer");
    USE(BUFFER, buffer, "vkCmdBindIndexBuffer");
}

static void check_barriers(uint32_t nb, const VkBufferMemoryBarrier *b, uint32_t ni,
                           const VkImageMemoryBarrier *im, const char *where)
{
    for (uint32_t i = 0; i < nb; i++)
        USE(BUFFER, b[i].buffer, where);
    for (uint32_t i = 0; i < ni; i++)
        USE(IMAGE, im[i].image, where);
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdPipelineBarrier(
    VkCommandBuffer cb, VkPipelineStageFlags src, VkPipelineStageFlags dst, VkDependencyFlags deps,
    uint32_t nm, const VkMemoryBarrier *m, uint32_t nb, const VkBufferMemoryBarrier *b,
    uint32_t ni, const VkImageMemoryBarrier *im)
{
    FK_GUARD;
    (void)src, (void)dst, (void)deps, (void)nm, (void)m;
    CB("vkCmdPipelineBarrier");
    check_barriers(nb, b, ni, im, "vkCmdPipelineBarrier");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdPipelineBarrier2(VkCommandBuffer cb,
                                                             const VkDependencyInfo *info)
{
    FK_GUARD;
    CB("vkCmdPipelineBarrier2");
    for (uint32_t i = 0; i < info->bufferMemoryBarrierCount; i++)
        USE(BUFFER, info->pBufferMemoryBarriers[i].buffer, "vkCmdPipelineBarrier2");
    for (uint32_t i = 0; i < info->imageMemoryBarrierCount; i++)
        USE(IMAGE, info->pImageMemoryBarriers[i].image, "vkCmdPipelineBarrier2");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdWaitEvents(
    VkCommandBuffer cb, uint32_t ne, const VkEvent *events, VkPipelineStageFlags src,
    VkPipelineStageFlags dst, uint32_t nm, const VkMemoryBarrier *m, uint32_t nb,
    const VkBufferMemoryBarrier *b, uint32_t ni, const VkImageMemoryBarrier *im)
{
    FK_GUARD;
    (void)src, (void)dst, (void)nm, (void)m;
    CB("vkCmdWaitEvents");
    for (uint32_t i = 0; i < ne; i++)
        USE(EVENT, events[i], "vkCmdWaitEvents");
    check_barriers(nb, b, ni, im, "vkCmdWaitEvents");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdSetEvent(VkCommandBuffer cb, VkEvent event,
                                                     VkPipelineStageFlags stages)
{
    FK_GUARD;
    (void)stages;
    CB("vkCmdSetEvent");
    USE(EVENT, event, "vkCmdSetEvent");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdResetEvent(VkCommandBuffer cb, VkEvent event,
                                                       VkPipelineStageFlags stages)
{
    FK_GUARD;
    (void)stages;
    CB("vkCmdResetEvent");
    USE(EVENT, event, "vkCmdResetEvent");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdBeginRenderPass(VkCommandBuffer cb,
                                                            const VkRenderPassBeginInfo *bi,
                                                            VkSubpassContents contents)
{
    FK_GUARD;
    (void)contents;
    CB("vkCmdBeginRenderPass");
    USE(RENDER_PASS, bi->renderPass, "vkCmdBeginRenderPass");
    USE(FRAMEBUFFER, bi->framebuffer, "vkCmdBeginRenderPass");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdEndRenderPass(VkCommandBuffer cb)
{
    FK_GUARD;
    CB("vkCmdEndRenderPass");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdSetViewport(VkCommandBuffer cb, uint32_t first,
                                                        uint32_t n, const VkViewport *v)
{
    FK_GUARD;
    (void)first, (void)n, (void)v;
    CB("vkCmdSetViewport");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdSetScissor(VkCommandBuffer cb, uint32_t first,
                                                       uint32_t n, const VkRect2D *r)
{
    FK_GUARD;
    (void)first, (void)n, (void)r;
    CB("vkCmdSetScissor");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdCopyBufferToImage(VkCommandBuffer cb, VkBuffer src,
                                                              VkImage dst, VkImageLayout layout,
                                                              uint32_t n,
                                                              const VkBufferImageCopy *regions)
{
    FK_GUARD;
    (void)layout, (void)n, (void)regions;
    CB("vkCmdCopyBufferToImage");
    USE(BUFFER, src, "vkCmdCopyBufferToImage");
    USE(IMAGE, dst, "vkCmdCopyBufferToImage");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdCopyImageToBuffer(VkCommandBuffer cb, VkImage src,
                                                              VkImageLayout layout, VkBuffer dst,
                                                              uint32_t n,
                                                              const VkBufferImageCopy *regions)
{
    FK_GUARD;
    (void)layout, (void)n, (void)regions;
    CB("vkCmdCopyImageToBuffer");
    USE(IMAGE, src, "vkCmdCopyImageToBuffer");
    USE(BUFFER, dst, "vkCmdCopyImageToBuffer");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdClearColorImage(VkCommandBuffer cb, VkImage image,
                                                            VkImageLayout layout,
                                                            const VkClearColorValue *color,
                                                            uint32_t n,
                                                            const VkImageSubresourceRange *ranges)
{
    FK_GUARD;
    (void)layout, (void)color, (void)n, (void)ranges;
    CB("vkCmdClearColorImage");
    USE(IMAGE, image, "vkCmdClearColorImage");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdResetQueryPool(VkCommandBuffer cb, VkQueryPool pool,
                                                           uint32_t first, uint32_t count)
{
    FK_GUARD;
    (void)first, (void)count;
    CB("vkCmdResetQueryPool");
    USE(QUERY_POOL, pool, "vkCmdResetQueryPool");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdWriteTimestamp(VkCommandBuffer cb,
                                                           VkPipelineStageFlagBits stage,
                                                           VkQueryPool pool, uint32_t query)
{
    FK_GUARD;
    (void)stage, (void)query;
    CB("vkCmdWriteTimestamp");
    USE(QUERY_POOL, pool, "vkCmdWriteTimestamp");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdExecuteCommands(VkCommandBuffer cb, uint32_t n,
                                                            const VkCommandBuffer *cbs)
{
    FK_GUARD;
    CB("vkCmdExecuteCommands");
    for (uint32_t i = 0; i < n; i++)
        USE(COMMAND_BUFFER, cbs[i], "vkCmdExecuteCommands");
}

/* ---- acceleration structures: the host commands read what a driver
 * reads, through the pointers the host gave (ASan sees a copy too short),
 * and follow every reference ---- */

/* Reads `n` bytes at `p` as a driver would (the sum keeps the reads). */
static volatile unsigned fk_read_sum;
static void fk_read(const void *p, uint64_t n, const char *where)
{
    if (n && !p) {
        problem("%s: NULL where %llu bytes are read", where, (unsigned long long)n);
        return;
    }
    for (uint64_t i = 0; i < n; i++)
        fk_read_sum += ((const unsigned char *)p)[i];
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateAccelerationStructureKHR(
    VkDevice device, const VkAccelerationStructureCreateInfoKHR *ci, const VkAllocationCallbacks *a,
    VkAccelerationStructureKHR *out)
{
    FK_GUARD;
    (void)a;
    USE(BUFFER, ci->buffer, "vkCreateAccelerationStructureKHR");
    const uint64_t h = child_of(device, VK_OBJECT_TYPE_ACCELERATION_STRUCTURE_KHR,
                                "vkCreateAccelerationStructureKHR");
    if (!h)
        return VK_ERROR_DEVICE_LOST;
    *out = VKW_U64_HANDLE(VkAccelerationStructureKHR, h);
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyAccelerationStructureKHR(
    VkDevice device, VkAccelerationStructureKHR as, const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkDestroyAccelerationStructureKHR");
    fk_destroy(VK_OBJECT_TYPE_ACCELERATION_STRUCTURE_KHR, VKW_HANDLE_U64(as), VK_OBJECT_TYPE_UNKNOWN,
               "vkDestroyAccelerationStructureKHR");
}

#define FK_AS_SCRATCH 512u
#define FK_AS_SERIALIZED 256u

static VKAPI_ATTR void VKAPI_CALL fake_vkGetAccelerationStructureBuildSizesKHR(
    VkDevice device, VkAccelerationStructureBuildTypeKHR type,
    const VkAccelerationStructureBuildGeometryInfoKHR *info, const uint32_t *counts,
    VkAccelerationStructureBuildSizesInfoKHR *sizes)
{
    FK_GUARD;
    (void)type;
    USE(DEVICE, device, "vkGetAccelerationStructureBuildSizesKHR");
    for (uint32_t j = 0; j < info->geometryCount; j++)
        fk_read(&counts[j], sizeof(*counts), "vkGetAccelerationStructureBuildSizesKHR");
    sizes->accelerationStructureSize = 4096;
    sizes->buildScratchSize = FK_AS_SCRATCH;
    sizes->updateScratchSize = FK_AS_SCRATCH / 2;
}

/* What the spec says a build reads of one geometry. */
static void fk_read_geometry(const VkAccelerationStructureGeometryKHR *g,
                             const VkAccelerationStructureBuildRangeInfoKHR *r)
{
    const char *where = "vkBuildAccelerationStructuresKHR";
    const uint8_t *base;
    switch (g->geometryType) {
    case VK_GEOMETRY_TYPE_TRIANGLES_KHR: {
        const VkAccelerationStructureGeometryTrianglesDataKHR *t = &g->geometry.triangles;
        const uint32_t v = vkw_format_block_size(t->vertexFormat);
        const uint8_t *vertices = t->vertexData.hostAddress;
        if (r->primitiveCount && t->indexType != VK_INDEX_TYPE_NONE_KHR) {
            const size_t isize = t->indexType == VK_INDEX_TYPE_UINT16 ? 2 : 4;
            const uint8_t *indices = (const uint8_t *)t->indexData.hostAddress + r->primitiveOffset;
            fk_read(indices, 3ull * r->primitiveCount * isize, where);
            for (uint64_t k = 0; k < 3ull * r->primitiveCount; k++) {
                uint32_t index = 0;
                memcpy(&index, indices + k * isize, isize); /* little-endian */
                fk_read(vertices + (index + (uint64_t)r->firstVertex) * t->vertexStride, v, where);
            }
            fk_read(vertices + (uint64_t)t->maxVertex * t->vertexStride, v, where); /* the last */
        } else if (r->primitiveCount) {
            base = vertices + r->primitiveOffset;
            for (uint64_t k = 0; k < 3ull * r->primitiveCount; k++)
                fk_read(base + (r->firstVertex + k) * t->vertexStride, v, where);
        }
        if (r->primitiveCount && t->transformData.hostAddress)
            fk_read((const uint8_t *)t->transformData.hostAddress + r->transformOffset,
                    sizeof(VkTransformMatrixKHR), where);
        break;
    }
    case VK_GEOMETRY_TYPE_AABBS_KHR:
        base = (const uint8_t *)g->geometry.aabbs.data.hostAddress + r->primitiveOffset;
        for (uint64_t k = 0; k < r->primitiveCount; k++)
            fk_read(base + k * g->geometry.aabbs.stride, sizeof(VkAabbPositionsKHR), where);
        break;
    case VK_GEOMETRY_TYPE_INSTANCES_KHR:
        base = (const uint8_t *)g->geometry.instances.data.hostAddress + r->primitiveOffset;
        for (uint64_t k = 0; k < r->primitiveCount; k++) {
            const VkAccelerationStructureInstanceKHR *in =
                g->geometry.instances.arrayOfPointers
                    ? ((const VkAccelerationStructureInstanceKHR *const *)(const void *)base)[k]
                    : (const VkAccelerationStructureInstanceKHR *)(const void *)(base + k * sizeof(*in));
            fk_read(in, sizeof(*in), where);
            fk_use(VK_OBJECT_TYPE_ACCELERATION_STRUCTURE_KHR, in->accelerationStructureReference,
                   false, where); /* host builds name structures by handle */
        }
        break;
    default:
        problem("%s: geometry type %d", where, (int)g->geometryType);
    }
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkBuildAccelerationStructuresKHR(
    VkDevice device, VkDeferredOperationKHR op, uint32_t n,
    const VkAccelerationStructureBuildGeometryInfoKHR *infos,
    const VkAccelerationStructureBuildRangeInfoKHR *const *ranges)
{
    FK_GUARD;
    const char *where = "vkBuildAccelerationStructuresKHR";
    USE(DEVICE, device, where);
    USE_OPT(DEFERRED_OPERATION_KHR, op, where);
    for (uint32_t i = 0; i < n; i++) {
        const VkAccelerationStructureBuildGeometryInfoKHR *info = &infos[i];
        USE(ACCELERATION_STRUCTURE_KHR, info->dstAccelerationStructure, where);
        USE_OPT(ACCELERATION_STRUCTURE_KHR, info->srcAccelerationStructure, where);
        if (info->scratchData.hostAddress)
            memset(info->scratchData.hostAddress, 0x5a,
                   info->mode == VK_BUILD_ACCELERATION_STRUCTURE_MODE_UPDATE_KHR ? FK_AS_SCRATCH / 2
                                                                                 : FK_AS_SCRATCH);
        else
            problem("%s: no scratch", where);
        for (uint32_t j = 0; j < info->geometryCount; j++)
            fk_read_geometry(info->pGeometries ? &info->pGeometries[j] : info->ppGeometries[j],
                             &ranges[i][j]);
    }
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkWriteAccelerationStructuresPropertiesKHR(
    VkDevice device, uint32_t n, const VkAccelerationStructureKHR *as, VkQueryType type,
    size_t size, void *data, size_t stride)
{
    FK_GUARD;
    (void)type, (void)size;
    const char *where = "vkWriteAccelerationStructuresPropertiesKHR";
    USE(DEVICE, device, where);
    for (uint32_t i = 0; i < n; i++) {
        USE(ACCELERATION_STRUCTURE_KHR, as[i], where);
        const uint64_t v = FK_AS_SERIALIZED;
        memcpy((uint8_t *)data + i * stride, &v, sizeof(v));
    }
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCopyAccelerationStructureKHR(
    VkDevice device, VkDeferredOperationKHR op, const VkCopyAccelerationStructureInfoKHR *info)
{
    FK_GUARD;
    const char *where = "vkCopyAccelerationStructureKHR";
    USE(DEVICE, device, where);
    USE_OPT(DEFERRED_OPERATION_KHR, op, where);
    USE(ACCELERATION_STRUCTURE_KHR, info->src, where);
    USE(ACCELERATION_STRUCTURE_KHR, info->dst, where);
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCopyAccelerationStructureToMemoryKHR(
    VkDevice device, VkDeferredOperationKHR op, const VkCopyAccelerationStructureToMemoryInfoKHR *info)
{
    FK_GUARD;
    const char *where = "vkCopyAccelerationStructureToMemoryKHR";
    USE(DEVICE, device, where);
    USE_OPT(DEFERRED_OPERATION_KHR, op, where);
    USE(ACCELERATION_STRUCTURE_KHR, info->src, where);
    uint8_t *dst = info->dst.hostAddress;
    if (!dst) {
        problem("%s: no dst", where);
        return VK_SUCCESS;
    }
    memset(dst, 0, FK_AS_SERIALIZED); /* as much as the size query said */
    const uint64_t size = FK_AS_SERIALIZED;
    memcpy(dst + 2 * VK_UUID_SIZE, &size, sizeof(size));
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCopyMemoryToAccelerationStructureKHR(
    VkDevice device, VkDeferredOperationKHR op, const VkCopyMemoryToAccelerationStructureInfoKHR *info)
{
    FK_GUARD;
    const char *where = "vkCopyMemoryToAccelerationStructureKHR";
    USE(DEVICE, device, where);
    USE_OPT(DEFERRED_OPERATION_KHR, op, where);
    USE(ACCELERATION_STRUCTURE_KHR, info->dst, where);
    uint64_t size = 0;
    fk_read(info->src.hostAddress, 2 * VK_UUID_SIZE + 8, where);
    if (info->src.hostAddress) {
        memcpy(&size, (const uint8_t *)info->src.hostAddress + 2 * VK_UUID_SIZE, sizeof(size));
        fk_read(info->src.hostAddress, size, where); /* all the header says */
    }
    return VK_SUCCESS;
}

/* ---- the loader's part ---- */
/* ---- video sessions (VK_KHR_video_queue) ---- */

/* A parameters object is made from a session (vk.xml): destroying a session
 * with one alive is reported, as is one used with another session. */
static bool params_of(VkVideoSessionParametersKHR params, VkVideoSessionKHR session,
                      const char *where)
{
    const struct fk_object *p = USE_OPT(VIDEO_SESSION_PARAMETERS_KHR, params, where);
    if (p && p->parent != VKW_HANDLE_U64(session)) {
        problem("%s: parameters object 0x%llx was made from another session", where,
                (unsigned long long)VKW_HANDLE_U64(params));
        return false;
    }
    return true;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateVideoSessionKHR(
    VkDevice device, const VkVideoSessionCreateInfoKHR *ci, const VkAllocationCallbacks *a,
    VkVideoSessionKHR *out)
{
    FK_GUARD;
    (void)ci, (void)a;
    const uint64_t h = child_of(device, VK_OBJECT_TYPE_VIDEO_SESSION_KHR, "vkCreateVideoSessionKHR");
    *out = VKW_U64_HANDLE(VkVideoSessionKHR, h);
    return h ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyVideoSessionKHR(VkDevice device,
                                                               VkVideoSessionKHR session,
                                                               const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkDestroyVideoSessionKHR");
    fk_destroy(VK_OBJECT_TYPE_VIDEO_SESSION_KHR, VKW_HANDLE_U64(session), VK_OBJECT_TYPE_UNKNOWN,
               "vkDestroyVideoSessionKHR");
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkGetVideoSessionMemoryRequirementsKHR(
    VkDevice device, VkVideoSessionKHR session, uint32_t *count,
    VkVideoSessionMemoryRequirementsKHR *out)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetVideoSessionMemoryRequirementsKHR");
    USE(VIDEO_SESSION_KHR, session, "vkGetVideoSessionMemoryRequirementsKHR");
    if (out && *count >= 1)
        out[0].memoryRequirements = (VkMemoryRequirements){4096, 256, 0x1u};
    *count = 1;
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkBindVideoSessionMemoryKHR(
    VkDevice device, VkVideoSessionKHR session, uint32_t n,
    const VkBindVideoSessionMemoryInfoKHR *binds)
{
    FK_GUARD;
    USE(DEVICE, device, "vkBindVideoSessionMemoryKHR");
    USE(VIDEO_SESSION_KHR, session, "vkBindVideoSessionMemoryKHR");
    for (uint32_t i = 0; i < n; i++)
        USE(DEVICE_MEMORY, binds[i].memory, "vkBindVideoSessionMemoryKHR");
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkCreateVideoSessionParametersKHR(
    VkDevice device, const VkVideoSessionParametersCreateInfoKHR *ci,
    const VkAllocationCallbacks *a, VkVideoSessionParametersKHR *out)
{
    FK_GUARD;
    (void)a;
    const char *where = "vkCreateVideoSessionParametersKHR";
    if (!USE(DEVICE, device, where) || !USE(VIDEO_SESSION_KHR, ci->videoSession, where) ||
        !params_of(ci->videoSessionParametersTemplate, ci->videoSession, where))
        return VK_ERROR_INITIALIZATION_FAILED;
    *out = VKW_U64_HANDLE(VkVideoSessionParametersKHR,
                          fk_new(VK_OBJECT_TYPE_VIDEO_SESSION_PARAMETERS_KHR,
                                 VKW_HANDLE_U64(ci->videoSession)));
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_vkUpdateVideoSessionParametersKHR(
    VkDevice device, VkVideoSessionParametersKHR params,
    const VkVideoSessionParametersUpdateInfoKHR *info)
{
    FK_GUARD;
    (void)info;
    USE(DEVICE, device, "vkUpdateVideoSessionParametersKHR");
    USE(VIDEO_SESSION_PARAMETERS_KHR, params, "vkUpdateVideoSessionParametersKHR");
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL fake_vkDestroyVideoSessionParametersKHR(
    VkDevice device, VkVideoSessionParametersKHR params, const VkAllocationCallbacks *a)
{
    FK_GUARD;
    (void)a;
    USE(DEVICE, device, "vkDestroyVideoSessionParametersKHR");
    fk_destroy(VK_OBJECT_TYPE_VIDEO_SESSION_PARAMETERS_KHR, VKW_HANDLE_U64(params),
               VK_OBJECT_TYPE_UNKNOWN, "vkDestroyVideoSessionParametersKHR");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdBeginVideoCodingKHR(VkCommandBuffer cb,
                                                               const VkVideoBeginCodingInfoKHR *info)
{
    FK_GUARD;
    CB("vkCmdBeginVideoCodingKHR");
    USE(VIDEO_SESSION_KHR, info->videoSession, "vkCmdBeginVideoCodingKHR");
    params_of(info->videoSessionParameters, info->videoSession, "vkCmdBeginVideoCodingKHR");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdControlVideoCodingKHR(
    VkCommandBuffer cb, const VkVideoCodingControlInfoKHR *info)
{
    FK_GUARD;
    (void)info;
    CB("vkCmdControlVideoCodingKHR");
}

static VKAPI_ATTR void VKAPI_CALL fake_vkCmdEndVideoCodingKHR(VkCommandBuffer cb,
                                                             const VkVideoEndCodingInfoKHR *info)
{
    FK_GUARD;
    (void)info;
    CB("vkCmdEndVideoCodingKHR");
}


struct fk_entry {
    const char *name;
    PFN_vkVoidFunction fn;
};

static struct fk_entry fk_entries[232];
static size_t fk_entry_count;

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL fake_vkGetDeviceProcAddr(VkDevice device,
                                                                        const char *name);

/* Each entry is type-checked against the command's PFN type. */
#define ENTRY(n)                                                                                \
    do {                                                                                        \
        PFN_##n f_ = fake_##n;                                                                  \
        fk_entries[fk_entry_count++] = (struct fk_entry){#n, (PFN_vkVoidFunction)f_};           \
    } while (0)
#define ENTRY_AS(n, impl)                                                                       \
    do {                                                                                        \
        PFN_##n f_ = impl;                                                                      \
        fk_entries[fk_entry_count++] = (struct fk_entry){#n, (PFN_vkVoidFunction)f_};           \
    } while (0)

static int compare_entries(const void *a, const void *b)
{
    FK_GUARD;
    return strcmp(((const struct fk_entry *)a)->name, ((const struct fk_entry *)b)->name);
}

static void fill_entries(void)
{
    ENTRY(vkCreateInstance);
    ENTRY(vkDestroyInstance);
    ENTRY(vkEnumerateInstanceExtensionProperties);
    ENTRY(vkEnumeratePhysicalDevices);
    ENTRY(vkGetPhysicalDeviceProperties);
    ENTRY(vkGetPhysicalDeviceProperties2);
    ENTRY(vkGetPhysicalDeviceFeatures);
    ENTRY(vkGetPhysicalDeviceFeatures2);
    ENTRY(vkGetPhysicalDeviceQueueFamilyProperties);
    ENTRY(vkGetPhysicalDeviceQueueFamilyProperties2);
    ENTRY(vkGetPhysicalDeviceMemoryProperties);
    ENTRY(vkGetPhysicalDeviceMemoryProperties2);
    ENTRY(vkGetPhysicalDeviceFormatProperties);
    ENTRY(vkGetPhysicalDeviceFormatProperties2);
    ENTRY(vkGetPhysicalDeviceImageFormatProperties);
    ENTRY(vkGetPhysicalDeviceSparseImageFormatProperties);
    ENTRY(vkEnumerateDeviceExtensionProperties);
    ENTRY(vkCreateDevice);
    ENTRY(vkDestroyDevice);
    ENTRY(vkGetDeviceProcAddr);
    ENTRY(vkGetDeviceQueue);
    ENTRY(vkGetDeviceQueue2);
    ENTRY(vkDeviceWaitIdle);
    ENTRY(vkQueueWaitIdle);
    ENTRY(vkQueueSubmit);
    ENTRY(vkQueueSubmit2);
    ENTRY(vkQueueBindSparse);
    ENTRY(vkAllocateMemory);
    ENTRY(vkFreeMemory);
    ENTRY(vkMapMemory);
    ENTRY(vkUnmapMemory);
    ENTRY(vkFlushMappedMemoryRanges);
    ENTRY(vkInvalidateMappedMemoryRanges);
    ENTRY(vkGetDeviceMemoryCommitment);
    ENTRY(vkGetMemoryHostPointerPropertiesEXT);
    ENTRY(vkGetMemoryFdKHR);
    ENTRY(vkGetMemoryFdPropertiesKHR);
    ENTRY(vkImportSemaphoreFdKHR);
    ENTRY(vkGetSemaphoreFdKHR);
    ENTRY(vkImportFenceFdKHR);
    ENTRY(vkGetFenceFdKHR);
    ENTRY_AS(vkCreateBuffer, fake_vkCreateBufferSized);
    ENTRY(vkDestroyBuffer);
    ENTRY(vkCreateBufferView);
    ENTRY(vkDestroyBufferView);
    ENTRY(vkCreateImage);
    ENTRY(vkDestroyImage);
    ENTRY(vkCreateImageView);
    ENTRY(vkDestroyImageView);
    ENTRY(vkCreateShaderModule);
    ENTRY(vkDestroyShaderModule);
    ENTRY(vkCreatePipelineCache);
    ENTRY(vkDestroyPipelineCache);
    ENTRY(vkGetPipelineCacheData);
    ENTRY(vkMergePipelineCaches);
    ENTRY(vkCreatePipelineLayout);
    ENTRY(vkDestroyPipelineLayout);
    ENTRY(vkCreateSampler);
    ENTRY(vkDestroySampler);
    ENTRY(vkCreateDescriptorSetLayout);
    ENTRY(vkDestroyDescriptorSetLayout);
    ENTRY(vkCreateDescriptorPool);
    ENTRY(vkDestroyDescriptorPool);
    ENTRY(vkResetDescriptorPool);
    ENTRY(vkAllocateDescriptorSets);
    ENTRY(vkFreeDescriptorSets);
    ENTRY(vkUpdateDescriptorSets);
    ENTRY(vkCreateFramebuffer);
    ENTRY(vkDestroyFramebuffer);
    ENTRY(vkCreateRenderPass);
    ENTRY(vkCreateRenderPass2);
    ENTRY(vkDestroyRenderPass);
    ENTRY(vkCreateCommandPool);
    ENTRY(vkDestroyCommandPool);
    ENTRY(vkResetCommandPool);
    ENTRY(vkTrimCommandPool);
    ENTRY(vkAllocateCommandBuffers);
    ENTRY(vkFreeCommandBuffers);
    ENTRY_AS(vkCreateFence, fake_vkCreateFenceSignaled);
    ENTRY(vkDestroyFence);
    ENTRY(vkGetFenceStatus);
    ENTRY(vkResetFences);
    ENTRY(vkWaitForFences);
    ENTRY(vkCreateSemaphore);
    ENTRY(vkDestroySemaphore);
    ENTRY(vkGetSemaphoreCounterValue);
    ENTRY(vkWaitSemaphores);
    ENTRY(vkSignalSemaphore);
    ENTRY(vkCreateEvent);
    ENTRY(vkDestroyEvent);
    ENTRY(vkGetEventStatus);
    ENTRY(vkSetEvent);
    ENTRY(vkResetEvent);
    ENTRY(vkCreateQueryPool);
    ENTRY(vkDestroyQueryPool);
    ENTRY(vkGetQueryPoolResults);
    ENTRY(vkResetQueryPool);
    ENTRY(vkCreateSamplerYcbcrConversion);
    ENTRY(vkDestroySamplerYcbcrConversion);
    ENTRY(vkCreateDescriptorUpdateTemplate);
    ENTRY(vkDestroyDescriptorUpdateTemplate);
    ENTRY(vkGetBufferMemoryRequirements);
    ENTRY(vkGetBufferMemoryRequirements2);
    ENTRY(vkGetImageMemoryRequirements);
    ENTRY(vkGetImageMemoryRequirements2);
    ENTRY(vkGetImageSparseMemoryRequirements);
    ENTRY(vkGetImageSubresourceLayout);
    ENTRY(vkBindBufferMemory);
    ENTRY(vkBindImageMemory);
    ENTRY(vkBindBufferMemory2);
    ENTRY(vkBindImageMemory2);
    ENTRY(vkGetBufferDeviceAddress);
    ENTRY(vkCreateComputePipelines);
    ENTRY(vkCreateGraphicsPipelines);
    ENTRY(vkDestroyPipeline);
    ENTRY(vkBeginCommandBuffer);
    ENTRY(vkEndCommandBuffer);
    ENTRY(vkResetCommandBuffer);
    ENTRY(vkCmdBindPipeline);
    ENTRY(vkCmdBindDescriptorSets);
    ENTRY(vkCmdPushConstants);
    ENTRY(vkCmdDispatch);
    ENTRY(vkCmdDraw);
    ENTRY(vkCmdDrawIndexed);
    ENTRY(vkCmdDrawMultiEXT);
    ENTRY(vkCmdDrawMultiIndexedEXT);
    ENTRY(vkCmdCopyBuffer);
    ENTRY(vkCmdFillBuffer);
    ENTRY(vkCmdUpdateBuffer);
    ENTRY(vkCmdBindVertexBuffers);
    ENTRY(vkCmdBindIndexBuffer);
    ENTRY(vkCmdPipelineBarrier);
    ENTRY(vkCmdPipelineBarrier2);
    ENTRY(vkCmdWaitEvents);
    ENTRY(vkCmdSetEvent);
    ENTRY(vkCmdResetEvent);
    ENTRY(vkCmdBeginRenderPass);
    ENTRY(vkCmdEndRenderPass);
    ENTRY(vkCmdSetViewport);
    ENTRY(vkCmdSetScissor);
    ENTRY(vkCmdCopyBufferToImage);
    ENTRY(vkCmdCopyImageToBuffer);
    ENTRY(vkCmdClearColorImage);
    ENTRY(vkCmdResetQueryPool);
    ENTRY(vkCmdWriteTimestamp);
    ENTRY(vkCmdExecuteCommands);
    ENTRY(vkCreateShadersEXT);
    ENTRY(vkDestroyShaderEXT);
    ENTRY(vkGetShaderBinaryDataEXT);
    ENTRY(vkCreateIndirectCommandsLayoutEXT);
    ENTRY(vkDestroyIndirectCommandsLayoutEXT);
    ENTRY(vkCreateIndirectExecutionSetEXT);
    ENTRY(vkDestroyIndirectExecutionSetEXT);
    ENTRY(vkUpdateIndirectExecutionSetPipelineEXT);
    ENTRY(vkCreatePipelineBinariesKHR);
    ENTRY(vkDestroyPipelineBinaryKHR);
    ENTRY(vkGetPipelineBinaryDataKHR);
    ENTRY(vkConvertCooperativeVectorMatrixNV);
    ENTRY(vkGetPipelinePropertiesEXT);
    ENTRY(vkCreateAccelerationStructureKHR);
    ENTRY(vkDestroyAccelerationStructureKHR);
    ENTRY(vkGetAccelerationStructureBuildSizesKHR);
    ENTRY(vkBuildAccelerationStructuresKHR);
    ENTRY(vkWriteAccelerationStructuresPropertiesKHR);
    ENTRY(vkCopyAccelerationStructureKHR);
    ENTRY(vkCopyAccelerationStructureToMemoryKHR);
    ENTRY(vkCopyMemoryToAccelerationStructureKHR);
    ENTRY(vkCreateVideoSessionKHR);
    ENTRY(vkDestroyVideoSessionKHR);
    ENTRY(vkGetVideoSessionMemoryRequirementsKHR);
    ENTRY(vkBindVideoSessionMemoryKHR);
    ENTRY(vkCreateVideoSessionParametersKHR);
    ENTRY(vkUpdateVideoSessionParametersKHR);
    ENTRY(vkDestroyVideoSessionParametersKHR);
    ENTRY(vkCmdBeginVideoCodingKHR);
    ENTRY(vkCmdControlVideoCodingKHR);
    ENTRY(vkCmdEndVideoCodingKHR);
    if (fk_entry_count > sizeof(fk_entries) / sizeof(fk_entries[0]))
        abort(); /* (too late for the writes, but says what went wrong) */
    qsort(fk_entries, fk_entry_count, sizeof(fk_entries[0]), compare_entries);
}

static PFN_vkVoidFunction lookup(const char *name)
{
    if (fk_entry_count == 0)
        fill_entries();
    const struct fk_entry key = {name, NULL};
    const struct fk_entry *e =
        bsearch(&key, fk_entries, fk_entry_count, sizeof(fk_entries[0]), compare_entries);
    return e ? e->fn : NULL;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL fake_vkGetDeviceProcAddr(VkDevice device,
                                                                        const char *name)
{
    FK_GUARD;
    USE(DEVICE, device, "vkGetDeviceProcAddr");
    return name ? lookup(name) : NULL;
}

PFN_vkVoidFunction VKAPI_CALL vkw_fake_get_instance_proc_addr(VkInstance instance,
                                                             const char *name)
{
    USE_OPT(INSTANCE, instance, "vkGetInstanceProcAddr");
    return name ? lookup(name) : NULL;
}
