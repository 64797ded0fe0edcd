#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <stdexcept>

namespace ecf::testing {

// Runs one coroutine to its end on `io`, bounded in time; rethrows what it throws.
template <typename T>
T run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<T> work,
                std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto result = boost::asio::co_spawn(io, std::move(work), boost::asio::use_future);
    io.restart();
    io.run_for(limit);
    if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        throw std::runtime_error("the coroutine did not finish in time");
    return result.get();
}

}  // namespace ecf::testing
