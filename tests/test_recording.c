/* Objects a guest destroys while its command buffers record
 * (doc/PROTOCOL.md section 28), through the public renderer API on the
 * fake driver (tests/fake_driver.h), whose books show what reached the
 * driver and when.
 *
 * The guest sends a command buffer's commands later than the application
 * recorded them, so a destroy can reach the host before commands that name
 * the object.  Checked here: a pipeline layout (or a buffer, a descriptor
 * pool with its sets) destroyed while a command buffer records stays alive
 * at the driver, and later recorded commands may name it, until every
 * recording open at its destroy has ended (end, reset, free, pool reset),
 * and not longer; recordings begun afterwards do not hold it; a command
 * pool whose own buffers are the only ones recording goes at once.  A
 * descriptor set freed (or its pool reset) while a command buffer records
 * is freed at the driver at once: a recorded command naming it is skipped
 * (the driver never sees the dead set), its command buffer can be reset
 * and recorded again, but submitting it as it is ends the context
 * (BAD_HANDLE, its id); a freed secondary command buffer the same.  An id
 * such an object held may be reused.  And the host stays strict: an id
 * that never existed is BAD_HANDLE in a recorded command, a kept object is
 * BAD_HANDLE to any other command (destroying it again included), and
 * teardown with objects kept leaves nothing at the driver. */
#define _GNU_SOURCE /* setenv (host_test_guest.h); before any include */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_driver.h"
#include "host_test_guest.h"
#include "tap.h"
#include "vkwire/renderer.h"

enum {
    SET_LAYOUT = 500, LAYOUT, LAYOUT_2, MODULE, PIPELINE, DESCRIPTOR_POOL, SET_A, SET_B, SET_C,
    BUFFER = 100, SECONDARY = 203, NEVER = 12345
};

struct side {
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
};

static struct vkw_renderer *renderer;

static enum vkw_renderer_status run(struct side *s)
{
    enum vkw_renderer_status st = vkw_renderer_context_process(s->ctx, s->g.w.data, s->g.w.size,
                                                               &s->reply, &s->reply_size);
    vkw_writer_reset(&s->g.w);
    return st;
}

static bool ended_with(const struct side *s, enum vkw_renderer_status st, uint32_t status,
                       uint64_t value)
{
    uint32_t got_status = 0;
    uint64_t got_value = 0;
    const bool ended = st == VKW_RENDERER_PROTOCOL_ERROR &&
                       tg_error_reply(s->reply, s->reply_size, &got_status, &got_value) &&
                       got_status == status && got_value == value;
    if (!ended)
        diag("status %d, error %u value %llu: %s", (int)st, got_status,
             (unsigned long long)got_value, vkw_renderer_context_error(s->ctx));
    return ended;
}

/* Every command of the batch went well (asynchronous ones reply too: the
 * set-up asks them to). */
static bool all_ok(struct side *s)
{
    const enum vkw_renderer_status st = run(s);
    uint32_t bad = 0;
    const bool good = st == VKW_RENDERER_OK &&
                      tg_count_ok(s->reply, s->reply_size, true, &bad) >= 0 &&
                      !vkw_fake_problem()[0];
    if (!good)
        diag("status %d, first bad reply to opcode %u (%s); %s", (int)st, bad,
             vkw_opcode_name(bad) ? vkw_opcode_name(bad) : "?", vkw_fake_problem());
    return good;
}

#define CB(g, i) ((VkCommandBuffer) & (g)->cbs[i])
static struct vkw_dispatchable secondary_obj = {0, SECONDARY};
#define SECONDARY_CB ((VkCommandBuffer)&secondary_obj)

static void begin(struct tg_guest *g, VkCommandBuffer cb)
{
    static const VkCommandBufferInheritanceInfo inherit = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO};
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .pInheritanceInfo = cb == SECONDARY_CB ? &inherit : NULL};
    vkw_encode_vkBeginCommandBuffer(&g->w, ++g->serial, cb, &bi);
}

static void end(struct tg_guest *g, VkCommandBuffer cb)
{
    vkw_encode_vkEndCommandBuffer(&g->w, ++g->serial, cb);
}

static void bind_set(struct tg_guest *g, VkCommandBuffer cb, uint64_t layout, uint64_t set)
{
    const VkDescriptorSet s = VKW_U64_HANDLE(VkDescriptorSet, set);
    vkw_encode_vkCmdBindDescriptorSets(&g->w, 0, cb, VK_PIPELINE_BIND_POINT_COMPUTE,
                                       VKW_U64_HANDLE(VkPipelineLayout, layout), 0, 1, &s, 0,
                                       NULL);
}

