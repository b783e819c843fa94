/* Shader objects, generated-commands objects, pipeline binaries and the
 * other commands whose answers only the host's driver can give
 * (doc/PROTOCOL.md section 23), through the public renderer API on the fake
 * driver (tests/fake_driver.h), whose books show what reached the driver.
 *
 * Teardown of a context left with shader objects, an indirect execution
 * set, an indirect commands layout and pipeline binaries alive: nothing
 * left at the driver, execution sets and commands layouts gone before the
 * pipelines and pipeline layouts they name, shader objects before their set
 * layouts.  vkCreatePipelineBinariesKHR: the count asked for, fewer made
 * than asked (VK_INCOMPLETE), only the made ids bound, ids in use refused.
 * Binaries (shader objects', pipeline binaries') come back whole or not at
 * all, even from a driver that leaves the size alone; an incompatible
 * binary makes no shader object.  vkConvertCooperativeVectorMatrixNV: the
 * size asked for, a conversion, a destination too small (nothing written),
 * a source shorter than its layout (refused before the driver reads past
 * it: the fake reads every byte, which ASan watches), a destination
 * without a source.  vkGetPipelinePropertiesEXT: the identifier, and a
 * struct of another sType refused. */
#define _GNU_SOURCE /* setenv (host_test_guest.h); before any include */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_driver.h"
#include "host_test_guest.h"
#include "tap.h"
#include "vkwire/renderer.h"

enum {
    SET_LAYOUT = 500, PIPELINE_LAYOUT, MODULE, PIPELINE, SHADER_A = 510, SHADER_B,
    EXECUTION_SET = 520, COMMANDS_LAYOUT, BINARY = 530
};

struct side {
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
    struct tg_replies rs; /* the answer's replies, read one by one */
};

static struct vkw_renderer *renderer;

static enum vkw_renderer_status run(struct side *s)
{
    enum vkw_renderer_status st = vkw_renderer_context_process(s->ctx, s->g.w.data, s->g.w.size,
                                                               &s->reply, &s->reply_size);
    vkw_writer_reset(&s->g.w);
    tg_replies_init(&s->rs, s->reply, s->reply_size);
    return st;
}

/* The next reply's body, if it is one of `opcode` with status ok. */
static bool next(struct side *s, uint32_t opcode, struct vkw_reader *payload)
{
    struct vkw_reply_header h;
    return tg_next_reply(&s->rs, &h, payload) && h.opcode == opcode && h.status == VKW_OK;
}

static bool ended_with(const struct side *s, enum vkw_renderer_status st, uint32_t status,
                       uint64_t value)
{
    uint32_t got_status = 0;
    uint64_t got_value = 0;
    return st == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(s->reply, s->reply_size, &got_status, &got_value) &&
           got_status == status && got_value == value;
}

static size_t objects_of(const struct side *s)
{
    return vkw_renderer_context_object_count(s->ctx);
}

/* A device with a set layout, a pipeline layout and a compute pipeline
 * (asked to reply, so that every creation is checked). */
static bool open_side(struct side *s)
{
    memset(s, 0, sizeof(*s));
    s->ctx = vkw_renderer_context_create(renderer);
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    if (!s->ctx || run(s) != VKW_RENDERER_OK)
        return false;
    tg_bring_up(&s->g);
    struct tg_guest *g = &s->g;
    VkDescriptorSetLayoutBinding binding = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                            VK_SHADER_STAGE_COMPUTE_BIT, NULL};
    VkDescriptorSetLayoutCreateInfo slci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 1,
        .pBindings = &binding};
    VkDescriptorSetLayout set = VKW_U64_HANDLE(VkDescriptorSetLayout, SET_LAYOUT);
    size_t at = g->w.size;
    vkw_encode_vkCreateDescriptorSetLayout(&g->w, ++g->serial, TG_DEVICE(g), &slci, NULL, &set);
    tg_ask_reply(g, at);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 8};
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &set,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &range};
    VkPipelineLayout layout = VKW_U64_HANDLE(VkPipelineLayout, PIPELINE_LAYOUT);
    at = g->w.size;
    vkw_encode_vkCreatePipelineLayout(&g->w, ++g->serial, TG_DEVICE(g), &plci, NULL, &layout);
    tg_ask_reply(g, at);
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
        .layout = layout};
    VkPipeline pipeline = VKW_U64_HANDLE(VkPipeline, PIPELINE);
    vkw_encode_vkCreateComputePipelines(&g->w, ++g->serial, TG_DEVICE(g), VK_NULL_HANDLE, 1,
                                        &cpci, NULL, &pipeline);
    const enum vkw_renderer_status st = run(s);
    const int replies = tg_count_ok(s->reply, s->reply_size, true, NULL);
    if (st != VKW_RENDERER_OK || replies != 7 || objects_of(s) != 8)
        diag("set-up: status %d, %d good replies, %zu objects", (int)st, replies, objects_of(s));
    return st == VKW_RENDERER_OK && replies == 7 && objects_of(s) == 8;
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

