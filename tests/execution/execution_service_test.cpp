#include "execution/execution_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <map>
#include <regex>

#include "core/error.hpp"
#include "execution/uuid4.hpp"

namespace ecf::execution {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

class FakeAuthorizer : public auth::TokenAuthorizer {
  public:
    asio::awaitable<Credentials> authorize(std::string_view token) override {
        if (token != "good") throw Error(ErrorKind::Unauthorized, "token does not verify");
        co_return Credentials{"alice", "secret"};
    }
    // Answers flavour_pending to a first authorization when `flavour_checks` is set; with the
    // flavour stated, allows only `allowed_flavour`.
    asio::awaitable<auth::Authorization> authorize_request(
        std::string_view token, const auth::RequestFacts& request) override {
        facts = request;
        calls.push_back(request);
        auto credentials = co_await authorize(token);
        if (!flavour_checks) co_return auth::Authorization{credentials};
        if (!request.flavour) co_return auth::Authorization{credentials, request.flavour_follows};
        if (*request.flavour != allowed_flavour)
            throw Error(ErrorKind::Unauthorized, "Token check failed");
        co_return auth::Authorization{credentials};
    }
    auth::RequestFacts facts;
    std::vector<auth::RequestFacts> calls;
    bool flavour_checks = false;
    std::string allowed_flavour;
};

class FakeDocuments : public documents::DocumentSource {
  public:
    std::map<std::int64_t, documents::Document> documents;
    std::map<std::int64_t, ErrorKind> failures;
    std::vector<std::string> sessions;

    asio::awaitable<documents::Document> fetch(const Credentials& credentials,
                                               std::int64_t id) override {
        sessions.push_back(credentials.session());
        if (auto failure = failures.find(id); failure != failures.end()) {
            throw Error(failure->second, "document " + std::to_string(id));
        }
        auto it = documents.find(id);
        if (it == documents.end()) throw Error(ErrorKind::NotFound, "no such document");
        co_return it->second;
    }
};

class FakeBroker : public broker::ExecutionBroker {
  public:
    std::vector<broker::ExecutionRequest> requests;
    broker::ExecutionResult result{
        200, json::parse(R"({"ret_code": 0, "res": "gAVLGC4=", "err": null})")};
    std::optional<ErrorKind> failure;

    asio::awaitable<broker::ExecutionResult> execute(broker::ExecutionRequest request) override {
        requests.push_back(std::move(request));
        if (failure) throw Error(*failure, "broker says no");
        co_return result;
    }
};

documents::Document function_document() {
    documents::Document document;
    document.id = 7;
    document.type = 1339;
    document.template_values = {{"LANG", "PY"}, {"FC", "gAWV"}, {"FC_HASH", "83f8"}};
    return document;
}

documents::Document requirement_document(json::object values) {
    documents::Document document;
    document.id = 39;
    document.type = 1338;
    document.template_values = std::move(values);
    return document;
}

class ExecutionServiceTest : public ::testing::Test {
  protected:
    FakeAuthorizer authorizer;
    FakeDocuments documents;
    FakeBroker broker;
    ExecutionLimits limits{std::chrono::milliseconds(120'000), std::chrono::milliseconds(10'000)};

    void SetUp() override {
        documents.documents[7] = function_document();
        documents.documents[39] = requirement_document({{"FLAVOUR", "Energy"}});
    }

    FlavourAllowList flavours;

    ExecutionOutcome run(ExecutionCall call, std::string* caller_out = nullptr) {
        ExecutionService service(authorizer, documents, broker, limits, [] {
            return std::string("11111111-2222-4333-8444-555555555555");
        });
        service.set_flavours(flavours);
        asio::io_context io;
        ExecutionTrace trace;
        auto future = asio::co_spawn(io, service.execute(std::move(call), trace), asio::use_future);
        io.run();
        if (caller_out) *caller_out = trace.user;
        return future.get();
    }

    static ExecutionCall call(std::string token = "good") {
        ExecutionCall call;
        call.token = std::move(token);
        call.function_id = 7;
        call.app_req_id = 39;
        call.mode = "sync";
        call.params = {"gAVLAi4=", "gAVLAy4="};
        return call;
    }

