#include "broker/amqp_connection.hpp"

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "broker/amqp_properties.hpp"
#include "broker/amqp_publish_frames.hpp"

namespace ecf::broker {
namespace {

// A batch's frames are written once they reach this much, so that a batch of large bodies is
// not held whole in memory; a buffer grown beyond kKeptOutputCapacity is released once written.
constexpr std::size_t kWriteOutputAt = 64 * 1024;
constexpr std::size_t kKeptOutputCapacity = 256 * 1024;

amqp_bytes_t bytes_of(const std::string& s) {
    amqp_bytes_t b;
    b.len = s.size();
    b.bytes = const_cast<char*>(s.data());
    return b;
}

std::string string_of(amqp_bytes_t b) {
    return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}

timeval timeval_of(std::chrono::milliseconds d) {
    if (d.count() < 0) d = std::chrono::milliseconds(0);
    timeval tv;
    tv.tv_sec = static_cast<time_t>(d.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
    return tv;
}

AmqpProperties properties_of(const amqp_basic_properties_t& p) {
    AmqpProperties out;
    if (p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) out.content_type = string_of(p.content_type);
    if (p._flags & AMQP_BASIC_CORRELATION_ID_FLAG) out.correlation_id = string_of(p.correlation_id);
    if (p._flags & AMQP_BASIC_REPLY_TO_FLAG) out.reply_to = string_of(p.reply_to);
    if (p._flags & AMQP_BASIC_EXPIRATION_FLAG) out.expiration = string_of(p.expiration);
    if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) out.message_id = string_of(p.message_id);
    if (p._flags & AMQP_BASIC_TYPE_FLAG) out.type = string_of(p.type);
    return out;
}

AmqpMessage message_of(const amqp_message_t& m) {
    return AmqpMessage{properties_of(m.properties), string_of(m.body)};
}

// Records the first reason OpenSSL gives for refusing the broker's certificate; the verdict itself
// stays OpenSSL's (rabbitmq-c sets the verify mode, and keeps this callback).
int record_verify_error(int preverified, X509_STORE_CTX* store) {
    if (preverified) return preverified;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* error =
        ssl ? static_cast<std::string*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl))) : nullptr;
    if (error && error->empty())
        *error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
    return preverified;
}

}  // namespace

void AmqpConnection::set_up_tls(void* opaque_socket, const AmqpConnectionOptions& options) {
    auto* socket = static_cast<amqp_socket_t*>(opaque_socket);
    amqp_ssl_socket_set_verify_peer(socket, options.tls_verify_peer ? 1 : 0);
    amqp_ssl_socket_set_verify_hostname(socket, options.tls_verify_peer ? 1 : 0);
    auto* context = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket));
    if (!context) throw AmqpError("AMQP: cannot create a TLS context");
    if (options.tls_verify_peer) {
        SSL_CTX_set_app_data(context, &tls_verify_error_);
        SSL_CTX_set_verify(context, SSL_CTX_get_verify_mode(context), record_verify_error);
    }
    if (options.tls_ca_file.empty()) {
        if (SSL_CTX_set_default_verify_paths(context) != 1)
            throw AmqpError("AMQP: cannot load the system's CA certificates");
    } else if (amqp_ssl_socket_set_cacert(socket, options.tls_ca_file.c_str()) != AMQP_STATUS_OK) {
        throw AmqpError("AMQP: cannot load the TLS CA file " + options.tls_ca_file);
    }
    if (options.tls_cert_file.empty() != options.tls_key_file.empty())
        throw AmqpError("AMQP: a client certificate needs both its file and its key");
    if (!options.tls_cert_file.empty() &&
        amqp_ssl_socket_set_key(socket, options.tls_cert_file.c_str(),
                                options.tls_key_file.c_str()) != AMQP_STATUS_OK) {
        // Only the file names: never the key's content.
        throw AmqpError("AMQP: cannot load the TLS client certificate " + options.tls_cert_file +
                        " or its key " + options.tls_key_file);
    }
}

