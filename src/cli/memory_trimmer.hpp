#pragma once

#include <spdlog/logger.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace ecf::cli {

// Gives memory back to the system after a burst. glibc's allocator keeps freed memory for reuse,
// so after 2,000 requests at once the process would stay at its peak for good; once a burst is
// over (`activity` changed since the last look, and has not changed since), the trimmer calls
// malloc_trim once and logs what it gave back. Checks every `interval` on `io`.
class MemoryTrimmer {
  public:
    MemoryTrimmer(boost::asio::io_context& io, std::chrono::milliseconds interval,
                  std::function<std::uint64_t()> activity, std::shared_ptr<spdlog::logger> logger);

    void start();
    void stop();

  private:
    void schedule();
    void tick();

    boost::asio::steady_timer timer_;
    std::chrono::milliseconds interval_;
    std::function<std::uint64_t()> activity_;
    std::shared_ptr<spdlog::logger> logger_;
    std::uint64_t last_activity_ = 0;
    bool busy_since_trim_ = false;
};

}  // namespace ecf::cli
