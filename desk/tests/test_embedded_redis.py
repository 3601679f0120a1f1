import redis

from desk.embedded_redis import EmbeddedRedis


def test_embedded_redis_starts_answers_and_stops(tmp_path):
    server = EmbeddedRedis(tmp_path).start()
    try:
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
        process = server.process
    finally:
        server.stop()
    assert process.poll() is not None
    assert server.process is None