AmqpConnection::AmqpConnection(const BrokerAddress& address, AmqpConnectionOptions options)
    : where_(address.host + ":" + std::to_string(address.port)),
      tls_(address.tls),
      // rabbitmq-c waits for ever for a socket that takes nothing (TCP_USER_TIMEOUT ends it);
      // ours is bounded even when that option is left to the kernel.
      write_wait_(options.write_timeout.count() > 0 ? options.write_timeout : options.rpc_timeout) {
    state_ = amqp_new_connection();
    if (!state_) throw AmqpError("AMQP: out of memory creating a connection");
    try {
        amqp_socket_t* socket = nullptr;
        if (address.tls) {
            socket = amqp_ssl_socket_new(state_);
            if (!socket) throw AmqpError("AMQP: cannot create a TLS socket");
            set_up_tls(socket, options);
        } else {
            socket = amqp_tcp_socket_new(state_);
            if (!socket) throw AmqpError("AMQP: cannot create a TCP socket");
        }
        const timeval connect_timeout = timeval_of(options.connect_timeout);
        const int opened =
            amqp_socket_open_noblock(socket, address.host.c_str(), address.port, &connect_timeout);
        if (opened != AMQP_STATUS_OK && !tls_verify_error_.empty()) {
            throw AmqpError("AMQP: connecting (" + where_ +
                            "): TLS certificate verify failed: " + tls_verify_error_);
        }
        check_status(opened, "connecting");
        if (options.write_timeout.count() > 0) {
            const unsigned int timeout = static_cast<unsigned int>(options.write_timeout.count());
            // Best effort: without it, a stalled peer is found by the heartbeats instead.
            static_cast<void>(::setsockopt(amqp_get_sockfd(state_), IPPROTO_TCP, TCP_USER_TIMEOUT,
                                           &timeout, sizeof timeout));
        }
        check_status(amqp_set_handshake_timeout(state_, &connect_timeout), "setting timeouts");
        const timeval rpc_timeout = timeval_of(options.rpc_timeout);
        check_status(amqp_set_rpc_timeout(state_, &rpc_timeout), "setting timeouts");

        // Capabilities (merged by rabbitmq-c with its own): the broker tells us when it blocks
        // publishers (resource alarm) and when it cancels one of our consumers.
        amqp_table_entry_t capabilities[2];
        capabilities[0].key = amqp_cstring_bytes("connection.blocked");
        capabilities[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
        capabilities[0].value.value.boolean = 1;
        capabilities[1].key = amqp_cstring_bytes("consumer_cancel_notify");
        capabilities[1].value.kind = AMQP_FIELD_KIND_BOOLEAN;
        capabilities[1].value.value.boolean = 1;
        amqp_table_entry_t entries[2];
        entries[0].key = amqp_cstring_bytes("connection_name");
        entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[0].value.value.bytes = bytes_of(options.connection_name);
        entries[1].key = amqp_cstring_bytes("capabilities");
        entries[1].value.kind = AMQP_FIELD_KIND_TABLE;
        entries[1].value.value.table = amqp_table_t{2, capabilities};
        amqp_table_t client_properties{2, entries};
        const amqp_rpc_reply_t reply = amqp_login_with_properties(
            state_, address.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, options.heartbeat_seconds,
            &client_properties, AMQP_SASL_METHOD_PLAIN, address.user.c_str(),
            address.password.c_str());
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
            // RabbitMQ closes the socket on a failed login (ACCESS_REFUSED) without a reason we
            // could read; never quote the password, only the user and vhost.
            throw AmqpError("AMQP: login to " + where_ + " as '" + address.user + "' on vhost '" +
                            address.vhost + "' failed (wrong credentials, vhost or permissions?)");
        }
        open_ = true;
    } catch (...) {
        amqp_destroy_connection(state_);
        state_ = nullptr;
        throw;
    }
}

AmqpConnection::~AmqpConnection() {
    close();
}

