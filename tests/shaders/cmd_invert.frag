// The second subpass: reads the first subpass's colour as an input
// attachment and writes its complement.
#version 450

layout(input_attachment_index = 0, set = 0, binding = 0) uniform subpassInput scene;
layout(location = 0) out vec4 colour;

void main()
{
    colour = vec4(1.0 - subpassLoad(scene).rgb, 1.0);
}