static void push(struct tg_guest *g, VkCommandBuffer cb, uint64_t layout)
{
    const uint32_t words[2] = {1, 2};
    vkw_encode_vkCmdPushConstants(&g->w, 0, cb, VKW_U64_HANDLE(VkPipelineLayout, layout),
                                  VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof words, words);
}

static void fill(struct tg_guest *g, VkCommandBuffer cb, uint64_t buffer)
{
    vkw_encode_vkCmdFillBuffer(&g->w, 0, cb, VKW_U64_HANDLE(VkBuffer, buffer), 0, 16, 7);
}

static void submit(struct tg_guest *g, VkCommandBuffer cb)
{
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cb};
    const size_t at = g->w.size;
    vkw_encode_vkQueueSubmit(&g->w, ++g->serial, (VkQueue)&g->queue, 1, &si, VK_NULL_HANDLE);
    tg_ask_reply(g, at);
}

static void destroy_layout(struct tg_guest *g, uint64_t id)
{
    vkw_encode_vkDestroyPipelineLayout(&g->w, ++g->serial, TG_DEVICE(g),
                                       VKW_U64_HANDLE(VkPipelineLayout, id), NULL);
}

static void allocate_sets(struct tg_guest *g, const uint64_t *ids, uint32_t count)
{
    VkDescriptorSetLayout layouts[3];
    VkDescriptorSet sets[3];
    for (uint32_t i = 0; i < count; i++) {
        layouts[i] = VKW_U64_HANDLE(VkDescriptorSetLayout, SET_LAYOUT);
        sets[i] = VKW_U64_HANDLE(VkDescriptorSet, ids[i]);
    }
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool =
                                          VKW_U64_HANDLE(VkDescriptorPool, DESCRIPTOR_POOL),
                                      .descriptorSetCount = count,
                                      .pSetLayouts = layouts};
    vkw_encode_vkAllocateDescriptorSets(&g->w, ++g->serial, TG_DEVICE(g), &ai, sets);
}

static void free_set(struct tg_guest *g, uint64_t id)
{
    const VkDescriptorSet s = VKW_U64_HANDLE(VkDescriptorSet, id);
    vkw_encode_vkFreeDescriptorSets(&g->w, ++g->serial, TG_DEVICE(g),
                                    VKW_U64_HANDLE(VkDescriptorPool, DESCRIPTOR_POOL), 1, &s);
}

/* A device, a command pool with two primaries (201, 202) and a secondary
 * (203), a set layout, two pipeline layouts, a compute pipeline, a buffer,
 * and a descriptor pool (sets may be freed) with three sets. */
static bool open_side(struct side *s)
{
    vkw_fake_reset();
    memset(s, 0, sizeof(*s));
    s->ctx = vkw_renderer_context_create(renderer);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    if (!s->ctx || run(s) != VKW_RENDERER_OK)
        return false;
    struct tg_guest *g = &s->g;
    tg_bring_up(g);
    tg_command_buffers(g);
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = VKW_U64_HANDLE(VkCommandPool, TG_POOL_ID),
                                       .level = VK_COMMAND_BUFFER_LEVEL_SECONDARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer secondary = SECONDARY_CB;
    vkw_encode_vkAllocateCommandBuffers(&g->w, ++g->serial, TG_DEVICE(g), &cai, &secondary);
    tg_create_buffer(g, BUFFER, 256);
    VkDescriptorSetLayoutBinding binding = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                            VK_SHADER_STAGE_COMPUTE_BIT, NULL};
    VkDescriptorSetLayoutCreateInfo slci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 1,
        .pBindings = &binding};
    VkDescriptorSetLayout set_layout = VKW_U64_HANDLE(VkDescriptorSetLayout, SET_LAYOUT);
    size_t at = g->w.size;
    vkw_encode_vkCreateDescriptorSetLayout(&g->w, ++g->serial, TG_DEVICE(g), &slci, NULL,
                                           &set_layout);
    tg_ask_reply(g, at);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 8};
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &set_layout,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &range};
    for (uint64_t id = LAYOUT; id <= LAYOUT_2; id++) {
        VkPipelineLayout layout = VKW_U64_HANDLE(VkPipelineLayout, id);
        at = g->w.size;
        vkw_encode_vkCreatePipelineLayout(&g->w, ++g->serial, TG_DEVICE(g), &plci, NULL, &layout);
        tg_ask_reply(g, at);
    }
    static const uint32_t code[5] = {0x07230203};
    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = sizeof code,
                                     .pCode = code};
    VkShaderModule module = VKW_U64_HANDLE(VkShaderModule, MODULE);
    at = g->w.size;
    vkw_encode_vkCreateShaderModule(&g->w, ++g->serial, TG_DEVICE(g), &smci, NULL, &module);
    tg_ask_reply(g, at);
    VkComputePipelineCreateInfo cpci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = VKW_U64_HANDLE(VkPipelineLayout, LAYOUT_2)};
    VkPipeline pipeline = VKW_U64_HANDLE(VkPipeline, PIPELINE);
    vkw_encode_vkCreateComputePipelines(&g->w, ++g->serial, TG_DEVICE(g), VK_NULL_HANDLE, 1,
                                        &cpci, NULL, &pipeline);
    VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 8};
    VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
                                       .maxSets = 8,
                                       .poolSizeCount = 1,
                                       .pPoolSizes = &size};
    VkDescriptorPool pool = VKW_U64_HANDLE(VkDescriptorPool, DESCRIPTOR_POOL);
    at = g->w.size;
    vkw_encode_vkCreateDescriptorPool(&g->w, ++g->serial, TG_DEVICE(g), &dpci, NULL, &pool);
    tg_ask_reply(g, at);
    const uint64_t sets[3] = {SET_A, SET_B, SET_C};
    allocate_sets(g, sets, 3);
    return all_ok(s) && vkw_fake_live_of_type(VK_OBJECT_TYPE_DESCRIPTOR_SET) == 3 &&
           vkw_fake_live_of_type(VK_OBJECT_TYPE_PIPELINE_LAYOUT) == 2;
}

