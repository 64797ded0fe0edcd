// AmqpExecutionBroker against a real RabbitMQ: the node of the CTest fixture `rabbitmq` (its
// AMQP port in the file named by ECF_TEST_RABBITMQ_PORT_FILE), and for the restart test a
// private node of its own started through tests/harness/rabbitmq.py.

#include "broker/amqp_execution_broker.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "broker/random_name.hpp"
#include "broker/request_id_tag.hpp"
#include "core/error.hpp"
#include "test_runtime.hpp"

namespace ecf::broker {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::TestRuntime;
using testing::TestRuntimeBehaviour;

std::string unique(const std::string& prefix) {
    static int counter = 0;
    return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

std::string uuid_like(int i) {
    return unique("req") + "-" + std::to_string(i);
}

std::optional<std::uint16_t> fixture_port() {
    const char* file = std::getenv("ECF_TEST_RABBITMQ_PORT_FILE");
    if (!file) return std::nullopt;
    std::ifstream in(file);
    int port = 0;
    if (!(in >> port) || port <= 0) return std::nullopt;
    return static_cast<std::uint16_t>(port);
}

BrokerAddress address_on(std::uint16_t port) {
    return BrokerAddress::parse("amqp://guest:guest@127.0.0.1:" + std::to_string(port));
}

ExecutionRequest make_request(const std::string& flavour, const std::string& id,
                              std::chrono::milliseconds timeout,
                              const std::string& params = "gAVLAi4=") {
    boost::json::object payload{
        {"lang", "PY"}, {"fc", "Zm4="}, {"params", {params}}, {"app_req_id", 39}};
    boost::json::object body{{"request_id", id}, {"mode", "sync"}, {"payload", payload}};
    return ExecutionRequest{flavour, id, boost::json::serialize(body), Clock::now() + timeout};
}

std::string expected_res(const ExecutionRequest& r) {
    return boost::json::serialize(boost::json::parse(r.body).at("payload"));
}

// Runs one execute() to completion on a private io_context; bounded by `limit`.
ExecutionResult run_execute(AmqpExecutionBroker& broker, ExecutionRequest request,
                            std::chrono::milliseconds limit = 20s) {
    asio::io_context io;
    auto future = asio::co_spawn(io, broker.execute(std::move(request)), asio::use_future);
    io.run_for(limit);
    if (future.wait_for(0s) != std::future_status::ready) {
        throw std::runtime_error("execute() did not complete in time");
    }
    return future.get();
}

ErrorKind error_kind_of(AmqpExecutionBroker& broker, ExecutionRequest request) {
    try {
        run_execute(broker, std::move(request));
    } catch (const ecf::Error& e) {
        return e.kind();
    }
    ADD_FAILURE() << "execute() succeeded";
    return ErrorKind::BadRequest;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
        if (condition()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return condition();
}

class AmqpExecutionBrokerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto port = fixture_port();
        if (!port) GTEST_SKIP() << "no RabbitMQ: run through CTest (fixture `rabbitmq`)";
        address_ = address_on(*port);
    }

    BrokerSettings settings() const {
        BrokerSettings s;
        s.address = address_;
        s.instance_name = "ecf-broker-test";
        // These tests' request ids are not tagged uuids (request_id_tag.hpp), and tests run in
        // parallel on one vhost: through the shared queue another test's broker could take
        // their results and drop them. Sharing has tests of its own below.
        s.share_results = false;
        return s;
    }

    BrokerAddress address_;
};

TEST_F(AmqpExecutionBrokerTest, RoutesTheResultToItsWaiter) {
    const auto flavour = unique("flavour");
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    EXPECT_FALSE(broker.per_request_bindings());
    TestRuntime runtime(address_, flavour);
    auto request = make_request(flavour, uuid_like(0), 10s);
    const auto expected = expected_res(request);
    const auto result = run_execute(broker, request);
    EXPECT_EQ(result.code, 200);
    EXPECT_EQ(result.message.at("ret_code").as_int64(), 0);
    EXPECT_EQ(std::string(result.message.at("res").as_string()), expected);
    EXPECT_EQ(broker.waiting(), 0u);
}

// An asynchronous execution: submit_async() returns once RabbitMQ confirmed the request (before
// the runtime answered), and the ending reaches the sink on the broker thread.
class SinkEndings {
  public:
    ResultSink sink() {
        return [this](AsyncEnding ending) {
            std::lock_guard lock(mutex_);
            endings_.push_back(std::move(ending));
            cv_.notify_all();
        };
    }
    std::optional<AsyncEnding> wait(std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, limit, [this] { return !endings_.empty(); })) return std::nullopt;
        return endings_.front();
    }
    std::size_t count() {
        std::lock_guard lock(mutex_);
        return endings_.size();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<AsyncEnding> endings_;
};

