#include "documents/document_xml.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "documents/document_info_xmlrpc.hpp"

namespace ecf::documents {
namespace {

const char* const kFunction = R"(<DOCUMENT>
  <ID>39</ID><UID>5</UID><GID>1</GID><UNAME>alice</UNAME><GNAME>users</GNAME>
  <NAME>my function</NAME><TYPE>1339</TYPE>
  <PERMISSIONS><OWNER_U>1</OWNER_U></PERMISSIONS>
  <TEMPLATE>
    <FC><![CDATA[gAWV]]></FC>
    <FC_HASH><![CDATA[83f8]]></FC_HASH>
    <LANG><![CDATA[PY]]></LANG>
  </TEMPLATE>
</DOCUMENT>)";

ErrorKind kind_of(auto&& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.kind();
    }
    return ErrorKind::BadRequest;  // "did not throw"
}

TEST(DocumentXml, ParsesTheFieldsAndTemplate) {
    const auto document = parse_document_xml(kFunction);
    EXPECT_EQ(document.id, 39);
    EXPECT_EQ(document.uid, 5);
    EXPECT_EQ(document.gid, 1);
    EXPECT_EQ(document.uname, "alice");
    EXPECT_EQ(document.gname, "users");
    EXPECT_EQ(document.name, "my function");
    EXPECT_EQ(document.type, 1339);
    ASSERT_EQ(document.template_values.size(), 3u);
    EXPECT_EQ(document.template_values.at("FC").as_string(), "gAWV");
    EXPECT_EQ(document.template_values.at("FC_HASH").as_string(), "83f8");
    EXPECT_EQ(document.template_values.at("LANG").as_string(), "PY");
}

TEST(DocumentXml, NestedVectorBecomesAnObjectAndRepeatsBecomeArrays) {
    const auto document = parse_document_xml(
        "<DOCUMENT><ID>40</ID><UID>5</UID><GID>1</GID><UNAME>a</UNAME><GNAME>g</GNAME>"
        "<NAME>r</NAME><TYPE>1338</TYPE><TEMPLATE><FLAVOUR>Energy</FLAVOUR>"
        "<GEOLOCATION><LATITUDE>43.05</LATITUDE><LONGITUDE><![CDATA[-2.53]]></LONGITUDE>"
        "</GEOLOCATION><TAG>a</TAG><TAG>b</TAG><EMPTY/></TEMPLATE></DOCUMENT>");
    const auto& values = document.template_values;
    EXPECT_EQ(values.at("FLAVOUR").as_string(), "Energy");
    const auto& geo = values.at("GEOLOCATION").as_object();
    EXPECT_EQ(geo.at("LATITUDE").as_string(), "43.05");
    EXPECT_EQ(geo.at("LONGITUDE").as_string(), "-2.53");
    ASSERT_TRUE(values.at("TAG").is_array());
    EXPECT_EQ(values.at("TAG").as_array().size(), 2u);
    EXPECT_EQ(values.at("EMPTY").as_string(), "");
}

TEST(DocumentXml, EscapedTextIsDecoded) {
    const auto document = parse_document_xml(
        "<DOCUMENT><ID>1</ID><UID>1</UID><GID>1</GID><UNAME>a&amp;b</UNAME><GNAME>g</GNAME>"
        "<NAME>&lt;x&gt;</NAME><TYPE>1339</TYPE><TEMPLATE/></DOCUMENT>");
    EXPECT_EQ(document.uname, "a&b");
    EXPECT_EQ(document.name, "<x>");
    EXPECT_TRUE(document.template_values.empty());
}

