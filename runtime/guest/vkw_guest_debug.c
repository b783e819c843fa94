/* vkw_guest_debug — see vkw_guest_debug.h. */
#include "vkw_guest_debug.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vkw_guest_entry.h"
#include "vkw_handles.h"
#include "vkw_icd.h"
#include "vkw_vulkan_util.h"

struct messenger {
    VkInstance instance;
    uint64_t handle; /* never on the wire: the record's address */
    bool report;     /* a VK_EXT_debug_report callback, else a debug-utils messenger */
    VkDebugUtilsMessengerCreateInfoEXT utils;
    VkDebugReportCallbackCreateInfoEXT callback;
    struct messenger *next;
    struct vkw_alloc alloc; /* its own, else its instance's */
};

static void free_messenger(struct messenger *m)
{
    const struct vkw_alloc alloc = m->alloc;
    vkw_free(&alloc, m);
}

static struct messenger *messengers;
static pthread_mutex_t messengers_lock = PTHREAD_MUTEX_INITIALIZER;

/* One message to every matching messenger of `instance`, as a driver would
 * send it.  The list is copied out first: a callback may create or destroy
 * messengers (and must not deadlock). */
static void deliver_utils(VkInstance instance, VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                          VkDebugUtilsMessageTypeFlagsEXT types,
                          const VkDebugUtilsMessengerCallbackDataEXT *data)
{
    enum { MAX = 64 };
    VkDebugUtilsMessengerCreateInfoEXT to[MAX];
    unsigned n = 0;
    pthread_mutex_lock(&messengers_lock);
    for (const struct messenger *m = messengers; m && n < MAX; m = m->next)
        if (!m->report && m->instance == instance && (m->utils.messageSeverity & severity) &&
            (m->utils.messageType & types))
            to[n++] = m->utils;
    pthread_mutex_unlock(&messengers_lock);
    for (unsigned i = 0; i < n; i++)
        to[i].pfnUserCallback(severity, types, data, to[i].pUserData);
}

static void deliver_report(VkInstance instance, VkDebugReportFlagsEXT flags,
                           VkDebugReportObjectTypeEXT type, uint64_t object, size_t location,
                           int32_t code, const char *prefix, const char *message)
{
    enum { MAX = 64 };
    VkDebugReportCallbackCreateInfoEXT to[MAX];
    unsigned n = 0;
    pthread_mutex_lock(&messengers_lock);
    for (const struct messenger *m = messengers; m && n < MAX; m = m->next)
        if (m->report && m->instance == instance && (m->callback.flags & flags))
            to[n++] = m->callback;
    pthread_mutex_unlock(&messengers_lock);
    for (unsigned i = 0; i < n; i++)
        to[i].pfnCallback(flags, type, object, location, code, prefix, message, to[i].pUserData);
}

static VkResult add(VkInstance instance, bool report, const void *info,
                    const VkAllocationCallbacks *pAllocator, uint64_t *handle)
{
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_instance_alloc(instance));
    struct messenger *m = vkw_zalloc(&alloc, sizeof(*m), VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
    if (!m)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    m->alloc = alloc;
    m->instance = instance;
    m->report = report;
    if (report)
        m->callback = *(const VkDebugReportCallbackCreateInfoEXT *)info;
    else
        m->utils = *(const VkDebugUtilsMessengerCreateInfoEXT *)info;
    m->callback.pNext = NULL;
    m->utils.pNext = NULL;
    m->handle = (uint64_t)(uintptr_t)m;
    pthread_mutex_lock(&messengers_lock);
    m->next = messengers;
    messengers = m;
    pthread_mutex_unlock(&messengers_lock);
    *handle = m->handle;
    return VK_SUCCESS;
}

static void drop(VkInstance instance, uint64_t handle)
{
    pthread_mutex_lock(&messengers_lock);
    for (struct messenger **p = &messengers; *p; p = &(*p)->next) {
        if ((*p)->handle == handle && (*p)->instance == instance) {
            struct messenger *dead = *p;
            *p = dead->next;
            free_messenger(dead);
            break;
        }
    }
    pthread_mutex_unlock(&messengers_lock);
}

void vkw_guest_debug_forget_instance(VkInstance instance)
{
    pthread_mutex_lock(&messengers_lock);
    for (struct messenger **p = &messengers; *p;) {
        if ((*p)->instance == instance) {
            struct messenger *dead = *p;
            *p = dead->next;
            free_messenger(dead);
        } else {
            p = &(*p)->next;
        }
    }
    pthread_mutex_unlock(&messengers_lock);
}