void run_submit_async(AmqpExecutionBroker& broker, ExecutionRequest request, ResultSink sink) {
    asio::io_context io;
    auto future = asio::co_spawn(io, broker.submit_async(std::move(request), std::move(sink)),
                                 asio::use_future);
    io.run_for(20s);
    if (future.wait_for(0s) != std::future_status::ready) {
        throw std::runtime_error("submit_async() did not complete in time");
    }
    future.get();
}

TEST_F(AmqpExecutionBrokerTest, AnAsyncSubmissionReturnsAtTheConfirmAndItsResultReachesTheSink) {
    const auto flavour = unique("flavour");
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    TestRuntimeBehaviour slow;
    slow.delay = 500ms;
    TestRuntime runtime(address_, flavour, slow);
    auto request = make_request(flavour, uuid_like(100), 10s);
    const auto expected = expected_res(request);
    SinkEndings endings;
    run_submit_async(broker, request, endings.sink());
    EXPECT_EQ(endings.count(), 0u);   // confirmed, not answered yet (the runtime waits 500 ms)
    EXPECT_EQ(broker.waiting(), 0u);  // not counted with the sync waiters
    auto ending = endings.wait(10s);
    ASSERT_TRUE(ending && ending->result);
    EXPECT_EQ(ending->result->code, 200);
    EXPECT_EQ(std::string(ending->result->message.at("res").as_string()), expected);
}

TEST_F(AmqpExecutionBrokerTest, AnAsyncExecutionPastItsDeadlineTellsTheSinkTimeout) {
    const auto flavour = unique("flavour");
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    TestRuntimeBehaviour silent;
    silent.answer = false;
    TestRuntime runtime(address_, flavour, silent);
    SinkEndings endings;
    run_submit_async(broker, make_request(flavour, uuid_like(101), 300ms), endings.sink());
    auto ending = endings.wait(10s);
    ASSERT_TRUE(ending && ending->error);
    EXPECT_EQ(ending->error->kind(), ErrorKind::Timeout);
}

TEST_F(AmqpExecutionBrokerTest, AnAsyncSubmissionWhileDisconnectedIsUnavailable) {
    BrokerSettings s = settings();
    s.address = address_on(1);  // nothing listens there
    s.connection.connect_timeout = 200ms;
    AmqpExecutionBroker broker(s);
    EXPECT_FALSE(broker.start());
    SinkEndings endings;
    try {
        run_submit_async(broker, make_request(unique("flavour"), uuid_like(102), 5s),
                         endings.sink());
        ADD_FAILURE() << "submit_async() succeeded";
    } catch (const ecf::Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    }
    EXPECT_EQ(endings.count(), 0u);
}

TEST_F(AmqpExecutionBrokerTest, ManyConcurrentRequestsEachGetTheirOwnResult) {
    const auto flavour = unique("flavour");
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    std::vector<std::unique_ptr<TestRuntime>> runtimes;
    for (int i = 0; i < 4; ++i)
        runtimes.push_back(std::make_unique<TestRuntime>(address_, flavour));

    constexpr int kRequests = 300;
    asio::io_context io;
    std::vector<std::future<ExecutionResult>> futures;
    std::vector<std::string> expected;
    for (int i = 0; i < kRequests; ++i) {
        auto request = make_request(flavour, uuid_like(i), 30s, "param-" + std::to_string(i));
        expected.push_back(expected_res(request));
        futures.push_back(asio::co_spawn(io, broker.execute(std::move(request)), asio::use_future));
    }
    std::thread second([&] { io.run_for(40s); });
    io.run_for(40s);
    second.join();
    for (int i = 0; i < kRequests; ++i) {
        ASSERT_EQ(futures[i].wait_for(0s), std::future_status::ready) << i;
        const auto result = futures[i].get();
        EXPECT_EQ(std::string(result.message.at("res").as_string()), expected[i]) << i;
    }
    EXPECT_EQ(broker.waiting(), 0u);
}