static void create_binaries(struct tg_guest *g, VkPipelineBinaryHandlesInfoKHR *handles)
{
    VkPipelineBinaryCreateInfoKHR ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_CREATE_INFO_KHR,
                                        .pipeline = VKW_U64_HANDLE(VkPipeline, PIPELINE)};
    vkw_encode_vkCreatePipelineBinariesKHR(&g->w, ++g->serial, TG_DEVICE(g), &ci, NULL, handles);
}

static VkResult decode_binaries(struct side *s, VkPipelineBinaryHandlesInfoKHR *handles)
{
    struct vkw_reader p;
    if (!next(s, VKW_CMD_vkCreatePipelineBinariesKHR, &p))
        return VK_ERROR_UNKNOWN;
    VkPipelineBinaryCreateInfoKHR ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_CREATE_INFO_KHR};
    const VkResult r =
        vkw_decode_reply_vkCreatePipelineBinariesKHR(&p, TG_DEVICE(&s->g), &ci, NULL, handles);
    return vkw_reader_ok(&p) ? r : VK_ERROR_UNKNOWN;
}

static void test_teardown_order(void)
{
    struct side a;
    ok(open_side(&a), "teardown: a device with a set layout, layouts and a pipeline");
    struct tg_guest *g = &a.g;
    VkDescriptorSetLayout set = VKW_U64_HANDLE(VkDescriptorSetLayout, SET_LAYOUT);
    static const char spirv[8] = "SPIR-V!";
    VkShaderCreateInfoEXT sci[2];
    for (int i = 0; i < 2; i++)
        sci[i] = (VkShaderCreateInfoEXT){.sType = VK_STRUCTURE_TYPE_SHADER_CREATE_INFO_EXT,
                                         .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                                         .codeType = VK_SHADER_CODE_TYPE_SPIRV_EXT,
                                         .codeSize = sizeof spirv,
                                         .pCode = spirv,
                                         .pName = "main",
                                         .setLayoutCount = 1,
                                         .pSetLayouts = &set};
    VkShaderEXT shaders[2] = {VKW_U64_HANDLE(VkShaderEXT, SHADER_A),
                              VKW_U64_HANDLE(VkShaderEXT, SHADER_B)};
    vkw_encode_vkCreateShadersEXT(&g->w, ++g->serial, TG_DEVICE(g), 2, sci, NULL, shaders);
    VkIndirectExecutionSetPipelineInfoEXT pipelines = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_PIPELINE_INFO_EXT,
        .initialPipeline = VKW_U64_HANDLE(VkPipeline, PIPELINE),
        .maxPipelineCount = 4};
    VkIndirectExecutionSetCreateInfoEXT esci = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_EXECUTION_SET_CREATE_INFO_EXT,
        .type = VK_INDIRECT_EXECUTION_SET_INFO_TYPE_PIPELINES_EXT,
        .info.pPipelineInfo = &pipelines};
    VkIndirectExecutionSetEXT es = VKW_U64_HANDLE(VkIndirectExecutionSetEXT, EXECUTION_SET);
    vkw_encode_vkCreateIndirectExecutionSetEXT(&g->w, ++g->serial, TG_DEVICE(g), &esci, NULL, &es);
    VkIndirectCommandsLayoutTokenEXT token = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_COMMANDS_LAYOUT_TOKEN_EXT,
        .type = VK_INDIRECT_COMMANDS_TOKEN_TYPE_DISPATCH_EXT};
    VkIndirectCommandsLayoutCreateInfoEXT lci = {
        .sType = VK_STRUCTURE_TYPE_INDIRECT_COMMANDS_LAYOUT_CREATE_INFO_EXT,
        .shaderStages = VK_SHADER_STAGE_COMPUTE_BIT,
        .indirectStride = 12,
        .pipelineLayout = VKW_U64_HANDLE(VkPipelineLayout, PIPELINE_LAYOUT),
        .tokenCount = 1,
        .pTokens = &token};
    VkIndirectCommandsLayoutEXT cl = VKW_U64_HANDLE(VkIndirectCommandsLayoutEXT, COMMANDS_LAYOUT);
    vkw_encode_vkCreateIndirectCommandsLayoutEXT(&g->w, ++g->serial, TG_DEVICE(g), &lci, NULL,
                                                 &cl);
    VkPipelineBinaryKHR ids[2] = {VKW_U64_HANDLE(VkPipelineBinaryKHR, BINARY),
                                  VKW_U64_HANDLE(VkPipelineBinaryKHR, BINARY + 1)};
    VkPipelineBinaryHandlesInfoKHR handles = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR,
        .pipelineBinaryCount = 2,
        .pPipelineBinaries = ids};
    create_binaries(g, &handles);
    ok(run(&a) == VKW_RENDERER_OK && tg_count_ok(a.reply, a.reply_size, true, NULL) == 4 &&
           objects_of(&a) == 8 + 6 && vkw_fake_live_of_type(VK_OBJECT_TYPE_SHADER_EXT) == 2 &&
           vkw_fake_live_of_type(VK_OBJECT_TYPE_PIPELINE_BINARY_KHR) == 2,
       "teardown: 2 shader objects, an execution set, a commands layout, 2 pipeline binaries");
    const size_t destroyed = vkw_renderer_context_destroy_objects(a.ctx);
    ok(destroyed == 12 && vkw_fake_live_objects() == 0 && vkw_fake_problem()[0] == '\0',
       "teardown: all 12 objects destroyed (%zu: these, the layouts, module, pipeline, device, "
       "instance), nothing left at the driver (%s)", destroyed,
       vkw_fake_problem());
    const bool sets = vkw_fake_died_before(VK_OBJECT_TYPE_INDIRECT_EXECUTION_SET_EXT,
                                           VK_OBJECT_TYPE_PIPELINE);
    const bool layouts = vkw_fake_died_before(VK_OBJECT_TYPE_INDIRECT_COMMANDS_LAYOUT_EXT,
                                              VK_OBJECT_TYPE_PIPELINE_LAYOUT);
    const bool shader_objects = vkw_fake_died_before(VK_OBJECT_TYPE_SHADER_EXT,
                                              VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT);
    const bool binaries = vkw_fake_died_before(VK_OBJECT_TYPE_PIPELINE_BINARY_KHR,
                                               VK_OBJECT_TYPE_DEVICE);
    const bool pipeline = vkw_fake_died_before(VK_OBJECT_TYPE_PIPELINE,
                                               VK_OBJECT_TYPE_PIPELINE_LAYOUT);
    ok(sets && layouts && shader_objects && binaries && pipeline,
       "teardown: users before what they name (execution set %d, commands layout %d, shader "
       "objects %d, binaries %d, pipeline %d)", sets, layouts, shader_objects, binaries,
       pipeline);
    close_side(&a, "teardown");
}

