// VK_EXT_mutable_descriptor_type: binding 0 read as a storage buffer.
// out[i] = a[i] + 1000.
#version 450

layout(local_size_x = 16) in;

layout(std430, set = 0, binding = 0) readonly buffer In { uint a[16]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint o[16]; };

void main()
{
    uint i = gl_LocalInvocationIndex;
    o[i] = a[i] + 1000u;
}
