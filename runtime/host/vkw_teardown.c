/* vkw_teardown — destroying everything a guest made when its context ends,
 * and what it left under a device or instance it destroys.
 *
 * Owns: vkw_host_context_destroy_objects (declared in vkw_host_context.h),
 * and the hand-written vkDestroyDevice and vkDestroyInstance (vkw_teardown.h).
 *
 * A guest that disconnects, crashes or is cut off for a protocol error
 * leaves objects behind; the host must not.  Nor may a guest that destroys
 * a device with buffers still alive make the driver destroy the device
 * first: the same walk, limited to the objects under that device, goes
 * before it.  The object table records each
 * object's parent id, so the order is found without knowing Vulkan's rules
 * per type: an object is destroyed before the object it was made from
 * (decreasing depth in the parent chain), which puts every device child
 * before its device and every device before its instance.  Within one depth
 * a fixed rank destroys users before what they use (views before images,
 * pipelines before layouts, execution sets before their pipelines and
 * shader objects, shader objects before their set layouts, memory after
 * what is bound to it).  Vulkan
 * allows either order there; this one keeps a validation layer on the host
 * from seeing a live object that names a dead one in the common cases.
 */
#include <stdbool.h>
#include <stdint.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"
#include "vkw_teardown.h"

/* Parent chains are at most instance -> physical device -> device -> pool
 * -> allocation; a longer walk means a table the host did not build. */
#define VKW_MAX_DEPTH 16u

/* The order key: deeper objects first, then lower ranks.  Key 0 is never
 * used, so it can mean "no more keys". */
#define VKW_RANKS 6u
#define VKW_KEYS ((VKW_MAX_DEPTH + 1) * VKW_RANKS + 1)

/* Destroyed first at equal depth: objects that refer to others.  Each
 * rank only names objects of later ranks, so no order within one rank
 * matters (the table's walk order is not fixed). */
static uint32_t rank_of(uint32_t type)
{
    switch (type) {
    case VKW_HANDLE_VkIndirectExecutionSetEXT: /* names pipelines or shader objects */
    case VKW_HANDLE_VkFramebuffer:             /* names image views and a render pass */
        return 0;
    case VKW_HANDLE_VkPipeline:   /* names its layout, a render pass, modules */
    case VKW_HANDLE_VkImageView:  /* names an image */
    case VKW_HANDLE_VkBufferView: /* names a buffer */
    case VKW_HANDLE_VkDescriptorUpdateTemplate:
    case VKW_HANDLE_VkCommandPool:
    case VKW_HANDLE_VkDescriptorPool:
    case VKW_HANDLE_VkIndirectCommandsLayoutEXT: /* names a pipeline layout */
    case VKW_HANDLE_VkIndirectCommandsLayoutNV:
    case VKW_HANDLE_VkAccelerationStructureKHR: /* lives in a buffer */
    case VKW_HANDLE_VkAccelerationStructureNV:  /* bound to memory */
    case VKW_HANDLE_VkVideoSessionParametersKHR: /* names a video session */
    case VKW_HANDLE_VkShaderEXT:                 /* names descriptor set layouts */
    case VKW_HANDLE_VkPipelineBinaryKHR:
        return 1;
    case VKW_HANDLE_VkImage:
    case VKW_HANDLE_VkBuffer:
    case VKW_HANDLE_VkPipelineLayout: /* names descriptor set layouts */
    case VKW_HANDLE_VkRenderPass:
    case VKW_HANDLE_VkShaderModule:
    case VKW_HANDLE_VkPipelineCache:
    case VKW_HANDLE_VkSampler: /* may name a Y'CbCr conversion */
    case VKW_HANDLE_VkQueryPool:
    case VKW_HANDLE_VkEvent:
    case VKW_HANDLE_VkFence:
    case VKW_HANDLE_VkSemaphore:
    case VKW_HANDLE_VkVideoSessionKHR: /* before the memory bound to it */
    case VKW_HANDLE_VkOpticalFlowSessionNV:
        return 2;
    case VKW_HANDLE_VkDescriptorSetLayout:
    case VKW_HANDLE_VkSamplerYcbcrConversion:
    case VKW_HANDLE_VkDeviceMemory: /* after the buffers and images bound to it */
        return 3;
    case VKW_HANDLE_VkDevice:
        return 4;
    default: /* VkInstance, and what no destroy command takes */
        return 5;
    }
}

