from cti.tasks import ping


def test_task_runs_on_a_real_worker_over_redis(celery_worker):
    result = ping.delay("hello")
    assert result.get(timeout=30) == "pong:hello"
