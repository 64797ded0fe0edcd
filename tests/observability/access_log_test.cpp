#include "observability/access_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace ecf::observability {
namespace {

TEST(AccessLog, OneLineWithEveryField) {
    std::ostringstream out;
    auto logger = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    logger->set_pattern("%v");
    AccessLog log(logger);
    log.record({.method = "POST",
                .target = "/v1/functions/1/execute?app_req_id=2&mode=sync\r\nforged",
                .status = 200,
                .duration = std::chrono::microseconds(1500),
                .request_id = "abc",
                .user = "alice",
                .peer = "127.0.0.1"});
    const std::string line = out.str();
    EXPECT_EQ(line.find('\r'), std::string::npos);
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_NE(line.find("\"POST /v1/functions/1/execute?app_req_id&mode\" "), std::string::npos)
        << line;
    EXPECT_EQ(line.find("sync"), std::string::npos);  // query values are not logged
    EXPECT_NE(line.find(" 200 1.5ms id=abc user=alice"), std::string::npos) << line;
}

TEST(AccessLog, UnknownUserIsADash) {
    std::ostringstream out;
    auto logger = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    logger->set_pattern("%v");
    AccessLog(logger).record({.method = "GET",
                              .target = "/",
                              .status = 307,
                              .duration = {},
                              .request_id = "x",
                              .user = "",
                              .peer = ""});
    EXPECT_NE(out.str().find("user=-"), std::string::npos);
}

}  // namespace
}  // namespace ecf::observability
