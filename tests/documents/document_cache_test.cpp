#include "documents/document_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/manual_clock.hpp"
#include "documents/run_awaitable.hpp"

namespace ecf::documents {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::run_awaitable;

// Counts calls; answers after `delay`; fails with NotFound for id 404 and Unauthorized for
// a password other than "right".
class CountingSource : public DocumentSource {
  public:
    explicit CountingSource(std::chrono::milliseconds delay = 0ms) : delay_(delay) {}

    asio::awaitable<Document> fetch(const Credentials& credentials, std::int64_t id) override {
        const Credentials copy = credentials;
        ++calls;
        if (delay_.count() > 0) {
            asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
            co_await timer.async_wait(asio::use_awaitable);
        }
        if (id == 404) throw Error(ErrorKind::NotFound, "no such document");
        if (copy.password != "right") throw Error(ErrorKind::Unauthorized, "bad password");
        Document document;
        document.id = id;
        document.uname = copy.user;
        document.name = "call " + std::to_string(calls.load());
        co_return document;
    }

    std::atomic<int> calls{0};

  private:
    std::chrono::milliseconds delay_;
};

const Credentials kAlice{"alice", "right"};

TEST(DocumentCache, SecondFetchIsAHit) {
    asio::io_context io;
    auto source = std::make_shared<CountingSource>();
    DocumentCache cache(source, 10s, 100);
    const auto first = run_awaitable(io, cache.fetch(kAlice, 39));
    const auto second = run_awaitable(io, cache.fetch(kAlice, 39));
    EXPECT_EQ(source->calls, 1);
    EXPECT_EQ(first.name, second.name);
    EXPECT_EQ(second.id, 39);
    run_awaitable(io, cache.fetch(kAlice, 40));
    EXPECT_EQ(source->calls, 2);
}

TEST(DocumentCache, FetchNowGivesOnlyAFreshEntryOfTheSameCredentials) {
    asio::io_context io;
    auto source = std::make_shared<CountingSource>();
    DocumentCache cache(source, 10s, 100);
    EXPECT_FALSE(cache.fetch_now(kAlice, 39));  // nothing yet, and nothing read for it
    EXPECT_EQ(source->calls, 0);
    EXPECT_EQ(cache.hits(), 0u);
    run_awaitable(io, cache.fetch(kAlice, 39));
    const auto now = cache.fetch_now(kAlice, 39);
    ASSERT_TRUE(now);
    EXPECT_EQ(now->id, 39);
    EXPECT_EQ(cache.hits(), 1u);
    EXPECT_EQ(source->calls, 1);
    // Another password never gets what the right one fetched.
    Credentials wrong = kAlice;
    wrong.password = "not-alice-pw";
    EXPECT_FALSE(cache.fetch_now(wrong, 39));
    DocumentCache uncached(source, 0ms, 100);
    run_awaitable(io, uncached.fetch(kAlice, 39));
    EXPECT_FALSE(uncached.fetch_now(kAlice, 39));
}

TEST(DocumentCache, EntriesExpire) {
    asio::io_context io;
    auto source = std::make_shared<CountingSource>();
    testing::ManualClock clock;
    DocumentCache cache(source, 50ms, 100, clock.now());
    run_awaitable(io, cache.fetch(kAlice, 39));
    clock.advance(49ms);
    run_awaitable(io, cache.fetch(kAlice, 39));
    EXPECT_EQ(source->calls, 1);
    clock.advance(1ms);
    run_awaitable(io, cache.fetch(kAlice, 39));
    EXPECT_EQ(source->calls, 2);
}

TEST(DocumentCache, ZeroLifetimeDisablesCaching) {
    asio::io_context io;
    auto source = std::make_shared<CountingSource>();
    DocumentCache cache(source, 0ms, 100);
    run_awaitable(io, cache.fetch(kAlice, 39));
    run_awaitable(io, cache.fetch(kAlice, 39));
    EXPECT_EQ(source->calls, 2);
    EXPECT_EQ(cache.size(), 0u);
}

TEST(DocumentCache, BoundEvictsTheOldest) {
    asio::io_context io;
    auto source = std::make_shared<CountingSource>();
    DocumentCache cache(source, 10s, 3);
    for (int id = 1; id <= 5; ++id) run_awaitable(io, cache.fetch(kAlice, id));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(source->calls, 5);
    run_awaitable(io, cache.fetch(kAlice, 5));  // still there
    EXPECT_EQ(source->calls, 5);
    run_awaitable(io, cache.fetch(kAlice, 1));  // evicted
    EXPECT_EQ(source->calls, 6);
    EXPECT_EQ(cache.size(), 3u);
}

TEST(DocumentCache, DifferentPasswordsDoNotShareEntries) {
    asio::io_context io;
    auto source = std::make_shared<CountingSource>();
    DocumentCache cache(source, 10s, 100);
    run_awaitable(io, cache.fetch(kAlice, 39));
    EXPECT_THROW(run_awaitable(io, cache.fetch(Credentials{"alice", "wrong"}, 39)), Error);
    EXPECT_EQ(source->calls, 2);
    // Another user with the right password does not get alice's entry either.
    const auto bob = run_awaitable(io, cache.fetch(Credentials{"bob", "right"}, 39));
    EXPECT_EQ(bob.uname, "bob");
    EXPECT_EQ(source->calls, 3);
}

TEST(DocumentCache, ErrorsAreNotCached) {
    asio::io_context io;
    auto source = std::make_shared<CountingSource>();
    DocumentCache cache(source, 10s, 100);
    for (int i = 0; i < 2; ++i) {
        try {
            run_awaitable(io, cache.fetch(kAlice, 404));
            FAIL() << "no error";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::NotFound);
        }
    }
    EXPECT_EQ(source->calls, 2);
    EXPECT_EQ(cache.size(), 0u);
}

