#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ecf::broker {

// Messages between ECF instances sharing one RabbitMQ (vhost): a question to the instance of a
// tag, and its answer, both through the instances' own result queues (`ecf.results.<tag>`, the
// default exchange). Neither reaches an SR or another component of the platform: they are an
// extension of ours (the AMQP `type` property names them), never something contract §4 fixes.
//
// A question is published with `reply_to` (the asking instance's result queue), a
// `correlation_id` of the asker's own and an `expiration` (RabbitMQ drops a question nobody
// took in time). An instance that is gone has no queue: the question is returned (mandatory),
// and the asker knows at once.
inline constexpr const char* kPeerQuestionType = "ecf.peer-question";
inline constexpr const char* kPeerAnswerType = "ecf.peer-answer";
// Questions larger than this are dropped unread (one is a few hundred bytes; an answer holds a
// stored result, bounded by the asked instance's async_max_result_bytes).
inline constexpr std::size_t kMaxPeerQuestionBytes = 4 * 1024;

// A question another instance asked this one, told on the broker thread.
struct PeerQuestion {
    std::string body;
    std::string reply_to;  // always a result queue's name (checked before it is told)
    std::string correlation_id;
};
// Told each question; runs on the broker thread, so it must only hand the work on.
using PeerQuestionHandler = std::function<void(PeerQuestion)>;

// What the instance asked said: its answer, or that no such instance exists (no queue took the
// question).
struct PeerAnswer {
    bool instance_exists = true;
    std::string body;
};

// True for the names of the instances' result queues ("ecf.results." and 4 lowercase hex
// digits): the only place an answer may be sent, whatever a question's reply_to says (else a
// forged question could make this instance publish into a flavour queue).
bool is_instance_result_queue(std::string_view name);

}  // namespace ecf::broker
