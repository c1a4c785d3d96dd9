"""One Spark session for the whole test run (JVM start-up is paid once), and engines over fresh lakes."""

from __future__ import annotations

from pathlib import Path

import pytest

TEST_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "2",  # tiny data: 200 shuffle tasks per stage would dominate
    "spark.default.parallelism": "2",
    "spark.driver.memory": "2g",
}
TEST_SPARK_MASTER = "local[2]"


@pytest.fixture(scope="session")
def spark_session():
    from growthos.warehouse.spark_engine import spark_session

    return spark_session(TEST_SPARK_MASTER, TEST_SPARK_CONF)


@pytest.fixture
def spark_engine(spark_session, tmp_path: Path):
    """A SparkEngine over an empty lake of its own (its own temporary views)."""
    from growthos.warehouse.lake import Lake
    from growthos.warehouse.spark_engine import SparkEngine

    return SparkEngine(Lake.at(tmp_path / "lake"), spark_session)