static void test_pipeline_binaries(void)
{
    struct side a;
    ok(open_side(&a), "pipeline binaries: a device with a pipeline");
    struct tg_guest *g = &a.g;

    VkPipelineBinaryHandlesInfoKHR count = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR};
    create_binaries(g, &count);
    ok(run(&a) == VKW_RENDERER_OK && decode_binaries(&a, &count) == VK_SUCCESS &&
           count.pipelineBinaryCount == 2 && objects_of(&a) == 8,
       "pipeline binaries: a NULL array asks how many (2), and makes none");

    VkPipelineBinaryKHR one[1] = {VKW_U64_HANDLE(VkPipelineBinaryKHR, BINARY)};
    VkPipelineBinaryHandlesInfoKHR small = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR,
        .pipelineBinaryCount = 1,
        .pPipelineBinaries = one};
    create_binaries(g, &small);
    ok(run(&a) == VKW_RENDERER_OK && decode_binaries(&a, &small) == VK_INCOMPLETE &&
           small.pipelineBinaryCount == 1 && one[0] == VKW_U64_HANDLE(VkPipelineBinaryKHR, BINARY) &&
           objects_of(&a) == 9,
       "pipeline binaries: room for 1 of 2: VK_INCOMPLETE, the one made bound");

    VkPipelineBinaryKHR three[3];
    for (int i = 0; i < 3; i++)
        three[i] = VKW_U64_HANDLE(VkPipelineBinaryKHR, BINARY + 1 + i);
    VkPipelineBinaryHandlesInfoKHR more = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_HANDLES_INFO_KHR,
        .pipelineBinaryCount = 3,
        .pPipelineBinaries = three};
    create_binaries(g, &more);
    ok(run(&a) == VKW_RENDERER_OK && decode_binaries(&a, &more) == VK_SUCCESS &&
           more.pipelineBinaryCount == 2 && three[2] == VK_NULL_HANDLE &&
           three[1] == VKW_U64_HANDLE(VkPipelineBinaryKHR, BINARY + 2) && objects_of(&a) == 11,
       "pipeline binaries: room for 3 of 2: two made and bound, the third id left unbound");

    /* The data: the size, too small a buffer (an error, nothing written,
     * the size needed), the whole. */
    VkPipelineBinaryDataInfoKHR info = {.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_DATA_INFO_KHR,
                                        .pipelineBinary = three[0]};
    VkPipelineBinaryKeyKHR key = {.sType = VK_STRUCTURE_TYPE_PIPELINE_BINARY_KEY_KHR};
    size_t sizes[3] = {0, 20, 48};
    unsigned char data[2][48];
    memset(data, 0xa5, sizeof data);
    vkw_encode_vkGetPipelineBinaryDataKHR(&g->w, ++g->serial, TG_DEVICE(g), &info, &key,
                                          &sizes[0], NULL);
    vkw_encode_vkGetPipelineBinaryDataKHR(&g->w, ++g->serial, TG_DEVICE(g), &info, &key,
                                          &sizes[1], data[0]);
    vkw_encode_vkGetPipelineBinaryDataKHR(&g->w, ++g->serial, TG_DEVICE(g), &info, &key,
                                          &sizes[2], data[1]);
    VkResult r[3] = {VK_ERROR_UNKNOWN, VK_ERROR_UNKNOWN, VK_ERROR_UNKNOWN};
    struct vkw_reader p;
    bool replies = run(&a) == VKW_RENDERER_OK;
    for (int i = 0; i < 3 && replies; i++) {
        replies = next(&a, VKW_CMD_vkGetPipelineBinaryDataKHR, &p);
        if (replies)
            r[i] = vkw_decode_reply_vkGetPipelineBinaryDataKHR(&p, TG_DEVICE(g), &info, &key,
                                                               &sizes[i], i ? data[i - 1] : NULL);
    }
    bool untouched = true, pattern = true;
    for (size_t i = 0; i < 48; i++)
        untouched &= data[0][i] == 0xa5;
    ok(replies && r[0] == VK_SUCCESS && sizes[0] == 48 && r[1] == VK_ERROR_NOT_ENOUGH_SPACE_KHR &&
           sizes[1] == 48 && untouched && r[2] == VK_SUCCESS && sizes[2] == 48 &&
           key.keySize == 4 && memcmp(key.key, "KEY", 3) == 0,
       "pipeline binary data: the size, too small a buffer left untouched "
       "(VK_ERROR_NOT_ENOUGH_SPACE_KHR, 48 needed), the whole with its key");
    /* the driver's data: consecutive bytes from the low byte of its handle */
    for (size_t i = 1; i < 48; i++)
        pattern &= data[1][i] == (unsigned char)(data[1][0] + i);
    ok(pattern, "pipeline binary data: the driver's bytes");

    /* An id of a binary that was not made names nothing. */
    vkw_encode_vkDestroyPipelineBinaryKHR(&g->w, ++g->serial, TG_DEVICE(g), three[0], NULL);
    vkw_encode_vkDestroyPipelineBinaryKHR(&g->w, ++g->serial, TG_DEVICE(g),
                                          VKW_U64_HANDLE(VkPipelineBinaryKHR, BINARY + 3), NULL);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, BINARY + 3) &&
           vkw_fake_live_of_type(VK_OBJECT_TYPE_PIPELINE_BINARY_KHR) == 2,
       "pipeline binaries: the unmade one's id is BAD_HANDLE; the made one was destroyed");
    close_side(&a, "pipeline binaries");

    ok(open_side(&a), "pipeline binaries: another device");
    one[0] = VKW_U64_HANDLE(VkPipelineBinaryKHR, PIPELINE);
    small.pipelineBinaryCount = 1;
    create_binaries(&a.g, &small);
    ok(ended_with(&a, run(&a), VKW_ERROR_ID_IN_USE, PIPELINE) &&
           vkw_fake_live_of_type(VK_OBJECT_TYPE_PIPELINE_BINARY_KHR) == 0,
       "pipeline binaries: a new binary under the pipeline's id is ID_IN_USE; nothing made");
    close_side(&a, "pipeline binaries, ids in use");
}

