// Descriptor buffers (VK_EXT_descriptor_buffer): every descriptor this reads
// lies in buffer memory the application wrote.
//   set 0: dst[i] = src[i] * mul + add (two storage buffers and a uniform
//          buffer), plus
//   set 1: the red of texel (i % 4, i / 4 % 4) of a combined image sampler,
//   set 2: an embedded immutable sampler and
//   set 3: a sampled image it samples at the same texel: its green.
#version 450

layout(local_size_x = 64) in;

layout(set = 0, binding = 0) readonly buffer Src { uint src[]; };
layout(set = 0, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(set = 0, binding = 2) uniform Params { uint mul; uint add; uint count; };
layout(set = 1, binding = 0) uniform sampler2D combined;
layout(set = 2, binding = 0) uniform sampler embedded;
layout(set = 3, binding = 0) uniform texture2D image;

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= count)
        return;
    ivec2 at = ivec2(i % 4u, (i / 4u) % 4u);
    uint red = uint(texelFetch(combined, at, 0).r * 255.0 + 0.5);
    uint green = uint(texelFetch(sampler2D(image, embedded), at, 0).g * 255.0 + 0.5);
    dst[i] = src[i] * mul + add + red + green;
}