    ErrorKind failure_of(ExecutionCall c) {
        try {
            run(std::move(c));
        } catch (const Error& e) {
            return e.kind();
        }
        ADD_FAILURE() << "no error";
        return ErrorKind::Internal;
    }
};

TEST_F(ExecutionServiceTest, PublishesTheMessageOfTheContract) {
    std::string caller;
    auto outcome = run(call(), &caller);
    EXPECT_EQ(caller, "alice");
    ASSERT_EQ(broker.requests.size(), 1u);
    const auto& request = broker.requests[0];
    EXPECT_EQ(request.flavour, "Energy");
    EXPECT_EQ(request.request_id, "11111111-2222-4333-8444-555555555555");
    EXPECT_EQ(json::parse(request.body), json::parse(R"({
        "request_id": "11111111-2222-4333-8444-555555555555", "mode": "sync",
        "payload": {"lang": "PY", "fc": "gAWV", "fc_hash": "83f8",
                    "params": ["gAVLAi4=", "gAVLAy4="], "app_req_id": 39}})"));
    EXPECT_EQ(outcome.status, 200u);
    EXPECT_EQ(outcome.body, json::parse(R"({"ret_code": 0, "res": "gAVLGC4=", "err": null})"));
    ASSERT_EQ(documents.sessions.size(), 2u);
    EXPECT_EQ(documents.sessions[0], "alice:secret");
}

TEST_F(ExecutionServiceTest, AsyncModeIsPassedOn) {
    auto c = call();
    c.mode = "async";
    run(c);
    EXPECT_EQ(json::parse(broker.requests.at(0).body).at("mode"), "async");
}

TEST_F(ExecutionServiceTest, OtherCodesBecomeTheStatusWithDetail) {
    broker.result = {400, json::parse(R"({"ret_code": -1, "res": null, "err": "boom"})")};
    auto outcome = run(call());
    EXPECT_EQ(outcome.status, 400u);
    EXPECT_EQ(outcome.body,
              json::parse(R"({"detail": {"ret_code": -1, "res": null, "err": "boom"}})"));
}

TEST_F(ExecutionServiceTest, ImpossibleCodeIsABadGateway) {
    broker.result = {42, "odd"};
    EXPECT_EQ(failure_of(call()), ErrorKind::BadGateway);
}

TEST_F(ExecutionServiceTest, BadTokenIsUnauthorizedAndNothingIsRead) {
    EXPECT_EQ(failure_of(call("bad")), ErrorKind::Unauthorized);
    EXPECT_TRUE(documents.sessions.empty());
    EXPECT_TRUE(broker.requests.empty());
}

TEST_F(ExecutionServiceTest, DocumentFailuresPassThrough) {
    documents.failures[39] = ErrorKind::Forbidden;
    EXPECT_EQ(failure_of(call()), ErrorKind::Forbidden);
    documents.failures.clear();
    documents.failures[7] = ErrorKind::Internal;
    EXPECT_EQ(failure_of(call()), ErrorKind::Internal);
    EXPECT_TRUE(broker.requests.empty());
}

TEST_F(ExecutionServiceTest, BothReadsFailingGiveTheirOwnKind) {
    documents.failures[7] = ErrorKind::Unauthorized;
    documents.failures[39] = ErrorKind::Unauthorized;
    EXPECT_EQ(failure_of(call()), ErrorKind::Unauthorized);
    documents.failures.clear();
    documents.failures[39] = ErrorKind::Forbidden;
    EXPECT_EQ(failure_of(call()), ErrorKind::Forbidden);
}

TEST_F(ExecutionServiceTest, WrongTypeIsResourceNotFound) {
    documents.documents[7].type = 1338;
    try {
        run(call());
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
        EXPECT_STREQ(e.what(), "Resource not found");
    }
    documents.documents[7].type = 1339;
    documents.documents[39].type = 1339;
    EXPECT_EQ(failure_of(call()), ErrorKind::NotFound);
}

TEST_F(ExecutionServiceTest, MissingFlavourIsUnprocessable) {
    documents.documents[39] = requirement_document({{"MAX_LATENCY", "10"}});
    EXPECT_EQ(failure_of(call()), ErrorKind::Unprocessable);
    documents.documents[39] = requirement_document({{"FLAVOUR", json::object{{"A", "b"}}}});
    EXPECT_EQ(failure_of(call()), ErrorKind::Unprocessable);
}

TEST_F(ExecutionServiceTest, BrokerFailuresPassThrough) {
    broker.failure = ErrorKind::Unavailable;
    EXPECT_EQ(failure_of(call()), ErrorKind::Unavailable);
    broker.failure = ErrorKind::Timeout;
    EXPECT_EQ(failure_of(call()), ErrorKind::Timeout);
}

TEST_F(ExecutionServiceTest, DeadlineIsTheTighterOfTimeoutAndRequirement) {
    using namespace std::chrono;
    auto before = steady_clock::now();
    run(call());
    auto wait = broker.requests.at(0).deadline - before;
    EXPECT_GE(wait, milliseconds(119'000));
    EXPECT_LE(wait, milliseconds(121'000));

    broker.requests.clear();
    documents.documents[39] =
        requirement_document({{"FLAVOUR", "Energy"}, {"MAX_FUNCTION_EXECUTION_TIME", "2.5"}});
    before = steady_clock::now();
    run(call());
    wait = broker.requests.at(0).deadline - before;
    EXPECT_GE(wait, milliseconds(12'000));
    EXPECT_LE(wait, milliseconds(13'000));

    broker.requests.clear();
    documents.documents[39] =
        requirement_document({{"FLAVOUR", "Energy"}, {"MAX_FUNCTION_EXECUTION_TIME", "nonsense"}});
    before = steady_clock::now();
    run(call());
    wait = broker.requests.at(0).deadline - before;
    EXPECT_GE(wait, milliseconds(119'000));
}

TEST_F(ExecutionServiceTest, NestedTemplateValuesAreKept) {
    documents.documents[7].template_values["GEOLOCATION"] =
        json::object{{"LATITUDE", "43.05"}, {"LONGITUDE", "-2.53"}};
    run(call());
    auto payload = json::parse(broker.requests.at(0).body).at("payload");
    EXPECT_EQ(payload.at("geolocation").at("LATITUDE"), "43.05");
}

TEST(Uuid4, IsRandomAndWellFormed) {
    const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    auto a = make_uuid4();
    auto b = make_uuid4();
    EXPECT_TRUE(std::regex_match(a, form)) << a;
    EXPECT_NE(a, b);
}

TEST_F(ExecutionServiceTest, TokenIsAskedForThisExecution) {
    run(call());
    EXPECT_EQ(authorizer.facts.operation, "execute");
    EXPECT_EQ(authorizer.facts.function_id, 7);
    EXPECT_EQ(authorizer.facts.app_requirement_id, 39);
    EXPECT_EQ(authorizer.facts.mode, "sync");
    EXPECT_FALSE(authorizer.facts.flavour);  // known only after the documents are read
    EXPECT_TRUE(authorizer.facts.flavour_follows);
}

TEST_F(ExecutionServiceTest, TokenWithoutFlavourChecksIsAuthorizedOnce) {
    run(call());
    EXPECT_EQ(authorizer.calls.size(), 1u);
    EXPECT_EQ(broker.requests.size(), 1u);
}

TEST_F(ExecutionServiceTest, PendingFlavourChecksAreDecidedWithTheRequirementsFlavour) {
    authorizer.flavour_checks = true;
    authorizer.allowed_flavour = "Energy";
    EXPECT_EQ(run(call()).status, 200u);
    ASSERT_EQ(authorizer.calls.size(), 2u);
    EXPECT_FALSE(authorizer.calls[0].flavour);
    EXPECT_EQ(authorizer.calls[1].flavour, "Energy");
    EXPECT_EQ(authorizer.calls[1].function_id, 7);
    EXPECT_EQ(authorizer.calls[1].app_requirement_id, 39);
    EXPECT_EQ(broker.requests.size(), 1u);
}

TEST_F(ExecutionServiceTest, FailedFlavourCheckIsUnauthorizedAndNothingIsPublished) {
    authorizer.flavour_checks = true;
    authorizer.allowed_flavour = "Nature";
    EXPECT_EQ(failure_of(call()), ErrorKind::Unauthorized);
    EXPECT_EQ(authorizer.calls.size(), 2u);
    EXPECT_TRUE(broker.requests.empty());
}

TEST_F(ExecutionServiceTest, FlavourNotInTheAllowListIsForbiddenAndNothingIsPublished) {
    flavours = FlavourAllowList({"Nature", "GPU"});
    try {
        run(call());
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Forbidden);
        EXPECT_EQ(std::string(e.what()), kFlavourNotServed);
    }
    EXPECT_TRUE(broker.requests.empty());
    flavours = FlavourAllowList({"Nature", "Energy"});
    EXPECT_EQ(run(call()).status, 200u);
    EXPECT_EQ(broker.requests.size(), 1u);
}

}  // namespace
}  // namespace ecf::execution
