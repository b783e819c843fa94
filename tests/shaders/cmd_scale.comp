// dst[i] = src[i] * MULTIPLIER + bias, for i < count.
// Two specialisation constants make two pipelines of one module: the
// multiplier (constant_id 0) and the work-group size (constant_id 1).
// The input and the output live in two descriptor sets, so that a test can
// rebind one set and keep the other.  gl_GlobalInvocationID includes the
// base work group of vkCmdDispatchBase.
#version 450

layout(local_size_x_id = 1) in;
layout(constant_id = 0) const uint MULTIPLIER = 1u;

layout(push_constant) uniform Params {
    uint bias;
    uint count;
} p;

layout(std430, set = 0, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, set = 1, binding = 0) writeonly buffer Dst { uint dst[]; };

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i < p.count)
        dst[i] = src[i] * MULTIPLIER + p.bias;
}
