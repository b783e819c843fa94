/* vkw_teardown — destroying everything a guest made when its context ends.
 *
 * Owns: vkw_host_context_destroy_objects (declared in vkw_host_context.h).
 *
 * A guest that disconnects, crashes or is cut off for a protocol error
 * leaves objects behind; the host must not.  The object table records each
 * object's parent id, so the order is found without knowing Vulkan's rules
 * per type: an object is destroyed before the object it was made from
 * (decreasing depth in the parent chain), which puts every device child
 * before its device and every device before its instance.  Within one depth
 * a fixed rank destroys users before what they use (views before images,
 * pipelines before layouts, memory after what is bound to it).  Vulkan
 * allows either order there; this one keeps a validation layer on the host
 * from seeing a live object that names a dead one in the common cases.
 */
#include <stdbool.h>
#include <stdint.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"

/* Parent chains are at most instance -> physical device -> device -> pool
 * -> allocation; a longer walk means a table the host did not build. */
#define VKW_MAX_DEPTH 16u

/* The order key: deeper objects first, then lower ranks.  Key 0 is never
 * used, so it can mean "no more keys". */
#define VKW_RANKS 5u
#define VKW_KEYS ((VKW_MAX_DEPTH + 1) * VKW_RANKS + 1)

/* Destroyed first at equal depth: objects that refer to others. */
static uint32_t rank_of(uint32_t type)
{
    switch (type) {
    case VKW_HANDLE_VkFramebuffer:
    case VKW_HANDLE_VkPipeline:
    case VKW_HANDLE_VkImageView:
    case VKW_HANDLE_VkBufferView:
    case VKW_HANDLE_VkDescriptorUpdateTemplate:
    case VKW_HANDLE_VkCommandPool:
    case VKW_HANDLE_VkDescriptorPool:
        return 0;
    case VKW_HANDLE_VkImage:
    case VKW_HANDLE_VkBuffer:
    case VKW_HANDLE_VkPipelineLayout:
    case VKW_HANDLE_VkRenderPass:
    case VKW_HANDLE_VkShaderModule:
    case VKW_HANDLE_VkPipelineCache:
    case VKW_HANDLE_VkSampler:
    case VKW_HANDLE_VkQueryPool:
    case VKW_HANDLE_VkEvent:
    case VKW_HANDLE_VkFence:
    case VKW_HANDLE_VkSemaphore:
    case VKW_HANDLE_VkPrivateDataSlot:
        return 1;
    case VKW_HANDLE_VkDescriptorSetLayout:
    case VKW_HANDLE_VkSamplerYcbcrConversion:
    case VKW_HANDLE_VkDeviceMemory: /* after the buffers and images bound to it */
        return 2;
    case VKW_HANDLE_VkDevice:
        return 3;
    default: /* VkInstance, and what no destroy command takes */
        return 4;
    }
}

struct placement {
    uint32_t key;         /* 1 .. VKW_KEYS-1; destroyed in decreasing order */
    uint64_t parent_host; /* the device (else instance) its destroy takes */
};

/* Walk `o`'s parent chain: its depth gives the order, and the nearest
 * device (else instance) above it is what its destroy command takes. */
static struct placement place(const struct vkw_object_table *t, const struct vkw_object *o)
{
    struct placement p = {0};
    uint64_t instance_host = 0;
    bool found_device = false;
    uint32_t depth = 0;
    for (uint64_t parent = o->parent_id; parent != 0 && depth < VKW_MAX_DEPTH;) {
        const struct vkw_object *up = vkw_object_table_find(t, parent);
        if (!up)
            break; /* a parent id the guest never made: a root, then */
        depth++;
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
    uint32_t key;       /* this pass destroys objects with this key */
    bool present[VKW_KEYS];
    size_t destroyed;
};

static void survey(const struct vkw_object *o, void *user)
{
    struct pass *p = user;
    p->present[place(&p->ctx->objects, o).key] = true;
    /* Work still queued may use any object: let each device finish. */
    if (o->type == VKW_HANDLE_VkDevice && p->ctx->vk.vkDeviceWaitIdle)
        p->ctx->vk.vkDeviceWaitIdle((VkDevice)(uintptr_t)o->host);
}

static void destroy_at_key(const struct vkw_object *o, void *user)
{
    struct pass *p = user;
    const struct placement where = place(&p->ctx->objects, o);
    /* False for command buffers, descriptor sets, queues and physical
     * devices: their parent's destruction frees them. */
    if (where.key == p->key &&
        vkw_destroy_host_object(&p->ctx->vk, o->type, o->host, where.parent_host))
        p->destroyed++;
}

/* One pass over the table per order key in use, recomputing each object's
 * key as it goes: a few passes for a real guest (instance, physical device,
 * device, its children by rank, pool allocations), and no allocation, so an
 * out-of-memory host still destroys everything.  Destroying driver objects
 * leaves the table untouched, as vkw_object_table_foreach requires; the ids
 * all go at the end. */
size_t vkw_host_context_destroy_objects(struct vkw_host_context *ctx)
{
    struct pass p = {.ctx = ctx};
    vkw_object_table_foreach(&ctx->objects, survey, &p);
    for (uint32_t key = VKW_KEYS - 1; key > 0; key--) {
        if (!p.present[key])
            continue;
        p.key = key;
        vkw_object_table_foreach(&ctx->objects, destroy_at_key, &p);
    }
    /* Freeing memory unmapped it; now that the driver let go of the pages
     * the guest lent (ALLOCATE_SHARED), they can be unmapped too. */
    vkw_host_memory_release_all(&ctx->memory);
    vkw_object_table_fini(&ctx->objects); /* empty again, its limit kept */
    return p.destroyed;
}
