#include "broker/amqp_execution_broker.hpp"

#include <amqp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>

#include "broker/broker_admission.hpp"
#include "broker/broker_session.hpp"
#include "broker/execution_waiter.hpp"
#include "broker/peer_asks.hpp"
#include "broker/random_name.hpp"
#include "broker/request_id_tag.hpp"
#include "broker/result_router.hpp"
#include "broker/results_exchange.hpp"
#include "broker/waiting_slots.hpp"
#include "core/error.hpp"

namespace ecf::broker {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxEventsPerRound = 1024;
constexpr std::size_t kMaxQueueName = 255;  // AMQP short string
// A flavour queue unused this long is no longer watched for consumers.
constexpr std::chrono::minutes kForgetFlavourAfter{1};
// A lost connection is re-established at once (no backoff) at most this often.
constexpr std::chrono::seconds kAtOnceRetryInterval{1};
// Tags drawn at most when the result queue of each is another instance's.
constexpr int kMaxTagDraws = 8;
// Questions to other instances awaited at once, and messages to them queued for the broker
// thread: beyond either, a question gets 503 at once.
constexpr std::size_t kMaxPeerAsks = 10'000;
constexpr std::size_t kMaxPeerMessagesQueued = 10'000;
// How long an answer to another instance may wait in its result queue.
constexpr std::chrono::seconds kPeerAnswerExpiration{30};

std::uint16_t random_tag() {
    return static_cast<std::uint16_t>(std::random_device{}() & 0xffff);
}

// Turns an SR's result message (contract §4) into an outcome.
Outcome parse_result(const std::string& body) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(body, ec);
    if (ec || !value.is_object()) {
        return ecf::Error(ErrorKind::Internal, "the serverless runtime sent a malformed result");
    }
    auto& object = value.as_object();
    const auto* code = object.if_contains("code");
    if (!code || !code->is_int64() || code->as_int64() < 100 || code->as_int64() > 599) {
        return ecf::Error(ErrorKind::Internal,
                          "the serverless runtime sent a result without a valid code");
    }
    ExecutionResult result;
    result.code = static_cast<int>(code->as_int64());
    if (auto* message = object.if_contains("message")) result.message = std::move(*message);
    return result;
}

// What must never reach the broker thread.
std::optional<ecf::Error> invalid_request(const ExecutionRequest& request) {
    if (request.flavour.empty() || request.flavour.size() > kMaxQueueName) {
        return ecf::Error(ErrorKind::Internal,
                          "the requirement's FLAVOUR is not a valid queue name");
    }
    if (request.request_id.empty() || request.request_id.size() > kMaxQueueName) {
        return ecf::Error(ErrorKind::Internal, "invalid request id");
    }
    if (request.deadline <= Clock::now()) {
        return ecf::Error(ErrorKind::Timeout, "the execution deadline has passed");
    }
    return std::nullopt;
}

}  // namespace

// Everything the broker thread and the callers of execute() share. The broker thread runs the
// State's own io_context: the AMQP socket is watched with an Asio wait (no poll loop), one timer
// serves every deadline, heartbeat and background check, and callers hand it executions and
// cancellations as posted handlers. The connection, the waiting executions and the declared
// flavours belong to the broker thread alone; callers only touch the atomics, the admission
// (BrokerAdmission) and the queue of messages to other instances.
class AmqpExecutionBroker::State {
  public:
    explicit State(BrokerSettings settings)
        : settings_(std::move(settings)),
          addresses_(settings_.addresses.empty() ? std::vector<BrokerAddress>{settings_.address}
                                                 : settings_.addresses),
          tag_(random_tag()),
          results_queue_(tagged_result_queue(tag_.load())) {
        // A random first node: the instances of a deployment spread over the cluster.
        current_address_ =
            addresses_.size() > 1
                ? static_cast<std::size_t>(std::random_device{}()) % addresses_.size()
                : 0;
    }
    ~State() { stop(); }

    // --- called by any thread ------------------------------------------------------------

    // start() and stop() are called by the broker's owner, never at once.
    bool start() {
        if (thread_.joinable() || admission_.stopping()) return admission_.connected();
        thread_ = std::thread([this] { run(); });
        return admission_.wait_for_first_attempt(settings_.connection.connect_timeout +
                                                 settings_.connection.rpc_timeout * 4);
    }

    void stop() {
        admission_.stop();
        asio::post(io_, [] {});  // wakes the broker thread, wherever it waits
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    }

    asio::io_context::executor_type executor() { return io_.get_executor(); }

    // Hands one execution to the broker thread. Never throws: what cannot be queued is answered
    // at once, through its waiter.
    void submit(ExecutionRequest request, ExecutionWaiter waiter) {
        if (auto refusal = refusal_of(request, waiter)) {
            waiter.deliver(std::move(*refusal));
            return;
        }
        // Posted, so that publications handed over while the broker thread is busy go out
        // together (see take_submission).
        asio::post(
            io_, [this, submission = Submission{std::move(request), std::move(waiter)}]() mutable {
                take_submission(std::move(submission));
            });
    }

    // The waiter of `request_id` no longer waits (its coroutine was cancelled: its client
    // left, say): answered at once (cancelled), its entry gone. A request already published
    // still runs; its result will be dropped.
    void cancel(std::string request_id) {
        asio::post(io_, [this, id = std::move(request_id)] { cancel_waiter(id); });
    }

    // Set before start(): the broker thread calls it.
    void set_peer_question_handler(PeerQuestionHandler handler) {
        peer_question_handler_ = std::move(handler);
    }

    // Queues a question to the instance of `tag`; `mailbox` is told its answer. Throws
    // Unavailable when it cannot be sent now.
    void ask_peer(std::uint16_t tag, std::string body, Clock::time_point deadline,
                  std::shared_ptr<PeerMailbox> mailbox) {
        PeerMessage message;
        message.routing_key = tagged_result_queue(tag);
        message.body = std::move(body);
        message.deadline = deadline;
        message.mailbox = std::move(mailbox);
        queue_peer_message(std::move(message), /*question=*/true);
    }