// Many concurrent misses of one key, on several threads, make one call; every caller gets the
// answer (or the error).
TEST(DocumentCache, ConcurrentMissesShareOneCall) {
    for (const std::int64_t id : {std::int64_t{39}, std::int64_t{404}}) {
        asio::thread_pool pool(4);
        auto source = std::make_shared<CountingSource>(200ms);
        auto cache = std::make_shared<DocumentCache>(source, 10s, 100);
        std::vector<std::future<Document>> results;
        for (int i = 0; i < 50; ++i) {
            results.push_back(
                asio::co_spawn(pool.get_executor(), cache->fetch(kAlice, id), asio::use_future));
        }
        int ok = 0;
        int failed = 0;
        for (auto& result : results) {
            ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
            try {
                EXPECT_EQ(result.get().id, id);
                ++ok;
            } catch (const Error& e) {
                EXPECT_EQ(e.kind(), ErrorKind::NotFound);
                ++failed;
            }
        }
        EXPECT_EQ(source->calls, 1) << id;
        EXPECT_EQ(ok + failed, 50);
        EXPECT_EQ(id == 404 ? failed : ok, 50);
        pool.join();
    }
}

// The first caller giving up (its other read failed, or its deadline passed) must not fail the
// callers that share its flight.
TEST(DocumentCache, FirstCallerCancelledDoesNotFailTheOthers) {
    using namespace asio::experimental::awaitable_operators;
    asio::thread_pool pool(2);
    auto source = std::make_shared<CountingSource>(300ms);
    DocumentCache cache(source, 10s, 100);
    auto impatient = [&]() -> asio::awaitable<bool> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
        auto result = co_await (cache.fetch(kAlice, 39) || timer.async_wait(asio::use_awaitable));
        co_return result.index() == 0;
    };
    auto first = asio::co_spawn(pool.get_executor(), impatient(), asio::use_future);
    // The second joins the flight the first started (bounded wait for it to start).
    for (int i = 0; i < 5000 && source->calls.load() == 0; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(source->calls.load(), 1);
    auto second = asio::co_spawn(pool.get_executor(), cache.fetch(kAlice, 39), asio::use_future);
    ASSERT_EQ(first.wait_for(10s), std::future_status::ready);
    ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
    first.get();
    EXPECT_EQ(second.get().id, 39);
    EXPECT_EQ(source->calls, 1);
    pool.join();
}

// A waiter whose caller gives up leaves at once: the execution's deadline, or a failed read of
// its other document, must not wait for a slow OpenNebula.
TEST(DocumentCache, CancelledWaiterLeavesBeforeTheSourceAnswers) {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context io;
    auto source = std::make_shared<CountingSource>(60s);
    DocumentCache cache(source, 10s, 100);
    auto impatient = [&]() -> asio::awaitable<std::size_t> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
        auto result = co_await (cache.fetch(kAlice, 39) || timer.async_wait(asio::use_awaitable));
        co_return result.index();
    };
    auto done = asio::co_spawn(io, impatient(), asio::use_future);
    // Bounded: 200 turns of at most 50 ms, far less than the source's 60 s.
    for (int turn = 0; turn < 200 && done.wait_for(0s) != std::future_status::ready; ++turn) {
        io.run_one_for(50ms);
    }
    ASSERT_EQ(done.wait_for(0s), std::future_status::ready);
    EXPECT_EQ(done.get(), 1u);
    EXPECT_EQ(source->calls, 1);
}

TEST(DocumentCache, SingleFlightAlsoWithoutCaching) {
    asio::thread_pool pool(2);
    auto source = std::make_shared<CountingSource>(200ms);
    DocumentCache cache(source, 0ms, 100);
    auto a = asio::co_spawn(pool.get_executor(), cache.fetch(kAlice, 39), asio::use_future);
    auto b = asio::co_spawn(pool.get_executor(), cache.fetch(kAlice, 39), asio::use_future);
    ASSERT_EQ(a.wait_for(10s), std::future_status::ready);
    ASSERT_EQ(b.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(a.get().id, 39);
    EXPECT_EQ(b.get().id, 39);
    EXPECT_EQ(source->calls, 1);
    pool.join();
}

}  // namespace
}  // namespace ecf::documents
