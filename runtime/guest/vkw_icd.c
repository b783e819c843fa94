/* vkw_icd — the loader interface and the guest's hand-written entry points.
 * See vkw_icd.h; the generated rest is generated/vkw_guest_entry.c. */
#define _GNU_SOURCE /* RTLD_DEFAULT, strnlen */
#include "vkw_icd.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vk_icd.h>

#include "vkw_depends.h"
#include "vkw_device_length.h"
#include "vkw_extensions.h"
#include "vkw_guest_commands.h"
#include "vkw_guest_conn.h"
#include "vkw_guest_debug.h"
#include "vkw_guest_encode.h"
#include "vkw_guest_entry.h"
#include "vkw_guest_images.h"
#include "vkw_guest_lengths.h"
#include "vkw_guest_private_data.h"
#include "vkw_guest_templates.h"
#include "vkw_handles.h"
#include "vkw_protocol.h"
#include "vkw_vulkan_util.h"

/* Loader interface 5: the loader passes the application's API version on
 * (6 is Windows-only; 7 only asks that the vk_icd* functions be queryable
 * through vk_icdGetInstanceProcAddr, which they are). */
#define VKW_LOADER_INTERFACE_VERSION 7u
#define VKW_DEVICE_NAME_MARK " (vkwire)"

/* Names an application enabled, kept for vkGetDeviceProcAddr's answers. */
struct vkw_enabled_names {
    uint32_t count;
    char **names;
};

struct vkw_guest_instance {
    struct vkw_guest_object obj;
    struct vkw_alloc alloc;              /* the application's, for all it keeps */
    uint32_t physical_count;
    struct vkw_guest_object **physicals; /* NULL until first enumerated */
    uint32_t api_version;                /* the application's (1.0 if it gave none) */
    struct vkw_enabled_names extensions;
    struct vkw_guest_instance *next_on_conn; /* its connection's other instances */
};

struct vkw_guest_queue_object {
    struct vkw_guest_object obj;
    VkDevice device;
    VkFence idle_fence; /* made at the first vkQueueWaitIdle */
};

/* A queue the device was created with.  Its object is made with the device
 * (vkGetDeviceQueue cannot fail) and named to the host the first time the
 * application asks for it. */
/* The process's instances share one connection (one worker and one
 * handshake for all of them: a test suite's custom instances beside its
 * default one cost no connection).  It closes with its last instance (the
 * host then tears down what the application left); the connection the
 * loader's vkEnumerateInstanceExtensionProperties opens just before it
 * creates an instance stays open, *parked*, for that instance (or until
 * the ICD is unloaded).  A lost connection is never handed out again: the
 * next vkCreateInstance opens a new one; the lost one closes with its last
 * instance. */
static struct {
    pthread_mutex_t lock; /* guards conn and every connection's users and instances */
    struct vkw_guest_conn *conn;
} shared = {PTHREAD_MUTEX_INITIALIZER, NULL};

struct vkw_guest_queue {
    uint32_t family, index, flags;
    bool asked; /* under the device's queue_lock */
    struct vkw_guest_queue_object object;
};

struct vkw_guest_device {
    struct vkw_guest_object obj;
    struct vkw_alloc alloc; /* its own, else its instance's: for all it keeps */
    VkPhysicalDevice physical;
    pthread_mutex_t queue_lock; /* the first ask of each queue */
    struct vkw_guest_queue *queues; /* one per queue of its create info */
    size_t queue_count;
    /* The version whose commands the device has: the smaller of the
     * application's and the device's (as vkwire reports it). */
    uint32_t api_version;
    struct vkw_enabled_names extensions;
    const struct vkw_guest_instance *instance;
    /* The properties that give lengths of members the application's
     * memory holds (runtime/common/vkw_device_length.h), asked once at
     * vkCreateDevice; zero where the application did not enable what makes
     * them count. */
    struct vkw_length_properties length_props;
};

static bool keep_names(struct vkw_enabled_names *kept, uint32_t count, const char *const *names,
                       const struct vkw_alloc *alloc, VkSystemAllocationScope scope)
{
    kept->count = 0;
    kept->names = count ? vkw_zalloc_array(alloc, count, sizeof(*kept->names), scope) : NULL;
    if (count && !kept->names)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        if (!(kept->names[i] = vkw_strdup(alloc, names[i] ? names[i] : "", scope)))
            return false; /* what was kept is freed with the object */
        kept->count = i + 1;
    }
    return true;
}

static void forget_names(struct vkw_enabled_names *kept, const struct vkw_alloc *alloc)
{
    for (uint32_t i = 0; i < kept->count; i++)
        vkw_free(alloc, kept->names[i]);
    vkw_free(alloc, kept->names);
    kept->names = NULL;
    kept->count = 0;
}

static bool names_have(const struct vkw_enabled_names *kept, const char *name, size_t length)
{
    for (uint32_t i = 0; i < kept->count; i++)
        if (strlen(kept->names[i]) == length && memcmp(kept->names[i], name, length) == 0)
            return true;
    return false;
}

/* ---- objects ---- */

static void init_object(struct vkw_guest_object *o, struct vkw_guest_conn *conn, uint32_t type,
                        const struct vkw_alloc *alloc)
{
    o->base.loader_data = ICD_LOADER_MAGIC; /* the loader replaces it with its table */
    o->base.id = vkw_guest_new_id(conn);
    o->conn = conn;
    o->type = type;
    o->alloc = alloc;
}