void AmqpConnection::close() noexcept {
    if (!state_) return;
    if (open_ && !output_.empty()) {
        try {
            write_output();
        } catch (const AmqpError&) {  // then the connection is dead: nothing to close politely
        }
    }
    if (open_) {
        open_ = false;
        amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(state_);
    state_ = nullptr;
}

void AmqpConnection::check_status(int status, const char* what) {
    if (status == AMQP_STATUS_OK) return;
    // rabbitmq-c says only "a socket error occurred": the system's reason (a connection timed
    // out by broker_write_timeout, reset by the peer) is what an operator needs.
    const int system_error = errno;
    open_ = false;
    std::string reason = amqp_error_string2(status);
    if (status == AMQP_STATUS_SOCKET_ERROR && system_error != 0) {
        reason += std::string(" (") + std::strerror(system_error) + ")";
    }
    throw AmqpError(std::string("AMQP: ") + what + " (" + where_ + "): " + reason);
}

void AmqpConnection::check_rpc(const char* what, std::uint16_t channel) {
    if (!state_) throw AmqpError(std::string("AMQP: ") + what + ": connection is closed");
    const amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
    switch (reply.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return;
        case AMQP_RESPONSE_NONE:
            open_ = false;
            throw AmqpError(std::string("AMQP: ") + what + ": no reply from the broker");
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            // A timeout or a socket error leaves the connection in an unknown state.
            open_ = false;
            throw AmqpError(std::string("AMQP: ") + what + " (" + where_ +
                            "): " + amqp_error_string2(reply.library_error));
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
                const auto* m = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
                const std::uint16_t code = m->reply_code;
                const std::string text = string_of(m->reply_text);
                amqp_channel_close_ok_t ok{};
                amqp_send_method(state_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
                throw AmqpChannelError(channel, code,
                                       std::string("AMQP: ") + what + ": broker closed channel " +
                                           std::to_string(channel) + ": " + text);
            }
            if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
                const auto* m = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
                const std::string text = string_of(m->reply_text);
                amqp_connection_close_ok_t ok{};
                amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
                open_ = false;
                throw AmqpError(std::string("AMQP: ") + what +
                                ": broker closed the connection: " + text);
            }
            open_ = false;
            throw AmqpError(std::string("AMQP: ") + what + ": unexpected server method");
    }
    open_ = false;
    throw AmqpError(std::string("AMQP: ") + what + ": unknown reply");
}

void AmqpConnection::open_channel(std::uint16_t channel) {
    if (!output_.empty()) write_output();
    amqp_channel_open(state_, channel);
    check_rpc("channel.open", channel);
}

void AmqpConnection::close_channel(std::uint16_t channel) {
    if (!output_.empty()) write_output();
    amqp_channel_close(state_, channel, AMQP_REPLY_SUCCESS);
    check_rpc("channel.close", channel);
}

std::string AmqpConnection::declare_queue(std::uint16_t channel, const std::string& name,
                                          const AmqpQueueOptions& options) {
    return declare_queue_state(channel, name, options).name;
}

AmqpQueueState AmqpConnection::declare_queue_state(std::uint16_t channel, const std::string& name,
                                                   const AmqpQueueOptions& options) {
    if (!output_.empty()) write_output();
    amqp_table_entry_t entries[2];
    int count = 0;
    if (options.max_length) {
        entries[count].key = amqp_cstring_bytes("x-max-length");
        entries[count].value.kind = AMQP_FIELD_KIND_I64;
        entries[count].value.value.i64 = *options.max_length;
        ++count;
    }
    if (options.expires_ms) {
        entries[count].key = amqp_cstring_bytes("x-expires");
        entries[count].value.kind = AMQP_FIELD_KIND_I64;
        entries[count].value.value.i64 = *options.expires_ms;
        ++count;
    }
    const amqp_table_t arguments = count ? amqp_table_t{count, entries} : amqp_empty_table;
    const amqp_queue_declare_ok_t* ok =
        amqp_queue_declare(state_, channel, bytes_of(name), options.passive, options.durable,
                           options.exclusive, options.auto_delete, arguments);
    check_rpc("queue.declare", channel);
    AmqpQueueState state{name, 0, 0};
    if (ok) {
        state.name = string_of(ok->queue);
        state.messages = ok->message_count;
        state.consumers = ok->consumer_count;
    }
    return state;
}