static void test_shader_binaries(void)
{
    struct side a;
    ok(open_side(&a), "shader binaries: a device");
    struct tg_guest *g = &a.g;
    static const char good[8] = "SPIR-V!", bad[8] = "BAD bin";
    VkShaderCreateInfoEXT sci[2] = {
        {.sType = VK_STRUCTURE_TYPE_SHADER_CREATE_INFO_EXT,
         .stage = VK_SHADER_STAGE_COMPUTE_BIT,
         .codeType = VK_SHADER_CODE_TYPE_SPIRV_EXT,
         .codeSize = sizeof good,
         .pCode = good,
         .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_SHADER_CREATE_INFO_EXT,
         .stage = VK_SHADER_STAGE_COMPUTE_BIT,
         .codeType = VK_SHADER_CODE_TYPE_BINARY_EXT,
         .codeSize = sizeof bad,
         .pCode = bad,
         .pName = "main"}};
    VkShaderEXT shaders[2] = {VKW_U64_HANDLE(VkShaderEXT, SHADER_A),
                              VKW_U64_HANDLE(VkShaderEXT, SHADER_B)};
    vkw_encode_vkCreateShadersEXT(&g->w, ++g->serial, TG_DEVICE(g), 2, sci, NULL, shaders);
    struct vkw_reader p;
    VkResult r = VK_ERROR_UNKNOWN;
    if (run(&a) == VKW_RENDERER_OK && next(&a, VKW_CMD_vkCreateShadersEXT, &p))
        r = vkw_decode_reply_vkCreateShadersEXT(&p, TG_DEVICE(g), 2, sci, NULL, shaders);
    ok(r == VK_INCOMPATIBLE_SHADER_BINARY_EXT && shaders[1] == VK_NULL_HANDLE &&
           shaders[0] == VKW_U64_HANDLE(VkShaderEXT, SHADER_A) && objects_of(&a) == 9,
       "shader binaries: an incompatible binary makes no shader (%d), the other is made", (int)r);

    size_t sizes[3] = {0, 63, 64};
    unsigned char data[2][64];
    memset(data, 0x5a, sizeof data);
    for (int i = 0; i < 3; i++)
        vkw_encode_vkGetShaderBinaryDataEXT(&g->w, ++g->serial, TG_DEVICE(g), shaders[0],
                                            &sizes[i], i ? data[i - 1] : NULL);
    VkResult rs[3] = {VK_ERROR_UNKNOWN, VK_ERROR_UNKNOWN, VK_ERROR_UNKNOWN};
    bool replies = run(&a) == VKW_RENDERER_OK;
    for (int i = 0; i < 3 && replies; i++) {
        replies = next(&a, VKW_CMD_vkGetShaderBinaryDataEXT, &p);
        if (replies)
            rs[i] = vkw_decode_reply_vkGetShaderBinaryDataEXT(&p, TG_DEVICE(g), shaders[0],
                                                              &sizes[i], i ? data[i - 1] : NULL);
    }
    bool untouched = true, pattern = true;
    for (size_t i = 0; i < 64; i++) {
        untouched &= data[0][i] == 0x5a;
        pattern &= i == 0 || data[1][i] == (unsigned char)(data[1][0] + i);
    }
    /* The fake driver leaves the size alone when the buffer is too small:
     * only the all-or-nothing rule keeps its zeroed copy from coming back. */
    ok(replies && rs[0] == VK_SUCCESS && sizes[0] == 64 && rs[1] == VK_INCOMPLETE && untouched &&
           rs[2] == VK_SUCCESS && sizes[2] == 64 && pattern,
       "shader binaries: the size, too small a buffer left untouched (VK_INCOMPLETE), the whole");
    vkw_encode_vkDestroyShaderEXT(&g->w, ++g->serial, TG_DEVICE(g),
                                  VKW_U64_HANDLE(VkShaderEXT, SHADER_B), NULL);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_HANDLE, SHADER_B),
       "shader binaries: the refused shader's id names nothing");
    close_side(&a, "shader binaries");
}

