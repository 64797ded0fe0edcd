#include "async_execution/result_wait.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"

namespace ecf::async_execution {

namespace asio = boost::asio;

namespace {

using Signal = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

// Signals a channel of the waiting coroutine's frame; thread-safe and never blocks.
class ChannelWaiter final : public CompletionWaiter {
  public:
    explicit ChannelWaiter(Signal& signal) : signal_(signal) {}
    void done() override { signal_.try_send(boost::system::error_code{}); }

  private:
    Signal& signal_;
};

}  // namespace

// GCC 12 warns of a mismatched operator delete on coroutine frames that asio allocates with its
// own pair of operators: a known false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<std::optional<AsyncView>> wait_for_result(AsyncResultStore& store, std::string id,
                                                          OwnerDigest owner,
                                                          std::chrono::milliseconds wait) {
    using namespace asio::experimental::awaitable_operators;
    auto executor = co_await asio::this_coro::executor;
    Signal signal(executor, 1);
    ChannelWaiter waiter(signal);
    switch (store.add_waiter(id, owner, waiter)) {
        case AsyncResultStore::Watch::NotFound:
            co_return std::nullopt;
        case AsyncResultStore::Watch::Finished:
            co_return store.find(id, owner);
        case AsyncResultStore::Watch::TooManyWaiters:
            throw Error(ErrorKind::TooManyRequests, "too many results awaited at once",
                        std::chrono::seconds(1));
        case AsyncResultStore::Watch::Waiting:
            break;
    }
    // Removed before the signal goes, however this ends (cancellation included).
    struct Registration {
        AsyncResultStore& store;
        const std::string& id;
        ChannelWaiter& waiter;
        ~Registration() { store.remove_waiter(id, waiter); }
    } registration{store, id, waiter};
    asio::steady_timer timer(executor, wait);
    co_await (signal.async_receive(asio::as_tuple(asio::use_awaitable)) ||
              timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    co_return store.find(id, owner);
}
#pragma GCC diagnostic pop

}  // namespace ecf::async_execution
