#include "http/descriptor_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace ecf::http {

std::size_t raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        // An unlimited hard limit cannot be the soft one (the kernel caps it at fs.nr_open):
        // then keep what we have.
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    return limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20
                                           : static_cast<std::size_t>(limit.rlim_cur);
}

std::size_t connection_limit(std::size_t configured, std::size_t descriptors) {
    const std::size_t headroom = std::min<std::size_t>(256, descriptors / 4);
    const std::size_t usable = descriptors > headroom ? descriptors - headroom : 1;
    return std::max<std::size_t>(1, std::min(configured, usable));
}

}  // namespace ecf::http
