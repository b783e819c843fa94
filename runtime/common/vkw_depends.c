/* vkw_depends — see vkw_depends.h. */
#include "vkw_depends.h"

#include <string.h>

struct parse {
    const char *at;
    uint32_t api_version;
    vkw_has_extension_fn has_extension;
    void *user;
    bool bad;
};

static bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == ':';
}

static bool name_holds(struct parse *p, const char *name, size_t length)
{
    if (memchr(name, ':', length))
        return true; /* a feature: the device's to have */
    static const char version[] = "VK_VERSION_";
    const size_t prefix = sizeof(version) - 1;
    if (length > prefix && strncmp(name, version, prefix) == 0) {
        unsigned major = 0, minor = 0;
        size_t i = prefix;
        while (i < length && name[i] >= '0' && name[i] <= '9')
            major = major * 10 + (unsigned)(name[i++] - '0');
        if (i >= length || name[i++] != '_') {
            p->bad = true;
            return false;
        }
        while (i < length && name[i] >= '0' && name[i] <= '9')
            minor = minor * 10 + (unsigned)(name[i++] - '0');
        /* VK_MAKE_API_VERSION(0, major, minor, 0), compared without the patch */
        const uint32_t want = (major << 22) | (minor << 12);
        return (p->api_version & ~0xfffu) >= want;
    }
    return p->has_extension(p->user, name, length);
}

static bool expression(struct parse *p);

static bool term(struct parse *p)
{
    if (*p->at == '(') {
        p->at++;
        bool v = expression(p);
        if (*p->at != ')')
            p->bad = true;
        else
            p->at++;
        return v;
    }
    const char *start = p->at;
    while (is_name_char(*p->at))
        p->at++;
    if (p->at == start) {
        p->bad = true;
        return false;
    }
    return name_holds(p, start, (size_t)(p->at - start));
}

static bool expression(struct parse *p)
{
    bool v = term(p);
    while (!p->bad && (*p->at == '+' || *p->at == ',')) {
        const char op = *p->at++;
        const bool right = term(p); /* evaluated either way: the whole text is checked */
        v = op == '+' ? (v && right) : (v || right);
    }
    return v;
}

bool vkw_depends_hold(const char *expr, uint32_t api_version, vkw_has_extension_fn has_extension,
                      void *user)
{
    struct parse p = {expr ? expr : "", api_version, has_extension, user, false};
    const bool v = expression(&p);
    return v && !p.bad && *p.at == '\0';
}
