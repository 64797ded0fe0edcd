#include "documents/document_cache.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace ecf::documents {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Signature = void(std::exception_ptr, Document);

namespace {

// The password is only kept hashed: a memory dump of the cache shows no passwords.
std::string key_of(const Credentials& credentials, std::int64_t id) {
    std::string key = credentials.user;
    key += '\0';
    const auto digest = sha256(credentials.password);
    key.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    key += std::to_string(id);
    return key;
}

}  // namespace

// One call to the source that several fetches wait for.
struct Flight {
    bool done = false;
    std::exception_ptr error;
    Document document;
    struct Waiter {
        std::uint64_t id = 0;            // to find it again when its caller gives up
        asio::any_io_executor executor;  // the waiting coroutine's own
        asio::any_completion_handler<Signature> handler;
    };
    std::uint64_t next_waiter_id = 0;
    // A list: a waiter leaving from the middle moves no other one. (Boost 1.81's
    // any_completion_handler move assignment copies its source into itself and recurses.)
    std::list<Waiter> waiters;
};

struct DocumentCache::State {
    std::shared_ptr<DocumentSource> source;
    std::chrono::milliseconds ttl;
    std::size_t max_entries;
    SteadyNow now;

    struct Entry {
        Document document;
        Clock::time_point expires;
        std::list<std::string>::iterator position;
    };

    mutable std::mutex mutex;
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};
    std::unordered_map<std::string, Entry> entries;
    std::list<std::string> order;  // oldest first; every entry has the same lifetime
    std::unordered_map<std::string, std::shared_ptr<Flight>> flights;

    bool caching() const { return ttl.count() > 0 && max_entries > 0; }

    // Under the mutex. The entry of `key` while it is fresh, counted as a hit; an expired one
    // goes (nothing counted: the caller decides what a miss is).
    std::optional<Document> fresh(const std::string& key) {
        if (!caching()) return std::nullopt;
        auto it = entries.find(key);
        if (it == entries.end()) return std::nullopt;
        if (it->second.expires <= now()) {
            erase(it);
            return std::nullopt;
        }
        hits.fetch_add(1, std::memory_order_relaxed);
        return it->second.document;
    }

    // Under the mutex.
    void erase(std::unordered_map<std::string, Entry>::iterator it) {
        order.erase(it->second.position);
        entries.erase(it);
    }

    // Under the mutex.
    void insert(const std::string& key, const Document& document) {
        if (auto it = entries.find(key); it != entries.end()) erase(it);
        while (entries.size() >= max_entries && !order.empty()) erase(entries.find(order.front()));
        order.push_back(key);
        entries.emplace(key, Entry{document, now() + ttl, std::prev(order.end())});
    }

    // Runs the waiter on its own executor, never inside the flight's call stack (nor inside a
    // cancellation signal's emit).
    static void complete(Flight::Waiter waiter, std::exception_ptr error, Document document) {
        auto executor = waiter.executor;
        asio::post(executor, [handler = std::move(waiter.handler), error,
                              document = std::move(document)]() mutable {
            std::move(handler)(error, std::move(document));
        });
    }

    // Asks the source once and hands the answer to every waiter of `flight`.
    static asio::awaitable<void> fly(std::shared_ptr<State> state, std::shared_ptr<Flight> flight,
                                     std::string key, Credentials session, std::int64_t id) {
        std::exception_ptr error;
        Document document;
        try {
            document = co_await state->source->fetch(session, id);
        } catch (...) {
            error = std::current_exception();
        }
        std::list<Flight::Waiter> waiters;
        {
            std::lock_guard lock(state->mutex);
            state->flights.erase(key);
            if (!error && state->caching()) state->insert(key, document);
            flight->done = true;
            flight->error = error;
            if (!error) flight->document = document;
            waiters.swap(flight->waiters);
        }
        for (auto& waiter : waiters) complete(std::move(waiter), error, document);
    }

    // Suspends until `flight` lands; fly() completes every waiter on its own executor. A waiter
    // whose caller is cancelled (its deadline passed, its other document read failed) leaves at
    // once with operation_aborted; the flight goes on for the others and for the cache.
    // As asio's own operations do, the cancellation handler stays in the slot after completion
    // (the next operation replaces it); it holds only weak references, and finds no waiter then.
    static asio::awaitable<Document> wait(std::shared_ptr<State> self,
                                          std::shared_ptr<Flight> flight) {
        return asio::async_initiate<decltype(asio::use_awaitable), Signature>(
            [self, flight](auto handler) {
                auto slot = asio::get_associated_cancellation_slot(handler);
                Flight::Waiter waiter{0, asio::get_associated_executor(handler),
                                      std::move(handler)};
                std::unique_lock lock(self->mutex);
                if (flight->done) {
                    auto error = flight->error;
                    auto document = flight->document;
                    lock.unlock();
                    complete(std::move(waiter), error, std::move(document));
                    return;
                }
                waiter.id = ++flight->next_waiter_id;
                if (slot.is_connected()) {
                    slot.assign([weak_self = std::weak_ptr<State>(self),
                                 weak_flight = std::weak_ptr<Flight>(flight),
                                 id = waiter.id](asio::cancellation_type type) {
                        // Leaving a wait has no side effect: every kind of cancellation may.
                        if (type == asio::cancellation_type::none) return;
                        auto state = weak_self.lock();
                        auto flight = weak_flight.lock();
                        if (state && flight) state->abandon(flight, id);
                    });
                }
                flight->waiters.push_back(std::move(waiter));
            },
            asio::use_awaitable);
    }

    // Completes waiter `id` of `flight` with operation_aborted, unless fly() took it already.
    void abandon(const std::shared_ptr<Flight>& flight, std::uint64_t id) {
        std::unique_lock lock(mutex);
        auto it = std::find_if(flight->waiters.begin(), flight->waiters.end(),
                               [id](const Flight::Waiter& w) { return w.id == id; });
        if (it == flight->waiters.end()) return;
        Flight::Waiter waiter = std::move(*it);
        flight->waiters.erase(it);
        lock.unlock();
        complete(
            std::move(waiter),
            std::make_exception_ptr(boost::system::system_error(asio::error::operation_aborted)),
            Document{});
    }
};