TEST_F(AmqpExecutionBrokerTest, DeadlineGivesTimeoutAndTheLateResultIsDropped) {
    const auto flavour = unique("flavour");
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    {
        TestRuntimeBehaviour slow;
        slow.delay = 600ms;
        TestRuntime runtime(address_, flavour, slow);
        const auto started = Clock::now();
        EXPECT_EQ(error_kind_of(broker, make_request(flavour, uuid_like(0), 300ms)),
                  ErrorKind::Timeout);
        EXPECT_LT(Clock::now() - started, 2s);
        const auto dropped_before = broker.counts().dropped_results;
        // The late result is published, then dropped by the broker (counted among the results of
        // nobody here: those of other tests' instances on the same node count there too).
        ASSERT_TRUE(wait_until([&] { return runtime.answered() == 1; }, 5s));
        ASSERT_TRUE(
            wait_until([&] { return broker.counts().dropped_results > dropped_before; }, 5s));
    }
    TestRuntime runtime(address_, flavour);
    auto request = make_request(flavour, uuid_like(1), 10s, "fresh");
    const auto expected = expected_res(request);
    EXPECT_EQ(std::string(run_execute(broker, request).message.at("res").as_string()), expected);
}

TEST_F(AmqpExecutionBrokerTest, ACancelledWaitEndsAtOnceAndItsLateResultIsDropped) {
    // A waiter whose coroutine is cancelled (its client left) is answered at once and forgotten
    // by the broker: its slot goes back, and the result the runtime sends later is dropped.
    const auto flavour = unique("flavour");
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    {
        TestRuntimeBehaviour slow;
        slow.delay = 1500ms;
        TestRuntime runtime(address_, flavour, slow);
        asio::io_context io;
        asio::cancellation_signal client_left;
        auto future =
            asio::co_spawn(io, broker.execute(make_request(flavour, uuid_like(0), 20s)),
                           asio::bind_cancellation_slot(client_left.slot(), asio::use_future));
        // Until the runtime has the request: the wait is in the broker's router then.
        ASSERT_TRUE(wait_until(
            [&] {
                io.poll();
                return runtime.received() == 1;
            },
            10s));
        EXPECT_EQ(broker.waiting(), 1u);
        const auto cancelled = Clock::now();
        client_left.emit(asio::cancellation_type::terminal);
        io.run_for(5s);
        ASSERT_EQ(future.wait_for(0s), std::future_status::ready);
        EXPECT_LT(Clock::now() - cancelled, 1s);
        try {
            future.get();
            ADD_FAILURE() << "a cancelled execution succeeded";
        } catch (const boost::system::system_error& e) {
            EXPECT_EQ(e.code(), asio::error::operation_aborted);
        }
        EXPECT_EQ(broker.waiting(), 0u);
        const auto dropped = broker.counts().dropped_results;
        // The runtime still answers (the request was queued): that result is dropped.
        EXPECT_TRUE(wait_until([&] { return broker.counts().dropped_results > dropped; }, 5s));
    }
    TestRuntime runtime(address_, flavour);
    EXPECT_EQ(run_execute(broker, make_request(flavour, uuid_like(1), 10s)).code, 200);
}

TEST_F(AmqpExecutionBrokerTest, DuplicateResultsAreIgnored) {
    const auto flavour = unique("flavour");
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    TestRuntimeBehaviour twice;
    twice.answer_twice = true;
    TestRuntime runtime(address_, flavour, twice);
    for (int i = 0; i < 5; ++i) {
        auto request = make_request(flavour, uuid_like(i), 10s, "p" + std::to_string(i));
        const auto expected = expected_res(request);
        EXPECT_EQ(std::string(run_execute(broker, request).message.at("res").as_string()),
                  expected);
    }
}

