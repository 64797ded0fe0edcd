#include "documents/opennebula_document_source.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "documents/python_double.hpp"
#include "documents/run_awaitable.hpp"
#include "http_client/http_client.hpp"

namespace ecf::documents {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::run_awaitable;

std::string write_file(const std::string& name, const std::string& text) {
    const auto path = std::string(::testing::TempDir()) + "/ecf-documents-" +
                      std::to_string(getpid()) + "-" + name;
    std::ofstream(path) << text;
    return path;
}

constexpr const char* kUsers = R"({
  "alice": {"password": "alice-pw", "uid": 5, "gid": 1, "group": "users"},
  "bob": {"password": "bob-pw", "uid": 6, "gid": 1, "group": "users"},
  "carol": {"password": "carol-pw", "uid": 7, "gid": 2, "group": "others"}
})";

constexpr const char* kDocuments = R"([
  {"id": 39, "owner": "alice", "name": "fn", "type": 1339,
   "template": {"FC": "gAWV", "FC_HASH": "83f8", "LANG": "PY"}},
  {"id": 40, "owner": "alice", "name": "req", "type": 1338,
   "permissions": {"owner_use": 1, "group_use": 1},
   "template": {"FLAVOUR": "Energy", "MAX_FUNCTION_EXECUTION_TIME": "2.5",
                "GEOLOCATION": {"LATITUDE": "43.05", "LONGITUDE": "-2.53"}}}
])";

class OpenNebulaDocumentSourceTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        double_ = std::make_unique<testing::PythonDouble>(
            "opennebula_xmlrpc.py",
            std::vector<std::string>{"--users", write_file("users.json", kUsers), "--documents",
                                     write_file("documents.json", kDocuments)});
    }
    static void TearDownTestSuite() { double_.reset(); }

    void TearDown() override {
        control("test.set_delay", "<double>0</double>");
        control("test.set_raw_response", "<string></string>");
    }

    std::string url() const { return double_->base_url() + "/RPC2"; }

    Document fetch(const Credentials& credentials, std::int64_t id,
                   std::chrono::milliseconds timeout = 5s) {
        OpenNebulaDocumentSource source(io_.get_executor(), url(), timeout);
        return run_awaitable(io_, source.fetch(credentials, id));
    }

    Error fetch_error(const Credentials& credentials, std::int64_t id,
                      std::chrono::milliseconds timeout = 5s) {
        try {
            fetch(credentials, id, timeout);
        } catch (const Error& e) {
            return e;
        }
        return Error(ErrorKind::BadRequest, "no error");
    }

    // Calls one of the double's test.* methods.
    void control(const std::string& method, const std::string& argument) {
        http_client::HttpClient client(io_.get_executor(), url());
        const auto response = run_awaitable(
            io_, client.post({}, "text/xml",
                             "<?xml version=\"1.0\"?><methodCall><methodName>" + method +
                                 "</methodName><params><param><value>" + argument +
                                 "</value></param></params></methodCall>"));
        ASSERT_EQ(response.status, 200u);
    }

    void answer_raw(const std::string& body) {
        std::string escaped;
        for (char c : body)
            escaped += c == '<' ? std::string("&lt;") : c == '&' ? "&amp;" : std::string(1, c);
        control("test.set_raw_response", "<string>" + escaped + "</string>");
    }

    asio::io_context io_;
    static std::unique_ptr<testing::PythonDouble> double_;
};

std::unique_ptr<testing::PythonDouble> OpenNebulaDocumentSourceTest::double_;

TEST_F(OpenNebulaDocumentSourceTest, ReadsAFunction) {
    const auto document = fetch({"alice", "alice-pw"}, 39);
    EXPECT_EQ(document.id, 39);
    EXPECT_EQ(document.uid, 5);
    EXPECT_EQ(document.gid, 1);
    EXPECT_EQ(document.uname, "alice");
    EXPECT_EQ(document.gname, "users");
    EXPECT_EQ(document.type, 1339);
    EXPECT_EQ(document.template_values.at("LANG").as_string(), "PY");
    EXPECT_EQ(document.template_values.at("FC").as_string(), "gAWV");
}

TEST_F(OpenNebulaDocumentSourceTest, ReadsANestedGeolocation) {
    const auto document = fetch({"bob", "bob-pw"}, 40);  // group use
    EXPECT_EQ(document.type, 1338);
    const auto& geo = document.template_values.at("GEOLOCATION").as_object();
    EXPECT_EQ(geo.at("LATITUDE").as_string(), "43.05");
    EXPECT_EQ(geo.at("LONGITUDE").as_string(), "-2.53");
    EXPECT_EQ(document.template_values.at("MAX_FUNCTION_EXECUTION_TIME").as_string(), "2.5");
}