TEST(DocumentXml, HostileInputIsACleanError) {
    EXPECT_EQ(kind_of([] { parse_document_xml(""); }), ErrorKind::Internal);
    EXPECT_EQ(kind_of([] { parse_document_xml("<DOCUMENT><ID>1</ID>"); }), ErrorKind::Internal);
    EXPECT_EQ(kind_of([] { parse_document_xml("<OTHER/>"); }), ErrorKind::Internal);
    EXPECT_EQ(kind_of([] {
                  parse_document_xml(
                      "<DOCUMENT><ID>x</ID><UID>1</UID><GID>1</GID><UNAME/>"
                      "<GNAME/><NAME/><TYPE>1</TYPE></DOCUMENT>");
              }),
              ErrorKind::Internal);
    EXPECT_EQ(kind_of([] {
                  parse_document_xml(
                      "<DOCUMENT><ID>1</ID><UID>1</UID><GID>1</GID><UNAME/>"
                      "<GNAME/><NAME/><TYPE>99999999999</TYPE></DOCUMENT>");
              }),
              ErrorKind::Internal);
    // Deep nesting inside TEMPLATE: refused, not a stack overflow.
    std::string deep =
        "<DOCUMENT><ID>1</ID><UID>1</UID><GID>1</GID><UNAME/><GNAME/><NAME/><TYPE>1</TYPE>"
        "<TEMPLATE>";
    for (int i = 0; i < 100000; ++i) deep += "<A>";
    for (int i = 0; i < 100000; ++i) deep += "</A>";
    deep += "</TEMPLATE></DOCUMENT>";
    EXPECT_EQ(kind_of([&] { parse_document_xml(deep); }), ErrorKind::Internal);
    // Oversized: refused before parsing.
    EXPECT_EQ(kind_of([] { parse_document_xml(std::string(kMaxXmlBytes + 1, ' ')); }),
              ErrorKind::Internal);
}

TEST(DocumentInfoXmlrpc, RequestEscapesTheSession) {
    const auto xml = document_info_request("al<ice:p&ss]]>", 39);
    EXPECT_NE(xml.find("<methodName>one.document.info</methodName>"), std::string::npos);
    EXPECT_NE(xml.find("al&lt;ice:p&amp;ss]]&gt;"), std::string::npos);
    EXPECT_NE(xml.find("<int>39</int>"), std::string::npos);
    EXPECT_EQ(xml.find("p&ss"), std::string::npos);
}

std::string response(const std::string& values) {
    return "<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data>" + values +
           "</data></array></value></param></params></methodResponse>";
}

TEST(DocumentInfoXmlrpc, ParsesSuccessAndFailure) {
    auto ok = parse_document_info_response(
        response("<value><boolean>1</boolean></value><value><string>&lt;DOCUMENT/&gt;</string>"
                 "</value><value><i4>0</i4></value><value><i8>12</i8></value>"));
    EXPECT_TRUE(ok.success);
    EXPECT_EQ(ok.body, "<DOCUMENT/>");
    EXPECT_EQ(ok.error_code, 0);

    auto failed = parse_document_info_response(
        response("<value><boolean>0</boolean></value><value>[one.document.info] no</value>"
                 "<value><int>1024</int></value><value><int>40</int></value>"));
    EXPECT_FALSE(failed.success);
    EXPECT_EQ(failed.body, "[one.document.info] no");
    EXPECT_EQ(failed.error_code, 0x0400);
}

TEST(DocumentInfoXmlrpc, FaultsAndOtherShapesAreInternalErrors) {
    const char* const bad[] = {
        "",
        "not xml",
        "<methodResponse/>",
        "<methodResponse><fault><value><struct/></value></fault></methodResponse>",
        "<methodResponse><params><param><value><string>x</string></value></param></params>"
        "</methodResponse>",
    };
    for (const char* xml : bad)
        EXPECT_EQ(kind_of([&] { parse_document_info_response(xml); }), ErrorKind::Internal) << xml;
    EXPECT_EQ(kind_of([] {
                  parse_document_info_response(
                      response("<value><boolean>2</boolean></value>"
                               "<value><string>x</string></value>"));
              }),
              ErrorKind::Internal);
    EXPECT_EQ(kind_of([] {
                  parse_document_info_response(
                      response("<value><boolean>0</boolean></value>"
                               "<value><string>x</string></value>"));
              }),
              ErrorKind::Internal);
    EXPECT_EQ(kind_of([] {
                  parse_document_info_response(
                      response("<value><boolean>0</boolean></value><value><string>x</string>"
                               "</value><value><int>12z</int></value>"));
              }),
              ErrorKind::Internal);
}

}  // namespace
}  // namespace ecf::documents
