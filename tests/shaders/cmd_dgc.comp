// Device-generated commands: out[slot] = value * MULTIPLIER, the slot and
// the value from push constants a command sequence set; MULTIPLIER tells
// which pipeline of the execution set ran.
#version 450

layout(local_size_x = 1) in;
layout(constant_id = 0) const uint MULTIPLIER = 1u;

layout(push_constant) uniform Sequence {
    uint slot;
    uint value;
} s;

layout(std430, set = 0, binding = 0) buffer Out { uint o[]; };

void main()
{
    o[s.slot] = s.value * MULTIPLIER + gl_WorkGroupID.x * 1000u;
}
