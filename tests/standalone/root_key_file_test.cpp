#include "standalone/root_key_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/error.hpp"
#include "temporary_folder.hpp"

namespace ecf::standalone {
namespace {

bool is_hex64(const std::string& text) {
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(RootKeyFile, GeneratesAPrivateKeyFileOnFirstStart) {
    testing::TemporaryFolder folder;
    const auto file = folder.path() / "root_key";
    const auto pair = load_or_create_root_key(file);
    EXPECT_TRUE(is_hex64(pair.private_hex));
    EXPECT_TRUE(is_hex64(pair.public_hex));
    EXPECT_NE(pair.private_hex, pair.public_hex);
    struct stat info {};
    ASSERT_EQ(::stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(RootKeyFile, ReusesTheKeyAfterwards) {
    testing::TemporaryFolder folder;
    const auto file = folder.path() / "root_key";
    const auto first = load_or_create_root_key(file);
    const auto second = load_or_create_root_key(file);
    EXPECT_EQ(first.private_hex, second.private_hex);
    EXPECT_EQ(first.public_hex, second.public_hex);
}

TEST(RootKeyFile, DerivesTheKnownEd25519PublicKey) {
    // RFC 8032, section 7.1, test 1.
    testing::TemporaryFolder folder;
    const auto file = folder.path() / "root_key";
    {
        std::ofstream out(file);
        out << "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n";
    }
    ::chmod(file.c_str(), 0600);
    EXPECT_EQ(load_or_create_root_key(file).public_hex,
              "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST(RootKeyFile, RefusesAKeyOthersCanRead) {
    testing::TemporaryFolder folder;
    const auto file = folder.path() / "root_key";
    load_or_create_root_key(file);
    ::chmod(file.c_str(), 0644);
    EXPECT_THROW(load_or_create_root_key(file), Error);
}

TEST(RootKeyFile, RefusesADamagedKey) {
    testing::TemporaryFolder folder;
    const auto file = folder.path() / "root_key";
    {
        std::ofstream out(file);
        out << "not a key";
    }
    ::chmod(file.c_str(), 0600);
    EXPECT_THROW(load_or_create_root_key(file), Error);
}

}  // namespace
}  // namespace ecf::standalone