void AmqpConnection::declare_exchange(std::uint16_t channel, const std::string& name,
                                      const std::string& type, const AmqpExchangeOptions& options) {
    if (!output_.empty()) write_output();
    amqp_table_entry_t entry;
    amqp_table_t arguments = amqp_empty_table;
    if (options.alternate_exchange) {
        entry.key = amqp_cstring_bytes("alternate-exchange");
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = bytes_of(*options.alternate_exchange);
        arguments = amqp_table_t{1, &entry};
    }
    amqp_exchange_declare(state_, channel, bytes_of(name), bytes_of(type), options.passive,
                          options.durable, options.auto_delete, options.internal, arguments);
    check_rpc("exchange.declare", channel);
}

void AmqpConnection::delete_queue(std::uint16_t channel, const std::string& name) {
    if (!output_.empty()) write_output();
    amqp_queue_delete(state_, channel, bytes_of(name), 0, 0);
    check_rpc("queue.delete", channel);
}

void AmqpConnection::delete_exchange(std::uint16_t channel, const std::string& name) {
    if (!output_.empty()) write_output();
    amqp_exchange_delete(state_, channel, bytes_of(name), 0);
    check_rpc("exchange.delete", channel);
}

void AmqpConnection::bind_queue(std::uint16_t channel, const std::string& queue,
                                const std::string& exchange, const std::string& routing_key,
                                bool nowait) {
    if (!output_.empty()) write_output();
    if (nowait) {
        amqp_queue_bind_t method{};
        method.queue = bytes_of(queue);
        method.exchange = bytes_of(exchange);
        method.routing_key = bytes_of(routing_key);
        method.nowait = 1;
        method.arguments = amqp_empty_table;
        check_status(amqp_send_method(state_, channel, AMQP_QUEUE_BIND_METHOD, &method),
                     "sending queue.bind");
        return;
    }
    amqp_queue_bind(state_, channel, bytes_of(queue), bytes_of(exchange), bytes_of(routing_key),
                    amqp_empty_table);
    check_rpc("queue.bind", channel);
}

void AmqpConnection::unbind_queue(std::uint16_t channel, const std::string& queue,
                                  const std::string& exchange, const std::string& routing_key,
                                  bool pipelined) {
    if (!output_.empty()) write_output();
    if (pipelined) {
        amqp_queue_unbind_t method{};
        method.queue = bytes_of(queue);
        method.exchange = bytes_of(exchange);
        method.routing_key = bytes_of(routing_key);
        method.arguments = amqp_empty_table;
        check_status(amqp_send_method(state_, channel, AMQP_QUEUE_UNBIND_METHOD, &method),
                     "sending queue.unbind");
        return;
    }
    amqp_queue_unbind(state_, channel, bytes_of(queue), bytes_of(exchange), bytes_of(routing_key),
                      amqp_empty_table);
    check_rpc("queue.unbind", channel);
}

void AmqpConnection::qos(std::uint16_t channel, std::uint16_t prefetch_count) {
    if (!output_.empty()) write_output();
    amqp_basic_qos(state_, channel, 0, prefetch_count, 0);
    check_rpc("basic.qos", channel);
}

void AmqpConnection::confirm_select(std::uint16_t channel) {
    if (!output_.empty()) write_output();
    amqp_confirm_select(state_, channel);
    check_rpc("confirm.select", channel);
}

std::string AmqpConnection::consume(std::uint16_t channel, const std::string& queue, bool no_ack,
                                    bool exclusive) {
    if (!output_.empty()) write_output();
    const amqp_basic_consume_ok_t* ok = amqp_basic_consume(
        state_, channel, bytes_of(queue), amqp_empty_bytes, 0, no_ack, exclusive, amqp_empty_table);
    check_rpc("basic.consume", channel);
    return ok ? string_of(ok->consumer_tag) : std::string();
}

