// green.h must compile as C++ (pedantic, C++11) and link from C++ code.
#include <green.h>

#include <cstdint>
#include <cstdio>

static void *twice(void *arg)
{
    green_yield();
    return reinterpret_cast<void *>(2 * reinterpret_cast<std::intptr_t>(arg));
}

int main()
{
    green_attr_t attr = {};
    attr.name = "cxx";
    green_t t = green_spawn(twice, reinterpret_cast<void *>(21), &attr);
    void *r = nullptr;
    if (!t || green_join(t, &r, GREEN_NEVER) != 0)
        return 1;
    std::printf("%ld\n", static_cast<long>(reinterpret_cast<std::intptr_t>(r)));
    return reinterpret_cast<std::intptr_t>(r) == 42 ? 0 : 1;
}