void *vkw_guest_new_object(struct vkw_guest_conn *conn, uint32_t type,
                           const struct vkw_alloc *alloc, VkSystemAllocationScope scope)
{
    size_t size = type == VKW_HANDLE_VkInstance        ? sizeof(struct vkw_guest_instance)
                  : type == VKW_HANDLE_VkDevice        ? sizeof(struct vkw_guest_device)
                  : type == VKW_HANDLE_VkCommandBuffer ? vkw_guest_command_buffer_size()
                  : type == VKW_HANDLE_VkQueue         ? sizeof(struct vkw_guest_queue_object)
                                                       : sizeof(struct vkw_guest_object);
    struct vkw_guest_object *o = vkw_zalloc(alloc, size, scope);
    if (!o)
        return NULL;
    init_object(o, conn, type, alloc);
    if (type == VKW_HANDLE_VkInstance) {
        struct vkw_guest_instance *inst = (struct vkw_guest_instance *)o;
        inst->alloc = alloc ? *alloc : (struct vkw_alloc){0};
        o->alloc = &inst->alloc;
    } else if (type == VKW_HANDLE_VkDevice) {
        struct vkw_guest_device *dev = (struct vkw_guest_device *)o;
        dev->alloc = alloc ? *alloc : (struct vkw_alloc){0};
        o->alloc = &dev->alloc;
        pthread_mutex_init(&dev->queue_lock, NULL);
    }
    return o;
}

void vkw_guest_free_object(void *object)
{
    struct vkw_guest_object *o = object;
    if (!o)
        return;
    /* Its address may be the next object's handle: private data set on it
     * must not be read through that one. */
    if (vkw_handle_type_valid(o->type))
        vkw_guest_private_data_forget_object(vkw_handle_types[o->type].object_type,
                                             VKW_HANDLE_U64(o));
    /* A copy: an instance's or device's own lives in what is freed. */
    const struct vkw_alloc alloc = o->alloc ? *o->alloc : (struct vkw_alloc){0};
    if (o->type == VKW_HANDLE_VkDevice) {
        struct vkw_guest_device *dev = (struct vkw_guest_device *)o;
        vkw_free(&alloc, dev->queues); /* their objects live in it */
        forget_names(&dev->extensions, &alloc);
        pthread_mutex_destroy(&dev->queue_lock);
    }
    if (o->type == VKW_HANDLE_VkInstance)
        forget_names(&((struct vkw_guest_instance *)o)->extensions, &alloc);
    if (o->type == VKW_HANDLE_VkCommandBuffer)
        vkw_guest_command_buffer_release(o);
    vkw_free(&alloc, o);
}

/* A reply names a physical device by id (device groups): find ours. */
uint64_t vkw_guest_handle_from_id(struct vkw_reader *r, uint32_t type, uint64_t id)
{
    struct vkw_guest_conn *conn = vkw_guest_current_conn();
    if (id == 0)
        return 0;
    uint64_t found = 0;
    pthread_mutex_lock(&shared.lock);
    for (struct vkw_guest_instance *inst = conn ? conn->instances : NULL;
         inst && type == VKW_HANDLE_VkPhysicalDevice && !found; inst = inst->next_on_conn)
        for (uint32_t i = 0; i < inst->physical_count && !found; i++)
            if (inst->physicals[i]->base.id == id)
                found = VKW_HANDLE_U64(inst->physicals[i]);
    pthread_mutex_unlock(&shared.lock);
    if (!found)
        vkw_reader_fail(r, VKW_ERROR_BAD_HANDLE, id);
    return found;
}

/* ---- entry point lookup ---- */

