// VK_EXT_mutable_descriptor_type: binding 0 read as a uniform texel buffer
// (R32_UINT).  out[i] = 3 * t[i] + 1.  A texture buffer fetched without a
// sampler: a sampled-image type of buffer dimension is what SPIR-V tools
// warn about.
#version 450
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x = 16) in;

layout(set = 0, binding = 0) uniform utextureBuffer t;
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint o[16]; };

void main()
{
    uint i = gl_LocalInvocationIndex;
    o[i] = 3u * texelFetch(t, int(i)).r + 1u;
}