DocumentCache::DocumentCache(std::shared_ptr<DocumentSource> source, std::chrono::milliseconds ttl,
                             std::size_t max_entries, SteadyNow now)
    : state_(std::make_shared<State>()) {
    state_->source = std::move(source);
    state_->ttl = ttl;
    state_->max_entries = max_entries;
    state_->now = steady_now_or_clock(std::move(now));
}

DocumentCache::~DocumentCache() = default;

std::size_t DocumentCache::size() const {
    std::lock_guard lock(state_->mutex);
    return state_->entries.size();
}

void DocumentCache::set_limits(std::chrono::milliseconds ttl, std::size_t max_entries) {
    std::lock_guard lock(state_->mutex);
    state_->ttl = ttl;
    state_->max_entries = max_entries;
    while (state_->entries.size() > max_entries && !state_->order.empty()) {
        state_->erase(state_->entries.find(state_->order.front()));
    }
}

std::uint64_t DocumentCache::hits() const {
    return state_->hits.load(std::memory_order_relaxed);
}

std::uint64_t DocumentCache::misses() const {
    return state_->misses.load(std::memory_order_relaxed);
}

std::optional<Document> DocumentCache::fetch_now(const Credentials& credentials, std::int64_t id) {
    const auto key = key_of(credentials, id);
    std::lock_guard lock(state_->mutex);
    return state_->fresh(key);
}

asio::awaitable<Document> DocumentCache::fetch(const Credentials& credentials, std::int64_t id) {
    auto state = state_;
    const Credentials session = credentials;
    const auto key = key_of(session, id);

    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
        std::lock_guard lock(state->mutex);
        if (auto hit = state->fresh(key)) co_return std::move(*hit);
        state->misses.fetch_add(1, std::memory_order_relaxed);
        auto& slot = state->flights[key];
        if (!slot) {
            slot = std::make_shared<Flight>();
            leader = true;
        }
        flight = slot;
    }
    if (leader) {
        // The call runs in a coroutine of its own: if the first caller is cancelled (say its
        // other document read failed), the callers sharing the flight still get the answer.
        asio::co_spawn(co_await asio::this_coro::executor,
                       State::fly(state, flight, key, session, id), asio::detached);
    }
    co_return co_await State::wait(state, flight);
}

}  // namespace ecf::documents
