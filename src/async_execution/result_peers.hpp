#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "async_execution/async_result_store.hpp"

namespace ecf::async_execution {

// The other ECF instances of a deployment (several instances on one RabbitMQ): an asynchronous
// execution's result is kept by the instance that accepted it, and the others ask it.
class ResultPeers {
  public:
    virtual ~ResultPeers() = default;

    // True when `id` was accepted by another instance (its result is kept there, not here).
    virtual bool held_elsewhere(const std::string& id) const = 0;

    // Asks that instance what `owner` sees of `id`, waiting there up to `wait` for it to finish
    // (a long poll). nullopt: unknown to it (or it is gone), expired, or another user's. Throws
    // ecf::Error: Unavailable (it does not answer, the broker is unreachable), TooManyRequests.
    virtual boost::asio::awaitable<std::optional<AsyncView>> ask(
        const std::string& id, const OwnerDigest& owner, std::chrono::milliseconds wait) = 0;
};

// What `owner` sees of the execution `id`, wherever its result is kept: this instance's store,
// or (with `peers`, an id another instance accepted) that instance. Waits up to `wait` for it to
// finish. nullopt: unknown, expired or another user's, alike.
boost::asio::awaitable<std::optional<AsyncView>> find_result(AsyncResultStore& store,
                                                             ResultPeers* peers, std::string id,
                                                             OwnerDigest owner,
                                                             std::chrono::milliseconds wait);

}  // namespace ecf::async_execution
