// counter[0] += 1 per invocation, counter[1] += value: with atomics, so
// that every execution of a command buffer shows in the totals.
#version 450

layout(local_size_x = 64) in;

layout(push_constant) uniform Params { uint value; } p;

layout(std430, set = 0, binding = 0) buffer Counter { uint counter[2]; };

void main()
{
    atomicAdd(counter[0], 1u);
    atomicAdd(counter[1], p.value);
}