/* The ICD's entry point called `name` whose scope lies in [lowest, highest]. */
static PFN_vkVoidFunction find_entry(const char *name, enum vkw_entry_scope lowest,
                                     enum vkw_entry_scope highest)
{
    for (unsigned i = 0; name && i < vkw_guest_entry_count; i++)
        if (vkw_guest_entries[i].scope >= lowest && vkw_guest_entries[i].scope <= highest &&
            strcmp(vkw_guest_entries[i].name, name) == 0)
            return vkw_guest_entries[i].function;
    return NULL;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkw_icd_vkGetInstanceProcAddr(VkInstance instance,
                                                                      const char *pName)
{
    if (!instance) {
        /* Without an instance only the global commands answer. */
        PFN_vkVoidFunction f = find_entry(pName, VKW_SCOPE_GLOBAL, VKW_SCOPE_GLOBAL);
        if (f || (pName && strcmp(pName, "vkGetInstanceProcAddr") == 0))
            return f ? f : (PFN_vkVoidFunction)vkw_icd_vkGetInstanceProcAddr;
        return NULL;
    }
    return find_entry(pName, VKW_SCOPE_GLOBAL, VKW_SCOPE_DEVICE);
}

static bool device_has_extension(void *user, const char *name, size_t length)
{
    const struct vkw_guest_device *dev = user;
    return names_have(&dev->extensions, name, length) ||
           (dev->instance && names_have(&dev->instance->extensions, name, length));
}

/* As the spec says: NULL for a command of a version above the device's
 * (the smaller of the application's and the device's) or of an extension
 * the device (or its instance) was not made with. */
VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkw_icd_vkGetDeviceProcAddr(VkDevice device,
                                                                    const char *pName)
{
    const struct vkw_guest_device *dev = (const struct vkw_guest_device *)device;
    for (unsigned i = 0; pName && i < vkw_guest_entry_count; i++) {
        const struct vkw_guest_entry *e = &vkw_guest_entries[i];
        if (e->scope == VKW_SCOPE_DEVICE && strcmp(e->name, pName) == 0)
            return !dev || vkw_depends_hold(e->condition, dev->api_version, device_has_extension,
                                            (void *)dev)
                       ? e->function
                       : NULL;
    }
    return NULL;
}

/* The loader's entry points into the ICD: the only exported symbols. */
__attribute__((visibility("default"))) VKAPI_ATTR VkResult VKAPI_CALL
vk_icdNegotiateLoaderICDInterfaceVersion(uint32_t *pSupportedVersion);
__attribute__((visibility("default"))) VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vk_icdGetInstanceProcAddr(VkInstance instance, const char *pName);
__attribute__((visibility("default"))) VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vk_icdGetPhysicalDeviceProcAddr(VkInstance instance, const char *pName);

VKAPI_ATTR VkResult VKAPI_CALL vk_icdNegotiateLoaderICDInterfaceVersion(uint32_t *pSupportedVersion)
{
    /* Inside a vkwire renderer (vkwire-server, or a VMM embedding the
     * library) the loader must not pick vkwire as a host driver: that
     * would forward the server to itself, worker after worker. */
    if (dlsym(RTLD_DEFAULT, "vkw_renderer_create"))
        return VK_ERROR_INCOMPATIBLE_DRIVER;
    if (*pSupportedVersion < 5)
        return VK_ERROR_INCOMPATIBLE_DRIVER; /* vkwire needs the loader to honour apiVersion */
    if (*pSupportedVersion > VKW_LOADER_INTERFACE_VERSION)
        *pSupportedVersion = VKW_LOADER_INTERFACE_VERSION;
    return VK_SUCCESS;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetPhysicalDeviceProcAddr(VkInstance instance,
                                                                       const char *pName)
{
    (void)instance;
    return find_entry(pName, VKW_SCOPE_PHYSICAL_DEVICE, VKW_SCOPE_PHYSICAL_DEVICE);
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetInstanceProcAddr(VkInstance instance,
                                                                 const char *pName)
{
    if (pName && strcmp(pName, "vk_icdNegotiateLoaderICDInterfaceVersion") == 0)
        return (PFN_vkVoidFunction)vk_icdNegotiateLoaderICDInterfaceVersion;
    if (pName && strcmp(pName, "vk_icdGetPhysicalDeviceProcAddr") == 0)
        return (PFN_vkVoidFunction)vk_icdGetPhysicalDeviceProcAddr;
    if (pName && strcmp(pName, "vk_icdGetInstanceProcAddr") == 0)
        return (PFN_vkVoidFunction)vk_icdGetInstanceProcAddr;
    return vkw_icd_vkGetInstanceProcAddr(instance, pName);
}

/* ---- extensions: the host's, narrowed to what vkwire forwards ---- */

/* One vkEnumerateInstanceExtensionProperties round trip (no instance yet,
 * so no generated forwarding function applies). */
static VkResult ask_instance_extensions(void *user, uint32_t *count, VkExtensionProperties *props)
{
    struct vkw_guest_conn *conn = user;
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call); /* sets call.serial */
    vkw_encode_vkEnumerateInstanceExtensionProperties(w, call.serial, NULL, count, props);
    struct vkw_reader *r = vkw_call_wait(&call, false);
    VkResult result = r ? vkw_decode_reply_vkEnumerateInstanceExtensionProperties(r, NULL, count,
                                                                                 props)
                        : VK_ERROR_INITIALIZATION_FAILED;
    return vkw_call_end(&call, r) ? result : VK_ERROR_INITIALIZATION_FAILED;
}


/* Tell once per process why this ICD is not usable. */
static void report_no_server(const char *why)
{
    static atomic_flag told = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&told))
        fprintf(stderr, "vkwire: %s\n", why);
}

/* `info` (may be NULL): a vkCreateInstance whose chain names messengers,
 * which hear why there is no server too. */
static struct vkw_guest_conn *connect_to_server(const VkInstanceCreateInfo *info)
{
    char address[256], err[512];
    struct vkw_guest_conn *conn = NULL;
    vkw_guest_server_address(address, sizeof(address));
    if (vkw_guest_conn_open(address, &conn, err, sizeof(err)) < 0) {
        report_no_server(err);
        vkw_guest_debug_instance_message(info, err);
        return NULL;
    }
    return conn;
}

/* The process's connection, opened if there is none (or it is lost),
 * with one more user; NULL when there is no server. */
static struct vkw_guest_conn *conn_acquire(const VkInstanceCreateInfo *info)
{
    pthread_mutex_lock(&shared.lock);
    struct vkw_guest_conn *conn = shared.conn, *dead = NULL;
    if (conn && !atomic_load(&conn->lost)) {
        conn->users++;
        pthread_mutex_unlock(&shared.lock);
        return conn;
    }
    if (conn && conn->users == 0) { /* parked, and lost since */
        dead = conn;
        shared.conn = NULL;
    }
    pthread_mutex_unlock(&shared.lock);
    vkw_guest_conn_close(dead);
    conn = connect_to_server(info); /* (slow: not under the lock) */
    if (!conn)
        return NULL;
    pthread_mutex_lock(&shared.lock);
    conn->users = 1;
    if (!shared.conn || atomic_load(&shared.conn->lost))
        shared.conn = conn; /* (a thread that raced us keeps its own) */
    pthread_mutex_unlock(&shared.lock);
    return conn;
}

/* One user fewer.  After the last, the connection closes (the host tears
 * down whatever is left), with the records of memory the application left;
 * or, when `park` (no instance used it) and it is the process's and not
 * lost, it stays open for the next vkCreateInstance. */
