#include "runtime/exec_sandbox.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/error.hpp"

namespace ecf::runtime {
namespace {

class TempFile {
  public:
    explicit TempFile(const std::string& content, mode_t mode) {
        char name[] = "/tmp/ecf-broker-file-XXXXXX";
        const int fd = ::mkstemp(name);
        path_ = name;
        std::ofstream(path_) << content;
        ::fchmod(fd, mode);
        ::close(fd);
    }
    ~TempFile() { ::unlink(path_.c_str()); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

TEST(ExecSandbox, CleanEnvironmentPassesOnlyWhatIsNamed) {
    ::setenv("ECF_TEST_PASSED", "yes", 1);
    ::setenv("ECF_TEST_SECRET", "no", 1);
    const auto environment = clean_environment({"ECF_TEST_PASSED", "ECF_TEST_UNSET", "A=B"});
    ::unsetenv("ECF_TEST_PASSED");
    ::unsetenv("ECF_TEST_SECRET");
    EXPECT_EQ(environment, (std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin",
                                                     "LANG=C.UTF-8", "ECF_TEST_PASSED=yes"}));
}

TEST(ExecSandbox, BrokerFileGivesItsFirstLine) {
    TempFile file("  amqp://user:pw@127.0.0.1:5672/  \nignored\n", 0600);
    EXPECT_EQ(read_broker_file(file.path()), "amqp://user:pw@127.0.0.1:5672/");
}

TEST(ExecSandbox, BrokerFileReadableByOthersIsRefusedWithoutQuotingIt) {
    TempFile file("amqp://user:pw@127.0.0.1:5672/\n", 0644);
    try {
        read_broker_file(file.path());
        FAIL() << "a world-readable broker file was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos);
        EXPECT_EQ(std::string(e.what()).find("pw@"), std::string::npos);
    }
}

TEST(ExecSandbox, EmptyOrMissingBrokerFileIsRefused) {
    TempFile empty("\n", 0600);
    EXPECT_THROW(read_broker_file(empty.path()), Error);
    EXPECT_THROW(read_broker_file("/nonexistent/broker-url"), Error);
}

TEST(ExecSandbox, RootIsNeverTheExecUser) {
    EXPECT_THROW(lookup_user("root"), Error);
    EXPECT_THROW(lookup_user("no-such-user-of-ecf"), Error);
    EXPECT_EQ(lookup_user("nobody").uid, 65534u);
}

}  // namespace
}  // namespace ecf::runtime
