#pragma once

#include <string>

namespace ecf {

// The OpenNebula credentials taken from a verified token's authority block.
// The password is a secret: never log it, never put it in an error message.
struct Credentials {
    std::string user;
    std::string password;

    // "<user>:<password>", the session string of OpenNebula's XML-RPC API.
    std::string session() const { return user + ":" + password; }
};

}  // namespace ecf