void AmqpConnection::publish(std::uint16_t channel, const std::string& exchange,
                             const std::string& routing_key, const std::string& body,
                             const AmqpProperties& properties, bool mandatory) {
    if (!state_) throw AmqpError("AMQP: publish: connection is closed");
    if (tls_) {
        // OpenSSL writes the socket: rabbitmq-c's frames, held back by TCP_CORK in a batch.
        if (batching_ && !corked_) set_corked(true);
        const amqp_basic_properties_t p = basic_properties_of(properties);
        check_status(amqp_basic_publish(state_, channel, bytes_of(exchange), bytes_of(routing_key),
                                        mandatory ? 1 : 0, 0, &p, bytes_of(body)),
                     "publishing");
        return;
    }
    append_publish_frames(output_, {channel, exchange, routing_key, body, properties, mandatory},
                          static_cast<std::size_t>(amqp_get_frame_max(state_)));
    if (!batching_ || output_.size() >= kWriteOutputAt) write_output();
}

void AmqpConnection::write_output() {
    const int fd = socket_fd();
    if (fd < 0 || !open_) {
        output_.clear();
        throw AmqpError("AMQP: publishing: connection is closed");
    }
    const auto fail = [this](const std::string& reason) {
        open_ = false;
        output_.clear();
        throw AmqpError("AMQP: publishing (" + where_ + "): " + reason);
    };
    std::size_t written = 0;
    while (written < output_.size()) {
        const ssize_t n =
            ::send(fd, output_.data() + written, output_.size() - written, MSG_NOSIGNAL);
        if (n > 0) {
            written += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // rabbitmq-c's socket is non-blocking: wait until the broker takes more, bounded.
            pollfd ready{fd, POLLOUT, 0};
            const int polled = ::poll(&ready, 1, static_cast<int>(write_wait_.count()));
            if (polled > 0 || (polled < 0 && errno == EINTR)) continue;
            fail("the broker took nothing for " + std::to_string(write_wait_.count()) + " ms");
        }
        fail(n == 0 ? std::string("nothing written") : std::string(std::strerror(errno)));
    }
    output_.clear();
    if (output_.capacity() > kKeptOutputCapacity) std::string().swap(output_);
}

void AmqpConnection::ack(std::uint16_t channel, std::uint64_t delivery_tag, bool multiple) {
    if (!output_.empty()) write_output();
    check_status(amqp_basic_ack(state_, channel, delivery_tag, multiple ? 1 : 0), "basic.ack");
}

void AmqpConnection::reject(std::uint16_t channel, std::uint64_t delivery_tag, bool requeue) {
    if (!output_.empty()) write_output();
    check_status(amqp_basic_reject(state_, channel, delivery_tag, requeue ? 1 : 0), "basic.reject");
}

bool AmqpConnection::has_buffered_input() const {
    return state_ && (amqp_frames_enqueued(state_) || amqp_data_in_buffer(state_));
}

int AmqpConnection::socket_fd() const {
    return state_ ? amqp_get_sockfd(state_) : -1;
}

void AmqpConnection::set_corked(bool corked) {
    const int fd = socket_fd();
    if (fd < 0) return;
    corked_ = corked;
    const int value = corked ? 1 : 0;
    // A failure only costs segments: nothing to report.
    static_cast<void>(::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &value, sizeof value));
}

void AmqpConnection::begin_batch() {
    batching_ = true;
}

void AmqpConnection::end_batch() {
    batching_ = false;
    if (corked_) set_corked(false);
    if (!output_.empty()) write_output();
}