/* 4 x 8 elements: 64 bytes of FLOAT16, 128 of FLOAT32 at the fake driver. */
static VkConvertCooperativeVectorMatrixInfoNV convert_info(size_t *dst_size, const void *src,
                                                           size_t src_size, void *dst)
{
    return (VkConvertCooperativeVectorMatrixInfoNV){
        .sType = VK_STRUCTURE_TYPE_CONVERT_COOPERATIVE_VECTOR_MATRIX_INFO_NV,
        .srcSize = src_size,
        .srcData.hostAddress = src,
        .pDstSize = dst_size,
        .dstData.hostAddress = dst,
        .srcComponentType = VK_COMPONENT_TYPE_FLOAT32_KHR,
        .dstComponentType = VK_COMPONENT_TYPE_FLOAT16_KHR,
        .numRows = 4,
        .numColumns = 8,
        .srcLayout = VK_COOPERATIVE_VECTOR_MATRIX_LAYOUT_ROW_MAJOR_NV,
        .srcStride = 32,
        .dstLayout = VK_COOPERATIVE_VECTOR_MATRIX_LAYOUT_INFERENCING_OPTIMAL_NV};
}

static VkResult convert(struct side *s, const VkConvertCooperativeVectorMatrixInfoNV *info)
{
    vkw_encode_vkConvertCooperativeVectorMatrixNV(&s->g.w, ++s->g.serial, TG_DEVICE(&s->g), info);
    struct vkw_reader p;
    if (run(s) != VKW_RENDERER_OK || !next(s, VKW_CMD_vkConvertCooperativeVectorMatrixNV, &p))
        return VK_ERROR_UNKNOWN;
    const VkResult r = vkw_decode_reply_vkConvertCooperativeVectorMatrixNV(&p, TG_DEVICE(&s->g), info);
    return vkw_reader_ok(&p) ? r : VK_ERROR_UNKNOWN;
}