TEST_F(OpenNebulaDocumentSourceTest, WrongPasswordIsUnauthorized) {
    const auto error = fetch_error({"alice", "not-her-password"}, 39);
    EXPECT_EQ(error.kind(), ErrorKind::Unauthorized);
    EXPECT_NE(std::string(error.what()).find("authenticated"), std::string::npos);
    EXPECT_EQ(std::string(error.what()).find("not-her-password"), std::string::npos);
    EXPECT_EQ(fetch_error({"nobody", "x"}, 39).kind(), ErrorKind::Unauthorized);
}

TEST_F(OpenNebulaDocumentSourceTest, OthersDocumentIsForbidden) {
    EXPECT_EQ(fetch_error({"bob", "bob-pw"}, 39).kind(), ErrorKind::Forbidden);
    EXPECT_EQ(fetch_error({"carol", "carol-pw"}, 40).kind(), ErrorKind::Forbidden);
}

TEST_F(OpenNebulaDocumentSourceTest, MissingDocumentIsNotFound) {
    EXPECT_EQ(fetch_error({"alice", "alice-pw"}, 4242).kind(), ErrorKind::NotFound);
}

TEST_F(OpenNebulaDocumentSourceTest, DocumentsChangeWhileRunning) {
    control("test.set_document",
            "<struct><member><name>id</name><value><int>77</int></value></member>"
            "<member><name>owner</name><value><string>carol</string></value></member>"
            "<member><name>type</name><value><int>1339</int></value></member></struct>");
    EXPECT_EQ(fetch({"carol", "carol-pw"}, 77).uname, "carol");
    control("test.remove_document", "<int>77</int>");
    EXPECT_EQ(fetch_error({"carol", "carol-pw"}, 77).kind(), ErrorKind::NotFound);
}

TEST_F(OpenNebulaDocumentSourceTest, OtherErrorCodesAreInternalAndScrubbed) {
    for (const int code : {0x0800, 0x1000, 0x2000, 0x4000, 0x8000}) {
        answer_raw(
            "<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data>"
            "<value><boolean>0</boolean></value><value><string>failed for alice:alice-pw"
            "</string></value><value><i4>" +
            std::to_string(code) +
            "</i4></value></data></array></value></param></params></methodResponse>");
        const auto error = fetch_error({"alice", "alice-pw"}, 39);
        EXPECT_EQ(error.kind(), ErrorKind::Internal) << code;
        EXPECT_EQ(std::string(error.what()).find("alice-pw"), std::string::npos);
    }
}

TEST_F(OpenNebulaDocumentSourceTest, MalformedAnswersAreInternal) {
    const char* const answers[] = {
        "this is not XML",
        "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1"
        "</int></value></member></struct></value></fault></methodResponse>",
        "<methodResponse><params><param><value><array><data><value><boolean>1</boolean>"
        "</value><value><string>&lt;DOCUMENT&gt;broken</string></value></data></array>"
        "</value></param></params></methodResponse>",
        "<methodResponse><params><param><value><int>3</int></value></param></params>"
        "</methodResponse>",
    };
    for (const char* answer : answers) {
        answer_raw(answer);
        EXPECT_EQ(fetch_error({"alice", "alice-pw"}, 39).kind(), ErrorKind::Internal) << answer;
    }
}

TEST_F(OpenNebulaDocumentSourceTest, SlowOpenNebulaHitsTheDeadline) {
    control("test.set_delay", "<double>3</double>");
    const auto started = std::chrono::steady_clock::now();
    const auto error = fetch_error({"alice", "alice-pw"}, 39, 300ms);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(error.kind(), ErrorKind::Internal);
    EXPECT_NE(std::string(error.what()).find("timed out"), std::string::npos)
        << error.what() << " kind " << static_cast<int>(error.kind());
    EXPECT_LT(took, 2s);
}

TEST_F(OpenNebulaDocumentSourceTest, UnreachableOpenNebulaIsInternal) {
    OpenNebulaDocumentSource source(io_.get_executor(), "http://127.0.0.1:1/RPC2", 2s);
    try {
        run_awaitable(io_, source.fetch({"alice", "alice-pw"}, 39));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Internal);
    }
}

TEST_F(OpenNebulaDocumentSourceTest, OneSourceServesManyCalls) {
    OpenNebulaDocumentSource source(io_.get_executor(), url(), 5s);
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(run_awaitable(io_, source.fetch({"alice", "alice-pw"}, 39)).id, 39);
}

}  // namespace
}  // namespace ecf::documents
