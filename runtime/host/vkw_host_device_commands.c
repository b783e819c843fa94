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
    struct vkw_host_device_commands *c = &ctx->device_commands;
    if (host == 0 || !ctx->vk.vkGetDeviceProcAddr || opcode >= VKW_OPCODE_LIMIT) {
        c->last_valid = false; /* no device looked up: vkw_host_device_alias has none */
        return true;
    }
    struct vkw_device_commands *e;
    if (c->last_valid && c->last_host == host && c->last_type == type &&
        c->last_removals == ctx->objects.removals) {
        e = &c->devices[c->last_index];
    } else {
        const VkDevice device = device_of(ctx, type, host);
        if (device == VK_NULL_HANDLE) {
            c->last_valid = false;
            return true; /* every live device-level id has one: not reached */
        }
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
        if (name && ctx->vk.vkGetDeviceProcAddr(device, name)) {
            e->has[word] |= bit;
        } else {
            /* An extension the device enabled may give it another name. */
            const char *alias;
            PFN_vkVoidFunction fn = NULL;
            for (unsigned i = 0; !fn && (alias = vkw_opcode_alias(opcode, i)); i++)
                fn = ctx->vk.vkGetDeviceProcAddr(device, alias);
            if (fn && !e->alias)
                e->alias = calloc(VKW_OPCODE_LIMIT, sizeof(*e->alias));
            if (fn && e->alias) {
                e->alias[opcode] = fn;
                e->has[word] |= bit;
            }
        }
    }
    if (e->has[word] & bit)
        return true;
    vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, opcode);
    return false;
}

PFN_vkVoidFunction vkw_host_device_alias(struct vkw_host_context *ctx, uint32_t opcode)
{
    const struct vkw_host_device_commands *c = &ctx->device_commands;
    if (!c->last_valid || opcode >= VKW_OPCODE_LIMIT || c->last_index >= c->count ||
        !c->devices[c->last_index].alias)
        return NULL;
    return c->devices[c->last_index].alias[opcode];
}

void vkw_host_device_commands_forget(struct vkw_host_context *ctx, VkDevice device)
{
    struct vkw_host_device_commands *c = &ctx->device_commands;
    for (size_t i = 0; i < c->count; i++) {
        if (c->devices[i].device == device) {
            free(c->devices[i].alias);
            c->devices[i] = c->devices[--c->count];
            c->last_valid = false; /* entries moved */
            return;
        }
    }
}

void vkw_host_device_commands_release(struct vkw_host_device_commands *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->devices[i].alias);
    free(c->devices);
    memset(c, 0, sizeof(*c));
}
