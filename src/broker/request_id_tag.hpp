#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ecf::broker {

// Request ids are uuid4 strings (contract §4) that the ECF mints itself, so an instance may put
// a tag of its own in 16 of their random bits: the first four hex digits of the last group
// ("xxxxxxxx-xxxx-4xxx-yxxx-TTTTxxxxxxxx"), bits a uuid4 leaves random. The id stays a valid
// uuid4 (version and variant bits untouched) with 106 random bits. A result then says by its
// routing key alone which instance waits for it, so an instance that receives another's result
// from the shared queue forwards it to the queue named after the tag (see README.md).

// `uuid` with `tag` written in; an id that is not a canonical uuid is returned unchanged.
std::string tag_request_id(std::string uuid, std::uint16_t tag);

// The tag of a canonical uuid (any uuid has one: for an id minted elsewhere it is random bits);
// nullopt for anything else.
std::optional<std::uint16_t> request_id_tag(std::string_view id);

// The result queue of the instance with `tag`: "ecf.results.<tag as 4 hex digits>".
std::string tagged_result_queue(std::uint16_t tag);

}  // namespace ecf::broker