struct placement {
    uint32_t key;         /* 1 .. VKW_KEYS-1; destroyed in decreasing order */
    uint64_t parent_host; /* the device (else instance) its destroy takes */
    bool under_root;      /* `root` is in its parent chain (always, for root 0) */
};

/* Walk `o`'s parent chain: its depth gives the order, and the nearest
 * device (else instance) above it is what its destroy command takes. */
static struct placement place(const struct vkw_object_table *t, const struct vkw_object *o,
                              uint64_t root)
{
    struct placement p = {.under_root = root == 0};
    uint64_t instance_host = 0;
    bool found_device = false;
    uint32_t depth = 0;
    for (uint64_t parent = o->parent_id; parent != 0 && depth < VKW_MAX_DEPTH;) {
        const struct vkw_object *up = vkw_object_table_find(t, parent);
        if (!up)
            break; /* a parent id the guest never made: a root, then */
        depth++;
        p.under_root |= parent == root;
        if (!found_device && up->type == VKW_HANDLE_VkDevice) {
            p.parent_host = up->host;
            found_device = true;
        }
        if (instance_host == 0 && up->type == VKW_HANDLE_VkInstance)
            instance_host = up->host;
        parent = up->parent_id;
    }
    if (!found_device)
        p.parent_host = instance_host;
    p.key = 1 + depth * VKW_RANKS + (VKW_RANKS - 1 - rank_of(o->type));
    return p;
}

struct pass {
    struct vkw_host_context *ctx;
    uint64_t root;      /* destroy only what was made from it; 0: everything */
    uint32_t key;       /* this pass destroys objects with this key */
    bool present[VKW_KEYS];
    size_t destroyed;
};

static void survey(const struct vkw_object *o, void *user)
{
    struct pass *p = user;
    const struct placement where = place(&p->ctx->objects, o, p->root);
    if (!where.under_root)
        return;
    p->present[where.key] = true;
    /* Work still queued may use any object: let each device finish. */
    if (o->type == VKW_HANDLE_VkDevice && p->ctx->vk.vkDeviceWaitIdle)
        p->ctx->vk.vkDeviceWaitIdle((VkDevice)(uintptr_t)o->host);
}

static void destroy_at_key(const struct vkw_object *o, void *user)
{
    struct pass *p = user;
    const struct placement where = place(&p->ctx->objects, o, p->root);
    if (!where.under_root || where.key != p->key)
        return;
    /* The host's own fences on the device's queues go before it. */
    if (o->type == VKW_HANDLE_VkDevice) {
        vkw_host_inflight_release_device(p->ctx, (VkDevice)(uintptr_t)o->host);
        vkw_host_device_commands_forget(p->ctx, (VkDevice)(uintptr_t)o->host);
    }
    /* A failed asynchronous creation left an id and no driver object, as
     * do an object gone while command buffers recorded and one a detached
     * call had not made yet (a kept one is still the driver's, and goes
     * like any other). */
    if (o->flags & VKW_OBJECT_HOSTLESS)
        return;
    /* False for command buffers, descriptor sets, queues and physical
     * devices: their parent's destruction frees them. */
    if (vkw_destroy_host_object(&p->ctx->vk, o->type, o->host, where.parent_host))
        p->destroyed++;
}

/* Work waiting for an event the guest will now never set would keep its
 * device busy for good, and the wait for it idle would never return: set
 * every event first.  (A wait on a semaphore that nothing signals cannot
 * be ended this way; vkwire-server's workers are watched for that.) */