TEST_F(AmqpExecutionBrokerTest, TooManyWaitingExecutionsAreRefusedAtOnce) {
    const auto flavour = unique("flavour");
    auto s = settings();
    s.max_waiting_executions = 2;
    AmqpExecutionBroker broker(s);
    ASSERT_TRUE(broker.start());
    TestRuntimeBehaviour silent;
    silent.answer = false;
    TestRuntime runtime(address_, flavour, silent);
    asio::io_context io;
    auto a = asio::co_spawn(io, broker.execute(make_request(flavour, uuid_like(0), 2s)),
                            asio::use_future);
    auto b = asio::co_spawn(io, broker.execute(make_request(flavour, uuid_like(1), 2s)),
                            asio::use_future);
    auto c = asio::co_spawn(io, broker.execute(make_request(flavour, uuid_like(2), 2s)),
                            asio::use_future);
    io.run_for(5s);
    EXPECT_THROW(a.get(), ecf::Error);
    EXPECT_THROW(b.get(), ecf::Error);
    try {
        c.get();
        ADD_FAILURE() << "third execution accepted";
    } catch (const ecf::Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    }
}

TEST_F(AmqpExecutionBrokerTest, FlavourQueueWithOtherPropertiesFailsOnlyThatRequest) {
    const auto bad = unique("durable-flavour");
    const auto good = unique("flavour");
    {
        AmqpConnection setup(address_);
        setup.open_channel(1);
        AmqpQueueOptions durable;
        durable.durable = true;
        setup.declare_queue(1, bad, durable);
    }
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    TestRuntime runtime(address_, good);
    EXPECT_EQ(error_kind_of(broker, make_request(bad, uuid_like(0), 5s)), ErrorKind::Internal);
    auto request = make_request(good, uuid_like(1), 10s);
    EXPECT_EQ(run_execute(broker, request).code, 200);
    EXPECT_EQ(error_kind_of(broker, make_request(bad, uuid_like(2), 5s)), ErrorKind::Internal);
    EXPECT_EQ(run_execute(broker, make_request(good, uuid_like(3), 10s)).code, 200);
    AmqpConnection cleanup(address_);
    cleanup.open_channel(1);
    cleanup.delete_queue(1, bad);
}

TEST_F(AmqpExecutionBrokerTest, AFlavourQueueDeletedMeanwhileGivesUnavailableThenIsDeclaredAgain) {
    const auto flavour = unique("flavour");
    AmqpExecutionBroker broker(settings());
    ASSERT_TRUE(broker.start());
    {
        TestRuntime runtime(address_, flavour);
        EXPECT_EQ(run_execute(broker, make_request(flavour, uuid_like(0), 10s)).code, 200);
    }
    {
        AmqpConnection operator_side(address_);
        operator_side.open_channel(1);
        operator_side.delete_queue(1, flavour);
    }
    // Mandatory publication to a queue that is gone: returned, so 503 at once, not a timeout.
    const auto started = Clock::now();
    EXPECT_EQ(error_kind_of(broker, make_request(flavour, uuid_like(1), 10s)),
              ErrorKind::Unavailable);
    EXPECT_LT(Clock::now() - started, 2s);
    TestRuntime runtime(address_, flavour);
    EXPECT_EQ(run_execute(broker, make_request(flavour, uuid_like(2), 10s)).code, 200);
}

// Contract §4: `results` with default properties and no arguments, so that anyone (the
// original ECF, the SRs, an operator's tool) may declare it before or after us.
void expect_plain_declaration_accepted(const BrokerAddress& address, const std::string& results) {
    AmqpConnection other(address);
    other.open_channel(1);
    EXPECT_NO_THROW(other.declare_exchange(1, results, "direct"));
}