/* Close the context: nothing may be alive at the driver afterwards, and the
 * driver saw no contract violation all along. */
static void close_side(struct side *s, const char *what)
{
    vkw_renderer_context_destroy(s->ctx);
    tg_fini(&s->g);
    ok(vkw_fake_live_objects() == 0 && vkw_fake_problem()[0] == '\0',
       "%s: torn down, nothing alive at the driver (%zu), no contract broken (%s)", what,
       vkw_fake_live_objects(), vkw_fake_problem());
    vkw_fake_reset();
}

static size_t live(VkObjectType type) { return vkw_fake_live_of_type(type); }

/* dEQP-VK.api.pipeline.pipeline_layout.lifetime: the layout goes while
 * the command buffer that bound with it records; the guest's stream,
 * which names it, comes after the destroy. */
static void test_layout_kept(void)
{
    struct side a;
    ok(open_side(&a), "layout: set up on the fake driver");
    struct tg_guest *g = &a.g;
    begin(g, CB(g, 0));
    destroy_layout(g, LAYOUT);
    bind_set(g, CB(g, 0), LAYOUT, SET_A);
    push(g, CB(g, 0), LAYOUT);
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_PIPELINE_LAYOUT) == 2,
       "layout: destroyed while a command buffer records, it stays at the driver, and the "
       "recorded commands that name it reach the driver");
    end(g, CB(g, 0));
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_PIPELINE_LAYOUT) == 1,
       "layout: the driver destroys it when that recording ends");
    bind_set(g, CB(g, 0), LAYOUT, SET_A);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, LAYOUT),
       "layout: after that, a recorded command naming it is BAD_HANDLE");
    close_side(&a, "layout");
}

/* Only the recordings open at the destroy hold the object, each until it
 * ends however it ends. */
static void test_epochs(void)
{
    struct side a;
    ok(open_side(&a), "epochs: set up");
    struct tg_guest *g = &a.g;
    begin(g, CB(g, 0));
    tg_destroy_buffer(g, BUFFER); /* held by 201 */
    begin(g, CB(g, 1));           /* begun afterwards: does not hold it */
    fill(g, CB(g, 0), BUFFER);
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_BUFFER) == 1, "epochs: a buffer kept for 201");
    end(g, CB(g, 0));
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_BUFFER) == 0,
       "epochs: destroyed when 201 ends, though 202 (begun later) still records");
    destroy_layout(g, LAYOUT_2); /* held by 202 */
    begin(g, CB(g, 0));          /* 201 again, later */
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_PIPELINE_LAYOUT) == 2, "epochs: a layout kept for 202");
    vkw_encode_vkResetCommandBuffer(&g->w, ++g->serial, CB(g, 1), 0);
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_PIPELINE_LAYOUT) == 1,
       "epochs: a reset ends 202's recording: destroyed, though 201 records");
    destroy_layout(g, LAYOUT); /* held by 201 */
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_PIPELINE_LAYOUT) == 1, "epochs: another kept for 201");
    VkCommandPool pool = VKW_U64_HANDLE(VkCommandPool, TG_POOL_ID);
    vkw_encode_vkResetCommandPool(&g->w, ++g->serial, TG_DEVICE(g), pool, 0);
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_PIPELINE_LAYOUT) == 0,
       "epochs: a pool reset ends its buffers' recordings: destroyed");
    begin(g, CB(g, 0));
    vkw_encode_vkDestroyPipeline(&g->w, ++g->serial, TG_DEVICE(g),
                                 VKW_U64_HANDLE(VkPipeline, PIPELINE), NULL);
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_PIPELINE) == 1, "epochs: a pipeline kept for 201");
    VkCommandBuffer cb = CB(g, 0);
    vkw_encode_vkFreeCommandBuffers(&g->w, ++g->serial, TG_DEVICE(g), pool, 1, &cb);
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_PIPELINE) == 0,
       "epochs: freeing 201 ends its recording: destroyed");
    close_side(&a, "epochs");
}