static void test_cooperative_vectors(void)
{
    struct side a;
    ok(open_side(&a), "cooperative vectors: a device");
    float src[32];
    for (int i = 0; i < 32; i++)
        src[i] = (float)i;
    size_t size = 0;
    VkConvertCooperativeVectorMatrixInfoNV info = convert_info(&size, NULL, 0, NULL);
    ok(convert(&a, &info) == VK_SUCCESS && size == 64,
       "cooperative vectors: the destination's size asked for (64, %zu)", size);
    unsigned char dst[80];
    memset(dst, 0x11, sizeof dst);
    size = 80;
    info = convert_info(&size, src, sizeof src, dst);
    bool written = true;
    const VkResult r = convert(&a, &info);
    for (size_t i = 1; i < 64; i++)
        written &= dst[i] == (unsigned char)(dst[0] + i);
    for (size_t i = 64; i < 80; i++)
        written &= dst[i] == 0x11;
    ok(r == VK_SUCCESS && size == 64 && written,
       "cooperative vectors: converted, the source's bytes in, 64 bytes back");
    memset(dst, 0x11, sizeof dst);
    size = 63;
    info = convert_info(&size, src, sizeof src, dst);
    bool untouched = convert(&a, &info) == VK_INCOMPLETE;
    for (size_t i = 0; i < sizeof dst; i++)
        untouched &= dst[i] == 0x11;
    ok(untouched, "cooperative vectors: too small a destination: VK_INCOMPLETE, nothing written");
    size = 64;
    info = convert_info(&size, src, sizeof src - 4, dst);
    vkw_encode_vkConvertCooperativeVectorMatrixNV(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &info);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_COUNT, sizeof src - 4),
       "cooperative vectors: a source shorter than its layout is BAD_COUNT (its size), before the "
       "driver reads it");
    close_side(&a, "cooperative vectors");

    ok(open_side(&a), "cooperative vectors: another device");
    info = convert_info(&size, NULL, 0, dst);
    vkw_encode_vkConvertCooperativeVectorMatrixNV(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &info);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_POINTER, 0),
       "cooperative vectors: a destination without a source is BAD_POINTER");
    close_side(&a, "cooperative vectors, no source");
}