TEST_F(AmqpExecutionBrokerTest, DeclaresResultsPlainlyAndTakesTheFastPathFromThePolicy) {
    // The fixture node carries the policy of the harness (tests/harness/rabbitmq.py) on
    // `results`: unrouted results reach our fanout.
    const auto flavour = unique("flavour");
    expect_plain_declaration_accepted(address_, kResultsExchange);
    std::vector<ResultsRouting> told;
    std::mutex told_mutex;
    auto s = settings();
    s.on_results_routing = [&](ResultsRouting routing) {
        std::lock_guard lock(told_mutex);
        told.push_back(routing);
    };
    AmqpExecutionBroker broker(s);
    ASSERT_TRUE(broker.start());
    EXPECT_FALSE(broker.per_request_bindings());
    {
        std::lock_guard lock(told_mutex);
        EXPECT_EQ(told, std::vector<ResultsRouting>{ResultsRouting::AlternateExchange});
    }
    expect_plain_declaration_accepted(address_, kResultsExchange);
    TestRuntime runtime(address_, flavour);
    auto request = make_request(flavour, uuid_like(0), 10s);
    EXPECT_EQ(std::string(run_execute(broker, request).message.at("res").as_string()),
              expected_res(request));
}

TEST_F(AmqpExecutionBrokerTest, BindsEachRequestWhenUnroutedResultsDoNotReachIt) {
    // A `results` of its own name, which no policy matches, declared plainly before us.
    const auto results = unique("results-plain");
    const auto flavour = unique("flavour");
    expect_plain_declaration_accepted(address_, results);
    auto s = settings();
    s.results_exchange = results;
    s.probe_timeout = 300ms;
    std::atomic<int> per_request{0};
    s.on_results_routing = [&](ResultsRouting routing) {
        if (routing == ResultsRouting::PerRequestBindings) ++per_request;
    };
    AmqpExecutionBroker broker(s);
    ASSERT_TRUE(broker.start());
    EXPECT_TRUE(broker.per_request_bindings());
    EXPECT_EQ(per_request.load(), 1);
    expect_plain_declaration_accepted(address_, results);
    TestRuntimeBehaviour behaviour;
    behaviour.results_exchange = results;
    TestRuntime runtime(address_, flavour, behaviour);
    for (int i = 0; i < 20; ++i) {
        auto request = make_request(flavour, uuid_like(i), 10s, "fb" + std::to_string(i));
        const auto expected = expected_res(request);
        EXPECT_EQ(std::string(run_execute(broker, request).message.at("res").as_string()),
                  expected);
    }
    AmqpConnection cleanup(address_);
    cleanup.open_channel(1);
    cleanup.delete_exchange(1, results);
}

TEST_F(AmqpExecutionBrokerTest, SharingInstancesEachGetTheirOwnResults) {
    // Two instances share the unrouted results (one queue, RabbitMQ hands each result to one of
    // them) and forward each other's by the tag in the request id.
    const auto flavour = unique("flavour");
    auto shared = settings();
    shared.share_results = true;
    AmqpExecutionBroker first(shared);
    AmqpExecutionBroker second(shared);
    ASSERT_TRUE(first.start());
    ASSERT_TRUE(second.start());
    EXPECT_NE(first.instance_tag(), second.instance_tag());
    std::vector<std::unique_ptr<TestRuntime>> runtimes;
    for (int i = 0; i < 2; ++i)
        runtimes.push_back(std::make_unique<TestRuntime>(address_, flavour));

    constexpr int kRequests = 100;
    asio::io_context io;
    std::vector<std::future<ExecutionResult>> futures;
    std::vector<std::string> expected;
    for (int i = 0; i < kRequests; ++i) {
        auto& broker = i % 2 == 0 ? first : second;
        const auto id = tag_request_id(random_uuid4_text(), broker.instance_tag());
        auto request = make_request(flavour, id, 30s, "param-" + std::to_string(i));
        expected.push_back(expected_res(request));
        futures.push_back(asio::co_spawn(io, broker.execute(std::move(request)), asio::use_future));
    }
    std::thread other([&] { io.run_for(40s); });
    io.run_for(40s);
    other.join();
    for (int i = 0; i < kRequests; ++i) {
        ASSERT_EQ(futures[i].wait_for(0s), std::future_status::ready) << i;
        const auto result = futures[i].get();
        EXPECT_EQ(std::string(result.message.at("res").as_string()), expected[i]) << i;
    }
    // Each took some of the other's results from the shared queue and forwarded them.
    // (Lost forwards are not checked: tests running beside this one on the vhost may stop while
    // a probe of theirs is forwarded to them.)
    EXPECT_GT(first.counts().forwarded_results + second.counts().forwarded_results, 0u);
}

