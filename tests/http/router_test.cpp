#include "http/router.hpp"

#include <gtest/gtest.h>

namespace ecf::http {
namespace {

namespace beast_http = boost::beast::http;

Handler nothing() {
    return [](RequestContext&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}

TEST(Router, CapturesAndMethods) {
    Router router;
    router.add(beast_http::verb::post, "/v1/functions/{id}/execute", nothing());
    router.add(beast_http::verb::get, "/", nothing());

    auto match = router.find(beast_http::verb::post, "/v1/functions/42/execute");
    ASSERT_TRUE(match);
    ASSERT_NE(match->handler, nullptr);
    EXPECT_EQ(match->path_params.at("id"), "42");

    auto wrong_method = router.find(beast_http::verb::get, "/v1/functions/42/execute");
    ASSERT_TRUE(wrong_method);
    EXPECT_EQ(wrong_method->handler, nullptr);

    EXPECT_FALSE(router.find(beast_http::verb::post, "/v1/functions//execute"));
    EXPECT_FALSE(router.find(beast_http::verb::post, "/v1/functions/42/execute/more"));
    EXPECT_FALSE(router.find(beast_http::verb::get, "/nope"));
    EXPECT_TRUE(router.find(beast_http::verb::get, "/"));
}

TEST(Router, OpenApiPathsListEveryRoute) {
    Router router;
    router.add(beast_http::verb::post, "/a/{x}", nothing());
    router.add(beast_http::verb::get, "/a/{x}", nothing(), {{"summary", "mine"}});
    auto paths = router.openapi_paths();
    ASSERT_TRUE(paths.contains("/a/{x}"));
    const auto& item = paths.at("/a/{x}").as_object();
    EXPECT_EQ(item.at("get").at("summary"), "mine");
    EXPECT_EQ(item.at("post").at("parameters").at(0).at("name"), "x");
}

}  // namespace
}  // namespace ecf::http
