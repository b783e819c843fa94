// Sums src[] (one element per invocation) into totals[0] and counts the
// invocations in totals[1], with atomics; every work group also stores its
// own sum, built in shared memory, in totals[2 + group].  Dispatched
// indirectly: the group count comes from a buffer.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, set = 0, binding = 1) buffer Totals { uint totals[]; };

shared uint group_sum;

void main()
{
    if (gl_LocalInvocationIndex == 0)
        group_sum = 0u;
    barrier();
    uint v = src[gl_GlobalInvocationID.x];
    atomicAdd(group_sum, v);
    atomicAdd(totals[0], v);
    atomicAdd(totals[1], 1u);
    barrier();
    if (gl_LocalInvocationIndex == 0)
        totals[2 + gl_WorkGroupID.x] = group_sum;
}
