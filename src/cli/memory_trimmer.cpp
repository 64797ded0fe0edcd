#include "cli/memory_trimmer.hpp"

#include <malloc.h>

#include <fstream>
#include <string>

namespace ecf::cli {
namespace {

// The resident set of this process in KiB (0 when /proc cannot tell).
std::uint64_t resident_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    }
    return 0;
}

}  // namespace

MemoryTrimmer::MemoryTrimmer(boost::asio::io_context& io, std::chrono::milliseconds interval,
                             std::function<std::uint64_t()> activity,
                             std::shared_ptr<spdlog::logger> logger)
    : timer_(io), interval_(interval), activity_(std::move(activity)), logger_(std::move(logger)) {}

void MemoryTrimmer::start() {
    last_activity_ = activity_();
    schedule();
}

void MemoryTrimmer::schedule() {
    timer_.expires_after(interval_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) tick();
    });
}

void MemoryTrimmer::stop() {
    timer_.cancel();
}

void MemoryTrimmer::tick() {
    const auto activity = activity_();
    if (activity != last_activity_) {
        busy_since_trim_ = true;
        last_activity_ = activity;
    } else if (busy_since_trim_) {
        // Quiet for a whole interval after a busy one: the burst is over.
        busy_since_trim_ = false;
        const auto before = resident_kib();
        ::malloc_trim(0);
        const auto after = resident_kib();
        logger_->info("memory trimmed after a burst: resident {} KiB -> {} KiB", before, after);
    }
    schedule();
}

}  // namespace ecf::cli