/* A command pool whose own buffers alone record needs nothing kept; a
 * descriptor pool keeps its sets with it. */
static void test_pools(void)
{
    struct side a;
    ok(open_side(&a), "pools: set up");
    struct tg_guest *g = &a.g;
    begin(g, CB(g, 0));
    bind_set(g, CB(g, 0), LAYOUT, SET_A);
    vkw_encode_vkDestroyDescriptorPool(&g->w, ++g->serial, TG_DEVICE(g),
                                       VKW_U64_HANDLE(VkDescriptorPool, DESCRIPTOR_POOL), NULL);
    bind_set(g, CB(g, 0), LAYOUT, SET_B);
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_DESCRIPTOR_POOL) == 1 &&
           live(VK_OBJECT_TYPE_DESCRIPTOR_SET) == 3,
       "pools: a descriptor pool destroyed while a command buffer records is kept with its "
       "sets, which the recording names");
    const VkDescriptorSet set = VKW_U64_HANDLE(VkDescriptorSet, SET_C);
    VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                              .dstSet = set,
                              .descriptorCount = 1,
                              .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                              .pBufferInfo = &(VkDescriptorBufferInfo){
                                  VKW_U64_HANDLE(VkBuffer, BUFFER), 0, 16}};
    vkw_encode_vkUpdateDescriptorSets(&g->w, ++g->serial, TG_DEVICE(g), 1, &w, 0, NULL);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, SET_C) &&
           live(VK_OBJECT_TYPE_DESCRIPTOR_SET) == 3,
       "pools: but a set of it updated is BAD_HANDLE, the driver never asked");
    close_side(&a, "pools (teardown with a kept pool)");

    ok(open_side(&a), "pools: set up again");
    begin(g, CB(g, 0));
    vkw_encode_vkDestroyCommandPool(&g->w, ++g->serial, TG_DEVICE(g),
                                    VKW_U64_HANDLE(VkCommandPool, TG_POOL_ID), NULL);
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_COMMAND_POOL) == 0 &&
           live(VK_OBJECT_TYPE_COMMAND_BUFFER) == 0,
       "pools: a command pool destroyed while only its own buffer records goes at once");
    close_side(&a, "pools");
}

/* A freed descriptor set is freed at the driver at once (the pool may be
 * allocated from again); a recorded command naming it is skipped. */
static void test_sets_gone(void)
{
    struct side a;
    ok(open_side(&a), "sets: set up");
    struct tg_guest *g = &a.g;
    begin(g, CB(g, 0));
    free_set(g, SET_A);
    bind_set(g, CB(g, 0), LAYOUT, SET_A); /* recorded before the free, sent after it */
    fill(g, CB(g, 0), BUFFER);
    end(g, CB(g, 0));
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_DESCRIPTOR_SET) == 2,
       "sets: freed while 201 records, the set is freed at the driver; the command naming it "
       "is skipped (the driver never sees the dead set), the rest recorded, ended");
    submit(g, CB(g, 0));
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, TG_POOL_ID + 1),
       "sets: submitting that command buffer is BAD_HANDLE (its id): Vulkan calls it invalid");
    close_side(&a, "sets");

    ok(open_side(&a), "sets: set up again");
    begin(g, CB(g, 0));
    bind_set(g, CB(g, 0), LAYOUT, SET_B);
    vkw_encode_vkResetDescriptorPool(&g->w, ++g->serial, TG_DEVICE(g),
                                     VKW_U64_HANDLE(VkDescriptorPool, DESCRIPTOR_POOL), 0);
    const uint64_t again[2] = {SET_B, 600}; /* SET_B's id reused at once */
    allocate_sets(g, again, 2);
    bind_set(g, CB(g, 0), LAYOUT, SET_C); /* gone: skipped */
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_DESCRIPTOR_SET) == 2,
       "sets: a pool reset while 201 records frees its sets at once, and allocating from it "
       "again works, even under a gone set's id");
    vkw_encode_vkResetCommandBuffer(&g->w, ++g->serial, CB(g, 0), 0);
    begin(g, CB(g, 0));
    bind_set(g, CB(g, 0), LAYOUT, SET_B); /* the new set of that id */
    bind_set(g, CB(g, 0), LAYOUT, 600);
    end(g, CB(g, 0));
    submit(g, CB(g, 0));
    ok(all_ok(&a), "sets: 201 reset, recorded again with the new sets, submitted");
    bind_set(g, CB(g, 1), LAYOUT, SET_C);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, SET_C),
       "sets: once no recording is open, the gone set's id is BAD_HANDLE");
    close_side(&a, "sets (reset pool)");
}