static void conn_release(struct vkw_guest_conn *conn, bool park)
{
    pthread_mutex_lock(&shared.lock);
    const bool last = --conn->users == 0;
    park = park && last && shared.conn == conn && !atomic_load(&conn->lost);
    if (last && !park && shared.conn == conn)
        shared.conn = NULL;
    pthread_mutex_unlock(&shared.lock);
    if (last && !park) {
        vkw_guest_memory_forget_conn(conn);
        vkw_guest_conn_close(conn);
    }
}

/* The loader unloads the ICD (dlclose): a parked connection closes with
 * it. */
__attribute__((destructor)) static void close_parked(void)
{
    if (shared.conn && shared.conn->users == 0) {
        vkw_guest_conn_close(shared.conn);
        shared.conn = NULL;
    }
}

/* The instance `physical` belongs to (NULL if none: a test's object). */
static struct vkw_guest_instance *instance_of(VkPhysicalDevice physical)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(physical);
    struct vkw_guest_instance *found = NULL;
    pthread_mutex_lock(&shared.lock);
    for (struct vkw_guest_instance *inst = conn->instances; inst && !found;
         inst = inst->next_on_conn)
        for (uint32_t i = 0; i < inst->physical_count && !found; i++)
            if (inst->physicals[i] == (struct vkw_guest_object *)physical)
                found = inst;
    pthread_mutex_unlock(&shared.lock);
    return found;
}

/* The loader asks for the instance extensions again and again; the host's
 * answer is fetched once per process (a failed fetch is retried next time). */
static struct {
    pthread_mutex_t lock;
    bool fetched;
    uint32_t count;
    VkExtensionProperties *list; /* filtered; lives as long as the process */
} instance_extensions = {PTHREAD_MUTEX_INITIALIZER, false, 0, NULL};

/* The loader unloads drivers (dlclose): what the process-wide cache holds
 * goes with the library rather than being lost. */
