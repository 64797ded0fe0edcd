#include "standalone/sqlite_document_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "core/error.hpp"
#include "standalone/standalone_document_source.hpp"
#include "temporary_folder.hpp"

namespace ecf::standalone {
namespace {

using documents::DocumentType;

boost::json::object function_template(const std::string& hash) {
    return {{"LANG", "PY"}, {"FC", "gAWVAAAA"}, {"FC_HASH", hash}};
}

TEST(SqliteDocumentStore, CreatesAndFindsDocumentsShapedAsOpenNebulas) {
    testing::TemporaryFolder folder;
    SqliteDocumentStore store(folder.path() / "documents.sqlite");
    const auto id =
        store.create({5, "alice"}, DocumentType::Function, "fn", function_template("h1"));
    EXPECT_GE(id, 1);  // never 0: the Python client reads 0 as "no id"
    const auto document = store.find(id);
    ASSERT_TRUE(document);
    EXPECT_EQ(document->id, id);
    EXPECT_EQ(document->uid, 5);
    EXPECT_EQ(document->uname, "alice");
    EXPECT_EQ(document->gname, "users");
    EXPECT_EQ(document->name, "fn");
    EXPECT_EQ(document->type, 1339);
    EXPECT_EQ(document->template_values.at("FC_HASH").as_string(), "h1");
    EXPECT_EQ(document->template_values.at("LANG").as_string(), "PY");
    EXPECT_FALSE(store.find(id + 100));
}

TEST(SqliteDocumentStore, KeepsNestedTemplateValues) {
    testing::TemporaryFolder folder;
    SqliteDocumentStore store(folder.path() / "documents.sqlite");
    boost::json::object requirement{
        {"FLAVOUR", "Nature"}, {"GEOLOCATION", {{"LATITUDE", "43.05"}, {"LONGITUDE", "-2.53"}}}};
    const auto id = store.create({1, "bob"}, DocumentType::AppRequirement, "req", requirement);
    const auto document = store.find(id);
    ASSERT_TRUE(document);
    EXPECT_EQ(document->type, 1338);
    EXPECT_EQ(document->template_values, requirement);
}

TEST(SqliteDocumentStore, ReplacesAndRemoves) {
    testing::TemporaryFolder folder;
    SqliteDocumentStore store(folder.path() / "documents.sqlite");
    const auto id =
        store.create({1, "bob"}, DocumentType::AppRequirement, "req", {{"FLAVOUR", "A"}});
    EXPECT_TRUE(store.replace_template(id, {{"FLAVOUR", "B"}}));
    EXPECT_EQ(store.find(id)->template_values.at("FLAVOUR").as_string(), "B");
    EXPECT_FALSE(store.replace_template(id + 1, {{"FLAVOUR", "C"}}));
    EXPECT_TRUE(store.remove(id));
    EXPECT_FALSE(store.remove(id));
    EXPECT_FALSE(store.find(id));
}

TEST(SqliteDocumentStore, FindsAFunctionByHashAmongItsOwnersOnly) {
    testing::TemporaryFolder folder;
    SqliteDocumentStore store(folder.path() / "documents.sqlite");
    const auto alices =
        store.create({1, "alice"}, DocumentType::Function, "f", function_template("same"));
    EXPECT_EQ(store.find_function(1, "same", "gAWVAAAA"), alices);
    EXPECT_FALSE(store.find_function(2, "same", "gAWVAAAA"));
    EXPECT_FALSE(store.find_function(1, "other", "gAWVAAAA"));
    // A requirement that happens to hold FC_HASH is no function.
    store.create({1, "alice"}, DocumentType::AppRequirement, "r", function_template("req"));
    EXPECT_FALSE(store.find_function(1, "req", "gAWVAAAA"));
}

TEST(SqliteDocumentStore, TheSameHashWithAnotherCodeIsNotTheSameFunction) {
    testing::TemporaryFolder folder;
    SqliteDocumentStore store(folder.path() / "documents.sqlite");
    const auto first =
        store.create({1, "alice"}, DocumentType::Function, "f", function_template("same"));
    boost::json::object other{{"LANG", "PY"}, {"FC", "b3RoZXI="}, {"FC_HASH", "same"}};
    EXPECT_FALSE(store.find_function(1, "same", "b3RoZXI="));
    const auto second = store.create({1, "alice"}, DocumentType::Function, "f", other);
    EXPECT_EQ(store.find_function(1, "same", "b3RoZXI="), second);
    EXPECT_EQ(store.find_function(1, "same", "gAWVAAAA"), first);
}

TEST(SqliteDocumentStore, CreatesWithinAPerOwnerLimit) {
    testing::TemporaryFolder folder;
    SqliteDocumentStore store(folder.path() / "documents.sqlite");
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(store.create_within({1, "alice"}, 3, DocumentType::AppRequirement, "r",
                                        {{"FLAVOUR", "X"}}));
    }
    EXPECT_FALSE(
        store.create_within({1, "alice"}, 3, DocumentType::Function, "f", function_template("a")));
    EXPECT_EQ(store.count_owned(1), 3u);
    EXPECT_EQ(store.highest_uid(), 1);
    // By UID: another user of the same name has a quota of its own.
    EXPECT_TRUE(store.create_within({2, "alice"}, 3, DocumentType::AppRequirement, "r",
                                    {{"FLAVOUR", "X"}}));
}

TEST(SqliteDocumentStore, TheFileIsReadableByItsOwnerOnly) {
    testing::TemporaryFolder folder;
    const auto file = folder.path() / "documents.sqlite";
    {
        SqliteDocumentStore store(file);
        store.create({1, "alice"}, DocumentType::Function, "f", function_template("a"));
    }
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    // A file left 0644 by an older version is narrowed on the next start.
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                  std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    SqliteDocumentStore again(file);
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(SqliteDocumentStore, ListsByOwnerAndType) {
    testing::TemporaryFolder folder;
    SqliteDocumentStore store(folder.path() / "documents.sqlite");
    store.create({1, "alice"}, DocumentType::Function, "f", function_template("a"));
    store.create({1, "alice"}, DocumentType::AppRequirement, "r", {{"FLAVOUR", "X"}});
    store.create({2, "bob"}, DocumentType::Function, "g", function_template("b"));
    EXPECT_EQ(store.list(std::nullopt, std::nullopt).size(), 3u);
    EXPECT_EQ(store.list(std::string("alice"), std::nullopt).size(), 2u);
    EXPECT_EQ(store.list(std::nullopt, DocumentType::Function).size(), 2u);
    EXPECT_EQ(store.list(std::string("bob"), DocumentType::AppRequirement).size(), 0u);
}

TEST(SqliteDocumentStore, SurvivesReopening) {
    testing::TemporaryFolder folder;
    std::int64_t id = 0;
    {
        SqliteDocumentStore store(folder.path() / "documents.sqlite");
        id = store.create({1, "alice"}, DocumentType::Function, "f", function_template("a"));
    }
    SqliteDocumentStore again(folder.path() / "documents.sqlite");
    ASSERT_TRUE(again.find(id));
    // Ids are not reused after a removal, as OpenNebula's are not.
    again.remove(id);
    EXPECT_GT(again.create({1, "alice"}, DocumentType::Function, "f", function_template("b")), id);
}

TEST(SqliteDocumentStore, ServesManyThreadsAtOnce) {
    testing::TemporaryFolder folder;
    SqliteDocumentStore store(folder.path() / "documents.sqlite");
    std::vector<std::thread> threads;
    std::atomic<int> found{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            const std::string owner = "user" + std::to_string(t);
            for (int i = 0; i < 100; ++i) {
                const auto id = store.create({t + 1, owner}, DocumentType::Function, "f",
                                             function_template(owner + std::to_string(i)));
                const auto document = store.find(id);
                if (document && document->uname == owner) ++found;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(found.load(), 400);
    EXPECT_EQ(store.list(std::nullopt, std::nullopt).size(), 400u);
}

TEST(SqliteDocumentStore, RefusesAFolderItCannotUse) {
    EXPECT_THROW(SqliteDocumentStore("/nonexistent-folder/x/documents.sqlite"), Error);
}

// --- The DocumentSource in front of it: OpenNebula's permission answers. ---

class StandaloneDocumentSourceTest : public ::testing::Test {
  protected:
    StandaloneDocumentSourceTest()
        : store_(std::make_shared<SqliteDocumentStore>(folder_.path() / "documents.sqlite")),
          users_(std::make_shared<UserDirectory>(folder_.path() / "users")) {
        users_->add("alice", "alice-secret");
        users_->add("bob", "bob-secret");
        auto verifier = std::make_shared<CredentialVerifier>(users_, std::chrono::seconds(60), 16);
        source_ = std::make_shared<StandaloneDocumentSource>(
            store_, std::make_shared<AsyncCredentialVerifier>(verifier, 1, 8),
            FlavourAllowList({"Nature", "Energy"}));
    }

    documents::Document fetch(const Credentials& credentials, std::int64_t id) {
        auto& io = io_;
        io.restart();
        // The password check runs on the verifier's own pool: keep `io` waiting for it.
        auto guard = boost::asio::make_work_guard(io);
        auto result =
            boost::asio::co_spawn(io, source_->fetch(credentials, id), boost::asio::use_future);
        for (int i = 0;
             i < 1000 && result.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
             ++i) {
            io.run_for(std::chrono::milliseconds(10));
        }
        guard.reset();
        if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
            throw std::runtime_error("fetch did not finish within 10 s");
        }
        return result.get();
    }

    static ErrorKind kind_of(const std::function<void()>& call) {
        try {
            call();
        } catch (const Error& e) {
            return e.kind();
        }
        ADD_FAILURE() << "no ecf::Error";
        return ErrorKind::Internal;
    }

    // First, so it is destroyed last: the verifier's pool may still be releasing its work on
    // `io_` while a test returns.
    boost::asio::io_context io_;
    testing::TemporaryFolder folder_;
    std::shared_ptr<SqliteDocumentStore> store_;
    std::shared_ptr<UserDirectory> users_;
    std::shared_ptr<StandaloneDocumentSource> source_;
};

TEST_F(StandaloneDocumentSourceTest, TheOwnerReadsTheirDocument) {
    const auto alice = users_->find("alice");
    const auto id =
        store_->create({alice->uid, "alice"}, DocumentType::Function, "f", function_template("a"));
    const auto document = fetch({"alice", "alice-secret"}, id);
    EXPECT_EQ(document.id, id);
    EXPECT_EQ(document.uname, "alice");
}

TEST_F(StandaloneDocumentSourceTest, AnotherUserIsForbidden) {
    const auto id =
        store_->create({1, "alice"}, DocumentType::Function, "f", function_template("a"));
    EXPECT_EQ(kind_of([&] { fetch({"bob", "bob-secret"}, id); }), ErrorKind::Forbidden);
}

TEST_F(StandaloneDocumentSourceTest, OwnershipIsByUidNotByName) {
    const auto id = store_->create({users_->find("bob")->uid, "bob"}, DocumentType::Function, "f",
                                   function_template("a"));
    // Bob removed and added again under the same name: a new UID, not the old documents.
    ASSERT_TRUE(users_->remove("bob"));
    users_->add("bob", "bob-secret");
    EXPECT_EQ(kind_of([&] { fetch({"bob", "bob-secret"}, id); }), ErrorKind::Forbidden);
}

TEST_F(StandaloneDocumentSourceTest, ARequirementOfAFlavourNotServedIsForbidden) {
    const auto uid = users_->find("alice")->uid;
    const auto allowed =
        store_->create({uid, "alice"}, DocumentType::AppRequirement, "r", {{"FLAVOUR", "Energy"}});
    const auto other =
        store_->create({uid, "alice"}, DocumentType::AppRequirement, "r", {{"FLAVOUR", "Other"}});
    EXPECT_EQ(fetch({"alice", "alice-secret"}, allowed).id, allowed);
    EXPECT_EQ(kind_of([&] { fetch({"alice", "alice-secret"}, other); }), ErrorKind::Forbidden);
    // Its owner can still read it (to change or delete it).
    EXPECT_EQ(source_->fetch_as(*users_->find("alice"), other).id, other);
}

TEST_F(StandaloneDocumentSourceTest, AMissingDocumentIsNotFound) {
    EXPECT_EQ(kind_of([&] { fetch({"alice", "alice-secret"}, 4242); }), ErrorKind::NotFound);
}

TEST_F(StandaloneDocumentSourceTest, BadCredentialsAreUnauthorizedBeforeAnythingElse) {
    const auto id =
        store_->create({1, "alice"}, DocumentType::Function, "f", function_template("a"));
    EXPECT_EQ(kind_of([&] { fetch({"alice", "wrong"}, id); }), ErrorKind::Unauthorized);
    EXPECT_EQ(kind_of([&] { fetch({"nobody", "x"}, 4242); }), ErrorKind::Unauthorized);
}

}  // namespace
}  // namespace ecf::standalone