    // Queues the answer to `question`; dropped when it cannot be sent (its asker times out).
    void answer_peer(const PeerQuestion& question, std::string body) {
        PeerMessage message;
        message.routing_key = question.reply_to;
        message.correlation_id = question.correlation_id;
        message.body = std::move(body);
        try {
            queue_peer_message(std::move(message), /*question=*/false);
        } catch (const ecf::Error& e) {
            spdlog::debug("answer to another instance dropped: {}", e.what());
        }
    }

    bool connected() const { return admission_.connected(); }
    bool per_request_bindings() const { return per_request_bindings_.load(); }
    std::size_t waiting() const { return waiting_slots_.waiting(); }
    std::uint16_t instance_tag() const { return tag_.load(); }
    void set_max_waiting(std::size_t limit) { waiting_slots_.set_limit(limit); }
    BrokerCounts counts() const {
        return {connections_.load(),  published_.load(),       refused_.load(),
                results_.load(),      dropped_results_.load(), forwarded_results_.load(),
                lost_forwards_.load()};
    }

  private:
    using Router = ResultRouter<ExecutionWaiter>;
    struct Submission {
        ExecutionRequest request;
        ExecutionWaiter waiter;
    };
    // A question (with the mailbox of its asker) or an answer to another instance.
    struct PeerMessage {
        std::string routing_key;     // the other instance's result queue
        std::string correlation_id;  // an answer's: the question's
        std::string body;
        Clock::time_point deadline;            // a question's
        std::shared_ptr<PeerMailbox> mailbox;  // a question's
    };

    // Why an execution cannot be handed over now, if it cannot; otherwise a sync one holds its
    // place among the waiting ones. Only sync executions count in max_waiting_executions:
    // asynchronous ones are bounded by their store, which reserved theirs before.
    std::optional<ecf::Error> refusal_of(const ExecutionRequest& request, ExecutionWaiter& waiter) {
        if (auto invalid = invalid_request(request)) return invalid;
        if (!waiter.async()) {
            auto slot = waiting_slots_.try_reserve();
            if (!slot) return ecf::Error(ErrorKind::Unavailable, "too many waiting executions");
            waiter.hold(std::move(*slot));
        }
        if (auto refusal = admission_.admit_execution(waiting_slots_.limit())) {
            return ecf::Error(ErrorKind::Unavailable, std::string(*refusal));
        }
        return std::nullopt;
    }

    void queue_peer_message(PeerMessage message, bool question) {
        if (auto refusal = admission_.refuse_message(question)) {
            throw ecf::Error(ErrorKind::Unavailable, std::string(*refusal));
        }
        {
            std::lock_guard lock(peer_mutex_);
            if (peer_outgoing_.size() >= kMaxPeerMessagesQueued) {
                throw ecf::Error(ErrorKind::Unavailable,
                                 "too many questions to other instances at once");
            }
            peer_outgoing_.push_back(std::move(message));
            if (peer_outgoing_.size() > 1) return;  // its publication is posted already
        }
        asio::post(io_, [this] { publish_peer_messages(); });
    }
    // A flavour queue declared on this connection, with its consumer count as the broker last
    // told it (queue.declare-ok: at the first declaration, then refreshed in the background).
    struct FlavourQueue {
        std::uint32_t consumers = 0;
        Clock::time_point used;  // last publication to it
    };

    bool stopping() const { return admission_.stopping(); }
    void set_connected(bool connected) { admission_.set_connected(connected); }
    void first_attempt_finished() { admission_.first_attempt_finished(); }

    // --- the broker thread ---------------------------------------------------------------

    void run() {
        auto backoff = settings_.reconnect_min;
        bool reported_down = false;
        Clock::time_point last_at_once{};
        std::size_t failed_in_round = 0;  // addresses tried in turn since the last connection
        bool at_once_round = false;       // retrying at once after losing a served connection
        while (!stopping()) {
            bool served = false;
            try {
                connect();
                set_connected(true);
                connections_.fetch_add(1, std::memory_order_relaxed);
                served = true;  // start() returns once the probe has told the routing
                spdlog::info("message broker {}: connected{}", address().redacted(),
                             reported_down ? " again" : "");
                reported_down = false;
                failed_in_round = 0;
                at_once_round = false;
                backoff = settings_.reconnect_min;
                serve();  // returns only when stopping
            } catch (const std::exception& e) {
                // Messages of AmqpError never hold the password.
                if (!reported_down) {
                    spdlog::error("message broker {}: {}; reconnecting", address().redacted(),
                                  e.what());
                    reported_down = true;
                } else {
                    spdlog::debug("message broker {}: {}", address().redacted(), e.what());
                }
            }
            set_connected(false);
            set_blocked(false);
            if (stopping()) break;
            drop_connection();
            // The next attempt goes to the next node of a cluster (the same one when alone).
            current_address_ = (current_address_ + 1) % addresses_.size();
            if (!served) ++failed_in_round;
            // start() returns after the first attempt, or, with several nodes, once each was
            // tried (one may be down while the others serve).
            if (served || failed_in_round >= addresses_.size()) first_attempt_finished();
            // A request not yet confirmed may or may not have reached its queue, and one not yet
            // published never will: 503 now, never a slow 504.
            fail_unconfirmed(
                "the connection to the message broker was lost before the "
                "execution request was confirmed");
            fail_submissions(ErrorKind::Unavailable,
                             "the connection to the message broker was lost");
            // Questions to other instances: their answers would come to this connection's
            // queue, but they are cheap to ask again (503).
            fail_peer_messages();
            // Confirmed executions wait for results in our queue, which outlives the connection
            // (x-expires): reconnect at once and they still get them, even those published
            // meanwhile. If that first attempt fails, they cannot be answered in time: 503. At
            // most once a second, so that a broker that drops every connection at once is not
            // hammered.
            if (served && Clock::now() - last_at_once >= kAtOnceRetryInterval) {
                last_at_once = Clock::now();
                at_once_round = true;
                continue;
            }
            // With a cluster, that at-once retry goes through the other nodes in turn (the
            // next one may be the node that died): the waiting executions keep waiting until
            // each was tried once.
            if (at_once_round && failed_in_round < addresses_.size()) continue;
            at_once_round = false;
            fail_pending(ErrorKind::Unavailable,
                         "the connection to the message broker was lost; the result may be lost");
            // The other nodes of a cluster are tried at once, one after the other; the backoff
            // comes once every one has failed.
            if (failed_in_round % addresses_.size() != 0) continue;
            run_until(Clock::now() + backoff);
            backoff = std::min(backoff * 2, settings_.reconnect_max);
        }
        first_attempt_finished();
        fail_all(ErrorKind::Unavailable, "the service is shutting down");
        fail_peer_messages();
        if (session_) session_->delete_result_queue();
        drop_connection();
        // What was handed over meanwhile finds no connection and is answered (Unavailable).
        io_.poll();
        work_.reset();
    }

