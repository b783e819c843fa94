/* vkw_host_video — see vkw_host_video.h. */
#include "vkw_host_video.h"

#include <stdbool.h>
#include <stdint.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"
#include "vkw_vulkan_util.h"

struct session_children {
    uint64_t session;     /* id of the session being destroyed */
    uint64_t *ids;        /* NULL: only counting */
    uint64_t count;
};

static void collect(const struct vkw_object *o, void *user)
{
    struct session_children *c = user;
    if (o->type != VKW_HANDLE_VkVideoSessionParametersKHR || o->parent_id != c->session)
        return;
    if (c->ids)
        c->ids[c->count] = o->id;
    c->count++;
}

void vkw_host_vkDestroyVideoSessionKHR(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                       struct vkw_args_vkDestroyVideoSessionKHR *a)
{
    if (!ctx->vk.vkDestroyVideoSessionKHR || !ctx->vk.vkDestroyVideoSessionParametersKHR) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkDestroyVideoSessionKHR);
        return;
    }
    const struct vkw_object *session = vkw_object_table_find(&ctx->objects, a->videoSession_id);
    if (session && session->type == VKW_HANDLE_VkVideoSessionKHR) {
        const uint64_t device_id = session->parent_id;
        /* Count, then list (the table may not change while it is walked). */
        struct session_children c = {.session = a->videoSession_id};
        vkw_object_table_foreach(&ctx->objects, collect, &c);
        if (c.count) {
            c.ids = vkw_reader_alloc(&d->r, c.count, sizeof(*c.ids));
            if (!c.ids)
                return; /* the decoder's limit: the context ends, teardown follows */
            c.count = 0;
            vkw_object_table_foreach(&ctx->objects, collect, &c);
        }
        for (uint64_t i = 0; i < c.count; i++) {
            const struct vkw_object *o = vkw_object_table_find(&ctx->objects, c.ids[i]);
            if (!(o->flags & VKW_OBJECT_HOSTLESS))
                ctx->vk.vkDestroyVideoSessionParametersKHR(
                    a->device, VKW_U64_HANDLE(VkVideoSessionParametersKHR, o->host), NULL);
            /* Its id stays, naming nothing, until the guest destroys it. */
            vkw_object_table_remove(&ctx->objects, c.ids[i], VKW_HANDLE_VkVideoSessionParametersKHR);
            const enum vkw_error e = vkw_object_table_insert_failed(
                &ctx->objects, c.ids[i], VKW_HANDLE_VkVideoSessionParametersKHR, device_id);
            if (e != VKW_OK)
                vkw_reader_fail(&d->r, e, c.ids[i]);
        }
    }
    ctx->vk.vkDestroyVideoSessionKHR(a->device, a->videoSession, NULL);
    /* (the generated dispatch then drops the session's id: vkw_host_forget) */
}