std::optional<AmqpEvent> AmqpConnection::next_event(std::chrono::milliseconds timeout) {
    if (!output_.empty()) write_output();
    if (!state_ || !open_) throw AmqpError("AMQP: connection is closed");
    amqp_maybe_release_buffers(state_);
    const timeval tv = timeval_of(timeout);
    amqp_envelope_t envelope;
    const amqp_rpc_reply_t reply = amqp_consume_message(state_, &envelope, &tv, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
        AmqpDelivery delivery;
        delivery.channel = envelope.channel;
        delivery.delivery_tag = envelope.delivery_tag;
        delivery.redelivered = envelope.redelivered != 0;
        delivery.exchange = string_of(envelope.exchange);
        delivery.routing_key = string_of(envelope.routing_key);
        delivery.message = message_of(envelope.message);
        amqp_destroy_envelope(&envelope);
        return delivery;
    }
    if (reply.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION) {
        open_ = false;
        throw AmqpError("AMQP: unexpected reply while waiting for messages from " + where_);
    }
    if (reply.library_error == AMQP_STATUS_TIMEOUT) return std::nullopt;
    if (reply.library_error != AMQP_STATUS_UNEXPECTED_STATE) {
        open_ = false;
        throw AmqpError("AMQP: connection to " + where_ +
                        " lost: " + amqp_error_string2(reply.library_error));
    }
    // Another frame than basic.deliver came first: rabbitmq-c kept it for us.
    amqp_frame_t frame;
    const timeval no_wait{0, 0};
    const int status = amqp_simple_wait_frame_noblock(state_, &frame, &no_wait);
    if (status == AMQP_STATUS_TIMEOUT) return std::nullopt;
    check_status(status, "reading a frame");
    if (frame.frame_type != AMQP_FRAME_METHOD) return AmqpOtherMethod{frame.channel, 0};
    const amqp_method_number_t id = frame.payload.method.id;
    void* decoded = frame.payload.method.decoded;
    switch (id) {
        case AMQP_BASIC_ACK_METHOD: {
            const auto* m = static_cast<const amqp_basic_ack_t*>(decoded);
            return AmqpConfirm{frame.channel, m->delivery_tag, m->multiple != 0, true};
        }
        case AMQP_BASIC_NACK_METHOD: {
            const auto* m = static_cast<const amqp_basic_nack_t*>(decoded);
            return AmqpConfirm{frame.channel, m->delivery_tag, m->multiple != 0, false};
        }
        case AMQP_BASIC_RETURN_METHOD: {
            const auto* m = static_cast<const amqp_basic_return_t*>(decoded);
            AmqpReturn returned;
            returned.channel = frame.channel;
            returned.reply_code = m->reply_code;
            returned.reply_text = string_of(m->reply_text);
            returned.exchange = string_of(m->exchange);
            returned.routing_key = string_of(m->routing_key);
            amqp_message_t message;
            const amqp_rpc_reply_t r = amqp_read_message(state_, frame.channel, &message, 0);
            if (r.reply_type != AMQP_RESPONSE_NORMAL) {
                open_ = false;
                throw AmqpError("AMQP: reading a returned message from " + where_ + " failed");
            }
            returned.message = message_of(message);
            amqp_destroy_message(&message);
            return returned;
        }
        case AMQP_CHANNEL_CLOSE_METHOD: {
            const auto* m = static_cast<const amqp_channel_close_t*>(decoded);
            AmqpChannelClosed closed{frame.channel, m->reply_code, string_of(m->reply_text)};
            amqp_channel_close_ok_t ok{};
            check_status(amqp_send_method(state_, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok),
                         "sending channel.close-ok");
            return closed;
        }
        case AMQP_CONNECTION_CLOSE_METHOD: {
            const auto* m = static_cast<const amqp_connection_close_t*>(decoded);
            const std::string text = string_of(m->reply_text);
            amqp_connection_close_ok_t ok{};
            amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
            open_ = false;
            throw AmqpError("AMQP: broker " + where_ + " closed the connection: " + text);
        }
        default:
            return AmqpOtherMethod{frame.channel, id};
    }
}

}  // namespace ecf::broker