    // Runs the broker thread's handlers (deadlines, cancellations, executions handed over)
    // until `until` or a stop, while no connection is up.
    void run_until(Clock::time_point until) {
        while (!stopping() && Clock::now() < until) io_.run_one_until(until);
    }

    const BrokerAddress& address() const { return addresses_[current_address_]; }

    void drop_connection() {
        ++generation_;  // handlers of the old connection that are still queued do nothing
        if (socket_watch_) {
            // Before rabbitmq-c closes the descriptor: Asio forgets it, never closes it.
            socket_watch_->release();
            socket_watch_.reset();
        }
        watching_ = false;
        read_posted_ = false;
        probe_key_.clear();
        shared_ack_pending_ = 0;  // delivery tags belong to the connection; RabbitMQ requeues
        connection_ = nullptr;
        session_.reset();  // closes it
    }

    // Sets up one session on another thread (connecting blocks: TCP, TLS, the handshake, the
    // declarations), while this one goes on serving deadlines and cancellations.
    std::unique_ptr<BrokerSession> open_session() {
        auto attempt = std::async(std::launch::async, [this, address = address()] {
            return std::make_unique<BrokerSession>(settings_, address, results_queue_,
                                                   results_queue_declared_);
        });
        while (attempt.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
            io_.run_one_for(std::chrono::milliseconds(5));
        }
        return attempt.get();
    }

    void connect() {
        for (int attempt = 1;; ++attempt) {
            try {
                session_ = open_session();
                break;
            } catch (const ResultQueueTaken&) {
                // Another live instance drew our tag (1 in 65 536 for two instances) and
                // consumes its queue: take another. The executions waiting were minted with the
                // old tag: their results go to the other instance.
                if (attempt == kMaxTagDraws) throw;
                fail_pending(ErrorKind::Unavailable,
                             "another ECF instance took this instance's result queue");
                tag_.store(random_tag());
                results_queue_ = tagged_result_queue(tag_.load());
                results_queue_declared_ = false;
                spdlog::warn(
                    "results: queue of this instance's tag in use by another instance; "
                    "now using '{}'",
                    results_queue_);
            }
        }
        connection_ = &session_->connection();
        ++generation_;
        socket_watch_.emplace(io_, connection_->socket_fd());
        shared_ack_pending_ = 0;
        if (results_queue_declared_ && !session_->result_queue_kept()) {
            fail_pending(ErrorKind::Unavailable,
                         "the message broker lost the result queue; the result is lost");
        }
        results_queue_declared_ = true;
        // Numbered anew on this channel (none is left: they were failed with the connection).
        fail_unconfirmed("the execution request could not be confirmed");
        flavours_.clear();
        next_refresh_ = Clock::now() + settings_.consumer_refresh;
        // Until the probe comes back (or probe_timeout passes), bind each request: that works
        // whatever the routing, so publications need not wait for the answer.
        per_request_bindings_ = true;
        probe_key_ = session_->send_probe(tag_.load());
        probe_until_ = Clock::now() + settings_.probe_timeout;
    }

    // The probe did not come back in time: unrouted results do not reach us.
    void check_probe() {
        if (!probe_key_.empty() && Clock::now() >= probe_until_) {
            use_results_routing(ResultsRouting::PerRequestBindings);
        }
    }

    void use_results_routing(ResultsRouting routing) {
        probe_key_.clear();
        per_request_bindings_ = routing == ResultsRouting::PerRequestBindings;
        if (settings_.on_results_routing) settings_.on_results_routing(routing);
        // Only now: start() returns once the routing is in force and told.
        first_attempt_finished();
        if (logged_routing_ == routing) return;  // said once, until it changes
        logged_routing_ = routing;
        if (routing == ResultsRouting::AlternateExchange) {
            spdlog::info(
                "results: unrouted results of exchange '{}' reach this instance through '{}' "
                "(alternate exchange set by a policy): no broker operation per request",
                settings_.results_exchange, settings_.unrouted_exchange);
        } else {
            spdlog::warn(
                "results: unrouted results of exchange '{}' do not reach this instance: one "
                "binding per request (slower). To enable the fast path, run: {}",
                settings_.results_exchange,
                results_policy_command(address().vhost, settings_.results_exchange,
                                       settings_.unrouted_exchange));
        }
    }

    // Serves one connection until it fails (an AmqpError out of a handler) or the broker stops.
    void serve() {
        watch_socket();
        arm_tick(Clock::now());
        while (!stopping()) io_.run_one();
    }

    // --- reading: the socket's readiness, through Asio ---