// Runs one ask_peer() to completion on a private io_context.
PeerAnswer run_ask(AmqpExecutionBroker& broker, std::uint16_t tag, const std::string& body,
                   std::chrono::milliseconds wait = 5s) {
    asio::io_context io;
    auto future =
        asio::co_spawn(io, broker.ask_peer(tag, body, Clock::now() + wait), asio::use_future);
    io.run_for(wait + 5s);
    if (future.wait_for(0s) != std::future_status::ready) {
        throw std::runtime_error("ask_peer() did not complete in time");
    }
    return future.get();
}

// Answers every question with "answer to " and its body, and keeps the questions.
struct AnsweringInstance {
    explicit AnsweringInstance(BrokerSettings settings) : broker(std::move(settings)) {
        broker.set_peer_question_handler([this](PeerQuestion question) {
            {
                std::lock_guard lock(mutex);
                questions.push_back(question);
            }
            changed.notify_all();
            broker.answer_peer(question, "answer to " + question.body);
        });
    }
    bool wait_for_questions(std::size_t n, std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return questions.size() >= n; });
    }
    AmqpExecutionBroker broker;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<PeerQuestion> questions;
};

TEST_F(AmqpExecutionBrokerTest, InstancesAskEachOtherThroughTheirResultQueues) {
    AnsweringInstance first(settings());
    AmqpExecutionBroker second(settings());
    ASSERT_TRUE(first.broker.start());
    ASSERT_TRUE(second.start());
    const auto answer = run_ask(second, first.broker.instance_tag(), R"({"q":1})");
    EXPECT_TRUE(answer.instance_exists);
    EXPECT_EQ(answer.body, R"(answer to {"q":1})");
    ASSERT_TRUE(first.wait_for_questions(1, 1s));
    {
        std::lock_guard lock(first.mutex);
        EXPECT_EQ(first.questions[0].reply_to, tagged_result_queue(second.instance_tag()));
    }

    // A tag no instance holds: no queue takes the question, and the asker knows at once (a
    // return), not at its deadline.
    std::uint16_t nobody = first.broker.instance_tag() ^ 0x8000;
    if (nobody == second.instance_tag()) nobody ^= 0x4000;
    const auto started = Clock::now();
    EXPECT_FALSE(run_ask(second, nobody, "{}", 20s).instance_exists);
    EXPECT_LT(Clock::now() - started, 10s);
}

TEST_F(AmqpExecutionBrokerTest, AnUnansweredQuestionGivesUnavailableAtItsDeadline) {
    AmqpExecutionBroker asker(settings());
    ASSERT_TRUE(asker.start());
    // A queue named as an instance's, that nobody consumes (an instance killed a moment ago).
    const std::uint16_t tag = asker.instance_tag() ^ 0x1234;
    AmqpConnection other(address_);
    other.open_channel(1);
    AmqpQueueOptions options;
    options.expires_ms = 30'000;
    other.declare_queue(1, tagged_result_queue(tag), options);
    try {
        run_ask(asker, tag, "{}", 500ms);
        ADD_FAILURE() << "answered";
    } catch (const ecf::Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
        EXPECT_TRUE(e.retry_after().has_value());
    }
    other.delete_queue(1, tagged_result_queue(tag));
}

