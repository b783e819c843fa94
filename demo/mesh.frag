// Lambert shading: a key light, a dimmer fill light from the other side,
// and some ambient, on one albedo.  No texture, no randomness: the same
// driver gives the same pixels, natively or through vkwire.
#version 450

layout(location = 0) in vec3 world_normal;
layout(location = 0) out vec4 color;

const vec3 albedo = vec3(0.90, 0.55, 0.20);
const vec3 key_dir = vec3(0.48, 0.64, 0.60);     // towards the key light (unit length)
const vec3 fill_dir = vec3(-0.60, 0.00, 0.80);  // towards the fill light (unit length)

void main()
{
    vec3 n = normalize(world_normal);
    float light = 0.15 + 0.75 * max(dot(n, key_dir), 0.0) + 0.25 * max(dot(n, fill_dir), 0.0);
    color = vec4(min(albedo * light, vec3(1.0)), 1.0);
}
