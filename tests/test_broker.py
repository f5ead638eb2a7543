"""The Celery broker transport (translate_hub.broker) on a real, private Redis.

Celery 5.7 reconnects after Redis went away by collecting the broken connection, which
clears its transport's client even when closing the channel failed part-way, and by closing
it afterwards: closing the channel then restores its unacknowledged messages through that
cleared client. Stock kombu answers with an AttributeError that kills the worker; ours must
answer with a connection error and keep every message.
"""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from kombu import Connection
from kombu.common import ignore_errors

from tests import test_jobs_worker
from tests.conftest import IN_CI
from tests.redis_server import RedisServer

pytestmark = pytest.mark.services

OUR_TRANSPORT = "translate_hub.broker:Transport"


redis_server = test_jobs_worker.redis_server  # a private redis-server on a free port


def delivered_and_unacked(server: RedisServer, transport: str):
    """A connection that holds one delivered, unacknowledged message, and that message."""
    connection = Connection(server.url, transport=transport)
    queue = connection.SimpleQueue("broker-test", no_ack=False)
    queue.put({"job": 1})
    message = queue.get(timeout=5)
    assert message.payload == {"job": 1}
    assert int(server.command("HLEN", "unacked")) == 1
    return connection, message


def collected_before_its_channel_closed(connection: Connection) -> None:
    # What Connection.collect() leaves behind when closing the channel failed part-way:
    # the transport's client is gone, the channel (and its unacked messages) still open.
    connection._do_close_transport()


def test_the_worker_uses_our_transport_when_the_broker_is_redis():
    if not settings.REDIS_URL:
        assert not IN_CI, "CI runs with REDIS_URL"
        pytest.skip("no REDIS_URL: the broker is the filesystem")
    from translate_hub.celery import app

    assert app.conf.broker_transport == OUR_TRANSPORT
    from translate_hub.broker import Transport

    assert isinstance(app.connection_for_read().transport, Transport)


def test_stock_kombu_still_fails_this_way(redis_server):
    # When this fails, kombu handles a closed connection itself: drop translate_hub/broker.py.
    connection, _ = delivered_and_unacked(redis_server, "redis")
    collected_before_its_channel_closed(connection)
    with pytest.raises(AttributeError, match="hostname"):
        ignore_errors(connection, connection.close)


def test_closing_after_collect_is_a_connection_error_and_keeps_the_message(redis_server):
    connection, _ = delivered_and_unacked(redis_server, OUR_TRANSPORT)
    collected_before_its_channel_closed(connection)
    ignore_errors(connection, connection.close)  # Celery's own call: must not raise
    # not restored through the dead connection, and not lost: kombu restores it from here
    # after the visibility timeout, and the job sweeper resends its job much sooner
    assert int(redis_server.command("HLEN", "unacked")) == 1


def test_a_late_ack_on_a_closed_connection_is_logged_not_raised(redis_server, caplog):
    connection, message = delivered_and_unacked(redis_server, OUR_TRANSPORT)
    collected_before_its_channel_closed(connection)
    ignore_errors(connection, connection.close)
    logger = logging.getLogger("celery.worker.request")
    with caplog.at_level(logging.CRITICAL, logger=logger.name):
        message.ack_log_error(logger, connection.connection_errors)  # how Celery acks
    assert "Couldn't ack" in caplog.text
    assert "already closed" in caplog.text


def test_a_live_connection_still_works(redis_server):
    connection, message = delivered_and_unacked(redis_server, OUR_TRANSPORT)
    message.ack()
    assert int(redis_server.command("HLEN", "unacked")) == 0
    connection.close()
