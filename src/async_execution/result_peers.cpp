#include "async_execution/result_peers.hpp"

#include "async_execution/result_wait.hpp"

namespace ecf::async_execution {

// GCC 12 warns of a mismatched operator delete on coroutine frames that asio allocates with its
// own pair of operators: a known false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
boost::asio::awaitable<std::optional<AsyncView>> find_result(AsyncResultStore& store,
                                                             ResultPeers* peers, std::string id,
                                                             OwnerDigest owner,
                                                             std::chrono::milliseconds wait) {
    if (peers && peers->held_elsewhere(id)) co_return co_await peers->ask(id, owner, wait);
    if (wait.count() > 0) co_return co_await wait_for_result(store, std::move(id), owner, wait);
    co_return store.find(id, owner);
}
#pragma GCC diagnostic pop

}  // namespace ecf::async_execution