TEST_F(AmqpExecutionBrokerTest, AQuestionWhoseAnswerWouldGoElsewhereThanAResultQueueIsDropped) {
    // A forged question (anyone on the broker may publish) must not make an instance publish
    // into a flavour queue: only result queues get answers.
    AnsweringInstance instance(settings());
    ASSERT_TRUE(instance.broker.start());
    const auto flavour = unique("flavour");
    AmqpConnection forger(address_);
    forger.open_channel(1);
    forger.declare_queue(1, flavour);
    AmqpProperties forged;
    forged.type = kPeerQuestionType;
    forged.correlation_id = "forged";
    forged.reply_to = flavour;
    const auto queue = tagged_result_queue(instance.broker.instance_tag());
    forger.publish(1, "", queue, "forged", forged);
    // Then a valid one, behind it in the same queue: once it is told, the forged one was read.
    AmqpProperties valid = forged;
    valid.correlation_id = "valid";
    valid.reply_to = queue;
    forger.publish(1, "", queue, "valid", valid);
    ASSERT_TRUE(instance.wait_for_questions(1, 10s));
    {
        std::lock_guard lock(instance.mutex);
        ASSERT_EQ(instance.questions.size(), 1u);
        EXPECT_EQ(instance.questions[0].body, "valid");
    }
    AmqpQueueOptions passive;
    passive.passive = true;
    EXPECT_EQ(forger.declare_queue_state(1, flavour, passive).messages, 0u);
    forger.delete_queue(1, flavour);
}

TEST_F(AmqpExecutionBrokerTest, AClusterListSkipsANodeThatIsDown) {
    // Whichever node it starts from (a random one), it ends up on the live one.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    const auto flavour = unique("flavour");
    for (int round = 0; round < 3; ++round) {
        auto s = settings();
        s.addresses = {address_on(ntohs(addr.sin_port)), address_};
        s.connection.connect_timeout = 1s;
        AmqpExecutionBroker broker(s);
        ASSERT_TRUE(broker.start());
        TestRuntime runtime(address_, flavour);
        const auto result = run_execute(broker, make_request(flavour, uuid_like(round), 10s));
        EXPECT_EQ(result.code, 200);
    }
}

TEST(AmqpExecutionBrokerDown, UnreachableBrokerGivesUnavailableAtOnce) {
    // A port nobody listens on: bind one, close it.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    BrokerSettings s;
    s.address = address_on(ntohs(addr.sin_port));
    s.connection.connect_timeout = 1s;
    AmqpExecutionBroker broker(s);
    EXPECT_FALSE(broker.start());
    const auto started = Clock::now();
    EXPECT_EQ(error_kind_of(broker, make_request("f", "r", 10s)), ErrorKind::Unavailable);
    EXPECT_LT(Clock::now() - started, 200ms);
    broker.stop();
}

// A private node of one test, through the harness CLI; stopped and removed at the end.
class PrivateNode {
  public:
    explicit PrivateNode(bool tls = false)
        : dir_("/tmp/ecf-broker-node-" + std::to_string(::getpid()) + "-" +
               std::to_string(++count_)) {
        const std::string port_file = dir_ + ".port";
        if (std::system((kCli + " start --dir " + dir_ + " --port-file " + port_file +
                         (tls ? " --tls" : "") + " >/dev/null")
                            .c_str()) == 0) {
            std::ifstream(port_file) >> port_;
            std::ifstream state(dir_ + "/state.json");
            std::string text((std::istreambuf_iterator<char>(state)),
                             std::istreambuf_iterator<char>());
            const auto tls_port = boost::json::parse(text).at("tls_port");
            if (tls_port.is_int64()) tls_port_ = static_cast<int>(tls_port.as_int64());
        }
        std::remove(port_file.c_str());
    }
    BrokerAddress tls_address() const {
        return BrokerAddress::parse("amqps://guest:guest@localhost:" + std::to_string(tls_port_));
    }
    std::string ca_file() const { return dir_ + "/tls/ca.pem"; }
    ~PrivateNode() {
        [[maybe_unused]] int rc =
            std::system((kCli + " stop --remove --dir " + dir_ + " >/dev/null").c_str());
    }
    bool started() const { return port_ > 0; }
    BrokerAddress address() const { return address_on(static_cast<std::uint16_t>(port_)); }
    bool restart() const {
        return std::system((kCli + " restart --dir " + dir_ + " >/dev/null").c_str()) == 0;
    }
    // rabbitmqctl against this node, with its environment (cookie, node name).
    bool ctl(const std::string& args) const {
        return std::system((kCli + " ctl --dir " + dir_ + " " + args + " >/dev/null").c_str()) == 0;
    }

