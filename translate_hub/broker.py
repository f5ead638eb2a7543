"""kombu's Redis transport, with a closed connection reported as a connection error.

When Redis goes away, Celery 5.7's consumer first collects the broken connection, which
clears its transport's ``client`` even when closing the channel failed part-way (its
pending BRPOP read raised on the dead socket), and then closes it. Closing the channel
restores the messages still unacknowledged, and a task finishing in the pool acks one;
both build a Redis client from ``transport.client``, and stock kombu 5.7 raises
``AttributeError: 'NoneType' object has no attribute 'hostname'``. That is not one of the
transport's connection errors, so nothing on the way treats it as a lost connection: the
worker logs "Unrecoverable error" and exits with jobs still queued. CI met it in
tests/test_faults.py's Redis restart; a job running while Redis stops reproduced it in
each of three tries (test_the_worker_lives_through_redis_going_away_while_a_job_runs), and
tests/test_broker.py shows it on kombu alone.

Raising redis-py's ConnectionError instead lets the paths that already expect a lost
connection handle it: kombu's ``maybe_close_channel`` ignores it and the consumer
reconnects; a late ack is logged as "Couldn't ack" and the message stays in Redis's
unacked index, from where kombu restores it after the visibility timeout. Either way the
job row is the truth: the sweeper resends a job whose message was lost and a job that is
already done is not run twice (docs/jobs.md).
"""

from __future__ import annotations

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection of this channel is already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