static void set_event(const struct vkw_object *o, void *user)
{
    struct pass *p = user;
    if (o->type != VKW_HANDLE_VkEvent || !p->ctx->vk.vkSetEvent || (o->flags & VKW_OBJECT_HOSTLESS))
        return;
    const struct placement where = place(&p->ctx->objects, o, p->root);
    if (where.under_root && where.parent_host)
        p->ctx->vk.vkSetEvent((VkDevice)(uintptr_t)where.parent_host, (VkEvent)(uintptr_t)o->host);
}

/* Destroy, at the driver, every object made (directly or not) from `root`
 * (every object, for 0), deepest first; the table is left as it is. */
static void set_events(struct vkw_host_context *ctx, uint64_t root)
{
    struct pass p = {.ctx = ctx, .root = root};
    vkw_object_table_foreach(&ctx->objects, set_event, &p);
}

static size_t destroy_tree(struct vkw_host_context *ctx, uint64_t root)
{
    struct pass p = {.ctx = ctx, .root = root};
    set_events(ctx, root);
    vkw_object_table_foreach(&ctx->objects, survey, &p);
    for (uint32_t key = VKW_KEYS - 1; key > 0; key--) {
        if (!p.present[key])
            continue;
        p.key = key;
        vkw_object_table_foreach(&ctx->objects, destroy_at_key, &p);
    }
    return p.destroyed;
}

/* One pass over the table per order key in use, recomputing each object's
 * key as it goes: a few passes for a real guest (instance, physical device,
 * device, its children by rank, pool allocations), and no allocation, so an
 * out-of-memory host still destroys everything.  Destroying driver objects
 * leaves the table untouched, as vkw_object_table_foreach requires; the ids
 * all go at the end. */
size_t vkw_host_context_destroy_objects(struct vkw_host_context *ctx)
{
    vkw_host_syncfb_stopped(ctx); /* nothing more will be published */
    /* Detached calls first: what they made is bound, and nothing is
     * destroyed under a driver call.  Events set first: a call may wait
     * for work that waits for one. */
    set_events(ctx, 0);
    vkw_host_jobs_stop(ctx);
    const size_t destroyed = destroy_tree(ctx, 0);
    /* Each device took its fences with it; this frees the lists. */
    vkw_host_inflight_release_all(ctx);
    vkw_host_device_commands_release(&ctx->device_commands);
    /* Freeing memory unmapped it; now that the driver let go of the pages
     * the guest lent (ALLOCATE_SHARED), they can be unmapped too. */
    vkw_host_memory_release_all(&ctx->memory);
    vkw_host_images_release(&ctx->images);
    vkw_host_recording_fini(&ctx->recording); /* what it kept went above */
    vkw_object_table_fini(&ctx->objects); /* empty again, its limit kept */
    return destroyed;
}

void vkw_host_vkDestroyDevice(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                              struct vkw_args_vkDestroyDevice *a)
{
    if (!ctx->vk.vkDestroyDevice) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkDestroyDevice);
        return;
    }
    if (a->device) {
        /* Vulkan wants the device's work finished first; a guest that did
         * not wait gets the wait, not a driver destroying busy objects. */
        set_events(ctx, a->device_id);
        if (ctx->vk.vkDeviceWaitIdle)
            ctx->vk.vkDeviceWaitIdle(a->device);
        destroy_tree(ctx, a->device_id);
        vkw_host_inflight_release_device(ctx, a->device);
        vkw_host_device_commands_forget(ctx, a->device);
    }
    ctx->vk.vkDestroyDevice(a->device, NULL);
    /* (the generated dispatch then drops the ids: vkw_host_forget) */
}

void vkw_host_vkDestroyInstance(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                struct vkw_args_vkDestroyInstance *a)
{
    if (!ctx->vk.vkDestroyInstance) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkDestroyInstance);
        return;
    }
    if (a->instance)
        destroy_tree(ctx, a->instance_id); /* its devices, idle first, and theirs */
    ctx->vk.vkDestroyInstance(a->instance, NULL);
}