  private:
    static inline const std::string kCli = std::string("/usr/bin/python3 ") + ECF_RABBITMQ_HARNESS;
    static inline int count_ = 0;
    std::string dir_;
    int port_ = 0;
    int tls_port_ = 0;
};

TEST(AmqpExecutionBrokerTls, RoundTripsOverTlsAndRefusesAnUntrustedCertificate) {
    PrivateNode node(/*tls=*/true);
    ASSERT_TRUE(node.started());
    {
        BrokerSettings untrusted;
        untrusted.address = node.tls_address();  // verify the peer with the default trust store
        untrusted.connection.connect_timeout = 3s;
        AmqpExecutionBroker broker(untrusted);
        EXPECT_FALSE(broker.start());
    }
    BrokerSettings s;
    s.address = node.tls_address();
    s.connection.tls_ca_file = node.ca_file();
    AmqpExecutionBroker broker(s);
    ASSERT_TRUE(broker.start());
    const auto flavour = unique("flavour");
    TestRuntime runtime(node.address(), flavour);  // the SR side over plain AMQP
    constexpr int kRequests = 100;
    asio::io_context io;
    std::vector<std::future<ExecutionResult>> futures;
    std::vector<std::string> expected;
    for (int i = 0; i < kRequests; ++i) {
        // Large enough bodies that TLS records and AMQP frames do not line up.
        auto request =
            make_request(flavour, uuid_like(i), 30s, std::string(5000 + i * 37, 'a' + i % 26));
        expected.push_back(expected_res(request));
        futures.push_back(asio::co_spawn(io, broker.execute(std::move(request)), asio::use_future));
    }
    io.run_for(40s);
    for (int i = 0; i < kRequests; ++i) {
        ASSERT_EQ(futures[i].wait_for(0s), std::future_status::ready) << i;
        EXPECT_EQ(std::string(futures[i].get().message.at("res").as_string()), expected[i]) << i;
    }
}

TEST(AmqpExecutionBrokerAlarm, BlockedPublishersGiveUnavailableAtOnceUntilUnblocked) {
    PrivateNode node;
    ASSERT_TRUE(node.started());
    BrokerSettings s;
    s.address = node.address();
    AmqpExecutionBroker broker(s);
    ASSERT_TRUE(broker.start());
    const auto flavour = unique("flavour");
    TestRuntime runtime(node.address(), flavour);
    EXPECT_EQ(run_execute(broker, make_request(flavour, uuid_like(0), 10s)).code, 200);
    ASSERT_TRUE(node.ctl("set_vm_memory_high_watermark 0"));
    ASSERT_TRUE(wait_until(
        [&] {
            const auto started = Clock::now();
            try {
                run_execute(broker, make_request(flavour, unique("blocked"), 300ms));
            } catch (const ecf::Error& e) {
                return e.kind() == ErrorKind::Unavailable && Clock::now() - started < 100ms;
            }
            return false;
        },
        15s));
    ASSERT_TRUE(node.ctl("set_vm_memory_high_watermark 0.6"));
    ASSERT_TRUE(wait_until(
        [&] {
            try {
                return run_execute(broker, make_request(flavour, unique("free"), 2s)).code == 200;
            } catch (const ecf::Error&) {
                return false;
            }
        },
        15s));
}

// A private node, restarted under the broker's feet.
TEST(AmqpExecutionBrokerRestart, ReconnectsAfterTheBrokerRestarts) {
    PrivateNode node;
    ASSERT_TRUE(node.started());
    const auto address = node.address();
    BrokerSettings s;
    s.address = address;
    s.reconnect_max = 500ms;
    AmqpExecutionBroker broker(s);
    ASSERT_TRUE(broker.start());
    const auto flavour = unique("flavour");
    {
        TestRuntime runtime(address, flavour);
        EXPECT_EQ(run_execute(broker, make_request(flavour, uuid_like(0), 10s)).code, 200);
    }
    ASSERT_TRUE(node.restart());
    ASSERT_TRUE(wait_until([&] { return broker.connected(); }, 30s));
    TestRuntime runtime(address, flavour);
    EXPECT_EQ(run_execute(broker, make_request(flavour, uuid_like(1), 10s)).code, 200);
}

}  // namespace
}  // namespace ecf::broker
