#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "broker/amqp_error.hpp"
#include "broker/broker_address.hpp"

// rabbitmq-c's connection handle, kept out of this header.
struct amqp_connection_state_t_;

namespace ecf::broker {

// The message properties this project reads or writes (SRs ignore all of them).
struct AmqpProperties {
    std::string content_type;
    std::string correlation_id;
    std::string reply_to;
    std::string expiration;  // milliseconds, as a decimal string (RabbitMQ's per-message TTL)
    std::string message_id;
    std::string type;  // set only on messages between ECF instances (peer_messages.hpp)
};

struct AmqpMessage {
    AmqpProperties properties;
    std::string body;
};

// A basic.deliver with its content.
struct AmqpDelivery {
    std::uint16_t channel = 0;
    std::uint64_t delivery_tag = 0;
    bool redelivered = false;
    std::string exchange;
    std::string routing_key;
    AmqpMessage message;
};

// A publisher confirm: basic.ack (ack = true) or basic.nack for one or many delivery tags.
struct AmqpConfirm {
    std::uint16_t channel = 0;
    std::uint64_t delivery_tag = 0;
    bool multiple = false;
    bool ack = true;
};

// A basic.return: a mandatory message the broker could not route.
struct AmqpReturn {
    std::uint16_t channel = 0;
    std::uint16_t reply_code = 0;
    std::string reply_text;
    std::string exchange;
    std::string routing_key;
    AmqpMessage message;
};

// The broker closed a channel (close-ok already sent); open it again to reuse it.
struct AmqpChannelClosed {
    std::uint16_t channel = 0;
    std::uint16_t reply_code = 0;
    std::string reply_text;
};

// Any other method: e.g. the queue.unbind-ok of an unbind sent without waiting,
// connection.blocked / connection.unblocked (channel 0; method ids in amqp_framing.h), or the
// basic.cancel of a consumer whose queue was deleted.
struct AmqpOtherMethod {
    std::uint16_t channel = 0;
    std::uint32_t method_id = 0;
};

using AmqpEvent =
    std::variant<AmqpDelivery, AmqpConfirm, AmqpReturn, AmqpChannelClosed, AmqpOtherMethod>;

struct AmqpQueueOptions {
    bool passive = false;
    bool durable = false;
    bool exclusive = false;
    bool auto_delete = false;
    std::optional<std::int64_t> max_length;  // RabbitMQ's `x-max-length` argument
    // RabbitMQ's `x-expires` argument: the queue is deleted once unused (no consumer, no
    // declaration) for this many milliseconds.
    std::optional<std::int64_t> expires_ms;
};

// What queue.declare-ok tells.
struct AmqpQueueState {
    std::string name;
    std::uint32_t messages = 0;
    std::uint32_t consumers = 0;
};

struct AmqpExchangeOptions {
    bool passive = false;
    bool durable = false;
    bool auto_delete = false;
    bool internal = false;
    std::optional<std::string> alternate_exchange;  // RabbitMQ's `alternate-exchange` argument
};

struct AmqpConnectionOptions {
    std::chrono::milliseconds connect_timeout{5'000};  // TCP connect, and the AMQP handshake
    std::chrono::milliseconds rpc_timeout{10'000};     // each synchronous method (declare, bind)
    int heartbeat_seconds = 30;
    // Longest time data we sent may stay unacknowledged by the peer (TCP_USER_TIMEOUT, zero
    // windows included): a broker or network that stops reading fails the connection then,
    // rather than blocking a publication for ever. Zero leaves the kernel's default.
    std::chrono::milliseconds write_timeout{10'000};
    std::string connection_name = "ecf";  // shown in RabbitMQ's management UI
    // TLS (amqps://): the peer's certificate and host name are verified unless tls_verify_peer
    // is false. tls_ca_file: PEM file of the CAs to trust (config broker_ca_file); empty means
    // OpenSSL's default store (rabbitmq-c alone would trust nothing). A client certificate (PEM
    // chain) and its unencrypted PEM key are sent when both are named.
    bool tls_verify_peer = true;
    std::string tls_ca_file;
    std::string tls_cert_file;
    std::string tls_key_file;
};

// Debian's bundle of the system's CAs: the default of broker_ca_file.
inline constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// One AMQP 0-9-1 connection through rabbitmq-c, for one thread at a time (rabbitmq-c is
// blocking and not thread-safe). Every failure is thrown: AmqpChannelError when the broker closed
// only a channel, AmqpError otherwise (then the connection is dead: destroy it and connect anew).
// Synchronous methods wait at most rpc_timeout.
class AmqpConnection {
  public:
    AmqpConnection(const BrokerAddress& address, AmqpConnectionOptions options = {});
    ~AmqpConnection();
    AmqpConnection(const AmqpConnection&) = delete;
    AmqpConnection& operator=(const AmqpConnection&) = delete;

    void open_channel(std::uint16_t channel);
    void close_channel(std::uint16_t channel);

    // Returns the queue's name (the broker's when `name` is empty).
    std::string declare_queue(std::uint16_t channel, const std::string& name,
                              const AmqpQueueOptions& options = {});
    // The same, with the counts of messages and consumers the broker answers with.
    AmqpQueueState declare_queue_state(std::uint16_t channel, const std::string& name,
                                       const AmqpQueueOptions& options = {});
    void declare_exchange(std::uint16_t channel, const std::string& name, const std::string& type,
                          const AmqpExchangeOptions& options = {});
    void delete_queue(std::uint16_t channel, const std::string& name);
    void delete_exchange(std::uint16_t channel, const std::string& name);
    // nowait: send queue.bind with no-wait and return at once (a failure closes the channel
    // later, seen as an AmqpChannelClosed event).
    void bind_queue(std::uint16_t channel, const std::string& queue, const std::string& exchange,
                    const std::string& routing_key, bool nowait = false);
    // pipelined: AMQP has no no-wait queue.unbind; send it and let its unbind-ok come back later
    // as an AmqpOtherMethod event instead of waiting for it.
    void unbind_queue(std::uint16_t channel, const std::string& queue, const std::string& exchange,
                      const std::string& routing_key, bool pipelined = false);
    void qos(std::uint16_t channel, std::uint16_t prefetch_count);
    void confirm_select(std::uint16_t channel);
    // Returns the consumer tag.
    std::string consume(std::uint16_t channel, const std::string& queue, bool no_ack,
                        bool exclusive = false);

    void publish(std::uint16_t channel, const std::string& exchange, const std::string& routing_key,
                 const std::string& body, const AmqpProperties& properties = {},
                 bool mandatory = false);
    void ack(std::uint16_t channel, std::uint64_t delivery_tag, bool multiple = false);
    void reject(std::uint16_t channel, std::uint64_t delivery_tag, bool requeue);

    // Waits up to `timeout` for the next delivery, confirm, return or channel close; nullopt
    // when none came in time. A zero timeout only reads what has already arrived.
    std::optional<AmqpEvent> next_event(std::chrono::milliseconds timeout);

    // True when a frame is already buffered, so next_event(0) may return one without waiting on
    // the socket (poll() on socket_fd() would not see it).
    bool has_buffered_input() const;
    // The socket, to wait on it together with other file descriptors (poll).
    int socket_fd() const;
    // Publications made between begin_batch() and end_batch() leave together: on plain TCP
    // their frames are written with one send() (rabbitmq-c makes one per frame), with TLS they
    // are held back by TCP_CORK until end_batch(). Any other method writes them first, so the
    // order on the wire is the order of the calls. end_batch() throws like publish() when the
    // writing fails.
    void begin_batch();
    void end_batch();
    bool tls() const noexcept { return tls_; }

    // Closes channels and the connection politely (bounded by rpc_timeout); never throws.
    void close() noexcept;

  private:
    void check_rpc(const char* what, std::uint16_t channel);
    void check_status(int status, const char* what);
    void set_up_tls(void* socket, const AmqpConnectionOptions& options);
    void set_corked(bool corked);
    // Writes what publish() encoded and kept (plain TCP), waiting at most write_wait_ each time
    // the socket takes nothing; throws AmqpError (the connection is then dead).
    void write_output();

    amqp_connection_state_t_* state_ = nullptr;
    std::string where_;  // host:port, for messages
    // Why OpenSSL refused the broker's certificate, for the error message (rabbitmq-c says only
    // that the handshake failed).
    std::string tls_verify_error_;
    bool tls_ = false;
    bool open_ = false;
    // The frames of publications not written yet (plain TCP only), and whether a batch is open.
    std::string output_;
    bool batching_ = false;
    bool corked_ = false;  // TLS: TCP_CORK set for the open batch (at its first publication)
    std::chrono::milliseconds write_wait_;
};

}  // namespace ecf::broker