    void watch_socket() {
        if (watching_ || !socket_watch_) return;
        watching_ = true;
        socket_watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                                  [this, generation = generation_](boost::system::error_code ec) {
                                      if (generation != generation_) return;
                                      watching_ = false;
                                      if (!ec) read_round();
                                  });
    }

    // Reads what the connection has (at most a round's worth), then waits for more. The socket
    // is watched edge-triggered: it is read until rabbitmq-c finds it empty before waiting
    // again, and what rabbitmq-c itself holds (frames read along a synchronous method) is read
    // without waiting.
    void read_round() {
        if (!connection_) return;
        if (read_events()) {
            post_read_round();
        } else {
            watch_socket();
        }
    }

    void post_read_round() {
        if (read_posted_) return;
        read_posted_ = true;
        asio::post(io_, [this, generation = generation_] {
            if (generation != generation_) return;  // drop_connection() reset the flag
            read_posted_ = false;
            read_round();
        });
    }

    // Handles the events the connection has now; true when more may be there (the round's
    // limit was reached, or rabbitmq-c holds input). Also lets rabbitmq-c send its heartbeat.
    bool read_events() {
        std::size_t handled = 0;
        for (; handled < kMaxEventsPerRound; ++handled) {
            auto event = connection_->next_event(std::chrono::milliseconds(0));
            if (!event) break;
            std::visit([this](auto& e) { handle(e); }, *event);
            if (!connection_) return false;
        }
        ack_shared_results();
        return handled == kMaxEventsPerRound || connection_->has_buffered_input();
    }

    // After a synchronous method (a declaration), rabbitmq-c may hold frames it read along
    // with its reply: the socket will not say so.
    void read_held_input() {
        if (connection_ && connection_->has_buffered_input()) post_read_round();
    }

    // Acknowledges, in one frame, every result taken from the shared queue so far: each was
    // routed, forwarded (published before this ack, on the same connection) or dropped. Until
    // then RabbitMQ keeps them, and hands them to another instance if this one goes away.
    void ack_shared_results() {
        if (shared_ack_pending_ == 0 || connection_ == nullptr) return;
        const auto tag = std::exchange(shared_ack_pending_, 0);
        connection_->ack(kSharedResultsChannel, tag, /*multiple=*/true);
    }

    // --- the one timer: deadlines, queue allowances, the probe, consumer counts, heartbeats ---

    void on_tick() {
        const auto now = Clock::now();
        expire_pending();
        peer_asks_.expire(now);
        if (connection_) {
            check_queue_allowances();
            refresh_broker_state();
            check_probe();
            if (read_events()) post_read_round();  // also sends rabbitmq-c's heartbeat when due
        }
        arm_tick(now);
    }

    // Sets the timer for the next thing due: at most a second away (heartbeats, peer asks; with
    // TLS, OpenSSL may hold decrypted bytes the socket does not show, so sooner).
    void arm_tick(Clock::time_point now) {
        auto due = now + ((connection_ && connection_->tls()) ? std::chrono::milliseconds(5)
                                                              : std::chrono::milliseconds(1000));
        if (const auto next = router_.next_due()) due = std::min(due, *next);
        if (connection_ && !probe_key_.empty()) due = std::min(due, probe_until_);
        if (connection_) due = std::min(due, next_refresh_);
        tick_at_ = due;
        tick_.expires_at(due);
        tick_.async_wait([this](boost::system::error_code ec) {
            if (!ec) on_tick();
        });
    }

    // Something new is due at `when`: the timer comes by then.
    void due_by(Clock::time_point when) {
        if (when < tick_at_) arm_tick(Clock::now());
    }

    // --- publishing ---

    // An execution handed over by submit(). Those handed over together go out in one flush.
    void take_submission(Submission submission) {
        admission_.execution_taken();
        if (!connection_) {
            deliver(submission.waiter,
                    ecf::Error(ErrorKind::Unavailable, stopping()
                                                           ? "the service is shutting down"
                                                           : "the message broker is unreachable"));
            return;
        }
        batch_.push_back(std::move(submission));
        if (batch_.size() == 1) {
            asio::post(io_, [this, generation = generation_] {
                if (generation == generation_) publish_batch();
            });
        }
    }

    void publish_batch() {
        std::deque<Submission> batch;
        batch.swap(batch_);
        const bool blocked = admission_.blocked();
        // Several publications leave together: one send() on plain TCP, as few TCP segments as
        // they fill with TLS; fewer packets for RabbitMQ to read, fewer wake-ups on both sides.
        const bool together = batch.size() > 1 && !blocked;
        if (together) connection_->begin_batch();
        for (auto it = batch.begin(); it != batch.end(); ++it) {
            if (blocked) {
                deliver(it->waiter,
                        ecf::Error(ErrorKind::Unavailable,
                                   "the message broker refuses publications (resource alarm)"));
                continue;
            }
            try {
                publish(*it);
            } catch (...) {
                // The connection failed under this batch (any error: a socket error is an
                // AmqpError, not a channel's). What it has not published yet is in no other
                // bookkeeping: answer it now, or its waiters would wait for their deadline.
                for (auto rest = it; rest != batch.end(); ++rest) {
                    deliver(rest->waiter, ecf::Error(ErrorKind::Unavailable,
                                                     "the connection to the message broker "
                                                     "was lost"));
                }
                throw;
            }
        }
        // A failure here loses the connection like a failed publish: the executions published
        // above wait for confirms that cannot come, and are answered with the connection.
        if (together) connection_->end_batch();
        read_held_input();
    }

    // A waiter whose coroutine was cancelled: answered (cancelled) and forgotten, whether it is
    // published or still in the batch. An asynchronous execution already confirmed is not
    // touched: its submitter has its 202, and its ending goes to its sink.
    void cancel_waiter(const std::string& request_id) {
        if (auto* entry = router_.find(request_id)) {
            if (!entry->waiter.awaiting()) return;
            auto taken = router_.take(request_id);
            unbind(*taken);
            taken->waiter.cancelled();
            return;
        }
        for (auto it = batch_.begin(); it != batch_.end(); ++it) {
            if (it->request.request_id == request_id) {
                it->waiter.cancelled();
                batch_.erase(it);
                return;
            }
        }
    }

    void publish(Submission& s) {
        auto& r = s.request;
        const auto now = Clock::now();
        if (r.deadline <= now) {
            deliver(s.waiter,
                    ecf::Error(ErrorKind::Timeout, "no result before the execution deadline"));
            return;
        }
        if (router_.contains(r.request_id)) {
            deliver(s.waiter, ecf::Error(ErrorKind::Internal, "duplicate request id"));
            return;
        }
        auto flavour = flavours_.find(r.flavour);
        if (flavour == flavours_.end()) {
            try {
                // Contract §4: default properties, exactly as the SRs declare it. The declare-ok
                // tells how many consumers (SRs) the queue has.
                const auto queue = connection_->declare_queue_state(kDeclareChannel, r.flavour);
                flavour = flavours_.emplace(r.flavour, FlavourQueue{queue.consumers, now}).first;
            } catch (const AmqpChannelError& e) {
                // Only the declaration channel is closed: the others go on.
                connection_->open_channel(kDeclareChannel);
                spdlog::error("flavour queue '{}': {}", r.flavour, e.what());
                deliver(s.waiter,
                        ecf::Error(ErrorKind::Internal,
                                   "the queue of flavour '" + r.flavour +
                                       "' cannot be used (declared with other properties?)"));
                return;
            }
        }
        flavour->second.used = now;
        // No SR takes this flavour (as far as the last count tells): the request may wait in
        // its queue for queue_allowance, no longer (see check_queue_allowances).
        const bool no_consumer = settings_.queue_allowance && flavour->second.consumers == 0;
        const bool bind = per_request_bindings_;
        std::optional<Clock::time_point> allowance_check;
        if (no_consumer) allowance_check = now + *settings_.queue_allowance;
        router_.add(Router::Entry{r.request_id, std::move(s.waiter), r.flavour, bind}, r.deadline,
                    allowance_check);
        due_by(allowance_check ? std::min(r.deadline, *allowance_check) : r.deadline);
        if (bind) {
            // Same channel as the publication, before it: the binding is in place before the
            // request can reach an SR. No-wait: no round trip.
            connection_->bind_queue(kPublishChannel, results_queue_, settings_.results_exchange,
                                    r.request_id, /*nowait=*/true);
        }
        AmqpProperties properties;
        properties.content_type = "application/json";
        properties.correlation_id = r.request_id;
        // RabbitMQ drops the request once it is stale, so no SR runs it for nobody: at the
        // deadline, or when the queue allowance of a flavour nobody consumes passes (then its
        // waiter gets 503, and the request must not run later).
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline - now);
        if (no_consumer) left = std::min(left, *settings_.queue_allowance);
        properties.expiration = std::to_string(std::max<std::int64_t>(1, left.count()));
        connection_->publish(kPublishChannel, "", r.flavour, r.body, properties,
                             /*mandatory=*/true);
    }

    void handle(AmqpDelivery& d) {
        // Results are routed by request id only: the routing key the SR published with, or, for
        // a result another instance forwarded to our queue (default exchange), its
        // correlation_id.
        std::string request_id;
        if (d.channel == kSharedResultsChannel) {
            shared_ack_pending_ = d.delivery_tag;  // acked after this round of events
            // From the shared queue: any instance's result. Another's goes to its queue (an id
            // we wait for is ours whatever its tag says: ids minted elsewhere are not tagged).
            const auto tag = request_id_tag(d.routing_key);
            if (tag && *tag != tag_.load(std::memory_order_relaxed) &&
                !router_.contains(d.routing_key)) {
                forward(d, *tag);
                return;
            }
            request_id = std::move(d.routing_key);
        } else if (d.channel == kResultsChannel) {
            if (d.exchange.empty() && !d.message.properties.type.empty()) {
                handle_peer_message(d);  // another instance's question or answer
                return;
            }
            request_id = d.exchange.empty() ? std::move(d.message.properties.correlation_id)
                                            : std::move(d.routing_key);
        } else {
            return;
        }
        if (!probe_key_.empty() && request_id == probe_key_) {
            use_results_routing(ResultsRouting::AlternateExchange);
            return;
        }
        auto entry = router_.take(request_id);
        if (!entry) {
            dropped_results_.fetch_add(1, std::memory_order_relaxed);
            spdlog::debug("result for request {} dropped: late, duplicate or not ours", request_id);
            return;
        }
        results_.fetch_add(1, std::memory_order_relaxed);
        answer(*entry, parse_result(d.message.body));
    }

    // A question from another instance goes to the handler (checked first: its answer goes only
    // to a result queue); an answer to the question it answers. Anything else is dropped.
    void handle_peer_message(AmqpDelivery& d) {
        auto& p = d.message.properties;
        if (p.type == kPeerQuestionType) {
            if (!peer_question_handler_ || !is_instance_result_queue(p.reply_to) ||
                p.correlation_id.empty() || d.message.body.size() > kMaxPeerQuestionBytes) {
                spdlog::debug("question from another instance dropped: not answerable");
                return;
            }
            peer_question_handler_(PeerQuestion{std::move(d.message.body), std::move(p.reply_to),
                                                std::move(p.correlation_id)});
        } else if (p.type == kPeerAnswerType) {
            if (!peer_asks_.answer(p.correlation_id, PeerAnswer{true, std::move(d.message.body)})) {
                spdlog::debug("answer from another instance dropped: late or not ours");
            }
        }
    }

    // Publishes the questions and answers queued for other instances, to their result queues
    // (default exchange). A question is mandatory: returned when no such queue exists (the
    // instance is gone), and it expires at its deadline when nobody takes it.
    void publish_peer_messages() {
        if (!connection_) {
            fail_peer_messages();
            return;
        }
        std::deque<PeerMessage> batch;
        {
            std::lock_guard lock(peer_mutex_);
            batch.swap(peer_outgoing_);
        }
        const auto now = Clock::now();
        connection_->begin_batch();  // they leave together
        for (auto it = batch.begin(); it != batch.end(); ++it) {
            AmqpProperties properties;
            properties.content_type = "application/json";
            const bool question = it->mailbox != nullptr;
            std::chrono::milliseconds left = kPeerAnswerExpiration;
            if (question) {
                left = std::chrono::duration_cast<std::chrono::milliseconds>(it->deadline - now);
                if (left.count() <= 0) continue;  // its asker has stopped waiting
                if (peer_asks_.size() >= kMaxPeerAsks) {
                    it->mailbox->fail();
                    continue;
                }
                properties.type = kPeerQuestionType;
                properties.correlation_id = random_uuid4_text();
                properties.reply_to = results_queue_;
            } else {
                properties.type = kPeerAnswerType;
                properties.correlation_id = it->correlation_id;
            }
            properties.expiration = std::to_string(left.count());
            try {
                connection_->publish(kForwardChannel, "", it->routing_key, it->body, properties,
                                     /*mandatory=*/question);
            } catch (...) {
                // The connection failed: what is left of the batch is in no other bookkeeping.
                for (auto rest = it; rest != batch.end(); ++rest) {
                    if (rest->mailbox) rest->mailbox->fail();
                }
                throw;
            }
            if (question) peer_asks_.add(properties.correlation_id, it->mailbox, it->deadline);
        }
        connection_->end_batch();
    }

    // Hands another instance's result to that instance's queue, named after the tag in the
    // request id. Mandatory: a return (no such queue: the instance is gone, or the id was not
    // minted by a sharing instance) is counted and the result dropped.
    void forward(const AmqpDelivery& d, std::uint16_t tag) {
        AmqpProperties properties;
        properties.content_type = "application/json";
        properties.correlation_id = d.routing_key;
        connection_->publish(kForwardChannel, "", tagged_result_queue(tag), d.message.body,
                             properties, /*mandatory=*/true);
        forwarded_results_.fetch_add(1, std::memory_order_relaxed);
    }

    void handle(AmqpConfirm& c) {
        if (c.channel != kPublishChannel) return;
        const auto unconfirmed_before = router_.unconfirmed_count();
        auto refused = router_.confirm(c.delivery_tag, c.multiple, c.ack,
                                       [](Router::Entry& entry) { entry.waiter.confirmed(); });
        (c.ack ? published_ : refused_)
            .fetch_add(unconfirmed_before - router_.unconfirmed_count(), std::memory_order_relaxed);
        for (auto& entry : refused) {
            answer(entry, ecf::Error(ErrorKind::Unavailable,
                                     "the message broker refused the execution request"));
        }
    }

    void handle(AmqpReturn& r) {
        if (r.channel == kForwardChannel && r.message.properties.type == kPeerQuestionType) {
            // No queue of that tag: no such instance (gone, or the id was never one of ours).
            peer_asks_.answer(r.message.properties.correlation_id, PeerAnswer{false, {}});
            return;
        }
        if (r.channel == kForwardChannel) {
            lost_forwards_.fetch_add(1, std::memory_order_relaxed);
            spdlog::debug("forwarded result for request {} returned: no instance has queue '{}'",
                          r.message.properties.correlation_id, r.routing_key);
            return;
        }
        if (r.channel != kPublishChannel) return;
        // Unroutable: the flavour queue vanished (deleted by an operator?). Declare it again
        // next time.
        flavours_.erase(r.routing_key);
        refused_.fetch_add(1, std::memory_order_relaxed);
        fail(r.message.properties.correlation_id, ErrorKind::Unavailable,
             "no queue took the execution request for flavour '" + r.routing_key + "'");
    }

    void handle(AmqpChannelClosed& c) {
        spdlog::warn("message broker closed channel {}: {} {}", c.channel, c.reply_code,
                     c.reply_text);
        if (c.channel == kPublishChannel) {
            // Publications not yet confirmed may or may not have been routed.
            fail_unconfirmed("the execution request could not be confirmed");
            connection_->open_channel(kPublishChannel);
            connection_->confirm_select(kPublishChannel);
        } else if (c.channel == kDeclareChannel || c.channel == kForwardChannel) {
            connection_->open_channel(c.channel);
        } else {
            throw AmqpError("the channel of the results was closed");  // reconnect
        }
    }

    void handle(AmqpOtherMethod& m) {
        if (m.channel == 0 && m.method_id == AMQP_CONNECTION_BLOCKED_METHOD) {
            spdlog::warn("message broker blocks publishers (resource alarm): executions get 503");
            set_blocked(true);
        } else if (m.channel == 0 && m.method_id == AMQP_CONNECTION_UNBLOCKED_METHOD) {
            spdlog::info("message broker accepts publications again");
            set_blocked(false);
        } else if ((m.channel == kResultsChannel || m.channel == kSharedResultsChannel) &&
                   m.method_id == AMQP_BASIC_CANCEL_METHOD) {
            // Our queue or the shared one was deleted (its node went down, an operator):
            // connect again, which declares it anew.
            throw AmqpError("the broker cancelled the consumer of the results");  // reconnect
        }
        // Anything else (e.g. the unbind-ok of a pipelined unbind) needs nothing.
    }

    void set_blocked(bool blocked) { admission_.set_blocked(blocked); }

    void expire_pending() {
        // The broker keeps every execution's deadline (no waiter has a timer of its own);
        // late results will be dropped.
        for (auto& entry : router_.take_past_deadline(Clock::now())) {
            spdlog::debug("request {} passed its deadline", entry.request_id);
            answer(entry,
                   ecf::Error(ErrorKind::Timeout, "no result before the execution deadline"));
        }
    }

    // Executions published while their flavour had no consumer: once queue_allowance has
    // passed, their request has expired in the queue (per-message expiration); if there is
    // still no consumer (by the background count), nobody ran it: 503 with Retry-After.
    void check_queue_allowances() {
        if (!settings_.queue_allowance) return;
        const auto retry_after = std::max<std::chrono::seconds>(
            std::chrono::seconds(1),
            std::chrono::ceil<std::chrono::seconds>(*settings_.queue_allowance));
        auto unconsumed = [this](const std::string& flavour) {
            auto it = flavours_.find(flavour);
            return it == flavours_.end() || it->second.consumers == 0;
        };
        for (auto& entry : router_.take_unconsumed(Clock::now(), unconsumed)) {
            answer(entry,
                   ecf::Error(ErrorKind::NoRuntime,
                              "no serverless runtime consumes flavour '" + entry.flavour + "'",
                              retry_after));
        }
    }

    // Every consumer_refresh: are our result queues still there, and how many consumers has
    // each flavour queue in use.
    void refresh_broker_state() {
        const auto now = Clock::now();
        if (now < next_refresh_) return;
        next_refresh_ = now + settings_.consumer_refresh;
        check_result_queues();
        refresh_consumer_counts(now);
    }

    // RabbitMQ can lose a queue without telling its consumer: in a cluster, a node that goes
    // down has its queues' records removed by name, and a queue declared again under that name
    // on another node in the meantime loses its record with them (seen with 3.10: the queue
    // process lives on with our consumer, nothing routes to it, no basic.cancel comes). Results
    // would then go nowhere until the deadline, for ever. A passive declaration tells: gone
    // (404), or ours without our consumer, means connecting again, which declares it anew (the
    // executions waiting get 503: their results are lost).
    void check_result_queues() {
        AmqpQueueOptions passive;
        passive.passive = true;
        try {
            const auto own =
                connection_->declare_queue_state(kDeclareChannel, results_queue_, passive);
            if (own.consumers == 0) {
                throw AmqpError("the result queue '" + results_queue_ +
                                "' has lost this instance's consumer");
            }
            if (settings_.share_results) {
                connection_->declare_queue_state(kDeclareChannel, kSharedResultsQueue, passive);
            }
        } catch (const AmqpChannelError& e) {
            throw AmqpError(std::string("a result queue is gone: ") + e.what());
        }
    }

    // Asks the broker again how many consumers each flavour queue in use has (a passive
    // declaration: never re-creates a queue an operator deleted). Flavours not used for a while
    // are forgotten; their next request declares them again.
    void refresh_consumer_counts(Clock::time_point now) {
        for (auto it = flavours_.begin(); it != flavours_.end();) {
            if (now - it->second.used > kForgetFlavourAfter) {
                it = flavours_.erase(it);
                continue;
            }
            try {
                AmqpQueueOptions passive;
                passive.passive = true;
                it->second.consumers =
                    connection_->declare_queue_state(kDeclareChannel, it->first, passive).consumers;
            } catch (const AmqpChannelError&) {
                // Gone (404): no consumer. Kept, so that a publication to it is returned (503)
                // and the flavour declared again then.
                connection_->open_channel(kDeclareChannel);
                it->second.consumers = 0;
            }
            ++it;
        }
    }

    // Removes the per-request binding of an execution no longer waiting.
    void unbind(const Router::Entry& entry) {
        if (entry.bound && connection_) {
            connection_->unbind_queue(kPublishChannel, results_queue_, settings_.results_exchange,
                                      entry.request_id, /*pipelined=*/true);
        }
    }

    void answer(Router::Entry& entry, Outcome outcome) {
        unbind(entry);
        deliver(entry.waiter, std::move(outcome));
    }

    void fail(const std::string& request_id, ErrorKind kind, const std::string& message) {
        if (auto entry = router_.take(request_id)) answer(*entry, ecf::Error(kind, message));
    }

    // The pending executions whose requests the broker has not confirmed yet.
    void fail_unconfirmed(const std::string& message) {
        for (auto& entry : router_.take_unconfirmed()) {
            answer(entry, ecf::Error(ErrorKind::Unavailable, message));
        }
    }

    // Every pending execution. None is unbound (the connection may be gone): their bindings go
    // with the result queue, or stay harmless (a late result is dropped).
    void fail_pending(ErrorKind kind, const std::string& message) {
        for (auto& entry : router_.take_all()) deliver(entry.waiter, ecf::Error(kind, message));
    }

    // Executions handed over and not published yet: those in the batch (the ones still posted
    // find no connection when they come).
    void fail_submissions(ErrorKind kind, const std::string& message) {
        std::deque<Submission> batch;
        batch.swap(batch_);
        for (auto& s : batch) deliver(s.waiter, ecf::Error(kind, message));
    }

    void fail_peer_messages() {
        std::deque<PeerMessage> batch;
        {
            std::lock_guard lock(peer_mutex_);
            batch.swap(peer_outgoing_);
        }
        for (auto& m : batch) {
            if (m.mailbox) m.mailbox->fail();
        }
        peer_asks_.fail_all();
    }

    void fail_all(ErrorKind kind, const std::string& message) {
        fail_pending(kind, message);
        fail_submissions(kind, message);
    }

    static void deliver(ExecutionWaiter& waiter, Outcome outcome) {
        waiter.deliver(std::move(outcome));
    }

    const BrokerSettings settings_;
    const std::vector<BrokerAddress> addresses_;  // one, or a cluster's nodes
    // The broker thread's event loop; kept from running out of work until the thread ends.
    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};

    // Shared with the callers of execute().
    BrokerAdmission admission_;
    std::mutex peer_mutex_;  // guards peer_outgoing_
    std::deque<PeerMessage> peer_outgoing_;
    // settings_.max_waiting_executions at start; a configuration reload may change it.
    WaitingSlots waiting_slots_{settings_.max_waiting_executions};
    std::atomic<std::uint64_t> connections_{0};
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> refused_{0};
    std::atomic<std::uint64_t> results_{0};
    std::atomic<std::uint64_t> dropped_results_{0};
    std::atomic<std::uint64_t> forwarded_results_{0};
    // The last delivery tag taken from the shared queue and not acknowledged yet (0: none).
    std::uint64_t shared_ack_pending_ = 0;
    std::atomic<std::uint64_t> lost_forwards_{0};
    // Written into every request id this instance mints; names its result queue.
    std::atomic<std::uint16_t> tag_;
    std::atomic<bool> per_request_bindings_{false};
    std::thread thread_;

    // The broker thread's own.
    std::size_t current_address_ = 0;  // the node connected to, or tried next
    std::unique_ptr<BrokerSession> session_;
    AmqpConnection* connection_ = nullptr;  // the session's
    // Counts connections: a handler of an earlier one that is still queued does nothing.
    std::uint64_t generation_ = 0;
    // The connection's socket as Asio sees it (never closed by Asio: rabbitmq-c owns it).
    std::optional<asio::posix::stream_descriptor> socket_watch_;
    bool watching_ = false;     // a wait on the socket is pending
    bool read_posted_ = false;  // a read round is posted
    asio::steady_timer tick_{io_};
    Clock::time_point tick_at_ = Clock::time_point::max();
    std::deque<Submission> batch_;  // handed over, to be published together
    std::string results_queue_;     // this instance's own: tagged_result_queue(tag_)
    bool results_queue_declared_ = false;
    std::unordered_map<std::string, FlavourQueue> flavours_;
    Clock::time_point next_refresh_;
    Router router_;
    PeerAsks peer_asks_;
    PeerQuestionHandler peer_question_handler_;  // set before start()
    std::optional<ResultsRouting> logged_routing_;
    std::string probe_key_;  // while the probe of this connection is awaited
    Clock::time_point probe_until_;
};

