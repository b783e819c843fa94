/* vkw_host_device_commands — see vkw_host_device_commands.h. */
#include "vkw_host_device_commands.h"

#include <stdlib.h>
#include <string.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"

/* Parent chains are short (command buffer -> pool -> device). */
#define VKW_MAX_WALK 16u

/* The device a device-level handle belongs to, from the parents the
 * object table recorded; NULL if the chain has none. */
static VkDevice device_of(const struct vkw_host_context *ctx, uint32_t type, uint64_t host)
{
    if (type == VKW_HANDLE_VkDevice)
        return (VkDevice)(uintptr_t)host;
    uint64_t id = vkw_object_table_id_of(&ctx->objects, type, host);
    for (unsigned n = 0; id != 0 && n < VKW_MAX_WALK; n++) {
        const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
        if (!o)
            return VK_NULL_HANDLE;
        if (o->type == VKW_HANDLE_VkDevice)
            return (VkDevice)(uintptr_t)o->host;
        id = o->parent_id;
    }
    return VK_NULL_HANDLE;
}

static struct vkw_device_commands *entry_of(struct vkw_host_device_commands *c, VkDevice device)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->devices[i].device == device)
            return &c->devices[i];
    if (c->count == c->capacity) {
        const size_t cap = c->capacity ? c->capacity * 2 : 4;
        struct vkw_device_commands *p = realloc(c->devices, cap * sizeof(*p));
        if (!p)
            return NULL;
        c->devices = p;
        c->capacity = cap;
    }
    struct vkw_device_commands *e = &c->devices[c->count++];
    memset(e, 0, sizeof(*e));
    e->device = device;
    return e;
}

bool vkw_host_device_command(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                             uint32_t opcode, uint32_t type, uint64_t host)
{
    if (host == 0 || !ctx->vk.vkGetDeviceProcAddr || opcode >= VKW_OPCODE_LIMIT)
        return true;
    struct vkw_host_device_commands *c = &ctx->device_commands;
    struct vkw_device_commands *e;
    if (c->last_valid && c->last_host == host && c->last_type == type &&
        c->last_removals == ctx->objects.removals) {
        e = &c->devices[c->last_index];
    } else {
        const VkDevice device = device_of(ctx, type, host);
        if (device == VK_NULL_HANDLE)
            return true; /* every live device-level id has one: not reached */
        e = entry_of(c, device);
        if (!e) {
            vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, c->count + 1);
            return false;
        }
        c->last_valid = true;
        c->last_type = type;
        c->last_host = host;
        c->last_removals = ctx->objects.removals;
        c->last_index = (size_t)(e - c->devices);
    }
    const VkDevice device = e->device;
    const uint64_t bit = (uint64_t)1 << (opcode % 64);
    const size_t word = opcode / 64;
    if (!(e->asked[word] & bit)) {
        const char *name = vkw_opcode_name(opcode);
        e->asked[word] |= bit;
        if (name && ctx->vk.vkGetDeviceProcAddr(device, name))
            e->has[word] |= bit;
    }
    if (e->has[word] & bit)
        return true;
    vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, opcode);
    return false;
}

void vkw_host_device_commands_forget(struct vkw_host_context *ctx, VkDevice device)
{
    struct vkw_host_device_commands *c = &ctx->device_commands;
    for (size_t i = 0; i < c->count; i++) {
        if (c->devices[i].device == device) {
            c->devices[i] = c->devices[--c->count];
            c->last_valid = false; /* entries moved */
            return;
        }
    }
}

void vkw_host_device_commands_release(struct vkw_host_device_commands *c)
{
    free(c->devices);
    memset(c, 0, sizeof(*c));
}

void vkw_host_device_lengths(struct vkw_host_decoder *d, uint32_t opcode, uint64_t device)
{
    struct vkw_host_context *ctx = d->ctx;
    if (!ctx || device == 0 || !vkw_reader_ok(&d->r))
        return;
    /* A device without the command has no business with its members, and
     * its driver may not know the property structs: refused as the
     * dispatch would refuse it. */
    if (!vkw_host_device_command(ctx, d, opcode, VKW_HANDLE_VkDevice, device))
        return;
    VkPhysicalDevice physical = vkw_host_device_physical(ctx, (VkDevice)(uintptr_t)device);
    /* Every length is asked: each comes from the extension of the commands
     * that reach its member, which the device has (checked above). */
    uint64_t *lengths = ctx->device_commands.lengths;
    for (unsigned i = 0; i < VKW_DEVICE_LENGTH_COUNT; i++)
        lengths[i] = physical ? vkw_device_length_query(ctx->vk.vkGetPhysicalDeviceProperties2,
                                                        physical, (enum vkw_device_length)i)
                              : 0;
    d->device_lengths = lengths;
}

VkPhysicalDevice vkw_host_device_physical(const struct vkw_host_context *ctx, VkDevice device)
{
    for (size_t i = 0; i < ctx->memory.device_count; i++)
        if (ctx->memory.devices[i].device == device)
            return ctx->memory.devices[i].physical;
    return VK_NULL_HANDLE;
}
