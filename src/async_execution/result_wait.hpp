#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "async_execution/async_result_store.hpp"

namespace ecf::async_execution {

// Waits until the execution `id` of `owner` finishes, `wait` passes or the store closes (the
// server drains), whichever comes first, and answers what the owner sees of it then (nullopt:
// unknown, expired or another user's). No thread and no polling: the store wakes the waiter.
// Throws ecf::Error TooManyRequests when the store's bound on long polls is reached.
boost::asio::awaitable<std::optional<AsyncView>> wait_for_result(AsyncResultStore& store,
                                                                 std::string id, OwnerDigest owner,
                                                                 std::chrono::milliseconds wait);

}  // namespace ecf::async_execution