AmqpExecutionBroker::AmqpExecutionBroker(BrokerSettings settings)
    : state_(std::make_shared<State>(std::move(settings))) {}

AmqpExecutionBroker::~AmqpExecutionBroker() {
    stop();
}

bool AmqpExecutionBroker::start() {
    return state_->start();
}
void AmqpExecutionBroker::stop() {
    state_->stop();
}
bool AmqpExecutionBroker::connected() const {
    return state_->connected();
}
void AmqpExecutionBroker::set_max_waiting_executions(std::size_t limit) {
    state_->set_max_waiting(limit);
}

BrokerCounts AmqpExecutionBroker::counts() const {
    return state_->counts();
}

bool AmqpExecutionBroker::per_request_bindings() const {
    return state_->per_request_bindings();
}
std::size_t AmqpExecutionBroker::waiting() const {
    return state_->waiting();
}
std::uint16_t AmqpExecutionBroker::instance_tag() const {
    return state_->instance_tag();
}

void AmqpExecutionBroker::set_peer_question_handler(PeerQuestionHandler handler) {
    state_->set_peer_question_handler(std::move(handler));
}

void AmqpExecutionBroker::answer_peer(const PeerQuestion& question, std::string body) {
    state_->answer_peer(question, std::move(body));
}

asio::awaitable<PeerAnswer> AmqpExecutionBroker::ask_peer(std::uint16_t tag, std::string body,
                                                          Clock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    auto executor = co_await asio::this_coro::executor;
    PeerAnswerChannel channel(executor, 1);
    auto mailbox = std::make_shared<PeerMailbox>(channel);
    struct MailboxDetach {
        PeerMailbox& mailbox;
        ~MailboxDetach() { mailbox.detach(); }  // before the channel goes
    } detach_on_exit{*mailbox};
    asio::steady_timer timer(executor, deadline);
    state_->ask_peer(tag, std::move(body), deadline, mailbox);
    auto outcome = co_await (channel.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                             timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (outcome.index() == 1) {
        throw ecf::Error(ErrorKind::Unavailable,
                         "the ECF instance that accepted this execution does not answer",
                         std::chrono::seconds(1));
    }
    auto& [ec, answer] = std::get<0>(outcome);
    if (ec) {
        throw ecf::Error(ErrorKind::Unavailable,
                         "the connection to the message broker was lost; try again",
                         std::chrono::seconds(1));
    }
    co_return std::move(answer);
}

namespace {

// Cancels a waiting execution when its coroutine is cancelled (its client left). Runs on the
// waiter's thread; the broker thread does the work. The state may be gone by then (stopped).
struct CancelExecution {
    std::weak_ptr<AmqpExecutionBroker::State> state;
    std::string request_id;
    void operator()(asio::cancellation_type type) {
        if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                     asio::cancellation_type::total)) == asio::cancellation_type::none) {
            return;
        }
        if (auto broker = state.lock()) broker->cancel(request_id);
    }
};