void vkw_guest_debug_instance_message(const VkInstanceCreateInfo *info, const char *message)
{
    for (const VkBaseInStructure *s = info ? info->pNext : NULL; s; s = s->pNext) {
        if (s->sType == VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT) {
            const VkDebugUtilsMessengerCreateInfoEXT *m = (const void *)s;
            const VkDebugUtilsMessengerCallbackDataEXT data = {
                .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT,
                .pMessageIdName = "vkwire",
                .pMessage = message};
            if ((m->messageSeverity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) &&
                (m->messageType & VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT))
                m->pfnUserCallback(VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
                                   VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT, &data, m->pUserData);
        } else if (s->sType == VK_STRUCTURE_TYPE_DEBUG_REPORT_CALLBACK_CREATE_INFO_EXT) {
            const VkDebugReportCallbackCreateInfoEXT *c = (const void *)s;
            if (c->flags & VK_DEBUG_REPORT_ERROR_BIT_EXT)
                c->pfnCallback(VK_DEBUG_REPORT_ERROR_BIT_EXT, VK_DEBUG_REPORT_OBJECT_TYPE_UNKNOWN_EXT,
                               0, 0, 0, "vkwire", message, c->pUserData);
        }
    }
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateDebugUtilsMessengerEXT(
    VkInstance instance, const VkDebugUtilsMessengerCreateInfoEXT *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkDebugUtilsMessengerEXT *pMessenger)
{
    uint64_t handle = 0;
    VkResult r = add(instance, false, pCreateInfo, pAllocator, &handle);
    *pMessenger = VKW_U64_HANDLE(VkDebugUtilsMessengerEXT, handle);
    return r;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyDebugUtilsMessengerEXT(
    VkInstance instance, VkDebugUtilsMessengerEXT messenger, const VkAllocationCallbacks *pAllocator)
{
    (void)pAllocator;
    drop(instance, VKW_HANDLE_U64(messenger));
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkSubmitDebugUtilsMessageEXT(
    VkInstance instance, VkDebugUtilsMessageSeverityFlagBitsEXT messageSeverity,
    VkDebugUtilsMessageTypeFlagsEXT messageTypes,
    const VkDebugUtilsMessengerCallbackDataEXT *pCallbackData)
{
    deliver_utils(instance, messageSeverity, messageTypes, pCallbackData);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateDebugReportCallbackEXT(
    VkInstance instance, const VkDebugReportCallbackCreateInfoEXT *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkDebugReportCallbackEXT *pCallback)
{
    uint64_t handle = 0;
    VkResult r = add(instance, true, pCreateInfo, pAllocator, &handle);
    *pCallback = VKW_U64_HANDLE(VkDebugReportCallbackEXT, handle);
    return r;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyDebugReportCallbackEXT(
    VkInstance instance, VkDebugReportCallbackEXT callback, const VkAllocationCallbacks *pAllocator)
{
    (void)pAllocator;
    drop(instance, VKW_HANDLE_U64(callback));
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDebugReportMessageEXT(
    VkInstance instance, VkDebugReportFlagsEXT flags, VkDebugReportObjectTypeEXT objectType,
    uint64_t object, size_t location, int32_t messageCode, const char *pLayerPrefix,
    const char *pMessage)
{
    deliver_report(instance, flags, objectType, object, location, messageCode, pLayerPrefix,
                   pMessage);
}

/* Names and tags travel so that the host's driver and tools see them; an
 * object only the guest makes (a private data slot, a messenger) is nothing
 * the host has, so its name stays here (and is not kept: Vulkan gives no
 * way to read a name back). */
static bool host_has_objects_of(VkObjectType type)
{
    const uint32_t t = vkw_handle_type_of_object(type);
    return !vkw_handle_type_valid(t) || !vkw_handle_types[t].guest_only;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkSetDebugUtilsObjectNameEXT(
    VkDevice device, const VkDebugUtilsObjectNameInfoEXT *pNameInfo)
{
    if (!host_has_objects_of(pNameInfo->objectType))
        return VK_SUCCESS;
    return vkw_forward_vkSetDebugUtilsObjectNameEXT(device, pNameInfo);
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkSetDebugUtilsObjectTagEXT(
    VkDevice device, const VkDebugUtilsObjectTagInfoEXT *pTagInfo)
{
    if (!host_has_objects_of(pTagInfo->objectType))
        return VK_SUCCESS;
    return vkw_forward_vkSetDebugUtilsObjectTagEXT(device, pTagInfo);
}