__attribute__((destructor)) static void free_instance_extensions(void)
{
    free(instance_extensions.list);
    instance_extensions.list = NULL;
    instance_extensions.fetched = false;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateInstanceExtensionProperties(
    const char *pLayerName, uint32_t *pPropertyCount, VkExtensionProperties *pProperties)
{
    if (pLayerName)
        return VK_ERROR_LAYER_NOT_PRESENT;
    pthread_mutex_lock(&instance_extensions.lock);
    if (!instance_extensions.fetched) {
        /* (the process's connection, parked after: the instance the
         * loader creates next uses it) */
        struct vkw_guest_conn *conn = conn_acquire(NULL);
        VkExtensionProperties *list = NULL;
        uint32_t n = 0;
        if (conn && vkw_collect_extensions(ask_instance_extensions, conn, &list, &n) == VK_SUCCESS) {
            instance_extensions.count = vkw_keep_forwarded_extensions(list, n, false);
            instance_extensions.list = list;
            instance_extensions.fetched = true;
        } /* else no server: nothing to offer; vkCreateInstance says why */
        if (conn)
            conn_release(conn, true);
    }
    VkResult result = vkw_answer_extensions(instance_extensions.list, instance_extensions.count,
                                        pPropertyCount, pProperties);
    pthread_mutex_unlock(&instance_extensions.lock);
    return result;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateInstanceLayerProperties(
    uint32_t *pPropertyCount, VkLayerProperties *pProperties)
{
    (void)pProperties;
    *pPropertyCount = 0;
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateInstanceVersion(uint32_t *pApiVersion)
{
    *pApiVersion = VK_MAKE_API_VERSION(0, VKW_API_VERSION_MAJOR, VKW_API_VERSION_MINOR,
                                       VKW_VK_XML_PATCH);
    return VK_SUCCESS;
}

/* ---- instance ---- */

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateInstance(const VkInstanceCreateInfo *pCreateInfo,
                                                       const VkAllocationCallbacks *pAllocator,
                                                       VkInstance *pInstance)
{
    struct vkw_guest_conn *conn = conn_acquire(pCreateInfo);
    if (!conn)
        return VK_ERROR_INCOMPATIBLE_DRIVER; /* the loader goes on without this ICD */
    const struct vkw_alloc alloc = vkw_alloc_of(pAllocator);
    struct vkw_guest_instance *inst = vkw_guest_new_object(conn, VKW_HANDLE_VkInstance, &alloc,
                                                           VK_SYSTEM_ALLOCATION_SCOPE_INSTANCE);
    if (!inst) {
        conn_release(conn, false);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    inst->api_version = pCreateInfo->pApplicationInfo && pCreateInfo->pApplicationInfo->apiVersion
                            ? pCreateInfo->pApplicationInfo->apiVersion
                            : VK_API_VERSION_1_0;
    if (!keep_names(&inst->extensions, pCreateInfo->enabledExtensionCount,
                    pCreateInfo->ppEnabledExtensionNames, &inst->alloc,
                    VK_SYSTEM_ALLOCATION_SCOPE_INSTANCE)) {
        vkw_guest_free_object(inst);
        conn_release(conn, false);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    VkInstance handle = (VkInstance)inst;
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call); /* sets call.serial */
    vkw_encode_vkCreateInstance(w, call.serial, pCreateInfo, NULL,
                                &handle);
    struct vkw_reader *r = vkw_call_wait(&call, false);
    VkResult result = r ? vkw_decode_reply_vkCreateInstance(r, pCreateInfo, NULL, &handle)
                        : VK_ERROR_INITIALIZATION_FAILED;
    if (!vkw_call_end(&call, r) && result >= 0)
        result = VK_ERROR_INITIALIZATION_FAILED;
    if (result < 0) {
        vkw_guest_free_object(inst);
        conn_release(conn, false);
        return result;
    }
    pthread_mutex_lock(&shared.lock);
    inst->next_on_conn = conn->instances;
    conn->instances = inst;
    pthread_mutex_unlock(&shared.lock);
    *pInstance = handle;
    return result;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyInstance(VkInstance instance,
                                                    const VkAllocationCallbacks *pAllocator)
{
    if (!instance)
        return;
    struct vkw_guest_instance *inst = (struct vkw_guest_instance *)instance;
    struct vkw_guest_conn *conn = inst->obj.conn;
    struct vkw_guest_object **physicals = inst->physicals;
    uint32_t count = inst->physical_count;
    vkw_guest_debug_forget_instance(instance);
    pthread_mutex_lock(&shared.lock);
    struct vkw_guest_instance **p = &conn->instances;
    while (*p && *p != inst)
        p = &(*p)->next_on_conn;
    if (*p)
        *p = inst->next_on_conn;
    pthread_mutex_unlock(&shared.lock);
    vkw_forward_vkDestroyInstance(instance, pAllocator);
    for (uint32_t i = 0; i < count; i++)
        vkw_guest_free_object(physicals[i]);
    vkw_free(&inst->alloc, physicals);
    vkw_guest_free_object(inst);
    conn_release(conn, false);
}

/* ---- physical devices ---- */

/* Ask once; keep one guest object per host GPU for the instance's life,
 * made through the instance's allocator. */
static VkResult enumerate_once(struct vkw_guest_instance *inst)
{
    pthread_mutex_lock(&shared.lock);
    const bool known = inst->physicals != NULL;
    pthread_mutex_unlock(&shared.lock);
    if (known)
        return VK_SUCCESS;
    VkInstance instance = (VkInstance)inst;
    uint32_t count = 0;
    VkResult result = vkw_forward_vkEnumeratePhysicalDevices(instance, &count, NULL);
    if (result < 0)
        return result;
    const struct vkw_alloc *a = &inst->alloc;
    const size_t room = count ? count : 1;
    struct vkw_guest_object **made =
        vkw_zalloc_array(a, room, sizeof(*made), VK_SYSTEM_ALLOCATION_SCOPE_INSTANCE);
    VkPhysicalDevice *handles =
        vkw_zalloc_array(a, room, sizeof(*handles), VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
    bool ok = made && handles;
    for (uint32_t i = 0; ok && i < count; i++) {
        made[i] = vkw_guest_new_object(inst->obj.conn, VKW_HANDLE_VkPhysicalDevice, a,
                                       VK_SYSTEM_ALLOCATION_SCOPE_INSTANCE);
        handles[i] = (VkPhysicalDevice)made[i];
        ok = made[i] != NULL;
    }
    uint32_t named = count;
    result = ok ? vkw_forward_vkEnumeratePhysicalDevices(instance, &named, handles)
                : VK_ERROR_OUT_OF_HOST_MEMORY;
    /* Keep the objects the host named, in its order; the others go (fewer
     * GPUs than at the first ask, or a failure). */
    uint32_t kept = 0;
    for (uint32_t i = 0; made && i < count; i++) {
        if (result >= 0 && i < named && handles[i] == (VkPhysicalDevice)made[i])
            made[kept++] = made[i];
        else
            vkw_guest_free_object(made[i]);
    }
    vkw_free(a, handles);
    if (result < 0) {
        vkw_free(a, made);
        return result;
    }
    /* Under the lock the lookups of physical devices take; another thread
     * of the application may have enumerated meanwhile (its objects stay). */
    pthread_mutex_lock(&shared.lock);
    const bool first = inst->physicals == NULL;
    if (first) {
        inst->physicals = made;
        inst->physical_count = kept;
    }
    pthread_mutex_unlock(&shared.lock);
    if (!first) {
        for (uint32_t i = 0; i < kept; i++)
            vkw_guest_free_object(made[i]);
        vkw_free(a, made);
    }
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumeratePhysicalDevices(
    VkInstance instance, uint32_t *pPhysicalDeviceCount, VkPhysicalDevice *pPhysicalDevices)
{
    struct vkw_guest_instance *inst = (struct vkw_guest_instance *)instance;
    VkResult result = enumerate_once(inst);
    if (result < 0)
        return result;
    if (!pPhysicalDevices) {
        *pPhysicalDeviceCount = inst->physical_count;
        return VK_SUCCESS;
    }
    uint32_t copy = *pPhysicalDeviceCount < inst->physical_count ? *pPhysicalDeviceCount
                                                                  : inst->physical_count;
    for (uint32_t i = 0; i < copy; i++)
        pPhysicalDevices[i] = (VkPhysicalDevice)inst->physicals[i];
    *pPhysicalDeviceCount = copy;
    return copy < inst->physical_count ? VK_INCOMPLETE : VK_SUCCESS;
}

/* The name says the GPU is reached through vkwire. */
static void mark_forwarded(char *name)
{
    const size_t mark = strlen(VKW_DEVICE_NAME_MARK);
    size_t len = strnlen(name, VK_MAX_PHYSICAL_DEVICE_NAME_SIZE - 1);
    if (len + mark >= VK_MAX_PHYSICAL_DEVICE_NAME_SIZE)
        len = VK_MAX_PHYSICAL_DEVICE_NAME_SIZE - 1 - mark;
    memcpy(name + len, VKW_DEVICE_NAME_MARK, mark + 1);
}

/* The version vkwire forwards: the annotations' core version, the
 * registry's patch. */
#define VKW_FORWARDED_API_VERSION                                                             \
    VK_MAKE_API_VERSION(0, VKW_API_VERSION_MAJOR, VKW_API_VERSION_MINOR, VKW_VK_XML_PATCH)

/* What a forwarded device says of itself: its name is marked, and its
 * version is the smaller of the host's and what vkwire forwards (a 1.4.312
 * driver is a 1.4.309 device through a 1.4.309 vkwire). */
static void as_forwarded(VkPhysicalDeviceProperties *p)
{
    mark_forwarded(p->deviceName);
    if (p->apiVersion > VKW_FORWARDED_API_VERSION)
        p->apiVersion = VKW_FORWARDED_API_VERSION;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceProperties(
    VkPhysicalDevice physicalDevice, VkPhysicalDeviceProperties *pProperties)
{
    vkw_forward_vkGetPhysicalDeviceProperties(physicalDevice, pProperties);
    as_forwarded(pProperties);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPhysicalDeviceProperties2(
    VkPhysicalDevice physicalDevice, VkPhysicalDeviceProperties2 *pProperties)
{
    vkw_forward_vkGetPhysicalDeviceProperties2(physicalDevice, pProperties);
    as_forwarded(&pProperties->properties);
    vkw_guest_external_properties(physicalDevice, pProperties); /* what the guest can do */
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateDeviceExtensionProperties(
    VkPhysicalDevice physicalDevice, const char *pLayerName, uint32_t *pPropertyCount,
    VkExtensionProperties *pProperties)
{
    if (pLayerName)
        return VK_ERROR_LAYER_NOT_PRESENT;
    uint32_t count = 0;
    VkResult result = vkw_forward_vkEnumerateDeviceExtensionProperties(physicalDevice, NULL,
                                                                       &count, NULL);
    if (result < 0)
        return result;
    VkExtensionProperties *list = calloc(count + VKW_GUEST_EXTENSIONS_ADDED, sizeof(*list));
    if (!list)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    result = vkw_forward_vkEnumerateDeviceExtensionProperties(physicalDevice, NULL, &count, list);
    if (result >= 0) {
        count = vkw_keep_forwarded_extensions(list, count, true);
        /* and of those, what this connection can carry (fds, host pointers) */
        count = vkw_guest_external_keep_extensions(vkw_guest_conn_of(physicalDevice), list, count);
        result = vkw_answer_extensions(list, count, pPropertyCount, pProperties);
    }
    free(list);
    return result;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkEnumerateDeviceLayerProperties(
    VkPhysicalDevice physicalDevice, uint32_t *pPropertyCount, VkLayerProperties *pProperties)
{
    (void)physicalDevice, (void)pProperties;
    *pPropertyCount = 0;
    return VK_SUCCESS;
}

/* ---- devices and queues ---- */

/* One queue object per queue the create info asks for, in one allocation
 * of the device's.  False when out of memory. */
static bool make_queues(struct vkw_guest_device *dev, const VkDeviceCreateInfo *ci)
{
    size_t n = 0;
    for (uint32_t i = 0; i < ci->queueCreateInfoCount; i++)
        n += ci->pQueueCreateInfos[i].queueCount;
    dev->queues = vkw_zalloc_array(&dev->alloc, n ? n : 1, sizeof(*dev->queues),
                                   VK_SYSTEM_ALLOCATION_SCOPE_DEVICE);
    if (!dev->queues)
        return false;
    for (uint32_t i = 0; i < ci->queueCreateInfoCount; i++) {
        const VkDeviceQueueCreateInfo *qi = &ci->pQueueCreateInfos[i];
        for (uint32_t k = 0; k < qi->queueCount; k++) {
            struct vkw_guest_queue *q = &dev->queues[dev->queue_count++];
            q->family = qi->queueFamilyIndex;
            q->index = k;
            q->flags = qi->flags;
            init_object(&q->object.obj, dev->obj.conn, VKW_HANDLE_VkQueue, &dev->alloc);
            q->object.device = (VkDevice)dev;
        }
    }
    return true;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateDevice(VkPhysicalDevice physicalDevice,
                                                     const VkDeviceCreateInfo *pCreateInfo,
                                                     const VkAllocationCallbacks *pAllocator,
                                                     VkDevice *pDevice)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(physicalDevice);
    struct vkw_guest_instance *instance = instance_of(physicalDevice);
    /* Everything the device keeps comes from its allocator, else its
     * instance's; all of it before anything is sent. */
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, instance ? &instance->alloc : NULL);
    struct vkw_guest_device *dev =
        vkw_guest_new_object(conn, VKW_HANDLE_VkDevice, &alloc, VK_SYSTEM_ALLOCATION_SCOPE_DEVICE);
    if (!dev)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    /* Extensions the guest carries out itself need nothing of the host. */
    VkDeviceCreateInfo info = *pCreateInfo;
    const char **room = vkw_zalloc_array(&dev->alloc, info.enabledExtensionCount + 1,
                                         sizeof(*room), VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
    VkResult result = VK_ERROR_OUT_OF_HOST_MEMORY;
    if (room && make_queues(dev, pCreateInfo) &&
        keep_names(&dev->extensions, pCreateInfo->enabledExtensionCount,
                   pCreateInfo->ppEnabledExtensionNames, &dev->alloc,
                   VK_SYSTEM_ALLOCATION_SCOPE_DEVICE)) {
        info.ppEnabledExtensionNames =
            vkw_guest_external_device_extensions(pCreateInfo, room, &info.enabledExtensionCount);
        VkDevice handle = (VkDevice)dev;
        result = vkw_forward_vkCreateDevice(physicalDevice, &info, pAllocator, &handle);
    }
    vkw_free(&dev->alloc, room);
    if (result < 0) {
        vkw_guest_free_object(dev);
        return result;
    }
    *pDevice = (VkDevice)dev;
    dev->physical = physicalDevice;
    dev->instance = instance;
    VkPhysicalDeviceProperties props = {0};
    vkw_icd_vkGetPhysicalDeviceProperties(physicalDevice, &props); /* cached: no round trip */
    const uint32_t asked = dev->instance ? dev->instance->api_version : VK_API_VERSION_1_0;
    dev->api_version = asked < props.apiVersion ? asked : props.apiVersion;
    if (vkw_guest_private_data_device_made(*pDevice, pCreateInfo, &dev->alloc) != VK_SUCCESS) {
        vkw_icd_vkDestroyDevice(*pDevice, pAllocator); /* frees the object too */
        *pDevice = VK_NULL_HANDLE;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    /* Some members have a length only the device knows; ask now, while no
     * call of this thread holds the connection (encoders need it in the
     * middle of one).  Cached queries after the first. */
    const char *const *names = pCreateInfo->ppEnabledExtensionNames;
    VkBaseOutStructure *chain = NULL;
    for (uint32_t i = 0; names && i < pCreateInfo->enabledExtensionCount; i++)
        if (strcmp(names[i], VK_EXT_DESCRIPTOR_BUFFER_EXTENSION_NAME) == 0) {
            dev->length_props.descriptor_buffer.sType =
                VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_PROPERTIES_EXT;
            dev->length_props.descriptor_buffer.pNext = chain;
            chain = (VkBaseOutStructure *)&dev->length_props.descriptor_buffer;
        }
    /* A capture-replay handle counts only with its feature on (anywhere in
     * the chain: as its own struct, beside VkPhysicalDeviceFeatures2). */
    for (const VkBaseInStructure *s = pCreateInfo->pNext; s; s = s->pNext)
        if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_FEATURES_KHR &&
            ((const VkPhysicalDeviceRayTracingPipelineFeaturesKHR *)s)
                ->rayTracingPipelineShaderGroupHandleCaptureReplay) {
            dev->length_props.ray_tracing_pipeline.sType =
                VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_PROPERTIES_KHR;
            dev->length_props.ray_tracing_pipeline.pNext = chain;
            chain = (VkBaseOutStructure *)&dev->length_props.ray_tracing_pipeline;
            break;
        }
    if (chain) {
        VkPhysicalDeviceProperties2 props = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = chain};
        vkw_forward_vkGetPhysicalDeviceProperties2(physicalDevice, &props);
        dev->length_props.descriptor_buffer.pNext = NULL;
        dev->length_props.ray_tracing_pipeline.pNext = NULL;
    }
    /* Lost meanwhile: what the device was to know may be missing (its
     * version, which vkGetDeviceProcAddr's answers follow: a device that
     * had none would give the loader no vkDestroyDevice).  The application
     * never gets it. */
    if (vkw_guest_conn_lost(conn)) {
        vkw_icd_vkDestroyDevice(*pDevice, pAllocator);
        *pDevice = VK_NULL_HANDLE;
        return VK_ERROR_DEVICE_LOST;
    }
    return result;
}

uint64_t vkw_guest_device_length(const void *device, uint32_t opcode, uint32_t what)
{
    const struct vkw_guest_device *dev = device;
    if (!dev)
        return 0;
    const uint64_t n = vkw_device_length_of(&dev->length_props, opcode, what);
    return n == UINT64_MAX ? 0 : n;
}

VkPhysicalDevice vkw_guest_device_physical(VkDevice device)
{
    return ((struct vkw_guest_device *)device)->physical;
}

const struct vkw_alloc *vkw_guest_device_alloc(VkDevice device)
{
    return &((struct vkw_guest_device *)device)->alloc;
}

const struct vkw_alloc *vkw_guest_instance_alloc(VkInstance instance)
{
    return &((struct vkw_guest_instance *)instance)->alloc;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyDevice(VkDevice device,
                                                  const VkAllocationCallbacks *pAllocator)
{
    if (!device)
        return;
    struct vkw_guest_device *dev = (struct vkw_guest_device *)device;
    struct vkw_guest_conn *conn = dev->obj.conn;
    for (size_t i = 0; i < dev->queue_count; i++)
        if (dev->queues[i].object.idle_fence)
            vkw_forward_vkDestroyFence(device, dev->queues[i].object.idle_fence, NULL);
    vkw_guest_requirements_forget_device(device); /* its address may name the next one */
    vkw_guest_private_data_forget_device(device);
    vkw_guest_buffers_forget_device(device);      /* records the application left */
    vkw_guest_images_forget_device(device);
    vkw_forward_vkDestroyDevice(device, pAllocator);
    /* Only now, once the host has it: its queues' sync slots are free. */
    vkw_guest_sync_forget_device(conn, device);
    vkw_guest_free_object(dev);
}

/* The queue object for (family, index, flags), named to the host the first
 * time it is asked for; NULL for a queue the device was not created with
 * (which Vulkan does not allow). */
static VkQueue device_queue(VkDevice device, uint32_t family, uint32_t index, uint32_t flags,
                            const VkDeviceQueueInfo2 *info2)
{
    struct vkw_guest_device *dev = (struct vkw_guest_device *)device;
    struct vkw_guest_queue *q = NULL;
    for (size_t i = 0; i < dev->queue_count && !q; i++)
        if (dev->queues[i].family == family && dev->queues[i].index == index &&
            dev->queues[i].flags == flags)
            q = &dev->queues[i];
    if (!q)
        return VK_NULL_HANDLE;
    VkQueue queue = (VkQueue)&q->object;
    /* Held while it is named, so that no thread uses the queue before the
     * host knows it. */
    pthread_mutex_lock(&dev->queue_lock);
    if (!q->asked) {
        if (info2)
            vkw_forward_vkGetDeviceQueue2(device, info2, &queue);
        else
            vkw_forward_vkGetDeviceQueue(device, family, index, &queue);
        q->asked = true;
    }
    pthread_mutex_unlock(&dev->queue_lock);
    return queue;
}

VkDevice vkw_guest_queue_device(VkQueue queue)
{
    return ((struct vkw_guest_queue_object *)queue)->device;
}

VkQueue vkw_guest_device_queue_at(VkDevice device, size_t i)
{
    struct vkw_guest_device *dev = (struct vkw_guest_device *)device;
    VkQueue queue = VK_NULL_HANDLE;
    pthread_mutex_lock(&dev->queue_lock);
    for (size_t k = 0; k < dev->queue_count && !queue; k++)
        if (dev->queues[k].asked && i-- == 0)
            queue = (VkQueue)&dev->queues[k].object;
    pthread_mutex_unlock(&dev->queue_lock);
    return queue;
}

VkResult vkw_guest_queue_idle_fence(VkQueue queue, VkFence *fence)
{
    struct vkw_guest_queue_object *q = (void *)queue;
    if (!q->idle_fence) { /* Vulkan synchronises queue access: no race here */
        const VkFenceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VkFence made = VK_NULL_HANDLE;
        VkResult r = vkw_forward_vkCreateFence(q->device, &info, NULL, &made);
        if (r != VK_SUCCESS)
            return r;
        q->idle_fence = made;
    }
    *fence = q->idle_fence;
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetDeviceQueue(VkDevice device, uint32_t queueFamilyIndex,
                                                   uint32_t queueIndex, VkQueue *pQueue)
{
    *pQueue = device_queue(device, queueFamilyIndex, queueIndex, 0, NULL);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetDeviceQueue2(VkDevice device,
                                                    const VkDeviceQueueInfo2 *pQueueInfo,
                                                    VkQueue *pQueue)
{
    *pQueue = device_queue(device, pQueueInfo->queueFamilyIndex, pQueueInfo->queueIndex,
                           pQueueInfo->flags, pQueueInfo);
}

/* ---- descriptor update templates ---- */

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateDescriptorUpdateTemplate(
    VkDevice device, const VkDescriptorUpdateTemplateCreateInfo *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkDescriptorUpdateTemplate *pDescriptorUpdateTemplate)
{
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
    struct vkw_guest_template *rec = vkw_guest_template_make(pCreateInfo, &alloc);
    if (!rec)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    /* The handle a template's type does not use is ignored by Vulkan and
     * may be stale or garbage: never sent. */
    VkDescriptorUpdateTemplateCreateInfo info = *pCreateInfo;
    if (info.templateType == VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_PUSH_DESCRIPTORS)
        info.descriptorSetLayout = VK_NULL_HANDLE;
    else
        info.pipelineLayout = VK_NULL_HANDLE;
    VkResult result = vkw_forward_vkCreateDescriptorUpdateTemplate(device, &info, pAllocator,
                                                                   pDescriptorUpdateTemplate);
    if (result == VK_SUCCESS)
        vkw_guest_template_add(rec, *pDescriptorUpdateTemplate);
    else
        vkw_guest_template_discard(rec);
    return result;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyDescriptorUpdateTemplate(
    VkDevice device, VkDescriptorUpdateTemplate descriptorUpdateTemplate,
    const VkAllocationCallbacks *pAllocator)
{
    vkw_guest_template_forget(descriptorUpdateTemplate);
    vkw_forward_vkDestroyDescriptorUpdateTemplate(device, descriptorUpdateTemplate, pAllocator);
}

/* Push descriptors through a template: the writes its entries stand for
 * are recorded as vkCmdPushDescriptorSet(2), so the host keeps no template
 * state.  An unknown template or no memory records nothing: the
 * application broke a rule Vulkan leaves undefined. */
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPushDescriptorSetWithTemplate(
    VkCommandBuffer commandBuffer, VkDescriptorUpdateTemplate descriptorUpdateTemplate,
    VkPipelineLayout layout, uint32_t set, const void *pData)
{
    struct vkw_guest_template_writes w;
    if (!vkw_guest_template_writes(descriptorUpdateTemplate, VK_NULL_HANDLE, pData, &w))
        return;
    vkw_forward_vkCmdPushDescriptorSet(commandBuffer, w.bind_point, layout, set, w.count,
                                       w.writes);
    vkw_guest_template_writes_free(&w);
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPushDescriptorSetWithTemplate2(
    VkCommandBuffer commandBuffer, const VkPushDescriptorSetWithTemplateInfo *pInfo)
{
    struct vkw_guest_template_writes w;
    if (!vkw_guest_template_writes(pInfo->descriptorUpdateTemplate, VK_NULL_HANDLE, pInfo->pData,
                                   &w))
        return;
    /* The template's bind point is replaced by the stages of the info: the
     * chain (a pipeline layout create info, with maintenance6) goes along. */
    const VkPushDescriptorSetInfo info = {.sType = VK_STRUCTURE_TYPE_PUSH_DESCRIPTOR_SET_INFO,
                                          .pNext = pInfo->pNext,
                                          .stageFlags = vkw_stages_of_bind_point(w.bind_point),
                                          .layout = pInfo->layout,
                                          .set = pInfo->set,
                                          .descriptorWriteCount = w.count,
                                          .pDescriptorWrites = w.writes};
    vkw_forward_vkCmdPushDescriptorSet2(commandBuffer, &info);
    vkw_guest_template_writes_free(&w);
}
