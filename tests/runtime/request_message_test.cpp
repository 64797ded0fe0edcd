#include "runtime/request_message.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/error.hpp"

namespace ecf::runtime {
namespace {

namespace json = boost::json;

TEST(RequestMessage, ParsesTheContractsMessage) {
    const auto message = parse_request_message(
        R"({"request_id":"6f1c","mode":"sync","payload":{"lang":"PY","fc":"x","params":[]}})");
    EXPECT_EQ(message.request_id, "6f1c");
    EXPECT_EQ(message.mode, "sync");
    EXPECT_EQ(message.payload.at("lang").as_string(), "PY");
}

TEST(RequestMessage, RejectsMalformedMessages) {
    for (const char* body :
         {"", "not json", "[]", "{}", R"({"request_id":"","payload":{}})",
          R"({"request_id":5,"payload":{}})", R"({"request_id":"a"})",
          R"({"request_id":"a","payload":[]})", R"({"request_id":"a","mode":1,"payload":{}})"}) {
        EXPECT_THROW(parse_request_message(body), ecf::Error) << body;
    }
    const std::string long_id(256, 'a');
    EXPECT_THROW(parse_request_message(R"({"request_id":")" + long_id + R"(","payload":{}})"),
                 ecf::Error);
}

TEST(RequestMessage, WritesTheResultMessage) {
    const broker::ExecutionResult result{200,
                                         json::parse(R"({"ret_code":0,"res":"x","err":null})")};
    EXPECT_EQ(json::parse(result_message_body(result)),
              json::parse(R"({"code":200,"message":{"ret_code":0,"res":"x","err":null}})"));
}

}  // namespace
}  // namespace ecf::runtime
