#include "observability/service_metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace ecf::observability {
namespace {

TEST(ServiceMetricsTest, ReadingsAreReadAtEachScrape) {
    ServiceMetrics metrics;
    std::atomic<int> hits{3};
    metrics.add_reading("ecf_token_cache_hits_total", "hits", true, [&] { return hits.load(); });
    metrics.add_reading("ecf_token_cache_entries", "entries", false, [] { return 7.0; });
    auto text = metrics.exposition();
    EXPECT_NE(text.find("# TYPE ecf_token_cache_hits_total counter"), std::string::npos) << text;
    EXPECT_NE(text.find("ecf_token_cache_hits_total 3"), std::string::npos) << text;
    EXPECT_NE(text.find("# TYPE ecf_token_cache_entries gauge"), std::string::npos) << text;
    EXPECT_NE(text.find("ecf_token_cache_entries 7"), std::string::npos) << text;
    hits = 5;
    EXPECT_NE(metrics.exposition().find("ecf_token_cache_hits_total 5"), std::string::npos);
}

}  // namespace
}  // namespace ecf::observability
