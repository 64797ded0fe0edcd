#include "standalone/user_directory.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/manual_clock.hpp"
#include "standalone/credential_verifier.hpp"
#include "temporary_folder.hpp"

namespace ecf::standalone {
namespace {

std::string read_all(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(UserDirectory, StoresOnlyAnArgon2idHashInAPrivateFile) {
    testing::TemporaryFolder folder;
    UserDirectory users(folder.path() / "users");
    EXPECT_EQ(users.add("alice", "correct horse"), 1);
    const auto text = read_all(folder.path() / "users");
    EXPECT_EQ(text.find("correct horse"), std::string::npos);
    EXPECT_NE(text.find("alice:1:$argon2id$"), std::string::npos);
    struct stat info {};
    ASSERT_EQ(::stat((folder.path() / "users").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(UserDirectory, VerifiesPasswords) {
    testing::TemporaryFolder folder;
    UserDirectory users(folder.path() / "users");
    users.add("alice", "correct horse");
    const auto alice = users.find("alice");
    ASSERT_TRUE(alice);
    EXPECT_TRUE(UserDirectory::password_matches(alice->password_hash, "correct horse"));
    EXPECT_FALSE(UserDirectory::password_matches(alice->password_hash, "correct horse "));
    EXPECT_FALSE(UserDirectory::password_matches(alice->password_hash, ""));
    EXPECT_FALSE(UserDirectory::password_matches("garbage", "correct horse"));
}

TEST(UserDirectory, AddsListsReplacesAndRemoves) {
    testing::TemporaryFolder folder;
    UserDirectory users(folder.path() / "users");
    EXPECT_EQ(users.add("alice", "a"), 1);
    EXPECT_EQ(users.add("bob", "b"), 2);
    EXPECT_EQ(users.add("alice", "new"), 1);  // a new password keeps the UID
    ASSERT_EQ(users.list().size(), 2u);
    EXPECT_TRUE(UserDirectory::password_matches(users.find("alice")->password_hash, "new"));
    EXPECT_TRUE(users.remove("alice"));
    EXPECT_FALSE(users.remove("alice"));
    EXPECT_FALSE(users.find("alice"));
    EXPECT_EQ(users.list().size(), 1u);
}

TEST(UserDirectory, NeverGivesAUidTwice) {
    testing::TemporaryFolder folder;
    UserDirectory users(folder.path() / "users");
    EXPECT_EQ(users.add("alice", "a"), 1);
    EXPECT_EQ(users.add("bob", "b"), 2);
    EXPECT_TRUE(users.remove("bob"));  // the highest UID goes
    EXPECT_EQ(users.add("bob", "b"), 3);
    // Remembered in the file, for another process (the command line) too.
    UserDirectory again(folder.path() / "users");
    EXPECT_TRUE(again.remove("bob"));
    EXPECT_EQ(again.add("carol", "c"), 4);
}

TEST(UserDirectory, ReservesUidsStillOwningDocuments) {
    testing::TemporaryFolder folder;
    UserDirectory users(folder.path() / "users");
    users.add("alice", "a");
    users.reserve_uids_below(1);  // nothing to do
    users.reserve_uids_below(8);  // a removed user 7 still owns documents
    EXPECT_EQ(users.add("bob", "b"), 8);
    UserDirectory again(folder.path() / "users");
    EXPECT_EQ(again.add("carol", "c"), 9);
}

TEST(UserDirectory, SeesChangesMadeByAnotherProcess) {
    testing::TemporaryFolder folder;
    UserDirectory server(folder.path() / "users");
    EXPECT_FALSE(server.find("carol"));
    UserDirectory command_line(folder.path() / "users");
    command_line.add("carol", "c");
    EXPECT_TRUE(server.find("carol"));
    command_line.remove("carol");
    EXPECT_FALSE(server.find("carol"));
}

TEST(UserDirectory, IgnoresDamagedLines) {
    testing::TemporaryFolder folder;
    {
        std::ofstream out(folder.path() / "users");
        out << "# comment\n"
            << "no-colons-here\n"
            << "bad:uid:$argon2id$x\n"
            << "bad name:3:$argon2id$x\n"
            << "\n";
    }
    UserDirectory users(folder.path() / "users");
    EXPECT_TRUE(users.list().empty());
    EXPECT_EQ(users.add("alice", "a"), 1);
    EXPECT_TRUE(users.find("alice"));
}

TEST(UserDirectory, RefusesBadNamesAndEmptyPasswords) {
    testing::TemporaryFolder folder;
    UserDirectory users(folder.path() / "users");
    EXPECT_THROW(users.add("", "x"), Error);
    EXPECT_THROW(users.add("a:b", "x"), Error);
    EXPECT_THROW(users.add("a\nb", "x"), Error);
    EXPECT_THROW(users.add("alice", ""), Error);
    EXPECT_TRUE(users.list().empty());
}

TEST(CredentialVerifier, AcceptsTheRightPasswordOnly) {
    testing::TemporaryFolder folder;
    auto users = std::make_shared<UserDirectory>(folder.path() / "users");
    users->add("alice", "secret");
    CredentialVerifier verifier(users, std::chrono::seconds(60), 8);
    EXPECT_TRUE(verifier.verify({"alice", "secret"}));
    EXPECT_FALSE(verifier.verify({"alice", "Secret"}));
    EXPECT_FALSE(verifier.verify({"bob", "secret"}));
}

TEST(CredentialVerifier, RemembersSuccessesOnly) {
    testing::TemporaryFolder folder;
    auto users = std::make_shared<UserDirectory>(folder.path() / "users");
    users->add("alice", "secret");
    CredentialVerifier verifier(users, std::chrono::seconds(60), 8);
    EXPECT_FALSE(verifier.verify_remembered({"alice", "secret"}));
    EXPECT_FALSE(verifier.verify({"alice", "wrong"}));
    EXPECT_EQ(verifier.remembered_count(), 0u);
    EXPECT_TRUE(verifier.verify({"alice", "secret"}));
    EXPECT_EQ(verifier.remembered_count(), 1u);
    EXPECT_TRUE(verifier.verify_remembered({"alice", "secret"}));
    EXPECT_FALSE(verifier.verify_remembered({"alice", "wrong"}));
}

TEST(CredentialVerifier, ForgetsWhenThePasswordChangesOrTheUserGoes) {
    testing::TemporaryFolder folder;
    auto users = std::make_shared<UserDirectory>(folder.path() / "users");
    users->add("alice", "secret");
    CredentialVerifier verifier(users, std::chrono::seconds(60), 8);
    ASSERT_TRUE(verifier.verify({"alice", "secret"}));
    users->add("alice", "changed");
    EXPECT_FALSE(verifier.verify_remembered({"alice", "secret"}));
    EXPECT_FALSE(verifier.verify({"alice", "secret"}));
    ASSERT_TRUE(verifier.verify({"alice", "changed"}));
    users->remove("alice");
    EXPECT_FALSE(verifier.verify_remembered({"alice", "changed"}));
}

TEST(CredentialVerifier, ForgetsAfterItsLifetime) {
    testing::TemporaryFolder folder;
    auto users = std::make_shared<UserDirectory>(folder.path() / "users");
    users->add("alice", "secret");
    ecf::testing::ManualClock clock;
    CredentialVerifier verifier(users, std::chrono::milliseconds(100), 8, clock.now());
    ASSERT_TRUE(verifier.verify({"alice", "secret"}));
    clock.advance(std::chrono::milliseconds(99));
    EXPECT_TRUE(verifier.verify_remembered({"alice", "secret"}));
    clock.advance(std::chrono::milliseconds(1));
    EXPECT_FALSE(verifier.verify_remembered({"alice", "secret"}));
}

TEST(CredentialVerifier, StaysWithinItsBound) {
    testing::TemporaryFolder folder;
    auto users = std::make_shared<UserDirectory>(folder.path() / "users");
    for (int i = 0; i < 4; ++i) users->add("u" + std::to_string(i), "p");
    CredentialVerifier verifier(users, std::chrono::seconds(60), 2);
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(verifier.verify({"u" + std::to_string(i), "p"}));
        EXPECT_LE(verifier.remembered_count(), 2u);
    }
}

}  // namespace
}  // namespace ecf::standalone
