#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "async_execution/result_peers.hpp"
#include "broker/amqp_execution_broker.hpp"

namespace ecf::async_execution {

// The other instances on this instance's RabbitMQ, asked through the broker (peer_messages.hpp):
// an execution id carries the tag of the instance that minted it, which names that instance's
// result queue, so a question goes straight to it and costs nothing per execution. Its answer
// comes back to this instance's own result queue.
//
// It answers the others' questions too: handed over by the broker thread, each is answered from
// the store on `executor` (a long poll waits there, counted in the store's bound on waiters).
class BrokerResultPeers final : public ResultPeers,
                                public std::enable_shared_from_this<BrokerResultPeers> {
  public:
    // How long after a question's wait the asker waits for its answer (the way through the broker
    // twice) before it gives up with 503.
    static constexpr std::chrono::seconds kAnswerGrace{2};
    // The longest wait another instance may ask for (each instance bounds its own long polls
    // with async_max_wait; this bounds what it is asked).
    static constexpr std::chrono::minutes kMaxAskedWait{10};

    // Registers itself with `broker` as the answerer of questions: call before broker.start().
    static std::shared_ptr<BrokerResultPeers> create(broker::AmqpExecutionBroker& broker,
                                                     std::shared_ptr<AsyncResultStore> store,
                                                     boost::asio::any_io_executor executor);

    bool held_elsewhere(const std::string& id) const override;
    boost::asio::awaitable<std::optional<AsyncView>> ask(const std::string& id,
                                                         const OwnerDigest& owner,
                                                         std::chrono::milliseconds wait) override;

  private:
    BrokerResultPeers(broker::AmqpExecutionBroker& broker, std::shared_ptr<AsyncResultStore> store,
                      boost::asio::any_io_executor executor);
    boost::asio::awaitable<void> answer(broker::PeerQuestion question);

    broker::AmqpExecutionBroker& broker_;
    std::shared_ptr<AsyncResultStore> store_;
    boost::asio::any_io_executor executor_;
};

}  // namespace ecf::async_execution
