#include "async_execution/broker_result_peers.hpp"

#include <spdlog/spdlog.h>

#include <boost/algorithm/hex.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <iterator>

#include "broker/request_id_tag.hpp"
#include "core/error.hpp"

namespace ecf::async_execution {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The wire format between instances (all JSON objects):
//   question: {"op": "execution_result", "id": "<id>", "owner": "<64 hex digits>", "wait_ms": N}
//   answer:   {"found": false} | {"busy": true}
//           | {"found": true, "status": "WORKING"|"READY"|"FAILED", "code": N, "res": "<json>"}
constexpr std::string_view kOperation = "execution_result";

std::string hex_of(const OwnerDigest& digest) {
    std::string text;
    boost::algorithm::hex_lower(digest.begin(), digest.end(), std::back_inserter(text));
    return text;
}

std::optional<OwnerDigest> digest_of(std::string_view hex) {
    OwnerDigest digest{};
    if (hex.size() != digest.size() * 2) return std::nullopt;
    try {
        boost::algorithm::unhex(hex.begin(), hex.end(), digest.begin());
    } catch (const boost::algorithm::hex_decode_error&) {
        return std::nullopt;
    }
    return digest;
}

// Both messages are flat JSON objects: anything nested deeper is refused while parsing.
std::optional<json::object> flat_object(std::string_view body) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 2;
    auto value = json::parse(body, ec, {}, options);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

struct Question {
    std::string id;
    OwnerDigest owner;
    std::chrono::milliseconds wait;
};

std::optional<Question> parse_question(std::string_view body) {
    const auto object = flat_object(body);
    if (!object) return std::nullopt;
    const auto& o = *object;
    const auto* op = o.if_contains("op");
    const auto* id = o.if_contains("id");
    const auto* owner = o.if_contains("owner");
    const auto* wait = o.if_contains("wait_ms");
    if (!op || !op->is_string() || op->as_string() != kOperation || !id || !id->is_string() ||
        !broker::request_id_tag(id->as_string()) || !owner || !owner->is_string() || !wait ||
        !wait->is_int64() || wait->as_int64() < 0) {
        return std::nullopt;
    }
    auto digest = digest_of(owner->as_string());
    if (!digest) return std::nullopt;
    const auto asked = std::chrono::milliseconds(wait->as_int64());
    return Question{std::string(id->as_string()), *digest,
                    std::min<std::chrono::milliseconds>(asked, BrokerResultPeers::kMaxAskedWait)};
}

std::string answer_of(const std::optional<AsyncView>& view) {
    if (!view) return R"({"found":false})";
    return json::serialize(json::object{{"found", true},
                                        {"status", name_of(view->state)},
                                        {"code", view->code},
                                        {"res", view->result_json}});
}

std::optional<AsyncState> state_named(std::string_view name) {
    for (auto state : {AsyncState::Working, AsyncState::Ready, AsyncState::Failed}) {
        if (name_of(state) == name) return state;
    }
    return std::nullopt;
}

// Throws what the asker answers its client when the other instance's answer says so.
std::optional<AsyncView> view_of_answer(std::string_view body) {
    const Error unreadable(ErrorKind::Unavailable,
                           "the ECF instance that accepted this execution answered unreadably");
    const auto object = flat_object(body);
    if (!object) throw unreadable;
    const auto& o = *object;
    if (const auto* busy = o.if_contains("busy"); busy && busy->is_bool() && busy->as_bool()) {
        throw Error(ErrorKind::TooManyRequests, "too many results awaited at once",
                    std::chrono::seconds(1));
    }
    const auto* found = o.if_contains("found");
    if (!found || !found->is_bool()) throw unreadable;
    if (!found->as_bool()) return std::nullopt;
    const auto* status = o.if_contains("status");
    const auto* code = o.if_contains("code");
    const auto* res = o.if_contains("res");
    if (!status || !status->is_string() || !code || !code->is_int64() || !res ||
        !res->is_string()) {
        throw unreadable;
    }
    const auto state = state_named(status->as_string());
    if (!state) throw unreadable;
    return AsyncView{*state, static_cast<int>(code->as_int64()), std::string(res->as_string())};
}

}  // namespace

std::shared_ptr<BrokerResultPeers> BrokerResultPeers::create(
    broker::AmqpExecutionBroker& broker, std::shared_ptr<AsyncResultStore> store,
    asio::any_io_executor executor) {
    std::shared_ptr<BrokerResultPeers> peers(
        new BrokerResultPeers(broker, std::move(store), std::move(executor)));
    // On the broker thread: only hand the question on. Weak: the broker may outlive us.
    broker.set_peer_question_handler(
        [weak = std::weak_ptr<BrokerResultPeers>(peers)](broker::PeerQuestion question) {
            auto self = weak.lock();
            if (!self) return;
            asio::co_spawn(self->executor_, self->answer(std::move(question)), asio::detached);
        });
    return peers;
}

BrokerResultPeers::BrokerResultPeers(broker::AmqpExecutionBroker& broker,
                                     std::shared_ptr<AsyncResultStore> store,
                                     asio::any_io_executor executor)
    : broker_(broker), store_(std::move(store)), executor_(std::move(executor)) {}

bool BrokerResultPeers::held_elsewhere(const std::string& id) const {
    const auto tag = broker::request_id_tag(id);
    return tag && *tag != broker_.instance_tag();
}

// GCC 12 warns of a mismatched operator delete on coroutine frames that asio allocates with its
// own pair of operators: a known false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<std::optional<AsyncView>> BrokerResultPeers::ask(const std::string& id,
                                                                 const OwnerDigest& owner,
                                                                 std::chrono::milliseconds wait) {
    const auto tag = broker::request_id_tag(id);
    if (!tag) co_return std::nullopt;
    const std::string question =
        json::serialize(json::object{{"op", kOperation},
                                     {"id", id},
                                     {"owner", hex_of(owner)},
                                     {"wait_ms", static_cast<std::int64_t>(wait.count())}});
    const auto deadline = std::chrono::steady_clock::now() + wait + kAnswerGrace;
    const auto answer = co_await broker_.ask_peer(*tag, question, deadline);
    // No queue of that tag: the instance is gone (with the results it kept), or never was.
    if (!answer.instance_exists) co_return std::nullopt;
    co_return view_of_answer(answer.body);
}

asio::awaitable<void> BrokerResultPeers::answer(broker::PeerQuestion question) {
    // Keeps this object alive while the question is answered.
    const auto self = shared_from_this();
    const auto parsed = parse_question(question.body);
    if (!parsed) {
        spdlog::debug("question from another instance dropped: malformed");
        co_return;
    }
    std::string body;
    try {
        // This instance's own store only: a question is never passed on to another instance.
        body = answer_of(
            co_await find_result(*store_, nullptr, parsed->id, parsed->owner, parsed->wait));
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::TooManyRequests) co_return;
        body = R"({"busy":true})";
    }
    broker_.answer_peer(question, std::move(body));
}
#pragma GCC diagnostic pop

}  // namespace ecf::async_execution
