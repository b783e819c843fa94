// VK_EXT_mutable_descriptor_type: binding 0 read as a uniform buffer.
// out[i] = 2 * u[i].
#version 450

layout(local_size_x = 16) in;

layout(std140, set = 0, binding = 0) uniform In { uvec4 u[4]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint o[16]; };

void main()
{
    uint i = gl_LocalInvocationIndex;
    o[i] = 2u * u[i / 4u][i % 4u];
}