static void test_pipeline_properties(void)
{
    struct side a;
    ok(open_side(&a), "pipeline properties: a device with a pipeline");
    VkPipelineInfoEXT info = {.sType = VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR,
                              .pipeline = VKW_U64_HANDLE(VkPipeline, PIPELINE)};
    VkPipelinePropertiesIdentifierEXT id = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_PROPERTIES_IDENTIFIER_EXT};
    vkw_encode_vkGetPipelinePropertiesEXT(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &info,
                                          (VkBaseOutStructure *)&id);
    struct vkw_reader p;
    VkResult r = VK_ERROR_UNKNOWN;
    if (run(&a) == VKW_RENDERER_OK && next(&a, VKW_CMD_vkGetPipelinePropertiesEXT, &p))
        r = vkw_decode_reply_vkGetPipelinePropertiesEXT(&p, TG_DEVICE(&a.g), &info,
                                                        (VkBaseOutStructure *)&id);
    bool pattern = true;
    for (uint32_t i = 1; i < VK_UUID_SIZE; i++)
        pattern &= id.pipelineIdentifier[i] == (uint8_t)(id.pipelineIdentifier[0] + i);
    ok(r == VK_SUCCESS && pattern, "pipeline properties: the driver's identifier");
    VkPipelineExecutableInfoKHR other = {.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR};
    vkw_encode_vkGetPipelinePropertiesEXT(&a.g.w, ++a.g.serial, TG_DEVICE(&a.g), &info,
                                          (VkBaseOutStructure *)&other);
    ok(ended_with(&a, run(&a), VKW_ERROR_BAD_STYPE, VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR),
       "pipeline properties: a struct of another sType is BAD_STYPE (the host cannot size it)");
    close_side(&a, "pipeline properties");
}

int main(void)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = vkw_fake_get_instance_proc_addr;
    if (vkw_renderer_create(&o, &renderer) != 0)
        BAIL_OUT("vkw_renderer_create");
    test_teardown_order();
    test_pipeline_binaries();
    test_shader_binaries();
    test_cooperative_vectors();
    test_pipeline_properties();
    vkw_renderer_destroy(renderer);
    return done_testing();
}