/* A secondary command buffer freed while a primary that executes it
 * records: the same as a freed set. */
static void test_secondary_gone(void)
{
    struct side a;
    ok(open_side(&a), "secondary: set up");
    struct tg_guest *g = &a.g;
    begin(g, SECONDARY_CB);
    end(g, SECONDARY_CB);
    begin(g, CB(g, 0));
    VkCommandBuffer secondary = SECONDARY_CB;
    vkw_encode_vkFreeCommandBuffers(&g->w, ++g->serial, TG_DEVICE(g),
                                    VKW_U64_HANDLE(VkCommandPool, TG_POOL_ID), 1, &secondary);
    vkw_encode_vkCmdExecuteCommands(&g->w, 0, CB(g, 0), 1, &secondary);
    end(g, CB(g, 0));
    ok(all_ok(&a) && live(VK_OBJECT_TYPE_COMMAND_BUFFER) == 2,
       "secondary: freed while 201 records; 201's execution of it is skipped");
    submit(g, CB(g, 0));
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, TG_POOL_ID + 1),
       "secondary: submitting 201 is BAD_HANDLE");
    close_side(&a, "secondary");
}

/* What stays strict: ids that never existed, kept objects outside
 * recorded commands, destroys of what is destroyed already. */
static void test_strict(void)
{
    static const struct {
        const char *what;
        int step;
    } cases[] = {
        {"an id that never existed, in a recorded command while objects are kept", 0},
        {"a kept layout named by a pipeline creation", 1},
        {"a kept layout destroyed again", 2},
        {"a gone set freed again", 3},
        {"a recorded command into a freed command buffer", 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct side a;
        if (!open_side(&a)) {
            ok(0, "strict: set up");
            continue;
        }
        struct tg_guest *g = &a.g;
        begin(g, CB(g, 0));
        begin(g, CB(g, 1));
        destroy_layout(g, LAYOUT);
        free_set(g, SET_A);
        uint64_t want = NEVER;
        switch (cases[i].step) {
        case 0:
            bind_set(g, CB(g, 0), NEVER, SET_B);
            break;
        case 1: {
            VkComputePipelineCreateInfo cpci = {
                .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                          .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                          .module = VKW_U64_HANDLE(VkShaderModule, MODULE),
                          .pName = "main"},
                .layout = VKW_U64_HANDLE(VkPipelineLayout, LAYOUT)};
            VkPipeline pipeline = VKW_U64_HANDLE(VkPipeline, 700);
            vkw_encode_vkCreateComputePipelines(&g->w, ++g->serial, TG_DEVICE(g),
                                                VK_NULL_HANDLE, 1, &cpci, NULL, &pipeline);
            want = LAYOUT;
            break;
        }
        case 2:
            destroy_layout(g, LAYOUT);
            want = LAYOUT;
            break;
        case 3:
            free_set(g, SET_A);
            want = SET_A;
            break;
        case 4: {
            VkCommandBuffer cb = CB(g, 1);
            vkw_encode_vkFreeCommandBuffers(&g->w, ++g->serial, TG_DEVICE(g),
                                            VKW_U64_HANDLE(VkCommandPool, TG_POOL_ID), 1, &cb);
            fill(g, CB(g, 1), BUFFER);
            want = TG_POOL_ID + 2;
            break;
        }
        }
        ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, want), "strict: %s: BAD_HANDLE %llu",
           cases[i].what, (unsigned long long)want);
        close_side(&a, cases[i].what);
    }
}

int main(void)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = vkw_fake_get_instance_proc_addr;
    if (vkw_renderer_create(&o, &renderer) != 0)
        BAIL_OUT("vkw_renderer_create");
    test_layout_kept();
    test_epochs();
    test_pools();
    test_sets_gone();
    test_secondary_gone();
    test_strict();
    vkw_renderer_destroy(renderer);
    return done_testing();
}