// What an execution takes to the broker thread. In one allocation, freed once handed over:
// use_awaitable keeps its initiation's arguments in a frame for the whole wait, and thousands
// of executions may wait at once.
struct HandOver {
    std::shared_ptr<AmqpExecutionBroker::State> state;
    ExecutionRequest request;
    ResultSink sink;  // an asynchronous execution's
};

// Hands the request to the broker thread and waits for what it is told: the result (no sink),
// or the confirm (an asynchronous execution: the ending goes to `sink`), or the error that
// ends it (the deadline is the broker's: Timeout). The handler is stored in the broker's
// ResultRouter by request id (no channel, no timer of its own); cancelling the wait removes it.
// A refusal (State::submit) is told the same way, when the wait begins.
template <typename CompletionToken>
auto async_execution(std::unique_ptr<HandOver> hand_over, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::exception_ptr, ExecutionResult)>(
        [](auto handler, std::unique_ptr<HandOver> hand_over) {
            auto& state = hand_over->state;
            auto& request = hand_over->request;
            asio::any_io_executor work =
                asio::prefer(asio::get_associated_executor(handler, state->executor()),
                             asio::execution::outstanding_work.tracked);
            ExecutionHandler any_handler(std::move(handler));
            // The type-erased handler puts a cancellation state of its own in the caller's slot
            // and hands on cancellations through its slot: ours goes there (a waiter clears it
            // when it completes, a refused one too).
            if (auto slot = any_handler.get_cancellation_slot(); slot.is_connected()) {
                slot.template emplace<CancelExecution>(state, request.request_id);
            }
            if (hand_over->sink) {
                state->submit(std::move(request),
                              ExecutionWaiter(std::move(any_handler), std::move(work),
                                              std::move(hand_over->sink)));
            } else {
                state->submit(std::move(request),
                              ExecutionWaiter(std::move(any_handler), std::move(work)));
            }
        },
        token, std::move(hand_over));
}

}  // namespace

// Not a coroutine: a sync execution waits in the handler async_execution stores, with its
// place among the waiting ones (no frame of this function is kept for the wait).
asio::awaitable<ExecutionResult> AmqpExecutionBroker::execute(ExecutionRequest request) {
    return async_execution(std::make_unique<HandOver>(HandOver{
                               .state = state_, .request = std::move(request), .sink = {}}),
                           asio::use_awaitable);
}

asio::awaitable<void> AmqpExecutionBroker::submit_async(ExecutionRequest request, ResultSink sink) {
    // Named: GCC 12 mishandles a braced temporary in a co_await expression (destroyed twice).
    auto hand_over = std::make_unique<HandOver>(
        HandOver{.state = state_, .request = std::move(request), .sink = std::move(sink)});
    co_await async_execution(std::move(hand_over), asio::use_awaitable);
}

}  // namespace ecf::broker
