#include "runtime/request_message.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"

namespace ecf::runtime {
namespace {

// An AMQP routing key is a short string: at most 255 bytes.
constexpr std::size_t kMaxRequestIdBytes = 255;

[[noreturn]] void reject(const char* reason) {
    throw Error(ErrorKind::Unprocessable, reason);
}

}  // namespace

RequestMessage parse_request_message(std::string_view body) {
    boost::system::error_code ec;
    boost::json::value message = boost::json::parse(body, ec);
    if (ec) reject("request message is not JSON");
    auto* object = message.if_object();
    if (object == nullptr) reject("request message is not a JSON object");

    const auto* request_id = object->if_contains("request_id");
    if (request_id == nullptr || !request_id->is_string() || request_id->as_string().empty() ||
        request_id->as_string().size() > kMaxRequestIdBytes) {
        reject("request message has no valid request_id");
    }
    const auto* mode = object->if_contains("mode");
    if (mode != nullptr && !mode->is_string())
        reject("request message has a mode that is no string");
    auto* payload = object->if_contains("payload");
    if (payload == nullptr || !payload->is_object())
        reject("request message has no payload object");

    return RequestMessage{std::string(request_id->as_string()),
                          mode != nullptr ? std::string(mode->as_string()) : "sync",
                          std::move(*payload)};
}

std::string result_message_body(const broker::ExecutionResult& result) {
    return boost::json::serialize(
        boost::json::object{{"code", result.code}, {"message", result.message}});
}

}  // namespace ecf::runtime
